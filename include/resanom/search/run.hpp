// resanom/search/run.hpp — the whole search of `resanom search` as one call: run_search(config,
// SearchData, SearchObservers) builds the configured method's pipeline, measures δ_sys from a
// background-only reference (and, with it, CATHODE's sidebands), runs every window (search/search.hpp) and
// returns a SearchRun: the report and everything it applied (statistic, δ_sys source and shifts,
// σ_sys rule, bump-hunt configuration, the autoencoder's latent size, the windows' seeds).
// examples/search_config.cpp runs the tool's search in a few lines; docs/search.md explains it.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "resanom/core/events.hpp"
#include "resanom/core/random.hpp"
#include "resanom/methods/any.hpp"
#include "resanom/methods/cathode.hpp"
#include "resanom/methods/combine.hpp"
#include "resanom/methods/cwola.hpp"
#include "resanom/methods/iad.hpp"
#include "resanom/methods/methods.hpp"
#include "resanom/methods/multi_cwola.hpp"
#include "resanom/methods/nested_cv.hpp"
#include "resanom/methods/pipeline.hpp"
#include "resanom/methods/salad.hpp"
#include "resanom/models/ensemble.hpp"
#include "resanom/models/flow/maf.hpp"
#include "resanom/models/hgb/hgb.hpp"
#include "resanom/models/mlp/autoencoder.hpp"
#include "resanom/models/mlp/mlp_classifier.hpp"
#include "resanom/search/config.hpp"
#include "resanom/search/search.hpp"
#include "resanom/stats/bump_hunt.hpp"
#include "resanom/stats/direct_estimate.hpp"

