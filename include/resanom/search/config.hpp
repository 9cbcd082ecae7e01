// resanom/search/config.hpp — the configuration of a whole search as one validated value
// (SearchConfig: method, classifier and hyperparameters, statistic, windows, working points, δ_sys
// sources, σ_sys rule, seed, threads; validate() throws input_error), the table of methods
// (methods()), the window layouts by name (search_layout) and the bump hunt's default bins.
// run_search (search/run.hpp) runs it; docs/search.md explains what an open field chooses.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/core/types.hpp"
#include "resanom/methods/cathode.hpp"
#include "resanom/methods/lacathode.hpp"
#include "resanom/methods/cwola.hpp"
#include "resanom/methods/methods.hpp"
#include "resanom/methods/multi_cwola.hpp"
#include "resanom/methods/pipeline.hpp"
#include "resanom/methods/salad.hpp"
#include "resanom/models/flow/maf.hpp"
#include "resanom/models/hgb/hgb.hpp"
#include "resanom/models/mlp/autoencoder.hpp"
#include "resanom/models/mlp/mlp_classifier.hpp"
#include "resanom/stats/direct_estimate.hpp"
#include "resanom/stats/dijet_fit.hpp"

namespace resanom {

enum class Method {
    iad, cwola, cwola_hunting, sa_cwola, salad, salad_switch, multi_salad, multi_cwola, cwola_intersect,
    cwola_thresholds, cwola_average, cathode, lacathode, ae, combined
};
enum class ClassifierChoice { hgb, mlp };
/// automatic: the direct estimate when the method has a background template and its δ_sys is known
/// (SearchConfig::delta_sys_source), the bump hunt otherwise; none: score and evaluate only.
enum class StatisticChoice { automatic, direct, bumphunt, both, none };
enum class CombineLevel { sample, score };

/// Whether a cut on the method's classifier sculpts the selected m spectrum where the features
/// follow m (docs/validation.md says how much).
enum class Sculpting {
    none,
    across_m,  ///< the classifier learns events of different m regions against each other
    flow,      ///< the classifier learns where a flow interpolated from the sidebands misses the SR
    /// built not to follow m, but its cut still sculpts a bump at the SR (docs/methods/lacathode.md)
    /// and its bump hunt has not been through the null calibration: not offered without a stated δ_sys
    uncalibrated,
};

/// Where the direct estimate's systematic shift δ_sys comes from (never an unstated 0).
enum class DeltaSysSource {
    none,
    ideal,                    ///< IAD: the template is the true background, δ_sys = 0 (Das et al. 2024, §2.2.1)
    given,                    ///< SearchConfig::delta_sys
    reference,                ///< δ_sys^MC on a background-only reference (Das et al. 2024, eqs. 4–5)
    sidebands,                ///< CATHODE: δ_sys^SB on the data's sidebands (Das et al. 2024, §3.2)
    reference_and_sidebands,  ///< both in quadrature (Das et al. 2024, §3.2)
};

/// What a method is and needs.
struct MethodInfo {
    Method id;
    std::string_view name;   ///< as the tool spells it (--method)
    bool has_template;       ///< a background template: direct estimation possible
    int min_references, max_references;   ///< simulations / ideal background (max −1: any number)
    bool multi;              ///< one window per resonant feature
    std::string_view what;
    Sculpting sculpting = Sculpting::none;
};

inline std::span<const MethodInfo> methods() {
    static constexpr MethodInfo table[] = {
        {Method::iad, "iad", true, 1, 1, false, "SR data vs the ideal background given with --sim (Das et al. 2024, §2.2.1)"},
        {Method::cwola, "cwola", true, 0, 0, false,
         "SR data vs short-sideband data (Benkendorfer et al. 2021, §II.B; Collins et al. 2021, §3.1)", Sculpting::across_m},
        {Method::cwola_hunting, "cwola-hunting", false, 0, 0, false,
         "CWoLa with nested cross-validation, top-x% selection and the sideband fit (Collins et al. 2021, §3.1)",
         Sculpting::across_m},
        {Method::sa_cwola, "sa-cwola", false, 1, 1, false,
         "CWoLa plus simulation with weight --lambda (Benkendorfer et al. 2021, eq. 2.3)", Sculpting::across_m},
        {Method::salad, "salad", true, 1, 1, false, "SR data vs reweighted SR simulation (Benkendorfer et al. 2021, eqs. 2.1-2.2)"},
        {Method::salad_switch, "salad-switch", true, 2, -1, false, "k simulations, k weight functions (Chen et al. 2023, §4.3)"},
        {Method::multi_salad, "multi-salad", true, 2, -1, false,
         "k simulations combined into one reference, then SALAD (Chen et al. 2023, §4.1)"},
        {Method::multi_cwola, "multi-cwola", false, 0, 0, true,
         "soft labels from k noisy windows via the triplet label model (Chen et al. 2023, §3.1)", Sculpting::across_m},
        {Method::cwola_intersect, "cwola-intersect", false, 0, 0, true,
         "Multi-CWoLa baseline: CWoLa on the intersection of the windows (Chen et al. 2023, §3.3)", Sculpting::across_m},
        {Method::cwola_thresholds, "cwola-thresholds", false, 0, 0, true,
         "Multi-CWoLa baseline: CWoLa with the other thresholded features as inputs", Sculpting::across_m},
        {Method::cwola_average, "cwola-average", false, 0, 0, true,
         "Multi-CWoLa baseline: the average of k CWoLa classifiers", Sculpting::across_m},
        {Method::cathode, "cathode", true, 0, 0, false,
         "SR data vs samples of a conditional flow learned outside the SR (Golling et al. 2024, Das et al. 2024)",
         Sculpting::flow},
        {Method::lacathode, "lacathode", true, 0, 0, false,
         "CATHODE with the classifier in the flow's latent space, SR data vs N(0, I) (Hallin et al. 2023)",
         Sculpting::uncalibrated},
        {Method::ae, "ae", false, 0, 0, false, "autoencoder ensemble reconstruction error, no training set (Collins et al. 2021, §3.2)"},
        {Method::combined, "combined", true, 0, -1, false,
         "several methods' templates (--combine) at sample or score level (Golling et al. 2024, §4)"},
    };
    return table;
}

inline const MethodInfo& method_info(Method m) {
    for (const MethodInfo& i : methods())
        if (i.id == m) return i;
    throw input_error("method_info: unknown method");
}

inline std::string_view to_string(Method m) { return method_info(m).name; }

/// The method called `name` (as the tool spells it: "cwola-hunting"); input_error listing the
/// known names otherwise.
inline Method method_from_name(std::string_view name) {
    std::string known;
    for (const MethodInfo& i : methods()) {
        if (i.name == name) return i.id;
        known += (known.empty() ? "" : ", ") + std::string(i.name);
    }
    throw input_error("unknown method '" + std::string(name) + "' (" + known + ")");
}

/// The methods a sample- or score-level combination can take (those with a template generator).
inline bool combinable(Method m) {
    switch (m) {
        case Method::iad: case Method::cwola: case Method::sa_cwola: case Method::salad: case Method::salad_switch:
        case Method::multi_salad: case Method::cathode: return true;
        default: return false;
    }
}

/// The combinable methods' names, for messages ("iad, cwola, …").
inline std::string combinable_names() {
    std::string out;
    for (const MethodInfo& i : methods())
        if (combinable(i.id)) out += (out.empty() ? "" : ", ") + std::string(i.name);
    return out;
}

inline std::string_view to_string(ClassifierChoice c) { return c == ClassifierChoice::hgb ? "hgb" : "mlp"; }
inline std::string_view to_string(CombineLevel l) { return l == CombineLevel::sample ? "sample" : "score"; }
inline std::string_view to_string(StatisticChoice s) {
    switch (s) {
        case StatisticChoice::automatic: return "auto";
        case StatisticChoice::direct: return "direct";
        case StatisticChoice::bumphunt: return "bumphunt";
        case StatisticChoice::both: return "both";
        case StatisticChoice::none: return "none";
    }
    return "?";
}
inline std::string_view to_string(SigmaSys s) {
    return s == SigmaSys::abs_mean ? "mean" : s == SigmaSys::rms ? "rms" : "net";
}
inline std::string_view to_string(DeltaSysSource s) {
    switch (s) {
        case DeltaSysSource::none: return "none";
        case DeltaSysSource::ideal: return "ideal";
        case DeltaSysSource::given: return "given";
        case DeltaSysSource::reference: return "reference";
        case DeltaSysSource::sidebands: return "sidebands";
        case DeltaSysSource::reference_and_sidebands: return "reference+sidebands";
    }
    return "?";
}

/// How validation messages name the configuration's fields: the C++ members by default; the tool
/// passes its flags, so that its one-line errors name what the user typed.
struct SearchNames {
    std::string method = "method", combine = "combine", statistic = "statistic", delta_sys = "delta_sys",
                reference = "a background-only reference (SearchData::reference)",
                sidebands = "delta_sys_sidebands", sigma_sys = "sigma_sys", references = "references",
                eps_b = "eps_b", folds = "folds", ensemble = "ensemble", windows = "windows", multi = "multi",
                flow = "flow", ae_latent = "ae_latent";
};

/// The bump hunt's default bins for `windows`: uniform bins on a grid through every signal region's
/// edges, so that no bin straddles an SR edge: the widest of SR/5, SR/6, …, SR/10, SR/4 (narrowest
/// SR) that puts all edges on the grid (0.08 TeV for one 0.4 TeV window, as the 30 bins of
/// Benkendorfer et al. 2021, §II.C, over 2.6–5.0 TeV; 0.05 TeV for the windows of Das et al. 2024,
/// 0.1 TeV apart), over as many whole bins as fit inside the windows' long sidebands.
inline std::vector<double> bump_hunt_edges(const std::vector<Window>& windows) {
    detail::require(!windows.empty(), "bump_hunt_edges: no windows");
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

/// A list of windows with the bump-hunt bins that belong to it (none: bump_hunt_edges).
struct SearchLayout {
    std::vector<Window> windows;
    std::optional<std::vector<double>> bump_edges;
};

/// The layouts by name: "das2024" (the nine windows of Das et al. 2024, §2.1), "collins2021" (the
/// 21 binned windows of Collins et al. 2021, §3.1, with its 30 log bins for the bump hunt), or a
/// scan "LO:HI:WIDTH:STEP" (scan_windows). "seed003" and "seed004" are earlier names of the first
/// two. Sideband widths apply to das2024 and the scan (collins2021 has its own, in bins).
inline SearchLayout search_layout(const std::string& text, double sb_width = Window::default_sb_width,
                                  double long_sb_width = Window::default_long_sb_width) {
    if (text == "das2024" || text == "seed003") return {das2024_windows(sb_width, long_sb_width), std::nullopt};
    if (text == "collins2021" || text == "seed004") return {collins2021_windows(), log_edges(2.8, 5.2, 30)};
    const auto bad = [&] { return input_error("'" + text + "' is not das2024, collins2021 or LO:HI:WIDTH:STEP"); };
    std::vector<double> v;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ':')) {
        std::size_t used = 0;
        double x = 0.0;
        try {
            x = std::stod(item, &used);
        } catch (const std::exception&) {
            throw bad();
        }
        if (used != item.size() || !std::isfinite(x)) throw bad();
        v.push_back(x);
    }
    if (v.size() != 4) throw bad();
    return {scan_windows(v[0], v[1], v[2], v[3], sb_width, long_sb_width), std::nullopt};
}

