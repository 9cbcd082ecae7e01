// resanom/models/nn/train_loop.hpp — the minibatch training loop of every resanom network (the
// dense classifier, the autoencoder, the flow): seeded shuffling, the minibatch steps with Adam and
// optional gradient clipping, the validation loss each epoch, early stopping with patience, the
// best epochs' weights kept (one for the classifiers, CATHODE's N best for the flow), and one
// progress report per epoch. The model supplies the minibatch gradient and the validation loss;
// docs/models/mlp.md and docs/models/flow.md describe how each uses it.
//
// Threads: a model's minibatch is split into a fixed number of column blocks whose gradients are
// summed in block order, so results never depend on whether the pool or one thread computes them.
// Which is faster depends on the batch and on how busy the machine is, so unless the work per step
// is large (`always_pool`), each epoch times `probe_steps` steps on one thread and as many on the
// pool (after one warm-up step) and runs the rest of the epoch the faster way.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/parallel.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/types.hpp"
#include "resanom/models/nn/adam.hpp"
#include "resanom/models/nn/tensor.hpp"

namespace resanom::nn {

/// What the progress callback hears after each epoch.
struct EpochReport {
    int epoch = 0;            ///< 1-based
    int max_epochs = 0;
    double train_loss = 0.0;  ///< the epoch's training loss (the model says how it averages)
    double val_loss = std::numeric_limits<double>::quiet_NaN();  ///< NaN without validation set
    bool improved = false;    ///< the validation loss is the best so far (without validation: always)
    double seconds = 0.0;     ///< wall time of the epoch
};

/// The one progress-callback type of every network's training.
using EpochCallback = std::function<void(const EpochReport&)>;

struct TrainOptions {
    int epochs = 100;
    Index batch_size = 128;
    int patience = 0;           ///< stop after this many epochs without improvement (0: never)
    double min_delta = 0.0;     ///< an improvement must lower the validation loss by more than this
    double clip_norm = 0.0;     ///< clip the gradient's Euclidean norm to this (0: off)
    /// Epochs whose weights are kept: 1, the epoch of the last improvement; N > 1, the N epochs of
    /// lowest validation loss (CATHODE's averaging)
    int keep_best = 1;
    Index min_batch = 1;        ///< a last minibatch smaller than this is skipped (batch norm: 2)
    Index chunks = 2;           ///< column blocks per minibatch (parallel units; fixed for reproducibility)
    /// Blocks always run on the pool when a minibatch costs at least this many flops (the model
    /// says what its minibatch costs). Below it (3×64 at batch 128 is ~6.5 Mflop, ~60 µs on one
    /// core) waking a worker may cost more than the second core saves, so the loop probes.
    double parallel_min_flops = 2e7;
    int probe_steps = 16;  ///< minibatches timed each way per epoch (0: below the threshold, one thread)
    EpochCallback progress;  ///< called after every epoch (optional)

