// Helpers shared by resanom's tests: temporary files and the location of the shared LHCO data.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
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