/// CATHODE's flow as Das et al. 2024 and the CATHODE reference configuration train it: MafParams'
/// defaults, averaging the 10 best epochs.
inline MafParams cathode_flow_params() {
    MafParams p;
    p.average_best = 10;
    return p;
}

/// A whole search, as `resanom search` runs it. Fields left open take the method's defaults (the
/// papers'), which run_search reports as applied.
struct SearchConfig {
    Method method = Method::cwola;
    std::vector<Method> combine = {};           ///< combined: the members (2, or 3 at sample level)
    CombineLevel combine_level = CombineLevel::sample;

    ClassifierChoice classifier = ClassifierChoice::hgb;
    /// Classifiers per fold, averaged (default 10; Das et al. 2024 uses 50), or the autoencoders of
    /// ae (default 50, Collins et al. 2021, §3.2).
    std::optional<int> ensemble = std::nullopt;
    HgbParams hgb = {};                          ///< Das et al. 2024, App. A.1
    /// The MLP classifier; default: collins2021_cwola_mlp() for cwola-hunting, MlpParams{} otherwise.
    std::optional<MlpParams> mlp = std::nullopt;
    int folds = PipelineSettings{}.folds;       ///< k of the out-of-fold scoring
    std::vector<double> eps_b = PipelineSettings{}.eps_b;   ///< working points