    void validate() const {
        const auto req = [](bool ok, const std::string& what) { resanom::detail::require(ok, "training: " + what); };
        req(epochs >= 1, "epochs must be >= 1, got " + std::to_string(epochs));
        req(batch_size >= 1, "batch size must be >= 1, got " + std::to_string(batch_size));
        req(patience >= 0, "patience must be >= 0, got " + std::to_string(patience));
        req(min_delta >= 0.0 && std::isfinite(min_delta), "min_delta must be finite and >= 0");
        req(clip_norm >= 0.0 && std::isfinite(clip_norm), "gradient clip norm must be finite and >= 0");
        req(keep_best >= 1, "keep_best must be >= 1, got " + std::to_string(keep_best));
        req(min_batch >= 1, "min_batch must be >= 1");
        req(chunks >= 1, "chunks must be >= 1");
        req(probe_steps >= 0, "probe_steps must be >= 0");
    }
};

/// What a training run did.
struct TrainHistory {
    std::vector<double> train_loss;     ///< per epoch run
    std::vector<double> val_loss;       ///< per epoch run (empty without validation set)
    std::vector<double> epoch_seconds;  ///< per epoch run
    int epochs_run = 0;
    int best_epoch = 0;                 ///< 1-based epoch of the last improvement (without validation: the last)
    double best_val_loss = std::numeric_limits<double>::quiet_NaN();
    std::vector<int> kept_epochs;       ///< epochs whose weights the model holds (best first)
    bool stopped_early = false;
    double seconds = 0.0;
};

/// The weights of one kept epoch.
template <class S>
struct EpochWeights {
    int epoch = 0;
    double val_loss = 0.0;  ///< without validation: −epoch (the latest epochs rank first)
    Vec<S> params, state;
};

/// What the loop needs of a model: its network (params(), state(), n_params()), the gradient of one
/// minibatch, the training loss of an epoch from the sum of the steps' losses, the validation loss,
/// and what to do at the end of an epoch.
///   step(rows, count, global_step, pool, grad) → the minibatch's loss, grad filled;
///   epoch_loss(sum, steps) → the epoch's training loss;
///   end_epoch(pool) before the validation (the flow sets its batch-norm statistics);
///   val_loss(pool) → the validation loss (called only when has_validation).
template <class Net, class Step, class EpochLoss, class EndEpoch, class ValLoss>
struct TrainTask {
    Net& net;
    Index n_train;
    bool has_validation;
    double flops_per_step;  ///< cost of one full minibatch (decides always_pool)
    Step step;
    EpochLoss epoch_loss;
    EndEpoch end_epoch;
    ValLoss val_loss;
};

template <class Net, class Step, class EpochLoss, class EndEpoch, class ValLoss>
TrainTask<Net, Step, EpochLoss, EndEpoch, ValLoss> make_train_task(Net& net, Index n_train, bool has_validation,
                                                                    double flops_per_step, Step step, EpochLoss epoch_loss,
                                                                    EndEpoch end_epoch, ValLoss val_loss) {
    return {net, n_train, has_validation, flops_per_step, std::move(step), std::move(epoch_loss), std::move(end_epoch),
            std::move(val_loss)};
}

namespace detail_train {

/// Chooses, per minibatch, whether the pool computes it (see the header comment).
class PoolChoice {
public:
    PoolChoice(ThreadPool* pool, bool always, int probe) noexcept
        : pool_(pool != nullptr && pool->size() > 1 ? pool : nullptr), always_(always), probe_(probe) {}

    void new_epoch() noexcept {
        seconds_[0] = seconds_[1] = 0.0;
        use_pool_ = always_;
    }
    /// The pool for step s of the epoch (nullptr: one thread), and whether the step is timed.
    ThreadPool* for_step(Index s, bool& timed) const noexcept {
        timed = probing() && s >= 1 && s <= 2 * probe_;
        if (timed) return s > probe_ ? pool_ : nullptr;
        return use_pool_ ? pool_ : nullptr;
    }
    void timed(Index s, double seconds) noexcept {
        seconds_[s > probe_ ? 1 : 0] += seconds;
        if (s == 2 * probe_) use_pool_ = seconds_[1] < seconds_[0];
    }
    ThreadPool* pool() const noexcept { return pool_; }

private:
    bool probing() const noexcept { return pool_ != nullptr && !always_ && probe_ > 0; }
    ThreadPool* pool_;
    bool always_;
    Index probe_;
    bool use_pool_ = false;
    double seconds_[2] = {0.0, 0.0};
};

/// Keeps the `keep` epochs of lowest validation loss (ties: the earlier epoch), best first.
template <class S>
void keep_epoch(std::vector<EpochWeights<S>>& kept, int keep, int epoch, double score, const Vec<S>& params,
                const Vec<S>& state) {
    const auto better = [](const EpochWeights<S>& a, const EpochWeights<S>& b) {
        return a.val_loss < b.val_loss || (a.val_loss == b.val_loss && a.epoch < b.epoch);
    };
    EpochWeights<S> candidate{epoch, score, {}, {}};
    if (static_cast<int>(kept.size()) == keep && !better(candidate, kept.back())) return;
    if (static_cast<int>(kept.size()) == keep) kept.pop_back();
    candidate.params = params;
    candidate.state = state;
    kept.push_back(std::move(candidate));
    std::sort(kept.begin(), kept.end(), better);
}

}  // namespace detail_train

/// Trains task.net with minibatch Adam for opt.epochs (or until `patience` epochs bring no
/// improvement). Returns the history; `kept` receives the weights of the opt.keep_best epochs of
/// lowest validation loss (without validation: the latest epochs), best first. `who` names the
/// model in error messages. A non-finite training or validation loss is a numeric_error.
template <class S, class Net, class Step, class EpochLoss, class EndEpoch, class ValLoss>
TrainHistory train_epochs(TrainTask<Net, Step, EpochLoss, EndEpoch, ValLoss>& task, Adam<S>& adam,
                          const TrainOptions& opt, std::uint64_t shuffle_seed, ThreadPool* pool,
                          std::vector<EpochWeights<S>>& kept, const std::string& who) {
    opt.validate();
    const Index n = task.n_train;
    resanom::detail::require(n >= opt.min_batch && n > 0, who + ": too few training events (" + std::to_string(n) + ")");
    const auto t_start = std::chrono::steady_clock::now();
    const Index B = std::min(opt.batch_size, n);
    detail_train::PoolChoice choice(pool, task.flops_per_step >= opt.parallel_min_flops, opt.probe_steps);
    Vec<S> grad(task.net.n_params());
    adam.reset(task.net.n_params());
    std::vector<Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Index{0});
    Rng shuffle_rng(shuffle_seed);
    kept.clear();

