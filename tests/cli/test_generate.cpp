// Tests of `resanom generate` (docs/cli.md): the acceptance run of the first release,
// byte-identical output for a seed, the JSON line, the toys' layouts, and the bad-input contract
// (exit code 2, one line on stderr, nothing written).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "resanom/io/table.hpp"
#include "resanom/toys/dijet.hpp"
#include "cli_support.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace cli_test_generate {

using resanom_test::last_json_line;

using namespace resanom;
using resanom_test::run_tool;
using resanom_test::TempDir;


TEST_CASE("dijet toy: 20200×6 float64 with 200 signal events near 3.5 TeV on a falling background") {
    TempDir dir;
    auto r = run_tool("generate --toy dijet --n-bkg 20000 --n-sig 200 --seed 7 --out a.npy", dir);
    REQUIRE(r.code == 0);
    CHECK(r.err.empty());
    const auto j = last_json_line(r.out);
    CHECK(j["toy"] == "dijet");
    CHECK(j["rows"] == 20200);
    CHECK(j["out"] == "a.npy");
    CHECK(j["columns"] == nlohmann::json({"mjj", "mj_min", "delta_m", "tau21_min", "tau21_max", "label"}));

    // The header says float64, C order, (20200, 6).
    const std::string bytes = resanom_test::slurp(dir.file("a.npy"));
    CHECK(bytes.find("'descr': '<f8', 'fortran_order': False, 'shape': (20200, 6)") != std::string::npos);

    const Matrix a = io::read_npy(dir.file("a.npy"));
    REQUIRE(a.rows() == 20200);
    REQUIRE(a.cols() == 6);
    const Vector label = a.col(5), mjj = a.col(0);
    CHECK((label.array() == 0.0 || label.array() == 1.0).all());
    CHECK(label.sum() == 200);
    // The signal sits at m_Z' = 3.5 TeV.
    double sig_mean = 0;
    int sig_in_sr = 0;
    for (Index i = 0; i < a.rows(); ++i)
        if (label[i] == 1.0) {
            sig_mean += mjj[i] / 200.0;
            sig_in_sr += mjj[i] > 3.2 && mjj[i] < 3.8;
        }
    CHECK(sig_mean == doctest::Approx(3.5).epsilon(0.02));
    CHECK(sig_in_sr > 180);
    // The background falls: counts in consecutive 0.5 TeV bins from 2.5 TeV decrease.
    std::vector<int> counts(6, 0);
    for (Index i = 0; i < a.rows(); ++i)
        if (label[i] == 0.0 && mjj[i] >= 2.5 && mjj[i] < 5.5) ++counts[static_cast<std::size_t>((mjj[i] - 2.5) / 0.5)];
    for (std::size_t k = 1; k < counts.size(); ++k) CHECK(counts[k] < counts[k - 1]);
    // Rows are shuffled: the signal is not in one block.
    const Index first = std::find(label.data(), label.data() + label.size(), 1.0) - label.data();
    CHECK(first < 20000);
}

TEST_CASE("the same seed gives identical bytes, another seed other bytes") {
    TempDir dir;
    REQUIRE(run_tool("generate --toy dijet --n-bkg 5000 --n-sig 50 --seed 7 --out a.npy", dir).code == 0);
    REQUIRE(run_tool("generate --toy dijet --n-bkg 5000 --n-sig 50 --seed 7 --out b.npy", dir).code == 0);
    REQUIRE(run_tool("generate --toy dijet --n-bkg 5000 --n-sig 50 --seed 8 --out c.npy", dir).code == 0);
    const auto a = resanom_test::slurp(dir.file("a.npy"));
    CHECK(a == resanom_test::slurp(dir.file("b.npy")));
    CHECK(a != resanom_test::slurp(dir.file("c.npy")));
}

