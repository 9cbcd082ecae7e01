// Numerical edge cases, each against a value known by hand: features at the
// ends of the double range (1e±300, denormals), constant features, all-equal scores, a class of a
// single event, spectra with empty bins, and the messages that name such values. Edge cases with
// a home elsewhere: ties in the metrics (test_metrics.cpp), fits that cannot converge and empty
// sidebands (test_dijet_fit.cpp), duplicated events (test_hgb.cpp: duplicating equals weight 2),
// flows fed points outside their range (test_flow_model.cpp: the three out-of-range policies).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "resanom/core/preprocess.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/training_set.hpp"
#include "resanom/models/hgb/hgb.hpp"
#include "resanom/models/mlp/mlp_classifier.hpp"
#include "resanom/stats/dijet_fit.hpp"
#include "resanom/stats/histogram.hpp"
#include "resanom/stats/metrics.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_edge_cases {

using namespace resanom;

namespace {
/// n rows alternating +a and −a in one column: mean 0, standard deviation |a| exactly.
Matrix alternating(Index n, double a) {
    Matrix X(n, 1);
    for (Index i = 0; i < n; ++i) X(i, 0) = i % 2 == 0 ? a : -a;
    return X;
}
}  // namespace

TEST_CASE("Standardizer at the ends of the double range: 1e300, the largest double, denormals") {
    for (double a : {1e300, std::numeric_limits<double>::max(), 1e-300, 3e-310, 4.9e-324}) {
        CAPTURE(a);
        Standardizer s;
        s.fit(alternating(1000, a));
        CHECK(s.mean()[0] == 0.0);
        // Denormals carry fewer digits; 4.9e-324 is the smallest one: σ is exact there too.
        CHECK(s.scale()[0] == doctest::Approx(a).epsilon(1e-12));
        const Matrix Z = s.transform(alternating(4, a));
        CHECK(std::abs(Z(0, 0)) == doctest::Approx(1.0).epsilon(1e-12));
        CHECK(Z.allFinite());
    }
    // Shifted far from zero: mean 1e300, spread 1e290.
    Matrix X = alternating(1000, 1e290).array() + 1e300;
    Standardizer s;
    s.fit(X);
    CHECK(s.mean()[0] == doctest::Approx(1e300).epsilon(1e-12));
    CHECK(s.scale()[0] == doctest::Approx(1e290).epsilon(1e-6));
    // A constant denormal column is constant (scale 1), not a spread of 0 / 0.
    s.fit(Matrix::Constant(10, 1, 4.9e-324));
    CHECK(s.scale()[0] == 1.0);
}

TEST_CASE("LogitScaler: messages print extreme values in short form") {
    LogitScaler l;
    CHECK_THROWS_WITH_AS(l.fit(Matrix::Constant(5, 1, 1e300)),
                         "LogitScaler::fit: feature 0 is constant (1e+300); a logit transform needs a range", input_error);
    Matrix X(2, 1);
    X << -std::numeric_limits<double>::max(), std::numeric_limits<double>::max();
    CHECK_THROWS_WITH_AS(l.fit(X), doctest::Contains("beyond the double range"), input_error);
    X << 0.0, 1e-300;   // a range of denormal width is still a range
    l.fit(X);
    CHECK(l.transform(X).allFinite());
}

TEST_CASE("metrics: all-equal scores give AUC 1/2, a two-point ROC, and a cut that passes everything") {
    const Vector s = Vector::Constant(100, 0.3);
    Vector y = Vector::Zero(100);
    y.head(10).setOnes();
    const RocCurve roc = roc_curve(s, y);
    CHECK(auc(roc) == 0.5);
    CHECK(roc.eps_b.size() == 2);   // (0, 0) and (1, 1): one threshold takes every event at once
    // The tightest cut passing at least 1 % of the background passes all of it.
    CHECK(pass_fraction(s, Vector::Ones(100), threshold_at_eps_b(s, Vector::Ones(100), 0.01)) == 1.0);
    // Scores at the ends of the double range order like any others.
    Vector e(4), t(4);
    e << -std::numeric_limits<double>::max(), 4.9e-324, 1e-300, std::numeric_limits<double>::max();
    t << 0, 0, 1, 1;
    CHECK(auc(e, t) == 1.0);
}

