// resanom/core/events.hpp — the event sample (Events) and how to slice, join, shuffle and split it.
//
// An Events holds, for n events: features X (n×d), one or more resonant features m (n×k; m(0) is
// the dijet mass, Multi-CWoLa uses several), per-event weights w (n; ones by default), optional
// truth labels (n, values in [0,1]; for evaluation only — no training code path reads them), and
// names. Invariants are checked once, at construction: sizes agree, everything is finite, weights
// are non-negative, truth labels lie in [0,1]. Every later operation preserves them.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/types.hpp"

namespace resanom {

namespace detail {

/// Throws input_error naming the first non-finite entry of M.
inline void require_finite(const Eigen::Ref<const Matrix>& M, const std::string& what) {
    if (M.allFinite()) return;
    for (Index j = 0; j < M.cols(); ++j)
        for (Index i = 0; i < M.rows(); ++i)
            if (!std::isfinite(M(i, j)))
                throw input_error(what + ": non-finite value " + std::to_string(M(i, j)) +
                                  " at row " + std::to_string(i) + ", column " +
                                  std::to_string(j));
}

/// Throws input_error unless every weight is finite and ≥ 0.
inline void require_weights(const Eigen::Ref<const Vector>& w, const std::string& what) {
    for (Index i = 0; i < w.size(); ++i)
        if (!std::isfinite(w[i]) || w[i] < 0.0)
            throw input_error(what + ": weight at row " + std::to_string(i) + " is " +
                              std::to_string(w[i]) + " (weights must be finite and >= 0)");
}

/// Throws input_error unless every label is finite and in [0, 1].
inline void require_labels(const Eigen::Ref<const Vector>& y, const std::string& what) {
    for (Index i = 0; i < y.size(); ++i)
        if (!(y[i] >= 0.0 && y[i] <= 1.0))
            throw input_error(what + ": label at row " + std::to_string(i) + " is " +
                              std::to_string(y[i]) + " (labels must lie in [0,1])");
}

inline std::vector<std::string> default_names(const std::string& stem, Index k) {
    std::vector<std::string> names;
    for (Index j = 0; j < k; ++j) names.push_back(stem + std::to_string(j));
    return names;
}

}  // namespace detail

/// A weighted sample of events. Value type: copies are deep, moves are cheap.
class Events {
public:
    Events() = default;

    /// Builds a sample and checks its invariants. An empty w means unit weights; empty name lists
    /// mean x0, x1, … and m0, m1, ….
    Events(Matrix X, Matrix m, Vector w = {}, std::optional<Vector> truth = std::nullopt,
           std::vector<std::string> feature_names = {},
           std::vector<std::string> resonant_names = {})
        : X_(std::move(X)), m_(std::move(m)), w_(std::move(w)), truth_(std::move(truth)),
          feature_names_(std::move(feature_names)), resonant_names_(std::move(resonant_names)) {
        const Index n = X_.rows();
        if (X_.cols() == 0 && n == 0 && m_.rows() > 0) X_.resize(m_.rows(), 0);
        detail::require(m_.rows() == X_.rows(),
                        "Events: X has " + std::to_string(X_.rows()) + " rows but m has " +
                            std::to_string(m_.rows()));
        if (w_.size() == 0) w_ = Vector::Ones(X_.rows());
        detail::require(w_.size() == X_.rows(),
                        "Events: X has " + std::to_string(X_.rows()) + " rows but w has " +
                            std::to_string(w_.size()));
        if (truth_)
            detail::require(truth_->size() == X_.rows(),
                            "Events: X has " + std::to_string(X_.rows()) +
                                " rows but the truth labels have " + std::to_string(truth_->size()));
        if (feature_names_.empty()) feature_names_ = detail::default_names("x", X_.cols());
        if (resonant_names_.empty()) resonant_names_ = detail::default_names("m", m_.cols());
        detail::require(static_cast<Index>(feature_names_.size()) == X_.cols(),
                        "Events: " + std::to_string(feature_names_.size()) +
                            " feature names for " + std::to_string(X_.cols()) + " features");
        detail::require(static_cast<Index>(resonant_names_.size()) == m_.cols(),
                        "Events: " + std::to_string(resonant_names_.size()) +
                            " resonant-feature names for " + std::to_string(m_.cols()) +
                            " resonant features");
        detail::require_finite(X_, "Events: features X");
        detail::require_finite(m_, "Events: resonant features m");
        detail::require_weights(w_, "Events");
        if (truth_) detail::require_labels(*truth_, "Events: truth");
    }

    Index size() const noexcept { return X_.rows(); }
    bool empty() const noexcept { return size() == 0; }
    Index n_features() const noexcept { return X_.cols(); }
    Index n_resonant() const noexcept { return m_.cols(); }

    const Matrix& X() const noexcept { return X_; }
    const Matrix& m() const noexcept { return m_; }
    /// Resonant feature k (default: the first, the dijet mass).
    auto m(Index k) const { return m_.col(checked_resonant(k)); }
    const Vector& w() const noexcept { return w_; }
    double total_weight() const noexcept { return w_.sum(); }

