// Tests of `resanom density` (docs/cli.md): the JSON line with exactly the contract's
// keys, one sample per conditional value in --features order, one log-density per --logprob row,
// same bytes for the same seed, --save-model/--load-model, and the bad-input contract (exit code 2,
// one line on stderr, nothing written).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <string>

#include "resanom/core/random.hpp"
#include "resanom/io/npy.hpp"
#include "cli_support.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace cli_test_density {

using resanom_test::last_json_line;

using namespace resanom;
using resanom_test::run_tool;
using resanom_test::TempDir;

namespace {


// Columns: m ~ U(3, 4), a ~ N(5 + 2(m − 3.5), 0.3), b ~ N(−1, 0.1), label 0.
Matrix table(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Matrix T(n, 4);
    for (Index i = 0; i < n; ++i) {
        T(i, 0) = uniform(rng, 3.0, 4.0);
        T(i, 1) = 5.0 + 2.0 * (T(i, 0) - 3.5) + 0.3 * normal(rng);
        T(i, 2) = -1.0 + 0.1 * normal(rng);
        T(i, 3) = 0.0;
    }
    return T;
}

const std::string kFlags = "--blocks 2 --hidden 16 --epochs 6 --lr 3e-3 --batch-size 64 --threads 2";

}  // namespace

TEST_CASE("density: JSON keys as the contract, samples in --features order, log-densities, reproducible") {
    TempDir dir;
    io::write_npy(dir.file("train.npy"), table(3000, 1));
    Vector cond(4000);
    for (Index i = 0; i < 4000; ++i) cond[i] = i < 2000 ? 3.2 : 3.8;
    io::write_npy(dir.file("cond.npy"), cond);
    // events inside the training range of every feature (outside it the log-density is −inf)
    const Matrix train = table(3000, 1), fresh = table(1100, 2);
    Matrix events(1000, 4);
    Index kept = 0;
    for (Index i = 0; i < fresh.rows() && kept < 1000; ++i) {
        bool inside = true;
        for (Index j = 1; j <= 2; ++j)
            inside = inside && fresh(i, j) > train.col(j).minCoeff() && fresh(i, j) < train.col(j).maxCoeff();
        if (inside) events.row(kept++) = fresh.row(i);
    }
    REQUIRE(kept == 1000);
    io::write_npy(dir.file("events.npy"), events);
    const std::string cmd = "density --train train.npy --features 2,1 --cond-col 0 --sample-cond cond.npy "
                            "--logprob events.npy --seed 5 " + kFlags;
    auto r = run_tool(cmd + " --out s.npy --logprob-out lp.npy --save-model flow.bin", dir);
    REQUIRE(r.code == 0);
    CHECK(r.err.empty());
    const auto j = last_json_line(r.out);
    std::set<std::string> keys;
    for (const auto& [k, v] : j.items()) keys.insert(k);
    CHECK(keys == std::set<std::string>{"epochs", "epoch_seconds", "best_epoch", "best_val_nll", "train_seconds"});
    CHECK(j["epochs"] == 6);
    CHECK(j["best_epoch"].get<int>() >= 1);
    CHECK(j["best_epoch"].get<int>() <= 6);
    CHECK(std::isfinite(j["best_val_nll"].get<double>()));
    CHECK(j["train_seconds"].get<double>() > 0.0);
    CHECK(j["epoch_seconds"].get<double>() > 0.0);

    const Matrix s = io::read_npy(dir.file("s.npy"));
    REQUIRE(s.rows() == 4000);
    REQUIRE(s.cols() == 2);
    // column 0 is feature 2 (b ≈ −1), column 1 is feature 1 (a, whose mean follows m: 4.4 vs 5.6)
    CHECK(std::abs(s.col(0).mean() + 1.0) < 0.05);
    CHECK(std::abs(s.col(1).head(2000).mean() - 4.4) < 0.15);
    CHECK(std::abs(s.col(1).tail(2000).mean() - 5.6) < 0.15);
    const Matrix lp = io::read_npy(dir.file("lp.npy"));
    REQUIRE(lp.rows() == 1000);
    REQUIRE(lp.cols() == 1);
    CHECK(lp.allFinite());
    // in the units of the features: E[log N(b; −1, 0.1)] + E[log N(a; ·, 0.3)] = (1.3836 − ½) + (0.2850 − ½)
    // (the mean of 1000 events has a standard error of 0.03)
    CHECK(std::abs(lp.mean() - (1.3836 - 0.5 + 0.2850 - 0.5)) < 0.15);

    // same seed, same bytes
    r = run_tool(cmd + " --out s2.npy --logprob-out lp2.npy", dir);
    REQUIRE(r.code == 0);
    CHECK(resanom_test::slurp(dir.file("s.npy")) == resanom_test::slurp(dir.file("s2.npy")));
    CHECK(resanom_test::slurp(dir.file("lp.npy")) == resanom_test::slurp(dir.file("lp2.npy")));

    // a saved flow gives the same log-densities and samples
    r = run_tool("density --load-model flow.bin --features 2,1 --cond-col 0 --logprob events.npy --logprob-out lp3.npy "
                 "--sample-cond cond.npy --out s3.npy --seed 5",
                 dir);
    REQUIRE(r.code == 0);
    CHECK(resanom_test::slurp(dir.file("lp.npy")) == resanom_test::slurp(dir.file("lp3.npy")));
    CHECK(resanom_test::slurp(dir.file("s.npy")) == resanom_test::slurp(dir.file("s3.npy")));
    CHECK(last_json_line(r.out)["train_seconds"].get<double>() == 0.0);
}

