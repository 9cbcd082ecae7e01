// resanom/methods/cathode.hpp — CATHODE (Golling et al. 2024, §2.1; Das et al. 2024, §2.2.3) as a
// TemplateGenerator over any DensityEstimator D (the MAF flow of models/flow/maf.hpp in the papers).
//
// Cathode<D>: D learns p(x | m) outside the signal region, x is sampled at SR masses drawn from a
// KDE of the SR data's m (oversampling × N_SR samples), and SR data are trained against the samples,
// which are also the background template (scored out-of-fold like the data).
// cathode_sideband_shifts(): δ_sys^SB from the sidebands (Das et al. 2024, §3.2).
// CathodeFit / cathode_fits(): the windows' densities fitted once, ahead of the search, and shared by
// the template (Cathode::with_fits) and δ_sys^SB.
// docs/methods/cathode.md explains the method, its weights and defaults.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/cross_validation.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/methods/generator_support.hpp"
#include "resanom/stats/direct_estimate.hpp"
#include "resanom/stats/kde.hpp"

namespace resanom {

struct CathodeParams {
    int oversampling = 4;  ///< samples per SR data event (Das et al. 2024, §2.2.3)

    void validate() const {
        detail::require(oversampling >= 1, "CATHODE: oversampling must be >= 1, got " + std::to_string(oversampling));
    }
};

namespace detail::methods {

/// The SR rows of `data`, after fitting `density` to every event outside the SR, conditioned on
/// the window's m (step 1 of CATHODE and LaCATHODE); `who` names the method in errors.
template <class D>
IndexList fit_outside_sr(D& density, const Events& data, const Window& win, std::uint64_t seed, const char* who) {
    const Index col = win.m_column;
    IndexList sr = sr_rows(data, win);
    require_region(sr, data.w(), who, "data", "signal region", win.sr);
    const IndexList outside = rows_outside(data, win.sr, col);
    require_region(outside, data.w(), who, "data", "region outside the signal region", win.sr);
    density.fit(data.X()(outside, Eigen::all), Matrix(data.m(col)(outside)), seed);
    return sr;
}

/// n rows of resonant features (n_resonant columns, zero but m_column) whose m is drawn from a KDE
/// of `m_source` restricted to `region`.
inline Matrix kde_masses(const Vector& m_source, const Vector& w_source, const Interval& region, Index n,
                         Index m_column, Index n_resonant, Rng& rng) {
    const GaussianKde kde(m_source, w_source);
    Matrix M = Matrix::Zero(n, n_resonant);
    M.col(m_column) = kde.sample_in(region, n, rng);
    return M;
}

/// What a density fitted ahead (CathodeFit) saw outside the SR: the number of events, the sum of
/// their m and the sum of their features.
struct OutsideFingerprint {
    Index n = 0;
    double m_sum = 0.0, x_sum = 0.0;
    bool operator==(const OutsideFingerprint&) const = default;
};

inline OutsideFingerprint outside_fingerprint(const Events& data, Index m_column, const IndexList& outside) {
    OutsideFingerprint f{static_cast<Index>(outside.size())};
    for (Index r : outside) {
        f.m_sum += data.m(m_column)[r];
        f.x_sum += data.X().row(r).sum();
    }
    return f;
}

inline OutsideFingerprint outside_fingerprint(const Events& data, const Window& win) {
    return outside_fingerprint(data, win.m_column, rows_outside(data, win.sr, win.m_column));
}

inline bool same_window(const Window& a, const Window& b) {
    return a.sr.lo == b.sr.lo && a.sr.hi == b.sr.hi && a.m_column == b.m_column;
}

/// Samples of D at m values drawn from a KDE of `m_source` restricted to `region` (n of them).
template <class D>
Events cathode_samples(const D& density, const Vector& m_source, const Vector& w_source, const Interval& region,
                       Index n, Index m_column, Index n_resonant, Rng& rng) {
    Matrix M = kde_masses(m_source, w_source, region, n, m_column, n_resonant, rng);
    const Vector m_draw = M.col(m_column);
    Matrix X = density.sample(Matrix(m_draw), rng);
    require(X.rows() == n, "CATHODE: the density estimator returned " + std::to_string(X.rows()) + " samples for " +
                               std::to_string(n) + " m values");
    require_finite(X, "CATHODE: samples of the density estimator");
    return Events(std::move(X), std::move(M));
}

}  // namespace detail::methods

/// CATHODE's density for one window, fitted ahead of the pipeline (Cathode::fit, cathode_fits) so
/// that the search's template and δ_sys^SB come from the same fit, as in Das et al. 2024, §3.2 (the
/// sideband template is generated "from our density estimator"). It records what it was fitted on
/// (the window, the generator seed, the number of events outside the SR and the sums of their m
/// and features), which Cathode::generate and cathode_sideband_shifts check before using it.
template <class D>
struct CathodeFit {
    Window window;
    std::uint64_t seed = 0;                     ///< the generator seed generate() would fit with (generator_seed)
    detail::methods::OutsideFingerprint seen;   ///< the events outside the SR it was fitted on
    std::shared_ptr<const D> density;
};

template <DensityEstimator D>
class Cathode {
public:
    Cathode() = default;
    explicit Cathode(D density, CathodeParams p = {}) : density_(std::move(density)), p_(p) { p_.validate(); }

