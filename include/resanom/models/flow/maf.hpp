// resanom/models/flow/maf.hpp — ConditionalMaf, the conditional density estimator p(x | m) of
// CATHODE (Golling et al. 2024, §2; Das et al. 2024, §2.2.3): the masked autoregressive flow of
// network.hpp behind the logit-and-standardize preprocessing, trained in the shared loop of
// models/nn/ with CATHODE's averaging over the best epochs; a DensityEstimator, saved in the model
// container. log_prob is in the units of the original features (every Jacobian included) and −∞
// outside the fitted range unless MafParams::out_of_range says otherwise; the flow trains in
// single precision. docs/models/flow.md explains units, ranges and the averaging.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/parallel.hpp"
#include "resanom/core/preprocess.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/types.hpp"
#include "resanom/models/flow/network.hpp"
#include "resanom/models/nn/adam.hpp"
#include "resanom/models/nn/train_loop.hpp"
#include "resanom/models/serialization.hpp"

namespace resanom {

/// What log_prob does with features outside the fitted range (see the header comment).
enum class OutOfRangeLogProb : std::uint8_t { minus_infinity = 0, error = 1, clip = 2 };

/// The flow reports its epochs as every network does (train_loss, val_loss: mean negative
/// log-likelihood in nats per event, in the units of the original features).
using FlowEpochReport = nn::EpochReport;
/// Hyperparameters; defaults are the CATHODE reference configuration (the CATHODE
/// authors' public code: 15 MADE blocks, 128 hidden, ReLU, batch norm, reversed order, Adam 1e-4,
/// weight decay 1e-6, batch 256, 100 epochs); the validation fraction is the tool's.
struct MafParams {
    int blocks = 15;
    Index hidden = 128;
    bool batch_norm = true;
    flow::Permutation permutation = flow::Permutation::reverse;
    double log_scale_clamp = 3.0;  ///< s = c·tanh(s̃/c): each block scales by at most e^c
    int epochs = 100;
    Index batch_size = 256;
    double learning_rate = 1e-4;
    double weight_decay = 1e-6;  ///< L2 added to the gradient (torch.optim.Adam's weight_decay)
    double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_epsilon = 1e-8;  ///< PyTorch's defaults
    double val_fraction = 0.2;  ///< the tool's --val-fraction default
    int average_best = 1;       ///< keep the N best epochs and average them (CATHODE: 10)
    /// Stop after this many epochs without a lower validation loss (0: train all `epochs`, as the
    /// CATHODE reference does); needs a validation set (val_fraction > 0).
    int patience = 0;
    double min_delta = 0.0;  ///< an improvement must lower the validation loss by more than this (nats)
    double logit_margin = 1e-3;
    OutOfRangeLogProb out_of_range = OutOfRangeLogProb::minus_infinity;
    unsigned threads = 0;  ///< 0: all cores; results do not depend on it
    Index chunks = 2;      ///< column chunks per minibatch (parallel units; fixed for reproducibility)
    nn::EpochCallback progress;

    void validate() const {
        const auto req = [](bool ok, const std::string& what) { detail::require(ok, "MafParams: " + what); };
        req(blocks >= 1, "blocks must be >= 1, got " + std::to_string(blocks));
        req(hidden >= 1, "hidden must be >= 1, got " + std::to_string(hidden));
        req(log_scale_clamp > 0.0 && std::isfinite(log_scale_clamp), "log_scale_clamp must be finite and > 0");
        req(epochs >= 1, "epochs must be >= 1, got " + std::to_string(epochs));
        req(batch_size >= 2, "batch size must be >= 2, got " + std::to_string(batch_size));
        req(learning_rate > 0.0 && std::isfinite(learning_rate), "learning rate must be finite and > 0");
        req(weight_decay >= 0.0 && std::isfinite(weight_decay), "weight decay must be finite and >= 0");
        req(adam_beta1 >= 0.0 && adam_beta1 < 1.0 && adam_beta2 >= 0.0 && adam_beta2 < 1.0, "Adam betas must lie in [0, 1)");
        req(adam_epsilon > 0.0 && std::isfinite(adam_epsilon), "Adam epsilon must be finite and > 0");
        req(val_fraction >= 0.0 && val_fraction < 1.0, "val_fraction must lie in [0, 1), got " + std::to_string(val_fraction));
        req(average_best >= 1, "average_best must be >= 1, got " + std::to_string(average_best));
        req(patience >= 0, "patience must be >= 0, got " + std::to_string(patience));
        req(patience == 0 || val_fraction > 0.0, "patience needs a validation set (val_fraction > 0)");
        req(min_delta >= 0.0 && std::isfinite(min_delta), "min_delta must be finite and >= 0");
        req(logit_margin > 0.0 && logit_margin < 0.5, "logit margin must lie in (0, 0.5)");
        req(chunks >= 1, "chunks must be >= 1");
    }
};

/// What a training run did (losses in nats per event; kept_epochs: the averaged flows' epochs).
using FlowHistory = nn::TrainHistory;

/// The flow in precision S (ConditionalMaf: float, as the PyTorch reference). A template, so that a
/// translation unit that only names the type does not compile the flow's kernels.
template <class Precision>
class BasicConditionalMaf {
public:
    using Scalar = Precision;
    using Net = flow::FlowNet<Scalar>;
    /// The kind in model files (models/serialization.hpp).
    static constexpr const char* kind = "flow/maf";

