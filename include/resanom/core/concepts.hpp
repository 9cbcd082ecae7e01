// resanom/core/concepts.hpp — the C++20 concepts that name the parts of a resonant anomaly search,
// and the small value types that flow between them.
//
// Every method is three interchangeable parts: how the training set is built
// (TemplateGenerator), which model learns it (Classifier), and which statistic judges the result
// (TestStatistic); unsupervised methods replace the first two by a Scorer, and CATHODE's template
// generator is built on a DensityEstimator. Event samples model ReferenceDataset. A part written
// by a user plugs in wherever a concept is asked for, with no base class and no virtual calls.
// docs/concepts.md lists what a model of each concept must provide.
#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "resanom/core/events.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/core/training_set.hpp"
#include "resanom/core/types.hpp"

namespace resanom {

// ReferenceDataset (an event sample: X, m, w, subset by rows) is defined in core/events.hpp next to
// Events, its main model, so that the region helpers (core/regions.hpp) can take any model of it.

// ---------------------------------------------------------------------------------------------
// Classifier: learns a TrainingSet (soft labels, weights) and predicts, for each row of X, the
// probability of label 1 ("signal-region data"). fit may be called again to retrain; predict is
// const. Hyperparameters are fixed at construction (a plain struct with documented defaults), so
// that copies of a configured prototype train independent members (Ensemble<C>, k folds).
// The seed drives every random choice of fit (initialization, shuffles, validation split).
template <class C>
concept Classifier =
    std::copy_constructible<C> &&
    requires(C c, const C& cc, const TrainingSet& train, const Matrix& X, std::uint64_t seed) {
        c.fit(train, seed);
        { cc.predict(X) } -> std::convertible_to<Vector>;
    };

// A Classifier that can also take an explicit validation set (early stopping, model selection)
// instead of splitting one off its training set.
template <class C>
concept ValidatingClassifier =
    Classifier<C> && requires(C c, const TrainingSet& train, const TrainingSet& val, std::uint64_t seed) {
        c.fit(train, val, seed);
    };

// ---------------------------------------------------------------------------------------------
// DensityEstimator: a conditional density p(x | m). fit learns it from features X (n×d) and
// conditional values m (n×k); log_prob(X, m) returns log p(x_i | m_i) in the units of X (every
// preprocessing Jacobian included); sample(m, rng) draws one x per row of m.
template <class D>
concept DensityEstimator =
    requires(D d, const D& cd, const Matrix& X, const Matrix& m, std::uint64_t seed, Rng& rng) {
        d.fit(X, m, seed);
        { cd.log_prob(X, m) } -> std::convertible_to<Vector>;
        { cd.sample(m, rng) } -> std::convertible_to<Matrix>;
    };

// ---------------------------------------------------------------------------------------------
// Scorer: unsupervised per-event anomaly scores (higher = more anomalous), e.g. the reconstruction
// error of an autoencoder ensemble (Collins et al. 2021, §3.2). fit learns from unlabelled features.
template <class S>
concept Scorer = requires(S s, const S& cs, const Matrix& X, std::uint64_t seed) {
    s.fit(X, seed);
    { cs.score(X) } -> std::convertible_to<Vector>;
};

// ---------------------------------------------------------------------------------------------
// TemplateGenerator: given the data, optional reference samples (simulations, an ideal background,
// a signal-free reference) and a window, builds the labelled, weighted training set and, where the
// method has one, the background template for direct background estimation (Das et al. 2024, §3).

/// What a template generator sees. The data and references reach it without truth labels:
/// callers pass Events::without_truth() copies, and validate() — which the pipelines call before
/// generate() — refuses any sample that still carries them, so that no training path can use truth.
struct GeneratorInput {
    const Events& data;
    std::span<const Events> references = {};  ///< simulations / ideal background, method-defined
    Window window{};
    std::optional<MultiWindow> multi = std::nullopt;  ///< Multi-CWoLa: one window per resonant feature

