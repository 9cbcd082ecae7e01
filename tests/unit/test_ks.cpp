// Tests of resanom/stats/ks.hpp: the Kolmogorov distribution (series values computed with Python
// from Q(λ) = 2 Σ (−1)^(j−1) exp(−2 j² λ²), 200 terms), exact small-n values (n = 1 in closed form,
// Massey's 1951 table of critical values for n = 10, 20), agreement of the exact and asymptotic
// routines at large n, uniformity of p-values under the null, weights, and the binned test.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "resanom/core/random.hpp"
#include "resanom/stats/ks.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_ks {

using namespace resanom;

namespace {
double uniform_cdf(double x) { return std::clamp(x, 0.0, 1.0); }

// Fractions of p-values at or below 0.05, 0.1, 0.5 within 4 binomial standard deviations, and a
// KS test of the p-values themselves against U(0, 1) with p > 1e-4 (false-failure rate ~1e-4).
void check_uniform(const std::vector<double>& p) {
    const double n = static_cast<double>(p.size());
    for (double a : {0.05, 0.1, 0.5}) {
        const double f = static_cast<double>(std::count_if(p.begin(), p.end(), [a](double v) { return v <= a; })) / n;
        INFO("alpha " << a << ": fraction " << f);
        CHECK(std::fabs(f - a) < 4.0 * std::sqrt(a * (1 - a) / n));
    }
    Vector pv = Eigen::Map<const Vector>(p.data(), static_cast<Index>(p.size()));
    CHECK(ks_test(pv, uniform_cdf).p_value > 1e-4);
}
}  // namespace

TEST_CASE("Kolmogorov's limiting distribution") {
    CHECK(kolmogorov_q(0.5) == doctest::Approx(0.9639452436648751).epsilon(1e-10));
    CHECK(kolmogorov_q(0.8) == doctest::Approx(0.5441424115741981).epsilon(1e-10));
    CHECK(kolmogorov_q(1.0) == doctest::Approx(0.26999967167735456).epsilon(1e-10));
    CHECK(kolmogorov_q(1.2) == doctest::Approx(0.11224966667072496).epsilon(1e-10));
    CHECK(kolmogorov_q(1.36) == doctest::Approx(0.049485876755377876).epsilon(1e-10));
    CHECK(kolmogorov_q(3.0) == doctest::Approx(3.045995948942526e-08).epsilon(1e-10));
    CHECK(kolmogorov_q(0.0) == 1.0);
}

TEST_CASE("exact p-values: closed form at n = 1 and Massey's table") {
    // n = 1: D = max(U, 1 − U), so P(D ≥ d) = 2(1 − d) for d ≥ 1/2.
    CHECK(ks_pvalue(0.7, 1, KsMethod::exact) == doctest::Approx(0.6).epsilon(1e-12));
    CHECK(ks_pvalue(0.9, 1, KsMethod::exact) == doctest::Approx(0.2).epsilon(1e-12));
    CHECK(ks_pvalue(0.4, 1, KsMethod::exact) == doctest::Approx(1.0));
    // Critical values (three decimals in the table, hence the tolerance).
    CHECK(ks_pvalue(0.409, 10) == doctest::Approx(0.05).epsilon(0.05));
    CHECK(ks_pvalue(0.490, 10) == doctest::Approx(0.01).epsilon(0.08));
    CHECK(ks_pvalue(0.294, 20) == doctest::Approx(0.05).epsilon(0.05));
    // Large n: the exact and the corrected asymptotic values agree.
    CHECK(ks_pvalue(0.03, 1000, KsMethod::exact) ==
          doctest::Approx(ks_pvalue(0.03, 1000, KsMethod::asymptotic)).epsilon(0.01));
    // Tails stay positive and tiny rather than rounding to 0 through 1 − cdf.
    const double tail = ks_pvalue(0.5, 100);
    CHECK(tail > 0.0);
    CHECK(tail < 1e-20);
    CHECK_THROWS_AS(ks_pvalue(0.3, 10.5, KsMethod::exact), input_error);
    CHECK_THROWS_AS(ks_pvalue(1.3, 10), input_error);
    CHECK_THROWS_AS(ks_pvalue(0.3, 0), input_error);
}

TEST_CASE("one-sample p-values are uniform under the null (exact at n = 20, asymptotic at n = 300)") {
    Rng rng(11);
    for (Index n : {Index(20), Index(300)}) {
        std::vector<double> p;
        for (int rep = 0; rep < 2000; ++rep) {
            Vector x(n);
            for (Index i = 0; i < n; ++i) x[i] = uniform01(rng);
            p.push_back(ks_test(x, uniform_cdf, Vector(), n == 20 ? KsMethod::exact : KsMethod::asymptotic).p_value);
        }
        INFO("n = " << n);
        check_uniform(p);
    }
}

TEST_CASE("two-sample p-values are uniform under the null") {
    Rng rng(12);
    std::vector<double> p;
    for (int rep = 0; rep < 2000; ++rep) {
        Vector x(200), y(300);
        for (Index i = 0; i < x.size(); ++i) x[i] = normal(rng);
        for (Index i = 0; i < y.size(); ++i) y[i] = normal(rng);
        p.push_back(ks_test_2samp(x, y).p_value);
    }
    check_uniform(p);
    // A shifted sample is detected.
    Vector x(500), y(500);
    for (Index i = 0; i < 500; ++i) {
        x[i] = normal(rng);
        y[i] = normal(rng) + 0.5;
    }
    CHECK(ks_test_2samp(x, y).p_value < 1e-6);
}

TEST_CASE("weights: equal weights change nothing, integer weights act like repeated events") {
    Rng rng(13);
    Vector x(50);
    for (Index i = 0; i < 50; ++i) x[i] = uniform01(rng);
    const auto plain = ks_test(x, uniform_cdf);
    const auto twice = ks_test(x, uniform_cdf, Vector::Constant(50, 2.0));
    CHECK(twice.statistic == doctest::Approx(plain.statistic));
    CHECK(twice.p_value == doctest::Approx(plain.p_value));
    // Weight 2 on the first half vs. repeating those events: the same statistic.
    Vector w = Vector::Ones(50);
    w.head(25).setConstant(2.0);
    Vector rep(75);
    rep << x, x.head(25);
    CHECK(ks_test(x, uniform_cdf, w).statistic == doctest::Approx(ks_test(rep, uniform_cdf).statistic));
    CHECK(ks_test_2samp(x, x.head(30), w).statistic ==
          doctest::Approx(ks_test_2samp(rep, x.head(30)).statistic));
    Vector bad = w;
    bad[3] = -1.0;
    CHECK_THROWS_AS(ks_test(x, uniform_cdf, bad), input_error);
    Vector nanx = x;
    nanx[7] = std::nan("");
    CHECK_THROWS_WITH_AS(ks_test(nanx, uniform_cdf), doctest::Contains("row 7"), input_error);
}

TEST_CASE("binned KS test") {
    Vector e(4), o(4);
    e << 10, 20, 30, 40;
    CHECK(ks_test_binned(e, e).statistic == 0.0);
    CHECK(ks_test_binned(e, e).p_value == 1.0);
    o << 40, 30, 20, 10;
    const auto r = ks_test_binned(o, e);
    CHECK(r.statistic == doctest::Approx(0.4));
    CHECK(r.p_value < 1e-6);
    CHECK_THROWS_AS(ks_test_binned(Vector::Zero(4), e), input_error);
}

}  // namespace unit_test_ks
