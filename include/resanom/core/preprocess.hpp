// resanom/core/preprocess.hpp — invertible feature transforms with their log-Jacobians.
//
// Standardizer: z = (x − μ)/σ per feature (weighted moments). LogitScaler: u = margin + (1 −
// 2·margin)(x − min)/(max − min), z = log(u/(1 − u)), CATHODE's preprocessing for flows (Golling et al. 2024,
// §2.1; Das et al. 2024, §2.2.3). LogitStandardizer chains the two, as CATHODE does. Every transform
// returns log|det ∂z/∂x| per event, so that a density learned on z converts to one on x:
//   log p_x(x) = log p_z(z(x)) + log|det ∂z/∂x|.
// The transforms are fitted once (fit), then applied (transform) and inverted (inverse); they are
// elementwise, so the Jacobian is diagonal and its log-determinant a sum over features.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/types.hpp"

namespace resanom {

namespace detail {
inline void require_fitted(bool fitted, Index expected, Index got, const char* who) {
    if (!fitted) throw input_error(std::string(who) + ": transform used before fit");
    if (expected != got)
        throw input_error(std::string(who) + ": fitted on " + std::to_string(expected) +
                          " features, given " + std::to_string(got));
}
}  // namespace detail

/// z = (x − μ)/σ with weighted mean μ and standard deviation σ (population form, Σw(x−μ)²/Σw).
/// A constant feature (σ = 0) gets σ = 1, so it maps to 0 and stays invertible.
class Standardizer {
public:
    void fit(const Eigen::Ref<const Matrix>& X, const Vector& w = Vector()) {
        detail::require(X.rows() > 0, "Standardizer::fit: no events");
        detail::require_finite(X, "Standardizer::fit: features");
        Vector weights = w.size() == 0 ? Vector::Ones(X.rows()) : w;
        detail::require(weights.size() == X.rows(), "Standardizer::fit: " + std::to_string(weights.size()) +
                                                        " weights for " + std::to_string(X.rows()) + " events");
        detail::require_weights(weights, "Standardizer::fit");
        const double W = weights.sum();
        detail::require(W > 0.0, "Standardizer::fit: total weight is zero");
        // Scaled sums: features near the ends of the double range (±1e308, or denormals near
        // 1e-320) would overflow Σx or Σ(x−μ)², or underflow the latter to 0.
        mean_.resize(X.cols());
        scale_.resize(X.cols());
        for (Index j = 0; j < X.cols(); ++j) {
            const auto x = X.col(j).array();
            const double c = x.abs().maxCoeff();
            mean_[j] = c > 0.0 ? c * ((weights.array() * (x / c)).sum() / W) : 0.0;
            // σ = (s/k) √(Σ w u² / W) with u = k(x − μ)/s ∈ [−1, 1], s = max |k(x − μ)|. k = 1/2
            // near the top of the double range (where x − μ could overflow), else 1 (halving would
            // lose the last bit of denormals).
            const double k = c > std::numeric_limits<double>::max() / 4 ? 0.5 : 1.0;
            const auto diff = x * k - mean_[j] * k;
            const double s = diff.abs().maxCoeff();
            const double sd = s > 0.0 ? (s / k) * std::sqrt((weights.array() * (diff / s).square()).sum() / W) : 0.0;
            detail::require(std::isfinite(sd), "Standardizer::fit: feature " + std::to_string(j) +
                                                   " spreads beyond the double range (standard deviation overflows)");
            scale_[j] = sd > 0.0 ? sd : 1.0;
        }
        fitted_ = true;
    }

    Matrix transform(const Eigen::Ref<const Matrix>& X) const {
        detail::require_fitted(fitted_, mean_.size(), X.cols(), "Standardizer");
        return (X.rowwise() - mean_.transpose()).array().rowwise() / scale_.transpose().array();
    }

    Matrix inverse(const Eigen::Ref<const Matrix>& Z) const {
        detail::require_fitted(fitted_, mean_.size(), Z.cols(), "Standardizer");
        return (Z.array().rowwise() * scale_.transpose().array()).matrix().rowwise() + mean_.transpose();
    }

