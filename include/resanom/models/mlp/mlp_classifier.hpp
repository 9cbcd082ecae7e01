// resanom/models/mlp/mlp_classifier.hpp — MlpClassifier: the dense-network classifier of the
// weakly supervised methods (CWoLa, SALAD, SA-CWoLa, IAD, CATHODE), a model of the Classifier and
// ValidatingClassifier concepts (core/concepts.hpp), so Ensemble<MlpClassifier> and
// out_of_fold_predict work unchanged.
//
// fit learns a Standardizer on the training features, builds the network
// d → hidden… → 1 (logit) with the chosen activation, and trains it with weighted BCE on logits
// (soft labels, optionally class-balanced factors), Adam, and early stopping on a validation set —
// given, or split off the training set (val_fraction). predict returns σ(logit) = P(label 1).
// Networks train in single precision (as PyTorch and Keras do); losses accumulate in double.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/parallel.hpp"
#include "resanom/core/preprocess.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/training_set.hpp"
#include "resanom/models/serialization.hpp"
#include "resanom/models/nn/adam.hpp"
#include "resanom/models/mlp/loss.hpp"
#include "resanom/models/mlp/network.hpp"
#include "resanom/models/mlp/serialize.hpp"
#include "resanom/models/mlp/trainer.hpp"

namespace resanom {

enum class Activation { relu, leaky_relu, elu, tanh, sigmoid };

/// Parses "relu", "leaky_relu" (or "leakyrelu"), "elu", "tanh", "sigmoid".
inline Activation parse_activation(const std::string& name) {
    if (name == "relu") return Activation::relu;
    if (name == "leaky_relu" || name == "leakyrelu" || name == "leaky-relu") return Activation::leaky_relu;
    if (name == "elu") return Activation::elu;
    if (name == "tanh") return Activation::tanh;
    if (name == "sigmoid") return Activation::sigmoid;
    throw input_error("unknown activation '" + name + "' (relu, leaky_relu, elu, tanh, sigmoid)");
}

inline nn::LayerSpec activation_layer(Activation a, double alpha) {
    switch (a) {
        case Activation::leaky_relu: return nn::leaky_relu(alpha);
        case Activation::elu: return nn::elu(alpha);
        case Activation::tanh: return nn::tanh_layer();
        case Activation::sigmoid: return nn::sigmoid();
        default: return nn::relu();
    }
}

/// Hyperparameters of MlpClassifier. Defaults: the architecture of Benkendorfer et al. 2021, §II
/// (three hidden layers of 64 ReLU nodes, as `resanom classify --hidden 64,64,64`), the training
/// protocol of Golling et al. 2024, §2.3 (Adam, learning rate 1e-3, batch 128, up to 100 epochs,
/// patience 5, keep the best validation epoch).
struct MlpParams {
    std::vector<Index> hidden = {64, 64, 64};  ///< Benkendorfer et al. 2021, §II (Golling et al. 2024, §2.3, uses {64, 32})
    Activation activation = Activation::relu;  ///< Benkendorfer et al. 2021, §II; Golling et al. 2024, §2.3
    double activation_alpha = 0.01;            ///< α of leaky ReLU / ELU (Collins et al. 2021, §3.1: leaky 0.1)
    /// Another activation for the first hidden layer (Collins et al. 2021, §3.1: leaky ReLU with
    /// slope 0.1 first, ELU after), with its own α; none: `activation` everywhere.
    std::optional<Activation> first_activation = std::nullopt;
    double first_activation_alpha = 0.1;
    double dropout = 0.0;                      ///< after the hidden layers (Collins et al. 2021, §3.1: 0.2)
    /// Dropout follows the first `dropout_layers` hidden layers; −1: every one (Collins et al.
    /// 2021, §3.1: "the first three hidden layers are followed by dropout layers").
    int dropout_layers = -1;
    bool batch_norm = false;                   ///< BatchNorm after every hidden activation
    int epochs = 100;                          ///< Golling et al. 2024, §2.3 (Benkendorfer et al. 2021, §II, trains 20)
    Index batch_size = 128;                    ///< Golling et al. 2024, §2.3 (Benkendorfer et al. 2021, §II: 200)
    /// lr 1e-3, β (0.9, 0.999): Benkendorfer et al. 2021, §II; Golling et al. 2024, §2.3
    nn::AdamOptions adam{};
    int patience = 5;                          ///< Golling et al. 2024, §2.3 (the CLI's default is 10)
    double val_fraction = 0.2;                 ///< validation split when no validation set is given
    bool class_balanced = true;                ///< balanced class factors in the loss (CLI default)
    double clip_norm = 0.0;                    ///< gradient-norm clipping (0: off)
    unsigned threads = 0;                      ///< worker threads (0: all cores); results do not depend on it
    Index chunks = 2;                          ///< minibatch blocks (the unit of parallelism; fixed for reproducibility)

