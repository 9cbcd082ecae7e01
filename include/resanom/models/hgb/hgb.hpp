// resanom/models/hgb/hgb.hpp — the histogram gradient-boosted trees classifier (Hgb): the
// algorithm of LightGBM and scikit-learn's HistGradientBoostingClassifier, written for resanom.
//
// Hgb models the ValidatingClassifier concept; HgbParams holds its hyperparameters (Das et al. 2024,
// App. A.1). Binary log-loss with soft labels, weights and class factors (event_loss,
// event_grad_hess); trees grown by grower.hpp; early stopping keeps the trees up to the best
// iteration. Results are bit-identical for a given seed whatever the thread count.
// docs/models/hgb.md explains the loss, the algorithm and the hyperparameters.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/parallel.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/training_set.hpp"
#include "resanom/core/types.hpp"
#include "resanom/models/hgb/binning.hpp"
#include "resanom/models/hgb/grower.hpp"
#include "resanom/models/hgb/tree.hpp"
#include "resanom/models/serialization.hpp"

namespace resanom {

enum class ClassWeight : std::uint8_t { none = 0, balanced = 1 };

/// Hyperparameters of Hgb. Das et al. 2024, App. A.1, uses scikit-learn's
/// HistGradientBoostingClassifier with its defaults except max_iter = 200, early stopping with
/// patience 10; "sklearn" = that class's default, which Das et al. 2024 keeps.
struct HgbParams {
    int max_iter = 200;                  ///< boosting iterations at most (Das et al. 2024, App. A.1)
    double learning_rate = 0.1;          ///< shrinkage η (Das et al. 2024, App. A.1)
    int max_leaf_nodes = 31;             ///< leaves per tree, grown best-first (Das et al. 2024, App. A.1)
    int max_bins = 255;                  ///< bins per feature for non-missing values (Das et al. 2024, App. A.1)
    int max_depth = 0;                   ///< 0: unlimited (sklearn: None)
    Index min_samples_leaf = 20;         ///< events per leaf at least (sklearn)
    double l2_regularization = 0.0;      ///< λ (sklearn)
    double min_gain_to_split = 0.0;      ///< a split must gain more than this (sklearn: 0)
    double min_hessian_to_split = 1e-3;  ///< hessian sum of each child at least (sklearn)
    bool early_stopping = true;          ///< (Das et al. 2024, App. A.1)
    int patience = 10;                   ///< iterations without improvement before stopping (Das et al. 2024, App. A.1)
    double tol = 1e-7;                   ///< improvement that counts (sklearn)
    double validation_fraction = 0.2;    ///< split off when no validation set is given (the tool's --val-fraction default)
    ClassWeight class_weight = ClassWeight::balanced;  ///< the tool's default; Das et al. 2024 balances classes
    Index bin_subsample = 200000;        ///< events used to find bin thresholds (sklearn)
    unsigned threads = 0;                ///< 0: all cores

