// resanom/models/mlp/loss.hpp — the training losses of resanom's networks, with their gradients:
// weighted binary cross-entropy on logits with soft labels and class factors, and mean-squared
// error.
//
// A loss sees a block of network outputs (rows × n, one event per column), the targets in the same
// shape and one weight per event. accumulate() returns the weighted sum Σ_i w_i ℓ_i (in double) and
// writes scale · ∂(Σ_i w_i ℓ_i)/∂output into `grad`; the trainer passes scale = 1/B for a minibatch
// of B events, so that the minibatch loss is (1/B) Σ_i w_i ℓ_i — PyTorch's
// BCEWithLogitsLoss(weight = w) with reduction "mean" — and a minibatch split into column blocks
// across threads sums to exactly that. per_event() gives ℓ_i without weights (validation, scores).
#pragma once

#include <algorithm>
#include <cmath>

#include "resanom/core/error.hpp"
#include "resanom/core/training_set.hpp"
#include "resanom/models/mlp/layers.hpp"

namespace resanom::nn {

/// ℓ(z; y) = s1·y·softplus(−z) + s0·(1 − y)·softplus(z) = s1·y·(−log σ(z)) + s0·(1−y)·(−log(1−σ(z))),
/// z the logit, y ∈ [0,1] a soft label, s1/s0 class factors (1 by default; class_balance_factors()
/// for balanced training, training_set.hpp). softplus(t) = max(t, 0) + log1p(exp(−|t|)) is exact
/// for every finite t. ∂ℓ/∂z = s0·(1 − y)·σ(z) − s1·y·σ(−z) (= σ(z) − y when s1 = s0 = 1).
struct BceWithLogits {
    double s1 = 1.0;
    double s0 = 1.0;

    BceWithLogits() = default;
    BceWithLogits(double s1_, double s0_) : s1(s1_), s0(s0_) {}
    explicit BceWithLogits(const ClassFactors& f) : s1(f.s1), s0(f.s0) {}

    static double softplus(double t) { return std::max(t, 0.0) + std::log1p(std::exp(-std::abs(t))); }
    static double sigmoid(double t) {
        if (t >= 0) return 1.0 / (1.0 + std::exp(-t));
        const double e = std::exp(t);
        return e / (1.0 + e);
    }

    double event(double z, double y) const { return s1 * y * softplus(-z) + s0 * (1.0 - y) * softplus(z); }
    double derivative(double z, double y) const { return s0 * (1.0 - y) * sigmoid(z) - s1 * y * sigmoid(-z); }

    template <class S>
    double accumulate(const ConstMatRef<S>& out, const ConstMatRef<S>& target, const Eigen::Ref<const Vec<S>>& w,
                      double scale, MatRef<S> grad) const {
        // One exp per event: e = exp(−|z|), softplus(±z) = max(±z, 0) + log1p(e), σ(z) from e.
        double total = 0.0;
        for (Index i = 0; i < out.cols(); ++i) {
            const double z = out(0, i), y = target(0, i), wi = w[i];
            const double e = std::exp(-std::abs(z)), l = std::log1p(e);
            const double sp_pos = std::max(z, 0.0) + l, sp_neg = std::max(-z, 0.0) + l;  // softplus(z), softplus(−z)
            const double sig = z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            total += wi * (s1 * y * sp_neg + s0 * (1.0 - y) * sp_pos);
            grad(0, i) = static_cast<S>(scale * wi * (s0 * (1.0 - y) * sig - s1 * y * (1.0 - sig)));
        }
        return total;
    }

    template <class S>
    void per_event(const ConstMatRef<S>& out, const ConstMatRef<S>& target, Eigen::Ref<Vector> loss) const {
        for (Index i = 0; i < out.cols(); ++i) loss[i] = event(out(0, i), target(0, i));
    }
};

/// ℓ = (1/k) Σ_a (o_a − t_a)² over the k output rows (the per-event MSE, Collins et al. 2021, §3.2);
/// ∂ℓ/∂o_a = 2(o_a − t_a)/k.
struct Mse {
    template <class S>
    double accumulate(const ConstMatRef<S>& out, const ConstMatRef<S>& target, const Eigen::Ref<const Vec<S>>& w,
                      double scale, MatRef<S> grad) const {
        const Index k = out.rows();
        const S g = static_cast<S>(2.0 * scale / static_cast<double>(k));
        double total = 0.0;
        for (Index i = 0; i < out.cols(); ++i) {
            double e = 0.0;
            for (Index a = 0; a < k; ++a) {
                const S d = out(a, i) - target(a, i);
                e += static_cast<double>(d) * static_cast<double>(d);
                grad(a, i) = g * w[i] * d;
            }
            total += static_cast<double>(w[i]) * e / static_cast<double>(k);
        }
        return total;
    }

    template <class S>
    void per_event(const ConstMatRef<S>& out, const ConstMatRef<S>& target, Eigen::Ref<Vector> loss) const {
        const Index k = out.rows();
        for (Index i = 0; i < out.cols(); ++i) {
            double e = 0.0;
            for (Index a = 0; a < k; ++a) {
                const double d = static_cast<double>(out(a, i)) - static_cast<double>(target(a, i));
                e += d * d;
            }
            loss[i] = e / static_cast<double>(k);
        }
    }
};

/// Mean loss (1/n) Σ_i w_i ℓ_i of outputs against targets, with its gradient (double precision;
/// for tests and small problems).
template <class Loss>
double loss_and_gradient(const Loss& loss, const Eigen::MatrixXd& out, const Eigen::MatrixXd& target,
                         const Eigen::VectorXd& w, Eigen::MatrixXd& grad) {
    resanom::detail::require(out.rows() == target.rows() && out.cols() == target.cols() && w.size() == out.cols(),
                    "loss_and_gradient: outputs, targets and weights disagree in shape");
    grad.resize(out.rows(), out.cols());
    const double scale = out.cols() > 0 ? 1.0 / static_cast<double>(out.cols()) : 0.0;
    return scale * loss.template accumulate<double>(out, target, w, scale, grad);
}

}  // namespace resanom::nn
