// Tests of resanom/stats/significance.hpp. Hand values were computed with Python's math module
// from the formulas as printed in the papers (Das et al. 2024, eq. 6 in its relative-uncertainty form and
// Cowan et al.'s absolute form, which agree; Benkendorfer et al. 2021, eqs. 2.5–2.6 by the
// closed-form θ̂), e.g.
//   asimov(120, 100, 0.1) = 1.3493311367659861, asimov(1500, 1000, 0.05) = 7.479642774224033,
//   asimov(10, 3, 0.3) = 2.6590944618202568; q0(120, 100, σ=10) = 1.878586815274541;
//   0.5·erfc(10/√2) = 7.619853024160593e-24, 0.5·erfc(30/√2) = 4.906713927148764e-198.
#include <doctest/doctest.h>

#include <cmath>

#include "resanom/stats/significance.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_significance {

using namespace resanom;

namespace {
// Independent check of the conditional maximum: golden-section search of
// ℓ(θ) = n ln(b+θ) − (b+θ) − θ²/2σ² over θ ∈ (−b, n).
double q0_brute_force(double n, double b, double s) {
    auto ell = [&](double th) { return n * std::log(b + th) - (b + th) - th * th / (2 * s * s); };
    double lo = -b + 1e-9, hi = n, g = (std::sqrt(5.0) - 1) / 2;
    for (int i = 0; i < 300; ++i) {
        const double a = hi - g * (hi - lo), c = lo + g * (hi - lo);
        if (ell(a) > ell(c)) hi = c; else lo = a;
    }
    const double th = 0.5 * (lo + hi);
    const double lmax = n * std::log(n) - n;  // μ̂ = n − b, θ̂ = 0
    return 2 * (lmax - ell(th));
}
}  // namespace

TEST_CASE("p-values through complement are accurate beyond Z = 10") {
    CHECK(p_value_of_z(0.0) == doctest::Approx(0.5));
    CHECK(p_value_of_z(10.0) == doctest::Approx(7.619853024160593e-24).epsilon(1e-12));
    CHECK(p_value_of_z(30.0) == doctest::Approx(4.906713927148764e-198).epsilon(1e-10));
    CHECK(z_of_p_value(7.619853024160593e-24) == doctest::Approx(10.0).epsilon(1e-12));
    CHECK(z_of_p_value(0.02275013194817921) == doctest::Approx(2.0).epsilon(1e-12));
    CHECK(p_value_of_z(-3.0) > 0.99);
}

TEST_CASE("profile likelihood (Benkendorfer et al. 2021, eqs. 2.5-2.6): hand values and a brute-force maximum") {
    const auto a = profile_likelihood_significance(120, 100, 0);
    CHECK(a.q0 == doctest::Approx(2 * (120 * std::log(1.2) - 20)).epsilon(1e-13));
    CHECK(a.z == doctest::Approx(std::sqrt(3.7571736305491044)).epsilon(1e-13));
    const auto b = profile_likelihood_significance(120, 100, 10);
    CHECK(b.q0 == doctest::Approx(1.878586815274541).epsilon(1e-12));
    CHECK(b.theta_hat0 == doctest::Approx(9.54451150103323).epsilon(1e-12));
    CHECK(b.mu_hat == 20.0);
    for (double n : {105.0, 150.0, 1000.0})
        for (double s : {0.5, 5.0, 50.0})
            CHECK(profile_likelihood_significance(n, 100, s).q0 == doctest::Approx(q0_brute_force(n, 100, s)).epsilon(1e-7));
    // Large σ: the SR carries no information beyond the sideband prediction's width; Z → small.
    CHECK(profile_likelihood_significance(150, 100, 1e4).z < 0.01);
    // Deficits and n = b give Z = 0, p = 1/2.
    const auto d = profile_likelihood_significance(80, 100, 5);
    CHECK(d.q0 == 0.0);
    CHECK(d.z == 0.0);
    CHECK(d.p_value == 0.5);
    CHECK(profile_likelihood_significance(100, 100, 5).z == 0.0);
    // A huge excess: Z well above 10 with an accurate p-value.
    const auto h = profile_likelihood_significance(2000, 1000, 1);
    CHECK(h.z > 25);
    CHECK(h.p_value > 0.0);
    CHECK(h.p_value == doctest::Approx(p_value_of_z(h.z)));
}

TEST_CASE("Asimov significance (Das et al. 2024, eq. 6) against hand values, signs and limits") {
    CHECK(asimov_significance(120, 100, 0.1).z == doctest::Approx(1.3493311367659861).epsilon(1e-10));
    CHECK(asimov_significance(1500, 1000, 0.05).z == doctest::Approx(7.479642774224033).epsilon(1e-10));
    CHECK(asimov_significance(10, 3, 0.3).z == doctest::Approx(2.6590944618202568).epsilon(1e-10));
    // σ = 0: the known-background Asimov formula √(2(n ln(n/b) − n + b)).
    CHECK(asimov_significance(120, 100, 0).z == doctest::Approx(std::sqrt(2 * (120 * std::log(1.2) - 20))).epsilon(1e-12));
    // Continuity in σ → 0.
    CHECK(asimov_significance(120, 100, 1e-7).z == doctest::Approx(asimov_significance(120, 100, 0).z).epsilon(1e-6));
    // Deficit: negative (documented sign convention), p-value above 1/2; n = 0 is finite.
    const auto d = asimov_significance(80, 100, 0.1);
    CHECK(d.z < 0.0);
    CHECK(d.z_gauss < 0.0);
    CHECK(d.p_value > 0.5);
    CHECK(std::isfinite(asimov_significance(0, 5, 0.2).z));
    CHECK(asimov_significance(0, 5, 0).z == doctest::Approx(-std::sqrt(10.0)));
    CHECK(asimov_significance(100, 100, 0.1).z == 0.0);
}

TEST_CASE("eq. 6 tends to eq. 7 for small excesses") {
    for (double b : {1e3, 1e5, 1e7})
        for (double s : {0.0, 0.01, 0.1}) {
            for (double k : {0.1, 0.5, 1.0}) {  // excesses of k·√b: |n − b| ≪ b
                const double n = b + k * std::sqrt(b);
                const auto a = asimov_significance(n, b, s);
                INFO("b = " << b << ", sigma = " << s << ", k = " << k);
                // The relative difference shrinks like (n − b)/b.
                CHECK(a.z == doctest::Approx(a.z_gauss).epsilon(3.0 * k / std::sqrt(b)));
                CHECK(a.z_gauss == doctest::Approx((n - b) / std::sqrt(b + b * b * s * s)));
            }
        }
    // ... and differs for large ones (eq. 6 is the one to use there).
    const auto big = asimov_significance(30, 10, 0.0);
    CHECK(big.z < 0.9 * big.z_gauss);
}

TEST_CASE("bad arguments raise input_error") {
    CHECK_THROWS_AS(profile_likelihood_significance(-1, 10, 1), input_error);
    CHECK_THROWS_AS(profile_likelihood_significance(10, 0, 1), input_error);
    CHECK_THROWS_AS(profile_likelihood_significance(10, 10, -1), input_error);
    CHECK_THROWS_AS(profile_likelihood_significance(std::nan(""), 10, 1), input_error);
    CHECK_THROWS_AS(asimov_significance(10, -1, 0.1), input_error);
    CHECK_THROWS_AS(asimov_significance(10, 10, INFINITY), input_error);
    CHECK_THROWS_AS(z_of_p_value(1.5), input_error);
}

}  // namespace unit_test_significance
