// The bad-input matrix of the tool: every subcommand that reads files gets every
// class of malformed file in every file flag — missing, empty, truncated npy, wrong magic, absurd
// shape, unsupported dtype, Fortran order, ragged and non-numeric CSV, a folder — and the value
// classes where they apply (NaN/inf in features, m or weights, labels outside [0, 1], unknown
// columns), and the search its own (SR outside the data, empty sidebands, too few events for the
// folds, column counts that differ between --data, --sim and --test). Each must exit with code 2,
// print exactly one line on stderr naming the file or flag, print nothing on stdout, and leave the
// folder exactly as it was (no output, no temporary file).
#include <doctest/doctest.h>

#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "resanom/io/csv.hpp"
#include "resanom/io/npy.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace cli_test_bad_input {

using resanom::Matrix;
using resanom_test::contains;
using resanom_test::run_tool;
using resanom_test::TempDir;
namespace fs = std::filesystem;

namespace {

std::set<std::string> listing(const TempDir& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(dir.path())) names.insert(e.path().lexically_relative(dir.path()).string());
    return names;
}

/// Runs `args`; expects exit 2, one stderr line containing every part, empty stdout, and the
/// folder unchanged.
void expect_refused(const std::string& args, const std::vector<std::string>& parts, const TempDir& dir) {
    CAPTURE(args);
    const auto before = listing(dir);
    const auto r = run_tool(args, dir);
    CAPTURE(r.err);
    CHECK(r.code == 2);
    CHECK(resanom_test::line_count(r.err) == 1);
    for (const auto& p : parts) CHECK_MESSAGE(contains(r.err, p), "expected in the message: " << p);
    CHECK(r.out.empty());
    CHECK(listing(dir) == before);
}

/// An npy header for `descr`, `fortran` and the shape text, padded as numpy does.
std::string npy_header(const std::string& descr, bool fortran, const std::string& shape) {
    std::string h = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
    while ((10 + h.size() + 1) % 64 != 0) h += ' ';
    h += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(h.size() & 0xff);
    out += static_cast<char>(h.size() >> 8);
    return out + h;
}

/// Writes the malformed files, each named after its defect, and returns their names.
std::vector<std::string> write_bad_files(const TempDir& dir) {
    using resanom_test::write_bytes;
    const std::string good = resanom_test::slurp(dir.file("data.npy"));
    write_bytes(dir.file("empty.npy"), "");
    write_bytes(dir.file("truncated.npy"), good.substr(0, good.size() / 2));
    write_bytes(dir.file("magic.npy"), "PK\x03\x04 this is a zip file, not an npy file");
    write_bytes(dir.file("shape.npy"), npy_header("<f8", false, "(1000000000000000, 6)") + std::string(48, '\0'));
    write_bytes(dir.file("dtype.npy"), npy_header("<c16", false, "(2, 6)") + std::string(192, '\0'));
    write_bytes(dir.file("fortran.npy"), npy_header("<f8", true, "(2, 6)") + std::string(96, '\0'));
    write_bytes(dir.file("ragged.csv"), "mjj,a,b,c,d,label\n3.5,1,2,3,4,0\n3.5,1,2,3\n");
    write_bytes(dir.file("text.csv"), "mjj,a,b,c,d,label\n3.5,1,2,three,4,0\n");
    fs::create_directory(dir.path() / "folder.npy");
    return {"missing.npy", "empty.npy",   "truncated.npy", "magic.npy", "shape.npy",
            "dtype.npy",   "fortran.npy", "ragged.csv",    "text.csv",  "folder.npy"};
}

Matrix read(const TempDir& dir, const std::string& name) { return resanom::io::read_npy(dir.file(name)); }

}  // namespace

