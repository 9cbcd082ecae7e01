// tools/resanom/search_json.hpp — report.json of `resanom search`: every window's verdicts, the
// global significance, the settings as applied and the δ_sys estimates (docs/cli.md lists the keys).
#pragma once

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "common.hpp"
#include "resanom/search/run.hpp"
#include "search_flags.hpp"

namespace resanom::cli {

/// A number, or null where it is missing or not finite.
inline json number_or_null(const std::optional<double>& v) {
    return v && std::isfinite(*v) ? json(*v) : json(nullptr);
}

inline json significance_json(const Significance& s) {
    const auto num = [](double v) { return number_or_null(v); };
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
inline json shifts_json(const std::vector<ReferenceShift>& shifts, SigmaSys rule) {
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

inline std::string eps_key(double e) {
    std::ostringstream s;
    s << e;
    return s.str();
}

inline json window_json(const WindowReport& w) {
    json j{{"sr", {w.window.sr.lo, w.window.sr.hi}},
           {"seed", w.seed},
           {"sb", {{w.window.sb_low.lo, w.window.sb_low.hi}, {w.window.sb_high.lo, w.window.sb_high.hi}}},
           {"n_sr", w.n_sr},
           {"n_train", w.result.n_train},
           {"auc", number_or_null(w.auc)},
           {"max_sic", number_or_null(w.max_sic)}};
    json sic_at = json::object();
    for (const auto& s : w.sic_at) sic_at[eps_key(s.eps_b)] = number_or_null(s.sic);
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

/// report.json: the windows, the global significance, the settings as applied, the δ_sys estimates.
inline json search_json(const SearchFlags& o, const SearchConfig& c, const SearchRun& run, double seconds) {
    const SearchReport& rep = run.report;
    json windows = json::array();
    for (const WindowReport& w : rep.windows) windows.push_back(window_json(w));
    const bool source = run.delta_sys_source != DeltaSysSource::none;
    const json delta_sys = c.delta_sys ? json(*c.delta_sys) : run.delta_sys_source == DeltaSysSource::ideal ? json(0.0) : json(nullptr);
    json j{{"method", o.method},
           {"windows", windows},
           {"global", {{"max_local_z", rep.max_local_z}, {"global_z", rep.global_z}, {"global_p_value", rep.global_p},
                       {"trials", rep.trials}, {"max_window", rep.max_window}, {"method", "bonferroni"}}},
           {"seconds", seconds},
           {"settings", {{"classifier", o.classifier},
                         {"ensemble", run.ensemble},
                         {"folds", c.folds},
                         {"statistic", std::string(to_string(run.statistic))},
                         {"eps_b", c.eps_b},
                         {"seed", c.seed},
                         {"data", o.data},
                         {"sim", o.sim},
                         {"delta_sys", delta_sys},
                         {"delta_sys_source", source ? json(std::string(to_string(run.delta_sys_source))) : json(nullptr)},
                         {"sigma_sys_rule", run.sigma_sys ? json(std::string(to_string(*run.sigma_sys))) : json(nullptr)},
                         {"ae_latent", run.ae_latent ? json(*run.ae_latent) : json(nullptr)}}},
           {"version", RESANOM_VERSION},
           {"git_commit", git_commit[0] ? json(git_commit) : json(nullptr)}};
    if (c.uses_flow())
        j["settings"]["flow"] = {{"blocks", c.flow.blocks},     {"hidden", c.flow.hidden},
                                 {"epochs", c.flow.epochs},     {"patience", c.flow.patience},
                                 {"average_best", c.flow_average_best()}};
    if (run.ae_latent_selection)
        j["ae_latent_selection"] = {{"latent", run.ae_latent_selection->latent},
                                    {"fvu", run.ae_latent_selection->fvu},
                                    {"threshold", run.ae_latent_selection->threshold}};
    if (!run.reference_shifts.empty()) j["delta_sys_mc"] = shifts_json(run.reference_shifts, *run.sigma_sys);
    if (!run.sideband_shifts.empty()) j["delta_sys_sb"] = shifts_json(run.sideband_shifts, *run.sigma_sys);
    return j;
}

}  // namespace resanom::cli
