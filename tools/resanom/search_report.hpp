// tools/resanom/search_report.hpp — what `resanom search` writes for a human besides report.json:
// report.md and the plots' data files and gnuplot script, as the library's search/report.hpp
// writes them (settings named by the tool's flags), and the images gnuplot draws from them. The
// data files and plots/plots.gp are kept, so a user can restyle a plot and rerun `gnuplot plots.gp`
// inside plots/.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common.hpp"
#include "resanom/search/report.hpp"
#include "search_flags.hpp"

namespace resanom::cli {

/// The files of the human-readable report, as (path relative to --out, contents).
inline std::vector<SearchTextFile> search_report_files(const SearchFlags& o, const SearchConfig& c, const SearchRun& run,
                                                       const Events& data, double seconds) {
    const SearchReportInfo info{o.data,   o.m_col, o.features, o.sim, o.delta_sys_from, RESANOM_VERSION,
                                git_commit, seconds, search_flag_names()};
    return resanom::search_report_files(run, c, data, info);
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
        for (const std::string& image : search_plot_images()) {
            std::error_code ec;
            fs::remove(plots / image, ec);
        }
        return {};
    }
    std::vector<std::string> drawn;
    for (const std::string& image : search_plot_images()) {
        const fs::path src = plots / image;
        if (!fs::exists(src)) continue;
        std::error_code ec;
        fs::rename(src, out_dir / image, ec);
        if (!ec) drawn.push_back(image);
    }
    return drawn;
}

}  // namespace resanom::cli
