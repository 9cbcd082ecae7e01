// Every method of `resanom search` (docs/cli.md) runs through the tool on the built-in
// toys and on a user's CSV file, and its report is complete: the documented keys of every window, the
// statistic the method supports (direct estimation where it has a background template, the bump
// hunt otherwise), ROC/SIC from the truth column, the global block, and report.json and scores.npy
// in --out that agree with the JSON line. The settings are small (one classifier per fold, a tiny
// flow, two autoencoders) so that the whole matrix runs in about a minute; the methods' fidelity
// is tested elsewhere (tests/fidelity, tests/unit/test_method_pipelines.cpp).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "resanom/io/npy.hpp"
#include "resanom/io/table.hpp"
#include "cli_support.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace cli_test_search_methods {

using resanom_test::last_json_line;
using resanom_test::run_tool;
using resanom_test::TempDir;

namespace {

constexpr long long n_events = 24000 + 480;  // --n-bkg + --n-sig of the dijet data below

/// The dijet toy with signal and its two background simulations, and a background-only reference.
void make_dijet(const TempDir& dir) {
    REQUIRE(run_tool("generate --toy dijet --n-bkg 24000 --n-sig 480 --seed 1 --out data.npy "
                     "--sim-out sim1.npy --sim-out sim2.npy",
                     dir)
                .code == 0);
    REQUIRE(run_tool("generate --toy dijet --n-bkg 24000 --n-sig 0 --seed 2 --out ref.npy", dir).code == 0);
}

nlohmann::json read_json(const std::filesystem::path& p) {
    std::ifstream in(p);
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
}

/// Runs one search into `out` and checks everything the report must hold; returns the JSON line.
nlohmann::json check_search(const TempDir& dir, const std::string& args, const std::string& out, const std::string& method,
                            bool direct, bool bumphunt, long long rows) {
    INFO("resanom " << args << " --out " << out);
    const auto r = run_tool(args + " --out " + out, dir);
    INFO("stderr: " << r.err);
    REQUIRE(r.code == 0);
    const auto j = last_json_line(r.out);
    CHECK(j["method"] == method);
    REQUIRE(j["windows"].size() == 1);
    const auto& w = j["windows"][0];
    for (const char* key : {"sr", "n_sr", "auc", "max_sic", "sic_at"}) CHECK(w.contains(key));
    CHECK(w["n_sr"].get<long long>() > 0);
    // ROC/SIC come from the truth column: an AUC is a number in [0, 1] (what it reaches is the
    // fidelity tests' business) and max SIC is finite.
    CHECK(w["auc"].get<double>() >= 0.0);
    CHECK(w["auc"].get<double>() <= 1.0);
    CHECK(std::isfinite(w["max_sic"].get<double>()));
    // Both keys are always there; a statistic that did not run leaves its list empty.
    REQUIRE(w.contains("direct"));
    REQUIRE(w.contains("bumphunt"));
    CHECK(w["direct"].size() == (direct ? 3u : 0u));
    CHECK(w["bumphunt"].size() == (bumphunt ? 3u : 0u));
    if (direct) {
        for (const auto& d : w["direct"])
            for (const char* key : {"eps_b", "n_obs", "n_exp", "sigma_exp", "z"}) CHECK(d.contains(key));
    }
    if (bumphunt) {
        for (const auto& b : w["bumphunt"])
            for (const char* key : {"eps_b", "z", "p_value"}) CHECK(b.contains(key));
    }
    for (const char* key : {"max_local_z", "global_z"}) CHECK(j["global"].contains(key));
    CHECK(j.contains("seconds"));
    CHECK(j.contains("settings"));

    namespace fs = std::filesystem;
    const fs::path dir_out = dir.path() / out;
    const auto report = read_json(dir_out / "report.json");
    CHECK(report["method"] == j["method"]);
    CHECK(report["windows"] == j["windows"]);
    CHECK(report["global"] == j["global"]);
    const resanom::Matrix scores = resanom::io::read_npy((dir_out / "scores.npy").string());
    CHECK(scores.rows() == rows);
    CHECK(scores.cols() == 1);
    return j;
}

const std::string dijet_args = "search --data data.npy --m-col 0 --features 1,2,3,4 --label-col 5 --sr 3.3,3.7 "
                               "--seed 3 ";

}  // namespace

