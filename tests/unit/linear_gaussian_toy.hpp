// The toy of the CATHODE and LaCATHODE unit tests and its exact conditional density: background m
// uniform on [2.8, 4.2), x0 = 0.5 m + N(0,1) (follows m), x1 = N(0,1); signal at m ∈ [3.4, 3.6)
// with x1 shifted by +3. LinearGaussian (x_j | m ~ N(a_j m + b_j, s_j²), fitted by least squares)
// models it exactly, and its latent map z_j = (x_j − a_j m − b_j)/s_j is known in closed form.
#pragma once

#include <cmath>

#include "resanom/core/concepts.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/types.hpp"

namespace resanom_test {

struct LinearGaussian {
    resanom::Vector a, b, s;
    void fit(const resanom::Matrix& X, const resanom::Matrix& m, std::uint64_t) {
        const resanom::Index d = X.cols();
        a.resize(d), b.resize(d), s.resize(d);
        const resanom::Vector mm = m.col(0);
        const double mbar = mm.mean();
        for (resanom::Index j = 0; j < d; ++j) {
            const double xbar = X.col(j).mean();
            const double cov = ((mm.array() - mbar) * (X.col(j).array() - xbar)).mean();
            const double var = (mm.array() - mbar).square().mean();
            a[j] = cov / var;
            b[j] = xbar - a[j] * mbar;
            s[j] = std::sqrt((X.col(j).array() - (a[j] * mm.array() + b[j])).square().mean());
        }
    }
    resanom::Vector log_prob(const resanom::Matrix& X, const resanom::Matrix& m) const {
        resanom::Vector lp = resanom::Vector::Zero(X.rows());
        for (resanom::Index j = 0; j < X.cols(); ++j)
            lp.array() += -0.5 * ((X.col(j).array() - a[j] * m.col(0).array() - b[j]) / s[j]).square() -
                          std::log(s[j] * std::sqrt(2 * M_PI));
        return lp;
    }
    resanom::Matrix sample(const resanom::Matrix& m, resanom::Rng& rng) const {
        resanom::Matrix X(m.rows(), a.size());
        for (resanom::Index i = 0; i < m.rows(); ++i)
            for (resanom::Index j = 0; j < a.size(); ++j) X(i, j) = a[j] * m(i, 0) + b[j] + s[j] * resanom::normal(rng);
        return X;
    }
    resanom::Matrix latent(const resanom::Matrix& X, const resanom::Matrix& m) const {
        resanom::Matrix Z(X.rows(), X.cols());
        for (resanom::Index j = 0; j < X.cols(); ++j)
            Z.col(j) = (X.col(j).array() - a[j] * m.col(0).array() - b[j]) / s[j];
        return Z;
    }
};
static_assert(resanom::DensityEstimator<LinearGaussian>);

inline resanom::Events linear_gaussian_toy(resanom::Index n_bkg, resanom::Index n_sig, std::uint64_t seed) {
    using namespace resanom;
    Rng rng(seed);
    Matrix X(n_bkg + n_sig, 2), m(n_bkg + n_sig, 1);
    Vector t = Vector::Zero(n_bkg + n_sig);
    for (Index i = 0; i < n_bkg + n_sig; ++i) {
        const bool sig = i >= n_bkg;
        m(i, 0) = sig ? uniform(rng, 3.4, 3.6) : uniform(rng, 2.8, 4.2);
        X(i, 0) = 0.5 * m(i, 0) + normal(rng);
        X(i, 1) = normal(rng) + (sig ? 3.0 : 0.0);
        t[i] = sig ? 1.0 : 0.0;
    }
    return Events(X, m, Vector(), t);
}

}  // namespace resanom_test
