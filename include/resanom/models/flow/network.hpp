// resanom/models/flow/network.hpp — the MAF flow as a network in the preprocessed space:
// FlowNet<S>, blocks of conditional MADE (made.hpp), batch norm and a permutation over N(0, I).
//
// Block b: z_{b+1} = P_b · BN_b(MADE_b(z_b | m)) (the CATHODE reference order); log_prob and the
// inverse (sampling) run in inference mode, loss_and_gradient trains a minibatch with hand-written
// gradients over K fixed column chunks (K = 2) coupled by batch norm. The split depends on B and K
// only and every reduction runs in chunk order: bit-identical with one or two threads.
// docs/models/flow.md explains the log-density, batch norm and the threading.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/parallel.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/types.hpp"
#include "resanom/models/flow/made.hpp"

namespace resanom::flow {

/// Permutation applied after each block.
enum class Permutation : std::uint8_t {
    reverse = 0,  ///< reverse the feature order (CATHODE, MAF paper)
    random = 1,   ///< a random permutation per block, drawn from the seed
};

inline constexpr double batch_norm_eps = 1e-5;  ///< added to the variance (reference BatchNormFlow)

/// The architecture of a flow.
struct FlowShape {
    MadeShape made;
    int blocks = 15;
    bool batch_norm = true;
    void validate() const {
        made.validate();
        detail::require(blocks >= 1, "flow: need at least one block, got " + std::to_string(blocks));
    }
};

/// Per-thread buffers for inference (log-density, inverse) on up to `cap` events.
template <class S>
struct FlowInferWork {
    MadeCache<S> cache;
    Mat<S> o, z, y;
    Vec<S> ld;
    Index cap = 0;
    void allocate(const MadeShape& sh, Index c) {
        cap = c;
        cache.allocate(sh, c);
        o.setZero(2 * sh.d, c);
        z.setZero(sh.d, c);
        y.setZero(sh.d, c);
        ld.setZero(c);
    }
};

/// Per-chunk buffers for a training step on up to `cap` events.
template <class S>
struct FlowTrainWork {
    std::vector<MadeCache<S>> cache;  ///< per block
    std::vector<Mat<S>> zin;          ///< input of each block, and the final z (blocks + 1)
    Mat<S> m, dy, du;
    MadeScratch<S> scr;
    Vec<S> grad;
    std::vector<double> s1, s2;  ///< partial batch-norm sums of the current block
    double loss = 0.0;           ///< Σ over the chunk of ½|z|² + Σ s
    Index cap = 0;
};

template <class S>
class FlowNet {
public:
    using Scalar = S;

    FlowNet() = default;

    /// Lays out and initializes a flow (weights from seed; permutations from seed when random).
    FlowNet(FlowShape shape, Permutation perm, std::uint64_t seed) : shape_(shape), perm_kind_(perm) {
        shape_.validate();
        layout();
        Rng rng(seed);
        for (int b = 0; b < shape_.blocks; ++b) {
            std::vector<Index> p(static_cast<std::size_t>(d()));
            if (perm == Permutation::reverse) {
                for (Index i = 0; i < d(); ++i) p[static_cast<std::size_t>(i)] = d() - 1 - i;
            } else {
                const auto q = permutation(static_cast<std::size_t>(d()), rng);
                for (std::size_t i = 0; i < q.size(); ++i) p[i] = static_cast<Index>(q[i]);
            }
            perms_.push_back(std::move(p));
        }
        for (int b = 0; b < shape_.blocks; ++b) made_initialize<S>(shape_.made, params_.data() + made_offset(b), rng);
    }