    SaCwolaParams sa_cwola = {};                 ///< λ (Benkendorfer et al. 2021, eq. 2.3)
    MultiCwolaParams multi_cwola = {};           ///< class balance (Chen et al. 2023, App. E.1)
    /// The SALAD family's reweighter g(x, m) (Benkendorfer et al. 2021, eq. 2.2); default:
    /// salad_default_reweighter<MlpClassifier>().
    std::optional<MlpParams> salad_reweighter = std::nullopt;
    SaladParams salad = {};
    CathodeParams cathode = {};                  ///< oversampling (Das et al. 2024, §2.2.3)
    MafParams flow = cathode_flow_params();      ///< CATHODE's flow
    AutoencoderEnsembleParams ae = {};           ///< ae: Collins et al. 2021, §3.2 (ensemble from `ensemble`)
    /// ae: choose the latent size on the data by the FVU (Collins et al. 2021, App. C) instead of
    /// ae.member.latent.
    bool ae_latent_by_fvu = false;
    LatentSelectionParams ae_latent_selection = {};

    StatisticChoice statistic = StatisticChoice::automatic;
    /// A stated systematic shift: it scales the direct estimate's template (Das et al. 2024, eq. 3;
    /// σ_sys = |δ_sys|) and the bump hunt's prediction.
    std::optional<double> delta_sys = std::nullopt;
    /// CATHODE: δ_sys^SB from the data's sidebands (Das et al. 2024, §3.2), in quadrature with
    /// δ_sys^MC from a background-only reference (alone it is refused: not calibrated, validate()).
    bool delta_sys_sidebands = false;
    /// The σ_sys rule with a reference or the sidebands (default net, docs/validation.md).
    std::optional<SigmaSys> sigma_sys = std::nullopt;
    /// The bump hunt's fit function (default: dijet; linear for ae, Collins et al. 2021, §4.3).
    std::optional<FitFunction> fit_function = std::nullopt;

