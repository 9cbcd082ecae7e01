// Tests of `resanom classify --model mlp` (docs/cli.md): the JSON summary with exactly the
// contract's keys ("iterations" counts epochs), scores of every --apply row, the reported
// validation loss recomputed from the saved network's scores, determinism whatever --threads,
// save/load, and the bad-input contract for the MLP flags (exit code 2, one line on stderr,
// nothing written).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>

#include "resanom/core/random.hpp"
#include "resanom/io/npy.hpp"
#include "cli_support.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace cli_test_classify_mlp {

using resanom_test::last_json_line;

using namespace resanom;
using resanom_test::contains;
using resanom_test::run_tool;
using resanom_test::TempDir;

namespace {


// Columns: x0, x1, label (inside a circle), weight, x2 (noise).
Matrix table(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Matrix T(n, 5);
    for (Index i = 0; i < n; ++i) {
        T(i, 0) = uniform(rng, -1, 1);
        T(i, 1) = uniform(rng, -1, 1);
        T(i, 2) = T(i, 0) * T(i, 0) + T(i, 1) * T(i, 1) < 0.5 ? 1.0 : 0.0;
        T(i, 3) = uniform(rng, 0.5, 1.5);
        T(i, 4) = normal(rng);
    }
    return T;
}

const std::string kSmall = " --model mlp --hidden 16,16 --batch-size 64 --lr 3e-3 ";

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

TEST_CASE("classify --model mlp: JSON keys, epochs as iterations, scores, and the reported validation loss") {
    TempDir dir;
    io::write_npy(dir.file("train.npy"), table(1500, 1));
    const Matrix val = table(500, 2);
    io::write_npy(dir.file("val.npy"), val);
    auto r = run_tool("classify" + kSmall +
                          "--train train.npy --label-col 2 --weight-col 3 --features 0,1,4 --val val.npy "
                          "--apply val.npy --out s.npy --epochs 12 --early-stopping off --seed 5 --ensemble 2",
                      dir);
    REQUIRE(r.code == 0);
    CHECK(r.err.empty());
    const auto j = last_json_line(r.out);
    std::set<std::string> keys;
    for (const auto& [k, v] : j.items()) keys.insert(k);
    CHECK(keys == std::set<std::string>{"model", "ensemble", "train_seconds", "events", "features", "iterations",
                                        "val_loss"});
    CHECK(j["model"] == "mlp");
    CHECK(j["ensemble"] == 2);
    CHECK(j["events"] == 1500);
    CHECK(j["features"] == 3);
    CHECK(j["iterations"] == nlohmann::json::array({12, 12}));  // no early stopping: every epoch runs
    REQUIRE(j["val_loss"].size() == 2);

    const Matrix s = io::read_npy(dir.file("s.npy"));
    REQUIRE(s.rows() == 500);
    REQUIRE(s.cols() == 1);
    CHECK(s.minCoeff() >= 0.0);
    CHECK(s.maxCoeff() <= 1.0);
    double in = 0, out = 0, n_in = 0;
    for (Index i = 0; i < 500; ++i) {
        if (val(i, 2) == 1.0) in += s(i, 0), ++n_in;
        else out += s(i, 0);
    }
    CHECK(in / n_in > out / (500 - n_in) + 0.5);

    // One member: its "val_loss" is the class-balanced, weighted BCE of its own scores on --val
    // (the network keeps its best epoch), recomputed here from the scores.
    r = run_tool("classify" + kSmall +
                     "--train train.npy --label-col 2 --weight-col 3 --features 0,1,4 --val val.npy "
                     "--apply val.npy --out one.npy --epochs 8 --seed 6",
                 dir);
    REQUIRE(r.code == 0);
    const double reported = last_json_line(r.out)["val_loss"][0].get<double>();
    const Matrix p = io::read_npy(dir.file("one.npy"));
    double w1 = 0, w0 = 0;
    for (Index i = 0; i < 500; ++i) (val(i, 2) == 1.0 ? w1 : w0) += val(i, 3);
    const double s1 = 0.5 * (w1 + w0) / w1, s0 = 0.5 * (w1 + w0) / w0;
    double num = 0, den = 0;
    for (Index i = 0; i < 500; ++i) {
        const double q = std::clamp(p(i, 0), 1e-12, 1 - 1e-12), y = val(i, 2), w = val(i, 3);
        num += w * (-s1 * y * std::log(q) - s0 * (1 - y) * std::log(1 - q));
        den += w;
    }
    CHECK(num / den == doctest::Approx(reported).epsilon(1e-4));
}

TEST_CASE("classify --model mlp: same seed same bytes whatever --threads; save/load; --dropout and activations") {
    TempDir dir;
    io::write_npy(dir.file("train.npy"), table(1200, 3));
    io::write_npy(dir.file("apply.npy"), table(300, 4));
    const std::string base =
        "classify" + kSmall + "--train train.npy --label-col 2 --apply apply.npy --epochs 4 --dropout 0.1 --seed 9 ";
    REQUIRE(run_tool(base + "--out a.npy --threads 1 --save-model m.bin", dir).code == 0);
    REQUIRE(run_tool(base + "--out b.npy --threads 2", dir).code == 0);
    CHECK(resanom_test::slurp(dir.file("a.npy")) == resanom_test::slurp(dir.file("b.npy")));
    REQUIRE(run_tool("classify" + kSmall + "--train train.npy --label-col 2 --apply apply.npy --epochs 4 --dropout 0.1 "
                                           "--seed 10 --out c.npy",
                     dir)
                .code == 0);
    CHECK(resanom_test::slurp(dir.file("a.npy")) != resanom_test::slurp(dir.file("c.npy")));
    const auto r = run_tool("classify --model mlp --load-model m.bin --label-col 2 --apply apply.npy --out d.npy", dir);
    REQUIRE(r.code == 0);
    CHECK(resanom_test::slurp(dir.file("a.npy")) == resanom_test::slurp(dir.file("d.npy")));
    CHECK(last_json_line(r.out)["features"] == 4);
    for (const char* act : {"leaky_relu", "elu", "tanh", "sigmoid"}) {
        CAPTURE(act);
        CHECK(run_tool(std::string("classify --model mlp --hidden 8 --epochs 1 --train train.npy --label-col 2 ") +
                           "--apply apply.npy --out e.npy --activation " + act,
                       dir)
                  .code == 0);
    }
}

TEST_CASE("classify --model mlp: bad MLP flags exit 2 with one line naming the flag") {
    TempDir dir;
    io::write_npy(dir.file("train.npy"), table(200, 1));
    const std::string ok = "classify --model mlp --train train.npy --label-col 2 --apply train.npy --out bad.npy";
    check_bad(ok + " --hidden 64,0", "--hidden", dir);
    check_bad(ok + " --hidden 64,x", "--hidden", dir);
    check_bad(ok + " --activation swish", "--activation", dir);
    check_bad(ok + " --dropout 1", "--dropout", dir);
    check_bad(ok + " --epochs 0", "--epochs", dir);
    check_bad(ok + " --batch-size 0", "--batch-size", dir);
    check_bad(ok + " --lr -1", "--lr", dir);
    check_bad(ok + " --patience -2", "--patience", dir);
    Matrix t = table(200, 1);
    t.col(2).setZero();
    io::write_npy(dir.file("oneclass.npy"), t);
    check_bad("classify --model mlp --train oneclass.npy --label-col 2 --apply train.npy --out bad.npy", "both classes",
              dir);
    REQUIRE(run_tool("classify --train train.npy --label-col 2 --save-model hgb.bin", dir).code == 0);
    check_bad("classify --model mlp --load-model hgb.bin --apply train.npy --out bad.npy", "hgb.bin", dir);
}

}  // namespace cli_test_classify_mlp
