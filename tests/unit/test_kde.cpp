// Tests of resanom/stats/kde.hpp: normalization, exact densities (a KDE of one point is a Gaussian;
// a KDE of a large normal sample approaches N(0, 1 + h²)), Scott/Silverman bandwidths by hand,
// weights, and sampling (its own KS test against the KDE's CDF; truncated sampling).
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "resanom/core/random.hpp"
#include "resanom/stats/kde.hpp"
#include "resanom/stats/ks.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_kde {

using namespace resanom;

namespace {
double gauss(double x, double s) { return std::exp(-0.5 * x * x / (s * s)) / (s * std::sqrt(2 * std::numbers::pi)); }
}  // namespace

TEST_CASE("KDE integrates to one and its CDF runs from 0 to 1") {
    Rng rng(3);
    Vector x(500);
    for (Index i = 0; i < 500; ++i) x[i] = uniform01(rng) < 0.3 ? normal(rng, 3.5, 0.1) : 2.6 + 2.4 * uniform01(rng);
    const GaussianKde kde(x);
    const double lo = 1.5, hi = 6.0;
    const int N = 20000;
    double s = 0.0;
    for (int k = 0; k <= N; ++k) s += kde.pdf(lo + (hi - lo) * k / N) * (k == 0 || k == N ? 0.5 : 1.0);
    CHECK(s * (hi - lo) / N == doctest::Approx(1.0).epsilon(1e-6));
    CHECK(kde.cdf(lo) < 1e-9);
    CHECK(kde.cdf(hi) == doctest::Approx(1.0).epsilon(1e-9));
    CHECK(kde.mass({3.0, 4.0}) == doctest::Approx((kde.cdf(4.0) - kde.cdf(3.0))));
}

TEST_CASE("KDE matches known densities") {
    Vector one(1);
    one << 0.25;
    const GaussianKde single(one, Vector(), 0.5);
    for (double t : {-1.0, 0.0, 0.25, 1.3}) CHECK(single.pdf(t) == doctest::Approx(gauss(t - 0.25, 0.5)).epsilon(1e-12));
    // A large N(0,1) sample: E[KDE] = N(0, 1 + h²); the deviation is statistical (~1 % here).
    Rng rng(4);
    Vector x(40000);
    for (Index i = 0; i < x.size(); ++i) x[i] = normal(rng);
    const GaussianKde kde(x);
    const double s = std::sqrt(1.0 + kde.bandwidth() * kde.bandwidth());
    for (double t : {-2.0, -1.0, 0.0, 0.5, 1.5}) CHECK(kde.pdf(t) == doctest::Approx(gauss(t, s)).epsilon(0.03));
}

TEST_CASE("bandwidth rules and weights") {
    Vector x(5);
    x << 0, 1, 2, 3, 4;  // sample sd (n − 1) = √2.5
    CHECK(GaussianKde(x).bandwidth() == doctest::Approx(std::sqrt(2.5) * std::pow(5.0, -0.2)));
    CHECK(GaussianKde(x, Vector(), BandwidthRule::silverman).bandwidth() ==
          doctest::Approx(std::sqrt(2.5) * std::pow(3.75, -0.2)));
    // Weights: two far-apart points with weights 1 and 3.
    Vector y(2), w(2);
    y << 0.0, 10.0;
    w << 1.0, 3.0;
    const GaussianKde k(y, w, 0.5);
    CHECK(k.pdf(10.0) / k.pdf(0.0) == doctest::Approx(3.0).epsilon(1e-12));
    CHECK(k.cdf(5.0) == doctest::Approx(0.25).epsilon(1e-12));
    CHECK(k.effective_count() == doctest::Approx(16.0 / 10.0));
    // Zero weights drop out.
    Vector w0(2);
    w0 << 1.0, 0.0;
    CHECK(GaussianKde(y, w0, 0.5).pdf(10.0) < 1e-30);
}

TEST_CASE("sampling follows the KDE; truncated sampling stays in the interval") {
    Rng rng(5);
    Vector x(300);
    for (Index i = 0; i < x.size(); ++i) x[i] = normal(rng, 3.5, 0.2);
    const GaussianKde kde(x);
    Rng draw(6);
    const Vector s = kde.sample(5000, draw);
    CHECK(ks_test(s, [&](double t) { return kde.cdf(t); }).p_value > 1e-4);
    const Interval sr{3.3, 3.7};
    const Vector t = kde.sample_in(sr, 2000, draw);
    CHECK((t.array() >= 3.3).all());
    CHECK((t.array() < 3.7).all());
    CHECK(ks_test(t, [&](double v) { return std::clamp((kde.cdf(v) - kde.cdf(3.3)) / kde.mass(sr), 0.0, 1.0); }).p_value > 1e-4);
    // Deterministic for a seed.
    Rng a(9), b(9);
    CHECK(kde.sample(10, a) == kde.sample(10, b));
    CHECK_THROWS_AS(kde.sample_in({100.0, 101.0}, 5, draw), input_error);
}

TEST_CASE("bad input") {
    CHECK_THROWS_AS(GaussianKde{Vector()}, input_error);
    Vector x(3);
    x << 1.0, std::nan(""), 2.0;
    CHECK_THROWS_WITH_AS(GaussianKde{x}, doctest::Contains("row 1"), input_error);
    Vector same = Vector::Constant(4, 2.0);
    CHECK_THROWS_AS(GaussianKde{same}, input_error);  // no spread: no bandwidth rule applies
    CHECK_NOTHROW(GaussianKde(same, Vector(), 0.1));
    CHECK_THROWS_AS(GaussianKde(same, Vector(), -0.1), input_error);
    Vector w(4);
    w << 1, 1, -1, 1;
    CHECK_THROWS_AS(GaussianKde(same, w, 0.1), input_error);
}

}  // namespace unit_test_kde
