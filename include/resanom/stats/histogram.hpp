// resanom/stats/histogram.hpp — binned spectra of the resonant feature m: Histogram, with per-bin
// sums of weights and of squared weights, under/overflow, and uniform and log-uniform edges.
//
// Edges may be any increasing sequence. It is what the sideband fit (dijet_fit.hpp), the bump hunt
// and the window scans consume. Bins are half-open, [edge_i, edge_{i+1}), like resanom::Interval,
// so an event exactly on an edge falls into the bin above it, and one at the last edge into the
// overflow.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/core/types.hpp"

namespace resanom {

/// A 1-D histogram. counts[i] = Σ w over the events in bin i, sumw2[i] = Σ w² (equal to counts for
/// unit weights: the Poisson variance of an unweighted bin).
class Histogram {
public:
    Histogram() = default;

    /// Empty histogram over the given edges (at least two, finite, strictly increasing).
    explicit Histogram(std::vector<double> edges) : edges_(std::move(edges)) {
        detail::require(edges_.size() >= 2, "Histogram: need at least two bin edges");
        for (std::size_t i = 0; i < edges_.size(); ++i) {
            detail::require(std::isfinite(edges_[i]), "Histogram: bin edge " + std::to_string(i) +
                                                          " is not finite");
            if (i > 0)
                detail::require(edges_[i] > edges_[i - 1],
                                "Histogram: bin edges must increase strictly (edge " +
                                    std::to_string(i) + " = " + std::to_string(edges_[i]) +
                                    " after " + std::to_string(edges_[i - 1]) + ")");
        }
        counts_ = Vector::Zero(bins());
        sumw2_ = Vector::Zero(bins());
    }

    /// n uniform bins over [lo, hi).
    static Histogram uniform(double lo, double hi, int n) { return Histogram(uniform_edges(lo, hi, n)); }
    /// n bins uniform in log m over [lo, hi) (lo > 0), as Collins et al. 2021, §3.1.
    static Histogram log_uniform(double lo, double hi, int n) { return Histogram(log_edges(lo, hi, n)); }

    /// A histogram from given contents (counts ≥ 0 and finite). sumw2 defaults to counts (Poisson).
    static Histogram from_counts(std::vector<double> edges, const Eigen::Ref<const Vector>& counts,
                                 const Eigen::Ref<const Vector>& sumw2 = Vector()) {
        Histogram h(std::move(edges));
        detail::require(counts.size() == h.bins(), "Histogram::from_counts: " +
                                                       std::to_string(counts.size()) + " counts for " +
                                                       std::to_string(h.bins()) + " bins");
        detail::require(sumw2.size() == 0 || sumw2.size() == h.bins(),
                        "Histogram::from_counts: " + std::to_string(sumw2.size()) + " sumw2 entries for " +
                            std::to_string(h.bins()) + " bins");
        for (Index i = 0; i < counts.size(); ++i) {
            detail::require(std::isfinite(counts[i]) && counts[i] >= 0.0,
                            "Histogram::from_counts: count of bin " + std::to_string(i) + " is " +
                                std::to_string(counts[i]) + " (must be finite and >= 0)");
            if (sumw2.size())
                detail::require(std::isfinite(sumw2[i]) && sumw2[i] >= 0.0,
                                "Histogram::from_counts: sumw2 of bin " + std::to_string(i) + " is " +
                                    std::to_string(sumw2[i]) + " (must be finite and >= 0)");
        }
        h.counts_ = counts;
        h.sumw2_ = sumw2.size() ? Vector(sumw2) : Vector(counts);
        return h;
    }

    Index bins() const noexcept { return static_cast<Index>(edges_.size()) - 1; }
    const std::vector<double>& edges() const noexcept { return edges_; }
    double lo(Index i) const { return edges_[static_cast<std::size_t>(i)]; }
    double hi(Index i) const { return edges_[static_cast<std::size_t>(i) + 1]; }
    double width(Index i) const { return hi(i) - lo(i); }
    double center(Index i) const { return 0.5 * (lo(i) + hi(i)); }
    Interval range() const { return {edges_.front(), edges_.back()}; }

    const Vector& counts() const noexcept { return counts_; }
    const Vector& sumw2() const noexcept { return sumw2_; }
    double underflow() const noexcept { return underflow_; }
    double overflow() const noexcept { return overflow_; }
    /// Σ w inside the range (under/overflow excluded).
    double total() const { return counts_.sum(); }

    /// The bin holding m, or −1 below the range, bins() at or above its upper edge. NaN gives −1.
    Index find(double m) const {
        if (!(m >= edges_.front())) return -1;
        if (m >= edges_.back()) return bins();
        const auto it = std::upper_bound(edges_.begin(), edges_.end(), m);
        return static_cast<Index>(it - edges_.begin()) - 1;
    }

    /// Adds one event of weight w (finite, ≥ 0).
    void fill(double m, double w = 1.0) {
        detail::require(std::isfinite(m), "Histogram::fill: m is " + std::to_string(m) + " (must be finite)");
        detail::require(std::isfinite(w) && w >= 0.0,
                        "Histogram::fill: weight " + std::to_string(w) + " (must be finite and >= 0)");
        const Index b = find(m);
        if (b < 0) underflow_ += w;
        else if (b >= bins()) overflow_ += w;
        else {
            counts_[b] += w;
            sumw2_[b] += w * w;
        }
    }

    /// Adds every event; an empty weight vector means unit weights. Errors name the row.
    void fill(const Eigen::Ref<const Vector>& m, const Eigen::Ref<const Vector>& w = Vector()) {
        detail::require(w.size() == 0 || w.size() == m.size(),
                        "Histogram::fill: " + std::to_string(w.size()) + " weights for " +
                            std::to_string(m.size()) + " values");
        for (Index i = 0; i < m.size(); ++i) {
            const double wi = w.size() ? w[i] : 1.0;
            if (!std::isfinite(m[i]))
                throw input_error("Histogram::fill: m at row " + std::to_string(i) + " is " +
                                  std::to_string(m[i]) + " (must be finite)");
            if (!(std::isfinite(wi) && wi >= 0.0))
                throw input_error("Histogram::fill: weight at row " + std::to_string(i) + " is " +
                                  std::to_string(wi) + " (must be finite and >= 0)");
            fill(m[i], wi);
        }
    }

    /// Replaces the contents (used by pseudo-experiments; sumw2 = counts, i.e. unweighted).
    void set_counts(const Eigen::Ref<const Vector>& counts) {
        detail::require(counts.size() == bins(), "Histogram::set_counts: wrong number of bins");
        counts_ = counts;
        sumw2_ = counts;
    }

    /// Whether every bin is filled with unit weights (sumw2 == counts).
    bool unweighted() const { return (sumw2_ - counts_).cwiseAbs().maxCoeff() <= 1e-9 * (1.0 + counts_.maxCoeff()); }

private:
    std::vector<double> edges_;
    Vector counts_;
    Vector sumw2_;
    double underflow_ = 0.0;
    double overflow_ = 0.0;
};

/// A histogram of m over the edges, filled with the given weights (empty = unit weights).
inline Histogram make_histogram(std::vector<double> edges, const Eigen::Ref<const Vector>& m,
                                const Eigen::Ref<const Vector>& w = Vector()) {
    Histogram h(std::move(edges));
    h.fill(m, w);
    return h;
}

}  // namespace resanom
