// examples/cli/search_methods.hpp — how `resanom search` maps its flags onto the library's pipeline
// types: the table of methods (what each needs), the classifier and statistics chosen at run time
// (AnyClassifier, AnyStatistic), and one function per method that builds its pipeline and runs the
// search. Each method's pipeline type is instantiated once.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common.hpp"
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
#include "resanom/search/search.hpp"
#include "resanom/stats/bump_hunt.hpp"
#include "resanom/stats/direct_estimate.hpp"

namespace resanom::cli {

/// The flags of `resanom search` (defaults as docs/cli.md documents them, or the papers').
struct SearchFlags {
    CommonOptions common;
    std::string data, m_col = "0", features;
    std::optional<long long> label_col;
    std::string method = "cwola";
    std::string combine, combine_level = "sample";
    std::vector<std::string> sim;
    std::string sr, windows;
    double sb_width = Window::default_sb_width, long_sb_width = Window::default_long_sb_width;
    std::string classifier = "hgb";
    std::optional<int> ensemble;  ///< classifiers per fold (10; Das et al. 2024 uses 50), or autoencoders for ae (50)
    int folds = 5;       ///< Das et al. 2024, §2.1; Collins et al. 2021, §3.1
    double lambda = 1.0;  ///< Benkendorfer et al. 2021, eq. 2.3
    int oversampling = 4;  ///< Das et al. 2024, §2.2.3
    int flow_epochs = 100, flow_blocks = 15, flow_hidden = 128;  ///< the CATHODE reference configuration
    std::string ae_latent = "2";  ///< ae: the latent size, or "fvu" (Collins et al. 2021, App. C)
    double class_balance = 0.149;                                 ///< Chen et al. 2023, App. E.1
    std::string statistic = "auto";  ///< direct when the method has a template, else bumphunt
    std::string eps_b = "1e-2,1e-3,1e-4";
    std::optional<double> delta_sys;
    std::string delta_sys_from, test, out;
    bool delta_sys_sb = false;              ///< CATHODE: δ_sys^SB from the data's sidebands (Das et al. 2024, §3.2)
    std::optional<std::string> sigma_sys;   ///< the σ_sys rule with --delta-sys-from / --delta-sys-sb
};

/// --ensemble as given, else 50 autoencoders for ae (Collins et al. 2021, §3.2) and 10 classifiers per fold
/// for the weakly supervised methods (Das et al. 2024 uses 50; docs/cli.md says why 10).
inline int ensemble_size(const SearchFlags& o) { return o.ensemble.value_or(o.method == "ae" ? 50 : 10); }

/// Whether a cut on the method's classifier sculpts the selected m spectrum where the features
/// follow m (bump_hunt_sculpting says how, docs/validation.md how much).
enum class Sculpting {
    none,
    across_m,  ///< the classifier learns events of different m regions against each other
    flow,      ///< the classifier learns where a flow interpolated from the sidebands misses the SR
};

/// What a method needs.
struct MethodSpec {
    std::string name;
    bool has_template;  ///< a background template: direct estimation possible
    int min_sims, max_sims;  ///< --sim files (max −1: any number)
    bool multi;         ///< one window per resonant column
    std::string what;
    Sculpting sculpting = Sculpting::none;
};

inline const std::vector<MethodSpec>& method_specs() {
    static const std::vector<MethodSpec> specs{
        {"iad", true, 1, 1, false, "SR data vs the ideal background given with --sim (Das et al. 2024, §2.2.1)"},
        {"cwola", true, 0, 0, false, "SR data vs short-sideband data (Benkendorfer et al. 2021, §II.B; Collins et al. 2021, §3.1)", Sculpting::across_m},
        {"cwola-hunting", false, 0, 0, false, "CWoLa with nested cross-validation, top-x% selection and the sideband fit (Collins et al. 2021, §3.1)", Sculpting::across_m},
        {"sa-cwola", false, 1, 1, false, "CWoLa plus simulation with weight --lambda (Benkendorfer et al. 2021, eq. 2.3)", Sculpting::across_m},
        {"salad", true, 1, 1, false, "SR data vs reweighted SR simulation (Benkendorfer et al. 2021, eqs. 2.1-2.2)"},
        {"salad-switch", true, 2, -1, false, "k simulations, k weight functions (Chen et al. 2023, §4.3)"},
        {"multi-salad", true, 2, -1, false, "k simulations combined into one reference, then SALAD (Chen et al. 2023, §4.1)"},
        {"multi-cwola", false, 0, 0, true, "soft labels from k noisy windows via the triplet label model (Chen et al. 2023, §3.1)", Sculpting::across_m},
        {"cwola-intersect", false, 0, 0, true, "Multi-CWoLa baseline: CWoLa on the intersection of the windows (Chen et al. 2023, §3.3)", Sculpting::across_m},
        {"cwola-thresholds", false, 0, 0, true, "Multi-CWoLa baseline: CWoLa with the other thresholded features as inputs", Sculpting::across_m},
        {"cwola-average", false, 0, 0, true, "Multi-CWoLa baseline: the average of k CWoLa classifiers", Sculpting::across_m},
        {"cathode", true, 0, 0, false, "SR data vs samples of a conditional flow learned outside the SR (Golling et al. 2024, Das et al. 2024)", Sculpting::flow},
        {"ae", false, 0, 0, false, "autoencoder ensemble reconstruction error, no training set (Collins et al. 2021, §3.2)"},
        {"combined", true, 0, -1, false, "several methods' templates (--combine) at sample or score level (Golling et al. 2024, §4)"},
    };
    return specs;
}

inline const MethodSpec& method_spec(const std::string& name) {
    for (const auto& s : method_specs())
        if (s.name == name) return s;
    std::string known;
    for (const auto& s : method_specs()) known += (known.empty() ? "" : ", ") + s.name;
    throw usage_error("--method: unknown method '" + name + "' (" + known + ")");
}

inline std::string method_help() {
    std::string h = "The method:";
    for (const auto& s : method_specs()) h += "\n  " + s.name + ": " + s.what;
    return h;
}

/// Everything the builders need besides the flags.
struct MethodContext {
    const SearchFlags& o;
    std::vector<double> eps_b;
    std::optional<MultiWindow> multi;
    std::vector<Window> windows;
    /// Hears each epoch of CATHODE's flow (progress display); optional.
    std::function<void(const FlowEpochReport&)> flow_progress = {};
    /// Hears each trained autoencoder of the AE ensemble (done, ensemble size); optional.
    std::function<void(int, int)> ae_progress = {};
    /// ae: the latent size (--ae-latent, or chosen by the FVU on the data before the search).
    Index ae_latent = 2;
};

namespace detail_search {

inline AnyClassifier make_classifier(const SearchFlags& o) {
    if (o.classifier == "hgb") {
        HgbParams p;   // defaults of Das et al. 2024, App. A.1
        p.threads = o.common.threads;
        return AnyClassifier(Ensemble<Hgb>(Hgb(p), ensemble_size(o), o.common.threads));
    }
    // CWoLa Hunting: the network of Collins et al. 2021, §3.1; the others:
    // Benkendorfer et al. 2021, §II; Golling et al. 2024, §2.3.
    MlpParams p = o.method == "cwola-hunting" ? paper004_cwola_mlp() : MlpParams{};
    p.threads = 1;  // members train in parallel
    return AnyClassifier(Ensemble<MlpClassifier>(MlpClassifier(p), ensemble_size(o), o.common.threads));
}

/// The bump hunt's bins: the 30 log bins of Collins et al. 2021 for its layout; otherwise uniform
/// bins on a grid through every signal region's edges, so that no bin straddles an SR edge: the
/// widest of SR/5, SR/6, …, SR/10, SR/4 (narrowest SR) that puts all edges on the grid (0.08 TeV
/// for one 0.4 TeV window, as the 30 bins of Benkendorfer et al. 2021, §II.C, over 2.6–5.0 TeV;
/// 0.05 TeV for the windows of Das et al. 2024, 0.1 TeV apart), over as many whole bins as fit
/// inside the windows' long sidebands.
inline std::vector<double> bump_edges(const SearchFlags& o, const std::vector<Window>& windows) {
    if (o.windows == "seed004") return log_edges(2.8, 5.2, 30);
    double lo = windows.front().long_sb_low.lo, hi = windows.front().long_sb_high.hi;
    double sr_width = windows.front().sr.hi - windows.front().sr.lo;
    for (const auto& w : windows) {
        lo = std::min(lo, w.long_sb_low.lo);
        hi = std::max(hi, w.long_sb_high.hi);
        sr_width = std::min(sr_width, w.sr.hi - w.sr.lo);
    }
    const double anchor = windows.front().sr.lo;
    auto on_grid = [&](double width) {
        for (const auto& w : windows)
            for (const double edge : {w.sr.lo, w.sr.hi}) {
                const double k = (edge - anchor) / width;
                if (std::fabs(k - std::round(k)) > 1e-6) return false;
            }
        return true;
    };
    double width = sr_width / 5.0;
    for (const int n : {5, 6, 7, 8, 9, 10, 4})
        if (on_grid(sr_width / n)) {
            width = sr_width / n;
            break;
        }
    const auto below = static_cast<long>(std::floor((anchor - lo) / width + 1e-9));
    const auto above = static_cast<long>(std::floor((hi - anchor) / width + 1e-9));
    std::vector<double> edges;
    for (long k = -below; k <= above; ++k) edges.push_back(anchor + static_cast<double>(k) * width);
    return edges;
}

inline std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

/// Whether the method as configured yields a background template for direct estimation:
/// a combination has one at sample level when every member has one, never at score level.
inline bool has_template(const SearchFlags& o, const MethodSpec& spec) {
    if (o.method != "combined") return spec.has_template;
    if (o.combine_level == "score") return false;
    for (const auto& name : split_list(o.combine))
        for (const auto& member : method_specs())
            if (member.name == name && !member.has_template) return false;
    return true;   // (unknown names are refused when the members are built)
}

/// --sigma-sys as used: net unless another rule is asked for (docs/validation.md: the paper's
/// |mean| leaves a local-Z tail several times too heavy where the template's shift differs between
/// windows; rms covers that but counts the reference's noise twice; net subtracts it).
inline std::string sigma_sys_rule(const SearchFlags& o) { return o.sigma_sys.value_or("net"); }
inline SigmaSys sigma_sys_of(const SearchFlags& o) {
    const std::string r = sigma_sys_rule(o);
    return r == "mean" ? SigmaSys::abs_mean : r == "rms" ? SigmaSys::rms : SigmaSys::net;
}

/// Where the direct estimate's systematic shift δ_sys comes from (never an unstated 0).
struct DeltaSysPlan {
    bool ideal = false;      ///< IAD: the template is the true background, δ_sys = 0 (Das et al. 2024, §2.2.1)
    bool given = false;      ///< --delta-sys D
    bool reference = false;  ///< --delta-sys-from: δ_sys^MC on a background-only reference (eqs. 4–5)
    bool sidebands = false;  ///< CATHODE: δ_sys^SB on the data's sidebands (§3.2); with reference, MC⊕SB

