// resanom/models/hgb/grower.hpp — grows one tree of the boosted ensemble from gradients and
// hessians: node histograms, split finding and best-first (leaf-wise) growth.
//
// TreeGrower (histogram subtraction for siblings; one workspace reused for every tree of a fit),
// accumulate_histogram, best_split_of_feature (second-order gain, a learned direction for missing
// values). Reproducibility: every histogram bin sums its events in row order (threads share out the
// features) and partitions are stable, so the tree is bit-identical whatever the number of threads.
// docs/models/hgb.md ("The algorithm", step 3) gives the gain, the split rules and tie-breaking.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

#include "resanom/core/parallel.hpp"
#include "resanom/core/types.hpp"
#include "resanom/models/hgb/binning.hpp"
#include "resanom/models/hgb/tree.hpp"

namespace resanom::hgb {

/// A gradient/hessian pair, packed so a histogram update reads one 16-byte value.
struct GradHess {
    double g = 0.0;
    double h = 0.0;
};

/// One histogram slot: sums of gradients and hessians and the event count of one bin. The count
/// is a double (exact below 2^53 events) and the slot is padded to 32 bytes, so that an event adds
/// {g, h, 1, 0} to it in one vector operation.
struct alignas(32) HistBin {
    double g = 0.0;
    double h = 0.0;
    double n = 0.0;
    double unused_ = 0.0;
};
static_assert(sizeof(HistBin) == 32, "HistBin: four doubles, updated as one vector");

/// Tree-shape hyperparameters the grower needs (a subset of HgbParams).
struct GrowerParams {
    int max_leaf_nodes = 31;
    int max_depth = 0;  ///< 0: unlimited
    Index min_samples_leaf = 20;
    double l2_regularization = 0.0;
    double min_gain_to_split = 0.0;
    double min_hessian_to_split = 1e-3;
    double learning_rate = 0.1;
};

/// The best split of a node.
struct SplitInfo {
    double gain = -std::numeric_limits<double>::infinity();
    std::int32_t feature = -1;
    std::uint8_t bin = 0;
    bool missing_left = false;
    double g_left = 0, h_left = 0, g_right = 0, h_right = 0;
    Index n_left = 0, n_right = 0;
    bool valid() const noexcept { return feature >= 0; }
};

namespace detail {
#if defined(__GNUC__)
// Four doubles as one value (GCC and Clang vector extension: one AVX add, or two SSE2 adds).
typedef double hist_lanes __attribute__((vector_size(32)));
[[gnu::always_inline]] inline void add_to_bin(HistBin& e, const hist_lanes& v) noexcept {
    hist_lanes x;
    void* const slot = &e;
    __builtin_memcpy(&x, slot, sizeof x);
    x += v;
    __builtin_memcpy(slot, &x, sizeof x);
}
#endif

// Features [j0, j0 + W) of the events rows[0..count), W = G when G > 0 (the inner loop unrolls),
// else w; d is the row stride of bins. rows == nullptr means the identity (the root node: rows
// 0..count−1, read sequentially). Each bin adds its events in the order of the row list.
template <int G>
void accumulate_histogram_g(HistBin* __restrict hist, const std::uint8_t* __restrict bins, Index d, Index j0,
                            Index w, const GradHess* __restrict gh, const Index* rows, Index count) {
    const Index ww = G > 0 ? G : w;
    hist += j0 * hist_bins;
    bins += j0;
    for (Index i = 0; i < count; ++i) {
        const Index r = rows ? rows[i] : i;
        const std::uint8_t* br = bins + r * d;
#if defined(__GNUC__)
        const hist_lanes v = {gh[r].g, gh[r].h, 1.0, 0.0};
        for (Index j = 0; j < ww; ++j) add_to_bin(hist[j * hist_bins + br[j]], v);
#else
        const GradHess v = gh[r];
        for (Index j = 0; j < ww; ++j) {
            HistBin& e = hist[j * hist_bins + br[j]];
            e.g += v.g;
            e.h += v.h;
            e.n += 1.0;
        }
#endif
    }
}
}  // namespace detail

/// Adds the gradients/hessians of the events rows[0..count) into the histograms of features
/// [j0, j1) (slots j·256 … of hist, zeroed by the caller); bins is row-major n×d. When rows is null
/// the events are 0..count−1, read in order (the root node, or a contiguous range after offsetting
/// bins and gh). Every bin sums its events in row order, so splitting the features among threads
/// changes nothing in the result.
inline void accumulate_histogram(HistBin* hist, const std::uint8_t* bins, Index d, const GradHess* gh,
                                 const Index* rows, Index count, Index j0, Index j1) {
    const Index w = j1 - j0;
    switch (w) {
        case 1: return detail::accumulate_histogram_g<1>(hist, bins, d, j0, 1, gh, rows, count);
        case 2: return detail::accumulate_histogram_g<2>(hist, bins, d, j0, 2, gh, rows, count);
        case 3: return detail::accumulate_histogram_g<3>(hist, bins, d, j0, 3, gh, rows, count);
        case 4: return detail::accumulate_histogram_g<4>(hist, bins, d, j0, 4, gh, rows, count);
        case 5: return detail::accumulate_histogram_g<5>(hist, bins, d, j0, 5, gh, rows, count);
        case 6: return detail::accumulate_histogram_g<6>(hist, bins, d, j0, 6, gh, rows, count);
        case 7: return detail::accumulate_histogram_g<7>(hist, bins, d, j0, 7, gh, rows, count);
        case 8: return detail::accumulate_histogram_g<8>(hist, bins, d, j0, 8, gh, rows, count);
        default: return detail::accumulate_histogram_g<0>(hist, bins, d, j0, w, gh, rows, count);
    }
}

/// All d features.
inline void accumulate_histogram(HistBin* hist, const std::uint8_t* bins, Index d, const GradHess* gh,
                                 const Index* rows, Index count) {
    accumulate_histogram(hist, bins, d, gh, rows, count, 0, d);
}

/// The same over a BinnedMatrix.
inline void accumulate_histogram(HistBin* hist, const BinnedMatrix& B, const GradHess* gh, const Index* rows,
                                 Index count) {
    accumulate_histogram(hist, B.bins.data(), B.cols, gh, rows, count);
}

/// Best split of one feature's histogram (nb non-missing bins) of a node with sums (G, H, N).
inline void best_split_of_feature(const HistBin* h, int nb, std::int32_t feature, double G, double H,
                                  Index N, const GrowerParams& p, SplitInfo& best) {
    const HistBin& miss = h[missing_bin];
    const double lambda = p.l2_regularization;
    const double parent = G * G / (H + lambda);
    const auto ms = p.min_samples_leaf;
    // Scan twice when there are missing values: missing to the right (left sums exclude them),
    // then missing to the left (left sums start with them). The first pass then also tries
    // b = nb − 1: every non-missing value left, the missing ones alone on the right (threshold
    // +inf), a split no threshold between two values gives.
    const int passes = miss.n > 0 ? 2 : 1;
    for (int pass = 0; pass < passes; ++pass) {
        const bool mleft = pass == 1;
        double gl = mleft ? miss.g : 0.0, hl = mleft ? miss.h : 0.0;
        Index nl = mleft ? static_cast<Index>(miss.n) : 0;
        const int last = passes == 2 && !mleft ? nb : nb - 1;
        for (int b = 0; b < last; ++b) {
            gl += h[b].g;
            hl += h[b].h;
            nl += static_cast<Index>(h[b].n);
            if (nl < ms) continue;
            const Index nr = N - nl;
            if (nr < ms) break;
            const double gr = G - gl, hr = H - hl;
            if (hl < p.min_hessian_to_split || hr < p.min_hessian_to_split) continue;
            const double gain = gl * gl / (hl + lambda) + gr * gr / (hr + lambda) - parent;
            if (gain > best.gain && gain > p.min_gain_to_split) {
                best.gain = gain;
                best.feature = feature;
                best.bin = static_cast<std::uint8_t>(b);
                best.missing_left = mleft;
                best.g_left = gl;
                best.h_left = hl;
                best.n_left = nl;
                best.g_right = gr;
                best.h_right = hr;
                best.n_right = nr;
            }
        }
    }
    // Without missing values in this node, unseen missing values follow the larger child.
    if (passes == 1 && best.feature == feature) best.missing_left = best.n_left >= best.n_right;
}

class TreeGrower {
public:
    TreeGrower(const BinnedMatrix& B, const BinMapper& mapper, const GrowerParams& p, ThreadPool* pool)
        : B_(B), mapper_(mapper), p_(p), pool_(pool) {
        const Index d = B.cols;
        slot_size_ = static_cast<std::size_t>(d * hist_bins);
        slots_.resize(static_cast<std::size_t>(p.max_leaf_nodes + 1) * slot_size_);
        rows_.resize(static_cast<std::size_t>(B.rows));
        scratch_.resize(static_cast<std::size_t>(B.rows));
        scratch_right_.resize(static_cast<std::size_t>(B.rows));
        n_bins_.resize(static_cast<std::size_t>(d));
        // A column-major copy of the bins for partitioning (histograms read the row-major one).
        by_feature_.resize(B.bins.size());
        for (Index i = 0; i < B.rows; ++i)
            for (Index j = 0; j < d; ++j)
                by_feature_[static_cast<std::size_t>(j * B.rows + i)] = B.bins[static_cast<std::size_t>(i * d + j)];
        for (Index j = 0; j < d; ++j) n_bins_[static_cast<std::size_t>(j)] = mapper.n_bins(j);
    }

