// tools/resanom/generate.cpp — `resanom generate`: writes the built-in toy datasets
// (docs/cli.md). Every sample is generated in memory first and every output path is
// checked before anything is written, so bad input never leaves a partial result behind.
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "resanom/io/table.hpp"
#include "resanom/toys/toys.hpp"

// One namespace per subcommand, so that the tool's files can be compiled as one unit.
namespace resanom::cli::generate_cmd {

namespace {

struct GenerateOptions {
    CommonOptions common;
    std::string toy = "dijet";
    std::optional<long long> n_bkg;
    std::optional<long long> n_sig;
    std::optional<long long> n_sim;
    std::optional<double> correlation;
    std::string out;
    std::vector<std::string> sim_out;
};

// More events than this would not fit in memory on any machine resanom targets (six float64
// columns, twice over while the table is built); refusing them up front is bad input (exit 2),
// not an out-of-memory failure halfway.
constexpr long long max_events = 100'000'000;

// The shortest text that reads back as v ("0.009"), for help texts quoting a library default.
std::string shortest(double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

Index count(const std::optional<long long>& v, Index fallback, const char* flag) {
    if (!v) return fallback;
    if (*v < 0) throw usage_error(std::string(flag) + " must be >= 0, got " + std::to_string(*v));
    if (*v > max_events)
        throw usage_error(std::string(flag) + " must be at most " + std::to_string(max_events) + ", got " +
                          std::to_string(*v));
    return static_cast<Index>(*v);
}

struct Generated {
    Events data;
    std::vector<Events> simulations;
};

Generated dijet(const GenerateOptions& o) {
    toys::DijetToyParams p;
    p.n_bkg = count(o.n_bkg, p.n_bkg, "--n-bkg");
    p.n_sig = count(o.n_sig, p.n_sig, "--n-sig");
    if (o.n_sim) p.n_sim = count(o.n_sim, 0, "--n-sim");
    // Without the flag: the LHCO-matched default (toys::lhco_alpha_light, lhco_alpha_heavy).
    if (o.correlation) {
        if (!std::isfinite(*o.correlation))
            throw usage_error("--correlation must be a finite number, got " + std::to_string(*o.correlation));
        p.set_correlation(*o.correlation);
    }
    if (o.sim_out.size() > p.simulations.size())
        throw usage_error("--sim-out given " + std::to_string(o.sim_out.size()) + " times but the dijet toy has " +
                          std::to_string(p.simulations.size()) + " simulations");
    p.validate();
    Generated g{toys::dijet_data(p, o.common.seed), {}};
    for (std::size_t k = 0; k < o.sim_out.size(); ++k) g.simulations.push_back(toys::dijet_simulation(p, k, o.common.seed));
    return g;
}

Generated sacwola_gauss(const GenerateOptions& o) {
    toys::GaussianToyParams p;
    p.n_bkg_sr = p.n_bkg_sb = count(o.n_bkg, p.n_bkg_sr, "--n-bkg");
    p.n_sig = count(o.n_sig, p.n_sig, "--n-sig");
    p.n_sim_sr = p.n_sim_sb = count(o.n_sim, p.n_bkg_sr, "--n-sim");
    if (o.sim_out.size() > 1) throw usage_error("--sim-out: the sacwola-gauss toy has one simulation");
    p.validate();
    Generated g{toys::gaussian_data(p, o.common.seed), {}};
    if (!o.sim_out.empty()) g.simulations.push_back(toys::gaussian_simulation(p, o.common.seed));
    return g;
}

Generated bimodal(const GenerateOptions& o) {
    toys::BimodalToyParams p;
    p.n_bkg = count(o.n_bkg, p.n_bkg, "--n-bkg");
    p.n_sig = count(o.n_sig, p.n_sig, "--n-sig");
    p.n_sim = count(o.n_sim, p.n_bkg, "--n-sim");
    if (o.sim_out.size() > 2) throw usage_error("--sim-out: the bimodal toy has two simulations");
    p.validate();
    Generated g{toys::bimodal_data(p, o.common.seed), {}};
    for (std::size_t k = 0; k < o.sim_out.size(); ++k)
        g.simulations.push_back(toys::bimodal_simulation(p, static_cast<int>(k), o.common.seed));
    return g;
}

/// n = n-bkg + n-sig events, each signal with probability n-sig / n (the class balance of Chen et
/// al. 2023, §3; the number of signal events drawn is binomial around n-sig).
Generated multi_resonant(const GenerateOptions& o) {
    toys::MultiResonantToyParams p;
    const Index n_bkg = count(o.n_bkg, 8510, "--n-bkg");
    const Index n_sig = count(o.n_sig, 1490, "--n-sig");
    if (o.n_sim) throw usage_error("--n-sim: the multi-resonant toy has no simulation");
    if (!o.sim_out.empty()) throw usage_error("--sim-out: the multi-resonant toy has no simulation");
    if (n_bkg + n_sig == 0) throw usage_error("--n-bkg + --n-sig must be > 0 for the multi-resonant toy");
    p.n = n_bkg + n_sig;
    p.class_balance = static_cast<double>(n_sig) / static_cast<double>(p.n);
    return {toys::multi_resonant_sample(p, o.common.seed), {}};
}

Generated generate(const GenerateOptions& o) {
    if (o.toy == "dijet") return dijet(o);
    if (o.correlation) throw usage_error("--correlation applies to --toy dijet only");
    if (o.toy == "sacwola-gauss") return sacwola_gauss(o);
    if (o.toy == "bimodal") return bimodal(o);
    if (o.toy == "multi-resonant") return multi_resonant(o);
    throw usage_error("--toy: unknown toy '" + o.toy + "' (dijet, sacwola-gauss, bimodal, multi-resonant)");
}

io::Table as_table(const Events& e) {
    return io::Table{toys::toy_table(e), toys::toy_table_columns(e)};
}

void run(const GenerateOptions& o) {
    require_output_path(o.out, "--out");
    io::format_of(o.out);
    std::vector<std::pair<std::string, std::string>> outputs{{"--out", o.out}};
    for (const auto& s : o.sim_out) {
        require_output_path(s, "--sim-out");
        io::format_of(s);
        outputs.emplace_back("--sim-out", s);
    }
    require_distinct_outputs(outputs);
    const Generated g = generate(o);
    const io::Table data = as_table(g.data);
    std::vector<io::Table> sims;
    for (const Events& s : g.simulations) sims.push_back(as_table(s));

    // All files are staged first and renamed into place together: a failure on any of them
    // leaves none written.
    io::StagedFiles files;
    files.add(io::stage_table(o.out, data));
    for (std::size_t k = 0; k < sims.size(); ++k) files.add(io::stage_table(o.sim_out[k], sims[k]));
    files.commit();

    const Index n_signal = g.data.has_truth() ? static_cast<Index>((g.data.truth().array() > 0.5).count()) : 0;
    json j{{"toy", o.toy},
           {"rows", data.data.rows()},
           {"columns", data.columns},
           {"out", o.out},
           {"signal", n_signal},
           {"seed", o.common.seed}};
    if (!o.sim_out.empty()) {
        j["sim_out"] = o.sim_out;
        json rows = json::array();
        for (const auto& s : sims) rows.push_back(s.data.rows());
        j["sim_rows"] = rows;
    }
    emit(j);
}

}  // namespace

Subcommand add_generate(CLI::App& app) {
    auto opts = std::make_shared<GenerateOptions>();
    CLI::App* sub = app.add_subcommand("generate", "Write a built-in toy dataset (.npy or .csv)");
    sub->add_option("--toy", opts->toy,
                    "dijet: LHCO-like dijet events (mjj, mj_min, delta_m, tau21_min, tau21_max, label; TeV); "
                    "sacwola-gauss: the Gaussian toy of Benkendorfer et al. 2021, §III (m, x0, x1, label); "
                    "bimodal: the two-simulation toy of Chen et al. 2023, §4.3 (m, x…, label); "
                    "multi-resonant: three resonant features, each window a noisy vote for the signal, Chen et al. 2023, §3 "
                    "(m1, m2, m3, x1, x2, label; windows [0.4, 0.6))")
        ->capture_default_str();
    sub->add_option("--n-bkg", opts->n_bkg,
                    "Background events (dijet: over 2.4–8 TeV, default 1000000; sacwola-gauss: per region SR/SB, "
                    "default 50000; bimodal: default 100000; multi-resonant: default 8510)");
    sub->add_option("--n-sig", opts->n_sig, "Signal events (dijet 1000, sacwola-gauss 500, bimodal 1000, multi-resonant 1490)");
    sub->add_option("--n-sim", opts->n_sim, "Events per simulation (default: as --n-bkg)");
    sub->add_option("--correlation", opts->correlation,
                    "dijet: correlation α of the jet masses with m_jj: m_j += α(m_jj − 3.5 TeV) for the lighter jet, "
                    "2α for the heavier (the ratio of Benkendorfer et al. 2021, §IV); 0 = uncorrelated. Default "
                    "without the flag: α_light = " + shortest(toys::lhco_alpha_light) + ", α_heavy = " +
                        shortest(toys::lhco_alpha_heavy) +
                        ", which match the LHCO R&D background's jet-mass slopes on m_jj in 3.3–3.7 TeV");
    sub->add_option("--out", opts->out, "Output file (.npy or .csv)")->required();
    sub->add_option("--sim-out", opts->sim_out,
                    "Write background simulation k to the k-th path given (repeatable; dijet and bimodal have 2, "
                    "sacwola-gauss 1)");
    add_common_options(*sub, opts->common);
    return {sub, [opts] { run(*opts); }};
}

namespace {
const SubcommandRegistration registration(10, "generate", add_generate);
}  // namespace

}  // namespace resanom::cli::generate_cmd
