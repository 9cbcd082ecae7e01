// resanom/stats/dijet_fit.hpp — the sideband fit of a binned m spectrum with the signal region
// masked (the bump hunt of Benkendorfer et al. 2021, §II.C and Collins et al. 2021, §4.3, App. A).
//
// The dijet function (Benkendorfer et al. 2021, eq. 2.4; Collins et al. 2021, eq. 4.1) or a linear
// one, integrated over each bin; a binned Poisson likelihood minimized by Newton's method (or least
// squares by Levenberg–Marquardt); the SR prediction with its uncertainty, χ²/ndf and a KS p-value.
// SidebandFitter precomputes what depends only on the bins (fast refits); fit_sideband() is the
// one-call form. docs/statistics.md ("Sideband fit") gives the formulas and the minimizer.
#pragma once

#include <unsupported/Eigen/NonLinearOptimization>
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/core/types.hpp"
#include "resanom/stats/histogram.hpp"
#include "resanom/stats/ks.hpp"

namespace resanom {

/// The background function.
enum class FitFunction {
    dijet4,  ///< p0 (1−x)^p1 / x^(p2 + p3 ln x), x = m/√s; p0 in events per TeV
    linear,  ///< p0 + p1 x, x = m/√s; events per TeV
};

/// The number of parameters of a fit function (dijet4: 4, linear: 2).
constexpr Index fit_parameters(FitFunction f) noexcept { return f == FitFunction::dijet4 ? 4 : 2; }

/// The objective.
enum class FitMethod {
    likelihood,     ///< binned Poisson likelihood, Newton with analytic derivatives (default)
    least_squares,  ///< Σ (n_i − ν_i)² / σ_i², σ_i² = Σw² of the bin; Eigen's Levenberg–Marquardt
};

inline const char* to_string(FitFunction f) { return f == FitFunction::dijet4 ? "dijet4" : "linear"; }

struct FitOptions {
    FitFunction function = FitFunction::dijet4;
    FitMethod method = FitMethod::likelihood;
    double sqrt_s = 13.0;        ///< √s in TeV (x = m/√s), LHC Run 2 as in the papers
    int quadrature_points = 6;   ///< Gauss–Legendre nodes per bin (exact to degree 11)
    int max_iterations = 100;    ///< Newton iterations per start
    double tolerance = 1e-9;     ///< converged when half the Newton decrement (a ln L change) is below this
    int starts = 3;              ///< starting points tried (dijet4: up to 3, linear: up to 2); best wins
};

/// What a sideband fit returns. Per-bin vectors cover every bin of the histogram.
struct FitResult {
    FitFunction function = FitFunction::dijet4;
    double sqrt_s = 13.0;
    Vector params;     ///< dijet4: p0..p3; linear: p0, p1
    Matrix cov;        ///< covariance of params (inverse Hessian of −ln L, or of χ²/2)
    Vector expected;   ///< ν_i: the fitted function integrated over bin i
    IndexList fit_bins, sr_bins;
    double objective = 0.0;  ///< −ln L − (−ln L of the saturated model) = deviance/2; or χ²/2
    double chi2 = 0.0;       ///< Pearson χ² over the sideband bins
    int ndf = 0;             ///< sideband bins − parameters
    double ks_statistic = 0.0, ks_pvalue = 1.0;  ///< binned KS test over the sideband bins
    double n_obs_sr = 0.0, n_pred_sr = 0.0, sigma_pred_sr = 0.0;
    double n_sideband = 0.0;  ///< the events (Σw) of the fit_bins the fit rests on
    int iterations = 0;  ///< iterations of the winning start
    int start = 0;       ///< which start won

