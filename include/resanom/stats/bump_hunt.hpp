// resanom/stats/bump_hunt.hpp — the bump hunt as a TestStatistic (Benkendorfer et al. 2021, §II.C;
// Collins et al. 2021, §3.1, §4.3 and App. A): cut, histogram, sideband fit, profile likelihood.
//
// BumpHunt cuts on the score at each working point (threshold from the template, the data in the fit
// range or the SR data, per test fold when the scores carry folds), fits the selected m spectrum with
// the signal region masked (dijet_fit.hpp) and judges the SR by Benkendorfer et al. 2021, eqs.
// 2.5–2.6 (significance.hpp). Unreachable working points and thin sidebands are reported unreached.
// docs/statistics.md ("Bump hunt") explains the cut, the fit ranges and the verdict.
#pragma once

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/stats/dijet_fit.hpp"
#include "resanom/stats/direct_estimate.hpp"
#include "resanom/stats/histogram.hpp"
#include "resanom/stats/metrics.hpp"
#include "resanom/stats/significance.hpp"

namespace resanom {

/// Which sample's scores set the bump hunt's threshold at a working point ε_B.
enum class BumpHuntCut {
    /// The background template when the input has one (ε_B as in direct estimation), else the data
    /// in the fit range.
    template_or_data,
    /// The data in the fit range: the fraction ε_B most signal-like (Collins et al. 2021, §3.1).
    data,
    /// The data in the signal region: the threshold that passes the fraction ε_B of them, applied
    /// to all events (Collins et al. 2021, §4.3, the autoencoder).
    signal_region,
};

inline const char* to_string(BumpHuntCut c) {
    switch (c) {
        case BumpHuntCut::template_or_data: return "template";
        case BumpHuntCut::data: return "data";
        case BumpHuntCut::signal_region: return "signal_region";
    }
    return "template";
}

/// A fit range relative to the signal region, [sr.lo − below, sr.hi + above] (TeV), used at the
/// working points with ε_B ≥ min_eps_b.
struct FitRangeRule {
    double min_eps_b = 0.0;
    double below = 0.0;
    double above = 0.0;
};

/// The fit ranges of the autoencoder's bump hunt (Collins et al. 2021, §4.3): [3.0, 4.0] TeV at the
/// 1 % cut and [2.8, 4.4] TeV at the 0.1 % cut around the signal region 3.3–3.7 TeV; relative to a
/// window's SR: SR ± 0.3 TeV for ε_B ≥ 0.5 %, [SR.lo − 0.5, SR.hi + 0.7] TeV below.
inline std::vector<FitRangeRule> collins2021_ae_fit_ranges() { return {{5e-3, 0.3, 0.3}, {0.0, 0.5, 0.7}}; }

struct BumpHuntConfig {
    /// The fit's bins; default Benkendorfer et al. 2021, §II.C: 30 uniform bins over [2.6, 5.0] TeV.
    std::vector<double> edges = uniform_edges(2.6, 5.0, 30);
    FitOptions fit = {};
    BumpHuntCut cut = BumpHuntCut::template_or_data;
    /// The fit range of a working point: the first rule (in order) with min_eps_b ≤ ε_B; the whole
    /// bins of `edges` inside it are fit. Empty: every bin of `edges`.
    std::vector<FitRangeRule> fit_ranges = {};
    /// Cut per test fold when the scores carry their folds (Collins et al. 2021, §3.1).
    bool per_fold = true;
    /// When a working point counts as reached (events of the cut's reference passing, ε_B really
    /// passing); an unreached point is reported with z and p NaN.
    WorkingPointRule working_point = {};
    /// A working point whose sideband bins hold fewer selected events (their weights' sum) than
    /// this many per parameter of the fit function — 40 for the four-parameter dijet function, 20
    /// for the linear one — is reported unreached: the fit's extrapolation into the SR then rests on
    /// too few events, and its linearized uncertainty misses how far off it can be (on
    /// background-only toys such fits predicted 10⁻⁷ events where 2 were seen: local Z of 5–8;
    /// docs/validation.md).
    double min_sideband_events_per_parameter = 10.0;
    /// The sideband events that rule asks of the configured fit function.
    double min_sideband_events() const noexcept {
        return min_sideband_events_per_parameter * static_cast<double>(fit_parameters(fit.function));
    }
    /// A systematic shift of the fit's prediction, as in direct estimation (Das et al. 2024, eq. 3):
    /// n_exp = (1 + δ) ν_SR with σ_sys·n_exp added to the fit's uncertainty in quadrature — the
    /// sculpting of the selected spectrum, given, or measured on a background-only reference
    /// (measure_reference with bumphunt = true, search/search.hpp; not calibrated where the
    /// sculpting varies from window to window and between trainings, docs/validation.md). None
    /// (the default): the fit's prediction as it is, which holds where the cut's efficiency is
    /// smooth in m (docs/validation.md says for which methods).
    std::vector<SystematicShift> per_eps_b = {};
    std::optional<double> delta_sys = std::nullopt;
    std::optional<double> sigma_sys = std::nullopt;
    /// When true, a working point whose fit fails (too few selected events, no convergence) is
    /// reported with status fit_failed (n_exp, sigma_exp, z and p_value NaN) instead of throwing,
    /// so that one tight cut does not end a whole search (the tool's search sets it).
    bool skip_failed_fits = false;

