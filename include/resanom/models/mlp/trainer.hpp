// resanom/models/mlp/trainer.hpp — how a dense network (Network<S>) trains in the shared loop of
// models/nn/train_loop.hpp: its training set in network layout, its minibatch gradient, and the
// weighted validation loss.
//
// Parallelism and reproducibility: each minibatch is split into `chunks` fixed column blocks
// (default 2, one per core), each block runs forward and backward on its own Workspace, and the
// block gradients are summed in block order. The split depends on the batch and `chunks` only,
// never on the number of threads, so results are the same bit for bit with 1 or 2 threads.
// Dropout masks come from an Rng seeded per (step, block). Networks with BatchNorm couple the
// events of a minibatch and train it as one block.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/parallel.hpp"
#include "resanom/core/random.hpp"
#include "resanom/models/nn/adam.hpp"
#include "resanom/models/nn/train_loop.hpp"
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

/// Refuses a dataset that does not fit the network.
template <class S>
void check_dataset(const Network<S>& net, const Dataset<S>& d, const std::string& what) {
    resanom::detail::require(d.size() > 0, "train: " + what + " is empty");
    resanom::detail::require(d.X.rows() == net.in_width(), "train: " + what + " has " + std::to_string(d.X.rows()) +
                                                              " features, the network takes " +
                                                              std::to_string(net.in_width()));
    resanom::detail::require(d.T.cols() == d.size() && d.w.size() == d.size() && d.T.rows() == net.out_width(),
                             "train: the targets or weights of " + what + " do not match the events / network output");
}

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
                   const Loss& loss, const TrainOptions& opt, std::uint64_t seed, ThreadPool* pool = nullptr,
                   const ValLoss* val_loss = nullptr) {
    opt.validate();
    resanom::detail::require(net.built(), "train: the network is not built");
    check_dataset(net, train, "the training set");
    if (val != nullptr) check_dataset(net, *val, "the validation set");
    const ValLoss& vloss = val_loss != nullptr ? *val_loss : static_cast<const ValLoss&>(loss);
    const Index n = train.size();
    const double total_w = static_cast<double>(train.w.sum());
    resanom::detail::require(total_w > 0.0, "train: the training events' total weight is zero");

    const Index B = std::min(opt.batch_size, n);
    const Index K = net.batch_coupled() ? 1 : std::min(opt.chunks, B);
    std::vector<Workspace<S>> ws;
    ws.reserve(static_cast<std::size_t>(K));
    for (Index c = 0; c < K; ++c) ws.emplace_back(net, (B + K - 1) / K, net.out_width());
    std::vector<double> chunk_loss(static_cast<std::size_t>(K), 0.0);
    const std::uint64_t dropout_seed = derive_seed(seed, 1);
    double macs = 0.0;
    for (const auto& L : net.layers())
        if (L.spec.kind == LayerKind::dense) macs += static_cast<double>(L.in * L.out);

    // The minibatch gradient: K column blocks, each forward and backward on its own workspace,
    // summed in block order.
    const auto step = [&](const Index* rows, Index nb, std::uint64_t global_step, ThreadPool* p, Vec<S>& grad) {
        const Index k = std::min(K, nb);
        const double scale = 1.0 / static_cast<double>(nb);
        const auto block = [&](Index c, Index begin, Index end) {
            Workspace<S>& w = ws[static_cast<std::size_t>(c)];
            const Index m = end - begin;
            for (Index j = 0; j < m; ++j) {
                const Index e = rows[begin + j];
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
        if (p != nullptr && k > 1)
            p->parallel_chunks(nb, k, block);
        else
            for (Index c = 0; c < k; ++c) block(c, nb * c / k, nb * (c + 1) / k);
        grad = ws[0].gradient;
        double step_loss = chunk_loss[0];
        for (Index c = 1; c < k; ++c) {
            grad += ws[static_cast<std::size_t>(c)].gradient;
            step_loss += chunk_loss[static_cast<std::size_t>(c)];
        }
        return step_loss;
    };
    auto task = make_train_task(
        net, n, val != nullptr, 6.0 * macs * static_cast<double>(B), step,
        [total_w](double sum, Index) { return sum / total_w; }, [](ThreadPool*) {},
        [&](ThreadPool* p) { return evaluate_loss(static_cast<const Network<S>&>(net), *val, vloss, p); });
    std::vector<EpochWeights<S>> kept;
    TrainHistory h = train_epochs(task, adam, opt, derive_seed(seed, 0), pool, kept, "training");
    net.params() = kept.front().params;
    net.state() = kept.front().state;
    return h;
}

}  // namespace resanom::nn
