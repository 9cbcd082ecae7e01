// resanom/toys/dijet.hpp — an LHC-Olympics-like dijet toy: m_jj from the dijet function (Benkendorfer
// et al. 2021, eq. 2.4), jet masses and τ21 tunably correlated with m_jj (§IV), a Z' → XY signal.
//
// DijetToyParams (every number a documented default), dijet_data, dijet_simulation (background
// "simulations" with controlled mismodelling, DijetMismodel), dijet_toy, DijetMassSampler (exact
// sampling of eq. 2.4), and dijet_table: the LHCO R&D layout mjj, mj_min, delta_m, tau21_min,
// tau21_max, label (TeV; τ21 in (0, 1)). One Rng in a fixed sequence: a seed gives the same bits on
// any thread count. docs/toys.md ("Dijet toy") explains how an event is made and compares with LHCO.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/types.hpp"
#include "resanom/toys/gaussian.hpp"

namespace resanom::toys {

// ---------------------------------------------------------------------------------------------
// The dijet function and an exact sampler for it
// ---------------------------------------------------------------------------------------------

/// The m_jj spectrum: the dijet function of Benkendorfer et al. 2021, eq. 2.4 with p0 = 1 (the
/// normalization is irrelevant for sampling), restricted to [m_lo, m_hi). The text of eq. 2.4
/// prints the exponent as "p_x + p_3 log(x)"; it is p2 + p3 ln x (the standard 4-parameter dijet
/// function the prose cites, and the `--function dijet4` of the CLI spec).
/// Default shape: chosen (not fitted in the paper) so that the local slope at 3.5 TeV,
/// d ln f / dm = −1.46 /TeV, matches the background of the LHCO signal-region files (a
/// log-quadratic fit to their m_jj histogram gives −1.47 ± 0.03 /TeV), with a spectrum that
/// steepens slowly towards high mass (−1.5 /TeV at 2 TeV, −2.3 /TeV at 8 TeV), as QCD does.
struct DijetSpectrum {
    double sqrt_s = 13.0;  ///< collision energy √s in TeV (x = m_jj / √s)
    double p1 = 10.5;      ///< exponent of (1 − x)
    double p2 = 1.5;       ///< power of 1/x
    double p3 = 0.1;       ///< coefficient of ln x in the power of 1/x
    double m_lo = 2.4;     ///< lower edge of the generated m_jj range (TeV): 12 % of the events in 3.3–3.7, as LHCO
    double m_hi = 8.0;     ///< upper edge (TeV, exclusive)