    /// Restores a flow from its parts (deserialization); throws input_error when they do not fit.
    static FlowNet restore(FlowShape shape, Permutation kind, std::vector<std::vector<Index>> perms, Vec<S> params,
                           Vec<S> state) {
        FlowNet f;
        f.shape_ = shape;
        f.shape_.validate();
        f.perm_kind_ = kind;
        // Counts checked before anything of the architecture's size is allocated; the stored
        // parameters are then taken as they are (no zero-filled layout first).
        f.block_params_ = block_param_count(shape);
        detail::require(params.size() == f.block_params_ * shape.blocks && state.size() == state_count(shape),
                        "flow: stored parameters do not match the architecture");
        detail::require(perms.size() == static_cast<std::size_t>(shape.blocks), "flow: wrong number of permutations");
        for (const auto& p : perms) {
            std::vector<bool> seen(static_cast<std::size_t>(f.d()), false);
            detail::require(static_cast<Index>(p.size()) == f.d(), "flow: permutation of the wrong length");
            for (Index i : p) {
                detail::require(i >= 0 && i < f.d() && !seen[static_cast<std::size_t>(i)], "flow: invalid permutation");
                seen[static_cast<std::size_t>(i)] = true;
            }
        }
        detail::require(params.allFinite() && state.allFinite(), "flow: non-finite stored parameters");
        f.perms_ = std::move(perms);
        f.params_ = std::move(params);
        f.state_ = std::move(state);
        return f;
    }

    const FlowShape& shape() const noexcept { return shape_; }
    Index d() const noexcept { return shape_.made.d; }
    Index k() const noexcept { return shape_.made.k; }
    int blocks() const noexcept { return shape_.blocks; }
    Permutation permutation_kind() const noexcept { return perm_kind_; }
    const std::vector<std::vector<Index>>& permutations() const noexcept { return perms_; }
    Vec<S>& params() noexcept { return params_; }
    const Vec<S>& params() const noexcept { return params_; }
    Vec<S>& state() noexcept { return state_; }
    const Vec<S>& state() const noexcept { return state_; }
    Index n_params() const noexcept { return params_.size(); }
    Index made_offset(int b) const noexcept { return static_cast<Index>(b) * block_params_; }
    Index bn_offset(int b) const noexcept { return made_offset(b) + shape_.made.n_params(); }
    /// Running mean and variance (+ε) of block b's batch norm, in state().
    Index state_offset(int b) const noexcept { return static_cast<Index>(b) * 2 * d(); }

    // ------------------------------------------------------------------ inference
    /// One MADE block alone, u = MADE_b(z | m) (tests: triangular Jacobian).
    Mat<S> made_transform(int b, const Mat<S>& Z, const Mat<S>& M) const {
        FlowInferWork<S> w;
        w.allocate(shape_.made, Z.cols());
        made_forward<S>(shape_.made, params_.data() + made_offset(b), Z, M, w.cache, w.o);
        return w.cache.u.leftCols(Z.cols());
    }
    /// Inverse of one MADE block.
    Mat<S> made_inverse_transform(int b, const Mat<S>& U, const Mat<S>& M) const {
        FlowInferWork<S> w;
        w.allocate(shape_.made, U.cols());
        Mat<S> Z(d(), U.cols());
        made_inverse<S>(shape_.made, params_.data() + made_offset(b), U, M, Z, w.cache, w.o);
        return Z;
    }

    /// Maps Z (d × n, inputs in the preprocessed space) to the base: writes the base point to
    /// `base` (if non-null) and the log-density log p(z | m) to `logp`. Inference mode; one thread
    /// (callers parallelize over column chunks with one work per thread).
    template <class ZM, class MM>
    void forward_infer(const ZM& Z, const MM& M, FlowInferWork<S>& w, double* logp, Mat<S>* base = nullptr) const {
        const Index n = Z.cols(), dd = d();
        auto z = w.z.leftCols(n);
        auto y = w.y.leftCols(n);
        auto ld = w.ld.head(n);
        z = Z;
        ld.setZero();
        for (int b = 0; b < shape_.blocks; ++b) {
            made_forward<S>(shape_.made, params_.data() + made_offset(b), z, M, w.cache, w.o, ld.data());
            auto u = w.cache.u.leftCols(n);
            if (shape_.batch_norm) {
                const S* lg = params_.data() + bn_offset(b);
                const S* be = lg + dd;
                const S* mean = state_.data() + state_offset(b);
                const S* var = mean + dd;
                S c = S(0);
                for (Index i = 0; i < dd; ++i) {
                    const S a = std::exp(lg[i]) / std::sqrt(var[i]);
                    y.row(i).array() = (u.row(i).array() - mean[i]) * a + be[i];
                    c += lg[i] - S(0.5) * std::log(var[i]);
                }
                ld.array() += c;
            } else {
                y = u;
            }
            const auto& p = perms_[static_cast<std::size_t>(b)];
            for (Index i = 0; i < dd; ++i) z.row(i) = y.row(p[static_cast<std::size_t>(i)]);
        }
        const double c0 = 0.5 * static_cast<double>(dd) * std::log(2.0 * std::numbers::pi);
        for (Index j = 0; j < n; ++j)
            logp[j] = -0.5 * static_cast<double>(z.col(j).squaredNorm()) - c0 + static_cast<double>(ld[j]);
        if (base != nullptr) *base = z;
    }