    /// log|det ∂z/∂x| = −Σ_j log σ_j, the same for every event.
    double log_abs_det_jacobian() const {
        detail::require_fitted(fitted_, mean_.size(), mean_.size(), "Standardizer");
        return -scale_.array().log().sum();
    }

    const Vector& mean() const noexcept { return mean_; }
    const Vector& scale() const noexcept { return scale_; }
    bool fitted() const noexcept { return fitted_; }

    /// Restores a fitted state (deserialization).
    static Standardizer from(Vector mean, Vector scale) {
        detail::require(mean.size() == scale.size(), "Standardizer::from: size mismatch");
        detail::require((scale.array() > 0.0).all() && scale.allFinite() && mean.allFinite(),
                        "Standardizer::from: scales must be finite and > 0");
        Standardizer s;
        s.mean_ = std::move(mean);
        s.scale_ = std::move(scale);
        s.fitted_ = true;
        return s;
    }

private:
    Vector mean_, scale_;
    bool fitted_ = false;
};

/// What a transform does with a value outside the range it was fitted on.
enum class OutOfRange {
    error,  ///< throw input_error naming the row and column (default)
    clip,   ///< clip x into the fitted [min, max] first (the Jacobian is then that of the clipped value)
};

/// z = logit(u), u = margin + (1 − 2·margin)·(x − min)/(max − min), per feature.
/// The fitted minimum and maximum map to logit(margin) and logit(1 − margin) (±6.9 for the default
/// margin 1e-3) rather than ±∞, and values up to margin/(1 − 2·margin) of the range beyond them
/// still map to finite z; further out the OutOfRange policy applies.
class LogitScaler {
public:
    explicit LogitScaler(double margin = 1e-3) : margin_(margin) {
        // margin 0 would send the fitted minimum and maximum themselves to ∓∞.
        detail::require(margin > 0.0 && margin < 0.5 && std::isfinite(margin),
                        "LogitScaler: margin " + std::to_string(margin) + " outside (0, 0.5)");
    }

    void fit(const Eigen::Ref<const Matrix>& X) {
        detail::require(X.rows() > 0, "LogitScaler::fit: no events");
        detail::require_finite(X, "LogitScaler::fit: features");
        min_ = X.colwise().minCoeff().transpose();
        max_ = X.colwise().maxCoeff().transpose();
        for (Index j = 0; j < X.cols(); ++j) {
            detail::require(max_[j] > min_[j], "LogitScaler::fit: feature " + std::to_string(j) +
                                                   " is constant (" + detail::num(min_[j]) +
                                                   "); a logit transform needs a range");
            detail::require(std::isfinite(max_[j] - min_[j]), "LogitScaler::fit: feature " + std::to_string(j) + " spans [" +
                                                                  detail::num(min_[j]) + ", " + detail::num(max_[j]) +
                                                                  "], beyond the double range");
        }
        fitted_ = true;
    }

    Matrix transform(const Eigen::Ref<const Matrix>& X, OutOfRange policy = OutOfRange::error) const {
        detail::require_fitted(fitted_, min_.size(), X.cols(), "LogitScaler");
        Matrix Z(X.rows(), X.cols());
        for (Index j = 0; j < X.cols(); ++j)
            for (Index i = 0; i < X.rows(); ++i) {
                const double u = scaled(X(i, j), j, i, policy);
                Z(i, j) = std::log(u) - std::log1p(-u);
            }
        return Z;
    }

    Matrix inverse(const Eigen::Ref<const Matrix>& Z) const {
        detail::require_fitted(fitted_, min_.size(), Z.cols(), "LogitScaler");
        Matrix X(Z.rows(), Z.cols());
        for (Index j = 0; j < Z.cols(); ++j) {
            const double a = (max_[j] - min_[j]) / (1.0 - 2.0 * margin_);
            for (Index i = 0; i < Z.rows(); ++i) {
                const double u = 1.0 / (1.0 + std::exp(-Z(i, j)));
                X(i, j) = min_[j] + (u - margin_) * a;
            }
        }
        return X;
    }