    /// Throws input_error naming the first parameter out of range.
    void validate() const {
        auto req = [](bool ok, const std::string& what) { detail::require(ok, "HgbParams: " + what); };
        req(max_iter >= 1, "max_iter must be >= 1, got " + std::to_string(max_iter));
        req(learning_rate > 0.0 && std::isfinite(learning_rate),
            "learning_rate must be > 0, got " + std::to_string(learning_rate));
        req(max_leaf_nodes >= 2, "max_leaf_nodes must be >= 2, got " + std::to_string(max_leaf_nodes));
        req(max_bins >= 2 && max_bins <= 255, "max_bins must lie in [2, 255], got " + std::to_string(max_bins));
        req(max_depth >= 0, "max_depth must be >= 0 (0 = unlimited), got " + std::to_string(max_depth));
        req(min_samples_leaf >= 1, "min_samples_leaf must be >= 1, got " + std::to_string(min_samples_leaf));
        req(l2_regularization >= 0.0 && std::isfinite(l2_regularization),
            "l2_regularization must be >= 0, got " + std::to_string(l2_regularization));
        req(min_gain_to_split >= 0.0 && std::isfinite(min_gain_to_split), "min_gain_to_split must be >= 0");
        req(min_hessian_to_split >= 0.0 && std::isfinite(min_hessian_to_split),
            "min_hessian_to_split must be >= 0");
        req(patience >= 1, "patience must be >= 1, got " + std::to_string(patience));
        req(tol >= 0.0 && std::isfinite(tol), "tol must be >= 0");
        req(validation_fraction > 0.0 && validation_fraction < 1.0,
            "validation_fraction must lie in (0, 1), got " + std::to_string(validation_fraction));
        req(bin_subsample >= 1, "bin_subsample must be >= 1");
    }
};

namespace hgb {

/// Per-event loss factors: c_i (total loss weight) and t_i (effective target), see hgb.hpp.
struct LossTerms {
    Vector c, t;
    double sum_a = 0.0, sum_b = 0.0;
};

inline LossTerms loss_terms(const TrainingSet& s, const ClassFactors& f) {
    LossTerms L;
    const Index n = s.size();
    L.c.resize(n);
    L.t.resize(n);
    for (Index i = 0; i < n; ++i) {
        const double a = s.w[i] * f.s1 * s.y[i], b = s.w[i] * f.s0 * (1.0 - s.y[i]);
        L.c[i] = a + b;
        L.t[i] = a + b > 0.0 ? a / (a + b) : 0.0;
        L.sum_a += a;
        L.sum_b += b;
    }
    return L;
}

/// log(1 + e^x) without overflow.
inline double softplus(double x) noexcept { return x > 0.0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
inline double sigmoid(double x) noexcept {
    if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
    const double e = std::exp(x);
    return e / (1.0 + e);
}

/// The loss of one event at raw score F: c·[t·softplus(−F) + (1 − t)·softplus(F)].
inline double event_loss(double c, double t, double F) noexcept {
    return c * (t * softplus(-F) + (1.0 - t) * softplus(F));
}
/// Its gradient and hessian in F.
inline GradHess event_grad_hess(double c, double t, double F) noexcept {
    const double p = sigmoid(F);
    return {c * (p - t), c * p * (1.0 - p)};
}

/// event_grad_hess for many events at once, with Eigen's vectorized exp (the elementwise results
/// agree with event_grad_hess to rounding).
inline void grad_hess(const Eigen::Ref<const Vector>& c, const Eigen::Ref<const Vector>& t,
                      const Eigen::Ref<const Vector>& F, GradHess* out) {
    const Index n = F.size();
    constexpr Index block = 1024;
    Eigen::Array<double, block, 1> p;
    for (Index b = 0; b < n; b += block) {
        const Index m = std::min(block, n - b);
        auto pm = p.head(m);
        pm = 1.0 / (1.0 + (-F.segment(b, m).array()).exp());
        for (Index i = 0; i < m; ++i) {
            const double ci = c[b + i], pi = pm[i];
            out[b + i] = {ci * (pi - t[b + i]), ci * pi * (1.0 - pi)};
        }
    }
}

/// Chunks of a parallel elementwise loop over n events (depends on n only: reductions are
/// combined in chunk order, bit-reproducibly).
inline Index event_chunks(Index n) { return std::clamp<Index>(n / 16384, 1, 64); }

}  // namespace hgb

/// What Hgb's optional progress callback hears: after every tree (done = false) and once when
/// fit ends (done = true, iteration = the trees kept).
struct HgbProgress {
    int iteration = 0;
    int max_iter = 0;
    bool done = false;
};

/// Histogram gradient-boosted trees for binary (soft-label, weighted) classification.
class Hgb {
public:
    static constexpr std::string_view kind = "hgb";

    Hgb() = default;
    explicit Hgb(HgbParams params) : params_(params) { params_.validate(); }

    const HgbParams& params() const noexcept { return params_; }
    /// Threads for fit and prediction (0: all cores); results do not depend on it. Not saved in
    /// model files: a loaded model uses all cores unless told otherwise.
    void set_threads(unsigned threads) noexcept { params_.threads = threads; }

    /// Progress reports during fit (library code never prints; the CLI draws a bar). Copies of
    /// the model (ensemble members) share the callback and may call it from several threads.
    void set_progress(std::function<void(const HgbProgress&)> cb) { progress_ = std::move(cb); }

    /// Fits on `train`; with early stopping on, a seeded random validation_fraction of it is held
    /// out for early stopping (and not trained on).
    void fit(const TrainingSet& train, std::uint64_t seed) {
        params_.validate();
        check_set(train, "Hgb::fit: training set");
        if (params_.class_weight == ClassWeight::balanced)
            check_both_classes(train, "Hgb::fit: class_weight balanced needs both classes in the training set");
        if (!params_.early_stopping) {
            fit_impl(train, nullptr, seed);
            return;
        }
        Rng rng(derive_seed(seed, 0));
        const Split split = train_validation_split(train.size(), params_.validation_fraction, rng);
        detail::require(!split.validation.empty() && !split.train.empty(),
                        "Hgb::fit: " + std::to_string(train.size()) +
                            " events are too few to split off a validation fraction of " +
                            std::to_string(params_.validation_fraction) + " for early stopping");
        const TrainingSet tr = train.subset(split.train), va = train.subset(split.validation);
        fit_impl(tr, &va, seed);
    }