    explicit BasicConditionalMaf(MafParams p = {}) : p_(std::move(p)) { p_.validate(); }

    const MafParams& params() const noexcept { return p_; }
    /// Sets the progress callback (not saved with the model).
    void set_progress(nn::EpochCallback f) { p_.progress = std::move(f); }
    /// Sets the number of threads (not saved with the model; results do not depend on it).
    void set_threads(unsigned threads) noexcept { p_.threads = threads; }
    bool fitted() const noexcept { return !flows_.empty(); }
    const FlowHistory& history() const noexcept { return history_; }
    const std::vector<Net>& flows() const noexcept { return flows_; }
    Index n_features() const noexcept { return fitted() ? flows_[0].d() : 0; }
    Index n_conditional() const noexcept { return fitted() ? flows_[0].k() : 0; }
    /// The preprocessing: logit of the min-max scaled features, then standardization.
    const LogitScaler& logit() const noexcept { return logit_; }
    const Standardizer& standardizer() const noexcept { return zstd_; }
    /// The standardization of the conditional values.
    const Standardizer& conditional_standardizer() const noexcept { return cond_; }

    /// Learns p(x | m) from X (n × d) and m (n × k).
    void fit(const Matrix& X, const Matrix& m, std::uint64_t seed) {
        check_inputs(X, m, "ConditionalMaf::fit");
        const Index n = X.rows(), d = X.cols(), k = m.cols();
        detail::require(p_.hidden >= d, "ConditionalMaf::fit: hidden (" + std::to_string(p_.hidden) +
                                            ") must be at least the number of features (" + std::to_string(d) + ")");
        const Index n_val = static_cast<Index>(std::llround(p_.val_fraction * static_cast<double>(n)));
        detail::require(p_.val_fraction == 0.0 || n_val >= 1,
                        "ConditionalMaf::fit: " + std::to_string(n) + " events leave no validation events");
        const Index n_train = n - n_val;
        detail::require(n_train >= 2, "ConditionalMaf::fit: need at least 2 training events, have " + std::to_string(n_train));
        const auto t_start = std::chrono::steady_clock::now();

        LogitScaler logit(p_.logit_margin);
        logit.fit(X);
        const Matrix L = logit.transform(X);
        Standardizer zstd;
        zstd.fit(L);
        Standardizer cond;
        cond.fit(m);
        const Matrix Zall = zstd.transform(L);
        const Vector logj = logit.log_abs_det_jacobian(X).array() + zstd.log_abs_det_jacobian();
        const Matrix Mall = cond.transform(m);

        std::vector<Index> order(static_cast<std::size_t>(n));
        std::iota(order.begin(), order.end(), Index{0});
        Rng split_rng(derive_seed(seed, 0));
        shuffle(order.begin(), order.end(), split_rng);
        const auto take = [&](Index begin, Index count, flow::Mat<Scalar>& Z, flow::Mat<Scalar>& M, double& mean_logj) {
            Z.resize(d, count);
            M.resize(k, count);
            mean_logj = 0.0;
            for (Index j = 0; j < count; ++j) {
                const Index e = order[static_cast<std::size_t>(begin + j)];
                Z.col(j) = Zall.row(e).transpose().template cast<Scalar>();
                M.col(j) = Mall.row(e).transpose().template cast<Scalar>();
                mean_logj += logj[e];
            }
            if (count > 0) mean_logj /= static_cast<double>(count);
        };
        flow::Mat<Scalar> Ztr, Mtr, Zva, Mva;
        double logj_tr = 0.0, logj_va = 0.0;
        take(0, n_train, Ztr, Mtr, logj_tr);
        take(n_train, n_val, Zva, Mva, logj_va);

        flow::FlowShape shape;
        shape.made = flow::MadeShape{d, k, p_.hidden, p_.log_scale_clamp};
        shape.blocks = p_.blocks;
        shape.batch_norm = p_.batch_norm;
        Net net(shape, p_.permutation, derive_seed(seed, 1));

        ThreadPool* pool = p_.threads == 1 ? nullptr : &shared_pool(p_.threads);
        const Index B = std::min(p_.batch_size, n_train);
        auto works = net.make_train_work(B, p_.chunks);
        auto task = nn::make_train_task(
            net, n_train, n_val > 0, 0.0,  // never "always the pool": each epoch times both ways
            [&](const Index* rows, Index nb, std::uint64_t, ThreadPool* p, flow::Vec<Scalar>& grad) {
                return net.loss_and_gradient(Ztr, Mtr, rows, nb, works, grad, p);
            },
            [logj_tr](double sum, Index steps) { return sum / static_cast<double>(steps) - logj_tr; },
            [&](ThreadPool* p) { net.set_batch_norm_statistics(Ztr, Mtr, p); },
            [&](ThreadPool* p) { return -net.log_prob(Zva, Mva, p).mean() - logj_va; });
        nn::TrainOptions o;
        o.epochs = p_.epochs;
        o.batch_size = p_.batch_size;
        o.keep_best = p_.average_best;
        o.patience = p_.patience;
        o.min_delta = p_.min_delta;
        o.min_batch = 2;  // a batch of one has no batch variance
        o.probe_steps = 8;
        o.progress = p_.progress;
        nn::Adam<Scalar> adam(nn::AdamOptions{p_.learning_rate, p_.adam_beta1, p_.adam_beta2, p_.adam_epsilon,
                                             p_.weight_decay, 0.0});
        std::vector<nn::EpochWeights<Scalar>> kept;
        FlowHistory h = nn::train_epochs(task, adam, o, derive_seed(seed, 2), pool, kept, "ConditionalMaf::fit");
        flows_.clear();
        for (auto& s : kept) {
            Net f = net;
            f.params() = std::move(s.params);
            f.state() = std::move(s.state);
            flows_.push_back(std::move(f));
        }
        h.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
        history_ = std::move(h);
        logit_ = std::move(logit);
        zstd_ = std::move(zstd);
        cond_ = std::move(cond);
    }

