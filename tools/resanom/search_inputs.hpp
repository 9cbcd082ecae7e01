// tools/resanom/search_inputs.hpp — the event files of `resanom search`: each read, its columns
// checked against --m-col, --features and --label-col, truth kept only where it evaluates.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "resanom/core/events.hpp"
#include "resanom/io/table.hpp"
#include "search_flags.hpp"

namespace resanom::cli {

/// One input file of the search: its events and its column count.
struct EventFile {
    Events events;
    Index columns = 0;
};

/// Reads one input of the search: features, resonant columns, truth from --label-col when
/// `with_truth`. `data_columns` is --data's column count (none when reading --data itself): every
/// other file must have as many columns, since --m-col, --features and --label-col index them all.
inline EventFile load_events(const std::string& path, const std::string& flag, const SearchFlags& o, bool with_truth,
                      bool require_truth, std::optional<Index> data_columns) {
    const io::Table t = read_events(path, flag);
    if (data_columns && t.data.cols() != *data_columns)
        throw io_error(path, flag + " has " + std::to_string(t.data.cols()) + " columns, --data " +
                                 std::to_string(*data_columns) + ": the files must share one column layout");
    const auto m_cols = parse_columns(o.m_col, "--m-col");
    const auto features = parse_columns(o.features, "--features");
    std::optional<Index> label;
    if (o.label_col) label = static_cast<Index>(*o.label_col);
    if (require_truth && !label) throw usage_error(flag + " needs truth labels: give --label-col");
    for (Index c : features) {
        for (Index m : m_cols)
            if (c == m) throw usage_error("--features: column " + std::to_string(c) + " is a resonant column (--m-col)");
        if (label && c == *label) throw usage_error("--features: column " + std::to_string(c) + " is the label column");
    }
    auto check = [&](Index c, const std::string& what) {
        if (c >= t.data.cols())
            throw io_error(path, what + " " + std::to_string(c) + " is out of range: the file has " +
                                     std::to_string(t.data.cols()) + " columns");
    };
    for (Index c : features) check(c, "--features column");
    for (Index c : m_cols) check(c, "--m-col");
    refuse_label_features(t, features, path);
    if (label && (with_truth || require_truth)) check(*label, "--label-col");
    const bool truth = label && (with_truth || require_truth);
    if (truth) {
        const auto y = t.data.col(*label);
        for (Index i = 0; i < y.size(); ++i)
            if (!(y[i] >= 0.0 && y[i] <= 1.0))
                throw io_error(path, "label " + std::to_string(y[i]) + " outside [0,1] (--label-col)",
                               static_cast<std::size_t>(i), static_cast<std::size_t>(*label));
    }
    try {
        return {events_from_table(t.data, features, m_cols, truth ? label : std::nullopt, std::nullopt, t.columns),
                t.data.cols()};
    } catch (const io_error&) {
        throw;
    } catch (const input_error& e) {
        throw io_error(path, e.what());
    }
}

/// Every file of the search, read and checked before anything runs.
struct SearchFiles {
    Events data;
    std::vector<Events> sims;
    std::optional<Events> test, reference;
};

inline SearchFiles load_search_files(const SearchFlags& o) {
    EventFile data = load_events(o.data, "--data", o, true, false, std::nullopt);
    SearchFiles f{std::move(data.events), {}, std::nullopt, std::nullopt};
    for (const auto& s : o.sim) f.sims.push_back(load_events(s, "--sim", o, false, false, data.columns).events);
    if (!o.test.empty()) f.test = load_events(o.test, "--test", o, true, true, data.columns).events;
    if (!o.delta_sys_from.empty())
        f.reference = load_events(o.delta_sys_from, "--delta-sys-from", o, false, false, data.columns).events;
    return f;
}

}  // namespace resanom::cli