    /// Fits on `train` with an explicit validation set (early stopping when enabled; otherwise its
    /// loss is only recorded).
    void fit(const TrainingSet& train, const TrainingSet& val, std::uint64_t seed) {
        params_.validate();
        check_set(train, "Hgb::fit: training set");
        if (params_.class_weight == ClassWeight::balanced)
            check_both_classes(train, "Hgb::fit: class_weight balanced needs both classes in the training set");
        check_set(val, "Hgb::fit: validation set");
        detail::require(val.n_features() == train.n_features(),
                        "Hgb::fit: validation set has " + std::to_string(val.n_features()) +
                            " features, training set " + std::to_string(train.n_features()));
        fit_impl(train, &val, seed);
    }

    /// Raw scores (log-odds) for every row of X.
    Vector decision_function(const Eigen::Ref<const Matrix>& X) const {
        check_predict(X);
        Vector out(X.rows());
        const Index n = X.rows();
        if (n == 0) return out;
        auto chunk = [&](Index, Index begin, Index end) {
            // Rows in blocks, trees outer: a block's features stay in cache across all trees.
            constexpr Index block = 256;
            for (Index b0 = begin; b0 < end; b0 += block) {
                const Index b1 = std::min(end, b0 + block);
                for (Index i = b0; i < b1; ++i) out[i] = baseline_;
                forest_.accumulate(X, b0, b1, out.data());
            }
        };
        shared_pool(params_.threads).parallel_chunks(n, std::clamp<Index>(n / 4096, 1, 64), chunk);
        return out;
    }

    /// Probability of label 1 for every row of X (NaN features follow the missing direction).
    Vector predict(const Eigen::Ref<const Matrix>& X) const {
        Vector raw = decision_function(X);
        for (Index i = 0; i < raw.size(); ++i) raw[i] = hgb::sigmoid(raw[i]);
        return raw;
    }

    bool fitted() const noexcept { return n_features_ > 0; }
    Index n_features() const noexcept { return n_features_; }
    /// Trees kept (the best iteration under early stopping).
    Index n_iterations() const noexcept { return static_cast<Index>(trees_.size()); }
    double baseline() const noexcept { return baseline_; }
    const std::vector<hgb::Tree>& trees() const noexcept { return trees_; }
    /// Validation loss (weighted mean) after 0, 1, 2, … trees; empty without a validation set.
    const std::vector<double>& validation_loss_history() const noexcept { return val_history_; }
    /// Validation loss at the kept iteration; NaN without a validation set.
    double validation_loss() const noexcept {
        return val_history_.empty() ? std::numeric_limits<double>::quiet_NaN()
                                    : val_history_[static_cast<std::size_t>(trees_.size())];
    }

    // --- serialization (models/serialization.hpp) ---------------------------------------------
    void write(ModelWriter& w) const {
        detail::require(fitted(), "Hgb: the model is not trained");
        w.put<std::int64_t>(n_features_);
        w.put<double>(baseline_);
        w.put<std::uint64_t>(trees_.size());
        for (const auto& t : trees_) w.put_vector(t.nodes);
        w.put_vector(val_history_);
        // the hyperparameters, for the record
        w.put<std::int32_t>(params_.max_iter);
        w.put<double>(params_.learning_rate);
        w.put<std::int32_t>(params_.max_leaf_nodes);
        w.put<std::int32_t>(params_.max_bins);
        w.put<std::int32_t>(params_.max_depth);
        w.put<std::int64_t>(params_.min_samples_leaf);
        w.put<double>(params_.l2_regularization);
        w.put<std::uint8_t>(params_.early_stopping ? 1 : 0);
        w.put<std::int32_t>(params_.patience);
        w.put<std::uint8_t>(static_cast<std::uint8_t>(params_.class_weight));
    }

