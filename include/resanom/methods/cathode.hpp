// resanom/methods/cathode.hpp — CATHODE (paper 002 §2.1, paper 003 §2.2.3) as a TemplateGenerator
// over any DensityEstimator D (the MAF flow of models/flow/maf.hpp in the papers):
//
//   1. D learns p(x | m) on all data outside the signal region (paper 003 §2.2.3);
//   2. SR mass values are drawn from a Gaussian KDE of the SR data's m (stats/kde.hpp), truncated
//      to the SR — oversampling × N_SR of them (paper 003: ×4);
//   3. x ~ p(x | m) at those m: the background template;
//   4. training set: SR data (label 1, weight 1) vs the samples (label 0, weight 1/oversampling, so
//      that both classes carry the same total weight).
// The samples are training rows (data_row −1, each its own fold group) and the template
// (template_row maps them), so they are scored out-of-fold like the data.
//
// cathode_sideband_shift() is paper 003 §3.2's δ_sys^SB: the same flow (trained outside the SR)
// samples the sidebands, a classifier separates sideband data from those samples, and the
// relative excess of data over the samples' expectation at each working point is the shift.
#pragma once

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
    int oversampling = 4;  ///< samples per SR data event (paper 003 §2.2.3)

    void validate() const {
        detail::require(oversampling >= 1, "CATHODE: oversampling must be >= 1, got " + std::to_string(oversampling));
    }
};

namespace detail::methods {

/// Samples of D at m values drawn from a KDE of `m_source` restricted to `region` (n of them).
template <class D>
Events cathode_samples(const D& density, const Vector& m_source, const Vector& w_source, const Interval& region,
                       Index n, Index m_column, Index n_resonant, Rng& rng) {
    const GaussianKde kde(m_source, w_source);
    const Vector m_draw = kde.sample_in(region, n, rng);
    Matrix M = Matrix::Zero(n, n_resonant);
    M.col(m_column) = m_draw;
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
        const IndexList sr = sr_rows(data, win);
        dm::require_region(sr, data.w(), "CATHODE", "data", "signal region", win.sr);
        const IndexList outside = rows_outside(data, win.sr, col);
        dm::require_region(outside, data.w(), "CATHODE", "data", "region outside the signal region", win.sr);

        // 1. The density outside the SR, conditioned on m.
        D density = density_;
        density.fit(data.X()(outside, Eigen::all), Matrix(data.m(col)(outside)), derive_seed(seed, 0));

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

/// Paper 003 §3.2, δ_sys^SB for CATHODE: for each working point ε_B, the relative excess of
/// sideband data over a CATHODE template generated in the sidebands (the flow trained outside the
/// SR, m from a KDE of the sideband data), both scored out-of-fold by classifiers C trained to tell
/// them apart (k folds). Averaged over `windows` (eq. 5).
template <DensityEstimator D, Classifier C>
std::vector<SystematicShift> cathode_sideband_shift(const Cathode<D>& cathode, const C& classifier, const Events& data,
                                                    const std::vector<Window>& windows, const std::vector<double>& eps_b,
                                                    int folds, std::uint64_t seed) {
    namespace dm = detail::methods;
    detail::require(!windows.empty() && !eps_b.empty(), "cathode_sideband_shift: need windows and working points");
    const Events clean = data.has_truth() ? data.without_truth() : data;
    std::vector<ReferenceWindow> runs;
    for (std::size_t k = 0; k < windows.size(); ++k) {
        const Window& win = windows[k];
        const Index col = win.m_column;
        const std::uint64_t s = derive_seed(seed, k);
        const IndexList sb = sb_rows(clean, win);
        dm::require_region(sb, clean.w(), "CATHODE sideband shift", "data", "sidebands", win.sb_low);
        const IndexList outside = rows_outside(clean, win.sr, col);
        D density = cathode.density();
        density.fit(clean.X()(outside, Eigen::all), Matrix(clean.m(col)(outside)), derive_seed(s, 0));
        // Samples in each sideband, as many per sideband as CATHODE makes per SR event.
        Rng rng(derive_seed(s, 1));
        const auto n_sb = static_cast<Index>(sb.size());
        const Index n_samples = n_sb * cathode.params().oversampling;
        const IndexList low = rows_in(clean, win.sb_low, col);
        const auto n_low = static_cast<Index>(low.size()) * cathode.params().oversampling;
        Matrix Xs(n_samples, clean.n_features());
        const Vector m_sb = clean.m(col)(sb), w_sb = clean.w()(sb);
        const Interval bands[2] = {win.sb_low, win.sb_high};
        const Index counts[2] = {n_low, n_samples - n_low};
        for (Index b = 0, row = 0; b < 2; row += counts[b], ++b)
            if (counts[b] > 0)
                Xs.middleRows(row, counts[b]) = dm::cathode_samples(density, m_sb, w_sb, bands[b], counts[b], 0, 1, rng).X();
        const double w_sample = clean.w()(sb).sum() / static_cast<double>(n_samples);
        TrainingSet t = concat(TrainingSet(clean.X()(sb, Eigen::all), Vector::Ones(n_sb), Vector(clean.w()(sb))),
                               TrainingSet(Xs, Vector::Zero(n_samples), Vector::Constant(n_samples, w_sample)));
        const auto oof = out_of_fold_predict(classifier, t, random_folds(t.size(), folds, derive_seed(s, 2)), folds,
                                             derive_seed(s, 3)).first;
        ReferenceWindow rw;
        rw.reference = ScoredEvents{oof.head(n_sb), Vector(), Vector(clean.w()(sb))};
        rw.templ = ScoredEvents{oof.tail(n_samples), Vector(), Vector::Constant(n_samples, w_sample)};
        runs.push_back(std::move(rw));
    }
    std::vector<SystematicShift> out;
    for (double e : eps_b) out.push_back({e, delta_sys_from_sidebands(runs, e), std::nullopt});
    return out;
}

}  // namespace resanom
