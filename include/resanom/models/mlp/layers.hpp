// resanom/models/mlp/layers.hpp — the layers of resanom's dense networks: what each layer is
// (LayerSpec, and the type-level specs Dense<64>, ReLU, LeakyReLU<0.1>, ELU<>, Tanh, Sigmoid,
// Identity, Dropout<0.2>, BatchNorm<> that Sequential<...> composes), and the elementwise kernels
// of the activations, forward (bias fused) and backward (from the layer's output alone).
// docs/models/mlp.md explains the storage order and the fusions.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <sstream>
#include <string>

#include <Eigen/Core>

#include "resanom/core/error.hpp"
#include "resanom/core/types.hpp"
#include "resanom/models/nn/tensor.hpp"

namespace resanom::nn {

enum class LayerKind : std::uint8_t {
    dense = 0,
    relu = 1,
    leaky_relu = 2,
    elu = 3,
    tanh = 4,
    sigmoid = 5,
    identity = 6,
    dropout = 7,
    batch_norm = 8,
};

/// Weight initialization of a Dense layer. automatic: He (normal, σ = √(2/in)) when a ReLU-family
/// activation follows, Glorot (uniform, ±√(6/(in + out))) otherwise; biases start at zero.
enum class Init : std::uint8_t { automatic = 0, glorot_uniform = 1, he_normal = 2 };

/// One layer, described at run time. width: outputs of a Dense layer (0 = as wide as the network's
/// input, for autoencoders); param: α of LeakyReLU / ELU, the rate of Dropout, the momentum of
/// BatchNorm's running statistics.
struct LayerSpec {
    LayerKind kind = LayerKind::identity;
    Index width = 0;
    double param = 0.0;
    Init init = Init::automatic;
    friend bool operator==(const LayerSpec&, const LayerSpec&) = default;
};

inline bool is_activation(LayerKind k) noexcept {
    return k >= LayerKind::relu && k <= LayerKind::identity;
}
inline bool is_relu_family(LayerKind k) noexcept {
    return k == LayerKind::relu || k == LayerKind::leaky_relu || k == LayerKind::elu;
}

inline std::string describe(const LayerSpec& s) {
    std::ostringstream o;
    switch (s.kind) {
        case LayerKind::dense: o << "Dense(" << s.width << ")"; break;
        case LayerKind::relu: o << "ReLU"; break;
        case LayerKind::leaky_relu: o << "LeakyReLU(" << s.param << ")"; break;
        case LayerKind::elu: o << "ELU(" << s.param << ")"; break;
        case LayerKind::tanh: o << "Tanh"; break;
        case LayerKind::sigmoid: o << "Sigmoid"; break;
        case LayerKind::identity: o << "Identity"; break;
        case LayerKind::dropout: o << "Dropout(" << s.param << ")"; break;
        case LayerKind::batch_norm: o << "BatchNorm(momentum " << s.param << ")"; break;
        default: o << "unknown layer kind " << static_cast<int>(s.kind);
    }
    return o.str();
}

/// The widest layer (and network input) resanom builds: 2²⁴ units. Keeps every parameter count
/// far from overflow and refuses a corrupt description before anything is allocated.
inline constexpr Index max_layer_width = Index{1} << 24;

/// Throws input_error unless the spec describes a valid layer.
inline void validate(const LayerSpec& s) {
    const auto bad = [&](const std::string& why) { throw input_error("layer " + describe(s) + ": " + why); };
    if (static_cast<int>(s.kind) > static_cast<int>(LayerKind::batch_norm)) bad("unknown kind");
    if (!std::isfinite(s.param)) bad("parameter must be finite");
    if (s.kind == LayerKind::dense && s.width < 0) bad("width must be > 0 (or 0 for the input width)");
    if (s.kind == LayerKind::dense && s.width > max_layer_width) bad("width above " + std::to_string(max_layer_width));
    if ((s.kind == LayerKind::leaky_relu || s.kind == LayerKind::elu) && s.param < 0.0) bad("alpha must be >= 0");
    if (s.kind == LayerKind::dropout && !(s.param >= 0.0 && s.param < 1.0)) bad("rate must lie in [0, 1)");
    if (s.kind == LayerKind::batch_norm && !(s.param > 0.0 && s.param <= 1.0)) bad("momentum must lie in (0, 1]");
}

// Run-time constructors.
inline LayerSpec dense(Index width, Init init = Init::automatic) { return {LayerKind::dense, width, 0.0, init}; }
inline LayerSpec relu() { return {LayerKind::relu, 0, 0.0, Init::automatic}; }
inline LayerSpec leaky_relu(double alpha = 0.01) { return {LayerKind::leaky_relu, 0, alpha, Init::automatic}; }
inline LayerSpec elu(double alpha = 1.0) { return {LayerKind::elu, 0, alpha, Init::automatic}; }
inline LayerSpec tanh_layer() { return {LayerKind::tanh, 0, 0.0, Init::automatic}; }
inline LayerSpec sigmoid() { return {LayerKind::sigmoid, 0, 0.0, Init::automatic}; }
inline LayerSpec identity() { return {LayerKind::identity, 0, 0.0, Init::automatic}; }
inline LayerSpec dropout(double rate) { return {LayerKind::dropout, 0, rate, Init::automatic}; }
inline LayerSpec batch_norm(double momentum = 0.1) { return {LayerKind::batch_norm, 0, momentum, Init::automatic}; }

// Type-level specs, composed by Sequential<...> (network.hpp). Dense<0> is as wide as the input.
template <Index N, Init I = Init::automatic>
struct Dense {
    static_assert(N >= 0, "Dense<N>: N must be >= 0");
    static LayerSpec spec() { return dense(N, I); }
};
struct ReLU {
    static LayerSpec spec() { return relu(); }
};
// Floating-point template parameters (C++20, P1907) are what GCC ≥ 11 and Clang ≥ 18 support;
// on other compilers (e.g. Clang 14, used for the fuzz targets) the type-level specs taking a
// double (LeakyReLU, ELU, Dropout, BatchNorm) are absent; the run-time LayerSpec factories
// (leaky_relu(α), elu(α), dropout(p), batch_norm(m)) are always there.
#if (defined(__cpp_nontype_template_args) && __cpp_nontype_template_args >= 201911L) || \
    (defined(__clang__) && __clang_major__ >= 18)
#define RESANOM_FLOAT_TEMPLATE_ARGS 1
#endif

#ifdef RESANOM_FLOAT_TEMPLATE_ARGS
template <double Alpha = 0.01>
struct LeakyReLU {
    static LayerSpec spec() { return leaky_relu(Alpha); }
};
template <double Alpha = 1.0>
struct ELU {
    static LayerSpec spec() { return elu(Alpha); }
};
#endif  // RESANOM_FLOAT_TEMPLATE_ARGS
struct Tanh {
    static LayerSpec spec() { return tanh_layer(); }
};
struct Sigmoid {
    static LayerSpec spec() { return sigmoid(); }
};
struct Identity {
    static LayerSpec spec() { return identity(); }
};
#ifdef RESANOM_FLOAT_TEMPLATE_ARGS
template <double Rate>
struct Dropout {
    static_assert(Rate >= 0.0 && Rate < 1.0, "Dropout<Rate>: rate in [0, 1)");
    static LayerSpec spec() { return dropout(Rate); }
};
template <double Momentum = 0.1>
struct BatchNorm {
    static LayerSpec spec() { return batch_norm(Momentum); }
};
#endif  // RESANOM_FLOAT_TEMPLATE_ARGS

/// A type usable in Sequential<...>: it names its LayerSpec.
template <class T>
concept LayerType = requires {
    { T::spec() } -> std::same_as<LayerSpec>;
};

namespace detail {

/// Y = f(Z + b) (bias broadcast over columns; no bias when b == nullptr), elementwise. ReLU,
/// leaky ReLU and identity are plain loops over each contiguous column (the compiler vectorizes
/// them, bias add fused); ELU, Tanh and Sigmoid use Eigen's vectorized exp/tanh.
template <class S>
void activation_forward(LayerKind k, S alpha, const ConstMatRef<S>& Z, const S* b, MatRef<S> Y) {
    const Index rows = Z.rows(), cols = Z.cols();
    if (k == LayerKind::relu || k == LayerKind::leaky_relu || k == LayerKind::identity) {
        // Branch-free (max/min and 0/1 masks) so that the compiler vectorizes: a data-dependent
        // branch here mispredicts on half the elements.
        const S slope = k == LayerKind::relu ? S(0) : (k == LayerKind::leaky_relu ? alpha : S(1));
        for (Index c = 0; c < cols; ++c) {
            const S* __restrict z = Z.col(c).data();
            S* __restrict y = Y.col(c).data();
            if (b != nullptr) {
                const S* __restrict bb = b;
                for (Index r = 0; r < rows; ++r) {
                    const S v = z[r] + bb[r];
                    y[r] = std::max(v, S(0)) + slope * std::min(v, S(0));
                }
            } else {
                for (Index r = 0; r < rows; ++r) y[r] = std::max(z[r], S(0)) + slope * std::min(z[r], S(0));
            }
        }
        return;
    }
    const auto apply = [&](const auto& z) {
        switch (k) {
            case LayerKind::elu: Y.array() = (z > S(0)).select(z, alpha * (z.exp() - S(1))); break;
            case LayerKind::tanh: Y.array() = z.tanh(); break;
            default: Y.array() = S(1) / (S(1) + (-z).exp()); break;  // sigmoid
        }
    };
    if (b != nullptr) {
        const Eigen::Map<const Vec<S>> bias(b, rows);
        apply((Z.colwise() + bias).array());
    } else {
        apply(Z.array());
    }
}

/// dZ = dY ⊙ f'(Z), with f' written in terms of the output Y; plain loops over contiguous columns.
template <class S>
void activation_backward(LayerKind k, S alpha, const ConstMatRef<S>& Y, const ConstMatRef<S>& dY, MatRef<S> dZ) {
    const Index rows = Y.rows(), cols = Y.cols();
    for (Index c = 0; c < cols; ++c) {
        const S* __restrict y = Y.col(c).data();
        const S* __restrict dy = dY.col(c).data();
        S* __restrict dz = dZ.col(c).data();
        switch (k) {
            case LayerKind::relu:
                for (Index r = 0; r < rows; ++r) {
                    const S m = y[r] > S(0) ? S(1) : S(0);
                    dz[r] = dy[r] * m;
                }
                break;
            case LayerKind::leaky_relu:
                for (Index r = 0; r < rows; ++r) {
                    const S m = y[r] > S(0) ? S(1) : S(0);
                    dz[r] = dy[r] * (alpha + m * (S(1) - alpha));
                }
                break;
            case LayerKind::elu:
                for (Index r = 0; r < rows; ++r) {
                    const S m = y[r] > S(0) ? S(1) : S(0);
                    dz[r] = dy[r] * (m + (S(1) - m) * (y[r] + alpha));
                }
                break;
            case LayerKind::tanh:
                for (Index r = 0; r < rows; ++r) dz[r] = dy[r] * (S(1) - y[r] * y[r]);
                break;
            case LayerKind::sigmoid:
                for (Index r = 0; r < rows; ++r) dz[r] = dy[r] * y[r] * (S(1) - y[r]);
                break;
            default:
                for (Index r = 0; r < rows; ++r) dz[r] = dy[r];
                break;
        }
    }
}

}  // namespace detail

}  // namespace resanom::nn