namespace resanom {

/// The events of a search. All share one feature layout; truth, where present, only evaluates.
struct SearchData {
    const Events& data;
    std::span<const Events> references = {};   ///< simulations (SA-CWoLa, SALAD family) or the ideal background (IAD)
    const Events* reference = nullptr;         ///< background-only reference for δ_sys^MC (Das et al. 2024, eqs. 4–5)
    const Events* test = nullptr;              ///< labelled evaluation events for ROC/SIC
};

/// Optional callbacks of a search (from the calling thread unless said otherwise).
struct SearchObservers {
    /// A phase begins: its name ("reference", "sidebands", "windows"), its windows and about how
    /// many steps each takes.
    std::function<void(std::string_view phase, Index windows, Index steps)> phase = {};
    std::function<void(Index done, Index total)> window_done = {};
    StepObserver step = {};                                         ///< template built, fold trained
    std::function<void(const FlowEpochReport&)> flow_epoch = {};    ///< CATHODE's flow
    std::function<void(int done, int total)> autoencoder = {};      ///< ae's members (from worker threads)
    std::function<void(const WindowReport&)> window = {};           ///< each window's report as it completes
};

/// A search's result and what it applied.
struct SearchRun {
    SearchReport report;
    StatisticChoice statistic = StatisticChoice::automatic;   ///< as applied (never automatic)
    DeltaSysSource delta_sys_source = DeltaSysSource::none;   ///< of the direct estimate (none without one)
    std::optional<SigmaSys> sigma_sys = std::nullopt;         ///< the rule applied to measured shifts
    std::vector<ReferenceShift> reference_shifts = {};        ///< δ_sys^MC per working point, per window
    std::vector<ReferenceShift> sideband_shifts = {};         ///< δ_sys^SB per working point, per window
    std::optional<std::vector<SystematicShift>> shifts = {};  ///< the measured shifts the direct estimate used
    BumpHuntConfig bump_hunt = {};                            ///< the bump hunt's configuration
    int ensemble = 0;                                         ///< members per fold (ae: autoencoders)
    std::optional<Index> ae_latent = std::nullopt;            ///< ae: the latent size used
    std::optional<LatentSelection> ae_latent_selection = std::nullopt;   ///< ae: the FVU choice, when made
    /// What the caller should tell the user: a stated δ_sys of 0 where the method does not
    /// guarantee it.
    std::vector<std::string> warnings = {};
};

namespace detail::search_run {

/// What the builders share: the configuration and the callbacks the models hear.
struct Context {
    const SearchConfig& c;
    const SearchObservers& obs;
    Index ae_latent = 2;
    /// CATHODE's densities fitted ahead for δ_sys^SB, which the windows' templates reuse.
    std::vector<CathodeFit<ConditionalMaf>> cathode_fits;
};

template <class = void>  // compiled where run_search is
inline AnyClassifier make_classifier(const SearchConfig& c) {
    if (c.classifier == ClassifierChoice::hgb) {
        HgbParams p = c.hgb;
        p.threads = c.threads;
        return AnyClassifier(Ensemble<Hgb>(Hgb(p), c.ensemble_size(), c.threads));
    }
    MlpParams p = c.mlp_params();
    p.threads = 1;   // members train in parallel
    return AnyClassifier(Ensemble<MlpClassifier>(MlpClassifier(p), c.ensemble_size(), c.threads));
}

template <class = void>  // compiled where run_search is
inline MlpClassifier make_reweighter(const SearchConfig& c) {
    return c.salad_reweighter ? MlpClassifier(*c.salad_reweighter) : salad_default_reweighter<MlpClassifier>();
}

template <class = void>  // compiled where run_search is
inline ConditionalMaf make_flow(const Context& ctx) {
    MafParams p = ctx.c.flow;
    p.average_best = ctx.c.flow_average_best();   // LaCATHODE maps with its best epoch alone
    p.threads = ctx.c.threads;
    if (ctx.obs.flow_epoch) p.progress = ctx.obs.flow_epoch;
    return ConditionalMaf(p);
}

template <class = void>  // compiled where run_search is
inline Cathode<ConditionalMaf> make_cathode(const Context& ctx) {
    const Cathode<ConditionalMaf> cathode(make_flow(ctx), ctx.c.cathode);
    return ctx.cathode_fits.empty() ? cathode : cathode.with_fits(ctx.cathode_fits);
}

template <class = void>  // compiled where run_search is
inline LaCathode<ConditionalMaf> make_lacathode(const Context& ctx) {
    return LaCathode<ConditionalMaf>(make_flow(ctx), ctx.c.cathode);
}

/// The template generator of a method that has one, erased (for combinations).
template <class = void>  // compiled where run_search is
inline AnyGenerator make_generator(Method m, const Context& ctx) {
    const SearchConfig& c = ctx.c;
    switch (m) {
        case Method::iad: return AnyGenerator(Iad{});
        case Method::cwola: return AnyGenerator(Cwola{});
        case Method::sa_cwola: return AnyGenerator(SaCwola(c.sa_cwola));
        case Method::salad: return AnyGenerator(Salad<MlpClassifier>(make_reweighter(c), c.salad));
        case Method::salad_switch: return AnyGenerator(SaladSwitch<MlpClassifier>(make_reweighter(c), c.salad));
        case Method::multi_salad: return AnyGenerator(MultiSalad<MlpClassifier>(make_reweighter(c)));
        case Method::cathode: return AnyGenerator(make_cathode(ctx));
        default: break;
    }
    throw input_error("combine: '" + std::string(to_string(m)) + "' cannot be combined");
}

template <class = void>  // compiled where run_search is
inline AutoencoderEnsembleParams ae_params(const SearchConfig& c, Index latent) {
    AutoencoderEnsembleParams p = c.ae;
    p.ensemble = c.ensemble_size();
    p.threads = c.threads;
    p.member.latent = latent;
    return p;
}

/// The bump hunt of the search (its shifts aside): the layout's or bump_hunt_edges' bins; for
/// cwola-hunting and ae their paper's cuts and fits.
template <class = void>  // compiled where run_search is
inline BumpHuntConfig bump_config(const SearchConfig& c) {
    BumpHuntConfig bc;
    bc.edges = c.bump_edges ? *c.bump_edges : bump_hunt_edges(c.windows);
    if (c.method == Method::cwola_hunting) bc.cut = BumpHuntCut::data;   // Collins et al. 2021, §3.1: the top x % of the data
    if (c.method == Method::ae) {   // Collins et al. 2021, §4.3: the cut from SR events, a linear fit near the SR
        bc.cut = BumpHuntCut::signal_region;
        bc.fit.function = FitFunction::linear;
        bc.fit_ranges = collins2021_ae_fit_ranges();
    }
    if (c.fit_function) bc.fit.function = *c.fit_function;
    bc.skip_failed_fits = true;   // a too-tight cut must not end the search
    return bc;
}

/// The search's statistic.
template <class = void>  // compiled where run_search is
inline AnyStatistic make_statistic(const SearchConfig& c, StatisticChoice which, DeltaSysSource dsys,
                                   const std::optional<std::vector<SystematicShift>>& shifts) {
    if (which == StatisticChoice::none) return AnyStatistic(NoStatistic{});
    DirectEstimateConfig dc;   // no δ_sys unless one is known: the statistic refuses to assume one
    if (c.delta_sys) dc.delta_sys = *c.delta_sys;
    if (dsys == DeltaSysSource::ideal) dc.delta_sys = 0.0, dc.sigma_sys = 0.0;
    if (shifts) dc.per_eps_b = *shifts;
    BumpHuntConfig bc = bump_config(c);
    if (c.delta_sys) bc.delta_sys = *c.delta_sys;   // a given δ_sys shifts the fit's prediction too
    if (which == StatisticChoice::direct) return AnyStatistic(DirectEstimate(dc));
    if (which == StatisticChoice::bumphunt) return AnyStatistic(BumpHunt(bc));
    return AnyStatistic(AllOf<DirectEstimate, BumpHunt>(DirectEstimate(dc), BumpHunt(bc)));
}

/// Runs `f(pipeline)` with the configured method's pipeline.
template <class F>
auto with_pipeline(const Context& ctx, const AnyStatistic& stat, F&& f) {
    const SearchConfig& c = ctx.c;
    const AnyClassifier clf = make_classifier(c);
    // CATHODE keeps its samples' features for the data-vs-samples marginals.
    const PipelineSettings s{c.folds, c.eps_b, c.method == Method::cathode};
    using WS = AnyStatistic;
    switch (c.method) {
        case Method::iad: return f(WeakSupervision<Iad, AnyClassifier, WS>({}, clf, stat, s));
        case Method::cwola: return f(WeakSupervision<Cwola, AnyClassifier, WS>({}, clf, stat, s));
        case Method::cwola_hunting:
            return f(WeakSupervision<Cwola, NestedCvSelect<AnyClassifier>, WS>({}, NestedCvSelect<AnyClassifier>(clf), stat, s));
        case Method::sa_cwola: return f(WeakSupervision<SaCwola, AnyClassifier, WS>(SaCwola(c.sa_cwola), clf, stat, s));
        case Method::salad:
            return f(WeakSupervision<Salad<MlpClassifier>, AnyClassifier, WS>(
                Salad<MlpClassifier>(make_reweighter(c), c.salad), clf, stat, s));
        case Method::salad_switch:
            return f(WeakSupervision<SaladSwitch<MlpClassifier>, AnyClassifier, WS>(
                SaladSwitch<MlpClassifier>(make_reweighter(c), c.salad), clf, stat, s));
        case Method::multi_salad:
            return f(WeakSupervision<MultiSalad<MlpClassifier>, AnyClassifier, WS>(MultiSalad<MlpClassifier>(make_reweighter(c)),
                                                                                 clf, stat, s));
        case Method::multi_cwola:
            return f(WeakSupervision<MultiCwola, AnyClassifier, WS>(MultiCwola(c.multi_cwola), clf, stat, s));
        case Method::cwola_intersect: return f(WeakSupervision<CwolaIntersect, AnyClassifier, WS>({}, clf, stat, s));
        case Method::cwola_thresholds:
            return f(WeakSupervision<CwolaThresholds, AnyClassifier, WS>(CwolaThresholds(*c.multi), clf, stat, s));
        case Method::cwola_average: return f(CwolaAverage<AnyClassifier, WS>(clf, stat, s));
        case Method::cathode: return f(WeakSupervision<Cathode<ConditionalMaf>, AnyClassifier, WS>(make_cathode(ctx), clf, stat, s));
        case Method::lacathode:
            return f(WeakSupervision<LaCathode<ConditionalMaf>, AnyClassifier, WS>(make_lacathode(ctx), clf, stat, s));
        case Method::ae: {
            AutoencoderEnsemble ae(ae_params(c, ctx.ae_latent));
            if (ctx.obs.autoencoder) ae.set_progress(ctx.obs.autoencoder);
            return f(Unsupervised<AutoencoderEnsemble, WS>(std::move(ae), stat, s));
        }
        case Method::combined: break;
    }
    std::vector<AnyGenerator> gens;
    for (Method m : c.combine) gens.push_back(make_generator(m, ctx));
    if (c.combine_level == CombineLevel::score)
        return f(ScoreCombination<AnyGenerator, AnyClassifier, WS>(std::move(gens), clf, stat, s));
    using G = AnyGenerator;
    if (gens.size() == 2)
        return f(WeakSupervision<CombinedSamples<G, G>, AnyClassifier, WS>(CombinedSamples<G, G>(gens[0], gens[1]), clf, stat, s));
    return f(WeakSupervision<CombinedSamples<G, G, G>, AnyClassifier, WS>(CombinedSamples<G, G, G>(gens[0], gens[1], gens[2]),
                                                                          clf, stat, s));
}

template <class = void>  // compiled where run_search is
inline void begin(const SearchObservers& obs, std::string_view phase, Index windows, Index steps) {
    if (obs.phase) obs.phase(phase, windows, steps);
}


}  // namespace detail::search_run

/// Checks that `data` fit the configuration: one resonant feature, or as many as `c.multi` has
/// windows; events in every window's signal region. Throws input_error (run_search calls it; a
/// caller that reads files calls it first to name the file).
inline void check_search_data(const SearchConfig& c, const Events& data) {
    if (c.multi)
        detail::require(c.multi->size() == data.n_resonant(), std::to_string(c.multi->size()) + " windows for " +
                                                                std::to_string(data.n_resonant()) + " resonant features");
    if (!method_info(c.method).multi)
        detail::require(data.n_resonant() == 1, "method " + std::string(to_string(c.method)) +
                                                    " takes one resonant feature, the data have " +
                                                    std::to_string(data.n_resonant()));
    for (const Window& w : c.windows)
        detail::require(!sr_rows(data, w).empty(),
                        "no events in the signal region [" + std::to_string(w.sr.lo) + ", " + std::to_string(w.sr.hi) + ")");
}

/// Runs the search `c` describes on `d` (c.validate() first). Nothing is trained before every
/// setting and every window's signal region has been checked. (A template only so that its body,
/// which instantiates every method's pipeline, is compiled where it is called, not in every file
/// that includes this header; Config is always SearchConfig.)
template <std::same_as<SearchConfig> Config>
SearchRun run_search(const Config& c, const SearchData& d, const SearchObservers& obs = {}) {
    namespace ds = detail::search_run;
    const bool has_reference = d.reference != nullptr;
    c.validate(d.references.size(), has_reference);
    check_search_data(c, d.data);
    SearchRun run;
    run.statistic = c.effective_statistic(has_reference);
    const bool direct = run.statistic == StatisticChoice::direct || run.statistic == StatisticChoice::both;
    const DeltaSysSource dsys = c.delta_sys_source(has_reference);
    run.delta_sys_source = direct || dsys == DeltaSysSource::given ? dsys : DeltaSysSource::none;
    run.ensemble = c.ensemble_size();
    run.bump_hunt = ds::bump_config(c);
    ds::Context ctx{.c = c, .obs = obs, .ae_latent = c.ae.member.latent, .cathode_fits = {}};
    if (c.method == Method::ae) {   // the latent size, given or chosen by the FVU (Collins et al. 2021, App. C)
        if (c.ae_latent_by_fvu) {
            run.ae_latent_selection = select_latent_by_fvu(d.data.X(), ds::ae_params(c, 2), c.ae_latent_selection, c.seed);
            ctx.ae_latent = run.ae_latent_selection->latent;
        }
        run.ae_latent = ctx.ae_latent;
    }
    if (c.delta_sys && *c.delta_sys == 0.0 && c.method != Method::iad && (direct || c.bump_hunt_sculpting()))
        run.warnings.push_back(std::string("a stated δ_sys of 0 with method ") + std::string(to_string(c.method)) + ": the " +
                               (direct ? "direct estimate assumes a perfect background template"
                                       : "bump hunt assumes the cut does not sculpt the spectrum") +
                               ", which this method does not guarantee; its significances are not calibrated");
    const auto n_windows = static_cast<Index>(c.windows.size());
    const Index generator_steps = c.method == Method::ae ? 0 : 1;
    const bool measures_reference = dsys == DeltaSysSource::reference || dsys == DeltaSysSource::reference_and_sidebands;
    const bool measures_sidebands = dsys == DeltaSysSource::reference_and_sidebands;   // alone: refused by validate()
    if (direct && (measures_reference || measures_sidebands)) run.sigma_sys = c.sigma_sys.value_or(SigmaSys::net);
    if (direct && measures_reference) {
        ds::begin(obs, "reference", n_windows, generator_steps + c.folds);
        const AnyStatistic none{NoStatistic{}};   // the reference's run needs the template's scores only
        run.reference_shifts = ds::with_pipeline(ctx, none, [&](const auto& p) {
            return measure_reference(p, *d.reference, d.references, c.windows, c.eps_b, c.seed, true, false, obs.window_done,
                                     obs.step, c.multi)
                .direct;
        });
        run.shifts = systematic_shifts(run.reference_shifts, *run.sigma_sys);
    }
    if (direct && measures_sidebands) {
        ds::begin(obs, "sidebands", n_windows, 1);
        // One density per window, shared by δ_sys^SB and the window's template (Das et al. 2024, §3.2).
        const auto cathode = ds::make_cathode(ctx);
        std::vector<CathodeFit<ConditionalMaf>> fits = cathode_fits(cathode, d.data, c.windows, c.seed);
        run.sideband_shifts = cathode_sideband_shifts(cathode, fits, ds::make_classifier(c), d.data, c.windows, c.eps_b,
                                                      c.folds, c.seed);
        ctx.cathode_fits = std::move(fits);
        const auto sb = systematic_shifts(run.sideband_shifts, *run.sigma_sys);
        run.shifts = run.shifts ? combine_in_quadrature(*run.shifts, sb) : sb;   // Das et al. 2024, §3.2: MC ⊕ SB
    }
    ds::begin(obs, "windows", n_windows, generator_steps + c.folds);
    const SearchOptions opt{.windows = c.windows,
                            .test = d.test,
                            .multi = c.multi,
                            .sic_eps_b = c.eps_b,
                            .progress = obs.window_done,
                            .on_window = obs.window,
                            .on_step = obs.step};
    const AnyStatistic stat = ds::make_statistic(c, run.statistic, dsys, run.shifts);
    run.report = ds::with_pipeline(ctx, stat, [&](const auto& p) { return search(p, d.data, d.references, opt, c.seed); });
    return run;
}

}  // namespace resanom
