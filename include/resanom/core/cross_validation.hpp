// resanom/core/cross_validation.hpp — out-of-fold prediction with any Classifier.
//
// Papers 003 §2.1 and 004 §3.1 score every event with a classifier that never saw it: the events
// are split into k folds; for each test fold a classifier trains on the other k−1 (one of which
// serves as validation when the classifier can use one), then predicts the test fold. The cuts on
// data are unbiased because of it. Events can be grouped (Fold assignment per row) so that rows
// which must stay together — e.g. all training rows stemming from one data event — do.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/training_set.hpp"

namespace resanom {

/// For each row of `train`, its fold in 0..k−1, drawn at random with balanced fold sizes.
inline std::vector<int> random_folds(Index n, int k, std::uint64_t seed) {
    Rng rng(seed);
    const auto folds = kfold(n, k, rng);
    std::vector<int> assign(static_cast<std::size_t>(n));
    for (std::size_t f = 0; f < folds.size(); ++f)
        for (Index r : folds[f]) assign[static_cast<std::size_t>(r)] = static_cast<int>(f);
    return assign;
}

/// Folds for a generated training set (GeneratedTemplate::data_row): rows that stem from the same
/// data event (equal data_row ≥ 0) share a fold, so that no data event is scored by a classifier
/// that saw it in any form; every other row (data_row −1: references, generated samples) is a
/// group of its own. Groups are dealt to the k folds round-robin in a seeded random order, so fold
/// sizes differ by at most one group.
inline std::vector<int> grouped_folds(const IndexList& data_row, int k, std::uint64_t seed) {
    detail::require(k >= 2, "grouped_folds: need at least 2 folds");
    // Group key per row: the data row, or a fresh key below −1 for each ungrouped row.
    std::vector<Index> key(data_row.size());
    Index next_free = -2;
    for (std::size_t i = 0; i < data_row.size(); ++i) {
        detail::require(data_row[i] >= -1, "grouped_folds: data_row " + std::to_string(data_row[i]) +
                                               " at row " + std::to_string(i) + " (expected ≥ −1)");
        key[i] = data_row[i] >= 0 ? data_row[i] : next_free--;
    }
    std::vector<Index> groups = key;
    std::sort(groups.begin(), groups.end());
    groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
    detail::require(static_cast<Index>(groups.size()) >= k,
                    "grouped_folds: " + std::to_string(groups.size()) + " groups cannot fill " +
                        std::to_string(k) + " folds");
    Rng rng(seed);
    shuffle(groups.begin(), groups.end(), rng);
    std::vector<std::pair<Index, int>> fold_of_group(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g)
        fold_of_group[g] = {groups[g], static_cast<int>(g % static_cast<std::size_t>(k))};
    std::sort(fold_of_group.begin(), fold_of_group.end());
    std::vector<int> assign(data_row.size());
    for (std::size_t i = 0; i < key.size(); ++i) {
        const auto it = std::lower_bound(fold_of_group.begin(), fold_of_group.end(),
                                         std::pair<Index, int>{key[i], -1});
        assign[i] = it->second;
    }
    return assign;
}

/// Called as fold_done(folds done, k) after each fold's classifier trained and scored.
using FoldObserver = std::function<void(int, int)>;

/// Out-of-fold probabilities for every row of `train`: row i is predicted by the classifier of
/// fold fold_of[i], trained on every other fold. A ValidatingClassifier gets fold (f+1) mod k as
/// its validation set (k ≥ 3), as in paper 003 §2.1; any other Classifier trains on all k−1 folds.
/// Member f is seeded with derive_seed(seed, f). Also scores `extra` rows (e.g. a labelled test
/// sample) with the mean of the k classifiers, returned in the second member. `fold_done`, when
/// set, hears about each finished fold (progress displays).
template <Classifier C>
std::pair<Vector, Vector> out_of_fold_predict(const C& prototype, const TrainingSet& train,
                                              const std::vector<int>& fold_of, int k,
                                              std::uint64_t seed, const Matrix& extra = Matrix(),
                                              const FoldObserver& fold_done = {}) {
    detail::require(k >= 2, "out_of_fold_predict: need at least 2 folds");
    detail::require(static_cast<Index>(fold_of.size()) == train.size(),
                    "out_of_fold_predict: " + std::to_string(fold_of.size()) +
                        " fold assignments for " + std::to_string(train.size()) + " rows");
    std::vector<IndexList> rows(static_cast<std::size_t>(k));
    for (std::size_t i = 0; i < fold_of.size(); ++i) {
        detail::require(fold_of[i] >= 0 && fold_of[i] < k,
                        "out_of_fold_predict: row " + std::to_string(i) + " has fold " +
                            std::to_string(fold_of[i]) + " outside [0, " + std::to_string(k) + ")");
        rows[static_cast<std::size_t>(fold_of[i])].push_back(static_cast<Index>(i));
    }
    for (int f = 0; f < k; ++f)
        detail::require(!rows[static_cast<std::size_t>(f)].empty(),
                        "out_of_fold_predict: fold " + std::to_string(f) + " is empty");

    Vector oof(train.size());
    Vector extra_score = Vector::Zero(extra.rows());
    for (int f = 0; f < k; ++f) {
        const int v = (f + 1) % k;
        const bool use_val = ValidatingClassifier<C> && k >= 3;
        IndexList fit_rows;
        for (int g = 0; g < k; ++g)
            if (g != f && !(use_val && g == v))
                fit_rows.insert(fit_rows.end(), rows[static_cast<std::size_t>(g)].begin(),
                                rows[static_cast<std::size_t>(g)].end());
        C member = prototype;
        const std::uint64_t member_seed = derive_seed(seed, static_cast<std::uint64_t>(f));
        if constexpr (ValidatingClassifier<C>) {
            if (use_val)
                member.fit(train.subset(fit_rows), train.subset(rows[static_cast<std::size_t>(v)]),
                           member_seed);
            else
                member.fit(train.subset(fit_rows), member_seed);
        } else {
            member.fit(train.subset(fit_rows), member_seed);
        }
        const auto& test = rows[static_cast<std::size_t>(f)];
        const Vector p = member.predict(train.X(test, Eigen::all));
        for (std::size_t j = 0; j < test.size(); ++j) oof[test[j]] = p[static_cast<Index>(j)];
        if (extra.rows() > 0) extra_score += member.predict(extra);
        if (fold_done) fold_done(f + 1, k);
    }
    if (extra.rows() > 0) extra_score /= static_cast<double>(k);
    return {oof, extra_score};
}

}  // namespace resanom