    /// log|det ∂z/∂x| per event: Σ_j [log((1 − 2·margin)/(max_j − min_j)) − log u_j − log(1 − u_j)].
    Vector log_abs_det_jacobian(const Eigen::Ref<const Matrix>& X, OutOfRange policy = OutOfRange::error) const {
        detail::require_fitted(fitted_, min_.size(), X.cols(), "LogitScaler");
        Vector out = Vector::Zero(X.rows());
        for (Index j = 0; j < X.cols(); ++j) {
            const double c = std::log((1.0 - 2.0 * margin_) / (max_[j] - min_[j]));
            for (Index i = 0; i < X.rows(); ++i) {
                const double u = scaled(X(i, j), j, i, policy);
                out[i] += c - std::log(u) - std::log1p(-u);
            }
        }
        return out;
    }

    /// Rows whose every feature maps to a finite z (CATHODE drops the others before training).
    IndexList rows_in_range(const Eigen::Ref<const Matrix>& X) const {
        detail::require_fitted(fitted_, min_.size(), X.cols(), "LogitScaler");
        IndexList rows;
        for (Index i = 0; i < X.rows(); ++i) {
            bool ok = true;
            for (Index j = 0; j < X.cols() && ok; ++j) {
                const double u = raw_scaled(X(i, j), j);
                ok = u > 0.0 && u < 1.0;
            }
            if (ok) rows.push_back(i);
        }
        return rows;
    }

    double margin() const noexcept { return margin_; }
    const Vector& min() const noexcept { return min_; }
    const Vector& max() const noexcept { return max_; }
    bool fitted() const noexcept { return fitted_; }

    static LogitScaler from(Vector min, Vector max, double margin) {
        detail::require(min.size() == max.size() && (max.array() > min.array()).all(),
                        "LogitScaler::from: need max > min for every feature");
        LogitScaler s(margin);
        s.min_ = std::move(min);
        s.max_ = std::move(max);
        s.fitted_ = true;
        return s;
    }

private:
    double raw_scaled(double x, Index j) const {
        return margin_ + (1.0 - 2.0 * margin_) * (x - min_[j]) / (max_[j] - min_[j]);
    }
    double scaled(double x, Index j, Index i, OutOfRange policy) const {
        if (policy == OutOfRange::clip) x = std::clamp(x, min_[j], max_[j]);
        const double u = raw_scaled(x, j);
        if (!(u > 0.0 && u < 1.0))
            throw input_error("LogitScaler: value " + detail::num(x) + " at row " +
                              std::to_string(i) + ", column " + std::to_string(j) +
                              " lies outside the fitted range [" + detail::num(min_[j]) + ", " +
                              detail::num(max_[j]) + "] beyond the margin");
        return u;
    }

    double margin_;
    Vector min_, max_;
    bool fitted_ = false;
};

/// CATHODE's preprocessing: LogitScaler then Standardizer (fitted on the logit values).
class LogitStandardizer {
public:
    explicit LogitStandardizer(double margin = 1e-3) : logit_(margin) {}

    void fit(const Eigen::Ref<const Matrix>& X) {
        logit_.fit(X);
        standard_.fit(logit_.transform(X));
    }
    Matrix transform(const Eigen::Ref<const Matrix>& X, OutOfRange policy = OutOfRange::error) const {
        return standard_.transform(logit_.transform(X, policy));
    }
    Matrix inverse(const Eigen::Ref<const Matrix>& Z) const {
        return logit_.inverse(standard_.inverse(Z));
    }
    Vector log_abs_det_jacobian(const Eigen::Ref<const Matrix>& X, OutOfRange policy = OutOfRange::error) const {
        return logit_.log_abs_det_jacobian(X, policy).array() + standard_.log_abs_det_jacobian();
    }
    const LogitScaler& logit() const noexcept { return logit_; }
    const Standardizer& standardizer() const noexcept { return standard_; }

private:
    LogitScaler logit_;
    Standardizer standard_;
};

}  // namespace resanom
