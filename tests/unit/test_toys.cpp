// Tests of the toy generators (resanom/toys): sizes, names, determinism, the paper's parameters
// recovered within statistical tolerances, the dijet spectrum against eq. 2.4, the m_jj
// correlation, the simulation variants, and invalid parameters.
//
// Tolerances. Every statistical check compares a sample statistic with its exact value and allows
// 5 standard errors of that statistic (computed from the exact distribution), so a correct
// generator fails with probability ~1e-6 per check; seeds are fixed, so the tests are
// deterministic anyway.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "resanom/toys/toys.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_toys {

using namespace resanom;
using namespace resanom::toys;

namespace {

constexpr double kSigmas = 5.0;

/// Rows of X selected by a predicate on the row index.
template <class Pred>
Matrix rows_where(const Matrix& X, Index n, Pred pred) {
    IndexList rows;
    for (Index i = 0; i < n; ++i)
        if (pred(i)) rows.push_back(i);
    return X(rows, Eigen::all);
}

/// Sample mean and covariance of a 2-d sample against N(mean, cov): each mean component within
/// 5 SE = 5 √(Σii/n), each covariance entry within 5 SE = 5 √((Σii Σjj + Σij²)/n).
void check_gaussian(const Matrix& X, const Eigen::Vector2d& mean, const Eigen::Matrix2d& cov) {
    REQUIRE(X.cols() == 2);
    const auto n = static_cast<double>(X.rows());
    REQUIRE(n > 100);
    const Eigen::Vector2d mu = X.colwise().mean();
    const Matrix centered = X.rowwise() - mu.transpose();
    const Eigen::Matrix2d S = centered.transpose() * centered / (n - 1.0);
    for (int i = 0; i < 2; ++i) {
        CHECK(std::abs(mu[i] - mean[i]) < kSigmas * std::sqrt(cov(i, i) / n));
        for (int j = 0; j < 2; ++j) {
            const double se = std::sqrt((cov(i, i) * cov(j, j) + cov(i, j) * cov(i, j)) / n);
            CHECK(std::abs(S(i, j) - cov(i, j)) < kSigmas * se);
        }
    }
}

double correlation(const Vector& a, const Vector& b) {
    const Eigen::ArrayXd x = a.array() - a.mean(), y = b.array() - b.mean();
    return (x * y).sum() / std::sqrt((x * x).sum() * (y * y).sum());
}

double median(Vector v) {
    std::sort(v.data(), v.data() + v.size());
    const Index n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

bool same_events(const Events& a, const Events& b) {
    return a.X() == b.X() && a.m() == b.m() && a.w() == b.w() && a.has_truth() == b.has_truth() &&
           (!a.has_truth() || a.truth() == b.truth()) && a.feature_names() == b.feature_names() &&
           a.resonant_names() == b.resonant_names();
}

/// Normalized CDF of the dijet function on [m_lo, m_hi], tabulated by composite Simpson on a fine
/// grid (independent of the sampler's envelope), evaluated by linear interpolation.
struct DijetCdf {
    explicit DijetCdf(const DijetSpectrum& s, int cells = 20000) : s_(s), n_(cells) {
        h_ = (s.m_hi - s.m_lo) / cells;
        cdf_.assign(static_cast<std::size_t>(cells) + 1, 0.0);
        for (int i = 0; i < cells; ++i) {
            const double a = s.m_lo + i * h_;
            const double part =
                h_ / 6.0 *
                (dijet_shape(a, s) + 4.0 * dijet_shape(a + 0.5 * h_, s) + dijet_shape(a + h_, s));
            cdf_[static_cast<std::size_t>(i) + 1] = cdf_[static_cast<std::size_t>(i)] + part;
        }
        const double total = cdf_.back();
        for (double& c : cdf_) c /= total;
    }
    double operator()(double m) const {
        if (m <= s_.m_lo) return 0.0;
        if (m >= s_.m_hi) return 1.0;
        const double t = (m - s_.m_lo) / h_;
        const auto i = std::min(static_cast<std::size_t>(t), static_cast<std::size_t>(n_) - 1);
        const double f = t - static_cast<double>(i);
        return cdf_[i] + f * (cdf_[i + 1] - cdf_[i]);
    }

    DijetSpectrum s_;
    int n_;
    double h_;
    std::vector<double> cdf_;
};

/// Kolmogorov–Smirnov distance of a sample from a CDF.
template <class Cdf>
double ks_distance(std::vector<double> x, const Cdf& cdf) {
    std::sort(x.begin(), x.end());
    const auto n = static_cast<double>(x.size());
    double d = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double F = cdf(x[i]);
        d = std::max({d, static_cast<double>(i + 1) / n - F, F - static_cast<double>(i) / n});
    }
    return d;
}

// √n·D of the KS test exceeds 1.95 with probability 0.001 under the null (Kolmogorov).
constexpr double kKsCritical = 1.95;

/// Binned Pearson χ² of a sample against the CDF with `bins` equal bins; bins with an expected
/// count below 20 are merged into their neighbour. Returns {χ², ndf}.
template <class Cdf>
std::pair<double, int> chi_square(const std::vector<double>& x, const Cdf& cdf, double lo,
                                  double hi, int bins) {
    std::vector<double> obs(static_cast<std::size_t>(bins), 0.0), expct(obs.size(), 0.0);
    const double w = (hi - lo) / bins, n = static_cast<double>(x.size());
    for (double v : x) {
        const auto b = std::min(static_cast<std::size_t>((v - lo) / w), obs.size() - 1);
        obs[b] += 1.0;
    }
    for (int b = 0; b < bins; ++b)
        expct[static_cast<std::size_t>(b)] = n * (cdf(lo + (b + 1) * w) - cdf(lo + b * w));
    double chi2 = 0.0, o = 0.0, e = 0.0;
    int cells = 0;
    for (std::size_t b = 0; b < obs.size(); ++b) {
        o += obs[b];
        e += expct[b];
        if (e >= 20.0 || b + 1 == obs.size()) {
            chi2 += (o - e) * (o - e) / e;
            ++cells;
            o = e = 0.0;
        }
    }
    return {chi2, cells - 1};
}

}  // namespace