    /// The inverse: base points (d × n) to the preprocessed space, written to X.
    template <class UM, class MM, class XM>
    void inverse_infer(const UM& Base, const MM& M, FlowInferWork<S>& w, XM&& X) const {
        const Index n = Base.cols(), dd = d();
        auto z = w.z.leftCols(n);
        auto y = w.y.leftCols(n);
        z = Base;
        for (int b = shape_.blocks - 1; b >= 0; --b) {
            const auto& p = perms_[static_cast<std::size_t>(b)];
            for (Index i = 0; i < dd; ++i) y.row(p[static_cast<std::size_t>(i)]) = z.row(i);
            if (shape_.batch_norm) {
                const S* lg = params_.data() + bn_offset(b);
                const S* be = lg + dd;
                const S* mean = state_.data() + state_offset(b);
                const S* var = mean + dd;
                for (Index i = 0; i < dd; ++i) {
                    const S a = std::sqrt(var[i]) * std::exp(-lg[i]);
                    y.row(i).array() = (y.row(i).array() - be[i]) * a + mean[i];
                }
            }
            made_inverse<S>(shape_.made, params_.data() + made_offset(b), y, M, z, w.cache, w.o);
        }
        X = z;
    }

    /// log p(z | m) for every column, parallel over fixed column chunks of `block` events.
    Vector log_prob(const Mat<S>& Z, const Mat<S>& M, ThreadPool* pool = nullptr, Index block = 512) const {
        const Index n = Z.cols();
        Vector out(n);
        for_chunks(n, block, pool, [&](FlowInferWork<S>& w, Index s, Index m) {
            forward_infer(Z.middleCols(s, m), M.middleCols(s, m), w, out.data() + s);
        });
        return out;
    }

    /// The base points (d × n) of Z (preprocessed space), parallel over fixed column chunks.
    Mat<S> forward(const Mat<S>& Z, const Mat<S>& M, ThreadPool* pool = nullptr, Index block = 512) const {
        Mat<S> out(d(), Z.cols());
        for_chunks(Z.cols(), block, pool, [&](FlowInferWork<S>& w, Index s, Index m) {
            std::vector<double> logp(static_cast<std::size_t>(m));
            Mat<S> base;
            forward_infer(Z.middleCols(s, m), M.middleCols(s, m), w, logp.data(), &base);
            out.middleCols(s, m) = base;
        });
        return out;
    }

    /// Base points to the preprocessed space, parallel over fixed column chunks.
    Mat<S> inverse(const Mat<S>& Base, const Mat<S>& M, ThreadPool* pool = nullptr, Index block = 512) const {
        Mat<S> X(d(), Base.cols());
        for_chunks(Base.cols(), block, pool, [&](FlowInferWork<S>& w, Index s, Index m) {
            inverse_infer(Base.middleCols(s, m), M.middleCols(s, m), w, X.middleCols(s, m));
        });
        return X;
    }

