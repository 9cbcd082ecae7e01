// resanom/methods/salad.hpp — Simulation Assisted Likelihood-free Anomaly Detection (SALAD) and its
// multi-simulation forms (Chen et al. 2023, §4): Multi-SALAD and the SALAD-Switch baseline.
//
// Salad<C>: a classifier C learns w(x, m) = g/(1−g) from long-sideband data vs simulation
// (Benkendorfer et al. 2021, eq. 2.2), the weights are applied to the SR simulation, and SR data are
// trained against it (eq. 2.1); the weighted SR simulation is the background template.
// MultiSalad<C> combines k simulations into one reference first; SaladSwitch<C> learns one w_i per
// simulation. docs/methods/salad.md explains the algorithm, its weights and defaults.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/methods/generator_support.hpp"
#include "resanom/models/mlp/mlp_classifier.hpp"

namespace resanom {

/// The default reweighting classifier of Salad<C>: C{} for any C; for MlpClassifier the network of
/// Benkendorfer et al. 2021, §II (3×64 ReLU, 20 epochs, batch 200).
template <Classifier C>
C salad_default_reweighter() {
    return C{};
}
template <>
inline MlpClassifier salad_default_reweighter<MlpClassifier>() {
    MlpParams p;
    p.hidden = {64, 64, 64};
    p.activation = Activation::relu;
    p.epochs = 20;
    p.batch_size = 200;
    return MlpClassifier(p);
}

struct SaladParams {
    /// g is clipped to [clip, 1 − clip] before w = g/(1−g) (resanom's guard; the paper has none).
    double clip = 1e-6;