    /// Throws input_error for bad edges or rules.
    void validate() const {
        Histogram check(edges);
        for (const auto& r : fit_ranges)
            detail::require(r.min_eps_b >= 0.0 && std::isfinite(r.below) && std::isfinite(r.above) &&
                                r.below >= 0.0 && r.above >= 0.0,
                            "BumpHunt: a fit range rule needs min_eps_b >= 0 and finite below, above >= 0");
        detail::require(min_sideband_events_per_parameter >= 0.0,
                        "BumpHunt: min_sideband_events_per_parameter must be >= 0");
        detail::require(working_point.min_events_passing >= 0.0 && working_point.max_excess >= 1.0,
                        "BumpHunt: the working-point rule needs min_events_passing >= 0 and max_excess >= 1");
        check_shifts(per_eps_b, delta_sys, sigma_sys, "BumpHunt");
    }
};

/// The events a bump-hunt cut selects at one working point, before the fit.
struct BumpHuntSelection {
    double eps_b = 0.0;
    double eps_b_real = 0.0;             ///< fraction of the cut's reference sample really passing
    double reference_passing = 0.0;      ///< events (unweighted) of that reference passing
    double threshold = 0.0;              ///< the cut; NaN when cut per fold
    std::vector<double> fold_thresholds; ///< per test fold (empty: one threshold)
    bool reached = true;                 ///< BumpHuntConfig::working_point holds
    Histogram spectrum;                  ///< selected data over every bin of BumpHuntConfig::edges
    Interval fit_range;                  ///< the bins fit: [first fit edge, last fit edge]
    double n_obs_sr = 0.0;               ///< selected (weighted) data in the signal region itself
};

/// Per working point: the selection (BumpHuntSelection), n_obs = selected data in the masked SR
/// bins, n_exp and sigma_exp = the fit's prediction there and its uncertainty, z and p_value from
/// the profile likelihood (z = √q0 ≥ 0). The SR is window.sr; bins that overlap it are masked. Fit
/// failures propagate (input_error for unusable spectra, numeric_error for a fit that does not
/// converge) unless skip_failed_fits is set.
class BumpHunt {
public:
    explicit BumpHunt(BumpHuntConfig config = {}) : config_(std::move(config)) { config_.validate(); }

    const BumpHuntConfig& config() const noexcept { return config_; }

    /// The fit range at working point eps_b for signal region sr: the bins of `edges` that lie
    /// inside the first matching FitRangeRule (every bin when none is given).
    std::vector<double> fit_edges(const Interval& sr, double eps_b) const {
        const std::vector<double>& e = config_.edges;
        for (const auto& r : config_.fit_ranges) {
            if (eps_b < r.min_eps_b) continue;
            const double lo = sr.lo - r.below - 1e-9, hi = sr.hi + r.above + 1e-9;
            std::vector<double> out;
            for (double x : e)
                if (x >= lo && x <= hi) out.push_back(x);
            detail::require(out.size() >= 2, "BumpHunt: the fit range [" + detail::fit::num(sr.lo - r.below) + ", " +
                                                 detail::fit::num(sr.hi + r.above) + "] holds no whole bin of the edges");
            return out;
        }
        return e;
    }