    /// Sets every batch norm's running statistics to the mean and variance (+ε) of its input over
    /// all columns of Z, block after block (later blocks see earlier ones normalized with the new
    /// statistics). Deterministic: partial sums per fixed chunk, combined in order.
    void set_batch_norm_statistics(const Mat<S>& Z, const Mat<S>& M, ThreadPool* pool = nullptr, Index block = 512) {
        if (!shape_.batch_norm) return;
        const Index n = Z.cols(), dd = d();
        const Index pieces = (n + block - 1) / block;
        Mat<S> cur = Z;
        std::vector<double> sums(static_cast<std::size_t>(pieces * 2 * dd));
        const Index nt = pool != nullptr ? std::min<Index>(pool->size(), pieces) : 1;
        std::vector<FlowInferWork<S>> works(static_cast<std::size_t>(nt));
        for (auto& w : works) w.allocate(shape_.made, std::min(block, n));
        for (int b = 0; b < shape_.blocks; ++b) {
            const auto task = [&](Index t, Index p0, Index p1) {
                FlowInferWork<S>& w = works[static_cast<std::size_t>(t)];
                for (Index piece = p0; piece < p1; ++piece) {
                    const Index s = piece * block, m = std::min(block, n - s);
                    auto zc = cur.middleCols(s, m);
                    made_forward<S>(shape_.made, params_.data() + made_offset(b), zc, M.middleCols(s, m), w.cache, w.o);
                    zc = w.cache.u.leftCols(m);
                    double* acc = sums.data() + piece * 2 * dd;
                    for (Index i = 0; i < 2 * dd; ++i) acc[i] = 0.0;
                    for (Index j = 0; j < m; ++j)
                        for (Index i = 0; i < dd; ++i) {
                            const double x = static_cast<double>(zc(i, j));
                            acc[i] += x;
                            acc[dd + i] += x * x;
                        }
                }
            };
            if (nt > 1)
                pool->parallel_chunks(pieces, nt, task);
            else
                task(0, 0, pieces);
            std::vector<double> tot(static_cast<std::size_t>(2 * dd), 0.0);
            for (Index piece = 0; piece < pieces; ++piece)
                for (Index i = 0; i < 2 * dd; ++i) tot[static_cast<std::size_t>(i)] += sums[static_cast<std::size_t>(piece * 2 * dd + i)];
            S* mean = state_.data() + state_offset(b);
            S* var = mean + dd;
            for (Index i = 0; i < dd; ++i) {
                const double mu = tot[static_cast<std::size_t>(i)] / static_cast<double>(n);
                const double v = std::max(tot[static_cast<std::size_t>(dd + i)] / static_cast<double>(n) - mu * mu, 0.0);
                mean[i] = static_cast<S>(mu);
                var[i] = static_cast<S>(v + batch_norm_eps);
            }
            // normalize with the new statistics and permute, for the next block
            const S* lg = params_.data() + bn_offset(b);
            const S* be = lg + dd;
            const auto& p = perms_[static_cast<std::size_t>(b)];
            Mat<S> y(dd, n);
            for (Index i = 0; i < dd; ++i) {
                const S a = std::exp(lg[i]) / std::sqrt(var[i]);
                y.row(i).array() = (cur.row(i).array() - mean[i]) * a + be[i];
            }
            for (Index i = 0; i < dd; ++i) cur.row(i) = y.row(p[static_cast<std::size_t>(i)]);
        }
    }

    // ------------------------------------------------------------------ training
    /// Buffers for a training step: K chunks of up to ⌈B/K⌉ events.
    std::vector<FlowTrainWork<S>> make_train_work(Index batch, Index chunks) const {
        const Index K = std::clamp<Index>(chunks, 1, batch);
        const Index cap = (batch + K - 1) / K;
        std::vector<FlowTrainWork<S>> ws(static_cast<std::size_t>(K));
        for (auto& w : ws) {
            w.cap = cap;
            w.cache.resize(static_cast<std::size_t>(shape_.blocks));
            for (auto& c : w.cache) c.allocate(shape_.made, cap);
            w.zin.assign(static_cast<std::size_t>(shape_.blocks + 1), Mat<S>::Zero(d(), cap));
            w.m.setZero(k(), cap);
            w.dy.setZero(d(), cap);
            w.du.setZero(d(), cap);
            w.scr.allocate(shape_.made, cap);
            w.grad.setZero(params_.size());
            w.s1.assign(static_cast<std::size_t>(d()), 0.0);
            w.s2.assign(static_cast<std::size_t>(d()), 0.0);
        }
        return ws;
    }

