// resanom/stats/direct_estimate.hpp — direct background estimation (paper 003 §3): the working
// point that passes a fraction ε_B of the background template, the background expectation
// N_exp = ε_B N_SR (1 + δ_sys) (eq. 3), its relative uncertainty σ_exp (eqs. 8–9), the Asimov
// significance (eq. 6, with eq. 7 alongside), and the estimators of the systematic shift δ_sys:
// from a signal-free reference sample (eqs. 4–5, averaged over windows, with σ_sys = |δ_sys| as in
// the paper or the RMS of the per-window shifts), from sidebands (§3.2), and their combination in
// quadrature. DirectEstimate models the TestStatistic concept.
// Formulas and conventions: docs/statistics.md.
#pragma once

#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/types.hpp"
#include "resanom/stats/metrics.hpp"
#include "resanom/stats/significance.hpp"

namespace resanom {

namespace detail::direct {

inline void check_scored(const ScoredEvents& e, const std::string& what) {
    const Index n = e.score.size();
    detail::require(e.m.size() == n || e.m.size() == 0,
                    what + ": " + std::to_string(e.m.size()) + " m values for " + std::to_string(n) + " scores");
    detail::require(e.w.size() == n || e.w.size() == 0,
                    what + ": " + std::to_string(e.w.size()) + " weights for " + std::to_string(n) + " scores");
    for (Index i = 0; i < n; ++i) {
        if (!std::isfinite(e.score[i]))
            throw input_error(what + ": score at row " + std::to_string(i) + " is not finite");
        if (e.m.size() && !std::isfinite(e.m[i]))
            throw input_error(what + ": m at row " + std::to_string(i) + " is not finite");
        if (e.w.size() && !(std::isfinite(e.w[i]) && e.w[i] >= 0.0))
            throw input_error(what + ": weight at row " + std::to_string(i) + " must be finite and >= 0");
    }
}

inline double weight(const ScoredEvents& e, Index i) { return e.w.size() ? e.w[i] : 1.0; }

/// The SR part of the data: the events with m in the window's SR (all of them when m is empty).
inline ScoredEvents sr_part(const ScoredEvents& d, const Interval& sr) {
    if (d.m.size() == 0) return d;
    std::vector<Index> rows;
    for (Index i = 0; i < d.score.size(); ++i)
        if (sr.contains(d.m[i])) rows.push_back(i);
    ScoredEvents out{Vector(static_cast<Index>(rows.size())), Vector(static_cast<Index>(rows.size())),
                     Vector(static_cast<Index>(rows.size()))};
    for (std::size_t k = 0; k < rows.size(); ++k) {
        out.score[static_cast<Index>(k)] = d.score[rows[k]];
        out.m[static_cast<Index>(k)] = d.m[rows[k]];
        out.w[static_cast<Index>(k)] = weight(d, rows[k]);
    }
    return out;
}

}  // namespace detail::direct

/// One working point of a cut-and-count on a background template.
struct CutAndCount {
    double eps_b = 0.0;      ///< requested ε_B
    double eps_b_real = 0.0; ///< fraction of the template's weight actually passing (≥ eps_b with ties)
    double threshold = 0.0;  ///< R_c: events with score ≥ R_c pass
    double n_sr = 0.0;       ///< N_SR: (weighted) data events in the region
    double n_obs = 0.0;      ///< N_obs: those passing R_c
    double n_bt = 0.0;       ///< N_BT: effective size (Σw)²/Σw² of the template
};

/// Paper 003 §3: R_c passes a fraction ε_B of the background template (threshold_at_eps_b; with
/// tied scores the passing fraction can exceed ε_B and that realized fraction is used); N_obs
/// counts the observed events passing R_c. `observed` is taken whole (select the region first).
inline CutAndCount cut_and_count(const ScoredEvents& observed, const ScoredEvents& templ, double eps_b) {
    detail::direct::check_scored(observed, "cut_and_count: observed events");
    detail::direct::check_scored(templ, "cut_and_count: background template");
    detail::require(templ.score.size() > 0, "cut_and_count: the background template is empty");
    CutAndCount c;
    c.eps_b = eps_b;
    c.threshold = threshold_at_eps_b(templ.score, templ.w, eps_b);
    c.eps_b_real = pass_fraction(templ.score, templ.w, c.threshold);
    double sw = 0.0, sw2 = 0.0;
    for (Index i = 0; i < templ.score.size(); ++i) {
        const double w = detail::direct::weight(templ, i);
        sw += w;
        sw2 += w * w;
    }
    c.n_bt = sw * sw / sw2;
    for (Index i = 0; i < observed.score.size(); ++i) {
        const double w = detail::direct::weight(observed, i);
        c.n_sr += w;
        if (observed.score[i] >= c.threshold) c.n_obs += w;
    }
    return c;
}

/// Eq. 4: δ_sys,n = (N_obs,n − ε_B N_SR,n) / (ε_B N_SR,n) for one window of a signal-free sample.
inline double delta_sys_window(double n_obs, double n_sr, double eps_b) {
    detail::require(std::isfinite(n_obs) && n_obs >= 0.0, "delta_sys_window: N_obs must be finite and >= 0");
    detail::require(std::isfinite(n_sr) && n_sr > 0.0, "delta_sys_window: N_SR must be finite and > 0");
    detail::require(eps_b > 0.0 && eps_b <= 1.0, "delta_sys_window: eps_b must be in (0, 1]");
    return (n_obs - eps_b * n_sr) / (eps_b * n_sr);
}

/// A signal-free sample and its background template in one window (or one classifier run).
struct ReferenceWindow {
    ScoredEvents reference;  ///< signal-free events in the SR (MC for δ_sys^MC, §3.1), scored
    ScoredEvents templ;      ///< the background template of that window, scored by the same classifier
};

/// Eq. 4 in each window (and classifier run) of a signal-free reference: δ_sys,n at the working
/// point R_c of the window's own template (ε_B in eq. 4 is the realized template fraction of
/// cut_and_count), in the order of `windows`.
inline std::vector<double> delta_sys_per_window(std::span<const ReferenceWindow> windows, double eps_b) {
    detail::require(!windows.empty(), "delta_sys_per_window: no windows");
    std::vector<double> out;
    out.reserve(windows.size());
    for (const auto& w : windows) {
        const CutAndCount c = cut_and_count(w.reference, w.templ, eps_b);
        out.push_back(delta_sys_window(c.n_obs, c.n_sr, c.eps_b_real));
    }
    return out;
}

/// The systematic shift at one working point; σ_sys defaults to |δ_sys| (§3.1: "σ_sys = δ_sys").
struct SystematicShift {
    double eps_b = 0.0;
    double delta_sys = 0.0;
    std::optional<double> sigma_sys = std::nullopt;
};

/// How σ_sys of eq. 8 follows from the per-window shifts δ_sys,n of a reference (eq. 4).
enum class SigmaSys {
    /// Paper 003 §3.1: σ_sys = |δ_sys|, δ_sys their mean (eq. 5). Assumes one shift for all windows.
    abs_mean,
    /// σ_sys = √(mean δ_sys,n²) = √(δ_sys² + s²), s the spread of δ_sys,n over the windows: also
    /// covers a template that is mismodelled by a different amount in each window (not in the
    /// papers; docs/validation.md measures both on background-only searches).
    rms,
};

/// δ_sys = mean of `per_window` (eq. 5) and σ_sys by `rule`, at working point `eps_b`.
inline SystematicShift systematic_shift(double eps_b, std::span<const double> per_window,
                                        SigmaSys rule = SigmaSys::abs_mean) {
    detail::require(!per_window.empty(), "systematic_shift: no per-window shifts");
    double sum = 0.0, sum2 = 0.0;
    for (double d : per_window) {
        detail::require(std::isfinite(d), "systematic_shift: a per-window shift is not finite");
        sum += d;
        sum2 += d * d;
    }
    const auto n = static_cast<double>(per_window.size());
    const double mean = sum / n;
    const double sigma = rule == SigmaSys::abs_mean ? std::fabs(mean) : std::sqrt(sum2 / n);
    return {eps_b, mean, sigma};
}

/// Eqs. 4–5: δ_sys^MC = the mean over windows (and classifier runs) of eq. 4 on a signal-free
/// reference (delta_sys_per_window).
inline double delta_sys_from_reference(std::span<const ReferenceWindow> windows, double eps_b) {
    return systematic_shift(eps_b, delta_sys_per_window(windows, eps_b)).delta_sys;
}

/// §3.2: δ_sys^SB — the same shift measured in the sidebands: `sideband_data` are the SB data
/// and `sideband_template` a template generated in the SB (not interpolated into the SR), both
/// scored by a classifier trained on them. Several runs are averaged like eq. 5.
inline double delta_sys_from_sidebands(std::span<const ReferenceWindow> runs, double eps_b) {
    return delta_sys_from_reference(runs, eps_b);
}

/// §3.2: δ_sys^{MC⊕SB} = √((δ_sys^MC)² + (δ_sys^SB)²).
inline double delta_sys_combined(double delta_mc, double delta_sb) { return std::hypot(delta_mc, delta_sb); }

/// The shifts of a signal-free reference in each window at one working point (eq. 4, in window
/// order), and the δ_sys, σ_sys they give.
struct ReferenceShift {
    double eps_b = 0.0;
    std::vector<double> per_window;

