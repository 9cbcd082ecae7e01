// resanom/stats/scan.hpp — window scans of a binned spectrum: the local significance of every
// signal-region window, and the global significance of the largest one from pseudo-experiments.
//
// Each window gets its own sideband fit (SR masked) and profile-likelihood significance. The global
// significance accounts for the look-elsewhere effect (none of the papers does this, searches need
// it): the spectrum is fit without a mask, Poisson toys are drawn from that fitted background, every
// window is refit in every toy, and the global p-value is the fraction of toys whose largest local Z
// reaches the observed one. Toys run on a ThreadPool with per-toy seeds derive_seed(seed, t), so
// results are identical for any thread count. Formulas: docs/statistics.md.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/parallel.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/stats/dijet_fit.hpp"
#include "resanom/stats/histogram.hpp"
#include "resanom/stats/significance.hpp"

namespace resanom {

/// One window of a scan.
struct LocalSignificance {
    Interval sr;
    double n_obs = 0.0, n_pred = 0.0, sigma_pred = 0.0;
    double q0 = 0.0, z = 0.0, p_value = 0.5;
    double chi2 = 0.0;
    int ndf = 0;
};

/// The signal regions of a list of windows (e.g. das2024_windows(), collins2021_windows(), scan_windows()).
inline std::vector<Interval> signal_regions(std::span<const Window> windows) {
    std::vector<Interval> out;
    for (const auto& w : windows) out.push_back(w.sr);
    return out;
}

namespace detail::scan {

inline LocalSignificance judge(const FitResult& r, const Interval& sr) {
    LocalSignificance l;
    l.sr = sr;
    l.n_obs = r.n_obs_sr;
    l.n_pred = r.n_pred_sr;
    l.sigma_pred = r.sigma_pred_sr;
    l.chi2 = r.chi2;
    l.ndf = r.ndf;
    if (r.n_pred_sr > 0.0) {
        const auto pl = profile_likelihood_significance(r.n_obs_sr, r.n_pred_sr, r.sigma_pred_sr);
        l.q0 = pl.q0;
        l.z = pl.z;
        l.p_value = pl.p_value;
    }
    return l;
}

}  // namespace detail::scan

/// The local significance of each signal region: a sideband fit with that SR masked, then
/// Benkendorfer et al. 2021, eqs. 2.5–2.6. Fit errors propagate.
template <class = void>
std::vector<LocalSignificance> local_significances(const Histogram& h, std::span<const Interval> srs,
                                                          const FitOptions& fit = {}) {
    detail::require(!srs.empty(), "local_significances: no signal regions");
    std::vector<LocalSignificance> out;
    for (const auto& sr : srs) out.push_back(detail::scan::judge(SidebandFitter(h.edges(), sr, fit).fit(h), sr));
    return out;
}

struct GlobalSignificanceOptions {
    Index toys = 1000;           ///< background-only pseudo-experiments
    std::uint64_t seed = 0;      ///< toy t uses Rng(derive_seed(seed, t))
    unsigned threads = 0;        ///< 0: all cores
    FitOptions fit = {};
    /// Called as progress(done, total) after each toy, from any worker thread but never
    /// concurrently (a mutex serializes the calls). Optional.
    std::function<void(Index, Index)> progress = {};
};

struct GlobalSignificance {
    std::vector<LocalSignificance> local;  ///< the observed scan
    Index max_window = 0;                  ///< index of the window with the largest local Z
    double max_local_z = 0.0;
    Index toys = 0;
    Index exceed = 0;          ///< toys whose largest local Z ≥ max_local_z
    double p_value = 1.0;      ///< (exceed + 1)/(toys + 1): never 0, conservative by one toy
    double z = 0.0;            ///< global Z = max(0, Φ⁻¹(1 − p_value)), through complement()
    Vector toy_max_z;          ///< largest local Z of each toy, in toy order
    Index failed_fits = 0;     ///< toy window fits that failed (counted as Z = 0)
    FitResult background;      ///< the unmasked background-only fit the toys are drawn from
};

/// The global significance of the largest local excess of a scan over `srs`.
template <class = void>
GlobalSignificance global_significance(const Histogram& h, std::span<const Interval> srs,
                                              const GlobalSignificanceOptions& opt = {}) {
    detail::require(opt.toys >= 1, "global_significance: need at least one pseudo-experiment");
    detail::require(!srs.empty(), "global_significance: no signal regions");
    GlobalSignificance g;
    g.local = local_significances(h, srs, opt.fit);
    for (std::size_t k = 0; k < g.local.size(); ++k)
        if (g.local[k].z > g.local[g.max_window].z) g.max_window = static_cast<Index>(k);
    g.max_local_z = g.local[static_cast<std::size_t>(g.max_window)].z;
    g.background = SidebandFitter(h.edges(), std::nullopt, opt.fit).fit(h);
    std::vector<SidebandFitter> fitters;
    for (const auto& sr : srs) fitters.emplace_back(h.edges(), sr, opt.fit);

    g.toys = opt.toys;
    g.toy_max_z = Vector::Zero(opt.toys);
    std::vector<Index> failures(static_cast<std::size_t>(opt.toys), 0);
    std::atomic<Index> done{0};
    std::mutex progress_mutex;
    const Vector& mu = g.background.expected;
    ThreadPool& pool = shared_pool(opt.threads);   // persistent workers: no threads started per call
    pool.parallel_for(opt.toys, [&](Index t) {
        Rng rng(derive_seed(opt.seed, static_cast<std::uint64_t>(t)));
        Vector n(mu.size());
        for (Index i = 0; i < mu.size(); ++i) n[i] = static_cast<double>(poisson(rng, mu[i]));
        double zmax = 0.0;
        for (std::size_t k = 0; k < fitters.size(); ++k) {
            try {
                zmax = std::max(zmax, detail::scan::judge(fitters[k].fit(n), srs[k]).z);
            } catch (const error&) {
                ++failures[static_cast<std::size_t>(t)];
            }
        }
        g.toy_max_z[t] = zmax;
        const Index d = ++done;
        if (opt.progress) {
            std::lock_guard lock(progress_mutex);
            opt.progress(d, opt.toys);
        }
    });
    for (Index t = 0; t < opt.toys; ++t) {
        g.exceed += g.toy_max_z[t] >= g.max_local_z;
        g.failed_fits += failures[static_cast<std::size_t>(t)];
    }
    g.p_value = (static_cast<double>(g.exceed) + 1.0) / (static_cast<double>(opt.toys) + 1.0);
    g.z = std::max(0.0, z_of_p_value(g.p_value));
    return g;
}

template <class = void>
GlobalSignificance global_significance(const Histogram& h, std::span<const Window> windows,
                                              const GlobalSignificanceOptions& opt = {}) {
    const auto srs = signal_regions(windows);
    return global_significance(h, std::span<const Interval>(srs), opt);
}

}  // namespace resanom
