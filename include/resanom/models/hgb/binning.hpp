// resanom/models/hgb/binning.hpp — quantile binning of features for the histogram gradient-boosted
// trees: BinMapper learns per-feature bin thresholds, BinnedMatrix holds the binned events.
//
// At most max_bins ≤ 255 bins per feature plus the missing-value bin 255 (NaN); x is in bin b when
// thresholds[b−1] < x ≤ thresholds[b], so a split found on bins predicts on raw values exactly.
// BinnedMatrix is row-major uint8. docs/models/hgb.md ("The algorithm", step 1; "Kernels") explains
// the thresholds and the layout.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/parallel.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/types.hpp"

namespace resanom::hgb {

/// The bin of a missing (NaN) value, whatever max_bins is.
inline constexpr std::uint8_t missing_bin = 255;
/// Histograms have one slot per possible bin value.
inline constexpr int hist_bins = 256;

/// Events binned row-major: bins[i·d + j] is the bin of feature j of event i.
struct BinnedMatrix {
    std::vector<std::uint8_t> bins;
    Index rows = 0;
    Index cols = 0;
    const std::uint8_t* row(Index i) const noexcept { return bins.data() + i * cols; }
    std::uint8_t operator()(Index i, Index j) const noexcept { return bins[static_cast<std::size_t>(i * cols + j)]; }
};

/// Per-feature bin thresholds.
class BinMapper {
public:
    BinMapper() = default;

    /// Learns thresholds from X (NaN = missing; ±inf are ordinary extreme values).
    /// max_bins in [2, 255]; at most `subsample` rows (chosen with `seed`) are used.
    void fit(const Eigen::Ref<const Matrix>& X, int max_bins, Index subsample, std::uint64_t seed,
             ThreadPool* pool = nullptr) {
        detail::require(max_bins >= 2 && max_bins <= 255,
                        "BinMapper: max_bins must lie in [2, 255], got " + std::to_string(max_bins));
        const Index n = X.rows(), d = X.cols();
        IndexList rows;
        if (n > subsample) {
            Rng rng(seed);
            auto perm = permutation(static_cast<std::size_t>(n), rng);
            rows.assign(perm.begin(), perm.begin() + subsample);
            std::sort(rows.begin(), rows.end());
        }
        thresholds_.assign(static_cast<std::size_t>(d), {});
        auto one = [&](Index j) {
            std::vector<double> v;
            v.reserve(static_cast<std::size_t>(rows.empty() ? n : static_cast<Index>(rows.size())));
            if (rows.empty()) {
                for (Index i = 0; i < n; ++i)
                    if (std::isfinite(X(i, j))) v.push_back(X(i, j));
            } else {
                for (Index i : rows)
                    if (std::isfinite(X(i, j))) v.push_back(X(i, j));
            }
            thresholds_[static_cast<std::size_t>(j)] = feature_thresholds(std::move(v), max_bins);
        };
        if (pool) pool->parallel_for(d, one);
        else for (Index j = 0; j < d; ++j) one(j);
    }

    Index n_features() const noexcept { return static_cast<Index>(thresholds_.size()); }
    /// Number of non-missing bins of feature j (thresholds + 1).
    int n_bins(Index j) const noexcept { return static_cast<int>(thresholds_[static_cast<std::size_t>(j)].size()) + 1; }
    /// Upper edge of bin b of feature j (b < n_bins(j) − 1); the last bin is unbounded above.
    const std::vector<double>& thresholds(Index j) const noexcept { return thresholds_[static_cast<std::size_t>(j)]; }

    std::uint8_t bin(Index j, double x) const noexcept {
        if (std::isnan(x)) return missing_bin;
        const auto& t = thresholds_[static_cast<std::size_t>(j)];
        return static_cast<std::uint8_t>(std::lower_bound(t.begin(), t.end(), x) - t.begin());
    }

