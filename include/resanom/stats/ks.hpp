// resanom/stats/ks.hpp — Kolmogorov–Smirnov tests: one-sample against a continuous CDF, two-sample,
// weighted, and the binned test of a fitted spectrum outside the signal region.
//
// One-sample p-values are exact (Marsaglia, Tsang & Wang 2003) for moderate n·D and from the
// asymptotic Kolmogorov distribution otherwise; the weighted variants use the effective number of
// events; the binned test is that of Collins et al. 2021, App. A; Benkendorfer et al. 2021, Fig. 8.
// Conventions: docs/statistics.md.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "resanom/core/error.hpp"
#include "resanom/core/types.hpp"

namespace resanom {

/// The KS statistic D and its p-value P(D_n ≥ D) under the null.
struct KsResult {
    double statistic = 0.0;
    double p_value = 1.0;
    double n_eff = 0.0;  ///< the number of events the p-value assumes
};

enum class KsMethod {
    automatic,   ///< exact where it is cheap and n is an integer, asymptotic otherwise
    exact,       ///< Marsaglia–Tsang–Wang (integer n only)
    asymptotic,  ///< Kolmogorov's limit with Stephens' finite-n correction
};

/// Kolmogorov's limiting survival function Q(λ) = 2 Σ_{j≥1} (−1)^{j−1} exp(−2 j² λ²) = P(√n D > λ),
/// through the dual (theta-function) series for small λ, where the alternating one converges slowly.
inline double kolmogorov_q(double lambda) {
    if (!(lambda > 0.0)) return 1.0;
    if (lambda < 1.18) {
        // Q = 1 − (√(2π)/λ) Σ_{j≥1} exp(−(2j−1)² π² / (8 λ²)); here Q > 0.12, so 1 − K is harmless.
        const double c = -std::numbers::pi * std::numbers::pi / (8.0 * lambda * lambda);
        double s = 0.0;
        for (int j = 1; j <= 8; ++j) s += std::exp(c * (2.0 * j - 1.0) * (2.0 * j - 1.0));
        return std::clamp(1.0 - std::sqrt(2.0 * std::numbers::pi) / lambda * s, 0.0, 1.0);
    }
    double s = 0.0, sign = 1.0;
    for (int j = 1; j <= 100; ++j) {
        const double term = std::exp(-2.0 * j * j * lambda * lambda);
        s += sign * term;
        if (term < 1e-17 * s) break;
        sign = -sign;
    }
    return std::clamp(2.0 * s, 0.0, 1.0);
}

namespace detail::ks {

// V = A^n with a decimal exponent kept aside against overflow (Marsaglia, Tsang & Wang 2003).
inline void matrix_power(const Matrix& A, int eA, Matrix& V, int& eV, int n) {
    if (n == 1) {
        V = A;
        eV = eA;
        return;
    }
    matrix_power(A, eA, V, eV, n / 2);
    Matrix B = V * V;
    int eB = 2 * eV;
    if (n % 2 == 0) {
        V = std::move(B);
        eV = eB;
    } else {
        V = A * B;
        eV = eA + eB;
    }
    const Index c = V.rows() / 2;
    if (V(c, c) > 1e140) {
        V *= 1e-140;
        eV += 140;
    }
}

inline void check_nd(double d, double n, const char* fn) {
    if (!(d >= 0.0 && d <= 1.0))
        throw input_error(std::string(fn) + ": D = " + std::to_string(d) + " is not in [0, 1]");
    if (!(std::isfinite(n) && n > 0.0))
        throw input_error(std::string(fn) + ": n = " + std::to_string(n) + " (must be finite and > 0)");
}

}  // namespace detail::ks

/// The one-sample KS p-value P(D_n ≥ d) for a sample of n events from a continuous distribution.
/// Exact (Marsaglia–Tsang–Wang: K(n, d) = P(D_n < d) from the n-th power of a (2k−1)² matrix,
/// k = ⌊n d⌋ + 1) when n is an integer ≤ 100000 and k ≤ 100; else — and always for a non-integer
/// (effective) n — the asymptotic Q(λ) with λ = (√n + 0.12 + 0.11/√n) d (Stephens 1970). In the
/// far tail (n d² > 7.24, or > 3.76 with n > 99) the exact routine's own tail formula
/// p = 2 exp(−(2.000071 + 0.331/√n + 1.409/n) n d²) is used, so small p-values are not
/// computed as 1 − K.
inline double ks_pvalue(double d, double n, KsMethod method = KsMethod::automatic) {
    detail::ks::check_nd(d, n, "ks_pvalue");
    if (d == 0.0) return 1.0;
    const bool integer_n = n == std::floor(n) && n <= 100000.0;
    const double k_real = std::floor(n * d) + 1.0;
    if (method == KsMethod::exact && !integer_n)
        throw input_error("ks_pvalue: the exact method needs an integer n <= 100000, got " + std::to_string(n));
    const bool exact = method == KsMethod::exact || (method == KsMethod::automatic && integer_n && k_real <= 100.0);
    if (!exact) {
        const double sn = std::sqrt(n);
        return kolmogorov_q((sn + 0.12 + 0.11 / sn) * d);
    }
    const double s = d * d * n;
    if (s > 7.24 || (s > 3.76 && n > 99))
        return std::min(1.0, 2.0 * std::exp(-(2.000071 + 0.331 / std::sqrt(n) + 1.409 / n) * s));
    const int ni = static_cast<int>(n);
    const int k = static_cast<int>(k_real), m = 2 * k - 1;
    const double h = k - n * d;
    Matrix H(m, m);
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < m; ++j) H(i, j) = i - j + 1 < 0 ? 0.0 : 1.0;
    for (int i = 0; i < m; ++i) {
        H(i, 0) -= std::pow(h, i + 1);
        H(m - 1, i) -= std::pow(h, m - i);
    }
    H(m - 1, 0) += 2.0 * h - 1.0 > 0.0 ? std::pow(2.0 * h - 1.0, m) : 0.0;
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < m; ++j)
            if (i - j + 1 > 0)
                for (int g = 1; g <= i - j + 1; ++g) H(i, j) /= g;
    Matrix Q;
    int eQ = 0;
    detail::ks::matrix_power(H, 0, Q, eQ, ni);
    double cdf = Q(k - 1, k - 1);
    for (int i = 1; i <= ni; ++i) {
        cdf = cdf * i / n;
        if (cdf < 1e-140) {
            cdf *= 1e140;
            eQ -= 140;
        }
    }
    cdf *= std::pow(10.0, eQ);
    return std::clamp(1.0 - cdf, 0.0, 1.0);
}