    std::vector<Window> windows = {};
    /// Multi-CWoLa and its baselines: one window per resonant feature.
    std::optional<MultiWindow> multi = std::nullopt;
    /// The bump hunt's bins (default: bump_hunt_edges(windows), or the layout's own).
    std::optional<std::vector<double>> bump_edges = std::nullopt;

    std::uint64_t seed = 0;
    unsigned threads = 0;   ///< 0: all cores; results do not depend on it

    /// The members' size: `ensemble` or the method's default.
    int ensemble_size() const { return ensemble.value_or(method == Method::ae ? 50 : 10); }

    /// The MLP classifier's parameters as applied.
    MlpParams mlp_params() const { return mlp.value_or(method == Method::cwola_hunting ? collins2021_cwola_mlp() : MlpParams{}); }

    /// Takes a layout's windows and bins.
    void set_layout(SearchLayout layout) {
        windows = std::move(layout.windows);
        bump_edges = std::move(layout.bump_edges);
    }

    /// Whether the method trains a flow (CATHODE, LaCATHODE, or a combination with CATHODE).
    bool uses_flow() const {
        return method == Method::cathode || method == Method::lacathode ||
               std::find(combine.begin(), combine.end(), Method::cathode) != combine.end();
    }
    /// The flow's epochs averaged as applied: LaCATHODE maps with its best epoch alone.
    int flow_average_best() const { return method == Method::lacathode ? 1 : flow.average_best; }

    /// Whether the method as configured has a background template: a combination at sample level
    /// when every member has one, never at score level.
    bool has_template() const {
        if (method != Method::combined) return method_info(method).has_template;
        if (combine_level == CombineLevel::score) return false;
        return std::all_of(combine.begin(), combine.end(), [](Method m) { return method_info(m).has_template; });
    }

