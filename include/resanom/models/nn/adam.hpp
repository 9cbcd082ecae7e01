// resanom/models/nn/adam.hpp — the Adam optimizer (Kingma & Ba, arXiv:1412.6980) of every resanom
// network (dense networks, autoencoders, flows) over a flat parameter vector, with L2 weight decay,
// the learning-rate decay of Keras used by Collins et al. 2021, §3.1, and gradient-norm clipping.
//
// Step t (from 1), gradient g (weight decay adds λθ, as torch.optim.Adam does):
//   m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²,
//   lr_t = lr / (1 + decay·(t − 1))            (Keras' "decay": Collins et al. 2021 uses 5e-4)
//   θ ← θ − lr_t/(1 − β1^t) · m / (√v/√(1 − β2^t) + ε)      (PyTorch's form of the bias correction)
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "resanom/core/error.hpp"
#include "resanom/core/parallel.hpp"
#include "resanom/core/types.hpp"
#include "resanom/models/nn/tensor.hpp"

namespace resanom::nn {

struct AdamOptions {
    /// Adam's default; Benkendorfer et al. 2021, §II (Keras default); Golling et al. 2024, §2.3;
    /// Collins et al. 2021, §3.1
    double learning_rate = 1e-3;
    double beta1 = 0.9;           ///< Adam's default (Collins et al. 2021, §3.2); Collins et al. 2021, §3.1, uses 0.8
    double beta2 = 0.999;         ///< Adam's default (Collins et al. 2021, §3.2); Collins et al. 2021, §3.1, uses 0.99
    double epsilon = 1e-7;        ///< Keras' default (Benkendorfer et al. 2021, §II: "Keras and Adam defaults"); PyTorch: 1e-8
    double weight_decay = 0.0;    ///< L2 coefficient λ added to the gradient
    double decay = 0.0;           ///< learning-rate decay per step (Collins et al. 2021, §3.1: 5e-4)

    void validate() const {
        const auto req = [](bool ok, const std::string& what) { resanom::detail::require(ok, "Adam: " + what); };
        req(learning_rate > 0.0 && std::isfinite(learning_rate), "learning rate must be finite and > 0");
        req(beta1 >= 0.0 && beta1 < 1.0, "beta1 must lie in [0, 1)");
        req(beta2 >= 0.0 && beta2 < 1.0, "beta2 must lie in [0, 1)");
        req(epsilon > 0.0 && std::isfinite(epsilon), "epsilon must be finite and > 0");
        req(weight_decay >= 0.0 && std::isfinite(weight_decay), "weight decay must be finite and >= 0");
        req(decay >= 0.0 && std::isfinite(decay), "learning-rate decay must be finite and >= 0");
    }
};

template <class S>
class Adam {
public:
    Adam() = default;
    explicit Adam(AdamOptions o) : o_(o) { o_.validate(); }

    /// Clears the moments for a parameter vector of n entries.
    void reset(Index n) {
        m_.setZero(n);
        v_.setZero(n);
        t_ = 0;
    }

    /// One update of params from grad (same layout). No allocation. From `parallel_min_params`
    /// parameters on, the vector updates in fixed pieces, in parallel with a pool of two or more
    /// threads; the result is the same either way.
    void step(Eigen::Ref<Vec<S>> params, const Eigen::Ref<const Vec<S>>& grad, ThreadPool* pool = nullptr) {
        resanom::detail::require(params.size() == m_.size() && grad.size() == m_.size(), "Adam::step: size mismatch (call reset)");
        ++t_;
        const double t = static_cast<double>(t_);
        const double lr = o_.learning_rate / (1.0 + o_.decay * (t - 1.0));
        const double bc1 = 1.0 - std::pow(o_.beta1, t), bc2 = 1.0 - std::pow(o_.beta2, t);
        const Coefficients c{static_cast<S>(o_.beta1),
                             static_cast<S>(o_.beta2),
                             static_cast<S>(1.0 - o_.beta1),
                             static_cast<S>(1.0 - o_.beta2),
                             static_cast<S>(o_.weight_decay),
                             static_cast<S>(lr / bc1),
                             static_cast<S>(1.0 / std::sqrt(bc2)),
                             static_cast<S>(o_.epsilon)};
        const Index n = params.size();
        if (n < parallel_min_params) {
            update(params, grad, c, 0, n);
            return;
        }
        // Pieces of a fixed size whatever the thread count, so that every element goes through the
        // same code (vector body or tail) with one thread or several.
        const Index pieces = (n + piece - 1) / piece;
        const auto run = [&](Index, Index p0, Index p1) {
            for (Index q = p0; q < p1; ++q) update(params, grad, c, q * piece, std::min(piece, n - q * piece));
        };
        if (pool != nullptr && pool->size() > 1)
            pool->parallel_chunks(pieces, std::min<Index>(pieces, static_cast<Index>(pool->size())), run);
        else
            run(0, 0, pieces);
    }

    /// Below this many parameters an update is one piece on one thread (waking a worker costs more).
    static constexpr Index parallel_min_params = Index{1} << 16;
    /// The fixed piece of larger updates (a multiple of every SIMD width).
    static constexpr Index piece = Index{1} << 15;

    std::int64_t steps() const noexcept { return t_; }
    const AdamOptions& options() const noexcept { return o_; }

private:
    struct Coefficients {
        S b1, b2, c1, c2, wd, step, inv_sqrt_bc2, eps;
    };

    // Whole-piece Eigen array expressions rather than a scalar loop: Eigen vectorizes sqrt and the
    // division, which a plain loop over std::sqrt does not get (GCC keeps sqrt scalar while errno
    // may be set).
    void update(Eigen::Ref<Vec<S>>& params, const Eigen::Ref<const Vec<S>>& grad, const Coefficients& c, Index i0,
                Index len) {
        auto p = params.segment(i0, len).array();
        auto m = m_.segment(i0, len).array();
        auto v = v_.segment(i0, len).array();
        if (c.wd != S(0)) {
            const auto g = grad.segment(i0, len).array() + c.wd * p;
            m = c.b1 * m + c.c1 * g;
            v = c.b2 * v + c.c2 * g.square();
        } else {
            const auto g = grad.segment(i0, len).array();
            m = c.b1 * m + c.c1 * g;
            v = c.b2 * v + c.c2 * g.square();
        }
        p -= c.step * m / (v.sqrt() * c.inv_sqrt_bc2 + c.eps);
    }

    AdamOptions o_;
    Vec<S> m_, v_;
    std::int64_t t_ = 0;
};

/// Scales g so that its Euclidean norm is at most max_norm (no-op when max_norm <= 0). Returns
/// the norm before clipping.
template <class S>
double clip_gradient_norm(Eigen::Ref<Vec<S>> g, double max_norm) {
    double ss = 0.0;
    for (Index i = 0; i < g.size(); ++i) ss += static_cast<double>(g[i]) * static_cast<double>(g[i]);
    const double norm = std::sqrt(ss);
    if (max_norm > 0.0 && norm > max_norm) g *= static_cast<S>(max_norm / norm);
    return norm;
}

}  // namespace resanom::nn