    /// log p(x_i | m_i) for every row, in the units of X (every preprocessing Jacobian included).
    Vector log_prob(const Matrix& X, const Matrix& m) const {
        require_fitted("log_prob");
        check_inputs(X, m, "ConditionalMaf::log_prob");
        check_widths(X.cols(), m.cols(), "log_prob");
        const Index n = X.rows();
        Vector out(n);
        if (n == 0) return out;
        std::vector<char> in_range(static_cast<std::size_t>(n), 1);
        Matrix Xc = X;
        if (p_.out_of_range == OutOfRangeLogProb::minus_infinity) {
            for (Index i = 0; i < n; ++i) in_range[static_cast<std::size_t>(i)] = 0;
            for (Index i : logit_.rows_in_range(X)) in_range[static_cast<std::size_t>(i)] = 1;
            for (Index i = 0; i < n; ++i)
                if (!in_range[static_cast<std::size_t>(i)]) Xc.row(i) = logit_.min().transpose();  // placeholder
        }
        const OutOfRange pol = p_.out_of_range == OutOfRangeLogProb::clip ? OutOfRange::clip : OutOfRange::error;
        const Matrix Z = zstd_.transform(logit_.transform(Xc, pol));
        const Vector logj = logit_.log_abs_det_jacobian(Xc, pol).array() + zstd_.log_abs_det_jacobian();
        const flow::Mat<Scalar> Zf = Z.transpose().template cast<Scalar>();
        const flow::Mat<Scalar> Mf = cond_.transform(m).transpose().template cast<Scalar>();
        ThreadPool* pool = p_.threads == 1 ? nullptr : &shared_pool(p_.threads);
        Vector acc;
        const double S = static_cast<double>(flows_.size());
        if (flows_.size() == 1) {
            acc = flows_[0].log_prob(Zf, Mf, pool);
        } else {  // log of the mean density of the kept flows (log-sum-exp)
            std::vector<Vector> lps;
            for (const auto& f : flows_) lps.push_back(f.log_prob(Zf, Mf, pool));
            acc.resize(n);
            for (Index i = 0; i < n; ++i) {
                double mx = -std::numeric_limits<double>::infinity();
                for (const auto& v : lps) mx = std::max(mx, v[i]);
                double s = 0.0;
                for (const auto& v : lps) s += std::exp(v[i] - mx);
                acc[i] = mx + std::log(s / S);
            }
        }
        for (Index i = 0; i < n; ++i)
            out[i] = in_range[static_cast<std::size_t>(i)] ? acc[i] + logj[i] : -std::numeric_limits<double>::infinity();
        return out;
    }