    /// Throws input_error naming the first invalid parameter.
    void validate() const {
        detail::require_positive(sqrt_s, "DijetSpectrum::sqrt_s");
        detail::require_finite(p1, "DijetSpectrum::p1");
        detail::require_finite(p2, "DijetSpectrum::p2");
        detail::require_finite(p3, "DijetSpectrum::p3");
        detail::require_interval(m_lo, m_hi, "DijetSpectrum m_jj range [m_lo, m_hi)");
        resanom::detail::require(
            m_lo > 0.0 && m_hi < sqrt_s,
            "DijetSpectrum: the m_jj range [" + std::to_string(m_lo) + ", " + std::to_string(m_hi) +
                ") must lie inside (0, sqrt_s = " + std::to_string(sqrt_s) + ")");
    }
};

/// ln of the dijet function (p0 = 1) at m: p1 ln(1−x) − (p2 + p3 ln x) ln x, x = m/√s.
inline double dijet_log_shape(double m, const DijetSpectrum& s) {
    const double x = m / s.sqrt_s, lx = std::log(x);
    return s.p1 * std::log1p(-x) - (s.p2 + s.p3 * lx) * lx;
}

/// The dijet function (Benkendorfer et al. 2021, eq. 2.4) with p0 = 1, unnormalized.
inline double dijet_shape(double m, const DijetSpectrum& s) {
    return std::exp(dijet_log_shape(m, s));
}

/// Exact sampler of the dijet function on [m_lo, m_hi): rejection from a piecewise-exponential
/// envelope. The range is cut into segments; on each, the envelope is the exponential through the
/// end-point values raised by exp(L h²/8), where h is the segment width and −L a lower bound of
/// (ln f)'' on it — a rigorous bound because each of the three terms of
///   (ln f)''(x) = [−p1/(1−x)² + p2/x² − 2 p3 (1 − ln x)/x²] / s
/// is monotone on (0, 1), so its extremes over a segment sit at the end points. A segment is
/// chosen by its envelope mass (Walker's alias table: O(1)), a point inside it by inverting the
/// exponential, and the point is accepted with probability f/envelope (≥ 0.999999 with the default
/// 2048 segments; an upper curvature bound gives a squeeze that skips evaluating f almost always).
/// The samples therefore follow eq. 2.4 exactly, not a tabulated approximation. Three uniforms
/// per draw.
class DijetMassSampler {
public:
    explicit DijetMassSampler(const DijetSpectrum& s, int segments = 2048) : s_(s) {
        s_.validate();
        resanom::detail::require(
            segments >= 1 && segments <= (1 << 24),
            "DijetMassSampler: segments must be in [1, 2^24], got " + std::to_string(segments));
        const auto k = static_cast<std::size_t>(segments);
        h_ = (s_.m_hi - s_.m_lo) / static_cast<double>(segments);
        std::vector<double> log_f(k + 1);
        for (std::size_t i = 0; i <= k; ++i) log_f[i] = dijet_log_shape(node(i), s_);
        ref_ = *std::max_element(log_f.begin(), log_f.end());
        seg_.resize(k);
        std::vector<double> mass(k);
        for (std::size_t i = 0; i < k; ++i) {
            Segment& g = seg_[i];
            g.log_f0 = log_f[i] - ref_;
            g.rate = log_f[i + 1] - log_f[i];  // chord of ln f across the segment
            g.expm1_rate = std::expm1(g.rate);
            const auto [lower, upper] = curvature_bounds(node(i), node(i + 1));
            g.excess = lower < 0.0 ? -lower * h_ * h_ / 8.0 : 0.0;
            const double deficit = upper > 0.0 ? upper * h_ * h_ / 8.0 : 0.0;
            g.squeeze = std::exp(-(g.excess + deficit));
            mass[i] = std::exp(g.log_f0 + g.excess) *
                      (std::abs(g.rate) < 1e-12 ? 1.0 : g.expm1_rate / g.rate);
        }
        build_alias(mass);
    }

    /// One draw of m_jj (TeV).
    double operator()(Rng& rng) const {
        const double last = std::nextafter(s_.m_hi, s_.m_lo);
        for (;;) {
            const double x = uniform01(rng) * static_cast<double>(seg_.size());
            auto i = static_cast<std::size_t>(x);
            if (x - static_cast<double>(i) >= prob_[i]) i = alias_[i];
            const Segment& g = seg_[i];
            // Inverse CDF of the density ∝ exp(rate·τ) on τ = t/h ∈ [0, 1).
            const double v = uniform01(rng);
            const double tau = std::abs(g.rate) < 1e-12 ? v : std::log1p(v * g.expm1_rate) / g.rate;
            const double m = std::min(node(i) + tau * h_, last);
            const double w = uniform01(rng);
            if (w < g.squeeze) return m;
            const double log_ratio =
                (dijet_log_shape(m, s_) - ref_) - (g.log_f0 + g.rate * tau + g.excess);
            if (w < std::exp(log_ratio)) return m;
        }
    }

    const DijetSpectrum& spectrum() const noexcept { return s_; }

private:
    struct Segment {
        double log_f0 = 0.0;      // ln f at the left node, minus ref_
        double rate = 0.0;        // ln f(right) − ln f(left)
        double expm1_rate = 0.0;  // expm1(rate)
        double excess = 0.0;      // L h²/8: envelope height above the chord
        double squeeze = 0.0;     // exp(−(excess + U h²/8)) ≤ f/envelope everywhere
    };

    double node(std::size_t i) const { return s_.m_lo + static_cast<double>(i) * h_; }

    /// Lower and upper bounds of d²(ln f)/dm² on [ma, mb] (see the class comment).
    std::pair<double, double> curvature_bounds(double ma, double mb) const {
        const double xa = ma / s_.sqrt_s, xb = mb / s_.sqrt_s;
        auto t1 = [&](double x) { return -s_.p1 / ((1.0 - x) * (1.0 - x)); };
        auto t2 = [&](double x) { return s_.p2 / (x * x); };
        auto t3 = [&](double x) { return -2.0 * s_.p3 * (1.0 - std::log(x)) / (x * x); };
        const double lo =
            std::min(t1(xa), t1(xb)) + std::min(t2(xa), t2(xb)) + std::min(t3(xa), t3(xb));
        const double hi =
            std::max(t1(xa), t1(xb)) + std::max(t2(xa), t2(xb)) + std::max(t3(xa), t3(xb));
        const double s2 = s_.sqrt_s * s_.sqrt_s;
        // A relative margin for rounding in the terms.
        return {(lo - 1e-9 * std::abs(lo)) / s2, (hi + 1e-9 * std::abs(hi)) / s2};
    }

