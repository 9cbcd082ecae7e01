// Tests of `resanom search` (docs/cli.md): the JSON keys and report files, a signal found
// by the IAD, the same seed giving the same numbers, and the bad-input contract (exit code 2, one
// line naming the problem, nothing written to --out).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "resanom/io/npy.hpp"
#include "cli_support.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace cli_test_search {

using resanom_test::last_json_line;

using resanom_test::run_tool;
using resanom_test::TempDir;

namespace {

void make_data(const TempDir& dir) {
    REQUIRE(run_tool("generate --toy dijet --n-bkg 60000 --n-sig 300 --seed 1 --out data.npy", dir).code == 0);
    REQUIRE(run_tool("generate --toy dijet --n-bkg 60000 --n-sig 0 --seed 2 --out ref.npy", dir).code == 0);
}
}  // namespace

TEST_CASE("search: IAD on the dijet toy finds the signal, writes report.json and scores.npy") {
    TempDir dir;
    make_data(dir);
    const std::string args =
        "search --data data.npy --m-col 0 --features 1,2,3,4 --label-col 5 --method iad --sim ref.npy "
        "--windows 3.1:3.9:0.4:0.4 --ensemble 1 --statistic both --seed 3 --out ";
    const auto r = run_tool(args + "out", dir);
    REQUIRE(r.code == 0);
    const auto j = last_json_line(r.out);
    CHECK(j["method"] == "iad");
    REQUIRE(j["windows"].size() == 2);   // [3.1, 3.5) and [3.5, 3.9)
    for (const auto& w : j["windows"]) {
        for (const char* key : {"sr", "n_sr", "auc", "max_sic", "sic_at", "direct", "bumphunt"}) CHECK(w.contains(key));
        CHECK(w["direct"].size() == 3);
        CHECK(w["bumphunt"].size() == 3);
        for (const auto& d : w["direct"])
            for (const char* key : {"eps_b", "n_obs", "n_exp", "sigma_exp", "z"}) CHECK(d.contains(key));
        for (const auto& b : w["bumphunt"])
            for (const char* key : {"eps_b", "z", "p_value"}) CHECK(b.contains(key));
        CHECK(w["auc"].get<double>() > 0.6);
    }
    CHECK(j["global"].contains("max_local_z"));
    CHECK(j["global"].contains("global_z"));
    CHECK(j.contains("seconds"));
    // The window holding the signal (3.5 TeV) has the largest direct excess at ε_B = 1e-2.
    CHECK(j["windows"][1]["direct"][0]["z"].get<double>() > j["windows"][0]["direct"][0]["z"].get<double>());
    CHECK(j["windows"][1]["direct"][0]["z"].get<double>() > 2.0);

    namespace fs = std::filesystem;
    REQUIRE(fs::exists(dir.path() / "out" / "report.json"));
    const resanom::Matrix scores = resanom::io::read_npy((dir.path() / "out" / "scores.npy").string());
    CHECK(scores.rows() == 60300);
    CHECK(scores.cols() == 2);

    // Same seed, same numbers (all but the timing), also with progress and logs on stderr.
    const auto r2 = run_tool(args + "out2 --progress --verbose", dir);
    REQUIRE(r2.code == 0);
    const auto again = last_json_line(r2.out);
    CHECK(resanom_test::contains(r2.err, "2/2 windows"));
    CHECK(resanom_test::contains(r2.err, "(window 2: template done)"));   // IAD's generator step
    CHECK(resanom_test::contains(r2.err, "(window 2: fold 5/5 done)"));   // the five fold classifiers
    CHECK(resanom_test::contains(r2.err, "resanom: window [3.5, 3.9): "));  // --verbose
    auto strip = [](nlohmann::json x) {
        x.erase("seconds");
        x.erase("out");
        return x;
    };
    CHECK(strip(again) == strip(j));
    CHECK(resanom_test::slurp((dir.path() / "out2" / "scores.npy").string()) ==
          resanom_test::slurp((dir.path() / "out" / "scores.npy").string()));
    for (const char* f : {"plots/spectrum.dat", "plots/spectrum_steps.dat", "plots/significance.dat", "plots/roc.dat", "plots/plots.gp"})
        CHECK(resanom_test::slurp((dir.path() / "out2" / f).string()) == resanom_test::slurp((dir.path() / "out" / f).string()));
}