    TrainHistory h;
    double best = std::numeric_limits<double>::infinity();
    int since_best = 0;
    std::uint64_t global_step = 0;
    for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
        const auto t0 = std::chrono::steady_clock::now();
        shuffle(order.begin(), order.end(), shuffle_rng);
        choice.new_epoch();
        double loss_sum = 0.0;
        Index steps = 0;
        for (Index b0 = 0; b0 < n; b0 += B, ++global_step, ++steps) {
            const Index nb = std::min(B, n - b0);
            if (nb < opt.min_batch) break;
            bool timed = false;
            ThreadPool* step_pool = choice.for_step(steps, timed);
            const auto ts = std::chrono::steady_clock::now();
            const double loss = task.step(order.data() + b0, nb, global_step, step_pool, grad);
            if (timed) choice.timed(steps, std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count());
            if (!std::isfinite(loss))
                throw numeric_error(who + ": the loss became non-finite at epoch " + std::to_string(epoch) + ", step " +
                                    std::to_string(steps + 1) + " (try a lower learning rate or gradient clipping)");
            loss_sum += loss;
            if (opt.clip_norm > 0.0) clip_gradient_norm<S>(grad, opt.clip_norm);
            adam.step(task.net.params(), grad, step_pool);
        }
        task.end_epoch(choice.pool());
        EpochReport rep;
        rep.epoch = epoch;
        rep.max_epochs = opt.epochs;
        rep.train_loss = task.epoch_loss(loss_sum, steps);
        h.train_loss.push_back(rep.train_loss);
        double score = -static_cast<double>(epoch);
        if (task.has_validation) {
            rep.val_loss = task.val_loss(choice.pool());
            if (!std::isfinite(rep.val_loss))
                throw numeric_error(who + ": the validation loss became non-finite at epoch " + std::to_string(epoch) +
                                    " (try a lower learning rate)");
            h.val_loss.push_back(rep.val_loss);
            score = rep.val_loss;
            rep.improved = rep.val_loss < best - opt.min_delta;  // best: the loss of the last improvement
            if (rep.improved) {
                best = rep.val_loss;
                h.best_epoch = epoch;
                h.best_val_loss = best;
            }
            since_best = rep.improved ? 0 : since_best + 1;
        } else {
            h.best_epoch = epoch;
            rep.improved = true;
        }
        // One kept epoch: the last improvement (Keras' restore_best_weights); N: the N lowest losses.
        if (opt.keep_best > 1 || rep.improved)
            detail_train::keep_epoch(kept, opt.keep_best, epoch, score, task.net.params(), task.net.state());
        rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        h.epoch_seconds.push_back(rep.seconds);
        h.epochs_run = epoch;
        if (opt.progress) opt.progress(rep);
        if (task.has_validation && opt.patience > 0 && since_best >= opt.patience) {
            h.stopped_early = epoch < opt.epochs;
            break;
        }
    }
    for (const auto& k : kept) h.kept_epochs.push_back(k.epoch);
    h.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    return h;
}

}  // namespace resanom::nn