    bool any() const noexcept { return ideal || given || reference || sidebands; }
    /// settings.delta_sys_source of report.json.
    std::string name() const {
        if (ideal) return "ideal";
        if (given) return "given";
        if (reference && sidebands) return "reference+sidebands";
        if (reference) return "reference";
        if (sidebands) return "sidebands";
        return "none";
    }
};

/// The δ_sys sources of a search: what the flags name; without any, δ_sys = 0 for the IAD alone and
/// the data's sidebands for CATHODE (Das et al. 2024, §3.2, the data-driven estimate); other
/// methods have none (their direct estimate is refused, auto picks the bump hunt).
inline DeltaSysPlan delta_sys_plan(const SearchFlags& o) {
    DeltaSysPlan p;
    p.given = o.delta_sys.has_value();
    p.reference = !o.delta_sys_from.empty();
    p.sidebands = o.delta_sys_sb;
    if (!p.any()) {
        if (o.method == "iad") p.ideal = true;
        if (o.method == "cathode") p.sidebands = true;
    }
    return p;
}

/// Why the method's bump hunt is not calibrated, or nothing when it is. A classifier that learns
/// from events of different m regions (signal region against sidebands, or windows of several
/// resonant features; SA-CWoLa too, whose simulation term cancels the sidebands' difference only as
/// far as the simulation models it) can tell the regions apart by m itself wherever the features
/// follow m; CATHODE's classifier learns where the flow, interpolated from the sidebands, misses the
/// signal region's data, which again depends on m. A cut on either passes more background in the
/// signal region than around it and sculpts a bump into the selected spectrum: on the
/// LHC-Olympics-like toy two in three background-only CWoLa searches, and five in five CATHODE
/// searches, judged by the bump hunt reach a global 3σ (docs/validation.md). The tool refuses
/// their bump hunt unless the user states the sculpting (--delta-sys D).
inline std::optional<std::string> bump_hunt_sculpting(const SearchFlags& o) {
    const auto reason = [](const std::string& name) -> std::optional<std::string> {
        switch (method_spec(name).sculpting) {
            case Sculpting::across_m:
                return "its classifier learns signal-region against sideband events, so where the features follow "
                       "m its cut sculpts a bump into the spectrum (on the LHC-Olympics-like toy two in three "
                       "background-only searches reach a global 3 sigma, and a background-only reference does not "
                       "correct it well enough";
            case Sculpting::flow:
                return "its classifier learns where the flow interpolated from the sidebands misses the signal "
                       "region's data, so where the features follow m its cut sculpts a bump into the spectrum (on "
                       "the LHC-Olympics-like toy five in five background-only searches reach a global 3 sigma";
            case Sculpting::none: break;
        }
        return std::nullopt;
    };
    if (o.method != "combined") return reason(o.method);
    for (const auto& name : split_list(o.combine))
        if (auto r = reason(name)) return r;
    return std::nullopt;
}

inline std::string effective_statistic(const SearchFlags& o, const MethodSpec& spec) {
    if (o.statistic != "auto") return o.statistic;
    return has_template(o, spec) && o.method != "cwola-hunting" && delta_sys_plan(o).any() ? "direct" : "bumphunt";
}

/// The bump hunt of the search (its shifts aside): the bins of bump_edges, and for cwola-hunting and
/// ae their papers' cuts and fits.
inline BumpHuntConfig bump_config(const MethodContext& ctx) {
    const SearchFlags& o = ctx.o;
    BumpHuntConfig bc;
    bc.edges = bump_edges(o, ctx.windows);
    if (o.method == "cwola-hunting") bc.cut = BumpHuntCut::data;   // Collins et al. 2021, §3.1: the top x % of the data
    if (o.method == "ae") {   // Collins et al. 2021, §4.3: the cut from SR events, a linear fit near the SR
        bc.cut = BumpHuntCut::signal_region;
        bc.fit.function = FitFunction::linear;
        bc.fit_ranges = collins2021_ae_fit_ranges();
    }
    bc.skip_failed_fits = true;   // a too-tight cut must not end the search
    return bc;
}

/// The search's statistic; with `reference_run`, that of the background-only reference's run,
/// which needs the scores only (the direct shifts come from the template's scores).
inline AnyStatistic make_statistic(const MethodContext& ctx, const MethodSpec& spec,
                                   const std::optional<std::vector<SystematicShift>>& shifts, bool reference_run = false) {
    const SearchFlags& o = ctx.o;
    const std::string which = effective_statistic(o, spec);
    DirectEstimateConfig dc;   // no δ_sys unless one is known: the statistic refuses to assume one
    if (o.delta_sys) dc.delta_sys = *o.delta_sys;
    if (delta_sys_plan(o).ideal) dc.delta_sys = 0.0, dc.sigma_sys = 0.0;
    if (shifts) dc.per_eps_b = *shifts;
    BumpHuntConfig bc = bump_config(ctx);
    if (o.delta_sys) bc.delta_sys = *o.delta_sys;   // a given δ_sys shifts the fit's prediction too
    if (reference_run) return AnyStatistic(NoStatistic{});
    if (which == "direct") return AnyStatistic(DirectEstimate(dc));
    if (which == "bumphunt") return AnyStatistic(BumpHunt(bc));
    return AnyStatistic(AllOf<DirectEstimate, BumpHunt>(DirectEstimate(dc), BumpHunt(bc)));
}

/// CATHODE keeps its samples' features for the report's data-vs-samples marginals.
inline PipelineSettings settings(const MethodContext& ctx) {
    return PipelineSettings{ctx.o.folds, ctx.eps_b, ctx.o.method == "cathode"};
}

inline ConditionalMaf make_flow(const MethodContext& ctx) {
    const SearchFlags& o = ctx.o;
    MafParams p;   // the CATHODE reference configuration, flags override
    p.epochs = o.flow_epochs;
    p.blocks = o.flow_blocks;
    p.hidden = o.flow_hidden;
    p.average_best = std::min(10, o.flow_epochs);   // CATHODE averages its 10 best epochs
    p.threads = o.common.threads;
    p.progress = ctx.flow_progress;
    try {
        p.validate();
    } catch (const input_error& e) {
        throw usage_error(std::string("--flow-*: ") + e.what());
    }
    return ConditionalMaf(p);
}

/// The template generator of a method that has one, erased (for --combine).
inline AnyGenerator make_generator(const std::string& name, const MethodContext& ctx) {
    const SearchFlags& o = ctx.o;
    if (name == "iad") return AnyGenerator(Iad{});
    if (name == "cwola") return AnyGenerator(Cwola{});
    if (name == "sa-cwola") return AnyGenerator(SaCwola(SaCwolaParams{o.lambda}));
    if (name == "salad") return AnyGenerator(Salad<MlpClassifier>());
    if (name == "salad-switch") return AnyGenerator(SaladSwitch<MlpClassifier>());
    if (name == "multi-salad") return AnyGenerator(MultiSalad<MlpClassifier>());
    if (name == "cathode") return AnyGenerator(Cathode<ConditionalMaf>(make_flow(ctx), CathodeParams{o.oversampling}));
    throw usage_error("--combine: '" + name + "' cannot be combined (iad, cwola, sa-cwola, salad, salad-switch, "
                      "multi-salad, cathode)");
}


/// The AE ensemble of --method ae: Collins et al. 2021, §3.2, with --ensemble members and the
/// latent size of the context.
inline AutoencoderEnsembleParams ae_params(const MethodContext& ctx) {
    AutoencoderEnsembleParams p;   // Collins et al. 2021, §3.2 defaults
    p.ensemble = ensemble_size(ctx.o);
    p.threads = ctx.o.common.threads;
    p.member.latent = ctx.ae_latent;
    return p;
}

/// --ae-latent: a size ≥ 1, or nullopt for "fvu".
inline std::optional<Index> parse_ae_latent(const std::string& text) {
    if (text == "fvu") return std::nullopt;
    std::size_t used = 0;
    long long v = 0;
    try {
        v = std::stoll(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || text.empty() || v < 1 || v > 64)
        throw usage_error("--ae-latent: '" + text + "' is not fvu or a latent size in [1, 64]");
    return static_cast<Index>(v);
}

/// Runs `f(pipeline)` with the method's pipeline.
template <class F>
auto with_pipeline(const MethodSpec& spec, const MethodContext& ctx, const AnyStatistic& stat, F&& f) {
    const SearchFlags& o = ctx.o;
    const AnyClassifier clf = make_classifier(o);
    const PipelineSettings s = settings(ctx);
    const std::string& m = spec.name;
    if (m == "iad") return f(WeakSupervision<Iad, AnyClassifier, AnyStatistic>({}, clf, stat, s));
    if (m == "cwola") return f(WeakSupervision<Cwola, AnyClassifier, AnyStatistic>({}, clf, stat, s));
    if (m == "cwola-hunting")
        return f(WeakSupervision<Cwola, NestedCvSelect<AnyClassifier>, AnyStatistic>({}, NestedCvSelect<AnyClassifier>(clf),
                                                                                     stat, s));
    if (m == "sa-cwola")
        return f(WeakSupervision<SaCwola, AnyClassifier, AnyStatistic>(SaCwola(SaCwolaParams{o.lambda}), clf, stat, s));
    if (m == "salad") return f(WeakSupervision<Salad<MlpClassifier>, AnyClassifier, AnyStatistic>(Salad<MlpClassifier>(), clf, stat, s));
    if (m == "salad-switch")
        return f(WeakSupervision<SaladSwitch<MlpClassifier>, AnyClassifier, AnyStatistic>(SaladSwitch<MlpClassifier>(), clf, stat, s));
    if (m == "multi-salad")
        return f(WeakSupervision<MultiSalad<MlpClassifier>, AnyClassifier, AnyStatistic>(MultiSalad<MlpClassifier>(), clf, stat, s));
    if (m == "multi-cwola")
        return f(WeakSupervision<MultiCwola, AnyClassifier, AnyStatistic>(MultiCwola(MultiCwolaParams{o.class_balance}),
                                                                          clf, stat, s));
    if (m == "cwola-intersect") return f(WeakSupervision<CwolaIntersect, AnyClassifier, AnyStatistic>({}, clf, stat, s));
    if (m == "cwola-thresholds")
        return f(WeakSupervision<CwolaThresholds, AnyClassifier, AnyStatistic>(CwolaThresholds(*ctx.multi), clf, stat, s));
    if (m == "cwola-average") return f(CwolaAverage<AnyClassifier, AnyStatistic>(clf, stat, s));
    if (m == "cathode")
        return f(WeakSupervision<Cathode<ConditionalMaf>, AnyClassifier, AnyStatistic>(
            Cathode<ConditionalMaf>(make_flow(ctx), CathodeParams{o.oversampling}), clf, stat, s));
    if (m == "ae") {
        AutoencoderEnsembleParams p = ae_params(ctx);
        AutoencoderEnsemble ae(p);
        if (ctx.ae_progress) ae.set_progress(ctx.ae_progress);
        return f(Unsupervised<AutoencoderEnsemble, AnyStatistic>(std::move(ae), stat, s));
    }
    // combined
    const auto names = split_list(o.combine);
    if (names.size() < 2) throw usage_error("--combine: give at least two methods, e.g. cathode,salad");
    std::vector<AnyGenerator> gens;
    for (const auto& n : names) gens.push_back(make_generator(n, ctx));
    if (o.combine_level == "score")
        return f(ScoreCombination<AnyGenerator, AnyClassifier, AnyStatistic>(std::move(gens), clf, stat, s));
    if (o.combine_level != "sample") throw usage_error("--combine-level: '" + o.combine_level + "' is not sample or score");
    if (gens.size() == 2)
        return f(WeakSupervision<CombinedSamples<AnyGenerator, AnyGenerator>, AnyClassifier, AnyStatistic>(
            CombinedSamples<AnyGenerator, AnyGenerator>(gens[0], gens[1]), clf, stat, s));
    if (gens.size() == 3)
        return f(WeakSupervision<CombinedSamples<AnyGenerator, AnyGenerator, AnyGenerator>, AnyClassifier, AnyStatistic>(
            CombinedSamples<AnyGenerator, AnyGenerator, AnyGenerator>(gens[0], gens[1], gens[2]), clf, stat, s));
    throw usage_error("--combine: at most three methods at sample level");
}

}  // namespace detail_search

/// The per-window shifts of a background-only reference (Das et al. 2024, eq. 4), with the
/// method's own pipeline; δ_sys^MC and σ_sys follow by --sigma-sys (ReferenceShift::shift).
inline std::vector<ReferenceShift> run_reference_shifts(const MethodSpec& spec, const MethodContext& ctx,
                                                        const Events& reference, const std::vector<Events>& sims,
                                                        std::uint64_t seed,
                                                        const std::function<void(Index, Index)>& progress,
                                                        const StepObserver& on_step = {}) {
    const AnyStatistic stat = detail_search::make_statistic(ctx, spec, std::nullopt, true);
    return detail_search::with_pipeline(spec, ctx, stat, [&](const auto& p) {
        return measure_reference(p, reference, sims, ctx.windows, ctx.eps_b, seed, true, false, progress, on_step, ctx.multi)
            .direct;
    });
}

/// CATHODE's δ_sys^SB (Das et al. 2024, §3.2) in every window, with the search's flow and classifier.
inline std::vector<ReferenceShift> run_sideband_shifts(const MethodContext& ctx, const Events& data, std::uint64_t seed) {
    const SearchFlags& o = ctx.o;
    const Cathode<ConditionalMaf> cathode(detail_search::make_flow(ctx), CathodeParams{o.oversampling});
    return cathode_sideband_shifts(cathode, detail_search::make_classifier(o), data, ctx.windows, ctx.eps_b, o.folds, seed);
}

/// The search itself.
inline SearchReport run_search(const MethodSpec& spec, const MethodContext& ctx, const Events& data,
                               const std::vector<Events>& sims, const SearchOptions& opt,
                               const std::optional<std::vector<SystematicShift>>& shifts, std::uint64_t seed) {
    const AnyStatistic stat = detail_search::make_statistic(ctx, spec, shifts);
    return detail_search::with_pipeline(spec, ctx, stat,
                                        [&](const auto& p) { return search(p, data, sims, opt, seed); });
}

}  // namespace resanom::cli
