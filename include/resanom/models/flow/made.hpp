// resanom/models/flow/made.hpp — one conditional MADE block of the MAF flow: its autoregressive
// degrees and masks, its parameter layout, and hand-written forward, backward and inverse kernels.
//
// A block maps z given m to u_i = (z_i − μ_i)·exp(−s_i), log|det ∂u/∂z| = −Σ_i s_i, with (μ_i, s̃_i)
// from a masked two-hidden-layer ReLU network of z_<i and m and s_i = c·tanh(s̃_i/c) (c =
// MadeShape::clamp). Hidden units are sorted by degree, so masks are block triangular and the inverse
// costs one forward pass. Storage: features × events, column-major; masked weights are stored zeros.
// docs/models/flow.md ("A block", "Implementation and speed") explains degrees, masks and kernels.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "resanom/core/error.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/types.hpp"
#include "resanom/models/nn/kernels.hpp"
#include "resanom/models/nn/tensor.hpp"

namespace resanom::flow {

using nn::Mat;  // features × events
using nn::Vec;

/// The sizes of a MADE block.
struct MadeShape {
    Index d = 0;         ///< flow dimension (features)
    Index k = 0;         ///< conditional inputs
    Index H = 0;         ///< hidden units per layer (≥ d, so that every degree has units)
    double clamp = 3.0;  ///< soft clamp c of the log-scale

    void validate() const {
        detail::require(d >= 1, "MADE: need at least one feature, got " + std::to_string(d));
        detail::require(k >= 0, "MADE: negative number of conditional inputs");
        detail::require(H >= d, "MADE: " + std::to_string(H) + " hidden units cannot carry the degrees of " +
                                    std::to_string(d) + " features (need hidden >= features)");
        detail::require(clamp > 0.0 && std::isfinite(clamp), "MADE: the log-scale clamp must be finite and > 0");
    }

    /// Offsets of the parameters inside one block (flat, each matrix column-major):
    /// W1 (H×d), b1 (H), C1 (H×k), W2 (H×H), b2 (H), C2 (H×k), W3 (2d×H), b3 (2d).
    /// Rows 0..d−1 of W3/b3 give μ, rows d..2d−1 the unclamped log-scale s̃.
    Index oW1() const { return 0; }
    Index ob1() const { return oW1() + H * d; }
    Index oC1() const { return ob1() + H; }
    Index oW2() const { return oC1() + H * k; }
    Index ob2() const { return oW2() + H * H; }
    Index oC2() const { return ob2() + H; }
    Index oW3() const { return oC2() + H * k; }
    Index ob3() const { return oW3() + 2 * d * H; }
    Index n_params() const { return ob3() + 2 * d; }

    /// First hidden unit of degree g, for g = 0..d (start[d] = H).
    Index start(Index g) const { return g * H / d; }

