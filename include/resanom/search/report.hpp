// resanom/search/report.hpp — a search's human-readable report as text: report.md (method,
// settings, seeds, the windows and their significances, where δ_sys came from and the measured
// shifts, the global significance, the plots) next to the plot files of search/plots.hpp.
//
//   SearchReportInfo                    what the search does not know: the inputs' names, the
//                                       program's version, the time taken, how settings are named
//   search_report_files(run, c, data, info) → report.md and the plot files
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/events.hpp"
#include "resanom/search/config.hpp"
#include "resanom/search/plots.hpp"
#include "resanom/search/run.hpp"
#include "resanom/search/summary.hpp"
#include "resanom/stats/bump_hunt.hpp"

namespace resanom {

/// What report.md says that the search itself does not know.
struct SearchReportInfo {
    std::string data;                      ///< the data's name (e.g. its path)
    std::string m_columns, features;       ///< their resonant and feature columns, as given
    std::vector<std::string> references;   ///< the references' names (SearchData::references)
    std::string reference;                 ///< the background-only reference's name
    std::string version, git_commit;       ///< the program's (empty: unknown)
    double seconds = 0.0;                  ///< the search's wall time
    SearchNames names = {};                ///< how settings are named (the tool: by its flags)
};

namespace detail::search_text {

/// What report.md is made from.
struct ReportInputs {
    const SearchRun& run;
    const SearchConfig& c;
    const Events& data;
    const SearchReportInfo& info;
    std::string method;
};

inline std::string joined(const std::vector<std::string>& items, const std::string& open, const std::string& close) {
    std::string s;
    for (const auto& item : items) s += (s.empty() ? "" : ", ") + open + item + close;
    return s;
}

inline void settings_section(std::ostringstream& md, const ReportInputs& in) {
    const SearchConfig& c = in.c;
    const SearchReportInfo& info = in.info;
    md << "# resanom search: " << in.method << "\n\nresanom " << info.version;
    if (!info.git_commit.empty()) md << " (git " << info.git_commit << ")";
    md << ", " << fmt(info.seconds, "%.1f") << " s.\n\n## Settings\n\n| setting | value |\n| --- | --- |\n";
    auto row = [&](const std::string& k, const std::string& v) { md << "| " << k << " | " << v << " |\n"; };
    row("data", "`" + info.data + "` (" + std::to_string(in.data.size()) + " events, resonant column(s) " + info.m_columns +
                    ", features " + info.features + ")");
    if (!info.references.empty()) row("references (" + info.names.references + ")", joined(info.references, "`", "`"));
    std::string combine;
    for (Method m : c.combine) combine += (combine.empty() ? "" : ",") + std::string(to_string(m));
    const std::string level(to_string(c.combine_level));
    row("method", in.method + (c.method == Method::combined ? " (" + combine + ", " + level + " level)" : ""));
    if (c.method != Method::ae) row("classifier", std::string(to_string(c.classifier)) + ", " + std::to_string(in.run.ensemble) + " per fold");
    else row("autoencoders", std::to_string(in.run.ensemble));
    row("folds", std::to_string(c.folds));
    row("statistic", std::string(to_string(in.run.statistic)));
    std::vector<std::string> eps;
    for (double e : c.eps_b) eps.push_back(fmt(e));
    row("working points ε_B", joined(eps, "", ""));
    if (in.run.delta_sys_source != DeltaSysSource::none)
        row("δ_sys from", std::string(to_string(in.run.delta_sys_source)) + " (see below)");
    if (c.uses_flow())
        row("flow", std::to_string(c.flow.blocks) + " blocks × " + std::to_string(c.flow.hidden) + " hidden, " +
                        std::to_string(c.flow.epochs) + " epochs" +
                        (c.flow.patience > 0 ? " at most (stopping after " + std::to_string(c.flow.patience) +
                                                   " without a lower validation loss)"
                                             : "") +
                        ", the " + std::to_string(c.flow_average_best()) + " best averaged, oversampling " +
                        std::to_string(c.cathode.oversampling));
    row("seed", std::to_string(c.seed) + (c.method == Method::ae ? " (the scores come from one training, seeded derive_seed(seed, 0), "
                                                                   "shared by every window; same seed, same numbers)"
                                                                 : " (each window seeded from it and its bounds, window_seed; "
                                                                   "report.json lists the seeds; same seed, same numbers)"));
    row("threads", c.threads ? std::to_string(c.threads) : std::string("all cores"));
}

/// A working point's entry in the windows table.
inline std::string verdict(const Significance& s) {
    if (s.status == WorkingPointStatus::fit_failed) return "fit failed";
    if (s.status == WorkingPointStatus::unreached) return "unreached (" + fmt(s.eps_b_real, "%.2g") + ")";
    return std::isfinite(s.z) ? fmt(s.z, "%.2f") : std::string("—");
}

inline void windows_section(std::ostringstream& md, const SearchReport& rep) {
    md << "\n## Windows\n\n| SR [TeV] | events in SR | AUC | max SIC |";
    const auto& sig0 = rep.windows.front().result.significances;
    for (const auto& s : sig0) md << " Z " << s.statistic << " ε_B=" << fmt(s.eps_b) << " |";
    md << "\n| --- | --- | --- | --- |";
    for (std::size_t k = 0; k < sig0.size(); ++k) md << " --- |";
    md << "\n";
    for (std::size_t k = 0; k < rep.windows.size(); ++k) {
        const auto& wr = rep.windows[k];
        const std::string bold = static_cast<Index>(k) == rep.max_window ? "**" : "";
        md << "| " << bold << "[" << fmt(wr.window.sr.lo) << ", " << fmt(wr.window.sr.hi) << ")" << bold << " | " << wr.n_sr
           << " | " << (wr.auc ? fmt(*wr.auc, "%.3f") : "—") << " | " << (wr.max_sic ? fmt(*wr.max_sic, "%.2f") : "—") << " |";
        for (const auto& s : wr.result.significances) md << " " << verdict(s) << " |";
        md << "\n";
    }
    if (any_working_point(rep, WorkingPointStatus::fit_failed))
        md << "\nfit failed: the sideband fit of the selected spectrum failed (too few events pass the cut).\n";
    if (any_working_point(rep, WorkingPointStatus::unreached))
        md << "\nunreached (ε): the cut's reference sample cannot realize this ε_B — fewer than "
           << fmt(WorkingPointRule{}.min_events_passing) << " of its events pass, or the fraction really passing (ε, in "
           "brackets) is more than " << fmt(WorkingPointRule{}.max_excess) << "× ε_B — or its δ_sys could not be measured "
              "there, or (bump hunt) the fit's sidebands hold fewer than "
           << fmt(BumpHuntConfig{}.min_sideband_events_per_parameter)
           << " selected events per parameter of the fit function; such points are no tests and do not count in "
              "the global significance.\n";
}

/// One δ_sys estimate measured window by window: the shifts, their mean δ_sys (Das et al. 2024,
/// eq. 5) and the σ_sys of eq. 8 under the rule applied.
inline void shift_table(std::ostringstream& md, const ReportInputs& in, const std::string& title, const std::string& what,
                        const std::vector<ReferenceShift>& shifts) {
    const SigmaSys rule = in.run.sigma_sys.value_or(SigmaSys::net);
    const bool paper = rule == SigmaSys::abs_mean;
    const std::string flag = "`" + in.info.names.sigma_sys + " ";
    md << "\n### " << title << "\n\n" << what << " in each window (Das et al. 2024, eq. 4), their mean δ_sys (eq. 5) "
       << "and the σ_sys of eq. 8 ("
       << (paper                      ? flag + "mean`: |δ_sys|, Das et al. 2024"
           : rule == SigmaSys::rms    ? flag + "rms`: their root-mean-square"
                                      : flag + "net`: |δ_sys|, their spread beyond the statistical noise and the "
                                               "uncertainty of their mean, in quadrature")
       << ").\n\n| ε_B | δ_sys | σ_sys | smallest window shift | largest |" << (paper ? " RMS |" : "")
       << "\n| --- | --- | --- | --- | --- |" << (paper ? " --- |" : "") << "\n";
    bool spread = false;
    for (const ReferenceShift& r : shifts) {
        const ShiftSummary s = shift_summary(r, rule);
        spread = spread || s.rms > 1.2 * s.sigma_sys;
        md << "| " << fmt(s.eps_b) << " | " << fmt(s.delta_sys, "%.3f") << " | " << fmt(s.sigma_sys, "%.3f") << " | "
           << (std::isnan(s.smallest) ? std::string("—") : fmt(s.smallest, "%.3f")) << " | "
           << (std::isnan(s.largest) ? std::string("—") : fmt(s.largest, "%.3f")) << " |";
        if (paper) md << " " << fmt(s.rms, "%.3f") << " |";
        md << "\n";
    }
    if (spread && paper)   // the other rules include the spread
        md << "\nThe RMS of the windows' shifts exceeds σ_sys by more than 20 %: where the template is mismodelled "
              "by more than the average, the local Z is too large, and on background-only searches the 3σ tail "
              "is several times too heavy (docs/validation.md). " << flag << "net` covers the spread.\n";
}

/// Where δ_sys came from, and each estimate measured window by window (the reference's, the sidebands').
inline void shift_section(std::ostringstream& md, const ReportInputs& in) {
    const SearchRun& run = in.run;
    if (run.delta_sys_source == DeltaSysSource::none) return;
    md << "\n## Systematic shift δ_sys\n\n";
    if (run.delta_sys_source == DeltaSysSource::ideal)
        md << "δ_sys = 0 and σ_sys = 0: the IAD's template is the true background (Das et al. 2024, §2.2.1).\n";
    if (run.delta_sys_source == DeltaSysSource::given) {
        const double d = in.c.delta_sys.value_or(std::numeric_limits<double>::quiet_NaN());
        md << "δ_sys = " << fmt(d) << " as given (`" << in.info.names.delta_sys << "`), σ_sys = |δ_sys|.\n";
        if (d == 0.0 && in.c.method != Method::iad)
            md << "\n**Warning: δ_sys = 0 assumes a perfect background template (direct estimate) or a cut that does "
                  "not sculpt the spectrum (bump hunt), which " << in.info.names.method << " " << in.method << " does not "
                  "guarantee; these significances are not calibrated (docs/validation.md).**\n";
    }
    if (!run.reference_shifts.empty())
        shift_table(md, in, "δ_sys^MC from `" + in.info.reference + "`",
                    "The background-only reference's relative excess over its template", run.reference_shifts);
    if (!run.sideband_shifts.empty())
        shift_table(md, in, "δ_sys^SB from the data's sidebands",
                    "The relative excess of a random selection of the data outside the SR (as many events as the SR holds) "
                    "over the flow's samples there (Das et al. 2024, §3.2)",
                    run.sideband_shifts);
    if (!run.reference_shifts.empty() && !run.sideband_shifts.empty())
        md << "\nThe direct estimate uses both in quadrature: δ_sys = √(δ_MC² + δ_SB²), σ_sys = √(σ_MC² + σ_SB²) "
              "(Das et al. 2024, §3.2 and Fig. 5).\n";
}

inline void global_section(std::ostringstream& md, const SearchReport& rep) {
    md << "\n## Global significance\n\n";
    if (rep.max_window < 0) {
        md << "No test gave a significance.\n";
        return;
    }
    const auto& w = rep.windows[static_cast<std::size_t>(rep.max_window)].window;
    md << "Largest local significance " << fmt(rep.max_local_z, "%.2f") << "σ in the window [" << fmt(w.sr.lo) << ", "
       << fmt(w.sr.hi) << ") TeV; over " << rep.trials << " tests (windows × working points) the Bonferroni bound gives p = "
       << fmt(rep.global_p, "%.3g") << ", a global significance of " << fmt(rep.global_z, "%.2f") << "σ.\n";
}

inline void plots_section(std::ostringstream& md, const SearchPlots& plots, StatisticChoice statistic) {
    md << "\n## Plots\n\n";
    if (plots.spectrum)
        md << "- `spectrum.png` (`.svg`): the m spectrum of the most significant window before and after each cut"
           << (statistic == StatisticChoice::direct ? " (the direct estimate fits nothing)"
                                                    : ", the bump hunt's sideband fit of every selected spectrum (dashed; "
                                                      "scaled by 1 + δ_sys where a shift applies), pulls inside the fit range below")
           << "; the signal region is shaded.\n";
    else
        md << "- `scores.png` (`.svg`): the data have no events outside the signal region, so there is no spectrum "
              "to fit: the score distributions of the SR data and the template instead.\n";
    md << "- `significance.png`: local Z per window and working point; dotted lines at 3σ and 5σ.\n";
    if (plots.roc) md << "- `roc.png`, `sic.png`: ROC and SIC curves of the most significant window (truth labels).\n";
    if (plots.marginals)
        md << "- `marginals.png`: each feature of the most significant window's SR data against the flow's samples "
              "(the CATHODE template), normalized.\n";
    md << "\nData files and the gnuplot script are in `plots/`; `report.json` holds every number above and "
          "`scores.npy` every event's out-of-fold score per window.\n";
}

}  // namespace detail::search_text

/// report.md of a search `run` made with configuration `c` on `data`, whose plots are `plots`.
inline std::string search_markdown(const SearchRun& run, const SearchConfig& c, const Events& data,
                                   const SearchReportInfo& info, const SearchPlots& plots) {
    namespace dt = detail::search_text;
    const dt::ReportInputs in{run, c, data, info, std::string(to_string(c.method))};
    std::ostringstream md;
    dt::settings_section(md, in);
    dt::windows_section(md, run.report);
    dt::shift_section(md, in);
    dt::global_section(md, run.report);
    dt::plots_section(md, plots, run.statistic);
    return md.str();
}

/// The text files of a search's report: the plot files (search/plots.hpp), then report.md.
inline std::vector<SearchTextFile> search_report_files(const SearchRun& run, const SearchConfig& c, const Events& data,
                                                       const SearchReportInfo& info) {
    SearchPlots plots = search_plots(run, c, data);
    std::vector<SearchTextFile> files = std::move(plots.files);
    files.emplace_back("report.md", search_markdown(run, c, data, info, plots));
    return files;
}

}  // namespace resanom
