// resanom/core/random.hpp — the one random engine type and the few distributions resanom uses.
//
// Every stochastic function in resanom takes a seed or an Rng&. The engine is xoshiro256++ seeded
// through splitmix64 (Blackman & Vigna), and the distributions below are written out here rather
// than taken from <random>, whose distributions are implementation-defined. The same seed gives the
// same bits on one toolchain and machine (the tests check it); across compilers, standard libraries
// or CPUs the integer streams agree, but the distributions go through std::log, std::exp, std::sin
// and friends, whose last bits may differ between libm versions, and a compiler may contract a*b+c
// into one fused multiply-add (GCC does on FMA hardware unless -ffp-contract=off).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <math.h>  // lgamma_r
#include <numbers>
#include <vector>

#if !(defined(__linux__) || defined(__GLIBC__) || defined(__FreeBSD__))
#include <boost/math/special_functions/gamma.hpp>  // lgamma without global state
#endif

namespace resanom {

/// splitmix64 step: a bijective mixer, used to expand a 64-bit seed into engine state and to
/// derive independent child seeds.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// xoshiro256++: 256-bit state, period 2^256 − 1, passes BigCrush; satisfies
/// std::uniform_random_bit_generator so it also works with <random> and std::shuffle.
class Rng {
public:
    using result_type = std::uint64_t;

    explicit constexpr Rng(std::uint64_t seed = 0) noexcept { reseed(seed); }

    constexpr void reseed(std::uint64_t seed) noexcept {
        std::uint64_t sm = seed;
        for (auto& s : s_) s = splitmix64(sm);
    }

    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

    constexpr result_type operator()() noexcept {
        const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    /// A child engine whose stream is independent of this one's for all practical purposes
    /// (seeded from this engine's output through splitmix64). Advances this engine by one draw.
    Rng split() noexcept { return Rng((*this)()); }

    friend constexpr bool operator==(const Rng&, const Rng&) = default;

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
        return (x << k) | (x >> (64 - k));
    }
    std::array<std::uint64_t, 4> s_{};
};

/// The seed of the i-th of several independent tasks (ensemble members, folds, windows) derived
/// from one user seed, so that task i gets the same stream whatever order tasks run in.
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t i) noexcept {
    std::uint64_t s = seed ^ (0xD1B54A32D192ED03ull * (i + 1));
    splitmix64(s);
    return splitmix64(s);
}

/// Uniform double in [0, 1) with 53 random bits.
inline double uniform01(Rng& rng) noexcept {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

/// Uniform double in (0, 1): never exactly 0, safe for logarithms.
inline double uniform_open01(Rng& rng) noexcept {
    return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
}

/// Uniform double in [lo, hi).
inline double uniform(Rng& rng, double lo, double hi) noexcept {
    return lo + (hi - lo) * uniform01(rng);
}

/// Uniform integer in [0, n) without modulo bias (Lemire's multiply-and-reject). n > 0.
inline std::uint64_t uniform_index(Rng& rng, std::uint64_t n) noexcept {
    std::uint64_t x = rng();
    __uint128_t m = static_cast<__uint128_t>(x) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
        const std::uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            x = rng();
            m = static_cast<__uint128_t>(x) * n;
            low = static_cast<std::uint64_t>(m);
        }
    }
    return static_cast<std::uint64_t>(m >> 64);
}

/// Standard normal deviate by the Box–Muller transform (one of the pair is used; simplicity and
/// exact reproducibility matter more here than the factor two).
inline double normal(Rng& rng) noexcept {
    const double u1 = uniform_open01(rng);
    const double u2 = uniform01(rng);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

/// Normal deviate with the given mean and standard deviation.
inline double normal(Rng& rng, double mean, double sd) noexcept { return mean + sd * normal(rng); }

/// Exponential deviate with the given rate (> 0).
inline double exponential(Rng& rng, double rate) noexcept {
    return -std::log(uniform_open01(rng)) / rate;
}

namespace detail {
/// log Γ(x). std::lgamma also stores the sign of Γ(x) in the C library's global `signgam`, a data
/// race when toys are drawn on several threads (ThreadSanitizer reports it). On Linux (glibc, musl)
/// and FreeBSD lgamma_r returns the sign instead and gives the same value; elsewhere Boost.Math's
/// lgamma, which keeps no global state.
inline double log_gamma(double x) noexcept {
#if defined(__linux__) || defined(__GLIBC__) || defined(__FreeBSD__)
    int sign = 0;
    return ::lgamma_r(x, &sign);
#else
    return boost::math::lgamma(x);
#endif
}
}  // namespace detail

/// Poisson deviate with mean mu ≥ 0: multiplication method for small means, the PTRS
/// transformed-rejection method (Hörmann 1993) for mu ≥ 10.
inline std::uint64_t poisson(Rng& rng, double mu) noexcept {
    if (!(mu > 0.0)) return 0;
    if (mu < 10.0) {
        const double limit = std::exp(-mu);
        double prod = uniform01(rng);
        std::uint64_t k = 0;
        while (prod > limit) {
            ++k;
            prod *= uniform01(rng);
        }
        return k;
    }
    const double slam = std::sqrt(mu), loglam = std::log(mu);
    const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    const double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
        const double u = uniform01(rng) - 0.5, v = uniform01(rng);
        const double us = 0.5 - std::fabs(u);
        const double k = std::floor((2.0 * a / us + b) * u + mu + 0.43);
        if (us >= 0.07 && v <= vr) return static_cast<std::uint64_t>(k);
        if (k < 0.0 || (us < 0.013 && v > us)) continue;
        if (std::log(v) + std::log(invalpha) - std::log(a / (us * us) + b) <=
            -mu + k * loglam - detail::log_gamma(k + 1.0))
            return static_cast<std::uint64_t>(k);
    }
}

/// Gamma(shape, 1) deviate by Marsaglia & Tsang (2000), built on normal() and uniform_open01() so
/// that it is bit-reproducible; shape < 1 through Gamma(shape + 1)·U^(1/shape). shape > 0.
inline double gamma_deviate(Rng& rng, double shape) noexcept {
    if (shape < 1.0) {
        const double g = gamma_deviate(rng, shape + 1.0);
        return g * std::pow(uniform_open01(rng), 1.0 / shape);
    }
    const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = normal(rng);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        const double u = uniform_open01(rng);
        const double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
        if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v;
    }
}

/// Beta(a, b) deviate as Ga/(Ga + Gb) of two gamma deviates. a, b > 0. May round to exactly 0 or 1
/// for very small a or b.
inline double beta_deviate(Rng& rng, double a, double b) noexcept {
    const double x = gamma_deviate(rng, a);
    const double y = gamma_deviate(rng, b);
    return x / (x + y);
}

/// Fisher–Yates shuffle driven by uniform_index, so the permutation depends only on the seed.
template <class RandomIt>
void shuffle(RandomIt first, RandomIt last, Rng& rng) noexcept {
    const auto n = last - first;
    for (auto i = n - 1; i > 0; --i) {
        const auto j = static_cast<decltype(i)>(uniform_index(rng, static_cast<std::uint64_t>(i) + 1));
        using std::swap;
        swap(first[i], first[j]);
    }
}

/// A random permutation of 0..n−1.
inline std::vector<std::size_t> permutation(std::size_t n, Rng& rng) {
    std::vector<std::size_t> p(n);
    for (std::size_t i = 0; i < n; ++i) p[i] = i;
    shuffle(p.begin(), p.end(), rng);
    return p;
}

}  // namespace resanom