    /// The fitted density dσ/dm (events per TeV) at m.
    double density(double m) const {
        const double x = m / sqrt_s;
        if (function == FitFunction::linear) return params[0] + params[1] * x;
        const double lx = std::log(x);
        return params[0] * std::exp(params[1] * std::log1p(-x) - (params[2] + params[3] * lx) * lx);
    }
};

namespace detail::fit {

/// Gauss–Legendre nodes and weights on [−1, 1] (Newton on P_k from Chebyshev guesses).
inline void gauss_legendre(int k, std::vector<double>& x, std::vector<double>& w) {
    x.assign(static_cast<std::size_t>(k), 0.0);
    w.assign(static_cast<std::size_t>(k), 0.0);
    for (int i = 0; i < k; ++i) {
        double z = std::cos(std::numbers::pi * (i + 0.75) / (k + 0.5)), dp = 1.0;
        for (int it = 0; it < 100; ++it) {
            double p0 = 1.0, p1 = 0.0;
            for (int j = 1; j <= k; ++j) {
                const double p2 = p1;
                p1 = p0;
                p0 = ((2.0 * j - 1.0) * z * p1 - (j - 1.0) * p2) / j;
            }
            dp = k * (z * p0 - p1) / (z * z - 1.0);
            const double dz = p0 / dp;
            z -= dz;
            if (std::fabs(dz) < 1e-15) break;
        }
        x[static_cast<std::size_t>(i)] = z;
        w[static_cast<std::size_t>(i)] = 2.0 / ((1.0 - z * z) * dp * dp);
    }
}

using SmallVector = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, 4, 1>;
using SmallMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, 4, 4>;

inline std::string num(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

}  // namespace detail::fit

/// Fits one bin layout and signal region repeatedly (pseudo-experiments) without recomputing the
/// quadrature and the basis. fit() is const and thread-safe.
///
/// A class template with a defaulted dummy parameter, used as SidebandFitter: the fitter's
/// member functions are instantiated only in code that fits, so that merely including this header
/// (through the umbrella, bump_hunt.hpp or the methods) does not compile the minimizers.
template <class = void>
class BasicSidebandFitter {
public:
    /// edges: the histogram's bin edges; sr: the masked signal region (bins overlapping it by more
    /// than 1e-9 of their width are masked), or nullopt to fit every bin.
    BasicSidebandFitter(std::vector<double> edges, std::optional<Interval> sr, FitOptions opt = {})
        : edges_(std::move(edges)), sr_(sr), opt_(opt) {
        Histogram check(edges_);  // validates the edges
        const Index nb = check.bins();
        detail::require(opt_.quadrature_points >= 1 && opt_.quadrature_points <= 32,
                        "SidebandFitter: quadrature_points must be in [1, 32]");
        detail::require(opt_.max_iterations >= 1, "SidebandFitter: max_iterations must be >= 1");
        detail::require(opt_.starts >= 1, "SidebandFitter: starts must be >= 1");
        detail::require(opt_.tolerance > 0.0, "SidebandFitter: tolerance must be > 0");
        detail::require(std::isfinite(opt_.sqrt_s) && opt_.sqrt_s > 0.0,
                        "SidebandFitter: sqrt_s = " + detail::fit::num(opt_.sqrt_s) + " (must be > 0)");
        if (opt_.function == FitFunction::dijet4)
            detail::require(edges_.front() > 0.0 && edges_.back() < opt_.sqrt_s,
                            "SidebandFitter: the dijet function needs 0 < m < sqrt_s over the fit range, but the "
                            "bins span [" + detail::fit::num(edges_.front()) + ", " + detail::fit::num(edges_.back()) +
                                ") with sqrt_s = " + detail::fit::num(opt_.sqrt_s) + " TeV");
        if (sr_) {
            checked_interval(sr_->lo, sr_->hi, "SidebandFitter: signal region");
            detail::require(sr_->hi > edges_.front() && sr_->lo < edges_.back(),
                            "SidebandFitter: the signal region [" + detail::fit::num(sr_->lo) + ", " +
                                detail::fit::num(sr_->hi) + ") does not overlap the fit range [" +
                                detail::fit::num(edges_.front()) + ", " + detail::fit::num(edges_.back()) + ")");
        }
        for (Index i = 0; i < nb; ++i) {
            const double a = check.lo(i), b = check.hi(i);
            const bool masked = sr_ && std::min(b, sr_->hi) - std::max(a, sr_->lo) > 1e-9 * (b - a);
            (masked ? sr_bins_ : fit_bins_).push_back(i);
        }
        P_ = fit_parameters(opt_.function);
        if (fit_bins_.empty())
            throw input_error("SidebandFitter: the signal region covers the whole fit range: no sideband bins to fit");
        if (static_cast<Index>(fit_bins_.size()) <= P_)
            throw input_error("SidebandFitter: " + std::to_string(fit_bins_.size()) +
                              " sideband bins are too few for the " + std::to_string(P_) + "-parameter " +
                              to_string(opt_.function) + " function (need at least " + std::to_string(P_ + 1) +
                              ", so that ndf >= 1)");
        // Basis φ(m): dijet4 ln f = θ·(1, ln(1−x), −ln x, −ln² x), θ = (ln p0, p1, p2, p3);
        // linear f = θ·(1, x). The fit runs in η = Rθ with Φ(centres of the sideband bins) = QR, so
        // that the basis is orthonormal on the sideband bins and the Newton system well
        // conditioned, however collinear ln x, ln² x and ln(1−x) are over a narrow range.
        Matrix Phi_c(static_cast<Index>(fit_bins_.size()), P_);
        for (std::size_t r = 0; r < fit_bins_.size(); ++r)
            Phi_c.row(static_cast<Index>(r)) = basis(check.center(fit_bins_[r])).transpose();
        Eigen::HouseholderQR<Matrix> qr(Phi_c);
        R_ = qr.matrixQR().topRows(P_).template triangularView<Eigen::Upper>();
        for (Index j = 0; j < P_; ++j)
            if (!(std::fabs(R_(j, j)) > 1e-12 * R_.cwiseAbs().maxCoeff()))
                throw input_error("SidebandFitter: the sideband bins do not determine the " +
                                  std::string(to_string(opt_.function)) + " parameters (degenerate bin centres)");
        Rinv_ = R_.template triangularView<Eigen::Upper>().solve(Matrix::Identity(P_, P_));
        std::vector<double> gx, gw;
        detail::fit::gauss_legendre(opt_.quadrature_points, gx, gw);
        K_ = opt_.quadrature_points;
        psi_.resize(P_, nb * K_);
        qw_.resize(nb * K_);
        for (Index i = 0; i < nb; ++i)
            for (Index q = 0; q < K_; ++q) {
                const double half = 0.5 * check.width(i);
                const double m = check.center(i) + half * gx[static_cast<std::size_t>(q)];
                psi_.col(i * K_ + q) = Rinv_.transpose() * basis(m);
                qw_[i * K_ + q] = half * gw[static_cast<std::size_t>(q)];
            }
        centers_.resize(nb);
        widths_.resize(nb);
        for (Index i = 0; i < nb; ++i) {
            centers_[i] = check.center(i);
            widths_[i] = check.width(i);
        }
    }

