// resanom/core/training_set.hpp — the one shape every weakly supervised method produces: features X,
// soft labels y in [0,1], weights w ≥ 0.
//
// A template generator (CWoLa, SALAD, CATHODE, …) turns data and references into a TrainingSet;
// a Classifier learns it. Label 1 is "data in the signal region", label 0 is "background template".
#pragma once

#include <span>
#include <string>
#include <utility>

#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/types.hpp"

namespace resanom {

struct TrainingSet {
    Matrix X;  ///< n×d features
    Vector y;  ///< n soft labels in [0,1]
    Vector w;  ///< n weights ≥ 0

    TrainingSet() = default;

    /// Builds and checks a training set (an empty w means unit weights).
    TrainingSet(Matrix X_, Vector y_, Vector w_ = {})
        : X(std::move(X_)), y(std::move(y_)), w(std::move(w_)) {
        if (w.size() == 0) w = Vector::Ones(X.rows());
        validate();
    }

    Index size() const noexcept { return X.rows(); }
    bool empty() const noexcept { return size() == 0; }
    Index n_features() const noexcept { return X.cols(); }

    /// Throws input_error unless sizes agree, X is finite, labels lie in [0,1] and weights are
    /// finite and non-negative.
    void validate(const std::string& what = "TrainingSet") const {
        detail::require(y.size() == X.rows(), what + ": " + std::to_string(X.rows()) +
                                                  " events but " + std::to_string(y.size()) + " labels");
        detail::require(w.size() == X.rows(), what + ": " + std::to_string(X.rows()) +
                                                  " events but " + std::to_string(w.size()) + " weights");
        detail::require_finite(X, what + ": features");
        detail::require_labels(y, what);
        detail::require_weights(w, what);
    }

    /// The rows given, in order.
    TrainingSet subset(std::span<const Index> rows) const {
        TrainingSet t;
        t.X = X(rows, Eigen::all);
        t.y = y(rows);
        t.w = w(rows);
        return t;
    }
    TrainingSet subset(const IndexList& rows) const { return subset(std::span<const Index>(rows)); }

    /// Total weight of label-1 and label-0 events (soft labels split an event's weight).
    std::pair<double, double> class_weights() const {
        const double w1 = w.dot(y);
        return {w1, w.sum() - w1};
    }
};

/// Appends b's events to a's (same feature count).
inline TrainingSet concat(const TrainingSet& a, const TrainingSet& b) {
    detail::require(a.empty() || b.empty() || a.n_features() == b.n_features(),
                    "concat: training sets have " + std::to_string(a.n_features()) + " and " +
                        std::to_string(b.n_features()) + " features");
    TrainingSet t;
    const Index d = a.empty() ? b.n_features() : a.n_features();
    t.X.resize(a.size() + b.size(), d);
    t.y.resize(a.size() + b.size());
    t.w.resize(a.size() + b.size());
    if (!a.empty()) t.X.topRows(a.size()) = a.X;
    if (!b.empty()) t.X.bottomRows(b.size()) = b.X;
    t.y << a.y, b.y;
    t.w << a.w, b.w;
    return t;
}

/// Labels every event of `events` with the hard label `label` (0 or 1) and weight factor `scale`
/// times its own weight.
inline TrainingSet labelled(const Events& events, double label, double scale = 1.0) {
    detail::require(label >= 0.0 && label <= 1.0, "labelled: label outside [0,1]");
    detail::require(scale >= 0.0 && std::isfinite(scale), "labelled: weight scale must be finite and >= 0");
    TrainingSet t;
    t.X = events.X();
    t.y = Vector::Constant(events.size(), label);
    t.w = events.w() * scale;
    return t;
}

/// Class-balancing factors (s1, s0) with s1·W1 = s0·W0 = (W1 + W0)/2, W1 and W0 the class
/// totals: the "balanced" class weighting of the papers. They enter the loss, not the weights —
/// event i contributes w_i·[y_i·s1·ℓ(1, p_i) + (1 − y_i)·s0·ℓ(0, p_i)] — because with soft labels
/// no rescaling of w alone balances both classes. Throws when a class has no weight.
struct ClassFactors {
    double s1 = 1.0;
    double s0 = 1.0;
};

inline ClassFactors class_balance_factors(const TrainingSet& t) {
    const auto [w1, w0] = t.class_weights();
    detail::require(w1 > 0.0 && w0 > 0.0,
                    "class balancing needs both classes with positive total weight (label 1: " +
                        std::to_string(w1) + ", label 0: " + std::to_string(w0) + ")");
    const double half = 0.5 * (w1 + w0);
    return {half / w1, half / w0};
}

}  // namespace resanom