    /// Walker/Vose alias table over the segment masses (deterministic: fixed scan order).
    void build_alias(const std::vector<double>& mass) {
        const std::size_t k = mass.size();
        double total = 0.0;
        for (double v : mass) total += v;
        prob_.assign(k, 1.0);
        alias_.resize(k);
        std::vector<double> scaled(k);
        std::vector<std::size_t> small, large;
        for (std::size_t i = 0; i < k; ++i) {
            alias_[i] = i;
            scaled[i] = mass[i] * static_cast<double>(k) / total;
            (scaled[i] < 1.0 ? small : large).push_back(i);
        }
        while (!small.empty() && !large.empty()) {
            const std::size_t a = small.back(), b = large.back();
            small.pop_back();
            prob_[a] = scaled[a];
            alias_[a] = b;
            scaled[b] -= 1.0 - scaled[a];
            if (scaled[b] < 1.0) {
                large.pop_back();
                small.push_back(b);
            }
        }
        // Leftovers (rounding) keep probability 1 of choosing themselves.
    }

    DijetSpectrum s_;
    double h_ = 0.0;
    double ref_ = 0.0;  // max of ln f over the nodes
    std::vector<Segment> seg_;
    std::vector<double> prob_;
    std::vector<std::size_t> alias_;
};

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

/// Background (QCD dijet) jet substructure. Defaults tuned to the background of the LHCO
/// signal-region files (docs/toys.md has the comparison).
struct DijetBackground {
    /// Each jet's mass starts log-normal with this median (TeV) ...
    double jet_mass_median = 0.172;
    /// ... and this standard deviation of ln m. With two independent jets the lighter one has
    /// median ≈ 0.11 TeV and the heavier ≈ 0.27 TeV, as in LHCO.
    double jet_mass_log_sigma = 0.87;
    /// Soft floor f (TeV), applied after the m_jj correlation shift: m ↦ (m + √(m² + 4f²))/2.
    /// A large-radius jet of p_T ≳ 1.2 TeV always carries some mass (this thins the lowest bin of
    /// mj_min to LHCO's, ≈ 10 % below 50 GeV), and a negative shift can never make a mass ≤ 0 or
    /// pile events up at a boundary.
    double jet_mass_floor = 0.015;
    /// Soft kinematic ceiling (TeV): m ↦ m / √(1 + (m/ceiling)²), which thins the high-mass tail
    /// of the log-normal to LHCO's (95 % quantile of the heavier jet ≈ 0.66 TeV).
    double jet_mass_ceiling = 0.9;
    /// Mean τ21 of a jet of mass m: high − (high − low) r/(1 + r), r = (m/tau21_mass_half)^power.
    /// LHCO: ≈ 0.60 below 0.15 TeV, 0.56 at 0.15–0.25, 0.46 at 0.25–0.4, 0.35 above 0.4 TeV
    /// (massive QCD jets look more two-pronged).
    double tau21_high = 0.62;
    double tau21_low = 0.30;
    double tau21_mass_half = 0.3;  ///< TeV
    double tau21_mass_power = 4.0;
    /// τ21 ~ Beta(μ κ, (1 − μ) κ) with this concentration κ (sets the spread, LHCO sd ≈ 0.18).
    double tau21_concentration = 8.0;

