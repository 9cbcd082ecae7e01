// resanom/core/regions.hpp — signal regions, sidebands and window scans in the resonant feature m.
//
// An Interval is half-open, [lo, hi), so adjacent windows never share an event. A Window is one
// signal region (SR) on one resonant feature with its short sidebands (the CWoLa template,
// Benkendorfer et al. 2021, §II.C; Das et al. 2024, §2.2.2) and long sidebands (SALAD's reweighting
// region, Benkendorfer et al. 2021, §II.C: the short ones extended by 0.3 TeV). Scans produce the
// window layouts of Das et al. 2024, §2.1 (nine overlapping 0.4 TeV windows), Collins et al. 2021,
// §3.1 (30 log-uniform bins in [2.8, 5.2] TeV, a 4-bin SR and 3-bin sidebands), or a general
// LO:HI:WIDTH:STEP grid. A MultiWindow holds one window per resonant feature (Multi-CWoLa,
// Chen et al. 2023, §3). All values in TeV.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/types.hpp"

namespace resanom {

/// A half-open interval [lo, hi) of the resonant feature.
struct Interval {
    double lo = 0.0;
    double hi = 0.0;

    constexpr bool contains(double x) const noexcept { return x >= lo && x < hi; }
    constexpr double width() const noexcept { return hi - lo; }
    constexpr double center() const noexcept { return 0.5 * (lo + hi); }
    constexpr bool empty() const noexcept { return !(hi > lo); }
    friend constexpr bool operator==(const Interval&, const Interval&) = default;
};

/// Throws input_error unless lo < hi and both are finite.
inline Interval checked_interval(double lo, double hi, const std::string& what) {
    detail::require(std::isfinite(lo) && std::isfinite(hi) && lo < hi,
                    what + ": interval [" + std::to_string(lo) + ", " + std::to_string(hi) +
                        ") must have finite ends with lo < hi");
    return Interval{lo, hi};
}

/// Where an event sits relative to a window.
enum class Region { signal, sideband, long_sideband_only, outside };

/// One signal region on resonant feature `m_column`, with its sidebands.
/// Short sidebands: [sr.lo − w, sr.lo) and [sr.hi, sr.hi + w). Long sidebands contain the short
/// ones: [sr.lo − W, sr.lo) and [sr.hi, sr.hi + W) with W ≥ w.
struct Window {
    Interval sr;
    Interval sb_low, sb_high;            ///< short sidebands (CWoLa, SA-CWoLa)
    Interval long_sb_low, long_sb_high;  ///< long sidebands (SALAD reweighting)
    Index m_column = 0;

    /// Defaults of Benkendorfer et al. 2021, §II.C: short sidebands 0.2 TeV, long ones 0.3 TeV
    /// further (0.5 TeV).
    static constexpr double default_sb_width = 0.2;
    static constexpr double default_long_sb_width = 0.5;

    static Window with_sidebands(Interval sr, double sb_width = default_sb_width,
                                 double long_sb_width = default_long_sb_width, Index m_column = 0) {
        checked_interval(sr.lo, sr.hi, "Window: signal region");
        detail::require(sb_width >= 0.0 && std::isfinite(sb_width),
                        "Window: sideband width " + std::to_string(sb_width) + " must be >= 0");
        detail::require(long_sb_width >= sb_width && std::isfinite(long_sb_width),
                        "Window: long sideband width " + std::to_string(long_sb_width) +
                            " must be >= the short sideband width " + std::to_string(sb_width));
        detail::require(m_column >= 0, "Window: negative resonant column");
        Window w;
        w.sr = sr;
        w.sb_low = {sr.lo - sb_width, sr.lo};
        w.sb_high = {sr.hi, sr.hi + sb_width};
        w.long_sb_low = {sr.lo - long_sb_width, sr.lo};
        w.long_sb_high = {sr.hi, sr.hi + long_sb_width};
        w.m_column = m_column;
        return w;
    }