    const D& density() const noexcept { return density_; }
    const CathodeParams& params() const noexcept { return p_; }

    /// Step 1 alone, ahead of the pipeline: the density fitted outside the SR of `win` on `data`,
    /// exactly as generate() with generator seed `seed` would fit it.
    CathodeFit<D> fit(const Events& data, const Window& win, std::uint64_t seed) const {
        return CathodeFit<D>{win, seed, detail::methods::outside_fingerprint(data, win), fit_density(data, win, seed)};
    }

    /// This generator with densities fitted ahead: generate() takes the fit of its window and seed
    /// from `fits` instead of fitting again (the same bits as fitting), and throws if that fit saw
    /// other events outside the SR than the data it is given (so a pipeline holding it cannot run
    /// on a background-only reference: give that one the plain generator). Windows or seeds without
    /// a fit are fitted as usual. The fits are not checked against this generator's density
    /// settings: make them with this generator (fit, cathode_fits).
    Cathode with_fits(std::vector<CathodeFit<D>> fits) const {
        Cathode c = *this;
        c.fits_ = std::make_shared<const std::vector<CathodeFit<D>>>(std::move(fits));
        return c;
    }

    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t seed) const {
        namespace dm = detail::methods;
        const Events& data = in.data;
        const Window& win = in.window;
        const Index col = win.m_column;
        // 1. The density outside the SR, conditioned on m (or its fit made ahead).
        const IndexList sr = sr_rows(data, win);
        dm::require_region(sr, data.w(), "CATHODE", "data", "signal region", win.sr);
        std::shared_ptr<const D> fitted = fitted_for(data, win, seed);
        if (!fitted) fitted = fit_density(data, win, seed);
        const D& density = *fitted;

        // 2–3. Samples at KDE-drawn SR masses.
        const auto n_sr = static_cast<Index>(sr.size());
        const Index n_samples = n_sr * p_.oversampling;
        Rng rng(derive_seed(seed, 1));
        Events samples = dm::cathode_samples(density, Vector(data.m(col)(sr)), Vector(data.w()(sr)), win.sr, n_samples,
                                             col, data.n_resonant(), rng);

        // 4. SR data vs samples, equal total weights.
        dm::TrainingBuilder b;
        b.add(data.X()(sr, Eigen::all), Vector::Ones(n_sr), Vector(data.w()(sr)), sr);
        const double w_sample = data.w()(sr).sum() / static_cast<double>(n_samples);
        const Index first = b.add(samples.X(), Vector::Zero(n_samples), Vector::Constant(n_samples, w_sample),
                                  IndexList(static_cast<std::size_t>(n_samples), -1));
        GeneratedTemplate g = b.finish();
        g.background_template = Events(samples.X(), samples.m(), Vector::Constant(n_samples, w_sample));
        g.template_row = dm::consecutive(first, n_samples);
        return g;
    }

private:
    /// Step 1: a copy of the density fitted outside the SR with generator seed `seed`.
    std::shared_ptr<const D> fit_density(const Events& data, const Window& win, std::uint64_t seed) const {
        auto density = std::make_shared<D>(density_);
        detail::methods::fit_outside_sr(*density, data, win, derive_seed(seed, 0), "CATHODE");
        return density;
    }