    void validate(const std::string& who) const {
        detail::require_positive(jet_mass_median, who + "::jet_mass_median");
        detail::require_positive(jet_mass_log_sigma, who + "::jet_mass_log_sigma");
        detail::require_positive(jet_mass_ceiling, who + "::jet_mass_ceiling");
        resanom::detail::require(
            tau21_high > 0.0 && tau21_high < 1.0 && tau21_low > 0.0 && tau21_low < 1.0,
            who + ": tau21_high and tau21_low must lie in (0, 1)");
        detail::require_positive(tau21_mass_half, who + "::tau21_mass_half");
        detail::require_positive(tau21_mass_power, who + "::tau21_mass_power");
        detail::require_non_negative(jet_mass_floor, who + "::jet_mass_floor");
        detail::require_positive(tau21_concentration, who + "::tau21_concentration");
    }
};

/// The Z' → XY signal of the LHC Olympics R&D set (m_Z' = 3.5 TeV, m_X = 500 GeV, m_Y = 100 GeV;
/// Benkendorfer et al. 2021, §IV; Das et al. 2024, §2.1). Widths tuned to the signal of the LHCO
/// signal-region files.
struct DijetSignal {
    /// m_jj ~ N(mjj_mean, mjj_width) TeV, redrawn until inside the spectrum's range. The width
    /// (3.4 %) reproduces the spread of the LHCO signal inside the SR (sd 0.096 TeV within
    /// 3.3–3.7). A real resonance also has a low-mass radiative tail, which this Gaussian lacks
    /// (and which SR-only files cannot show).
    double mjj_mean = 3.5;
    double mjj_width = 0.12;
    /// True masses of the X and Y jets (TeV).
    double m_x = 0.5;
    double m_y = 0.1;
    /// Gaussian jet-mass resolution (TeV; LHCO: interquartile ranges ≈ 45 and 26 GeV).
    double m_x_resolution = 0.035;
    double m_y_resolution = 0.02;
    /// Two-prong τ21 ~ Beta(mean, concentration) per jet (LHCO signal in the SR: mean τ21 of the
    /// heavier jet 0.23, of the lighter 0.39).
    double tau21_x_mean = 0.2;
    double tau21_x_concentration = 12.0;
    double tau21_y_mean = 0.39;
    double tau21_y_concentration = 9.5;
    /// Fraction of signal events whose X jet is reconstructed like a QCD jet (mass and τ21 drawn
    /// from the background model; e.g. a prong outside the R = 1 cone). LHCO: ≈ 10 % of signal
    /// events have delta_m < 0.25 TeV.
    double x_lost_fraction = 0.1;

    void validate() const {
        detail::require_finite(mjj_mean, "DijetSignal::mjj_mean");
        detail::require_positive(mjj_width, "DijetSignal::mjj_width");
        detail::require_non_negative(m_x, "DijetSignal::m_x");
        detail::require_non_negative(m_y, "DijetSignal::m_y");
        detail::require_non_negative(m_x_resolution, "DijetSignal::m_x_resolution");
        detail::require_non_negative(m_y_resolution, "DijetSignal::m_y_resolution");
        resanom::detail::require(
            tau21_x_mean > 0.0 && tau21_x_mean < 1.0 && tau21_y_mean > 0.0 && tau21_y_mean < 1.0,
            "DijetSignal: tau21_x_mean and tau21_y_mean must lie in (0, 1)");
        detail::require_positive(tau21_x_concentration, "DijetSignal::tau21_x_concentration");
        detail::require_positive(tau21_y_concentration, "DijetSignal::tau21_y_concentration");
        detail::require_fraction(x_lost_fraction, "DijetSignal::x_lost_fraction");
    }
};

/// How one background "simulation" differs from the data background (for SALAD, SA-CWoLa,
/// Multi-SALAD, SALAD-Switch). Each field's neutral value reproduces the data background; the knobs
/// act independently (τ21 follows the unscaled jet mass, so jet_mass_scale moves masses only).
struct DijetMismodel {
    /// Multiplies every jet mass (before the m_jj correlation shift).
    double jet_mass_scale = 1.0;
    /// Added to the mean τ21 of every jet (the mean is then kept inside [0.01, 0.99]).
    double tau21_shift = 0.0;
    /// Multiplies the τ21 concentration (< 1 broadens the τ21 distributions).
    double tau21_concentration_scale = 1.0;
    /// Overrides of the correlation coefficients (nullopt: the data's).
    std::optional<double> alpha_light;
    std::optional<double> alpha_heavy;
    /// Added to the spectrum's p1 (a different m_jj slope).
    double mjj_p1_shift = 0.0;