TEST_CASE("search: report.md, the plots' data and, with gnuplot, the plots") {
    TempDir dir;
    make_data(dir);
    const auto r = run_tool("search --data data.npy --m-col 0 --features 1,2,3,4 --label-col 5 --method iad --sim ref.npy "
                            "--windows 3.1:3.9:0.4:0.4 --ensemble 1 --statistic both --seed 3 --verbose --out out",
                            dir);
    REQUIRE(r.code == 0);
    const auto j = last_json_line(r.out);
    // --verbose: one line per window on stderr as it completes.
    CHECK(r.err.find("resanom: window [3.1, 3.5): ") != std::string::npos);
    CHECK(r.err.find("resanom: window [3.5, 3.9): ") != std::string::npos);
    CHECK(r.err.find("Z(bumphunt, 0.01)") != std::string::npos);
    namespace fs = std::filesystem;
    const fs::path out = dir.path() / "out";
    const std::string md = resanom_test::slurp((out / "report.md").string());
    CHECK(md.find("# resanom search: iad") != std::string::npos);
    CHECK(md.find("| seed | 3 ") != std::string::npos);
    CHECK(md.find("[3.1, 3.5)") != std::string::npos);
    // The most significant window, and only it, is marked.
    const int top = j["global"]["max_window"].get<int>();
    REQUIRE((top == 0 || top == 1));
    CHECK(md.find(top == 0 ? "**[3.1, 3.5)**" : "**[3.5, 3.9)**") != std::string::npos);
    CHECK(md.find(top == 0 ? "**[3.5, 3.9)**" : "**[3.1, 3.5)**") == std::string::npos);
    CHECK(md.find("global significance") != std::string::npos);
    // The spectrum: one row per bump-hunt bin — 0.08 TeV (a fifth of the SR) on the grid through
    // the SR edges 3.1, 3.5, 3.9, the whole bins inside the long sidebands 2.6–4.4 TeV: 2.62–4.38 —
    // with the counts before the cuts summing to the data events in that range.
    const std::string spec = resanom_test::slurp((out / "plots" / "spectrum.dat").string());
    std::istringstream in(spec);
    std::string line;
    int rows = 0;
    double total = 0.0, lo_first = 0.0, hi_last = 0.0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ls(line);
        double lo, hi, n;
        ls >> lo >> hi >> n;
        if (rows == 0) lo_first = lo;
        hi_last = hi;
        total += n;
        ++rows;
    }
    CHECK(rows == 22);
    CHECK(lo_first == doctest::Approx(2.62));
    CHECK(hi_last == doctest::Approx(4.38));
    const resanom::Matrix data = resanom::io::read_npy(dir.file("data.npy"));
    double in_range = 0.0;
    for (resanom::Index i = 0; i < data.rows(); ++i) in_range += (data(i, 0) >= 2.62 && data(i, 0) < 4.38) ? 1.0 : 0.0;
    CHECK(total == doctest::Approx(in_range));
    CHECK(fs::exists(out / "plots" / "roc.dat"));
    if (std::system("command -v gnuplot >/dev/null 2>&1") == 0) {
        for (const char* f : {"spectrum.png", "spectrum.svg", "significance.png", "significance.svg", "roc.png", "sic.png"}) {
            INFO(std::string(f));
            REQUIRE(fs::exists(out / f));
            CHECK(fs::file_size(out / f) > 1000);
        }
        CHECK(resanom_test::slurp((out / "spectrum.png").string()).substr(1, 3) == "PNG");
        CHECK(j["plots"].size() == 8);
        // A window so sparse that every sideband fit fails (all pulls and Z undefined) is still
        // drawn (gnuplot stops on a plot without a single valid point unless guarded).
        const auto sparse = run_tool("search --data data.npy --m-col 0 --features 1,2,3,4 --method cwola --sr 7,7.5 "
                                     "--statistic bumphunt --delta-sys 0.1 --ensemble 1 --out sparse",
                                     dir);
        REQUIRE(sparse.code == 0);
        CHECK(sparse.err.find("gnuplot failed") == std::string::npos);
        CHECK(fs::exists(dir.path() / "sparse" / "spectrum.png"));
        CHECK(fs::exists(dir.path() / "sparse" / "significance.png"));
        // The direct estimate alone: a spectrum without fits (log scale, no pulls panel), then the
        // significance plot on a linear axis.
        const auto direct = run_tool("search --data data.npy --m-col 0 --features 1,2,3,4 --method iad --sim ref.npy "
                                     "--windows 3.1:3.9:0.4:0.4 --ensemble 1 --statistic direct --out direct",
                                     dir);
        REQUIRE(direct.code == 0);
        CHECK(direct.err.find("gnuplot failed") == std::string::npos);
        for (const char* f : {"spectrum.png", "significance.png"}) {
            INFO(std::string(f));
            CHECK(fs::exists(dir.path() / "direct" / f));
        }
        // Without truth labels there are no ROC or SIC curves to draw.
        CHECK_FALSE(fs::exists(dir.path() / "direct" / "roc.png"));
    }
}