TEST_CASE("search: every single-resonance method runs on the dijet toy with a complete report") {
    TempDir dir;
    make_dijet(dir);
    struct Case {
        std::string method, extra;
        bool direct, bumphunt;
    };
    // --statistic auto: direct where the method has a template and a systematic shift is known (the
    // IAD's 0, a reference, the user's, CATHODE's sidebands), the bump hunt otherwise.
    const std::vector<Case> cases{
        {"cwola", "--delta-sys-from ref.npy", true, false},
        {"cwola", "--statistic bumphunt --delta-sys 0.1", false, true},   // the sculpting stated
        {"cwola-hunting", "--delta-sys 0.1", false, true},
        {"sa-cwola", "--sim sim1.npy --lambda 0.5 --delta-sys 0.1", false, true},  // no template: the bump hunt
        {"salad", "--sim sim1.npy", false, true},
        {"salad", "--sim sim1.npy --delta-sys-from ref.npy", true, false},
        {"salad-switch", "--sim sim1.npy --sim sim2.npy --delta-sys 0.1", true, false},
        {"multi-salad", "--sim sim1.npy --sim sim2.npy --delta-sys 0.1", true, false},
        {"cathode", "--flow-epochs 2 --flow-blocks 2 --flow-hidden 16 --oversampling 2 --delta-sys-sb --delta-sys-from ref.npy",
         true, false},   // δ_sys^MC ⊕ δ_sys^SB
        {"lacathode", "--flow-epochs 3 --flow-blocks 2 --flow-hidden 16 --flow-patience 1 --delta-sys-from ref.npy", true,
         false},
        {"ae", "--ensemble 2", false, true},
        {"combined", "--combine cwola,salad --sim sim1.npy --statistic direct --delta-sys-from ref.npy", true, false},
        {"combined", "--combine salad,cathode --combine-level score --sim sim1.npy --flow-epochs 2 --flow-blocks 2 "
         "--flow-hidden 16 --delta-sys 0.1",
         false, true},  // averaged scores have no template: the bump hunt judges them (CATHODE's sculpting stated)
        {"cwola", "--classifier mlp --statistic both --delta-sys 0.1", true, true},
    };
    int k = 0;
    for (const auto& c : cases) {
        const std::string out = "out" + std::to_string(k++);
        const std::string ensemble = c.method == "ae" ? "" : "--ensemble 1 ";
        const auto j = check_search(dir, dijet_args + ensemble + "--method " + c.method + " " + c.extra, out, c.method, c.direct,
                                    c.bumphunt, n_events);
        if (c.method == "ae") CHECK(j["settings"]["ensemble"] == 2);
        if (c.method == "lacathode") {
            // the flow as applied: the best epoch alone, the patience given
            CHECK(j["settings"]["flow"]["average_best"] == 1);
            CHECK(j["settings"]["flow"]["patience"] == 1);
            CHECK(j["settings"]["flow"]["epochs"] == 3);
        }
        if (c.method == "cathode") CHECK(j["settings"]["flow"]["average_best"] == 10);
        if (c.method == "cathode") {
            // The SR data against the flow's samples, one block per feature (report plot d).
            const std::string m = resanom_test::slurp((dir.path() / out / "plots" / "marginals.dat").string());
            int blocks = 0;
            for (std::size_t at = m.find("# feature "); at != std::string::npos; at = m.find("# feature ", at + 1)) ++blocks;
            CHECK(blocks == 4);
            CHECK(resanom_test::slurp((dir.path() / out / "report.md").string()).find("marginals.png") != std::string::npos);
        }
        // Where δ_sys came from, stated; the shifts measured window by window.
        if (c.direct) {
            const std::string source = j["settings"]["delta_sys_source"];
            if (c.method == "cathode") {
                CHECK(source == "reference+sidebands");
                CHECK(j["delta_sys_mc"].size() == 3);
                CHECK(j["delta_sys_sb"].size() == 3);
            } else if (c.extra.find("--delta-sys-from") != std::string::npos) {
                CHECK(source == "reference");
                CHECK(j["settings"]["delta_sys"].is_null());
                CHECK(j["delta_sys_mc"].size() == 3);
            } else {
                CHECK(source == "given");
                CHECK(j["settings"]["delta_sys"] == 0.1);
            }
        }
        if (c.bumphunt && c.extra.find("--delta-sys 0.1") != std::string::npos) {
            // A stated δ_sys shifts the bump hunt's prediction too.
            for (const auto& b : j["windows"][0]["bumphunt"])
                if (b["status"] == "ok") CHECK(b["delta_sys"] == 0.1);
        }
        if (c.direct) {
            for (const auto& d : j["windows"][0]["direct"]) {
                CHECK(d["n_sr"] == j["windows"][0]["n_sr"]);
                if (d["status"] == "ok") CHECK(d["delta_sys"].is_number());
                else CHECK((d["status"] == "unreached" && d["z"].is_null()));
            }
            CHECK(j["windows"][0]["direct"][0]["status"] == "ok");   // ε_B = 1e-2 is always resolved here
        } else if (c.extra.find("--delta-sys") == std::string::npos) {
            CHECK(j["settings"]["delta_sys_source"].is_null());   // a bump hunt on its own fit
        }
        for (const char* stat : {"direct", "bumphunt"})
            for (const auto& d : j["windows"][0][stat]) {
                CHECK(d.contains("status"));
                CHECK(d.contains("eps_b_real"));
            }
    }
}

