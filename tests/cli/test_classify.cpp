// Tests of `resanom classify --model hgb` (docs/cli.md): scores and the JSON summary,
// soft labels and weights, explicit validation sets, ensembles, save/load, determinism, and the
// bad-input contract (exit code 2, one line on stderr, nothing written).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <string>

#include "resanom/core/random.hpp"
#include "resanom/io/npy.hpp"
#include "resanom/io/table.hpp"
#include "cli_support.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace cli_test_classify {

using resanom_test::last_json_line;

using namespace resanom;
using resanom_test::contains;
using resanom_test::run_tool;
using resanom_test::TempDir;

namespace {


// Columns: x0, x1, label (circle), weight, x2 (noise).
Matrix table(Index n, std::uint64_t seed, double soft = 0.0) {
    Rng rng(seed);
    Matrix T(n, 5);
    for (Index i = 0; i < n; ++i) {
        T(i, 0) = uniform(rng, -1, 1);
        T(i, 1) = uniform(rng, -1, 1);
        const bool in = T(i, 0) * T(i, 0) + T(i, 1) * T(i, 1) < 0.5;
        T(i, 2) = in ? 1.0 - soft : soft;
        T(i, 3) = uniform(rng, 0.5, 1.5);
        T(i, 4) = normal(rng);
    }
    return T;
}

const std::set<std::string> summary_keys{"model", "ensemble", "train_seconds", "events", "features", "iterations",
                                         "val_loss"};

std::set<std::string> keys(const nlohmann::json& j) {
    std::set<std::string> k;
    for (auto it = j.begin(); it != j.end(); ++it) k.insert(it.key());
    return k;
}

// Bad input: exit code 2, exactly one line on stderr containing `part`, no --out file.
void check_bad(const std::string& args, const std::string& part, const TempDir& dir) {
    CAPTURE(args);
    const auto r = run_tool(args, dir);
    CHECK(r.code == 2);
    CHECK(resanom_test::line_count(r.err) == 1);
    CHECK(contains(r.err, part));
    CHECK(r.out.empty());
    CHECK(!std::filesystem::exists(dir.file("bad.npy")));
}

}  // namespace

TEST_CASE("classify --model hgb: scores every --apply row, JSON summary with exactly the documented keys") {
    TempDir dir;
    io::write_npy(dir.file("train.npy"), table(3000, 1));
    io::write_npy(dir.file("apply.npy"), table(1000, 2));
    const auto r = run_tool("classify --model hgb --train train.npy --label-col 2 --weight-col 3 --apply apply.npy "
                            "--out s.npy --seed 4 --ensemble 2",
                            dir);
    REQUIRE(r.code == 0);
    CHECK(r.err.empty());
    const auto j = last_json_line(r.out);
    CHECK(keys(j) == summary_keys);
    CHECK(j["model"] == "hgb");
    CHECK(j["ensemble"] == 2);
    CHECK(j["events"] == 3000);
    CHECK(j["features"] == 3);  // every column except label and weight
    CHECK(j["iterations"].size() == 2);
    CHECK(j["val_loss"].size() == 2);
    CHECK(j["val_loss"][0].get<double>() > 0.0);
    CHECK(j["iterations"][0].get<int>() >= 1);
    CHECK(j["train_seconds"].get<double>() >= 0.0);

    const Matrix s = io::read_npy(dir.file("s.npy"));
    REQUIRE(s.rows() == 1000);
    REQUIRE(s.cols() == 1);
    CHECK(s.minCoeff() >= 0.0);
    CHECK(s.maxCoeff() <= 1.0);
    // the scores separate the circle
    const Matrix a = table(1000, 2);
    double in = 0, out = 0, n_in = 0;
    for (Index i = 0; i < 1000; ++i) {
        if (a(i, 2) == 1.0) in += s(i, 0), ++n_in;
        else out += s(i, 0);
    }
    CHECK(in / n_in > out / (1000 - n_in) + 0.5);
    // 1-D float64 on disk
    CHECK(contains(resanom_test::slurp(dir.file("s.npy")), "'descr': '<f8', 'fortran_order': False, 'shape': (1000,)"));
}

