// tools/resanom/search.cpp — `resanom search`, the main job: a resonant anomaly search with one of
// the papers' methods over one or many signal-region windows (docs/cli.md). The flags become the
// library's SearchConfig (search_flags.hpp), run_search (resanom/search/run.hpp) runs it; this file
// reads the inputs, checks the output folder, and writes report.json, scores.npy, report.md and the
// plots, staged and renamed into place together.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "resanom/io/npy.hpp"
#include "resanom/search/run.hpp"
#include "search_flags.hpp"
#include "search_inputs.hpp"
#include "search_json.hpp"
#include "search_progress.hpp"
#include "search_report.hpp"

// One namespace per subcommand, so that the tool's files can be compiled as one unit.
namespace resanom::cli::search_cmd {

namespace {

namespace fs = std::filesystem;

std::string method_help() {
    std::string h = "The method:";
    for (const MethodInfo& m : methods()) h += "\n  " + std::string(m.name) + ": " + std::string(m.what);
    return h;
}

/// The output folder: created if missing (its parent must exist), never a file.
fs::path output_folder(const std::string& out) {
    const fs::path dir(out);
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) throw usage_error("--out " + out + ": exists and is not a folder");
    if (!fs::exists(dir, ec)) {
        const auto parent = fs::absolute(dir).parent_path();
        if (!fs::is_directory(parent)) throw usage_error("--out " + out + ": folder " + parent.string() + " does not exist");
    }
    return dir;
}

/// report.json, scores.npy (every window's out-of-fold data scores, one column per window) and the
/// human-readable report, staged and committed together; folders made here go again on failure.
void write_outputs(const fs::path& dir, const json& j, const SearchReport& rep, Index n_events,
                   const std::vector<std::pair<std::string, std::string>>& human) {
    Matrix scores(n_events, static_cast<Index>(rep.windows.size()));
    for (std::size_t k = 0; k < rep.windows.size(); ++k) scores.col(static_cast<Index>(k)) = rep.windows[k].result.data_score;
    CreatedFolder out_folder(dir);
    CreatedFolder plot_folder(dir / "plots");
    const std::string report_text = j.dump(2) + "\n";
    io::StagedFiles files;
    files.add(io::stage_write((dir / "report.json").string(), [&](io::FileSink& f) { f.write(report_text); }));
    files.add(io::stage_npy((dir / "scores.npy").string(), scores));
    for (const auto& file : human)
        files.add(io::stage_write((dir / file.first).string(), [&file](io::FileSink& f) { f.write(file.second); }));
    files.commit();
    plot_folder.keep();
    out_folder.keep();
}

void run(const SearchFlags& o) {
    const auto start = std::chrono::steady_clock::now();
    // Flags first, then files, then the output folder: nothing runs before all of it is known good.
    if (o.out.empty()) throw usage_error("--out is required (a folder for report.json and scores.npy)");
    if (o.data.empty()) throw usage_error("--data is required");
    if (o.features.empty()) throw usage_error("--features is required");
    const SearchConfig config = search_config(o);
    as_usage([&] { config.validate(o.sim.size(), !o.delta_sys_from.empty(), search_flag_names()); });
    const SearchFiles files = load_search_files(o);
    try {
        check_search_data(config, files.data);
    } catch (const input_error& e) {
        throw io_error(o.data, e.what());
    }
    const fs::path out_dir = output_folder(o.out);

    WindowSteps steps(o.common.progress);
    const SearchData data{files.data, files.sims, files.reference ? &*files.reference : nullptr,
                          files.test ? &*files.test : nullptr};
    if (o.common.verbose && config.method == Method::ae && config.ae_latent_by_fvu)
        std::cerr << "resanom: choosing the autoencoder's latent size by the FVU\n";
    const SearchRun result = run_search(config, data, search_observers(steps, o.common.verbose));
    for (const std::string& w : result.warnings) std::cerr << "resanom: warning: " << w << " (docs/validation.md)\n";

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    json j = search_json(o, config, result, seconds);
    write_outputs(out_dir, j, result.report, files.data.size(), search_report_files(o, config, result, files.data, seconds));
    // The pictures: gnuplot draws them from the committed data files; without gnuplot the
    // report stands and stderr says how to draw them later.
    std::string problem;
    const std::vector<std::string> drawn = draw_search_plots(out_dir, problem);
    if (!problem.empty()) std::cerr << "resanom: note: plots not drawn: " << problem << "\n";
    j["plots"] = drawn;
    j["out"] = o.out;
    emit(j);
}

}  // namespace