    void validate() const {
        for (Index h : hidden)
            detail::require(h > 0, "MlpParams: hidden layer widths must be > 0, got " + std::to_string(h));
        detail::require(activation_alpha >= 0.0 && std::isfinite(activation_alpha), "MlpParams: activation alpha must be >= 0");
        detail::require(first_activation_alpha >= 0.0 && std::isfinite(first_activation_alpha),
                        "MlpParams: first activation alpha must be >= 0");
        detail::require(dropout_layers >= -1, "MlpParams: dropout_layers must be >= -1, got " + std::to_string(dropout_layers));
        detail::require(dropout >= 0.0 && dropout < 1.0, "MlpParams: dropout must lie in [0, 1), got " + std::to_string(dropout));
        detail::require(epochs >= 1, "MlpParams: epochs must be >= 1, got " + std::to_string(epochs));
        detail::require(batch_size >= 1, "MlpParams: batch size must be >= 1, got " + std::to_string(batch_size));
        detail::require(patience >= 0, "MlpParams: patience must be >= 0, got " + std::to_string(patience));
        detail::require(val_fraction >= 0.0 && val_fraction < 1.0,
                        "MlpParams: val_fraction must lie in [0, 1), got " + std::to_string(val_fraction));
        detail::require(clip_norm >= 0.0 && std::isfinite(clip_norm), "MlpParams: clip_norm must be finite and >= 0");
        detail::require(chunks >= 1, "MlpParams: chunks must be >= 1");
        adam.validate();
    }

    /// The network's layers: (Dense(h), activation[, BatchNorm][, Dropout])… Dense(1).
    std::vector<nn::LayerSpec> layers() const {
        std::vector<nn::LayerSpec> L;
        for (std::size_t i = 0; i < hidden.size(); ++i) {
            L.push_back(nn::dense(hidden[i]));
            L.push_back(i == 0 && first_activation ? activation_layer(*first_activation, first_activation_alpha)
                                                   : activation_layer(activation, activation_alpha));
            if (batch_norm) L.push_back(nn::batch_norm());
            if (dropout > 0.0 && (dropout_layers < 0 || static_cast<int>(i) < dropout_layers)) L.push_back(nn::dropout(dropout));
        }
        L.push_back(nn::dense(1));
        return L;
    }
};

namespace detail::mlp {

/// Standardized features in network layout (features × n) and precision S.
template <class S>
nn::Mat<S> network_input(const Standardizer& st, const Matrix& X) {
    return st.transform(X).transpose().template cast<S>();
}

inline void check_training_set(const TrainingSet& t, const std::string& what) {
    detail::require(t.size() > 0, what + ": no events");
    detail::require(t.n_features() > 0, what + ": no features");
    t.validate(what);
}

}  // namespace detail::mlp

/// The classifier with its network in precision S (MlpClassifier: float, as the reference
/// implementations; double for checks). A template, so that a translation unit that only names the
/// type does not compile the network's kernels.
template <class S>
class BasicMlpClassifier {
public:
    using Scalar = S;

