// resanom/search/search.hpp — the sliding-window search: one pipeline (methods/pipeline.hpp) run over
// a list of windows, with per-window ROC/SIC and the global significance of the largest local excess.
//
//   search(p, data, refs, options, seed) → SearchReport   over the windows of core/regions.hpp
//   AllOf<S1, S2, ...>       several TestStatistics at once (the CLI's --statistic both)
//   measure_reference(…), reference_shifts(…), delta_sys_mc(…)
//                            shifts of a background-only reference (Das et al. 2024, eqs. 4–5)
// Global significance: the Bonferroni bound over the (window, working point) tests, computed in
// ln p. docs/search.md explains the search, δ_sys and the global significance.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/methods/pipeline.hpp"
#include "resanom/stats/direct_estimate.hpp"
#include "resanom/stats/metrics.hpp"
#include "resanom/stats/significance.hpp"

namespace resanom {

/// A TestStatistic made of several: evaluate() returns each one's verdicts in order (tell them
/// apart by Significance::statistic).
template <TestStatistic... Ts>
struct AllOf {
    std::tuple<Ts...> parts;

    AllOf() = default;
    explicit AllOf(Ts... ts) : parts(std::move(ts)...) {}

    std::vector<Significance> evaluate(const StatisticInput& in) const {
        std::vector<Significance> out;
        std::apply([&](const auto&... s) { (append(out, s.evaluate(in)), ...); }, parts);
        return out;
    }

private:
    static void append(std::vector<Significance>& out, std::vector<Significance> more) {
        out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
};

/// Runs one pipeline over windows.
struct WindowReport;

struct SearchOptions {
    std::vector<Window> windows;
    /// Labelled evaluation events (truth required): when given, each window's ROC/SIC come from
    /// their scores; otherwise from the data's own truth labels and out-of-fold scores, when the
    /// data carry truth; otherwise they are omitted.
    const Events* test = nullptr;
    /// Multi-CWoLa and its baselines: one window per resonant feature, the same for every window
    /// of the scan (which then runs over the first resonant feature).
    std::optional<MultiWindow> multi = std::nullopt;
    /// ε_B values at which SIC is reported (SicAt).
    std::vector<double> sic_eps_b = {1e-2, 1e-3, 1e-4};
    /// Minimum background events for max SIC (stats/metrics.hpp).
    double max_sic_min_bkg = 25.0;
    /// Called after each window with (windows done, windows in all). Optional.
    std::function<void(Index, Index)> progress = {};
    /// Called with each window's report as soon as it is complete (e.g. to log it). Optional.
    std::function<void(const WindowReport&)> on_window = {};
    /// Called after each step inside a window (template built, fold trained). Optional.
    StepObserver on_step = {};
};

struct SicAt {
    double eps_b = 0.0;
    double sic = 0.0;
    double eps_s = 0.0;
};

/// One window of a search.
struct WindowReport {
    Window window{};
    Index n_sr = 0;                    ///< data events in the SR
    std::uint64_t seed = 0;            ///< the seed its pipeline ran with (window_seed, or the shared one)
    std::optional<double> auc;         ///< ROC AUC of SR signal vs SR background (truth needed)
    std::optional<double> max_sic;     ///< max SIC (≥ max_sic_min_bkg background events)
    std::vector<SicAt> sic_at;         ///< SIC at SearchOptions::sic_eps_b
    std::optional<RocCurve> roc;       ///< the ROC curve behind auc (for plots)
    WindowResult result;               ///< scores and significances
};

struct SearchReport {
    std::vector<WindowReport> windows;
    double max_local_z = 0.0;  ///< largest local Z over the tests (Significance::counts())
    Index max_window = -1;     ///< its window (−1 when no test gave a Z)
    Index trials = 0;          ///< N of the Bonferroni bound: the tests that gave a verdict
    double global_p = 1.0;     ///< min(1, N · p_min) (0 where it underflows; global_log_p holds it)
    double global_log_p = 0.0; ///< ln global_p, exact also where global_p underflows
    double global_z = 0.0;     ///< max(0, Φ⁻¹(1 − global_p)), finite for any finite local Z
};

/// The Bonferroni global significance of local tests with the given Z values (docs/search.md):
/// ln p_global = min(0, ln N + ln p(Z_max)).
inline void bonferroni(SearchReport& rep, double z_max, Index trials) {
    rep.trials = trials;
    if (trials <= 0) return;
    // +∞ (a p-value of 0) counts as the largest Z a double's p-value resolves.
    const double z = std::isinf(z_max) ? z_of_log_p_value(std::log(std::numeric_limits<double>::denorm_min())) : z_max;
    rep.global_log_p = std::min(0.0, std::log(static_cast<double>(trials)) + log_p_value_of_z(z));
    rep.global_p = std::exp(rep.global_log_p);
    rep.global_z = std::max(0.0, z_of_log_p_value(rep.global_log_p));
}

namespace detail::search {

/// Truth of the evaluation: SR data with truth, or the test sample.
inline void window_metrics(WindowReport& wr, const Events& data, const SearchOptions& opt) {
    Vector score, truth, weight;
    if (opt.test != nullptr) {
        score = wr.result.test_score;
        truth = opt.test->truth();
        weight = opt.test->w();
    } else if (data.has_truth()) {
        const IndexList sr = sr_rows(data, wr.window);
        score = wr.result.data_score(sr);
        truth = data.truth()(sr);
        weight = data.w()(sr);
    } else {
        return;
    }
    const bool has_signal = (truth.array() > 0.0).any(), has_background = (truth.array() < 1.0).any();
    if (score.size() == 0 || !has_signal || !has_background) return;
    RocCurve roc = roc_curve(score, truth, weight);
    wr.auc = auc(roc);
    try {
        wr.max_sic = max_sic(roc, opt.max_sic_min_bkg).sic;
    } catch (const input_error&) {   // too few background events for the floor: omitted
    }
    for (double e : opt.sic_eps_b) {
        const WorkingPoint wp = at_eps_b(roc, e);
        wr.sic_at.push_back({e, wp.sic, wp.eps_s});
    }
    wr.roc = std::move(roc);
}

}  // namespace detail::search

/// A pipeline whose scores do not depend on the window (Unsupervised: the scorer never sees m):
/// score_all scores the data once, judge gives a window's verdicts from those scores.
template <class P>
concept WindowIndependentScores = requires(const P& p, const PipelineInput& in, std::uint64_t seed, WindowResult r) {
    { p.score_all(in, seed) } -> std::same_as<WindowResult>;
    { p.judge(r, in) } -> std::same_as<WindowResult>;
};

/// Runs `pipeline` on every window of `opt.windows`, each with window_seed(seed, window). A
/// pipeline with WindowIndependentScores scores the data once, with derive_seed(seed, 0) and the
/// first window's folds, and judges every window with those scores: the same result as one run
/// per window on one seed, at the cost of one.
template <class Pipeline>
SearchReport search(const Pipeline& pipeline, const Events& data, std::span<const Events> references,
                    const SearchOptions& opt, std::uint64_t seed) {
    detail::require(!opt.windows.empty(), "search: no windows");
    if (opt.test != nullptr)
        detail::require(opt.test->has_truth(), "search: the test sample needs truth labels");
    SearchReport rep;
    const auto n_windows = static_cast<Index>(opt.windows.size());
    Index trials = 0;
    double z_max = -std::numeric_limits<double>::infinity();
    std::optional<WindowResult> shared_scores;   // WindowIndependentScores: scored once
    for (Index k = 0; k < n_windows; ++k) {
        WindowReport wr;
        wr.window = opt.windows[static_cast<std::size_t>(k)];
        wr.n_sr = static_cast<Index>(sr_rows(data, wr.window).size());
        detail::require(wr.n_sr > 0, "search: no data events in the signal region [" + std::to_string(wr.window.sr.lo) +
                                         ", " + std::to_string(wr.window.sr.hi) + ")");
        PipelineInput in{data, references, wr.window, opt.multi, opt.test, opt.on_step ? &opt.on_step : nullptr};
        if constexpr (WindowIndependentScores<Pipeline>) {
            wr.seed = derive_seed(seed, 0);
            if (!shared_scores) shared_scores = pipeline.score_all(in, wr.seed);
            wr.result = pipeline.judge(*shared_scores, in);
        } else {
            wr.seed = window_seed(seed, wr.window);
            wr.result = pipeline.run(in, wr.seed);
        }
        detail::search::window_metrics(wr, data, opt);
        for (const Significance& s : wr.result.significances) {
            if (!s.counts()) continue;
            ++trials;
            // The smallest p is the largest Z's: every statistic's p-value is one-sided in its Z.
            z_max = std::max(z_max, s.z);
            if (rep.max_window < 0 || s.z > rep.max_local_z) {
                rep.max_local_z = s.z;
                rep.max_window = k;
            }
        }
        if (opt.on_window) opt.on_window(wr);
        rep.windows.push_back(std::move(wr));
        if (opt.progress) opt.progress(k + 1, n_windows);
    }
    bonferroni(rep, z_max, trials);
    return rep;
}

/// What a background-only reference shows window by window, for each statistic that needs a
/// systematic shift: the direct estimate's (Das et al. 2024, eq. 4, from the template's scores) and
/// the bump hunt's (the relative excess of the selected signal region over its sideband fit,
/// (n_obs − ν)/ν, with variance 1/ν + (σ_ν/ν)²: the sculpting of the spectrum by the cut). The
/// bump hunt's part describes the sculpting; applied as a correction (BumpHuntConfig::per_eps_b)
/// it left the 3σ tail of background-only searches six to twelve times too heavy with every σ_sys
/// rule tried, because the sculpting differs between windows and trainings (docs/validation.md).
struct ReferenceMeasurement {
    std::vector<ReferenceShift> direct;    ///< per working point; empty when not asked for
    std::vector<ReferenceShift> bumphunt;  ///< per working point; empty when not asked for
};

/// Runs `pipeline` on a signal-free `reference` in place of the data (same windows, same
/// references, same seed as the search) and measures, at each working point, the shifts the
/// search's statistics need: `direct` from the background template's scores (the method must have
/// one), `bumphunt` from the verdicts of the pipeline's own statistic with Significance::statistic
/// "bumphunt" (the pipeline must judge with a bump hunt that applies no shift itself). `multi`: the
/// windows of Multi-CWoLa and its baselines, as in the search. Windows and working points where
/// nothing could be measured hold NaN (systematic_shift leaves them out).
template <class Pipeline>
ReferenceMeasurement measure_reference(const Pipeline& pipeline, const Events& reference,
                                       std::span<const Events> references, const std::vector<Window>& windows,
                                       const std::vector<double>& eps_b, std::uint64_t seed, bool direct,
                                       bool bumphunt, const std::function<void(Index, Index)>& progress = {},
                                       const StepObserver& on_step = {},
                                       const std::optional<MultiWindow>& multi = std::nullopt) {
    detail::require(!windows.empty(), "measure_reference: no windows");
    detail::require(!eps_b.empty(), "measure_reference: no working points");
    detail::require(direct || bumphunt, "measure_reference: nothing to measure");
    const Events ref = reference.has_truth() ? reference.without_truth() : reference;
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<ReferenceWindow> runs;
    std::vector<std::vector<double>> bump_shift(eps_b.size()), bump_var(eps_b.size());
    Index done = 0;
    for (const Window& w : windows) {
        const IndexList sr = sr_rows(ref, w);
        detail::require(!sr.empty(), "measure_reference: the reference has no events in the signal region [" +
                                         std::to_string(w.sr.lo) + ", " + std::to_string(w.sr.hi) + ")");
        PipelineInput in{ref, references, w, multi, nullptr, on_step ? &on_step : nullptr};
        in.judge = bumphunt;   // the direct shift needs the scores only
        const WindowResult r = pipeline.run(in, window_seed(seed, w));
        if (direct) {
            detail::require(r.template_score.has_value(), "measure_reference: the method has no background template");
            ReferenceWindow rw;
            rw.reference = ScoredEvents{r.data_score(sr), Vector(ref.m(w.m_column)(sr)), Vector(ref.w()(sr))};
            rw.templ = ScoredEvents{*r.template_score, Vector(), r.template_weight};
            runs.push_back(std::move(rw));
        }
        if (bumphunt) {
            for (std::size_t e = 0; e < eps_b.size(); ++e) {
                const Significance* found = nullptr;
                for (const Significance& sg : r.significances)
                    if (sg.statistic == "bumphunt" && std::fabs(sg.eps_b - eps_b[e]) <= 1e-9 * eps_b[e]) found = &sg;
                detail::require(found != nullptr, "measure_reference: the pipeline's statistic gave no bump hunt at ε_B = " +
                                                      std::to_string(eps_b[e]));
                detail::require(std::isnan(found->delta_sys),
                                "measure_reference: the pipeline's bump hunt applies a shift of its own");
                const bool measured = found->status == WorkingPointStatus::ok && found->n_exp > 0.0;
                bump_shift[e].push_back(measured ? (found->n_obs - found->n_exp) / found->n_exp : nan);
                bump_var[e].push_back(measured ? 1.0 / found->n_exp + std::pow(found->sigma_exp / found->n_exp, 2) : nan);
            }
        }
        if (progress) progress(++done, static_cast<Index>(windows.size()));
    }
    std::vector<Interval> srs;
    for (const Window& w : windows) srs.push_back(w.sr);
    ReferenceMeasurement out;
    for (std::size_t e = 0; e < eps_b.size(); ++e) {
        if (direct)
            out.direct.push_back({eps_b[e], delta_sys_per_window(runs, eps_b[e]), delta_sys_variance_per_window(runs, eps_b[e]), srs});
        if (bumphunt) out.bumphunt.push_back({eps_b[e], bump_shift[e], bump_var[e], srs});
    }
    return out;
}

/// The per-window shifts behind δ_sys^MC (Das et al. 2024, §3.1, eq. 4) for `pipeline`: the direct
/// part of measure_reference. ReferenceShift::shift(rule) turns them into δ_sys (their mean, eq. 5)
/// and σ_sys (SigmaSys). The pipeline must produce a background template.
template <class Pipeline>
std::vector<ReferenceShift> reference_shifts(const Pipeline& pipeline, const Events& reference,
                                             std::span<const Events> references, const std::vector<Window>& windows,
                                             const std::vector<double>& eps_b, std::uint64_t seed,
                                             const std::function<void(Index, Index)>& progress = {},
                                             const StepObserver& on_step = {}) {
    return measure_reference(pipeline, reference, references, windows, eps_b, seed, true, false, progress, on_step).direct;
}

/// δ_sys^MC of Das et al. 2024, §3.1 (eqs. 4–5) for `pipeline`: the mean over windows of
/// reference_shifts, with σ_sys = |δ_sys| (Das et al. 2024, §3.1). The result feeds
/// DirectEstimateConfig::per_eps_b of the real search. The paper's σ_sys makes the 3σ tail too
/// heavy (docs/validation.md); for the calibrated rule call systematic_shifts(reference_shifts(…)),
/// whose default is SigmaSys::net.
template <class Pipeline>
std::vector<SystematicShift> delta_sys_mc(const Pipeline& pipeline, const Events& reference,
                                          std::span<const Events> references, const std::vector<Window>& windows,
                                          const std::vector<double>& eps_b, std::uint64_t seed,
                                          const std::function<void(Index, Index)>& progress = {},
                                          const StepObserver& on_step = {}) {
    const auto shifts = reference_shifts(pipeline, reference, references, windows, eps_b, seed, progress, on_step);
    return systematic_shifts(shifts, SigmaSys::abs_mean);
}

}  // namespace resanom