TEST_CASE("same inputs and seed give the same bytes; --threads does not matter; save/load reproduces scores") {
    TempDir dir;
    io::write_npy(dir.file("train.npy"), table(2000, 3));
    io::write_npy(dir.file("apply.npy"), table(500, 4));
    const std::string base = "classify --train train.npy --label-col 2 --features 0,1,4 --apply apply.npy --seed 9 ";
    REQUIRE(run_tool(base + "--out a.npy --threads 1 --save-model m.bin", dir).code == 0);
    REQUIRE(run_tool(base + "--out b.npy --threads 2", dir).code == 0);
    CHECK(resanom_test::slurp(dir.file("a.npy")) == resanom_test::slurp(dir.file("b.npy")));
    REQUIRE(run_tool(std::string("classify --train train.npy --label-col 2 --features 0,1,4 --apply apply.npy ") +
                         "--seed 10 --out c.npy",
                     dir)
                .code == 0);
    CHECK(resanom_test::slurp(dir.file("a.npy")) != resanom_test::slurp(dir.file("c.npy")));

    const auto r = run_tool("classify --load-model m.bin --apply apply.npy --features 0,1,4 --out d.npy", dir);
    REQUIRE(r.code == 0);
    CHECK(resanom_test::slurp(dir.file("a.npy")) == resanom_test::slurp(dir.file("d.npy")));
    const auto j = last_json_line(r.out);
    CHECK(keys(j) == summary_keys);
    CHECK(j["features"] == 3);
}

TEST_CASE("explicit --val, --early-stopping off, soft labels, CSV input, HGB flags") {
    TempDir dir;
    io::write_table(dir.file("train.csv"), io::Table{table(1500, 5, 0.2), {"x0", "x1", "y", "w", "x2"}});
    io::write_npy(dir.file("val.npy"), table(500, 6, 0.2));
    io::write_npy(dir.file("apply.npy"), table(200, 7));

    auto r = run_tool("classify --train train.csv --label-col 2 --val val.npy --apply apply.npy --out s.npy "
                      "--early-stopping off --max-iter 17 --learning-rate 0.2 --max-leaf-nodes 8 --max-bins 64 "
                      "--min-samples-leaf 5 --l2 1 --class-weight none",
                      dir);
    REQUIRE(r.code == 0);
    auto j = last_json_line(r.out);
    CHECK(j["iterations"] == nlohmann::json::array({17}));
    CHECK(j["val_loss"][0].is_number());

    // without a validation set and without early stopping there is no validation loss
    r = run_tool("classify --train train.csv --label-col 2 --apply apply.npy --out t.npy --early-stopping off "
                 "--max-iter 5",
                 dir);
    REQUIRE(r.code == 0);
    j = last_json_line(r.out);
    CHECK(j["iterations"] == nlohmann::json::array({5}));
    CHECK(j["val_loss"] == nlohmann::json::array({nullptr}));

    // --patience and --val-fraction are accepted
    r = run_tool("classify --train train.csv --label-col 2 --apply apply.npy --out u.npy --patience 3 "
                 "--val-fraction 0.3",
                 dir);
    CHECK(r.code == 0);
}

TEST_CASE("--progress counts trained members (or trees) on stderr; stdout keeps the JSON line") {
    TempDir dir;
    io::write_npy(dir.file("train.npy"), table(1000, 8));
    auto r = run_tool("classify --train train.npy --label-col 2 --save-model m.bin --ensemble 3 --progress", dir);
    REQUIRE(r.code == 0);
    CHECK(contains(r.err, "3/3 members trained"));
    CHECK(last_json_line(r.out)["ensemble"] == 3);
    r = run_tool("classify --train train.npy --label-col 2 --save-model m.bin --early-stopping off --max-iter 7 "
                 "--progress",
                 dir);
    REQUIRE(r.code == 0);
    CHECK(contains(r.err, "7/7 trees"));
}

TEST_CASE("--help lists the HGB and MLP flags") {
    TempDir dir;
    const auto h = run_tool("classify --help", dir);
    CHECK(h.code == 0);
    for (const char* flag : {"--model", "--train", "--label-col", "--weight-col", "--features", "--val", "--val-fraction",
                             "--apply", "--out", "--ensemble", "--seed", "--class-weight", "--max-iter",
                             "--learning-rate", "--max-leaf-nodes", "--max-bins", "--min-samples-leaf", "--l2",
                             "--early-stopping", "--patience", "--hidden", "--activation", "--epochs", "--batch-size",
                             "--lr", "--dropout", "--save-model", "--load-model", "--threads"})
        CHECK_MESSAGE(contains(h.out, flag), flag);
}

