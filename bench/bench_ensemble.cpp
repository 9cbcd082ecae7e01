// Benchmarks of Ensemble<C> (models/ensemble.hpp) over a classifier and over a scorer: the mean
// prediction of five boosted-tree members on 300k events, and the autoencoder ensemble's fit and
// scores (Collins et al. 2021's recipe at a benchmark's size: ten members, 20 000 events each).
#include <benchmark/benchmark.h>

#include <cmath>

#include "resanom/core/random.hpp"
#include "resanom/models/ensemble.hpp"
#include "resanom/models/hgb/hgb.hpp"
#include "resanom/models/mlp/autoencoder.hpp"

using namespace resanom;

namespace {

Matrix gaussian_features(Index n, Index d, std::uint64_t seed) {
    Rng rng(seed);
    Matrix X(n, d);
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < d; ++j) X(i, j) = normal(rng) + (j > 0 ? 0.5 * X(i, j - 1) : 0.0);
    return X;
}

void BM_HgbEnsemblePredict(benchmark::State& st) {
    const Matrix X = gaussian_features(300000, 8, 1);
    Vector y(X.rows());
    for (Index i = 0; i < X.rows(); ++i) y[i] = X(i, 0) * X(i, 1) + std::sin(X(i, 2)) > 0.3 ? 1.0 : 0.0;
    HgbParams p;
    p.max_iter = 50;
    p.early_stopping = false;
    p.threads = static_cast<unsigned>(st.range(0));
    Ensemble<Hgb> e(Hgb(p), 5, p.threads);
    e.fit(TrainingSet(X.topRows(50000), y.head(50000)), 0);
    for (auto _ : st) {
        Vector s = e.predict(X);
        benchmark::DoNotOptimize(s.data());
    }
    st.SetItemsProcessed(st.iterations() * X.rows());
}
BENCHMARK(BM_HgbEnsemblePredict)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

AutoencoderEnsembleParams ae_params(unsigned threads) {
    AutoencoderEnsembleParams p;
    p.member.hidden = {64, 64};
    p.ensemble = 10;
    p.subsample = 20000;
    p.threads = threads;
    return p;
}

void BM_AutoencoderEnsembleFit(benchmark::State& st) {
    const Matrix X = gaussian_features(100000, 4, 2);
    for (auto _ : st) {
        AutoencoderEnsemble ae(ae_params(static_cast<unsigned>(st.range(0))));
        ae.fit(X, 3);
        benchmark::DoNotOptimize(ae.fvu());
    }
}
BENCHMARK(BM_AutoencoderEnsembleFit)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

void BM_AutoencoderEnsembleScore(benchmark::State& st) {
    const Matrix X = gaussian_features(200000, 4, 4);
    AutoencoderEnsemble ae(ae_params(static_cast<unsigned>(st.range(0))));
    ae.fit(X.topRows(50000), 5);
    for (auto _ : st) {
        Vector s = ae.score(X);
        benchmark::DoNotOptimize(s.data());
    }
    st.SetItemsProcessed(st.iterations() * X.rows());
}
BENCHMARK(BM_AutoencoderEnsembleScore)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