TEST_CASE("search: Multi-CWoLa and its baselines run on the multi-resonant toy") {
    TempDir dir;
    // Three resonant columns (m1, m2, m3), two features, truth; each window [0.4, 0.6).
    REQUIRE(run_tool("generate --toy multi-resonant --n-bkg 5100 --n-sig 900 --seed 4 --out multi.npy", dir).code == 0);
    // Their classifiers learn across windows of m: the bump hunt needs the sculpting stated (here
    // none: this toy's features do not depend on m).
    const std::string args = "search --data multi.npy --m-col 0,1,2 --features 3,4 --label-col 5 "
                             "--sr \"0.4,0.6;0.4,0.6;0.4,0.6\" --class-balance 0.15 --ensemble 1 --seed 5 "
                             "--sb-width 0.1 --long-sb-width 0.2 --delta-sys 0 --method ";
    for (const std::string method : {"multi-cwola", "cwola-intersect", "cwola-thresholds", "cwola-average"}) {
        const auto j = check_search(dir, args + method, "out_" + method, method, false, true, 6000);
        // The features separate signal from background (signal N(1, 1) per feature): a classifier
        // trained on the soft or window labels ranks signal above background.
        CHECK(j["windows"][0]["auc"].get<double>() > 0.6);
    }
}

TEST_CASE("search: a user's CSV file with named columns in another order") {
    TempDir dir;
    REQUIRE(run_tool("generate --toy dijet --n-bkg 24000 --n-sig 480 --seed 1 --out data.csv", dir).code == 0);
    // Move the label to the front and m_jj to the back: the tool reads the columns it is told.
    const resanom::io::Table t = resanom::io::read_table(dir.file("data.csv"));
    REQUIRE(t.data.cols() == 6);
    const std::vector<resanom::Index> order{5, 1, 2, 3, 4, 0};
    resanom::io::Table user;
    user.data = t.data(Eigen::all, order);
    for (resanom::Index c : order) user.columns.push_back(t.columns[static_cast<std::size_t>(c)]);
    resanom::io::write_table(dir.file("user.csv"), user);
    const long long rows = user.data.rows();
    REQUIRE(rows == n_events);
    const auto j = check_search(dir,
                                "search --data user.csv --m-col 5 --features 1,2,3,4 --label-col 0 --sr 3.3,3.7 "
                                "--ensemble 1 --seed 3 --method cwola --statistic both --delta-sys 0.2",
                                "out", "cwola", true, true, rows);
    CHECK(j["windows"][0]["n_sr"].get<long long>() > 1000);
}