TEST_CASE("bad input: exit code 2, one line on stderr naming the problem, nothing written") {
    TempDir dir;
    io::write_npy(dir.file("train.npy"), table(400, 1));
    const std::string ok = "classify --train train.npy --label-col 2 --apply train.npy --out bad.npy";

    Matrix t = table(400, 1);
    t(17, 2) = 1.5;
    io::write_npy(dir.file("label15.npy"), t);
    check_bad("classify --train label15.npy --label-col 2 --apply train.npy --out bad.npy",
              "label15.npy: row 17, column 2: label 1.500000 outside [0,1]", dir);
    t = table(400, 1);
    t(5, 3) = -2.0;
    io::write_npy(dir.file("negw.npy"), t);
    check_bad("classify --train negw.npy --label-col 2 --weight-col 3 --apply train.npy --out bad.npy",
              "negw.npy: row 5, column 3: weight -2.000000 is negative or not finite", dir);
    t = table(400, 1);
    t(6, 3) = std::numeric_limits<double>::infinity();
    io::write_npy(dir.file("infw.npy"), t);
    check_bad("classify --train infw.npy --label-col 2 --weight-col 3 --apply train.npy --out bad.npy",
              "infw.npy: row 6, column 3", dir);
    t = table(400, 1);
    t(9, 2) = std::numeric_limits<double>::quiet_NaN();
    io::write_npy(dir.file("nan.npy"), t);
    check_bad("classify --train nan.npy --label-col 2 --apply train.npy --out bad.npy", "nan.npy: row 9, column 2", dir);
    t = table(400, 1);
    t.col(2).setOnes();
    io::write_npy(dir.file("oneclass.npy"), t);
    check_bad("classify --train oneclass.npy --label-col 2 --apply train.npy --out bad.npy",
              "class_weight balanced needs both classes", dir);
    io::write_npy(dir.file("empty.npy"), Matrix(0, 5));
    check_bad("classify --train empty.npy --label-col 2 --apply train.npy --out bad.npy", "empty.npy: the file has no events",
              dir);

    check_bad("classify --train missing.npy --label-col 2 --apply train.npy --out bad.npy", "missing.npy", dir);
    check_bad("classify --train train.npy --label-col 9 --apply train.npy --out bad.npy",
              "train.npy: --label-col 9 is out of range: the file has 5 columns", dir);
    check_bad("classify --train train.npy --label-col 2 --features 0,7 --apply train.npy --out bad.npy",
              "--features column 7 is out of range", dir);
    check_bad("classify --train train.npy --label-col 2 --features 0,2 --apply train.npy --out bad.npy",
              "--features: column 2 is the label or weight column", dir);
    check_bad("classify --train train.npy --apply train.npy --out bad.npy", "--label-col is required", dir);
    check_bad("classify --label-col 2 --apply train.npy --out bad.npy", "either --train or --load-model is required", dir);
    check_bad(ok + " --load-model m.bin", "--train and --load-model exclude each other", dir);
    check_bad("classify --train train.npy --label-col 2 --apply train.npy", "--apply needs --out", dir);
    check_bad(ok + " --val-fraction 1.5", "--val-fraction must lie in (0, 1)", dir);
    check_bad(ok + " --ensemble 0", "--ensemble must be >= 1", dir);
    check_bad(ok + " --class-weight maybe", "--class-weight: 'maybe' is neither balanced nor none", dir);
    check_bad(ok + " --early-stopping sometimes", "--early-stopping: 'sometimes' is neither on nor off", dir);
    check_bad(ok + " --max-bins 300", "max_bins must lie in [2, 255], got 300", dir);
    check_bad(ok + " --model forest", "--model: unknown model 'forest'", dir);
    check_bad("classify --train train.npy --label-col 2 --apply train.npy --out nowhere/bad.npy", "--out nowhere/bad.npy",
              dir);
    check_bad("classify --train train.npy --label-col 2 --apply train.npy --out bad.csv", "scores are written as .npy",
              dir);

    // model files
    resanom_test::write_bytes(dir.file("junk.bin"), "definitely not a model");
    check_bad("classify --load-model junk.bin --apply train.npy --out bad.npy",
              "junk.bin: not a resanom model file (bad magic bytes)", dir);
    REQUIRE(run_tool("classify --train train.npy --label-col 2 --features 0,1 --save-model m.bin", dir).code == 0);
    check_bad("classify --load-model m.bin --apply train.npy --features 0,1,4 --out bad.npy",
              "--features: 3 feature columns, but the model m.bin was trained on 2", dir);
    // The model file records the columns it was trained on: others of the same count are refused,
    // and without --features the recorded ones are used.
    check_bad("classify --load-model m.bin --apply train.npy --features 1,0 --out bad.npy",
              "--features: the model m.bin was trained on columns 0,1, not 1,0", dir);
    REQUIRE(run_tool("classify --load-model m.bin --apply train.npy --out same.npy", dir).code == 0);
    REQUIRE(run_tool("classify --load-model m.bin --apply train.npy --features 0,1 --out given.npy", dir).code == 0);
    CHECK(resanom_test::slurp(dir.file("same.npy")) == resanom_test::slurp(dir.file("given.npy")));
    std::string bytes = resanom_test::slurp(dir.file("m.bin"));
    bytes[bytes.size() - 30] = static_cast<char>(bytes[bytes.size() - 30] ^ 1);
    resanom_test::write_bytes(dir.file("flip.bin"), bytes);
    check_bad("classify --load-model flip.bin --apply train.npy --features 0,1 --out bad.npy",
              "flip.bin: corrupt model file (checksum mismatch)", dir);
}

}  // namespace cli_test_classify
