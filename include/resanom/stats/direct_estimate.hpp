// resanom/stats/direct_estimate.hpp — direct background estimation (Das et al. 2024, §3): the
// expected background N_exp = ε_B N_SR (1 + δ_sys) of a cut on the template, and DirectEstimate.
//
// The working point that passes a fraction ε_B of the background template, N_exp (eq. 3), its
// relative uncertainty σ_exp (eqs. 8–9), the Asimov significance (eq. 6, with eq. 7 alongside), and
// the estimators of the systematic shift δ_sys: from a signal-free reference sample (eqs. 4–5,
// averaged over windows, with σ_sys = |δ_sys| as in the paper or the RMS of the per-window shifts),
// from sidebands (§3.2), and their combination in quadrature. DirectEstimate models the
// TestStatistic concept. Formulas and conventions: docs/statistics.md.
#pragma once

#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
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

inline std::string num(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

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
    double n_bt_pass = 0.0;  ///< template events (unweighted) passing R_c
};

/// Das et al. 2024, §3: R_c passes a fraction ε_B of the background template (threshold_at_eps_b; with
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
        if (templ.score[i] >= c.threshold) c.n_bt_pass += 1.0;
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

/// The statistical variance expected of eq. 4's δ_sys,n from the counts alone: the reference's
/// Poisson fluctuation 1/(ε_B N_SR) plus the template's, 1/(ε_B N_BT) (eq. 8's σ_exp,stat²), with
/// the realized ε_B. It uses the expected counts, not N_obs, so it stays stable when few events pass.
inline double delta_sys_window_variance(const CutAndCount& c) {
    detail::require(c.n_sr > 0.0 && c.n_bt > 0.0 && c.eps_b_real > 0.0,
                    "delta_sys_window_variance: N_SR, N_BT and eps_b must be > 0");
    return 1.0 / (c.eps_b_real * c.n_sr) + 1.0 / (c.eps_b_real * c.n_bt);
}

/// Eq. 4 in each window (and classifier run) of a signal-free reference: δ_sys,n at the working
/// point R_c of the window's own template (ε_B in eq. 4 is the realized template fraction of
/// cut_and_count), in the order of `windows`; NaN in a window whose template cannot resolve ε_B
/// (`rule`, as for the data: too few template events pass, or ties pass far more than ε_B).
inline std::vector<double> delta_sys_per_window(std::span<const ReferenceWindow> windows, double eps_b,
                                                const WorkingPointRule& rule = {}) {
    detail::require(!windows.empty(), "delta_sys_per_window: no windows");
    std::vector<double> out;
    out.reserve(windows.size());
    for (const auto& w : windows) {
        const CutAndCount c = cut_and_count(w.reference, w.templ, eps_b);
        out.push_back(rule.reached(eps_b, c.eps_b_real, c.n_bt_pass) ? delta_sys_window(c.n_obs, c.n_sr, c.eps_b_real)
                                                                     : std::numeric_limits<double>::quiet_NaN());
    }
    return out;
}

/// delta_sys_window_variance in each window, in the order of `windows` (NaN where the shift is).
inline std::vector<double> delta_sys_variance_per_window(std::span<const ReferenceWindow> windows, double eps_b,
                                                         const WorkingPointRule& rule = {}) {
    detail::require(!windows.empty(), "delta_sys_variance_per_window: no windows");
    std::vector<double> out;
    out.reserve(windows.size());
    for (const auto& w : windows) {
        const CutAndCount c = cut_and_count(w.reference, w.templ, eps_b);
        out.push_back(rule.reached(eps_b, c.eps_b_real, c.n_bt_pass) ? delta_sys_window_variance(c)
                                                                     : std::numeric_limits<double>::quiet_NaN());
    }
    return out;
}

/// The systematic shift at one working point; σ_sys defaults to |δ_sys| (§3.1: "σ_sys = δ_sys").
/// With `sr`, it applies to that window alone (per-window shifts); without, to every window.
struct SystematicShift {
    double eps_b = 0.0;
    double delta_sys = 0.0;
    std::optional<double> sigma_sys = std::nullopt;
    std::optional<Interval> sr = std::nullopt;
};

