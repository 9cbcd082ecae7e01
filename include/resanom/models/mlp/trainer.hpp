// resanom/models/mlp/trainer.hpp — the minibatch training loop shared by every network model:
// seeded shuffling, Adam, optional gradient clipping, validation loss each epoch, early stopping
// with patience and restoration of the best epoch's weights, and an optional progress callback.
//
// Parallelism and reproducibility: each minibatch is split into `chunks` fixed column blocks
// (default 2, one per core), each block runs forward and backward on its own Workspace, and the
// block gradients are summed in block order. The split depends on the batch and `chunks` only,
// never on the number of threads, so results are the same bit for bit with 1 or 2 threads.
// Dropout masks come from an Rng seeded per (step, block). Networks with BatchNorm couple the
// events of a minibatch and train it as one block.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/parallel.hpp"
#include "resanom/core/random.hpp"
#include "resanom/models/mlp/adam.hpp"
#include "resanom/models/mlp/loss.hpp"
#include "resanom/models/mlp/network.hpp"

namespace resanom::nn {

/// Training events in network layout: X (features × n), targets T (rows × n), weights w (n).
template <class S>
struct Dataset {
    Mat<S> X;
    Mat<S> T;
    Vec<S> w;
    Index size() const noexcept { return X.cols(); }
};

/// What the progress callback hears after each epoch.
struct EpochReport {
    int epoch = 0;            ///< 1-based
    int max_epochs = 0;
    double train_loss = 0.0;  ///< mean weighted loss over the epoch's minibatches
    double val_loss = std::numeric_limits<double>::quiet_NaN();  ///< NaN without validation set
    bool improved = false;    ///< the validation loss is the best so far
    double seconds = 0.0;     ///< wall time of the epoch
};

struct TrainOptions {
    int epochs = 100;
    Index batch_size = 128;
    int patience = 0;           ///< stop after this many epochs without improvement (0: never)
    double min_delta = 0.0;     ///< an improvement must lower the validation loss by more than this
    double clip_norm = 0.0;     ///< clip the gradient's Euclidean norm to this (0: off)
    Index chunks = 2;           ///< column blocks per minibatch (parallel units; fixed for reproducibility)
    /// Blocks always run on the pool when a minibatch costs at least this many flops. Below it
    /// (3×64 at batch 128 is ~6.5 Mflop, ~60 µs on one core) waking a worker may cost more than the
    /// second core saves — on a busy shared machine it costs several times more — so the trainer
    /// times the first `probe_steps` minibatches of every epoch on one thread and the next
    /// `probe_steps` on the pool, and runs the rest of the epoch the faster way. Never changes
    /// results (the split into blocks is fixed), only who computes them.
    double parallel_min_flops = 2e7;
    int probe_steps = 16;  ///< minibatches timed each way per epoch (0: below the threshold, one thread)
    std::function<void(const EpochReport&)> progress;  ///< called after every epoch (optional)

