// Tests of the histogram gradient-boosted trees (models/hgb): the loss derivatives, a hand-checked
// single tree, binning, learning XOR and a circle, soft labels and weights as the loss says,
// missing values, early stopping, determinism and bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/random.hpp"
#include "resanom/models/hgb/hgb.hpp"
#include "resanom/stats/metrics.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_hgb {

using namespace resanom;
using resanom_test::contains;

namespace {

HgbParams exact_params() {
    HgbParams p;
    p.early_stopping = false;
    p.class_weight = ClassWeight::none;
    p.min_samples_leaf = 1;
    return p;
}

// n events, 2 features uniform in [-1, 1]; label from `rule`.
template <class Rule>
TrainingSet make_2d(Index n, std::uint64_t seed, Rule rule) {
    Rng rng(seed);
    Matrix X(n, 2);
    Vector y(n);
    for (Index i = 0; i < n; ++i) {
        X(i, 0) = uniform(rng, -1, 1);
        X(i, 1) = uniform(rng, -1, 1);
        y[i] = rule(X(i, 0), X(i, 1)) ? 1.0 : 0.0;
    }
    return TrainingSet(X, y);
}

// Integer-valued features (few distinct values, so binning is exact) and random soft labels.
TrainingSet make_discrete(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Matrix X(n, 3);
    Vector y(n);
    for (Index i = 0; i < n; ++i) {
        for (Index j = 0; j < 3; ++j) X(i, j) = static_cast<double>(uniform_index(rng, 10));
        const double s = 0.3 * X(i, 0) - 0.2 * X(i, 1) + 0.5 * uniform(rng, -1, 1);
        y[i] = std::clamp(0.5 + 0.1 * s, 0.05, 0.95);
    }
    return TrainingSet(X, y);
}

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const input_error& e) {
        return e.what();
    }
    return "<no input_error>";
}

}  // namespace

static_assert(ValidatingClassifier<Hgb>);

TEST_CASE("gradient and hessian of the soft-label weighted log-loss match finite differences") {
    for (double c : {0.3, 1.0, 2.5})
        for (double t : {0.0, 0.2, 0.5, 1.0})
            for (double F : {-4.0, -0.7, 0.0, 1.3, 5.0}) {
                const double eps = 1e-5;
                const auto gh = hgb::event_grad_hess(c, t, F);
                const double lp = hgb::event_loss(c, t, F + eps), lm = hgb::event_loss(c, t, F - eps);
                const double l0 = hgb::event_loss(c, t, F);
                CHECK(gh.g == doctest::Approx((lp - lm) / (2 * eps)).epsilon(1e-6));
                CHECK(gh.h == doctest::Approx((lp - 2 * l0 + lm) / (eps * eps)).epsilon(1e-4));
            }
    // The loss of a soft label is the mix of the two hard-label losses.
    CHECK(hgb::event_loss(1.0, 0.3, 0.8) ==
          doctest::Approx(0.3 * hgb::event_loss(1.0, 1.0, 0.8) + 0.7 * hgb::event_loss(1.0, 0.0, 0.8)));
    // Stable far out.
    CHECK(std::isfinite(hgb::event_loss(1.0, 0.0, 800.0)));
    CHECK(hgb::event_loss(1.0, 1.0, 800.0) == doctest::Approx(0.0));
}

