// examples/cli/search.cpp — `resanom search`, the main job: a resonant anomaly search with one of
// the papers' methods over one or many signal-region windows (docs/cli.md).
//
// The --method string picks a pipeline type (methods/methods.hpp) at run time; the classifier
// (--classifier hgb|mlp) and the statistics (--statistic) are held in AnyClassifier / AnyStatistic,
// so each method is compiled once, and the hot loops inside the models stay static. Every input is
// read and checked, and the output folder validated, before any training; report.json and
// scores.npy are staged and renamed into place together at the end.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common.hpp"
#include "nn_common.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/io/npy.hpp"
#include "resanom/io/table.hpp"
#include "resanom/search/search.hpp"
#include "search_methods.hpp"
#include "search_report.hpp"

// One namespace per subcommand, so that the tool's files can be compiled as one unit.
namespace resanom::cli::search_cmd {

namespace {

namespace fs = std::filesystem;

/// The search's progress bar, one per phase (the reference's windows for δ_sys, then the search's
/// windows): it advances by step inside a window (template, folds, and the flow's epochs or the
/// autoencoders as detail), the count by window. Steps per window are learned from the phase's
/// first window (the same method runs in every window); until then begin()'s guess is used.
/// Thread-safe (the AE ensemble reports from worker threads).
class WindowSteps {
public:
    explicit WindowSteps(bool requested) : enabled_(progress_shown(requested)) {}

    bool enabled() const noexcept { return enabled_; }

    /// A new phase and its bar: `windows` windows of about `steps` steps each.
    void begin(const std::string& what, Index windows, Index steps) {
        std::lock_guard lock(m_);
        bar_.emplace(enabled_, what);
        windows_ = windows;
        expected_ = steps;
        done_ = steps_ = 0;
    }
    /// A step completed.
    void step(const PipelineStep& s) {
        std::lock_guard lock(m_);
        ++steps_;
        show(std::string(s.what) + (s.total > 1 ? " " + std::to_string(s.done) + "/" + std::to_string(s.total) : "") +
             " done");
    }
    /// Progress inside the current step (e.g. the flow's epochs): `part` ∈ [0, 1] of the step.
    void detail(const std::string& what, double part) {
        std::lock_guard lock(m_);
        show(what, part);
    }
    void window_done(Index done) {
        std::lock_guard lock(m_);
        if (!bar_) return;
        if (done_ == 0 && steps_ > 0) expected_ = steps_;
        done_ = done;
        steps_ = 0;
        bar_->update(done_, windows_);
    }

private:
    void show(const std::string& what, double part = 0.0) {
        if (!bar_) return;
        const double within = std::min(0.99, (static_cast<double>(steps_) + part) / static_cast<double>(expected_));
        bar_->update(done_, windows_, static_cast<double>(done_) + within, "window " + std::to_string(done_ + 1) + ": " + what);
    }

