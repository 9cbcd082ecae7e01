// Tests of saving and loading trained models (models/serialization.hpp): Hgb and Ensemble<Hgb>
// round trips give bit-identical predictions; files that are not models, of another format
// version, of another kind, truncated or corrupted raise io_error naming the file.
#include <doctest/doctest.h>

#include <cstring>
#include <limits>
#include <string>

#include "resanom/core/random.hpp"
#include "resanom/models/ensemble.hpp"
#include "resanom/models/hgb/hgb.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_hgb_serialization {

using namespace resanom;
using resanom_test::contains;
using resanom_test::TempDir;

namespace {

TrainingSet circle(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Matrix X(n, 3);
    Vector y(n);
    for (Index i = 0; i < n; ++i) {
        for (Index j = 0; j < 3; ++j) X(i, j) = uniform(rng, -1, 1);
        y[i] = X(i, 0) * X(i, 0) + X(i, 1) * X(i, 1) < 0.5 ? 1.0 : 0.0;
    }
    return TrainingSet(X, y);
}

std::string load_error(const std::string& path) {
    try {
        (void)Hgb::load(path);
    } catch (const io_error& e) {
        CHECK(e.path() == path);
        return e.what();
    }
    return "<no io_error>";
}

}  // namespace

TEST_CASE("save/load round trip: identical predictions, including missing values") {
    TempDir dir;
    const TrainingSet t = circle(3000, 1);
    Hgb m;
    m.fit(t, 3);
    m.save(dir.file("m.hgb"));
    const Hgb back = Hgb::load(dir.file("m.hgb"));
    Matrix X = circle(500, 2).X;
    X(0, 1) = std::numeric_limits<double>::quiet_NaN();
    CHECK((m.predict(X).array() == back.predict(X).array()).all());
    CHECK(back.n_iterations() == m.n_iterations());
    CHECK(back.validation_loss() == m.validation_loss());
    CHECK(back.params().max_leaf_nodes == 31);
    CHECK(model_kind(dir.file("m.hgb")) == "hgb");
    // saving is deterministic: same model, same bytes
    back.save(dir.file("again.hgb"));
    CHECK(resanom_test::slurp(dir.file("m.hgb")) == resanom_test::slurp(dir.file("again.hgb")));
}

TEST_CASE("ensemble save/load round trip; a single model loads as an ensemble of one") {
    TempDir dir;
    const TrainingSet t = circle(2000, 4);
    HgbParams p;
    p.max_iter = 30;
    Ensemble<Hgb> e(Hgb(p), 3);
    e.fit(t, 9);
    e.save(dir.file("e.bin"));
    CHECK(model_kind(dir.file("e.bin")) == "ensemble/hgb");
    const auto back = Ensemble<Hgb>::load(dir.file("e.bin"));
    CHECK(back.size() == 3);
    // thread counts are not saved; load hands its own to the members
    CHECK(back.members()[2].params().threads == 0);
    CHECK(Ensemble<Hgb>::load(dir.file("e.bin"), 1).members()[2].params().threads == 1);
    const Matrix X = circle(400, 5).X;
    CHECK((e.predict(X).array() == back.predict(X).array()).all());

    e.members()[1].save(dir.file("one.hgb"));
    const auto single = Ensemble<Hgb>::load(dir.file("one.hgb"));
    CHECK(single.size() == 1);
    CHECK((single.predict(X).array() == e.members()[1].predict(X).array()).all());
    // an ensemble file is not a single model
    CHECK(contains(load_error(dir.file("e.bin")), "holds a model of kind 'ensemble/hgb', expected 'hgb'"));
}

