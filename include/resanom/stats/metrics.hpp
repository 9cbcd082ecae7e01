// resanom/stats/metrics.hpp — classifier performance metrics as the resonant-AD papers use them:
// ROC/AUC, SIC and its floored maximum, working points at fixed efficiency, the template cut.
//
// roc_curve, auc, sic_curve, max_sic (≥ 25 background events), at_eps_b, sic_at_eps_b,
// eps_s_at_eps_b, rejection_at_eps_s, threshold_at_eps_b and pass_fraction (direct estimation, Das
// et al. 2024, §3). Conventions: a cut passes score ≥ t (ties pass together, so results are exact);
// event i counts w_i·y_i as signal and w_i·(1−y_i) as background; one O(n log n) sort, ties by row.
// docs/metrics.md gives the definitions.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/types.hpp"

namespace resanom {

/// A ROC curve: one point per distinct score threshold, in order of decreasing threshold.
/// Point 0 is the empty selection (threshold +inf, ε_B = ε_S = 0, n_bkg = 0); the last point is the
/// lowest score, which every event passes (ε_B = ε_S = 1 exactly). Point k says: the events with
/// score >= thresholds[k] pass, and they carry the fractions eps_b[k] / eps_s[k] of the total
/// background / signal weight. Both efficiencies are non-decreasing along the curve.
///
/// n_bkg[k] is the number of background events passing, unweighted: Σ (1 − y_i) over the passing
/// events with w_i > 0. For hard labels it is the plain count of background events; a soft label
/// counts as the expected number of background events it stands for; events of zero weight do not
/// count. It measures how many events ε_B is estimated from (the statistical precision of ε_B is
/// about 1/√n_bkg), which is what max_sic() restricts. It is not the effective count (Σw)²/Σw².
struct RocCurve {
    Vector eps_b;
    Vector eps_s;
    Vector thresholds;
    Vector n_bkg;
};

/// The SIC curve: the points of the ROC curve with ε_B > 0 (same order), and SIC = ε_S/√ε_B.
struct SicCurve {
    Vector eps_b;
    Vector eps_s;
    Vector sic;
    Vector thresholds;
    Vector n_bkg;
};

/// A working point of a classifier: the cut (events with score >= threshold pass) and its
/// efficiencies and SIC = eps_s / √eps_b.
struct WorkingPoint {
    double threshold;
    double eps_s;
    double eps_b;
    double sic;
};

namespace detail::metrics {

inline std::string num(double x) {
    std::ostringstream s;
    s << x;
    return s.str();
}

/// Row index carried with its score in the sort key, so the comparisons during the sort read
/// contiguous memory instead of gathering scores[index].
struct ScoreKey {
    double score;
    Index row;
};

/// Rows ordered by decreasing score; equal scores by increasing row (a total order, so the result
/// does not depend on the standard library's sort).
inline std::vector<ScoreKey> sort_by_score(const Eigen::Ref<const Vector>& scores) {
    std::vector<ScoreKey> keys(static_cast<std::size_t>(scores.size()));
    for (Index i = 0; i < scores.size(); ++i) keys[static_cast<std::size_t>(i)] = {scores[i], i};
    std::sort(keys.begin(), keys.end(), [](const ScoreKey& a, const ScoreKey& b) {
        return a.score > b.score || (a.score == b.score && a.row < b.row);
    });
    return keys;
}

inline void check_scores(const char* fn, const Eigen::Ref<const Vector>& scores) {
    if (scores.allFinite()) return;
    for (Index i = 0; i < scores.size(); ++i)
        if (!std::isfinite(scores[i]))
            throw input_error(std::string(fn) + ": score at row " + std::to_string(i) + " is " +
                              num(scores[i]) + " (scores must be finite)");
}

inline void check_weights(const char* fn, const Eigen::Ref<const Vector>& weights, Index n) {
    if (weights.size() == 0) return;
    if (weights.size() != n)
        throw input_error(std::string(fn) + ": weights has " + std::to_string(weights.size()) +
                          " entries but scores has " + std::to_string(n) +
                          " (pass an empty vector for unit weights)");
    for (Index i = 0; i < n; ++i)
        if (!(std::isfinite(weights[i]) && weights[i] >= 0.0))
            throw input_error(std::string(fn) + ": weight at row " + std::to_string(i) + " is " +
                              num(weights[i]) + " (weights must be finite and >= 0)");
}

/// Validates scores/labels/weights and that both classes carry positive total weight.
inline void check_labelled(const char* fn, const Eigen::Ref<const Vector>& scores,
                           const Eigen::Ref<const Vector>& labels,
                           const Eigen::Ref<const Vector>& weights) {
    const Index n = scores.size();
    if (labels.size() != n)
        throw input_error(std::string(fn) + ": labels has " + std::to_string(labels.size()) +
                          " entries but scores has " + std::to_string(n));
    if (n == 0) throw input_error(std::string(fn) + ": no events (scores is empty)");
    check_scores(fn, scores);
    for (Index i = 0; i < n; ++i)
        if (!(labels[i] >= 0.0 && labels[i] <= 1.0))
            throw input_error(std::string(fn) + ": label at row " + std::to_string(i) + " is " +
                              num(labels[i]) + " (labels must lie in [0,1])");
    check_weights(fn, weights, n);
    double ws = 0.0, wb = 0.0;
    for (Index i = 0; i < n; ++i) {
        const double w = weights.size() ? weights[i] : 1.0;
        ws += w * labels[i];
        wb += w * (1.0 - labels[i]);
    }
    if (!(ws > 0.0))
        throw input_error(std::string(fn) +
                          ": no signal: the total signal weight sum(w*y) is 0 (need events with "
                          "label > 0 and weight > 0)");
    if (!(wb > 0.0))
        throw input_error(std::string(fn) +
                          ": no background: the total background weight sum(w*(1-y)) is 0 (need "
                          "events with label < 1 and weight > 0)");
    if (!std::isfinite(ws) || !std::isfinite(wb))
        throw input_error(std::string(fn) + ": the total signal or background weight overflows");
}

inline void check_curve(const char* fn, const RocCurve& roc) {
    const Index g = roc.eps_b.size();
    if (g < 2 || roc.eps_s.size() != g || roc.thresholds.size() != g || roc.n_bkg.size() != g ||
        roc.eps_b[0] != 0.0 || roc.eps_s[0] != 0.0 || roc.eps_b[g - 1] != 1.0 || roc.eps_s[g - 1] != 1.0)
        throw input_error(std::string(fn) +
                          ": malformed RocCurve (need at least 2 points, equal sizes of eps_b, "
                          "eps_s, thresholds, n_bkg, from (0,0) to (1,1); build it with roc_curve)");
}

inline void check_fraction(const char* fn, const char* what, double x) {
    if (!(x > 0.0 && x <= 1.0))
        throw input_error(std::string(fn) + ": " + what + " = " + num(x) + " outside (0, 1]");
}

inline void check_min_bkg(double min_bkg_events) {
    if (!(std::isfinite(min_bkg_events) && min_bkg_events >= 0.0))
        throw input_error("max_sic: min_bkg_events = " + num(min_bkg_events) +
                          " (must be finite and >= 0)");
}

/// roc_curve, with error messages naming the public function fn that was called.
inline RocCurve build_roc(const char* fn, const Eigen::Ref<const Vector>& scores,
                          const Eigen::Ref<const Vector>& labels, const Eigen::Ref<const Vector>& weights) {
    check_labelled(fn, scores, labels, weights);
    const auto keys = sort_by_score(scores);
    const std::size_t n = keys.size();
    Index groups = 1;
    for (std::size_t i = 1; i < n; ++i) groups += keys[i].score != keys[i - 1].score;

    RocCurve roc{Vector(groups + 1), Vector(groups + 1), Vector(groups + 1), Vector(groups + 1)};
    roc.eps_b[0] = 0.0;
    roc.eps_s[0] = 0.0;
    roc.thresholds[0] = std::numeric_limits<double>::infinity();
    roc.n_bkg[0] = 0.0;
    const bool weighted = weights.size() != 0;
    double cum_s = 0.0, cum_b = 0.0, cum_n = 0.0;
    Index k = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const Index row = keys[i].row;
        const double w = weighted ? weights[row] : 1.0;
        const double y = labels[row];
        cum_s += w * y;
        cum_b += w * (1.0 - y);
        if (w > 0.0) cum_n += 1.0 - y;
        if (i + 1 == n || keys[i + 1].score != keys[i].score) {
            ++k;
            roc.eps_s[k] = cum_s;
            roc.eps_b[k] = cum_b;
            roc.thresholds[k] = keys[i].score;
            roc.n_bkg[k] = cum_n;
        }
    }
    // Normalizing by the sums accumulated in this same order makes the last point exactly (1, 1),
    // and division by a positive constant keeps the efficiencies non-decreasing.
    roc.eps_s /= cum_s;
    roc.eps_b /= cum_b;
    return roc;
}

}  // namespace detail::metrics