TEST_CASE("dijet toy: the default correlation is the LHCO-matched one, --correlation A gives A and 2A") {
    TempDir dir;
    const std::string base = "generate --toy dijet --n-bkg 3000 --n-sig 30 --seed 4 ";
    REQUIRE(run_tool(base + "--out default.npy", dir).code == 0);
    REQUIRE(run_tool(base + "--correlation 0.05 --out c05.npy", dir).code == 0);
    REQUIRE(run_tool(base + "--correlation 0 --out c0.npy", dir).code == 0);
    const Matrix def = io::read_npy(dir.file("default.npy")), c05 = io::read_npy(dir.file("c05.npy")),
                 c0 = io::read_npy(dir.file("c0.npy"));

    // The library's tables, bit for bit (float64 .npy round-trips exactly).
    toys::DijetToyParams p;
    p.n_bkg = 3000;
    p.n_sig = 30;
    REQUIRE(p.alpha_light == toys::lhco_alpha_light);
    REQUIRE(p.alpha_heavy == toys::lhco_alpha_heavy);
    CHECK(def == toys::dijet_table(p, 4));
    toys::DijetToyParams q = p;
    q.set_correlation(0.05);  // α_light = 0.05, α_heavy = 0.1
    CHECK(c05 == toys::dijet_table(q, 4));
    q.set_correlation(0.0);
    CHECK(c0 == toys::dijet_table(q, 4));
    // The three differ in the jet masses only: α moves no draw.
    CHECK(def.col(0) == c0.col(0));
    CHECK(def.col(0) == c05.col(0));
    CHECK(def.col(1) != c0.col(1));
    CHECK(def.col(1) != c05.col(1));

    // --correlation 0.05 moves the lighter jet by 0.05 (m_jj − 3.5 TeV) and the heavier by twice
    // that, against --correlation 0: the median ratios over events with |m_jj − 3.5| > 0.1 TeV are
    // 0.98 and 1.99 here (the soft floor and re-ordering bend some events).
    std::vector<double> light, heavy;
    for (Index i = 0; i < c0.rows(); ++i) {
        const double shift = 0.05 * (c0(i, 0) - 3.5);
        if (std::abs(shift) < 0.005) continue;
        light.push_back((c05(i, 1) - c0(i, 1)) / shift);
        heavy.push_back((c05(i, 1) + c05(i, 2) - c0(i, 1) - c0(i, 2)) / shift);
    }
    REQUIRE(light.size() > 2000);
    auto median = [](std::vector<double> v) {
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
        return v[v.size() / 2];
    };
    CHECK(std::abs(median(light) - 1.0) < 0.05);
    CHECK(std::abs(median(heavy) - 2.0) < 0.05);

    // The help says what the default is.
    const auto r = run_tool("generate --help", dir);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("α_light = 0.009, α_heavy = 0.025") != std::string::npos);
}

TEST_CASE("simulations, CSV output and the other toys") {
    TempDir dir;
    auto r = run_tool("generate --toy dijet --n-bkg 3000 --n-sig 30 --n-sim 2000 --correlation 0 "
                      "--out d.csv --sim-out s0.npy --sim-out s1.npy",
                      dir);
    REQUIRE(r.code == 0);
    const auto j = last_json_line(r.out);
    CHECK(j["sim_rows"] == nlohmann::json({2000, 2000}));
    const io::Table d = io::read_csv(dir.file("d.csv"));
    CHECK(d.data.rows() == 3030);
    CHECK(d.columns[0] == "mjj");
    const Matrix s0 = io::read_npy(dir.file("s0.npy")), s1 = io::read_npy(dir.file("s1.npy"));
    CHECK(s0.col(5).sum() == 0);  // simulations are background only
    CHECK(s0 != s1);

    r = run_tool("generate --toy sacwola-gauss --n-bkg 1000 --n-sig 100 --out g.npy --sim-out gs.npy", dir);
    REQUIRE(r.code == 0);
    CHECK(last_json_line(r.out)["columns"] == nlohmann::json({"m", "x0", "x1", "label"}));
    CHECK(io::read_npy(dir.file("g.npy")).rows() == 2100);  // SR 1000 + SB 1000 + signal 100
    CHECK(io::read_npy(dir.file("gs.npy")).rows() == 2000);

    r = run_tool("generate --toy bimodal --n-bkg 1000 --n-sig 10 --out b.npy --sim-out b0.npy --sim-out b1.npy", dir);
    REQUIRE(r.code == 0);
    CHECK(io::read_npy(dir.file("b.npy")).rows() == 1010);
}