TEST_CASE("a single tree on a tiny dataset gives the hand-computed split and leaf values") {
    // x0 separates the classes between 3 and 4; x1 is a weaker feature.
    Matrix X(6, 2);
    X << 1, 1, 2, 0, 3, 1, 4, 0, 5, 1, 6, 0;
    const Vector y = (Vector(6) << 0, 0, 0, 1, 1, 1).finished();
    HgbParams p = exact_params();
    p.max_iter = 1;
    p.max_leaf_nodes = 2;
    p.learning_rate = 1.0;
    Hgb m(p);
    m.fit(TrainingSet(X, y), 0);
    // Baseline log(3/3) = 0, so p = 1/2: g = p − y = ∓1/2, h = 1/4. Best split x0 ≤ 3.5 (midpoint):
    // gain = 1.5²/0.75 + 1.5²/0.75 = 6 against 0.25²… for x1; leaf values −G/H = ∓2.
    CHECK(m.baseline() == 0.0);
    REQUIRE(m.n_iterations() == 1);
    const auto& nodes = m.trees()[0].nodes;
    REQUIRE(nodes.size() == 3);
    CHECK(nodes[0].feature == 0);
    CHECK(nodes[0].threshold == 3.5);
    CHECK(nodes[1].is_leaf());
    CHECK(nodes[2].is_leaf());
    CHECK(nodes[1].value == doctest::Approx(-2.0));
    CHECK(nodes[2].value == doctest::Approx(2.0));
    const Vector s = m.decision_function(X);
    CHECK(s[2] == doctest::Approx(-2.0));
    CHECK(s[3] == doctest::Approx(2.0));

    // With λ = 1.5: leaf value −G/(H + λ) = ∓1.5/2.25 and learning rate 0.5 halves it.
    p.l2_regularization = 1.5;
    p.learning_rate = 0.5;
    Hgb r(p);
    r.fit(TrainingSet(X, y), 0);
    CHECK(r.trees()[0].nodes[1].value == doctest::Approx(-0.5 * 1.5 / 2.25));
    CHECK(r.trees()[0].nodes[2].value == doctest::Approx(0.5 * 1.5 / 2.25));

    // min_samples_leaf = 4 forbids every split of 6 events: a single leaf.
    p.min_samples_leaf = 4;
    Hgb s4(p);
    s4.fit(TrainingSet(X, y), 0);
    CHECK(s4.trees()[0].nodes.size() == 1);
}

TEST_CASE("weighted baseline and hand-checked split with weights") {
    // Weights 3 on the label-1 events: baseline log(3·3 / 3) = log 3.
    Matrix X(6, 1);
    X << 1, 2, 3, 4, 5, 6;
    const Vector y = (Vector(6) << 0, 0, 0, 1, 1, 1).finished();
    const Vector w = (Vector(6) << 1, 1, 1, 3, 3, 3).finished();
    HgbParams p = exact_params();
    p.max_iter = 1;
    p.max_leaf_nodes = 2;
    p.learning_rate = 1.0;
    Hgb m(p);
    m.fit(TrainingSet(X, y, w), 0);
    CHECK(m.baseline() == doctest::Approx(std::log(3.0)));
    // p = 3/4: label-0 events g = 3/4, h = 3/16; label-1 events g = 3·(−1/4), h = 3·3/16.
    const auto& n = m.trees()[0].nodes;
    REQUIRE(n.size() == 3);
    CHECK(n[0].threshold == 3.5);
    CHECK(n[1].value == doctest::Approx(-(3 * 0.75) / (3 * 3.0 / 16)));
    CHECK(n[2].value == doctest::Approx(-(3 * -0.75) / (3 * 9.0 / 16)));
    // Balanced class weights make both classes weigh the same: baseline 0.
    p.class_weight = ClassWeight::balanced;
    Hgb b(p);
    b.fit(TrainingSet(X, y, w), 0);
    CHECK(b.baseline() == doctest::Approx(0.0).epsilon(1e-12));
}

TEST_CASE("binning: exact bins for few distinct values, ≤ max_bins quantile bins, a missing bin") {
    Matrix X(7, 2);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    X << 1, 0.5, 1, 0.1, 2, nan, 5, 0.3, 5, 0.2, 7, 0.9, nan, 0.7;
    hgb::BinMapper m;
    m.fit(X, 255, 1000, 0);
    CHECK(m.thresholds(0) == std::vector<double>{1.5, 3.5, 6.0});
    CHECK(m.n_bins(0) == 4);
    const auto B = m.transform(X);
    CHECK(B(0, 0) == 0);
    CHECK(B(2, 0) == 1);
    CHECK(B(3, 0) == 2);
    CHECK(B(5, 0) == 3);
    CHECK(B(6, 0) == hgb::missing_bin);
    CHECK(B(2, 1) == hgb::missing_bin);
    // bin ≤ b ⇔ x ≤ thresholds[b] on values never seen in fitting
    for (double x : {-3.0, 1.5, 1.6, 3.5, 6.0, 6.1, 100.0}) {
        const auto b = m.bin(0, x);
        for (std::size_t k = 0; k < m.thresholds(0).size(); ++k) CHECK((b <= k) == (x <= m.thresholds(0)[k]));
    }

    Rng rng(3);
    Matrix Y(20000, 1);
    for (Index i = 0; i < Y.rows(); ++i) Y(i, 0) = normal(rng);
    for (int max_bins : {2, 16, 255}) {
        hgb::BinMapper q;
        q.fit(Y, max_bins, 200000, 0);
        CHECK(q.n_bins(0) == max_bins);
        // quantile bins hold about equal counts
        const auto BY = q.transform(Y);
        std::vector<int> count(static_cast<std::size_t>(max_bins), 0);
        for (Index i = 0; i < Y.rows(); ++i) ++count[BY(i, 0)];
        for (int c : count) CHECK(std::abs(c - 20000.0 / max_bins) <= 2 + 0.02 * 20000.0 / max_bins);
    }
    // a subsample decides the thresholds of large inputs
    hgb::BinMapper s;
    s.fit(Y, 255, 1000, 0);
    CHECK(s.n_bins(0) <= 255);
    CHECK(s.n_bins(0) >= 200);
}