/// The tie-aware ROC curve of scores against labels (see RocCurve). Throws input_error on
/// mismatched sizes, non-finite scores, labels outside [0,1], negative or non-finite weights, or
/// when either class has zero total weight.
inline RocCurve roc_curve(const Eigen::Ref<const Vector>& scores, const Eigen::Ref<const Vector>& labels,
                          const Eigen::Ref<const Vector>& weights = Vector()) {
    return detail::metrics::build_roc("roc_curve", scores, labels, weights);
}

/// Area under ε_S(ε_B), trapezoidal over the tie-aware curve. Equals the weighted Mann–Whitney
/// statistic P(s_sig > s_bkg) + ½ P(s_sig = s_bkg), signal and background events drawn with
/// probabilities ∝ w·y and ∝ w·(1−y) (with soft labels, an event also pairs with itself as a tie).
inline double auc(const RocCurve& roc) {
    detail::metrics::check_curve("auc", roc);
    double area = 0.0;
    for (Index k = 1; k < roc.eps_b.size(); ++k)
        area += (roc.eps_b[k] - roc.eps_b[k - 1]) * (roc.eps_s[k] + roc.eps_s[k - 1]);
    return 0.5 * area;
}

inline double auc(const Eigen::Ref<const Vector>& scores, const Eigen::Ref<const Vector>& labels,
                  const Eigen::Ref<const Vector>& weights = Vector()) {
    return auc(detail::metrics::build_roc("auc", scores, labels, weights));
}

