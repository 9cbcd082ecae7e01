// Tests of resanom/stats/dijet_fit.hpp: parameter recovery from Asimov spectra (dijet4 and linear,
// likelihood and least squares), agreement with an independent fit written differently (Nelder–Mead
// on a different parametrization, Simpson integration), the coverage of the profile-likelihood
// significance on background-only pseudo-experiments, and every failure mode.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "resanom/core/random.hpp"
#include "resanom/stats/dijet_fit.hpp"
#include "resanom/stats/significance.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_dijet_fit {

using namespace resanom;

namespace {

// The layout of Benkendorfer et al. 2021, §II.C: 30 uniform bins over [2.6, 5.0] TeV, SR [3.3, 3.7).
const std::vector<double> kEdges = uniform_edges(2.6, 5.0, 30);
const Interval kSR{3.3, 3.7};

Vector truth_params(double p0 = 2.0e6) {
    Vector p(4);
    p << p0, 10.5, 1.5, 0.1;  // the shape of the dijet toy (toys/dijet.hpp)
    return p;
}

Vector poisson_fluctuate(const Vector& mu, std::uint64_t seed) {
    Rng rng(seed);
    Vector n(mu.size());
    for (Index i = 0; i < mu.size(); ++i) n[i] = static_cast<double>(poisson(rng, mu[i]));
    return n;
}

// ---- the independent fit: different integration, different parametrization, different minimizer
// ln f(m) at four anchor masses u_k parametrizes the dijet function (a linear map of θ), the bins
// are integrated by composite Simpson with 64 intervals, and Nelder–Mead minimizes the Poisson
// negative log-likelihood, restarted until it stops improving.
struct IndependentFit {
    std::vector<double> edges;
    std::vector<Index> fit_bins, sr_bins;
    double sqrt_s = 13.0;
    double anchors[4] = {2.7, 3.2, 4.0, 4.9};

    static void phi(double m, double s, double out[4]) {
        const double x = m / s, lx = std::log(x);
        out[0] = 1.0;
        out[1] = std::log1p(-x);
        out[2] = -lx;
        out[3] = -lx * lx;
    }
    // θ from the log-densities at the anchors: solve the 4×4 system.
    Eigen::Vector4d theta_of(const Eigen::Vector4d& u) const {
        Eigen::Matrix4d A;
        for (int k = 0; k < 4; ++k) {
            double p[4];
            phi(anchors[k], sqrt_s, p);
            for (int j = 0; j < 4; ++j) A(k, j) = p[j];
        }
        return A.fullPivLu().solve(u);
    }
    double bin_integral(const Eigen::Vector4d& th, double a, double b) const {
        const int N = 64;
        const double h = (b - a) / N;
        double s = 0.0;
        for (int k = 0; k <= N; ++k) {
            double p[4];
            phi(a + k * h, sqrt_s, p);
            const double f = std::exp(th[0] * p[0] + th[1] * p[1] + th[2] * p[2] + th[3] * p[3]);
            s += f * (k == 0 || k == N ? 1.0 : (k % 2 ? 4.0 : 2.0));
        }
        return s * h / 3.0;
    }
    double nll(const Eigen::Vector4d& u, const Vector& n) const {
        const Eigen::Vector4d th = theta_of(u);
        double f = 0.0;
        for (Index i : fit_bins) {
            const double nu = bin_integral(th, edges[static_cast<std::size_t>(i)], edges[static_cast<std::size_t>(i) + 1]);
            if (!(nu > 0.0) || !std::isfinite(nu)) return 1e300;
            f += nu - n[i] * std::log(nu);
        }
        return f;
    }
    Eigen::Vector4d nelder_mead(Eigen::Vector4d x0, const Vector& n) const {
        for (int restart = 0; restart < 20; ++restart) {
            std::vector<Eigen::Vector4d> s(5, x0);
            std::vector<double> fv(5);
            for (int j = 0; j < 4; ++j) s[static_cast<std::size_t>(j) + 1][j] += restart == 0 ? 0.05 : 0.01;
            for (int j = 0; j < 5; ++j) fv[static_cast<std::size_t>(j)] = nll(s[static_cast<std::size_t>(j)], n);
            for (int it = 0; it < 4000; ++it) {
                std::vector<int> idx{0, 1, 2, 3, 4};
                std::sort(idx.begin(), idx.end(), [&](int a, int b) { return fv[static_cast<std::size_t>(a)] < fv[static_cast<std::size_t>(b)]; });
                std::vector<Eigen::Vector4d> s2;
                std::vector<double> f2;
                for (int k : idx) {
                    s2.push_back(s[static_cast<std::size_t>(k)]);
                    f2.push_back(fv[static_cast<std::size_t>(k)]);
                }
                s = s2;
                fv = f2;
                if (fv[4] - fv[0] < 1e-11) break;
                Eigen::Vector4d c = (s[0] + s[1] + s[2] + s[3]) / 4.0;
                Eigen::Vector4d xr = c + (c - s[4]);
                const double fr = nll(xr, n);
                if (fr < fv[0]) {
                    Eigen::Vector4d xe = c + 2.0 * (c - s[4]);
                    const double fe = nll(xe, n);
                    if (fe < fr) { s[4] = xe; fv[4] = fe; } else { s[4] = xr; fv[4] = fr; }
                } else if (fr < fv[3]) {
                    s[4] = xr;
                    fv[4] = fr;
                } else {
                    Eigen::Vector4d xc = c + 0.5 * (s[4] - c);
                    const double fc = nll(xc, n);
                    if (fc < fv[4]) {
                        s[4] = xc;
                        fv[4] = fc;
                    } else {
                        for (int k = 1; k < 5; ++k) {
                            s[static_cast<std::size_t>(k)] = s[0] + 0.5 * (s[static_cast<std::size_t>(k)] - s[0]);
                            fv[static_cast<std::size_t>(k)] = nll(s[static_cast<std::size_t>(k)], n);
                        }
                    }
                }
            }
            const double before = nll(x0, n);
            x0 = s[0];
            if (before - fv[0] < 1e-10 && restart > 0) break;
        }
        return x0;
    }
};

}  // namespace