// =================================================================================================
// Gaussian toy (Benkendorfer et al. 2021, §III)
// =================================================================================================

TEST_CASE("gaussian toy: sizes, names, truth and m windows with the paper's defaults") {
    const GaussianToyParams p;
    CHECK(p.n_bkg_sr == 50000);
    CHECK(p.n_sig == 500);
    const GaussianToy t = gaussian_toy(p, 1);
    const Events& d = t.data;
    REQUIRE(d.size() == 50000 + 50000 + 500);
    CHECK(d.n_features() == 2);
    CHECK(d.n_resonant() == 1);
    CHECK(d.feature_names() == std::vector<std::string>{"x0", "x1"});
    CHECK(d.resonant_names() == std::vector<std::string>{"m"});
    CHECK(d.w() == Vector::Ones(d.size()));
    CHECK(d.truth().sum() == 500.0);
    Index n_sr = 0, n_sb = 0, sig_outside_sr = 0, outside = 0;
    bool sorted_labels = true;
    for (Index i = 0; i < d.size(); ++i) {
        const double m = d.m()(i, 0);
        const bool sr = m >= 3.3 && m < 3.7;
        const bool sb = (m >= 3.1 && m < 3.3) || (m >= 3.7 && m < 3.9);
        if (!sr && !sb) ++outside;
        if (d.truth()[i] == 0.0) (sr ? n_sr : n_sb)++;
        if (d.truth()[i] == 1.0 && !sr) ++sig_outside_sr;
        if (i > 0 && d.truth()[i] < d.truth()[i - 1]) sorted_labels = false;
    }
    CHECK(outside == 0);
    CHECK(n_sr == 50000);
    CHECK(n_sb == 50000);
    CHECK(sig_outside_sr == 0);
    CHECK_FALSE(sorted_labels);  // signal is shuffled into the background

    const Matrix table = toy_table(d);
    CHECK(table.cols() == 4);  // m, x0, x1, label
    CHECK(table.col(0) == d.m().col(0));
    CHECK(table.col(3) == d.truth());
    CHECK(toy_table_columns(d) == std::vector<std::string>{"m", "x0", "x1", "label"});

    const Events& s = t.simulation;
    CHECK(s.size() == 100000);
    CHECK(s.truth().sum() == 0.0);
    CHECK(s.feature_names() == d.feature_names());
}

TEST_CASE("gaussian toy: every component has the mean and covariance of eqs. 3.1-3.3") {
    GaussianToyParams p;
    p.n_sig = 20000;  // more signal than the paper, to test eq. 3.2 tightly
    const Events d = gaussian_data(p, 11);
    const Events s = gaussian_simulation(p, 11);
    auto in_sr = [&](const Events& e, Index i) {
        return e.m()(i, 0) >= p.sr_lo && e.m()(i, 0) < p.sr_hi;
    };

    const Matrix data_sr =
        rows_where(d.X(), d.size(), [&](Index i) { return d.truth()[i] == 0.0 && in_sr(d, i); });
    const Matrix data_sb =
        rows_where(d.X(), d.size(), [&](Index i) { return d.truth()[i] == 0.0 && !in_sr(d, i); });
    const Matrix signal = rows_where(d.X(), d.size(), [&](Index i) { return d.truth()[i] == 1.0; });
    const Matrix sim_sr = rows_where(s.X(), s.size(), [&](Index i) { return in_sr(s, i); });
    const Matrix sim_sb = rows_where(s.X(), s.size(), [&](Index i) { return !in_sr(s, i); });
    const Eigen::Matrix2d I = Eigen::Matrix2d::Identity();

    SUBCASE("data, eq. 3.1") {
        check_gaussian(data_sr, Eigen::Vector2d(0.0, 0.0), I);
        check_gaussian(data_sb, Eigen::Vector2d(1.0, 0.0), I);
    }
    SUBCASE("signal, eq. 3.2: 0.5 is the covariance") {
        check_gaussian(signal, Eigen::Vector2d(1.5, 1.5), 0.5 * I);
    }
    SUBCASE("simulation, eq. 3.3") {
        check_gaussian(sim_sr, Eigen::Vector2d(0.1, -0.1), I);
        check_gaussian(sim_sb, Eigen::Vector2d(1.05, 0.0), I);
    }
    SUBCASE("m is uniform in its region") {
        // Mean of U[3.3, 3.7) is 3.5 with SE 0.4/√(12 n).
        const Vector m_sr = rows_where(d.m(), d.size(), [&](Index i) { return in_sr(d, i); });
        CHECK(std::abs(m_sr.mean() - 3.5) < kSigmas * 0.4 / std::sqrt(12.0 * m_sr.size()));
        // Each sideband holds half of the SB events (binomial SE).
        const Vector m_sb = rows_where(d.m(), d.size(), [&](Index i) { return !in_sr(d, i); });
        const double low = (m_sb.array() < 3.3).cast<double>().mean();
        CHECK(std::abs(low - 0.5) < kSigmas * std::sqrt(0.25 / m_sb.size()));
    }
}

