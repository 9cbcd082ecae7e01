// Benchmarks of the toy generators: the built-in default data must be cheap to make at scale.
#include <benchmark/benchmark.h>

#include "resanom/toys/toys.hpp"

namespace {

void BM_dijet_toy(benchmark::State& state) {
    resanom::toys::DijetToyParams p;
    p.n_bkg = state.range(0);
    p.n_sig = p.n_bkg / 1000;
    for (auto _ : state) benchmark::DoNotOptimize(resanom::toys::dijet_data(p, 1));
    state.SetItemsProcessed(state.iterations() * (p.n_bkg + p.n_sig));
}
BENCHMARK(BM_dijet_toy)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_gaussian_toy(benchmark::State& state) {
    resanom::toys::GaussianToyParams p;
    for (auto _ : state) benchmark::DoNotOptimize(resanom::toys::gaussian_data(p, 1));
    state.SetItemsProcessed(state.iterations() * (p.n_bkg_sr + p.n_bkg_sb + p.n_sig));
}
BENCHMARK(BM_gaussian_toy)->Unit(benchmark::kMillisecond);

}  // namespace