/// SIC = ε_S/√ε_B along the ROC curve; points with ε_B = 0 are left out (their SIC is unbounded).
inline SicCurve sic_curve(const RocCurve& roc) {
    detail::metrics::check_curve("sic_curve", roc);
    const Index g = roc.eps_b.size();
    Index first = 0;
    while (first < g && !(roc.eps_b[first] > 0.0)) ++first;
    const Index m = g - first;
    SicCurve out{roc.eps_b.tail(m), roc.eps_s.tail(m), Vector(m), roc.thresholds.tail(m),
                 roc.n_bkg.tail(m)};
    out.sic = out.eps_s.array() / out.eps_b.array().sqrt();
    return out;
}

inline SicCurve sic_curve(const Eigen::Ref<const Vector>& scores, const Eigen::Ref<const Vector>& labels,
                          const Eigen::Ref<const Vector>& weights = Vector()) {
    return sic_curve(detail::metrics::build_roc("sic_curve", scores, labels, weights));
}

/// Maximum SIC over the working points with ε_B > 0 and at least min_bkg_events background events
/// passing (RocCurve::n_bkg). Ties in SIC go to the tightest cut.
///
/// Why the default of 25: ε_B at a cut passing N background events is known to a relative
/// statistical precision of about 1/√N. Without a floor the maximum of ε_S/√ε_B is found at the
/// tightest cuts, where a handful of background events pass and a downward fluctuation of ε_B
/// inflates SIC — max SIC then measures noise, not the classifier. Requiring N >= 25 bounds that
/// uncertainty by 1/√25 = 20 %. The floor is resanom's convention (Golling et al. 2024, Fig. 13a,
/// and Das et al. 2024, App. C, report max SIC without stating one). Throws input_error if no
/// working point qualifies.
inline WorkingPoint max_sic(const RocCurve& roc, double min_bkg_events = 25.0) {
    detail::metrics::check_curve("max_sic", roc);
    detail::metrics::check_min_bkg(min_bkg_events);
    WorkingPoint best{std::numeric_limits<double>::quiet_NaN(), 0.0, 0.0, -1.0};
    for (Index k = 0; k < roc.eps_b.size(); ++k) {
        if (!(roc.eps_b[k] > 0.0) || roc.n_bkg[k] < min_bkg_events) continue;
        const double sic = roc.eps_s[k] / std::sqrt(roc.eps_b[k]);
        if (sic > best.sic) best = {roc.thresholds[k], roc.eps_s[k], roc.eps_b[k], sic};
    }
    if (best.sic < 0.0)
        throw input_error("max_sic: no working point has at least " +
                          detail::metrics::num(min_bkg_events) +
                          " background events passing (all events together hold " +
                          detail::metrics::num(roc.n_bkg[roc.n_bkg.size() - 1]) +
                          "); lower min_bkg_events or evaluate on more background events");
    return best;
}