/// How σ_sys of eq. 8 follows from the per-window shifts δ_sys,n of a reference (eq. 4); δ_sys is
/// their mean (eq. 5) under every rule. docs/validation.md measures the rules on background-only
/// searches.
enum class SigmaSys {
    /// Das et al. 2024, §3.1: σ_sys = |δ_sys|. Assumes one shift for all windows.
    abs_mean,
    /// σ_sys = √(mean δ_sys,n²) = √(δ_sys² + s²), s the spread of δ_sys,n over the windows: also
    /// covers a template that is mismodelled by a different amount in each window, but counts the
    /// reference's own statistical noise (which is in s²) once more on top of eq. 8's.
    rms,
    /// σ_sys² = δ_sys² + s_t² + (s_t² + v̄)/N: the paper's |δ_sys| (the allowance for a reference
    /// that differs from the data), the windows' spread without the reference's statistical noise,
    /// s_t² = max(0, s² − v̄) with s² the sample variance of the N shifts and v̄ the mean of their
    /// expected statistical variances (delta_sys_window_variance), and the uncertainty of their
    /// mean, (s_t² + v̄)/N. Needs ReferenceShift::variance.
    net,
};

/// δ_sys = mean of `per_window` (eq. 5) and σ_sys by `rule` (named by the caller: the calibrated
/// SigmaSys::net needs `variance`, each shift's expected statistical variance; the others ignore
/// it), at working point `eps_b`.
/// Windows whose shift is NaN (not measured: delta_sys_per_window) are left out. With none
/// measured, or a mean of −1 (no reference event passed in any window, so eq. 3 would expect
/// nothing), the shift cannot be measured at this working point: δ_sys and σ_sys are NaN, and the
/// direct estimate reports the working point unreached.
inline SystematicShift systematic_shift(double eps_b, std::span<const double> per_window,
                                        SigmaSys rule, std::span<const double> variance = {}) {
    detail::require(!per_window.empty(), "systematic_shift: no per-window shifts");
    detail::require(rule != SigmaSys::net || variance.size() == per_window.size(),
                    "systematic_shift: the net rule needs one statistical variance per window, got " +
                        std::to_string(variance.size()) + " for " + std::to_string(per_window.size()));
    double sum = 0.0, sum2 = 0.0, n = 0.0, vsum = 0.0;
    for (std::size_t i = 0; i < per_window.size(); ++i) {
        const double d = per_window[i];
        if (std::isnan(d)) continue;
        detail::require(std::isfinite(d), "systematic_shift: a per-window shift is infinite");
        sum += d;
        sum2 += d * d;
        n += 1.0;
        if (rule == SigmaSys::net) {
            detail::require(std::isfinite(variance[i]) && variance[i] >= 0.0,
                            "systematic_shift: window " + std::to_string(i) + " has no statistical variance");
            vsum += variance[i];
        }
    }
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    if (n == 0.0 || !(sum / n > -1.0)) return {eps_b, nan, nan};
    const double mean = sum / n;
    double sigma = 0.0;
    switch (rule) {
        case SigmaSys::abs_mean: sigma = std::fabs(mean); break;
        case SigmaSys::rms: sigma = std::sqrt(sum2 / n); break;
        case SigmaSys::net: {
            const double s2 = n > 1.0 ? std::max(0.0, sum2 - n * mean * mean) / (n - 1.0) : 0.0;
            const double v = vsum / n, st2 = std::max(0.0, s2 - v);
            sigma = std::sqrt(mean * mean + st2 + (st2 + v) / n);
            break;
        }
    }
    return {eps_b, mean, sigma};
}

/// Eqs. 4–5: δ_sys^MC = the mean over windows (and classifier runs) of eq. 4 on a signal-free
/// reference (delta_sys_per_window).
inline double delta_sys_from_reference(std::span<const ReferenceWindow> windows, double eps_b) {
    return systematic_shift(eps_b, delta_sys_per_window(windows, eps_b), SigmaSys::abs_mean).delta_sys;
}

/// §3.2: δ_sys^SB — the same shift measured in the sidebands: `sideband_data` are the SB data
/// and `sideband_template` a template generated in the SB (not interpolated into the SR), both
/// scored by a classifier trained on them. Several runs are averaged like eq. 5.
inline double delta_sys_from_sidebands(std::span<const ReferenceWindow> runs, double eps_b) {
    return delta_sys_from_reference(runs, eps_b);
}

/// §3.2: δ_sys^{MC⊕SB} = √((δ_sys^MC)² + (δ_sys^SB)²).
inline double delta_sys_combined(double delta_mc, double delta_sb) { return std::hypot(delta_mc, delta_sb); }

