// resanom/models/mlp/network.hpp — a dense network as a type: Network<S> (a list of layers, its
// parameters in one flat vector), Sequential<Dense<64>, ReLU, ...> and readable aliases, and the
// forward and backward passes over preallocated minibatch buffers (Workspace) that never allocate.
// docs/models/mlp.md explains the storage order and the parameter layout.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/types.hpp"
#include "resanom/models/mlp/layers.hpp"

namespace resanom::nn {

/// Where one layer's inputs, outputs and parameters are.
struct LayerLayout {
    LayerSpec spec;
    Index in = 0, out = 0;
    Index param_offset = 0, n_params = 0;  ///< into Network::params()
    Index state_offset = 0, n_state = 0;   ///< into Network::state()
    bool bias_in_next = false;             ///< Dense whose bias the following activation adds
};

inline constexpr double batch_norm_epsilon = 1e-5;  // PyTorch's BatchNorm1d default

template <class S>
class Network {
public:
    using Scalar = S;

    Network() = default;
    explicit Network(std::vector<LayerSpec> specs) : specs_(std::move(specs)) {
        resanom::detail::require(!specs_.empty(), "Network: no layers");
        for (const auto& s : specs_) validate(s);
    }

    /// Fixes the input width, lays the parameters out and initializes them from the seed.
    void build(Index in_width, std::uint64_t seed) {
        Layout layout = lay_out(in_width, "Network::build");
        Vec<S> params = Vec<S>::Zero(layout.n_params), state = Vec<S>::Zero(layout.n_state);
        commit(in_width, std::move(layout), std::move(params), std::move(state));
        initialize(seed);
    }

    /// Draws fresh weights (biases 0, BatchNorm γ = 1, β = 0, running mean 0 and variance 1).
    void initialize(std::uint64_t seed) {
        Rng rng(seed);
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            const LayerLayout& L = layers_[i];
            if (L.spec.kind == LayerKind::dense) {
                Init init = L.spec.init;
                if (init == Init::automatic)
                    init = i + 1 < layers_.size() && is_relu_family(layers_[i + 1].spec.kind) ? Init::he_normal
                                                                                            : Init::glorot_uniform;
                auto W = weight(i);
                const double sd = std::sqrt(2.0 / static_cast<double>(L.in));
                const double lim = std::sqrt(6.0 / static_cast<double>(L.in + L.out));
                for (Index c = 0; c < W.cols(); ++c)
                    for (Index r = 0; r < W.rows(); ++r)
                        W(r, c) = static_cast<S>(init == Init::he_normal ? normal(rng, 0.0, sd) : uniform(rng, -lim, lim));
                bias(i).setZero();
            } else if (L.spec.kind == LayerKind::batch_norm) {
                params_.segment(L.param_offset, L.out).setOnes();
                params_.segment(L.param_offset + L.out, L.out).setZero();
                state_.segment(L.state_offset, L.out).setZero();
                state_.segment(L.state_offset + L.out, L.out).setOnes();
            }
        }
    }

    bool built() const noexcept { return !layers_.empty(); }
    Index in_width() const noexcept { return in_; }
    Index out_width() const noexcept { return layers_.empty() ? 0 : layers_.back().out; }
    Index n_params() const noexcept { return params_.size(); }
    const std::vector<LayerSpec>& specs() const noexcept { return specs_; }
    const std::vector<LayerLayout>& layers() const noexcept { return layers_; }
    Vec<S>& params() noexcept { return params_; }
    const Vec<S>& params() const noexcept { return params_; }
    Vec<S>& state() noexcept { return state_; }
    const Vec<S>& state() const noexcept { return state_; }

    /// Whether a layer couples the events of a minibatch (BatchNorm): such a network trains its
    /// minibatches whole, on one thread.
    bool batch_coupled() const noexcept {
        return std::any_of(specs_.begin(), specs_.end(), [](const auto& s) { return s.kind == LayerKind::batch_norm; });
    }
    Index max_width() const noexcept {
        Index w = in_;
        for (const auto& L : layers_) w = std::max(w, L.out);
        return w;
    }

