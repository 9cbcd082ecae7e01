// resanom/models/flow/maf.hpp — ConditionalMaf, the conditional density estimator p(x | m) of
// CATHODE (Golling et al. 2024, §2; Das et al. 2024, §2.2.3): a masked autoregressive flow
// (network.hpp, made.hpp) behind the logit-and-standardize preprocessing, trained with Adam on
// minibatches, with a validation split, best-epoch selection and CATHODE's averaging over the few
// best epochs. It models the DensityEstimator concept (core/concepts.hpp) and saves itself in the
// versioned model container.
//
// Units. log_prob returns the log-density of the ORIGINAL features: the flow learns p(z | m) of
// z = standardize(logit(u(x))) (core/preprocess.hpp: LogitScaler, then Standardizer), and
//   log p(x | m) = log p_flow(z(x) | m) + log|det ∂z/∂x|.
// The conditional values are standardized too (no Jacobian: they are conditioned on, not modelled).
// Out of range: the logit maps the fitted [min, max] of each feature (widened by the margin) to
// the real line, so the density is zero outside it. log_prob returns −∞ there (default), or
// throws input_error naming the row and column (OutOfRangeLogProb::error), or clips the value into
// the range first (::clip). Samples always lie inside the range.
//
// Averaging (MafParams::average_best = N > 1): the flows of the N epochs of lowest validation loss
// are kept; log_prob is log of their mean density, and sample draws row i from flow (i mod N), so
// that a sample is the equal mixture CATHODE draws from its ten best epochs.
//
// The flow trains in single precision (as the PyTorch reference does); preprocessing, losses and
// log-densities are accumulated in double.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
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
#include "resanom/models/serialization.hpp"

namespace resanom {

/// What log_prob does with features outside the fitted range (see the header comment).
enum class OutOfRangeLogProb : std::uint8_t { minus_infinity = 0, error = 1, clip = 2 };

/// What the progress callback hears after each epoch.
struct FlowEpochReport {
    int epoch = 0;  ///< 1-based
    int max_epochs = 0;
    double train_nll = 0.0;  ///< mean NLL of the epoch's minibatches (original units, nats/event)
    double val_nll = std::numeric_limits<double>::quiet_NaN();  ///< NaN without validation split
    bool improved = false;
    double seconds = 0.0;
};

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
    double logit_margin = 1e-3;
    OutOfRangeLogProb out_of_range = OutOfRangeLogProb::minus_infinity;
    unsigned threads = 0;  ///< 0: all cores; results do not depend on it
    Index chunks = 2;      ///< column chunks per minibatch (parallel units; fixed for reproducibility)
    std::function<void(const FlowEpochReport&)> progress;

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
        req(logit_margin > 0.0 && logit_margin < 0.5, "logit margin must lie in (0, 0.5)");
        req(chunks >= 1, "chunks must be >= 1");
    }
};

/// What a training run did.
struct FlowHistory {
    std::vector<double> train_nll, val_nll, epoch_seconds;
    int epochs_run = 0;
    int best_epoch = 0;  ///< 1-based; the best single epoch
    double best_val_nll = std::numeric_limits<double>::quiet_NaN();
    std::vector<int> kept_epochs;  ///< epochs whose flows the model holds (best first)
    double seconds = 0.0;
};

class ConditionalMaf {
public:
    using Scalar = float;
    using Net = flow::FlowNet<Scalar>;
    /// The kind in model files (models/serialization.hpp).
    static constexpr const char* kind = "flow/maf";

    explicit ConditionalMaf(MafParams p = {}) : p_(std::move(p)) { p_.validate(); }

    const MafParams& params() const noexcept { return p_; }
    /// Sets the progress callback (not saved with the model).
    void set_progress(std::function<void(const FlowEpochReport&)> f) { p_.progress = std::move(f); }
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
        const auto take = [&](Index begin, Index count, flow::Mat<float>& Z, flow::Mat<float>& M, double& mean_logj) {
            Z.resize(d, count);
            M.resize(k, count);
            mean_logj = 0.0;
            for (Index j = 0; j < count; ++j) {
                const Index e = order[static_cast<std::size_t>(begin + j)];
                Z.col(j) = Zall.row(e).transpose().cast<float>();
                M.col(j) = Mall.row(e).transpose().cast<float>();
                mean_logj += logj[e];
            }
            if (count > 0) mean_logj /= static_cast<double>(count);
        };
        flow::Mat<float> Ztr, Mtr, Zva, Mva;
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
        flow::Vec<float> grad(net.n_params()), m1 = flow::Vec<float>::Zero(net.n_params()),
            m2 = flow::Vec<float>::Zero(net.n_params());
        std::vector<Index> idx(static_cast<std::size_t>(n_train));
        std::iota(idx.begin(), idx.end(), Index{0});
        Rng shuffle_rng(derive_seed(seed, 2));