    bool has_truth() const noexcept { return truth_.has_value(); }
    /// Truth labels; throws input_error when the sample has none.
    const Vector& truth() const {
        if (!truth_) throw input_error("Events: this sample has no truth labels");
        return *truth_;
    }

    const std::vector<std::string>& feature_names() const noexcept { return feature_names_; }
    const std::vector<std::string>& resonant_names() const noexcept { return resonant_names_; }

    /// The events at the given row indices, in that order (repeats allowed).
    Events subset(std::span<const Index> rows) const {
        for (Index r : rows)
            detail::require(r >= 0 && r < size(), "Events::subset: row " + std::to_string(r) +
                                                      " outside [0, " + std::to_string(size()) + ")");
        Events out;
        out.X_ = X_(rows, Eigen::all);
        out.m_ = m_(rows, Eigen::all);
        out.w_ = w_(rows);
        if (truth_) out.truth_ = Vector((*truth_)(rows));
        out.feature_names_ = feature_names_;
        out.resonant_names_ = resonant_names_;
        return out;
    }
    Events subset(const IndexList& rows) const { return subset(std::span<const Index>(rows)); }

    /// The events where mask is true, in order. (A name of its own: with an overload of subset,
    /// `subset({0, 2})` would be ambiguous between rows 0 and 2 and a two-entry mask.)
    Events subset_mask(const std::vector<bool>& mask) const { return subset(mask_to_rows(mask)); }

    /// The same events in a seeded random order.
    Events shuffled(Rng& rng) const {
        IndexList p(static_cast<std::size_t>(size()));
        std::iota(p.begin(), p.end(), Index{0});
        shuffle(p.begin(), p.end(), rng);
        return subset(p);
    }

    /// A copy with other weights (checked).
    Events with_weights(Vector w) const {
        detail::require(w.size() == size(), "Events::with_weights: " + std::to_string(w.size()) +
                                                " weights for " + std::to_string(size()) + " events");
        detail::require_weights(w, "Events::with_weights");
        Events out = *this;
        out.w_ = std::move(w);
        return out;
    }

    /// A copy without truth labels (what a training code path should see).
    Events without_truth() const {
        Events out = *this;
        out.truth_.reset();
        return out;
    }

    /// Rows of a boolean mask.
    static IndexList mask_to_rows(const std::vector<bool>& mask) {
        IndexList rows;
        for (std::size_t i = 0; i < mask.size(); ++i)
            if (mask[i]) rows.push_back(static_cast<Index>(i));
        return rows;
    }

private:
    Index checked_resonant(Index k) const {
        detail::require(k >= 0 && k < n_resonant(),
                        "Events: resonant feature " + std::to_string(k) + " requested but the sample has " +
                            std::to_string(n_resonant()));
        return k;
    }

    friend Events concat(std::span<const Events> parts);