    /// W (out × in) and b of Dense layer i, as views into a flat vector of this network's layout
    /// (params() or a gradient).
    template <class V>
    static auto weight_in(V& flat, const LayerLayout& L) {
        using T = std::remove_reference_t<decltype(*flat.data())>;
        using M = std::conditional_t<std::is_const_v<T>, const Mat<S>, Mat<S>>;
        return Eigen::Map<M>(flat.data() + L.param_offset, L.out, L.in);
    }
    template <class V>
    static auto bias_in(V& flat, const LayerLayout& L) {
        using T = std::remove_reference_t<decltype(*flat.data())>;
        using W = std::conditional_t<std::is_const_v<T>, const Vec<S>, Vec<S>>;
        return Eigen::Map<W>(flat.data() + L.param_offset + L.out * L.in, L.out);
    }
    auto weight(std::size_t i) { return weight_in(params_, checked_dense(i)); }
    auto weight(std::size_t i) const { return weight_in(params_, checked_dense(i)); }
    auto bias(std::size_t i) { return bias_in(params_, checked_dense(i)); }
    auto bias(std::size_t i) const { return bias_in(params_, checked_dense(i)); }

    /// Restores a trained state (deserialization): same specs, input width, parameter counts.
    /// The counts are checked before anything is allocated (a corrupt file cannot ask for more).
    /// On refusal the network is left as it was.
    void restore(Index in_width, const Vec<S>& params, const Vec<S>& state) {
        Layout layout = lay_out(in_width, "Network::restore");
        resanom::detail::require(params.size() == layout.n_params && state.size() == layout.n_state,
                        "Network::restore: parameter count does not match the architecture");
        commit(in_width, std::move(layout), Vec<S>(params), Vec<S>(state));
    }

private:
    /// The layers laid out for an input width, with the parameter and state counts.
    struct Layout {
        std::vector<LayerLayout> layers;
        Index n_params = 0, n_state = 0;
    };

    /// Lays the layers out for `in_width` (the network itself is not touched, nothing large is
    /// allocated); `who` names the caller in messages.
    Layout lay_out(Index in_width, const char* who) const {
        resanom::detail::require(!specs_.empty(), std::string(who) + ": no layers");
        resanom::detail::require(in_width > 0 && in_width <= max_layer_width,
                                 std::string(who) + ": input width must lie in [1, " + std::to_string(max_layer_width) +
                                     "], got " + std::to_string(in_width));
        Layout out;
        out.layers.reserve(specs_.size());
        Index width = in_width, np = 0, ns = 0;
        for (std::size_t i = 0; i < specs_.size(); ++i) {
            LayerLayout L;
            L.spec = specs_[i];
            L.in = width;
            if (L.spec.kind == LayerKind::dense) {
                L.out = L.spec.width == 0 ? in_width : L.spec.width;
                L.n_params = L.out * L.in + L.out;
                L.bias_in_next = i + 1 < specs_.size() && is_activation(specs_[i + 1].kind);
            } else if (L.spec.kind == LayerKind::batch_norm) {
                L.out = width;
                L.n_params = 2 * width;
                L.n_state = 2 * width;
            } else {
                L.out = width;
            }
            L.param_offset = np;
            L.state_offset = ns;
            np += L.n_params;
            ns += L.n_state;
            width = L.out;
            out.layers.push_back(L);
        }
        out.n_params = np;
        out.n_state = ns;
        return out;
    }

    /// Makes a verified layout and its parameters the network's own (nothing here can throw).
    void commit(Index in_width, Layout&& layout, Vec<S>&& params, Vec<S>&& state) noexcept {
        in_ = in_width;
        layers_ = std::move(layout.layers);
        params_ = std::move(params);
        state_ = std::move(state);
    }

    const LayerLayout& checked_dense(std::size_t i) const {
        resanom::detail::require(i < layers_.size() && layers_[i].spec.kind == LayerKind::dense,
                        "Network: layer " + std::to_string(i) + " is not a built Dense layer");
        return layers_[i];
    }

    std::vector<LayerSpec> specs_;
    std::vector<LayerLayout> layers_;
    Vec<S> params_, state_;
    Index in_ = 0;
};

/// A network type composed of layer types: Sequential<Dense<64>, ReLU, Dense<1>>. The layer list is
/// part of the type (checked by the compiler; one edit swaps a layer); the input width is fixed at
/// build()/fit time. BasicSequential<double, ...> for double precision.
template <class S, LayerType... Ls>
class BasicSequential : public Network<S> {
public:
    static_assert(sizeof...(Ls) > 0, "Sequential<>: give at least one layer");
    BasicSequential() : Network<S>(layer_specs()) {}
    static std::vector<LayerSpec> layer_specs() { return {Ls::spec()...}; }
};
template <LayerType... Ls>
using Sequential = BasicSequential<float, Ls...>;