    void validate(const std::string& who) const {
        detail::require_positive(jet_mass_scale, who + "::jet_mass_scale");
        detail::require_finite(tau21_shift, who + "::tau21_shift");
        detail::require_positive(tau21_concentration_scale, who + "::tau21_concentration_scale");
        if (alpha_light) detail::require_finite(*alpha_light, who + "::alpha_light");
        if (alpha_heavy) detail::require_finite(*alpha_heavy, who + "::alpha_heavy");
        detail::require_finite(mjj_p1_shift, who + "::mjj_p1_shift");
    }
};

/// The default simulations: like LHCO's Herwig sample next to Pythia "data", each differs in a few
/// percent of the substructure, and — as Benkendorfer et al. 2021, §IV, found for LHCO — towards the signal:
/// simulation 0 has 5 % heavier jets, simulation 1 more two-pronged jets (mean τ21 − 0.03).
/// The Multi-SALAD setting of Chen et al. 2023, where each simulation mismodels a different aspect.
inline std::vector<DijetMismodel> default_dijet_simulations() {
    DijetMismodel masses;
    masses.jet_mass_scale = 1.05;
    DijetMismodel substructure;
    substructure.tau21_shift = -0.03;
    return {masses, substructure};
}

/// The default m_jj correlation of the dijet toy, matched to the background of the LHCO R&D
/// signal-region files (all three, 159 236 background events with 3.3 ≤ m_jj < 3.7 TeV): there the
/// least-squares slopes of the jet masses on m_jj are d mj_min/d m_jj = 0.0086 ± 0.0021 and
/// d(mj_min + delta_m)/d m_jj = 0.0247 ± 0.0039 (the heavier jet), and the toy with these two α
/// has expected slopes 0.0087 and 0.0248. The in-SR slopes are ≈ 0.97 α_light and 0.99 α_heavy
/// (ordering by the final masses and the soft floor take the rest). The heavier jet follows m_jj
/// ≈ 2.8× as fast as the lighter — not the 2× of Benkendorfer et al. 2021, §IV, which
/// set_correlation() keeps. docs/toys.md has the measurement.
inline constexpr double lhco_alpha_light = 0.009;
inline constexpr double lhco_alpha_heavy = 0.025;

/// Everything the dijet toy needs.
struct DijetToyParams {
    /// Background events in the data over the whole m_jj range (LHCO R&D: 10⁶ QCD dijet events;
    /// Benkendorfer et al. 2021, §IV: one million events per background sample).
    Index n_bkg = 1000000;
    /// Signal events injected into the data (Benkendorfer et al. 2021, §IV and Das et al. 2024, §2.1: 1000).
    Index n_sig = 1000;
    /// Events of each simulation; nullopt means n_bkg.
    std::optional<Index> n_sim;

    DijetSpectrum spectrum;
    DijetBackground background;
    DijetSignal signal;

    /// Correlation of the jet masses with m_jj: m_j ↦ m_j + α (m_jj − alpha_pivot) (then the soft
    /// floor), α_light for the lighter and α_heavy for the heavier jet. Benkendorfer et al. 2021,
    /// §IV used α1 = 0.1, α2 = 0.2 with no pivot. The default is LHCO's (lhco_alpha_light = 0.009,
    /// lhco_alpha_heavy = 0.025): corr(mj_min, m_jj) ≈ 0.06 over the whole spectrum and ≈ 0.02
    /// within an SR plus its 200 GeV sidebands; across a 400 GeV SR the shift moves by 3.6 and
    /// 10 GeV. set_correlation(a) gives the paper's ratio, set_correlation(0) no correlation.
    double alpha_light = lhco_alpha_light;
    double alpha_heavy = lhco_alpha_heavy;
    /// m_jj (TeV) at which the shift vanishes; 0 gives the form of Benkendorfer et al. 2021, §IV
    /// exactly.
    double alpha_pivot = 3.5;

    /// The background simulations (default: two, see default_dijet_simulations()).
    std::vector<DijetMismodel> simulations = default_dijet_simulations();

    /// One-number correlation (the CLI's --correlation): α_light = alpha, α_heavy = 2 alpha, the
    /// ratio of Benkendorfer et al. 2021, §IV; 0 switches the correlation off. Stronger than LHCO
    /// for alpha ≳ 0.01 (e.g. 0.02, the toy's default before it was matched to LHCO, makes the
    /// in-SR slopes 2.3× and 1.6× LHCO's).
    DijetToyParams& set_correlation(double alpha) {
        alpha_light = alpha;
        alpha_heavy = 2.0 * alpha;
        return *this;
    }