Subcommand add_search(CLI::App& app) {
    auto o = std::make_shared<SearchFlags>();
    CLI::App* sub = app.add_subcommand("search", "Resonant anomaly search over one or many signal-region windows");
    sub->add_option("--data", o->data, "Events (.npy or .csv), one per row")->required();
    sub->add_option("--m-col", o->m_col, "Resonant column(s), e.g. 0 (Multi-CWoLa: 0,1,2)")->capture_default_str();
    sub->add_option("--features", o->features, "Feature columns, e.g. 1,2,3,4")->required();
    sub->add_option("--label-col", o->label_col, "Truth column (used only to report ROC/SIC, never for training)");
    sub->add_option("--method", o->method, method_help())->capture_default_str();
    sub->add_option("--combine", o->combine, "combined: the methods combined, e.g. cathode,salad");
    sub->add_option("--combine-level", o->combine_level, "combined: sample or score (Golling et al. 2024, §4)")->capture_default_str();
    sub->add_option("--sim", o->sim, "Reference sample (repeatable): simulations (SA-CWoLa, SALAD family), "
                                      "the ideal background (IAD)");
    sub->add_option("--sr", o->sr, "One signal region LO,HI (TeV); Multi-CWoLa: one per resonant column, \"a,b;c,d;e,f\"");
    sub->add_option("--windows", o->windows, "das2024 (the 9 windows of Das et al. 2024), collins2021 (the 21 binned windows of Collins et al. 2021, with its 30 log bins for the bump hunt) or LO:HI:WIDTH:STEP; seed003 and seed004 are earlier names of the first two");
    sub->add_option("--sb-width", o->sb_width, "Short sideband width per side (CWoLa; TeV)")->capture_default_str();
    sub->add_option("--long-sb-width", o->long_sb_width, "Long sideband width per side (SALAD reweighting; TeV)")
        ->capture_default_str();
    sub->add_option("--classifier", o->classifier, "hgb or mlp")->capture_default_str();
    sub->add_option("--ensemble", o->ensemble, "Classifiers per fold, averaged (default 10; Das et al. 2024: 50); for ae the autoencoders (default 50, Collins et al. 2021)");
    sub->add_option("--folds", o->folds, "k of the out-of-fold scoring (Das et al. 2024, Collins et al. 2021: 5)")->capture_default_str();
    sub->add_option("--lambda", o->lambda, "SA-CWoLa: weight λ of the simulation (Benkendorfer et al. 2021, eq. 2.3)")->capture_default_str();
    sub->add_option("--oversampling", o->oversampling, "CATHODE: samples per SR data event (Das et al. 2024: 4)")
        ->capture_default_str();
    sub->add_option("--flow-epochs", o->flow_epochs, "CATHODE's flow: epochs")->capture_default_str();
    sub->add_option("--flow-blocks", o->flow_blocks, "CATHODE's flow: MADE blocks")->capture_default_str();
    sub->add_option("--flow-hidden", o->flow_hidden, "CATHODE's flow: hidden units")->capture_default_str();
    sub->add_option("--flow-patience", o->flow_patience,
                    "The flow (cathode, lacathode): stop after N epochs without a lower validation loss (0: all --flow-epochs)")
        ->capture_default_str();
    sub->add_option("--class-balance", o->class_balance, "Multi-CWoLa: p(y = 1) (Chen et al. 2023, App. E.1)")->capture_default_str();
    sub->add_option("--ae-latent", o->ae_latent,
                    "ae: the autoencoders' latent size, or fvu: chosen on the data by the fraction of variance "
                    "unexplained (Collins et al. 2021, App. C)")
        ->capture_default_str();
    sub->add_option("--statistic", o->statistic,
                    "direct, bumphunt, both, none (score and evaluate only), or auto (direct when the method has a background template and δ_sys is "
                    "known: iad, --delta-sys(-from); the bump hunt otherwise)")
        ->capture_default_str();
    sub->add_option("--eps-b", o->eps_b, "Working points: background efficiencies")->capture_default_str();
    sub->add_option("--delta-sys", o->delta_sys,
                    "Your own systematic shift δ_sys (Das et al. 2024, eq. 3; σ_sys = |δ_sys|): it scales the direct "
                    "estimate's template and the bump hunt's prediction. Without it or --delta-sys-from, "
                    "δ_sys = 0 for iad alone; other methods need one for --statistic direct. The bump hunt of cwola, cwola-hunting, sa-cwola, the Multi-CWoLa "
                    "family, cathode and combinations with them needs it: the sculpting of their cut");
    sub->add_option("--delta-sys-from", o->delta_sys_from,
                    "Direct estimation: δ_sys from this background-only reference (Das et al. 2024, eqs. 4-5)");
    sub->add_flag("--delta-sys-sb", o->delta_sys_sb,
                  "cathode, direct estimation, with --delta-sys-from: δ_sys^SB from the data's sidebands in "
                  "quadrature with the reference's (MC⊕SB, Das et al. 2024, §3.2, their Fig. 5); alone it is "
                  "refused, not calibrated (docs/validation.md)");
    sub->add_option("--sigma-sys", o->sigma_sys,
                    "With --delta-sys-from (and --delta-sys-sb): σ_sys of eq. 8 from the windows' shifts: net (default: "
                    "|their mean| with their spread beyond the reference's statistical noise and the mean's "
                    "uncertainty in quadrature), rms (their root-mean-square) or mean (|their mean|, Das et al. 2024); "
                    "docs/validation.md compares them on background-only searches");
    sub->add_option("--test", o->test, "Labelled evaluation events (truth in --label-col) for ROC/SIC");
    sub->add_option("--out", o->out, "Output folder: report.json, scores.npy, report.md, the plots (PNG, SVG) and their data in plots/")->required();
    add_common_options(*sub, o->common);
    return {sub, [o] { run(*o); }};
}

namespace {
const SubcommandRegistration registration(70, "search", add_search);
}  // namespace

}  // namespace resanom::cli::search_cmd
