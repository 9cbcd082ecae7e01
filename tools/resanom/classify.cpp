// tools/resanom/classify.cpp — `resanom classify`: trains a classifier or an ensemble on a labelled
// (soft labels allowed), optionally weighted table, scores events, saves/loads models
// (docs/cli.md). Every input is read and checked, and every output path validated,
// before anything is written: bad input exits with code 2 and leaves no file behind.
//
// This file checks the flags and builds the model's prototype (hgb_params below, classify_mlp.hpp);
// run_model<C>(options, prototype) in classify_model.hpp reads, trains, scores and saves.
#include <atomic>
#include <memory>
#include <string>

#include "classify_model.hpp"
#include "common.hpp"
#include "resanom/models/hgb/hgb.hpp"

// One namespace per subcommand, so that the tool's files can be compiled as one unit.
namespace resanom::cli::classify_cmd {

namespace {

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
    as_usage([&] { p.validate(); });
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