TEST_CASE("gaussian toy: a general covariance is honoured") {
    GaussianToyParams p;
    p.n_bkg_sb = 0;
    p.n_sig = 0;
    p.data_sr.cov << 2.0, 0.8, 0.8, 1.0;
    const Events d = gaussian_data(p, 5);
    check_gaussian(d.X(), Eigen::Vector2d(0.0, 0.0), p.data_sr.cov);
}

TEST_CASE("gaussian toy: determinism") {
    GaussianToyParams p;
    p.n_bkg_sr = p.n_bkg_sb = p.n_sim_sr = p.n_sim_sb = 2000;
    p.n_sig = 100;
    CHECK(same_events(gaussian_data(p, 42), gaussian_data(p, 42)));
    CHECK(same_events(gaussian_simulation(p, 42), gaussian_simulation(p, 42)));
    CHECK_FALSE(same_events(gaussian_data(p, 42), gaussian_data(p, 43)));
    const GaussianToy t = gaussian_toy(p, 42);
    CHECK(same_events(t.data, gaussian_data(p, 42)));
    CHECK(same_events(t.simulation, gaussian_simulation(p, 42)));
    // The engine overload uses the stream it is given.
    Rng a(9), b(9);
    CHECK(same_events(gaussian_data(p, a), gaussian_data(p, b)));
    CHECK(a == b);
}

TEST_CASE("gaussian toy: invalid parameters raise input_error") {
    auto bad = [](auto edit) {
        GaussianToyParams p;
        edit(p);
        CHECK_THROWS_AS(gaussian_data(p, 1), input_error);
        CHECK_THROWS_AS(gaussian_simulation(p, 1), input_error);
    };
    bad([](GaussianToyParams& p) { p.n_bkg_sr = -1; });
    bad([](GaussianToyParams& p) { p.n_sig = -5; });
    bad([](GaussianToyParams& p) { p.n_sim_sb = -1; });
    bad([](GaussianToyParams& p) { p.sr_lo = 3.7; });  // empty SR
    bad([](GaussianToyParams& p) { p.sr_hi = std::nan(""); });
    bad([](GaussianToyParams& p) { p.sb_width = 0.0; });
    bad([](GaussianToyParams& p) { p.signal.cov << 1.0, 2.0, 2.0, 1.0; });  // not positive definite
    bad([](GaussianToyParams& p) { p.sim_sr.cov << 1.0, 0.5, 0.0, 1.0; });  // not symmetric
    bad([](GaussianToyParams& p) { p.data_sb.mean[1] = INFINITY; });
    // Empty samples are allowed.
    GaussianToyParams empty;
    empty.n_bkg_sr = empty.n_bkg_sb = empty.n_sig = 0;
    CHECK(gaussian_data(empty, 1).size() == 0);
}

// =================================================================================================
// Bimodal two-simulation toy (Chen et al. 2023, §4.3)
// =================================================================================================

namespace {

/// First two raw moments of an equal mixture of N(−c0, v0) and N(c1, v1) in 1-d, with the standard
/// errors of their sample estimates.
struct Moments {
    double m1, m2, se1, se2;
};
Moments mixture_moments(double c0, double v0, double c1, double v1, double n) {
    auto raw = [](double mu, double v) {
        return std::array<double, 4>{mu, mu * mu + v, mu * mu * mu + 3 * mu * v,
                                     mu * mu * mu * mu + 6 * mu * mu * v + 3 * v * v};
    };
    const auto a = raw(-c0, v0), b = raw(c1, v1);
    std::array<double, 4> m{};
    for (int k = 0; k < 4; ++k)
        m[static_cast<std::size_t>(k)] =
            0.5 * (a[static_cast<std::size_t>(k)] + b[static_cast<std::size_t>(k)]);
    return {m[0], m[1], std::sqrt((m[1] - m[0] * m[0]) / n), std::sqrt((m[3] - m[1] * m[1]) / n)};
}

void check_moments(const Vector& x, const Moments& want) {
    CHECK(std::abs(x.mean() - want.m1) < kSigmas * want.se1);
    CHECK(std::abs(x.array().square().mean() - want.m2) < kSigmas * want.se2);
}

}  // namespace