TEST_CASE("search: δ_sys^MC from the reference's per-window shifts, σ_sys by --sigma-sys (net, rms, mean)") {
    TempDir dir;
    make_dijet(dir);
    const std::string args = "search --data data.npy --m-col 0 --features 1,2,3,4 --windows 3.1:3.9:0.4:0.2 "
                             "--method cwola --ensemble 1 --statistic direct --delta-sys-from ref.npy --seed 3 ";
    const auto rms_run = run_tool(args + "--sigma-sys rms --out rms", dir);
    INFO("stderr: " << rms_run.err);
    REQUIRE(rms_run.code == 0);
    const auto net_run = run_tool(args + "--out net", dir);
    REQUIRE(net_run.code == 0);
    CHECK(last_json_line(net_run.out)["settings"]["sigma_sys_rule"] == "net");   // the default
    const auto mean_run = run_tool(args + "--sigma-sys mean --out mean", dir);
    REQUIRE(mean_run.code == 0);
    const auto r = last_json_line(rms_run.out), m = last_json_line(mean_run.out);
    CHECK(r["settings"]["sigma_sys_rule"] == "rms");
    CHECK(m["settings"]["sigma_sys_rule"] == "mean");
    REQUIRE(r["windows"].size() == 3);
    REQUIRE(r["delta_sys_mc"].size() == 3);
    int measured_points = 0;
    for (std::size_t e = 0; e < 3; ++e) {
        const auto& dr = r["delta_sys_mc"][e];
        const auto& dm = m["delta_sys_mc"][e];
        // The same reference run in both: the same shift in each window.
        REQUIRE(dr["per_window"].size() == 3);
        CHECK(dr["per_window"] == dm["per_window"]);
        // Windows whose template cannot resolve ε_B have no shift (null); eq. 5 averages the rest.
        double sum = 0.0, sum2 = 0.0, n = 0.0;
        for (const auto& d : dr["per_window"]) {
            if (d.is_null()) continue;
            sum += d.get<double>();
            sum2 += d.get<double>() * d.get<double>();
            n += 1.0;
        }
        if (n == 0.0) {   // not measurable at this working point: no δ_sys, the data's point unreached
            CHECK(dr["delta_sys"].is_null());
            for (std::size_t k = 0; k < 3; ++k) CHECK(r["windows"][k]["direct"][e]["status"] == "unreached");
            continue;
        }
        ++measured_points;
        const double mean = sum / n, rms = std::sqrt(sum2 / n);
        CHECK(dr["delta_sys"].get<double>() == doctest::Approx(mean).epsilon(1e-12));
        CHECK(dm["delta_sys"].get<double>() == doctest::Approx(mean).epsilon(1e-12));
        CHECK(dr["sigma_sys"].get<double>() == doctest::Approx(rms).epsilon(1e-12));
        CHECK(dm["sigma_sys"].get<double>() == doctest::Approx(std::abs(mean)).epsilon(1e-12));
        // net: |mean|, the spread beyond the statistical noise and the mean's uncertainty (by hand).
        {
            const auto nj = last_json_line(net_run.out);
            const auto& dn = nj["delta_sys_mc"][e];
            CHECK(dn["per_window"] == dr["per_window"]);
            double v = 0.0, s2 = 0.0;
            for (std::size_t k = 0; k < 3; ++k)
                if (!dr["per_window"][k].is_null()) {
                    v += dr["variance"][k].get<double>() / n;
                    s2 += std::pow(dr["per_window"][k].get<double>() - mean, 2) / std::max(1.0, n - 1.0);
                }
            if (n < 2) s2 = 0.0;
            const double st2 = std::max(0.0, s2 - v);
            CHECK(dn["sigma_sys"].get<double>() == doctest::Approx(std::sqrt(mean * mean + st2 + (st2 + v) / n)).epsilon(1e-9));
        }
        // Eq. 8: σ_exp² = σ_stat² + σ_sys² (relative), the statistical part the same in both runs.
        for (std::size_t k = 0; k < 3; ++k) {
            const auto& zr = r["windows"][k]["direct"][e];
            const auto& zm = m["windows"][k]["direct"][e];
            if (zr["status"] != "ok") continue;
            CHECK(zr["n_obs"] == zm["n_obs"]);
            const double n_exp = zr["n_exp"].get<double>();
            CHECK(zm["n_exp"].get<double>() == doctest::Approx(n_exp).epsilon(1e-12));
            const double rel_r = zr["sigma_exp"].get<double>() / n_exp, rel_m = zm["sigma_exp"].get<double>() / n_exp;
            CHECK(rel_r * rel_r - rel_m * rel_m == doctest::Approx(rms * rms - mean * mean).epsilon(1e-9));
        }
    }
    CHECK(measured_points >= 1);
    const std::string md = resanom_test::slurp((dir.path() / "rms" / "report.md").string());
    CHECK(md.find("`--sigma-sys rms`") != std::string::npos);
    CHECK(resanom_test::slurp((dir.path() / "net" / "report.md").string()).find("`--sigma-sys net`") != std::string::npos);
    CHECK(md.find("### δ_sys^MC from `ref.npy`") != std::string::npos);
    // Bad values, and --sigma-sys without a reference: exit 2, one line, no output.
    for (const std::string bad : {"--sigma-sys median --delta-sys-from ref.npy", "--sigma-sys net --delta-sys 0.1"}) {
        const auto b = run_tool("search --data data.npy --m-col 0 --features 1,2,3,4 --sr 3.3,3.7 --method cwola " + bad +
                                    " --out bad",
                                dir);
        CHECK(b.code == 2);
        CHECK(b.err.find("--sigma-sys") != std::string::npos);
        CHECK(std::count(b.err.begin(), b.err.end(), '\n') == 1);
        CHECK_FALSE(std::filesystem::exists(dir.path() / "bad"));
    }
}

}  // namespace cli_test_search_methods
