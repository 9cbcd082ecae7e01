// resanom/models/mlp/autoencoder.hpp — the unsupervised anomaly score of Collins et al. 2021, §3.2:
// Autoencoder (one network; score = per-event reconstruction MSE in standardized units) and
// AutoencoderEnsemble (Ensemble<Autoencoder> with the paper's settings), both Scorers, and the
// choice of the latent size by the fraction of variance unexplained (App. C, select_latent_by_fvu).
// docs/models/autoencoder.md explains the architecture, the ensemble and the FVU.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/parallel.hpp"
#include "resanom/core/preprocess.hpp"
#include "resanom/core/random.hpp"
#include "resanom/models/ensemble.hpp"
#include "resanom/models/serialization.hpp"
#include "resanom/models/nn/adam.hpp"
#include "resanom/models/mlp/loss.hpp"
#include "resanom/models/mlp/network.hpp"
#include "resanom/models/mlp/serialize.hpp"
#include "resanom/models/mlp/trainer.hpp"

namespace resanom {

/// Hyperparameters of one autoencoder; defaults from Collins et al. 2021, §3.2 (and App. C for the
/// latent size).
struct AutoencoderParams {
    std::vector<Index> hidden = {512, 512};  ///< encoder widths; the decoder mirrors them (Collins et al. 2021, §3.2)
    Index latent = 2;                        ///< Collins et al. 2021, §3.2, chosen by FVU in App. C
    bool batch_norm = true;                  ///< after the first encoder hidden layer (Collins et al. 2021, §3.2)
    int epochs = 1;                          ///< Collins et al. 2021, §3.2: one epoch per member
    Index batch_size = 128;                  ///< Collins et al. 2021, §3.2
    /// Collins et al. 2021, §3.2: Adam, lr 1e-4, β (0.9, 0.999); ε = 1e-8, PyTorch's default
    /// (Collins et al. 2021 used PyTorch).
    nn::AdamOptions adam{1e-4, 0.9, 0.999, 1e-8, 0.0, 0.0};
    double clip_norm = 0.0;
    unsigned threads = 1;                    ///< threads for one member's training and scoring

    void validate() const {
        for (Index h : hidden) resanom::detail::require(h > 0, "AutoencoderParams: hidden widths must be > 0, got " + std::to_string(h));
        resanom::detail::require(latent > 0, "AutoencoderParams: latent width must be > 0, got " + std::to_string(latent));
        resanom::detail::require(epochs >= 1, "AutoencoderParams: epochs must be >= 1, got " + std::to_string(epochs));
        resanom::detail::require(batch_size >= 1, "AutoencoderParams: batch size must be >= 1, got " + std::to_string(batch_size));
        resanom::detail::require(clip_norm >= 0.0, "AutoencoderParams: clip_norm must be >= 0");
        adam.validate();
    }

    std::vector<nn::LayerSpec> layers() const {
        std::vector<nn::LayerSpec> L;
        for (std::size_t i = 0; i < hidden.size(); ++i) {
            L.push_back(nn::dense(hidden[i]));
            L.push_back(nn::relu());
            if (i == 0 && batch_norm) L.push_back(nn::batch_norm());
        }
        L.push_back(nn::dense(latent));
        L.push_back(nn::identity());
        for (std::size_t i = hidden.size(); i-- > 0;) {
            L.push_back(nn::dense(hidden[i]));
            L.push_back(nn::relu());
        }
        L.push_back(nn::dense(0));  // as wide as the input
        return L;
    }
};

/// One autoencoder with its network in precision S (Autoencoder: float). A template, so that a
/// translation unit that only names the type does not compile the network's kernels.
template <class S>
class BasicAutoencoder {
public:
    using Scalar = S;

    BasicAutoencoder() = default;
    explicit BasicAutoencoder(AutoencoderParams p) : p_(std::move(p)) { p_.validate(); }

    void fit(const Matrix& X, std::uint64_t seed) {
        p_.validate();
        resanom::detail::require(X.rows() > 0 && X.cols() > 0, "Autoencoder::fit: no events or no features");
        resanom::detail::require_finite(X, "Autoencoder::fit: features");
        Standardizer st;
        st.fit(X);
        nn::Dataset<Scalar> d;
        d.X = st.transform(X).transpose().cast<Scalar>();
        d.T = d.X;
        d.w.setOnes(X.rows());
        nn::Network<Scalar> net(p_.layers());
        net.build(X.cols(), derive_seed(seed, 1));
        nn::TrainOptions o;
        o.epochs = p_.epochs;
        o.batch_size = p_.batch_size;
        o.clip_norm = p_.clip_norm;
        nn::Adam<Scalar> adam(p_.adam);
        BasicAutoencoder fitted(p_);
        fitted.history_ = nn::train(net, adam, d, nullptr, nn::Mse(), o, derive_seed(seed, 2), &shared_pool(p_.threads));
        fitted.net_ = std::move(net);
        fitted.st_ = std::move(st);
        fitted.training_fvu_ = fitted.fvu_or_nan(X);
        *this = std::move(fitted);
    }