TEST_CASE("bimodal toy: sizes, names and regions") {
    const BimodalToyParams p;
    CHECK(p.dim == 1);
    const BimodalToy t = bimodal_toy(p, 3);
    REQUIRE(t.data.size() == p.n_bkg + p.n_sig);
    CHECK(t.data.feature_names() == std::vector<std::string>{"x0"});
    CHECK(t.data.resonant_names() == std::vector<std::string>{"m"});
    CHECK(t.data.truth().sum() == static_cast<double>(p.n_sig));
    REQUIRE(t.simulations.size() == 2);
    for (const Events& s : t.simulations) {
        CHECK(s.size() == p.n_sim);
        CHECK(s.truth().sum() == 0.0);
        CHECK(s.m().minCoeff() >= p.m_lo);
        CHECK(s.m().maxCoeff() < p.m_hi);
    }
    Index misplaced = 0;
    for (Index i = 0; i < t.data.size(); ++i) {
        const double m = t.data.m()(i, 0);
        const bool sig = t.data.truth()[i] == 1.0;
        if (sig ? !(m >= p.sr_lo && m < p.sr_hi) : !(m >= p.m_lo && m < p.m_hi)) ++misplaced;
    }
    CHECK(misplaced == 0);
    BimodalToyParams p3 = p;
    p3.dim = 3;
    p3.n_bkg = 100;
    p3.n_sig = 10;
    const Events d3 = bimodal_data(p3, 1);
    CHECK(d3.n_features() == 3);
    CHECK(d3.feature_names() == std::vector<std::string>{"x0", "x1", "x2"});
}

TEST_CASE("bimodal toy: background, anomaly and each simulation have the reconstructed mixtures") {
    BimodalToyParams p;
    p.n_sig = 50000;  // enough anomaly events to test its moments
    const BimodalToy t = bimodal_toy(p, 8);
    const double mu = p.mode_mean, v = p.mode_var, a = p.anomaly_mean, va = p.anomaly_var;
    const double far = mu + p.mismodel_shift, vfar = v * p.mismodel_var_scale;
    const Vector bkg =
        rows_where(t.data.X(), t.data.size(), [&](Index i) { return t.data.truth()[i] == 0.0; });
    const Vector sig =
        rows_where(t.data.X(), t.data.size(), [&](Index i) { return t.data.truth()[i] == 1.0; });
    check_moments(bkg, mixture_moments(mu, v, mu, v, static_cast<double>(bkg.size())));
    check_moments(sig, mixture_moments(a, va, a, va, static_cast<double>(sig.size())));
    const Vector s0 = t.simulations[0].X().col(0), s1 = t.simulations[1].X().col(0);
    // Simulation 0 moves the mode at −μ outward, simulation 1 the mode at +μ.
    check_moments(s0, mixture_moments(far, vfar, mu, v, static_cast<double>(s0.size())));
    check_moments(s1, mixture_moments(mu, v, far, vfar, static_cast<double>(s1.size())));
    CHECK(s0.mean() < -0.2);
    CHECK(s1.mean() > 0.2);
    // Both simulations are more anomaly-like (wider |x|) than the data, as Table 1 requires.
    CHECK(s0.array().square().mean() > bkg.array().square().mean());
    CHECK(s1.array().square().mean() > bkg.array().square().mean());

    SUBCASE("the concatenated simulations reproduce the data's mean") {
        const Events both = concat(t.simulations[0], t.simulations[1]);
        const Vector x = both.X().col(0);
        CHECK(std::abs(x.mean()) < kSigmas * std::sqrt(x.array().square().mean() / x.size()));
    }
}

TEST_CASE("bimodal toy: a wider mismodelled mode") {
    BimodalToyParams p;
    p.mismodel_shift = 0.0;
    p.mismodel_var_scale = 3.0;
    const Events s = bimodal_simulation(p, 1, 2);
    check_moments(s.X().col(0), mixture_moments(1.0, 0.2, 1.0, 0.6, static_cast<double>(s.size())));
}

TEST_CASE("bimodal toy: determinism and invalid parameters") {
    BimodalToyParams p;
    p.n_bkg = p.n_sim = 3000;
    p.n_sig = 50;
    const BimodalToy a = bimodal_toy(p, 77), b = bimodal_toy(p, 77);
    CHECK(same_events(a.data, b.data));
    CHECK(same_events(a.simulations[0], b.simulations[0]));
    CHECK(same_events(a.simulations[1], b.simulations[1]));
    CHECK(same_events(a.simulations[1], bimodal_simulation(p, 1, 77)));
    CHECK_FALSE(same_events(a.data, bimodal_toy(p, 78).data));
    CHECK_FALSE(same_events(a.simulations[0], a.simulations[1]));

    auto bad = [](auto edit) {
        BimodalToyParams q;
        q.n_bkg = q.n_sim = 10;
        edit(q);
        CHECK_THROWS_AS(bimodal_toy(q, 1), input_error);
    };
    bad([](BimodalToyParams& q) { q.n_bkg = -1; });
    bad([](BimodalToyParams& q) { q.n_sig = -1; });
    bad([](BimodalToyParams& q) { q.n_sim = -1; });
    bad([](BimodalToyParams& q) { q.dim = 0; });
    bad([](BimodalToyParams& q) { q.mode_var = 0.0; });
    bad([](BimodalToyParams& q) { q.anomaly_var = -0.2; });
    bad([](BimodalToyParams& q) { q.mismodel_var_scale = 0.0; });
    bad([](BimodalToyParams& q) { q.m_lo = q.m_hi; });
    bad([](BimodalToyParams& q) { q.sr_hi = 5.0; });  // SR outside the m range
    bad([](BimodalToyParams& q) { q.mode_mean = NAN; });
    CHECK_THROWS_AS(bimodal_simulation(p, 2, 1), input_error);
    CHECK_THROWS_AS(bimodal_simulation(p, -1, 1), input_error);
}

// =================================================================================================
// Dijet toy (LHCO-like)
// =================================================================================================