/// §3.2 (Fig. 5) for every working point (and window, for per-window shifts): the MC and the
/// sideband estimates added in quadrature, δ_sys = √(δ_MC² + δ_SB²) (delta_sys_combined) and
/// σ_sys = √(σ_MC² + σ_SB²) (each σ defaulting to its |δ|). Entries are matched by ε_B (relative
/// 1e-9) and window; every MC entry needs its sideband partner.
inline std::vector<SystematicShift> combine_in_quadrature(std::span<const SystematicShift> mc,
                                                          std::span<const SystematicShift> sb) {
    std::vector<SystematicShift> out;
    for (const SystematicShift& a : mc) {
        const SystematicShift* b = nullptr;
        for (const SystematicShift& c : sb)
            if (std::fabs(c.eps_b - a.eps_b) <= 1e-9 * a.eps_b && c.sr == a.sr) b = &c;
        detail::require(b != nullptr, "combine_in_quadrature: no sideband shift for ε_B = " + detail::direct::num(a.eps_b) +
                                          (a.sr ? " in the window [" + detail::direct::num(a.sr->lo) + ", " +
                                                      detail::direct::num(a.sr->hi) + ")"
                                                : std::string()));
        const double sa = a.sigma_sys.value_or(std::fabs(a.delta_sys)), sc = b->sigma_sys.value_or(std::fabs(b->delta_sys));
        out.push_back({a.eps_b, delta_sys_combined(a.delta_sys, b->delta_sys), std::hypot(sa, sc), a.sr});
    }
    return out;
}

/// The shifts of a signal-free reference in each window at one working point (eq. 4, in window
/// order), what is known of their statistical noise, and the δ_sys, σ_sys they give.
struct ReferenceShift {
    double eps_b = 0.0;
    std::vector<double> per_window;
    /// The statistical variance expected of each shift (delta_sys_window_variance); empty: unknown
    /// (SigmaSys::net then needs it).
    std::vector<double> variance = {};
    std::vector<Interval> windows = {};  ///< the signal regions, in order (empty: unknown)

    SystematicShift shift(SigmaSys rule = SigmaSys::net) const {
        return systematic_shift(eps_b, per_window, rule, variance);
    }
};

/// One SystematicShift per working point, by `rule` (DirectEstimateConfig::per_eps_b); by default
/// the rule calibrated on background-only searches (SigmaSys::net, docs/validation.md).
inline std::vector<SystematicShift> systematic_shifts(std::span<const ReferenceShift> shifts,
                                                      SigmaSys rule = SigmaSys::net) {
    std::vector<SystematicShift> out;
    out.reserve(shifts.size());
    for (const auto& s : shifts) out.push_back(s.shift(rule));
    return out;
}

/// The shift δ_sys and its σ_sys at working point eps in the window with signal region sr: an entry
/// of per_eps_b for this window (matched by ε_B within a relative 1e-9 and by its sr), else one for
/// every window, else delta_sys (σ_sys defaulting to |δ_sys| as in Das et al. 2024, §3.1);
/// nullopt when none applies.
inline std::optional<std::pair<double, double>> find_shift(std::span<const SystematicShift> per_eps_b,
                                                          const std::optional<double>& delta_sys,
                                                          const std::optional<double>& sigma_sys, double eps,
                                                          const Interval& sr) {
    const SystematicShift* general = nullptr;
    for (const auto& s : per_eps_b) {
        if (std::fabs(s.eps_b - eps) > 1e-9 * eps) continue;
        if (s.sr && *s.sr == sr) return std::pair{s.delta_sys, s.sigma_sys.value_or(std::fabs(s.delta_sys))};
        if (!s.sr && general == nullptr) general = &s;
    }
    if (general != nullptr) return std::pair{general->delta_sys, general->sigma_sys.value_or(std::fabs(general->delta_sys))};
    if (delta_sys) return std::pair{*delta_sys, sigma_sys.value_or(std::fabs(*delta_sys))};
    return std::nullopt;
}

