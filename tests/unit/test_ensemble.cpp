// Tests of Ensemble<C> (models/ensemble.hpp): it is itself a (Validating)Classifier, member k is
// seeded with derive_seed(seed, k), it averages member probabilities, Hgb members differ by their
// random train/validation splits, and results do not depend on the thread count.
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "resanom/core/concepts.hpp"
#include "resanom/core/random.hpp"
#include "resanom/models/ensemble.hpp"
#include "resanom/models/hgb/hgb.hpp"
#include "resanom/stats/metrics.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_ensemble {

using namespace resanom;

namespace {

// A minimal Classifier: predicts a constant derived from its seed and the training size.
struct SeedEcho {
    double value = 0.0;
    void fit(const TrainingSet& t, std::uint64_t seed) {
        value = static_cast<double>(seed % 1000) / 1000.0 + static_cast<double>(t.size()) * 0.0;
    }
    Vector predict(const Matrix& X) const { return Vector::Constant(X.rows(), value); }
};

TrainingSet xor_set(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Matrix X(n, 2);
    Vector y(n);
    for (Index i = 0; i < n; ++i) {
        X(i, 0) = uniform(rng, -1, 1);
        X(i, 1) = uniform(rng, -1, 1);
        const double p = X(i, 0) * X(i, 1) > 0 ? 0.8 : 0.2;  // noisy labels
        y[i] = uniform01(rng) < p ? 1.0 : 0.0;
    }
    return TrainingSet(X, y);
}

}  // namespace

static_assert(Classifier<Ensemble<SeedEcho>>);
static_assert(!ValidatingClassifier<Ensemble<SeedEcho>>);
static_assert(ValidatingClassifier<Ensemble<Hgb>>);
static_assert(Classifier<Ensemble<Ensemble<Hgb>>>);

TEST_CASE("generic: member k gets derive_seed(seed, k); the ensemble averages member outputs") {
    const TrainingSet t = xor_set(50, 1);
    Ensemble<SeedEcho> e(SeedEcho{}, 5, 2);
    e.fit(t, 77);
    REQUIRE(e.members().size() == 5);
    double mean = 0.0;
    for (std::size_t k = 0; k < 5; ++k) {
        const double expect = static_cast<double>(derive_seed(77, k) % 1000) / 1000.0;
        CHECK(e.members()[k].value == expect);
        mean += expect / 5.0;
    }
    CHECK(e.predict(t.X)[0] == doctest::Approx(mean).epsilon(1e-15));
    CHECK_THROWS_AS(Ensemble<SeedEcho>(SeedEcho{}, 0), input_error);
    CHECK_THROWS_AS((void)Ensemble<SeedEcho>(SeedEcho{}, 2).predict(t.X), input_error);
}

TEST_CASE("Hgb members differ by their random validation splits; the ensemble is their mean") {
    const TrainingSet t = xor_set(4000, 2), te = xor_set(4000, 3);
    HgbParams p;
    Ensemble<Hgb> e(Hgb(p), 4);
    e.fit(t, 5);
    std::set<double> losses;
    Vector mean = Vector::Zero(te.size());
    for (const Hgb& m : e.members()) {
        losses.insert(m.validation_loss());
        mean += m.predict(te.X) / 4.0;
    }
    CHECK(losses.size() == 4);  // four different splits
    CHECK((e.predict(te.X) - mean).cwiseAbs().maxCoeff() < 1e-15);
    // the ensemble is at least about as good as its typical member
    double member_auc = 0.0;
    for (const Hgb& m : e.members()) member_auc += auc(m.predict(te.X), te.y) / 4.0;
    CHECK(auc(e.predict(te.X), te.y) > member_auc - 0.005);
    CHECK(auc(e.predict(te.X), te.y) > 0.75);
}

TEST_CASE("ensemble results do not depend on the thread count; the seed matters") {
    const TrainingSet t = xor_set(3000, 4), te = xor_set(1000, 5);
    HgbParams p;
    p.max_iter = 40;
    Ensemble<Hgb> one(Hgb(p), 3, 1), two(Hgb(p), 3, 2);
    one.fit(t, 11);
    two.fit(t, 11);
    CHECK((one.predict(te.X).array() == two.predict(te.X).array()).all());
    Ensemble<Hgb> other(Hgb(p), 3, 2);
    other.fit(t, 12);
    CHECK((one.predict(te.X).array() != other.predict(te.X).array()).any());
}

namespace {
// Records the training and validation sets it was given (their sizes and the sums of column 0).
struct SplitRecorder {
    Index n_train = 0, n_val = 0;
    double sum_train = 0.0, sum_val = 0.0;
    void fit(const TrainingSet& t, std::uint64_t) { n_train = t.size(), sum_train = t.X.col(0).sum(); }
    void fit(const TrainingSet& t, const TrainingSet& v, std::uint64_t s) {
        fit(t, s);
        n_val = v.size();
        sum_val = v.X.col(0).sum();
    }
    Vector predict(const Matrix& X) const { return Vector::Zero(X.rows()); }
};
}  // namespace

TEST_CASE("an explicit validation set: each member splits train ∪ val anew (Das et al. 2024), or uses it as given") {
    const TrainingSet t = xor_set(2000, 6), v = xor_set(500, 7);
    const double total = t.X.col(0).sum() + v.X.col(0).sum();
    // Randomized (the default): every member sees all 2500 events, 500 of them for validation,
    // and no two members the same validation set.
    Ensemble<SplitRecorder> r(SplitRecorder{}, 4);
    r.fit(t, v, 3);
    std::set<double> val_sums;
    for (const auto& m : r.members()) {
        CHECK(m.n_train == 2000);
        CHECK(m.n_val == 500);
        CHECK(m.sum_train + m.sum_val == doctest::Approx(total).epsilon(1e-12));
        val_sums.insert(m.sum_val);
    }
    CHECK(val_sums.size() == 4);
    // As given: every member on the given split.
    Ensemble<SplitRecorder> g(SplitRecorder{}, 3, 0, ValidationSplits::as_given);
    g.fit(t, v, 3);
    for (const auto& m : g.members()) {
        CHECK(m.sum_train == t.X.col(0).sum());
        CHECK(m.sum_val == v.X.col(0).sum());
    }
    // Hgb is deterministic given its split: members differ with randomized splits, not as given.
    Ensemble<Hgb> hr(Hgb{}, 2), hg(Hgb{}, 2, 0, ValidationSplits::as_given);
    hr.fit(t, v, 0);
    hg.fit(t, v, 0);
    const Matrix probe = xor_set(200, 8).X;
    CHECK(hr.members()[0].predict(probe) != hr.members()[1].predict(probe));
    CHECK(hg.members()[0].predict(probe) == hg.members()[1].predict(probe));
    // Same seed, same members.
    Ensemble<Hgb> hr2(Hgb{}, 2);
    hr2.fit(t, v, 0);
    CHECK(hr2.predict(probe) == hr.predict(probe));
    TrainingSet bad = t;
    bad.y[3] = 7.0;
    CHECK_THROWS_WITH_AS(hr.fit(bad, 0), doctest::Contains("label at row 3 is 7"), input_error);
}

}  // namespace unit_test_ensemble