    const IndexList& fit_bins() const noexcept { return fit_bins_; }
    const IndexList& sr_bins() const noexcept { return sr_bins_; }
    Index n_params() const noexcept { return P_; }
    Index bins() const noexcept { return centers_.size(); }
    const std::vector<double>& edges() const noexcept { return edges_; }
    const FitOptions& options() const noexcept { return opt_; }

    FitResult fit(const Histogram& h) const {
        detail::require(h.edges() == edges_, "SidebandFitter::fit: the histogram's bin edges differ from the fitter's");
        return fit(h.counts(), h.sumw2());
    }

    /// Fits bin contents n_i (≥ 0, finite) with their Σw² (empty: Poisson, Σw² = n).
    /// Throws input_error for unusable contents (non-finite, negative, all sideband bins empty,
    /// fewer non-empty sideband bins than parameters) and numeric_error when no start converges.
    FitResult fit(const Eigen::Ref<const Vector>& counts, const Eigen::Ref<const Vector>& sumw2 = Vector()) const {
        const Index nb = bins();
        detail::require(counts.size() == nb, "fit_sideband: " + std::to_string(counts.size()) + " counts for " +
                                                 std::to_string(nb) + " bins");
        detail::require(sumw2.size() == 0 || sumw2.size() == nb, "fit_sideband: wrong number of sumw2 entries");
        for (Index i = 0; i < nb; ++i) {
            if (!(std::isfinite(counts[i]) && counts[i] >= 0.0))
                throw input_error("fit_sideband: bin " + std::to_string(i) + " has count " +
                                  detail::fit::num(counts[i]) + " (must be finite and >= 0)");
            if (sumw2.size() && !(std::isfinite(sumw2[i]) && sumw2[i] >= 0.0))
                throw input_error("fit_sideband: bin " + std::to_string(i) + " has sumw2 " +
                                  detail::fit::num(sumw2[i]) + " (must be finite and >= 0)");
        }
        Index nonempty = 0;
        for (Index i : fit_bins_) nonempty += counts[i] > 0.0;
        if (nonempty == 0)
            throw input_error("fit_sideband: every sideband bin is empty: nothing to fit");
        if (nonempty < P_)
            throw input_error("fit_sideband: only " + std::to_string(nonempty) + " non-empty sideband bins for the " +
                              std::to_string(P_) + "-parameter " + to_string(opt_.function) + " function");
        const Vector w2 = sumw2.size() ? Vector(sumw2) : Vector(counts);

        Best best;
        const auto starts = starting_points(counts);
        std::string last_problem = "no usable starting point";
        for (std::size_t s = 0; s < starts.size(); ++s) {
            Attempt a = opt_.method == FitMethod::likelihood ? newton(starts[s], counts) : least_squares(starts[s], counts, w2);
            if (!a.ok) {
                last_problem = a.problem;
                continue;
            }
            if (!best.found || a.value < best.attempt.value - 1e-9) {
                best.found = true;
                best.attempt = a;
                best.start = static_cast<int>(s);
            }
        }
        if (!best.found)
            throw numeric_error(std::string("fit_sideband: the ") + to_string(opt_.function) + " fit did not converge from any of " +
                                std::to_string(starts.size()) + " starting points (" + last_problem + ")");
        return finish(best, counts, w2);
    }

private:
    using SV = detail::fit::SmallVector;
    using SM = detail::fit::SmallMatrix;

