// Tests of resanom/search/search.hpp: the window loop, AllOf statistics, ROC/SIC from data truth or
// a test sample, the Bonferroni global significance computed by hand, per-window seeds, errors.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "resanom/search/search.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_search {

using namespace resanom;

namespace {

Events sample(Index n_bkg, Index n_sig, std::uint64_t seed) {
    Rng rng(seed);
    Matrix X(n_bkg + n_sig, 1), m(n_bkg + n_sig, 1);
    Vector t = Vector::Zero(n_bkg + n_sig);
    for (Index i = 0; i < n_bkg + n_sig; ++i) {
        const bool sig = i >= n_bkg;
        X(i, 0) = normal(rng) + (sig ? 3.0 : 0.0);
        m(i, 0) = sig ? uniform(rng, 3.4, 3.6) : uniform(rng, 3.0, 4.0);
        t[i] = sig ? 1.0 : 0.0;
    }
    return Events(X, m, Vector(), t);
}

// SR data vs references[0] in the SR; template = that reference.
struct SrVsRef {
    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t) const {
        const IndexList sr = sr_rows(in.data, in.window);
        const Events ref = in.references[0].subset(sr_rows(in.references[0], in.window));
        GeneratedTemplate g;
        g.training = concat(labelled(in.data.subset(sr), 1.0), labelled(ref, 0.0));
        g.data_row = sr;
        g.data_row.resize(static_cast<std::size_t>(g.training.size()), -1);
        g.background_template = ref;
        return g;
    }
};

// The score is x itself (monotone in the likelihood ratio of the sample): no learning needed.
struct Identity {
    void fit(const TrainingSet&, std::uint64_t) {}
    Vector predict(const Matrix& X) const { return X.col(0); }
};

// A statistic with a fixed p-value per working point, to check the global bound by hand.
struct FixedP {
    double p;
    std::string name;
    std::vector<Significance> evaluate(const StatisticInput& in) const {
        std::vector<Significance> out;
        for (double e : in.eps_b) {
            Significance s;
            s.eps_b = e;
            s.statistic = name;
            s.p_value = p * (in.window.sr.lo > 3.35 ? 0.5 : 1.0);   // the second window: half
            s.z = z_of_p_value(s.p_value);
            out.push_back(s);
        }
        return out;
    }
};

}  // namespace

TEST_CASE("a search over two windows: statistics, metrics from data truth, Bonferroni global Z") {
    const Events data = sample(20000, 200, 1), ref = sample(20000, 0, 2).without_truth();
    const Events refs[] = {ref};
    using Stat = AllOf<FixedP, FixedP>;
    const WeakSupervision<SrVsRef, Identity, Stat> p({}, {}, Stat(FixedP{1e-4, "a"}, FixedP{1e-3, "b"}),
                                                     PipelineSettings{3, {0.1, 0.01}});
    SearchOptions opt;
    opt.windows = {Window::with_sidebands({3.3, 3.7}), Window::with_sidebands({3.4, 3.8})};
    Index calls = 0;
    opt.progress = [&](Index done, Index total) {
        ++calls;
        CHECK(done == calls);
        CHECK(total == 2);
    };
    const SearchReport r = search(p, data, refs, opt, 5);
    CHECK(calls == 2);
    REQUIRE(r.windows.size() == 2);
    for (const auto& w : r.windows) {
        REQUIRE(w.result.significances.size() == 4);   // 2 statistics × 2 working points
        CHECK(w.result.significances[0].statistic == "a");
        CHECK(w.result.significances[3].statistic == "b");
        // x separates signal by 3σ: AUC of N(3,1) vs N(0,1) is Φ(3/√2) = 0.983.
        REQUIRE(w.auc.has_value());
        CHECK(*w.auc == doctest::Approx(0.983).epsilon(0.01));
        REQUIRE(w.max_sic.has_value());
        CHECK(w.sic_at.size() == 3);
    }
    CHECK(r.windows[0].n_sr == static_cast<Index>(sr_rows(data, opt.windows[0]).size()));
    // 8 tests; the smallest p-value is 0.5e-4 (window 2, statistic a).
    CHECK(r.trials == 8);
    CHECK(r.global_p == doctest::Approx(8 * 0.5e-4));
    CHECK(r.global_z == doctest::Approx(z_of_p_value(4e-4)));
    CHECK(r.max_window == 1);
    CHECK(r.max_local_z == doctest::Approx(z_of_p_value(0.5e-4)));

    // A window's result does not depend on the other windows scanned.
    SearchOptions second = opt;
    second.windows = {opt.windows[1]};
    second.progress = {};
    const SearchReport r2 = search(p, data, refs, second, 5);
    CHECK(r2.windows[0].result.data_fold == r.windows[1].result.data_fold);
    CHECK(r2.windows[0].result.data_score == r.windows[1].result.data_score);
    CHECK(window_seed(5, opt.windows[0]) != window_seed(5, opt.windows[1]));
}

