// resanom/toys/multi_resonant.hpp — the toy with several resonant features of Chen et al. 2023, §3
// (Multi-CWoLa): each resonant feature's window is a noisy vote for the signal.
//
// MultiResonantToyParams and multi_resonant_sample draw the label model of eq. 3.3 exactly: m_a
// falls inside its window with probability α_a for signal and 1 − α_a for background; x is N(0, I)
// or N(shift·1, I). Defaults (k = 3, α = 0.8, 0.75, 0.7, class balance 0.149 of App. E.1) are those
// of the fidelity test and examples/chen2023_multi_cwola.cpp; docs/toys.md describes the toy.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/events.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/core/types.hpp"
#include "resanom/toys/gaussian.hpp"

namespace resanom::toys {

struct MultiResonantToyParams {
    Index n = 10000;                               ///< events
    double class_balance = 0.149;                  ///< p(y = 1) (Chen et al. 2023, App. E.1)
    std::vector<double> accuracies{0.8, 0.75, 0.7};  ///< α_a, one per resonant feature (k = size)
    double window_lo = 0.4, window_hi = 0.6;       ///< every feature's window inside [0, 1)
    Index n_features = 2;                          ///< d
    double shift = 1.0;                            ///< signal mean of every feature

    void validate() const {
        detail::require_count(n, "MultiResonantToyParams: n");
        detail::require_fraction(class_balance, "MultiResonantToyParams: class_balance");
        resanom::detail::require(accuracies.size() >= 1,
                                 "MultiResonantToyParams: at least one accuracy (one per resonant feature)");
        for (double a : accuracies) detail::require_fraction(a, "MultiResonantToyParams: accuracy");
        detail::require_interval(window_lo, window_hi, "MultiResonantToyParams: window");
        resanom::detail::require(window_lo > 0.0 && window_hi < 1.0,
                                 "MultiResonantToyParams: the window must lie strictly inside (0, 1)");
        resanom::detail::require(n_features >= 1, "MultiResonantToyParams: n_features must be >= 1");
        detail::require_finite(shift, "MultiResonantToyParams: shift");
    }

    /// The window of every resonant feature.
    Interval window() const { return {window_lo, window_hi}; }
};

/// n events with k = accuracies.size() resonant features m_1…m_k and d features x_1…x_d, with
/// truth labels (drop them with Events::without_truth() before training).
inline Events multi_resonant_sample(const MultiResonantToyParams& p, std::uint64_t seed) {
    p.validate();
    const auto k = static_cast<Index>(p.accuracies.size());
    Rng rng(seed);
    Matrix X(p.n, p.n_features), M(p.n, k);
    Vector truth(p.n);
    for (Index i = 0; i < p.n; ++i) {
        const bool y = uniform01(rng) < p.class_balance;
        truth[i] = y ? 1.0 : 0.0;
        for (Index j = 0; j < p.n_features; ++j) X(i, j) = normal(rng) + (y ? p.shift : 0.0);
        for (Index a = 0; a < k; ++a) {
            const bool inside = (uniform01(rng) < p.accuracies[static_cast<std::size_t>(a)]) == y;
            M(i, a) = inside ? uniform(rng, p.window_lo, p.window_hi)
                             : (uniform01(rng) < 0.5 ? uniform(rng, 0.0, p.window_lo) : uniform(rng, p.window_hi, 1.0));
        }
    }
    // Names appended piecewise: GCC 12 emits a false -Wrestrict on "m" + std::to_string(i).
    auto names = [](char prefix, Index count) {
        std::vector<std::string> out;
        for (Index i = 1; i <= count; ++i) {
            std::string name(1, prefix);
            name += std::to_string(i);
            out.push_back(std::move(name));
        }
        return out;
    };
    std::vector<std::string> m_names = names('m', k), x_names = names('x', p.n_features);
    return Events(std::move(X), std::move(M), Vector(), std::move(truth), std::move(x_names), std::move(m_names));
}

}  // namespace resanom::toys