/// Benkendorfer et al. 2021, §II: three hidden layers of 64 ReLU nodes, one logit out.
using Mlp3x64 = Sequential<Dense<64>, ReLU, Dense<64>, ReLU, Dense<64>, ReLU, Dense<1>>;
/// Golling et al. 2024, §2.3: layers of 64, 32, 1 with ReLU.
using Mlp64x32 = Sequential<Dense<64>, ReLU, Dense<32>, ReLU, Dense<1>>;
#ifdef RESANOM_FLOAT_TEMPLATE_ARGS
/// Collins et al. 2021, §3.1: 64 leaky-ReLU (α 0.1), then 32, 16, 4 ELU, dropout 0.2 after the first three.
using CwolaHuntingNet = Sequential<Dense<64>, LeakyReLU<0.1>, Dropout<0.2>, Dense<32>, ELU<>, Dropout<0.2>, Dense<16>,
                                   ELU<>, Dropout<0.2>, Dense<4>, ELU<>, Dense<1>>;
/// Collins et al. 2021, §3.2: d→512→512→2→512→512→d, ReLU, BatchNorm after the first hidden layer.
using Autoencoder004Net = Sequential<Dense<512>, ReLU, BatchNorm<>, Dense<512>, ReLU, Dense<2>, Identity, Dense<512>,
                                     ReLU, Dense<512>, ReLU, Dense<0>>;
#endif

namespace detail {

/// Eigen's cache blocking of one GEMM (its kc, mc, nc) with packing buffers owned by the caller.
/// Eigen's own products size their packing buffers per call and take them from the heap above
/// EIGEN_STACK_ALLOCATION_LIMIT (128 kB: any 512-wide layer); going through Eigen's GEMM routine
/// with these preallocated buffers keeps a training step free of allocation at every width, with
/// the same kernels.
template <class S>
class GemmBlocking : public Eigen::internal::level3_blocking<S, S> {
public:
    void set(Index kc, Index mc, Index nc, S* a, S* b) {
        this->m_kc = kc;
        this->m_mc = mc;
        this->m_nc = nc;
        this->m_blockA = a;
        this->m_blockB = b;
    }
};

/// Eigen's blocking sizes for a (rows × depth)·(depth × cols) product, as Eigen's product chooses them.
struct GemmShape {
    Index kc = 0, mc = 0, nc = 0;
};
template <class S>
GemmShape gemm_shape(Index rows, Index cols, Index depth) {
    GemmShape g{depth, rows, cols};
    Eigen::internal::computeProductBlockingSizes<S, S, 1>(g.kc, g.mc, g.nc, Index{1});
    return g;
}

/// C (m × n, column-major, leading dimension ldc) = op(A)·op(B), overwritten: A is m × k
/// column-major (lda), or with TransA its transpose stored k × m column-major; likewise B. The
/// packing buffers `pa`, `pb` hold shape.kc·shape.mc and shape.kc·shape.nc scalars (aligned), the
/// shape computed for m, n, k at least this large.
template <bool TransA, bool TransB, class S>
void gemm(Index m, Index n, Index k, const S* A, Index lda, const S* B, Index ldb, S* C, Index ldc, const GemmShape& shape,
          S* pa, S* pb) {
    for (Index j = 0; j < n; ++j) std::fill_n(C + j * ldc, m, S(0));
    if (m == 0 || n == 0 || k == 0) return;
    GemmBlocking<S> blocking;
    blocking.set(shape.kc, shape.mc, shape.nc, pa, pb);
    Eigen::internal::general_matrix_matrix_product<Index, S, TransA ? Eigen::RowMajor : Eigen::ColMajor, false, S,
                                                   TransB ? Eigen::RowMajor : Eigen::ColMajor, false, Eigen::ColMajor,
                                                   1>::run(m, n, k, A, lda, B, ldb, C, 1, ldc, S(1), blocking, nullptr);
}

}  // namespace detail

/// Whether forward() trains (dropout active, BatchNorm on batch statistics, running statistics
/// updated) or infers.
enum class Mode { train, infer };