    bool in_sr(double m) const noexcept { return sr.contains(m); }
    bool in_sb(double m) const noexcept { return sb_low.contains(m) || sb_high.contains(m); }
    bool in_long_sb(double m) const noexcept {
        return long_sb_low.contains(m) || long_sb_high.contains(m);
    }
    Region region_of(double m) const noexcept {
        if (in_sr(m)) return Region::signal;
        if (in_sb(m)) return Region::sideband;
        if (in_long_sb(m)) return Region::long_sideband_only;
        return Region::outside;
    }
};

/// The seed of a window: derived from a search seed and the window's SR bounds and resonant
/// column, so that a window's result does not depend on which other windows are scanned, or in
/// which order.
inline std::uint64_t window_seed(std::uint64_t seed, const Window& w) {
    return derive_seed(derive_seed(derive_seed(seed, std::bit_cast<std::uint64_t>(w.sr.lo)),
                                   std::bit_cast<std::uint64_t>(w.sr.hi)),
                       static_cast<std::uint64_t>(w.m_column));
}

/// The seed a window's pipeline gives its template generator (WeakSupervision::run), from the
/// window's seed: work done for a window ahead of its pipeline (CATHODE's density, fitted once for
/// δ_sys^SB and the template) uses it to be the generator's own.
inline std::uint64_t generator_seed(std::uint64_t window_seed) { return derive_seed(window_seed, 0); }

namespace detail {
/// Rows i of `events` (any ReferenceDataset) whose resonant feature `column` satisfies keep(m_i).
template <ReferenceDataset D, class Keep>
IndexList rows_where(const D& events, Index column, Keep keep) {
    decltype(auto) m = events.m();   // a reference for Events, a value for types that return one
    require(column >= 0 && column < static_cast<Index>(m.cols()),
            "resonant column " + std::to_string(column) + " out of range: the sample has " +
                std::to_string(m.cols()) + " resonant features");
    IndexList rows;
    for (Index i = 0; i < static_cast<Index>(m.rows()); ++i)
        if (keep(m(i, column))) rows.push_back(i);
    return rows;
}
}  // namespace detail

/// Rows of `events` whose resonant feature `column` lies in `interval`.
template <ReferenceDataset D>
IndexList rows_in(const D& events, const Interval& interval, Index column = 0) {
    return detail::rows_where(events, column, [&](double x) { return interval.contains(x); });
}

/// Rows in either of two intervals (e.g. the low and high sidebands), in row order.
template <ReferenceDataset D>
IndexList rows_in(const D& events, const Interval& a, const Interval& b, Index column) {
    return detail::rows_where(events, column, [&](double x) { return a.contains(x) || b.contains(x); });
}

/// Rows outside an interval (CATHODE trains its flow on all data outside the SR, Das et al. 2024, §2.2.3).
template <ReferenceDataset D>
IndexList rows_outside(const D& events, const Interval& interval, Index column = 0) {
    return detail::rows_where(events, column, [&](double x) { return !interval.contains(x); });
}

template <ReferenceDataset D>
IndexList sr_rows(const D& e, const Window& w) {
    return rows_in(e, w.sr, w.m_column);
}
template <ReferenceDataset D>
IndexList sb_rows(const D& e, const Window& w) {
    return rows_in(e, w.sb_low, w.sb_high, w.m_column);
}
template <ReferenceDataset D>
IndexList long_sb_rows(const D& e, const Window& w) {
    return rows_in(e, w.long_sb_low, w.long_sb_high, w.m_column);
}

/// Bin edges: n uniform bins over [lo, hi].
inline std::vector<double> uniform_edges(double lo, double hi, int n) {
    checked_interval(lo, hi, "uniform_edges");
    detail::require(n >= 1, "uniform_edges: need at least one bin");
    std::vector<double> e(static_cast<std::size_t>(n) + 1);
    for (int i = 0; i <= n; ++i) e[static_cast<std::size_t>(i)] = lo + (hi - lo) * i / n;
    e.back() = hi;
    return e;
}

/// Bin edges: n bins uniform in log m over [lo, hi] (lo > 0).
inline std::vector<double> log_edges(double lo, double hi, int n) {
    checked_interval(lo, hi, "log_edges");
    detail::require(lo > 0.0, "log_edges: lower edge must be > 0");
    detail::require(n >= 1, "log_edges: need at least one bin");
    std::vector<double> e(static_cast<std::size_t>(n) + 1);
    const double a = std::log(lo), b = std::log(hi);
    for (int i = 0; i <= n; ++i) e[static_cast<std::size_t>(i)] = std::exp(a + (b - a) * i / n);
    e.front() = lo;
    e.back() = hi;
    return e;
}

/// Sliding windows over fixed bin edges: a signal region of `sr_bins` consecutive bins with
/// `sb_bins` bins on each side as short sidebands; the SR slides by one bin while both sidebands
/// fit inside the edges. Long sidebands extend the short ones by `long_extra` TeV.
inline std::vector<Window> binned_windows(const std::vector<double>& edges, int sr_bins, int sb_bins,
                                          double long_extra = 0.3, Index m_column = 0) {
    detail::require(edges.size() >= 2, "binned_windows: need at least one bin");
    detail::require(sr_bins >= 1 && sb_bins >= 0, "binned_windows: bad bin counts");
    const int n = static_cast<int>(edges.size()) - 1;
    std::vector<Window> out;
    for (int s = sb_bins; s + sr_bins + sb_bins <= n; ++s) {
        auto e = [&](int i) { return edges[static_cast<std::size_t>(i)]; };
        Window w;
        w.sr = {e(s), e(s + sr_bins)};
        w.sb_low = {e(s - sb_bins), e(s)};
        w.sb_high = {e(s + sr_bins), e(s + sr_bins + sb_bins)};
        w.long_sb_low = {w.sb_low.lo - long_extra, w.sr.lo};
        w.long_sb_high = {w.sr.hi, w.sb_high.hi + long_extra};
        w.m_column = m_column;
        out.push_back(w);
    }
    detail::require(!out.empty(), "binned_windows: too few bins for a " + std::to_string(sr_bins) +
                                      "-bin signal region with " + std::to_string(sb_bins) +
                                      "-bin sidebands");
    return out;
}

/// A general scan: SR windows [lo + i·step, lo + i·step + width) for every i whose window ends at
/// or below hi (with a tolerance of 1e-9 TeV against rounding), each with sidebands.
inline std::vector<Window> scan_windows(double lo, double hi, double width, double step,
                                        double sb_width = Window::default_sb_width,
                                        double long_sb_width = Window::default_long_sb_width,
                                        Index m_column = 0) {
    checked_interval(lo, hi, "scan_windows: range");
    detail::require(width > 0.0 && std::isfinite(width), "scan_windows: width must be > 0");
    detail::require(step > 0.0 && std::isfinite(step), "scan_windows: step must be > 0");
    detail::require(width <= hi - lo + 1e-9, "scan_windows: width " + std::to_string(width) +
                                                 " exceeds the range [" + std::to_string(lo) + ", " +
                                                 std::to_string(hi) + ")");
    std::vector<Window> out;
    for (long i = 0;; ++i) {
        const double a = lo + static_cast<double>(i) * step;
        if (a + width > hi + 1e-9) break;
        out.push_back(Window::with_sidebands({a, a + width}, sb_width, long_sb_width, m_column));
    }
    return out;
}

/// Das et al. 2024, §2.1: nine overlapping signal regions of width 0.4 TeV centred at
/// m_n = 3.5 − 0.1·(5 − n) TeV, n = 1..9 (3.1 … 3.9 TeV), short sidebands 0.2 TeV (§2.2.2).
inline std::vector<Window> das2024_windows(double sb_width = Window::default_sb_width,
                                           double long_sb_width = Window::default_long_sb_width,
                                           Index m_column = 0) {
    std::vector<Window> out;
    for (int n = 1; n <= 9; ++n) {
        const double c = 3.5 - 0.1 * (5 - n);
        out.push_back(Window::with_sidebands({c - 0.2, c + 0.2}, sb_width, long_sb_width, m_column));
    }
    return out;
}

/// Collins et al. 2021, §3.1: m_JJ in [2.8, 5.2] TeV in 30 bins uniform in log m; a signal region of 4 bins
/// with 3-bin sidebands on either side, slid one bin at a time (21 windows). The paper's own SR,
/// (3.371, 3.661) TeV with sidebands 0.202 and 0.234 TeV wide, is the window at index 6 (bins 9–12).
inline std::vector<Window> collins2021_windows(Index m_column = 0) {
    return binned_windows(log_edges(2.8, 5.2, 30), 4, 3, 0.3, m_column);
}

/// Earlier names of das2024_windows and collins2021_windows, kept so that existing analyses build.
[[deprecated("use das2024_windows")]] inline std::vector<Window> seed003_windows(
    double sb_width = Window::default_sb_width, double long_sb_width = Window::default_long_sb_width, Index m_column = 0) {
    return das2024_windows(sb_width, long_sb_width, m_column);
}
[[deprecated("use collins2021_windows")]] inline std::vector<Window> seed004_windows(Index m_column = 0) {
    return collins2021_windows(m_column);
}

/// One window per resonant feature: feature k's window is windows[k] (Multi-CWoLa, Chen et al. 2023, §3.1).
struct MultiWindow {
    std::vector<Interval> windows;

    Index size() const noexcept { return static_cast<Index>(windows.size()); }

    /// The noisy labels M_k(m) = 1[m_k ∈ window k], n×k.
    template <ReferenceDataset D>
    Eigen::MatrixXi labels(const D& events) const {
        detail::require(events.n_resonant() == size(),
                        "MultiWindow: " + std::to_string(size()) + " windows for " +
                            std::to_string(events.n_resonant()) + " resonant features");
        decltype(auto) m = events.m();
        Eigen::MatrixXi L(events.size(), size());
        for (Index k = 0; k < size(); ++k)
            for (Index i = 0; i < events.size(); ++i)
                L(i, k) = windows[static_cast<std::size_t>(k)].contains(m(i, k)) ? 1 : 0;
        return L;
    }

    /// Rows inside every window (the "intersection" baseline of Chen et al. 2023, §3.3).
    template <ReferenceDataset D>
    IndexList rows_in_all(const D& events) const {
        const Eigen::MatrixXi L = labels(events);
        IndexList rows;
        for (Index i = 0; i < L.rows(); ++i)
            if (L.row(i).minCoeff() == 1) rows.push_back(i);
        return rows;
    }
};

}  // namespace resanom