TEST_CASE("dijet toy: the LHCO 6-column layout (the acceptance case of resanom generate)") {
    DijetToyParams p;
    p.n_bkg = 20000;
    p.n_sig = 200;
    const Matrix t = dijet_table(p, 7);
    REQUIRE(t.rows() == 20200);
    REQUIRE(t.cols() == 6);
    CHECK(lhco_columns[0] == "mjj");
    CHECK(lhco_columns[5] == "label");
    CHECK(t.col(5).sum() == 200.0);
    CHECK(((t.col(5).array() == 0.0) || (t.col(5).array() == 1.0)).all());
    // Signal near 3.5 TeV.
    const Vector sig_m = rows_where(t.col(0), t.rows(), [&](Index i) { return t(i, 5) == 1.0; });
    CHECK(std::abs(median(sig_m) - 3.5) < 0.05);
    // A falling background: each 1-TeV slice holds fewer events than the one below.
    std::array<int, 6> slices{};
    for (Index i = 0; i < t.rows(); ++i)
        if (t(i, 5) == 0.0)
            ++slices[static_cast<std::size_t>(std::min(5.0, std::floor(t(i, 0) - 2.0)))];
    for (std::size_t k = 1; k < slices.size(); ++k) CHECK(slices[k] < slices[k - 1]);
    // Not sorted by label: some signal rows come before background rows.
    Index first_sig = t.rows();
    for (Index i = 0; i < t.rows() && first_sig == t.rows(); ++i)
        if (t(i, 5) == 1.0) first_sig = i;
    CHECK(first_sig < t.rows() - 200);
    // Physical ranges.
    CHECK(t.col(0).minCoeff() >= p.spectrum.m_lo);
    CHECK(t.col(0).maxCoeff() < p.spectrum.m_hi);
    CHECK(t.col(1).minCoeff() > 0.0);
    CHECK(t.col(2).minCoeff() >= 0.0);
    CHECK(t.col(3).minCoeff() > 0.0);
    CHECK(t.col(3).maxCoeff() < 1.0);
    CHECK(t.col(4).minCoeff() > 0.0);
    CHECK(t.col(4).maxCoeff() < 1.0);
    // Same seed, same bits; another seed, other bits.
    CHECK(t == dijet_table(p, 7));
    CHECK_FALSE(t == dijet_table(p, 8));
}

TEST_CASE("dijet toy: Events names, table round trip, seeds per sample") {
    DijetToyParams p;
    p.n_bkg = 5000;
    p.n_sig = 100;
    const DijetToy toy = dijet_toy(p, 3);
    const Events& d = toy.data;
    CHECK(d.feature_names() ==
          std::vector<std::string>{"mj_min", "delta_m", "tau21_min", "tau21_max"});
    CHECK(d.resonant_names() == std::vector<std::string>{"mjj"});
    CHECK(d.w() == Vector::Ones(d.size()));
    const Events back = dijet_events_from_table(dijet_table(d));
    CHECK(same_events(back, d));
    CHECK(toy_table(d) == dijet_table(d));
    const std::vector<std::string> cols = toy_table_columns(d);
    CHECK(std::equal(cols.begin(), cols.end(), lhco_columns.begin(), lhco_columns.end()));
    CHECK(same_events(d, dijet_data(p, 3)));
    REQUIRE(toy.simulations.size() == 2);
    CHECK(same_events(toy.simulations[1], dijet_simulation(p, 1, 3)));
    // A simulation's table has label 0 throughout.
    CHECK(dijet_table(toy.simulations[0]).col(5).sum() == 0.0);
    CHECK_THROWS_AS(dijet_table(gaussian_data(GaussianToyParams{}, 1)), input_error);
    CHECK_THROWS_AS(dijet_events_from_table(Matrix::Zero(3, 5)), input_error);
}

TEST_CASE("dijet toy: m_jj follows the dijet function of eq. 2.4") {
    // KS distance at p = 0.001 and a binned χ² within 5 standard deviations of its ndf.
    auto check_spectrum = [](const DijetSpectrum& s, const std::vector<double>& x) {
        const DijetCdf cdf(s);
        const double d = ks_distance(x, cdf);
        CHECK(std::sqrt(static_cast<double>(x.size())) * d < kKsCritical);
        const auto [chi2, ndf] = chi_square(x, cdf, s.m_lo, s.m_hi, 60);
        CHECK(ndf > 10);
        CHECK(chi2 < ndf + kSigmas * std::sqrt(2.0 * ndf));
    };
    SUBCASE("the default spectrum, through dijet_data") {
        DijetToyParams p;
        p.n_bkg = 300000;
        p.n_sig = 0;
        const Events d = dijet_data(p, 2024);
        const Vector m = d.m(0);
        check_spectrum(p.spectrum, std::vector<double>(m.data(), m.data() + m.size()));
    }
    SUBCASE("a steeper, more curved spectrum sampled with very few envelope segments") {
        DijetSpectrum s;
        s.p1 = 5.0;
        s.p2 = 6.0;
        s.p3 = -0.8;
        s.m_lo = 1.0;
        s.m_hi = 6.0;
        for (int segments : {1, 7, 2048}) {
            const DijetMassSampler sampler(s, segments);
            Rng rng(static_cast<std::uint64_t>(segments));
            std::vector<double> x(200000);
            for (double& v : x) v = sampler(rng);
            check_spectrum(s, x);
        }
    }
    SUBCASE("the local slope at 3.5 TeV is LHCO's") {
        const DijetSpectrum s;
        const double h = 1e-4;
        const double slope = (dijet_log_shape(3.5 + h, s) - dijet_log_shape(3.5 - h, s)) / (2 * h);
        CHECK(std::abs(slope + 1.47) < 0.03);  // LHCO: −1.47 ± 0.03 /TeV
    }
}