    static Hgb read(ModelReader& r) {
        Hgb m;
        m.n_features_ = r.get<std::int64_t>();
        m.baseline_ = r.get<double>();
        const auto n_trees = r.get<std::uint64_t>();
        // Each tree takes at least its 8-byte node count: more trees than that cannot be there.
        r.check(m.n_features_ >= 1 && m.n_features_ <= max_model_features && std::isfinite(m.baseline_) &&
                    n_trees <= r.remaining() / 8,
                "corrupt hgb model (header)");
        m.trees_.resize(static_cast<std::size_t>(n_trees));
        for (auto& t : m.trees_) {
            t.nodes = r.get_vector<hgb::Node>();
            check_tree(t, m.n_features_, r);
        }
        m.val_history_ = r.get_vector<double>();
        m.params_.max_iter = r.get<std::int32_t>();
        m.params_.learning_rate = r.get<double>();
        m.params_.max_leaf_nodes = r.get<std::int32_t>();
        m.params_.max_bins = r.get<std::int32_t>();
        m.params_.max_depth = r.get<std::int32_t>();
        m.params_.min_samples_leaf = r.get<std::int64_t>();
        m.params_.l2_regularization = r.get<double>();
        m.params_.early_stopping = r.get<std::uint8_t>() != 0;
        m.params_.patience = r.get<std::int32_t>();
        m.params_.class_weight = static_cast<ClassWeight>(r.get<std::uint8_t>());
        try {
            m.params_.validate();
        } catch (const input_error& e) {
            r.fail(std::string("corrupt hgb model (") + e.what() + ")");
        }
        r.check(m.val_history_.empty() || m.val_history_.size() > m.trees_.size(), "corrupt hgb model (history)");
        m.forest_ = hgb::FlatForest(m.trees_);
        return m;
    }

    /// Saves the trained model (format: models/serialization.hpp, kind "hgb").
    void save(const std::string& path, const ModelColumns& columns = {}) const { save_model(*this, path, columns); }

    /// Loads a model saved by save(); io_error naming the file when it is not one.
    static Hgb load(const std::string& path) { return load_model<Hgb>(path); }

private:
    static void check_set(const TrainingSet& s, const std::string& what) {
        detail::require(s.size() > 0, what + " is empty");
        detail::require(s.n_features() > 0, what + " has no features");
        detail::require(s.y.size() == s.size(), what + ": " + std::to_string(s.size()) + " events but " +
                                                    std::to_string(s.y.size()) + " labels");
        detail::require(s.w.size() == s.size(), what + ": " + std::to_string(s.size()) + " events but " +
                                                    std::to_string(s.w.size()) + " weights");
        detail::require_labels(s.y, what);
        detail::require_weights(s.w, what);
        // NaN features are missing values (their own bin); infinities are extreme values.
        detail::require(s.w.sum() > 0.0, what + ": the weights sum to zero");
    }

    static std::string num(double x) {
        std::ostringstream o;
        o << x;
        return o.str();
    }

    static void check_both_classes(const TrainingSet& s, const std::string& what) {
        const auto [w1, w0] = s.class_weights();
        detail::require(w1 > 0.0 && w0 > 0.0, what + ", but the total weight of label 1 is " + num(w1) +
                                                  " and of label 0 is " + num(w0));
    }

    static void check_tree(const hgb::Tree& t, Index d, const ModelReader& r) {
        const auto n = static_cast<std::int64_t>(t.nodes.size());
        r.check(n >= 1, "corrupt hgb model (empty tree)");
        for (std::int64_t k = 0; k < n; ++k) {
            const auto& node = t.nodes[static_cast<std::size_t>(k)];
            if (node.is_leaf()) {
                r.check(std::isfinite(node.value), "corrupt hgb model (leaf value)");
            } else {
                r.check(node.feature < d && node.left > k && node.left + 1 < n && !std::isnan(node.threshold),
                        "corrupt hgb model (node " + std::to_string(k) + ")");
            }
        }
    }

    void check_predict(const Eigen::Ref<const Matrix>& X) const {
        detail::require(fitted(), "Hgb::predict: the model is not trained");
        detail::require(X.cols() == n_features_, "Hgb::predict: " + std::to_string(X.cols()) +
                                                     " features, but the model was trained on " +
                                                     std::to_string(n_features_));
    }