    void validate(const std::string& who) const {
        detail::require(clip > 0.0 && clip < 0.5, who + ": clip must lie in (0, 0.5), got " + std::to_string(clip));
    }
};

namespace detail::methods {

/// [X | m_column] of the given rows.
inline Matrix with_resonant(const Events& e, const IndexList& rows, Index m_column) {
    Matrix out(static_cast<Index>(rows.size()), e.n_features() + 1);
    out.leftCols(e.n_features()) = e.X()(rows, Eigen::all);
    const auto m = e.m(m_column);
    for (std::size_t i = 0; i < rows.size(); ++i) out(static_cast<Index>(i), e.n_features()) = m[rows[i]];
    return out;
}

inline std::string long_sb_text(const Window& w) {
    return interval_text(w.long_sb_low) + " and " + interval_text(w.long_sb_high);
}

/// Steps 1–2 of SALAD: g(x, m) trained on long-SB data vs simulation, then the weights
/// g/(1−g)·w_sim of the simulation rows `sim_sr` (un-normalized).
template <Classifier C>
Vector salad_weights(const C& prototype, const SaladParams& p, const Events& data, const Events& sim,
                     const Window& win, const IndexList& sim_sr, std::uint64_t seed, const std::string& who) {
    const IndexList d_sb = long_sb_rows(data, win), s_sb = long_sb_rows(sim, win);
    require(!d_sb.empty(), who + ": no data events in the long sidebands " + long_sb_text(win) +
                               " to learn the reweighting from");
    require(!s_sb.empty(), who + ": no simulation events in the long sidebands " + long_sb_text(win) +
                               " to learn the reweighting from");
    const double w_data = data.w()(d_sb).sum();
    require(w_data > 0.0, who + ": the data in the long sidebands " + long_sb_text(win) + " have zero total weight");
    require(sim.w()(s_sb).sum() > 0.0,
            who + ": the simulation in the long sidebands " + long_sb_text(win) + " has zero total weight");
    TrainingBuilder b;
    b.add(with_resonant(data, d_sb, win.m_column), Vector::Ones(static_cast<Index>(d_sb.size())), data.w()(d_sb),
          IndexList(d_sb.size(), -1));
    b.add(with_resonant(sim, s_sb, win.m_column), Vector::Zero(static_cast<Index>(s_sb.size())),
          scaled_to(sim.w(), s_sb, w_data), IndexList(s_sb.size(), -1));
    const GeneratedTemplate gt = b.finish();
    C g = prototype;
    g.fit(gt.training, seed);
    const Vector prob = g.predict(with_resonant(sim, sim_sr, win.m_column));
    Vector w(prob.size());
    for (Index i = 0; i < prob.size(); ++i) {
        const double q = std::clamp(prob[i], p.clip, 1.0 - p.clip);
        require(std::isfinite(prob[i]), who + ": the reweighting classifier returned a non-finite probability");
        w[i] = q / (1.0 - q) * sim.w()[sim_sr[static_cast<std::size_t>(i)]];
    }
    return w;
}

/// Step 3: SR data (label 1) vs the weighted SR simulation `templ` (label 0), whose weights are
/// scaled by one factor to the SR data's total; the template is `templ` with those weights.
inline GeneratedTemplate salad_training(const Events& data, const IndexList& sr, Events templ, const std::string& who) {
    const double w_sr = data.w()(sr).sum();
    const double w_t = templ.w().sum();
    require(w_t > 0.0 && std::isfinite(w_t), who + ": the weighted simulation in the signal region has zero total weight");
    templ = templ.with_weights(templ.w() * (w_sr / w_t));
    TrainingBuilder b;
    b.add_rows(data, sr, 1.0, data.w()(sr), true);
    IndexList all(static_cast<std::size_t>(templ.size()));
    std::iota(all.begin(), all.end(), Index{0});
    const Index first = b.add_rows(templ, all, 0.0, templ.w(), false);
    GeneratedTemplate g = b.finish();
    g.template_row = consecutive(first, templ.size());
    g.background_template = std::move(templ);
    return g;
}

/// SALAD with one simulation (shared by Salad and MultiSalad).
template <Classifier C>
GeneratedTemplate salad_generate(const C& reweighter, const SaladParams& p, const Events& data, const Events& sim,
                                 const Window& win, std::uint64_t seed, const std::string& who) {
    const IndexList sr = sr_rows(data, win);
    require_region(sr, data.w(), who, "data", "signal region", win.sr);
    const IndexList sim_sr = sr_rows(sim, win);
    require_region(sim_sr, sim.w(), who, "simulation", "signal region", win.sr);
    const Vector w = salad_weights(reweighter, p, data, sim, win, sim_sr, derive_seed(seed, 0), who);
    return salad_training(data, sr, sim.subset(sim_sr).with_weights(w), who);
}

}  // namespace detail::methods

/// SALAD with the background simulation references[0] (exactly one reference).
template <Classifier C = MlpClassifier>
class Salad {
public:
    explicit Salad(C reweighter = salad_default_reweighter<C>(), SaladParams p = {})
        : reweighter_(std::move(reweighter)), p_(p) {
        p_.validate("SALAD");
    }
    const C& reweighter() const noexcept { return reweighter_; }
    const SaladParams& params() const noexcept { return p_; }

    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t seed) const {
        namespace dm = detail::methods;
        dm::require_references(in.references.size(), 1, "SALAD", "the background simulation");
        dm::require_same_columns(in.data, in.references[0], "SALAD", 0);
        return dm::salad_generate(reweighter_, p_, in.data, in.references[0], in.window, seed, "SALAD");
    }

private:
    C reweighter_;
    SaladParams p_;
};

/// How Multi-SALAD combines its simulations (Chen et al. 2023, App. B.1).
enum class SimulationSampling {
    concatenate,  ///< uniform: all events of every simulation (Alg. 2, step 2)
    stratified    ///< fixed shares per simulation, drawn without replacement
};

struct MultiSaladParams {
    SaladParams salad{};
    SimulationSampling sampling = SimulationSampling::concatenate;
    /// Stratified sampling: the share of each simulation (empty: equal shares); must have one
    /// positive entry per simulation. They are normalized to sum to 1.
    std::vector<double> fractions = {};
};

