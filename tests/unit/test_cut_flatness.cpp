// Guards of every statistic path that fits over m: on a background-only dijet toy whose features do
// not depend on m, the bump hunt's cut must pass the same fraction of events inside the training
// region as outside it. A classifier overfits the events it trains on; if events inside the
// training region and outside were scored by different models (one fold's model for the former,
// the mean of all folds' for the latter), one threshold would pass them at different rates and the
// selected spectrum would jump at the training region's edges — a bump where there is none. The
// pass rates inside and outside are compared with a two-proportion test, per method and cut.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "resanom/methods/methods.hpp"
#include "resanom/models/mlp/autoencoder.hpp"
#include "resanom/stats/bump_hunt.hpp"
#include "resanom/toys/dijet.hpp"
#include "resanom/toys/multi_resonant.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_cut_flatness {

using namespace resanom;

namespace {

// Boosted trees that overfit on purpose (no early stopping, small leaves): the effect the guard
// looks for is then strong, as it was in the searches that found it.
Hgb overfitting_hgb() {
    HgbParams p;
    p.max_iter = 40;
    p.early_stopping = false;
    p.min_samples_leaf = 5;
    p.threads = 1;
    return Hgb(p);
}

const Window window = Window::with_sidebands({3.3, 3.7}, 0.2, 0.5);

struct PassRates {
    double inside = 0.0, outside = 0.0;  ///< selected fractions
    double n_inside = 0.0, n_outside = 0.0;
    double z() const {   // two-proportion z
        const double p = (inside * n_inside + outside * n_outside) / (n_inside + n_outside);
        return (inside - outside) / std::sqrt(p * (1.0 - p) * (1.0 / n_inside + 1.0 / n_outside));
    }
};

/// The pass rates of `cut` at ε_B inside `training` and outside it (within the bump hunt's range),
/// from the bump hunt's own selection of a window's result.
PassRates pass_rates(const WindowResult& r, const Events& data, BumpHuntCut cut, const Interval& training,
                     double eps_b, std::vector<double> edges) {
    BumpHuntConfig c;
    c.edges = std::move(edges);
    c.cut = cut;
    const BumpHunt hunt(c);
    const BumpHuntSelection sel = hunt.select(statistic_input(r, data, {eps_b}), eps_b);
    const Histogram all = make_histogram(c.edges, Vector(data.m(r.window.m_column)));
    PassRates p;
    double pass_in = 0.0, pass_out = 0.0;
    for (Index b = 0; b < all.bins(); ++b) {
        const bool in = training.contains(all.center(b));
        (in ? p.n_inside : p.n_outside) += all.counts()[b];
        (in ? pass_in : pass_out) += sel.spectrum.counts()[b];
    }
    p.inside = pass_in / p.n_inside;
    p.outside = pass_out / p.n_outside;
    return p;
}

void check_flat(const std::string& what, const PassRates& p) {
    INFO(what << ": pass rate inside the training region " << p.inside << " (" << p.n_inside << " events), outside "
              << p.outside << " (" << p.n_outside << "), z = " << p.z());
    CHECK(std::abs(p.z()) < 4.0);
}

Events dijet(Index n, std::uint64_t seed) {
    toys::DijetToyParams p;
    p.n_bkg = n;
    p.n_sig = 0;
    p.set_correlation(0.0);   // features independent of m
    p.simulations.resize(1);
    return toys::dijet_data(p, seed).without_truth();
}

}  // namespace