    /// The cut at one working point and the spectrum it selects.
    template <class In = StatisticInput>
    BumpHuntSelection select(const In& in, double eps_b) const {
        const ScoredEvents& d = in.data;
        check_data(d);
        BumpHuntSelection sel{eps_b, 0.0, 0.0, 0.0, {}, true, Histogram(config_.edges), {}, 0.0};
        const std::vector<double> fe = fit_edges(in.window.sr, eps_b);
        sel.fit_range = {fe.front(), fe.back()};

        // The cut's reference sample: which events, their scores, weights and folds.
        const bool on_template = config_.cut == BumpHuntCut::template_or_data && in.background_template.has_value();
        std::vector<Index> ref_rows;
        const ScoredEvents& ref = on_template ? *in.background_template : d;
        if (on_template) {
            for (Index i = 0; i < ref.score.size(); ++i) ref_rows.push_back(i);
        } else {
            const Interval where = config_.cut == BumpHuntCut::signal_region ? in.window.sr : sel.fit_range;
            for (Index i = 0; i < d.score.size(); ++i)
                if (where.contains(d.m[i])) ref_rows.push_back(i);
        }
        detail::require(!ref_rows.empty(), std::string("BumpHunt: no events to take the cut from (") +
                                               (on_template ? "background template" : "data in the range") + ")");
        const bool per_fold = config_.per_fold && !d.fold.empty() && (!on_template || !ref.fold.empty());
        int k = 1;
        if (per_fold) {
            for (int f : d.fold) k = std::max(k, f + 1);
            for (Index i : ref_rows) k = std::max(k, ref.fold[static_cast<std::size_t>(i)] + 1);
        }
        auto fold_of = [&](const ScoredEvents& e, Index i) { return per_fold ? e.fold[static_cast<std::size_t>(i)] : 0; };
        std::vector<std::vector<Index>> by_fold(static_cast<std::size_t>(k));
        for (Index i : ref_rows) {
            const int f = fold_of(ref, i);
            detail::require(f >= 0, "BumpHunt: a score without a fold among scores with folds");
            by_fold[static_cast<std::size_t>(f)].push_back(i);
        }
        std::vector<double> thr(static_cast<std::size_t>(k));
        double pass_w = 0.0, total_w = 0.0;
        for (int f = 0; f < k; ++f) {
            const auto& rows = by_fold[static_cast<std::size_t>(f)];
            detail::require(!rows.empty(), "BumpHunt: fold " + std::to_string(f) + " has no events to take the cut from");
            Vector s(static_cast<Index>(rows.size())), w(ref.w.size() ? static_cast<Index>(rows.size()) : 0);
            for (std::size_t j = 0; j < rows.size(); ++j) {
                s[static_cast<Index>(j)] = ref.score[rows[j]];
                if (ref.w.size()) w[static_cast<Index>(j)] = ref.w[rows[j]];
            }
            const double t = threshold_at_eps_b(s, w, eps_b);
            thr[static_cast<std::size_t>(f)] = t;
            for (std::size_t j = 0; j < rows.size(); ++j) {
                const double wj = ref.w.size() ? ref.w[rows[j]] : 1.0;
                total_w += wj;
                if (s[static_cast<Index>(j)] >= t) {
                    pass_w += wj;
                    sel.reference_passing += 1.0;
                }
            }
        }
        sel.eps_b_real = pass_w / total_w;
        sel.reached = config_.working_point.reached(eps_b, sel.eps_b_real, sel.reference_passing);
        if (per_fold) {
            sel.fold_thresholds = thr;
            sel.threshold = std::numeric_limits<double>::quiet_NaN();
        } else {
            sel.threshold = thr[0];
        }
        for (Index i = 0; i < d.score.size(); ++i) {
            const int f = fold_of(d, i);
            detail::require(f >= 0 && f < k, "BumpHunt: data row " + std::to_string(i) + " has no fold of the cut");
            if (d.score[i] < thr[static_cast<std::size_t>(f)]) continue;
            const double wi = d.w.size() ? d.w[i] : 1.0;
            sel.spectrum.fill(d.m[i], wi);
            if (in.window.sr.contains(d.m[i])) sel.n_obs_sr += wi;
        }
        return sel;
    }