    /// The flow's base point z = f(x; m) of every row (n × d): the latent space in which LaCATHODE
    /// trains its classifier (Hallin et al. 2023), where the background the flow learned is
    /// N(0, I) at every m. It is the map of the first kept epoch (the lowest validation loss; with
    /// min_delta > 0 and average_best = 1, the last epoch that improved by more than min_delta):
    /// an average of flows has no single latent space.
    /// Features outside the fitted range are clipped into it first (the map is defined only there);
    /// `clipped`, when given, receives the number of rows that were.
    Matrix latent(const Matrix& X, const Matrix& m, Index* clipped = nullptr) const {
        require_fitted("latent");
        check_inputs(X, m, "ConditionalMaf::latent");
        check_widths(X.cols(), m.cols(), "latent");
        const Index n = X.rows();
        if (clipped != nullptr) *clipped = n - static_cast<Index>(logit_.rows_in_range(X).size());
        if (n == 0) return Matrix(0, X.cols());
        const Matrix Z = zstd_.transform(logit_.transform(X, OutOfRange::clip));
        const flow::Mat<Scalar> Zf = Z.transpose().template cast<Scalar>();
        const flow::Mat<Scalar> Mf = cond_.transform(m).transpose().template cast<Scalar>();
        ThreadPool* pool = p_.threads == 1 ? nullptr : &shared_pool(p_.threads);
        return flows_.front().forward(Zf, Mf, pool).transpose().template cast<double>();
    }

    /// One sample x ~ p(x | m_i) per row of m (n × k), in the units of the training features.
    Matrix sample(const Matrix& m, Rng& rng) const {
        require_fitted("sample");
        detail::require(m.cols() == n_conditional(), "ConditionalMaf::sample: the model takes " +
                                                         std::to_string(n_conditional()) + " conditional values, given " +
                                                         std::to_string(m.cols()));
        detail::require_finite(m, "ConditionalMaf::sample: conditional values");
        const Index n = m.rows(), d = n_features();
        if (n == 0) return Matrix(0, d);
        flow::Mat<Scalar> base(d, n);
        for (Index j = 0; j < n; ++j)
            for (Index i = 0; i < d; ++i) base(i, j) = static_cast<Scalar>(normal(rng));
        const flow::Mat<Scalar> Mf = cond_.transform(m).transpose().template cast<Scalar>();
        ThreadPool* pool = p_.threads == 1 ? nullptr : &shared_pool(p_.threads);
        flow::Mat<Scalar> Zf(d, n);
        const Index S = static_cast<Index>(flows_.size());
        if (S == 1) {
            Zf = flows_[0].inverse(base, Mf, pool);
        } else {  // row i from flow i mod S
            for (Index s = 0; s < S; ++s) {
                const Index cnt = (n - s + S - 1) / S;
                if (cnt <= 0) continue;
                flow::Mat<Scalar> bs(d, cnt), ms(Mf.rows(), cnt);
                for (Index j = 0; j < cnt; ++j) {
                    bs.col(j) = base.col(s + j * S);
                    ms.col(j) = Mf.col(s + j * S);
                }
                const flow::Mat<Scalar> zs = flows_[static_cast<std::size_t>(s)].inverse(bs, ms, pool);
                for (Index j = 0; j < cnt; ++j) Zf.col(s + j * S) = zs.col(j);
            }
        }
        return logit_.inverse(zstd_.inverse(Zf.transpose().template cast<double>()));
    }