TEST_CASE("bump-hunt cuts pass the same fraction inside the training region as outside") {
    const Events data = dijet(60000, 11);
    const std::vector<double> edges = uniform_edges(2.6, 5.0, 30);   // whole bins inside and outside [3.1, 3.9)
    const Interval short_region{window.sb_low.lo, window.sb_high.hi};
    const Interval sr_region = window.sr;
    const PipelineSettings s{5, {0.01}};
    const PipelineInput in{data, {}, window};

    SUBCASE("CWoLa, cut on its sideband template") {
        const WindowResult r = WeakSupervision<Cwola, Hgb, NoStatistic>({}, overfitting_hgb(), {}, s).run(in, 3);
        check_flat("cwola", pass_rates(r, data, BumpHuntCut::template_or_data, short_region, 0.01, edges));
    }
    SUBCASE("CWoLa Hunting: the x % of the data, per test fold") {
        const WindowResult r = WeakSupervision<Cwola, NestedCvSelect<Hgb>, NoStatistic>(
                                   {}, NestedCvSelect<Hgb>(overfitting_hgb(), NestedCvParams{4, 1, 0.01}), {}, s)
                                   .run(in, 3);
        check_flat("cwola-hunting", pass_rates(r, data, BumpHuntCut::data, short_region, 0.01, edges));
    }
    SUBCASE("SA-CWoLa and SALAD with a simulation") {
        toys::DijetToyParams p;
        p.n_bkg = 60000;
        p.n_sig = 0;
        p.set_correlation(0.0);
        p.simulations.resize(1);
        const std::vector<Events> sims{toys::dijet_simulation(p, 0, 12)};
        const PipelineInput with_sim{data, sims, window};
        const WindowResult sa = WeakSupervision<SaCwola, Hgb, NoStatistic>({}, overfitting_hgb(), {}, s).run(with_sim, 3);
        check_flat("sa-cwola", pass_rates(sa, data, BumpHuntCut::data, short_region, 0.01, edges));
        const WindowResult salad =
            WeakSupervision<Salad<Hgb>, Hgb, NoStatistic>(Salad<Hgb>(overfitting_hgb()), overfitting_hgb(), {}, s).run(with_sim, 3);
        check_flat("salad", pass_rates(salad, data, BumpHuntCut::template_or_data, sr_region, 0.01, edges));
    }
    SUBCASE("the score-level combination, cut on the data") {
        const std::vector<Events> ideal{dijet(60000, 13)};
        const std::vector<AnyGenerator> gens{AnyGenerator(Cwola{}), AnyGenerator(Iad{})};
        const WindowResult r =
            ScoreCombination<AnyGenerator, Hgb, NoStatistic>(gens, overfitting_hgb(), {}, s).run({data, ideal, window}, 3);
        check_flat("combined (score level)", pass_rates(r, data, BumpHuntCut::data, short_region, 0.01, edges));
    }
    SUBCASE("the autoencoder, cut on the signal region's events") {
        AutoencoderEnsembleParams p;
        p.ensemble = 2;
        p.subsample = 20000;
        p.member.hidden = {16};
        const WindowResult r = Unsupervised<AutoencoderEnsemble, NoStatistic>(AutoencoderEnsemble(p), {}, s).run(in, 3);
        check_flat("ae", pass_rates(r, data, BumpHuntCut::signal_region, sr_region, 0.01, edges));
    }
}

TEST_CASE("CWoLa + average (Multi-CWoLa baseline): flat across its members' training regions") {
    // Three resonant features; the scores of k CWoLa members averaged, each member's training
    // region a window of its own feature. Background only: the cut must be flat in m1.
    toys::MultiResonantToyParams p;
    p.n = 60000;
    p.class_balance = 0.0;
    const Events data = toys::multi_resonant_sample(p, 5).without_truth();
    const MultiWindow mw{std::vector<Interval>(3, Interval{0.4, 0.6})};
    const Window w = Window::with_sidebands({0.4, 0.6}, 0.1, 0.2);
    const WindowResult r =
        CwolaAverage<Hgb, NoStatistic>(overfitting_hgb(), {}, PipelineSettings{5, {0.01}}).run({data, {}, w, mw}, 3);
    check_flat("cwola-average", pass_rates(r, data, BumpHuntCut::data, {0.3, 0.7}, 0.01, uniform_edges(0.0, 1.0, 20)));
}

}  // namespace unit_test_cut_flatness