TEST_CASE("Asimov dijet4 spectrum: the likelihood fit recovers the parameters and the SR count") {
    const Vector truth = truth_params();
    const Vector mu = integrate_bins(kEdges, FitFunction::dijet4, truth, 13.0, 24);
    const Histogram h = Histogram::from_counts(kEdges, mu);
    const FitResult r = fit_sideband(h, kSR);
    REQUIRE(r.params.size() == 4);
    CHECK(r.params[0] == doctest::Approx(truth[0]).epsilon(1e-6));
    CHECK(r.params[1] == doctest::Approx(truth[1]).epsilon(1e-6));
    CHECK(r.params[2] == doctest::Approx(truth[2]).epsilon(1e-6));
    CHECK(std::fabs(r.params[3] - truth[3]) < 1e-6);
    // The SR [3.3, 3.7) is not aligned with the 0.08 TeV bins: the six bins it touches,
    // [3.24, 3.72), are masked.
    REQUIRE(r.sr_bins.size() == 6);
    CHECK(r.sr_bins.front() == 8);
    CHECK(r.fit_bins.size() == 24);
    double sr_true = 0;
    for (Index i : r.sr_bins) sr_true += mu[i];
    CHECK(r.n_pred_sr == doctest::Approx(sr_true).epsilon(1e-8));
    CHECK(r.n_obs_sr == doctest::Approx(sr_true).epsilon(1e-12));
    CHECK(r.chi2 < 1e-8);
    CHECK(r.ndf == 20);
    CHECK(r.ks_pvalue > 0.999);
    CHECK(r.sigma_pred_sr > 0.0);
    // Covariance: symmetric positive definite.
    CHECK((r.cov - r.cov.transpose()).norm() < 1e-9 * r.cov.norm());
    CHECK(Eigen::LLT<Matrix>(r.cov).info() == Eigen::Success);
}

