// tools/resanom/fit.cpp — `resanom fit`: the background fit of an m spectrum with the signal region
// masked, and the profile-likelihood significance of the SR (docs/cli.md; Benkendorfer et al. 2021,
// eqs. 2.4–2.6, Collins et al. 2021, §4.3 and App. A). Reads unbinned values (--data, --m-col) or a binned
// spectrum (--hist, columns lo,hi,count and optionally sumw2). Writes nothing but the JSON line.
#include <cmath>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common.hpp"
#include "resanom/io/table.hpp"
#include "resanom/stats/bump_hunt.hpp"
#include "resanom/stats/dijet_fit.hpp"
#include "resanom/stats/significance.hpp"

// One namespace per subcommand, so that the tool's files can be compiled as one unit.
namespace resanom::cli::fit_cmd {

namespace {

struct FitCliOptions {
    CommonOptions common;
    std::string data, hist;
    std::string m_col = "0";
    std::optional<std::string> weight_col;
    std::optional<std::string> range;
    int bins = 30;
    bool bins_given = false;
    bool log_bins = false;
    std::string sr;
    std::string function = "dijet4";
    std::string method = "likelihood";
    double sqrt_s = 13.0;
};

Histogram histogram_from_table(const std::string& path) {
    const io::Table t = io::read_table(path);
    const Index lo = io::column_index(t, "lo"), hi = io::column_index(t, "hi"), count = io::column_index(t, "count");
    std::optional<Index> sumw2;
    for (std::size_t j = 0; j < t.columns.size(); ++j)
        if (t.columns[j] == "sumw2") sumw2 = static_cast<Index>(j);
    const Index n = t.data.rows();
    if (n < 1) throw io_error(path, "the histogram has no bins");
    std::vector<double> edges{t.data(0, lo)};
    Vector counts(n), w2(n);
    for (Index i = 0; i < n; ++i) {
        if (!(t.data(i, lo) < t.data(i, hi)))
            throw io_error(path, "bin with lo >= hi", static_cast<std::size_t>(i), static_cast<std::size_t>(hi));
        if (i > 0 && std::fabs(t.data(i, lo) - edges.back()) > 1e-9 * std::max(1.0, std::fabs(edges.back())))
            throw io_error(path, "bins must be contiguous and increasing: lo differs from the previous bin's hi",
                           static_cast<std::size_t>(i), static_cast<std::size_t>(lo));
        edges.push_back(t.data(i, hi));
        counts[i] = t.data(i, count);
        if (!(counts[i] >= 0.0)) throw io_error(path, "negative count", static_cast<std::size_t>(i), static_cast<std::size_t>(count));
        w2[i] = sumw2 ? t.data(i, *sumw2) : counts[i];
        if (!(w2[i] >= 0.0)) throw io_error(path, "negative sumw2", static_cast<std::size_t>(i), static_cast<std::size_t>(*sumw2));
    }
    return Histogram::from_counts(edges, counts, w2);
}

Histogram histogram_from_data(const FitCliOptions& o) {
    if (!o.range) throw usage_error("--range LO,HI is required with --data");
    const Interval r = parse_interval(*o.range, "--range");
    if (o.bins < 1) throw usage_error("--bins must be >= 1, got " + std::to_string(o.bins));
    if (o.log_bins && !(r.lo > 0.0)) throw usage_error("--log-bins needs a range with LO > 0");
    const io::Table t = io::read_table(o.data);
    // A column of --data by name or index; a bad one names the flag and the file.
    const auto column = [&](const std::string& which, const std::string& flag) {
        try {
            return io::column_index(t, which);
        } catch (const input_error& e) {
            throw io_error(o.data, flag + ": " + e.what());
        }
    };
    const Index m = column(o.m_col, "--m-col");
    Histogram h(o.log_bins ? log_edges(r.lo, r.hi, o.bins) : uniform_edges(r.lo, r.hi, o.bins));
    if (o.weight_col) {
        const Index w = column(*o.weight_col, "--weight-col");
        for (Index i = 0; i < t.data.rows(); ++i)
            if (!(t.data(i, w) >= 0.0))
                throw io_error(o.data, "negative weight in --weight-col", static_cast<std::size_t>(i), static_cast<std::size_t>(w));
        h.fill(t.data.col(m), t.data.col(w));
    } else {
        h.fill(t.data.col(m));
    }
    return h;
}

void run(const FitCliOptions& o) {
    if (o.data.empty() == o.hist.empty()) throw usage_error("give exactly one of --data and --hist");
    if (!o.hist.empty() && (o.range || o.bins_given || o.log_bins))
        throw usage_error("--range, --bins and --log-bins apply to --data only (--hist brings its own bins)");
    FitOptions fo;
    if (o.function == "dijet4") fo.function = FitFunction::dijet4;
    else if (o.function == "linear") fo.function = FitFunction::linear;
    else throw usage_error("--function: unknown function '" + o.function + "' (dijet4, linear)");
    if (o.method == "likelihood") fo.method = FitMethod::likelihood;
    else if (o.method == "least-squares") fo.method = FitMethod::least_squares;
    else throw usage_error("--method: unknown method '" + o.method + "' (likelihood, least-squares)");
    if (!(std::isfinite(o.sqrt_s) && o.sqrt_s > 0.0)) throw usage_error("--sqrt-s must be > 0");
    fo.sqrt_s = o.sqrt_s;
    const Interval sr = parse_interval(o.sr, "--sr");

    const Histogram h = o.hist.empty() ? histogram_from_data(o) : histogram_from_table(o.hist);
    const FitResult r = fit_sideband(h, sr, fo);
    // The search's rule (BumpHuntConfig::min_sideband_events): a fit resting on a handful of
    // events extrapolates with an uncertainty that does not cover how far off it can be.
    BumpHuntConfig rule;
    rule.fit = fo;
    if (r.n_sideband < rule.min_sideband_events()) {
        std::ostringstream msg;
        msg << "--sr: the sidebands hold " << r.n_sideband << " events, fewer than " << rule.min_sideband_events()
            << " (10 per parameter of the fit function): the fit's prediction in the signal region and its "
               "uncertainty would not be reliable";
        throw input_error(msg.str());
    }
    if (!(r.n_pred_sr > 0.0))
        throw input_error("--sr: the fitted background in the signal region is " + std::to_string(r.n_pred_sr) +
                          " (not positive); choose another --function or range");
    const ProfileLikelihood pl = profile_likelihood_significance(r.n_obs_sr, r.n_pred_sr, r.sigma_pred_sr);

    json cov = json::array();
    for (Index i = 0; i < r.cov.rows(); ++i) {
        json row = json::array();
        for (Index j = 0; j < r.cov.cols(); ++j) row.push_back(r.cov(i, j));
        cov.push_back(row);
    }
    json params = json::array();
    for (Index i = 0; i < r.params.size(); ++i) params.push_back(r.params[i]);
    json expected = json::array();
    for (Index i = 0; i < r.expected.size(); ++i) expected.push_back(r.expected[i]);
    emit(json{{"params", params},
              {"cov", cov},
              {"chi2", r.chi2},
              {"ndf", r.ndf},
              {"ks_pvalue", r.ks_pvalue},
              {"n_obs_sr", r.n_obs_sr},
              {"n_pred_sr", r.n_pred_sr},
              {"sigma_pred_sr", r.sigma_pred_sr},
              {"q0", pl.q0},
              {"z", pl.z},
              {"p_value", pl.p_value},
              {"function", o.function},
              {"method", o.method},
              {"edges", h.edges()},
              {"expected", expected},
              {"sr_bins", r.sr_bins}});
}

}  // namespace

Subcommand add_fit(CLI::App& app) {
    auto o = std::make_shared<FitCliOptions>();
    CLI::App* sub = app.add_subcommand("fit", "Background fit of a mass spectrum with the signal region masked (bump hunt)");
    sub->add_option("--data", o->data, "Unbinned events (.npy or .csv); m is column --m-col");
    sub->add_option("--m-col", o->m_col, "Column of m in --data (0-based index or name)")->capture_default_str();
    sub->add_option("--weight-col", o->weight_col, "Optional column of event weights in --data");
    sub->add_option("--hist", o->hist, "Binned spectrum (.csv with columns lo,hi,count and optionally sumw2)");
    sub->add_option("--range", o->range, "LO,HI: the fit range in TeV (with --data)");
    sub->add_option_function<int>(
           "--bins", [o](const int& n) { o->bins = n, o->bins_given = true; }, "Number of bins (with --data; default 30)");
    sub->add_flag("--log-bins", o->log_bins, "Bins uniform in log m (Collins et al. 2021) instead of uniform in m");
    sub->add_option("--sr", o->sr, "LO,HI: the signal region, masked in the fit (bins touching it)")->required();
    sub->add_option("--function", o->function, "dijet4: p0 (1-x)^p1 / x^(p2 + p3 ln x), x = m/sqrt(s); linear: p0 + p1 x")
        ->capture_default_str();
    sub->add_option("--method", o->method, "likelihood (binned Poisson) or least-squares")->capture_default_str();
    sub->add_option("--sqrt-s", o->sqrt_s, "Collision energy sqrt(s) in TeV")->capture_default_str();
    add_common_options(*sub, o->common);
    return {sub, [o] { run(*o); }};
}

namespace {
const SubcommandRegistration registration(50, "fit", add_fit);
}  // namespace

}  // namespace resanom::cli::fit_cmd
