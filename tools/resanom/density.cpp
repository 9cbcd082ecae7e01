// tools/resanom/density.cpp — `resanom density`: conditional density estimation with the MAF flow
// of CATHODE (models/flow/maf.hpp), as docs/cli.md specifies: learn p(x | m) from
// --train (or --load-model), draw one sample per conditional value of --sample-cond into --out,
// and write the log-density of the rows of --logprob into --logprob-out. Every flag and file is
// checked before training starts, and outputs are written only after everything has succeeded.
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "nn_common.hpp"
#include "resanom/core/random.hpp"
#include "resanom/io/npy.hpp"
#include "resanom/io/table.hpp"
#include "resanom/models/flow/maf.hpp"

// One namespace per subcommand, so that the tool's files can be compiled as one unit.
namespace resanom::cli::density_cmd {

namespace {

struct DensityOptions {
    CommonOptions common;
    std::string train, features, sample_cond, out, logprob, logprob_out, save_model, load_model;
    long long cond_col = -1, sample_cond_col = -1;
    int blocks = 15;
    long long hidden = 128;
    int epochs = 100;
    long long batch_size = 256;
    double lr = 1e-4, weight_decay = 1e-6, val_fraction = 0.2;
    std::string batch_norm = "on", permutation = "reverse";
    int average_best = 1;
    int patience = 0;
    double min_delta = 0.0;
};

// Features: the --features list, or every column except the conditional one.
std::vector<Index> feature_columns(const DensityOptions& o, Index n_cols) {
    if (!o.features.empty()) return parse_columns(o.features, "--features");
    std::vector<Index> cols;
    for (Index j = 0; j < n_cols; ++j)
        if (j != o.cond_col) cols.push_back(j);
    return cols;
}

/// The flags, checked before any work.
void check_flags(const DensityOptions& o) {
    if (o.load_model.empty() && o.train.empty()) throw usage_error("--train is required (or --load-model)");
    if (!o.load_model.empty() && !o.train.empty()) throw usage_error("--train and --load-model exclude each other");
    if (o.sample_cond.empty() != o.out.empty())
        throw usage_error("--sample-cond and --out go together (samples of the flow at the given conditional values)");
    if (o.logprob.empty() != o.logprob_out.empty()) throw usage_error("--logprob and --logprob-out go together");
    if ((!o.train.empty() || !o.logprob.empty()) && o.cond_col < 0)
        throw usage_error("--cond-col is required with --train and --logprob (the column of the conditional value m)");
    if (!o.out.empty()) {
        require_output_path(o.out, "--out");
        if (io::format_of(o.out) != io::FileFormat::npy) throw usage_error("--out " + o.out + ": samples are written as .npy");
    }
    if (!o.logprob_out.empty()) {
        require_output_path(o.logprob_out, "--logprob-out");
        if (io::format_of(o.logprob_out) != io::FileFormat::npy)
            throw usage_error("--logprob-out " + o.logprob_out + ": log-densities are written as .npy");
    }
    if (!o.save_model.empty()) require_output_path(o.save_model, "--save-model");
    if (o.blocks <= 0) throw usage_error("--blocks must be > 0, got " + std::to_string(o.blocks));
    if (o.hidden <= 0) throw usage_error("--hidden must be > 0, got " + std::to_string(o.hidden));
    if (o.epochs <= 0) throw usage_error("--epochs must be > 0, got " + std::to_string(o.epochs));
    if (o.batch_size < 2) throw usage_error("--batch-size must be >= 2, got " + std::to_string(o.batch_size));
    if (!(o.lr > 0.0 && std::isfinite(o.lr))) throw usage_error("--lr must be finite and > 0");
    if (!(o.weight_decay >= 0.0 && std::isfinite(o.weight_decay))) throw usage_error("--weight-decay must be finite and >= 0");
    if (!(o.val_fraction >= 0.0 && o.val_fraction < 1.0)) throw usage_error("--val-fraction must lie in [0, 1)");
    if (o.average_best <= 0) throw usage_error("--average-best must be > 0, got " + std::to_string(o.average_best));
    if (o.patience < 0) throw usage_error("--patience must be >= 0 (0: no early stopping), got " + std::to_string(o.patience));
    if (o.patience > 0 && o.val_fraction <= 0.0) throw usage_error("--patience needs a validation split (--val-fraction > 0)");
    if (!(o.min_delta >= 0.0 && std::isfinite(o.min_delta))) throw usage_error("--min-delta must be finite and >= 0");
    if (o.batch_norm != "on" && o.batch_norm != "off") throw usage_error("--batch-norm must be on or off, got '" + o.batch_norm + "'");
    if (o.permutation != "reverse" && o.permutation != "random")
        throw usage_error("--permutation must be reverse or random, got '" + o.permutation + "'");
}

MafParams maf_params(const DensityOptions& o) {
    MafParams p;
    p.blocks = o.blocks;
    p.hidden = static_cast<Index>(o.hidden);
    p.epochs = o.epochs;
    p.batch_size = static_cast<Index>(o.batch_size);
    p.learning_rate = o.lr;
    p.weight_decay = o.weight_decay;
    p.val_fraction = o.val_fraction;
    p.batch_norm = o.batch_norm == "on";
    p.permutation = o.permutation == "random" ? flow::Permutation::random : flow::Permutation::reverse;
    p.average_best = o.average_best;
    p.patience = o.patience;
    p.min_delta = o.min_delta;
    p.threads = o.common.threads;
    return p;
}

/// --sample-cond: the conditional values to sample at.
Matrix sample_conditions(const DensityOptions& o) {
    const io::Table t = read_events(o.sample_cond, "--sample-cond");
    Index col = 0;
    if (o.sample_cond_col >= 0) {
        col = static_cast<Index>(o.sample_cond_col);
    } else if (t.data.cols() != 1) {
        throw usage_error("--sample-cond " + o.sample_cond + " has " + std::to_string(t.data.cols()) +
                          " columns: choose one with --sample-cond-col");
    }
    return select_columns(t, {col}, o.sample_cond, "--sample-cond-col");
}

/// --logprob: the events' features and conditional values. A loaded flow's file records the
/// feature columns it learned (`trained`): they are the default, and other columns are refused.
std::pair<Matrix, Matrix> logprob_events(const DensityOptions& o, const ModelColumns& trained) {
    const io::Table t = read_events(o.logprob, "--logprob");
    const Matrix m = select_columns(t, {static_cast<Index>(o.cond_col)}, o.logprob, "--cond-col");
    const std::vector<Index> cols = o.features.empty() && !trained.empty()
                                        ? std::vector<Index>(trained.index.begin(), trained.index.end())
                                        : feature_columns(o, t.data.cols());
    const Matrix X = select_columns(t, cols, o.logprob, "--features");
    if (!o.load_model.empty()) require_model_columns(trained, model_columns_of(t, cols), o.load_model);
    return {X, m};
}

/// Fits `maf` (made with `p`) to --train; returns the columns learned (recorded with --save-model).
ModelColumns train(const DensityOptions& o, const MafParams& p, ConditionalMaf& maf, double& train_seconds) {
    const io::Table t = read_events(o.train, "--train");
    const std::vector<Index> cols = feature_columns(o, t.data.cols());
    if (cols.empty()) throw usage_error("--features: no feature columns");
    for (Index c : cols)
        if (c == o.cond_col) throw usage_error("--features: column " + std::to_string(c) + " is the --cond-col");
    const Matrix m = select_columns(t, {static_cast<Index>(o.cond_col)}, o.train, "--cond-col");
    const Matrix X = select_columns(t, cols, o.train, "--features");
    if (p.hidden < X.cols())
        throw usage_error("--hidden " + std::to_string(p.hidden) + " is smaller than the number of features (" +
                          std::to_string(X.cols()) + ")");
    auto bar = std::make_shared<ProgressLine>(o.common.progress, "epochs");
    maf.set_progress([bar](const FlowEpochReport& r) { bar->update(r.epoch, r.max_epochs); });
    const auto t0 = std::chrono::steady_clock::now();
    maf.fit(X, m, o.common.seed);
    train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return model_columns_of(t, cols);
}

json summary(const FlowHistory& h, double train_seconds) {
    double epoch_seconds = 0.0;
    for (double s : h.epoch_seconds) epoch_seconds += s;
    if (!h.epoch_seconds.empty()) epoch_seconds /= static_cast<double>(h.epoch_seconds.size());
    json j{{"epochs", h.epochs_run},
           {"epoch_seconds", epoch_seconds},
           {"best_epoch", h.best_epoch},
           {"best_val_nll", std::isfinite(h.best_val_loss) ? json(h.best_val_loss) : json(nullptr)},
           {"train_seconds", train_seconds}};
    return j;
}

void run(const DensityOptions& o) {
    check_flags(o);
    const MafParams p = maf_params(o);
    // ---- inputs, read and checked before training
    const Matrix sample_m = o.sample_cond.empty() ? Matrix() : sample_conditions(o);
    const ModelColumns trained = o.load_model.empty() ? ModelColumns{} : model_columns(o.load_model);
    const auto [lp_X, lp_m] = o.logprob.empty() ? std::pair<Matrix, Matrix>() : logprob_events(o, trained);

    ConditionalMaf maf(p);
    double train_seconds = 0.0;
    ModelColumns columns;   // recorded with --save-model
    if (!o.load_model.empty()) {
        maf = ConditionalMaf::load(o.load_model);
        maf.set_threads(o.common.threads);
    } else {
        columns = train(o, p, maf, train_seconds);
    }
    if (!o.logprob.empty() && lp_X.cols() != maf.n_features())
        throw usage_error("--features: the model takes " + std::to_string(maf.n_features()) + " features, " +
                          std::to_string(lp_X.cols()) + " selected");

    // ---- results, then files
    Matrix samples;
    if (!o.sample_cond.empty()) {
        Rng rng(derive_seed(o.common.seed, 100));
        samples = maf.sample(sample_m, rng);
    }
    Vector logp;
    if (!o.logprob.empty()) logp = maf.log_prob(lp_X, lp_m);
    if (!o.save_model.empty()) maf.save(o.save_model, columns);
    if (!o.out.empty()) io::write_npy(o.out, samples);
    if (!o.logprob_out.empty()) io::write_npy(o.logprob_out, logp);

    emit(summary(maf.history(), train_seconds));
}

}  // namespace

Subcommand add_density(CLI::App& app) {
    auto o = std::make_shared<DensityOptions>();
    CLI::App* sub = app.add_subcommand("density", "Conditional density estimation p(x | m) with a MAF normalizing flow (CATHODE)");
    sub->add_option("--train", o->train, "Training events (.npy or .csv)");
    sub->add_option("--features", o->features, "Comma-separated 0-based feature columns (default: all but --cond-col)");
    sub->add_option("--cond-col", o->cond_col, "Column of the conditional value m (e.g. mjj)");
    sub->add_option("--blocks", o->blocks, "MADE blocks")->capture_default_str();
    sub->add_option("--hidden", o->hidden, "Hidden units per MADE layer")->capture_default_str();
    sub->add_option("--epochs", o->epochs, "Training epochs")->capture_default_str();
    sub->add_option("--batch-size", o->batch_size, "Minibatch size")->capture_default_str();
    sub->add_option("--lr", o->lr, "Adam learning rate")->capture_default_str();
    sub->add_option("--weight-decay", o->weight_decay, "Adam weight decay (L2 added to the gradient)")->capture_default_str();
    sub->add_option("--batch-norm", o->batch_norm, "Batch-norm transforms between blocks: on|off")->capture_default_str();
    sub->add_option("--val-fraction", o->val_fraction, "Fraction of --train held out for best-epoch selection")
        ->capture_default_str();
    sub->add_option("--average-best", o->average_best,
                    "Keep the N epochs of lowest validation loss and average them (CATHODE: 10)")
        ->capture_default_str();
    sub->add_option("--patience", o->patience,
                    "Stop after N epochs without a lower validation loss (0: train all --epochs)")
        ->capture_default_str();
    sub->add_option("--min-delta", o->min_delta, "A lower validation loss counts when it is lower by more than this (nats)")
        ->capture_default_str();
    sub->add_option("--permutation", o->permutation, "Order between blocks: reverse|random")->capture_default_str();
    sub->add_option("--sample-cond", o->sample_cond, "Conditional values to sample at (1-D, or see --sample-cond-col)");
    sub->add_option("--sample-cond-col", o->sample_cond_col, "Column of --sample-cond holding the conditional values");
    sub->add_option("--out", o->out, "Output .npy: one sample per conditional value, columns in --features order");
    sub->add_option("--logprob", o->logprob, "Events whose log-density to compute (same column layout as --train)");
    sub->add_option("--logprob-out", o->logprob_out,
                    "Output .npy: log p(x | m) per row of --logprob, in the units of the features (-inf outside the "
                    "fitted range)");
    sub->add_option("--save-model", o->save_model, "Save the trained flow");
    sub->add_option("--load-model", o->load_model, "Use a saved flow instead of training (no --train)");
    add_common_options(*sub, o->common);
    return {sub, [o] { run(*o); }};
}

namespace {
const SubcommandRegistration registration(40, "density", add_density);
}  // namespace

}  // namespace resanom::cli::density_cmd
