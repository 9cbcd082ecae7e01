// resanom/models/nn/kernels.hpp — a register-tiled single-precision product kernel for the
// networks' small matrix products (128-wide layers, minibatch chunks of ~128 events), where a
// general GEMM spends much of its time packing: C (MR × NR tile, MR = 16 or 32 rows) accumulates
// Σ_k A_k ⊗ B_k in AVX-512 registers, A_k a column of MR contiguous floats, B_k NR scalars at any
// strides, and hands the finished tile to an epilogue (bias, activation, masks, stores) in registers.
// Compiled only where the translation unit targets AVX-512 (kernels::available); callers keep a
// portable path. docs/models/flow.md ("Implementation and speed") describes the uses.
#pragma once

#include <type_traits>

#include "resanom/core/types.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace resanom::nn::kernels {

/// Whether rows can be tiled: a multiple of 16.
inline constexpr bool tileable(Index rows) { return rows % 16 == 0; }

#if defined(__AVX512F__)
inline constexpr bool available = true;

/// One MR × NR tile: acc[e] (MR/16 vectors) = Σ_{k<K} a[k·lda + 0..MR) · b[k·bk + e·be], then
/// epi(e, acc_e_0[, acc_e_1]) for e = 0..NR−1.
template <int MR, int NR, class Epi>
[[gnu::always_inline]] inline void tile(Index K, const float* a, Index lda, const float* b, Index bk, Index be,
                                        Epi&& epi) {
    static_assert(MR == 16 || MR == 32, "row tiles of 16 or 32");
    constexpr int V = MR / 16;
    __m512 acc[NR][V];
#pragma GCC unroll 16
    for (int e = 0; e < NR; ++e)
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) acc[e][v] = _mm512_setzero_ps();
    const float* ak = a;
    const float* bp = b;
    for (Index left = K; left > 0; --left, ak += lda, bp += bk) {
        __m512 av[V];
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) av[v] = _mm512_loadu_ps(ak + 16 * v);
#pragma GCC unroll 16
        for (int e = 0; e < NR; ++e) {
            const __m512 bb = _mm512_set1_ps(bp[e * be]);
#pragma GCC unroll 2
            for (int v = 0; v < V; ++v) acc[e][v] = _mm512_fmadd_ps(av[v], bb, acc[e][v]);
        }
    }
#pragma GCC unroll 16
    for (int e = 0; e < NR; ++e) epi(e, acc[e]);
}

/// The tiles of an MR-row panel over N columns: columns in tiles of 8, the rest in 4, 2, 1.
/// epi(column, const __m512* acc) receives the panel's absolute column index.
template <int MR, class Epi>
inline void panel(Index N, Index K, const float* a, Index lda, const float* b, Index bk, Index be, Epi&& epi) {
    Index j = 0;
    const auto run = [&]<int NR>() {
        tile<MR, NR>(K, a, lda, b + j * be, bk, be, [&](int e, const __m512* acc) { epi(j + e, acc); });
        j += NR;
    };
    for (; j + 8 <= N;) run.template operator()<8>();
    if (j + 4 <= N) run.template operator()<4>();
    if (j + 2 <= N) run.template operator()<2>();
    if (j + 1 <= N) run.template operator()<1>();
}

/// Every row panel of `rows` (a multiple of 16) rows: panels of 32 rows, the last one of 16 if
/// needed. fn(row0, MR tag) is called with std::integral_constant<int, MR>.
template <class Fn>
inline void row_panels(Index rows, Fn&& fn) {
    Index r = 0;
    for (; r + 32 <= rows; r += 32) fn(r, std::integral_constant<int, 32>{});
    if (r < rows) fn(r, std::integral_constant<int, 16>{});
}

#else
inline constexpr bool available = false;
#endif

}  // namespace resanom::nn::kernels