inline WorkingPoint max_sic(const Eigen::Ref<const Vector>& scores, const Eigen::Ref<const Vector>& labels,
                            const Eigen::Ref<const Vector>& weights = Vector(),
                            double min_bkg_events = 25.0) {
    detail::metrics::check_min_bkg(min_bkg_events);
    return max_sic(detail::metrics::build_roc("max_sic", scores, labels, weights), min_bkg_events);
}

namespace detail::metrics {

inline WorkingPoint at_eps_b_impl(const char* fn, const RocCurve& roc, double eps_b) {
    check_curve(fn, roc);
    check_fraction(fn, "eps_b", eps_b);
    const Index g = roc.eps_b.size();
    // k: first point with ε_B > eps_b; k−1 is then the last point with ε_B <= eps_b (point 0 has 0).
    const Index k = std::upper_bound(roc.eps_b.data(), roc.eps_b.data() + g, eps_b) - roc.eps_b.data();
    const Index lo = k - 1;
    double eps_s;
    double threshold;
    if (roc.eps_b[lo] == eps_b || k == g) {
        eps_s = roc.eps_s[lo];
        threshold = roc.thresholds[lo];
    } else {
        const double t = (eps_b - roc.eps_b[lo]) / (roc.eps_b[k] - roc.eps_b[lo]);
        eps_s = roc.eps_s[lo] + t * (roc.eps_s[k] - roc.eps_s[lo]);
        threshold = roc.thresholds[k];
    }
    return {threshold, eps_s, eps_b, eps_s / std::sqrt(eps_b)};
}

}  // namespace detail::metrics

/// The working point at background efficiency eps_b ∈ (0, 1]. ε_S is interpolated linearly in ε_B
/// between the two neighbouring points of the ROC curve (the ε_S a cut randomized between those two
/// thresholds achieves); where the curve rises vertically at exactly eps_b (ties of signal events,
/// or signal-only groups), the top of that rise is taken. SIC = ε_S/√eps_b, and eps_b is returned
/// as requested. threshold is the tightest real cut that passes at least eps_b of the background
/// and at least the returned ε_S of the signal: the curve point itself on an exact hit, otherwise
/// the looser of the two neighbours.
inline WorkingPoint at_eps_b(const RocCurve& roc, double eps_b) {
    return detail::metrics::at_eps_b_impl("at_eps_b", roc, eps_b);
}

inline WorkingPoint at_eps_b(const Eigen::Ref<const Vector>& scores, const Eigen::Ref<const Vector>& labels,
                             const Eigen::Ref<const Vector>& weights, double eps_b) {
    detail::metrics::check_fraction("at_eps_b", "eps_b", eps_b);
    return at_eps_b(detail::metrics::build_roc("at_eps_b", scores, labels, weights), eps_b);
}

/// SIC at background efficiency eps_b (see at_eps_b); Golling et al. 2024 and Das et al. 2024 quote
/// it at ε_B = 1e-3.
inline double sic_at_eps_b(const Eigen::Ref<const Vector>& scores, const Eigen::Ref<const Vector>& labels,
                           const Eigen::Ref<const Vector>& weights, double eps_b) {
    detail::metrics::check_fraction("sic_at_eps_b", "eps_b", eps_b);
    return detail::metrics::at_eps_b_impl(
               "sic_at_eps_b", detail::metrics::build_roc("sic_at_eps_b", scores, labels, weights), eps_b)
        .sic;
}

/// Signal efficiency at background efficiency eps_b (see at_eps_b).
inline double eps_s_at_eps_b(const Eigen::Ref<const Vector>& scores, const Eigen::Ref<const Vector>& labels,
                             const Eigen::Ref<const Vector>& weights, double eps_b) {
    detail::metrics::check_fraction("eps_s_at_eps_b", "eps_b", eps_b);
    return detail::metrics::at_eps_b_impl(
               "eps_s_at_eps_b", detail::metrics::build_roc("eps_s_at_eps_b", scores, labels, weights), eps_b)
        .eps_s;
}

