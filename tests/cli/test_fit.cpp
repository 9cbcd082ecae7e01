// Tests of `resanom fit` (docs/cli.md): the JSON keys of the contract, parameter recovery
// from an Asimov histogram given as CSV, agreement with the library on unbinned data (uniform and
// log bins), and the bad-input contract (exit code 2, one line on stderr, nothing on stdout).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "resanom/io/table.hpp"
#include "resanom/stats/dijet_fit.hpp"
#include "resanom/stats/significance.hpp"
#include "cli_support.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace cli_test_fit {

using resanom_test::last_json_line;

using namespace resanom;
using resanom_test::run_tool;
using resanom_test::TempDir;

namespace {

void write_hist_csv(const std::string& path, const std::vector<double>& edges, const Vector& counts) {
    std::ofstream f(path);
    f.precision(17);
    f << "lo,hi,count\n";
    for (Index i = 0; i < counts.size(); ++i)
        f << edges[static_cast<std::size_t>(i)] << "," << edges[static_cast<std::size_t>(i) + 1] << "," << counts[i] << "\n";
}
}  // namespace

TEST_CASE("--hist: an Asimov spectrum's parameters are recovered; every contract key is present") {
    TempDir dir;
    const auto edges = uniform_edges(2.6, 5.0, 30);
    Vector truth(4);
    truth << 2e6, 10.5, 1.5, 0.1;
    write_hist_csv(dir.file("h.csv"), edges, integrate_bins(edges, FitFunction::dijet4, truth, 13.0, 24));
    const auto r = run_tool("fit --hist h.csv --sr 3.3,3.7", dir);
    REQUIRE(r.code == 0);
    CHECK(r.err.empty());
    const auto j = last_json_line(r.out);
    for (const char* key : {"params", "cov", "chi2", "ndf", "ks_pvalue", "n_obs_sr", "n_pred_sr", "sigma_pred_sr", "q0",
                            "z", "p_value"})
        CHECK_MESSAGE(j.contains(key), key);
    REQUIRE(j["params"].size() == 4);
    for (int k = 0; k < 3; ++k) CHECK(j["params"][k].get<double>() == doctest::Approx(truth[k]).epsilon(1e-6));
    CHECK(j["cov"].size() == 4);
    CHECK(j["cov"][0].size() == 4);
    CHECK(j["ndf"] == 20);
    CHECK(j["z"].get<double>() < 1e-3);
    CHECK(j["n_pred_sr"].get<double>() == doctest::Approx(j["n_obs_sr"].get<double>()).epsilon(1e-8));
}

TEST_CASE("--data: the tool's fit equals the library's, uniform and log bins, both functions") {
    TempDir dir;
    REQUIRE(run_tool("generate --toy dijet --n-bkg 100000 --n-sig 500 --seed 3 --out d.npy", dir).code == 0);
    const Matrix d = io::read_npy(dir.file("d.npy"));
    struct Case {
        std::string flags;
        std::vector<double> edges;
        FitOptions opt;
        Interval sr;
    };
    FitOptions linear;
    linear.function = FitFunction::linear;
    FitOptions ls;
    ls.method = FitMethod::least_squares;
    const std::vector<Case> cases{
        {"--range 2.6,5.0 --bins 30 --sr 3.3,3.7", uniform_edges(2.6, 5.0, 30), {}, {3.3, 3.7}},
        {"--range 2.8,5.2 --bins 30 --log-bins --sr 3.371,3.661", log_edges(2.8, 5.2, 30), {}, {3.371, 3.661}},
        {"--range 3.0,4.0 --bins 20 --sr 3.4,3.6 --function linear", uniform_edges(3.0, 4.0, 20), linear, {3.4, 3.6}},
        {"--range 2.6,5.0 --sr 3.3,3.7 --method least-squares", uniform_edges(2.6, 5.0, 30), ls, {3.3, 3.7}},
    };
    for (const auto& c : cases) {
        INFO(c.flags);
        const auto r = run_tool("fit --data d.npy --m-col 0 " + c.flags, dir);
        REQUIRE(r.code == 0);
        const auto j = last_json_line(r.out);
        const FitResult f = fit_sideband(make_histogram(c.edges, d.col(0)), c.sr, c.opt);
        const auto pl = profile_likelihood_significance(f.n_obs_sr, f.n_pred_sr, f.sigma_pred_sr);
        CHECK(j["n_obs_sr"].get<double>() == f.n_obs_sr);
        CHECK(j["n_pred_sr"].get<double>() == doctest::Approx(f.n_pred_sr).epsilon(1e-12));
        CHECK(j["sigma_pred_sr"].get<double>() == doctest::Approx(f.sigma_pred_sr).epsilon(1e-9));
        CHECK(j["z"].get<double>() == doctest::Approx(pl.z).epsilon(1e-9));
        CHECK(j["p_value"].get<double>() == doctest::Approx(pl.p_value).epsilon(1e-9));
        CHECK(j["chi2"].get<double>() == doctest::Approx(f.chi2).epsilon(1e-9));
        CHECK(j["ks_pvalue"].get<double>() == doctest::Approx(f.ks_pvalue).epsilon(1e-9));
    }
    // The injected signal at 3.5 TeV shows up as a positive excess.
    const auto r = run_tool("fit --data d.npy --range 2.6,5.0 --sr 3.3,3.7", dir);
    CHECK(last_json_line(r.out)["z"].get<double>() > 1.0);
}