    /// The reconstruction of each row of X, in the units of X.
    Matrix reconstruct(const Matrix& X) const { return st_.inverse(run(X, nullptr)); }

    /// Per-event reconstruction MSE in standardized units (higher = more anomalous).
    Vector score(const Matrix& X) const {
        Vector s(X.rows());
        run(X, &s);
        return s;
    }

    /// Fraction of variance unexplained on X (Collins et al. 2021, eq. C.2, in standardized units).
    double fvu(const Matrix& X) const {
        const double f = fvu_or_nan(X);
        resanom::detail::require(!std::isnan(f), "Autoencoder::fvu: the data have no variance");
        return f;
    }

    /// The FVU on the events the autoencoder was fitted on (NaN when they had no variance).
    double training_fvu() const noexcept { return training_fvu_; }

    bool fitted() const noexcept { return net_.built(); }
    Index n_features() const noexcept { return net_.built() ? net_.in_width() : 0; }
    const AutoencoderParams& params() const noexcept { return p_; }
    const nn::Network<Scalar>& network() const noexcept { return net_; }
    const Standardizer& standardizer() const noexcept { return st_; }
    const nn::TrainHistory& history() const noexcept { return history_; }

    static constexpr std::string_view kind = "autoencoder";

    void write(ModelWriter& w) const {
        resanom::detail::require(fitted(), "Autoencoder: not fitted");
        nn::write_standardizer(w, st_);
        nn::write_network(w, net_);
        w.put<double>(training_fvu_);
    }
    static BasicAutoencoder read(ModelReader& r) {
        BasicAutoencoder a;
        a.st_ = nn::read_standardizer(r);
        a.net_ = nn::read_network<Scalar>(r);
        if (a.net_.in_width() != a.st_.mean().size() || a.net_.out_width() != a.net_.in_width())
            r.fail("the stored network is not an autoencoder of the stored features");
        a.training_fvu_ = r.get<double>();
        return a;
    }
    void save(const std::string& path, const ModelColumns& columns = {}) const { save_model(*this, path, columns); }
    static BasicAutoencoder load(const std::string& path) { return load_model<BasicAutoencoder>(path); }

private:
    // The FVU on X, NaN when X has no variance.
    double fvu_or_nan(const Matrix& X) const {
        check(X);
        const Matrix Z = st_.transform(X);
        const Matrix R = run(X, nullptr);
        const double den = (Z.rowwise() - Z.colwise().mean()).squaredNorm();
        return den > 0.0 ? (Z - R).squaredNorm() / den : std::numeric_limits<double>::quiet_NaN();
    }

    void check(const Matrix& X) const {
        resanom::detail::require(fitted(), "Autoencoder: not fitted");
        resanom::detail::require(X.cols() == net_.in_width(), "Autoencoder: X has " + std::to_string(X.cols()) +
                                                                  " features, the autoencoder was trained on " +
                                                                  std::to_string(net_.in_width()));
        resanom::detail::require_finite(X, "Autoencoder: features");
    }

    // Reconstruction in standardized units (n × d); with `mse`, the per-event MSE instead.
    Matrix run(const Matrix& X, Vector* mse) const {
        check(X);
        const nn::Mat<Scalar> in = st_.transform(X).transpose().cast<Scalar>();
        const Index n = X.rows(), block = 1024;
        Matrix R = mse != nullptr ? Matrix() : Matrix(n, X.cols());
        if (n == 0) return R;
        nn::Workspace<Scalar> ws(net_, std::min(block, n));
        const nn::Mse loss;
        for (Index s = 0; s < n; s += block) {
            const Index m = std::min(block, n - s);
            ws.input(m) = in.middleCols(s, m);
            nn::forward(net_, ws, m, nn::Mode::infer);
            if (mse != nullptr)
                loss.per_event<Scalar>(ws.output(m), in.middleCols(s, m), mse->segment(s, m));
            else
                R.middleRows(s, m) = ws.output(m).transpose().template cast<double>();
        }
        return R;
    }

    AutoencoderParams p_{};
    nn::Network<Scalar> net_;
    Standardizer st_;
    nn::TrainHistory history_;
    double training_fvu_ = 0.0;
};

using Autoencoder = BasicAutoencoder<float>;

/// Ensemble settings; defaults from Collins et al. 2021, §3.2.
struct AutoencoderEnsembleParams {
    AutoencoderParams member{};
    int ensemble = 50;        ///< Collins et al. 2021, §3.2: fifty members
    Index subsample = 50000;  ///< Collins et al. 2021, §3.2: each on a random subsample of 50 000 events (all if fewer)
    unsigned threads = 0;     ///< members train in parallel (0: all cores); results do not depend on it