TEST_CASE("a labelled test sample gives the metrics; no truth gives none") {
    const Events data = sample(20000, 200, 3), ref = sample(20000, 0, 4).without_truth();
    const Events test = sample(5000, 5000, 6);
    const Events refs[] = {ref};
    const WeakSupervision<SrVsRef, Identity, FixedP> p({}, {}, FixedP{0.5, "a"}, PipelineSettings{3, {0.1}});
    SearchOptions opt;
    opt.windows = {Window::with_sidebands({3.3, 3.7})};
    opt.test = &test;
    const SearchReport r = search(p, data, refs, opt, 1);
    REQUIRE(r.windows[0].auc.has_value());
    CHECK(*r.windows[0].auc == doctest::Approx(0.983).epsilon(0.01));
    CHECK(r.windows[0].result.test_score.size() == test.size());

    opt.test = nullptr;
    const SearchReport none = search(p, data.without_truth(), refs, opt, 1);
    CHECK(!none.windows[0].auc.has_value());
    CHECK(none.windows[0].sic_at.empty());
    // p = 0.5 once: the bound is 0.5, Z = 0.
    CHECK(none.global_p == 0.5);
    CHECK(none.global_z == 0.0);
}

TEST_CASE("search errors: no windows, an empty signal region, a test sample without truth") {
    const Events data = sample(2000, 0, 3), ref = sample(2000, 0, 4);
    const Events refs[] = {ref};
    const WeakSupervision<SrVsRef, Identity, FixedP> p({}, {}, FixedP{0.5, "a"}, PipelineSettings{3, {0.1}});
    SearchOptions opt;
    CHECK_THROWS_WITH_AS(search(p, data, refs, opt, 1), doctest::Contains("no windows"), input_error);
    opt.windows = {Window::with_sidebands({5.0, 5.5})};
    CHECK_THROWS_WITH_AS(search(p, data, refs, opt, 1), doctest::Contains("no data events in the signal region"),
                         input_error);
    opt.windows = {Window::with_sidebands({3.3, 3.7})};
    const Events unlabelled = data.without_truth();
    opt.test = &unlabelled;
    CHECK_THROWS_WITH_AS(search(p, data, refs, opt, 1), doctest::Contains("needs truth"), input_error);
}

TEST_CASE("delta_sys_mc: the signal-free reference run through the method, eqs. 4-5 by hand") {
    const Events reference = sample(30000, 0, 7), bkg_template = sample(30000, 0, 8).without_truth();
    const Events refs[] = {bkg_template};
    const WeakSupervision<SrVsRef, Identity, FixedP> p({}, {}, FixedP{0.5, "a"}, PipelineSettings{3, {0.1}});
    const std::vector<Window> windows{Window::with_sidebands({3.3, 3.7}), Window::with_sidebands({3.5, 3.9})};
    const std::vector<double> eps{0.1, 0.01};
    const auto shifts = delta_sys_mc(p, reference, refs, windows, eps, 3);
    const auto per = reference_shifts(p, reference, refs, windows, eps, 3);
    REQUIRE(shifts.size() == 2);
    REQUIRE(per.size() == 2);
    // The Identity classifier scores x: eq. 4 per window on x (reference_shifts), averaged (eq. 5).
    for (std::size_t e = 0; e < eps.size(); ++e) {
        double sum = 0.0, sum2 = 0.0;
        REQUIRE(per[e].per_window.size() == windows.size());
        for (std::size_t k = 0; k < windows.size(); ++k) {
            const Window& w = windows[k];
            const IndexList sr = sr_rows(reference, w), tr = sr_rows(bkg_template, w);
            const Vector xs = reference.X().col(0)(sr), xt = bkg_template.X().col(0)(tr);
            const double cut = threshold_at_eps_b(xt, Vector::Ones(xt.size()), eps[e]);
            const double real = pass_fraction(xt, Vector::Ones(xt.size()), cut);
            const double n_obs = static_cast<double>((xs.array() >= cut).count());
            const double by_hand = (n_obs - real * static_cast<double>(sr.size())) / (real * static_cast<double>(sr.size()));
            CHECK(per[e].per_window[k] == doctest::Approx(by_hand).epsilon(1e-12));
            sum += by_hand;
            sum2 += by_hand * by_hand;
        }
        CHECK(shifts[e].eps_b == eps[e]);
        CHECK(per[e].eps_b == eps[e]);
        CHECK(shifts[e].delta_sys == doctest::Approx(sum / 2.0).epsilon(1e-12));
        // σ_sys: |δ_sys| by the paper's rule (delta_sys_mc), the RMS of the hand values by the other.
        CHECK(*shifts[e].sigma_sys == doctest::Approx(std::abs(sum / 2.0)).epsilon(1e-12));
        CHECK(*per[e].shift(SigmaSys::rms).sigma_sys == doctest::Approx(std::sqrt(sum2 / 2.0)).epsilon(1e-12));
        // Two samples of one background: the shift is statistical only.
        CHECK(std::abs(shifts[e].delta_sys) < 5.0 / std::sqrt(eps[e] * 12000.0));
        // The expected statistical variance of each shift, 1/(ε N_SR) + 1/(ε N_BT), by hand.
        REQUIRE(per[e].variance.size() == windows.size());
        for (std::size_t k = 0; k < windows.size(); ++k) {
            const IndexList tr = sr_rows(bkg_template, windows[k]);
            const Vector xt = bkg_template.X().col(0)(tr);
            const double real = pass_fraction(xt, Vector::Ones(xt.size()), threshold_at_eps_b(xt, Vector::Ones(xt.size()), eps[e]));
            const auto n_sr = static_cast<double>(sr_rows(reference, windows[k]).size());
            CHECK(per[e].variance[k] == doctest::Approx(1.0 / (real * n_sr) + 1.0 / (real * static_cast<double>(tr.size()))));
        }
        CHECK(per[e].windows == std::vector<Interval>{windows[0].sr, windows[1].sr});
    }
}

