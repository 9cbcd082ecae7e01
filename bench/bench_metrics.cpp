// Benchmarks of resanom/stats/metrics.hpp: roc_curve, auc and max_sic on 1e4, 1e5 and 1e6 events
// (10 % signal, Gaussian scores separated by one standard deviation, all scores distinct).
#include <benchmark/benchmark.h>

#include "resanom/core/random.hpp"
#include "resanom/stats/metrics.hpp"

namespace {

struct MetricsSample {
    resanom::Vector scores;
    resanom::Vector labels;
};

MetricsSample metrics_sample(resanom::Index n) {
    resanom::Rng rng(42);
    MetricsSample d{resanom::Vector(n), resanom::Vector(n)};
    for (resanom::Index i = 0; i < n; ++i) {
        d.labels[i] = resanom::uniform01(rng) < 0.1 ? 1.0 : 0.0;
        d.scores[i] = resanom::normal(rng) + d.labels[i];
    }
    return d;
}

void BM_roc_curve(benchmark::State& state) {
    const auto d = metrics_sample(state.range(0));
    for (auto _ : state) {
        auto roc = resanom::roc_curve(d.scores, d.labels);
        benchmark::DoNotOptimize(roc.eps_s.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_auc(benchmark::State& state) {
    const auto d = metrics_sample(state.range(0));
    for (auto _ : state) benchmark::DoNotOptimize(resanom::auc(d.scores, d.labels));
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_max_sic(benchmark::State& state) {
    const auto d = metrics_sample(state.range(0));
    for (auto _ : state) benchmark::DoNotOptimize(resanom::max_sic(d.scores, d.labels).sic);
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

}  // namespace

BENCHMARK(BM_roc_curve)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_auc)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_max_sic)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