    // ------------------------------------------------------------------ model files
    void save(const std::string& path, const ModelColumns& columns = {}) const { save_model(*this, path, columns); }
    static BasicConditionalMaf load(const std::string& path) { return load_model<BasicConditionalMaf>(path); }

    void write(ModelWriter& w) const {
        require_fitted("save");
        w.put<std::uint32_t>(payload_version);
        w.put<std::uint32_t>(sizeof(Scalar));
        const Net& f = flows_[0];
        w.put<std::int64_t>(f.d());
        w.put<std::int64_t>(f.k());
        w.put<std::int64_t>(p_.hidden);
        w.put<std::int32_t>(p_.blocks);
        w.put<std::uint8_t>(p_.batch_norm ? 1 : 0);
        w.put<std::uint8_t>(static_cast<std::uint8_t>(p_.permutation));
        w.put<double>(p_.log_scale_clamp);
        w.put<std::int32_t>(p_.epochs);
        w.put<std::int64_t>(p_.batch_size);
        w.put<double>(p_.learning_rate);
        w.put<double>(p_.weight_decay);
        w.put<double>(p_.val_fraction);
        w.put<std::int32_t>(p_.average_best);
        w.put<double>(p_.logit_margin);
        w.put<std::uint8_t>(static_cast<std::uint8_t>(p_.out_of_range));
        const auto vec = [&](const Vector& v) { w.put_vector(std::vector<double>(v.begin(), v.end())); };
        vec(logit_.min());
        vec(logit_.max());
        vec(zstd_.mean());
        vec(zstd_.scale());
        vec(cond_.mean());
        vec(cond_.scale());
        for (const auto& p : f.permutations()) w.put_vector(std::vector<std::int64_t>(p.begin(), p.end()));
        w.put<std::int32_t>(history_.best_epoch);
        w.put<double>(history_.best_val_loss);
        w.put<std::int32_t>(history_.epochs_run);
        w.put<std::uint64_t>(flows_.size());
        for (std::size_t s = 0; s < flows_.size(); ++s) {
            w.put<std::int32_t>(history_.kept_epochs.size() > s ? history_.kept_epochs[s] : 0);
            w.put_vector(std::vector<Scalar>(flows_[s].params().begin(), flows_[s].params().end()));
            w.put_vector(std::vector<Scalar>(flows_[s].state().begin(), flows_[s].state().end()));
        }
    }

