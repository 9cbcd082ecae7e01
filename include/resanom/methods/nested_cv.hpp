// resanom/methods/nested_cv.hpp — NestedCvSelect<C>: the model selection of CWoLa Hunting
// (Collins et al. 2021, §3.1) as a Classifier wrapper.
//
// fit splits its training set into inner_folds (4) rounds; each round trains n_trainings (10)
// copies of C and keeps the one with the best ε_val (signal efficiency at fpr = 1 %); predict is
// the mean of the kept models. Reproducible: member j of round r gets derive_seed(seed, r·n_trainings + j).
// CWoLa Hunting = WeakSupervision<Cwola, NestedCvSelect<C>, BumpHunt> (methods.hpp, cwola_hunting()).
// docs/methods/cwola_hunting.md explains the procedure and how resanom maps it.
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
