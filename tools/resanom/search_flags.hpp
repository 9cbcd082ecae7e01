// tools/resanom/search_flags.hpp — the flags of `resanom search` as typed, and their translation
// into the library's SearchConfig (search/config.hpp), which validates them. Defaults not stated
// here are the library's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/search/config.hpp"

namespace resanom::cli {

struct SearchFlags {
    CommonOptions common;
    std::string data, m_col = "0", features;
    std::optional<long long> label_col;
    std::string method = "cwola";
    std::string combine, combine_level = "sample";
    std::vector<std::string> sim;
    std::string sr, windows;
    double sb_width = Window::default_sb_width, long_sb_width = Window::default_long_sb_width;
    std::string classifier = "hgb";
    std::optional<int> ensemble;
    int folds = SearchConfig{}.folds;
    double lambda = SaCwolaParams{}.lambda;
    int oversampling = CathodeParams{}.oversampling;
    int flow_epochs = SearchConfig{}.flow.epochs, flow_blocks = SearchConfig{}.flow.blocks;
    int flow_patience = SearchConfig{}.flow.patience;
    Index flow_hidden = SearchConfig{}.flow.hidden;
    std::string ae_latent = std::to_string(AutoencoderParams{}.latent);   ///< a size, or "fvu"
    double class_balance = MultiCwolaParams{}.class_balance;
    std::string statistic = "auto";
    std::string eps_b = "1e-2,1e-3,1e-4";
    std::optional<double> delta_sys;
    std::string delta_sys_from, test, out;
    bool delta_sys_sb = false;
    std::optional<std::string> sigma_sys;
};

/// How the library's validation names the fields: by the flags.
inline SearchNames search_flag_names() {
    SearchNames n;
    n.method = "--method", n.combine = "--combine", n.statistic = "--statistic", n.delta_sys = "--delta-sys";
    n.reference = "--delta-sys-from", n.sidebands = "--delta-sys-sb", n.sigma_sys = "--sigma-sys";
    n.references = "--sim", n.eps_b = "--eps-b", n.folds = "--folds", n.ensemble = "--ensemble";
    n.windows = "--sr/--windows", n.multi = "--m-col 0,1,2 --sr \"a,b;c,d;e,f\"", n.flow = "--flow-*";
    n.ae_latent = "--ae-latent";
    return n;
}

namespace detail_flags {

template <class E>
E choice(const std::string& text, const std::string& flag, std::initializer_list<std::pair<const char*, E>> options) {
    std::string known;
    for (const auto& [name, value] : options) {
        if (text == name) return value;
        known += (known.empty() ? "" : ", ") + std::string(name);
    }
    throw usage_error(flag + ": '" + text + "' is not " + known);
}

/// --sr / --windows and the sideband widths: the windows, the layout's bins, the Multi-CWoLa windows.
inline void windows(const SearchFlags& o, SearchConfig& c) {
    if (!o.sr.empty() && !o.windows.empty()) throw usage_error("--sr and --windows exclude each other");
    if (o.sr.empty() && o.windows.empty()) throw usage_error("give a signal region: --sr LO,HI or --windows LAYOUT");
    if (!(o.sb_width > 0.0) || !(o.long_sb_width > o.sb_width))
        throw usage_error("--sb-width must be > 0 and --long-sb-width larger than it");
    if (!o.windows.empty()) {
        try {
            c.set_layout(search_layout(o.windows, o.sb_width, o.long_sb_width));
        } catch (const input_error& e) {
            throw usage_error(std::string("--windows: ") + e.what());
        }
        return;
    }
    const auto srs = split_list(o.sr, ';');   // Multi-CWoLa: one window per resonant column, the first is the search's
    c.windows = {Window::with_sidebands(parse_interval(srs.front(), "--sr"), o.sb_width, o.long_sb_width)};
    if (srs.size() > 1) {
        MultiWindow mw;
        for (const auto& s : srs) mw.windows.push_back(parse_interval(s, "--sr"));
        c.multi = mw;
    }
}

}  // namespace detail_flags

/// The configuration the flags describe (usage_error for what the flags themselves get wrong; the
/// library's validate() judges the rest).
inline SearchConfig search_config(const SearchFlags& o) {
    namespace df = detail_flags;
    SearchConfig c;
    try {
        c.method = method_from_name(o.method);
    } catch (const input_error& e) {
        throw usage_error(std::string("--method: ") + e.what());
    }
    for (const auto& name : split_list(o.combine, ',')) {
        if (name.empty()) continue;
        try {
            c.combine.push_back(method_from_name(name));
        } catch (const input_error&) {
            throw usage_error("--combine: '" + name + "' cannot be combined (" + combinable_names() + ")");
        }
    }
    c.combine_level = df::choice<CombineLevel>(o.combine_level, "--combine-level",
                                               {{"sample", CombineLevel::sample}, {"score", CombineLevel::score}});
    c.classifier = df::choice<ClassifierChoice>(o.classifier, "--classifier", {{"hgb", ClassifierChoice::hgb}, {"mlp", ClassifierChoice::mlp}});
    c.statistic = df::choice<StatisticChoice>(o.statistic, "--statistic",
                                              {{"direct", StatisticChoice::direct}, {"bumphunt", StatisticChoice::bumphunt},
                                               {"both", StatisticChoice::both}, {"none", StatisticChoice::none},
                                               {"auto", StatisticChoice::automatic}});
    if (o.sigma_sys)
        c.sigma_sys = df::choice<SigmaSys>(*o.sigma_sys, "--sigma-sys",
                                           {{"net", SigmaSys::net}, {"rms", SigmaSys::rms}, {"mean", SigmaSys::abs_mean}});
    c.ensemble = o.ensemble;
    c.folds = o.folds;
    c.eps_b.clear();
    for (const auto& item : split_list(o.eps_b, ',')) {
        const std::optional<double> v = parse_number(item);
        if (!v || !(*v > 0.0 && *v <= 1.0)) throw usage_error("--eps-b: '" + item + "' is not a fraction in (0, 1]");
        c.eps_b.push_back(*v);
    }
    c.sa_cwola.lambda = o.lambda;
    c.multi_cwola.class_balance = o.class_balance;
    c.cathode.oversampling = o.oversampling;
    c.flow.epochs = o.flow_epochs;
    c.flow.blocks = o.flow_blocks;
    c.flow.hidden = o.flow_hidden;
    c.flow.patience = o.flow_patience;
    if (o.ae_latent == "fvu") {
        c.ae_latent_by_fvu = true;
    } else {
        const std::optional<long long> v = parse_integer(o.ae_latent);
        if (!v || *v < 1 || *v > 64)
            throw usage_error("--ae-latent: '" + o.ae_latent + "' is not fvu or a latent size in [1, 64]");
        c.ae.member.latent = static_cast<Index>(*v);
    }
    if (o.ae_latent != SearchFlags{}.ae_latent && c.method != Method::ae) throw usage_error("--ae-latent applies to --method ae");
    c.delta_sys = o.delta_sys;
    c.delta_sys_sidebands = o.delta_sys_sb;
    df::windows(o, c);
    c.seed = o.common.seed;
    c.threads = o.common.threads;
    return c;
}

}  // namespace resanom::cli