    void fit_impl(const TrainingSet& train, const TrainingSet* val, std::uint64_t seed) {
        ThreadPool& pool = shared_pool(params_.threads);
        ClassFactors f;
        if (params_.class_weight == ClassWeight::balanced) {
            check_both_classes(train, "Hgb::fit: class_weight balanced needs both classes in the training split");
            f = class_balance_factors(train);
        }
        const hgb::LossTerms L = hgb::loss_terms(train, f);
        detail::require(L.sum_a + L.sum_b > 0.0, "Hgb::fit: the training set carries no loss weight");
        // log(Σa/Σb), clamped so that one-class data (allowed without class weighting) stays finite.
        constexpr double max_logit = 30.0;
        baseline_ = L.sum_b <= 0.0   ? max_logit
                    : L.sum_a <= 0.0 ? -max_logit
                                     : std::clamp(std::log(L.sum_a / L.sum_b), -max_logit, max_logit);

        hgb::BinMapper mapper;
        mapper.fit(train.X, params_.max_bins, params_.bin_subsample, derive_seed(seed, 1), &pool);
        const hgb::BinnedMatrix B = mapper.transform(train.X, &pool);
        const hgb::GrowerParams gp{params_.max_leaf_nodes,    params_.max_depth,         params_.min_samples_leaf,
                                   params_.l2_regularization, params_.min_gain_to_split, params_.min_hessian_to_split,
                                   params_.learning_rate};  // GrowerParams' fields, in their order
        hgb::TreeGrower grower(B, mapper, gp, &pool);

        const Index n = train.size();
        Vector raw = Vector::Constant(n, baseline_);
        std::vector<hgb::GradHess> gh(static_cast<std::size_t>(n));

        // Validation: binned once with the training mapper, raw scores updated tree by tree.
        hgb::BinnedMatrix Bv;
        hgb::LossTerms Lv;
        Vector raw_val;
        double val_norm = 0.0;
        if (val) {
            Bv = mapper.transform(val->X, &pool);
            Lv = hgb::loss_terms(*val, f);
            val_norm = Lv.c.sum();
            detail::require(val_norm > 0.0, "Hgb::fit: the validation set carries no loss weight");
            raw_val = Vector::Constant(val->size(), baseline_);
        }
        auto val_loss = [&]() {
            const Index nv = raw_val.size(), k = hgb::event_chunks(nv);
            std::vector<double> part(static_cast<std::size_t>(k), 0.0);
            pool.parallel_chunks(nv, k, [&](Index c, Index b, Index e) {
                double s = 0.0;
                for (Index i = b; i < e; ++i) s += hgb::event_loss(Lv.c[i], Lv.t[i], raw_val[i]);
                part[static_cast<std::size_t>(c)] = s;
            });
            double s = 0.0;
            for (double x : part) s += x;
            return s / val_norm;
        };

        trees_.clear();
        val_history_.clear();
        n_features_ = train.n_features();
        double best = std::numeric_limits<double>::infinity();
        std::size_t best_iter = 0;
        if (val) {
            best = val_loss();
            val_history_.push_back(best);
        }
        for (int it = 0; it < params_.max_iter; ++it) {
            pool.parallel_chunks(n, hgb::event_chunks(n), [&](Index, Index b, Index e) {
                hgb::grad_hess(L.c.segment(b, e - b), L.t.segment(b, e - b), raw.segment(b, e - b),
                               gh.data() + b);
            });
            trees_.push_back(grower.grow(gh));
            const hgb::Tree& tree = trees_.back();
            grower.add_leaf_values(tree, raw);
            if (progress_) progress_({static_cast<int>(trees_.size()), params_.max_iter, false});
            if (!val) continue;
            pool.parallel_chunks(raw_val.size(), hgb::event_chunks(raw_val.size()), [&](Index, Index b, Index e) {
                for (Index i = b; i < e; ++i) raw_val[i] += tree.predict_binned(Bv.row(i));
            });
            const double loss = val_loss();
            val_history_.push_back(loss);
            if (!std::isfinite(loss)) throw numeric_error("Hgb::fit: the validation loss became non-finite");
            if (loss < best - params_.tol) {
                best = loss;
                best_iter = trees_.size();
            }
            if (params_.early_stopping && trees_.size() - best_iter >= static_cast<std::size_t>(params_.patience))
                break;
        }
        if (val && params_.early_stopping) trees_.resize(best_iter);
        forest_ = hgb::FlatForest(trees_);
        if (progress_) progress_({static_cast<int>(trees_.size()), params_.max_iter, true});
    }

    HgbParams params_{};
    Index n_features_ = 0;
    double baseline_ = 0.0;
    std::vector<hgb::Tree> trees_;
    std::vector<double> val_history_;
    hgb::FlatForest forest_;  ///< trees_ laid out for prediction
    std::function<void(const HgbProgress&)> progress_;
};

}  // namespace resanom