    void validate() const {
        member.validate();
        resanom::detail::require(ensemble >= 1, "AutoencoderEnsemble: ensemble size must be >= 1, got " + std::to_string(ensemble));
        resanom::detail::require(subsample >= 1, "AutoencoderEnsemble: subsample must be >= 1, got " + std::to_string(subsample));
    }
};

/// Ensemble<Autoencoder> with the settings of AutoencoderEnsembleParams: `ensemble` members, each on
/// a random subsample of `subsample` events (member k: Ensemble::fit's seeds), scored by the mean of
/// the members' per-event MSE.
template <class S>
class BasicAutoencoderEnsemble : public Ensemble<BasicAutoencoder<S>> {
    using Base = Ensemble<BasicAutoencoder<S>>;

public:
    BasicAutoencoderEnsemble() : BasicAutoencoderEnsemble(AutoencoderEnsembleParams{}) {}
    explicit BasicAutoencoderEnsemble(AutoencoderEnsembleParams p)
        : Base(BasicAutoencoder<S>(checked(p).member), p.ensemble, p.threads), p_(std::move(p)) {
        this->set_subsample(p_.subsample);
    }

    /// Mean over members of the FVU on each member's training subsample (Collins et al. 2021, App. C).
    double fvu() const {
        resanom::detail::require(this->fitted(), "AutoencoderEnsemble::fvu: not fitted");
        double f = 0.0;
        for (const auto& m : this->members()) f += m.training_fvu();
        return f / static_cast<double>(this->members().size());
    }
    /// Mean over members of the FVU on X.
    double fvu(const Matrix& X) const {
        resanom::detail::require(this->fitted(), "AutoencoderEnsemble::fvu: not fitted");
        double f = 0.0;
        for (const auto& m : this->members()) f += m.fvu(X);
        return f / static_cast<double>(this->members().size());
    }

    const AutoencoderEnsembleParams& params() const noexcept { return p_; }

    /// Loads an ensemble saved by save() (members' hyperparameters as stored; the ensemble size
    /// from the file).
    static BasicAutoencoderEnsemble load(const std::string& path) {
        BasicAutoencoderEnsemble e;
        static_cast<Base&>(e) = Base::load(path, e.p_.threads);
        e.set_subsample(e.p_.subsample);
        e.p_.ensemble = e.size();
        return e;
    }

private:
    static const AutoencoderEnsembleParams& checked(const AutoencoderEnsembleParams& p) {
        p.validate();
        return p;
    }
    AutoencoderEnsembleParams p_{};
};

using AutoencoderEnsemble = BasicAutoencoderEnsemble<float>;

static_assert(Scorer<AutoencoderEnsemble>);
static_assert(Scorer<Autoencoder>);

/// How select_latent_by_fvu chooses (Collins et al. 2021, App. C).
struct LatentSelectionParams {
    Index max_latent = 6;  ///< latent sizes tried: 1 … max_latent
    /// A latent dimension is kept when it lowers the FVU by more than factor/n, n the number of
    /// features: App. C asks for "significantly more than 1/n" (a decrease of 1/n is what memorizing
    /// one more input feature gives); resanom's reading of "significantly" is 1.5.
    double factor = 1.5;
    int trainings = 10;    ///< App. C: ten models per size, their FVU averaged

    void validate() const {
        resanom::detail::require(max_latent >= 1, "select_latent_by_fvu: max_latent must be >= 1");
        resanom::detail::require(factor > 0.0 && std::isfinite(factor), "select_latent_by_fvu: factor must be > 0");
        resanom::detail::require(trainings >= 1, "select_latent_by_fvu: trainings must be >= 1");
    }
};

/// The outcome of select_latent_by_fvu.
struct LatentSelection {
    Index latent = 1;         ///< the chosen latent size
    std::vector<double> fvu;  ///< mean FVU on X of the trial autoencoders with latent 1, 2, …, max_latent
    double threshold = 0.0;   ///< factor/n: the FVU decrease a kept dimension exceeds
};

/// The latent size of the autoencoder chosen by the fraction of variance unexplained (Collins et
/// al. 2021, App. C, eq. C.2): for L = 1, 2, …, `trainings` autoencoders of `base` with latent L
/// (each on its random subsample, as the ensemble's members) are trained and their FVU on all of X
/// averaged; L grows while adding a dimension lowers the FVU by more than factor/n. Unsupervised:
/// it sees the features only. Size L is seeded with derive_seed(seed, L).
template <class S = float>
LatentSelection select_latent_by_fvu(const Matrix& X, const AutoencoderEnsembleParams& base,
                                            const LatentSelectionParams& sel = {}, std::uint64_t seed = 0) {
    sel.validate();
    resanom::detail::require(X.rows() > 0 && X.cols() > 0, "select_latent_by_fvu: no events or no features");
    LatentSelection out;
    out.threshold = sel.factor / static_cast<double>(X.cols());
    bool growing = true;
    for (Index L = 1; L <= sel.max_latent; ++L) {
        AutoencoderEnsembleParams p = base;
        p.member.latent = L;
        p.ensemble = sel.trainings;
        BasicAutoencoderEnsemble<S> trial(p);
        trial.fit(X, derive_seed(seed, static_cast<std::uint64_t>(L)));
        out.fvu.push_back(trial.fvu(X));
        if (L > 1 && growing) {
            if (out.fvu[static_cast<std::size_t>(L) - 2] - out.fvu[static_cast<std::size_t>(L) - 1] > out.threshold)
                out.latent = L;
            else
                growing = false;
        }
    }
    return out;
}

}  // namespace resanom
