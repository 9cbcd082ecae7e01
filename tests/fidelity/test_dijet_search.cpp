// Fidelity of the weakly supervised methods on the dijet toy (toys/dijet.hpp):
//  * with an injected signal, CATHODE and CWoLa reach a good fraction of the IAD's max SIC in the
//    signal region 3.3–3.7 TeV (Das et al. 2024, Fig. 6 / Golling et al. 2024, §3: data-driven
//    templates approach the idealized detector when the template is good);
//  * background-only searches over a few windows show no local excess above 3σ (Das et al. 2024, §4,
//    Figs. 1, 3, 5 panels (a): without signal the significances scatter around zero): IAD with
//    δ_sys = 0, CWoLa and CATHODE with δ_sys^MC from a background-only reference (eqs. 4–5).
//    (CWoLa judged by the bump hunt is calibrated in docs/validation.md instead: where the jet
//    masses correlate with m_jj a cut on a CWoLa score sculpts a bump into a background-only
//    spectrum, and the tool measures that sculpting on a background-only reference);
//  * the autoencoder ensemble of Collins et al. 2021, §3.2 (small), cut on its score, sculpts no
//    bump into the background-only spectrum (Collins et al. 2021, §4: the AE's fit is unbiased
//    without signal).
//
// Scale (chosen for ~90 s on two shared cores, not the papers'): 100 000 background events over
// 2.4–8 TeV (about 12 000 in the SR) and 800 signal events (S/B ≈ 6 % in the SR, a signal-rich
// setting so that small samples resolve it); HGB classifiers with 60 iterations, 5 folds.
// CATHODE's ConditionalMaf is deliberately small and fast: 4 MADE blocks, 32 hidden units,
// 20 epochs, batch 256, learning rate 1e-3, no epoch averaging (the paper's 15 blocks × 128 ×
// 100 epochs are in examples/golling2024_combination.cpp and examples/das2024_search.cpp).
// The IAD's reference is an independent background-only sample of the same size (a perfect
// simulation). Max SIC uses the data's own truth labels with out-of-fold scores (≥ 25 background
// events). Figures are printed with MESSAGE.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "resanom/core/regions.hpp"
#include "resanom/methods/methods.hpp"
#include "resanom/models/flow/maf.hpp"
#include "resanom/models/mlp/autoencoder.hpp"
#include "resanom/search/search.hpp"
#include "resanom/stats/metrics.hpp"
#include "resanom/toys/dijet.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace fidelity_test_dijet_search {

using namespace resanom;

namespace {

toys::DijetToyParams toy_params(Index n_sig) {
    toys::DijetToyParams p;
    p.n_bkg = 100000;
    p.n_sig = n_sig;
    p.simulations.clear();
    return p;
}

Hgb small_hgb() {
    HgbParams p;
    p.max_iter = 60;
    return Hgb(p);
}

ConditionalMaf small_flow() {
    MafParams p;
    p.blocks = 4;
    p.hidden = 32;
    p.epochs = 20;
    p.batch_size = 256;
    p.learning_rate = 1e-3;
    return ConditionalMaf(p);
}

const Window sr_window = Window::with_sidebands({3.3, 3.7});

template <class G>
double window_max_sic(const G& gen, const Events& data, const std::vector<Events>& refs, std::uint64_t seed) {
    const WeakSupervision<G, Hgb, NoStatistic> p(gen, small_hgb(), NoStatistic{});
    SearchOptions opt;
    opt.windows = {sr_window};
    const SearchReport rep = search(p, data, refs, opt, seed);
    REQUIRE(rep.windows.size() == 1);
    REQUIRE(rep.windows[0].max_sic.has_value());
    return *rep.windows[0].max_sic;
}

}  // namespace

TEST_CASE("dijet toy with signal: CATHODE and CWoLa reach a good fraction of the IAD's max SIC") {
    const Events data = toys::dijet_data(toy_params(800), 31);
    const std::vector<Events> ideal{toys::dijet_data(toy_params(0), 32)};
    const double sic_iad = window_max_sic(Iad{}, data, ideal, 5);
    const double sic_cwola = window_max_sic(Cwola{}, data, {}, 5);
    const double sic_cathode = window_max_sic(Cathode<ConditionalMaf>(small_flow()), data, {}, 5);
    MESSAGE("dijet toy max SIC (SR 3.3-3.7 TeV): IAD " << sic_iad << ", CWoLa " << sic_cwola << ", CATHODE "
                                                        << sic_cathode);
    // The signal is found at all: the IAD clearly above a random cut (SIC 1).
    CHECK(sic_iad > 3.0);
    // "A good fraction": at least half of the idealized detector's max SIC.
    CHECK(sic_cwola > 0.5 * sic_iad);
    CHECK(sic_cathode > 0.5 * sic_iad);
}

