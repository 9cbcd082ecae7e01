// tools/resanom/classify_model.hpp — the model-running part of `resanom classify` (docs/cli.md):
// its options, the columns of the tables it reads, and run_model<C>(options, prototype), which
// trains (or loads) an Ensemble<C>, scores --apply, saves --save-model and prints the summary. A
// model plugs in with a MemberReport specialization saying what the JSON reports per member
// (iterations, validation loss) and a prototype built from the options (classify.cpp).
#pragma once

#include <chrono>
#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "classify_mlp.hpp"
#include "common.hpp"
#include "nn_common.hpp"
#include "resanom/core/training_set.hpp"
#include "resanom/io/npy.hpp"
#include "resanom/io/table.hpp"
#include "resanom/models/ensemble.hpp"
#include "resanom/models/hgb/hgb.hpp"

namespace resanom::cli::classify_cmd {

struct ClassifyOptions {
    CommonOptions common;
    std::string model = "hgb";
    std::string train, val, apply, out, save_model, load_model;
    std::optional<long long> label_col, weight_col;
    std::string features;
    double val_fraction = 0.2;
    int ensemble = 1;
    std::string class_weight = "balanced";
    // HGB (defaults: Das et al. 2024, App. A.1)
    int max_iter = 200;
    double learning_rate = 0.1;
    int max_leaf_nodes = 31;
    int max_bins = 255;
    long long min_samples_leaf = 20;
    double l2 = 0.0;
    std::string early_stopping = "on";
    int patience = 10;
    int max_depth = 0;
    // MLP (parsed here; the MLP model plugs in below)
    std::string hidden = "64,64,64";
    std::string activation = "relu";
    int epochs = 100;
    int batch_size = 128;
    double lr = 1e-3;
    double dropout = 0.0;
};

/// What the JSON summary says about one trained member.
template <class C>
struct MemberReport;

template <>
struct MemberReport<Hgb> {
    static Index iterations(const Hgb& m) { return m.n_iterations(); }
    static double val_loss(const Hgb& m) { return m.validation_loss(); }
};

template <>
struct MemberReport<MlpClassifier> : MlpMemberReport {};

/// The columns of a table the model reads.
struct Layout {
    std::optional<Index> label, weight;
    std::vector<Index> features;
};

inline Index column_of(long long v, const char* flag) {
    if (v < 0) throw usage_error(std::string(flag) + " must be a 0-based column index, got " + std::to_string(v));
    return static_cast<Index>(v);
}

inline void require_columns(const io::Table& t, const std::string& path, const Layout& L, bool need_label) {
    const Index cols = t.data.cols();
    auto check = [&](Index c, const std::string& flag) {
        if (c >= cols)
            throw io_error(path, flag + " " + std::to_string(c) + " is out of range: the file has " +
                                     std::to_string(cols) + " columns");
    };
    if (need_label && L.label) check(*L.label, "--label-col");
    if (need_label && L.weight) check(*L.weight, "--weight-col");
    for (Index f : L.features) check(f, "--features column");
}

/// Features default to every column except the label and weight columns.
inline std::vector<Index> feature_columns(const ClassifyOptions& o, const Layout& L, Index cols) {
    if (!o.features.empty()) {
        auto f = parse_columns(o.features, "--features");
        std::set<Index> seen;
        for (Index c : f) {
            if (!seen.insert(c).second) throw usage_error("--features: column " + std::to_string(c) + " is listed twice");
            if ((L.label && c == *L.label) || (L.weight && c == *L.weight))
                throw usage_error("--features: column " + std::to_string(c) + " is the label or weight column");
        }
        return f;
    }
    std::vector<Index> f;
    for (Index c = 0; c < cols; ++c)
        if (!(L.label && c == *L.label) && !(L.weight && c == *L.weight)) f.push_back(c);
    if (f.empty()) throw usage_error("--features: the file has no column besides the label and weight columns");
    return f;
}

inline Matrix select(const io::Table& t, const std::vector<Index>& cols) { return t.data(Eigen::all, cols); }

inline TrainingSet training_set(const io::Table& t, const std::string& path, const Layout& L) {
    require_columns(t, path, L, true);
    refuse_label_features(t, L.features, path);
    if (t.data.rows() == 0) throw io_error(path, "the file has no events");
    TrainingSet s;
    s.X = select(t, L.features);
    s.y = t.data.col(*L.label);
    s.w = L.weight ? Vector(t.data.col(*L.weight)) : Vector::Ones(t.data.rows());
    for (Index i = 0; i < s.size(); ++i) {
        if (!(s.y[i] >= 0.0 && s.y[i] <= 1.0))
            throw io_error(path, "label " + std::to_string(s.y[i]) + " outside [0,1] (--label-col)",
                           static_cast<std::size_t>(i), static_cast<std::size_t>(*L.label));
        if (!(s.w[i] >= 0.0 && std::isfinite(s.w[i])))
            throw io_error(path,
                           std::string("weight ") + std::to_string(s.w[i]) + " is negative or not finite (--weight-col)",
                           static_cast<std::size_t>(i), static_cast<std::size_t>(*L.weight));
    }
    return s;
}

template <class C>
json member_summary(const Ensemble<C>& e, double train_seconds, Index events, Index features,
                    const std::string& model) {
    json iterations = json::array(), val_loss = json::array();
    for (const C& m : e.members()) {
        iterations.push_back(MemberReport<C>::iterations(m));
        const double v = MemberReport<C>::val_loss(m);
        val_loss.push_back(std::isfinite(v) ? json(v) : json(nullptr));
    }
    return json{{"model", model},
                {"ensemble", e.members().size()},
                {"train_seconds", train_seconds},
                {"events", events},
                {"features", features},
                {"iterations", iterations},
                {"val_loss", val_loss}};
}

template <class C>
Index model_features(const C& m) {
    return m.n_features();
}

/// What run_model read and trained: for the scores, the model file and the summary.
struct Fitted {
    std::optional<io::Table> apply;
    ModelColumns columns;   ///< recorded with --save-model
    double train_seconds = 0.0;
    Index events = 0, features = 0;
};

/// --load-model: the ensemble, and --apply with its feature columns checked against the model's.
template <class C>
Fitted load_ensemble(const ClassifyOptions& o, Layout& L, Ensemble<C>& ens) {
    Fitted f;
    if constexpr (SerializableClassifier<C>) ens = Ensemble<C>::load(o.load_model, o.common.threads);
    f.features = model_features(ens.members().front());
    if (!o.apply.empty()) f.apply = io::read_table(o.apply);
    if (f.apply) {
        // The columns the model was trained on, when its file records them, are the default.
        const ModelColumns trained = model_columns(o.load_model);
        L.features = o.features.empty() && !trained.empty() ? std::vector<Index>(trained.index.begin(), trained.index.end())
                                                            : feature_columns(o, L, f.apply->data.cols());
        require_columns(*f.apply, o.apply, L, false);
        if (static_cast<Index>(L.features.size()) != f.features)
            throw usage_error("--features: " + std::to_string(L.features.size()) + " feature columns, but the model " +
                              o.load_model + " was trained on " + std::to_string(f.features));
        require_model_columns(trained, model_columns_of(*f.apply, L.features), o.load_model);
    }
    return f;
}

/// --train (and --val): the ensemble fitted; --apply read and its columns checked first.
template <class C>
Fitted train_ensemble(const ClassifyOptions& o, Layout& L, Ensemble<C>& ens) {
    if (!L.label) throw usage_error("--label-col is required with --train");
    Fitted f;
    const io::Table train_table = io::read_table(o.train);
    L.features = feature_columns(o, L, train_table.data.cols());
    const TrainingSet train = training_set(train_table, o.train, L);
    f.columns = model_columns_of(train_table, L.features);
    std::optional<TrainingSet> val;
    if (!o.val.empty()) val = training_set(io::read_table(o.val), o.val, L);
    if (!o.apply.empty()) {
        f.apply = io::read_table(o.apply);
        require_columns(*f.apply, o.apply, L, false);
    }
    const auto t0 = std::chrono::steady_clock::now();
    if (val) {
        if constexpr (ValidatingClassifier<C>) ens.fit(train, *val, o.common.seed);
        else throw usage_error("--val: --model " + o.model + " cannot take a validation set");
    } else {
        ens.fit(train, o.common.seed);
    }
    f.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    f.events = train.size();
    f.features = train.n_features();
    return f;
}

/// Trains (or loads) an Ensemble<C>, scores --apply, saves --save-model, prints the summary.
template <class C>
void run_model(const ClassifyOptions& o, const C& prototype) {
    if constexpr (!SerializableClassifier<C>)
        if (!o.save_model.empty() || !o.load_model.empty())
            throw usage_error("--save-model/--load-model: --model " + o.model + " cannot be saved yet");
    Layout L;
    if (o.label_col) L.label = column_of(*o.label_col, "--label-col");
    if (o.weight_col) L.weight = column_of(*o.weight_col, "--weight-col");
    if (L.label && L.weight && *L.label == *L.weight)
        throw usage_error("--weight-col: column " + std::to_string(*L.weight) + " is the label column");
    // An explicit --val is used as given by every member (docs/cli.md).
    Ensemble<C> ens(prototype, o.ensemble, o.common.threads, ValidationSplits::as_given);
    const Fitted f = o.load_model.empty() ? train_ensemble(o, L, ens) : load_ensemble(o, L, ens);
    if (f.apply) {
        refuse_label_features(*f.apply, L.features, o.apply);
        const Vector scores = ens.predict(select(*f.apply, L.features));
        io::write_npy(o.out, scores);
    }
    if (!o.save_model.empty()) {
        if constexpr (SerializableClassifier<C>) ens.save(o.save_model, f.columns);
    }
    emit(member_summary(ens, f.train_seconds, f.events, f.features, o.model));
}

}  // namespace resanom::cli::classify_cmd
