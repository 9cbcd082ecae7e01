// resanom/toys/bimodal.hpp — the two-simulation bimodal toy of Chen et al. 2023, §4.3 (Multi-SALAD,
// SALAD-Switch): a two-mode background, two simulations each mismodelling one mode, an anomaly.
//
// BimodalToyParams, bimodal_data, bimodal_simulation(k), bimodal_toy. The paper's garbled text is
// reconstructed with Example 1 of §4.2 (background ½N(−μ, σ²) + ½N(+μ, σ²), both Gaussian;
// simulation k mismodels mode k towards the anomaly); m is uniform (x ⊥ m), the resonant anomaly
// uniform in the SR. docs/toys.md ("Bimodal two-simulation toy") says what is read from the paper
// and what is reconstructed.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/types.hpp"
#include "resanom/toys/gaussian.hpp"

namespace resanom::toys {

/// Parameters of the bimodal two-simulation toy (see the file comment for their source).
struct BimodalToyParams {
    /// Data background events over the whole m range [m_lo, m_hi) (resanom's choice).
    Index n_bkg = 100000;
    /// Anomaly events, all in the SR (resanom's choice: S/B ≈ 3.5 % in the default SR).
    Index n_sig = 1000;
    /// Events of each simulation, over the whole m range.
    Index n_sim = 100000;
    /// Number of discriminating features x (paper: scalar, 1).
    Index dim = 1;

    /// Background modes at ±mode_mean (Chen et al. 2023, §4.3: 1).
    double mode_mean = 1.0;
    /// Variance of each background mode (Chen et al. 2023, §4.3: 0.2).
    double mode_var = 0.2;
    /// Anomaly modes at ±anomaly_mean (Chen et al. 2023, §4.3: 2).
    double anomaly_mean = 2.0;
    /// Variance of each anomaly mode (Chen et al. 2023, §4.3: 0.2).
    double anomaly_var = 0.2;
    /// How far simulation k moves its mismodelled mode outward, i.e. towards the anomaly
    /// (reconstructed; 0.5 ≈ 1.1 standard deviations, "diverges greatly from the data for one
    /// mode").
    double mismodel_shift = 0.5;
    /// Variance of the mismodelled mode relative to mode_var (reconstructed; 1 = same width).
    double mismodel_var_scale = 1.0;

    /// Range of the resonant feature for background and simulations (TeV).
    double m_lo = 2.8;
    double m_hi = 4.2;
    /// Signal region holding the anomaly (TeV; Benkendorfer et al. 2021, §II.C).
    double sr_lo = 3.3;
    double sr_hi = 3.7;

