// tools/resanom/common.hpp — what every subcommand of the `resanom` tool shares: the exit-code
// contract documented in docs/cli.md (0 success, 2 bad input with one line on stderr, 1 internal
// failure), common flags (--seed, --threads, --progress), column lists, and the JSON line on stdout.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdint>
#include <cmath>
#include <filesystem>
#include <optional>
#include <sstream>
#include <functional>
#include <iostream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/core/types.hpp"
#include "resanom/io/npy.hpp"
#include "resanom/io/staging.hpp"

namespace resanom::cli {

/// The git commit the tool was built from (short hash), or "" when unknown (git_commit.cpp.in).
extern const char* const git_commit;

using json = nlohmann::json;

/// Bad command-line input that is not about a file: exit code 2.
struct usage_error : resanom::input_error {
    using resanom::input_error::input_error;
};

/// Runs a library check (a validate()) and reports its refusal as a usage error: the settings came
/// from the flags.
template <class Check>
void as_usage(Check&& check) {
    try {
        check();
    } catch (const usage_error&) {
        throw;
    } catch (const resanom::input_error& e) {
        throw usage_error(e.what());
    }
}

/// Options every subcommand has.
struct CommonOptions {
    std::uint64_t seed = 0;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    bool progress = false;
    bool verbose = false;
};

inline void add_common_options(CLI::App& sub, CommonOptions& o) {
    // CLI11 would read "-1" into an unsigned value by wrapping it; both flags are checked on
    // their text first so that a sign is an error that names the flag.
    sub.add_option("--seed", o.seed, "Random seed (0 to 2^64-1): same inputs and seed give the same bytes out")
        ->capture_default_str()
        ->check(CLI::Validator(
            [](const std::string& v) {
                return v.find_first_not_of("0123456789") == std::string::npos && !v.empty()
                           ? std::string()
                           : "--seed must be a non-negative integer, got '" + v + "'";
            },
            "UINT64"));
    sub.add_option("--threads", o.threads, "Worker threads, at least 1 (default: all cores)")
        ->check(CLI::Validator(
            [](const std::string& v) {
                const bool digits = !v.empty() && v.size() < 6 && v.find_first_not_of("0123456789") == std::string::npos;
                return digits && std::stoi(v) >= 1 ? std::string()
                                                   : "--threads must be an integer from 1 to 99999, got '" + v + "'";
            },
            "INT>=1"));
    sub.add_flag("--progress", o.progress, "Show progress on stderr even when it is not a terminal");
    sub.add_flag("--verbose", o.verbose, "Log details on stderr");
}

/// The whole of `text` as a finite number, or nothing.
inline std::optional<double> parse_number(const std::string& text) {
    std::size_t used = 0;
    double v = 0.0;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (text.empty() || used != text.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

/// The whole of `text` as an integer, or nothing.
inline std::optional<long long> parse_integer(const std::string& text) {
    std::size_t used = 0;
    long long v = 0;
    try {
        v = std::stoll(text, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (text.empty() || used != text.size()) return std::nullopt;
    return v;
}

/// The items of `text` between the separators (empty ones kept, a final empty one not).
inline std::vector<std::string> split_list(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, sep)) out.push_back(item);
    return out;
}

/// Parses a comma-separated list of integers of at least `min` ("1,2,3,4"); `what` names one.
inline std::vector<Index> parse_indices(const std::string& text, const std::string& flag, long long min,
                                        const std::string& what) {
    std::vector<Index> out;
    std::size_t start = 0;
    while (start <= text.size()) {   // every item, a trailing empty one too
        const std::size_t end = text.find(',', start);
        const std::string item = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        const std::optional<long long> v = parse_integer(item);
        if (!v || *v < min) throw usage_error(flag + ": '" + item + "' is not " + what);
        out.push_back(static_cast<Index>(*v));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

/// Parses a comma-separated list of 0-based column indices ("1,2,3,4").
inline std::vector<Index> parse_columns(const std::string& text, const std::string& flag) {
    return parse_indices(text, flag, 0, "a 0-based column index");
}

/// "LO,HI" → an interval with finite ends, LO < HI.
inline Interval parse_interval(const std::string& text, const std::string& flag) {
    const auto comma = text.find(',');
    if (comma == std::string::npos) throw usage_error(flag + ": '" + text + "' is not LO,HI");
    const auto lo = parse_number(text.substr(0, comma)), hi = parse_number(text.substr(comma + 1));
    if (!lo || !hi) throw usage_error(flag + ": '" + text + "' is not LO,HI with two finite numbers");
    if (!(*lo < *hi)) throw usage_error(flag + ": '" + text + "' needs LO < HI");
    return {*lo, *hi};
}

/// Throws usage_error unless `path` can receive an output file: the folder it goes into exists
/// and the path is not itself a folder — checked before any work, so that a bad --out fails
/// fast and nothing is half-written.
inline void require_output_path(const std::string& path, const std::string& flag) {
    if (path.empty()) throw usage_error(flag + " is required");
    const auto parent = std::filesystem::absolute(path).parent_path();
    if (!std::filesystem::is_directory(parent))
        throw usage_error(flag + " " + path + ": folder " + parent.string() + " does not exist");
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw usage_error(flag + " " + path + ": is a folder, not a file");
}

/// Throws usage_error when two output flags name the same file (after resolving "." and ".."
/// and symbolic links of existing folders). `outputs` holds (flag, path); empty paths are skipped.
inline void require_distinct_outputs(const std::vector<std::pair<std::string, std::string>>& outputs) {
    std::vector<std::pair<std::string, std::filesystem::path>> seen;
    for (const auto& [flag, path] : outputs) {
        if (path.empty()) continue;
        std::error_code ec;
        auto key = std::filesystem::weakly_canonical(std::filesystem::absolute(path), ec);
        if (ec) key = std::filesystem::absolute(path).lexically_normal();
        for (const auto& [other_flag, other] : seen)
            if (other == key)
                throw usage_error(flag + " " + path + ": the same file is already the output of " + other_flag);
        seen.emplace_back(flag, key);
    }
}

/// A folder the tool creates for its outputs: registered so that an interrupted run (SIGINT,
/// SIGTERM: remove_created_folders, called by main's handler) or a failed one (the destructor)
/// removes it again when it is still empty; keep() once its contents are committed.
class CreatedFolder {
public:
    /// Creates `path` if missing (its parent must exist); does nothing if it exists.
    explicit CreatedFolder(const std::filesystem::path& path) {
        std::error_code ec;
        if (std::filesystem::exists(path, ec)) return;
        std::filesystem::create_directory(path, ec);
        if (ec) throw io_error(path.string(), "cannot create the folder: " + ec.message());
        path_ = path.string();
        created().add(path_.c_str());
    }
    ~CreatedFolder() {
        if (path_.empty()) return;
        created().remove(path_.c_str());
        std::error_code ec;
        std::filesystem::remove(path_, ec);   // only if empty
    }
    CreatedFolder(const CreatedFolder&) = delete;
    CreatedFolder& operator=(const CreatedFolder&) = delete;
    /// The folder stays (its contents are committed).
    void keep() noexcept {
        if (path_.empty()) return;
        created().remove(path_.c_str());
        path_.clear();
    }

    /// Removes every registered folder that is empty (rmdir). Async-signal-safe.
    static void remove_created_folders() noexcept {
        // Two passes: a folder made inside another (out/plots) must go first, and the slots do not
        // keep creation order; rmdir of a folder that is not empty yet simply fails.
        for (int pass = 0; pass < 2; ++pass) created().for_each([](const char* p) { ::rmdir(p); });
    }

private:
    static io::SignalSafePaths<16>& created() noexcept {
        static io::SignalSafePaths<16> paths;
        return paths;
    }
    std::string path_;   ///< empty when this object did not make the folder or it is kept
};

/// Prints the subcommand's JSON object as the last line of stdout.
inline void emit(const json& j) { std::cout << j.dump() << std::endl; }

/// A subcommand: its CLI11 app and what runs when it is chosen.
struct Subcommand {
    CLI::App* app = nullptr;
    std::function<void()> run;
};

/// Subcommands register themselves (one file each, with a static SubcommandRegistration), so that
/// adding one never touches main.cpp. main() adds them in the order of `rank` (then name).
struct SubcommandFactory {
    int rank;
    const char* name;
    Subcommand (*add)(CLI::App&);
};

inline std::vector<SubcommandFactory>& subcommand_registry() {
    static std::vector<SubcommandFactory> registry;
    return registry;
}

struct SubcommandRegistration {
    SubcommandRegistration(int rank, const char* name, Subcommand (*add)(CLI::App&)) {
        subcommand_registry().push_back({rank, name, add});
    }
};

}  // namespace resanom::cli
