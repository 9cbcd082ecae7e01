// resanom/search/summary.hpp — the numbers behind a search's report and plots, computed from a
// SearchRun (search/run.hpp), its configuration and its data: the focus window (the most
// significant), its m spectrum before and after each working point's cut with the background the
// statistic compared it with and the pulls, its score densities, the per-window significance table,
// the ROC/SIC points, CATHODE's data-vs-samples marginals, and the range of the measured δ_sys
// shifts. search/plots.hpp and search/report.hpp write them as text.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/methods/pipeline.hpp"
#include "resanom/search/config.hpp"
#include "resanom/search/run.hpp"
#include "resanom/search/search.hpp"
#include "resanom/stats/bump_hunt.hpp"
#include "resanom/stats/histogram.hpp"

namespace resanom {

/// The window the detailed plots show: the most significant one, else the first (input_error
/// for a report without windows).
inline std::size_t focus_window(const SearchReport& rep) {
    detail::require(!rep.windows.empty(), "search summary: the report has no windows");
    return rep.max_window >= 0 ? static_cast<std::size_t>(rep.max_window) : 0;
}

/// Whether any working point of any window has status `st`.
inline bool any_working_point(const SearchReport& rep, WorkingPointStatus st) {
    return std::any_of(rep.windows.begin(), rep.windows.end(), [&](const WindowReport& w) {
        return std::any_of(w.result.significances.begin(), w.result.significances.end(),
                           [&](const Significance& s) { return s.status == st; });
    });
}

/// One cut of the focus window's spectrum: the selected spectrum over every bin of the bump hunt's
/// binning and, for the bump hunt, the background the statistic compared it with (ν over the fit's
/// bins, scaled by 1 + δ_sys when a shift applies; NaN elsewhere) and the pulls (n − ν)/√ν.
struct SpectrumCut {
    double eps_b = 0.0;
    WorkingPointStatus status = WorkingPointStatus::ok;
    Histogram selected;
    Vector nu;     ///< empty: no fit (direct estimation, or a failed fit)
    Vector pull;   ///< per bin; NaN outside the fit range and without a fit
};

/// The focus window's m spectrum: every event, and after each working point's cut.
struct FocusSpectrum {
    Histogram all;
    std::vector<SpectrumCut> cuts;
    bool any_fit() const {
        return std::any_of(cuts.begin(), cuts.end(), [](const SpectrumCut& c) { return c.nu.size() > 0; });
    }
};

/// Whether `data` reach beyond the focus window's signal region inside the bump hunt's range (an
/// SR-only file has no spectrum to show).
inline bool has_spectrum(const SearchRun& run, const Events& data) {
    const Window& w = run.report.windows[focus_window(run.report)].window;
    const Vector m = data.m(w.m_column);
    const Interval range{run.bump_hunt.edges.front(), run.bump_hunt.edges.back()};
    for (Index i = 0; i < m.size(); ++i)
        if (range.contains(m[i]) && !w.sr.contains(m[i])) return true;
    return false;
}

namespace detail::summary {

/// The bump hunt's ν for one cut, over every bin (empty when the fit fails).
inline Vector bump_background(const BumpHunt& hunt, const BumpHuntSelection& sel, const Significance& sg, const Window& w) {
    try {
        const FitResult r = hunt.fit(sel, w.sr);
        Vector nu = Vector::Constant(sel.spectrum.bins(), std::nan(""));
        const std::vector<double> fe = hunt.fit_edges(w.sr, sg.eps_b);
        const Index offset = sel.spectrum.find(0.5 * (fe[0] + fe[1]));
        const double scale = std::isfinite(sg.delta_sys) ? 1.0 + sg.delta_sys : 1.0;
        for (Index b = 0; b < r.expected.size(); ++b) nu[offset + b] = scale * r.expected[b];
        return nu;
    } catch (const std::exception&) {
        return Vector();
    }
}

inline void set_pulls(SpectrumCut& c) {
    c.pull = Vector::Constant(c.selected.bins(), std::nan(""));
    for (Index b = 0; b < c.nu.size(); ++b) {
        const double n = c.selected.counts()[b], nu = c.nu[b];
        if (nu > 0.0) c.pull[b] = (n - nu) / std::sqrt(nu);
    }
}

}  // namespace detail::summary

/// The focus window's spectrum, cut as its statistic cut it: the bump hunt's cuts (per test fold,
/// with its fit over its fit range) when the bump hunt ran, else the direct estimate's (one
/// threshold on the template, no fit). `c` is the configuration `run` ran with.
inline FocusSpectrum focus_spectrum(const SearchRun& run, const SearchConfig& c, const Events& data) {
    const WindowReport& wr = run.report.windows[focus_window(run.report)];
    const Window& w = wr.window;
    detail::require(wr.result.data_score.size() == data.size(), "search summary: the data are not the search's");
    const Vector m = data.m(w.m_column);
    FocusSpectrum out{Histogram(run.bump_hunt.edges), {}};
    for (Index i = 0; i < m.size(); ++i) out.all.fill(m[i], data.w()[i]);
    std::vector<Significance> bump, direct;
    for (const auto& sg : wr.result.significances) (sg.statistic == "bumphunt" ? bump : direct).push_back(sg);
    if (!bump.empty()) {
        const BumpHunt hunt(run.bump_hunt);
        const StatisticInput si = statistic_input(wr.result, data, c.eps_b);
        for (const auto& sg : bump) {
            const BumpHuntSelection sel = hunt.select(si, sg.eps_b);
            SpectrumCut cut{sg.eps_b, sg.status, sel.spectrum, Vector(), Vector()};
            if (sg.status != WorkingPointStatus::fit_failed) cut.nu = detail::summary::bump_background(hunt, sel, sg, w);
            out.cuts.push_back(std::move(cut));
        }
    } else {
        for (const auto& sg : direct) {
            SpectrumCut cut{sg.eps_b, sg.status, Histogram(run.bump_hunt.edges), Vector(), Vector()};
            for (Index i = 0; i < m.size(); ++i)
                if (wr.result.data_score[i] >= sg.threshold) cut.selected.fill(m[i], data.w()[i]);
            out.cuts.push_back(std::move(cut));
        }
    }
    for (SpectrumCut& cut : out.cuts) detail::summary::set_pulls(cut);
    return out;
}

/// Two normalized densities over one binning: the SR data's and a template's (or the flow's
/// samples'). NaN where the second does not exist.
struct DensityPair {
    Histogram bins;   ///< the binning (its counts: the data's)
    Vector data, other;
};

/// The focus window's scores in 40 bins: the SR data's and the template's normalized densities
/// (the template's NaN without one).
inline DensityPair score_densities(const SearchRun& run, const Events& data) {
    const WindowReport& wr = run.report.windows[focus_window(run.report)];
    const IndexList sr = sr_rows(data, wr.window);
    detail::require(!sr.empty(), "search summary: no data in the signal region");
    const Vector ds = wr.result.data_score(sr);
    const std::optional<Vector>& ts = wr.result.template_score;
    double lo = ds.minCoeff(), hi = ds.maxCoeff();
    if (ts) lo = std::min(lo, ts->minCoeff()), hi = std::max(hi, ts->maxCoeff());
    if (!(hi > lo)) hi = lo + 1.0;
    const int nb = 40;
    Histogram hd(uniform_edges(lo, hi + 1e-12 * (hi - lo), nb)), ht(uniform_edges(lo, hi + 1e-12 * (hi - lo), nb));
    for (Index i = 0; i < ds.size(); ++i) hd.fill(ds[i], data.w()[sr[static_cast<std::size_t>(i)]]);
    if (ts)
        for (Index i = 0; i < ts->size(); ++i) ht.fill((*ts)[i], wr.result.template_weight.size() ? wr.result.template_weight[i] : 1.0);
    const double sd = hd.counts().sum(), st = ht.counts().sum(), width = hd.width(0);
    DensityPair out{hd, Vector(nb), Vector(nb)};
    for (Index b = 0; b < nb; ++b) {
        out.data[b] = sd > 0 ? hd.counts()[b] / (sd * width) : 0.0;
        out.other[b] = ts && st > 0 ? ht.counts()[b] / (st * width) : std::nan("");
    }
    return out;
}

/// CATHODE: each feature of the focus window's SR data against the flow's samples, 40 bins over
/// the central 99 % of the SR data, normalized; a feature whose central range is empty is left out.
struct Marginal {
    Index feature = 0;
    DensityPair densities;
};

/// The marginals, or none when the focus window kept no template features (methods but CATHODE).
inline std::optional<std::vector<Marginal>> cathode_marginals(const SearchRun& run, const Events& data) {
    const WindowReport& wr = run.report.windows[focus_window(run.report)];
    if (!wr.result.template_features) return std::nullopt;
    const Matrix& T = *wr.result.template_features;
    const Vector& tw = wr.result.template_weight;
    const IndexList sr = sr_rows(data, wr.window);
    if (sr.empty() || T.rows() == 0 || T.cols() != data.n_features()) return std::nullopt;
    const int nb = 40;
    std::vector<Marginal> out;
    for (Index j = 0; j < T.cols(); ++j) {
        std::vector<double> x;
        for (Index r : sr) x.push_back(data.X()(r, j));
        std::sort(x.begin(), x.end());
        const double lo = x[static_cast<std::size_t>(0.005 * static_cast<double>(x.size() - 1))];
        const double hi = x[static_cast<std::size_t>(0.995 * static_cast<double>(x.size() - 1))];
        if (!(hi > lo)) continue;
        Histogram hd(uniform_edges(lo, hi, nb)), ht(uniform_edges(lo, hi, nb));
        for (Index r : sr) hd.fill(data.X()(r, j), data.w()[r]);
        for (Index t = 0; t < T.rows(); ++t) ht.fill(T(t, j), tw.size() ? tw[t] : 1.0);
        const double sd = hd.counts().sum(), st = ht.counts().sum(), width = (hi - lo) / nb;
        Marginal mg{j, {hd, Vector(nb), Vector(nb)}};
        for (Index b = 0; b < nb; ++b) {
            mg.densities.data[b] = sd > 0 ? hd.counts()[b] / (sd * width) : 0.0;
            mg.densities.other[b] = st > 0 ? ht.counts()[b] / (st * width) : 0.0;
        }
        out.push_back(std::move(mg));
    }
    return out;
}

/// Local Z per window: one column per (statistic, ε_B) of the first window, NaN where a window
/// has fewer verdicts.
struct SignificanceTable {
    std::vector<std::pair<std::string, double>> columns;   ///< (statistic, ε_B)
    std::vector<Interval> windows;                          ///< the signal regions
    Matrix z;                                               ///< windows × columns
};

inline SignificanceTable significance_table(const SearchReport& rep) {
    detail::require(!rep.windows.empty(), "search summary: the report has no windows");
    SignificanceTable t;
    for (const auto& s : rep.windows.front().result.significances) t.columns.emplace_back(s.statistic, s.eps_b);
    t.z = Matrix::Constant(static_cast<Index>(rep.windows.size()), static_cast<Index>(t.columns.size()), std::nan(""));
    for (std::size_t i = 0; i < rep.windows.size(); ++i) {
        const auto& sig = rep.windows[i].result.significances;
        t.windows.push_back(rep.windows[i].window.sr);
        for (std::size_t k = 0; k < t.columns.size() && k < sig.size(); ++k)
            t.z(static_cast<Index>(i), static_cast<Index>(k)) = sig[k].z;
    }
    return t;
}

/// Points along the focus window's ROC curve: ε_S, ε_B, the rejection 1/ε_B and SIC = ε_S/√ε_B
/// (NaN where fewer than 10 weighted background events pass); at most about 2000, ε_B > 0 only.
struct RocPoints {
    std::vector<double> eps_s, eps_b, rejection, sic;
};

/// The points, or none without a ROC curve (no truth) or with fewer than two of its points.
inline std::optional<RocPoints> roc_points(const SearchReport& rep) {
    const WindowReport& wr = rep.windows[focus_window(rep)];
    if (!wr.roc) return std::nullopt;
    const RocCurve& r = *wr.roc;
    const Index n = r.eps_b.size();
    if (n < 2) return std::nullopt;
    const Index stride = std::max<Index>(1, n / 2000);
    RocPoints p;
    for (Index i = 0; i < n; i += stride) {
        const double eb = r.eps_b[i], es = r.eps_s[i];
        if (!(eb > 0.0)) continue;
        const bool enough = r.n_bkg.size() == n ? r.n_bkg[i] >= 10.0 : true;
        p.eps_s.push_back(es), p.eps_b.push_back(eb), p.rejection.push_back(1.0 / eb);
        p.sic.push_back(enough ? es / std::sqrt(eb) : std::nan(""));
    }
    return p;
}

/// One working point of a δ_sys estimate measured window by window: the shift applied under
/// `rule` (δ_sys, σ_sys), the smallest and largest window shift (NaN when none was measured) and
/// the windows' root-mean-square shift.
struct ShiftSummary {
    double eps_b = 0.0, delta_sys = 0.0, sigma_sys = 0.0, smallest = 0.0, largest = 0.0, rms = 0.0;
};

inline ShiftSummary shift_summary(const ReferenceShift& r, SigmaSys rule) {
    // Windows whose shift could not be measured (NaN) are left out of the range.
    double lo = std::nan(""), hi = lo;
    for (const double d : r.per_window) {
        if (!std::isfinite(d)) continue;
        lo = std::isnan(lo) ? d : std::min(lo, d);
        hi = std::isnan(hi) ? d : std::max(hi, d);
    }
    const SystematicShift used = r.shift(rule);
    return {r.eps_b, used.delta_sys, *used.sigma_sys, lo, hi, *r.shift(SigmaSys::rms).sigma_sys};
}

}  // namespace resanom
