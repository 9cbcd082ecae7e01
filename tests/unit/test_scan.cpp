// Tests of resanom/stats/scan.hpp: local significances over the window layouts of core/regions.hpp,
// the global significance from pseudo-experiments (smaller than the largest local one: the
// look-elsewhere effect), determinism across thread counts, the progress callback, and the
// distribution of the largest local Z of background-only toys.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numbers>
#include <vector>

#include "resanom/core/random.hpp"
#include "resanom/stats/scan.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_scan {

using namespace resanom;

namespace {
Vector background(const std::vector<double>& edges, double p0 = 4e5) {
    Vector p(4);
    p << p0, 10.5, 1.5, 0.1;
    return integrate_bins(edges, FitFunction::dijet4, p, 13.0);
}
Vector fluctuate(const Vector& mu, std::uint64_t seed) {
    Rng rng(seed);
    Vector n(mu.size());
    for (Index i = 0; i < mu.size(); ++i) n[i] = static_cast<double>(poisson(rng, mu[i]));
    return n;
}
}  // namespace

TEST_CASE("local significances: an Asimov background gives Z = 0 in every window of the layout of Collins et al. 2021") {
    const auto edges = log_edges(2.8, 5.2, 30);
    const Histogram h = Histogram::from_counts(edges, background(edges));
    const auto windows = collins2021_windows();
    const auto local = local_significances(h, signal_regions(windows));
    REQUIRE(local.size() == windows.size());
    for (const auto& l : local) {
        CHECK(l.z < 1e-3);
        CHECK(l.n_pred == doctest::Approx(l.n_obs).epsilon(1e-7));
    }
}

TEST_CASE("global significance: a bump's local Z is diluted by the look-elsewhere effect") {
    const auto edges = uniform_edges(2.6, 5.0, 30);
    Vector n = fluctuate(background(edges), 7);
    // Inject ~700 signal events around 3.5 TeV (Gaussian, σ = 0.1 TeV).
    for (Index i = 0; i < n.size(); ++i) {
        const double c = 0.5 * (edges[static_cast<std::size_t>(i)] + edges[static_cast<std::size_t>(i) + 1]);
        n[i] += std::round(700 * 0.08 * std::exp(-0.5 * (c - 3.5) * (c - 3.5) / 0.01) / (0.1 * std::sqrt(2 * std::numbers::pi)));
    }
    const Histogram h = Histogram::from_counts(edges, n);
    const auto windows = scan_windows(2.9, 4.7, 0.4, 0.1);  // 15 windows
    GlobalSignificanceOptions o;
    o.toys = 300;
    o.seed = 42;
    o.threads = 2;
    std::atomic<Index> calls{0};
    Index last = 0;
    o.progress = [&](Index done, Index total) {
        ++calls;
        CHECK(total == 300);
        last = std::max(last, done);
    };
    const auto g = global_significance(h, std::span<const Window>(windows), o);
    CHECK(calls == 300);
    CHECK(last == 300);
    CHECK(g.local.size() == windows.size());
    CHECK(g.max_local_z > 3.0);
    CHECK(std::fabs(g.local[static_cast<std::size_t>(g.max_window)].sr.center() - 3.5) < 0.15);
    CHECK(g.z < g.max_local_z);
    CHECK(g.z > 1.0);
    CHECK(g.toy_max_z.size() == 300);
    CHECK(g.failed_fits == 0);
    CHECK(g.p_value == doctest::Approx((g.exceed + 1.0) / 301.0));

    // The toys run on the shared pool (core/parallel.hpp): no thread is started for them.
    shared_pool(2);
    const long before = resanom_test::threads_now();
    long during = before;
    o.progress = [&](Index, Index) { during = std::max(during, resanom_test::threads_now()); };
    const auto g2 = global_significance(h, std::span<const Window>(windows), o);
    CHECK(g2.toy_max_z == g.toy_max_z);
    if (before > 0) CHECK(during == before);

    // Same seed, one thread: the same toys bit for bit.
    o.threads = 1;
    o.progress = {};
    const auto g1 = global_significance(h, std::span<const Window>(windows), o);
    CHECK(g1.toy_max_z == g.toy_max_z);
    CHECK(g1.z == g.z);
    o.seed = 43;
    CHECK(global_significance(h, std::span<const Window>(windows), o).toy_max_z != g.toy_max_z);
}

TEST_CASE("background-only toys: the largest of several local Z exceeds 2 more often than one window does") {
    const auto edges = uniform_edges(2.6, 5.0, 30);
    const Histogram h = Histogram::from_counts(edges, fluctuate(background(edges), 8));
    std::vector<Interval> srs{{3.0, 3.4}, {3.4, 3.8}, {3.8, 4.2}, {4.2, 4.6}};
    GlobalSignificanceOptions o;
    o.toys = 400;
    const auto g = global_significance(h, std::span<const Interval>(srs), o);
    const double frac2 = static_cast<double>((g.toy_max_z.array() > 2.0).count()) / 400.0;
    // Four windows: between one window's 2.3 % and four independent ones' 8.8 %, within
    // statistics (±3 binomial σ ≈ ±3.5 %).
    CHECK(frac2 > 0.0228 - 0.02);
    CHECK(frac2 < 0.088 + 0.04);
    // Toys with no excess anywhere are rarer than for four independent windows ((1/2)^4): a
    // deficit in one window lowers the fits of its neighbours, whose SRs then look high.
    const double frac0 = static_cast<double>((g.toy_max_z.array() == 0.0).count()) / 400.0;
    CHECK(frac0 < 0.0625 + 0.04);
}

TEST_CASE("global p-values of background-only spectra are calibrated") {
    // 40 background-only "observed" spectra, 99 toys each, three windows (one start per fit for
    // speed). Under the null the global p-value is uniform: mean 1/2 with a standard error of
    // 1/√(12·40) ≈ 0.046; ±0.18 (4 standard errors) is allowed, and no more than 6 of 40 below 0.05
    // (expected 2; P(≥ 7) ≈ 0.005 for Binomial(40, 0.05)).
    const auto edges = uniform_edges(2.6, 5.0, 30);
    const Vector mu = background(edges, 1e5);
    std::vector<Interval> srs{{3.0, 3.4}, {3.4, 3.8}, {3.8, 4.2}};
    GlobalSignificanceOptions o;
    o.toys = 99;
    o.fit.starts = 1;
    double mean = 0.0;
    int small = 0;
    for (int e = 0; e < 40; ++e) {
        o.seed = 1000 + static_cast<std::uint64_t>(e);
        const auto g = global_significance(Histogram::from_counts(edges, fluctuate(mu, 500 + static_cast<std::uint64_t>(e))),
                                           std::span<const Interval>(srs), o);
        mean += g.p_value / 40.0;
        small += g.p_value < 0.05;
    }
    MESSAGE("mean global p-value " << mean << ", " << small << " of 40 below 0.05");
    CHECK(std::fabs(mean - 0.5) < 0.18);
    CHECK(small <= 6);
}

TEST_CASE("bad input") {
    const auto edges = uniform_edges(2.6, 5.0, 30);
    const Histogram h = Histogram::from_counts(edges, background(edges));
    CHECK_THROWS_AS(local_significances(h, std::span<const Interval>()), input_error);
    GlobalSignificanceOptions o;
    o.toys = 0;
    std::vector<Interval> srs{{3.3, 3.7}};
    CHECK_THROWS_AS(global_significance(h, std::span<const Interval>(srs), o), input_error);
    std::vector<Interval> whole{{2.0, 6.0}};
    CHECK_THROWS_AS(local_significances(h, whole), input_error);
}

}  // namespace unit_test_scan