    static BasicConditionalMaf read(ModelReader& r) {
        const auto version = r.get<std::uint32_t>();
        r.check(version == payload_version, "flow payload version " + std::to_string(version) + ", this resanom reads " +
                                                std::to_string(payload_version));
        r.check(r.get<std::uint32_t>() == sizeof(Scalar), "flow stored with another floating-point type");
        const auto d = r.get<std::int64_t>(), k = r.get<std::int64_t>();
        MafParams p;
        p.hidden = r.get<std::int64_t>();
        p.blocks = r.get<std::int32_t>();
        p.batch_norm = r.get<std::uint8_t>() != 0;
        const auto perm = r.get<std::uint8_t>();
        r.check(perm <= 1, "unknown permutation kind " + std::to_string(perm));
        p.permutation = static_cast<flow::Permutation>(perm);
        p.log_scale_clamp = r.get<double>();
        p.epochs = r.get<std::int32_t>();
        p.batch_size = r.get<std::int64_t>();
        p.learning_rate = r.get<double>();
        p.weight_decay = r.get<double>();
        p.val_fraction = r.get<double>();
        p.average_best = r.get<std::int32_t>();
        p.logit_margin = r.get<double>();
        const auto oor = r.get<std::uint8_t>();
        r.check(oor <= 2, "unknown out-of-range policy " + std::to_string(oor));
        p.out_of_range = static_cast<OutOfRangeLogProb>(oor);
        r.check(d >= 1 && d <= 100000 && k >= 1 && k <= 100000 && p.hidden >= d && p.hidden <= 1000000 && p.blocks >= 1 &&
                    p.blocks <= 100000,
                "corrupt flow description");
        const auto vec = [&]() {
            const auto v = r.get_vector<double>();
            return Vector(Eigen::Map<const Vector>(v.data(), static_cast<Index>(v.size())));
        };
        BasicConditionalMaf m;
        try {
            p.validate();
            m.p_ = p;
            Vector lo = vec(), hi = vec(), mu = vec(), sc = vec(), cmu = vec(), csc = vec();
            r.check(lo.size() == d && mu.size() == d && cmu.size() == k, "preprocessing of the wrong width");
            r.check(hi.size() == d && sc.size() == d && csc.size() == k, "preprocessing of the wrong width");
            m.logit_ = LogitScaler::from(std::move(lo), std::move(hi), p.logit_margin);
            m.zstd_ = Standardizer::from(std::move(mu), std::move(sc));
            m.cond_ = Standardizer::from(std::move(cmu), std::move(csc));
            std::vector<std::vector<Index>> perms;
            for (int b = 0; b < p.blocks; ++b) {
                const auto v = r.get_vector<std::int64_t>();
                perms.emplace_back(v.begin(), v.end());
            }
            m.history_.best_epoch = r.get<std::int32_t>();
            m.history_.best_val_loss = r.get<double>();
            m.history_.epochs_run = r.get<std::int32_t>();
            const auto nflows = r.get<std::uint64_t>();
            r.check(nflows >= 1 && nflows <= 100000, "corrupt flow count");
            flow::FlowShape shape;
            shape.made = flow::MadeShape{d, k, p.hidden, p.log_scale_clamp};
            shape.blocks = p.blocks;
            shape.batch_norm = p.batch_norm;
            for (std::uint64_t s = 0; s < nflows; ++s) {
                m.history_.kept_epochs.push_back(r.get<std::int32_t>());
                const auto pv = r.get_vector<Scalar>();
                const auto sv = r.get_vector<Scalar>();
                m.flows_.push_back(Net::restore(shape, p.permutation, perms,
                                                Eigen::Map<const flow::Vec<Scalar>>(pv.data(), static_cast<Index>(pv.size())),
                                                Eigen::Map<const flow::Vec<Scalar>>(sv.data(), static_cast<Index>(sv.size()))));
            }
        } catch (const io_error&) {
            throw;
        } catch (const input_error& e) {
            r.fail(std::string("invalid flow: ") + e.what());
        }
        return m;
    }

private:
    static constexpr std::uint32_t payload_version = 1;

    void require_fitted(const char* what) const {
        if (!fitted()) throw input_error(std::string("ConditionalMaf::") + what + ": the model is not fitted");
    }
    void check_widths(Index d, Index k, const char* what) const {
        detail::require(d == n_features(), std::string("ConditionalMaf::") + what + ": the model takes " +
                                               std::to_string(n_features()) + " features, given " + std::to_string(d));
        detail::require(k == n_conditional(), std::string("ConditionalMaf::") + what + ": the model takes " +
                                                  std::to_string(n_conditional()) + " conditional values, given " +
                                                  std::to_string(k));
    }
    static void check_inputs(const Matrix& X, const Matrix& m, const std::string& who) {
        detail::require(X.cols() >= 1, who + ": no feature columns");
        detail::require(m.cols() >= 1, who + ": no conditional columns");
        detail::require(X.rows() == m.rows(), who + ": " + std::to_string(X.rows()) + " events but " +
                                                  std::to_string(m.rows()) + " conditional values");
        detail::require_finite(X, who + ": features");
        detail::require_finite(m, who + ": conditional values");
    }

    MafParams p_;
    LogitScaler logit_;
    Standardizer zstd_, cond_;
    std::vector<Net> flows_;
    FlowHistory history_;
};

using ConditionalMaf = BasicConditionalMaf<float>;

}  // namespace resanom
