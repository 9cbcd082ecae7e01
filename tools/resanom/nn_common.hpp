// tools/resanom/nn_common.hpp — what the network subcommands of the `resanom` tool share (`score
// --model ae`, `classify --model mlp`): parsing layer-width lists, selecting feature columns with
// errors that name the file, and a progress line with ETA on stderr.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "common.hpp"
#include "resanom/io/table.hpp"
#include "resanom/models/serialization.hpp"

namespace resanom::cli {

/// Parses "512,512" into positive layer widths.
inline std::vector<Index> parse_widths(const std::string& text, const std::string& flag) {
    return parse_indices(text, flag, 1, "a positive layer width");
}

/// The columns `cols` of a table read from `path`; io_error naming the file for a missing column.
/// Refuses a feature column whose header names it `label` (any case): truth must never be a
/// feature — a model trained on it would "find" any signal. A column given as --label-col is
/// refused by each subcommand's own check.
inline void refuse_label_features(const io::Table& t, const std::vector<Index>& cols, const std::string& path,
                                  const std::string& flag = "--features") {
    for (Index c : cols) {
        if (c < 0 || static_cast<std::size_t>(c) >= t.columns.size()) continue;
        std::string name = t.columns[static_cast<std::size_t>(c)];
        for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (name == "label")
            throw io_error(path, flag + ": column " + std::to_string(c) + " is named '" + t.columns[static_cast<std::size_t>(c)] +
                                     "': truth labels must not be features");
    }
}

inline Matrix select_columns(const io::Table& t, const std::vector<Index>& cols, const std::string& path,
                             const std::string& flag) {
    for (Index c : cols)
        if (c >= t.data.cols())
            throw io_error(path, flag + ": column " + std::to_string(c) + " does not exist (the file has " +
                                     std::to_string(t.data.cols()) + " columns)");
    if (flag == "--features") refuse_label_features(t, cols, path, flag);
    return t.data(Eigen::all, cols);
}

/// The ModelColumns of columns `cols` of table t: their indices, and their names when the file had
/// a header.
inline ModelColumns model_columns_of(const io::Table& t, const std::vector<Index>& cols) {
    ModelColumns m;
    // An .npy file has no header: its default names c0, c1, … name nothing.
    const bool named = !t.columns.empty() && t.columns != io::detail::default_column_names(t.data.cols());
    for (Index c : cols) {
        m.index.push_back(c);
        if (named && static_cast<std::size_t>(c) < t.columns.size()) m.name.push_back(t.columns[static_cast<std::size_t>(c)]);
    }
    if (m.name.size() != m.index.size()) m.name.clear();
    return m;
}

/// Refuses to apply a model to other columns than those it was trained on: the indices must agree,
/// and the names too where both the model file and the input file have them.
inline void require_model_columns(const ModelColumns& trained, const ModelColumns& given, const std::string& model) {
    if (trained.empty()) return;   // a model saved without its columns: only the count is checked
    const bool same_index = trained.index == given.index;
    const bool same_names = trained.name.empty() || given.name.empty() || trained.name == given.name;
    if (!same_index || !same_names)
        throw usage_error("--features: the model " + model + " was trained on columns " + trained.describe() +
                          ", not " + given.describe());
}

/// Reads a table and requires at least one row.
inline io::Table read_events(const std::string& path, const std::string& flag) {
    if (path.empty()) throw usage_error(flag + " is required");
    io::Table t = io::read_table(path);
    if (t.data.rows() == 0) throw io_error(path, "no events (the file has no rows)");
    return t;
}

/// Whether progress goes to stderr: when asked (--progress) or when stderr is a terminal.
inline bool progress_shown(bool requested) { return requested || ::isatty(STDERR_FILENO) != 0; }

/// "[=====     ] 5/10 members, ETA 12 s" on stderr, when enabled (stderr is a terminal or
/// --progress). Thread-safe.
class ProgressLine {
public:
    ProgressLine(bool requested, std::string what)
        : enabled_(progress_shown(requested)), what_(std::move(what)),
          start_(std::chrono::steady_clock::now()) {}

    void update(long long done, long long total) { update(done, total, done, ""); }

    /// As update(done, total), with the bar (and the ETA) at `position` ∈ [done, done + 1) and
    /// `detail` after the count, e.g. "window 3: fold 2/5".
    void update(long long done, long long total, double position, const std::string& detail) {
        if (!enabled_ || total <= 0) return;
        std::lock_guard lock(m_);
        const double frac = std::clamp(position / static_cast<double>(total), 0.0, 1.0);
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        const int width = 30, filled = static_cast<int>(frac * width);
        std::string bar(static_cast<std::size_t>(filled), '=');
        bar.resize(width, ' ');
        std::string eta = frac > 0 ? "ETA " + std::to_string(std::lround(elapsed * (1 - frac) / frac)) + " s" : "ETA ?";
        std::string line = "\r[" + bar + "] " + std::to_string(done) + "/" + std::to_string(total) + " " + what_;
        if (!detail.empty()) line += " (" + detail + ")";
        line += ", " + eta;
        // Pad over a longer previous line.
        const std::size_t shown = line.size();
        if (shown < last_width_) line.append(last_width_ - shown, ' ');
        last_width_ = shown;
        std::fputs(line.c_str(), stderr);
        if (done >= total) std::fputs("\n", stderr);
        std::fflush(stderr);
    }
    bool enabled() const noexcept { return enabled_; }

private:
    bool enabled_;
    std::string what_;
    std::chrono::steady_clock::time_point start_;
    std::size_t last_width_ = 0;
    std::mutex m_;
};


}  // namespace resanom::cli
