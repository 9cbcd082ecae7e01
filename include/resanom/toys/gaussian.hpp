// resanom/toys/gaussian.hpp — the two-dimensional Gaussian toy of Benkendorfer et al. 2021, §III
// (SA-CWoLa/SALAD demonstration), plus the helpers every toy shares (resanom::toys::detail).
//
// GaussianToyParams (eqs. 3.1–3.3), gaussian_data, gaussian_simulation, gaussian_toy. Each event
// also gets an m drawn uniformly inside its region (SR 3.3–3.7 TeV, sidebands of width sb_width),
// which carries no information within the region, as in the paper. docs/toys.md ("Gaussian toy").
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/types.hpp"

namespace resanom::toys {

namespace detail {

/// Throws input_error unless a count is non-negative.
inline void require_count(Index n, const std::string& what) {
    resanom::detail::require(n >= 0, what + " must be >= 0, got " + std::to_string(n));
}

/// Throws input_error unless lo < hi and both are finite.
inline void require_interval(double lo, double hi, const std::string& what) {
    resanom::detail::require(std::isfinite(lo) && std::isfinite(hi) && lo < hi,
                             what + " must be a finite interval with lo < hi, got [" +
                                 std::to_string(lo) + ", " + std::to_string(hi) + ")");
}

/// Throws input_error unless x is finite and > 0.
inline void require_positive(double x, const std::string& what) {
    resanom::detail::require(std::isfinite(x) && x > 0.0,
                             what + " must be finite and > 0, got " + std::to_string(x));
}

/// Throws input_error unless x is finite and >= 0.
inline void require_non_negative(double x, const std::string& what) {
    resanom::detail::require(std::isfinite(x) && x >= 0.0,
                             what + " must be finite and >= 0, got " + std::to_string(x));
}

/// Throws input_error unless x is finite.
inline void require_finite(double x, const std::string& what) {
    resanom::detail::require(std::isfinite(x), what + " must be finite, got " + std::to_string(x));
}

/// Throws input_error unless p lies in [0, 1].
inline void require_fraction(double p, const std::string& what) {
    resanom::detail::require(p >= 0.0 && p <= 1.0,
                             what + " must lie in [0, 1], got " + std::to_string(p));
}

/// Uniform draw on the two sidebands [lo − w, lo) ∪ [hi, hi + w): each side with probability ½.
inline double uniform_sidebands(Rng& rng, double lo, double hi, double w) {
    const double u = uniform(rng, 0.0, 2.0 * w);
    return u < w ? lo - w + u : hi + (u - w);
}

/// Output buffers of a toy sample whose rows are written in a seeded random order: the i-th
/// generated event goes to row order[i], so signal is mixed into background without a second copy.
struct ShuffledSample {
    ShuffledSample(Index n, Index d, Index k, Rng& rng)
        : X(n, d), m(n, k), truth(n), order(permutation(static_cast<std::size_t>(n), rng)) {}
    Index row(Index i) const { return static_cast<Index>(order[static_cast<std::size_t>(i)]); }

    Matrix X;
    Matrix m;
    Vector truth;
    std::vector<std::size_t> order;
};

/// Lower Cholesky factor of a 2×2 covariance; throws input_error unless it is symmetric positive
/// definite.
inline Eigen::Matrix2d cholesky2(const Eigen::Matrix2d& cov, const std::string& what) {
    resanom::detail::require(
        cov.allFinite() &&
            std::abs(cov(0, 1) - cov(1, 0)) <= 1e-12 * (std::abs(cov(0, 0)) + std::abs(cov(1, 1))),
        what + ": covariance must be finite and symmetric");
    Eigen::LLT<Eigen::Matrix2d> llt(cov);
    resanom::detail::require(llt.info() == Eigen::Success && cov(0, 0) > 0.0 && cov(1, 1) > 0.0,
                             what + ": covariance must be positive definite");
    return llt.matrixL();
}

}  // namespace detail

/// A 2-d Gaussian N(mean, cov); cov is the covariance matrix (not standard deviations).
struct Gaussian2 {
    Eigen::Vector2d mean = Eigen::Vector2d::Zero();
    Eigen::Matrix2d cov = Eigen::Matrix2d::Identity();
};

/// Parameters of the Gaussian toy. Defaults reproduce Benkendorfer et al. 2021, §III.
struct GaussianToyParams {
    // --- sample sizes ---------------------------------------------------------------------------
    /// Data background events in the SR. Benkendorfer et al. 2021, §III: "500 signal events were
    /// injected into signal region samples of 50000 background events".
    Index n_bkg_sr = 50000;
    /// Data background events in the SB. The paper gives no SB size; resanom takes the SR size so
    /// that the CWoLa classes start balanced (the CWoLa templates reweight SB to SR anyway).
    Index n_bkg_sb = 50000;
    /// Signal events, all in the SR (Benkendorfer et al. 2021, §III: 500, "a significance of about 2σ").
    Index n_sig = 500;
    /// Simulation events in the SR and in the SB (not stated in the paper; same as the data).
    Index n_sim_sr = 50000;
    Index n_sim_sb = 50000;