TEST_CASE("learns XOR and a circle (AUC > 0.95 on fresh events)") {
    auto xr = [](double a, double b) { return a * b > 0; };
    auto circle = [](double a, double b) { return a * a + b * b < 0.5; };
    {
        const TrainingSet tr = make_2d(4000, 1, xr), te = make_2d(4000, 2, xr);
        Hgb m;
        m.fit(tr, 0);
        CHECK(auc(m.predict(te.X), te.y) > 0.95);
    }
    {
        const TrainingSet tr = make_2d(4000, 3, circle), te = make_2d(4000, 4, circle);
        Hgb m;
        m.fit(tr, 0);
        CHECK(auc(m.predict(te.X), te.y) > 0.95);
    }
}

TEST_CASE("duplicating an event equals giving it weight 2") {
    const TrainingSet base = make_discrete(300, 5);
    TrainingSet dup;
    dup.X.resize(301, 3);
    dup.X << base.X, base.X.row(17);
    dup.y.resize(301);
    dup.y << base.y, base.y[17];
    dup.w = Vector::Ones(301);
    TrainingSet heavy = base;
    heavy.w[17] = 2.0;
    for (auto cw : {ClassWeight::none, ClassWeight::balanced}) {
        HgbParams p = exact_params();
        p.class_weight = cw;
        p.max_iter = 20;
        Hgb a(p), b(p);
        a.fit(dup, 0);
        b.fit(heavy, 0);
        const Vector pa = a.decision_function(base.X), pb = b.decision_function(base.X);
        CHECK((pa - pb).cwiseAbs().maxCoeff() < 1e-9);
        // …and differs from the unweighted fit.
        Hgb c(p);
        c.fit(base, 0);
        CHECK((c.decision_function(base.X) - pa).cwiseAbs().maxCoeff() > 1e-6);
    }
}

TEST_CASE("a soft label y equals a label-1 copy of weight y plus a label-0 copy of weight 1 − y") {
    const TrainingSet soft = make_discrete(250, 6);
    const Index n = soft.size();
    TrainingSet hard;
    hard.X.resize(2 * n, 3);
    hard.X << soft.X, soft.X;
    hard.y.resize(2 * n);
    hard.y << Vector::Ones(n), Vector::Zero(n);
    hard.w.resize(2 * n);
    hard.w << soft.y, (1.0 - soft.y.array()).matrix();
    HgbParams p = exact_params();
    p.max_iter = 15;
    Hgb a(p), b(p);
    a.fit(soft, 0);
    b.fit(hard, 0);
    CHECK((a.decision_function(soft.X) - b.decision_function(soft.X)).cwiseAbs().maxCoeff() < 1e-9);

    // Constant soft labels 0.8 and no information in x: the model predicts 0.8 (the baseline).
    TrainingSet c = soft;
    c.y.setConstant(0.8);
    Hgb m(p);
    m.fit(c, 0);
    CHECK(m.baseline() == doctest::Approx(std::log(0.8 / 0.2)));
    CHECK((m.predict(c.X).array() - 0.8).abs().maxCoeff() < 1e-9);
}

