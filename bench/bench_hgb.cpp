// Benchmarks of the histogram gradient-boosted trees (models/hgb): binning, histogram building,
// split finding, tree growth, prediction, and whole fits on the synthetic peer task (b) shape
// (300k events × 8 features). Peer comparisons: bench/peers/hgb_peers.py.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "resanom/core/random.hpp"
#include "resanom/models/ensemble.hpp"
#include "resanom/models/hgb/hgb.hpp"

using namespace resanom;

namespace {

// The synthetic task of bench/peers/hgb_peers.py (b), regenerated with resanom's RNG.
const TrainingSet& synthetic(Index n = 300000) {
    static std::vector<std::pair<Index, TrainingSet>> cache;
    for (auto& [k, t] : cache)
        if (k == n) return t;
    Rng rng(1);
    Matrix X(n, 8);
    Vector y(n);
    for (Index i = 0; i < n; ++i) {
        for (Index j = 0; j < 8; ++j) X(i, j) = normal(rng);
        const double f = X(i, 0) * X(i, 1) + std::sin(2 * X(i, 2)) + 0.5 * X(i, 3) * X(i, 3) - 0.5 -
                         0.7 * X(i, 4) + 0.5 * std::abs(X(i, 5)) * X(i, 6) + 0.3 * X(i, 7);
        y[i] = uniform01(rng) < 1.0 / (1.0 + std::exp(-f)) ? 1.0 : 0.0;
    }
    cache.emplace_back(n, TrainingSet(X, y));
    return cache.back().second;
}

std::vector<hgb::GradHess> gradients(const TrainingSet& t) {
    std::vector<hgb::GradHess> gh(static_cast<std::size_t>(t.size()));
    for (Index i = 0; i < t.size(); ++i) gh[static_cast<std::size_t>(i)] = hgb::event_grad_hess(1.0, t.y[i], 0.0);
    return gh;
}

void BM_HgbBinning(benchmark::State& st) {
    const TrainingSet& t = synthetic();
    ThreadPool& pool = shared_pool(static_cast<unsigned>(st.range(0)));
    for (auto _ : st) {
        hgb::BinMapper m;
        m.fit(t.X, 255, 200000, 0, &pool);
        auto B = m.transform(t.X, &pool);
        benchmark::DoNotOptimize(B.bins.data());
    }
    st.SetItemsProcessed(st.iterations() * t.size());
}
BENCHMARK(BM_HgbBinning)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// Root histogram of 300k events × 8 features (single thread), and of a gathered half of the rows
// (every other event: the access pattern of a deeper node).
void BM_HgbHistogram(benchmark::State& st) {
    const TrainingSet& t = synthetic();
    hgb::BinMapper m;
    m.fit(t.X, 255, 200000, 0);
    const auto B = m.transform(t.X);
    const auto gh = gradients(t);
    const Index stride = st.range(0);
    IndexList rows;
    for (Index i = 0; i < t.size(); i += stride) rows.push_back(i);
    std::vector<hgb::HistBin> hist(static_cast<std::size_t>(8 * hgb::hist_bins));
    for (auto _ : st) {
        std::fill(hist.begin(), hist.end(), hgb::HistBin{});
        hgb::accumulate_histogram(hist.data(), B, gh.data(), rows.data(), static_cast<Index>(rows.size()));
        benchmark::DoNotOptimize(hist.data());
    }
    st.SetItemsProcessed(st.iterations() * static_cast<std::int64_t>(rows.size()));
}
BENCHMARK(BM_HgbHistogram)->Arg(1)->Arg(2)->Arg(8)->Unit(benchmark::kMicrosecond);

// The alternative layout, for the record: column-major bins (one feature's bins contiguous), the
// histogram built feature by feature over the same row list.
void BM_HgbHistogramColumnMajor(benchmark::State& st) {
    const TrainingSet& t = synthetic();
    hgb::BinMapper m;
    m.fit(t.X, 255, 200000, 0);
    const auto B = m.transform(t.X);
    const Index n = t.size(), d = 8;
    std::vector<std::uint8_t> cm(static_cast<std::size_t>(n * d));
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < d; ++j) cm[static_cast<std::size_t>(j * n + i)] = B(i, j);
    const auto gh = gradients(t);
    const Index stride = st.range(0);
    IndexList rows;
    for (Index i = 0; i < n; i += stride) rows.push_back(i);
    std::vector<hgb::HistBin> hist(static_cast<std::size_t>(d * hgb::hist_bins));
    for (auto _ : st) {
        std::fill(hist.begin(), hist.end(), hgb::HistBin{});
        for (Index j = 0; j < d; ++j) {
            const std::uint8_t* col = cm.data() + j * n;
            hgb::HistBin* h = hist.data() + j * hgb::hist_bins;
            for (Index r : rows) {
                hgb::HistBin& e = h[col[r]];
                e.g += gh[static_cast<std::size_t>(r)].g;
                e.h += gh[static_cast<std::size_t>(r)].h;
                ++e.n;
            }
        }
        benchmark::DoNotOptimize(hist.data());
    }
    st.SetItemsProcessed(st.iterations() * static_cast<std::int64_t>(rows.size()));
}
BENCHMARK(BM_HgbHistogramColumnMajor)->Arg(1)->Arg(2)->Arg(8)->Unit(benchmark::kMicrosecond);