    /// Bins every event of X (same features as fit) into a row-major matrix.
    BinnedMatrix transform(const Eigen::Ref<const Matrix>& X, ThreadPool* pool = nullptr) const {
        detail::require(X.cols() == n_features(), "BinMapper: " + std::to_string(X.cols()) +
                                                      " features, but the mapper was fitted on " +
                                                      std::to_string(n_features()));
        BinnedMatrix B;
        B.rows = X.rows();
        B.cols = X.cols();
        B.bins.resize(static_cast<std::size_t>(B.rows * B.cols));
        const Index d = B.cols;
        auto chunk = [&](Index, Index begin, Index end) {
            for (Index j = 0; j < d; ++j) {
                const auto& t = thresholds_[static_cast<std::size_t>(j)];
                const double* tb = t.data();
                const auto nt = static_cast<std::ptrdiff_t>(t.size());
                for (Index i = begin; i < end; ++i) {
                    const double x = X(i, j);
                    std::uint8_t b;
                    if (std::isnan(x)) {
                        b = missing_bin;
                    } else if (nt == 0) {
                        b = 0;
                    } else {
                        // branch-free lower bound over ≤ 254 sorted thresholds (conditional moves)
                        const double* base = tb;
                        std::ptrdiff_t len = nt;
                        while (len > 1) {
                            const std::ptrdiff_t half = len / 2;
                            base = base[half] < x ? base + half : base;
                            len -= half;
                        }
                        b = static_cast<std::uint8_t>((base - tb) + (*base < x ? 1 : 0));
                    }
                    B.bins[static_cast<std::size_t>(i * d + j)] = b;
                }
            }
        };
        const Index n = B.rows;
        const Index k = std::max<Index>(1, std::min<Index>(64, n / 16384));
        if (pool) pool->parallel_chunks(n, k, chunk);
        else chunk(0, 0, n);
        return B;
    }

private:
    // LSD radix sort of finite doubles (11-bit digits over order-preserving integer keys): several
    // times faster than std::sort for the 10^5-element samples binning sorts.
    static void radix_sort(std::vector<double>& v) {
        const std::size_t n = v.size();
        if (n < 4096) {
            std::sort(v.begin(), v.end());
            return;
        }
        std::vector<std::uint64_t> a(n), b(n);
        for (std::size_t i = 0; i < n; ++i) {
            std::uint64_t u;
            std::memcpy(&u, &v[i], sizeof u);
            a[i] = (u >> 63) ? ~u : (u | (std::uint64_t{1} << 63));
        }
        std::vector<std::size_t> count(2048);
        for (int shift = 0; shift < 64; shift += 11) {
            std::fill(count.begin(), count.end(), 0);
            for (std::uint64_t k : a) ++count[(k >> shift) & 2047];
            if (count[(a[0] >> shift) & 2047] == n) continue;  // this digit is the same everywhere
            std::size_t sum = 0;
            for (auto& c : count) {
                const std::size_t x = c;
                c = sum;
                sum += x;
            }
            for (std::uint64_t k : a) b[count[(k >> shift) & 2047]++] = k;
            a.swap(b);
        }
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t k = a[i];
            const std::uint64_t u = (k >> 63) ? (k & ~(std::uint64_t{1} << 63)) : ~k;
            std::memcpy(&v[i], &u, sizeof u);
        }
    }

    static std::vector<double> feature_thresholds(std::vector<double> v, int max_bins) {
        radix_sort(v);
        std::vector<double> distinct;
        for (double x : v)
            if (distinct.empty() || x != distinct.back()) distinct.push_back(x);
        std::vector<double> t;
        if (distinct.size() <= static_cast<std::size_t>(max_bins)) {
            for (std::size_t k = 1; k < distinct.size(); ++k) {
                const double mid = distinct[k - 1] + 0.5 * (distinct[k] - distinct[k - 1]);
                // midpoint of finite neighbours is finite; guard against it rounding up to distinct[k]
                t.push_back(mid < distinct[k] ? mid : distinct[k - 1]);
            }
            return t;
        }
        // Quantiles: threshold k is the value at quantile k/max_bins, taken as the midpoint of the
        // two order statistics around it; duplicates (heavy ties) are dropped.
        const auto n = static_cast<double>(v.size());
        for (int k = 1; k < max_bins; ++k) {
            const double pos = n * k / max_bins;
            auto i = static_cast<std::size_t>(pos);
            if (i >= v.size()) i = v.size() - 1;
            const double lo = i == 0 ? v[0] : v[i - 1];
            double thr = lo + 0.5 * (v[i] - lo);
            if (!(thr < v.back())) continue;  // a threshold at the maximum would leave an empty bin
            if (t.empty() || thr > t.back()) t.push_back(thr);
        }
        return t;
    }

    std::vector<std::vector<double>> thresholds_;
};

}  // namespace resanom::hgb
