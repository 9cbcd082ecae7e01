// resanom/stats/significance.hpp — significances of a counting experiment: profile likelihood,
// Asimov, and conversions between Z and one-sided p-values.
//
//  * the profile-likelihood significance of a signal-region excess over a background predicted by
//    a sideband fit, Benkendorfer et al. 2021, eqs. 2.5–2.6 (q0, Z = √q0 by Wilks, one-sided p-value);
//  * the Asimov significance with a relative background uncertainty, Das et al. 2024, eq. 6, and its
//    Gaussian limit, eq. 7;
//  * conversions between Z and one-sided p-values through Boost.Math (tails via complement(), so
//    p-values stay accurate far beyond Z = 10). Formulas and conventions: docs/statistics.md.
#pragma once

#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "resanom/core/error.hpp"

namespace resanom {

/// One-sided p-value of a significance Z: P(N(0,1) > Z), through complement() (no 1 − cdf).
inline double p_value_of_z(double z) {
    detail::require(!std::isnan(z), "p_value_of_z: z is nan");
    if (std::isinf(z)) return z > 0 ? 0.0 : 1.0;
    const boost::math::normal_distribution<double> unit;
    return boost::math::cdf(boost::math::complement(unit, z));
}

/// The Z whose one-sided p-value is p ∈ (0, 1]; p → 0 gives +inf.
inline double z_of_p_value(double p) {
    detail::require(p >= 0.0 && p <= 1.0, "z_of_p_value: p = " + std::to_string(p) + " is not in [0, 1]");
    if (p == 0.0) return std::numeric_limits<double>::infinity();
    if (p == 1.0) return -std::numeric_limits<double>::infinity();
    const boost::math::normal_distribution<double> unit;
    return boost::math::quantile(boost::math::complement(unit, p));
}

/// ln P(N(0,1) > z) for any z, also where the p-value itself underflows a double (z ≳ 37.5):
/// beyond z = 30 from the asymptotic series of the normal tail, ln Φ̄(z) = −z²/2 − ln z − ln √(2π)
/// + ln(1 − 1/z² + 3/z⁴ − 15/z⁶ + 105/z⁸) (relative error below 10⁻¹¹ there).
inline double log_p_value_of_z(double z) {
    detail::require(!std::isnan(z), "log_p_value_of_z: z is nan");
    if (z == std::numeric_limits<double>::infinity()) return -std::numeric_limits<double>::infinity();
    if (z < 30.0) return std::log(p_value_of_z(z));
    const double u = 1.0 / (z * z);
    const double series = 1.0 - u * (1.0 - u * (3.0 - u * (15.0 - u * 105.0)));
    return -0.5 * z * z - std::log(z) - 0.5 * std::log(2.0 * std::numbers::pi) + std::log(series);
}

/// The Z whose one-sided p-value is exp(log_p), log_p ≤ 0: finite for every finite log_p (also
/// below the smallest double p-value), +inf for log_p = −inf.
inline double z_of_log_p_value(double log_p) {
    detail::require(!std::isnan(log_p) && log_p <= 0.0, "z_of_log_p_value: log p = " + std::to_string(log_p) + " is not <= 0");
    if (log_p == -std::numeric_limits<double>::infinity()) return std::numeric_limits<double>::infinity();
    if (log_p > -690.0) return z_of_p_value(std::exp(log_p));   // p > 1e-300: Boost.Math directly
    // Bisection on the monotone ln Φ̄ between its asymptotic bounds √(−2 ln p) − 4 and √(−2 ln p).
    double hi = std::sqrt(-2.0 * log_p), lo = hi - 4.0;
    for (int it = 0; it < 200 && hi - lo > 1e-13 * hi; ++it) {
        const double mid = 0.5 * (lo + hi);
        (log_p_value_of_z(mid) > log_p ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
}

namespace detail::significance {

/// (1 + t) ln(1 + t) − t for t > −1, accurate also for |t| ≪ 1 (where it is ≈ t²/2).
inline double xlogx_term(double t) {
    if (t <= -1.0) return 1.0;  // the limit t → −1 (n = 0)
    if (std::fabs(t) < 1e-4) return t * t * (0.5 - t * (1.0 / 6.0 - t * (1.0 / 12.0 - t / 20.0)));
    return (1.0 + t) * std::log1p(t) - t;
}

inline void check_count(double n, const char* fn, const char* what) {
    if (!(std::isfinite(n) && n >= 0.0))
        throw input_error(std::string(fn) + ": " + what + " = " + std::to_string(n) +
                          " (must be finite and >= 0)");
}

}  // namespace detail::significance

/// The result of the profile-likelihood test of Benkendorfer et al. 2021, eqs. 2.5–2.6.
struct ProfileLikelihood {
    double mu_hat = 0.0;     ///< fitted signal μ̂ = n − b (θ̂ = 0 at the global maximum)
    double theta_hat0 = 0.0; ///< the conditional θ̂ under μ = 0
    double q0 = 0.0;         ///< −2 ln λ0 when μ̂ > 0, else 0
    double z = 0.0;          ///< √q0 (Wilks), ≥ 0
    double p_value = 0.5;    ///< one-sided, P(N(0,1) > Z)
};

/// Benkendorfer et al. 2021, eqs. 2.5–2.6: L(μ, θ) = Poisson(n | b + θ + μ) · exp(−θ²/2σ²), with b and σ the
/// background predicted in the SR by the sideband fit and its uncertainty; n may be a weighted
/// (non-integer) count. λ0 = max_θ L(0, θ) / max_{μ,θ} L(μ, θ). The unconditional maximum has
/// θ̂ = 0 and μ̂ = n − b (μ is not bounded below). Under μ = 0 the maximum over θ solves
/// n/ν − 1 − (ν − b)/σ² = 0 with ν = b + θ, i.e. ν² + (σ² − b) ν − n σ² = 0, whose positive
/// root is taken. Then
///   q0 = 2 [ n ln(n/ν̂) − n + ν̂ + (ν̂ − b)²/(2σ²) ]  if μ̂ > 0, else 0,
/// Z = √q0 and p = P(N(0,1) > Z). σ = 0 is allowed (no nuisance: ν̂ = b).
inline ProfileLikelihood profile_likelihood_significance(double n, double b, double sigma) {
    detail::significance::check_count(n, "profile_likelihood_significance", "n (observed)");
    if (!(std::isfinite(b) && b > 0.0))
        throw input_error("profile_likelihood_significance: background b = " + std::to_string(b) +
                          " (must be finite and > 0)");
    if (!(std::isfinite(sigma) && sigma >= 0.0))
        throw input_error("profile_likelihood_significance: sigma = " + std::to_string(sigma) +
                          " (must be finite and >= 0)");
    ProfileLikelihood r;
    r.mu_hat = n - b;
    if (!(r.mu_hat > 0.0)) return r;
    const double s2 = sigma * sigma;
    double nu = b;
    if (s2 > 0.0) {
        // Positive root of ν² + (s2 − b) ν − n s2 = 0, in the form free of cancellation.
        const double c = s2 - b, disc = std::sqrt(c * c + 4.0 * n * s2);
        nu = c > 0.0 ? 2.0 * n * s2 / (c + disc) : 0.5 * (disc - c);
    }
    r.theta_hat0 = nu - b;
    // n ln(n/ν) − n + ν = ν·[(1+t) ln(1+t) − t] with t = (n − ν)/ν.
    const double t = (n - nu) / nu;
    double q0 = 2.0 * nu * detail::significance::xlogx_term(t);
    if (s2 > 0.0) q0 += (nu - b) * (nu - b) / s2;
    r.q0 = std::max(0.0, q0);
    r.z = std::sqrt(r.q0);
    r.p_value = p_value_of_z(r.z);
    return r;
}

/// An Asimov significance (Das et al. 2024, eqs. 6 and 7).
struct AsimovSignificance {
    double z = 0.0;        ///< eq. 6, signed: negative for a deficit (n < b)
    double z_gauss = 0.0;  ///< eq. 7, signed likewise: (n − b)/√(b + b²σ²)
    double p_value = 0.5;  ///< one-sided P(N(0,1) > z): > 0.5 for a deficit
};

/// Das et al. 2024, eq. 6 (Cowan et al.'s Asimov formula with an uncertain background), written with
/// the RELATIVE background uncertainty σ = σ_exp (so the absolute one is σ_b = σ·b):
///   S² = 2 ( n ln[ n (b⁻¹ + σ²) / (1 + n σ²) ] − σ⁻² ln[ (1 + n σ²)/(1 + b σ²) ] ),
/// and the Gaussian limit for |n − b| ≪ b, eq. 7: S_G = (n − b)/√(b + b² σ²).
/// (The extracted text of eq. 6 lost its layout; this is the form of the prose and of Cowan's
/// eq. 97 with σ_b = σ b, which it reproduces term by term.)
/// Sign convention: eq. 6 gives S ≥ 0 for any n ≠ b; resanom returns z = sign(n − b)·S, so a
/// deficit has a negative significance, as eq. 7 does naturally. σ = 0 gives the known-background
/// limit S² = 2 (n ln(n/b) − n + b); n = 0 is allowed.
inline AsimovSignificance asimov_significance(double n, double b, double rel_unc) {
    detail::significance::check_count(n, "asimov_significance", "n (observed)");
    if (!(std::isfinite(b) && b > 0.0))
        throw input_error("asimov_significance: expected background b = " + std::to_string(b) +
                          " (must be finite and > 0)");
    if (!(std::isfinite(rel_unc) && rel_unc >= 0.0))
        throw input_error("asimov_significance: relative uncertainty = " + std::to_string(rel_unc) +
                          " (must be finite and >= 0)");
    const double s2 = rel_unc * rel_unc;
    double S2;
    if (s2 == 0.0) {
        S2 = 2.0 * b * detail::significance::xlogx_term((n - b) / b);
    } else {
        // ln[(1 + nσ²)/(1 + bσ²)] = log1p((n − b)σ²/(1 + bσ²)); the first log is
        // ln(n/b) − that, each through log1p so that n ≈ b keeps its digits.
        const double l2 = std::log1p((n - b) * s2 / (1.0 + b * s2));
        const double first = n > 0.0 ? n * (std::log1p((n - b) / b) - l2) : 0.0;
        S2 = 2.0 * (first - l2 / s2);
    }
    AsimovSignificance r;
    const double S = std::sqrt(std::max(0.0, S2));
    r.z = n >= b ? S : -S;
    r.z_gauss = (n - b) / std::sqrt(b + b * b * s2);
    r.p_value = p_value_of_z(r.z);
    return r;
}

}  // namespace resanom
