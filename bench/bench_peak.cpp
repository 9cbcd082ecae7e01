// bench/bench_peak.cpp — the machine's single-precision peak, the yardstick of every kernel's
// "fraction of peak": an FMA-throughput loop (independent accumulators, no memory traffic) in the
// widest vector instructions the CPU has, whatever flags this file was built with (selected at run
// time: AVX-512, AVX2 + FMA, or SSE2), on one thread and on every core; and a large Eigen GEMM
// (1024³), the best a GEMM reaches here with this build's flags.
// Counters: FLOP/s counts 2 flops per fused multiply-add.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <thread>
#include <vector>

#include <Eigen/Core>

#include "resanom/core/parallel.hpp"

namespace {

constexpr int kAcc = 16;               // independent accumulators: ≥ FMA latency × FMA pipes
constexpr std::int64_t kRounds = 1 << 16;  // FMA rounds per call

typedef float vf16 __attribute__((vector_size(64)));
typedef float vf8 __attribute__((vector_size(32)));
typedef float vf4 __attribute__((vector_size(16)));

// kRounds × kAcc vector FMAs of W floats each; returns a value that depends on all of them.
template <class V, int W = static_cast<int>(sizeof(V) / sizeof(float))>
[[gnu::always_inline]] inline float fma_loop(float seed) {
    V acc[kAcc];
    V a, b;
    for (int l = 0; l < W; ++l) {
        a[l] = 1.0f + 1e-7f * seed;
        b[l] = 1e-7f;
    }
    for (int i = 0; i < kAcc; ++i) acc[i] = a * static_cast<float>(i + 1);
    for (std::int64_t r = 0; r < kRounds; ++r) {
#pragma GCC unroll 16
        for (int i = 0; i < kAcc; ++i) acc[i] = acc[i] * a + b;
        asm volatile("" : "+v"(a));  // keep the loop from being folded
    }
    float s = 0.0f;
    for (int i = 0; i < kAcc; ++i)
        for (int l = 0; l < W; ++l) s += acc[i][l];
    return s;
}

[[gnu::target("avx512f,fma")]] float fma_avx512(float seed) { return fma_loop<vf16>(seed); }
[[gnu::target("avx2,fma")]] float fma_avx2(float seed) { return fma_loop<vf8>(seed); }
float fma_sse2(float seed) { return fma_loop<vf4>(seed); }

struct Isa {
    float (*fn)(float);
    int width;
    bool fused;
};

Isa best_isa() {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return {fma_avx512, 16, true};
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {fma_avx2, 8, true};
    return {fma_sse2, 4, false};
}

// Arg: threads (0 = every core). Each thread runs the loop once per iteration.
void BM_PeakFma(benchmark::State& state) {
    const Isa isa = best_isa();
    const unsigned threads = state.range(0) > 0 ? static_cast<unsigned>(state.range(0))
                                                : std::max(1u, std::thread::hardware_concurrency());
    std::vector<float> out(threads);
    for (auto _ : state) {
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < threads; ++t) pool.emplace_back([&, t] { out[t] = isa.fn(static_cast<float>(t)); });
        out[0] = isa.fn(0.0f);
        for (auto& th : pool) th.join();
        benchmark::DoNotOptimize(out.data());
    }
    // a·x + b per lane: 2 flops (counted so also without FMA, where it is a multiply and an add)
    const double flops = 2.0 * kAcc * static_cast<double>(kRounds) * isa.width * threads;
    state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["lanes"] = isa.width;
    state.counters["threads"] = threads;
    state.SetLabel(isa.width == 16 ? "avx512f+fma" : isa.width == 8 ? "avx2+fma" : "sse2");
}
BENCHMARK(BM_PeakFma)->Arg(1)->Arg(0)->UseRealTime()->MinTime(0.5);

// Eigen's single-precision GEMM, n × n times n × n, with this build's instructions; with two
// threads each computes half of the columns (as resanom splits its products).
void BM_PeakEigenGemm(benchmark::State& state) {
    const Eigen::Index n = state.range(0);
    const unsigned threads = static_cast<unsigned>(state.range(1));
    const Eigen::MatrixXf A = Eigen::MatrixXf::Random(n, n), B = Eigen::MatrixXf::Random(n, n);
    Eigen::MatrixXf C(n, n);
    resanom::ThreadPool* pool = threads > 1 ? &resanom::shared_pool(threads) : nullptr;
    for (auto _ : state) {
        if (pool != nullptr)
            pool->parallel_chunks(n, static_cast<resanom::Index>(threads), [&](resanom::Index, resanom::Index b, resanom::Index e) {
                C.middleCols(b, e - b).noalias() = A * B.middleCols(b, e - b);
            });
        else
            C.noalias() = A * B;
        benchmark::DoNotOptimize(C.data());
    }
    state.counters["FLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n),
                                                  benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_PeakEigenGemm)->Args({1024, 1})->Args({1024, 2})->UseRealTime();

}  // namespace