    void validate() const {
        resanom::detail::require(epochs >= 1, "training: epochs must be >= 1, got " + std::to_string(epochs));
        resanom::detail::require(batch_size >= 1, "training: batch size must be >= 1, got " + std::to_string(batch_size));
        resanom::detail::require(patience >= 0, "training: patience must be >= 0, got " + std::to_string(patience));
        resanom::detail::require(min_delta >= 0.0 && std::isfinite(min_delta), "training: min_delta must be finite and >= 0");
        resanom::detail::require(clip_norm >= 0.0 && std::isfinite(clip_norm), "training: gradient clip norm must be finite and >= 0");
        resanom::detail::require(chunks >= 1, "training: chunks must be >= 1");
        resanom::detail::require(probe_steps >= 0, "training: probe_steps must be >= 0");
    }
};

/// What a training run did.
struct TrainHistory {
    std::vector<double> train_loss;  ///< per epoch run
    std::vector<double> val_loss;    ///< per epoch run (empty without validation set)
    int epochs_run = 0;
    int best_epoch = 0;              ///< 1-based epoch whose weights the network holds
    double best_val_loss = std::numeric_limits<double>::quiet_NaN();
    bool stopped_early = false;
    double seconds = 0.0;
};

/// Σ_i w_i ℓ_i / Σ_i w_i over a dataset, in inference mode, in blocks of `block` events.
template <class S, class Loss>
double evaluate_loss(const Network<S>& net, const Dataset<S>& data, const Loss& loss, ThreadPool* pool = nullptr,
                     Index block = 1024) {
    const Index n = data.size();
    resanom::detail::require(n > 0, "evaluate_loss: no events");
    Vector per(n);
    const Index nb = (n + block - 1) / block;
    const Index nthreads = pool != nullptr ? static_cast<Index>(pool->size()) : 1;
    std::vector<Workspace<S>> ws(static_cast<std::size_t>(std::min(nthreads, nb)));
    const auto run = [&](Index c, Index b0, Index b1) {
        auto& w = ws[static_cast<std::size_t>(c)];
        if (w.capacity == 0) w.allocate(net, std::min(block, n));
        for (Index b = b0; b < b1; ++b) {
            const Index s = b * block, m = std::min(block, n - s);
            w.input(m) = data.X.middleCols(s, m);
            forward(net, w, m, Mode::infer);
            loss.template per_event<S>(w.output(m), data.T.middleCols(s, m), per.segment(s, m));
        }
    };
    if (pool != nullptr && ws.size() > 1)
        pool->parallel_chunks(nb, static_cast<Index>(ws.size()), run);
    else
        run(0, 0, nb);
    double num = 0.0, den = 0.0;
    for (Index i = 0; i < n; ++i) {
        num += static_cast<double>(data.w[i]) * per[i];
        den += static_cast<double>(data.w[i]);
    }
    resanom::detail::require(den > 0.0, "evaluate_loss: total weight is zero");
    return num / den;
}

/// Trains `net` (built) on `train` with minibatch Adam. With a validation set, the network ends
/// with the weights of the epoch of lowest validation loss; without, with the last epoch's.
/// `val_loss` (may differ from `loss`, e.g. other class factors) judges the validation set.
template <class S, class Loss, class ValLoss = Loss>
TrainHistory train(Network<S>& net, Adam<S>& adam, const Dataset<S>& train, std::type_identity_t<const Dataset<S>>* val,
                   const Loss& loss,
                   const TrainOptions& opt, std::uint64_t seed, ThreadPool* pool = nullptr,
                   const ValLoss* val_loss = nullptr) {
    opt.validate();
    resanom::detail::require(net.built(), "train: the network is not built");
    const Index n = train.size();
    resanom::detail::require(n > 0, "train: no training events");
    resanom::detail::require(train.X.rows() == net.in_width(), "train: data has " + std::to_string(train.X.rows()) +
                                                          " features, the network takes " +
                                                          std::to_string(net.in_width()));
    resanom::detail::require(train.T.cols() == n && train.w.size() == n && train.T.rows() == net.out_width(),
                    "train: targets or weights do not match the events / network output");
    if (val != nullptr) {
        resanom::detail::require(val->size() > 0, "train: the validation set is empty");
        resanom::detail::require(val->X.rows() == net.in_width() && val->T.rows() == net.out_width() &&
                            val->T.cols() == val->size() && val->w.size() == val->size(),
                        "train: the validation set does not match the network");
    }
    const ValLoss& vloss = val_loss != nullptr ? *val_loss : static_cast<const ValLoss&>(loss);
    const auto t_start = std::chrono::steady_clock::now();

    const Index B = std::min(opt.batch_size, n);
    const Index K = net.batch_coupled() ? 1 : std::min(opt.chunks, B);
    const Index cap = (B + K - 1) / K;
    double macs = 0.0;
    for (const auto& L : net.layers())
        if (L.spec.kind == LayerKind::dense) macs += static_cast<double>(L.in * L.out);
    const bool can_pool = pool != nullptr && pool->size() > 1 && K > 1;
    const bool always_pool = can_pool && 6.0 * macs * static_cast<double>(B) >= opt.parallel_min_flops;
    const bool probing = can_pool && !always_pool && opt.probe_steps > 0;
    bool use_pool = always_pool;  // below the threshold: decided by timing, each epoch
    std::vector<Workspace<S>> ws;
    ws.reserve(static_cast<std::size_t>(K));
    for (Index c = 0; c < K; ++c) ws.emplace_back(net, cap, net.out_width());
    std::vector<double> chunk_loss(static_cast<std::size_t>(K), 0.0);
    Vec<S> grad(net.n_params());
    Vec<S> best_params = net.params(), best_state = net.state();
    adam.reset(net.n_params());

    std::vector<Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Index{0});
    Rng shuffle_rng(derive_seed(seed, 0));
    const std::uint64_t dropout_seed = derive_seed(seed, 1);
    const double total_w = static_cast<double>(train.w.sum());
    resanom::detail::require(total_w > 0.0, "train: the training events' total weight is zero");