    /// Grows one tree on gradients/hessians gh (one per row of B).
    Tree grow(const std::vector<GradHess>& gh) {
        gh_ = gh.data();
        std::iota(rows_.begin(), rows_.end(), Index{0});
        free_slots_.clear();
        for (int s = p_.max_leaf_nodes; s >= 0; --s) free_slots_.push_back(s);
        leaves_.clear();
        Tree tree;
        tree.nodes.reserve(static_cast<std::size_t>(2 * p_.max_leaf_nodes));
        tree.nodes.emplace_back();

        Leaf root;
        root.node = 0;
        root.begin = 0;
        root.end = B_.rows;
        root.depth = 0;
        root.slot = take_slot();
        build_histogram(root);
        // Node sums from feature 0's histogram (every event falls in exactly one bin of it).
        const HistBin* h0 = slot(root.slot);
        for (int b = 0; b < hist_bins; ++b) {
            root.G += h0[b].g;
            root.H += h0[b].h;
        }
        find_split(root);
        leaves_.push_back(root);

        int n_leaves = 1;
        while (n_leaves < p_.max_leaf_nodes) {
            // The splittable leaf of largest gain (first in creation order on ties).
            int best = -1;
            for (int i = 0; i < static_cast<int>(leaves_.size()); ++i)
                if (leaves_[i].split.valid() && (best < 0 || leaves_[i].split.gain > leaves_[best].split.gain))
                    best = i;
            if (best < 0) break;
            split_leaf(tree, best, ++n_leaves == p_.max_leaf_nodes);
        }
        for (const Leaf& l : leaves_) {
            const double denom = l.H + p_.l2_regularization;
            tree.nodes[static_cast<std::size_t>(l.node)].value = denom > 0.0 ? -p_.learning_rate * l.G / denom : 0.0;
        }
        return tree;
    }