void BM_HgbSplitFinding(benchmark::State& st) {
    const TrainingSet& t = synthetic();
    hgb::BinMapper m;
    m.fit(t.X, 255, 200000, 0);
    const auto B = m.transform(t.X);
    const auto gh = gradients(t);
    IndexList rows(static_cast<std::size_t>(t.size()));
    for (Index i = 0; i < t.size(); ++i) rows[static_cast<std::size_t>(i)] = i;
    std::vector<hgb::HistBin> hist(static_cast<std::size_t>(8 * hgb::hist_bins));
    hgb::accumulate_histogram(hist.data(), B, gh.data(), rows.data(), t.size());
    double G = 0, H = 0;
    for (int b = 0; b < hgb::hist_bins; ++b) {
        G += hist[static_cast<std::size_t>(b)].g;
        H += hist[static_cast<std::size_t>(b)].h;
    }
    hgb::GrowerParams p;
    for (auto _ : st) {
        hgb::SplitInfo s;
        for (Index j = 0; j < 8; ++j)
            hgb::best_split_of_feature(hist.data() + j * hgb::hist_bins, m.n_bins(j), static_cast<std::int32_t>(j), G,
                                       H, t.size(), p, s);
        benchmark::DoNotOptimize(s);
    }
}
BENCHMARK(BM_HgbSplitFinding)->Unit(benchmark::kMicrosecond);

// One tree of 31 leaves on 300k × 8.
void BM_HgbGrowTree(benchmark::State& st) {
    const TrainingSet& t = synthetic();
    ThreadPool& pool = shared_pool(static_cast<unsigned>(st.range(0)));
    hgb::BinMapper m;
    m.fit(t.X, 255, 200000, 0);
    const auto B = m.transform(t.X);
    const auto gh = gradients(t);
    hgb::GrowerParams p;
    hgb::TreeGrower g(B, m, p, &pool);
    for (auto _ : st) {
        auto tree = g.grow(gh);
        benchmark::DoNotOptimize(tree.nodes.data());
    }
}
BENCHMARK(BM_HgbGrowTree)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// Peer task (b): 100 rounds, early stopping off.
void BM_HgbFit(benchmark::State& st) {
    const TrainingSet& t = synthetic();
    HgbParams p;
    p.max_iter = 100;
    p.early_stopping = false;
    p.class_weight = ClassWeight::none;
    p.threads = static_cast<unsigned>(st.range(0));
    for (auto _ : st) {
        Hgb m(p);
        m.fit(t, 0);
        benchmark::DoNotOptimize(m.baseline());
    }
}
BENCHMARK(BM_HgbFit)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3);

void BM_HgbPredict(benchmark::State& st) {
    const TrainingSet& t = synthetic();
    HgbParams p;
    p.max_iter = 100;
    p.early_stopping = false;
    p.threads = static_cast<unsigned>(st.range(0));
    Hgb m(p);
    m.fit(t, 0);
    for (auto _ : st) {
        Vector s = m.predict(t.X);
        benchmark::DoNotOptimize(s.data());
    }
    st.SetItemsProcessed(st.iterations() * t.size());
}
BENCHMARK(BM_HgbPredict)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// An ensemble of 10 with early stopping on a 100k-event problem, members in parallel.
void BM_HgbEnsembleFit(benchmark::State& st) {
    const TrainingSet& t = synthetic(100000);
    for (auto _ : st) {
        Ensemble<Hgb> e(Hgb{}, 10, static_cast<unsigned>(st.range(0)));
        e.fit(t, 0);
        benchmark::DoNotOptimize(e.members().data());
    }
}
BENCHMARK(BM_HgbEnsembleFit)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(1);

// The alternative Ensemble does not take, for the record: the same 10 members one after another,
// each with both threads for its own loops (histograms, partitions, gradients).
void BM_HgbEnsembleFitMembersInSequence(benchmark::State& st) {
    const TrainingSet& t = synthetic(100000);
    for (auto _ : st) {
        std::vector<Hgb> members;
        for (std::uint64_t k = 0; k < 10; ++k) {
            HgbParams p;
            p.threads = 2;
            members.emplace_back(p);
            members.back().fit(t, derive_seed(0, k));
        }
        benchmark::DoNotOptimize(members.data());
    }
}
BENCHMARK(BM_HgbEnsembleFitMembersInSequence)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