    std::shared_ptr<const D> fitted_for(const Events& data, const Window& win, std::uint64_t seed) const {
        if (!fits_) return nullptr;
        for (const CathodeFit<D>& f : *fits_) {
            if (f.seed != seed || !detail::methods::same_window(f.window, win)) continue;
            const detail::methods::OutsideFingerprint seen = detail::methods::outside_fingerprint(data, win);
            detail::require(seen == f.seen,
                            "CATHODE: the density fitted ahead for the window " + detail::methods::interval_text(win.sr) +
                                " saw " + std::to_string(f.seen.n) + " events outside the SR, the data have " +
                                std::to_string(seen.n) + (seen.n == f.seen.n ? " with other values" : ""));
            detail::require(f.density != nullptr, "CATHODE: a fit made ahead holds no density");
            return f.density;
        }
        return nullptr;
    }

    D density_{};
    CathodeParams p_{};
    std::shared_ptr<const std::vector<CathodeFit<D>>> fits_;
};

/// CATHODE's density for every window of a search with seed `seed`, each fitted with the generator
/// seed its window's pipeline uses (generator_seed(window_seed(seed, window))): give them to
/// cathode_sideband_shifts and to the search's generator (Cathode::with_fits) to fit each window
/// once.
template <DensityEstimator D>
std::vector<CathodeFit<D>> cathode_fits(const Cathode<D>& cathode, const Events& data, const std::vector<Window>& windows,
                                        std::uint64_t seed) {
    std::vector<CathodeFit<D>> fits;
    fits.reserve(windows.size());
    for (const Window& w : windows) fits.push_back(cathode.fit(data, w, generator_seed(window_seed(seed, w))));
    return fits;
}