TEST_CASE("HGB: constant features, features at 1e300 and denormal scales, a one-event class") {
    const Index n = 400;
    Rng rng(3);
    Vector y(n);
    for (Index i = 0; i < n; ++i) y[i] = i % 4 == 0 ? 1.0 : 0.0;   // 25 % label 1
    HgbParams p;
    p.class_weight = ClassWeight::none;
    p.early_stopping = false;
    p.max_iter = 20;

    // Constant features: nothing to split; every event gets the base rate 1/4.
    Hgb c(p);
    c.fit(TrainingSet(Matrix::Constant(n, 2, 7.0), y), 1);
    CHECK(c.predict(Matrix::Constant(3, 2, 7.0)).isApproxToConstant(0.25, 1e-9));

    // A separable feature scaled to 1e300 or to denormals separates as well as at scale 1.
    Matrix X(n, 1);
    for (Index i = 0; i < n; ++i) X(i, 0) = y[i] + 0.1 * normal(rng);
    for (double scale : {1.0, 1e300, 1e-310}) {
        CAPTURE(scale);
        Hgb m(p);
        m.fit(TrainingSet(Matrix(X * scale), y), 1);
        const Vector s = m.predict(Matrix(X * scale));
        CHECK(s.allFinite());
        CHECK(auc(s, y) > 0.99);
    }

    // One label-1 event among 400: balanced class weights keep the fit finite and rank it first.
    Vector one = Vector::Zero(n);
    one[17] = 1.0;
    HgbParams b = p;
    b.class_weight = ClassWeight::balanced;
    b.min_samples_leaf = 1;
    Hgb m(b);
    Matrix Xo = Matrix::Zero(n, 1);
    Xo(17, 0) = 5.0;
    m.fit(TrainingSet(Xo, one), 1);
    const Vector s = m.predict(Xo);
    CHECK(s.allFinite());
    Index best = 0;
    s.maxCoeff(&best);
    CHECK(best == 17);
}

TEST_CASE("MLP: features at 1e300 and a constant denormal column train as well as at scale 1") {
    const Index n = 600;
    Rng rng(5);
    Matrix X(n, 2);
    Vector y(n);
    for (Index i = 0; i < n; ++i) {
        y[i] = static_cast<double>(i % 2);
        X(i, 0) = y[i] + 0.2 * normal(rng);
        X(i, 1) = 4.9e-324;   // a constant denormal column
    }
    MlpParams p;
    p.hidden = {8};
    p.epochs = 200;
    p.batch_size = 32;
    Vector at_one;
    for (double scale : {1.0, 1e300}) {
        CAPTURE(scale);
        Matrix Xs = X;
        Xs.col(0) *= scale;
        MlpClassifier m(p);
        m.fit(TrainingSet(Xs, y), 2);
        const Vector s = m.predict(Xs);
        CHECK(s.allFinite());
        CHECK(auc(s, y) > 0.95);
        // Standardized inputs: the network sees the same numbers at both scales (up to rounding).
        if (scale == 1.0)
            at_one = s;
        else
            CHECK((s - at_one).cwiseAbs().maxCoeff() < 1e-5);
    }
}

TEST_CASE("sideband fit: a spectrum whose upper sideband ends in empty bins fits and predicts the SR") {
    const auto edges = uniform_edges(2.6, 5.0, 24);
    const Interval sr{3.3, 3.7};   // bins 7–10
    // A steeply falling spectrum, rounded: the last bins hold no event (a tightly cut sample).
    Vector counts(24), smooth(24);
    for (Index b = 0; b < 24; ++b) {
        const double centre = 2.65 + 0.1 * static_cast<double>(b);
        smooth[b] = 2000.0 * std::exp(-5.0 * (centre - 2.6));
        counts[b] = std::round(smooth[b]);
    }
    REQUIRE(counts.tail(4).isZero());
    const FitResult r = fit_sideband(Histogram::from_counts(edges, counts), sr);
    CHECK(std::isfinite(r.n_pred_sr));
    CHECK(r.n_pred_sr == doctest::Approx(smooth.segment(7, 4).sum()).epsilon(0.1));
    CHECK(r.expected.allFinite());
}

}  // namespace unit_test_edge_cases
