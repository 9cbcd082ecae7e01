// Tests of MlpClassifier (models/mlp/mlp_classifier.hpp): it learns XOR and two moons, keeps the
// best validation epoch, is deterministic with a seed (and independent of the thread count),
// round-trips through a model file, works inside Ensemble<> and out-of-fold prediction, and rejects
// bad input with clear errors.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "resanom/core/cross_validation.hpp"
#include "resanom/models/ensemble.hpp"
#include "resanom/models/mlp/mlp_classifier.hpp"
#include "resanom/stats/metrics.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_mlp_classifier {

using namespace resanom;

namespace {

TrainingSet xor_set(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Matrix X(n, 2);
    Vector y(n);
    for (Index i = 0; i < n; ++i) {
        X(i, 0) = uniform(rng, -1, 1);
        X(i, 1) = uniform(rng, -1, 1);
        y[i] = (X(i, 0) > 0) != (X(i, 1) > 0) ? 1.0 : 0.0;
    }
    return TrainingSet(X, y);
}

TrainingSet two_moons(Index n, double noise, std::uint64_t seed) {
    Rng rng(seed);
    Matrix X(n, 2);
    Vector y(n);
    for (Index i = 0; i < n; ++i) {
        const double t = uniform(rng, 0, std::numbers::pi);
        if (i % 2 == 0) {
            X(i, 0) = std::cos(t);
            X(i, 1) = std::sin(t);
            y[i] = 0.0;
        } else {
            X(i, 0) = 1.0 - std::cos(t);
            X(i, 1) = 0.5 - std::sin(t);
            y[i] = 1.0;
        }
        X(i, 0) += noise * normal(rng);
        X(i, 1) += noise * normal(rng);
    }
    return TrainingSet(X, y);
}

MlpParams small(int epochs = 30) {
    MlpParams p;
    p.hidden = {32, 32};
    p.epochs = epochs;
    p.batch_size = 64;
    p.adam.learning_rate = 3e-3;
    p.patience = 0;
    p.threads = 1;
    return p;
}

}  // namespace

TEST_CASE("learns XOR and two moons to high AUC") {
    {
        MlpClassifier c(small(40));
        const TrainingSet train = xor_set(2000, 1), test = xor_set(2000, 2);
        c.fit(train, 3);
        CHECK(auc(c.predict(test.X), test.y) > 0.97);
    }
    {
        MlpClassifier c(small(30));
        const TrainingSet train = two_moons(2000, 0.1, 4), test = two_moons(2000, 0.1, 5);
        c.fit(train, 6);
        CHECK(auc(c.predict(test.X), test.y) > 0.98);
        const Vector p = c.predict(test.X);
        CHECK((p.array() >= 0.0).all());
        CHECK((p.array() <= 1.0).all());
    }
}

TEST_CASE("early stopping keeps the epoch of lowest validation loss") {
    // Few events, a wide network and a high learning rate overfit quickly.
    MlpParams p = small(60);
    p.hidden = {128, 128};
    p.adam.learning_rate = 1e-2;
    p.patience = 8;
    const TrainingSet train = two_moons(200, 0.35, 7), val = two_moons(400, 0.35, 8);
    MlpClassifier c(p);
    int calls = 0;
    c.set_progress([&](const nn::EpochReport& r) {
        ++calls;
        CHECK(r.epoch == calls);
        CHECK(std::isfinite(r.val_loss));
    });
    c.fit(train, val, 9);
    const auto& h = c.history();
    CHECK(calls == h.epochs_run);
    REQUIRE(h.val_loss.size() == static_cast<std::size_t>(h.epochs_run));
    const auto best = std::min_element(h.val_loss.begin(), h.val_loss.end());
    CHECK(h.best_epoch == 1 + (best - h.val_loss.begin()));
    CHECK(h.best_val_loss == *best);
    CHECK(h.stopped_early);
    CHECK(h.epochs_run == h.best_epoch + p.patience);
    CHECK(h.best_epoch < h.epochs_run);
    // The network holds the best epoch's weights: its validation loss is the recorded minimum
    // (recomputed here through predict, in double, from the float network).
    const Vector prob = c.predict(val.X);
    const auto [s1, s0] = class_balance_factors(val);
    double num = 0, den = 0;
    for (Index i = 0; i < val.size(); ++i) {
        const double q = std::clamp(prob[i], 1e-12, 1 - 1e-12);
        num += val.w[i] * (-s1 * val.y[i] * std::log(q) - s0 * (1 - val.y[i]) * std::log(1 - q));
        den += val.w[i];
    }
    CHECK(num / den == doctest::Approx(h.best_val_loss).epsilon(1e-4));
    CHECK(h.val_loss.back() > h.best_val_loss);
}