namespace detail::methods {

/// The combined reference of Multi-SALAD.
inline Events combine_simulations(std::span<const Events> sims, const MultiSaladParams& p, std::uint64_t seed,
                                  const std::string& who) {
    if (p.sampling == SimulationSampling::concatenate) return concat(sims);
    const std::size_t k = sims.size();
    std::vector<double> f = p.fractions.empty() ? std::vector<double>(k, 1.0) : p.fractions;
    require(f.size() == k, who + ": " + std::to_string(f.size()) + " sampling fractions for " + std::to_string(k) +
                               " simulations");
    double s = 0.0;
    for (double x : f) {
        require(std::isfinite(x) && x > 0.0, who + ": sampling fractions must be finite and > 0");
        s += x;
    }
    for (double& x : f) x /= s;
    // The largest total N with f_i·N ≤ n_i for every simulation.
    double n_total = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < k; ++i) n_total = std::min(n_total, static_cast<double>(sims[i].size()) / f[i]);
    std::vector<Events> parts;
    Rng rng(seed);
    for (std::size_t i = 0; i < k; ++i) {
        const auto take = std::min<Index>(sims[i].size(), static_cast<Index>(std::floor(f[i] * n_total + 1e-9)));
        require(take > 0, who + ": stratified sampling draws no event from simulation " + std::to_string(i));
        const auto perm = permutation(static_cast<std::size_t>(sims[i].size()), rng);
        IndexList rows(perm.begin(), perm.begin() + take);
        std::sort(rows.begin(), rows.end());
        parts.push_back(sims[i].subset(rows));
    }
    return concat(std::span<const Events>(parts));
}

}  // namespace detail::methods

/// Multi-SALAD: the k ≥ 2 simulations references[0..k) combined into one reference, then SALAD.
template <Classifier C = MlpClassifier>
class MultiSalad {
public:
    explicit MultiSalad(C reweighter = salad_default_reweighter<C>(), MultiSaladParams p = {})
        : reweighter_(std::move(reweighter)), p_(std::move(p)) {
        p_.salad.validate("Multi-SALAD");
    }
    const C& reweighter() const noexcept { return reweighter_; }
    const MultiSaladParams& params() const noexcept { return p_; }

    /// The combined simulation that SALAD then uses (exposed for inspection).
    Events combined_reference(const GeneratorInput& in, std::uint64_t seed) const {
        namespace dm = detail::methods;
        dm::require_min_references(in.references.size(), 2, "Multi-SALAD", "the k background simulations");
        for (std::size_t i = 0; i < in.references.size(); ++i)
            dm::require_same_columns(in.data, in.references[i], "Multi-SALAD", i);
        return dm::combine_simulations(in.references, p_, derive_seed(seed, 1), "Multi-SALAD");
    }

    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t seed) const {
        const Events sim = combined_reference(in, seed);
        return detail::methods::salad_generate(reweighter_, p_.salad, in.data, sim, in.window, seed, "Multi-SALAD");
    }

private:
    C reweighter_;
    MultiSaladParams p_;
};

/// SALAD-Switch: one weight function per simulation, each applied to its own simulation, all k
/// weighted SR simulations in one training set.
template <Classifier C = MlpClassifier>
class SaladSwitch {
public:
    explicit SaladSwitch(C reweighter = salad_default_reweighter<C>(), SaladParams p = {})
        : reweighter_(std::move(reweighter)), p_(p) {
        p_.validate("SALAD-Switch");
    }
    const C& reweighter() const noexcept { return reweighter_; }
    const SaladParams& params() const noexcept { return p_; }

    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t seed) const {
        namespace dm = detail::methods;
        const std::string who = "SALAD-Switch";
        dm::require_min_references(in.references.size(), 2, who, "the k background simulations");
        const Events& data = in.data;
        const Window& win = in.window;
        const IndexList sr = sr_rows(data, win);
        dm::require_region(sr, data.w(), who, "data", "signal region", win.sr);
        std::vector<Events> weighted;
        for (std::size_t i = 0; i < in.references.size(); ++i) {
            const Events& sim = in.references[i];
            dm::require_same_columns(data, sim, who, i);
            const IndexList sim_sr = sr_rows(sim, win);
            dm::require_region(sim_sr, sim.w(), who, std::string("simulation ") + std::to_string(i), "signal region", win.sr);
            const Vector w = dm::salad_weights(reweighter_, p_, data, sim, win, sim_sr, derive_seed(seed, i), who);
            weighted.push_back(sim.subset(sim_sr).with_weights(w));
        }
        return dm::salad_training(data, sr, concat(std::span<const Events>(weighted)), who);
    }

private:
    C reweighter_;
    SaladParams p_;
};

static_assert(TemplateGenerator<Salad<>>);
static_assert(TemplateGenerator<MultiSalad<>>);
static_assert(TemplateGenerator<SaladSwitch<>>);

}  // namespace resanom
