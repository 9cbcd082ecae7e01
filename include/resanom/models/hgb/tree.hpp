// resanom/models/hgb/tree.hpp — one regression tree of the boosted ensemble, flattened into a
// contiguous node array for fast prediction.
//
// Node 0 is the root; an inner node's children are stored next to each other (left, left + 1), so
// a node needs one child index. Every inner node keeps both its bin threshold (used during
// training, on binned validation events) and the raw threshold it stands for (used by predict on
// raw features): bin ≤ bin_threshold ⇔ x ≤ threshold, by construction of the BinMapper. Missing
// values (NaN / the missing bin) go to the side recorded in missing_left.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdint>
#include <vector>

#include "resanom/core/types.hpp"
#include "resanom/models/hgb/binning.hpp"

namespace resanom::hgb {

struct Node {
    double threshold = 0.0;      ///< inner: go left when x ≤ threshold
    double value = 0.0;          ///< leaf: raw-score contribution (learning rate applied)
    std::int32_t feature = -1;   ///< −1 for a leaf
    std::int32_t left = -1;      ///< inner: index of the left child; the right one is left + 1
    std::uint8_t bin_threshold = 0;
    std::uint8_t missing_left = 0;
    std::uint8_t pad_[6] = {};

    bool is_leaf() const noexcept { return feature < 0; }
};
static_assert(sizeof(Node) == 32);

struct Tree {
    std::vector<Node> nodes;

    /// Leaf value reached by the raw feature vector x (x(j) for feature j).
    template <class Row>
    double predict_raw(const Row& x) const noexcept {
        const Node* n = nodes.data();
        std::int32_t k = 0;
        while (!n[k].is_leaf()) {
            const double v = x(n[k].feature);
            const bool left = std::isnan(v) ? n[k].missing_left != 0 : v <= n[k].threshold;
            k = n[k].left + (left ? 0 : 1);
        }
        return n[k].value;
    }

    /// Leaf value reached by a binned event (row of a BinnedMatrix).
    double predict_binned(const std::uint8_t* row) const noexcept {
        const Node* n = nodes.data();
        std::int32_t k = 0;
        while (!n[k].is_leaf()) {
            const std::uint8_t b = row[n[k].feature];
            const bool left = b == missing_bin ? n[k].missing_left != 0 : b <= n[k].bin_threshold;
            k = n[k].left + (left ? 0 : 1);
        }
        return n[k].value;
    }

    /// Length of the longest root-to-leaf path.
    int depth() const {
        std::vector<int> d(nodes.size(), 0);
        int m = 0;
        for (std::size_t k = 0; k < nodes.size(); ++k) {
            m = std::max(m, d[k]);
            if (!nodes[k].is_leaf())
                d[static_cast<std::size_t>(nodes[k].left)] = d[static_cast<std::size_t>(nodes[k].left) + 1] = d[k] + 1;
        }
        return m;
    }

    Index n_leaves() const noexcept {
        Index c = 0;
        for (const auto& n : nodes) c += n.is_leaf();
        return c;
    }
};

/// All trees of a model in one array laid out for branch-free batch prediction: a leaf points to
/// itself (threshold +inf, missing goes "left" = itself), so every event takes exactly depth()
/// steps through a tree and several events advance in lockstep, their independent load chains
/// overlapping. Built from the trees after fitting or loading; not serialized.
class FlatForest {
public:
    struct Step {
        double threshold;
        std::int32_t feature;
        std::int32_t left;  ///< absolute index into the forest's arrays
        std::int32_t missing_left;
        std::int32_t pad_ = 0;
    };

    FlatForest() = default;
    explicit FlatForest(const std::vector<Tree>& trees) {
        for (const Tree& t : trees) {
            const auto base = static_cast<std::int32_t>(steps_.size());
            roots_.push_back(base);
            depths_.push_back(t.depth());
            for (std::size_t k = 0; k < t.nodes.size(); ++k) {
                const Node& n = t.nodes[k];
                const auto self = base + static_cast<std::int32_t>(k);
                if (n.is_leaf())
                    steps_.push_back({std::numeric_limits<double>::infinity(), 0, self, 1});
                else
                    steps_.push_back({n.threshold, n.feature, base + n.left, n.missing_left});
                values_.push_back(n.is_leaf() ? n.value : 0.0);
            }
        }
    }

    /// out[i] += Σ_trees leaf value, for rows [begin, end) of X (column-major, raw features).
    template <class Mat>
    void accumulate(const Mat& X, Index begin, Index end, double* out) const {
        constexpr Index lanes = 8;
        const Step* st = steps_.data();
        const double* val = values_.data();
        for (std::size_t t = 0; t < roots_.size(); ++t) {
            const std::int32_t root = roots_[t];
            const int depth = depths_[t];
            Index i = begin;
            for (; i + lanes <= end; i += lanes) {
                std::int32_t k[lanes];
                for (Index l = 0; l < lanes; ++l) k[l] = root;
                for (int s = 0; s < depth; ++s)
                    for (Index l = 0; l < lanes; ++l) {
                        const Step& n = st[k[l]];
                        const double x = X(i + l, n.feature);
                        const bool left = (x <= n.threshold) | ((x != x) & (n.missing_left != 0));
                        k[l] = n.left + static_cast<std::int32_t>(!left);
                    }
                for (Index l = 0; l < lanes; ++l) out[i + l] += val[k[l]];
            }
            for (; i < end; ++i) {
                std::int32_t k = root;
                for (int s = 0; s < depth; ++s) {
                    const Step& n = st[k];
                    const double x = X(i, n.feature);
                    const bool left = (x <= n.threshold) | ((x != x) & (n.missing_left != 0));
                    k = n.left + static_cast<std::int32_t>(!left);
                }
                out[i] += val[k];
            }
        }
    }

private:
    std::vector<Step> steps_;
    std::vector<double> values_;
    std::vector<std::int32_t> roots_;
    std::vector<int> depths_;
};

}  // namespace resanom::hgb
