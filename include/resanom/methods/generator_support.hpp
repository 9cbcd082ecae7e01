// resanom/methods/generator_support.hpp — small pieces shared by the template generators of
// methods/: GeneratedTemplate assembly, weight rescaling and the generators' input checks.
//
// Shared by IAD, CWoLa, SA-CWoLa, SALAD and its multi-simulation variants, Multi-CWoLa and combined
// samples: assembling a GeneratedTemplate from labelled parts, rescaling weights to a total, and the
// precise input checks every generator performs (empty regions, missing references).
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/core/training_set.hpp"
#include "resanom/core/types.hpp"

namespace resanom::detail::methods {

/// "[lo, hi)" for messages.
inline std::string interval_text(const Interval& i) {
    return std::string("[") + std::to_string(i.lo) + ", " + std::to_string(i.hi) + ")";
}

/// Throws input_error unless `rows` is non-empty and carries positive total weight in `w`.
inline void require_region(const IndexList& rows, const Vector& w, const std::string& who, const std::string& sample,
                           const std::string& region, const Interval& where) {
    require(!rows.empty(), who + ": no " + sample + " events in the " + region + " " + interval_text(where));
    double total = 0.0;
    for (Index r : rows) total += w[r];
    require(total > 0.0, who + ": the " + sample + " events in the " + region + " " + interval_text(where) +
                             " have zero total weight");
}

/// Throws input_error unless exactly `n` references were given.
inline void require_references(std::size_t given, std::size_t n, const std::string& who, const std::string& what) {
    require(given == n, who + ": needs exactly " + std::to_string(n) + " reference sample" + (n == 1 ? "" : "s") +
                            " (" + what + "), got " + std::to_string(given));
}

/// Throws input_error unless at least `n` references were given.
inline void require_min_references(std::size_t given, std::size_t n, const std::string& who, const std::string& what) {
    require(given >= n, who + ": needs at least " + std::to_string(n) + " reference samples (" + what + "), got " +
                            std::to_string(given));
}

/// Throws input_error unless a reference has the data's feature and resonant-feature counts.
inline void require_same_columns(const Events& data, const Events& ref, const std::string& who, std::size_t index) {
    require(ref.n_features() == data.n_features() && ref.n_resonant() == data.n_resonant(),
            who + ": reference " + std::to_string(index) + " has " + std::to_string(ref.n_features()) + " features and " +
                std::to_string(ref.n_resonant()) + " resonant features, the data " + std::to_string(data.n_features()) +
                " and " + std::to_string(data.n_resonant()));
}

/// The weights of `rows` of w, scaled so that they sum to `total` (their sum must be > 0).
inline Vector scaled_to(const Vector& w, const IndexList& rows, double total) {
    Vector out = w(rows);
    const double s = out.sum();
    require(s > 0.0 && std::isfinite(s), "scaled_to: weights with non-positive total");
    out *= total / s;
    return out;
}

/// Collects labelled blocks of training rows and assembles the GeneratedTemplate.
class TrainingBuilder {
public:
    /// Appends rows of X with (soft) labels y, weights w, and their data rows (−1: not data).
    /// Returns the training row of the first appended row.
    Index add(Matrix X, Vector y, Vector w, IndexList data_row) {
        require(X.rows() == y.size() && y.size() == w.size() && static_cast<Index>(data_row.size()) == w.size(),
                "TrainingBuilder: block sizes disagree");
        const Index first = n_;
        n_ += X.rows();
        if (d_ < 0) d_ = X.cols();
        require(X.cols() == d_, "TrainingBuilder: blocks differ in their feature counts");
        blocks_.push_back({std::move(X), std::move(y), std::move(w), std::move(data_row)});
        return first;
    }

    /// Rows `rows` of `events` with hard label `label` and weights `w` (one per row); `from_data`
    /// records the rows as data rows.
    Index add_rows(const Events& events, const IndexList& rows, double label, Vector w, bool from_data) {
        IndexList dr(rows.size(), -1);
        if (from_data) dr = rows;
        return add(events.X()(rows, Eigen::all), Vector::Constant(static_cast<Index>(rows.size()), label), std::move(w),
                   std::move(dr));
    }

    Index size() const noexcept { return n_; }

    /// The assembled training set with the data rows; the template is attached by the caller.
    GeneratedTemplate finish() {
        GeneratedTemplate g;
        g.training.X.resize(n_, d_ < 0 ? 0 : d_);
        g.training.y.resize(n_);
        g.training.w.resize(n_);
        g.data_row.reserve(static_cast<std::size_t>(n_));
        Index at = 0;
        for (auto& b : blocks_) {
            const Index m = b.X.rows();
            g.training.X.middleRows(at, m) = b.X;
            g.training.y.segment(at, m) = b.y;
            g.training.w.segment(at, m) = b.w;
            g.data_row.insert(g.data_row.end(), b.data_row.begin(), b.data_row.end());
            at += m;
        }
        blocks_.clear();
        g.training.validate("generated training set");
        return g;
    }

private:
    struct Block {
        Matrix X;
        Vector y;
        Vector w;
        IndexList data_row;
    };
    std::vector<Block> blocks_;
    Index n_ = 0;
    Index d_ = -1;
};

/// Training rows first, first+1, …, first+n−1.
inline IndexList consecutive(Index first, Index n) {
    IndexList r(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) r[static_cast<std::size_t>(i)] = first + i;
    return r;
}

}  // namespace resanom::detail::methods