    SystematicShift shift(SigmaSys rule = SigmaSys::abs_mean) const { return systematic_shift(eps_b, per_window, rule); }
};

/// One SystematicShift per working point, by `rule` (DirectEstimateConfig::per_eps_b).
inline std::vector<SystematicShift> systematic_shifts(std::span<const ReferenceShift> shifts,
                                                      SigmaSys rule = SigmaSys::abs_mean) {
    std::vector<SystematicShift> out;
    out.reserve(shifts.size());
    for (const auto& s : shifts) out.push_back(s.shift(rule));
    return out;
}

struct DirectEstimateConfig {
    /// δ_sys and σ_sys at every working point not listed in per_eps_b (0: a perfect template, IAD).
    double delta_sys = 0.0;
    std::optional<double> sigma_sys = std::nullopt;  ///< default |delta_sys|
    std::vector<SystematicShift> per_eps_b = {};      ///< entries matched by eps_b (relative 1e-9)
};

/// Eq. 8: σ_exp = √(σ_exp,stat² + σ_sys²), σ_exp,stat = 1/√(ε_B N_BT) (relative).
inline double sigma_exp_relative(double eps_b, double n_bt, double sigma_sys) {
    detail::require(eps_b > 0.0 && n_bt > 0.0, "sigma_exp_relative: eps_b and N_BT must be > 0");
    return std::sqrt(1.0 / (eps_b * n_bt) + sigma_sys * sigma_sys);
}

/// Eq. 9: the total relative statistical error σ_stat = √(1/N_exp + 1/(ε_B N_BT)).
inline double sigma_stat_relative(double n_exp, double eps_b, double n_bt) {
    detail::require(n_exp > 0.0 && eps_b > 0.0 && n_bt > 0.0, "sigma_stat_relative: arguments must be > 0");
    return std::sqrt(1.0 / n_exp + 1.0 / (eps_b * n_bt));
}

/// Direct background estimation as a TestStatistic (paper 003 §3). evaluate() needs the
/// background template; the data's SR events (m in window.sr; all events when m is empty) are
/// counted. Per working point: threshold R_c, n_obs, n_exp = ε_B N_SR (1 + δ_sys),
/// sigma_exp = σ_exp·n_exp (ABSOLUTE; σ_exp relative from eq. 8), z from eq. 6 signed
/// (negative for a deficit), p_value one-sided.
class DirectEstimate {
public:
    explicit DirectEstimate(DirectEstimateConfig config = {}) : config_(std::move(config)) {
        detail::require(std::isfinite(config_.delta_sys) && config_.delta_sys > -1.0,
                        "DirectEstimate: delta_sys must be finite and > -1");
    }