    /// Adds each leaf's value to raw[row] for the rows of the last grown tree.
    void add_leaf_values(const Tree& tree, Vector& raw) const {
        auto one = [&](Index i) {
            const Leaf& l = leaves_[static_cast<std::size_t>(i)];
            const double v = tree.nodes[static_cast<std::size_t>(l.node)].value;
            for (Index k = l.begin; k < l.end; ++k) raw[rows_[static_cast<std::size_t>(k)]] += v;
        };
        // One thread: the leaves' rows interleave in raw, so threads writing different leaves
        // would share cache lines.
        for (Index i = 0; i < static_cast<Index>(leaves_.size()); ++i) one(i);
    }

    static constexpr Index max_chunks = 8;
    static constexpr Index rows_per_chunk = 8192;  ///< partitions: rows per parallel chunk at least
    static constexpr Index parallel_rows = 4096;   ///< histograms: nodes with fewer rows stay on one thread

private:
    struct Leaf {
        std::int32_t node = 0;
        Index begin = 0, end = 0;
        int depth = 0;
        int slot = -1;  ///< histogram slot, −1 when it has none
        double G = 0, H = 0;
        SplitInfo split;
        Index count() const noexcept { return end - begin; }
    };

    HistBin* slot(int s) noexcept { return slots_.data() + static_cast<std::size_t>(s) * slot_size_; }
    int take_slot() {
        const int s = free_slots_.back();
        free_slots_.pop_back();
        return s;
    }
    void release_slot(Leaf& l) {
        if (l.slot >= 0) free_slots_.push_back(l.slot);
        l.slot = -1;
    }