TEST_CASE("Asimov spectra: least squares, log bins and the linear function recover their parameters") {
    SUBCASE("least squares, dijet4") {
        const Vector truth = truth_params();
        const Vector mu = integrate_bins(kEdges, FitFunction::dijet4, truth, 13.0, 24);
        FitOptions o;
        o.method = FitMethod::least_squares;
        const FitResult r = fit_sideband(Histogram::from_counts(kEdges, mu), kSR, o);
        CHECK(r.params[0] == doctest::Approx(truth[0]).epsilon(1e-5));
        CHECK(r.params[1] == doctest::Approx(truth[1]).epsilon(1e-5));
        CHECK(r.params[2] == doctest::Approx(truth[2]).epsilon(1e-5));
        CHECK(std::fabs(r.params[3] - truth[3]) < 1e-5);
    }
    SUBCASE("log-uniform bins of Collins et al. 2021 (2.8–5.2 TeV, 30 bins), SR = bins 9–12") {
        const auto edges = log_edges(2.8, 5.2, 30);
        const Vector truth = truth_params(5e5);
        const Vector mu = integrate_bins(edges, FitFunction::dijet4, truth, 13.0, 24);
        const FitResult r = fit_sideband(Histogram::from_counts(edges, mu), Interval{edges[9], edges[13]});
        CHECK(r.sr_bins.size() == 4);
        CHECK(r.params[1] == doctest::Approx(truth[1]).epsilon(1e-6));
        CHECK(r.params[2] == doctest::Approx(truth[2]).epsilon(1e-6));
    }
    SUBCASE("linear function (Collins et al. 2021, §4.3)") {
        const auto edges = uniform_edges(3.0, 4.0, 20);
        Vector truth(2);
        truth << 8000.0, -20000.0;  // p0 + p1 m/√s, positive over [3, 4] TeV
        const Vector mu = integrate_bins(edges, FitFunction::linear, truth, 13.0);
        FitOptions o;
        o.function = FitFunction::linear;
        const FitResult r = fit_sideband(Histogram::from_counts(edges, mu), Interval{3.4, 3.6}, o);
        REQUIRE(r.params.size() == 2);
        CHECK(r.params[0] == doctest::Approx(truth[0]).epsilon(1e-8));
        CHECK(r.params[1] == doctest::Approx(truth[1]).epsilon(1e-8));
        o.method = FitMethod::least_squares;
        const FitResult q = fit_sideband(Histogram::from_counts(edges, mu), Interval{3.4, 3.6}, o);
        CHECK(q.params[0] == doctest::Approx(truth[0]).epsilon(1e-6));
    }
}

TEST_CASE("a fluctuated spectrum: the SR prediction agrees with an independent Nelder-Mead fit") {
    const Vector truth = truth_params(4e5);
    const Vector mu = integrate_bins(kEdges, FitFunction::dijet4, truth, 13.0, 24);
    for (std::uint64_t seed : {1u, 2u, 3u}) {
        const Vector n = poisson_fluctuate(mu, seed);
        const FitResult r = fit_sideband(Histogram::from_counts(kEdges, n), kSR);

        IndependentFit ind;
        ind.edges = kEdges;
        ind.fit_bins = r.fit_bins;
        // Start far from the answer: the anchors' log-densities of a plain exponential.
        Eigen::Vector4d u0;
        for (int k = 0; k < 4; ++k) u0[k] = std::log(n[0] / 0.08) - 1.5 * (ind.anchors[k] - 2.6);
        const Eigen::Vector4d u = ind.nelder_mead(u0, n);
        const Eigen::Vector4d th = ind.theta_of(u);
        double pred = 0.0;
        for (Index i : r.sr_bins)
            pred += ind.bin_integral(th, kEdges[static_cast<std::size_t>(i)], kEdges[static_cast<std::size_t>(i) + 1]);
        MESSAGE("seed " << seed << ": resanom " << r.n_pred_sr << " ± " << r.sigma_pred_sr << ", Nelder-Mead " << pred << ", difference " << r.n_pred_sr - pred);
        CHECK(std::fabs(r.n_pred_sr - pred) < 0.01 * r.sigma_pred_sr);
        CHECK(r.params[1] == doctest::Approx(th[1]).epsilon(1e-3));
        CHECK(std::log(r.params[0]) == doctest::Approx(th[0]).epsilon(1e-4));
    }
}

