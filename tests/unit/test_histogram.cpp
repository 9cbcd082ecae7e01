// Tests of resanom/stats/histogram.hpp: uniform and log-uniform bins, weights and Σw²,
// half-open bins with under/overflow, and input checks.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "resanom/stats/histogram.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_histogram {

using namespace resanom;

TEST_CASE("histogram: uniform and log bins, weights, sum of squared weights, under/overflow") {
    Histogram h = Histogram::uniform(0.0, 1.0, 4);
    Vector m(5), w(5);
    m << -0.1, 0.0, 0.3, 0.3, 1.0;
    w << 1.0, 2.0, 0.5, 1.5, 3.0;
    h.fill(m, w);
    CHECK(h.underflow() == 1.0);
    CHECK(h.overflow() == 3.0);  // the upper edge is exclusive
    CHECK(h.counts()[0] == 2.0);
    CHECK(h.counts()[1] == 2.0);
    CHECK(h.sumw2()[1] == doctest::Approx(0.25 + 2.25));
    CHECK(h.total() == 4.0);
    const Histogram l = Histogram::log_uniform(1.0, 100.0, 2);
    CHECK(l.hi(0) == doctest::Approx(10.0));
    CHECK(l.find(9.99) == 0);
    CHECK(l.find(10.0 + 1e-9) == 1);
    CHECK_THROWS_AS(Histogram(std::vector<double>{1.0, 1.0}), input_error);
    CHECK_THROWS_AS(h.fill(0.5, -1.0), input_error);
}

TEST_CASE("histogram: from_counts and make_histogram") {
    Vector c(3);
    c << 1.0, 0.0, 4.0;
    const Histogram h = Histogram::from_counts({0.0, 1.0, 2.0, 3.0}, c);
    CHECK(h.sumw2() == c);
    CHECK(h.unweighted());
    Vector bad = c;
    bad[1] = -1.0;
    CHECK_THROWS_AS(Histogram::from_counts({0.0, 1.0, 2.0, 3.0}, bad), input_error);
    CHECK_THROWS_AS(Histogram::from_counts({0.0, 1.0, 2.0}, c), input_error);
    Vector m(4);
    m << 0.5, 2.5, 2.6, 2.7;
    const Histogram g = make_histogram({0.0, 1.0, 2.0, 3.0}, m);
    CHECK(g.counts() == Vector(Eigen::Vector3d(1.0, 0.0, 3.0)));
    Vector nanm = m;
    nanm[2] = std::nan("");
    CHECK_THROWS_WITH_AS(make_histogram({0.0, 1.0, 2.0, 3.0}, nanm), doctest::Contains("row 2"), input_error);
}

}  // namespace unit_test_histogram