    // fn(c, begin, end) over k fixed chunks of [0, n): on the pool when there is one and k > 1.
    template <class F>
    void chunks(Index n, Index k, F&& fn) {
        if (k > 1 && pool_) pool_->parallel_chunks(n, k, fn);
        else
            for (Index c = 0; c < k; ++c) fn(c, n * c / k, n * (c + 1) / k);
    }

    // The node's histogram; on the pool the features are shared out in contiguous groups, one
    // per thread (every bin still sums its events in row order: the same result on any pool).
    void build_histogram(const Leaf& l) {
        HistBin* hist = slot(l.slot);
        const Index count = l.count(), d = B_.cols;
        // The root's rows are 0..n−1 in order: read them without the index list.
        const Index* rows = count == B_.rows ? nullptr : rows_.data() + l.begin;
        const Index groups = pool_ && count >= parallel_rows ? std::min<Index>(pool_->size(), d) : 1;
        auto group = [&](Index g) {
            const Index j0 = d * g / groups, j1 = d * (g + 1) / groups;
            std::fill(hist + j0 * hist_bins, hist + j1 * hist_bins, HistBin{});
            accumulate_histogram(hist, B_.bins.data(), d, gh_, rows, count, j0, j1);
        };
        if (groups > 1) pool_->parallel_for(groups, group);
        else group(0);
    }

    // Stable partition of the node's rows by the split: left rows first, each side in its original
    // (increasing) order, which keeps later gathers local. Branch-free (both sides are written,
    // one counter advances); large nodes in fixed chunks, in parallel. Returns the left count.
    Index partition(const Leaf& node, const SplitInfo& s) {
        Index* rows = rows_.data() + node.begin;
        const Index count = node.count();
        // the split feature's bins, contiguous: the gathers stay within n bytes (L2) instead of n·d
        const std::uint8_t* bins = by_feature_.data() + static_cast<std::size_t>(s.feature) * static_cast<std::size_t>(B_.rows);
        const Index k = std::clamp<Index>(count / rows_per_chunk, 1, max_chunks);
        Index n_left[max_chunks] = {};
        auto split_chunk = [&](Index c, Index b, Index e) {
            Index* L = scratch_.data() + b;
            Index* R = scratch_right_.data() + b;
            Index nl = 0, nr = 0;
            for (Index i = b; i < e; ++i) {
                const Index r = rows[i];
                const std::uint8_t bin = bins[r];
                const bool left = bin == missing_bin ? s.missing_left : bin <= s.bin;
                L[nl] = r;
                R[nr] = r;
                nl += left;
                nr += !left;
            }
            n_left[c] = nl;
        };
        chunks(count, k, split_chunk);
        Index left_off[max_chunks], right_off[max_chunks];
        Index total_left = 0;
        for (Index c = 0; c < k; ++c) {
            left_off[c] = total_left;
            total_left += n_left[c];
        }
        Index r_off = total_left;
        for (Index c = 0; c < k; ++c) {
            right_off[c] = r_off;
            r_off += (count * (c + 1) / k - count * c / k) - n_left[c];
        }
        auto copy_chunk = [&](Index c, Index b, Index e) {
            std::copy(scratch_.begin() + b, scratch_.begin() + b + n_left[c], rows + left_off[c]);
            std::copy(scratch_right_.begin() + b, scratch_right_.begin() + e - n_left[c], rows + right_off[c]);
        };
        chunks(count, k, copy_chunk);
        return total_left;
    }