    TrainHistory h;
    double best = std::numeric_limits<double>::infinity();
    int since_best = 0;
    std::uint64_t global_step = 0;
    for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
        const auto t0 = std::chrono::steady_clock::now();
        shuffle(order.begin(), order.end(), shuffle_rng);
        double epoch_loss = 0.0;
        double probe_seconds[2] = {0.0, 0.0};  // one thread, pool
        Index step_in_epoch = 0;
        for (Index b0 = 0; b0 < n; b0 += B, ++global_step, ++step_in_epoch) {
            const Index nb = std::min(B, n - b0);
            const Index k = std::min(K, nb);
            const double scale = 1.0 / static_cast<double>(nb);
            const auto block = [&](Index c, Index begin, Index end) {
                Workspace<S>& w = ws[static_cast<std::size_t>(c)];
                const Index m = end - begin;
                for (Index j = 0; j < m; ++j) {
                    const Index e = order[static_cast<std::size_t>(b0 + begin + j)];
                    w.act[0].col(j) = train.X.col(e);
                    w.target.col(j) = train.T.col(e);
                    w.weight[j] = train.w[e];
                }
                Rng drng(derive_seed(dropout_seed, global_step * static_cast<std::uint64_t>(K) + static_cast<std::uint64_t>(c)));
                forward(net, w, m, Mode::train, &drng);
                chunk_loss[static_cast<std::size_t>(c)] =
                    loss.template accumulate<S>(w.output(m), w.target.leftCols(m), w.weight.head(m), scale, w.output_grad(m));
                backward(static_cast<const Network<S>&>(net), w, m);
            };
            const Index probe = probing ? static_cast<Index>(opt.probe_steps) : 0;
            const bool timed = step_in_epoch < 2 * probe;
            const bool on_pool = timed ? step_in_epoch >= probe : use_pool;
            const auto ts = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
            if (on_pool && k > 1)
                pool->parallel_chunks(nb, k, block);
            else
                for (Index c = 0; c < k; ++c) block(c, nb * c / k, nb * (c + 1) / k);
            if (timed) {
                probe_seconds[on_pool ? 1 : 0] +=
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();
                if (step_in_epoch == 2 * probe - 1) use_pool = probe_seconds[1] < probe_seconds[0];
            }
            grad = ws[0].gradient;
            double step_loss = chunk_loss[0];
            for (Index c = 1; c < k; ++c) {
                grad += ws[static_cast<std::size_t>(c)].gradient;
                step_loss += chunk_loss[static_cast<std::size_t>(c)];
            }
            if (!std::isfinite(step_loss))
                throw numeric_error("training: the loss became non-finite at epoch " + std::to_string(epoch) +
                                    " (try a lower learning rate or gradient clipping)");
            epoch_loss += step_loss;
            if (opt.clip_norm > 0.0) clip_gradient_norm<S>(grad, opt.clip_norm);
            adam.step(net.params(), grad);
        }
        EpochReport rep;
        rep.epoch = epoch;
        rep.max_epochs = opt.epochs;
        rep.train_loss = epoch_loss / total_w;
        h.train_loss.push_back(rep.train_loss);
        h.epochs_run = epoch;
        if (val != nullptr) {
            rep.val_loss = evaluate_loss(static_cast<const Network<S>&>(net), *val, vloss, pool);
            if (!std::isfinite(rep.val_loss))
                throw numeric_error("training: the validation loss became non-finite at epoch " + std::to_string(epoch));
            h.val_loss.push_back(rep.val_loss);
            if (rep.val_loss < best - opt.min_delta) {
                best = rep.val_loss;
                best_params = net.params();
                best_state = net.state();
                h.best_epoch = epoch;
                h.best_val_loss = best;
                since_best = 0;
                rep.improved = true;
            } else {
                ++since_best;
            }
        } else {
            h.best_epoch = epoch;
        }
        rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (opt.progress) opt.progress(rep);
        if (val != nullptr && opt.patience > 0 && since_best >= opt.patience) {
            h.stopped_early = epoch < opt.epochs;
            break;
        }
    }
    if (val != nullptr && h.best_epoch > 0) {
        net.params() = best_params;
        net.state() = best_state;
    }
    h.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    return h;
}

}  // namespace resanom::nn
