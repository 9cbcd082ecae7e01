// tools/resanom/classify_mlp.hpp — the MLP model of `resanom classify --model mlp`
// (docs/cli.md): maps the command-line options onto MlpParams and says what the JSON
// summary reports per member ("iterations" = epochs run, "val_loss" = best validation loss).
// classify_model.hpp's generic run_model<C> does the rest (reading, Ensemble<C>, --save/--load-model):
//   template <> struct MemberReport<MlpClassifier> : MlpMemberReport {};
//   if (o.model == "mlp") return run_model(o, MlpClassifier(mlp_params(o)));
#pragma once

#include <memory>
#include <string>

#include "common.hpp"
#include "nn_common.hpp"
#include "resanom/models/mlp/mlp_classifier.hpp"

namespace resanom::cli {

/// What the JSON summary reports for one trained MLP.
struct MlpMemberReport {
    static Index iterations(const MlpClassifier& m) { return m.history().epochs_run; }
    static double val_loss(const MlpClassifier& m) { return m.history().best_val_loss; }
};

/// MlpParams from classify's options (any struct with the documented fields: hidden, activation,
/// epochs, batch_size, lr, dropout, patience, early_stopping, val_fraction, class_weight, common).
/// Without early stopping (--early-stopping off) the network trains every epoch and still keeps
/// the epoch of lowest validation loss.
template <class Options>
MlpParams mlp_params(const Options& o) {
    MlpParams p;
    p.hidden = parse_widths(o.hidden, "--hidden");
    try {
        p.activation = parse_activation(o.activation);
    } catch (const input_error& e) {
        throw usage_error(std::string("--activation: ") + e.what());
    }
    if (p.activation == Activation::leaky_relu) p.activation_alpha = 0.1;  // Collins et al. 2021, §3.1
    if (p.activation == Activation::elu) p.activation_alpha = 1.0;
    if (o.epochs < 1) throw usage_error("--epochs must be >= 1, got " + std::to_string(o.epochs));
    if (o.batch_size < 1) throw usage_error("--batch-size must be >= 1, got " + std::to_string(o.batch_size));
    if (!(o.lr > 0.0 && std::isfinite(o.lr))) throw usage_error("--lr must be finite and > 0");
    if (!(o.dropout >= 0.0 && o.dropout < 1.0)) throw usage_error("--dropout must lie in [0, 1), got " + std::to_string(o.dropout));
    if (o.patience < 0) throw usage_error("--patience must be >= 0, got " + std::to_string(o.patience));
    p.epochs = o.epochs;
    p.batch_size = static_cast<Index>(o.batch_size);
    p.adam.learning_rate = o.lr;
    p.dropout = o.dropout;
    p.patience = o.early_stopping == "off" ? 0 : o.patience;
    p.val_fraction = o.val_fraction;
    p.class_balanced = o.class_weight == "balanced";
    p.threads = o.common.threads;
    as_usage([&] { p.validate(); });
    return p;
}

/// An MLP prototype; with progress enabled, its members draw an epoch bar on stderr.
template <class Options>
MlpClassifier mlp_prototype(const Options& o) {
    MlpClassifier c(mlp_params(o));
    auto bar = std::make_shared<ProgressLine>(o.common.progress, "epochs");
    if (bar->enabled())
        c.set_progress([bar](const nn::EpochReport& r) { bar->update(r.epoch, r.max_epochs); });
    return c;
}

}  // namespace resanom::cli