    bool may_split(const Leaf& l) const noexcept {
        if (p_.max_depth > 0 && l.depth >= p_.max_depth) return false;
        return l.count() >= 2 * std::max<Index>(1, p_.min_samples_leaf);
    }

    void find_split(Leaf& l) {
        l.split = SplitInfo{};
        if (!may_split(l)) return;
        const HistBin* h = slot(l.slot);
        for (Index j = 0; j < B_.cols; ++j)
            best_split_of_feature(h + j * hist_bins, n_bins_[static_cast<std::size_t>(j)],
                                  static_cast<std::int32_t>(j), l.G, l.H, l.count(), p_, l.split);
    }

    void split_leaf(Tree& tree, int leaf_index, bool last_split) {
        Leaf parent = leaves_[static_cast<std::size_t>(leaf_index)];
        const SplitInfo s = parent.split;
        const Index nl = partition(parent, s);
        Node& pn = tree.nodes[static_cast<std::size_t>(parent.node)];
        pn.feature = s.feature;
        pn.bin_threshold = s.bin;
        const auto& thr = mapper_.thresholds(s.feature);
        // bin nb − 1 (the last non-missing bin) only splits off the missing values: x ≤ +inf
        pn.threshold = static_cast<std::size_t>(s.bin) < thr.size() ? thr[s.bin]
                                                                    : std::numeric_limits<double>::infinity();
        pn.missing_left = s.missing_left ? 1 : 0;
        pn.left = static_cast<std::int32_t>(tree.nodes.size());
        tree.nodes.emplace_back();
        tree.nodes.emplace_back();

        Leaf L, R;
        L.node = pn.left;
        R.node = pn.left + 1;
        L.begin = parent.begin;
        L.end = R.begin = parent.begin + nl;
        R.end = parent.end;
        L.depth = R.depth = parent.depth + 1;
        L.G = s.g_left;
        L.H = s.h_left;
        R.G = s.g_right;
        R.H = s.h_right;

        const bool l_ok = !last_split && may_split(L), r_ok = !last_split && may_split(R);
        if (l_ok || r_ok) {
            // Build the smaller child's histogram; the larger one's is the parent's minus it,
            // computed in place in the parent's slot.
            Leaf& small = L.count() <= R.count() ? L : R;
            Leaf& large = L.count() <= R.count() ? R : L;
            const bool large_ok = &large == &L ? l_ok : r_ok;
            small.slot = take_slot();
            build_histogram(small);
            if (large_ok) {
                large.slot = parent.slot;
                parent.slot = -1;
                HistBin* hl = slot(large.slot);
                const HistBin* hs = slot(small.slot);
                for (std::size_t i = 0; i < slot_size_; ++i) {
                    hl[i].g -= hs[i].g;
                    hl[i].h -= hs[i].h;
                    hl[i].n -= hs[i].n;
                }
            }
        }
        release_slot(parent);
        // A leaf keeps its histogram while it may still be split (its children subtract from it).
        if (L.slot >= 0) find_split(L);
        if (R.slot >= 0) find_split(R);
        if (!L.split.valid()) release_slot(L);
        if (!R.split.valid()) release_slot(R);
        leaves_[static_cast<std::size_t>(leaf_index)] = L;
        leaves_.push_back(R);
    }

    const BinnedMatrix& B_;
    const BinMapper& mapper_;
    GrowerParams p_;
    ThreadPool* pool_;
    const GradHess* gh_ = nullptr;
    std::size_t slot_size_ = 0;
    std::vector<HistBin> slots_;
    std::vector<int> free_slots_;
    std::vector<Index> rows_, scratch_, scratch_right_;
    std::vector<int> n_bins_;
    std::vector<std::uint8_t> by_feature_;
    std::vector<Leaf> leaves_;
};

}  // namespace resanom::hgb