/// One-sample KS test of a sample against a continuous CDF. With weights (finite, ≥ 0, not all 0)
/// the empirical CDF is weighted and the p-value uses the effective count (Σw)²/Σw² with the
/// asymptotic distribution (an approximation; exact for unit weights).
inline KsResult ks_test(const Eigen::Ref<const Vector>& sample, const std::function<double(double)>& cdf,
                        const Eigen::Ref<const Vector>& weights = Vector(),
                        KsMethod method = KsMethod::automatic) {
    const Index n = sample.size();
    detail::require(n > 0, "ks_test: the sample is empty");
    detail::require(weights.size() == 0 || weights.size() == n,
                    "ks_test: " + std::to_string(weights.size()) + " weights for " + std::to_string(n) + " values");
    std::vector<Index> order(static_cast<std::size_t>(n));
    double sw = 0.0, sw2 = 0.0;
    for (Index i = 0; i < n; ++i) {
        if (!std::isfinite(sample[i]))
            throw input_error("ks_test: value at row " + std::to_string(i) + " is not finite");
        const double w = weights.size() ? weights[i] : 1.0;
        if (!(std::isfinite(w) && w >= 0.0))
            throw input_error("ks_test: weight at row " + std::to_string(i) + " must be finite and >= 0");
        order[static_cast<std::size_t>(i)] = i;
        sw += w;
        sw2 += w * w;
    }
    detail::require(sw > 0.0, "ks_test: the total weight is 0");
    std::sort(order.begin(), order.end(), [&](Index a, Index b) { return sample[a] < sample[b]; });
    double d = 0.0, cum = 0.0;
    for (std::size_t r = 0; r < order.size();) {
        const double x = sample[order[r]];
        const double F = cdf(x);
        if (!(F >= 0.0 && F <= 1.0))
            throw input_error("ks_test: the CDF returned " + std::to_string(F) + " at x = " + std::to_string(x));
        d = std::max(d, std::fabs(F - cum / sw));  // just below x
        while (r < order.size() && sample[order[r]] == x) {
            cum += weights.size() ? weights[order[r]] : 1.0;
            ++r;
        }
        d = std::max(d, std::fabs(cum / sw - F));  // at x
    }
    KsResult res;
    res.statistic = std::min(d, 1.0);
    // Equal weights are no weights: the ECDF and the count are those of the plain sample.
    const bool weighted = weights.size() != 0 && weights.maxCoeff() != weights.minCoeff();
    res.n_eff = weighted ? sw * sw / sw2 : static_cast<double>(n);
    res.p_value = ks_pvalue(res.statistic, res.n_eff, weighted ? KsMethod::asymptotic : method);
    return res;
}

