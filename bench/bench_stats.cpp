// Benchmarks of the statistics layer: one sideband fit of a 30-bin dijet
// spectrum (the layout of Benkendorfer et al. 2021: 2.6–5.0 TeV, SR 3.3–3.7 TeV masked), with and
// without building the fitter; and 1000 background-only pseudo-experiments with a refit per toy on
// 2 threads, for one window and for the nine windows of Das et al. 2024.
#include <benchmark/benchmark.h>

#include <vector>

#include "resanom/core/random.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/stats/dijet_fit.hpp"
#include "resanom/stats/scan.hpp"

namespace {

resanom::Histogram spectrum(double p0 = 4e5) {
    const auto edges = resanom::uniform_edges(2.6, 5.0, 30);
    resanom::Vector p(4);
    p << p0, 10.5, 1.5, 0.1;
    const resanom::Vector mu = resanom::integrate_bins(edges, resanom::FitFunction::dijet4, p, 13.0);
    resanom::Rng rng(1);
    resanom::Vector n(mu.size());
    for (resanom::Index i = 0; i < mu.size(); ++i) n[i] = static_cast<double>(resanom::poisson(rng, mu[i]));
    return resanom::Histogram::from_counts(edges, n);
}

void BM_dijet_fit_30_bins(benchmark::State& state) {
    const auto h = spectrum();
    for (auto _ : state) {
        auto r = resanom::fit_sideband(h, resanom::Interval{3.3, 3.7});
        benchmark::DoNotOptimize(r.n_pred_sr);
    }
}

void BM_dijet_refit_30_bins(benchmark::State& state) {
    const auto h = spectrum();
    const resanom::SidebandFitter fitter(h.edges(), resanom::Interval{3.3, 3.7});
    for (auto _ : state) {
        auto r = fitter.fit(h);
        benchmark::DoNotOptimize(r.n_pred_sr);
    }
}

void BM_dijet_refit_30_bins_one_start(benchmark::State& state) {
    const auto h = spectrum();
    resanom::FitOptions o;
    o.starts = 1;
    const resanom::SidebandFitter fitter(h.edges(), resanom::Interval{3.3, 3.7}, o);
    for (auto _ : state) {
        auto r = fitter.fit(h);
        benchmark::DoNotOptimize(r.n_pred_sr);
    }
}

void BM_dijet_fit_30_bins_least_squares(benchmark::State& state) {
    const auto h = spectrum();
    resanom::FitOptions o;
    o.method = resanom::FitMethod::least_squares;
    const resanom::SidebandFitter fitter(h.edges(), resanom::Interval{3.3, 3.7}, o);
    for (auto _ : state) {
        auto r = fitter.fit(h);
        benchmark::DoNotOptimize(r.n_pred_sr);
    }
}

// 1000 toys, each Poisson-fluctuated from the unmasked background fit and refit per window.
void BM_pseudo_experiments_1000(benchmark::State& state) {
    const auto h = spectrum();
    std::vector<resanom::Interval> srs;
    if (state.range(0) == 1) srs = {{3.3, 3.7}};
    else srs = resanom::signal_regions(resanom::das2024_windows());
    resanom::GlobalSignificanceOptions o;
    o.toys = 1000;
    o.threads = 2;
    for (auto _ : state) {
        auto g = resanom::global_significance(h, std::span<const resanom::Interval>(srs), o);
        benchmark::DoNotOptimize(g.z);
    }
    state.counters["fits_per_s"] = benchmark::Counter(static_cast<double>(1000 * srs.size()) * static_cast<double>(state.iterations()),
                                                      benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_dijet_fit_30_bins)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_dijet_refit_30_bins)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_dijet_refit_30_bins_one_start)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_dijet_fit_30_bins_least_squares)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_pseudo_experiments_1000)->Arg(1)->Arg(9)->Unit(benchmark::kMillisecond)->UseRealTime();
