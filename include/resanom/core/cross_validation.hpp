// resanom/core/cross_validation.hpp — fold assignments (stratified_folds: bin by bin in m,
// Collins et al. 2021, §3.1; grouped and training folds that keep rows of one data event together)
// and the out-of-fold loop every pipeline scores with: out_of_fold_scores (any model) and
// out_of_fold_predict (any Classifier, with a validation fold; Das et al. 2024, §2.1).
// docs/search.md explains the protocol.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <span>
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

/// Folds stratified in m (Collins et al. 2021, §3.1: the dataset "divided randomly, bin by bin, in
/// five event samples of identical size"), at the finest binning: the events sorted by m (ties by
/// row) are cut into consecutive blocks of k, and each block is dealt a seeded random permutation of
/// the folds (the last, shorter block the first entries of one). Every fold then holds the same
/// share, within one event, of every m range — so that a cut made per fold cannot shape the m
/// spectrum — and fold sizes differ by at most one. NaN m values are refused.
inline std::vector<int> stratified_folds(std::span<const double> m, int k, std::uint64_t seed) {
    detail::require(k >= 2, "stratified_folds: need at least 2 folds, got " + std::to_string(k));
    const auto n = static_cast<Index>(m.size());
    detail::require(n >= k, "stratified_folds: " + std::to_string(n) + " events cannot fill " + std::to_string(k) + " folds");
    for (Index i = 0; i < n; ++i)
        detail::require(!std::isnan(m[static_cast<std::size_t>(i)]),
                        "stratified_folds: m is NaN at row " + std::to_string(i));
    std::vector<Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Index{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](Index a, Index b) { return m[static_cast<std::size_t>(a)] < m[static_cast<std::size_t>(b)]; });
    Rng rng(seed);
    std::vector<int> perm(static_cast<std::size_t>(k));
    std::vector<int> assign(static_cast<std::size_t>(n));
    for (Index start = 0; start < n; start += k) {
        std::iota(perm.begin(), perm.end(), 0);
        shuffle(perm.begin(), perm.end(), rng);
        const Index len = std::min<Index>(k, n - start);
        for (Index j = 0; j < len; ++j)
            assign[static_cast<std::size_t>(order[static_cast<std::size_t>(start + j)])] = perm[static_cast<std::size_t>(j)];
    }
    return assign;
}

inline std::vector<int> stratified_folds(const Vector& m, int k, std::uint64_t seed) {
    return stratified_folds(std::span<const double>(m.data(), static_cast<std::size_t>(m.size())), k, seed);
}