/// Two-sample KS test: D = sup |F_x − F_y| of the (weighted) empirical CDFs, ties handled by
/// stepping over all equal values at once; the p-value is asymptotic with
/// n_eff = n_x n_y / (n_x + n_y), each n the effective count (Σw)²/Σw².
inline KsResult ks_test_2samp(const Eigen::Ref<const Vector>& x, const Eigen::Ref<const Vector>& y,
                              const Eigen::Ref<const Vector>& wx = Vector(),
                              const Eigen::Ref<const Vector>& wy = Vector()) {
    auto prepare = [](const Eigen::Ref<const Vector>& v, const Eigen::Ref<const Vector>& w, const char* name,
                      std::vector<std::pair<double, double>>& out, double& sw, double& sw2) {
        detail::require(v.size() > 0, std::string("ks_test_2samp: sample ") + name + " is empty");
        detail::require(w.size() == 0 || w.size() == v.size(),
                        std::string("ks_test_2samp: wrong number of weights for sample ") + name);
        for (Index i = 0; i < v.size(); ++i) {
            const double wi = w.size() ? w[i] : 1.0;
            if (!std::isfinite(v[i]) || !(std::isfinite(wi) && wi >= 0.0))
                throw input_error(std::string("ks_test_2samp: sample ") + name + ": row " + std::to_string(i) +
                                  " has a non-finite value or an invalid weight");
            out.emplace_back(v[i], wi);
            sw += wi;
            sw2 += wi * wi;
        }
        detail::require(sw > 0.0, std::string("ks_test_2samp: sample ") + name + " has total weight 0");
        std::sort(out.begin(), out.end());
    };
    std::vector<std::pair<double, double>> a, b;
    double sa = 0, sa2 = 0, sb = 0, sb2 = 0;
    prepare(x, wx, "x", a, sa, sa2);
    prepare(y, wy, "y", b, sb, sb2);
    double ca = 0.0, cb = 0.0, d = 0.0;
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        const double v = std::min(i < a.size() ? a[i].first : INFINITY, j < b.size() ? b[j].first : INFINITY);
        while (i < a.size() && a[i].first == v) ca += a[i++].second;
        while (j < b.size() && b[j].first == v) cb += b[j++].second;
        d = std::max(d, std::fabs(ca / sa - cb / sb));
    }
    const double na = sa * sa / sa2, nb = sb * sb / sb2;
    KsResult r;
    r.statistic = std::min(d, 1.0);
    r.n_eff = na * nb / (na + nb);
    r.p_value = ks_pvalue(r.statistic, r.n_eff, KsMethod::asymptotic);
    return r;
}

/// Binned KS test of observed bin contents against expected ones over the same bins (e.g. the
/// sideband bins of a fit): D = max_k |Σ_{i≤k} n_i / Σ n − Σ_{i≤k} ν_i / Σ ν|, p-value from the
/// asymptotic distribution with n_eff (default Σ n). Binning and the fitted parameters make the
/// p-value conservative (too large), as for the fit-quality test of Collins et al. 2021, App. A.
inline KsResult ks_test_binned(const Eigen::Ref<const Vector>& observed, const Eigen::Ref<const Vector>& expected,
                               double n_eff = -1.0) {
    detail::require(observed.size() == expected.size() && observed.size() > 0,
                    "ks_test_binned: observed and expected need the same, non-zero number of bins");
    const double so = observed.sum(), se = expected.sum();
    detail::require(std::isfinite(so) && so > 0.0, "ks_test_binned: no observed events");
    detail::require(std::isfinite(se) && se > 0.0, "ks_test_binned: the expected total is not positive");
    double co = 0.0, ce = 0.0, d = 0.0;
    for (Index i = 0; i < observed.size(); ++i) {
        co += observed[i];
        ce += expected[i];
        d = std::max(d, std::fabs(co / so - ce / se));
    }
    KsResult r;
    r.statistic = std::min(d, 1.0);
    r.n_eff = n_eff > 0.0 ? n_eff : so;
    r.p_value = ks_pvalue(r.statistic, r.n_eff, KsMethod::asymptotic);
    return r;
}

}  // namespace resanom
