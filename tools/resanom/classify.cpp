// tools/resanom/classify.cpp — `resanom classify`: trains a classifier or an ensemble on a labelled
// (soft labels allowed), optionally weighted table, scores events, saves/loads models
// (docs/cli.md). Every input is read and checked, and every output path validated,
// before anything is written: bad input exits with code 2 and leaves no file behind.
//
// Models plug in through run_model<C>(options, prototype): a model needs only a hyperparameter
// mapping from the options (hgb_params below) and a MemberReport specialization saying what the
// JSON reports per member (iterations, validation loss).
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common.hpp"
#include "nn_common.hpp"
#include "resanom/core/training_set.hpp"
#include "resanom/io/npy.hpp"
#include "resanom/io/table.hpp"
#include "resanom/models/ensemble.hpp"
#include "resanom/models/hgb/hgb.hpp"
#include "classify_mlp.hpp"

// One namespace per subcommand, so that the tool's files can be compiled as one unit.
namespace resanom::cli::classify_cmd {

namespace {

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

HgbParams hgb_params(const ClassifyOptions& o) {
    HgbParams p;
    p.max_iter = o.max_iter;
    p.learning_rate = o.learning_rate;
    p.max_leaf_nodes = o.max_leaf_nodes;
    p.max_bins = o.max_bins;
    p.min_samples_leaf = static_cast<Index>(o.min_samples_leaf);
    p.l2_regularization = o.l2;
    p.early_stopping = o.early_stopping == "on";
    p.patience = o.patience;
    p.max_depth = o.max_depth;
    p.validation_fraction = o.val_fraction;
    p.class_weight = o.class_weight == "balanced" ? ClassWeight::balanced : ClassWeight::none;
    p.threads = o.common.threads;
    try {
        p.validate();
    } catch (const input_error& e) {
        throw usage_error(e.what());
    }
    return p;
}

/// An HGB prototype; with progress enabled (stderr a terminal, or --progress) it counts trained
/// members on stderr, or the trees of a single model.
Hgb hgb_prototype(const ClassifyOptions& o) {
    Hgb m(hgb_params(o));
    const int members = o.ensemble;
    auto bar = std::make_shared<ProgressLine>(o.common.progress, members > 1 ? "members trained" : "trees");
    if (!bar->enabled()) return m;
    auto done = std::make_shared<std::atomic<int>>(0);
    m.set_progress([bar, done, members](const HgbProgress& p) {
        if (members > 1) {
            if (p.done) bar->update(++*done, members);
        } else {
            bar->update(p.done ? p.max_iter : p.iteration, p.max_iter);
        }
    });
    return m;
}

/// The columns of a table the model reads.
struct Layout {
    std::optional<Index> label, weight;
    std::vector<Index> features;
};

Index column_of(long long v, const char* flag) {
    if (v < 0) throw usage_error(std::string(flag) + " must be a 0-based column index, got " + std::to_string(v));
    return static_cast<Index>(v);
}

void require_columns(const io::Table& t, const std::string& path, const Layout& L, bool need_label) {
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
std::vector<Index> feature_columns(const ClassifyOptions& o, const Layout& L, Index cols) {
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

Matrix select(const io::Table& t, const std::vector<Index>& cols) { return t.data(Eigen::all, cols); }

TrainingSet training_set(const io::Table& t, const std::string& path, const Layout& L) {
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
    double train_seconds = 0.0;
    Index events = 0;
    Index d = 0;
    std::optional<io::Table> apply_table;
    ModelColumns columns;   // recorded with --save-model
    if (!o.load_model.empty()) {
        if constexpr (SerializableClassifier<C>) ens = Ensemble<C>::load(o.load_model, o.common.threads);
        d = model_features(ens.members().front());
        if (!o.apply.empty()) apply_table = io::read_table(o.apply);
        if (apply_table) {
            // The columns the model was trained on, when its file records them, are the default.
            const ModelColumns trained = model_columns(o.load_model);
            L.features = o.features.empty() && !trained.empty() ? std::vector<Index>(trained.index.begin(), trained.index.end())
                                                                : feature_columns(o, L, apply_table->data.cols());
            require_columns(*apply_table, o.apply, L, false);
            if (static_cast<Index>(L.features.size()) != d)
                throw usage_error("--features: " + std::to_string(L.features.size()) + " feature columns, but the model " +
                                  o.load_model + " was trained on " + std::to_string(d));
            require_model_columns(trained, model_columns_of(*apply_table, L.features), o.load_model);
        }
    } else {
        if (!L.label) throw usage_error("--label-col is required with --train");
        const io::Table train_table = io::read_table(o.train);
        L.features = feature_columns(o, L, train_table.data.cols());
        const TrainingSet train = training_set(train_table, o.train, L);
        columns = model_columns_of(train_table, L.features);
        std::optional<TrainingSet> val;
        if (!o.val.empty()) val = training_set(io::read_table(o.val), o.val, L);
        if (!o.apply.empty()) {
            apply_table = io::read_table(o.apply);
            require_columns(*apply_table, o.apply, L, false);
        }
        const auto t0 = std::chrono::steady_clock::now();
        if (val) {
            if constexpr (ValidatingClassifier<C>) ens.fit(train, *val, o.common.seed);
            else throw usage_error("--val: --model " + o.model + " cannot take a validation set");
        } else {
            ens.fit(train, o.common.seed);
        }
        train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        events = train.size();
        d = train.n_features();
    }

    if (apply_table) {
        refuse_label_features(*apply_table, L.features, o.apply);
        const Vector scores = ens.predict(select(*apply_table, L.features));
        io::write_npy(o.out, scores);
    }
    if (!o.save_model.empty()) {
        if constexpr (SerializableClassifier<C>) ens.save(o.save_model, columns);
    }
    emit(member_summary(ens, train_seconds, events, d, o.model));
}

void run(const ClassifyOptions& o) {
    // Flags first: nothing is read before the command line is known to be consistent.
    if (o.model != "hgb" && o.model != "mlp") throw usage_error("--model: unknown model '" + o.model + "' (hgb, mlp)");
    if (o.class_weight != "balanced" && o.class_weight != "none")
        throw usage_error("--class-weight: '" + o.class_weight + "' is neither balanced nor none");
    if (o.early_stopping != "on" && o.early_stopping != "off")
        throw usage_error("--early-stopping: '" + o.early_stopping + "' is neither on nor off");
    if (o.train.empty() == o.load_model.empty())
        throw usage_error(o.train.empty() ? "either --train or --load-model is required"
                                          : "--train and --load-model exclude each other");
    if (!o.load_model.empty() && !o.val.empty()) throw usage_error("--val needs --train (not --load-model)");
    if (o.apply.empty() != o.out.empty()) throw usage_error(o.apply.empty() ? "--out needs --apply" : "--apply needs --out");
    if (o.apply.empty() && o.save_model.empty())
        throw usage_error("nothing to do: give --apply/--out or --save-model");
    if (!(o.val_fraction > 0.0 && o.val_fraction < 1.0))
        throw usage_error("--val-fraction must lie in (0, 1), got " + std::to_string(o.val_fraction));
    if (o.ensemble < 1) throw usage_error("--ensemble must be >= 1, got " + std::to_string(o.ensemble));
    if (!o.out.empty()) {
        require_output_path(o.out, "--out");
        if (io::format_of(o.out) != io::FileFormat::npy) throw usage_error("--out " + o.out + ": scores are written as .npy");
    }
    if (!o.save_model.empty()) require_output_path(o.save_model, "--save-model");

    if (o.model == "mlp") return run_model(o, mlp_prototype(o));
    run_model(o, hgb_prototype(o));
}

}  // namespace

Subcommand add_classify(CLI::App& app) {
    auto o = std::make_shared<ClassifyOptions>();
    CLI::App* sub = app.add_subcommand("classify", "Train a classifier (or an ensemble) and score events");
    sub->add_option("--model", o->model, "hgb (histogram gradient-boosted trees) or mlp")->capture_default_str();
    sub->add_option("--train", o->train, "Training events (.npy or .csv, one event per row)");
    sub->add_option("--label-col", o->label_col, "Column of the labels in [0,1] (soft labels allowed)");
    sub->add_option("--weight-col", o->weight_col, "Column of per-event weights (>= 0; default: all 1)");
    sub->add_option("--features", o->features,
                    "Feature columns, comma-separated 0-based (default: every column except label and weight)");
    sub->add_option("--val", o->val, "Explicit validation set (same column layout as --train)");
    sub->add_option("--val-fraction", o->val_fraction,
                    "Without --val: random fraction of --train held out per member for early stopping")
        ->capture_default_str();
    sub->add_option("--apply", o->apply, "Events to score (same column layout; label/weight columns ignored)");
    sub->add_option("--out", o->out, "Scores of --apply: one float64 probability of label 1 per row (.npy)");
    sub->add_option("--ensemble", o->ensemble,
                    "Members, each with its own seed and random train/validation split (Das et al. 2024 uses 50)")
        ->capture_default_str();
    sub->add_option("--class-weight", o->class_weight, "balanced|none: balance the two classes in the loss")
        ->capture_default_str();
    sub->add_option("--max-iter", o->max_iter, "HGB: boosting iterations at most (Das et al. 2024, App. A.1)")
        ->capture_default_str();
    sub->add_option("--learning-rate", o->learning_rate, "HGB: shrinkage (Das et al. 2024, App. A.1)")->capture_default_str();
    sub->add_option("--max-leaf-nodes", o->max_leaf_nodes, "HGB: leaves per tree (Das et al. 2024, App. A.1)")
        ->capture_default_str();
    sub->add_option("--max-bins", o->max_bins, "HGB: bins per feature, <= 255 (Das et al. 2024, App. A.1)")
        ->capture_default_str();
    sub->add_option("--min-samples-leaf", o->min_samples_leaf, "HGB: events per leaf at least")->capture_default_str();
    sub->add_option("--l2", o->l2, "HGB: L2 regularization of the leaf values")->capture_default_str();
    sub->add_option("--max-depth", o->max_depth, "HGB: depth limit (0 = none)")->capture_default_str();
    sub->add_option("--early-stopping", o->early_stopping, "on|off: stop on the validation loss")
        ->capture_default_str();
    sub->add_option("--patience", o->patience, "Iterations (HGB) or epochs (MLP) without improvement before stopping")
        ->capture_default_str();
    sub->add_option("--hidden", o->hidden, "MLP: hidden layer widths")->capture_default_str();
    sub->add_option("--activation", o->activation, "MLP: activation")->capture_default_str();
    sub->add_option("--epochs", o->epochs, "MLP: epochs at most")->capture_default_str();
    sub->add_option("--batch-size", o->batch_size, "MLP: minibatch size")->capture_default_str();
    sub->add_option("--lr", o->lr, "MLP: Adam learning rate")->capture_default_str();
    sub->add_option("--dropout", o->dropout, "MLP: dropout probability")->capture_default_str();
    sub->add_option("--save-model", o->save_model, "Save the trained model/ensemble (versioned binary format)");
    sub->add_option("--load-model", o->load_model, "Load a saved model instead of training (then no --train)");
    add_common_options(*sub, o->common);
    return {sub, [o] { run(*o); }};
}

namespace {
const SubcommandRegistration registration(20, "classify", add_classify);
}  // namespace

}  // namespace resanom::cli::classify_cmd