    struct Attempt {
        bool ok = false;
        std::string problem;
        SV eta;
        SM cov_eta;  // inverse of the objective's Hessian (or JᵀJ) in η
        double value = 0.0;
        int iterations = 0;
    };
    struct Best {
        bool found = false;
        Attempt attempt;
        int start = 0;
    };

    SV basis(double m) const {
        const double x = m / opt_.sqrt_s;
        SV phi(P_);
        if (opt_.function == FitFunction::linear) {
            phi << 1.0, x;
        } else {
            const double lx = std::log(x);
            phi << 1.0, std::log1p(-x), -lx, -lx * lx;
        }
        return phi;
    }

    bool log_link() const { return opt_.function == FitFunction::dijet4; }

    // ν_i and dν_i/dη for bin i; for the log link also d²ν_i/dη² (the identity link has none).
    bool bin_terms(Index i, const SV& eta, double& nu, SV* g, SM* H) const {
        nu = 0.0;
        if (g) g->setZero(P_);
        if (H) H->setZero(P_, P_);
        for (Index q = 0; q < K_; ++q) {
            const auto col = psi_.col(i * K_ + q);
            const double lin = col.dot(eta);
            if (log_link()) {
                if (!(lin < 700.0)) return false;
                const double e = qw_[i * K_ + q] * std::exp(lin);
                nu += e;
                if (g) *g += e * col;
                if (H) H->noalias() += e * col * col.transpose();
            } else {
                nu += qw_[i * K_ + q] * lin;
                if (g) *g += qw_[i * K_ + q] * col;
            }
        }
        return std::isfinite(nu);
    }

    // Objective Σ_fit [ν − n + n ln(n/ν)] with gradient and Hessian; false when ν ≤ 0 or overflow.
    bool evaluate(const SV& eta, const Eigen::Ref<const Vector>& n, double& f, SV& grad, SM& hess) const {
        f = 0.0;
        grad.setZero(P_);
        hess.setZero(P_, P_);
        SV g(P_);
        SM H(P_, P_);
        for (Index i : fit_bins_) {
            double nu;
            if (!bin_terms(i, eta, nu, &g, log_link() ? &H : nullptr)) return false;
            if (!(nu > 0.0)) return false;
            const double ni = n[i];
            f += nu - ni + (ni > 0.0 ? ni * std::log(ni / nu) : 0.0);
            const double r = 1.0 - ni / nu;
            grad += r * g;
            if (log_link()) hess += r * H;
            hess.noalias() += (ni / (nu * nu)) * g * g.transpose();
        }
        return std::isfinite(f);
    }