TEST_CASE("background-only pseudo-experiments: P(Z > 2) ≈ 2.3 % and P(Z = 0) ≈ 1/2") {
    // 4000 toys of ~1e5 events; SR ~ 1.9e4 events. Under the null, q0 is asymptotically half a
    // χ²₁ at 0 and half χ²₁, so P(Z > 2) = 2.275 % and P(Z = 0) = 1/2. Tolerance: 4 binomial
    // standard deviations (0.94 % and 3.2 %); a false failure has probability ~1e-4.
    const int toys = 4000;
    const Vector mu = integrate_bins(kEdges, FitFunction::dijet4, truth_params(4e5), 13.0, 24);
    SidebandFitter fitter(kEdges, kSR);
    double sr_true = 0.0;
    for (Index i : fitter.sr_bins()) sr_true += mu[i];
    int above2 = 0, zero = 0;
    double sum_d2 = 0.0, sum_sigma2 = 0.0;
    for (int t = 0; t < toys; ++t) {
        const Vector n = poisson_fluctuate(mu, derive_seed(2024, static_cast<std::uint64_t>(t)));
        const FitResult r = fitter.fit(n);
        sum_d2 += (r.n_pred_sr - sr_true) * (r.n_pred_sr - sr_true);
        sum_sigma2 += r.sigma_pred_sr * r.sigma_pred_sr;
        const auto pl = profile_likelihood_significance(r.n_obs_sr, r.n_pred_sr, r.sigma_pred_sr);
        above2 += pl.z > 2.0;
        zero += pl.z == 0.0;
    }
    // The propagated σ_pred matches the spread of the prediction over the toys (the RMS of
    // 4000 draws is known to ~1.1 %; 5 % allowed).
    CHECK(std::sqrt(sum_d2 / toys) == doctest::Approx(std::sqrt(sum_sigma2 / toys)).epsilon(0.05));
    const double f2 = double(above2) / toys, f0 = double(zero) / toys;
    MESSAGE("fraction above 2: " << f2 << ", fraction zero: " << f0);
    CHECK(std::fabs(f2 - 0.02275) < 4.0 * std::sqrt(0.02275 * 0.97725 / toys));
    CHECK(std::fabs(f0 - 0.5) < 4.0 * std::sqrt(0.25 / toys));
}

TEST_CASE("failure modes raise clear errors") {
    const Vector mu = integrate_bins(kEdges, FitFunction::dijet4, truth_params(), 13.0);
    SUBCASE("empty bins everywhere") {
        CHECK_THROWS_WITH_AS(fit_sideband(Histogram(kEdges), kSR), doctest::Contains("every sideband bin is empty"),
                             input_error);
    }
    SUBCASE("SR covering the whole range") {
        CHECK_THROWS_WITH_AS(fit_sideband(Histogram::from_counts(kEdges, mu), Interval{2.0, 6.0}),
                             doctest::Contains("covers the whole fit range"), input_error);
    }
    SUBCASE("SR outside the range") {
        CHECK_THROWS_AS(fit_sideband(Histogram::from_counts(kEdges, mu), Interval{6.0, 7.0}), input_error);
    }
    SUBCASE("too few sideband bins for the parameters") {
        const auto e = uniform_edges(3.0, 4.0, 6);
        const Vector m6 = integrate_bins(e, FitFunction::dijet4, truth_params(), 13.0);
        CHECK_THROWS_WITH_AS(fit_sideband(Histogram::from_counts(e, m6), Interval{3.2, 3.5}),
                             doctest::Contains("too few"), input_error);
    }
    SUBCASE("too few non-empty sideband bins") {
        Vector n = Vector::Zero(30);
        n[0] = 10;
        n[29] = 3;
        CHECK_THROWS_WITH_AS(fit_sideband(Histogram::from_counts(kEdges, n), kSR), doctest::Contains("non-empty"), input_error);
    }
    SUBCASE("non-finite inputs") {
        Vector n = mu;
        n[3] = std::nan("");
        CHECK_THROWS_AS(Histogram::from_counts(kEdges, n), input_error);
        CHECK_THROWS_WITH_AS(SidebandFitter(kEdges, kSR).fit(n), doctest::Contains("bin 3"), input_error);
        n[3] = INFINITY;
        CHECK_THROWS_AS(SidebandFitter(kEdges, kSR).fit(n), input_error);
        Histogram h(kEdges);
        CHECK_THROWS_AS(h.fill(std::nan("")), input_error);
    }
    SUBCASE("dijet function outside 0 < m < sqrt(s)") {
        FitOptions o;
        o.sqrt_s = 4.0;
        CHECK_THROWS_WITH_AS(fit_sideband(Histogram::from_counts(kEdges, mu), kSR, o), doctest::Contains("sqrt_s"),
                             input_error);
    }
    SUBCASE("a fit that cannot converge raises numeric_error") {
        FitOptions o;
        o.max_iterations = 1;
        o.tolerance = 1e-300;
        const Vector n = poisson_fluctuate(mu, 5);
        CHECK_THROWS_WITH_AS(fit_sideband(Histogram::from_counts(kEdges, n), kSR, o), doctest::Contains("did not converge"),
                             numeric_error);
    }
}

}  // namespace unit_test_dijet_fit
