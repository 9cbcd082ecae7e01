// resanom/stats/bump_hunt.hpp — the bump hunt as a TestStatistic (paper 001 §II.C, paper 004 §4.3
// and App. A): cut on the classifier score at each working point, histogram the selected m
// spectrum, fit it with the signal region masked (dijet_fit.hpp), and judge the SR with the
// profile-likelihood significance of paper 001 eqs. 2.5–2.6 (significance.hpp).
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/stats/dijet_fit.hpp"
#include "resanom/stats/histogram.hpp"
#include "resanom/stats/metrics.hpp"
#include "resanom/stats/significance.hpp"

namespace resanom {

struct BumpHuntConfig {
    /// The fit's bins; default paper 001 §II.C: 30 uniform bins over [2.6, 5.0] TeV.
    std::vector<double> edges = uniform_edges(2.6, 5.0, 30);
    FitOptions fit = {};
    /// Where the working point's threshold comes from: the background template when the input has
    /// one and this is true (ε_B as in direct estimation), else the data in the fit range (the
    /// "top x %" selection of CWoLa Hunting, paper 004 §3.1, with x = ε_B).
    bool cut_on_template = true;
    /// When true, a working point whose fit fails (too few selected events, no convergence) is
    /// reported with n_exp, sigma_exp and z NaN and p_value 1 instead of throwing, so that one
    /// tight cut does not end a whole search (the tool's search sets it).
    bool skip_failed_fits = false;
};

/// Per working point: threshold, n_obs = selected data in the masked SR bins, n_exp and sigma_exp
/// = the fit's prediction there and its uncertainty, z and p_value from the profile likelihood
/// (z = √q0 ≥ 0). The SR is window.sr; bins that overlap it are masked. Fit failures propagate
/// (input_error for unusable spectra, numeric_error for a fit that does not converge).
class BumpHunt {
public:
    explicit BumpHunt(BumpHuntConfig config = {}) : config_(std::move(config)) { Histogram check(config_.edges); }

    const BumpHuntConfig& config() const noexcept { return config_; }

    // A template (In is always StatisticInput) so that the sideband fitter is compiled only where
    // a bump hunt is evaluated, not wherever this header is included.
    template <class In = StatisticInput>
    std::vector<Significance> evaluate(const In& in) const {
        const ScoredEvents& d = in.data;
        const Index n = d.score.size();
        detail::require(d.m.size() == n, "BumpHunt: the data need one m value per score (" + std::to_string(d.m.size()) +
                                             " for " + std::to_string(n) + ")");
        detail::require(d.w.size() == 0 || d.w.size() == n, "BumpHunt: wrong number of data weights");
        const Interval range{config_.edges.front(), config_.edges.back()};
        std::vector<Index> rows;
        for (Index i = 0; i < n; ++i) {
            if (!std::isfinite(d.score[i]) || !std::isfinite(d.m[i]))
                throw input_error("BumpHunt: data row " + std::to_string(i) + " has a non-finite score or m");
            if (range.contains(d.m[i])) rows.push_back(i);
        }
        detail::require(!rows.empty(), "BumpHunt: no data events in the fit range");
        Vector s(static_cast<Index>(rows.size())), w(d.w.size() ? static_cast<Index>(rows.size()) : 0);
        for (std::size_t k = 0; k < rows.size(); ++k) {
            s[static_cast<Index>(k)] = d.score[rows[k]];
            if (d.w.size()) w[static_cast<Index>(k)] = d.w[rows[k]];
        }
        const SidebandFitter fitter(config_.edges, in.window.sr, config_.fit);
        const bool on_template = config_.cut_on_template && in.background_template.has_value();
        std::vector<Significance> out;
        for (double eps : in.eps_b) {
            Significance sig;
            sig.statistic = "bumphunt";
            sig.eps_b = eps;
            sig.threshold = on_template ? threshold_at_eps_b(in.background_template->score, in.background_template->w, eps)
                                        : threshold_at_eps_b(s, w, eps);
            Histogram h(config_.edges);
            for (Index i : rows)
                if (d.score[i] >= sig.threshold) h.fill(d.m[i], d.w.size() ? d.w[i] : 1.0);
            FitResult r;
            try {
                r = fitter.fit(h);
            } catch (const error&) {
                if (!config_.skip_failed_fits) throw;
                double n_obs = 0.0;
                for (Index i : rows)
                    if (d.score[i] >= sig.threshold && in.window.sr.contains(d.m[i])) n_obs += d.w.size() ? d.w[i] : 1.0;
                sig.n_obs = n_obs;
                sig.n_exp = sig.sigma_exp = sig.z = std::numeric_limits<double>::quiet_NaN();
                sig.p_value = 1.0;
                out.push_back(sig);
                continue;
            }
            sig.n_obs = r.n_obs_sr;
            sig.n_exp = r.n_pred_sr;
            sig.sigma_exp = r.sigma_pred_sr;
            if (r.n_pred_sr > 0.0) {
                const ProfileLikelihood pl = profile_likelihood_significance(r.n_obs_sr, r.n_pred_sr, r.sigma_pred_sr);
                sig.z = pl.z;
                sig.p_value = pl.p_value;
            }
            out.push_back(sig);
        }
        return out;
    }

private:
    BumpHuntConfig config_;
};

static_assert(TestStatistic<BumpHunt>);

}  // namespace resanom