    /// Mean NLL (in the preprocessed space) of the minibatch of columns `cols` of Z/M in training
    /// mode (batch statistics), and its gradient: grad (resized to n_params) = Σ_chunks in order.
    /// ws from make_train_work (its size is the number of chunks K).
    double loss_and_gradient(const Mat<S>& Z, const Mat<S>& M, const Index* cols, Index B,
                             std::vector<FlowTrainWork<S>>& ws, Vec<S>& grad, ThreadPool* pool = nullptr) {
        const Index dd = d();
        const Index K = std::min<Index>(static_cast<Index>(ws.size()), B);
        detail::require(B >= 1 && (B + K - 1) / K <= ws[0].cap, "flow: minibatch larger than the work buffers");
        const bool bn = shape_.batch_norm;
        const int nb = shape_.blocks;
        const double invB = 1.0 / static_cast<double>(B);
        const S sB = static_cast<S>(invB);
        bn_mean_.assign(static_cast<std::size_t>(nb * dd), 0.0);
        bn_istd_.assign(static_cast<std::size_t>(nb * dd), 0.0);
        const auto run = [&](auto&& fn) {
            if (pool != nullptr && pool->size() > 1 && K > 1)
                pool->parallel_chunks(B, K, fn);
            else
                for (Index c = 0; c < K; ++c) fn(c, B * c / K, B * (c + 1) / K);
        };
        // y = BN_b(u) of chunk w into dst (permuted)
        const auto bn_apply_perm = [&](FlowTrainWork<S>& w, int b, Index n, Mat<S>& dst) {
            auto u = w.cache[static_cast<std::size_t>(b)].u.leftCols(n);
            auto y = w.dy.leftCols(n);  // dy is free during the forward pass
            if (bn) {
                const S* lg = params_.data() + bn_offset(b);
                for (Index i = 0; i < dd; ++i) {
                    const std::size_t q = static_cast<std::size_t>(b * dd + i);
                    const S a = static_cast<S>(std::exp(static_cast<double>(lg[i])) * bn_istd_[q]);
                    const S mu = static_cast<S>(bn_mean_[q]);
                    y.row(i).array() = (u.row(i).array() - mu) * a + lg[dd + i];
                }
            } else {
                y = u;
            }
            const auto& p = perms_[static_cast<std::size_t>(b)];
            for (Index i = 0; i < dd; ++i) dst.row(i).head(n) = y.row(p[static_cast<std::size_t>(i)]);
        };
        const auto partial_sums = [&](FlowTrainWork<S>& w, int b, Index n) {
            auto u = w.cache[static_cast<std::size_t>(b)].u.leftCols(n);
            for (Index i = 0; i < dd; ++i) {
                double a = 0.0, q = 0.0;
                for (Index j = 0; j < n; ++j) {
                    const double x = static_cast<double>(u(i, j));
                    a += x;
                    q += x * x;
                }
                w.s1[static_cast<std::size_t>(i)] = a;
                w.s2[static_cast<std::size_t>(i)] = q;
            }
        };
        // Σ over chunks, in chunk order, of the partial sums (s1, s2) of feature i
        const auto chunk_sums = [&](Index i) {
            double a = 0.0, q = 0.0;
            for (Index c = 0; c < K; ++c) {
                a += ws[static_cast<std::size_t>(c)].s1[static_cast<std::size_t>(i)];
                q += ws[static_cast<std::size_t>(c)].s2[static_cast<std::size_t>(i)];
            }
            return std::pair<double, double>{a, q};
        };
        const auto combine_forward = [&](int b) {
            for (Index i = 0; i < dd; ++i) {
                const auto [a, q] = chunk_sums(i);
                const double mu = a * invB;
                const double var = std::max(q * invB - mu * mu, 0.0) + batch_norm_eps;
                bn_mean_[static_cast<std::size_t>(b * dd + i)] = mu;
                bn_istd_[static_cast<std::size_t>(b * dd + i)] = 1.0 / std::sqrt(var);
            }
        };
        // backward partial sums of BN_b from dy (already unpermuted into w.dy): Σdy, Σdy·x̂
        const auto partial_sums_back = [&](FlowTrainWork<S>& w, int b, Index n) {
            auto u = w.cache[static_cast<std::size_t>(b)].u.leftCols(n);
            for (Index i = 0; i < dd; ++i) {
                const std::size_t q = static_cast<std::size_t>(b * dd + i);
                const double mu = bn_mean_[q], is = bn_istd_[q];
                double a = 0.0, c = 0.0;
                for (Index j = 0; j < n; ++j) {
                    const double g = static_cast<double>(w.dy(i, j));
                    a += g;
                    c += g * (static_cast<double>(u(i, j)) - mu) * is;
                }
                w.s1[static_cast<std::size_t>(i)] = a;
                w.s2[static_cast<std::size_t>(i)] = c;
            }
        };
        std::vector<double> sdy(static_cast<std::size_t>(dd)), sdyx(static_cast<std::size_t>(dd));
        const auto combine_backward = [&](int b) {
            for (Index i = 0; i < dd; ++i) {
                const auto [a, c] = chunk_sums(i);
                sdy[static_cast<std::size_t>(i)] = a;
                sdyx[static_cast<std::size_t>(i)] = c;
                // parameter gradients of BN_b (chunk 0's gradient carries them; the others hold 0)
                const S* lg = params_.data() + bn_offset(b);
                S* g = ws[0].grad.data() + bn_offset(b);
                g[i] = static_cast<S>(std::exp(static_cast<double>(lg[i])) * c - 1.0);  // ∂/∂log γ
                g[dd + i] = static_cast<S>(a);                                          // ∂/∂β
            }
        };

        // ---- forward
        for (int b = 0; b <= nb; ++b) {
            run([&](Index c, Index begin, Index end) {
                FlowTrainWork<S>& w = ws[static_cast<std::size_t>(c)];
                const Index n = end - begin;
                if (b == 0) {
                    w.loss = 0.0;
                    for (Index j = 0; j < n; ++j) {
                        const Index e = cols[begin + j];
                        w.zin[0].col(j) = Z.col(e);
                        w.m.col(j) = M.col(e);
                    }
                } else {
                    bn_apply_perm(w, b - 1, n, w.zin[static_cast<std::size_t>(b)]);
                }
                if (b < nb) {
                    auto zc = w.zin[static_cast<std::size_t>(b)].leftCols(n);
                    made_forward<S>(shape_.made, params_.data() + made_offset(b), zc, w.m.leftCols(n),
                                    w.cache[static_cast<std::size_t>(b)], w.scr.o);
                    w.loss += static_cast<double>(w.cache[static_cast<std::size_t>(b)].s.leftCols(n).sum());
                    if (bn) partial_sums(w, b, n);
                } else {
                    // base: NLL ∋ ½|z|², ∂/∂z = z/B; unpermute into dy
                    auto z = w.zin[static_cast<std::size_t>(nb)].leftCols(n);
                    w.loss += 0.5 * static_cast<double>(z.squaredNorm());
                    const auto& p = perms_[static_cast<std::size_t>(nb - 1)];
                    for (Index i = 0; i < dd; ++i) w.dy.row(p[static_cast<std::size_t>(i)]).head(n) = z.row(i) * sB;
                    if (bn) partial_sums_back(w, nb - 1, n);
                }
            });
            if (b < nb && bn) combine_forward(b);
        }
        double loss = 0.0;
        for (Index c = 0; c < K; ++c) loss += ws[static_cast<std::size_t>(c)].loss;
        loss = loss * invB + 0.5 * static_cast<double>(dd) * std::log(2.0 * std::numbers::pi);
        if (bn)
            for (int b = 0; b < nb; ++b) {
                const S* lg = params_.data() + bn_offset(b);
                for (Index i = 0; i < dd; ++i)
                    loss -= static_cast<double>(lg[i]) + std::log(bn_istd_[static_cast<std::size_t>(b * dd + i)]);
            }
        if (bn) combine_backward(nb - 1);

        // ---- backward
        for (int b = nb - 1; b >= 0; --b) {
            run([&](Index c, Index begin, Index end) {
                FlowTrainWork<S>& w = ws[static_cast<std::size_t>(c)];
                const Index n = end - begin;
                auto du = w.du.leftCols(n);
                if (bn) {
                    // ∂L/∂x = (γ/σ)(dy − Σdy/B − x̂ Σ(dy x̂)/B) + x̂/(σB)  (the last term from −½ log σ²)
                    const S* lg = params_.data() + bn_offset(b);
                    auto u = w.cache[static_cast<std::size_t>(b)].u.leftCols(n);
                    for (Index i = 0; i < dd; ++i) {
                        const std::size_t q = static_cast<std::size_t>(b * dd + i);
                        const double is = bn_istd_[q];
                        const S gs = static_cast<S>(std::exp(static_cast<double>(lg[i])) * is);
                        const S mdy = static_cast<S>(sdy[static_cast<std::size_t>(i)] * invB);
                        const S mdx = static_cast<S>(sdyx[static_cast<std::size_t>(i)] * invB);
                        const S mu = static_cast<S>(bn_mean_[q]), isS = static_cast<S>(is);
                        const S tail = static_cast<S>(is * invB);
                        const auto xh = (u.row(i).array() - mu) * isS;
                        du.row(i).array() = gs * (w.dy.row(i).head(n).array() - mdy - xh * mdx) + xh * tail;
                    }
                } else {
                    du = w.dy.leftCols(n);
                }
                auto zc = w.zin[static_cast<std::size_t>(b)].leftCols(n);
                made_backward<S>(shape_.made, params_.data() + made_offset(b), du, sB, zc, w.m.leftCols(n),
                                 w.cache[static_cast<std::size_t>(b)], w.scr, w.grad.data() + made_offset(b));
                if (b > 0) {
                    const auto& p = perms_[static_cast<std::size_t>(b - 1)];
                    for (Index i = 0; i < dd; ++i)
                        w.dy.row(p[static_cast<std::size_t>(i)]).head(n) = w.scr.dz.row(i).head(n);
                    if (bn) partial_sums_back(w, b - 1, n);
                }
            });
            if (b > 0 && bn) combine_backward(b - 1);
        }
        sum_gradients(ws, K, grad, pool);
        return loss;
    }