    // --- the resonant feature m (TeV; resanom's addition, see the file comment) -----------------
    /// Signal region [sr_lo, sr_hi) (Benkendorfer et al. 2021, §II.C: m_jj in [3.3, 3.7] TeV).
    double sr_lo = 3.3;
    double sr_hi = 3.7;
    /// Width of each sideband; SB = [sr_lo − sb_width, sr_lo) ∪ [sr_hi, sr_hi + sb_width)
    /// (Benkendorfer et al. 2021, §II.C: short sidebands of 200 GeV). Use 0.5 for SALAD's long sidebands
    /// ("extended by 300 GeV in either direction").
    double sb_width = 0.2;

    // --- distributions of the two features x0, x1 ----------------------------------------------
    /// Data background in the SR, eq. 3.1: μ_SR = (0, 0), Σ_SR = I.
    Gaussian2 data_sr{Eigen::Vector2d(0.0, 0.0), Eigen::Matrix2d::Identity()};
    /// Data background in the SB, eq. 3.1: μ_SB = (1, 0), Σ_SB = I.
    Gaussian2 data_sb{Eigen::Vector2d(1.0, 0.0), Eigen::Matrix2d::Identity()};
    /// Signal, eq. 3.2: μ = (1.5, 1.5), Σ = diag(0.5, 0.5). Eq. 3.2 writes the covariance matrix,
    /// so 0.5 is a variance (standard deviation √0.5 ≈ 0.71), although the prose says N(μ, σ).
    Gaussian2 signal{Eigen::Vector2d(1.5, 1.5), 0.5 * Eigen::Matrix2d::Identity()};
    /// Simulation in the SR, eq. 3.3: μ_SR = (0.1, −0.1), Σ_SR = I.
    Gaussian2 sim_sr{Eigen::Vector2d(0.1, -0.1), Eigen::Matrix2d::Identity()};
    /// Simulation in the SB, eq. 3.3: μ_SB = (1.05, 0), Σ_SB = I.
    Gaussian2 sim_sb{Eigen::Vector2d(1.05, 0.0), Eigen::Matrix2d::Identity()};

