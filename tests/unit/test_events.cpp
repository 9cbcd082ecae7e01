// Tests of resanom/core/events.hpp and training_set.hpp: invariants checked at construction,
// subsets, concatenation, shuffles, splits and folds.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "resanom/core/events.hpp"
#include "resanom/core/training_set.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_events {

using namespace resanom;

namespace {
Events small(Index n = 6) {
    Matrix X(n, 2), m(n, 1);
    Vector w(n), t(n);
    for (Index i = 0; i < n; ++i) {
        X(i, 0) = static_cast<double>(i);
        X(i, 1) = 10.0 * static_cast<double>(i);
        m(i, 0) = 3.0 + 0.1 * static_cast<double>(i);
        w[i] = 1.0 + static_cast<double>(i);
        t[i] = i % 2;
    }
    return Events(X, m, w, t, {"a", "b"}, {"mjj"});
}
}  // namespace

TEST_CASE("construction fills defaults and keeps what it was given") {
    Events e = small();
    CHECK(e.size() == 6);
    CHECK(e.n_features() == 2);
    CHECK(e.n_resonant() == 1);
    CHECK(e.feature_names() == std::vector<std::string>{"a", "b"});
    CHECK(e.m(0)[2] == doctest::Approx(3.2));
    CHECK(e.total_weight() == doctest::Approx(21.0));
    CHECK(e.has_truth());

    Events d(Matrix::Zero(3, 2), Matrix::Ones(3, 2));
    CHECK(d.w() == Vector::Ones(3));
    CHECK(d.feature_names() == std::vector<std::string>{"x0", "x1"});
    CHECK(d.resonant_names() == std::vector<std::string>{"m0", "m1"});
    CHECK_FALSE(d.has_truth());
    CHECK_THROWS_AS(d.truth(), input_error);
    CHECK_THROWS_AS(d.m(2), input_error);
}

TEST_CASE("construction rejects inconsistent or invalid samples with precise messages") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH_AS(Events(Matrix::Zero(3, 2), Matrix::Zero(4, 1)),
                         doctest::Contains("X has 3 rows but m has 4"), input_error);
    CHECK_THROWS_WITH_AS(Events(Matrix::Zero(3, 2), Matrix::Zero(3, 1), Vector::Ones(2)),
                         doctest::Contains("but w has 2"), input_error);
    Matrix X = Matrix::Zero(3, 2);
    X(2, 1) = nan;
    CHECK_THROWS_WITH_AS(Events(X, Matrix::Zero(3, 1)), doctest::Contains("row 2, column 1"),
                         input_error);
    Matrix m = Matrix::Zero(3, 1);
    m(1, 0) = inf;
    CHECK_THROWS_WITH_AS(Events(Matrix::Zero(3, 2), m), doctest::Contains("resonant features m"),
                         input_error);
    Vector w = Vector::Ones(3);
    w[1] = -0.5;
    CHECK_THROWS_WITH_AS(Events(Matrix::Zero(3, 2), Matrix::Zero(3, 1), w),
                         doctest::Contains("weight at row 1"), input_error);
    w[1] = nan;
    CHECK_THROWS_AS(Events(Matrix::Zero(3, 2), Matrix::Zero(3, 1), w), input_error);
    Vector t(3);
    t << 0, 1.5, 1;
    CHECK_THROWS_WITH_AS(Events(Matrix::Zero(3, 2), Matrix::Zero(3, 1), Vector(), t),
                         doctest::Contains("label at row 1"), input_error);
    CHECK_THROWS_AS(Events(Matrix::Zero(3, 2), Matrix::Zero(3, 1), Vector(), std::nullopt, {"only"}),
                    input_error);
}

TEST_CASE("subset by rows and by mask") {
    Events e = small();
    IndexList rows{4, 1, 1};
    Events s = e.subset(rows);
    REQUIRE(s.size() == 3);
    CHECK(s.X()(0, 0) == 4.0);
    CHECK(s.X()(1, 1) == 10.0);
    CHECK(s.X()(2, 0) == 1.0);
    CHECK(s.m(0)[0] == doctest::Approx(3.4));
    CHECK(s.w()[0] == 5.0);
    CHECK(s.truth()[1] == 1.0);
    CHECK(s.feature_names() == e.feature_names());
    CHECK_THROWS_WITH_AS(e.subset(IndexList{0, 6}), doctest::Contains("row 6"), input_error);

    std::vector<bool> mask{true, false, false, true, false, true};
    Events t = e.subset_mask(mask);
    REQUIRE(t.size() == 3);
    Vector expected(3);
    expected << 0.0, 3.0, 5.0;
    CHECK(t.X().col(0) == expected);
    CHECK(e.subset(IndexList{}).size() == 0);
    // A braced list means rows, never a mask.
    CHECK(e.subset({0, 2}).size() == 2);
    CHECK(e.subset({0, 2}).X()(1, 0) == 2.0);
}

TEST_CASE("concat joins rows in order and keeps truth only when all parts have it") {
    Events a = small(3), b = small(2);
    Events c = concat(a, b);
    REQUIRE(c.size() == 5);
    CHECK(c.X()(3, 0) == 0.0);
    CHECK(c.X()(2, 0) == 2.0);
    CHECK(c.w()[4] == 2.0);
    CHECK(c.has_truth());
    Events d = concat(a, b.without_truth());
    CHECK_FALSE(d.has_truth());
    Events other(Matrix::Zero(2, 3), Matrix::Zero(2, 1));
    CHECK_THROWS_WITH_AS(concat(a, other), doctest::Contains("differ in their columns"), input_error);
}