/// Every buffer one thread needs for a minibatch of up to `capacity` events.
template <class S>
struct Workspace {
    Index capacity = 0;
    std::vector<Mat<S>> act;   ///< act[0] = input, act[i+1] = output of layer i (width × capacity)
    std::vector<Mat<S>> grad;  ///< grad[i] = ∂L/∂act[i]
    std::vector<Mat<S>> aux;   ///< per layer: dropout mask / BatchNorm x̂
    std::vector<Vec<S>> aux_vec;  ///< per layer: BatchNorm 1/σ (then scratch)
    std::vector<Vec<S>> aux_vec2;
    Vec<S> gradient;           ///< ∂L/∂params, the layout of Network::params()
    Mat<S> target;             ///< minibatch targets (rows × capacity)
    Vec<S> weight;             ///< minibatch event weights
    /// Per layer, the GEMM blocking of Y = W·X, dW = dY·Xᵀ and dX = Wᵀ·dY at full capacity, and
    /// the packing buffers every GEMM of this workspace shares (detail::gemm).
    std::vector<std::array<detail::GemmShape, 3>> gemm_shape;
    Vec<S> pack_a, pack_b;

    Workspace() = default;
    Workspace(const Network<S>& net, Index cap, Index target_rows = 0) { allocate(net, cap, target_rows); }

    void allocate(const Network<S>& net, Index cap, Index target_rows = 0) {
        resanom::detail::require(net.built(), "Workspace: the network is not built");
        capacity = cap;
        const auto& Ls = net.layers();
        act.assign(Ls.size() + 1, Mat<S>());
        grad.assign(Ls.size() + 1, Mat<S>());
        aux.assign(Ls.size(), Mat<S>());
        aux_vec.assign(Ls.size(), Vec<S>());
        aux_vec2.assign(Ls.size(), Vec<S>());
        act[0].setZero(net.in_width(), cap);
        grad[0].setZero(net.in_width(), cap);
        for (std::size_t i = 0; i < Ls.size(); ++i) {
            act[i + 1].setZero(Ls[i].out, cap);
            grad[i + 1].setZero(Ls[i].out, cap);
            if (Ls[i].spec.kind == LayerKind::dropout || Ls[i].spec.kind == LayerKind::batch_norm)
                aux[i].setZero(Ls[i].out, cap);
            if (Ls[i].spec.kind == LayerKind::batch_norm) {
                aux_vec[i].setZero(Ls[i].out);
                aux_vec2[i].setZero(Ls[i].out);
            }
        }
        gradient.setZero(net.n_params());
        target.setZero(target_rows, cap);
        weight.setZero(cap);
        gemm_shape.assign(Ls.size(), {});
        Index size_a = 0, size_b = 0;
        for (std::size_t i = 0; i < Ls.size(); ++i) {
            if (Ls[i].spec.kind != LayerKind::dense) continue;
            const Index in = Ls[i].in, out = Ls[i].out;
            gemm_shape[i] = {detail::gemm_shape<S>(out, cap, in), detail::gemm_shape<S>(out, in, cap),
                             detail::gemm_shape<S>(in, cap, out)};
            for (const auto& g : gemm_shape[i]) {
                size_a = std::max(size_a, g.kc * g.mc);
                size_b = std::max(size_b, g.kc * g.nc);
            }
        }
        pack_a.setZero(size_a);
        pack_b.setZero(size_b);
    }

    auto input(Index n) { return act[0].leftCols(n); }
    auto output(Index n) { return act.back().leftCols(n); }
    auto output_grad(Index n) { return grad.back().leftCols(n); }
};

namespace detail {
/// The workspace must have been allocated for this network's layout (its GEMM buffers are sized
/// for it).
template <class S>
void check_workspace(const Network<S>& net, const Workspace<S>& ws) {
    const auto& Ls = net.layers();
    bool ok = ws.act.size() == Ls.size() + 1 && ws.gemm_shape.size() == Ls.size() &&
              ws.gradient.size() == net.n_params() && ws.act[0].rows() == net.in_width();
    for (std::size_t i = 0; ok && i < Ls.size(); ++i) ok = ws.act[i + 1].rows() == Ls[i].out;
    resanom::detail::require(ok, "workspace: allocated for another network (call Workspace::allocate)");
}
}  // namespace detail

