// ConditionalMaf (models/flow/maf.hpp): log_prob is a normalized density of the original features
// (it integrates to one on a grid, preprocessing Jacobians included), samples follow the
// dependence on m, training is deterministic (also across thread counts), save/load is the
// identity, and bad input raises clear errors.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "resanom/core/concepts.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/random.hpp"
#include "resanom/models/flow/maf.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_flow_model {

using namespace resanom;

static_assert(DensityEstimator<ConditionalMaf>);

namespace {

// x | m ~ N((m, 0.5·x1 + 0.3·m), diag(0.6², 0.4²)) with m ~ U(−1, 1): a 2-D conditional toy.
void toy(Index n, std::uint64_t seed, Matrix& X, Matrix& m) {
    Rng rng(seed);
    X.resize(n, 2);
    m.resize(n, 1);
    for (Index i = 0; i < n; ++i) {
        m(i, 0) = uniform(rng, -1.0, 1.0);
        X(i, 0) = m(i, 0) + 0.6 * normal(rng);
        X(i, 1) = 0.5 * X(i, 0) + 0.3 * m(i, 0) + 0.4 * normal(rng);
    }
}

MafParams small(int epochs = 8) {
    MafParams p;
    p.blocks = 3;
    p.hidden = 24;
    p.epochs = epochs;
    p.batch_size = 128;
    p.learning_rate = 3e-3;
    p.threads = 1;
    return p;
}

const ConditionalMaf& trained() {
    static const ConditionalMaf f = [] {
        Matrix X, m;
        toy(20000, 1, X, m);
        ConditionalMaf g(small(20));
        g.fit(X, m, 7);
        return g;
    }();
    return f;
}

}  // namespace

TEST_CASE("ConditionalMaf: log_prob integrates to one over the support (2-D grid, two m values)") {
    const ConditionalMaf& f = trained();
    const Vector lo = f.logit().min(), hi = f.logit().max();
    const double margin = f.params().logit_margin;
    for (const double mv : {-0.5, 0.7}) {
        const int G = 400;
        // the support: the fitted range widened by margin/(1 − 2·margin) of the range on each side
        Vector a(2), step(2);
        for (int j = 0; j < 2; ++j) {
            const double ext = (hi[j] - lo[j]) * margin / (1.0 - 2.0 * margin);
            a[j] = lo[j] - ext;
            step[j] = (hi[j] - lo[j] + 2 * ext) / G;
        }
        Matrix X(G * G, 2), m = Matrix::Constant(G * G, 1, mv);
        for (int i = 0; i < G; ++i)
            for (int j = 0; j < G; ++j) {
                X(i * G + j, 0) = a[0] + (i + 0.5) * step[0];
                X(i * G + j, 1) = a[1] + (j + 0.5) * step[1];
            }
        const Vector lp = f.log_prob(X, m);
        const double integral = lp.array().exp().sum() * step[0] * step[1];
        CHECK(integral == doctest::Approx(1.0).epsilon(0.01));
    }
}

TEST_CASE("ConditionalMaf: samples follow the conditional mean and spread of the toy") {
    const ConditionalMaf& f = trained();
    Rng rng(5);
    for (const double mv : {-0.6, 0.6}) {
        const Index n = 20000;
        const Matrix s = f.sample(Matrix::Constant(n, 1, mv), rng);
        const double mean0 = s.col(0).mean(), mean1 = s.col(1).mean();
        const double sd0 = std::sqrt((s.col(0).array() - mean0).square().mean());
        // truth: E[x0] = m, E[x1] = 0.8·m, sd(x0) = 0.6. The sampling error is 0.005; the bounds
        // allow for a short training and are far below the difference between the two m values.
        CHECK(std::abs(mean0 - mv) < 0.05);
        CHECK(std::abs(mean1 - 0.8 * mv) < 0.05);
        CHECK(std::abs(sd0 - 0.6) < 0.05);
    }
}