TEST_CASE("dijet toy: the signal sits at the Z', X and Y masses") {
    DijetToyParams p;
    p.n_bkg = 20000;
    p.n_sig = 20000;
    const Events d = dijet_data(p, 99);
    const Matrix sig = rows_where(d.X(), d.size(), [&](Index i) { return d.truth()[i] == 1.0; });
    const Matrix bkg = rows_where(d.X(), d.size(), [&](Index i) { return d.truth()[i] == 0.0; });
    const Vector sig_m = rows_where(d.m(), d.size(), [&](Index i) { return d.truth()[i] == 1.0; });
    REQUIRE(sig.rows() == 20000);
    // m_jj ~ N(3.5, 0.12) (redraws outside [2, 8) are negligible here).
    CHECK(std::abs(sig_m.mean() - 3.5) < kSigmas * 0.12 / std::sqrt(20000.0));
    const double sd = std::sqrt((sig_m.array() - sig_m.mean()).square().mean());
    CHECK(std::abs(sd - 0.12) < kSigmas * 0.12 / std::sqrt(2.0 * 20000.0));
    // Jet masses: the lighter jet at m_Y = 0.1 TeV, the heavier at m_X = 0.5 TeV.
    CHECK(std::abs(median(sig.col(0)) - 0.1) < 0.005);
    const Vector heavier = sig.col(0) + sig.col(1);
    CHECK(std::abs(median(heavier) - 0.5) < 0.01);
    CHECK(std::abs(median(sig.col(1)) - 0.4) < 0.015);
    // Two-prong: τ21 well below the background's.
    CHECK(sig.col(2).mean() < bkg.col(2).mean() - 0.1);
    CHECK(sig.col(3).mean() < bkg.col(3).mean() - 0.1);
    // The lost-prong fraction leaves a low-mass tail of the heavier jet.
    const double tail = (heavier.array() < 0.35).cast<double>().mean();
    CHECK(tail > 0.05);
    CHECK(tail < 0.15);
    // No lost prongs: no tail.
    p.signal.x_lost_fraction = 0.0;
    const Events clean = dijet_data(p, 99);
    Index clean_tail = 0;
    for (Index i = 0; i < clean.size(); ++i)
        if (clean.truth()[i] == 1.0 && clean.X()(i, 0) + clean.X()(i, 1) < 0.35) ++clean_tail;
    CHECK(clean_tail < 5);
}

TEST_CASE("dijet toy: the jet-mass correlation with m_jj grows with alpha and vanishes at 0") {
    std::vector<double> r_min, r_dm;
    const std::vector<double> alphas{0.0, 0.02, 0.05, 0.1};
    Index n = 0;
    for (double alpha : alphas) {
        DijetToyParams p;
        p.n_bkg = 100000;
        p.n_sig = 0;
        p.set_correlation(alpha);
        CHECK(p.alpha_heavy == 2.0 * alpha);
        const Events d = dijet_data(p, 5);  // same seed: only alpha differs
        n = d.size();
        r_min.push_back(correlation(d.X().col(0), d.m(0)));
        r_dm.push_back(correlation(d.X().col(1), d.m(0)));
    }
    // No correlation at alpha = 0 (SE of r is 1/√n).
    CHECK(std::abs(r_min[0]) < kSigmas / std::sqrt(static_cast<double>(n)));
    CHECK(std::abs(r_dm[0]) < kSigmas / std::sqrt(static_cast<double>(n)));
    for (std::size_t k = 1; k < alphas.size(); ++k) {
        CHECK(r_min[k] > r_min[k - 1] + 0.05);
        CHECK(r_dm[k] > r_dm[k - 1] + 0.02);
    }
    CHECK(r_min[1] > 0.1);  // set_correlation(0.02) is noticeable ...
    CHECK(r_min[1] < 0.3);  // ... but modest

    SUBCASE("pivot 0 is m_j -> m_j + alpha m_jj as in Benkendorfer et al. 2021") {
        DijetToyParams a, b;
        a.n_bkg = b.n_bkg = 20000;
        a.n_sig = b.n_sig = 0;
        a.background.jet_mass_floor = b.background.jet_mass_floor = 0.0;  // exactly linear
        a.set_correlation(0.0);
        b.alpha_light = 0.1;
        b.alpha_heavy = 0.2;
        b.alpha_pivot = 0.0;
        const Events da = dijet_data(a, 6), db = dijet_data(b, 6);
        // alpha does not touch the random stream, so each event moves by exactly the shift.
        const Vector heavy_a = da.X().col(0) + da.X().col(1),
                     heavy_b = db.X().col(0) + db.X().col(1);
        double worst = 0.0;
        CHECK(da.m() == db.m());
        for (Index i = 0; i < da.size(); ++i) {
            const double mjj = da.m()(i, 0);
            worst = std::max(worst, std::abs(db.X()(i, 0) - (da.X()(i, 0) + 0.1 * mjj)));
            worst = std::max(worst, std::abs(heavy_b[i] - (heavy_a[i] + 0.2 * mjj)));
        }
        CHECK(worst < 1e-12);
    }
}