TEST_CASE("every file flag of every subcommand refuses every kind of malformed file") {
    TempDir dir;
    REQUIRE(run_tool("generate --toy dijet --n-bkg 20000 --n-sig 200 --seed 1 --out data.npy", dir).code == 0);
    REQUIRE(run_tool("generate --toy dijet --n-bkg 20000 --n-sig 0 --seed 2 --out sim.npy", dir).code == 0);
    const auto bad = write_bad_files(dir);
    // Each slot is a command with one file flag marked @, tried with every bad file; the second
    // member, when given, is the same command with valid files (it must succeed).
    const std::string cls = "classify --label-col 5 --features 1,2,3,4 --max-iter 3 --out s.npy ";
    const std::string sco = "score --features 1,2,3,4 --ensemble 1 --hidden 4 --epochs 1 --out s.npy ";
    const std::string den = "density --features 1,2 --cond-col 0 --blocks 1 --hidden 4 --epochs 1 --logprob-out lp.npy ";
    const std::string sea = "search --m-col 0 --features 1,2,3,4 --label-col 5 --method iad --sr 3.3,3.7 --ensemble 1 "
                            "--out out ";
    const std::vector<std::pair<std::string, std::string>> slots{
        {cls + "--train @ --apply data.npy", cls + "--train data.npy --apply data.npy"},
        {cls + "--train data.npy --apply @", ""},
        {cls + "--train data.npy --val @ --apply data.npy", cls + "--train data.npy --val sim.npy --apply data.npy"},
        {sco + "--train @ --apply data.npy", sco + "--train data.npy --apply data.npy"},
        {sco + "--train data.npy --apply @", ""},
        {den + "--train @ --logprob data.npy", den + "--train data.npy --logprob data.npy"},
        {den + "--train data.npy --logprob @", ""},
        {"fit --m-col 0 --sr 3.3,3.7 --range 2.6,5 --data @", "fit --m-col 0 --sr 3.3,3.7 --range 2.6,5 --data data.npy"},
        {sea + "--data @ --sim sim.npy", sea + "--data data.npy --sim sim.npy"},
        {sea + "--data data.npy --sim @", ""},
        {sea + "--data data.npy --sim sim.npy --test @", sea + "--data data.npy --sim sim.npy --test data.npy"},
        {"search --m-col 0 --features 1,2,3,4 --method cwola --sr 3.3,3.7 --ensemble 1 --statistic direct --out out "
         "--data data.npy --delta-sys-from @",
         ""},
    };
    for (const auto& [slot, valid] : slots) {
        if (!valid.empty()) {
            CAPTURE(valid);
            const auto r = run_tool(valid, dir);
            REQUIRE(r.code == 0);
            fs::remove_all(dir.path() / "out");
            for (const char* f : {"s.npy", "lp.npy"}) fs::remove(dir.file(f));
        }
        for (const auto& b : bad) {
            std::string args = slot;
            args.replace(args.find('@'), 1, b);
            expect_refused(args, {b}, dir);
        }
    }
}