        struct Snapshot {
            double val;
            int epoch;
            flow::Vec<float> params, state;
        };
        std::vector<Snapshot> kept;
        FlowHistory h;
        std::int64_t step = 0;
        for (int epoch = 1; epoch <= p_.epochs; ++epoch) {
            const auto t0 = std::chrono::steady_clock::now();
            shuffle(idx.begin(), idx.end(), shuffle_rng);
            double loss_sum = 0.0;
            Index batches = 0;
            // Two threads synchronize twice per block and step; on a machine shared with other work
            // a descheduled worker can make that slower than one thread. So each epoch times its
            // first steps both ways and continues with the faster. Only speed depends on this: the
            // chunking, and so every result, is the same either way.
            double t_one = 0.0, t_pool = 0.0;
            ThreadPool* step_pool = pool;
            for (Index b0 = 0, s = 0; b0 < n_train; b0 += B, ++s) {
                const Index nb = std::min(B, n_train - b0);
                if (nb < 2) break;  // a batch of one has no batch variance
                constexpr Index probe = 8;  // steps 1..8 on one thread, 9..16 on the pool (step 0 warms up)
                const bool timed = pool != nullptr && s >= 1 && s <= 2 * probe;
                if (timed) step_pool = s <= probe ? nullptr : pool;
                const auto ts = std::chrono::steady_clock::now();
                const double loss = net.loss_and_gradient(Ztr, Mtr, idx.data() + b0, nb, works, grad, step_pool);
                if (timed) {
                    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();
                    (s <= probe ? t_one : t_pool) += dt;
                    if (s == 2 * probe) step_pool = t_pool < t_one ? pool : nullptr;
                }
                if (!std::isfinite(loss))
                    throw numeric_error("ConditionalMaf::fit: the loss became non-finite at epoch " + std::to_string(epoch) +
                                        ", step " + std::to_string(batches + 1) + " (try a lower learning rate)");
                loss_sum += loss;
                ++batches;
                adam_step(net.params(), grad, m1, m2, ++step, step_pool);
            }
            net.set_batch_norm_statistics(Ztr, Mtr, pool);
            FlowEpochReport rep;
            rep.epoch = epoch;
            rep.max_epochs = p_.epochs;
            rep.train_nll = loss_sum / static_cast<double>(batches) - logj_tr;
            h.train_nll.push_back(rep.train_nll);
            double score = -static_cast<double>(epoch);  // without validation: the latest epochs
            if (n_val > 0) {
                const Vector lp = net.log_prob(Zva, Mva, pool);
                rep.val_nll = -lp.mean() - logj_va;
                if (!std::isfinite(rep.val_nll))
                    throw numeric_error("ConditionalMaf::fit: the validation loss became non-finite at epoch " +
                                        std::to_string(epoch) + " (try a lower learning rate)");
                h.val_nll.push_back(rep.val_nll);
                score = rep.val_nll;
                if (!(h.best_epoch > 0) || rep.val_nll < h.best_val_nll) {
                    h.best_epoch = epoch;
                    h.best_val_nll = rep.val_nll;
                    rep.improved = true;
                }
            } else {
                h.best_epoch = epoch;
                rep.improved = true;
            }
            // keep the average_best lowest scores (ties: the earlier epoch)
            const auto better = [](const Snapshot& a, const Snapshot& b) { return a.val < b.val || (a.val == b.val && a.epoch < b.epoch); };
            if (static_cast<int>(kept.size()) < p_.average_best || better(Snapshot{score, epoch, {}, {}}, kept.back())) {
                if (static_cast<int>(kept.size()) == p_.average_best) kept.pop_back();
                kept.push_back(Snapshot{score, epoch, net.params(), net.state()});
                std::sort(kept.begin(), kept.end(), better);
            }
            rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            h.epoch_seconds.push_back(rep.seconds);
            h.epochs_run = epoch;
            if (p_.progress) p_.progress(rep);
        }
        flows_.clear();
        h.kept_epochs.clear();
        for (auto& s : kept) {
            Net f = net;
            f.params() = std::move(s.params);
            f.state() = std::move(s.state);
            flows_.push_back(std::move(f));
            h.kept_epochs.push_back(s.epoch);
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
        const flow::Mat<float> Zf = Z.transpose().cast<float>();
        const flow::Mat<float> Mf = cond_.transform(m).transpose().cast<float>();
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

    /// One sample x ~ p(x | m_i) per row of m (n × k), in the units of the training features.
    Matrix sample(const Matrix& m, Rng& rng) const {
        require_fitted("sample");
        detail::require(m.cols() == n_conditional(), "ConditionalMaf::sample: the model takes " +
                                                         std::to_string(n_conditional()) + " conditional values, given " +
                                                         std::to_string(m.cols()));
        detail::require_finite(m, "ConditionalMaf::sample: conditional values");
        const Index n = m.rows(), d = n_features();
        if (n == 0) return Matrix(0, d);
        flow::Mat<float> base(d, n);
        for (Index j = 0; j < n; ++j)
            for (Index i = 0; i < d; ++i) base(i, j) = static_cast<float>(normal(rng));
        const flow::Mat<float> Mf = cond_.transform(m).transpose().cast<float>();
        ThreadPool* pool = p_.threads == 1 ? nullptr : &shared_pool(p_.threads);
        flow::Mat<float> Zf(d, n);
        const Index S = static_cast<Index>(flows_.size());
        if (S == 1) {
            Zf = flows_[0].inverse(base, Mf, pool);
        } else {  // row i from flow i mod S
            for (Index s = 0; s < S; ++s) {
                const Index cnt = (n - s + S - 1) / S;
                if (cnt <= 0) continue;
                flow::Mat<float> bs(d, cnt), ms(Mf.rows(), cnt);
                for (Index j = 0; j < cnt; ++j) {
                    bs.col(j) = base.col(s + j * S);
                    ms.col(j) = Mf.col(s + j * S);
                }
                const flow::Mat<float> zs = flows_[static_cast<std::size_t>(s)].inverse(bs, ms, pool);
                for (Index j = 0; j < cnt; ++j) Zf.col(s + j * S) = zs.col(j);
            }
        }
        return logit_.inverse(zstd_.inverse(Zf.transpose().cast<double>()));
    }

    // ------------------------------------------------------------------ model files
    void save(const std::string& path, const ModelColumns& columns = {}) const {
        require_fitted("save");
        ModelWriter w;
        write(w);
        write_model_file(path, kind, w.bytes(), columns);
    }
    static ConditionalMaf load(const std::string& path) {
        const std::string payload = read_model_payload(path, kind);
        ModelReader r(payload, path);
        ConditionalMaf m = read(r);
        r.check(r.at_end(), "corrupt model file (trailing bytes)");
        return m;
    }

    void write(ModelWriter& w) const {
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
        w.put<double>(history_.best_val_nll);
        w.put<std::int32_t>(history_.epochs_run);
        w.put<std::uint64_t>(flows_.size());
        for (std::size_t s = 0; s < flows_.size(); ++s) {
            w.put<std::int32_t>(history_.kept_epochs.size() > s ? history_.kept_epochs[s] : 0);
            w.put_vector(std::vector<Scalar>(flows_[s].params().begin(), flows_[s].params().end()));
            w.put_vector(std::vector<Scalar>(flows_[s].state().begin(), flows_[s].state().end()));
        }
    }

    static ConditionalMaf read(ModelReader& r) {
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
        ConditionalMaf m;
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
            m.history_.best_val_nll = r.get<double>();
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

    // Adam (PyTorch's form, weight decay added to the gradient), elementwise over fixed pieces.
    void adam_step(flow::Vec<float>& params, const flow::Vec<float>& grad, flow::Vec<float>& m1, flow::Vec<float>& m2,
                   std::int64_t t, ThreadPool* pool) const {
        const double td = static_cast<double>(t);
        const float b1 = static_cast<float>(p_.adam_beta1), b2 = static_cast<float>(p_.adam_beta2);
        const float c1 = 1.0f - b1, c2 = 1.0f - b2, wd = static_cast<float>(p_.weight_decay);
        const float step = static_cast<float>(p_.learning_rate / (1.0 - std::pow(p_.adam_beta1, td)));
        const float isb2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(p_.adam_beta2, td)));
        const float eps = static_cast<float>(p_.adam_epsilon);
        const auto task = [&](Index, Index i0, Index i1) {
            float* __restrict p = params.data();
            const float* __restrict g = grad.data();
            float* __restrict m = m1.data();
            float* __restrict v = m2.data();
            for (Index i = i0; i < i1; ++i) {
                const float gi = g[i] + wd * p[i];
                m[i] = b1 * m[i] + c1 * gi;
                v[i] = b2 * v[i] + c2 * gi * gi;
                p[i] -= step * m[i] / (std::sqrt(v[i]) * isb2 + eps);
            }
        };
        if (pool != nullptr && pool->size() > 1)
            pool->parallel_chunks(params.size(), pool->size(), task);
        else
            task(0, 0, params.size());
    }

    MafParams p_;
    LogitScaler logit_;
    Standardizer zstd_, cond_;
    std::vector<Net> flows_;
    FlowHistory history_;
};

}  // namespace resanom