namespace {

/// Least-squares slope of y on x with its heteroscedasticity-robust (HC0) standard error.
struct Slope {
    double value, se;
};
Slope least_squares_slope(const std::vector<double>& x, const std::vector<double>& y) {
    const auto n = static_cast<double>(x.size());
    double mx = 0.0, my = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
    double sxx = 0.0, sxy = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    const double b = sxy / sxx;
    double v = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double dx = x[i] - mx, e = y[i] - my - b * (x[i] - mx);
        v += dx * dx * e * e;
    }
    return {b, std::sqrt(v) / sxx};
}

}  // namespace

TEST_CASE("dijet toy: the default correlation gives the LHCO background's jet-mass slopes in the SR") {
    // LHCO R&D, background of the three signal-region files (159 236 events, 3.3 ≤ m_jj < 3.7 TeV):
    // least-squares slopes on m_jj of mj_min and of the heavier jet's mass (mj_min + delta_m),
    // and their standard errors (docs/toys.md).
    constexpr double lhco_light = 0.00855, lhco_light_se = 0.00208;
    constexpr double lhco_heavy = 0.02474, lhco_heavy_se = 0.00388;

    DijetToyParams p;
    CHECK(p.alpha_light == lhco_alpha_light);
    CHECK(p.alpha_heavy == lhco_alpha_heavy);
    p.n_bkg = 1000000;
    p.n_sig = 0;
    DijetToyParams flat = p;
    flat.set_correlation(0.0);
    // alpha does not touch the random stream: both samples hold the same events, unshifted in flat.
    const Events d = dijet_data(p, 21), z = dijet_data(flat, 21);
    REQUIRE(d.m() == z.m());
    std::vector<double> m, light, heavy, light_shift, heavy_shift;
    for (Index i = 0; i < d.size(); ++i) {
        const double mjj = d.m()(i, 0);
        if (!(mjj >= 3.3 && mjj < 3.7)) continue;
        const double l = d.X()(i, 0), h = l + d.X()(i, 1);
        m.push_back(mjj);
        light.push_back(l);
        heavy.push_back(h);
        light_shift.push_back(l - z.X()(i, 0));
        heavy_shift.push_back(h - z.X()(i, 0) - z.X()(i, 1));
    }
    REQUIRE(m.size() > 100000);

    // The slopes of the per-event shifts: the uncorrelated sample's slope has expectation exactly 0
    // (its jets are drawn independently of m_jj), so subtracting it leaves an estimate of the
    // default's slope without that sample's noise (a control variate), with a standard error of
    // ≈ 4e-6 here. The toy must reproduce LHCO within LHCO's own statistical error: the default
    // gives 0.0087 and 0.0248; the former default, set_correlation(0.02), 0.0193 and 0.0396.
    const Slope dl = least_squares_slope(m, light_shift), dh = least_squares_slope(m, heavy_shift);
    REQUIRE(dl.se < lhco_light_se / 3.0);
    REQUIRE(dh.se < lhco_heavy_se / 3.0);
    CHECK(std::abs(dl.value - lhco_light) < lhco_light_se);
    CHECK(std::abs(dh.value - lhco_heavy) < lhco_heavy_se);

    // The plain slopes of the sample agree too, within their combined errors.
    const Slope l = least_squares_slope(m, light), h = least_squares_slope(m, heavy);
    CHECK(std::abs(l.value - lhco_light) < kSigmas * std::hypot(l.se, lhco_light_se));
    CHECK(std::abs(h.value - lhco_heavy) < kSigmas * std::hypot(h.se, lhco_heavy_se));
}

TEST_CASE("dijet toy: set_correlation keeps the paper's ratio, set_lhco_correlation the default") {
    DijetToyParams q;
    q.set_correlation(0.013);
    CHECK(q.alpha_light == 0.013);
    CHECK(q.alpha_heavy == 2.0 * 0.013);
    CHECK(&q.set_lhco_correlation() == &q);
    CHECK(q.alpha_light == lhco_alpha_light);
    CHECK(q.alpha_heavy == lhco_alpha_heavy);
    CHECK(q.alpha_pivot == 3.5);
}