TEST_CASE("a fit whose sidebands hold fewer than 10 events per parameter is refused") {
    TempDir dir;
    const auto edges = uniform_edges(2.6, 5.0, 24);   // 0.1 TeV bins: 20 outside the SR 3.3–3.7
    Vector one = Vector::Constant(24, 1.0);
    write_hist_csv(dir.file("sparse.csv"), edges, one);
    const auto dijet = run_tool("fit --hist sparse.csv --sr 3.3,3.7", dir);
    CHECK(dijet.code == 2);
    CHECK(dijet.out.empty());
    CHECK(dijet.err.find("the sidebands hold 20 events, fewer than 40") != std::string::npos);
    // Two events per bin: 40 in the sidebands, enough for the linear fit's 20 and the dijet's 40.
    write_hist_csv(dir.file("two.csv"), edges, Vector::Constant(24, 2.0));
    CHECK(run_tool("fit --hist two.csv --sr 3.3,3.7 --function linear", dir).code == 0);
    CHECK(run_tool("fit --hist sparse.csv --sr 3.3,3.7 --function linear", dir).code == 0);
}

TEST_CASE("bad input: exit code 2, one line on stderr, nothing on stdout") {
    struct Case {
        std::string args;
        std::string expect;
    };
    const std::vector<Case> cases{
        {"fit --data missing.npy --range 2.6,5 --sr 3.3,3.7", "missing.npy"},
        {"fit --range 2.6,5 --sr 3.3,3.7", "exactly one of --data and --hist"},
        {"fit --data d.csv --hist h.csv --sr 3.3,3.7", "exactly one of --data and --hist"},
        {"fit --data d.csv --sr 3.3,3.7", "--range"},
        {"fit --data d.csv --range 2.6,5", "--sr"},
        {"fit --data d.csv --range 5,2.6 --sr 3.3,3.7", "LO < HI"},
        {"fit --data d.csv --range 2.6,5 --sr 3.3", "--sr"},
        {"fit --data d.csv --range 2.6,5 --sr a,b", "--sr"},
        {"fit --data d.csv --range 2.6,5 --sr 1,9", "covers the whole fit range"},
        {"fit --data d.csv --range 2.6,5 --sr 3.3,3.7 --function cubic", "unknown function 'cubic'"},
        {"fit --data d.csv --range 2.6,5 --sr 3.3,3.7 --m-col 7", "column index 7"},
        {"fit --data d.csv --range 2.6,5 --sr 3.3,3.7 --bins 0", "--bins"},
        {"fit --data d.csv --range 2.6,5 --bins 4 --sr 3.3,3.7", "too few"},
        {"fit --data d.csv --range 6,7 --sr 6.3,6.5", "every sideband bin is empty"},
        {"fit --data nan.csv --range 2.6,5 --sr 3.3,3.7", "nan.csv"},
        {"fit --data d.csv --range 2.6,5 --sr 3.3,3.7 --sqrt-s 4", "sqrt_s"},
        {"fit --hist gap.csv --sr 3,4", "contiguous"},
        {"fit --hist neg.csv --sr 3,4", "negative count"},
        {"fit --hist h.csv --sr 3,4 --bins 10", "--data only"},
    };
    for (const auto& c : cases) {
        TempDir dir;
        {
            std::ofstream f(dir.file("d.csv"));
            f << "m\n";
            for (int i = 0; i < 400; ++i) f << 2.6 + 0.006 * i << "\n";
            std::ofstream n(dir.file("nan.csv"));
            n << "m\n3.0\nnan\n3.5\n";
            std::ofstream g(dir.file("gap.csv"));
            g << "lo,hi,count\n1,2,5\n2,3,4\n3.5,4,3\n";
            std::ofstream ng(dir.file("neg.csv"));
            ng << "lo,hi,count\n1,2,5\n2,3,-4\n3,4,3\n";
            std::ofstream h(dir.file("h.csv"));
            h << "lo,hi,count\n1,2,5\n2,3,4\n3,4,3\n4,5,2\n5,6,2\n6,7,1\n7,8,1\n";
        }
        INFO("resanom " << c.args);
        const auto r = run_tool(c.args, dir);
        CHECK(r.code == 2);
        CHECK(resanom_test::line_count(r.err) == 1);
        CHECK(r.err.find(c.expect) != std::string::npos);
        CHECK(r.out.empty());
    }
}

TEST_CASE("--help describes every flag") {
    TempDir dir;
    const auto r = run_tool("fit --help", dir);
    CHECK(r.code == 0);
    for (const char* flag : {"--data", "--m-col", "--hist", "--range", "--bins", "--log-bins", "--sr", "--function", "--sqrt-s"})
        CHECK_MESSAGE(r.out.find(flag) != std::string::npos, flag);
}

}  // namespace cli_test_fit