TEST_CASE("deterministic with a seed, whatever the thread count; seeds matter") {
    const TrainingSet train = two_moons(1500, 0.2, 10);
    MlpParams p = small(5);
    p.dropout = 0.1;
    p.patience = 3;
    MlpClassifier a(p), b(p);
    a.fit(train, 11);
    b.fit(train, 11);
    CHECK(a.predict(train.X) == b.predict(train.X));
    p.threads = 2;
    MlpClassifier c(p);
    c.fit(train, 11);
    CHECK(c.predict(train.X) == a.predict(train.X));
    MlpClassifier d(small(5));
    d.fit(train, 12);
    MlpClassifier e(small(5));
    e.fit(train, 13);
    CHECK(d.predict(train.X) != e.predict(train.X));
}

TEST_CASE("save and load give the identical classifier; corrupt files raise io_error naming the file") {
    resanom_test::TempDir dir;
    MlpParams p = small(3);
    p.batch_norm = true;
    p.activation = Activation::elu;
    MlpClassifier c(p);
    const TrainingSet train = xor_set(500, 14);
    c.fit(train, 15);
    const std::string path = dir.file("m.bin");
    c.save(path);
    const MlpClassifier l = MlpClassifier::load(path);
    CHECK(l.predict(train.X) == c.predict(train.X));
    CHECK(l.network().specs() == c.network().specs());
    CHECK(l.history().best_epoch == c.history().best_epoch);

    std::string bytes = resanom_test::slurp(path);
    std::string bad = bytes;
    bad[bad.size() / 2] ^= 0x5a;
    resanom_test::write_bytes(dir.file("corrupt.bin"), bad);
    CHECK_THROWS_WITH_AS(MlpClassifier::load(dir.file("corrupt.bin")), doctest::Contains("corrupt.bin"), io_error);
    std::string other = bytes;
    other[8] = 99;  // format version
    resanom_test::write_bytes(dir.file("v99.bin"), other);
    CHECK_THROWS_WITH_AS(MlpClassifier::load(dir.file("v99.bin")), doctest::Contains("version"), io_error);
    resanom_test::write_bytes(dir.file("short.bin"), bytes.substr(0, bytes.size() - 20));
    CHECK_THROWS_WITH_AS(MlpClassifier::load(dir.file("short.bin")), doctest::Contains("short.bin"), io_error);
    CHECK_THROWS_AS(MlpClassifier::load(dir.file("missing.bin")), io_error);
}

TEST_CASE("works as Ensemble<MlpClassifier> and in out-of-fold prediction") {
    const TrainingSet train = two_moons(900, 0.15, 16);
    Ensemble<MlpClassifier> e(MlpClassifier(small(8)), 3, 2);
    e.fit(train, 17);
    CHECK(auc(e.predict(train.X), train.y) > 0.95);
    resanom_test::TempDir dir;
    e.save(dir.file("e.bin"));
    CHECK(Ensemble<MlpClassifier>::load(dir.file("e.bin")).predict(train.X) == e.predict(train.X));
    const auto folds = random_folds(train.size(), 3, 18);
    const auto [oof, extra] = out_of_fold_predict(MlpClassifier(small(8)), train, folds, 3, 19);
    CHECK(auc(oof, train.y) > 0.95);
}

TEST_CASE("bad input raises input_error with precise messages") {
    MlpClassifier c(small(1));
    CHECK_THROWS_WITH_AS(c.predict(Matrix::Zero(3, 2)), doctest::Contains("not fitted"), input_error);
    CHECK_THROWS_WITH_AS(MlpClassifier(MlpParams{.hidden = {64, 0}}), doctest::Contains("widths must be > 0"), input_error);
    MlpParams p = small(1);
    p.dropout = 1.0;
    CHECK_THROWS_WITH_AS(MlpClassifier{p}, doctest::Contains("dropout"), input_error);
    // One class only: balanced class factors are undefined.
    TrainingSet ones(Matrix::Random(20, 2), Vector::Ones(20));
    CHECK_THROWS_WITH_AS(c.fit(ones, 1), doctest::Contains("both classes"), input_error);
    const TrainingSet train = xor_set(100, 20);
    c.fit(train, 1);
    CHECK_THROWS_WITH_AS(c.predict(Matrix::Zero(3, 5)), doctest::Contains("X has 5 features"), input_error);
    Matrix nan = Matrix::Zero(3, 2);
    nan(1, 1) = std::nan("");
    CHECK_THROWS_WITH_AS(c.predict(nan), doctest::Contains("row 1, column 1"), input_error);
    TrainingSet val = xor_set(50, 21);
    val.X.conservativeResize(50, 3);
    CHECK_THROWS_WITH_AS(c.fit(train, val, 1), doctest::Contains("validation set"), input_error);
    TrainingSet bad_label = train;
    bad_label.y[4] = 1.5;
    CHECK_THROWS_WITH_AS(c.fit(bad_label, 1), doctest::Contains("label at row 4"), input_error);
}

}  // namespace unit_test_mlp_classifier