TEST_CASE("dijet toy: simulations differ from the data as specified") {
    DijetToyParams p;
    p.n_bkg = 100000;
    p.n_sig = 0;
    p.set_correlation(0.0);  // isolates the mismodelling knobs
    const DijetToy toy = dijet_toy(p, 12);
    const Events& d = toy.data;
    REQUIRE(toy.simulations.size() == 2);
    const Events& s0 = toy.simulations[0];
    const Events& s1 = toy.simulations[1];
    CHECK(s0.size() == p.n_bkg);
    CHECK(s0.truth().sum() == 0.0);
    const auto n = static_cast<double>(p.n_bkg);

    // Simulation 0: jet masses 5 % heavier (the soft floor moves a 0.27 TeV median by < 0.5 %).
    const Vector heavy_d = d.X().col(0) + d.X().col(1), heavy_0 = s0.X().col(0) + s0.X().col(1);
    // (SE of the ratio of medians ≈ 0.3 %.)
    CHECK(std::abs(median(heavy_0) / median(heavy_d) - 1.05) < 0.015);
    // ... and the same τ21 (SE of a difference of means √2 sd/√n).
    const double se_tau = std::sqrt(2.0) * 0.2 / std::sqrt(n);
    CHECK(std::abs(s0.X().col(2).mean() - d.X().col(2).mean()) < kSigmas * se_tau);
    CHECK(std::abs(s0.X().col(3).mean() - d.X().col(3).mean()) < kSigmas * se_tau);

    // Simulation 1: mean τ21 lower by 0.03, the same jet masses.
    CHECK(std::abs(s1.X().col(2).mean() - d.X().col(2).mean() + 0.03) < kSigmas * se_tau);
    CHECK(std::abs(s1.X().col(3).mean() - d.X().col(3).mean() + 0.03) < kSigmas * se_tau);
    CHECK(std::abs(median(s1.X().col(0)) / median(d.X().col(0)) - 1.0) < 0.015);

    // The spectrum is not mismodelled by default (KS distance of two samples at p = 0.001:
    // 1.95 √(2/n)).
    const Vector md = d.m(0), m0 = s0.m(0);
    std::vector<double> a(md.data(), md.data() + md.size()), b(m0.data(), m0.data() + m0.size());
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    double ks = 0.0;
    for (std::size_t i = 0, j = 0; i < a.size() && j < b.size();) {
        if (a[i] <= b[j])
            ++i;
        else
            ++j;
        ks = std::max(ks, std::abs(static_cast<double>(i) - static_cast<double>(j)) / n);
    }
    CHECK(ks < kKsCritical * std::sqrt(2.0 / n));

    SUBCASE("custom variants: correlation, spectrum slope, τ21 spread, sizes") {
        DijetToyParams q = p;
        q.n_sim = 40000;
        DijetMismodel corr, slope, spread;
        corr.alpha_light = 0.05;
        corr.alpha_heavy = 0.1;
        slope.mjj_p1_shift = 5.0;
        spread.tau21_concentration_scale = 0.5;
        q.simulations = {corr, slope, spread};
        const DijetToy t = dijet_toy(q, 4);
        REQUIRE(t.simulations.size() == 3);
        for (const Events& s : t.simulations) CHECK(s.size() == 40000);
        CHECK(correlation(t.simulations[0].X().col(0), t.simulations[0].m(0)) > 0.2);
        CHECK(std::abs(correlation(t.data.X().col(0), t.data.m(0))) < 0.02);
        CHECK(t.simulations[1].m(0).mean() < t.data.m(0).mean() - 0.05);  // steeper
        auto sd = [](const Vector& v) { return std::sqrt((v.array() - v.mean()).square().mean()); };
        CHECK(sd(t.simulations[2].X().col(2)) > sd(t.data.X().col(2)) + 0.02);
        CHECK_THROWS_AS(dijet_simulation(q, 3, 1), input_error);
    }
}

TEST_CASE("dijet toy: invalid parameters raise input_error") {
    auto bad = [](auto edit) {
        DijetToyParams p;
        p.n_bkg = 100;
        p.n_sig = 10;
        edit(p);
        CHECK_THROWS_AS(dijet_toy(p, 1), input_error);
    };
    bad([](DijetToyParams& p) { p.n_bkg = -1; });
    bad([](DijetToyParams& p) { p.n_sig = -1; });
    bad([](DijetToyParams& p) { p.n_sim = -3; });
    bad([](DijetToyParams& p) { p.spectrum.m_lo = 8.0; });   // empty range
    bad([](DijetToyParams& p) { p.spectrum.m_hi = 13.0; });  // x = 1
    bad([](DijetToyParams& p) { p.spectrum.m_lo = 0.0; });   // x = 0
    bad([](DijetToyParams& p) { p.spectrum.sqrt_s = -13.0; });
    bad([](DijetToyParams& p) { p.spectrum.p2 = NAN; });
    bad([](DijetToyParams& p) { p.background.jet_mass_median = 0.0; });
    bad([](DijetToyParams& p) { p.background.tau21_high = 1.0; });
    bad([](DijetToyParams& p) { p.background.tau21_concentration = -1.0; });
    bad([](DijetToyParams& p) { p.background.jet_mass_floor = -0.01; });
    bad([](DijetToyParams& p) { p.signal.mjj_width = 0.0; });
    bad([](DijetToyParams& p) { p.signal.mjj_mean = 9.0; });  // outside the m_jj range
    bad([](DijetToyParams& p) { p.signal.m_x = -0.5; });
    bad([](DijetToyParams& p) { p.signal.tau21_y_mean = 0.0; });
    bad([](DijetToyParams& p) { p.signal.x_lost_fraction = 1.5; });
    bad([](DijetToyParams& p) { p.alpha_light = INFINITY; });
    bad([](DijetToyParams& p) { p.simulations[0].jet_mass_scale = 0.0; });
    bad([](DijetToyParams& p) { p.simulations[1].alpha_heavy = NAN; });
    bad([](DijetToyParams& p) { p.simulations[1].mjj_p1_shift = NAN; });
    CHECK_THROWS_AS(DijetMassSampler(DijetSpectrum{}, 0), input_error);
    // Zero-size samples and no simulations are fine.
    DijetToyParams none;
    none.n_bkg = none.n_sig = 0;
    none.simulations.clear();
    const DijetToy t = dijet_toy(none, 1);
    CHECK(t.data.size() == 0);
    CHECK(t.simulations.empty());
}

}  // namespace unit_test_toys