TEST_CASE("ConditionalMaf: latent maps held-out background to N(0, I), independent of m") {
    const ConditionalMaf& f = trained();
    Matrix X, m;
    toy(20000, 21, X, m);   // held out: another seed
    Index clipped = -1;
    const Matrix z = f.latent(X, m, &clipped);
    REQUIRE(z.rows() == X.rows());
    REQUIRE(z.cols() == 2);
    CHECK(clipped >= 0);
    CHECK(clipped < 20);   // the fitted range of 20 000 events holds nearly all of 20 000 more
    const Vector zm = z.colwise().mean();
    const Matrix zc = z.rowwise() - zm.transpose();
    const Matrix cov = zc.transpose() * zc / static_cast<double>(z.rows());
    const Vector mc = m.col(0).array() - m.col(0).mean();
    // The sampling errors are 0.007 (means), 0.01 (variances), 0.007 (correlations); the bounds
    // allow for the short training. In x, corr(x0, m) = 0.84: the map must remove it.
    for (Index j = 0; j < 2; ++j) {
        CHECK(std::abs(zm[j]) < 0.05);
        CHECK(std::abs(cov(j, j) - 1.0) < 0.08);
        const double corr_m = zc.col(j).dot(mc) / std::sqrt(zc.col(j).squaredNorm() * mc.squaredNorm());
        CHECK(std::abs(corr_m) < 0.05);
    }
    CHECK(std::abs(cov(0, 1)) < 0.05);
    // Inverse check: the samples of the flow map back to standard normal coordinates.
    Rng rng(4);
    const Matrix ms = Matrix::Constant(20000, 1, 0.3);
    const Matrix zs = f.latent(f.sample(ms, rng), ms);
    CHECK(std::abs(zs.col(0).mean()) < 0.03);
    CHECK(std::abs((zs.col(1).array() - zs.col(1).mean()).square().mean() - 1.0) < 0.05);
}

TEST_CASE("ConditionalMaf: latent with averaged epochs is the map of the best epoch; bad input") {
    Matrix X, m;
    toy(1500, 2, X, m);
    MafParams p = small(4);
    ConditionalMaf one(p);
    one.fit(X, m, 3);
    p.average_best = 3;
    ConditionalMaf three(p);
    three.fit(X, m, 3);
    REQUIRE(three.history().kept_epochs.size() == 3);
    REQUIRE(one.history().kept_epochs.front() == three.history().kept_epochs.front());
    CHECK(one.latent(X, m) == three.latent(X, m));   // bit for bit: the same epoch's weights
    // outside the fitted range: clipped into it, and counted
    Matrix Xo = X.topRows(3);
    Xo(0, 0) = X.col(0).maxCoeff() + 10.0;
    Xo(2, 1) = X.col(1).minCoeff() - 10.0;
    Index clipped = 0;
    const Matrix zo = one.latent(Xo, m.topRows(3), &clipped);
    CHECK(clipped == 2);
    CHECK(zo.allFinite());
    ConditionalMaf unfitted(small(1));
    CHECK_THROWS_AS((void)unfitted.latent(X, m), input_error);
    CHECK_THROWS_AS((void)one.latent(X, m.topRows(10)), input_error);
}

TEST_CASE("ConditionalMaf: the sample lies in the support and log_prob is finite on it") {
    const ConditionalMaf& f = trained();
    Rng rng(9);
    const Matrix m = Matrix::Constant(500, 1, 0.1);
    const Matrix s = f.sample(m, rng);
    CHECK(f.log_prob(s, m).allFinite());
}

TEST_CASE("ConditionalMaf: same seed, same model bit for bit (one or two threads); another seed differs") {
    Matrix X, m;
    toy(1500, 2, X, m);
    MafParams p = small(2);
    ConditionalMaf a(p), b(p);
    p.threads = 2;
    ConditionalMaf c(p);
    a.fit(X, m, 3);
    b.fit(X, m, 3);
    c.fit(X, m, 3);
    CHECK(a.flows()[0].params() == b.flows()[0].params());
    CHECK(a.flows()[0].params() == c.flows()[0].params());
    CHECK(a.flows()[0].state() == c.flows()[0].state());
    CHECK(a.log_prob(X, m) == c.log_prob(X, m));
    Rng r1(4), r2(4);
    CHECK(a.sample(m, r1) == c.sample(m, r2));
    ConditionalMaf e(small(2));
    e.fit(X, m, 4);
    CHECK(a.flows()[0].params() != e.flows()[0].params());
}

TEST_CASE("ConditionalMaf: history, progress callback, and averaging of the best epochs") {
    Matrix X, m;
    toy(1500, 2, X, m);
    MafParams p = small(4);
    p.average_best = 3;
    int calls = 0;
    p.progress = [&](const FlowEpochReport& r) {
        ++calls;
        CHECK(r.epoch == calls);
        CHECK(std::isfinite(r.train_loss));
        CHECK(std::isfinite(r.val_loss));
    };
    ConditionalMaf f(p);
    f.fit(X, m, 1);
    CHECK(calls == 4);
    CHECK(f.flows().size() == 3);
    CHECK(f.history().kept_epochs.size() == 3);
    CHECK(f.history().kept_epochs[0] == f.history().best_epoch);
    const auto& v = f.history().val_loss;
    CHECK(v[static_cast<std::size_t>(f.history().best_epoch - 1)] == f.history().best_val_loss);
    for (double x : v) CHECK(x >= f.history().best_val_loss);
    // the averaged density is the mean of the members' densities
    const Vector lp = f.log_prob(X.topRows(5), m.topRows(5));
    for (Index i = 0; i < 5; ++i) {
        const auto z = f.standardizer().transform(f.logit().transform(X.row(i))).transpose().cast<float>().eval();
        const auto c = f.conditional_standardizer().transform(m.row(i)).transpose().cast<float>().eval();
        double mean = 0.0;
        for (const auto& g : f.flows()) mean += std::exp(g.log_prob(z, c)[0]);
        mean /= 3.0;
        const double logj = f.logit().log_abs_det_jacobian(X.row(i))[0] + f.standardizer().log_abs_det_jacobian();
        CHECK(lp[i] == doctest::Approx(std::log(mean) + logj).epsilon(1e-5));
    }
}