    /// Multiply-adds per event of one forward pass (dense equivalent / as computed).
    double macs_dense() const {
        return static_cast<double>(H * (d + k) + H * (H + k) + 2 * d * H);
    }
    double macs_masked() const {
        double w2 = 0.0;
        for (Index g = 0; g < d; ++g) w2 += static_cast<double>((start(g + 1) - start(g)) * start(g + 1));
        return static_cast<double>(H * (d + k) + H * k + 2 * d * H) + w2;
    }
};

/// Whether weight (row, col) of a masked matrix is a free parameter.
inline bool mask_w1(const MadeShape& s, Index h, Index j) { return j < h * s.d / s.H; }
inline bool mask_w2(const MadeShape& s, Index o, Index i) { return i < s.start(o * s.d / s.H + 1); }
inline bool mask_w3(const MadeShape& s, Index r, Index h) { return h < s.start((r % s.d) + 1); }

/// PyTorch's nn.Linear initialization, U(−1/√fan_in, 1/√fan_in) for weights, biases zero;
/// fan_in counts the full (unmasked) width, as a masked nn.Linear does. Masked weights are zero.
template <class S>
void made_initialize(const MadeShape& s, S* p, Rng& rng) {
    const auto fill = [&](Index off, Index rows, Index cols, double fan_in, auto&& mask) {
        const double lim = 1.0 / std::sqrt(fan_in);
        for (Index c = 0; c < cols; ++c)
            for (Index r = 0; r < rows; ++r)
                p[off + c * rows + r] = mask(r, c) ? static_cast<S>(uniform(rng, -lim, lim)) : S(0);
    };
    const auto all = [](Index, Index) { return true; };
    const double fan1 = static_cast<double>(s.d + s.k), fan2 = static_cast<double>(s.H + s.k);
    fill(s.oW1(), s.H, s.d, fan1, [&](Index r, Index c) { return mask_w1(s, r, c); });
    fill(s.oC1(), s.H, s.k, fan1, all);
    fill(s.oW2(), s.H, s.H, fan2, [&](Index r, Index c) { return mask_w2(s, r, c); });
    fill(s.oC2(), s.H, s.k, fan2, all);
    fill(s.oW3(), 2 * s.d, s.H, static_cast<double>(s.H), [&](Index r, Index c) { return mask_w3(s, r, c); });
    for (Index i = 0; i < s.H; ++i) p[s.ob1() + i] = p[s.ob2() + i] = S(0);
    for (Index i = 0; i < 2 * s.d; ++i) p[s.ob3() + i] = S(0);
}

/// The buffers one MADE block keeps between forward and backward for up to `cap` events.
template <class S>
struct MadeCache {
    Mat<S> a1, a2;  ///< hidden activations (H × cap), after ReLU
    Mat<S> s;       ///< clamped log-scales (d × cap)
    Mat<S> u;       ///< outputs (d × cap)
    void allocate(const MadeShape& sh, Index cap) {
        a1.setZero(sh.H, cap);
        a2.setZero(sh.H, cap);
        s.setZero(sh.d, cap);
        u.setZero(sh.d, cap);
    }
};

/// Scratch space for the backward pass and the output layer (shared by all blocks of a thread).
template <class S>
struct MadeScratch {
    Mat<S> o;         ///< output layer (2d × cap)
    Mat<S> da1, da2;  ///< H × cap
    Mat<S> dz;        ///< d × cap
    Mat<S> w2t, w3t;  ///< W2ᵀ (H × H) and W3ᵀ (H × 2d) for the tiled kernels' backward products
    void allocate(const MadeShape& sh, Index cap) {
        o.setZero(2 * sh.d, cap);
        da1.setZero(sh.H, cap);
        da2.setZero(sh.H, cap);
        dz.setZero(sh.d, cap);
        w2t.setZero(sh.H, sh.H);
        w3t.setZero(sh.H, 2 * sh.d);
    }
};

namespace detail_made {

// The tiled kernels (nn/kernels.hpp) need every degree group's rows to start at a multiple of 16.
inline bool made_tiled_shape(const MadeShape& sh) {
    for (Index g = 0; g <= sh.d; ++g)
        if (!nn::kernels::tileable(sh.start(g))) return false;
    return true;
}

// Whether a call may run the tiled kernels (on an AVX-512 target): float, inputs with strides
// (use_tiled then checks that the events are contiguous columns and the shape tileable).
template <class S, class ZM, class MM>
inline constexpr bool tiled_types = std::is_same_v<S, float> &&
                                    requires(const ZM& z, const MM& m) {
                                        z.data(); z.outerStride(); z.innerStride();
                                        m.data(); m.outerStride(); m.innerStride();
                                    };
template <class ZM, class MM>
bool use_tiled(const MadeShape& sh, const ZM& Z, const MM& M) {
    return Z.innerStride() == 1 && M.innerStride() == 1 && made_tiled_shape(sh);
}

// A = relu(A + b + C·M) in place, one pass over memory (bias and conditional input fused).
// C is column-major with column stride ldc (a row block of a taller matrix in the inverse).
template <class S, class AM, class MM>
void bias_cond_relu(AM&& A, const S* b, const S* C, Index ldc, Index k, const MM& M) {
    const Index H = A.rows(), n = A.cols();
    for (Index c = 0; c < n; ++c) {
        S* __restrict a = A.col(c).data();
        if (k == 1) {
            const S mc = M(0, c);
            const S* __restrict c0 = C;
            for (Index r = 0; r < H; ++r) a[r] = std::max(a[r] + b[r] + c0[r] * mc, S(0));
        } else {
            for (Index r = 0; r < H; ++r) a[r] += b[r];
            for (Index q = 0; q < k; ++q) {
                const S mq = M(q, c);
                const S* cq = C + q * ldc;
                for (Index r = 0; r < H; ++r) a[r] += cq[r] * mq;
            }
            for (Index r = 0; r < H; ++r) a[r] = std::max(a[r], S(0));
        }
    }
}

// dA ← dA ⊙ [A > 0] in place; db = Σ_columns dA, dC = dA·Mᵀ (written, not accumulated).
template <class S, class DM, class AM, class MM>
void relu_backward(DM&& dA, const AM& A, S* db, S* dC, Index k, const MM& M) {
    const Index H = dA.rows(), n = dA.cols();
    for (Index r = 0; r < H; ++r) db[r] = S(0);
    for (Index r = 0; r < H * k; ++r) dC[r] = S(0);
    for (Index c = 0; c < n; ++c) {
        S* __restrict g = dA.col(c).data();
        const S* __restrict a = A.col(c).data();
        for (Index r = 0; r < H; ++r) {
            g[r] = a[r] > S(0) ? g[r] : S(0);
            db[r] += g[r];
        }
        for (Index q = 0; q < k; ++q) {
            const S mq = M(q, c);
            S* __restrict cq = dC + q * H;
            for (Index r = 0; r < H; ++r) cq[r] += g[r] * mq;
        }
    }
}


#if defined(__AVX512F__)

// Epilogue of a hidden layer: a = max(acc + b + C·m_j, 0), stored at out[r + j·H].
struct HiddenForward {
    const float* b;
    const float* C;  // H × k, column q at C + q·H
    const float* m;  // conditional inputs, event j at m + j·ldm
    Index ldm, k, H;
    float* out;
    template <int V>
    [[gnu::always_inline]] void operator()(Index r, Index j, const __m512* acc) const {
        for (int v = 0; v < V; ++v) {
            const Index rv = r + 16 * v;
            __m512 x = _mm512_add_ps(acc[v], _mm512_loadu_ps(b + rv));
            for (Index q = 0; q < k; ++q)
                x = _mm512_fmadd_ps(_mm512_loadu_ps(C + q * H + rv), _mm512_set1_ps(m[q + j * ldm]), x);
            _mm512_storeu_ps(out + rv + j * H, _mm512_max_ps(x, _mm512_setzero_ps()));
        }
    }
};

// Epilogue of a hidden layer's backward: g = acc where a > 0 else 0, stored at dA[r + j·H];
// db[r] += g, dC[q·H + r] += g·m_qj (summed over the events in order).
struct HiddenBackward {
    const float* a;  // the layer's activations, event j at a + j·H
    const float* m;
    Index ldm, k, H;
    float* dA;
    float* db;
    float* dC;
    template <int V>
    [[gnu::always_inline]] void operator()(Index r, Index j, const __m512* acc) const {
        for (int v = 0; v < V; ++v) {
            const Index rv = r + 16 * v;
            const __mmask16 on = _mm512_cmp_ps_mask(_mm512_loadu_ps(a + rv + j * H), _mm512_setzero_ps(), _CMP_GT_OQ);
            const __m512 g = _mm512_maskz_mov_ps(on, acc[v]);
            _mm512_storeu_ps(dA + rv + j * H, g);
            _mm512_storeu_ps(db + rv, _mm512_add_ps(_mm512_loadu_ps(db + rv), g));
            for (Index q = 0; q < k; ++q) {
                float* cq = dC + q * H + rv;
                _mm512_storeu_ps(cq, _mm512_fmadd_ps(g, _mm512_set1_ps(m[q + j * ldm]), _mm512_loadu_ps(cq)));
            }
        }
    }
};

// Epilogue that stores the tile: dst[r + col·H] (column-major, H rows).
struct StoreTile {
    float* dst;
    Index H;
    template <int V>
    [[gnu::always_inline]] void operator()(Index r, Index col, const __m512* acc) const {
        for (int v = 0; v < V; ++v) _mm512_storeu_ps(dst + r + 16 * v + col * H, acc[v]);
    }
};

// Runs `epi` over the rows [r0, r1) (a multiple of 16) and the N columns of a product whose
// A-panel for row r starts at a + r: epi.template operator()<MR/16>(r, j, acc).
template <class Epi>
void tiled_rows(Index r0, Index r1, Index N, Index K, const float* a, Index lda, const float* b, Index bk, Index be,
                const Epi& epi) {
    nn::kernels::row_panels(r1 - r0, [&](Index off, auto mr) {
        constexpr int MR = decltype(mr)::value;
        const Index r = r0 + off;
        nn::kernels::panel<MR>(N, K, a + r, lda, b, bk, be,
                               [&](Index j, const __m512* acc) { epi.template operator()<MR / 16>(r, j, acc); });
    });
}

// Forward hidden layers with the tiled kernel: A1 = relu(W1·Z + b1 + C1·M), A2 = relu(W2·A1 + …),
// each degree group g over its free columns only (W1: z_<g; W2: hidden units of degree ≤ g).
inline void made_hidden_forward_tiled(const MadeShape& sh, const float* p, const float* Z, Index ldz, const float* M,
                                      Index ldm, Index n, float* A1, float* A2) {
    const Index d = sh.d, H = sh.H, k = sh.k;
    const HiddenForward e1{p + sh.ob1(), p + sh.oC1(), M, ldm, k, H, A1};
    const HiddenForward e2{p + sh.ob2(), p + sh.oC2(), M, ldm, k, H, A2};
    for (Index g = 0; g < d; ++g) {
        const Index r0 = sh.start(g), r1 = sh.start(g + 1);
        tiled_rows(r0, r1, n, g, p + sh.oW1(), H, Z, 1, ldz, e1);
    }
    for (Index g = 0; g < d; ++g) {
        const Index r0 = sh.start(g), r1 = sh.start(g + 1);
        tiled_rows(r0, r1, n, r1, p + sh.oW2(), H, A1, 1, H, e2);
    }
}

// Backward through the hidden layers with the tiled kernel, from dO (2d × n, column stride 2d):
// dA2, the W2 gradient over its free blocks, dA1, and the W1 gradient; the biases' and conditional
// weights' gradients in the epilogues. W2ᵀ and W3ᵀ are copied to scratch first.
inline void made_hidden_backward_tiled(const MadeShape& sh, const float* p, const float* dO, const float* Z, Index ldz,
                                       const float* M, Index ldm, Index n, const float* A1, const float* A2,
                                       MadeScratch<float>& scr, float* g) {
    const Index d = sh.d, H = sh.H, k = sh.k;
    using CMap = Eigen::Map<const Mat<float>>;
    scr.w2t.noalias() = CMap(p + sh.oW2(), H, H).transpose();
    scr.w3t.noalias() = CMap(p + sh.oW3(), 2 * d, H).transpose();
    float* dA2 = scr.da2.data();
    float* dA1 = scr.da1.data();
    std::fill(g + sh.ob2(), g + sh.ob2() + H, 0.0f);
    std::fill(g + sh.oC2(), g + sh.oC2() + H * k, 0.0f);
    std::fill(g + sh.ob1(), g + sh.ob1() + H, 0.0f);
    std::fill(g + sh.oC1(), g + sh.oC1() + H * k, 0.0f);
    const HiddenBackward e2{A2, M, ldm, k, H, dA2, g + sh.ob2(), g + sh.oC2()};
    tiled_rows(0, H, n, 2 * d, scr.w3t.data(), H, dO, 1, 2 * d, e2);
    // ∂W2, block (group gr rows) × (columns < start(gr + 1)); the masked blocks stay zero
    const StoreTile st{g + sh.oW2(), H};
    const HiddenBackward e1{A1, M, ldm, k, H, dA1, g + sh.ob1(), g + sh.oC1()};
    for (Index gr = 0; gr < d; ++gr) {
        const Index r0 = sh.start(gr), r1 = sh.start(gr + 1);
        tiled_rows(r0, r1, r1, n, dA2, H, A1, H, 1, st);
        // ∂A1 of group gr: Σ_{o ≥ r0} W2(o, ·)ᵀ ∂A2(o, ·)
        tiled_rows(r0, r1, n, H - r0, scr.w2t.data() + r0 * H, H, dA2 + r0, 1, H, e1);
    }
    // ∂W1 over its free columns (feature j < degree of the row), the rest zero
    float* gW1 = g + sh.oW1();
    const StoreTile st1{gW1, H};
    for (Index gr = 0; gr < d; ++gr) {
        const Index r0 = sh.start(gr), r1 = sh.start(gr + 1);
        tiled_rows(r0, r1, gr, n, dA1, H, Z, ldz, 1, st1);
        for (Index j = gr; j < d; ++j) std::fill(gW1 + r0 + j * H, gW1 + r1 + j * H, 0.0f);
    }
}
#endif

}  // namespace detail_made

/// Forward pass of one block on n = Z.cols() events: fills cache (a1, a2, s, u) and adds
/// −Σ_i s_i to logdet (if given). p points at the block's parameters, o is scratch (2d × ≥n).
template <class S, class ZM, class MM>
void made_forward(const MadeShape& sh, const S* p, const ZM& Z, const MM& M, MadeCache<S>& cache, Mat<S>& o_buf,
                  S* logdet = nullptr) {
    const Index n = Z.cols(), d = sh.d, H = sh.H, k = sh.k;
    using CMap = Eigen::Map<const Mat<S>>;
    using CVec = Eigen::Map<const Vec<S>>;
    const CMap W1(p + sh.oW1(), H, d), W2(p + sh.oW2(), H, H), W3(p + sh.oW3(), 2 * d, H);
    auto A1 = cache.a1.leftCols(n);
    auto A2 = cache.a2.leftCols(n);
    bool tiled = false;
#if defined(__AVX512F__)
    if constexpr (detail_made::tiled_types<S, ZM, MM>)
        if ((tiled = detail_made::use_tiled(sh, Z, M)))
            detail_made::made_hidden_forward_tiled(sh, p, Z.data(), Z.outerStride(), M.data(), M.outerStride(), n,
                                                   A1.data(), A2.data());
#endif
    if (!tiled) {
        A1.noalias() = W1 * Z;
        detail_made::bias_cond_relu<S>(A1, p + sh.ob1(), p + sh.oC1(), H, k, M);
        for (Index g = 0; g < d; ++g) {  // block-triangular hidden→hidden product
            const Index r0 = sh.start(g), r1 = sh.start(g + 1);
            if (r1 > r0) A2.middleRows(r0, r1 - r0).noalias() = W2.block(r0, 0, r1 - r0, r1) * A1.topRows(r1);
        }
        detail_made::bias_cond_relu<S>(A2, p + sh.ob2(), p + sh.oC2(), H, k, M);
    }
    auto O = o_buf.leftCols(n);
    O.noalias() = W3 * A2;
    const CVec b3m(p + sh.ob3(), d), b3s(p + sh.ob3() + d, d);
    const S c = static_cast<S>(sh.clamp), inv_c = static_cast<S>(1.0 / sh.clamp);
    auto Sx = cache.s.leftCols(n);
    Sx.array() = c * ((O.bottomRows(d).colwise() + b3s).array() * inv_c).tanh();
    cache.u.leftCols(n).array() = (Z.array() - (O.topRows(d).colwise() + b3m).array()) * (-Sx.array()).exp();
    if (logdet != nullptr)
        for (Index j = 0; j < n; ++j) logdet[j] -= Sx.col(j).sum();
}

/// Backward pass of one block. du: ∂L/∂u (d × n); ds_direct: ∂L/∂s_i from the log-determinant
/// (the same for every event and feature: 1/B for the mean NLL of a minibatch of B); Z, M the
/// block's inputs. Writes the block's parameter gradient to g (same layout as p; masked entries
/// untouched) and ∂L/∂z to scratch.dz.
template <class S, class DU, class ZM, class MM>
void made_backward(const MadeShape& sh, const S* p, const DU& du, S ds_direct, const ZM& Z, const MM& M,
                   const MadeCache<S>& cache, MadeScratch<S>& scr, S* g) {
    const Index n = Z.cols(), d = sh.d, H = sh.H, k = sh.k;
    using CMap = Eigen::Map<const Mat<S>>;
    using VMap = Eigen::Map<Mat<S>>;
    const CMap W1(p + sh.oW1(), H, d), W2(p + sh.oW2(), H, H), W3(p + sh.oW3(), 2 * d, H);
    VMap gW1(g + sh.oW1(), H, d), gW2(g + sh.oW2(), H, H), gW3(g + sh.oW3(), 2 * d, H);
    const auto A1 = cache.a1.leftCols(n);
    const auto A2 = cache.a2.leftCols(n);
    const auto Sx = cache.s.leftCols(n);
    const auto U = cache.u.leftCols(n);
    auto dO = scr.o.leftCols(n);
    auto dZ = scr.dz.leftCols(n);
    const S inv_c = static_cast<S>(1.0 / sh.clamp);
    // u = (z − μ)e^{−s}: ∂u/∂z = e^{−s}, ∂u/∂μ = −e^{−s}, ∂u/∂s = −u; s = c·tanh(s̃/c): ∂s/∂s̃ = 1 − (s/c)².
    dZ.array() = du.array() * (-Sx.array()).exp();
    dO.topRows(d) = -dZ;
    dO.bottomRows(d).array() = (ds_direct - du.array() * U.array()) * (S(1) - (Sx.array() * inv_c).square());
    Eigen::Map<Vec<S>>(g + sh.ob3(), 2 * d).noalias() = dO.rowwise().sum();
    gW3.noalias() = dO * A2.transpose();
    for (Index r = 0; r < 2 * d; ++r)  // keep masked entries at zero
        for (Index h = sh.start((r % d) + 1); h < H; ++h) gW3(r, h) = S(0);
    bool tiled = false;
#if defined(__AVX512F__)
    if constexpr (detail_made::tiled_types<S, ZM, MM>)
        if ((tiled = detail_made::use_tiled(sh, Z, M)))
            detail_made::made_hidden_backward_tiled(sh, p, dO.data(), Z.data(), Z.outerStride(), M.data(),
                                                    M.outerStride(), n, A1.data(), A2.data(), scr, g);
#endif
    auto dA1 = scr.da1.leftCols(n);
    if (!tiled) {
        auto dA2 = scr.da2.leftCols(n);
        dA2.noalias() = W3.transpose() * dO;
        detail_made::relu_backward<S>(dA2, A2, g + sh.ob2(), g + sh.oC2(), k, M);
        for (Index gr = 0; gr < d; ++gr) {
            const Index r0 = sh.start(gr), r1 = sh.start(gr + 1);
            if (r1 == r0) continue;
            gW2.block(r0, 0, r1 - r0, r1).noalias() = dA2.middleRows(r0, r1 - r0) * A1.topRows(r1).transpose();
            // column group gr is seen by the rows of groups ≥ gr
            dA1.middleRows(r0, r1 - r0).noalias() =
                W2.block(r0, r0, H - r0, r1 - r0).transpose() * dA2.bottomRows(H - r0);
        }
        detail_made::relu_backward<S>(dA1, A1, g + sh.ob1(), g + sh.oC1(), k, M);
        gW1.noalias() = dA1 * Z.transpose();
        for (Index h = 0; h < H; ++h)
            for (Index j = h * d / H; j < d; ++j) gW1(h, j) = S(0);
    }
    dZ.noalias() += W1.transpose() * dA1;
}

/// Inverse of one block: given u (d × n) and m, solves for z (written to Z). One forward pass in
/// all: pass g computes only the hidden units of degree g (they depend on z_<g, already known) and
/// output g. cache supplies the hidden buffers (H × ≥n), o_buf scratch (≥ 2n entries).
template <class S, class UM, class MM, class ZM>
void made_inverse(const MadeShape& sh, const S* p, const UM& U, const MM& M, ZM&& Z, MadeCache<S>& cache,
                  Mat<S>& o_buf) {
    const Index n = U.cols(), d = sh.d, H = sh.H, k = sh.k;
    using CMap = Eigen::Map<const Mat<S>>;
    const CMap W1(p + sh.oW1(), H, d), W2(p + sh.oW2(), H, H), W3(p + sh.oW3(), 2 * d, H);
    const S* b1 = p + sh.ob1();
    const S* b2 = p + sh.ob2();
    const S* b3 = p + sh.ob3();
    const S* C1 = p + sh.oC1();
    const S* C2 = p + sh.oC2();
    const S c = static_cast<S>(sh.clamp), inv_c = static_cast<S>(1.0 / sh.clamp);
    auto A1 = cache.a1.leftCols(n);
    auto A2 = cache.a2.leftCols(n);
    Z.setZero();
    for (Index g = 0; g < d; ++g) {
        const Index r0 = sh.start(g), r1 = sh.start(g + 1), nr = r1 - r0;
        if (nr > 0) {
            auto a1 = A1.middleRows(r0, nr);
            if (g > 0)
                a1.noalias() = W1.block(r0, 0, nr, g) * Z.topRows(g);
            else
                a1.setZero();
            detail_made::bias_cond_relu<S>(a1, b1 + r0, C1 + r0, H, k, M);
            auto a2 = A2.middleRows(r0, nr);
            a2.noalias() = W2.block(r0, 0, nr, r1) * A1.topRows(r1);
            detail_made::bias_cond_relu<S>(a2, b2 + r0, C2 + r0, H, k, M);
        }
        // μ_g and s̃_g into two contiguous vectors (so that tanh and exp vectorize)
        Eigen::Map<Vec<S>> mu(o_buf.data(), n), sc(o_buf.data() + n, n);
        mu.transpose().noalias() = W3.row(g).head(r1) * A2.topRows(r1);
        sc.transpose().noalias() = W3.row(d + g).head(r1) * A2.topRows(r1);
        sc.array() = (c * ((sc.array() + b3[d + g]) * inv_c).tanh()).exp();
        Z.row(g) = (U.row(g).array() * sc.transpose().array() + mu.transpose().array() + b3[g]).matrix();
    }
}

}  // namespace resanom::flow
