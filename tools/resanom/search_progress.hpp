// tools/resanom/search_progress.hpp — the progress bar and the --verbose lines of `resanom search`:
// the library's SearchObservers (search/run.hpp) turned into one bar per phase on stderr.
#pragma once

#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>

#include "common.hpp"
#include "resanom/search/run.hpp"

namespace resanom::cli {

/// The search's progress bar, one per phase (the reference's windows for δ_sys, then the search's
/// windows): it advances by step inside a window (template, folds, and the flow's epochs or the
/// autoencoders as detail), the count by window. Steps per window are learned from the phase's
/// first window (the same method runs in every window); until then begin()'s guess is used.
/// Thread-safe (the AE ensemble reports from worker threads).
class WindowSteps {
public:
    explicit WindowSteps(bool requested) : enabled_(progress_shown(requested)) {}

    bool enabled() const noexcept { return enabled_; }

    /// A new phase and its bar: `windows` windows of about `steps` steps each.
    void begin(std::string_view phase, Index windows, Index steps) {
        const std::string what = phase == "reference"   ? "reference windows (δ_sys)"
                                 : phase == "sidebands" ? "sideband windows (δ_sys^SB)"
                                                        : std::string(phase);
        std::lock_guard lock(m_);
        bar_.emplace(enabled_, what);
        windows_ = windows;
        expected_ = steps;
        done_ = steps_ = 0;
    }
    /// A step completed.
    void step(const PipelineStep& s) {
        std::lock_guard lock(m_);
        ++steps_;
        show(std::string(s.what) + (s.total > 1 ? " " + std::to_string(s.done) + "/" + std::to_string(s.total) : "") +
             " done");
    }
    /// Progress inside the current step (e.g. the flow's epochs): `part` ∈ [0, 1] of the step.
    void detail(const std::string& what, double part) {
        std::lock_guard lock(m_);
        show(what, part);
    }
    void window_done(Index done) {
        std::lock_guard lock(m_);
        if (!bar_) return;
        if (done_ == 0 && steps_ > 0) expected_ = steps_;
        done_ = done;
        steps_ = 0;
        bar_->update(done_, windows_);
    }

private:
    void show(const std::string& what, double part = 0.0) {
        if (!bar_) return;
        const double within = std::min(0.99, (static_cast<double>(steps_) + part) / static_cast<double>(expected_));
        bar_->update(done_, windows_, static_cast<double>(done_) + within, "window " + std::to_string(done_ + 1) + ": " + what);
    }

    bool enabled_;
    std::optional<ProgressLine> bar_;
    Index windows_ = 0;
    Index expected_ = 1;
    Index done_ = 0;
    Index steps_ = 0;
    std::mutex m_;
};

/// The search's callbacks: the bar of `steps`, and with `verbose` one line per window.
inline SearchObservers search_observers(WindowSteps& steps, bool verbose) {
    SearchObservers obs;
    obs.phase = [&steps](std::string_view phase, Index windows, Index n) { steps.begin(phase, windows, n); };
    obs.window_done = [&steps](Index done, Index) { steps.window_done(done); };
    if (steps.enabled()) {
        obs.step = [&steps](const PipelineStep& s) { steps.step(s); };
        obs.flow_epoch = [&steps](const FlowEpochReport& r) {
            steps.detail("flow epoch " + std::to_string(r.epoch) + "/" + std::to_string(r.max_epochs),
                         static_cast<double>(r.epoch) / r.max_epochs);
        };
        obs.autoencoder = [&steps](int done, int total) {
            steps.detail("autoencoders " + std::to_string(done) + "/" + std::to_string(total),
                         static_cast<double>(done) / total);
        };
    }
    if (verbose)
        obs.window = [](const WindowReport& w) {
            std::ostringstream line;
            line << "resanom: window [" << w.window.sr.lo << ", " << w.window.sr.hi << "): " << w.n_sr << " SR events, "
                 << w.result.n_train << " training rows";
            if (w.auc) line << ", AUC " << *w.auc;
            for (const auto& s : w.result.significances) line << ", Z(" << s.statistic << ", " << s.eps_b << ") " << s.z;
            std::cerr << "\r" << line.str() << "\n" << std::flush;
        };
    return obs;
}

}  // namespace resanom::cli
