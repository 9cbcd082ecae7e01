// resanom/methods/lacathode.hpp — LaCATHODE (Hallin et al. 2023), CATHODE with the classifier in
// the latent space of its flow, as a TemplateGenerator over any LatentDensityEstimator.
//
// LaCathode<D>: D learns p(x | m) outside the signal region, as for CATHODE; every event the
// classifier sees is mapped to the flow's base space, z = f(x; m), where the background the flow
// learned is N(0, I) whatever m. The SR data (label 1) are trained against N(0, I) samples
// (label 0, oversampling × N_SR of them, also the background template), and data, template and
// test events are all scored in that space, so that a cut on the score does not follow m.
// docs/methods/lacathode.md explains the method, its defaults and the sculpting it avoids.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "resanom/core/concepts.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/methods/cathode.hpp"
#include "resanom/methods/generator_support.hpp"

namespace resanom {

/// A DensityEstimator that also maps events to its base space, where its density is N(0, I):
/// latent(X, m) is n × d (ConditionalMaf::latent).
template <class D>
concept LatentDensityEstimator = DensityEstimator<D> && requires(const D& cd, const Matrix& X, const Matrix& m) {
    { cd.latent(X, m) } -> std::convertible_to<Matrix>;
};

template <LatentDensityEstimator D>
class LaCathode {
public:
    LaCathode() = default;
    /// `p.oversampling`: N(0, I) samples per SR data event (as CATHODE's, Das et al. 2024, §2.2.3).
    explicit LaCathode(D density, CathodeParams p = {}) : density_(std::move(density)), p_(p) { p_.validate(); }

    const D& density() const noexcept { return density_; }
    const CathodeParams& params() const noexcept { return p_; }

    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t seed) const {
        namespace dm = detail::methods;
        const Events& data = in.data;
        const Window& win = in.window;
        const Index col = win.m_column;
        // 1. The density outside the SR, conditioned on m (as in CATHODE).
        auto density = std::make_shared<D>(density_);
        const IndexList sr = dm::fit_outside_sr(*density, data, win, derive_seed(seed, 0), "LaCATHODE");

        // 2. The SR data in the latent space.
        const auto n_sr = static_cast<Index>(sr.size());
        const Matrix z_sr = density->latent(data.X()(sr, Eigen::all), Matrix(data.m(col)(sr)));
        detail::require(z_sr.rows() == n_sr && z_sr.cols() == data.n_features(),
                        "LaCATHODE: the density estimator's latent map returned " + std::to_string(z_sr.rows()) + " × " +
                            std::to_string(z_sr.cols()) + " for " + std::to_string(n_sr) + " events of " +
                            std::to_string(data.n_features()) + " features");
        detail::require_finite(z_sr, "LaCATHODE: latent SR data");

        // 3. The background in the latent space: N(0, I), at SR masses drawn from a KDE of the
        //    SR data's m (kept for the statistics' bookkeeping; the classifier does not see m).
        const Index n_samples = n_sr * p_.oversampling, d = data.n_features();
        Rng rng(derive_seed(seed, 1));
        Matrix M = dm::kde_masses(Vector(data.m(col)(sr)), Vector(data.w()(sr)), win.sr, n_samples, col,
                                  data.n_resonant(), rng);
        Matrix Z(n_samples, d);
        for (Index i = 0; i < n_samples; ++i)
            for (Index j = 0; j < d; ++j) Z(i, j) = normal(rng);

        // 4. Latent SR data vs N(0, I) samples, equal total weights; every other event the
        //    classifier scores goes through the same map.
        dm::TrainingBuilder b;
        b.add(z_sr, Vector::Ones(n_sr), Vector(data.w()(sr)), sr);
        const double w_sample = data.w()(sr).sum() / static_cast<double>(n_samples);
        const Index first = b.add(Z, Vector::Zero(n_samples), Vector::Constant(n_samples, w_sample),
                                  IndexList(static_cast<std::size_t>(n_samples), -1));
        GeneratedTemplate g = b.finish();
        g.background_template = Events(std::move(Z), std::move(M), Vector::Constant(n_samples, w_sample));
        g.template_row = dm::consecutive(first, n_samples);
        g.inputs = [density, col](const Events& e) { return Matrix(density->latent(e.X(), Matrix(e.m(col)))); };
        return g;
    }

private:
    D density_{};
    CathodeParams p_{};
};

}  // namespace resanom