    /// The δ_sys source: what the fields name; without any, the IAD's ideal template; other methods
    /// have none. `reference`: whether a background-only reference is given with the data.
    DeltaSysSource delta_sys_source(bool reference) const {
        if (delta_sys) return DeltaSysSource::given;
        const bool sb = delta_sys_sidebands;
        if (reference && sb) return DeltaSysSource::reference_and_sidebands;
        if (reference) return DeltaSysSource::reference;
        if (sb) return DeltaSysSource::sidebands;
        return method == Method::iad ? DeltaSysSource::ideal : DeltaSysSource::none;
    }

    /// The statistic as applied: `statistic`, with automatic resolved.
    StatisticChoice effective_statistic(bool reference) const {
        if (statistic != StatisticChoice::automatic) return statistic;
        return has_template() && method != Method::cwola_hunting && delta_sys_source(reference) != DeltaSysSource::none
                   ? StatisticChoice::direct
                   : StatisticChoice::bumphunt;
    }

    /// Why the method's bump hunt is not calibrated, or nothing when it is. A classifier that learns
    /// from events of different m regions (signal region against sidebands, or windows of several
    /// resonant features; SA-CWoLa too, whose simulation term cancels the sidebands' difference only
    /// as far as the simulation models it) can tell the regions apart by m itself wherever the
    /// features follow m; CATHODE's classifier learns where the flow, interpolated from the
    /// sidebands, misses the signal region's data, which again depends on m. A cut on either passes
    /// more background in the signal region than around it and sculpts a bump into the selected
    /// spectrum (docs/validation.md).
    std::optional<std::string> bump_hunt_sculpting() const {
        std::vector<Method> parts = method == Method::combined ? combine : std::vector<Method>{method};
        for (Method m : parts) switch (method_info(m).sculpting) {
                case Sculpting::across_m:
                    return "its classifier learns signal-region against sideband events, so where the features "
                           "follow m its cut sculpts a bump into the spectrum (on the LHC-Olympics-like toy two in "
                           "three background-only searches reach a global 3 sigma, and a background-only reference "
                           "does not correct it well enough";
                case Sculpting::flow:
                    return "its classifier learns where the flow interpolated from the sidebands misses the signal "
                           "region's data, so where the features follow m its cut sculpts a bump into the spectrum "
                           "(on the LHC-Olympics-like toy five in five background-only searches reach a global 3 sigma";
                case Sculpting::uncalibrated:
                    return "its classifier sees the flow's latent space, where the background does not depend on m, "
                           "but it learns where the flow misses the signal region's data while the sidebands it scores "
                           "trained the flow, so its cut still sculpts a bump at the signal region, and its bump hunt "
                           "has not yet been calibrated on background-only toys (docs/methods/lacathode.md";
                case Sculpting::none: break;
            }
        return std::nullopt;
    }

    /// Checks every field and their combination; `references`: how many simulations come with the
    /// data, `reference`: whether a background-only reference does. Throws input_error naming the
    /// fields as `n` says.
    void validate(std::size_t references, bool reference, const SearchNames& n = {}) const;
};