/// Forward pass over the first n columns of ws.act[0]; the result is ws.output(n). In train mode
/// dropout draws its masks from `rng` and BatchNorm uses batch statistics and updates the running
/// statistics in `net` (so forward takes it mutable; inference never changes it).
template <class S>
void forward_impl(const Network<S>& net, std::type_identity_t<Vec<S>>* running, Workspace<S>& ws, Index n, Mode mode,
                  Rng* rng) {
    resanom::detail::require(n > 0 && n <= ws.capacity, "forward: batch of " + std::to_string(n) + " events for a workspace of " +
                                                   std::to_string(ws.capacity));
    const auto& Ls = net.layers();
    detail::check_workspace(net, ws);
    const Vec<S>& P = net.params();
    for (std::size_t i = 0; i < Ls.size(); ++i) {
        const LayerLayout& L = Ls[i];
        const auto X = ws.act[i].leftCols(n);
        auto Y = ws.act[i + 1].leftCols(n);
        switch (L.spec.kind) {
            case LayerKind::dense: {
                // Y = W·X (out × n), W out × in column-major.
                detail::gemm<false, false>(L.out, n, L.in, P.data() + L.param_offset, L.out, X.data(), X.outerStride(),
                                           Y.data(), Y.outerStride(), ws.gemm_shape[i][0], ws.pack_a.data(),
                                           ws.pack_b.data());
                if (!L.bias_in_next) Y.colwise() += Network<S>::bias_in(P, L);
                break;
            }
            case LayerKind::dropout: {
                if (mode == Mode::train && L.spec.param > 0.0) {
                    resanom::detail::require(rng != nullptr, "forward: dropout in train mode needs an Rng");
                    auto M = ws.aux[i].leftCols(n);
                    const S keep = S(1) / static_cast<S>(1.0 - L.spec.param);
                    for (Index c = 0; c < n; ++c)
                        for (Index r = 0; r < L.out; ++r) M(r, c) = uniform01(*rng) >= L.spec.param ? keep : S(0);
                    Y.array() = X.array() * M.array();
                } else {
                    Y = X;
                }
                break;
            }
            case LayerKind::batch_norm: {
                const auto gamma = P.segment(L.param_offset, L.out);
                const auto beta = P.segment(L.param_offset + L.out, L.out);
                // Column loops with vector bodies: contiguous, and free of Eigen temporaries.
                if (mode == Mode::train) {
                    auto& mean = ws.aux_vec2[i];
                    auto& inv = ws.aux_vec[i];
                    auto Xh = ws.aux[i].leftCols(n);
                    const S inv_n = S(1) / static_cast<S>(n);
                    mean.setZero();
                    for (Index c = 0; c < n; ++c) mean += X.col(c);
                    mean *= inv_n;
                    inv.setZero();  // the batch variance first
                    for (Index c = 0; c < n; ++c) {
                        Xh.col(c) = X.col(c) - mean;
                        inv += Xh.col(c).cwiseAbs2();
                    }
                    inv *= inv_n;
                    if (running != nullptr) {
                        const S mom = static_cast<S>(L.spec.param);
                        auto rm = running->segment(L.state_offset, L.out);
                        auto rv = running->segment(L.state_offset + L.out, L.out);
                        const S unbias = n > 1 ? static_cast<S>(n) / static_cast<S>(n - 1) : S(1);
                        rm = (S(1) - mom) * rm + mom * mean;
                        rv = (S(1) - mom) * rv + (mom * unbias) * inv;
                    }
                    inv = (inv.array() + static_cast<S>(batch_norm_epsilon)).rsqrt().matrix();
                    for (Index c = 0; c < n; ++c) {
                        Xh.col(c) = Xh.col(c).cwiseProduct(inv);
                        Y.col(c) = Xh.col(c).cwiseProduct(gamma) + beta;
                    }
                } else {
                    const Vec<S>& st = running != nullptr ? *running : net.state();
                    const auto rm = st.segment(L.state_offset, L.out);
                    const auto rv = st.segment(L.state_offset + L.out, L.out);
                    auto& scale = ws.aux_vec[i];
                    auto& shift = ws.aux_vec2[i];
                    scale.array() = gamma.array() * (rv.array() + static_cast<S>(batch_norm_epsilon)).rsqrt();
                    shift.array() = beta.array() - rm.array() * scale.array();
                    for (Index c = 0; c < n; ++c) Y.col(c) = X.col(c).cwiseProduct(scale) + shift;
                }
                break;
            }
            default: {
                const S* b = nullptr;
                if (i > 0 && Ls[i - 1].bias_in_next) b = P.data() + Ls[i - 1].param_offset + Ls[i - 1].out * Ls[i - 1].in;
                detail::activation_forward<S>(L.spec.kind, static_cast<S>(L.spec.param), X, b, Y);
                break;
            }
        }
    }
}