TEST_CASE("NaN, inf, bad labels, weights and columns are refused, naming the row and column") {
    TempDir dir;
    REQUIRE(run_tool("generate --toy dijet --n-bkg 20000 --n-sig 200 --seed 1 --out data.npy", dir).code == 0);
    REQUIRE(run_tool("generate --toy dijet --n-bkg 20000 --n-sig 0 --seed 2 --out sim.npy", dir).code == 0);
    const Matrix good = read(dir, "data.npy");
    auto with = [&](const std::string& name, Eigen::Index row, Eigen::Index col, double v) {
        Matrix M = good;
        M(row, col) = v;
        resanom::io::write_npy(dir.file(name), M);
    };
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    with("nan_feature.npy", 11, 2, nan);
    with("inf_m.npy", 12, 0, inf);
    with("label.npy", 13, 5, 1.5);
    with("neg_label.npy", 14, 5, -0.5);
    // A weight column: column 6 of ones, one of them NaN or negative.
    Matrix W(good.rows(), 7);
    W << good, Matrix::Ones(good.rows(), 1);
    W(15, 6) = nan;
    resanom::io::write_npy(dir.file("nan_weight.npy"), W);
    W(15, 6) = -1.0;
    resanom::io::write_npy(dir.file("neg_weight.npy"), W);

    const std::string cls = "classify --label-col 5 --features 1,2,3,4 --max-iter 3 --out s.npy ";
    const std::string sea = "search --m-col 0 --features 1,2,3,4 --label-col 5 --method iad --sr 3.3,3.7 --ensemble 1 "
                            "--sim sim.npy --out out ";
    struct Case {
        std::string args;
        std::vector<std::string> parts;
    };
    const std::vector<Case> cases{
        // classify
        {cls + "--train nan_feature.npy --apply data.npy", {"nan_feature.npy", "row 11", "column 2"}},
        {cls + "--train data.npy --apply nan_feature.npy", {"nan_feature.npy", "row 11", "column 2"}},
        {cls + "--train label.npy --apply data.npy", {"label.npy", "row 13", "outside [0,1]"}},
        {cls + "--train neg_label.npy --apply data.npy", {"neg_label.npy", "row 14"}},
        {cls + "--train nan_weight.npy --weight-col 6 --apply data.npy", {"nan_weight.npy", "row 15", "column 6"}},
        {cls + "--train neg_weight.npy --weight-col 6 --apply data.npy", {"neg_weight.npy", "row 15", "negative"}},
        {"classify --label-col 5 --features 1,2,17 --max-iter 3 --out s.npy --train data.npy --apply data.npy",
         {"--features", "17"}},
        {"classify --label-col 9 --train data.npy --apply data.npy --out s.npy", {"--label-col 9"}},
        // score
        {"score --features 1,2,3,4 --ensemble 1 --hidden 4 --epochs 1 --out s.npy --train nan_feature.npy --apply data.npy",
         {"nan_feature.npy", "row 11", "column 2"}},
        {"score --features 1,2,3,40 --ensemble 1 --hidden 4 --epochs 1 --out s.npy --train data.npy --apply data.npy",
         {"--features", "40"}},
        // density
        {"density --features 1,2 --cond-col 0 --blocks 1 --hidden 4 --epochs 1 --train inf_m.npy --logprob data.npy "
         "--logprob-out lp.npy",
         {"inf_m.npy", "row 12", "column 0"}},
        {"density --features 1,2 --cond-col 8 --blocks 1 --hidden 4 --epochs 1 --train data.npy", {"--cond-col", "8"}},
        // fit
        {"fit --m-col 0 --sr 3.3,3.7 --range 2.6,5 --data inf_m.npy", {"inf_m.npy", "row 12", "column 0"}},
        {"fit --m-col 0 --sr 3.3,3.7 --range 2.6,5 --data nan_weight.npy --weight-col 6", {"nan_weight.npy", "row 15"}},
        {"fit --m-col 0 --sr 3.3,3.7 --range 2.6,5 --data neg_weight.npy --weight-col 6", {"neg_weight.npy", "row 15"}},
        {"fit --m-col 7 --sr 3.3,3.7 --range 2.6,5 --data data.npy", {"--m-col", "7"}},
        // search
        {sea + "--data nan_feature.npy", {"nan_feature.npy", "row 11", "column 2"}},
        {sea + "--data inf_m.npy", {"inf_m.npy", "row 12", "column 0"}},
        {sea + "--data label.npy", {"label.npy", "row 13"}},
        {sea + "--data data.npy --test neg_label.npy", {"neg_label.npy", "row 14"}},
        {"search --m-col 0 --features 1,2,3,4 --method iad --sr 3.3,3.7 --ensemble 1 --out out --data data.npy "
         "--sim nan_feature.npy",
         {"nan_feature.npy", "row 11"}},
        {"search --m-col 9 --features 1,2,3,4 --method cwola --delta-sys 0.1 --sr 3.3,3.7 --out out --data data.npy",
         {"--m-col", "9"}},
    };
    for (const auto& c : cases) expect_refused(c.args, c.parts, dir);
}