    const DirectEstimateConfig& config() const noexcept { return config_; }

    std::vector<Significance> evaluate(const StatisticInput& in) const {
        if (!in.background_template)
            throw input_error("DirectEstimate: the method provides no background template (use the bump hunt)");
        detail::direct::check_scored(in.data, "DirectEstimate: data");
        const ScoredEvents sr = detail::direct::sr_part(in.data, in.window.sr);
        if (sr.score.size() == 0)
            throw input_error("DirectEstimate: no data events in the signal region [" + std::to_string(in.window.sr.lo) +
                              ", " + std::to_string(in.window.sr.hi) + ")");
        std::vector<Significance> out;
        for (double eps : in.eps_b) {
            const CutAndCount c = cut_and_count(sr, *in.background_template, eps);
            const auto [delta, sigma_sys] = shift_at(eps);
            Significance s;
            s.statistic = "direct";
            s.eps_b = eps;
            s.threshold = c.threshold;
            s.n_obs = c.n_obs;
            s.n_exp = c.eps_b_real * c.n_sr * (1.0 + delta);  // eq. 3
            const double rel = sigma_exp_relative(c.eps_b_real, c.n_bt, sigma_sys);
            s.sigma_exp = rel * s.n_exp;
            if (s.n_exp > 0.0) {
                const AsimovSignificance a = asimov_significance(s.n_obs, s.n_exp, rel);
                s.z = a.z;
                s.p_value = a.p_value;
            }
            out.push_back(s);
        }
        return out;
    }

private:
    std::pair<double, double> shift_at(double eps) const {
        for (const auto& s : config_.per_eps_b)
            if (std::fabs(s.eps_b - eps) <= 1e-9 * eps) {
                detail::require(std::isfinite(s.delta_sys) && s.delta_sys > -1.0,
                                "DirectEstimate: delta_sys must be finite and > -1");
                return {s.delta_sys, s.sigma_sys.value_or(std::fabs(s.delta_sys))};
            }
        return {config_.delta_sys, config_.sigma_sys.value_or(std::fabs(config_.delta_sys))};
    }

    DirectEstimateConfig config_;
};

static_assert(TestStatistic<DirectEstimate>);

}  // namespace resanom