    /// The batch statistics (mean, 1/σ) of the last training step's batch norms.
    const std::vector<double>& last_batch_mean() const noexcept { return bn_mean_; }

private:
    /// Parameters per block (the MADE, then BatchNorm's γ and β) and running-statistics entries in all.
    static Index block_param_count(const FlowShape& s) { return s.made.n_params() + (s.batch_norm ? 2 * s.made.d : 0); }
    static Index state_count(const FlowShape& s) { return s.batch_norm ? 2 * s.made.d * s.blocks : 0; }

    void layout() {
        block_params_ = block_param_count(shape_);
        params_.setZero(block_params_ * shape_.blocks);
        state_.setZero(state_count(shape_));
        if (shape_.batch_norm)
            for (int b = 0; b < shape_.blocks; ++b) state_.segment(state_offset(b) + d(), d()).setOnes();
    }

    static void sum_gradients(std::vector<FlowTrainWork<S>>& ws, Index K, Vec<S>& grad, ThreadPool* pool) {
        const Index n = ws[0].grad.size();
        grad.resize(n);
        const auto task = [&](Index, Index i0, Index i1) {
            grad.segment(i0, i1 - i0) = ws[0].grad.segment(i0, i1 - i0);
            for (Index c = 1; c < K; ++c) grad.segment(i0, i1 - i0) += ws[static_cast<std::size_t>(c)].grad.segment(i0, i1 - i0);
        };
        if (pool != nullptr && pool->size() > 1)
            pool->parallel_chunks(n, pool->size(), task);
        else
            task(0, 0, n);
    }

    template <class F>
    void for_chunks(Index n, Index block, ThreadPool* pool, F&& fn) const {
        if (n == 0) return;
        const Index pieces = (n + block - 1) / block;
        const Index nt = pool != nullptr ? std::min<Index>(pool->size(), pieces) : 1;
        std::vector<FlowInferWork<S>> works(static_cast<std::size_t>(nt));
        const auto task = [&](Index t, Index p0, Index p1) {
            FlowInferWork<S>& w = works[static_cast<std::size_t>(t)];
            if (w.cap == 0) w.allocate(shape_.made, std::min(block, n));
            for (Index piece = p0; piece < p1; ++piece) {
                const Index s = piece * block, m = std::min(block, n - s);
                fn(w, s, m);
            }
        };
        if (nt > 1)
            pool->parallel_chunks(pieces, nt, task);
        else
            task(0, 0, pieces);
    }

    FlowShape shape_;
    Permutation perm_kind_ = Permutation::reverse;
    std::vector<std::vector<Index>> perms_;
    Index block_params_ = 0;
    Vec<S> params_, state_;
    std::vector<double> bn_mean_, bn_istd_;  // batch statistics of the current training step
};

}  // namespace resanom::flow