TEST_CASE("a model file records the input columns it was trained on; version-1 files still load") {
    TempDir dir;
    Hgb m;
    m.fit(circle(1000, 8), 0);
    const ModelColumns cols{{1, 2}, {"mj_min", "delta_m"}};
    m.save(dir.file("c.hgb"), cols);
    CHECK(model_columns(dir.file("c.hgb")) == cols);
    CHECK(cols.describe() == "1,2 (mj_min, delta_m)");
    const Matrix X = circle(100, 9).X;
    CHECK((Hgb::load(dir.file("c.hgb")).predict(X).array() == m.predict(X).array()).all());
    // Without names; without columns.
    m.save(dir.file("i.hgb"), ModelColumns{{3, 4}, {}});
    CHECK(model_columns(dir.file("i.hgb")).index == std::vector<std::int64_t>{3, 4});
    CHECK(model_columns(dir.file("i.hgb")).name.empty());
    m.save(dir.file("n.hgb"));
    CHECK(model_columns(dir.file("n.hgb")).empty());
    // A version-1 file (no columns block) is the version-2 one without it: it loads, columns unknown.
    const std::string v2 = resanom_test::slurp(dir.file("n.hgb"));
    std::string v1 = v2.substr(0, 16 + 3) + v2.substr(16 + 3 + 4);   // magic, version, kind "hgb", then drop n = 0
    const std::uint32_t one = 1;
    std::memcpy(v1.data() + 8, &one, 4);
    resanom_test::write_bytes(dir.file("v1.hgb"), v1);
    CHECK(model_columns(dir.file("v1.hgb")).empty());
    CHECK((Hgb::load(dir.file("v1.hgb")).predict(X).array() == m.predict(X).array()).all());
    // Names must come one per column.
    CHECK_THROWS_AS(m.save(dir.file("bad.hgb"), ModelColumns{{1, 2}, {"a"}}), input_error);
}

TEST_CASE("bad model files raise io_error naming the file") {
    TempDir dir;
    Hgb m;
    m.fit(circle(1000, 6), 0);
    const std::string good = dir.file("m.hgb");
    m.save(good);
    const std::string bytes = resanom_test::slurp(good);

    const std::string missing = dir.file("nope.hgb");
    CHECK(contains(load_error(missing), missing));

    resanom_test::write_bytes(dir.file("text.hgb"), "hello, I am not a model");
    CHECK(contains(load_error(dir.file("text.hgb")), "not a resanom model file (bad magic bytes)"));
    resanom_test::write_bytes(dir.file("empty.hgb"), "");
    CHECK(contains(load_error(dir.file("empty.hgb")), "not a resanom model file"));

    std::string other = bytes;
    const std::uint32_t v = model_format_version + 1;
    std::memcpy(other.data() + 8, &v, 4);
    resanom_test::write_bytes(dir.file("v4.hgb"), other);
    CHECK(contains(load_error(dir.file("v4.hgb")), "model file format version 4, but this resanom reads versions 1 to 3"));
    // a version-2 file of a kind whose payload did not change still reads
    std::string v2 = bytes;
    const std::uint32_t two = 2;
    std::memcpy(v2.data() + 8, &two, 4);
    resanom_test::write_bytes(dir.file("v2.hgb"), v2);
    CHECK_NOTHROW((void)Hgb::load(dir.file("v2.hgb")));

    resanom_test::write_bytes(dir.file("cut.hgb"), bytes.substr(0, bytes.size() - 20));
    CHECK(contains(load_error(dir.file("cut.hgb")), "corrupt model file"));

    std::string flipped = bytes;
    flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 0x10);
    resanom_test::write_bytes(dir.file("flip.hgb"), flipped);
    CHECK(contains(load_error(dir.file("flip.hgb")), "corrupt model file (checksum mismatch)"));

    CHECK(contains(load_error(dir.file("flip.hgb")), dir.file("flip.hgb") + ": "));

    // saving an untrained model, or into a missing folder
    CHECK_THROWS_AS(Hgb().save(dir.file("x.hgb")), input_error);
    CHECK_THROWS_AS(m.save(dir.file("no/such/folder/x.hgb")), io_error);
}

}  // namespace unit_test_hgb_serialization
