// Tests of resanom/core/preprocess.hpp: round trips, and log-Jacobians against finite differences.
#include <doctest/doctest.h>

#include <cmath>

#include "resanom/core/preprocess.hpp"
#include "resanom/core/random.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_preprocess {

using namespace resanom;

namespace {
Matrix sample(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Matrix X(n, 3);
    for (Index i = 0; i < n; ++i) {
        X(i, 0) = normal(rng, 2.0, 3.0);
        X(i, 1) = uniform(rng, 0.0, 1.0);
        X(i, 2) = exponential(rng, 5.0);
    }
    return X;
}

// log|d z_j / d x_j| summed over j by central differences (the transforms are elementwise).
template <class F>
double fd_log_jacobian(const F& f, Matrix x) {
    double s = 0;
    for (Index j = 0; j < x.cols(); ++j) {
        const double h = 1e-6 * std::max(1.0, std::abs(x(0, j)));
        Matrix a = x, b = x;
        a(0, j) += h;
        b(0, j) -= h;
        s += std::log(std::abs((f(a)(0, j) - f(b)(0, j)) / (2 * h)));
    }
    return s;
}
}  // namespace

TEST_CASE("Standardizer gives zero mean and unit variance, weighted, and inverts") {
    Matrix X = sample(5000, 1);
    Standardizer s;
    s.fit(X);
    Matrix Z = s.transform(X);
    CHECK(Z.colwise().mean().cwiseAbs().maxCoeff() < 1e-12);
    for (Index j = 0; j < 3; ++j) CHECK(Z.col(j).squaredNorm() / 5000 == doctest::Approx(1.0));
    CHECK((s.inverse(Z) - X).cwiseAbs().maxCoeff() < 1e-12);
    CHECK(s.log_abs_det_jacobian() == doctest::Approx(-s.scale().array().log().sum()));

    // Weights: doubling an event's weight equals duplicating it.
    Matrix X2(4, 1), X3(5, 1);
    X2 << 1, 2, 3, 10;
    X3 << 1, 2, 3, 10, 10;
    Vector w(4);
    w << 1, 1, 1, 2;
    Standardizer a, b;
    a.fit(X2, w);
    b.fit(X3);
    CHECK(a.mean()[0] == doctest::Approx(b.mean()[0]));
    CHECK(a.scale()[0] == doctest::Approx(b.scale()[0]));
    // mean 26/5 = 5.2; variance (17.64 + 10.24 + 4.84 + 2·23.04)/5 = 78.8/5 = 15.76
    CHECK(b.mean()[0] == doctest::Approx(5.2));
    CHECK(b.scale()[0] == doctest::Approx(std::sqrt(15.76)));
}

TEST_CASE("Standardizer: constant feature, misuse, bad input") {
    Matrix X(3, 2);
    X << 1, 5, 2, 5, 3, 5;
    Standardizer s;
    CHECK_THROWS_WITH_AS(s.transform(X), doctest::Contains("before fit"), input_error);
    s.fit(X);
    CHECK(s.scale()[1] == 1.0);
    CHECK(s.transform(X).col(1).isZero());
    CHECK_THROWS_WITH_AS(s.transform(Matrix::Zero(2, 3)), doctest::Contains("fitted on 2"), input_error);
    CHECK_THROWS_AS(s.fit(Matrix(0, 2)), input_error);
    X(1, 0) = NAN;
    CHECK_THROWS_AS(s.fit(X), input_error);
}

TEST_CASE("LogitScaler maps the fitted range into (0,1) logits and inverts") {
    Matrix X = sample(2000, 2);
    LogitScaler l(1e-3);
    l.fit(X);
    Matrix Z = l.transform(X);
    CHECK(Z.allFinite());
    const double edge = std::log(1e-3 / (1 - 1e-3));
    CHECK(Z.colwise().minCoeff().maxCoeff() == doctest::Approx(edge));
    CHECK(Z.colwise().maxCoeff().minCoeff() == doctest::Approx(-edge));
    CHECK((l.inverse(Z) - X).cwiseAbs().maxCoeff() < 1e-9);
}

TEST_CASE("log-Jacobians agree with finite differences") {
    Matrix X = sample(500, 3);
    LogitScaler l;
    l.fit(X);
    LogitStandardizer c;
    c.fit(X);
    Standardizer s;
    s.fit(X);
    for (Index i : {0, 17, 123, 499}) {
        Matrix x = X.row(i);
        INFO("row " << i);
        CHECK(l.log_abs_det_jacobian(x)[0] ==
              doctest::Approx(fd_log_jacobian([&](const Matrix& a) { return l.transform(a); }, x)).epsilon(1e-6));
        CHECK(c.log_abs_det_jacobian(x)[0] ==
              doctest::Approx(fd_log_jacobian([&](const Matrix& a) { return c.transform(a); }, x)).epsilon(1e-6));
        CHECK(s.log_abs_det_jacobian() ==
              doctest::Approx(fd_log_jacobian([&](const Matrix& a) { return s.transform(a); }, x)).epsilon(1e-6));
    }
}

TEST_CASE("change of variables: a density on z becomes a normalized density on x") {
    // x uniform on [0, 1] fitted; z = logit-scaled; p_z(z) = p_x(x) / |dz/dx|. For x ~ U(0,1),
    // ∫ p_z(z(x)) |dz/dx| dx over [0,1] must be 1 with p_z from the transform itself.
    Matrix X(2, 1);
    X << 0.0, 1.0;
    LogitScaler l(0.01);
    l.fit(X);
    // Numerically integrate exp(log p_z(z) + logJ) where p_z is the logistic density (the image of
    // U(margin, 1 − margin) scaled to (0,1)); result must equal the mass of [margin, 1 − margin].
    const int n = 200000;
    double integral = 0;
    for (int k = 0; k < n; ++k) {
        Matrix x(1, 1);
        x(0, 0) = (k + 0.5) / n;
        const double z = l.transform(x)(0, 0);
        const double logistic = -z - 2 * std::log1p(std::exp(-z));  // log density of logistic(0,1)
        integral += std::exp(logistic + l.log_abs_det_jacobian(x)[0]) / n;
    }
    CHECK(integral == doctest::Approx(0.98).epsilon(1e-6));
}

TEST_CASE("LogitScaler out-of-range policy") {
    Matrix X(2, 1);
    X << 0.0, 1.0;
    LogitScaler l(1e-3);
    l.fit(X);
    Matrix far(1, 1);
    far << 1.5;
    CHECK_THROWS_WITH_AS(l.transform(far), doctest::Contains("outside the fitted range"), input_error);
    CHECK(l.transform(far, OutOfRange::clip)(0, 0) == doctest::Approx(-std::log(1e-3 / (1 - 1e-3))));
    Matrix near(1, 1);
    near << 1.0005;  // within margin/(1 − 2·margin) of the range
    CHECK(std::isfinite(l.transform(near)(0, 0)));
    Matrix rows(3, 1);
    rows << 0.5, 2.0, -0.0001;
    CHECK(l.rows_in_range(rows) == IndexList{0, 2});
    Matrix constant(3, 1);
    constant << 1, 1, 1;
    CHECK_THROWS_WITH_AS(l.fit(constant), doctest::Contains("constant"), input_error);
    CHECK_THROWS_AS(LogitScaler(0.5), input_error);
    CHECK_THROWS_WITH_AS(LogitScaler(0.0), doctest::Contains("outside (0, 0.5)"), input_error);
}

}  // namespace unit_test_preprocess