TEST_CASE("dijet toy without signal: no local excess above 3 sigma in a search over a few windows") {
    const Events data = toys::dijet_data(toy_params(0), 41);
    const std::vector<Events> ideal{toys::dijet_data(toy_params(0), 42)};
    // Three of the nine windows of Das et al. 2024 (centres 3.3, 3.5, 3.7 TeV) at ε_B = 10 % and 1 %.
    const std::vector<Window> all = das2024_windows();
    SearchOptions opt;
    opt.windows = {all[2], all[4], all[6]};
    const PipelineSettings s{5, {1e-1, 1e-2}};

    SUBCASE("IAD with direct estimation (perfect template, delta_sys = 0)") {
        const WeakSupervision<Iad, Hgb, DirectEstimate> p(Iad{}, small_hgb(), DirectEstimate(idealized_template_shift()), s);
        const SearchReport rep = search(p, data, ideal, opt, 7);
        MESSAGE("background-only IAD search: max local Z " << rep.max_local_z << " over " << rep.trials << " tests");
        CHECK(rep.trials == 6);
        for (const WindowReport& w : rep.windows)
            for (const Significance& z : w.result.significances) {
                CHECK(z.n_obs > 0.0);
                CHECK(z.z < 3.0);
            }
    }
    // CWoLa and CATHODE templates are imperfect (the toy's jet masses correlate with m_jj), so as in
    // Das et al. 2024, §3.1, their δ_sys^MC is measured on a separate background-only reference sample
    // over the same windows and enters σ_sys = |δ_sys| (eqs. 4–5, 8).
    const Events reference = toys::dijet_data(toy_params(0), 43);
    auto check_method = [&](const auto& gen, const char* name) {
        using G = std::decay_t<decltype(gen)>;
        const WeakSupervision<G, Hgb, DirectEstimate> plain(gen, small_hgb(), DirectEstimate{}, s);
        DirectEstimateConfig de;
        de.per_eps_b = delta_sys_mc(plain, reference, {}, opt.windows, s.eps_b, 9);
        REQUIRE(de.per_eps_b.size() == 2);
        const WeakSupervision<G, Hgb, DirectEstimate> p(gen, small_hgb(), DirectEstimate(de), s);
        const SearchReport rep = search(p, data, {}, opt, 7);
        MESSAGE("background-only " << std::string(name) << " search: delta_sys " << de.per_eps_b[0].delta_sys << " (eps_B 0.1), "
                                   << de.per_eps_b[1].delta_sys << " (0.01); max local Z " << rep.max_local_z
                                   << " over " << rep.trials << " tests");
        CHECK(rep.trials == 6);
        for (const WindowReport& w : rep.windows)
            for (const Significance& z : w.result.significances) {
                CHECK(z.n_obs > 0.0);
                CHECK(z.z < 3.0);
            }
    };
    SUBCASE("CWoLa with direct estimation and delta_sys from a background-only reference") {
        check_method(Cwola{}, "CWoLa");
    }
    SUBCASE("CATHODE with direct estimation and delta_sys from a background-only reference") {
        check_method(Cathode<ConditionalMaf>(small_flow()), "CATHODE");
    }
}

TEST_CASE("dijet toy without signal: the autoencoder's bump hunt shows no local excess above 3 sigma") {
    // The AE ensemble of Collins et al. 2021, §3.2, shrunk: 5 members of 64-64-2-64-64, 2 epochs on
    // 20 000-event subsamples, trained 5-fold on the events of the fit range; the bump hunt of
    // Collins et al. 2021, §4 on the x % most anomalous events (x = 10 %, 1 %), in the window of
    // Collins et al. 2021 (collins2021_windows()[6]).
    const Events all = toys::dijet_data(toy_params(0), 51);
    const Events data = all.subset(rows_in(all, Interval{2.8, 5.2}));
    AutoencoderEnsembleParams ap;
    ap.ensemble = 5;
    ap.subsample = 20000;
    ap.member.hidden = {64, 64};
    ap.member.epochs = 2;
    ap.member.adam.learning_rate = 1e-3;
    BumpHuntConfig c = collins2021_bump_hunt().config();
    c.skip_failed_fits = true;
    const Unsupervised<AutoencoderEnsemble, BumpHunt> p(AutoencoderEnsemble(ap), BumpHunt(c), PipelineSettings{5, {1e-1, 1e-2}});
    SearchOptions opt;
    opt.windows = {collins2021_windows()[6]};
    const SearchReport rep = search(p, data, {}, opt, 3);
    MESSAGE("background-only AE bump-hunt search: max local Z " << rep.max_local_z << " over " << rep.trials << " tests");
    REQUIRE(rep.trials == 2);
    for (const Significance& z : rep.windows[0].result.significances) {
        CHECK(std::isfinite(z.z));  // the fit ran
        CHECK(z.z < 3.0);
    }
}

}  // namespace fidelity_test_dijet_search