TEST_CASE("ConditionalMaf: early stopping ends after `patience` epochs without improvement") {
    Matrix X, m;
    toy(1500, 2, X, m);
    MafParams p = small(60);
    p.patience = 2;
    p.min_delta = 0.05;  // large for this toy: the validation loss soon stops improving by that much
    p.average_best = 2;
    ConditionalMaf f(p);
    f.fit(X, m, 1);
    const auto& h = f.history();
    const int ran = static_cast<int>(h.val_loss.size());
    REQUIRE(ran < 60);
    // the last improvement (by more than min_delta) was `patience` epochs before the end, and no
    // later epoch improved on it by more than min_delta
    CHECK(ran - h.best_epoch == 2);
    // and the two best epochs were kept
    CHECK(f.flows().size() == 2);
    MafParams bad = small(5);
    bad.patience = 1;
    bad.val_fraction = 0.0;
    CHECK_THROWS_WITH_AS(ConditionalMaf{bad}, doctest::Contains("patience needs a validation set"), input_error);
}

TEST_CASE("ConditionalMaf: save and load give the same densities and samples") {
    const ConditionalMaf& f = trained();
    resanom_test::TempDir dir;
    const std::string path = dir.file("flow.model");
    f.save(path);
    CHECK(model_kind(path) == "flow/maf");
    const ConditionalMaf g = ConditionalMaf::load(path);
    Matrix X, m;
    toy(300, 11, X, m);
    CHECK(f.log_prob(X, m) == g.log_prob(X, m));
    Rng r1(1), r2(1);
    CHECK(f.sample(m, r1) == g.sample(m, r2));
    CHECK(g.history().best_epoch == f.history().best_epoch);
    // a truncated file is refused with the file named
    std::string bytes = resanom_test::slurp(path);
    resanom_test::write_bytes(path, bytes.substr(0, bytes.size() / 2));
    CHECK_THROWS_AS(ConditionalMaf::load(path), io_error);
}

TEST_CASE("ConditionalMaf: bad input raises clear errors; out-of-range policies") {
    Matrix X, m;
    toy(200, 3, X, m);
    ConditionalMaf f(small(1));
    CHECK_THROWS_AS(f.log_prob(X, m), input_error);  // not fitted
    Rng rng(1);
    CHECK_THROWS_AS(f.sample(m, rng), input_error);
    CHECK_THROWS_AS(f.fit(X, m.topRows(100), 1), input_error);
    Matrix Xn = X;
    Xn(5, 1) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(f.fit(Xn, m, 1), input_error);
    MafParams narrow = small(1);
    narrow.hidden = 1;
    CHECK_THROWS_AS(ConditionalMaf(narrow).fit(X, m, 1), input_error);
    MafParams bad = small(1);
    bad.batch_size = 0;
    CHECK_THROWS_AS(ConditionalMaf{bad}, input_error);

    f.fit(X, m, 1);
    CHECK_THROWS_AS(f.log_prob(X.leftCols(1), m), input_error);
    CHECK_THROWS_AS(f.sample(Matrix::Zero(3, 2), rng), input_error);
    Matrix far = X.topRows(3);
    far(1, 0) = 1e3;
    const Vector lp = f.log_prob(far, m.topRows(3));
    CHECK(lp[1] == -std::numeric_limits<double>::infinity());
    CHECK(std::isfinite(lp[0]));
    MafParams strict = small(1);
    strict.out_of_range = OutOfRangeLogProb::error;
    ConditionalMaf g(strict);
    g.fit(X, m, 1);
    try {
        g.log_prob(far, m.topRows(3));
        FAIL("expected input_error");
    } catch (const input_error& e) {
        CHECK(resanom_test::contains(e.what(), "row 1, column 0"));
    }
}

TEST_CASE("ConditionalMaf: a diverging training stops with numeric_error") {
    Matrix X, m;
    toy(600, 4, X, m);
    MafParams p = small(3);
    p.learning_rate = 1e30;
    ConditionalMaf f(p);
    CHECK_THROWS_AS(f.fit(X, m, 1), numeric_error);
}

}  // namespace unit_test_flow_model
