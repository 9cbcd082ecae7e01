// bench/bench_flow.cpp — kernels of the MAF flow (models/flow) in the CATHODE configuration
// (d = 4 features, k = 1 conditional input, 128 hidden, 15 blocks, batch 256): forward and
// backward of one MADE block on a 128-event chunk, a full training step (forward, batch norm,
// backward, Adam) on one and two threads, one training epoch over 120k events (95k training,
// 24k validation, as on the LHCO SR background) and over the 4.4·10⁵ sideband events of a
// full-size CATHODE search, and drawing 1M samples. bench_peak.cpp measures the peak they are
// compared with.
// Counters: FLOP/s counts 2 flops per multiply-add actually computed (the block-triangular masked
// products; forward 1×, backward 2×). "dense_FLOP/s" counts what a dense implementation (PyTorch's
// masked nn.Linear) computes for the same work.
#include <benchmark/benchmark.h>

#include <vector>

#include "resanom/core/parallel.hpp"
#include "resanom/core/random.hpp"
#include "resanom/models/flow/maf.hpp"

namespace {

using namespace resanom;
using namespace resanom::flow;

const MadeShape kShape{4, 1, 128, 3.0};

Mat<float> random_matrix(Index r, Index c, std::uint64_t seed) {
    Rng rng(seed);
    Mat<float> M(r, c);
    for (Index j = 0; j < c; ++j)
        for (Index i = 0; i < r; ++i) M(i, j) = static_cast<float>(normal(rng));
    return M;
}

void BM_MadeForward(benchmark::State& state) {
    const Index n = state.range(0);
    std::vector<float> p(static_cast<std::size_t>(kShape.n_params()));
    Rng rng(1);
    made_initialize<float>(kShape, p.data(), rng);
    const Mat<float> Z = random_matrix(4, n, 2), M = random_matrix(1, n, 3);
    MadeCache<float> cache;
    cache.allocate(kShape, n);
    Mat<float> o(8, n);
    for (auto _ : state) {
        made_forward<float>(kShape, p.data(), Z, M, cache, o);
        benchmark::DoNotOptimize(cache.u.data());
    }
    state.counters["FLOP/s"] = benchmark::Counter(2.0 * kShape.macs_masked() * static_cast<double>(n),
                                                  benchmark::Counter::kIsIterationInvariantRate);
    state.counters["dense_FLOP/s"] = benchmark::Counter(2.0 * kShape.macs_dense() * static_cast<double>(n),
                                                        benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MadeForward)->Arg(128)->Arg(512);

void BM_MadeBackward(benchmark::State& state) {
    const Index n = state.range(0);
    std::vector<float> p(static_cast<std::size_t>(kShape.n_params())), g(p.size());
    Rng rng(1);
    made_initialize<float>(kShape, p.data(), rng);
    const Mat<float> Z = random_matrix(4, n, 2), M = random_matrix(1, n, 3), dU = random_matrix(4, n, 4);
    MadeCache<float> cache;
    cache.allocate(kShape, n);
    MadeScratch<float> scr;
    scr.allocate(kShape, n);
    made_forward<float>(kShape, p.data(), Z, M, cache, scr.o);
    for (auto _ : state) {
        made_backward<float>(kShape, p.data(), dU, 1.0f / static_cast<float>(n), Z, M, cache, scr, g.data());
        benchmark::DoNotOptimize(g.data());
    }
    state.counters["FLOP/s"] = benchmark::Counter(4.0 * kShape.macs_masked() * static_cast<double>(n),
                                                  benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MadeBackward)->Arg(128)->Arg(512);

// forward + backward of 15 blocks with batch norm on 256 events (no optimizer step)
void BM_FlowTrainStep(benchmark::State& state) {
    const unsigned threads = static_cast<unsigned>(state.range(0));
    FlowShape sh;
    sh.made = kShape;
    FlowNet<float> net(sh, Permutation::reverse, 1);
    const Index B = 256;
    const Mat<float> Z = random_matrix(4, B, 2), M = random_matrix(1, B, 3);
    std::vector<Index> cols(static_cast<std::size_t>(B));
    for (Index i = 0; i < B; ++i) cols[static_cast<std::size_t>(i)] = i;
    auto ws = net.make_train_work(B, 2);
    Vec<float> grad;
    ThreadPool* pool = threads > 1 ? &shared_pool(threads) : nullptr;
    for (auto _ : state) {
        benchmark::DoNotOptimize(net.loss_and_gradient(Z, M, cols.data(), B, ws, grad, pool));
    }
    state.counters["FLOP/s"] = benchmark::Counter(6.0 * kShape.macs_masked() * sh.blocks * static_cast<double>(B),
                                                  benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FlowTrainStep)->Arg(1)->Arg(2)->UseRealTime();

// LHCO-like events: 4 features correlated with m, 120k events
void lhco_like(Index n, Matrix& X, Matrix& m) {
    Rng rng(7);
    X.resize(n, 4);
    m.resize(n, 1);
    for (Index i = 0; i < n; ++i) {
        const double mj = uniform(rng, 3.3, 3.7);
        m(i, 0) = mj;
        X(i, 0) = std::abs(0.1 + 0.05 * (mj - 3.5) + 0.08 * normal(rng));
        X(i, 1) = std::abs(0.2 * X(i, 0) + 0.1 * normal(rng));
        X(i, 2) = std::clamp(0.6 + 0.15 * normal(rng), 0.01, 0.99);
        X(i, 3) = std::clamp(0.5 * X(i, 2) + 0.3 + 0.1 * normal(rng), 0.01, 0.99);
    }
}

// One epoch of the reference flow on n LHCO-like events (80 % training, 20 % validation).
void flow_epoch(benchmark::State& state, Index n, unsigned threads) {
    Matrix X, m;
    lhco_like(n, X, m);
    MafParams p;
    p.epochs = 1;
    p.threads = threads;
    for (auto _ : state) {
        ConditionalMaf f(p);
        f.fit(X, m, 1);
        benchmark::DoNotOptimize(f.history().best_val_loss);
    }
    // training (fwd + bwd) + statistics pass over the training events + validation
    const double train = 0.8 * static_cast<double>(n), val = 0.2 * static_cast<double>(n);
    const double flops = 2.0 * kShape.macs_masked() * 15 * (3.0 * train + train + val);
    state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

// 120k events (96k training, 24k validation, as on the LHCO SR background), one or two threads.
void BM_FlowEpoch(benchmark::State& state) { flow_epoch(state, 120000, static_cast<unsigned>(state.range(0))); }
BENCHMARK(BM_FlowEpoch)->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

// The size of a CATHODE search's sidebands: 4.4·10⁵ events of a 5·10⁵-event dijet search, two threads.
void BM_FlowEpochReference(benchmark::State& state) { flow_epoch(state, 440000, 2); }
BENCHMARK(BM_FlowEpochReference)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

void BM_FlowSample1M(benchmark::State& state) {
    const unsigned threads = static_cast<unsigned>(state.range(0));
    Matrix X, m;
    lhco_like(5000, X, m);
    MafParams p;
    p.epochs = 1;
    p.threads = threads;
    ConditionalMaf f(p);
    f.fit(X, m, 1);
    const Matrix cond = Matrix::Constant(1000000, 1, 3.5);
    for (auto _ : state) {
        Rng rng(2);
        benchmark::DoNotOptimize(f.sample(cond, rng).data());
    }
    state.counters["events/s"] = benchmark::Counter(1e6, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FlowSample1M)->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace
