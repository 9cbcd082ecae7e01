// Tests of `resanom score --model ae` (docs/cli.md): the JSON line with exactly the
// contract's keys, one float64 score per --apply row, same bytes for the same seed, off-manifold
// events scoring higher, --save-model/--load-model, and the bad-input contract (exit code 2, one
// line on stderr, nothing written to --out).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>

#include "resanom/core/random.hpp"
#include "resanom/io/npy.hpp"
#include "resanom/stats/metrics.hpp"
#include "cli_support.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace cli_test_score {

using resanom_test::last_json_line;

using namespace resanom;
using resanom_test::run_tool;
using resanom_test::TempDir;

namespace {


// Columns: id, x, x², sin 2x (on a curve), label. Off-curve rows (label 1) when `anomalous`.
Matrix curve_table(Index n, std::uint64_t seed, bool anomalous) {
    Rng rng(seed);
    Matrix T(n, 5);
    for (Index i = 0; i < n; ++i) {
        const double t = uniform(rng, -1.5, 1.5);
        const bool off = anomalous && i % 2 == 1;
        T(i, 0) = static_cast<double>(i);
        T(i, 1) = t;
        T(i, 2) = off ? uniform(rng, 0.0, 2.25) : t * t + 0.02 * normal(rng);
        T(i, 3) = off ? uniform(rng, -1.0, 1.0) : std::sin(2 * t) + 0.02 * normal(rng);
        T(i, 4) = off ? 1.0 : 0.0;
    }
    return T;
}

const std::string kFlags = "--features 1,2,3 --hidden 32 --latent 1 --epochs 10 --lr 3e-3 --batch-size 64 "
                           "--ensemble 2 --subsample 1500 --threads 2";

}  // namespace

TEST_CASE("score --model ae: JSON keys as the contract, one score per row, reproducible, anomalies higher") {
    TempDir dir;
    io::write_npy(dir.file("train.npy"), curve_table(2000, 1, false));
    const Matrix apply = curve_table(600, 2, true);
    io::write_npy(dir.file("apply.npy"), apply);
    auto r = run_tool("score --model ae --train train.npy --apply apply.npy --out s.npy --seed 3 " + kFlags, dir);
    REQUIRE(r.code == 0);
    CHECK(r.err.empty());
    const auto j = last_json_line(r.out);
    std::set<std::string> keys;
    for (const auto& [k, v] : j.items()) keys.insert(k);
    CHECK(keys == std::set<std::string>{"model", "ensemble", "train_seconds", "fvu"});
    CHECK(j["model"] == "ae");
    CHECK(j["ensemble"] == 2);
    CHECK(j["train_seconds"].get<double>() > 0.0);
    CHECK(j["fvu"].get<double>() > 0.0);
    CHECK(j["fvu"].get<double>() < 1.0);
    const Matrix s = io::read_npy(dir.file("s.npy"));
    REQUIRE(s.rows() == 600);
    REQUIRE(s.cols() == 1);
    CHECK(auc(s.col(0), apply.col(4)) > 0.75);  // the unit test asks > 0.9 of a longer training
    CHECK(resanom_test::slurp(dir.file("s.npy")).find("'descr': '<f8'") != std::string::npos);

    // Same seed, same bytes; another seed, other scores.
    r = run_tool("score --model ae --train train.npy --apply apply.npy --out s2.npy --seed 3 " + kFlags +
                     " --save-model ae.bin",
                 dir);
    REQUIRE(r.code == 0);
    CHECK(resanom_test::slurp(dir.file("s.npy")) == resanom_test::slurp(dir.file("s2.npy")));
    r = run_tool("score --model ae --train train.npy --apply apply.npy --out s3.npy --seed 4 " + kFlags, dir);
    REQUIRE(r.code == 0);
    CHECK(resanom_test::slurp(dir.file("s.npy")) != resanom_test::slurp(dir.file("s3.npy")));

    // A saved ensemble scores identically.
    r = run_tool("score --model ae --load-model ae.bin --features 1,2,3 --apply apply.npy --out s4.npy", dir);
    REQUIRE(r.code == 0);
    CHECK(resanom_test::slurp(dir.file("s.npy")) == resanom_test::slurp(dir.file("s4.npy")));
}

TEST_CASE("score: bad input exits 2 with one line on stderr and writes nothing") {
    TempDir dir;
    io::write_npy(dir.file("train.npy"), curve_table(300, 1, false));
    Matrix nan = curve_table(50, 2, false);
    nan(7, 2) = std::nan("");
    io::write_npy(dir.file("nan.npy"), nan);
    io::write_npy(dir.file("empty.npy"), Matrix(0, 5));
    resanom_test::write_bytes(dir.file("corrupt.bin"), "RESANOM\x1a garbage");
    const std::string base = "score --model ae --out out.npy --hidden 8 --latent 1 --ensemble 1 ";
    const std::pair<std::string, std::string> cases[] = {
        {base + "--train missing.npy --apply train.npy", "missing.npy"},
        {base + "--train train.npy --apply train.npy --features 1,9", "column 9"},
        {base + "--train nan.npy --apply train.npy --features 1,2,3", "row 7"},
        {base + "--train empty.npy --apply train.npy", "empty.npy"},
        {base + "--train train.npy --apply train.npy --features 1,x", "--features"},
        {base + "--train train.npy --apply train.npy --hidden 8,0", "--hidden"},
        {base + "--train train.npy --apply train.npy --ensemble 0", "--ensemble"},
        {base + "--train train.npy --apply train.npy --latent -1", "--latent"},
        {"score --model vae --train train.npy --apply train.npy --out out.npy", "--model"},
        {"score --model ae --train train.npy --apply train.npy --out out.csv", "--out"},
        {"score --model ae --train train.npy --apply train.npy --out nofolder/out.npy", "nofolder"},
        {base + "--load-model corrupt.bin --apply train.npy", "corrupt.bin"},
        {base + "--apply train.npy", "--train"},
    };
    for (const auto& [args, needle] : cases) {
        CAPTURE(args);
        const auto r = run_tool(args, dir);
        CHECK(r.code == 2);
        CHECK(resanom_test::line_count(r.err) == 1);
        CHECK(resanom_test::contains(r.err, needle));
        CHECK(r.out.empty());
        CHECK_FALSE(std::filesystem::exists(dir.file("out.npy")));
    }
}

}  // namespace cli_test_score