    Attempt newton(const SV& start, const Eigen::Ref<const Vector>& n) const {
        Attempt a;
        SV eta = start, grad(P_), trial_grad(P_);
        SM hess(P_, P_), trial_hess(P_, P_);
        double f;
        if (!evaluate(eta, n, f, grad, hess)) {
            a.problem = "the start gives a non-positive or overflowing expectation";
            return a;
        }
        for (int it = 1; it <= opt_.max_iterations; ++it) {
            // Newton step, damped (Levenberg) until the matrix is positive definite.
            SV step(P_);
            double lambda = 0.0;
            const double scale = std::max(1e-300, hess.diagonal().cwiseAbs().maxCoeff());
            for (int tries = 0;; ++tries) {
                SM A = hess;
                A.diagonal().array() += lambda;
                Eigen::LLT<SM> llt(A);
                if (llt.info() == Eigen::Success) {
                    step = -llt.solve(grad);
                    if (step.allFinite()) break;
                }
                if (tries > 60) {
                    a.problem = "no positive-definite damped Hessian";
                    return a;
                }
                lambda = lambda == 0.0 ? 1e-10 * scale : 4.0 * lambda;
            }
            const double decrement = -grad.dot(step);
            if (decrement < 0.0 || !std::isfinite(decrement)) {
                a.problem = "not a descent direction";
                return a;
            }
            if (0.5 * decrement < opt_.tolerance && lambda == 0.0) {
                // Converged; the last (tiny, quadratically convergent) step is still taken.
                double ft = 0.0;
                const SV trial = eta + step;
                if (evaluate(trial, n, ft, trial_grad, trial_hess) && ft <= f + 1e-12 * (1.0 + std::fabs(f)))
                    return a.iterations = it, accept(a, trial, ft, trial_hess);
                a.iterations = it - 1;
                return accept(a, eta, f, hess);
            }
            // Backtracking line search with the Armijo condition.
            double t = 1.0, ft = 0.0;
            bool moved = false;
            for (int ls = 0; ls < 60; ++ls, t *= 0.5) {
                const SV trial = eta + t * step;
                if (evaluate(trial, n, ft, trial_grad, trial_hess) && ft <= f - 1e-4 * t * decrement) {
                    eta = trial;
                    moved = true;
                    break;
                }
            }
            if (!moved) {
                // No decrease is representable any more: converged to rounding if the decrement
                // is tiny on the scale of the objective, a failure otherwise.
                if (0.5 * decrement < 1e-6 * (1.0 + std::fabs(f))) {
                    a.iterations = it;
                    return accept(a, eta, f, hess);
                }
                a.problem = "the line search found no decrease";
                return a;
            }
            const double f_old = f;
            f = ft;
            grad = trial_grad;
            hess = trial_hess;
            if (std::fabs(f_old - f) < 1e-15 * (1.0 + std::fabs(f)) && 0.5 * decrement < 1e3 * opt_.tolerance) {
                a.iterations = it;
                return accept(a, eta, f, hess);
            }
        }
        a.problem = "no convergence within " + std::to_string(opt_.max_iterations) + " iterations";
        return a;
    }

    Attempt accept(Attempt a, const SV& eta, double f, const SM& hess) const {
        Eigen::LLT<SM> llt(hess);
        if (llt.info() != Eigen::Success) {
            a.problem = "the Hessian at the minimum is not positive definite (parameters not determined)";
            return a;
        }
        a.cov_eta = llt.solve(SM::Identity(P_, P_));
        if (!a.cov_eta.allFinite()) {
            a.problem = "the covariance is not finite";
            return a;
        }
        a.ok = true;
        a.eta = eta;
        a.value = f;
        return a;
    }

    struct LsFunctor {
        const BasicSidebandFitter* self;
        const Eigen::Ref<const Vector>* n;
        Vector inv_sigma;  // per sideband bin
        int inputs() const { return static_cast<int>(self->P_); }
        int values() const { return static_cast<int>(self->fit_bins_.size()); }
        int operator()(const Eigen::VectorXd& x, Eigen::VectorXd& fvec) const {
            const SV eta = x;
            for (std::size_t r = 0; r < self->fit_bins_.size(); ++r) {
                double nu;
                if (!self->bin_terms(self->fit_bins_[r], eta, nu, nullptr, nullptr)) return -1;
                fvec[static_cast<Index>(r)] = (nu - (*n)[self->fit_bins_[r]]) * inv_sigma[static_cast<Index>(r)];
            }
            return 0;
        }
        int df(const Eigen::VectorXd& x, Eigen::MatrixXd& fjac) const {
            const SV eta = x;
            SV g(self->P_);
            for (std::size_t r = 0; r < self->fit_bins_.size(); ++r) {
                double nu;
                if (!self->bin_terms(self->fit_bins_[r], eta, nu, &g, nullptr)) return -1;
                fjac.row(static_cast<Index>(r)) = (g * inv_sigma[static_cast<Index>(r)]).transpose();
            }
            return 0;
        }
    };