    /// Back to the default, LHCO-matched correlation: α_light = lhco_alpha_light, α_heavy =
    /// lhco_alpha_heavy (alpha_pivot is left as it is; the match holds for the default 3.5 TeV).
    DijetToyParams& set_lhco_correlation() {
        alpha_light = lhco_alpha_light;
        alpha_heavy = lhco_alpha_heavy;
        return *this;
    }

    Index simulation_size() const { return n_sim.value_or(n_bkg); }

    /// Throws input_error naming the first invalid parameter.
    void validate() const {
        detail::require_count(n_bkg, "DijetToyParams::n_bkg");
        detail::require_count(n_sig, "DijetToyParams::n_sig");
        if (n_sim) detail::require_count(*n_sim, "DijetToyParams::n_sim");
        spectrum.validate();
        background.validate("DijetBackground");
        signal.validate();
        resanom::detail::require(
            signal.mjj_mean >= spectrum.m_lo && signal.mjj_mean < spectrum.m_hi,
            "DijetSignal::mjj_mean " + std::to_string(signal.mjj_mean) +
                " must lie inside the m_jj range [" + std::to_string(spectrum.m_lo) + ", " +
                std::to_string(spectrum.m_hi) + ")");
        detail::require_finite(alpha_light, "DijetToyParams::alpha_light");
        detail::require_finite(alpha_heavy, "DijetToyParams::alpha_heavy");
        detail::require_finite(alpha_pivot, "DijetToyParams::alpha_pivot");
        for (std::size_t k = 0; k < simulations.size(); ++k) {
            const std::string who = "DijetToyParams::simulations[" + std::to_string(k) + "]";
            simulations[k].validate(who);
            DijetSpectrum shifted = spectrum;
            shifted.p1 += simulations[k].mjj_p1_shift;
            shifted.validate();
        }
    }
};

/// The data and the simulations of one dijet toy.
struct DijetToy {
    Events data;
    std::vector<Events> simulations;
};

/// Column names of the LHCO layout (the LHC Olympics R&D signal-region files) and of dijet_table().
inline constexpr std::array<std::string_view, 6> lhco_columns = {
    "mjj", "mj_min", "delta_m", "tau21_min", "tau21_max", "label"};

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------

namespace detail {

/// Beta(mean κ, (1 − mean) κ), kept strictly inside (0, 1).
inline double beta_by_mean(Rng& rng, double mean, double concentration) {
    const double r = resanom::beta_deviate(rng, mean * concentration, (1.0 - mean) * concentration);
    constexpr double eps = 1e-9;
    return std::isfinite(r) ? std::clamp(r, eps, 1.0 - eps) : mean;
}

/// The per-sample settings after applying a mismodelling (the data use a neutral one).
struct DijetModel {
    DijetBackground bkg;
    double mass_scale = 1.0;
    double tau21_shift = 0.0;
    double alpha_light = 0.0, alpha_heavy = 0.0, pivot = 0.0;
};

inline DijetModel make_model(const DijetToyParams& p, const DijetMismodel* mis) {
    DijetModel d;
    d.bkg = p.background;
    d.alpha_light = p.alpha_light;
    d.alpha_heavy = p.alpha_heavy;
    d.pivot = p.alpha_pivot;
    if (mis) {
        d.mass_scale = mis->jet_mass_scale;
        d.tau21_shift = mis->tau21_shift;
        d.bkg.tau21_concentration *= mis->tau21_concentration_scale;
        if (mis->alpha_light) d.alpha_light = *mis->alpha_light;
        if (mis->alpha_heavy) d.alpha_heavy = *mis->alpha_heavy;
    }
    return d;
}

/// A jet before the m_jj correlation: mass (TeV) and τ21; qcd marks jets from the background
/// model, whose final mass goes through the soft floor.
struct Jet {
    double mass;
    double tau21;
    bool qcd;
};

/// The QCD jet mass before the correlation shift and the floor: log-normal, soft ceiling.
inline double qcd_jet_mass(Rng& rng, const DijetBackground& b) {
    const double y = b.jet_mass_median * std::exp(b.jet_mass_log_sigma * normal(rng));
    const double r = y / b.jet_mass_ceiling;
    return y / std::sqrt(1.0 + r * r);
}

/// Smooth positive floor: (y + √(y² + 4f²))/2 — ≈ y for y ≫ f, f at y = 0, → 0⁺ as y → −∞;
/// increasing, so the jets' order is kept. f = 0 is max(0, y).
inline double soft_floor(double y, double f) {
    if (!(f > 0.0)) return std::max(0.0, y);
    const double s = std::sqrt(y * y + 4.0 * f * f);
    return y >= 0.0 ? 0.5 * (y + s) : 2.0 * f * f / (s - y);  // the same, without cancellation
}

inline double qcd_tau21_mean(double mass, const DijetModel& d) {
    const double q = mass / d.bkg.tau21_mass_half;
    const double r = d.bkg.tau21_mass_power == 4.0 ? (q * q) * (q * q)  // the default, without pow
                                                   : std::pow(q, d.bkg.tau21_mass_power);
    const double mu = d.bkg.tau21_high - (d.bkg.tau21_high - d.bkg.tau21_low) * r / (1.0 + r);
    return std::clamp(mu + d.tau21_shift, 0.01, 0.99);
}

/// A QCD jet; its τ21 follows its unscaled mass, so jet_mass_scale moves the mass only.
inline Jet qcd_jet(Rng& rng, const DijetModel& d) {
    const double mass = qcd_jet_mass(rng, d.bkg);
    const double tau = beta_by_mean(rng, qcd_tau21_mean(mass, d), d.bkg.tau21_concentration);
    return {mass * d.mass_scale, tau, true};
}

/// Applies the m_jj correlation to two jets and writes the LHCO features of the event to row r.
inline void write_event(ShuffledSample& out, Index r, double mjj, Jet a, Jet b, const DijetModel& d,
                        double label) {
    if (b.mass < a.mass) std::swap(a, b);  // a: lighter before the shift, gets α_light
    auto shifted = [&](const Jet& j, double alpha) {
        const double y = j.mass + alpha * (mjj - d.pivot);
        return j.qcd ? soft_floor(y, d.bkg.jet_mass_floor) : std::max(0.0, y);
    };
    a.mass = shifted(a, d.alpha_light);
    b.mass = shifted(b, d.alpha_heavy);
    if (b.mass < a.mass) std::swap(a, b);  // order by the final masses
    out.m(r, 0) = mjj;
    out.X(r, 0) = a.mass;
    out.X(r, 1) = b.mass - a.mass;
    out.X(r, 2) = a.tau21;
    out.X(r, 3) = b.tau21;
    out.truth[r] = label;
}

inline Events dijet_events(ShuffledSample&& s) {
    return Events(std::move(s.X), std::move(s.m), Vector(), std::move(s.truth),
                  {"mj_min", "delta_m", "tau21_min", "tau21_max"}, {"mjj"});
}

inline void fill_background(ShuffledSample& out, Index& at, Index n, const DijetMassSampler& mjj,
                            const DijetModel& d, Rng& rng) {
    for (Index i = 0; i < n; ++i, ++at) {
        const double m = mjj(rng);
        const Jet a = qcd_jet(rng, d);
        const Jet b = qcd_jet(rng, d);
        write_event(out, out.row(at), m, a, b, d, 0.0);
    }
}

inline void fill_signal(ShuffledSample& out, Index& at, Index n, const DijetToyParams& p,
                        const DijetModel& d, Rng& rng) {
    const DijetSignal& s = p.signal;
    for (Index i = 0; i < n; ++i, ++at) {
        double m;
        do {
            m = normal(rng, s.mjj_mean, s.mjj_width);
        } while (!(m >= p.spectrum.m_lo && m < p.spectrum.m_hi));
        Jet y{std::max(0.0, normal(rng, s.m_y, s.m_y_resolution)),
              beta_by_mean(rng, s.tau21_y_mean, s.tau21_y_concentration), false};
        Jet x;
        if (uniform01(rng) < s.x_lost_fraction) {
            x = qcd_jet(rng, d);
        } else {
            x = {std::max(0.0, normal(rng, s.m_x, s.m_x_resolution)),
                 beta_by_mean(rng, s.tau21_x_mean, s.tau21_x_concentration), false};
        }
        write_event(out, out.row(at), m, y, x, d, 1.0);
    }
}

}  // namespace detail

/// The data: n_bkg background and n_sig signal events, signal shuffled in (truth 1 = signal).
/// Features mj_min, delta_m, tau21_min, tau21_max; resonant feature mjj; unit weights.
inline Events dijet_data(const DijetToyParams& p, Rng& rng) {
    p.validate();
    const DijetMassSampler mjj(p.spectrum);
    const detail::DijetModel d = detail::make_model(p, nullptr);
    detail::ShuffledSample s(p.n_bkg + p.n_sig, 4, 1, rng);
    Index at = 0;
    detail::fill_background(s, at, p.n_bkg, mjj, d, rng);
    detail::fill_signal(s, at, p.n_sig, p, d, rng);
    return detail::dijet_events(std::move(s));
}

/// Background simulation k (0 ≤ k < p.simulations.size()): p.simulation_size() events, truth 0,
/// with the mismodelling p.simulations[k].
inline Events dijet_simulation(const DijetToyParams& p, std::size_t k, Rng& rng) {
    p.validate();
    resanom::detail::require(k < p.simulations.size(), "dijet_simulation: simulation " +
                                                           std::to_string(k) +
                                                           " requested but the parameters define " +
                                                           std::to_string(p.simulations.size()));
    const DijetMismodel& mis = p.simulations[k];
    DijetSpectrum spectrum = p.spectrum;
    spectrum.p1 += mis.mjj_p1_shift;
    const DijetMassSampler mjj(spectrum);
    const detail::DijetModel d = detail::make_model(p, &mis);
    detail::ShuffledSample s(p.simulation_size(), 4, 1, rng);
    Index at = 0;
    detail::fill_background(s, at, p.simulation_size(), mjj, d, rng);
    return detail::dijet_events(std::move(s));
}

/// Seeded versions: the data use the stream derive_seed(seed, 0), simulation k derive_seed(seed,
/// 1 + k), so each sample is the same whether or not the others are generated.
inline Events dijet_data(const DijetToyParams& p, std::uint64_t seed) {
    Rng rng(derive_seed(seed, 0));
    return dijet_data(p, rng);
}
inline Events dijet_simulation(const DijetToyParams& p, std::size_t k, std::uint64_t seed) {
    Rng rng(derive_seed(seed, 1 + static_cast<std::uint64_t>(k)));
    return dijet_simulation(p, k, rng);
}
inline DijetToy dijet_toy(const DijetToyParams& p, std::uint64_t seed) {
    DijetToy t;
    t.data = dijet_data(p, seed);
    for (std::size_t k = 0; k < p.simulations.size(); ++k)
        t.simulations.push_back(dijet_simulation(p, k, seed));
    return t;
}

// ---------------------------------------------------------------------------------------------
// The LHCO 6-column layout
// ---------------------------------------------------------------------------------------------

/// The n×6 LHCO-layout table of a dijet sample: columns mjj, mj_min, delta_m, tau21_min,
/// tau21_max, label (see lhco_columns). The label is the truth, or 0 when the sample has none.
/// Requires 4 features and at least one resonant feature (the first is taken as mjj).
inline Matrix dijet_table(const Events& e) {
    resanom::detail::require(e.n_features() == 4 && e.n_resonant() >= 1,
                             "dijet_table: expected 4 features and a resonant feature, got " +
                                 std::to_string(e.n_features()) + " and " +
                                 std::to_string(e.n_resonant()));
    Matrix t(e.size(), 6);
    t.col(0) = e.m().col(0);
    t.middleCols(1, 4) = e.X();
    if (e.has_truth())
        t.col(5) = e.truth();
    else
        t.col(5).setZero();
    return t;
}

/// The data table for `resanom generate --toy dijet`: dijet_table(dijet_data(p, seed)).
inline Matrix dijet_table(const DijetToyParams& p, std::uint64_t seed) {
    return dijet_table(dijet_data(p, seed));
}

/// Events from an LHCO-layout table (a dijet_table or an LHC Olympics R&D signal-region file):
/// features = columns 1–4, m = column 0, truth = column 5.
inline Events dijet_events_from_table(const Eigen::Ref<const Matrix>& table) {
    resanom::detail::require(table.cols() == 6,
                             "dijet_events_from_table: expected the 6 LHCO columns, got " +
                                 std::to_string(table.cols()));
    std::vector<std::string> names(lhco_columns.begin(), lhco_columns.end());
    return events_from_table(table, {1, 2, 3, 4}, {0}, Index{5}, std::nullopt, names);
}

}  // namespace resanom::toys