TEST_CASE("with_weights checks its weights") {
    Events e = small(3);
    CHECK(e.with_weights(Vector::Constant(3, 2.0)).total_weight() == 6.0);
    CHECK_THROWS_AS(e.with_weights(Vector::Constant(2, 1.0)), input_error);
    CHECK_THROWS_AS(e.with_weights(Vector::Constant(3, -1.0)), input_error);
}

TEST_CASE("shuffled is a seeded permutation of the rows") {
    Events e = small(50);
    Rng r1(3), r2(3), r3(4);
    Events a = e.shuffled(r1), b = e.shuffled(r2), c = e.shuffled(r3);
    CHECK(a.X() == b.X());
    CHECK(a.X() != c.X());
    std::vector<double> v(a.X().col(0).data(), a.X().col(0).data() + 50);
    std::sort(v.begin(), v.end());
    for (int i = 0; i < 50; ++i) CHECK(v[static_cast<std::size_t>(i)] == i);
    // Rows stay whole: feature b is 10× feature a, and m and w follow.
    for (Index i = 0; i < 50; ++i) {
        CHECK(a.X()(i, 1) == 10.0 * a.X()(i, 0));
        CHECK(a.w()[i] == 1.0 + a.X()(i, 0));
    }
}

TEST_CASE("train_validation_split partitions the rows with the requested fraction") {
    Rng rng(5);
    Split s = train_validation_split(1000, 0.2, rng);
    CHECK(s.validation.size() == 200);
    CHECK(s.train.size() == 800);
    std::set<Index> all(s.train.begin(), s.train.end());
    all.insert(s.validation.begin(), s.validation.end());
    CHECK(all.size() == 1000);
    Rng again(5);
    CHECK(train_validation_split(1000, 0.2, again).validation == s.validation);
    Rng rng2(5);
    CHECK_THROWS_AS(train_validation_split(10, 1.0, rng2), input_error);
}

TEST_CASE("kfold partitions into balanced folds, complement gives the rest") {
    Rng rng(6);
    auto folds = kfold(23, 5, rng);
    REQUIRE(folds.size() == 5);
    std::set<Index> all;
    for (auto& f : folds) {
        CHECK((f.size() == 4 || f.size() == 5));
        CHECK(std::is_sorted(f.begin(), f.end()));
        all.insert(f.begin(), f.end());
    }
    CHECK(all.size() == 23);
    const IndexList rest = complement(23, folds[0]);
    CHECK(rest.size() + folds[0].size() == 23);
    for (Index r : rest) CHECK_FALSE(std::binary_search(folds[0].begin(), folds[0].end(), r));
    Rng rng2(6);
    CHECK_THROWS_WITH_AS(kfold(3, 5, rng2), doctest::Contains("too few"), input_error);
}

TEST_CASE("events_from_table selects columns by index") {
    Matrix table(3, 4);
    table << 3.4, 0.1, 0.2, 1, 3.5, 0.3, 0.4, 0, 3.6, 0.5, 0.6, 1;
    Events e = events_from_table(table, {1, 2}, {0}, Index{3}, std::nullopt, {"mjj", "a", "b", "label"});
    CHECK(e.X()(1, 1) == 0.4);
    CHECK(e.m(0)[2] == 3.6);
    CHECK(e.truth()[1] == 0.0);
    CHECK(e.feature_names() == std::vector<std::string>{"a", "b"});
    CHECK(e.resonant_names() == std::vector<std::string>{"mjj"});
    CHECK_THROWS_WITH_AS(events_from_table(table, {1, 7}, {0}), doctest::Contains("feature column 7"),
                         input_error);
}

TEST_CASE("TrainingSet validates, subsets, concatenates, and gives class-balance factors") {
    Matrix X(4, 1);
    X << 1, 2, 3, 4;
    Vector y(4), w(4);
    y << 1, 0, 0.25, 0;
    w << 1, 1, 2, 4;
    TrainingSet t(X, y, w);
    const auto [w1, w0] = t.class_weights();
    CHECK(w1 == doctest::Approx(1.5));
    CHECK(w0 == doctest::Approx(6.5));
    const auto f = class_balance_factors(t);
    CHECK(f.s1 * w1 == doctest::Approx(4.0));
    CHECK(f.s0 * w0 == doctest::Approx(4.0));
    TrainingSet u = concat(t, t.subset(IndexList{0}));
    CHECK(u.size() == 5);
    CHECK(u.X(4, 0) == 1.0);
    Vector bad = y;
    bad[2] = -0.1;
    CHECK_THROWS_WITH_AS(TrainingSet(X, bad, w), doctest::Contains("label at row 2"), input_error);
    CHECK_THROWS_AS(TrainingSet(X, y, Vector::Ones(3)), input_error);
    CHECK_THROWS_AS(class_balance_factors(TrainingSet(X, Vector::Zero(4))), input_error);
    TrainingSet lab = labelled(small(3), 1.0, 0.5);
    CHECK(lab.y == Vector::Ones(3));
    CHECK(lab.w[2] == doctest::Approx(1.5));
}

}  // namespace unit_test_events
