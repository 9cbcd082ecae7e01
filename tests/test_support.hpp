// Helpers shared by resanom's tests: temporary files and the location of the shared LHCO data.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <iterator>
#include <sys/wait.h>
#include <unistd.h>

namespace resanom_test {

/// The folder holding lhco_sr/ (from RESANOM_DATA_DIR). Exits the test program with 77, which
/// ctest reports as skipped, when the variable is unset or the folder is missing.
inline std::filesystem::path data_dir() {
    const char* env = std::getenv("RESANOM_DATA_DIR");
    if (env == nullptr || !std::filesystem::is_directory(std::filesystem::path(env) / "lhco_sr")) {
        std::cerr << "RESANOM_DATA_DIR is not set to a folder with lhco_sr/: skipping\n";
        std::exit(77);
    }
    return std::filesystem::path(env);
}

/// Threads of this process now (Linux: one entry per thread in /proc/self/task); -1 elsewhere.
inline long threads_now() {
    std::error_code ec;
    const std::filesystem::path tasks("/proc/self/task");
    if (!std::filesystem::is_directory(tasks, ec)) return -1;
    long n = 0;
    for (auto it = std::filesystem::directory_iterator(tasks, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec))
        ++n;
    return n;
}

/// A fresh temporary folder, removed with the object.
class TempDir {
public:
    TempDir() {
        auto base = std::filesystem::temp_directory_path();
        for (int i = 0;; ++i) {
            path_ = base / ("resanom_test_" + std::to_string(::getpid()) + "_" + std::to_string(i));
            if (std::filesystem::create_directory(path_)) break;
        }
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

/// Writes bytes to a file (for malformed-file tests).
inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace resanom_test

namespace resanom_test {

/// What a run of the resanom tool gave.
struct ToolRun {
    int code = -1;
    std::string out;
    std::string err;
};

inline std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

#ifdef RESANOM_CLI_PATH
/// Runs `resanom ARGS` (ARGS is passed to the shell as written), capturing stdout, stderr and the
/// exit code.
inline ToolRun run_tool(const std::string& args, const TempDir& dir) {
    const std::string out = dir.file(".stdout"), err = dir.file(".stderr");
    const std::string cmd = std::string("cd '") + dir.path().string() + "' && '" + RESANOM_CLI_PATH +
                            "' " + args + " >'" + out + "' 2>'" + err + "' </dev/null";
    const int status = std::system(cmd.c_str());
    ToolRun r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    return r;
}
#endif

/// Whether `part` occurs in `s` (for checking error messages).
inline bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

/// Number of lines in a text (a final line without newline counts).
inline int line_count(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    if (!s.empty() && s.back() != '\n') ++n;
    return n;
}

}  // namespace resanom_test