    Attempt least_squares(const SV& start, const Eigen::Ref<const Vector>& n, const Vector& w2) const {
        Attempt a;
        // σ_i² = Σw² of the bin; an empty bin gets the smallest positive σ² of the sideband bins
        // (about one event), so that it still pulls the fit towards zero.
        double floor = std::numeric_limits<double>::infinity();
        for (Index i : fit_bins_)
            if (w2[i] > 0.0) floor = std::min(floor, w2[i]);
        if (!std::isfinite(floor)) floor = 1.0;
        LsFunctor fun{this, &n, Vector(static_cast<Index>(fit_bins_.size()))};
        for (std::size_t r = 0; r < fit_bins_.size(); ++r)
            fun.inv_sigma[static_cast<Index>(r)] = 1.0 / std::sqrt(w2[fit_bins_[r]] > 0.0 ? w2[fit_bins_[r]] : floor);
        Eigen::LevenbergMarquardt<LsFunctor> lm(fun);
        lm.parameters.maxfev = 100 * opt_.max_iterations;
        lm.parameters.ftol = lm.parameters.xtol = 1e-12;
        Eigen::VectorXd x = start;
        const auto status = lm.minimize(x);
        using S = Eigen::LevenbergMarquardtSpace::Status;
        if (status == S::ImproperInputParameters || status == S::TooManyFunctionEvaluation || status == S::UserAsked) {
            a.problem = "Levenberg-Marquardt stopped with status " + std::to_string(static_cast<int>(status));
            return a;
        }
        Eigen::VectorXd fvec(fun.values());
        Eigen::MatrixXd J(fun.values(), fun.inputs());
        if (fun(x, fvec) != 0 || fun.df(x, J) != 0 || !fvec.allFinite()) {
            a.problem = "the least-squares solution overflows";
            return a;
        }
        a.iterations = static_cast<int>(lm.iter);
        const SM JtJ = J.transpose() * J;
        return accept(a, SV(x), 0.5 * fvec.squaredNorm(), JtJ);
    }

    // Starting values: weighted linear least squares of the linearized model on the sideband bins
    // at the bin centres — for dijet4 ln(n_i/Δ_i) = θ·φ(m_i) with weights n_i (the inverse
    // variance of ln n), all four parameters, then with p3 = 0, then with p2 = p3 = 0; for linear
    // n_i/Δ_i = θ·φ(m_i) with weights Δ_i²/n_i, then a constant.
    std::vector<SV> starting_points(const Eigen::Ref<const Vector>& n) const {
        std::vector<Index> rows;
        for (Index i : fit_bins_)
            if (n[i] > 0.0) rows.push_back(i);
        const Index r = static_cast<Index>(rows.size());
        Matrix A(r, P_);
        Vector y(r), w(r);
        for (Index k = 0; k < r; ++k) {
            const Index i = rows[static_cast<std::size_t>(k)];
            A.row(k) = basis(centers_[i]).transpose();
            const double dens = n[i] / widths_[i];
            if (log_link()) {
                y[k] = std::log(dens);
                w[k] = std::sqrt(n[i]);
            } else {
                y[k] = dens;
                w[k] = widths_[i] / std::sqrt(n[i]);
            }
        }
        std::vector<SV> out;
        const int max_starts = log_link() ? 3 : 2;
        for (int s = 0; s < std::min(opt_.starts, max_starts); ++s) {
            const Index free = log_link() ? P_ - s : (s == 0 ? 2 : 1);
            if (free > r) continue;
            const Matrix Aw = w.asDiagonal() * A.leftCols(free);
            const Vector sol = Aw.colPivHouseholderQr().solve(w.cwiseProduct(y));
            SV theta = SV::Zero(P_);
            theta.head(free) = sol;
            if (!theta.allFinite()) continue;
            out.push_back(R_ * theta);
        }
        return out;
    }