    /// The sideband fit of a selection: its bins inside the fit range, the signal region masked.
    template <class = void>
    FitResult fit(const BumpHuntSelection& sel, const Interval& sr) const {
        const std::vector<double> fe = fit_edges(sr, sel.eps_b);
        const Index first = sel.spectrum.find(fe.front() + 0.5 * (fe[1] - fe[0]));
        return SidebandFitter(fe, sr, config_.fit).fit(sub_histogram(sel.spectrum, first, fe));
    }

    // A template (In is always StatisticInput) so that the sideband fitter is compiled only where
    // a bump hunt is evaluated, not wherever this header is included.
    template <class In = StatisticInput>
    std::vector<Significance> evaluate(const In& in) const {
        std::vector<Significance> out;
        for (double eps : in.eps_b) {
            const BumpHuntSelection sel = select(in, eps);
            Significance sig;
            sig.statistic = "bumphunt";
            sig.eps_b = eps;
            sig.eps_b_real = sel.eps_b_real;
            sig.threshold = sel.threshold;
            sig.fold_thresholds = sel.fold_thresholds;
            sig.n_obs = sel.n_obs_sr;
            constexpr double nan = std::numeric_limits<double>::quiet_NaN();
            FitResult r;
            try {
                r = fit(sel, in.window.sr);
            } catch (const error&) {
                if (!config_.skip_failed_fits) throw;
                sig.n_exp = sig.sigma_exp = sig.z = sig.p_value = nan;
                sig.status = WorkingPointStatus::fit_failed;
                out.push_back(sig);
                continue;
            }
            sig.n_obs = r.n_obs_sr;
            sig.n_exp = r.n_pred_sr;
            sig.sigma_exp = r.sigma_pred_sr;
            const auto shift = find_shift(config_.per_eps_b, config_.delta_sys, config_.sigma_sys, eps, in.window.sr);
            if (shift) {   // eq. 3 on the fit's prediction; σ_sys relative, added in quadrature
                const auto [delta, sigma_sys] = *shift;
                sig.delta_sys = delta;
                sig.sigma_sys = sigma_sys;
                sig.n_exp = r.n_pred_sr * (1.0 + delta);
                sig.sigma_exp = std::hypot(r.sigma_pred_sr * (1.0 + delta), sigma_sys * sig.n_exp);
            }
            if (!sel.reached || std::isnan(sig.n_exp) || r.n_sideband < config_.min_sideband_events()) {
                // NaN: the shift could not be measured here
                sig.status = WorkingPointStatus::unreached;
                sig.z = sig.p_value = nan;
            } else if (sig.n_exp > 0.0) {
                const ProfileLikelihood pl = profile_likelihood_significance(sig.n_obs, sig.n_exp, sig.sigma_exp);
                sig.z = pl.z;
                sig.p_value = pl.p_value;
            }
            out.push_back(sig);
        }
        return out;
    }

private:
    static void check_data(const ScoredEvents& d) {
        const Index n = d.score.size();
        detail::require(d.m.size() == n, "BumpHunt: the data need one m value per score (" + std::to_string(d.m.size()) +
                                             " for " + std::to_string(n) + ")");
        detail::require(d.w.size() == 0 || d.w.size() == n, "BumpHunt: wrong number of data weights");
        detail::require(d.fold.empty() || static_cast<Index>(d.fold.size()) == n, "BumpHunt: wrong number of data folds");
        for (Index i = 0; i < n; ++i)
            if (!std::isfinite(d.score[i]) || !std::isfinite(d.m[i]))
                throw input_error("BumpHunt: data row " + std::to_string(i) + " has a non-finite score or m");
    }

    /// The bins [first, first + fe.size() − 1) of h as a histogram of their own.
    static Histogram sub_histogram(const Histogram& h, Index first, const std::vector<double>& fe) {
        const auto nb = static_cast<Index>(fe.size()) - 1;
        detail::require(first >= 0 && first + nb <= h.bins(), "BumpHunt: the fit range lies outside the bins");
        return Histogram::from_counts(fe, h.counts().segment(first, nb), h.sumw2().segment(first, nb));
    }

    BumpHuntConfig config_;
};

static_assert(TestStatistic<BumpHunt>);

}  // namespace resanom