inline void SearchConfig::validate(std::size_t references, bool reference, const SearchNames& n) const {
    const std::string name(to_string(method));
    const MethodInfo& info = method_info(method);
    auto fail = [](const std::string& what) { throw input_error(what); };
    if (windows.empty()) fail("no signal-region windows given (" + n.windows + ")");
    if (ensemble_size() < 1) fail(n.ensemble + " must be >= 1");
    if (folds < 3) fail(n.folds + " must be >= 3 (train, validation and test folds)");
    if (eps_b.empty()) fail(n.eps_b + ": no working points given");
    for (double e : eps_b)
        if (!(e > 0.0 && e <= 1.0)) fail(n.eps_b + ": " + std::to_string(e) + " is not a fraction in (0, 1]");
    if (method == Method::combined) {
        if (combine.size() < 2) fail(n.combine + ": give at least two methods, e.g. cathode,salad");
        for (Method m : combine)
            if (!combinable(m))
                fail(n.combine + ": '" + std::string(to_string(m)) + "' cannot be combined (" + combinable_names() + ")");
        if (combine_level == CombineLevel::sample && combine.size() > 3)
            fail(n.combine + ": at most three methods at sample level");
    } else if (!combine.empty()) {
        fail(n.combine + " applies to " + n.method + " combined");
    }
    if (delta_sys && (reference || delta_sys_sidebands))
        fail(n.delta_sys + " excludes " + n.reference + " and " + n.sidebands + " (it is the shift itself)");
    if (delta_sys && !(std::isfinite(*delta_sys) && *delta_sys > -1.0)) fail(n.delta_sys + " must be a finite number > -1");
    if (delta_sys_sidebands && method != Method::cathode)
        fail(n.sidebands + " applies to " + n.method + " cathode (its flow generates the sideband template, Das et al. "
                               "2024, §3.2)");
    const DeltaSysSource dsys = delta_sys_source(reference);
    // δ_sys^SB measures how well the flow reproduces the sidebands it was trained on, not how well
    // it interpolates into the SR: alone it lets the flow's interpolation error pass for signal.
    if (dsys == DeltaSysSource::sidebands)
        fail(n.sidebands + " alone is not calibrated: δ_sys^SB measures how well the flow reproduces the sidebands "
                           "it was trained on, not its interpolation into the signal region (with the reference flow "
                           "on 5e5 background-only toy events, CATHODE with it alone reported a global 5.2 sigma; "
                           "docs/validation.md); add a background-only reference with " + n.reference +
             " (the two in quadrature, Das et al. 2024, §3.2), or drop it and state δ_sys with " + n.delta_sys + " D");
    const bool measured = dsys == DeltaSysSource::reference || dsys == DeltaSysSource::reference_and_sidebands;
    if (sigma_sys && !measured) fail(n.sigma_sys + " applies to " + n.reference + " (the windows' shifts of a reference)");
    if (ae_latent_by_fvu && method != Method::ae) fail(n.ae_latent + " applies to " + n.method + " ae");
    const StatisticChoice stat = effective_statistic(reference);
    const bool wants_direct = stat == StatisticChoice::direct || stat == StatisticChoice::both;
    const bool wants_bump = stat == StatisticChoice::bumphunt || stat == StatisticChoice::both;
    const std::string stat_name(to_string(stat));
    if (wants_direct && !has_template())
        fail(n.method + " " + name + (method == Method::combined ? " (as combined here)" : "") +
             " has no background template: use " + n.statistic + " bumphunt");
    if (wants_direct && dsys == DeltaSysSource::none)
        fail(n.statistic + " " + stat_name + " with " + n.method + " " + name +
             " needs the template's systematic shift δ_sys (Das et al. 2024, eq. 3): " + n.reference +
             " (eqs. 4-5) or " + n.delta_sys + " D (your own); only the IAD's template is exact");
    if (!wants_direct && (delta_sys_sidebands || reference))
        fail(n.reference + " and " + n.sidebands + " apply to " + n.statistic +
             " direct or both (the bump hunt takes its background from the sideband fit)");
    if (const auto sculpting = bump_hunt_sculpting(); wants_bump && sculpting && !delta_sys)
        fail(n.statistic + " " + stat_name + " with " + n.method + " " + name + " is not calibrated: " + *sculpting +
             "; docs/validation.md); " +
             (has_template() ? "use " + n.statistic + " direct with " + n.reference + ", or state the sculpting yourself with " +
                                   n.delta_sys + " D"
                             : "it has no background template for the direct estimate, so state the sculpting yourself "
                               "with " + n.delta_sys + " D (0 only for features known not to depend on m)"));
    if (info.min_references > 0 && references < static_cast<std::size_t>(info.min_references))
        fail(n.method + " " + name + " needs " + std::to_string(info.min_references) + " " + n.references +
             (info.min_references > 1 ? " files" : " file") + ", got " + std::to_string(references));
    if (info.max_references >= 0 && references > static_cast<std::size_t>(info.max_references))
        fail(n.method + " " + name + " takes at most " + std::to_string(info.max_references) + " " + n.references + " files");
    if (info.multi && !multi)
        fail(n.method + " " + name + " needs one window per resonant column (" + n.multi + ")");
    try {
        flow.validate();
    } catch (const input_error& e) {
        fail(n.flow + ": " + e.what());
    }
    ae.validate();
    hgb.validate();
    mlp_params().validate();
    if (bump_edges) {
        BumpHuntConfig bc;
        bc.edges = *bump_edges;
        bc.validate();
    }
}

}  // namespace resanom