TEST_CASE("missing values get their own bin and a learned direction") {
    Rng rng(9);
    const Index n = 6000;
    Matrix X(n, 2);
    Vector y(n);
    for (Index i = 0; i < n; ++i) {
        y[i] = static_cast<double>(i % 2);
        X(i, 0) = uniform(rng, 0, 1);
        X(i, 1) = uniform(rng, 0, 1);
        // half of the label-1 events miss feature 0; otherwise no information
        if (y[i] == 1.0 && uniform01(rng) < 0.5) X(i, 0) = std::numeric_limits<double>::quiet_NaN();
    }
    TrainingSet t;
    t.X = X;
    t.y = y;
    t.w = Vector::Ones(n);
    Hgb m;
    m.fit(t, 0);
    Matrix probe(2, 2);
    probe << std::numeric_limits<double>::quiet_NaN(), 0.5, 0.5, 0.5;
    const Vector p = m.predict(probe);
    CHECK(p[0] > 0.8);  // only label-1 events miss x0
    CHECK(p[1] < 0.5);
}

TEST_CASE("a split can send the missing values alone to one side") {
    // x0 ∈ {0, 1} says nothing; only missing x0 marks label 1. No threshold between 0 and 1
    // separates the classes: the best split is "non-missing left, missing right".
    const double nan = std::numeric_limits<double>::quiet_NaN();
    Matrix X(6, 1);
    X << 0, 1, 0, 1, nan, nan;
    const Vector y = (Vector(6) << 0, 0, 0, 0, 1, 1).finished();
    HgbParams p = exact_params();
    p.max_iter = 1;
    p.max_leaf_nodes = 2;
    p.learning_rate = 1.0;
    TrainingSet t;  // fields set directly: the TrainingSet constructor refuses NaN features
    t.X = X;
    t.y = y;
    t.w = Vector::Ones(6);
    Hgb m(p);
    m.fit(t, 0);
    // Baseline log(2/4): p = 1/3, g = 1/3 (label 0) and −2/3 (label 1), h = 2/9. Left (4 events):
    // G = 4/3, H = 8/9, value −1.5; right (2 missing): G = −4/3, H = 4/9, value 3.
    CHECK(m.baseline() == doctest::Approx(std::log(0.5)));
    const auto& n = m.trees()[0].nodes;
    REQUIRE(n.size() == 3);
    CHECK(n[0].feature == 0);
    CHECK(n[0].threshold == std::numeric_limits<double>::infinity());
    CHECK(n[0].missing_left == 0);
    CHECK(n[1].value == doctest::Approx(-1.5));
    CHECK(n[2].value == doctest::Approx(3.0));
    Matrix probe(3, 1);
    probe << 0.0, 1e300, nan;
    const Vector s = m.decision_function(probe);
    CHECK(s[0] == doctest::Approx(std::log(0.5) - 1.5));
    CHECK(s[1] == doctest::Approx(std::log(0.5) - 1.5));
    CHECK(s[2] == doctest::Approx(std::log(0.5) + 3.0));
}

TEST_CASE("tree shape limits: max_leaf_nodes, max_depth, min_samples_leaf") {
    const TrainingSet t = make_2d(5000, 7, [](double a, double b) { return std::sin(6 * a) * b > 0; });
    HgbParams p;
    p.early_stopping = false;
    p.max_iter = 5;
    p.max_leaf_nodes = 7;
    Hgb a(p);
    a.fit(t, 0);
    for (const auto& tr : a.trees()) CHECK(tr.n_leaves() == 7);

    p.max_leaf_nodes = 31;
    p.max_depth = 2;
    Hgb b(p);
    b.fit(t, 0);
    for (const auto& tr : b.trees()) {
        CHECK(tr.n_leaves() <= 4);
        // depth of every node ≤ 2
        std::vector<int> depth(tr.nodes.size(), 0);
        for (std::size_t k = 0; k < tr.nodes.size(); ++k)
            if (!tr.nodes[k].is_leaf()) {
                depth[static_cast<std::size_t>(tr.nodes[k].left)] = depth[k] + 1;
                depth[static_cast<std::size_t>(tr.nodes[k].left) + 1] = depth[k] + 1;
            }
        CHECK(*std::max_element(depth.begin(), depth.end()) <= 2);
    }

    p.max_depth = 0;
    p.min_samples_leaf = 300;
    Hgb c(p);
    c.fit(t, 0);
    for (const auto& tr : c.trees()) {
        std::vector<Index> count(tr.nodes.size(), 0);
        for (Index i = 0; i < t.size(); ++i) {
            std::int32_t k = 0;
            while (!tr.nodes[static_cast<std::size_t>(k)].is_leaf()) {
                const auto& nd = tr.nodes[static_cast<std::size_t>(k)];
                k = nd.left + (t.X(i, nd.feature) <= nd.threshold ? 0 : 1);
            }
            ++count[static_cast<std::size_t>(k)];
        }
        for (std::size_t k = 0; k < tr.nodes.size(); ++k)
            if (tr.nodes[k].is_leaf()) CHECK(count[k] >= 300);
    }
}