TEST_CASE("search: a run ended by SIGTERM dies of the signal and leaves no output") {
    TempDir dir;
    REQUIRE(run_tool("generate --toy dijet --n-bkg 200000 --n-sig 1000 --seed 1 --out big.npy", dir).code == 0);
    // The search (several seconds) in the background, signalled after one second.
    resanom_test::write_bytes(dir.file("run.sh"),
                              "'" + std::string(RESANOM_CLI_PATH) +
                                  "' search --data big.npy --m-col 0 --features 1,2,3,4 --method cwola --delta-sys 0.1 --ensemble 3 "
                                  "--windows das2024 --out out >/dev/null 2>&1 &\n"
                                  "pid=$!\nsleep 1\nkill -TERM $pid\nwait $pid\n");
    const int status = std::system(("cd '" + dir.path().string() + "' && sh run.sh").c_str());
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGTERM);   // the shell's report of a death by SIGTERM
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"big.npy", "run.sh"});   // no out/, no temporary file
}

TEST_CASE("search: bad input exits 2 with one line and writes nothing") {
    TempDir dir;
    make_data(dir);
    struct Case {
        std::string args, expect;
    };
    const std::string base = "search --data data.npy --m-col 0 --features 1,2,3,4 --delta-sys 0.1 --out out ";
    const std::vector<Case> cases{
        {base + "--method nope --sr 3.3,3.7", "unknown method 'nope'"},
        {base + "--method iad --sr 3.3,3.7", "needs 1 --sim file"},
        {base + "--method cwola --sr 9,9.5", "no events in the signal region"},
        {base + "--method cwola --sr 3.7,3.3", "LO < HI"},
        {base + "--method cwola", "give a signal region"},
        {base + "--method ae --sr 3.3,3.7 --statistic direct", "no background template"},
        {base + "--method cwola --sr 3.3,3.7 --eps-b 0,1e-3", "not a fraction"},
        {base + "--method cwola --sr 3.3,3.7 --test ref.npy", "--label-col"},
        {base + "--method cwola --windows nonsense", "--windows"},
        {"search --data data.npy --m-col 0 --features 0,1 --method cwola --delta-sys 0.1 --sr 3.3,3.7 --out out", "resonant column"},
        {"search --data data.npy --m-col 0 --features 1,9 --method cwola --delta-sys 0.1 --sr 3.3,3.7 --out out", "out of range"},
        {"search --data missing.npy --m-col 0 --features 1,2 --method cwola --delta-sys 0.1 --sr 3.3,3.7 --out out",
         "missing.npy"},
        // The bump hunt of a classifier trained across m regions is refused unless the sculpting is
        // stated; a reference does not calibrate it.
        {"search --data data.npy --m-col 0 --features 1,2,3,4 --method cwola --statistic bumphunt --sr 3.3,3.7 --out out",
         "is not calibrated"},
        {"search --data data.npy --m-col 0 --features 1,2,3,4 --method cwola-hunting --sr 3.3,3.7 --out out",
         "sculpts a bump"},
        // Without a template the refusal does not send the user to the direct estimate.
        {"search --data data.npy --m-col 0 --features 1,2,3,4 --method cwola-hunting --sr 3.3,3.7 --out out",
         "no background template for the direct estimate, so state the sculpting"},
        {"search --data data.npy --m-col 0 --features 1,2,3,4 --method cwola-hunting --delta-sys-from ref.npy --sr 3.3,3.7 "
         "--out out",
         "apply to --statistic direct or both"},
        {"search --data data.npy --m-col 0 --features 1,2,3,4 --method cwola --sr 3.3,3.7 --out out",
         "is not calibrated"},   // auto: no δ_sys for the direct estimate, so the bump hunt, refused
        // CATHODE's classifier learns where the flow misses the signal region: its cut sculpts too,
        // also inside a combination.
        {"search --data data.npy --m-col 0 --features 1,2,3,4 --method cathode --statistic both --delta-sys-from ref.npy "
         "--sr 3.3,3.7 --out out",
         "the flow interpolated from the sidebands"},
        {"search --data data.npy --m-col 0 --features 1,2,3,4 --method combined --combine iad,cathode "
         "--combine-level score --sim ref.npy --statistic bumphunt --sr 3.3,3.7 --out out",
         "is not calibrated"},
        // LaCATHODE is built not to sculpt, but its bump hunt is not calibrated yet: refused too;
        // it has no sideband δ_sys of its own, and no template to combine with others.
        {"search --data data.npy --m-col 0 --features 1,2,3,4 --method lacathode --sr 3.3,3.7 --out out",
         "not yet been calibrated on background-only toys"},
        // δ_sys^SB alone lets the flow's interpolation error pass for signal (a global 5 sigma on
        // background-only data with the reference flow): refused, with or without saying so.
        {"search --data data.npy --m-col 0 --features 1,2,3,4 --method cathode --sr 3.3,3.7 --delta-sys-sb --out out",
         "--delta-sys-sb alone is not calibrated"},
        {"search --data data.npy --m-col 0 --features 1,2,3,4 --method cathode --statistic direct --sr 3.3,3.7 --out out",
         "needs the template's systematic shift"},
        {"search --data data.npy --m-col 0 --features 1,2,3,4 --method cathode --sr 3.3,3.7 --out out",
         "bumphunt with --method cathode is not calibrated"},   // auto: no δ_sys, so the bump hunt, which sculpts
        {"search --data data.npy --m-col 0 --features 1,2,3,4 --method lacathode --sr 3.3,3.7 --delta-sys-sb --out out",
         "--delta-sys-sb applies to --method cathode"},
        {base + "--method combined --combine cathode,lacathode --sr 3.3,3.7", "'lacathode' cannot be combined"},
        {base + "--method cathode --sr 3.3,3.7 --flow-patience -1", "patience"},
        {base + "--method multi-cwola --sr 3.3,3.7", "one window per resonant column"},
        {base + "--method cwola --sr 3.3,3.7 --delta-sys -2", "--delta-sys"},
        {base + "--method combined --combine cwola,iad --combine-level score --sim ref.npy --sr 3.3,3.7 --statistic direct",
         "no background template"},
        {base + "--method combined --combine cwola,nope --sr 3.3,3.7", "'nope' cannot be combined"},
    };
    // Truth never becomes a feature: a column named "label" in a CSV header is refused (without
    // --label-col the tool cannot know it otherwise), and so is the --label-col column.
    REQUIRE(run_tool("generate --toy dijet --n-bkg 20000 --n-sig 200 --seed 3 --out named.csv", dir).code == 0);
    const std::vector<Case> truth_cases{
        {"search --data named.csv --m-col 0 --features 1,2,3,4,5 --method cwola --delta-sys 0.1 --sr 3.3,3.7 --out out",
         "column 5 is named 'label': truth labels must not be features"},
        {"search --data named.csv --m-col 0 --features 1,2,3,4,5 --label-col 5 --method cwola --delta-sys 0.1 --sr 3.3,3.7 "
         "--out out",
         "column 5 is the label column"},
    };
    for (const auto& cs : {cases, truth_cases})
        for (const auto& c : cs) {
            INFO("resanom " << c.args);
            const auto r = run_tool(c.args, dir);
            CHECK(r.code == 2);
            CHECK(resanom_test::line_count(r.err) == 1);
            CHECK(r.err.find(c.expect) != std::string::npos);
            CHECK(r.out.empty());
            CHECK(!std::filesystem::exists(dir.path() / "out"));
        }
}

}  // namespace cli_test_search