    /// Throws input_error naming the first invalid parameter.
    void validate() const {
        detail::require_count(n_bkg_sr, "GaussianToyParams::n_bkg_sr");
        detail::require_count(n_bkg_sb, "GaussianToyParams::n_bkg_sb");
        detail::require_count(n_sig, "GaussianToyParams::n_sig");
        detail::require_count(n_sim_sr, "GaussianToyParams::n_sim_sr");
        detail::require_count(n_sim_sb, "GaussianToyParams::n_sim_sb");
        detail::require_interval(sr_lo, sr_hi, "GaussianToyParams signal region [sr_lo, sr_hi)");
        detail::require_positive(sb_width, "GaussianToyParams::sb_width");
        const std::pair<const Gaussian2*, const char*> all[] = {{&data_sr, "data_sr"},
                                                                {&data_sb, "data_sb"},
                                                                {&signal, "signal"},
                                                                {&sim_sr, "sim_sr"},
                                                                {&sim_sb, "sim_sb"}};
        for (const auto& [g, name] : all) {
            resanom::detail::require(g->mean.allFinite(), std::string("GaussianToyParams::") +
                                                              name + ": mean must be finite");
            detail::cholesky2(g->cov, std::string("GaussianToyParams::") + name);
        }
    }
};

/// The data and the simulation of one Gaussian toy.
struct GaussianToy {
    Events data;
    Events simulation;
};

namespace detail {

/// Fills rows of `out` with `n` events of N(g) whose m is uniform in the SR (in_sr) or the SB.
inline void fill_gaussian(ShuffledSample& out, Index& at, Index n, const Gaussian2& g, bool in_sr,
                          double label, const GaussianToyParams& p, Rng& rng) {
    const Eigen::Matrix2d L = cholesky2(g.cov, "Gaussian toy");
    for (Index i = 0; i < n; ++i, ++at) {
        const Index r = out.row(at);
        const double z0 = normal(rng), z1 = normal(rng);
        out.X(r, 0) = g.mean[0] + L(0, 0) * z0;
        out.X(r, 1) = g.mean[1] + L(1, 0) * z0 + L(1, 1) * z1;
        out.m(r, 0) = in_sr ? uniform(rng, p.sr_lo, p.sr_hi)
                            : uniform_sidebands(rng, p.sr_lo, p.sr_hi, p.sb_width);
        out.truth[r] = label;
    }
}

inline Events gaussian_events(ShuffledSample&& s) {
    return Events(std::move(s.X), std::move(s.m), Vector(), std::move(s.truth), {"x0", "x1"},
                  {"m"});
}

}  // namespace detail

/// The "data" of Benkendorfer et al. 2021, §III: n_bkg_sr background events in the SR (eq. 3.1),
/// n_bkg_sb in the SB, and n_sig signal events in the SR (eq. 3.2), in a seeded random order.
/// Features x0, x1; resonant feature m (TeV); truth 1 for signal; unit weights.
inline Events gaussian_data(const GaussianToyParams& p, Rng& rng) {
    p.validate();
    detail::ShuffledSample s(p.n_bkg_sr + p.n_bkg_sb + p.n_sig, 2, 1, rng);
    Index at = 0;
    detail::fill_gaussian(s, at, p.n_bkg_sr, p.data_sr, true, 0.0, p, rng);
    detail::fill_gaussian(s, at, p.n_bkg_sb, p.data_sb, false, 0.0, p, rng);
    detail::fill_gaussian(s, at, p.n_sig, p.signal, true, 1.0, p, rng);
    return detail::gaussian_events(std::move(s));
}

/// The background "simulation" of Benkendorfer et al. 2021, §III (eq. 3.3): n_sim_sr events in the
/// SR and n_sim_sb in the SB, truth 0, same layout as gaussian_data.
inline Events gaussian_simulation(const GaussianToyParams& p, Rng& rng) {
    p.validate();
    detail::ShuffledSample s(p.n_sim_sr + p.n_sim_sb, 2, 1, rng);
    Index at = 0;
    detail::fill_gaussian(s, at, p.n_sim_sr, p.sim_sr, true, 0.0, p, rng);
    detail::fill_gaussian(s, at, p.n_sim_sb, p.sim_sb, false, 0.0, p, rng);
    return detail::gaussian_events(std::move(s));
}

/// Data and simulation from one seed. The data use the stream derive_seed(seed, 0) and the
/// simulation derive_seed(seed, 1), so each is the same whether or not the other is generated:
/// gaussian_toy(p, s).data == gaussian_data(p, s).
inline Events gaussian_data(const GaussianToyParams& p, std::uint64_t seed) {
    Rng rng(derive_seed(seed, 0));
    return gaussian_data(p, rng);
}
inline Events gaussian_simulation(const GaussianToyParams& p, std::uint64_t seed) {
    Rng rng(derive_seed(seed, 1));
    return gaussian_simulation(p, rng);
}
inline GaussianToy gaussian_toy(const GaussianToyParams& p, std::uint64_t seed) {
    return {gaussian_data(p, seed), gaussian_simulation(p, seed)};
}

}  // namespace resanom::toys