    /// Throws std::invalid_argument (a programming error, not bad input) when the data or a
    /// reference holds truth labels.
    void validate() const {
        if (data.has_truth())
            throw std::invalid_argument("GeneratorInput: the data carry truth labels; pass data.without_truth()");
        for (std::size_t r = 0; r < references.size(); ++r)
            if (references[r].has_truth())
                throw std::invalid_argument("GeneratorInput: reference " + std::to_string(r) +
                                            " carries truth labels; pass it without_truth()");
    }
};

/// What a template generator returns.
struct GeneratedTemplate {
    TrainingSet training;  ///< label 1 = SR data (or its soft-label analogue), label 0 = template
    /// For each training row, the row of GeneratorInput::data it came from, or −1 when it came from
    /// a reference or was generated. Out-of-fold scoring folds by data row, so that no data event
    /// is scored by a classifier that trained on it.
    IndexList data_row;
    /// The background template in the SR (with its weights), for direct estimation; empty when the
    /// method has none (CWoLa Hunting and AE use the sideband fit instead).
    std::optional<Events> background_template = std::nullopt;
    /// For each row of background_template, the training row it also is, or −1 when the template
    /// event is not in the training set (e.g. CATHODE's oversampled extra samples). A template event
    /// that was trained on gets its out-of-fold score from the classifier of that training row's
    /// fold; the others are scored by the mean of the fold classifiers. Empty means "none is a
    /// training row".
    IndexList template_row;
    /// The classifier's inputs for events of the generator's input (data and test events), when
    /// the method trains its classifier on something other than their features X — LaCATHODE's
    /// latent space of a flow fitted in this window (Hallin et al. 2023). The training set and
    /// background_template's X are then already in that space. Empty: the classifier sees X.
    std::function<Matrix(const Events&)> inputs = {};
};

template <class G>
concept TemplateGenerator = requires(const G& g, const GeneratorInput& in, std::uint64_t seed) {
    { g.generate(in, seed) } -> std::same_as<GeneratedTemplate>;
};

// ---------------------------------------------------------------------------------------------
// TestStatistic: from scored data (and a scored background template, when there is one) at chosen
// working points to significances. Direct background estimation (Das et al. 2024, eqs. 3–9) and the
// bump-hunt fit (Benkendorfer et al. 2021, eqs. 2.4–2.6; Collins et al. 2021, §4) model it.

/// Events with a classifier score, their resonant feature and weight, and — when the scores come
/// from k-fold scoring — the fold whose classifier scored each event (empty: one classifier, or
/// unknown). Statistics that cut per fold (the bump hunt, Collins et al. 2021, §3.1) use it.
struct ScoredEvents {
    Vector score;
    Vector m;
    Vector w;
    std::vector<int> fold = {};
};

struct StatisticInput {
    ScoredEvents data;  ///< every data event the statistic may use (SR and around it), out-of-fold scores
    std::optional<ScoredEvents> background_template = std::nullopt;
    Window window{};
    std::vector<double> eps_b = {1e-2, 1e-3, 1e-4};  ///< working points: background efficiencies
};

/// Whether a working point gave a verdict.
enum class WorkingPointStatus {
    ok,          ///< z and p_value are the statistic's verdict
    unreached,   ///< the cut's reference sample cannot realize ε_B (too few events beyond the cut, or
                 ///< the fraction really passing more than twice ε_B), or the direct estimate's δ_sys
                 ///< could not be measured there: z and p_value are NaN
    fit_failed,  ///< the bump hunt's sideband fit failed: n_exp, sigma_exp, z and p_value are NaN
};

inline const char* to_string(WorkingPointStatus s) {
    switch (s) {
        case WorkingPointStatus::ok: return "ok";
        case WorkingPointStatus::unreached: return "unreached";
        case WorkingPointStatus::fit_failed: return "fit_failed";
    }
    return "ok";
}

/// The verdict at one working point.
struct Significance {
    double eps_b = 0.0;      ///< requested background efficiency
    /// The fraction of the cut's reference sample (the background template, or the data the cut is
    /// taken from) really passing the cut; ≥ eps_b (ties pass together).
    double eps_b_real = 0.0;
    /// The score cut realizing it; NaN when the cut is made per test fold (fold_thresholds).
    double threshold = 0.0;
    std::vector<double> fold_thresholds = {};  ///< per test fold, when the statistic cuts per fold
    double n_obs = 0.0;      ///< observed (weighted) SR events passing the cut
    double n_exp = 0.0;      ///< expected background passing
    double sigma_exp = 0.0;  ///< its uncertainty
    double z = 0.0;          ///< significance (signed where the statistic defines a sign)
    double p_value = 0.5;    ///< one-sided p-value
    WorkingPointStatus status = WorkingPointStatus::ok;
    // Direct estimation (NaN for other statistics): the counts behind n_exp.
    double n_sr = std::numeric_limits<double>::quiet_NaN();       ///< N_SR: data in the signal region
    double n_bt = std::numeric_limits<double>::quiet_NaN();       ///< N_BT: the template's effective size
    // The systematic shift assumed (direct estimation; a bump hunt given one), else NaN.
    double delta_sys = std::numeric_limits<double>::quiet_NaN();  ///< δ_sys (Das et al. 2024, eq. 3)
    double sigma_sys = std::numeric_limits<double>::quiet_NaN();  ///< σ_sys (eq. 8)
    std::string statistic;   ///< which statistic produced it ("direct", "bumphunt", or a user's name)

    /// Whether this working point is a test that counts (for the largest local Z and the global
    /// significance): a verdict with a finite z.
    bool counts() const noexcept { return status == WorkingPointStatus::ok && !std::isnan(z) && !std::isnan(p_value); }
};

/// The rule behind WorkingPointStatus::unreached: a cut realizes ε_B when at least
/// `min_events_passing` events of its reference sample pass it and the fraction really passing is
/// at most `max_excess`·ε_B (it is never below ε_B, see threshold_at_eps_b).
struct WorkingPointRule {
    double min_events_passing = 10.0;
    double max_excess = 2.0;

    bool reached(double eps_b, double eps_b_real, double events_passing) const noexcept {
        return events_passing >= min_events_passing && eps_b_real <= max_excess * eps_b;
    }
};

template <class T>
concept TestStatistic = requires(const T& t, const StatisticInput& in) {
    { t.evaluate(in) } -> std::same_as<std::vector<Significance>>;
};

}  // namespace resanom