TEST_CASE("early stopping stops on noise and keeps the best iteration") {
    // Labels independent of the features: the validation loss soon stops improving.
    Rng rng(11);
    const Index n = 3000;
    Matrix X(n, 3);
    Vector y(n);
    for (Index i = 0; i < n; ++i) {
        for (Index j = 0; j < 3; ++j) X(i, j) = normal(rng);
        y[i] = uniform01(rng) < 0.5 ? 1.0 : 0.0;
    }
    const TrainingSet t(X, y);
    HgbParams p;
    Hgb m(p);
    m.fit(t, 0);
    const auto& h = m.validation_loss_history();
    const auto kept = static_cast<std::size_t>(m.n_iterations());
    CHECK(kept < 50);
    // the history ran exactly `patience` trees past the best one, and the kept one is the best
    CHECK(h.size() == kept + static_cast<std::size_t>(p.patience) + 1);
    CHECK(*std::min_element(h.begin(), h.end()) == doctest::Approx(h[kept]).epsilon(1e-12));
    CHECK(m.validation_loss() == h[kept]);

    // The kept trees reproduce the recorded validation loss: incremental = from scratch.
    Rng r(derive_seed(0, 0));
    const auto split = train_validation_split(n, p.validation_fraction, r);
    const TrainingSet val = t.subset(split.validation);
    const Vector raw = m.decision_function(val.X);
    double loss = 0.0;
    const ClassFactors f = class_balance_factors(t.subset(split.train));
    double norm = 0.0;
    for (Index i = 0; i < val.size(); ++i) {
        const double c = val.y[i] > 0.5 ? f.s1 : f.s0;
        loss += hgb::event_loss(c, val.y[i], raw[i]);
        norm += c;
    }
    CHECK(loss / norm == doctest::Approx(m.validation_loss()).epsilon(1e-10));

    // Without early stopping every iteration is kept.
    p.early_stopping = false;
    p.max_iter = 30;
    Hgb all(p);
    all.fit(t, 0);
    CHECK(all.n_iterations() == 30);
    CHECK(all.validation_loss_history().empty());

    // With an explicit validation set and a learnable problem, training runs longer.
    const auto circle = [](double a, double b) { return a * a + b * b < 0.5; };
    p.early_stopping = true;
    p.max_iter = 200;
    Hgb e(p);
    e.fit(make_2d(3000, 12, circle), make_2d(1000, 13, circle), 0);
    CHECK(e.n_iterations() > 20);
    CHECK(e.validation_loss_history().size() ==
          static_cast<std::size_t>(std::min<Index>(e.n_iterations() + p.patience, 200)) + 1);
}

TEST_CASE("deterministic for a seed, whatever the thread count; the seed changes the split") {
    const TrainingSet t = make_2d(40000, 21, [](double a, double b) { return a * b > 0.1; });
    const TrainingSet te = make_2d(5000, 22, [](double a, double b) { return a * b > 0.1; });
    HgbParams p;
    p.max_iter = 30;
    p.threads = 1;
    Hgb a(p), b(p);
    a.fit(t, 42);
    b.fit(t, 42);
    p.threads = 2;
    Hgb c(p);
    c.fit(t, 42);
    const Vector pa = a.predict(te.X);
    CHECK((pa.array() == b.predict(te.X).array()).all());
    CHECK((pa.array() == c.predict(te.X).array()).all());
    Hgb d(p);
    d.fit(t, 43);
    CHECK((pa.array() != d.predict(te.X).array()).any());
}

