// resanom/methods/nested_cv.hpp — NestedCvSelect<C>: the model selection of CWoLa Hunting
// (Collins et al. 2021, §3.1) as a Classifier wrapper.
//
// Collins et al. 2021, §3.1: "We set one of the samples aside for testing and perform four rounds of training
// and validation with the other four, using one of the subsets for validation each time. For each
// round, we train ten neural networks … on the same training and validation data, using a
// different initialization each time. We measure the performance of each classifier on validation
// data using the metric ε_val, defined as the true positive rate for the correct classification of
// signal region events, evaluated at a threshold with a false positive rate f = 1% for incorrectly
// classifying events from the sideband region. Only the best out of the ten models is saved. …
// At the end of the four rounds, we use the mean of the outputs of the four selected models."
//
// The outer loop (one test fold of five) is the pipeline's out-of-fold scoring
// (WeakSupervision); NestedCvSelect is the classifier trained on the other k−1 = 4 folds: fit splits
// its training set at random into `inner_folds` (default 4) parts; for each part as validation it
// trains `n_trainings` (default 10) copies of C on the rest — member j of round r with seed
// derive_seed(seed, r·n_trainings + j); a ValidatingClassifier also gets the validation part for
// its early stopping, as the paper's networks do — and keeps the copy with the highest ε_val (the
// first on ties). ε_val = signal efficiency at background efficiency `fpr` (default 1 %), label 1 =
// SR and label 0 = SB, weighted by w·y and w·(1−y). predict is the mean of the kept models.
// The inner split is random rather than along the outer fold boundaries (the same in distribution:
// the outer folds are random too). It does not see data_row groups, which is harmless for CWoLa,
// where every data event is one training row.
//
// CWoLa Hunting = WeakSupervision<Cwola, NestedCvSelect<C>, BumpHunt> with the bump hunt cutting on
// the data (the x % most signal-like events of each test fold, BumpHuntCut::data); see
// methods.hpp (cwola_hunting()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/training_set.hpp"
#include "resanom/stats/metrics.hpp"

namespace resanom {

struct NestedCvParams {
    int inner_folds = 4;   ///< k − 1 rounds of training and validation (Collins et al. 2021, §3.1)
    int n_trainings = 10;  ///< trainings per round, best kept (Collins et al. 2021, §3.1: "ten neural networks")
    double fpr = 0.01;     ///< ε_val is the TPR at this FPR (Collins et al. 2021, §3.1: f = 1 %)

    void validate() const {
        detail::require(inner_folds >= 2, std::string("NestedCvSelect: inner_folds must be >= 2, got ") + std::to_string(inner_folds));
        detail::require(n_trainings >= 1, std::string("NestedCvSelect: n_trainings must be >= 1, got ") + std::to_string(n_trainings));
        detail::require(fpr > 0.0 && fpr <= 1.0, std::string("NestedCvSelect: fpr must lie in (0, 1], got ") + std::to_string(fpr));
    }
};

template <Classifier C>
class NestedCvSelect {
public:
    explicit NestedCvSelect(C prototype = C{}, NestedCvParams p = {}) : prototype_(std::move(prototype)), p_(p) {
        p_.validate();
    }

    const NestedCvParams& params() const noexcept { return p_; }
    /// The kept models (one per inner round) and their validation metric ε_val.
    const std::vector<C>& selected() const noexcept { return kept_; }
    const std::vector<double>& selected_metric() const noexcept { return kept_metric_; }
    /// ε_val of every training of every inner round (round-major), for inspection.
    const std::vector<std::vector<double>>& candidate_metrics() const noexcept { return candidates_; }

    void fit(const TrainingSet& train, std::uint64_t seed) {
        train.validate("NestedCvSelect::fit: training set");
        const int k = p_.inner_folds;
        detail::require(train.size() >= k, std::string("NestedCvSelect::fit: ") + std::to_string(train.size()) +
                                               std::string(" events cannot fill ") + std::to_string(k) + " inner folds");
        Rng rng(derive_seed(seed, 0xC0FFEEull));
        const std::vector<IndexList> folds = kfold(train.size(), k, rng);
        kept_.clear();
        kept_metric_.clear();
        candidates_.assign(static_cast<std::size_t>(k), {});
        for (int r = 0; r < k; ++r) {
            const IndexList& val_rows = folds[static_cast<std::size_t>(r)];
            const TrainingSet val = train.subset(val_rows);
            const TrainingSet fit_part = train.subset(complement(train.size(), val_rows));
            const Vector pos = val.w.cwiseProduct(val.y);
            const Vector neg = val.w - pos;
            detail::require(pos.sum() > 0.0 && neg.sum() > 0.0,
                            std::string("NestedCvSelect::fit: inner validation fold ") + std::to_string(r) +
                                " lacks signal-region or sideband events");
            Vector labels(2 * val.size()), weights(2 * val.size());
            labels << Vector::Ones(val.size()), Vector::Zero(val.size());
            weights << pos, neg;
            std::optional<C> best;
            double best_metric = -1.0;
            for (int j = 0; j < p_.n_trainings; ++j) {
                C member = prototype_;
                const std::uint64_t s = derive_seed(seed, static_cast<std::uint64_t>(r * p_.n_trainings + j));
                if constexpr (ValidatingClassifier<C>) member.fit(fit_part, val, s);
                else member.fit(fit_part, s);
                const Vector score = member.predict(val.X);
                Vector both(2 * val.size());
                both << score, score;
                const double metric = eps_s_at_eps_b(both, labels, weights, p_.fpr);
                candidates_[static_cast<std::size_t>(r)].push_back(metric);
                if (metric > best_metric) {
                    best_metric = metric;
                    best.emplace(std::move(member));
                }
            }
            kept_.push_back(std::move(*best));
            kept_metric_.push_back(best_metric);
        }
    }

    Vector predict(const Matrix& X) const {
        detail::require(!kept_.empty(), "NestedCvSelect::predict: not fitted");
        Vector out = Vector::Zero(X.rows());
        for (const C& m : kept_) out += m.predict(X);
        return out / static_cast<double>(kept_.size());
    }

private:
    C prototype_;
    NestedCvParams p_;
    std::vector<C> kept_;
    std::vector<double> kept_metric_;
    std::vector<std::vector<double>> candidates_;
};

}  // namespace resanom