TEST_CASE("density: bad input exits with 2, one line on stderr, nothing written") {
    TempDir dir;
    Matrix t = table(300, 3);
    io::write_npy(dir.file("train.npy"), t);
    t(7, 2) = std::numeric_limits<double>::quiet_NaN();
    io::write_npy(dir.file("nan.npy"), t);
    io::write_npy(dir.file("cond2.npy"), Matrix::Constant(10, 2, 3.5));
    const std::string small = " --blocks 1 --hidden 8 --epochs 1";
    const auto bad = [&](const std::string& args, const std::string& part) {
        const auto r = run_tool("density " + args, dir);
        CHECK(r.code == 2);
        CHECK(resanom_test::line_count(r.err) == 1);
        CHECK_MESSAGE(resanom_test::contains(r.err, part), r.err);
        CHECK(!std::filesystem::exists(dir.file("o.npy")));
    };
    bad("--train missing.npy --cond-col 0 --sample-cond cond2.npy --sample-cond-col 0 --out o.npy" + small, "missing.npy");
    bad("--train train.npy --cond-col 9 --sample-cond cond2.npy --sample-cond-col 0 --out o.npy" + small, "column 9");
    bad("--train nan.npy --cond-col 0 --sample-cond cond2.npy --sample-cond-col 0 --out o.npy" + small, "nan.npy");
    bad("--train train.npy --cond-col 0 --sample-cond cond2.npy --out o.npy" + small, "--sample-cond-col");
    bad("--train train.npy --cond-col 0 --sample-cond cond2.npy --sample-cond-col 0" + small, "--out");
    bad("--train train.npy --sample-cond cond2.npy --sample-cond-col 0 --out o.npy" + small, "--cond-col");
    bad("--train train.npy --cond-col 0 --batch-norm maybe --sample-cond cond2.npy --sample-cond-col 0 --out o.npy" + small,
        "--batch-norm");
    bad("--load-model nothing.bin --sample-cond cond2.npy --sample-cond-col 0 --out o.npy", "nothing.bin");
    bad("--train train.npy --cond-col 0 --patience -1 --sample-cond cond2.npy --sample-cond-col 0 --out o.npy" + small,
        "--patience");
    bad("--train train.npy --cond-col 0 --patience 3 --val-fraction 0 --sample-cond cond2.npy --sample-cond-col 0 --out o.npy" +
            small,
        "--val-fraction");
    bad("--train train.npy --cond-col 0 --min-delta -0.1 --sample-cond cond2.npy --sample-cond-col 0 --out o.npy" + small,
        "--min-delta");
}

}  // namespace cli_test_density