TEST_CASE("the global significance counts only tests with a verdict and stays finite far in the tail") {
    // Window 1: one unreached working point and one at Z = 60 (p underflows a double); window 2: a
    // failed fit and Z = 1.
    struct Fixed {
        std::vector<Significance> evaluate(const StatisticInput& in) const {
            const bool first = in.window.sr.lo < 3.35;
            Significance a, b;
            a.status = first ? WorkingPointStatus::unreached : WorkingPointStatus::fit_failed;
            a.z = a.p_value = std::nan("");
            b.z = first ? 60.0 : 1.0;
            b.p_value = p_value_of_z(b.z);
            return {a, b};
        }
    };
    const Events data = sample(4000, 0, 9), ref = sample(4000, 0, 10).without_truth();
    const Events refs[] = {ref};
    const WeakSupervision<SrVsRef, Identity, Fixed> p({}, {}, {}, PipelineSettings{3, {0.1, 0.01}});
    SearchOptions opt;
    opt.windows = {Window::with_sidebands({3.3, 3.7}), Window::with_sidebands({3.4, 3.8})};
    const SearchReport r = search(p, data, refs, opt, 1);
    CHECK(r.trials == 2);
    CHECK(r.max_local_z == 60.0);
    CHECK(r.max_window == 0);
    CHECK(r.global_p == 0.0);   // underflows; its logarithm does not
    CHECK(r.global_log_p == doctest::Approx(std::log(2.0) + log_p_value_of_z(60.0)).epsilon(1e-12));
    CHECK(std::isfinite(r.global_z));
    CHECK(r.global_z == doctest::Approx(z_of_log_p_value(std::log(2.0) + log_p_value_of_z(60.0))).epsilon(1e-9));
    CHECK(r.global_z < 60.0);
    CHECK(r.global_z > 59.9);
}

TEST_CASE("a pipeline with window-independent scores is scored once and judged in every window") {
    struct CountingScorer {
        std::shared_ptr<int> fits = std::make_shared<int>(0);
        void fit(const Matrix&, std::uint64_t) { ++*fits; }
        Vector score(const Matrix& X) const { return X.col(0).array().abs(); }
    };
    struct CountSr {
        std::vector<Significance> evaluate(const StatisticInput& in) const {
            Significance s;
            for (Index i = 0; i < in.data.m.size(); ++i) s.n_obs += in.window.sr.contains(in.data.m[i]);
            s.z = 0.0;
            return {s};
        }
    };
    static_assert(WindowIndependentScores<Unsupervised<CountingScorer, CountSr>>);
    const Events data = sample(3000, 0, 11);
    const CountingScorer scorer;
    const Unsupervised<CountingScorer, CountSr> p(scorer, {}, PipelineSettings{4, {0.1}});
    SearchOptions opt;
    opt.windows = {Window::with_sidebands({3.3, 3.7}), Window::with_sidebands({3.5, 3.9}), Window::with_sidebands({3.1, 3.5})};
    const SearchReport r = search(p, data, {}, opt, 7);
    CHECK(*scorer.fits == 4);   // k scorers, not k per window
    for (std::size_t k = 0; k < 3; ++k) {
        CHECK(r.windows[k].result.data_score == r.windows[0].result.data_score);
        CHECK(r.windows[k].result.window.sr == opt.windows[k].sr);
        CHECK(r.windows[k].result.significances[0].n_obs == static_cast<double>(r.windows[k].n_sr));
    }
    const WindowResult once = p.score_all(PipelineInput{data, {}, opt.windows[0]}, derive_seed(7, 0));
    CHECK(once.data_score == r.windows[1].result.data_score);
}

}  // namespace unit_test_search