/// Das et al. 2024, §3.2, δ_sys^SB for CATHODE: "we create an alternative background template by
/// generating sideband data from our density estimator … we do not interpolate into the signal
/// region … We take a randomized selection of the full sideband data for each of the … classifier
/// runs and oversample the corresponding background template by a factor of four". In each window:
///   1. the density learns p(x | m) on all data outside the SR, as for the search;
///   2. a random selection of those events, as many as the SR holds ("the same data set sizes as
///      for the signal region analysis"), is the sideband pseudo-data;
///   3. the density samples `oversampling` times as many events at m drawn from a KDE of the
///      selection's m, on each side of the SR in proportion (the template generated in the
///      sidebands);
///   4. classifiers C tell the selection from the samples, k-fold (every row scored by a classifier
///      that never saw it), and eq. 4 gives the window's shift at each working point.
/// Returns one ReferenceShift per working point — the windows' shifts and their expected
/// statistical variance — so that δ_sys^SB and its σ_sys follow by the same rules as δ_sys^MC
/// (systematic_shifts). Window k is seeded with window_seed(seed, window). `fits` are the windows'
/// densities (cathode_fits with the same data, windows and seed: the search's own), one per window
/// in order.
template <DensityEstimator D, Classifier C>
std::vector<ReferenceShift> cathode_sideband_shifts(const Cathode<D>& cathode, const std::vector<CathodeFit<D>>& fits,
                                                    const C& classifier, const Events& data,
                                                    const std::vector<Window>& windows, const std::vector<double>& eps_b,
                                                    int folds, std::uint64_t seed) {
    namespace dm = detail::methods;
    detail::require(!windows.empty() && !eps_b.empty(), "cathode_sideband_shifts: need windows and working points");
    detail::require(fits.size() == windows.size(), "cathode_sideband_shifts: " + std::to_string(fits.size()) +
                                                       " fitted densities for " + std::to_string(windows.size()) + " windows");
    const Events clean = data.has_truth() ? data.without_truth() : data;
    std::vector<ReferenceWindow> runs;
    const int oversampling = cathode.params().oversampling;
    for (std::size_t k = 0; k < windows.size(); ++k) {
        const Window& win = windows[k];
        const Index col = win.m_column;
        const std::uint64_t s = window_seed(seed, win);
        const IndexList sr = sr_rows(clean, win);
        dm::require_region(sr, clean.w(), "CATHODE sideband shift", "data", "signal region", win.sr);
        const IndexList outside = rows_outside(clean, win.sr, col);
        dm::require_region(outside, clean.w(), "CATHODE sideband shift", "data", "region outside the signal region", win.sr);
        const CathodeFit<D>& fit = fits[k];
        detail::require(dm::same_window(fit.window, win) && fit.density != nullptr &&
                            fit.seed == generator_seed(s) && fit.seen == dm::outside_fingerprint(clean, col, outside),
                        "cathode_sideband_shifts: the density given for the window " + dm::interval_text(win.sr) +
                            " was not fitted on this window of these data with this seed (cathode_fits)");
        const D& density = *fit.density;

        // 2. The pseudo-data: as many sideband events as the SR holds, drawn at random.
        Rng rng(derive_seed(s, 1));
        IndexList sel = outside;
        shuffle(sel.begin(), sel.end(), rng);
        sel.resize(std::min(sel.size(), sr.size()));
        std::sort(sel.begin(), sel.end());
        const auto n_sel = static_cast<Index>(sel.size());
        detail::require(n_sel >= folds, "CATHODE sideband shift: " + std::to_string(n_sel) +
                                            " sideband events cannot fill " + std::to_string(folds) + " folds");

        // 3. Samples on each side of the SR at KDE-drawn masses, oversampled.
        const Vector m_sel = clean.m(col)(sel), w_sel = clean.w()(sel);
        const double m_min = m_sel.minCoeff(), m_max = m_sel.maxCoeff();
        Index n_low = 0;
        for (Index i = 0; i < n_sel; ++i) n_low += m_sel[i] < win.sr.lo;
        const Interval bands[2] = {{std::min(m_min, win.sr.lo) , win.sr.lo},
                                   {win.sr.hi, std::nextafter(std::max(m_max, win.sr.hi), 1e300)}};
        const Index counts[2] = {n_low * oversampling, (n_sel - n_low) * oversampling};
        const Index n_samples = counts[0] + counts[1];
        Matrix Xs(n_samples, clean.n_features());
        for (Index b = 0, row = 0; b < 2; row += counts[b], ++b)
            if (counts[b] > 0)
                Xs.middleRows(row, counts[b]) =
                    dm::cathode_samples(density, m_sel, w_sel, bands[b], counts[b], 0, 1, rng).X();

        // 4. Selection (label 1) against the samples (label 0, equal total weight), k-fold.
        const double w_sample = w_sel.sum() / static_cast<double>(n_samples);
        const TrainingSet t = concat(TrainingSet(clean.X()(sel, Eigen::all), Vector::Ones(n_sel), w_sel),
                                     TrainingSet(Xs, Vector::Zero(n_samples), Vector::Constant(n_samples, w_sample)));
        const auto oof = out_of_fold_predict(classifier, t, random_folds(t.size(), folds, derive_seed(s, 2)), folds,
                                             derive_seed(s, 3)).first;
        ReferenceWindow rw;
        rw.reference = ScoredEvents{oof.head(n_sel), Vector(), w_sel};
        rw.templ = ScoredEvents{oof.tail(n_samples), Vector(), Vector::Constant(n_samples, w_sample)};
        runs.push_back(std::move(rw));
    }
    std::vector<Interval> srs;
    for (const Window& w : windows) srs.push_back(w.sr);
    std::vector<ReferenceShift> out;
    for (double e : eps_b) out.push_back({e, delta_sys_per_window(runs, e), delta_sys_variance_per_window(runs, e), srs});
    return out;
}

/// The same, fitting the windows' densities itself (cathode_fits): the fits a search with this seed
/// makes for its templates.
template <DensityEstimator D, Classifier C>
std::vector<ReferenceShift> cathode_sideband_shifts(const Cathode<D>& cathode, const C& classifier, const Events& data,
                                                    const std::vector<Window>& windows, const std::vector<double>& eps_b,
                                                    int folds, std::uint64_t seed) {
    return cathode_sideband_shifts(cathode, cathode_fits(cathode, data, windows, seed), classifier, data, windows, eps_b,
                                   folds, seed);
}

}  // namespace resanom