TEST_CASE("bad input: exit code 2, one line on stderr naming the problem, nothing written") {
    struct Case {
        std::string args;
        std::string expect;  // a fragment of the message
    };
    const std::vector<Case> cases{
        {"generate --toy nope --out x.npy", "unknown toy 'nope'"},
        {"generate --toy dijet --n-bkg -5 --out x.npy", "--n-bkg must be >= 0"},
        {"generate --toy dijet --n-bkg abc --out x.npy", "--n-bkg"},
        {"generate --toy dijet --out missing/x.npy", "does not exist"},
        {"generate --toy dijet --out x.txt", "unsupported file extension"},
        {"generate --toy dijet", "--out"},
        {"generate --toy dijet --out x.npy --bogus", "--bogus"},
        {"generate --toy dijet --n-bkg 10 --out x.npy --sim-out a.npy --sim-out b.npy --sim-out c.npy",
         "2 simulations"},
        {"generate --toy bimodal --correlation 0.1 --out x.npy", "--correlation applies to --toy dijet"},
        {"generate --toy dijet --n-bkg 10 --out x.npy --sim-out bad.txt", "unsupported file extension"},
        {"frobnicate", "frobnicate"},
        {"generate --toy dijet --n-bkg 10 --out x.npy --sim-out x.npy", "same file is already the output of --out"},
        {"generate --toy dijet --n-bkg 10 --out x.npy --sim-out ./x.npy", "same file"},
        {"generate --toy dijet --n-bkg 100000000000 --out x.npy", "--n-bkg must be at most"},
        {"generate --toy dijet --n-bkg 10 --seed -1 --out x.npy", "--seed must be a non-negative integer"},
        {"generate --toy dijet --n-bkg 10 --threads 0 --out x.npy", "--threads must be an integer from 1"},
        {"generate --toy dijet --n-bkg 10 --threads -2 --out x.npy", "--threads"},
    };
    for (const auto& c : cases) {
        TempDir dir;
        INFO("resanom " << c.args);
        const auto r = run_tool(c.args, dir);
        CHECK(r.code == 2);
        CHECK(resanom_test::line_count(r.err) == 1);
        CHECK(r.err.find(c.expect) != std::string::npos);
        CHECK(r.out.empty());
        CHECK(std::filesystem::is_empty(dir.path()));
    }
}

TEST_CASE("an output that is a folder, or that fails after generation, leaves nothing written") {
    TempDir dir;
    std::filesystem::create_directory(dir.path() / "sim.npy");
    auto r = run_tool("generate --toy dijet --n-bkg 10 --out x.npy --sim-out sim.npy", dir);
    CHECK(r.code == 2);
    CHECK(r.err.find("--sim-out sim.npy: is a folder") != std::string::npos);
    CHECK(!std::filesystem::exists(dir.path() / "x.npy"));

    // /proc exists but no file can be created in it, not even by root: the second output fails
    // only when it is written, after the data were generated and staged.
    if (std::filesystem::is_directory("/proc")) {
        r = run_tool("generate --toy dijet --n-bkg 10 --out x.npy --sim-out /proc/resanom-sim.npy", dir);
        CHECK(r.code == 2);
        CHECK(resanom_test::line_count(r.err) == 1);
        CHECK(r.err.find("/proc/resanom-sim.npy") != std::string::npos);
        CHECK(r.out.empty());
        CHECK(!std::filesystem::exists(dir.path() / "x.npy"));
        CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 1);   // sim.npy/ only
    }
}

TEST_CASE("--help and --version exit 0") {
    TempDir dir;
    auto r = run_tool("generate --help", dir);
    CHECK(r.code == 0);
    CHECK(r.out.find("--n-bkg") != std::string::npos);
    r = run_tool("--version", dir);
    CHECK(r.code == 0);
    CHECK(r.out.find("resanom 0.1.0") != std::string::npos);
}

}  // namespace cli_test_generate