TEST_CASE("search: windows without events, empty sidebands, too few events, mismatched files") {
    TempDir dir;
    REQUIRE(run_tool("generate --toy dijet --n-bkg 20000 --n-sig 200 --seed 1 --out data.npy", dir).code == 0);
    REQUIRE(run_tool("generate --toy dijet --n-bkg 20000 --n-sig 0 --seed 2 --out sim.npy", dir).code == 0);
    const Matrix good = read(dir, "data.npy");
    // Only events inside the SR [3.3, 3.7): CWoLa's sidebands are empty.
    std::vector<Eigen::Index> in_sr, few;
    for (Eigen::Index i = 0; i < good.rows(); ++i)
        if (good(i, 0) >= 3.3 && good(i, 0) < 3.7) in_sr.push_back(i);
    resanom::io::write_npy(dir.file("sr_only.npy"), Matrix(good(in_sr, Eigen::all)));
    // Two SR events and one in each sideband: four training rows cannot fill five folds.
    int n_sr = 0, n_lo = 0, n_hi = 0;
    for (Eigen::Index i = 0; i < good.rows(); ++i) {
        const double m = good(i, 0);
        if (m >= 3.3 && m < 3.7 && n_sr < 2) {
            few.push_back(i);
            ++n_sr;
        } else if (m >= 3.1 && m < 3.3 && n_lo < 1) {
            few.push_back(i);
            ++n_lo;
        } else if (m >= 3.7 && m < 3.9 && n_hi < 1) {
            few.push_back(i);
            ++n_hi;
        }
    }
    resanom::io::write_npy(dir.file("few.npy"), Matrix(good(few, Eigen::all)));
    resanom::io::write_npy(dir.file("five_cols.npy"), Matrix(good.leftCols(5)));

    const std::string base = "search --m-col 0 --features 1,2,3,4 --ensemble 1 --delta-sys 0.1 --out out ";
    struct Case {
        std::string args;
        std::vector<std::string> parts;
    };
    const std::vector<Case> cases{
        {base + "--method cwola --data data.npy --sr 9,9.5", {"no events in the signal region"}},   // beyond 8 TeV
        {base + "--method cwola --data data.npy --sr 0.1,0.5", {"no events in the signal region"}},
        {base + "--method cwola --data sr_only.npy --sr 3.3,3.7", {"sideband"}},
        {base + "--method cwola --data few.npy --sr 3.3,3.7", {"folds"}},
        {base + "--method iad --data data.npy --sim five_cols.npy --sr 3.3,3.7", {"five_cols.npy", "column"}},
        {base + "--method cwola --data data.npy --test five_cols.npy --label-col 5 --sr 3.3,3.7", {"five_cols.npy"}},
        {"search --m-col 0 --features 1,2,3,4 --ensemble 1 --out out --method cwola --statistic direct --data data.npy "
         "--delta-sys-from five_cols.npy --sr 3.3,3.7",
         {"five_cols.npy"}},
    };
    for (const auto& c : cases) expect_refused(c.args, c.parts, dir);
}

TEST_CASE("generate and significance refuse bad values with one line") {
    TempDir dir;
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
        {"generate --toy dijet --n-bkg -5 --out g.npy", {"--n-bkg"}},
        {"generate --toy nope --out g.npy", {"--toy"}},
        {"generate --toy dijet --n-bkg 100 --out nowhere/g.npy", {"nowhere"}},
        {"generate --toy dijet --n-bkg 100 --out g.txt", {"g.txt"}},
        {"generate --toy dijet --n-bkg 100 --correlation nan --out g.npy", {"--correlation"}},
        {"significance --n-obs nan --n-exp 10", {"--n-obs"}},
        {"significance --n-obs 10 --n-exp 0", {"--n-exp"}},
        {"significance --n-obs -1 --n-exp 10", {"--n-obs"}},
        {"significance --n-obs 10 --n-exp inf", {"--n-exp"}},
        {"significance --n-obs 10 --n-exp 5 --rel-unc -0.1", {"--rel-unc"}},
    };
    for (const auto& [args, parts] : cases) expect_refused(args, parts, dir);
}

}  // namespace cli_test_bad_input