template <class S>
void forward(Network<S>& net, Workspace<S>& ws, Index n, Mode mode, Rng* rng = nullptr) {
    forward_impl(net, mode == Mode::train ? &net.state() : nullptr, ws, n, mode, rng);
}
/// Inference (or a training forward pass that leaves the running statistics alone).
template <class S>
void forward(const Network<S>& net, Workspace<S>& ws, Index n, Mode mode = Mode::infer, Rng* rng = nullptr) {
    forward_impl(net, nullptr, ws, n, mode, rng);
}

/// Backward pass after a forward pass in train mode over the same n columns: reads
/// ws.output_grad(n) = ∂L/∂output and writes ws.gradient = ∂L/∂params (overwritten, not
/// accumulated). ∂L/∂input (ws.grad[0]) only when input_grad is set.
template <class S>
void backward(const Network<S>& net, Workspace<S>& ws, Index n, bool input_grad = false) {
    const auto& Ls = net.layers();
    detail::check_workspace(net, ws);
    resanom::detail::require(n > 0 && n <= ws.capacity, "backward: batch of " + std::to_string(n) +
                                                            " events for a workspace of " + std::to_string(ws.capacity));
    const Vec<S>& P = net.params();
    for (std::size_t ii = Ls.size(); ii-- > 0;) {
        const LayerLayout& L = Ls[ii];
        const bool need_dx = ii > 0 || input_grad;
        const auto X = ws.act[ii].leftCols(n);
        const auto Y = ws.act[ii + 1].leftCols(n);
        const auto dY = ws.grad[ii + 1].leftCols(n);
        auto dX = ws.grad[ii].leftCols(n);
        switch (L.spec.kind) {
            case LayerKind::dense: {
                auto gb = Network<S>::bias_in(ws.gradient, L);
                // dW = dY·Xᵀ (out × in), db = Σ_columns dY, dX = Wᵀ·dY (in × n).
                detail::gemm<false, true>(L.out, L.in, n, dY.data(), dY.outerStride(), X.data(), X.outerStride(),
                                          ws.gradient.data() + L.param_offset, L.out, ws.gemm_shape[ii][1],
                                          ws.pack_a.data(), ws.pack_b.data());
                gb.noalias() = dY.rowwise().sum();
                if (need_dx)
                    detail::gemm<true, false>(L.in, n, L.out, P.data() + L.param_offset, L.out, dY.data(),
                                              dY.outerStride(), dX.data(), dX.outerStride(), ws.gemm_shape[ii][2],
                                              ws.pack_a.data(), ws.pack_b.data());
                break;
            }
            case LayerKind::dropout:
                if (need_dx) {
                    if (L.spec.param > 0.0)
                        dX.array() = dY.array() * ws.aux[ii].leftCols(n).array();
                    else
                        dX = dY;
                }
                break;
            case LayerKind::batch_norm: {
                // y = γ x̂ + β, x̂ = (x − μ)/σ with batch μ, σ:
                // ∂L/∂x = (γ/σ)/n · (n·g − Σg − x̂·Σ(g x̂)), g = ∂L/∂y.
                const auto Xh = ws.aux[ii].leftCols(n);
                const auto gamma = P.segment(L.param_offset, L.out);
                auto ggamma = ws.gradient.segment(L.param_offset, L.out);
                auto gbeta = ws.gradient.segment(L.param_offset + L.out, L.out);
                gbeta.setZero();
                ggamma.setZero();
                for (Index c = 0; c < n; ++c) {
                    gbeta += dY.col(c);
                    ggamma += dY.col(c).cwiseProduct(Xh.col(c));
                }
                if (need_dx) {
                    const S inv_n = S(1) / static_cast<S>(n);
                    auto& coef = ws.aux_vec2[ii];  // the batch mean is no longer needed
                    coef = gamma.cwiseProduct(ws.aux_vec[ii]);
                    for (Index c = 0; c < n; ++c)
                        dX.col(c) = (dY.col(c) - inv_n * gbeta - inv_n * Xh.col(c).cwiseProduct(ggamma)).cwiseProduct(coef);
                }
                break;
            }
            default:
                if (need_dx) detail::activation_backward<S>(L.spec.kind, static_cast<S>(L.spec.param), Y, dY, dX);
                break;
        }
    }
}

}  // namespace resanom::nn