/// Background rejection 1/ε_B at signal efficiency eps_s ∈ (0, 1]. ε_B is interpolated linearly
/// in ε_S between the neighbouring points of the ROC curve; where the curve runs flat at exactly
/// eps_s (background-only groups), the smallest ε_B of that stretch is taken. Returns +inf when the
/// curve reaches eps_s with no background passing.
inline double rejection_at_eps_s(const RocCurve& roc, double eps_s) {
    detail::metrics::check_curve("rejection_at_eps_s", roc);
    detail::metrics::check_fraction("rejection_at_eps_s", "eps_s", eps_s);
    const Index g = roc.eps_s.size();
    // k: first point with ε_S >= eps_s (exists: the last point has ε_S = 1); k >= 1 as eps_s > 0.
    const Index k = std::lower_bound(roc.eps_s.data(), roc.eps_s.data() + g, eps_s) - roc.eps_s.data();
    double eps_b = roc.eps_b[k];
    if (roc.eps_s[k] != eps_s) {
        const double t = (eps_s - roc.eps_s[k - 1]) / (roc.eps_s[k] - roc.eps_s[k - 1]);
        eps_b = roc.eps_b[k - 1] + t * (roc.eps_b[k] - roc.eps_b[k - 1]);
    }
    return eps_b > 0.0 ? 1.0 / eps_b : std::numeric_limits<double>::infinity();
}

inline double rejection_at_eps_s(const Eigen::Ref<const Vector>& scores, const Eigen::Ref<const Vector>& labels,
                                 const Eigen::Ref<const Vector>& weights, double eps_s) {
    detail::metrics::check_fraction("rejection_at_eps_s", "eps_s", eps_s);
    return rejection_at_eps_s(detail::metrics::build_roc("rejection_at_eps_s", scores, labels, weights),
                              eps_s);
}

/// The weighted fraction of events with score >= cut (ε_B of a background template at that cut).
inline double pass_fraction(const Eigen::Ref<const Vector>& scores, const Eigen::Ref<const Vector>& weights,
                            double cut) {
    detail::metrics::check_scores("pass_fraction", scores);
    detail::metrics::check_weights("pass_fraction", weights, scores.size());
    if (std::isnan(cut)) throw input_error("pass_fraction: cut is nan");
    double pass = 0.0, total = 0.0;
    for (Index i = 0; i < scores.size(); ++i) {
        const double w = weights.size() ? weights[i] : 1.0;
        total += w;
        if (scores[i] >= cut) pass += w;
    }
    if (!(total > 0.0)) throw input_error("pass_fraction: the total weight is 0 (no events or all weights 0)");
    return pass / total;
}

/// The score cut for direct background estimation (Das et al. 2024, §3: choose ε_B, cut so that ε_B·N_BT
/// template events pass): the tightest cut, among the sample's scores, such that the events with
/// score >= cut carry at least the fraction eps_b ∈ (0, 1] of the total weight. Events tied at the
/// cut pass together, so the fraction actually passing (pass_fraction) can exceed eps_b by the
/// weight of that tie group — never fall short of it (up to the slack that follows). A fraction within a relative 1e-12 of eps_b
/// counts as reaching it, so that eps_b = k/N selects exactly k unit-weight events despite
/// rounding in the weight sums.
inline double threshold_at_eps_b(const Eigen::Ref<const Vector>& scores, const Eigen::Ref<const Vector>& weights,
                                 double eps_b) {
    detail::metrics::check_scores("threshold_at_eps_b", scores);
    detail::metrics::check_weights("threshold_at_eps_b", weights, scores.size());
    detail::metrics::check_fraction("threshold_at_eps_b", "eps_b", eps_b);
    const auto keys = detail::metrics::sort_by_score(scores);
    const bool weighted = weights.size() != 0;
    // The total is summed in the same order as the running sum below, so that the running sum
    // reaches it exactly at the last event.
    double total = 0.0;
    for (const auto& key : keys) total += weighted ? weights[key.row] : 1.0;
    if (!(total > 0.0))
        throw input_error("threshold_at_eps_b: the total weight is 0 (no events or all weights 0)");
    const double target = eps_b * total * (1.0 - 1e-12);
    double cum = 0.0;
    // No tie bookkeeping is needed: if part of a tie group reaches the target, so does the whole
    // group, and the cut is the group's common score either way.
    for (const auto& key : keys) {
        cum += weighted ? weights[key.row] : 1.0;
        if (cum >= target) return key.score;
    }
    return keys.back().score;  // not reached: cum == total >= target at the last event
}

}  // namespace resanom