    BasicMlpClassifier() = default;
    explicit BasicMlpClassifier(MlpParams p) : p_(std::move(p)) { p_.validate(); }

    /// Called after every epoch of fit (optional; library code never prints).
    void set_progress(nn::EpochCallback cb) { progress_ = std::move(cb); }

    /// Splits a validation set of val_fraction off `train` (seeded), unless val_fraction is 0.
    void fit(const TrainingSet& train, std::uint64_t seed) {
        detail::mlp::check_training_set(train, "MlpClassifier::fit: training set");
        if (p_.val_fraction > 0.0 && train.size() >= 2) {
            Rng rng(derive_seed(seed, 101));
            const auto perm = permutation(static_cast<std::size_t>(train.size()), rng);
            const auto n_val = std::max<Index>(1, static_cast<Index>(p_.val_fraction * static_cast<double>(train.size())));
            IndexList vr(perm.begin(), perm.begin() + n_val), tr(perm.begin() + n_val, perm.end());
            std::sort(vr.begin(), vr.end());
            std::sort(tr.begin(), tr.end());
            const TrainingSet fit_part = train.subset(tr), val_part = train.subset(vr);
            fit_impl(fit_part, &val_part, seed);
        } else {
            fit_impl(train, nullptr, seed);
        }
    }

    /// Trains on `train`, stops early and keeps the best epoch by the loss on `val`.
    void fit(const TrainingSet& train, const TrainingSet& val, std::uint64_t seed) {
        detail::mlp::check_training_set(train, "MlpClassifier::fit: training set");
        detail::mlp::check_training_set(val, "MlpClassifier::fit: validation set");
        detail::require(val.n_features() == train.n_features(),
                        "MlpClassifier::fit: validation set has " + std::to_string(val.n_features()) +
                            " features, training set " + std::to_string(train.n_features()));
        fit_impl(train, &val, seed);
    }

    /// P(label 1) for each row of X.
    Vector predict(const Matrix& X) const {
        Vector z = decision_function(X);
        for (Index i = 0; i < z.size(); ++i) z[i] = nn::BceWithLogits::sigmoid(z[i]);
        return z;
    }

    /// The network's logit for each row of X.
    Vector decision_function(const Matrix& X) const {
        detail::require(fitted(), "MlpClassifier::predict: the classifier is not fitted");
        detail::require(X.cols() == net_.in_width(), "MlpClassifier::predict: X has " + std::to_string(X.cols()) +
                                                         " features, the classifier was trained on " +
                                                         std::to_string(net_.in_width()));
        detail::require_finite(X, "MlpClassifier::predict: features");
        const nn::Mat<Scalar> in = detail::mlp::network_input<Scalar>(standardizer_, X);
        Vector out(X.rows());
        if (X.rows() == 0) return out;
        const Index block = 1024, n = X.rows(), nb = (n + block - 1) / block;
        ThreadPool& pool = shared_pool(p_.threads);
        const Index k = std::min<Index>(pool.size(), nb);
        pool.parallel_chunks(nb, k, [&](Index, Index b0, Index b1) {
            nn::Workspace<Scalar> ws(net_, std::min(block, n));
            for (Index b = b0; b < b1; ++b) {
                const Index s = b * block, m = std::min(block, n - s);
                ws.input(m) = in.middleCols(s, m);
                nn::forward(net_, ws, m, nn::Mode::infer);
                out.segment(s, m) = ws.output(m).row(0).transpose().template cast<double>();
            }
        });
        return out;
    }

    bool fitted() const noexcept { return net_.built(); }
    /// Features the classifier was trained on (0 before fit).
    Index n_features() const noexcept { return net_.in_width(); }
    const MlpParams& params() const noexcept { return p_; }
    const nn::Network<Scalar>& network() const noexcept { return net_; }
    const Standardizer& standardizer() const noexcept { return standardizer_; }
    const nn::TrainHistory& history() const noexcept { return history_; }

