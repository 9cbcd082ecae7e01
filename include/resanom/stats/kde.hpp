// resanom/stats/kde.hpp — a one-dimensional Gaussian kernel density estimate with event weights,
// Scott's or Silverman's bandwidth (or a given one), density and CDF evaluation, and sampling.
//
// CATHODE draws the m values of its signal-region samples from a KDE of the SR data's m
// (Das et al. 2024, §2.2.3, following Hallin et al.); sample_in() does that, truncated to the SR.
// Formulas: docs/statistics.md.
#pragma once

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/core/types.hpp"

namespace resanom {

/// Bandwidth rules for a 1-D Gaussian KDE, with n the effective count (Σw)²/Σw² and σ the weighted
/// standard deviation (as scipy.stats.gaussian_kde defines them in one dimension):
///   scott:      h = σ n^(−1/5)
///   silverman:  h = σ (3n/4)^(−1/5) ≈ 1.06 σ n^(−1/5)
enum class BandwidthRule { scott, silverman };

class GaussianKde {
public:
    /// A KDE of the values x (finite) with weights w (finite, ≥ 0, not all 0; empty: unit weights).
    explicit GaussianKde(const Eigen::Ref<const Vector>& x, const Eigen::Ref<const Vector>& w = Vector(),
                         BandwidthRule rule = BandwidthRule::scott) {
        init(x, w);
        const double n = n_eff_;
        detail::require(n > 1.0 && sd_ > 0.0, "GaussianKde: need at least two distinct values to choose a bandwidth");
        h_ = rule == BandwidthRule::scott ? sd_ * std::pow(n, -0.2) : sd_ * std::pow(0.75 * n, -0.2);
    }

    /// A KDE with a fixed bandwidth h > 0.
    GaussianKde(const Eigen::Ref<const Vector>& x, const Eigen::Ref<const Vector>& w, double bandwidth) {
        init(x, w);
        detail::require(std::isfinite(bandwidth) && bandwidth > 0.0,
                        "GaussianKde: bandwidth " + std::to_string(bandwidth) + " must be finite and > 0");
        h_ = bandwidth;
    }

    double bandwidth() const noexcept { return h_; }
    double effective_count() const noexcept { return n_eff_; }
    Index size() const noexcept { return static_cast<Index>(x_.size()); }

    /// The density at t: Σ_i w_i φ((t − x_i)/h) / (h Σw). Kernels beyond 9h are skipped (< 1e-17).
    double pdf(double t) const {
        const auto [b, e] = window(t);
        double s = 0.0;
        for (std::size_t i = b; i < e; ++i) {
            const double z = (t - x_[i]) / h_;
            s += w_[i] * std::exp(-0.5 * z * z);
        }
        return s / (h_ * total_ * std::sqrt(2.0 * std::numbers::pi));
    }
    Vector pdf(const Eigen::Ref<const Vector>& t) const {
        Vector out(t.size());
        for (Index i = 0; i < t.size(); ++i) out[i] = pdf(t[i]);
        return out;
    }

    /// The CDF at t: Σ_i w_i Φ((t − x_i)/h) / Σw (kernels entirely below t count fully).
    double cdf(double t) const {
        const auto [b, e] = window(t);
        double s = prefix_[b];  // every kernel more than 9h below t
        for (std::size_t i = b; i < e; ++i) s += w_[i] * 0.5 * std::erfc(-(t - x_[i]) / (h_ * std::numbers::sqrt2));
        return std::clamp(s / total_, 0.0, 1.0);
    }

    /// The KDE's mass in an interval.
    double mass(const Interval& iv) const { return cdf(iv.hi) - cdf(iv.lo); }

    /// n draws: a data point chosen with probability w_i/Σw, plus h times a standard normal.
    Vector sample(Index n, Rng& rng) const {
        detail::require(n >= 0, "GaussianKde::sample: negative count");
        Vector out(n);
        for (Index k = 0; k < n; ++k) out[k] = draw(rng);
        return out;
    }