    Matrix X_;
    Matrix m_;
    Vector w_;
    std::optional<Vector> truth_;
    std::vector<std::string> feature_names_;
    std::vector<std::string> resonant_names_;
};

/// The events of all parts, in order. Parts must agree in feature and resonant-feature counts;
/// the result has truth labels only if every part has them (names are taken from the first part).
inline Events concat(std::span<const Events> parts) {
    detail::require(!parts.empty(), "concat: no samples given");
    const Events& first = parts.front();
    Index n = 0;
    bool truth = true;
    for (const Events& p : parts) {
        detail::require(p.n_features() == first.n_features() && p.n_resonant() == first.n_resonant(),
                        "concat: samples differ in their columns (" +
                            std::to_string(first.n_features()) + "+" + std::to_string(first.n_resonant()) +
                            " vs " + std::to_string(p.n_features()) + "+" +
                            std::to_string(p.n_resonant()) + ")");
        n += p.size();
        truth = truth && p.has_truth();
    }
    Events out;
    out.X_.resize(n, first.n_features());
    out.m_.resize(n, first.n_resonant());
    out.w_.resize(n);
    if (truth) out.truth_ = Vector(n);
    Index at = 0;
    for (const Events& p : parts) {
        out.X_.middleRows(at, p.size()) = p.X_;
        out.m_.middleRows(at, p.size()) = p.m_;
        out.w_.segment(at, p.size()) = p.w_;
        if (truth) out.truth_->segment(at, p.size()) = *p.truth_;
        at += p.size();
    }
    out.feature_names_ = first.feature_names_;
    out.resonant_names_ = first.resonant_names_;
    return out;
}

inline Events concat(const Events& a, const Events& b) {
    const Events parts[] = {a, b};
    return concat(std::span<const Events>(parts));
}

/// Row indices of a train/validation split: a seeded random fraction goes to validation.
struct Split {
    IndexList train;
    IndexList validation;
};

/// Splits 0..n−1 at random; round(val_fraction·n) rows go to validation. val_fraction in [0, 1).
inline Split train_validation_split(Index n, double val_fraction, Rng& rng) {
    detail::require(n >= 0, "train_validation_split: negative size");
    detail::require(val_fraction >= 0.0 && val_fraction < 1.0,
                    "train_validation_split: validation fraction " + std::to_string(val_fraction) +
                        " outside [0, 1)");
    IndexList p(static_cast<std::size_t>(n));
    std::iota(p.begin(), p.end(), Index{0});
    shuffle(p.begin(), p.end(), rng);
    const auto n_val = static_cast<std::size_t>(std::llround(val_fraction * static_cast<double>(n)));
    Split s;
    s.validation.assign(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(n_val));
    s.train.assign(p.begin() + static_cast<std::ptrdiff_t>(n_val), p.end());
    std::sort(s.validation.begin(), s.validation.end());
    std::sort(s.train.begin(), s.train.end());
    return s;
}

/// Assigns 0..n−1 at random to k folds of sizes differing by at most one; returns the rows of
/// each fold, sorted. Requires 2 ≤ k ≤ n.
inline std::vector<IndexList> kfold(Index n, int k, Rng& rng) {
    detail::require(k >= 2, "kfold: need at least 2 folds, got " + std::to_string(k));
    detail::require(n >= k, "kfold: " + std::to_string(n) + " events are too few for " +
                                std::to_string(k) + " folds");
    IndexList p(static_cast<std::size_t>(n));
    std::iota(p.begin(), p.end(), Index{0});
    shuffle(p.begin(), p.end(), rng);
    std::vector<IndexList> folds(static_cast<std::size_t>(k));
    for (std::size_t i = 0; i < p.size(); ++i) folds[i % static_cast<std::size_t>(k)].push_back(p[i]);
    for (auto& f : folds) std::sort(f.begin(), f.end());
    return folds;
}

/// Complement of a fold: every row in 0..n−1 not in `rows` (rows sorted).
inline IndexList complement(Index n, const IndexList& rows) {
    IndexList out;
    out.reserve(static_cast<std::size_t>(n) - rows.size());
    std::size_t j = 0;
    for (Index i = 0; i < n; ++i) {
        if (j < rows.size() && rows[j] == i) {
            ++j;
            continue;
        }
        out.push_back(i);
    }
    return out;
}

/// Builds Events from a table (one event per row) by column indices: `features` give X,
/// `resonant` give m, optional label and weight columns. Column names, when given, follow the table.
inline Events events_from_table(const Eigen::Ref<const Matrix>& table, const std::vector<Index>& features,
                                const std::vector<Index>& resonant,
                                std::optional<Index> label_col = std::nullopt,
                                std::optional<Index> weight_col = std::nullopt,
                                const std::vector<std::string>& column_names = {}) {
    auto check = [&](Index c, const char* what) {
        detail::require(c >= 0 && c < table.cols(),
                        std::string("events_from_table: ") + what + " column " + std::to_string(c) +
                            " outside the table's " + std::to_string(table.cols()) + " columns");
    };
    for (Index c : features) check(c, "feature");
    for (Index c : resonant) check(c, "resonant");
    if (label_col) check(*label_col, "label");
    if (weight_col) check(*weight_col, "weight");
    auto names_of = [&](const std::vector<Index>& cols) {
        std::vector<std::string> out;
        if (column_names.empty()) return out;
        detail::require(static_cast<Index>(column_names.size()) == table.cols(),
                        "events_from_table: " + std::to_string(column_names.size()) +
                            " column names for " + std::to_string(table.cols()) + " columns");
        for (Index c : cols) out.push_back(column_names[static_cast<std::size_t>(c)]);
        return out;
    };
    Matrix X = table(Eigen::all, features);
    Matrix m = table(Eigen::all, resonant);
    Vector w = weight_col ? Vector(table.col(*weight_col)) : Vector();
    std::optional<Vector> truth;
    if (label_col) truth = Vector(table.col(*label_col));
    return Events(std::move(X), std::move(m), std::move(w), std::move(truth), names_of(features),
                  names_of(resonant));
}

// ---------------------------------------------------------------------------------------------
// ReferenceDataset: an event sample — features X (n×d), resonant features m (n×k), weights w (n),
// sliceable by rows (and so by region). Events models it; so can a user's own sample type, which
// then works with the region helpers of core/regions.hpp (rows_in, sr_rows, sb_rows, …).
template <class D>
concept ReferenceDataset =
    std::copy_constructible<D> && requires(const D& d, std::span<const Index> rows) {
        { d.size() } -> std::convertible_to<Index>;
        { d.n_features() } -> std::convertible_to<Index>;
        { d.n_resonant() } -> std::convertible_to<Index>;
        { d.X() } -> std::convertible_to<Matrix>;
        { d.m() } -> std::convertible_to<Matrix>;
        { d.w() } -> std::convertible_to<Vector>;
        { d.subset(rows) } -> std::same_as<D>;
    };

}  // namespace resanom