    FitResult finish(const Best& best, const Eigen::Ref<const Vector>& n, const Vector& w2) const {
        const Index nb = bins();
        const Attempt& a = best.attempt;
        FitResult res;
        res.function = opt_.function;
        res.sqrt_s = opt_.sqrt_s;
        res.fit_bins = fit_bins_;
        res.sr_bins = sr_bins_;
        res.iterations = a.iterations;
        res.start = best.start;
        res.objective = a.value;
        const SV theta = Rinv_ * a.eta;
        const SM cov_theta = Rinv_ * a.cov_eta * Rinv_.transpose();
        res.params = theta;
        Matrix J = Matrix::Identity(P_, P_);
        if (log_link()) {
            res.params[0] = std::exp(theta[0]);
            J(0, 0) = res.params[0];
        }
        res.cov = J * Matrix(cov_theta) * J.transpose();
        res.expected.resize(nb);
        SV g(P_), g_sr = SV::Zero(P_);
        for (Index i = 0; i < nb; ++i) {
            double nu;
            bin_terms(i, a.eta, nu, &g, nullptr);
            res.expected[i] = nu;
        }
        for (Index i : sr_bins_) {
            double nu;
            bin_terms(i, a.eta, nu, &g, nullptr);
            g_sr += g;
            res.n_obs_sr += n[i];
            res.n_pred_sr += nu;
        }
        res.sigma_pred_sr = sr_bins_.empty() ? 0.0 : std::sqrt(std::max(0.0, g_sr.dot(a.cov_eta * g_sr)));
        // Pearson χ² with the variance ν_i scaled by the bin's Σw²/n (1 for unit weights).
        Vector obs(static_cast<Index>(fit_bins_.size())), exp(static_cast<Index>(fit_bins_.size()));
        double sw = 0.0, sw2 = 0.0;
        for (std::size_t r = 0; r < fit_bins_.size(); ++r) {
            const Index i = fit_bins_[r];
            res.n_sideband += n[i];
            const double nu = res.expected[i];
            const double scale = n[i] > 0.0 ? w2[i] / n[i] : 1.0;
            if (nu > 0.0) res.chi2 += (n[i] - nu) * (n[i] - nu) / (nu * scale);
            obs[static_cast<Index>(r)] = n[i];
            exp[static_cast<Index>(r)] = std::max(nu, 0.0);
            sw += n[i];
            sw2 += w2[i];
        }
        res.ndf = static_cast<int>(fit_bins_.size()) - static_cast<int>(P_);
        if (exp.sum() > 0.0) {
            const KsResult ks = ks_test_binned(obs, exp, sw2 > 0.0 ? sw * sw / sw2 : sw);
            res.ks_statistic = ks.statistic;
            res.ks_pvalue = ks.p_value;
        }
        return res;
    }

    std::vector<double> edges_;
    std::optional<Interval> sr_;
    FitOptions opt_;
    IndexList fit_bins_, sr_bins_;
    Index P_ = 4, K_ = 6;
    Matrix R_, Rinv_;
    Matrix psi_;  // P × (bins·K): the conditioned basis at every quadrature node
    Vector qw_;   // quadrature weights (half-width × Gauss–Legendre weight)
    Vector centers_, widths_;
};

using SidebandFitter = BasicSidebandFitter<>;

/// Fits a histogram with the signal region masked (nullopt: fit every bin).
template <class = void>
FitResult fit_sideband(const Histogram& h, std::optional<Interval> sr, const FitOptions& opt = {}) {
    return SidebandFitter(h.edges(), sr, opt).fit(h);
}

/// The expected counts of a function with given parameters, integrated over each bin by the same
/// quadrature as the fit (for Asimov spectra and pseudo-experiments).
inline Vector integrate_bins(const std::vector<double>& edges, FitFunction function, const Eigen::Ref<const Vector>& params,
                             double sqrt_s = 13.0, int quadrature_points = 16) {
    Histogram check(edges);
    FitResult f;
    f.function = function;
    f.sqrt_s = sqrt_s;
    f.params = params;
    detail::require(params.size() == (function == FitFunction::dijet4 ? 4 : 2), "integrate_bins: wrong number of parameters");
    std::vector<double> gx, gw;
    detail::fit::gauss_legendre(quadrature_points, gx, gw);
    Vector out(check.bins());
    for (Index i = 0; i < check.bins(); ++i) {
        double s = 0.0;
        const double half = 0.5 * check.width(i);
        for (std::size_t q = 0; q < gx.size(); ++q) s += half * gw[q] * f.density(check.center(i) + half * gx[q]);
        out[i] = s;
    }
    return out;
}

}  // namespace resanom