    /// n draws from the KDE truncated to an interval (rejection; CATHODE's SR m values). Throws
    /// input_error when the KDE has less than 1e-6 of its mass there.
    Vector sample_in(const Interval& iv, Index n, Rng& rng) const {
        checked_interval(iv.lo, iv.hi, "GaussianKde::sample_in");
        detail::require(n >= 0, "GaussianKde::sample_in: negative count");
        const double p = mass(iv);
        detail::require(p > 1e-6, "GaussianKde::sample_in: the KDE has mass " + std::to_string(p) + " in [" +
                                      std::to_string(iv.lo) + ", " + std::to_string(iv.hi) + ")");
        Vector out(n);
        for (Index k = 0; k < n; ++k) {
            double v;
            do v = draw(rng);
            while (!iv.contains(v));
            out[k] = v;
        }
        return out;
    }

private:
    void init(const Eigen::Ref<const Vector>& x, const Eigen::Ref<const Vector>& w) {
        detail::require(x.size() > 0, "GaussianKde: no values");
        detail::require(w.size() == 0 || w.size() == x.size(),
                        "GaussianKde: " + std::to_string(w.size()) + " weights for " + std::to_string(x.size()) + " values");
        std::vector<std::size_t> order(static_cast<std::size_t>(x.size()));
        for (Index i = 0; i < x.size(); ++i) {
            if (!std::isfinite(x[i]))
                throw input_error("GaussianKde: value at row " + std::to_string(i) + " is not finite");
            const double wi = w.size() ? w[i] : 1.0;
            if (!(std::isfinite(wi) && wi >= 0.0))
                throw input_error("GaussianKde: weight at row " + std::to_string(i) + " is " + std::to_string(wi) +
                                  " (must be finite and >= 0)");
            order[static_cast<std::size_t>(i)] = static_cast<std::size_t>(i);
        }
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return x[static_cast<Index>(a)] < x[static_cast<Index>(b)];
        });
        double sw = 0.0, sw2 = 0.0, mean = 0.0;
        for (std::size_t i : order) {
            const double wi = w.size() ? w[static_cast<Index>(i)] : 1.0;
            if (wi == 0.0) continue;
            x_.push_back(x[static_cast<Index>(i)]);
            w_.push_back(wi);
            sw += wi;
            sw2 += wi * wi;
        }
        detail::require(sw > 0.0 && std::isfinite(sw), "GaussianKde: the total weight is 0");
        total_ = sw;
        n_eff_ = sw * sw / sw2;
        for (std::size_t i = 0; i < x_.size(); ++i) mean += w_[i] * x_[i];
        mean /= sw;
        double var = 0.0;
        for (std::size_t i = 0; i < x_.size(); ++i) var += w_[i] * (x_[i] - mean) * (x_[i] - mean);
        // Unbiased for weighted samples (scipy's gaussian_kde convention: divide by 1 − Σw²/(Σw)²).
        const double denom = sw * (1.0 - sw2 / (sw * sw));
        sd_ = denom > 0.0 ? std::sqrt(var / denom) : 0.0;
        prefix_.assign(x_.size() + 1, 0.0);
        for (std::size_t i = 0; i < x_.size(); ++i) prefix_[i + 1] = prefix_[i] + w_[i];
    }

    std::pair<std::size_t, std::size_t> window(double t) const {
        const auto lo = std::lower_bound(x_.begin(), x_.end(), t - 9.0 * h_);
        const auto hi = std::upper_bound(lo, x_.end(), t + 9.0 * h_);
        return {static_cast<std::size_t>(lo - x_.begin()), static_cast<std::size_t>(hi - x_.begin())};
    }

    double draw(Rng& rng) const {
        const double u = uniform01(rng) * total_;
        auto it = std::upper_bound(prefix_.begin() + 1, prefix_.end(), u);
        if (it == prefix_.end()) --it;
        const std::size_t i = static_cast<std::size_t>(it - prefix_.begin()) - 1;
        return x_[i] + h_ * normal(rng);
    }

    std::vector<double> x_, w_, prefix_;  // sorted values with positive weight; prefix sums of w
    double total_ = 0.0, n_eff_ = 0.0, sd_ = 0.0, h_ = 1.0;
};

}  // namespace resanom
