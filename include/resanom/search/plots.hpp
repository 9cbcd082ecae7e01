// resanom/search/plots.hpp — a search's plots as text: data files (plots/*.dat) of the numbers of
// search/summary.hpp, and one gnuplot script (plots/plots.gp) that draws each figure from them as
// PNG and SVG.
//
//   spectrum                the focus window's m spectrum before and after each cut, the bump
//                           hunt's fits and the pulls (data without sidebands: the score densities)
//   significance            local Z per window and working point, global Z in the title
//   roc, sic                ROC and SIC curves of the focus window (truth labels needed)
//   marginals               CATHODE: SR data against the flow's samples, feature by feature
// search_plots(run, c, data) → SearchPlots; running gnuplot is the caller's business.
#pragma once

#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/events.hpp"
#include "resanom/search/config.hpp"
#include "resanom/search/run.hpp"
#include "resanom/search/summary.hpp"

namespace resanom {

/// A text file of a search's outputs: its path relative to the output folder, and its contents.
using SearchTextFile = std::pair<std::string, std::string>;

/// The plot files and which figures plots.gp draws.
struct SearchPlots {
    std::vector<SearchTextFile> files;   ///< plots/*.dat, then plots/plots.gp
    bool spectrum = false;               ///< spectrum.{png,svg}, else scores.{png,svg}
    bool roc = false;                    ///< roc and sic
    bool marginals = false;
};

/// Every image plots.gp may draw, in the order they are listed.
inline std::vector<std::string> search_plot_images() {
    std::vector<std::string> out;
    for (const char* name : {"spectrum", "scores", "significance", "roc", "sic", "marginals"})
        for (const char* ext : {".png", ".svg"}) out.push_back(std::string(name) + ext);
    return out;
}

namespace detail::search_text {

/// A number as printf's `f` prints it; NaN for anything not finite.
inline std::string fmt(double v, const char* f = "%.4g") {
    if (!std::isfinite(v)) return "NaN";
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

inline std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

inline std::string sr_text(const Window& w) { return "SR [" + fmt(w.sr.lo) + ", " + fmt(w.sr.hi) + ") TeV"; }

/// plots/spectrum.dat: per bin lo, hi, n before any cut, then per cut n, ν (NaN outside the fit
/// range and without a fit) and the pull; plots/spectrum_steps.dat: x, n_all, then n and ν per
/// cut at both edges of every bin (step outlines).
inline std::pair<std::string, std::string> spectrum_dat(const Window& w, const FocusSpectrum& s) {
    const auto nu = [](const SpectrumCut& c, Index b) { return c.nu.size() ? c.nu[b] : std::nan(""); };
    std::ostringstream dat, steps;
    dat << "# resanom search: m spectrum of window [" << fmt(w.sr.lo) << ", " << fmt(w.sr.hi)
        << ") before and after each cut\n# lo hi n_all";
    for (const auto& c : s.cuts) dat << " n(eps_b=" << fmt(c.eps_b) << ") fit pull";
    dat << "\n";
    steps << "# step outlines of spectrum.dat: x n_all [n fit] per cut\n";
    for (Index b = 0; b < s.all.bins(); ++b) {
        const double n_all = s.all.counts()[b];
        dat << fmt(s.all.lo(b), "%.6g") << ' ' << fmt(s.all.hi(b), "%.6g") << ' ' << fmt(n_all, "%.8g");
        for (const auto& c : s.cuts)
            dat << ' ' << fmt(c.selected.counts()[b], "%.8g") << ' ' << fmt(nu(c, b), "%.8g") << ' ' << fmt(c.pull[b], "%.5g");
        dat << "\n";
    }
    for (Index b = 0; b < s.all.bins(); ++b)
        for (const double x : {s.all.lo(b), s.all.hi(b)}) {
            steps << fmt(x, "%.6g") << ' ' << fmt(s.all.counts()[b], "%.8g");
            for (const auto& c : s.cuts) steps << ' ' << fmt(c.selected.counts()[b], "%.8g") << ' ' << fmt(nu(c, b), "%.8g");
            steps << "\n";
        }
    return {dat.str(), steps.str()};
}

/// Rows lo hi first second of two densities over one binning.
inline void density_rows(std::ostringstream& out, const DensityPair& d) {
    for (Index b = 0; b < d.bins.bins(); ++b)
        out << fmt(d.bins.lo(b), "%.6g") << ' ' << fmt(d.bins.hi(b), "%.6g") << ' ' << fmt(d.data[b], "%.6g") << ' '
            << fmt(d.other[b], "%.6g") << "\n";
}

/// plots/significance.dat: per window lo, hi, centre, then Z for every (statistic, ε_B) column.
inline std::string significance_dat(const SignificanceTable& t, const std::vector<std::string>& labels) {
    std::ostringstream out;
    out << "# lo hi centre";
    for (const auto& c : labels) out << " | Z " << c;
    out << "\n";
    for (std::size_t i = 0; i < t.windows.size(); ++i) {
        const Interval& sr = t.windows[i];
        out << fmt(sr.lo, "%.6g") << ' ' << fmt(sr.hi, "%.6g") << ' ' << fmt(0.5 * (sr.lo + sr.hi), "%.6g");
        for (Index k = 0; k < t.z.cols(); ++k) out << ' ' << fmt(t.z(static_cast<Index>(i), k), "%.5g");
        out << "\n";
    }
    return out.str();
}

inline std::string roc_dat(const RocPoints& p) {
    std::ostringstream out;
    out << "# eps_s eps_b 1/eps_b sic\n";
    for (std::size_t i = 0; i < p.eps_s.size(); ++i)
        out << fmt(p.eps_s[i], "%.6g") << ' ' << fmt(p.eps_b[i], "%.6g") << ' ' << fmt(p.rejection[i], "%.6g") << ' '
            << fmt(p.sic[i], "%.6g") << "\n";
    return out.str();
}

/// plots/marginals.dat: one block per feature, blocks separated by two blank lines (gnuplot's `index`).
inline std::string marginals_dat(const std::vector<Marginal>& ms, const Events& data) {
    std::ostringstream out;
    for (const Marginal& m : ms) {
        out << "# feature " << m.feature << " (" << data.feature_names()[static_cast<std::size_t>(m.feature)]
            << "): lo hi data_density samples_density\n";
        density_rows(out, m.densities);
        out << "\n\n";
    }
    return out.str();
}

/// The opening of one figure's loop over the two terminals, and its first output.
inline void open_figure(std::ostringstream& g, const std::string& name, const std::string& size, const std::string& font) {
    g << "do for [t = 1:2] {\n"
      << "  if (t == 1) { set terminal pngcairo size " << size << " font \"" << font << "\" } else { set terminal svg size "
      << size << " font \"" << font << "\" dynamic }\n"
      << "  set output \"" << name << ".\" . word(suffixes, t)\n";
}

/// A plot command of `terms`, continued lines indented by `indent`.
inline void plot(std::ostringstream& g, const std::vector<std::string>& terms, const std::string& indent) {
    g << "  plot " << terms.front();
    for (std::size_t k = 1; k < terms.size(); ++k) g << ", \\\n" << indent << terms[k];
    g << "\n";
}

inline std::string color(std::size_t k) { return " lc rgb color(" + std::to_string(k) + ")"; }

inline void scores_figure(std::ostringstream& g, const std::string& method, const Window& w) {
    open_figure(g, "scores", "1000,600", "Sans,12");
    g << "  set title " << quoted(method + ": scores in " + sr_text(w) + " (the data have no sidebands to fit)") << "\n"
      << "  set xlabel \"classifier score\"; set ylabel \"density\"; set logscale y; set grid\n"
      << "  set key outside right top box\n";
    plot(g, {"\"scores.dat\" using (($1+$2)/2):3 with histeps lw 2 lc rgb \"black\" title \"SR data\"",
             "\"scores.dat\" using (($1+$2)/2):4 with histeps lw 2" + color(2) + " title \"template\""}, "       ");
    g << "  unset logscale y; unset title; unset xlabel; unset ylabel\n}\n";
}

inline std::string cut_label(const SpectrumCut& c) {
    std::string t = "ε_B = " + fmt(c.eps_b);
    if (c.status == WorkingPointStatus::fit_failed) t += " (fit failed)";
    if (c.status == WorkingPointStatus::unreached) t += " (unreached)";
    return t;
}

/// The pulls panel of the spectrum figure (the direct estimate fits nothing and has none). The
/// zero line is also a plot term: when every fit failed (all pulls NaN) gnuplot would otherwise
/// stop with "all points y value undefined" and draw nothing.
inline void pulls_panel(std::ostringstream& g, const FocusSpectrum& s) {
    g << "  unset logscale y; set format y \"%g\"; set format x \"%g\"\n"
      << "  set tmargin at screen 0.34; set bmargin at screen 0.09\n"
      << "  set xlabel \"m [TeV]\"; set ylabel \"(n − ν)/√ν in the fit range\"; set yrange [*<-5:5<*]\n"
      << "  unset key\n"
      << "  set arrow 1 from graph 0, first 0 to graph 1, first 0 nohead lc rgb \"black\"\n";
    std::vector<std::string> terms{"0 with lines lc rgb \"black\" notitle"};
    for (std::size_t k = 0; k < s.cuts.size(); ++k)
        if (s.cuts[k].nu.size())
            terms.push_back("\"spectrum.dat\" using (($1+$2)/2):" + std::to_string(6 + 3 * k) + " with points pt 7 ps 0.8" +
                            color(k + 1) + " notitle");
    plot(g, terms, "       ");
}

inline void spectrum_figure(std::ostringstream& g, const std::string& method, const Window& w, const FocusSpectrum& s,
                            const std::vector<double>& edges) {
    const bool fit = s.any_fit();
    open_figure(g, "spectrum", "1100,800", "Sans,12");
    g << "  set multiplot title " << quoted(method + ": m spectrum of " + sr_text(w) + " before and after the cuts") << "\n"
      << "  set object 1 rectangle from " << fmt(w.sr.lo, "%.6g") << ", graph 0 to " << fmt(w.sr.hi, "%.6g")
      << ", graph 1 fillcolor rgb \"#DDDDDD\" fillstyle solid 0.5 noborder behind\n"
      << "  set lmargin at screen 0.09; set rmargin at screen 0.74\n"   // the legend right of the data
      << "  set xrange [" << fmt(edges.front(), "%.6g") << ":" << fmt(edges.back(), "%.6g") << "]\n"
      << "  set tmargin at screen 0.92; set bmargin at screen " << (fit ? "0.36" : "0.09") << "\n"
      << "  set logscale y; set format y \"10^{%L}\"; set yrange [0.5:*]\n"
      << (fit ? "  set format x \"\"; unset xlabel\n" : "  set format x \"%g\"; set xlabel \"m [TeV]\"\n")
      << "  set ylabel \"events / bin\"; set key at screen 0.99, screen 0.92 top right box opaque\n"
      << "  set grid\n";
    std::vector<std::string> terms{"\"spectrum_steps.dat\" using 1:2 with lines lw 2 lc rgb \"black\" title \"all events\""};
    for (std::size_t k = 0; k < s.cuts.size(); ++k) {
        const std::string col = "\"spectrum_steps.dat\" using 1:";
        terms.push_back(col + std::to_string(3 + 2 * k) + " with lines lw 2" + color(k + 1) + " title " + quoted(cut_label(s.cuts[k])));
        if (s.cuts[k].nu.size())
            terms.push_back(col + std::to_string(4 + 2 * k) + " with lines lw 1.5 dt 2" + color(k + 1) + " title " +
                            quoted("fit, " + fmt(s.cuts[k].eps_b)));
    }
    plot(g, terms, "     ");
    if (fit) pulls_panel(g, s);
    g << "  unset multiplot\n"
      << "  unset logscale y; set format y \"%g\"; set format x \"%g\"\n"   // log axes refuse the next plot's offsets
      << "  unset object 1; unset arrow 1; set xrange [*:*]; set yrange [*:*]; unset xlabel; unset ylabel\n"
      << "  set lmargin -1; set rmargin -1; set tmargin -1; set bmargin -1\n"
      << "}\n";
}

inline void significance_figure(std::ostringstream& g, const std::string& method, const SearchReport& rep,
                                const std::vector<std::string>& labels) {
    std::string title = method + ": local significance per window";
    if (rep.max_window >= 0)
        title += " — max local Z " + fmt(rep.max_local_z, "%.2f") + ", global Z " + fmt(rep.global_z, "%.2f") +
                 " (Bonferroni, " + std::to_string(rep.trials) + " trials)";
    open_figure(g, "significance", "1000,600", "Sans,12");
    g << "  set title " << quoted(title) << "\n"
      << "  set xlabel \"signal-region centre [TeV]\"; set ylabel \"local Z [σ]\"\n"
      << "  set key outside right top box; set grid; set offsets 0.05, 0.05, 0.5, 0.5\n"
      << "  set arrow 2 from graph 0, first 3 to graph 1, first 3 nohead dt 3 lc rgb \"gray40\"\n"
      << "  set arrow 3 from graph 0, first 5 to graph 1, first 5 nohead dt 3 lc rgb \"gray40\"\n";
    std::vector<std::string> terms{"0 with lines lc rgb \"gray40\" notitle"};   // Z = 0; keeps the plot alive if every Z is NaN
    for (std::size_t k = 0; k < labels.size(); ++k)
        terms.push_back("\"significance.dat\" using 3:" + std::to_string(4 + k) + " with linespoints lw 2 pt 7" + color(k + 1) +
                        " title " + quoted(labels[k]));
    plot(g, terms, "       ");
    g << "  unset arrow 2; unset arrow 3; unset title; set offsets 0, 0, 0, 0\n}\n";
}

inline void roc_figure(std::ostringstream& g, const std::string& method, const Window& w) {
    const auto curve = [&](int col) {
        return "\"roc.dat\" using 1:" + std::to_string(col) + " with lines lw 2" + color(1) + " title " + quoted(method);
    };
    open_figure(g, "roc", "800,600", "Sans,12");
    g << "  set title " << quoted(method + ": ROC curve, " + sr_text(w)) << "\n"
      << "  set xlabel \"signal efficiency ε_S\"; set ylabel \"background rejection 1/ε_B\"\n"
      << "  set logscale y; set grid; set key top right box; set xrange [0:1]\n";
    plot(g, {curve(3), "(x > 0 ? 1/x : 1/0) with lines dt 2 lc rgb \"gray40\" title \"random\""}, "       ");
    g << "  unset logscale y\n"
      << "  set output \"sic.\" . word(suffixes, t)\n"
      << "  set title " << quoted(method + ": significance improvement, " + sr_text(w)) << "\n"
      << "  set ylabel \"SIC = ε_S/√ε_B\"\n";
    plot(g, {curve(4), "sqrt(x) with lines dt 2 lc rgb \"gray40\" title \"random\""}, "       ");
    g << "  unset title; set xrange [*:*]\n}\n";
}

inline void marginals_figure(std::ostringstream& g, const std::string& method, const Window& w, const Events& data) {
    const Index d = data.n_features();
    const Index cols = d > 1 ? 2 : 1, rows = (d + 1) / 2;
    g << "set key inside top right box; set grid; set xtics font \",9\"\n";
    open_figure(g, "marginals", "1000," + std::to_string(320 * rows + 80), "Sans,11");
    g << "  set multiplot layout " << rows << "," << cols << " title "
      << quoted(method + ": " + sr_text(w) + " data vs the flow's samples (normalized)") << "\n";
    for (Index j = 0; j < d; ++j) {
        const std::string block = "\"marginals.dat\" index " + std::to_string(j) + " using (($1+$2)/2):";
        g << "  set xlabel " << quoted(data.feature_names()[static_cast<std::size_t>(j)]) << "; set ylabel \"density\"\n";
        plot(g, {block + "3 with histeps lw 2 lc rgb \"black\" title \"SR data\"",
                 block + "4 with histeps lw 2" + color(2) + " title \"flow samples\""}, "       ");
    }
    g << "  unset multiplot\n}\n";
}

inline const char* script_head() {
    return "# Drawn by `resanom search`; rerun with `gnuplot plots.gp` inside this folder.\n"
           "set datafile missing \"NaN\"\n"
           "set encoding utf8\n"
           "colors = \"#0072B2 #D55E00 #009E73 #CC79A7 #E69F00 #56B4E9\"\n"
           "color(i) = word(colors, (i - 1) % 6 + 1)\n"
           "terminals = \"pngcairo svg\"\n"
           "suffixes = \"png svg\"\n";
}

}  // namespace detail::search_text

/// The plots of a search `run` made with configuration `c` on `data`: the data files of its focus
/// window (search/summary.hpp) and the gnuplot script drawing them.
inline SearchPlots search_plots(const SearchRun& run, const SearchConfig& c, const Events& data) {
    namespace dt = detail::search_text;
    const SearchReport& rep = run.report;
    const Window& w = rep.windows[focus_window(rep)].window;
    const std::string method(to_string(c.method));
    SearchPlots out;
    std::ostringstream g;
    g << dt::script_head();
    out.spectrum = has_spectrum(run, data);
    if (out.spectrum) {
        const FocusSpectrum s = focus_spectrum(run, c, data);
        auto [spectrum, steps] = dt::spectrum_dat(w, s);
        out.files.emplace_back("plots/spectrum.dat", std::move(spectrum));
        out.files.emplace_back("plots/spectrum_steps.dat", std::move(steps));
        dt::spectrum_figure(g, method, w, s, run.bump_hunt.edges);
    } else {
        std::ostringstream scores;
        scores << "# scores of window [" << dt::fmt(w.sr.lo) << ", " << dt::fmt(w.sr.hi) << "): lo hi data_density template_density\n";
        dt::density_rows(scores, score_densities(run, data));
        out.files.emplace_back("plots/scores.dat", scores.str());
        dt::scores_figure(g, method, w);
    }
    const SignificanceTable z = significance_table(rep);
    std::vector<std::string> labels;
    for (const auto& [statistic, eps_b] : z.columns) labels.push_back(statistic + ", ε_B = " + dt::fmt(eps_b));
    out.files.emplace_back("plots/significance.dat", dt::significance_dat(z, labels));
    dt::significance_figure(g, method, rep, labels);
    if (const std::optional<RocPoints> roc = roc_points(rep)) {
        out.roc = true;
        out.files.emplace_back("plots/roc.dat", dt::roc_dat(*roc));
        dt::roc_figure(g, method, w);
    }
    if (const std::optional<std::vector<Marginal>> marginals = cathode_marginals(run, data)) {
        out.marginals = true;
        out.files.emplace_back("plots/marginals.dat", dt::marginals_dat(*marginals, data));
        dt::marginals_figure(g, method, w, data);
    }
    out.files.emplace_back("plots/plots.gp", g.str());
    return out;
}

}  // namespace resanom