TEST_CASE("bad input raises input_error with a precise message") {
    const TrainingSet good = make_2d(200, 1, [](double a, double) { return a > 0; });
    Hgb m;
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();

    TrainingSet t = good;
    t.y[5] = nan;
    CHECK(contains(message_of([&] { m.fit(t, 0); }), "Hgb::fit: training set: label at row 5 is nan"));
    t = good;
    t.y[7] = 1.5;
    CHECK(contains(message_of([&] { m.fit(t, 0); }), "label at row 7 is 1.5"));
    t = good;
    t.y[8] = -0.1;
    CHECK(contains(message_of([&] { m.fit(t, 0); }), "labels must lie in [0,1]"));
    t = good;
    t.w[3] = -1.0;
    CHECK(contains(message_of([&] { m.fit(t, 0); }), "Hgb::fit: training set: weight at row 3 is -1"));
    t = good;
    t.w[4] = inf;
    CHECK(contains(message_of([&] { m.fit(t, 0); }), "weight at row 4 is inf"));
    t = good;
    t.w[4] = nan;
    CHECK(contains(message_of([&] { m.fit(t, 0); }), "weights must be finite and >= 0"));
    CHECK(contains(message_of([&] { m.fit(TrainingSet{}, 0); }), "Hgb::fit: training set is empty"));
    t = good;
    t.w.setZero();
    CHECK(contains(message_of([&] { m.fit(t, 0); }), "the weights sum to zero"));
    t = good;
    t.y.setOnes();
    CHECK(contains(message_of([&] { m.fit(t, 0); }),
                   "class_weight balanced needs both classes in the training set, but the total weight of "
                   "label 1 is 200 and of label 0 is 0"));
    // One-class data is allowed without class weighting.
    HgbParams none;
    none.class_weight = ClassWeight::none;
    Hgb ok(none);
    ok.fit(t, 0);
    CHECK(ok.predict(good.X).minCoeff() > 0.99);

    t = good;
    t.y.resize(10);
    CHECK(contains(message_of([&] { m.fit(t, 0); }), "200 events but 10 labels"));
    TrainingSet v = good.subset(IndexList{1, 2, 3});
    v.y[1] = 2.0;
    CHECK(contains(message_of([&] { m.fit(good, v, 0); }), "Hgb::fit: validation set: label at row 1 is 2"));
    CHECK(contains(message_of([&] { m.fit(good.subset(IndexList{0, 1}), 0); }), "too few to split off"));

    CHECK(contains(message_of([&] { (void)m.predict(good.X); }), "Hgb::predict: the model is not trained"));
    m.fit(good, 0);
    CHECK(contains(message_of([&] { (void)m.predict(Matrix::Zero(3, 5)); }),
                   "Hgb::predict: 5 features, but the model was trained on 2"));

    HgbParams bad;
    bad.max_bins = 256;
    CHECK(contains(message_of([&] { Hgb x(bad); }), "HgbParams: max_bins must lie in [2, 255], got 256"));
    bad = {};
    bad.learning_rate = 0;
    CHECK(contains(message_of([&] { Hgb x(bad); }), "learning_rate must be > 0"));
    bad = {};
    bad.max_leaf_nodes = 1;
    CHECK(contains(message_of([&] { Hgb x(bad); }), "max_leaf_nodes must be >= 2, got 1"));
}

TEST_CASE("binning: thresholds of a large sample equal those of std::sort order statistics") {
    Rng rng(4);
    Matrix X(50000, 1);
    for (Index i = 0; i < X.rows(); ++i) X(i, 0) = i % 3 == 0 ? -normal(rng) * 1e-300 : normal(rng) * 1e5;
    X(7, 0) = -0.0;
    X(8, 0) = 0.0;
    hgb::BinMapper m;
    m.fit(X, 255, 1000000, 0);
    std::vector<double> v(X.data(), X.data() + X.rows());
    std::sort(v.begin(), v.end());
    const auto& t = m.thresholds(0);
    REQUIRE(t.size() == 254);
    for (std::size_t k = 0; k < t.size(); ++k) {
        const auto i = static_cast<std::size_t>(static_cast<double>(v.size()) * static_cast<double>(k + 1) / 255);
        CHECK(t[k] == v[i - 1] + 0.5 * (v[i] - v[i - 1]));
    }
}

}  // namespace unit_test_hgb