    bool enabled_;
    std::optional<ProgressLine> bar_;
    Index windows_ = 0;
    Index expected_ = 1;
    Index done_ = 0;
    Index steps_ = 0;
    std::mutex m_;
};

/// Parses "1e-2,1e-3" into values in (0, 1].
std::vector<double> parse_fractions(const std::string& text, const std::string& flag) {
    std::vector<double> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        std::size_t used = 0;
        double v = 0.0;
        try {
            v = std::stod(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != item.size() || item.empty() || !(v > 0.0 && v <= 1.0))
            throw usage_error(flag + ": '" + item + "' is not a fraction in (0, 1]");
        out.push_back(v);
    }
    if (out.empty()) throw usage_error(flag + ": no values given");
    return out;
}

/// Parses "LO,HI" into an interval.
Interval parse_interval(const std::string& text, const std::string& flag) {
    const auto comma = text.find(',');
    auto number = [&](const std::string& s) {
        std::size_t used = 0;
        double v = 0.0;
        try {
            v = std::stod(s, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != s.size() || s.empty() || !std::isfinite(v))
            throw usage_error(flag + ": '" + text + "' is not LO,HI (two numbers)");
        return v;
    };
    if (comma == std::string::npos) throw usage_error(flag + ": '" + text + "' is not LO,HI (two numbers)");
    const double lo = number(text.substr(0, comma)), hi = number(text.substr(comma + 1));
    if (!(lo < hi)) throw usage_error(flag + ": '" + text + "' needs LO < HI");
    return {lo, hi};
}

/// The windows of the search from --sr / --windows and the sideband widths.
std::vector<Window> search_windows(const SearchFlags& o) {
    if (!o.sr.empty() && !o.windows.empty()) throw usage_error("--sr and --windows exclude each other");
    if (o.sr.empty() && o.windows.empty()) throw usage_error("give a signal region: --sr LO,HI or --windows LAYOUT");
    if (!(o.sb_width > 0.0) || !(o.long_sb_width > o.sb_width))
        throw usage_error("--sb-width must be > 0 and --long-sb-width larger than it");
    if (!o.sr.empty()) {
        if (o.sr.find(';') != std::string::npos) {
            // Multi-CWoLa: the first window is the search's window on the first resonant feature.
            return {Window::with_sidebands(parse_interval(o.sr.substr(0, o.sr.find(';')), "--sr"), o.sb_width, o.long_sb_width)};
        }
        return {Window::with_sidebands(parse_interval(o.sr, "--sr"), o.sb_width, o.long_sb_width)};
    }
    if (o.windows == "seed003") return seed003_windows(o.sb_width, o.long_sb_width);
    if (o.windows == "seed004") return seed004_windows();
    // LO:HI:WIDTH:STEP
    const auto bad = [&] { return usage_error("--windows: '" + o.windows + "' is not seed003, seed004 or LO:HI:WIDTH:STEP"); };
    std::vector<double> v;
    std::stringstream ss(o.windows);
    std::string item;
    while (std::getline(ss, item, ':')) {
        std::size_t used = 0;
        double x = 0.0;
        try {
            x = std::stod(item, &used);
        } catch (const std::exception&) {
            throw bad();
        }
        if (used != item.size() || !std::isfinite(x)) throw bad();
        v.push_back(x);
    }
    if (v.size() != 4) throw bad();
    try {
        return scan_windows(v[0], v[1], v[2], v[3], o.sb_width, o.long_sb_width);
    } catch (const input_error& e) {
        throw usage_error(std::string("--windows: ") + e.what());
    }
}

/// The Multi-CWoLa windows "a,b;c,d;e,f", one per resonant column.
std::optional<MultiWindow> multi_windows(const SearchFlags& o, Index n_resonant) {
    if (o.sr.find(';') == std::string::npos) return std::nullopt;
    MultiWindow mw;
    std::stringstream ss(o.sr);
    std::string item;
    while (std::getline(ss, item, ';')) mw.windows.push_back(parse_interval(item, "--sr"));
    if (mw.size() != n_resonant)
        throw usage_error("--sr: " + std::to_string(mw.size()) + " windows for " + std::to_string(n_resonant) +
                          " resonant columns (--m-col)");
    return mw;
}

/// One input file of the search: its events and its column count.
struct EventFile {
    Events events;
    Index columns = 0;
};

/// Reads one input of the search: features, resonant columns, truth from --label-col when
/// `with_truth`. `data_columns` is --data's column count (none when reading --data itself): every
/// other file must have as many columns, since --m-col, --features and --label-col index them all.
EventFile load_events(const std::string& path, const std::string& flag, const SearchFlags& o, bool with_truth,
                      bool require_truth, std::optional<Index> data_columns) {
    const io::Table t = read_events(path, flag);
    if (data_columns && t.data.cols() != *data_columns)
        throw io_error(path, flag + " has " + std::to_string(t.data.cols()) + " columns, --data " +
                                 std::to_string(*data_columns) + ": the files must share one column layout");
    const auto m_cols = parse_columns(o.m_col, "--m-col");
    const auto features = parse_columns(o.features, "--features");
    std::optional<Index> label;
    if (o.label_col) label = static_cast<Index>(*o.label_col);
    if (require_truth && !label) throw usage_error(flag + " needs truth labels: give --label-col");
    for (Index c : features) {
        for (Index m : m_cols)
            if (c == m) throw usage_error("--features: column " + std::to_string(c) + " is a resonant column (--m-col)");
        if (label && c == *label) throw usage_error("--features: column " + std::to_string(c) + " is the label column");
    }
    auto check = [&](Index c, const std::string& what) {
        if (c >= t.data.cols())
            throw io_error(path, what + " " + std::to_string(c) + " is out of range: the file has " +
                                     std::to_string(t.data.cols()) + " columns");
    };
    for (Index c : features) check(c, "--features column");
    for (Index c : m_cols) check(c, "--m-col");
    refuse_label_features(t, features, path);
    if (label && (with_truth || require_truth)) check(*label, "--label-col");
    const bool truth = label && (with_truth || require_truth);
    if (truth) {
        const auto y = t.data.col(*label);
        for (Index i = 0; i < y.size(); ++i)
            if (!(y[i] >= 0.0 && y[i] <= 1.0))
                throw io_error(path, "label " + std::to_string(y[i]) + " outside [0,1] (--label-col)",
                               static_cast<std::size_t>(i), static_cast<std::size_t>(*label));
    }
    try {
        return {events_from_table(t.data, features, m_cols, truth ? label : std::nullopt, std::nullopt, t.columns),
                t.data.cols()};
    } catch (const io_error&) {
        throw;
    } catch (const input_error& e) {
        throw io_error(path, e.what());
    }
}

json significance_json(const Significance& s) {
    auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    json j{{"eps_b", s.eps_b},          {"eps_b_real", num(s.eps_b_real)}, {"status", to_string(s.status)},
           {"threshold", num(s.threshold)}, {"n_obs", s.n_obs},               {"n_exp", num(s.n_exp)},
           {"sigma_exp", num(s.sigma_exp)}, {"z", num(s.z)},                  {"p_value", num(s.p_value)}};
    if (!s.fold_thresholds.empty()) j["fold_thresholds"] = s.fold_thresholds;
    if (s.statistic == "direct")
        for (const auto& [key, v] : {std::pair{"n_sr", s.n_sr}, {"n_bt", s.n_bt}}) j[key] = num(v);
    j["delta_sys"] = num(s.delta_sys);   // the shift assumed (null: none, e.g. a bump hunt on its own fit)
    j["sigma_sys"] = num(s.sigma_sys);
    return j;
}

/// One δ_sys estimate's per-working-point summary for report.json (delta_sys_mc, delta_sys_sb).
json shifts_json(const std::vector<ReferenceShift>& shifts, SigmaSys rule) {
    json d = json::array();
    for (const ReferenceShift& r : shifts) {
        const SystematicShift s = r.shift(rule);
        d.push_back({{"eps_b", s.eps_b},
                     {"delta_sys", s.delta_sys},
                     {"sigma_sys", *s.sigma_sys},
                     {"per_window", r.per_window},
                     {"variance", r.variance}});
    }
    return d;
}

json number_or_null(const std::optional<double>& v) {
    return v && std::isfinite(*v) ? json(*v) : json(nullptr);
}

std::string eps_key(double e) {
    std::ostringstream s;
    s << e;
    return s.str();
}

json window_json(const WindowReport& w) {
    json j{{"sr", {w.window.sr.lo, w.window.sr.hi}},
           {"sb", {{w.window.sb_low.lo, w.window.sb_low.hi}, {w.window.sb_high.lo, w.window.sb_high.hi}}},
           {"n_sr", w.n_sr},
           {"n_train", w.result.n_train},
           {"auc", number_or_null(w.auc)},
           {"max_sic", number_or_null(w.max_sic)}};
    json sic_at = json::object();
    for (const auto& s : w.sic_at) sic_at[eps_key(s.eps_b)] = std::isfinite(s.sic) ? json(s.sic) : json(nullptr);
    j["sic_at"] = sic_at;
    json direct = json::array(), bump = json::array();
    for (const auto& s : w.result.significances) {
        if (s.statistic == "direct") direct.push_back(significance_json(s));
        else if (s.statistic == "bumphunt") bump.push_back(significance_json(s));
    }
    j["direct"] = direct;
    j["bumphunt"] = bump;
    return j;
}

void run(const SearchFlags& o) {
    const auto start = std::chrono::steady_clock::now();
    // Flags first, then files, then the output folder: nothing runs before all of it is known good.
    if (o.out.empty()) throw usage_error("--out is required (a folder for report.json and scores.npy)");
    if (o.data.empty()) throw usage_error("--data is required");
    if (o.features.empty()) throw usage_error("--features is required");
    const MethodSpec& spec = method_spec(o.method);
    if (o.statistic != "auto" && o.statistic != "direct" && o.statistic != "bumphunt" && o.statistic != "both")
        throw usage_error("--statistic: '" + o.statistic + "' is not direct, bumphunt, both or auto");
    if (o.classifier != "hgb" && o.classifier != "mlp")
        throw usage_error("--classifier: '" + o.classifier + "' is not hgb or mlp");
    if (ensemble_size(o) < 1) throw usage_error("--ensemble must be >= 1");
    if (o.folds < 3) throw usage_error("--folds must be >= 3 (train, validation and test folds)");
    if (o.delta_sys && (!o.delta_sys_from.empty() || o.delta_sys_sb))
        throw usage_error("--delta-sys excludes --delta-sys-from and --delta-sys-sb (it is the shift itself)");
    if (o.delta_sys && !(std::isfinite(*o.delta_sys) && *o.delta_sys > -1.0))
        throw usage_error("--delta-sys must be a finite number > -1");
    if (o.delta_sys_sb && o.method != "cathode")
        throw usage_error("--delta-sys-sb applies to --method cathode (its flow generates the sideband template, "
                          "Das et al. 2024, §3.2)");
    if (o.sigma_sys && *o.sigma_sys != "mean" && *o.sigma_sys != "rms" && *o.sigma_sys != "net")
        throw usage_error("--sigma-sys: '" + *o.sigma_sys + "' is not net, rms or mean");
    const detail_search::DeltaSysPlan dsys = detail_search::delta_sys_plan(o);
    if (o.sigma_sys && !dsys.reference && !dsys.sidebands)
        throw usage_error("--sigma-sys applies to --delta-sys-from or --delta-sys-sb (the windows' shifts of a reference)");
    const std::vector<double> eps_b = parse_fractions(o.eps_b, "--eps-b");
    const std::optional<Index> ae_latent = detail_search::parse_ae_latent(o.ae_latent);
    if (o.ae_latent != "2" && o.method != "ae") throw usage_error("--ae-latent applies to --method ae");
    std::vector<Window> windows = search_windows(o);
    const std::string statistic = detail_search::effective_statistic(o, spec);
    const bool wants_direct = statistic != "bumphunt";
    if (wants_direct && !detail_search::has_template(o, spec))
        throw usage_error("--method " + o.method + (o.method == "combined" ? " (as combined here)" : "") +
                          " has no background template: use --statistic bumphunt");
    if (wants_direct && !dsys.any())
        throw usage_error("--statistic " + statistic + " with --method " + o.method +
                          " needs the template's systematic shift δ_sys (Das et al. 2024, eq. 3): --delta-sys-from "
                          "REF (measured on a background-only reference, eqs. 4-5) or --delta-sys D (your own); "
                          "only the IAD's template is exact");
    const bool wants_bump = statistic != "direct";
    if (!wants_direct && (o.delta_sys_sb || dsys.reference))
        throw usage_error("--delta-sys-from and --delta-sys-sb apply to --statistic direct or both (the bump hunt takes "
                          "its background from the sideband fit)");
    const auto sculpting = detail_search::bump_hunt_sculpting(o);
    if (wants_bump && sculpting && !dsys.given)
        throw usage_error("--statistic " + statistic + " with --method " + o.method + " is not calibrated: " +
                          *sculpting + "; docs/validation.md); " +
                          (detail_search::has_template(o, spec)
                               ? "use --statistic direct with --delta-sys-from, or state the sculpting yourself "
                                 "with --delta-sys D"
                               : "it has no background template for the direct estimate, so state the sculpting "
                                 "yourself with --delta-sys D (0 only for features known not to depend on m)"));
    if (spec.min_sims > 0 && static_cast<int>(o.sim.size()) < spec.min_sims)
        throw usage_error("--method " + o.method + " needs " + std::to_string(spec.min_sims) + " --sim file" +
                          (spec.min_sims > 1 ? "s" : "") + ", got " + std::to_string(o.sim.size()));
    if (spec.max_sims >= 0 && static_cast<int>(o.sim.size()) > spec.max_sims)
        throw usage_error("--method " + o.method + " takes at most " + std::to_string(spec.max_sims) + " --sim files");

    EventFile data_file = load_events(o.data, "--data", o, true, false, std::nullopt);
    const Events& data = data_file.events;
    const Index layout = data_file.columns;
    std::vector<Events> sims;
    for (const auto& s : o.sim) sims.push_back(load_events(s, "--sim", o, false, false, layout).events);
    std::optional<Events> test;
    if (!o.test.empty()) test = load_events(o.test, "--test", o, true, true, layout).events;
    std::optional<Events> dsys_ref;
    if (!o.delta_sys_from.empty()) dsys_ref = load_events(o.delta_sys_from, "--delta-sys-from", o, false, false, layout).events;
    const auto multi = multi_windows(o, data.n_resonant());
    if (spec.multi && !multi)
        throw usage_error("--method " + o.method + " needs one window per resonant column: --m-col 0,1,2 --sr \"a,b;c,d;e,f\"");
    if (!spec.multi && data.n_resonant() != 1)
        throw usage_error("--m-col: --method " + o.method + " takes one resonant column");
    for (const Window& w : windows)
        if (sr_rows(data, w).empty())
            throw io_error(o.data, "no events in the signal region [" + std::to_string(w.sr.lo) + ", " +
                                       std::to_string(w.sr.hi) + ")");

    // The output folder: created if missing (its parent must exist), never a file.
    const fs::path out_dir(o.out);
    std::error_code ec;
    if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
        throw usage_error("--out " + o.out + ": exists and is not a folder");
    if (!fs::exists(out_dir, ec)) {
        const auto parent = fs::absolute(out_dir).parent_path();
        if (!fs::is_directory(parent)) throw usage_error("--out " + o.out + ": folder " + parent.string() + " does not exist");
    }

    MethodContext ctx{o, eps_b, multi, windows};
    WindowSteps steps(o.common.progress);
    if (steps.enabled()) {
        ctx.flow_progress = [&steps](const FlowEpochReport& r) {
            steps.detail("flow epoch " + std::to_string(r.epoch) + "/" + std::to_string(r.max_epochs),
                         static_cast<double>(r.epoch) / r.max_epochs);
        };
        ctx.ae_progress = [&steps](int done, int total) {
            steps.detail("autoencoders " + std::to_string(done) + "/" + std::to_string(total),
                         static_cast<double>(done) / total);
        };
    }
    const auto on_step = [&steps](const PipelineStep& s) { steps.step(s); };
    // ae: the latent size, given or chosen by the FVU on the data (Collins et al. 2021, App. C).
    std::optional<LatentSelection> latent_selection;
    if (o.method == "ae") {
        if (ae_latent) {
            ctx.ae_latent = *ae_latent;
        } else {
            if (o.common.verbose) std::cerr << "resanom: choosing the autoencoder's latent size by the FVU\n";
            latent_selection = select_latent_by_fvu(data.X(), detail_search::ae_params(ctx), {}, o.common.seed);
            ctx.ae_latent = latent_selection->latent;
        }
    }
    // The systematic shifts, from what the flags (or the method) name.
    if (dsys.given && *o.delta_sys == 0.0 && o.method != "iad" && (wants_direct || sculpting))
        std::cerr << "resanom: warning: --delta-sys 0 with --method " << o.method
                  << ": the " << (wants_direct ? "direct estimate assumes a perfect background template"
                                               : "bump hunt assumes the cut does not sculpt the spectrum")
                  << ", which this method does not guarantee; its significances are not calibrated (docs/validation.md)\n";
    std::optional<std::vector<ReferenceShift>> ref_shifts, sb_shifts;
    if (wants_direct && dsys.reference) {
        steps.begin("reference windows (δ_sys)", static_cast<Index>(windows.size()), 1 + o.folds);
        ref_shifts = run_reference_shifts(spec, ctx, *dsys_ref, sims, o.common.seed,
                                          [&](Index done, Index) { steps.window_done(done); },
                                          steps.enabled() ? StepObserver(on_step) : StepObserver());
    }
    if (wants_direct && dsys.sidebands) {
        if (o.common.verbose)
            std::cerr << "resanom: δ_sys from the data's sidebands (Das et al. 2024, §3.2): the flow samples the "
                         "sidebands in every window\n";
        steps.begin("sideband windows (δ_sys^SB)", static_cast<Index>(windows.size()), 1);
        sb_shifts = run_sideband_shifts(ctx, data, o.common.seed);
    }
    steps.begin("windows", static_cast<Index>(windows.size()), (o.method == "ae" ? 0 : 1) + o.folds);
    SearchOptions sopt;
    sopt.windows = windows;
    sopt.test = test ? &*test : nullptr;
    sopt.multi = multi;
    sopt.progress = [&](Index done, Index) { steps.window_done(done); };
    if (steps.enabled()) sopt.on_step = on_step;
    if (o.common.verbose)
        sopt.on_window = [&](const WindowReport& w) {
            std::ostringstream line;
            line << "resanom: window [" << w.window.sr.lo << ", " << w.window.sr.hi << "): " << w.n_sr << " SR events, "
                 << w.result.n_train << " training rows";
            if (w.auc) line << ", AUC " << *w.auc;
            for (const auto& s : w.result.significances) line << ", Z(" << s.statistic << ", " << s.eps_b << ") " << s.z;
            std::cerr << "\r" << line.str() << "\n" << std::flush;
        };
    std::optional<std::vector<SystematicShift>> shifts;
    const SigmaSys rule = detail_search::sigma_sys_of(o);
    if (ref_shifts) shifts = systematic_shifts(*ref_shifts, rule);
    if (sb_shifts) {
        const auto sb = systematic_shifts(*sb_shifts, rule);
        shifts = shifts ? combine_in_quadrature(*shifts, sb) : sb;   // Das et al. 2024, §3.2: MC ⊕ SB
    }
    const SearchReport rep = run_search(spec, ctx, data, sims, sopt, shifts, o.common.seed);

    // Outputs: every window's out-of-fold data scores, one column per window.
    Matrix scores(data.size(), static_cast<Index>(rep.windows.size()));
    for (std::size_t k = 0; k < rep.windows.size(); ++k) scores.col(static_cast<Index>(k)) = rep.windows[k].result.data_score;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    json windows_json = json::array();
    for (const auto& w : rep.windows) windows_json.push_back(window_json(w));
    json j{{"method", o.method},
           {"windows", windows_json},
           {"global", {{"max_local_z", rep.max_local_z},
                       {"global_z", rep.global_z},
                       {"global_p_value", rep.global_p},
                       {"trials", rep.trials},
                       {"max_window", rep.max_window},
                       {"method", "bonferroni"}}},
           {"seconds", seconds},
           {"settings", {{"classifier", o.classifier},
                         {"ensemble", ensemble_size(o)},
                         {"folds", o.folds},
                         {"statistic", statistic},
                         {"eps_b", eps_b},
                         {"seed", o.common.seed},
                         {"data", o.data},
                         {"sim", o.sim},
                         {"delta_sys", o.delta_sys ? json(*o.delta_sys) : wants_direct && dsys.ideal ? json(0.0) : json(nullptr)},
                         {"delta_sys_source", wants_direct || dsys.given ? json(dsys.name()) : json(nullptr)},
                         {"sigma_sys_rule", ref_shifts || sb_shifts ? json(detail_search::sigma_sys_rule(o)) : json(nullptr)},
                         {"ae_latent", o.method == "ae" ? json(ctx.ae_latent) : json(nullptr)}}},
           {"version", RESANOM_VERSION},
           {"git_commit", git_commit[0] ? json(git_commit) : json(nullptr)}};
    if (latent_selection)
        j["ae_latent_selection"] = {{"latent", latent_selection->latent},
                                    {"fvu", latent_selection->fvu},
                                    {"threshold", latent_selection->threshold}};
    if (ref_shifts) j["delta_sys_mc"] = shifts_json(*ref_shifts, rule);
    if (sb_shifts) j["delta_sys_sb"] = shifts_json(*sb_shifts, rule);
    // The human-readable report and the plots' data (search_report.hpp), staged with the rest.
    const SearchReportInputs report_in{o,
                                       rep,
                                       data,
                                       eps_b,
                                       detail_search::bump_config(ctx),
                                       statistic,
                                       git_commit,
                                       seconds,
                                       wants_direct || dsys.given ? dsys.name() : std::string(),
                                       ref_shifts.value_or(std::vector<ReferenceShift>{}),
                                       sb_shifts.value_or(std::vector<ReferenceShift>{})};
    const auto human = search_report_files(report_in);

    // Folders made here are removed again (if empty) on failure or interruption.
    CreatedFolder out_folder(out_dir);
    CreatedFolder plot_folder(out_dir / "plots");
    {
        const std::string report_text = j.dump(2) + "\n";
        io::StagedFiles files;
        files.add(io::detail::stage_write((out_dir / "report.json").string(),
                                          [&](io::detail::FileSink& f) { f.write(report_text); }));
        files.add(io::stage_npy((out_dir / "scores.npy").string(), scores));
        for (const auto& file : human)
            files.add(io::detail::stage_write((out_dir / file.first).string(),
                                              [&file](io::detail::FileSink& f) { f.write(file.second); }));
        files.commit();
    }
    plot_folder.keep();
    out_folder.keep();
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
    sub->add_option("--windows", o->windows, "seed003 (9 windows, Das et al. 2024), seed004 (Collins et al. 2021) or LO:HI:WIDTH:STEP");
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
    sub->add_option("--class-balance", o->class_balance, "Multi-CWoLa: p(y = 1) (Chen et al. 2023, App. E.1)")->capture_default_str();
    sub->add_option("--ae-latent", o->ae_latent,
                    "ae: the autoencoders' latent size, or fvu: chosen on the data by the fraction of variance "
                    "unexplained (Collins et al. 2021, App. C)")
        ->capture_default_str();
    sub->add_option("--statistic", o->statistic,
                    "direct, bumphunt, both, or auto (direct when the method has a background template and δ_sys is "
                    "known: iad, --delta-sys(-from), cathode's sidebands; the bump hunt otherwise)")
        ->capture_default_str();
    sub->add_option("--eps-b", o->eps_b, "Working points: background efficiencies")->capture_default_str();
    sub->add_option("--delta-sys", o->delta_sys,
                    "Your own systematic shift δ_sys (Das et al. 2024, eq. 3; σ_sys = |δ_sys|): it scales the direct "
                    "estimate's template and the bump hunt's prediction. Without it, --delta-sys-from or "
                    "--delta-sys-sb, δ_sys = 0 for iad alone, the data's sidebands for cathode; other methods need "
                    "one for --statistic direct. The bump hunt of cwola, cwola-hunting, sa-cwola, the Multi-CWoLa "
                    "family, cathode and combinations with them needs it: the sculpting of their cut");
    sub->add_option("--delta-sys-from", o->delta_sys_from,
                    "Direct estimation: δ_sys from this background-only reference (Das et al. 2024, eqs. 4-5)");
    sub->add_flag("--delta-sys-sb", o->delta_sys_sb,
                  "cathode, direct estimation: δ_sys from the data's sidebands (Das et al. 2024, §3.2; cathode's "
                  "default); with --delta-sys-from both in quadrature (MC⊕SB, their Fig. 5)");
    sub->add_option("--sigma-sys", o->sigma_sys,
                    "With --delta-sys-from or --delta-sys-sb: σ_sys of eq. 8 from the windows' shifts: net (default: "
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
