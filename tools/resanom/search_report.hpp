// tools/resanom/search_report.hpp — what `resanom search` writes for a human besides report.json:
// report.md (method, settings, seeds, the windows, their significances and the global
// significance) and the plots of the search, drawn by gnuplot from data files the tool writes:
//   spectrum.{png,svg}      the m spectrum of the most significant window before and after each
//                           working-point cut, the background fit of each selected spectrum and
//                           the pulls (n − ν)/√ν, signal region shaded;
//   significance.{png,svg}  local Z per window and working point, global Z in the title;
//   roc.{png,svg}, sic.{png,svg}  ROC (background rejection vs ε_S) and SIC curves of the most
//                           significant window, when truth labels or a labelled test sample exist;
//   marginals.{png,svg}     CATHODE: each feature of that window's SR data against the flow's
//                           samples (the template), normalized.
// The data files (plots/*.dat) and the script (plots/plots.gp) are kept, so a user can restyle a
// plot and rerun `gnuplot plots.gp` inside plots/.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/search/search.hpp"
#include "resanom/stats/dijet_fit.hpp"
#include "resanom/stats/histogram.hpp"
#include "resanom/stats/metrics.hpp"
#include "resanom/search/run.hpp"
#include "search_flags.hpp"

namespace resanom::cli {

/// Everything the report and the plots are made from.
struct SearchReportInputs {
    const SearchFlags& flags;   ///< the file names and columns as given
    const SearchConfig& config;
    const SearchRun& run;       ///< the report and what the search applied
    const Events& data;
    std::string git_commit;     ///< empty when unknown
    double seconds = 0.0;
};

namespace detail_report {

inline std::string stat_name(const SearchReportInputs& in) { return std::string(to_string(in.run.statistic)); }
/// The δ_sys source of a direct estimate (or a given δ_sys), else empty.
inline std::string source_name(const SearchReportInputs& in) {
    return in.run.delta_sys_source == DeltaSysSource::none ? std::string() : std::string(to_string(in.run.delta_sys_source));
}

/// Every image plots.gp may draw, in the order they are listed.
inline std::vector<std::string> image_files() {
    std::vector<std::string> out;
    for (const char* name : {"spectrum", "scores", "significance", "roc", "sic", "marginals"})
        for (const char* ext : {".png", ".svg"}) out.push_back(std::string(name) + ext);
    return out;
}

inline std::string fmt(double v, const char* f = "%.4g") {
    if (!std::isfinite(v)) return "NaN";
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

/// The window the detailed plots show: the most significant one, else the first.
inline std::size_t focus_window(const SearchReport& rep) {
    return rep.max_window >= 0 ? static_cast<std::size_t>(rep.max_window) : 0;
}

/// One cut of the spectrum plot: the selected spectrum over every bin and, for the bump hunt, the
/// background the statistic compared it with (ν over the fit's bins, scaled by 1 + δ_sys when a
/// shift applies; NaN elsewhere and when the fit failed).
struct SpectrumCut {
    double eps_b = 0.0;
    WorkingPointStatus status = WorkingPointStatus::ok;
    Histogram selected;
    Vector nu;   ///< empty: no fit (direct estimation, or a failed fit)
};

/// Whether the data reach beyond the signal region inside the plotted range (an SR-only file has
/// no spectrum to show; its plot shows the score distributions instead).
inline bool has_spectrum(const SearchReportInputs& in) {
    const Window& w = in.run.report.windows[focus_window(in.run.report)].window;
    const Vector m = in.data.m(w.m_column);
    const Interval range{in.run.bump_hunt.edges.front(), in.run.bump_hunt.edges.back()};
    for (Index i = 0; i < m.size(); ++i)
        if (range.contains(m[i]) && !w.sr.contains(m[i])) return true;
    return false;
}

/// The cuts of the focus window, as its statistic made them: the bump hunt's (per test fold, with
/// its fit over its fit range) when the bump hunt ran, else the direct estimate's (one threshold
/// on the template, no fit).
inline std::vector<SpectrumCut> spectrum_cuts(const SearchReportInputs& in) {
    const WindowReport& wr = in.run.report.windows[focus_window(in.run.report)];
    const Window& w = wr.window;
    std::vector<Significance> bump, direct;
    for (const auto& sg : wr.result.significances) (sg.statistic == "bumphunt" ? bump : direct).push_back(sg);
    std::vector<SpectrumCut> out;
    if (!bump.empty()) {
        const BumpHunt hunt(in.run.bump_hunt);
        const StatisticInput si = statistic_input(wr.result, in.data, in.config.eps_b);
        for (const auto& sg : bump) {
            const BumpHuntSelection sel = hunt.select(si, sg.eps_b);
            SpectrumCut c{sg.eps_b, sg.status, sel.spectrum, Vector()};
            if (sg.status != WorkingPointStatus::fit_failed) {
                try {
                    const FitResult r = hunt.fit(sel, w.sr);
                    c.nu = Vector::Constant(sel.spectrum.bins(), std::nan(""));
                    const std::vector<double> fe = hunt.fit_edges(w.sr, sg.eps_b);
                    const Index offset = sel.spectrum.find(0.5 * (fe[0] + fe[1]));
                    const double scale = std::isfinite(sg.delta_sys) ? 1.0 + sg.delta_sys : 1.0;
                    for (Index b = 0; b < r.expected.size(); ++b) c.nu[offset + b] = scale * r.expected[b];
                } catch (const std::exception&) {
                    c.nu = Vector();
                }
            }
            out.push_back(std::move(c));
        }
        return out;
    }
    const Vector m = in.data.m(w.m_column);
    for (const auto& sg : direct) {
        SpectrumCut c{sg.eps_b, sg.status, Histogram(in.run.bump_hunt.edges), Vector()};
        for (Index i = 0; i < m.size(); ++i)
            if (wr.result.data_score[i] >= sg.threshold) c.selected.fill(m[i], in.data.w()[i]);
        out.push_back(std::move(c));
    }
    return out;
}

/// plots/spectrum.dat: per bin lo, hi, n before any cut, then per cut: n, the background ν the
/// statistic compared it with (NaN outside the fit range and without a fit), pull (n − ν)/√ν inside
/// the fit range only; plots/spectrum_steps.dat: the same as step outlines (two points per bin).
inline std::pair<std::string, std::string> spectrum_files(const SearchReportInputs& in,
                                                          const std::vector<SpectrumCut>& cuts) {
    const WindowReport& wr = in.run.report.windows[focus_window(in.run.report)];
    const Window& w = wr.window;
    const Vector m = in.data.m(w.m_column);
    Histogram all(in.run.bump_hunt.edges);
    for (Index i = 0; i < m.size(); ++i) all.fill(m[i], in.data.w()[i]);
    std::ostringstream dat, steps;
    dat << "# resanom search: m spectrum of window [" << fmt(w.sr.lo) << ", " << fmt(w.sr.hi)
        << ") before and after each cut\n# lo hi n_all";
    for (const auto& c : cuts) dat << " n(eps_b=" << fmt(c.eps_b) << ") fit pull";
    dat << "\n";
    for (Index b = 0; b < all.bins(); ++b) {
        dat << fmt(all.lo(b), "%.6g") << ' ' << fmt(all.hi(b), "%.6g") << ' ' << fmt(all.counts()[b], "%.8g");
        for (const auto& c : cuts) {
            const double n = c.selected.counts()[b];
            const double nu = c.nu.size() ? c.nu[b] : std::nan("");
            const double pull = nu > 0.0 ? (n - nu) / std::sqrt(nu) : std::nan("");
            dat << ' ' << fmt(n, "%.8g") << ' ' << fmt(nu, "%.8g") << ' ' << fmt(pull, "%.5g");
        }
        dat << "\n";
    }
    // Step outlines: x, n_all, then n and ν per cut, at both edges of every bin.
    steps << "# step outlines of spectrum.dat: x n_all [n fit] per cut\n";
    for (Index b = 0; b < all.bins(); ++b)
        for (const double x : {all.lo(b), all.hi(b)}) {
            steps << fmt(x, "%.6g") << ' ' << fmt(all.counts()[b], "%.8g");
            for (const auto& c : cuts)
                steps << ' ' << fmt(c.selected.counts()[b], "%.8g") << ' ' << (c.nu.size() ? fmt(c.nu[b], "%.8g") : "NaN");
            steps << "\n";
        }
    return {dat.str(), steps.str()};
}

/// plots/scores.dat (data without events outside the signal region): 40 bins of the focus window's
/// score, with the SR data's and the template's normalized densities (template NaN without one).
inline std::string scores_file(const SearchReportInputs& in) {
    const WindowReport& wr = in.run.report.windows[focus_window(in.run.report)];
    const IndexList sr = sr_rows(in.data, wr.window);
    const Vector ds = wr.result.data_score(sr);
    double lo = ds.minCoeff(), hi = ds.maxCoeff();
    if (wr.result.template_score) {
        lo = std::min(lo, wr.result.template_score->minCoeff());
        hi = std::max(hi, wr.result.template_score->maxCoeff());
    }
    if (!(hi > lo)) hi = lo + 1.0;
    const int nb = 40;
    Histogram hd(uniform_edges(lo, hi + 1e-12 * (hi - lo), nb)), ht(uniform_edges(lo, hi + 1e-12 * (hi - lo), nb));
    for (Index i = 0; i < ds.size(); ++i) hd.fill(ds[i], in.data.w()[sr[static_cast<std::size_t>(i)]]);
    if (wr.result.template_score)
        for (Index i = 0; i < wr.result.template_score->size(); ++i)
            ht.fill((*wr.result.template_score)[i], wr.result.template_weight.size() ? wr.result.template_weight[i] : 1.0);
    const double sd = hd.counts().sum(), st = ht.counts().sum(), width = hd.width(0);
    std::ostringstream out;
    out << "# scores of window [" << fmt(wr.window.sr.lo) << ", " << fmt(wr.window.sr.hi)
        << "): lo hi data_density template_density\n";
    for (Index b = 0; b < nb; ++b)
        out << fmt(hd.lo(b), "%.6g") << ' ' << fmt(hd.hi(b), "%.6g") << ' '
            << fmt(sd > 0 ? hd.counts()[b] / (sd * width) : 0.0, "%.6g") << ' '
            << (wr.result.template_score && st > 0 ? fmt(ht.counts()[b] / (st * width), "%.6g") : std::string("NaN")) << "\n";
    return out.str();
}

/// plots/significance.dat: per window lo, hi, centre, then Z for every (statistic, ε_B) pair.
inline std::string significance_file(const SearchReportInputs& in, std::vector<std::string>& columns) {
    std::ostringstream out;
    columns.clear();
    const auto& first = in.run.report.windows.front().result.significances;
    for (const auto& s : first) columns.push_back(s.statistic + ", ε_B = " + fmt(s.eps_b));
    out << "# lo hi centre";
    for (const auto& c : columns) out << " | Z " << c;
    out << "\n";
    for (const auto& wr : in.run.report.windows) {
        out << fmt(wr.window.sr.lo, "%.6g") << ' ' << fmt(wr.window.sr.hi, "%.6g") << ' '
            << fmt(0.5 * (wr.window.sr.lo + wr.window.sr.hi), "%.6g");
        for (std::size_t k = 0; k < columns.size(); ++k)
            out << ' ' << (k < wr.result.significances.size() ? fmt(wr.result.significances[k].z, "%.5g") : "NaN");
        out << "\n";
    }
    return out.str();
}

/// plots/roc.dat: ε_S, ε_B, 1/ε_B and SIC along the ROC curve of the focus window (at most
/// about 2000 points; SIC only where at least 10 weighted background events pass).
inline std::optional<std::string> roc_file(const SearchReportInputs& in) {
    const WindowReport& wr = in.run.report.windows[focus_window(in.run.report)];
    if (!wr.roc) return std::nullopt;
    const RocCurve& r = *wr.roc;
    const Index n = r.eps_b.size();
    if (n < 2) return std::nullopt;
    const Index stride = std::max<Index>(1, n / 2000);
    std::ostringstream out;
    out << "# eps_s eps_b 1/eps_b sic\n";
    for (Index i = 0; i < n; i += stride) {
        const double eb = r.eps_b[i], es = r.eps_s[i];
        if (!(eb > 0.0)) continue;
        const bool enough = r.n_bkg.size() == n ? r.n_bkg[i] >= 10.0 : true;
        out << fmt(es, "%.6g") << ' ' << fmt(eb, "%.6g") << ' ' << fmt(1.0 / eb, "%.6g") << ' '
            << (enough ? fmt(es / std::sqrt(eb), "%.6g") : "NaN") << "\n";
    }
    return out.str();
}

/// plots/marginals.dat (CATHODE): per feature, a block of 40 bins over the central 99 % of the SR
/// data, with the SR data's and the flow samples' normalized densities; blocks separated by two
/// blank lines (gnuplot's `index`).
inline std::optional<std::string> marginals_file(const SearchReportInputs& in) {
    const WindowReport& wr = in.run.report.windows[focus_window(in.run.report)];
    if (!wr.result.template_features) return std::nullopt;
    const Matrix& T = *wr.result.template_features;
    const Vector& tw = wr.result.template_weight;
    const IndexList sr = sr_rows(in.data, wr.window);
    if (sr.empty() || T.rows() == 0 || T.cols() != in.data.n_features()) return std::nullopt;
    std::ostringstream out;
    const int nb = 40;
    for (Index j = 0; j < T.cols(); ++j) {
        std::vector<double> x;
        for (Index r : sr) x.push_back(in.data.X()(r, j));
        std::sort(x.begin(), x.end());
        const double lo = x[static_cast<std::size_t>(0.005 * static_cast<double>(x.size() - 1))];
        const double hi = x[static_cast<std::size_t>(0.995 * static_cast<double>(x.size() - 1))];
        if (!(hi > lo)) continue;
        Histogram hd(uniform_edges(lo, hi, nb)), ht(uniform_edges(lo, hi, nb));
        for (Index r : sr) hd.fill(in.data.X()(r, j), in.data.w()[r]);
        for (Index t = 0; t < T.rows(); ++t) ht.fill(T(t, j), tw.size() ? tw[t] : 1.0);
        const double sd = hd.counts().sum(), st = ht.counts().sum(), width = (hi - lo) / nb;
        out << "# feature " << j << " (" << in.data.feature_names()[static_cast<std::size_t>(j)]
            << "): lo hi data_density samples_density\n";
        for (Index b = 0; b < nb; ++b)
            out << fmt(hd.lo(b), "%.6g") << ' ' << fmt(hd.hi(b), "%.6g") << ' '
                << fmt(sd > 0 ? hd.counts()[b] / (sd * width) : 0.0, "%.6g") << ' '
                << fmt(st > 0 ? ht.counts()[b] / (st * width) : 0.0, "%.6g") << "\n";
        out << "\n\n";
    }
    return out.str();
}

inline std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

/// plots/plots.gp: one PNG and one SVG per plot.
inline std::string gnuplot_script(const SearchReportInputs& in, const std::vector<SpectrumCut>& cuts, bool have_spectrum,
                                  const std::vector<std::string>& z_columns, bool have_roc, bool have_marginals) {
    const SearchReport& rep = in.run.report;
    const WindowReport& wr = rep.windows[focus_window(rep)];
    const Window& w = wr.window;
    const std::string method = in.flags.method;
    std::ostringstream g;
    g << "# Drawn by `resanom search`; rerun with `gnuplot plots.gp` inside this folder.\n"
      << "set datafile missing \"NaN\"\n"
      << "set encoding utf8\n"
      << "colors = \"#0072B2 #D55E00 #009E73 #CC79A7 #E69F00 #56B4E9\"\n"
      << "color(i) = word(colors, (i - 1) % 6 + 1)\n"
      << "terminals = \"pngcairo svg\"\n"
      << "suffixes = \"png svg\"\n";
    // (a) the spectrum, or for data without sidebands the score distributions
    if (!have_spectrum) {
        g << "do for [t = 1:2] {\n"
          << "  if (t == 1) { set terminal pngcairo size 1000,600 font \"Sans,12\" } else { set terminal svg size 1000,600 font \"Sans,12\" dynamic }\n"
          << "  set output \"scores.\" . word(suffixes, t)\n"
          << "  set title " << quoted(method + ": scores in SR [" + fmt(w.sr.lo) + ", " + fmt(w.sr.hi) + ") TeV (the data have no sidebands to fit)") << "\n"
          << "  set xlabel \"classifier score\"; set ylabel \"density\"; set logscale y; set grid\n"
          << "  set key outside right top box\n"
          << "  plot \"scores.dat\" using (($1+$2)/2):3 with histeps lw 2 lc rgb \"black\" title \"SR data\", \\\n"
          << "       \"scores.dat\" using (($1+$2)/2):4 with histeps lw 2 lc rgb color(2) title \"template\"\n"
          << "  unset logscale y; unset title; unset xlabel; unset ylabel\n"
          << "}\n";
    } else {
        auto label = [](const SpectrumCut& c) {
            std::string t = "ε_B = " + fmt(c.eps_b);
            if (c.status == WorkingPointStatus::fit_failed) t += " (fit failed)";
            if (c.status == WorkingPointStatus::unreached) t += " (unreached)";
            return t;
        };
        const bool any_fit = std::any_of(cuts.begin(), cuts.end(), [](const SpectrumCut& c) { return c.nu.size() > 0; });
        g << "do for [t = 1:2] {\n"
          << "  if (t == 1) { set terminal pngcairo size 1100,800 font \"Sans,12\" } else { set terminal svg size 1100,800 font \"Sans,12\" dynamic }\n"
          << "  set output \"spectrum.\" . word(suffixes, t)\n"
          << "  set multiplot title " << quoted(method + ": m spectrum of SR [" + fmt(w.sr.lo) + ", " + fmt(w.sr.hi) + ") TeV before and after the cuts") << "\n"
          << "  set object 1 rectangle from " << fmt(w.sr.lo, "%.6g") << ", graph 0 to " << fmt(w.sr.hi, "%.6g")
          << ", graph 1 fillcolor rgb \"#DDDDDD\" fillstyle solid 0.5 noborder behind\n"
          << "  set lmargin at screen 0.09; set rmargin at screen 0.74\n"   // the legend right of the data
          << "  set xrange [" << fmt(in.run.bump_hunt.edges.front(), "%.6g") << ":" << fmt(in.run.bump_hunt.edges.back(), "%.6g") << "]\n"
          << "  set tmargin at screen 0.92; set bmargin at screen " << (any_fit ? "0.36" : "0.09") << "\n"
          << "  set logscale y; set format y \"10^{%L}\"; set yrange [0.5:*]\n"
          << (any_fit ? "  set format x \"\"; unset xlabel\n" : "  set format x \"%g\"; set xlabel \"m [TeV]\"\n")
          << "  set ylabel \"events / bin\"; set key at screen 0.99, screen 0.92 top right box opaque\n"
          << "  set grid\n"
          << "  plot \"spectrum_steps.dat\" using 1:2 with lines lw 2 lc rgb \"black\" title \"all events\"";
        for (std::size_t k = 0; k < cuts.size(); ++k) {
            const std::size_t nc = 3 + 2 * k, fc = 4 + 2 * k;
            g << ", \\\n     \"spectrum_steps.dat\" using 1:" << nc << " with lines lw 2 lc rgb color(" << k + 1
              << ") title " << quoted(label(cuts[k]));
            if (cuts[k].nu.size())
                g << ", \\\n     \"spectrum_steps.dat\" using 1:" << fc << " with lines lw 1.5 dt 2 lc rgb color(" << k + 1
                  << ") title " << quoted("fit, " + fmt(cuts[k].eps_b));
        }
        g << "\n";
        if (any_fit) {   // the pulls panel; the direct estimate fits nothing and has none
            g << "  unset logscale y; set format y \"%g\"; set format x \"%g\"\n"
              << "  set tmargin at screen 0.34; set bmargin at screen 0.09\n"
              << "  set xlabel \"m [TeV]\"; set ylabel \"(n − ν)/√ν in the fit range\"; set yrange [*<-5:5<*]\n"
              << "  unset key\n"
              << "  set arrow 1 from graph 0, first 0 to graph 1, first 0 nohead lc rgb \"black\"\n";
            // The zero line is also a plot term: when every fit failed (all pulls NaN) gnuplot
            // would otherwise stop with "all points y value undefined" and draw nothing.
            g << "  plot 0 with lines lc rgb \"black\" notitle";
            for (std::size_t k = 0; k < cuts.size(); ++k) {
                if (!cuts[k].nu.size()) continue;
                const std::size_t pc = 6 + 3 * k;
                g << ", \\\n       \"spectrum.dat\" using (($1+$2)/2):" << pc << " with points pt 7 ps 0.8 lc rgb color("
                  << k + 1 << ") notitle";
            }
            g << "\n";
        }
        g << "  unset multiplot\n"
          << "  unset logscale y; set format y \"%g\"; set format x \"%g\"\n"   // log axes refuse the next plot's offsets
          << "  unset object 1; unset arrow 1; set xrange [*:*]; set yrange [*:*]; unset xlabel; unset ylabel\n"
          << "  set lmargin -1; set rmargin -1; set tmargin -1; set bmargin -1\n"
          << "}\n";
    }
    // (b) local significance per window
    std::string title = method + ": local significance per window";
    if (rep.max_window >= 0)
        title += " — max local Z " + fmt(rep.max_local_z, "%.2f") + ", global Z " + fmt(rep.global_z, "%.2f") +
                 " (Bonferroni, " + std::to_string(rep.trials) + " trials)";
    g << "do for [t = 1:2] {\n"
      << "  if (t == 1) { set terminal pngcairo size 1000,600 font \"Sans,12\" } else { set terminal svg size 1000,600 font \"Sans,12\" dynamic }\n"
      << "  set output \"significance.\" . word(suffixes, t)\n"
      << "  set title " << quoted(title) << "\n"
      << "  set xlabel \"signal-region centre [TeV]\"; set ylabel \"local Z [σ]\"\n"
      << "  set key outside right top box; set grid; set offsets 0.05, 0.05, 0.5, 0.5\n"
      << "  set arrow 2 from graph 0, first 3 to graph 1, first 3 nohead dt 3 lc rgb \"gray40\"\n"
      << "  set arrow 3 from graph 0, first 5 to graph 1, first 5 nohead dt 3 lc rgb \"gray40\"\n"
      << "  plot 0 with lines lc rgb \"gray40\" notitle";   // Z = 0; keeps the plot alive if every Z is NaN
    for (std::size_t k = 0; k < z_columns.size(); ++k)
        g << ", \\\n       \"significance.dat\" using 3:" << 4 + k << " with linespoints lw 2 pt 7 lc rgb color("
          << k + 1 << ") title " << quoted(z_columns[k]);
    g << "\n  unset arrow 2; unset arrow 3; unset title; set offsets 0, 0, 0, 0\n}\n";
    // (c) ROC and SIC
    if (have_roc) {
        const std::string where = "SR [" + fmt(w.sr.lo) + ", " + fmt(w.sr.hi) + ") TeV";
        g << "do for [t = 1:2] {\n"
          << "  if (t == 1) { set terminal pngcairo size 800,600 font \"Sans,12\" } else { set terminal svg size 800,600 font \"Sans,12\" dynamic }\n"
          << "  set output \"roc.\" . word(suffixes, t)\n"
          << "  set title " << quoted(method + ": ROC curve, " + where) << "\n"
          << "  set xlabel \"signal efficiency ε_S\"; set ylabel \"background rejection 1/ε_B\"\n"
          << "  set logscale y; set grid; set key top right box; set xrange [0:1]\n"
          << "  plot \"roc.dat\" using 1:3 with lines lw 2 lc rgb color(1) title " << quoted(method) << ", \\\n"
          << "       (x > 0 ? 1/x : 1/0) with lines dt 2 lc rgb \"gray40\" title \"random\"\n"
          << "  unset logscale y\n"
          << "  set output \"sic.\" . word(suffixes, t)\n"
          << "  set title " << quoted(method + ": significance improvement, " + where) << "\n"
          << "  set ylabel \"SIC = ε_S/√ε_B\"\n"
          << "  plot \"roc.dat\" using 1:4 with lines lw 2 lc rgb color(1) title " << quoted(method) << ", \\\n"
          << "       sqrt(x) with lines dt 2 lc rgb \"gray40\" title \"random\"\n"
          << "  unset title; set xrange [*:*]\n"
          << "}\n";
    }
    // (d) CATHODE: SR data against the flow's samples, feature by feature
    if (have_marginals) {
        const Index d = in.data.n_features();
        const Index cols = d > 1 ? 2 : 1, rows = (d + 1) / 2;
        g << "set key inside top right box; set grid; set xtics font \",9\"\n"
          << "do for [t = 1:2] {\n"
          << "  if (t == 1) { set terminal pngcairo size 1000," << 320 * rows + 80
          << " font \"Sans,11\" } else { set terminal svg size 1000," << 320 * rows + 80 << " font \"Sans,11\" dynamic }\n"
          << "  set output \"marginals.\" . word(suffixes, t)\n"
          << "  set multiplot layout " << rows << "," << cols << " title "
          << quoted(method + ": SR [" + fmt(w.sr.lo) + ", " + fmt(w.sr.hi) + ") TeV data vs the flow's samples (normalized)") << "\n";
        for (Index j = 0; j < d; ++j)
            g << "  set xlabel " << quoted(in.data.feature_names()[static_cast<std::size_t>(j)]) << "; set ylabel \"density\"\n"
              << "  plot \"marginals.dat\" index " << j << " using (($1+$2)/2):3 with histeps lw 2 lc rgb \"black\" title \"SR data\", \\\n"
              << "       \"marginals.dat\" index " << j << " using (($1+$2)/2):4 with histeps lw 2 lc rgb color(2) title \"flow samples\"\n";
        g << "  unset multiplot\n}\n";
    }
    return g.str();
}

/// report.md's section on the direct estimate's systematic shift: where δ_sys came from, and for
/// each estimate measured window by window (the reference's, the sidebands') the shifts, their mean
/// δ_sys (eq. 5) and the σ_sys of eq. 8 under --sigma-sys.
inline void shift_tables(std::ostringstream& md, const SearchReportInputs& in) {
    const SearchFlags& o = in.flags;
    if (source_name(in).empty()) return;
    md << "\n## Systematic shift δ_sys\n\n";
    if (source_name(in) == "ideal")
        md << "δ_sys = 0 and σ_sys = 0: the IAD's template is the true background (Das et al. 2024, §2.2.1).\n";
    if (source_name(in) == "given") {
        md << "δ_sys = " << fmt(*o.delta_sys) << " as given (`--delta-sys`), σ_sys = |δ_sys|.\n";
        if (*o.delta_sys == 0.0 && o.method != "iad")
            md << "\n**Warning: δ_sys = 0 assumes a perfect background template (direct estimate) or a cut that does "
                  "not sculpt the spectrum (bump hunt), which --method " << o.method << " does not guarantee; these "
                  "significances are not calibrated (docs/validation.md).**\n";
    }
    const SigmaSys rule = in.run.sigma_sys.value_or(SigmaSys::net);
    const bool paper = rule == SigmaSys::abs_mean;
    auto table = [&](const std::string& title, const std::string& what, const std::vector<ReferenceShift>& shifts) {
        md << "\n### " << title << "\n\n" << what << " in each window (Das et al. 2024, eq. 4), their mean δ_sys (eq. 5) "
           << "and the σ_sys of eq. 8 ("
           << (paper                      ? "`--sigma-sys mean`: |δ_sys|, Das et al. 2024"
               : rule == SigmaSys::rms    ? "`--sigma-sys rms`: their root-mean-square"
                                          : "`--sigma-sys net`: |δ_sys|, their spread beyond the statistical noise and the "
                                            "uncertainty of their mean, in quadrature")
           << ").\n\n| ε_B | δ_sys | σ_sys | smallest window shift | largest |" << (paper ? " RMS |" : "")
           << "\n| --- | --- | --- | --- | --- |" << (paper ? " --- |" : "") << "\n";
        bool spread = false;
        for (const ReferenceShift& r : shifts) {
            // Windows whose shift could not be measured (NaN) are left out of the range.
            double lo = std::numeric_limits<double>::quiet_NaN(), hi = lo;
            for (const double d : r.per_window) {
                if (!std::isfinite(d)) continue;
                lo = std::isnan(lo) ? d : std::min(lo, d);
                hi = std::isnan(hi) ? d : std::max(hi, d);
            }
            const SystematicShift used = r.shift(rule);
            const double rms = *r.shift(SigmaSys::rms).sigma_sys, sigma = *used.sigma_sys;
            spread = spread || rms > 1.2 * sigma;
            md << "| " << fmt(r.eps_b) << " | " << fmt(used.delta_sys, "%.3f") << " | " << fmt(sigma, "%.3f") << " | "
               << (std::isnan(lo) ? std::string("—") : fmt(lo, "%.3f")) << " | "
               << (std::isnan(hi) ? std::string("—") : fmt(hi, "%.3f")) << " |";
            if (paper) md << " " << fmt(rms, "%.3f") << " |";
            md << "\n";
        }
        if (spread && paper)   // the other rules include the spread
            md << "\nThe RMS of the windows' shifts exceeds σ_sys by more than 20 %: where the template is mismodelled "
                  "by more than the average, the local Z is too large, and on background-only searches the 3σ tail "
                  "is several times too heavy (docs/validation.md). `--sigma-sys net` covers the spread.\n";
    };
    if (!in.run.reference_shifts.empty())
        table("δ_sys^MC from `" + o.delta_sys_from + "`", "The background-only reference's relative excess over its template",
              in.run.reference_shifts);
    if (!in.run.sideband_shifts.empty())
        table("δ_sys^SB from the data's sidebands",
              "The relative excess of a random selection of the data outside the SR (as many events as the SR holds) "
              "over the flow's samples there (Das et al. 2024, §3.2)",
              in.run.sideband_shifts);
    if (!in.run.reference_shifts.empty() && !in.run.sideband_shifts.empty())
        md << "\nThe direct estimate uses both in quadrature: δ_sys = √(δ_MC² + δ_SB²), σ_sys = √(σ_MC² + σ_SB²) "
              "(Das et al. 2024, §3.2 and Fig. 5).\n";
}

/// report.md.
inline std::string markdown(const SearchReportInputs& in, bool have_spectrum, bool have_roc, bool have_marginals) {
    const SearchFlags& o = in.flags;
    const SearchReport& rep = in.run.report;
    std::ostringstream md;
    md << "# resanom search: " << o.method << "\n\n";
    md << "resanom " << RESANOM_VERSION;
    if (!in.git_commit.empty()) md << " (git " << in.git_commit << ")";
    md << ", " << fmt(in.seconds, "%.1f") << " s.\n\n";
    md << "## Settings\n\n| setting | value |\n| --- | --- |\n";
    auto row = [&](const std::string& k, const std::string& v) { md << "| " << k << " | " << v << " |\n"; };
    row("data", "`" + o.data + "` (" + std::to_string(in.data.size()) + " events, resonant column(s) " + o.m_col +
                    ", features " + o.features + ")");
    if (!o.sim.empty()) {
        std::string s;
        for (const auto& p : o.sim) s += (s.empty() ? "" : ", ") + ("`" + p + "`");
        row("references (--sim)", s);
    }
    row("method", o.method + (o.method == "combined" ? " (" + o.combine + ", " + o.combine_level + " level)" : ""));
    if (o.method != "ae") row("classifier", o.classifier + ", " + std::to_string(in.run.ensemble) + " per fold");
    else row("autoencoders", std::to_string(in.run.ensemble));
    row("folds", std::to_string(o.folds));
    row("statistic", stat_name(in));
    std::string eps;
    for (double e : in.config.eps_b) eps += (eps.empty() ? "" : ", ") + fmt(e);
    row("working points ε_B", eps);
    if (!source_name(in).empty()) row("δ_sys from", source_name(in) + " (see below)");
    if (o.method == "cathode" || o.combine.find("cathode") != std::string::npos)
        row("flow", std::to_string(o.flow_blocks) + " blocks × " + std::to_string(o.flow_hidden) + " hidden, " +
                        std::to_string(o.flow_epochs) + " epochs, oversampling " + std::to_string(o.oversampling));
    row("seed", std::to_string(o.common.seed) + (in.config.method == Method::ae
                                                      ? " (the scores come from one training, seeded derive_seed(seed, 0), "
                                                        "shared by every window; same seed, same numbers)"
                                                      : " (each window seeded from it and its bounds, window_seed; "
                                                        "report.json lists the seeds; same seed, same numbers)"));
    row("threads", o.common.threads ? std::to_string(o.common.threads) : std::string("all cores"));

    md << "\n## Windows\n\n| SR [TeV] | events in SR | AUC | max SIC |";
    const auto& sig0 = rep.windows.front().result.significances;
    for (const auto& s : sig0) md << " Z " << s.statistic << " ε_B=" << fmt(s.eps_b) << " |";
    md << "\n| --- | --- | --- | --- |";
    for (std::size_t k = 0; k < sig0.size(); ++k) md << " --- |";
    md << "\n";
    for (std::size_t k = 0; k < rep.windows.size(); ++k) {
        const auto& wr = rep.windows[k];
        const bool top = static_cast<Index>(k) == rep.max_window;
        md << "| " << (top ? "**" : "") << "[" << fmt(wr.window.sr.lo) << ", " << fmt(wr.window.sr.hi) << ")"
           << (top ? "**" : "") << " | " << wr.n_sr << " | " << (wr.auc ? fmt(*wr.auc, "%.3f") : "—") << " | "
           << (wr.max_sic ? fmt(*wr.max_sic, "%.2f") : "—") << " |";
        for (const auto& s : wr.result.significances)
            md << " "
               << (s.status == WorkingPointStatus::fit_failed ? std::string("fit failed")
                   : s.status == WorkingPointStatus::unreached ? "unreached (" + fmt(s.eps_b_real, "%.2g") + ")"
                   : std::isfinite(s.z)                        ? fmt(s.z, "%.2f")
                                                               : std::string("—"))
               << " |";
        md << "\n";
    }
    auto any_status = [&](WorkingPointStatus st) {
        return std::any_of(rep.windows.begin(), rep.windows.end(), [&](const WindowReport& w) {
            return std::any_of(w.result.significances.begin(), w.result.significances.end(),
                               [&](const Significance& s) { return s.status == st; });
        });
    };
    if (any_status(WorkingPointStatus::fit_failed))
        md << "\nfit failed: the sideband fit of the selected spectrum failed (too few events pass the cut).\n";
    if (any_status(WorkingPointStatus::unreached))
        md << "\nunreached (ε): the cut's reference sample cannot realize this ε_B — fewer than "
           << fmt(WorkingPointRule{}.min_events_passing) << " of its events pass, or the fraction really passing (ε, in "
           "brackets) is more than " << fmt(WorkingPointRule{}.max_excess) << "× ε_B — or its δ_sys could not be measured "
              "there, or (bump hunt) the fit's sidebands hold fewer than "
           << fmt(BumpHuntConfig{}.min_sideband_events_per_parameter)
           << " selected events per parameter of the fit function; such points are no tests and do not count in "
              "the global significance.\n";
    shift_tables(md, in);
    md << "\n## Global significance\n\n";
    if (rep.max_window >= 0) {
        const auto& w = rep.windows[static_cast<std::size_t>(rep.max_window)].window;
        md << "Largest local significance " << fmt(rep.max_local_z, "%.2f") << "σ in the window [" << fmt(w.sr.lo) << ", "
           << fmt(w.sr.hi) << ") TeV; over " << rep.trials << " tests (windows × working points) the Bonferroni bound gives p = "
           << fmt(rep.global_p, "%.3g") << ", a global significance of " << fmt(rep.global_z, "%.2f") << "σ.\n";
    } else {
        md << "No test gave a significance.\n";
    }
    md << "\n## Plots\n\n";
    if (have_spectrum)
        md << "- `spectrum.png` (`.svg`): the m spectrum of the most significant window before and after each cut"
           << (stat_name(in) == "direct" ? " (the direct estimate fits nothing)"
                                        : ", the bump hunt's sideband fit of every selected spectrum (dashed; scaled by "
                                          "1 + δ_sys where a shift applies), pulls inside the fit range below")
           << "; the signal region is shaded.\n";
    else
        md << "- `scores.png` (`.svg`): the data have no events outside the signal region, so there is no spectrum "
              "to fit: the score distributions of the SR data and the template instead.\n";
    md << "- `significance.png`: local Z per window and working point; dotted lines at 3σ and 5σ.\n";
    if (have_roc) md << "- `roc.png`, `sic.png`: ROC and SIC curves of the most significant window (truth labels).\n";
    if (have_marginals)
        md << "- `marginals.png`: each feature of the most significant window's SR data against the flow's samples "
              "(the CATHODE template), normalized.\n";
    md << "\nData files and the gnuplot script are in `plots/`; `report.json` holds every number above and "
          "`scores.npy` every event's out-of-fold score per window.\n";
    return md.str();
}

}  // namespace detail_report

/// The files of the human-readable report, as (path relative to --out, contents).
inline std::vector<std::pair<std::string, std::string>> search_report_files(const SearchReportInputs& in) {
    namespace dr = detail_report;
    std::vector<std::pair<std::string, std::string>> files;
    std::vector<std::string> z_columns;
    const bool have_spectrum = dr::has_spectrum(in);
    std::vector<dr::SpectrumCut> cuts;
    if (have_spectrum) {
        cuts = dr::spectrum_cuts(in);
        auto [spectrum, steps] = dr::spectrum_files(in, cuts);
        files.emplace_back("plots/spectrum.dat", std::move(spectrum));
        files.emplace_back("plots/spectrum_steps.dat", std::move(steps));
    } else {
        files.emplace_back("plots/scores.dat", dr::scores_file(in));
    }
    files.emplace_back("plots/significance.dat", dr::significance_file(in, z_columns));
    const auto roc = dr::roc_file(in);
    if (roc) files.emplace_back("plots/roc.dat", *roc);
    const auto marginals = dr::marginals_file(in);
    if (marginals) files.emplace_back("plots/marginals.dat", *marginals);
    files.emplace_back("plots/plots.gp",
                       dr::gnuplot_script(in, cuts, have_spectrum, z_columns, roc.has_value(), marginals.has_value()));
    files.emplace_back("report.md", dr::markdown(in, have_spectrum, roc.has_value(), marginals.has_value()));
    return files;
}

/// Runs gnuplot on plots/plots.gp and moves the images next to report.md. Returns the images
/// drawn; an empty list and a reason when gnuplot is missing or fails (the report stands without
/// its pictures; the caller says so on stderr).
inline std::vector<std::string> draw_search_plots(const std::filesystem::path& out_dir, std::string& problem) {
    namespace fs = std::filesystem;
    const fs::path plots = out_dir / "plots";
    if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
        problem = "gnuplot not found (Debian: gnuplot-nox); run `gnuplot plots.gp` in " + plots.string() + " to draw them";
        return {};
    }
    const std::string cmd = "cd '" + plots.string() + "' && gnuplot plots.gp >gnuplot.log 2>&1";
    if (plots.string().find('\'') != std::string::npos || std::system(cmd.c_str()) != 0) {
        problem = "gnuplot failed; see " + (plots / "gnuplot.log").string();
        // A failed or interrupted gnuplot may leave half-drawn images: none are kept.
        for (const std::string& image : detail_report::image_files()) {
            std::error_code ec;
            fs::remove(plots / image, ec);
        }
        return {};
    }
    std::vector<std::string> drawn;
    for (const std::string& image : detail_report::image_files()) {
        const fs::path src = plots / image;
        if (!fs::exists(src)) continue;
        std::error_code ec;
        fs::rename(src, out_dir / image, ec);
        if (!ec) drawn.push_back(image);
    }
    return drawn;
}

}  // namespace resanom::cli
