// bench/bench_mlp.cpp — kernels of the dense networks (models/mlp): forward, backward and a full
// training step (forward, BCE, backward, Adam) of the 3×64 ReLU classifier of
// Benkendorfer et al. 2021, §II on a minibatch of 128 events with 4 features (the LHCO IAD task of
// bench/peers/mlp_peers.py), single block and split into two blocks on two threads; and one epoch
// of the autoencoder of Collins et al. 2021. Counters: FLOP/s counts 2 flops per multiply-add of
// the GEMMs (forward 1×, backward 2×).
#include <benchmark/benchmark.h>

#include "resanom/core/parallel.hpp"
#include "resanom/core/random.hpp"
#include "resanom/models/nn/adam.hpp"
#include "resanom/models/mlp/loss.hpp"
#include "resanom/models/mlp/network.hpp"
#include "resanom/models/mlp/trainer.hpp"

namespace {

using namespace resanom;
using namespace resanom::nn;

constexpr Index kFeatures = 4;

double macs_per_event(const Network<float>& net) {
    double m = 0;
    for (const auto& L : net.layers())
        if (L.spec.kind == LayerKind::dense) m += static_cast<double>(L.in * L.out);
    return m;
}

Mlp3x64 make_net() {
    Mlp3x64 net;
    net.build(kFeatures, 1);
    return net;
}

void fill(Workspace<float>& ws, Index n) {
    Rng rng(3);
    for (Index j = 0; j < n; ++j)
        for (Index i = 0; i < kFeatures; ++i) ws.act[0](i, j) = static_cast<float>(normal(rng));
    for (Index j = 0; j < n; ++j) {
        ws.target(0, j) = static_cast<float>(j % 2);
        ws.weight[j] = 1.0f;
    }
}

void BM_MlpForward(benchmark::State& state) {
    const Index B = state.range(0);
    Mlp3x64 net = make_net();
    Workspace<float> ws(net, B, 1);
    fill(ws, B);
    for (auto _ : state) {
        forward(static_cast<const Network<float>&>(net), ws, B, Mode::infer);
        benchmark::DoNotOptimize(ws.act.back().data());
    }
    state.counters["FLOP/s"] = benchmark::Counter(2.0 * macs_per_event(net) * static_cast<double>(B),
                                                  benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MlpForward)->Arg(128)->Arg(1024);

void BM_MlpBackward(benchmark::State& state) {
    const Index B = state.range(0);
    Mlp3x64 net = make_net();
    Workspace<float> ws(net, B, 1);
    fill(ws, B);
    forward(net, ws, B, Mode::train);
    BceWithLogits loss;
    loss.accumulate<float>(ws.output(B), ws.target.leftCols(B), ws.weight.head(B), 1.0 / static_cast<double>(B),
                           ws.output_grad(B));
    for (auto _ : state) {
        backward(static_cast<const Network<float>&>(net), ws, B);
        benchmark::DoNotOptimize(ws.gradient.data());
    }
    state.counters["FLOP/s"] = benchmark::Counter(4.0 * macs_per_event(net) * static_cast<double>(B),
                                                  benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MlpBackward)->Arg(128)->Arg(1024);

// One full step on a minibatch of B events split into `chunks` blocks over as many threads.
void BM_MlpTrainStep(benchmark::State& state) {
    const Index B = state.range(0), K = state.range(1);
    Mlp3x64 net = make_net();
    std::vector<Workspace<float>> ws;
    for (Index c = 0; c < K; ++c) {
        ws.emplace_back(net, (B + K - 1) / K, 1);
        fill(ws.back(), (B + K - 1) / K);
    }
    Vec<float> grad(net.n_params());
    Adam<float> adam;
    adam.reset(net.n_params());
    ThreadPool pool(static_cast<unsigned>(K));
    BceWithLogits loss;
    const auto block = [&](Index c, Index b, Index e) {
        auto& w = ws[static_cast<std::size_t>(c)];
        const Index m = e - b;
        forward(net, w, m, Mode::train);
        loss.accumulate<float>(w.output(m), w.target.leftCols(m), w.weight.head(m), 1.0 / static_cast<double>(B),
                               w.output_grad(m));
        backward(static_cast<const Network<float>&>(net), w, m);
    };
    for (auto _ : state) {
        if (K > 1)
            pool.parallel_chunks(B, K, block);
        else
            block(0, 0, B);
        grad = ws[0].gradient;
        for (Index c = 1; c < K; ++c) grad += ws[static_cast<std::size_t>(c)].gradient;
        adam.step(net.params(), grad);
        benchmark::DoNotOptimize(net.params().data());
    }
    state.counters["FLOP/s"] = benchmark::Counter(6.0 * macs_per_event(net) * static_cast<double>(B),
                                                  benchmark::Counter::kIsIterationInvariantRate);
    state.counters["events/s"] = benchmark::Counter(static_cast<double>(B), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MlpTrainStep)->Args({128, 1})->Args({128, 2})->Args({512, 2})->UseRealTime();

// One epoch of 120 000 events (the size of the LHCO IAD task) through train(), batch 128: on one
// thread (1, 0), forced onto two threads (2, 1), and on two threads as the trainer schedules it by
// default (2, 0: one thread or the pool, whichever its timing of the first minibatches finds faster).
void BM_MlpEpoch(benchmark::State& state) {
    const Index n = 120000, K = state.range(0);
    const bool force = state.range(1) != 0;
    Dataset<float> d;
    d.X.resize(kFeatures, n);
    d.T.resize(1, n);
    d.w.setOnes(n);
    Rng rng(5);
    for (Index j = 0; j < n; ++j) {
        for (Index i = 0; i < kFeatures; ++i) d.X(i, j) = static_cast<float>(normal(rng));
        d.T(0, j) = d.X(0, j) * d.X(1, j) > 0 ? 1.0f : 0.0f;
    }
    ThreadPool pool(static_cast<unsigned>(K));
    TrainOptions o;
    o.epochs = 1;
    o.chunks = K;
    if (force) o.parallel_min_flops = 0.0;  // the two-thread path even at batch 128
    Mlp3x64 net = make_net();
    for (auto _ : state) {
        Adam<float> adam;
        train(net, adam, d, nullptr, BceWithLogits(), o, 1, K > 1 ? &pool : nullptr);
    }
    state.counters["FLOP/s"] = benchmark::Counter(6.0 * macs_per_event(net) * static_cast<double>(n),
                                                  benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MlpEpoch)->Args({1, 0})->Args({2, 1})->Args({2, 0})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// One epoch of the Collins et al. 2021 autoencoder (10 → 512 → 512 → 2 → 512 → 512 → 10, BatchNorm) on
// 5 000 events (a tenth of one ensemble member's subsample).
void BM_AutoencoderEpoch(benchmark::State& state) {
    const Index n = 5000, d = 10;
    Dataset<float> data;
    data.X.resize(d, n);
    Rng rng(6);
    for (Index j = 0; j < n; ++j)
        for (Index i = 0; i < d; ++i) data.X(i, j) = static_cast<float>(normal(rng));
    data.T = data.X;
    data.w.setOnes(n);
    Autoencoder004Net net;
    net.build(d, 1);
    TrainOptions o;
    o.epochs = 1;
    for (auto _ : state) {
        Adam<float> adam(AdamOptions{1e-4, 0.9, 0.999, 1e-8, 0.0, 0.0});
        train(net, adam, data, nullptr, Mse(), o, 1);
    }
    double macs = 0;
    for (const auto& L : net.layers())
        if (L.spec.kind == LayerKind::dense) macs += static_cast<double>(L.in * L.out);
    state.counters["FLOP/s"] =
        benchmark::Counter(6.0 * macs * static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_AutoencoderEpoch)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

}  // namespace