    /// The kind in model files (models/serialization.hpp); Ensemble<MlpClassifier> saves "ensemble/mlp".
    static constexpr std::string_view kind = "mlp";

    /// Writes the trained classifier (architecture, weights, standardization) to `path`.
    void save(const std::string& path, const ModelColumns& columns = {}) const { save_model(*this, path, columns); }
    static BasicMlpClassifier load(const std::string& path) { return load_model<BasicMlpClassifier>(path); }

    /// Into / from a model payload (Ensemble<MlpClassifier> stores its members this way).
    void write(ModelWriter& w) const {
        resanom::detail::require(fitted(), "MlpClassifier: the classifier is not fitted");
        nn::write_standardizer(w, standardizer_);
        nn::write_network(w, net_);
        w.put<std::int32_t>(history_.epochs_run);
        w.put<std::int32_t>(history_.best_epoch);
        w.put<double>(history_.best_val_loss);
    }
    static BasicMlpClassifier read(ModelReader& r) {
        BasicMlpClassifier c;
        c.standardizer_ = nn::read_standardizer(r);
        c.net_ = nn::read_network<Scalar>(r);
        if (c.net_.in_width() != c.standardizer_.mean().size() || c.net_.out_width() != 1)
            r.fail("the network does not match the stored standardization / a classifier's single output");
        c.history_.epochs_run = r.get<std::int32_t>();
        c.history_.best_epoch = r.get<std::int32_t>();
        c.history_.best_val_loss = r.get<double>();
        return c;
    }

private:
    static nn::Dataset<Scalar> dataset(const Standardizer& st, const TrainingSet& t) {
        nn::Dataset<Scalar> d;
        d.X = detail::mlp::network_input<Scalar>(st, t.X);
        d.T = t.y.transpose().cast<Scalar>();
        d.w = t.w.cast<Scalar>();
        return d;
    }

    void fit_impl(const TrainingSet& train, const TrainingSet* val, std::uint64_t seed) {
        p_.validate();
        Standardizer st;
        st.fit(train.X);
        const nn::BceWithLogits loss = p_.class_balanced ? nn::BceWithLogits(class_balance_factors(train)) : nn::BceWithLogits();
        nn::BceWithLogits vloss = loss;
        if (val != nullptr && p_.class_balanced) {
            const auto [w1, w0] = val->class_weights();
            if (w1 > 0.0 && w0 > 0.0) vloss = nn::BceWithLogits(class_balance_factors(*val));
        }
        nn::Network<Scalar> net(p_.layers());
        net.build(train.n_features(), derive_seed(seed, 7));
        const nn::Dataset<Scalar> tr = dataset(st, train);
        nn::Dataset<Scalar> va;
        if (val != nullptr) va = dataset(st, *val);
        const nn::TrainOptions o{.epochs = p_.epochs,
                                 .batch_size = p_.batch_size,
                                 .patience = p_.patience,
                                 .clip_norm = p_.clip_norm,
                                 .chunks = p_.chunks,
                                 .progress = progress_};
        nn::Adam<Scalar> adam(p_.adam);
        ThreadPool& pool = shared_pool(p_.threads);
        history_ = nn::train(net, adam, tr, val != nullptr ? &va : nullptr, loss, o, derive_seed(seed, 8), &pool, &vloss);
        net_ = std::move(net);
        standardizer_ = std::move(st);
    }

    MlpParams p_{};
    nn::Network<Scalar> net_;
    Standardizer standardizer_;
    nn::TrainHistory history_;
    nn::EpochCallback progress_;
};

using MlpClassifier = BasicMlpClassifier<float>;

static_assert(Classifier<MlpClassifier>);
static_assert(ValidatingClassifier<MlpClassifier>);

}  // namespace resanom