/// Folds for the rows of a generated training set (GeneratedTemplate::data_row) given the fold of
/// every data event: a row stemming from data event d (data_row ≥ 0) takes data_fold[d], so that no
/// data event is scored by a classifier that saw it in any form; the other rows (references,
/// generated samples: data_row −1) are dealt to the folds round-robin in a seeded random order.
inline std::vector<int> training_folds(const IndexList& data_row, std::span<const int> data_fold, int k,
                                       std::uint64_t seed) {
    detail::require(k >= 2, "training_folds: need at least 2 folds");
    std::vector<int> assign(data_row.size(), -1);
    std::vector<std::size_t> free_rows;
    for (std::size_t i = 0; i < data_row.size(); ++i) {
        const Index d = data_row[i];
        detail::require(d >= -1, "training_folds: data_row " + std::to_string(d) + " at row " + std::to_string(i) +
                                     " (expected ≥ −1)");
        if (d < 0) {
            free_rows.push_back(i);
            continue;
        }
        detail::require(static_cast<std::size_t>(d) < data_fold.size(),
                        "training_folds: data_row " + std::to_string(d) + " beyond the " +
                            std::to_string(data_fold.size()) + " data events");
        const int f = data_fold[static_cast<std::size_t>(d)];
        detail::require(f >= 0 && f < k, "training_folds: data event " + std::to_string(d) + " has fold " +
                                             std::to_string(f) + " outside [0, " + std::to_string(k) + ")");
        assign[i] = f;
    }
    Rng rng(seed);
    shuffle(free_rows.begin(), free_rows.end(), rng);
    for (std::size_t j = 0; j < free_rows.size(); ++j) assign[free_rows[j]] = static_cast<int>(j % static_cast<std::size_t>(k));
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

/// The fold loop of every out-of-fold scoring (classifiers, out_of_fold_predict; scorers, the
/// unsupervised pipeline): for each fold f, fit(f, fit_rows, val_rows) returns a model trained on
/// the rows of the other folds — with `validation_fold`, fold (f+1) mod k is held out of fit_rows
/// and passed as val_rows (else val_rows is empty) — and eval(model, features) scores rows. Row i
/// of X is scored by the model of fold fold_of[i]. Rows of `extra` are scored too, returned in the
/// second member: row j with extra_fold[j] = f ≥ 0 by the model of fold f alone, row j with
/// extra_fold[j] = −1 — or every row when extra_fold is empty — by the mean of the k models.
/// `fold_done`, when set, hears about each finished fold.
template <class Fit, class Eval>
std::pair<Vector, Vector> out_of_fold_scores(const Matrix& X, const std::vector<int>& fold_of, int k, bool validation_fold,
                                             Fit&& fit, Eval&& eval, const Matrix& extra = Matrix(),
                                             const FoldObserver& fold_done = {}, std::span<const int> extra_fold = {}) {
    detail::require(k >= 2, "out-of-fold scoring: need at least 2 folds");
    detail::require(static_cast<Index>(fold_of.size()) == X.rows(),
                    "out-of-fold scoring: " + std::to_string(fold_of.size()) + " fold assignments for " +
                        std::to_string(X.rows()) + " rows");
    std::vector<IndexList> rows(static_cast<std::size_t>(k));
    for (std::size_t i = 0; i < fold_of.size(); ++i) {
        detail::require(fold_of[i] >= 0 && fold_of[i] < k,
                        "out-of-fold scoring: row " + std::to_string(i) + " has fold " + std::to_string(fold_of[i]) +
                            " outside [0, " + std::to_string(k) + ")");
        rows[static_cast<std::size_t>(fold_of[i])].push_back(static_cast<Index>(i));
    }
    for (int f = 0; f < k; ++f)
        detail::require(!rows[static_cast<std::size_t>(f)].empty(), "out-of-fold scoring: fold " + std::to_string(f) + " is empty");

    detail::require(extra_fold.empty() || static_cast<Index>(extra_fold.size()) == extra.rows(),
                    "out-of-fold scoring: " + std::to_string(extra_fold.size()) + " fold assignments for " +
                        std::to_string(extra.rows()) + " extra rows");
    // Extra rows per scoring fold; index k holds the rows scored by the mean of all folds.
    std::vector<IndexList> extra_rows(static_cast<std::size_t>(k) + 1);
    for (Index j = 0; j < extra.rows(); ++j) {
        const int f = extra_fold.empty() ? -1 : extra_fold[static_cast<std::size_t>(j)];
        detail::require(f >= -1 && f < k, "out-of-fold scoring: extra row " + std::to_string(j) + " has fold " +
                                              std::to_string(f) + " outside [−1, " + std::to_string(k) + ")");
        extra_rows[static_cast<std::size_t>(f < 0 ? k : f)].push_back(j);
    }
    const IndexList& averaged = extra_rows[static_cast<std::size_t>(k)];
    const IndexList no_rows;

    Vector oof(X.rows());
    Vector extra_score = Vector::Zero(extra.rows());
    for (int f = 0; f < k; ++f) {
        const int v = (f + 1) % k;
        IndexList fit_rows;
        for (int g = 0; g < k; ++g)
            if (g != f && !(validation_fold && g == v))
                fit_rows.insert(fit_rows.end(), rows[static_cast<std::size_t>(g)].begin(), rows[static_cast<std::size_t>(g)].end());
        const auto member = fit(f, fit_rows, validation_fold ? rows[static_cast<std::size_t>(v)] : no_rows);
        const auto& test = rows[static_cast<std::size_t>(f)];
        const Vector p = eval(member, Matrix(X(test, Eigen::all)));
        for (std::size_t j = 0; j < test.size(); ++j) oof[test[j]] = p[static_cast<Index>(j)];
        const IndexList& own = extra_rows[static_cast<std::size_t>(f)];
        if (!own.empty()) {
            const Vector s = eval(member, Matrix(extra(own, Eigen::all)));
            for (std::size_t j = 0; j < own.size(); ++j) extra_score[own[j]] = s[static_cast<Index>(j)];
        }
        if (averaged.size() == static_cast<std::size_t>(extra.rows()) && !averaged.empty()) {
            extra_score += eval(member, extra);  // all rows averaged: no copy
        } else if (!averaged.empty()) {
            const Vector s = eval(member, Matrix(extra(averaged, Eigen::all)));
            for (std::size_t j = 0; j < averaged.size(); ++j) extra_score[averaged[j]] += s[static_cast<Index>(j)];
        }
        if (fold_done) fold_done(f + 1, k);
    }
    for (Index j : averaged) extra_score[j] /= static_cast<double>(k);
    return {oof, extra_score};
}

/// Out-of-fold probabilities for every row of `train`: row i is predicted by the classifier of
/// fold fold_of[i], trained on every other fold. A ValidatingClassifier gets fold (f+1) mod k as
/// its validation set (k ≥ 3), as in Das et al. 2024, §2.1; any other Classifier trains on all k−1
/// folds. Member f is seeded with derive_seed(seed, f). `extra`, `extra_fold` and `fold_done` as in
/// out_of_fold_scores: extra rows of a fold are events that are no training rows but are cut on
/// together with the training rows (Collins et al. 2021, §3.1); rows of fold −1 are, e.g., a
/// labelled evaluation sample.
template <Classifier C>
std::pair<Vector, Vector> out_of_fold_predict(const C& prototype, const TrainingSet& train,
                                              const std::vector<int>& fold_of, int k,
                                              std::uint64_t seed, const Matrix& extra = Matrix(),
                                              const FoldObserver& fold_done = {},
                                              std::span<const int> extra_fold = {}) {
    const bool use_val = ValidatingClassifier<C> && k >= 3;
    const auto fit = [&](int f, const IndexList& fit_rows, const IndexList& val_rows) {
        C member = prototype;
        const std::uint64_t member_seed = derive_seed(seed, static_cast<std::uint64_t>(f));
        if constexpr (ValidatingClassifier<C>) {
            if (use_val) {
                member.fit(train.subset(fit_rows), train.subset(val_rows), member_seed);
                return member;
            }
        }
        member.fit(train.subset(fit_rows), member_seed);
        return member;
    };
    const auto predict = [](const C& member, const Matrix& X) -> Vector { return member.predict(X); };
    return out_of_fold_scores(train.X, fold_of, k, use_val, fit, predict, extra, fold_done, extra_fold);
}

}  // namespace resanom
