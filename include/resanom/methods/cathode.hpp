// resanom/methods/cathode.hpp — CATHODE (Golling et al. 2024, §2.1; Das et al. 2024, §2.2.3) as a
// TemplateGenerator over any DensityEstimator D (the MAF flow of models/flow/maf.hpp in the papers).
//
// Cathode<D>: D learns p(x | m) outside the signal region, x is sampled at SR masses drawn from a
// KDE of the SR data's m (oversampling × N_SR samples), and SR data are trained against the samples,
// which are also the background template (scored out-of-fold like the data).
// cathode_sideband_shifts(): δ_sys^SB from the sidebands (Das et al. 2024, §3.2).
// docs/methods/cathode.md explains the method, its weights and defaults.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
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

template <DensityEstimator D>
class Cathode {
public:
    Cathode() = default;
    explicit Cathode(D density, CathodeParams p = {}) : density_(std::move(density)), p_(p) { p_.validate(); }

    const D& density() const noexcept { return density_; }
    const CathodeParams& params() const noexcept { return p_; }

    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t seed) const {
        namespace dm = detail::methods;
        const Events& data = in.data;
        const Window& win = in.window;
        const Index col = win.m_column;
        // 1. The density outside the SR, conditioned on m.
        D density = density_;
        const IndexList sr = dm::fit_outside_sr(density, data, win, derive_seed(seed, 0), "CATHODE");

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
    D density_{};
    CathodeParams p_{};
};

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
/// (systematic_shifts). Window k is seeded with
/// window_seed(seed, window).
template <DensityEstimator D, Classifier C>
std::vector<ReferenceShift> cathode_sideband_shifts(const Cathode<D>& cathode, const C& classifier, const Events& data,
                                                    const std::vector<Window>& windows, const std::vector<double>& eps_b,
                                                    int folds, std::uint64_t seed) {
    namespace dm = detail::methods;
    detail::require(!windows.empty() && !eps_b.empty(), "cathode_sideband_shifts: need windows and working points");
    const Events clean = data.has_truth() ? data.without_truth() : data;
    std::vector<ReferenceWindow> runs;
    const int oversampling = cathode.params().oversampling;
    for (const Window& win : windows) {
        const Index col = win.m_column;
        const std::uint64_t s = window_seed(seed, win);
        const IndexList sr = sr_rows(clean, win);
        dm::require_region(sr, clean.w(), "CATHODE sideband shift", "data", "signal region", win.sr);
        const IndexList outside = rows_outside(clean, win.sr, col);
        dm::require_region(outside, clean.w(), "CATHODE sideband shift", "data", "region outside the signal region", win.sr);
        D density = cathode.density();
        density.fit(clean.X()(outside, Eigen::all), Matrix(clean.m(col)(outside)), derive_seed(s, 0));

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

}  // namespace resanom