/// Throws input_error unless every shift is NaN (not measured) or finite and > −1 with σ ≥ 0.
inline void check_shifts(std::span<const SystematicShift> per_eps_b, const std::optional<double>& delta_sys,
                         const std::optional<double>& sigma_sys, const std::string& who) {
    if (delta_sys) detail::require(std::isfinite(*delta_sys) && *delta_sys > -1.0, who + ": delta_sys must be finite and > -1");
    if (sigma_sys) detail::require(std::isfinite(*sigma_sys) && *sigma_sys >= 0.0, who + ": sigma_sys must be finite and >= 0");
    for (const auto& s : per_eps_b)   // NaN: not measurable there (systematic_shift)
        detail::require(std::isnan(s.delta_sys) || (std::isfinite(s.delta_sys) && s.delta_sys > -1.0 &&
                                                     (!s.sigma_sys || (std::isfinite(*s.sigma_sys) && *s.sigma_sys >= 0.0))),
                        who + ": a per-working-point delta_sys must be NaN (not measured) or finite and > -1, its "
                              "sigma_sys >= 0");
}

/// What the direct estimate assumes for the systematic shift: nothing by default. A working point
/// with no entry in per_eps_b and no delta_sys is refused, so that no significance rests on an
/// unstated δ_sys = 0 (which only the idealized template of the IAD justifies, Das et al. 2024,
/// §2.2.1; iad_hgb() sets it).
struct DirectEstimateConfig {
    /// δ_sys and σ_sys at every working point not listed in per_eps_b; none: refused.
    std::optional<double> delta_sys = std::nullopt;
    std::optional<double> sigma_sys = std::nullopt;  ///< default |delta_sys|
    std::vector<SystematicShift> per_eps_b = {};      ///< entries matched by eps_b (relative 1e-9)
    /// When a working point counts as reached on the template (WorkingPointStatus::unreached).
    WorkingPointRule working_point = {};
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

/// Direct background estimation as a TestStatistic (Das et al. 2024, §3). evaluate() needs the
/// background template; the data's SR events (m in window.sr; all events when m is empty) are
/// counted. Per working point: threshold R_c, n_obs, n_exp = ε_B N_SR (1 + δ_sys),
/// sigma_exp = σ_exp·n_exp (ABSOLUTE; σ_exp relative from eq. 8), z from eq. 6 signed
/// (negative for a deficit), p_value one-sided; n_sr, n_bt, and the δ_sys and σ_sys assumed. A
/// working point the template cannot resolve (DirectEstimateConfig::working_point), or whose shift
/// could not be measured (a NaN δ_sys: systematic_shift), is reported with status unreached and
/// n_exp, sigma_exp, z, p_value NaN.
class DirectEstimate {
public:
    explicit DirectEstimate(DirectEstimateConfig config = {}) : config_(std::move(config)) {
        check_shifts(config_.per_eps_b, config_.delta_sys, config_.sigma_sys, "DirectEstimate");
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
            const bool reached = config_.working_point.reached(eps, c.eps_b_real, c.n_bt_pass);
            // An unreached working point needs no shift; a reached one whose shift could not be
            // measured (NaN) is no test either.
            constexpr double nan = std::numeric_limits<double>::quiet_NaN();
            const auto [delta, sigma_sys] = reached ? shift_at(eps, in.window.sr) : std::pair{nan, nan};
            Significance s;
            s.statistic = "direct";
            s.eps_b = eps;
            s.eps_b_real = c.eps_b_real;
            s.threshold = c.threshold;
            s.n_sr = c.n_sr;
            s.n_bt = c.n_bt;
            s.delta_sys = delta;
            s.sigma_sys = sigma_sys;
            s.n_obs = c.n_obs;
            if (!reached || std::isnan(delta)) {
                s.status = WorkingPointStatus::unreached;
                s.n_exp = s.sigma_exp = s.z = s.p_value = nan;
                out.push_back(s);
                continue;
            }
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
    /// δ_sys and σ_sys at working point eps in the window with signal region sr (find_shift);
    /// refused when none is given.
    std::pair<double, double> shift_at(double eps, const Interval& sr) const {
        const auto s = find_shift(config_.per_eps_b, config_.delta_sys, config_.sigma_sys, eps, sr);
        if (!s)
            throw input_error("DirectEstimate: no systematic shift δ_sys for ε_B = " + detail::direct::num(eps) +
                              " in the window [" + detail::direct::num(sr.lo) + ", " + detail::direct::num(sr.hi) +
                              "): give DirectEstimateConfig::delta_sys or per_eps_b (δ_sys = 0 holds only for an "
                              "idealized template, the IAD)");
        return *s;
    }

    DirectEstimateConfig config_;
};

static_assert(TestStatistic<DirectEstimate>);

}  // namespace resanom
