// tools/resanom/score.cpp — `resanom score --model ae`: unsupervised anomaly scores from the
// autoencoder ensemble of Collins et al. 2021, §3.2 (models/mlp/autoencoder.hpp), as docs/cli.md
// specifies. Every flag and file is checked before training starts, and --out is written only
// after everything has succeeded, so bad input leaves nothing behind.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "nn_common.hpp"
#include "resanom/io/npy.hpp"
#include "resanom/io/table.hpp"
#include "resanom/models/mlp/autoencoder.hpp"

// One namespace per subcommand, so that the tool's files can be compiled as one unit.
namespace resanom::cli::score_cmd {

namespace {

struct ScoreOptions {
    CommonOptions common;
    std::string model = "ae";
    std::string train, apply, out, features;
    std::string hidden = "512,512";
    long long latent = 2;
    int epochs = 1;
    long long batch_size = 128;
    double lr = 1e-4;
    int ensemble = 50;
    long long subsample = 50000;
    std::string save_model, load_model;
};

void run(const ScoreOptions& o) {
    if (o.model != "ae") throw usage_error("--model: unknown model '" + o.model + "' (score supports: ae)");
    require_output_path(o.out, "--out");
    if (io::format_of(o.out) != io::FileFormat::npy) throw usage_error("--out " + o.out + ": scores are written as .npy");
    if (!o.save_model.empty()) require_output_path(o.save_model, "--save-model");
    if (o.load_model.empty() && o.train.empty()) throw usage_error("--train is required (or --load-model)");
    if (!o.load_model.empty() && !o.train.empty()) throw usage_error("--train and --load-model exclude each other");
    if (o.latent <= 0) throw usage_error("--latent must be > 0, got " + std::to_string(o.latent));
    if (o.epochs <= 0) throw usage_error("--epochs must be > 0, got " + std::to_string(o.epochs));
    if (o.batch_size <= 0) throw usage_error("--batch-size must be > 0, got " + std::to_string(o.batch_size));
    if (!(o.lr > 0.0 && std::isfinite(o.lr))) throw usage_error("--lr must be finite and > 0");
    if (o.ensemble <= 0) throw usage_error("--ensemble must be > 0, got " + std::to_string(o.ensemble));
    if (o.subsample <= 0) throw usage_error("--subsample must be > 0, got " + std::to_string(o.subsample));

    AutoencoderEnsembleParams p;
    p.member.hidden = parse_widths(o.hidden, "--hidden");
    p.member.latent = static_cast<Index>(o.latent);
    p.member.epochs = o.epochs;
    p.member.batch_size = static_cast<Index>(o.batch_size);
    p.member.adam.learning_rate = o.lr;
    p.ensemble = o.ensemble;
    p.subsample = static_cast<Index>(o.subsample);
    p.threads = o.common.threads;

    const io::Table apply_table = read_events(o.apply, "--apply");
    std::vector<Index> cols;
    if (!o.features.empty()) cols = parse_columns(o.features, "--features");

    AutoencoderEnsemble ae(p);
    double train_seconds = 0.0;
    ModelColumns columns;   // recorded with --save-model
    if (!o.load_model.empty()) {
        ae = AutoencoderEnsemble::load(o.load_model);
        const ModelColumns trained = model_columns(o.load_model);
        if (cols.empty() && !trained.empty()) cols.assign(trained.index.begin(), trained.index.end());
        if (cols.empty())
            for (Index j = 0; j < apply_table.data.cols(); ++j) cols.push_back(j);
        require_model_columns(trained, model_columns_of(apply_table, cols), o.load_model);
    } else {
        const io::Table train_table = read_events(o.train, "--train");
        if (cols.empty())
            for (Index j = 0; j < train_table.data.cols(); ++j) cols.push_back(j);
        const Matrix X = select_columns(train_table, cols, o.train, "--features");
        columns = model_columns_of(train_table, cols);
        auto bar = std::make_shared<ProgressLine>(o.common.progress, "autoencoders trained");
        ae.set_progress([bar](int done, int total) { bar->update(done, total); });
        const auto t0 = std::chrono::steady_clock::now();
        ae.fit(X, o.common.seed);
        train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    const Matrix A = select_columns(apply_table, cols, o.apply, "--features");
    if (A.cols() != ae.members()[0].network().in_width())
        throw usage_error("--features: the model takes " + std::to_string(ae.members()[0].network().in_width()) +
                          " features, " + std::to_string(A.cols()) + " selected");
    const Vector scores = ae.score(A);

    if (!o.save_model.empty()) ae.save(o.save_model, columns);
    io::write_npy(o.out, scores);
    emit(json{{"model", "ae"}, {"ensemble", ae.members().size()}, {"train_seconds", train_seconds}, {"fvu", ae.fvu()}});
}

}  // namespace

Subcommand add_score(CLI::App& app) {
    auto o = std::make_shared<ScoreOptions>();
    CLI::App* sub = app.add_subcommand("score", "Unsupervised anomaly scores: autoencoder ensemble (Collins et al. 2021, §3.2)");
    sub->add_option("--model", o->model, "Scoring model: ae (autoencoder ensemble)")->capture_default_str();
    sub->add_option("--train", o->train, "Training events (.npy or .csv), background-dominated");
    sub->add_option("--features", o->features, "Comma-separated 0-based feature columns (default: all)");
    sub->add_option("--apply", o->apply, "Events to score (same column layout)")->required();
    sub->add_option("--out", o->out, "Output .npy: one float64 score per row of --apply (higher = more anomalous)")
        ->required();
    sub->add_option("--hidden", o->hidden, "Encoder hidden widths; the decoder mirrors them (Collins et al. 2021, §3.2)")
        ->capture_default_str();
    sub->add_option("--latent", o->latent, "Latent width (Collins et al. 2021, App. C)")->capture_default_str();
    sub->add_option("--epochs", o->epochs, "Epochs per member (Collins et al. 2021: 1)")->capture_default_str();
    sub->add_option("--batch-size", o->batch_size, "Minibatch size")->capture_default_str();
    sub->add_option("--lr", o->lr, "Adam learning rate")->capture_default_str();
    sub->add_option("--ensemble", o->ensemble, "Ensemble members")->capture_default_str();
    sub->add_option("--subsample", o->subsample, "Training events per member, drawn at random (all if fewer)")
        ->capture_default_str();
    sub->add_option("--save-model", o->save_model, "Save the trained ensemble");
    sub->add_option("--load-model", o->load_model, "Score with a saved ensemble instead of training (no --train)");
    add_common_options(*sub, o->common);
    return {sub, [o] { run(*o); }};
}

namespace {
const SubcommandRegistration registration(30, "score", add_score);
}  // namespace

}  // namespace resanom::cli::score_cmd