    /// Throws input_error naming the first invalid parameter.
    void validate() const {
        detail::require_count(n_bkg, "BimodalToyParams::n_bkg");
        detail::require_count(n_sig, "BimodalToyParams::n_sig");
        detail::require_count(n_sim, "BimodalToyParams::n_sim");
        resanom::detail::require(dim >= 1,
                                 "BimodalToyParams::dim must be >= 1, got " + std::to_string(dim));
        detail::require_finite(mode_mean, "BimodalToyParams::mode_mean");
        detail::require_positive(mode_var, "BimodalToyParams::mode_var");
        detail::require_finite(anomaly_mean, "BimodalToyParams::anomaly_mean");
        detail::require_positive(anomaly_var, "BimodalToyParams::anomaly_var");
        detail::require_finite(mismodel_shift, "BimodalToyParams::mismodel_shift");
        detail::require_positive(mismodel_var_scale, "BimodalToyParams::mismodel_var_scale");
        detail::require_interval(m_lo, m_hi, "BimodalToyParams m range [m_lo, m_hi)");
        detail::require_interval(sr_lo, sr_hi, "BimodalToyParams signal region [sr_lo, sr_hi)");
        resanom::detail::require(m_lo <= sr_lo && sr_hi <= m_hi,
                                 "BimodalToyParams: the signal region [" + std::to_string(sr_lo) +
                                     ", " + std::to_string(sr_hi) +
                                     ") must lie inside the m range [" + std::to_string(m_lo) +
                                     ", " + std::to_string(m_hi) + ")");
    }
};

/// The data and the two simulations of one bimodal toy.
struct BimodalToy {
    Events data;
    std::vector<Events> simulations;  ///< simulations[k] mismodels mode k (k = 0: at −μ, 1: at +μ)
};

namespace detail {

/// One equal-weight two-mode mixture: mode 0 N(−c0, v0·I), mode 1 N(+c1, v1·I) (c0, c1 ≥ 0 are
/// distances from the origin along (1, …, 1)).
struct TwoModes {
    double c0, v0, c1, v1;
};

inline void fill_two_modes(ShuffledSample& out, Index& at, Index n, const TwoModes& t, double label,
                           double lo, double hi, Rng& rng) {
    const double s0 = std::sqrt(t.v0), s1 = std::sqrt(t.v1);
    for (Index i = 0; i < n; ++i, ++at) {
        const Index r = out.row(at);
        const bool upper = uniform01(rng) < 0.5;
        const double c = upper ? t.c1 : -t.c0, s = upper ? s1 : s0;
        for (Index j = 0; j < out.X.cols(); ++j) out.X(r, j) = c + s * normal(rng);
        out.m(r, 0) = uniform(rng, lo, hi);
        out.truth[r] = label;
    }
}

inline std::vector<std::string> bimodal_names(Index dim) {
    std::vector<std::string> names;
    for (Index j = 0; j < dim; ++j) {
        std::string name = "x";  // (not "x" + to_string: GCC 12 emits a false -Wrestrict there)
        name += std::to_string(j);
        names.push_back(std::move(name));
    }
    return names;
}

}  // namespace detail

/// The data: n_bkg background events (two modes, m uniform on [m_lo, m_hi)) and n_sig anomaly
/// events (m uniform in the SR), in a seeded random order; truth 1 for the anomaly.
inline Events bimodal_data(const BimodalToyParams& p, Rng& rng) {
    p.validate();
    detail::ShuffledSample s(p.n_bkg + p.n_sig, p.dim, 1, rng);
    Index at = 0;
    detail::fill_two_modes(s, at, p.n_bkg, {p.mode_mean, p.mode_var, p.mode_mean, p.mode_var}, 0.0,
                           p.m_lo, p.m_hi, rng);
    detail::fill_two_modes(s, at, p.n_sig,
                           {p.anomaly_mean, p.anomaly_var, p.anomaly_mean, p.anomaly_var}, 1.0,
                           p.sr_lo, p.sr_hi, rng);
    return Events(std::move(s.X), std::move(s.m), Vector(), std::move(s.truth),
                  detail::bimodal_names(p.dim), {"m"});
}

/// Simulation k ∈ {0, 1}: n_sim background-only events (truth 0) in which mode k is moved outward
/// by mismodel_shift and its variance scaled by mismodel_var_scale; m uniform on [m_lo, m_hi).
inline Events bimodal_simulation(const BimodalToyParams& p, int k, Rng& rng) {
    p.validate();
    resanom::detail::require(
        k == 0 || k == 1,
        "bimodal_simulation: simulation index must be 0 or 1, got " + std::to_string(k));
    const double shifted = p.mode_mean + p.mismodel_shift;
    const double widened = p.mode_var * p.mismodel_var_scale;
    const detail::TwoModes t = k == 0 ? detail::TwoModes{shifted, widened, p.mode_mean, p.mode_var}
                                      : detail::TwoModes{p.mode_mean, p.mode_var, shifted, widened};
    detail::ShuffledSample s(p.n_sim, p.dim, 1, rng);
    Index at = 0;
    detail::fill_two_modes(s, at, p.n_sim, t, 0.0, p.m_lo, p.m_hi, rng);
    return Events(std::move(s.X), std::move(s.m), Vector(), std::move(s.truth),
                  detail::bimodal_names(p.dim), {"m"});
}

/// Seeded versions: the data use derive_seed(seed, 0), simulation k derive_seed(seed, 1 + k), so
/// bimodal_toy(p, s).simulations[k] == bimodal_simulation(p, k, s).
inline Events bimodal_data(const BimodalToyParams& p, std::uint64_t seed) {
    Rng rng(derive_seed(seed, 0));
    return bimodal_data(p, rng);
}
inline Events bimodal_simulation(const BimodalToyParams& p, int k, std::uint64_t seed) {
    Rng rng(derive_seed(seed, 1 + static_cast<std::uint64_t>(k < 0 ? 0 : k)));
    return bimodal_simulation(p, k, rng);
}
inline BimodalToy bimodal_toy(const BimodalToyParams& p, std::uint64_t seed) {
    BimodalToy t;
    t.data = bimodal_data(p, seed);
    for (int k = 0; k < 2; ++k) t.simulations.push_back(bimodal_simulation(p, k, seed));
    return t;
}

}  // namespace resanom::toys
