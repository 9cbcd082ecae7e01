// resanom/io/staging.hpp — crash-safe output files, shared by every resanom writer (npy, CSV, model
// files) and the tool: a file is written to a temporary and renamed into place only when complete.
//
//   stage_write(path, writer) → StagedFile    write a temporary, commit() renames it into place
//   atomic_write(path, writer)                 stage and commit one file
//   StagedFiles                                several outputs all-or-nothing
//   remove_pending_temporaries()               async-signal-safe cleanup for a SIGINT handler
//   SignalSafePaths<N>                         the lock-free path registry behind it
// Also the readable-file and writable-target checks every reader and writer shares. No fsync: this
// guards against failures of the process, not power loss (docs/data-formats.md, "Atomic writes").
#pragma once

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"

namespace resanom::io {

namespace detail {

inline std::string errno_text(int err) { return std::generic_category().message(err); }

/// Checks that path names a readable regular file; returns its size in bytes.
inline std::uintmax_t check_readable_file(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
        throw io_error(path, "cannot access the file: " + ec.message());
    if (!fs::exists(st)) throw io_error(path, "no such file");
    if (fs::is_directory(st)) throw io_error(path, "is a directory, not a file");
    if (!fs::is_regular_file(st)) throw io_error(path, "is not a regular file");
    const std::uintmax_t size = fs::file_size(path, ec);
    if (ec) throw io_error(path, "cannot read the file size: " + ec.message());
    return size;
}

/// Opens a regular file for binary reading, or throws io_error saying why it cannot.
inline std::ifstream open_for_reading(const std::string& path, std::uintmax_t& size) {
    size = check_readable_file(path);
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno;
        throw io_error(path, "cannot open the file for reading" +
                                 (err != 0 ? ": " + detail::errno_text(err) : std::string()));
    }
    return in;
}

}  // namespace detail

/// Where a writer puts its bytes: a temporary file; failures throw io_error naming the target.
class FileSink {
public:
    FileSink(std::FILE* f, const std::string& target) : f_(f), target_(target) {}
    void write(const char* data, std::size_t n) {
        if (n == 0) return;
        if (std::fwrite(data, 1, n, f_) != n) {
            const int err = errno;
            throw io_error(target_, "write failed: " + detail::errno_text(err));
        }
    }
    void write(std::string_view s) { write(s.data(), s.size()); }

private:
    std::FILE* f_;
    const std::string& target_;
};

/// N lock-free slots holding paths as C strings (owned by whoever registers them), which a signal
/// handler may walk: for_each only reads atomics. The registry behind remove_pending_temporaries,
/// and behind the tool's folders made for its outputs.
template <int N>
class SignalSafePaths {
public:
    /// Registers `path`; false when every slot is taken (the path is then not seen by for_each).
    bool add(const char* path) noexcept {
        for (auto& slot : slots_)
            if (const char* empty = nullptr; slot.compare_exchange_strong(empty, path)) return true;
        return false;
    }
    void remove(const char* path) noexcept {
        for (auto& slot : slots_)
            if (const char* mine = path; slot.compare_exchange_strong(mine, nullptr)) return;
    }
    /// fn(path) for every registered path. Async-signal-safe when fn is.
    template <class F>
    void for_each(F&& fn) const noexcept {
        for (const auto& slot : slots_)
            if (const char* p = slot.load()) fn(p);
    }

private:
    std::atomic<const char*> slots_[N]{};
};

namespace detail {
/// The temporary files of this process not yet committed or discarded (remove_pending_temporaries).
/// With all 256 slots taken, a further one is not removed on a signal.
inline SignalSafePaths<256>& pending_temporaries() noexcept {
    static SignalSafePaths<256> paths;
    return paths;
}

}  // namespace detail
/// A finished temporary file waiting to replace its target. commit() renames it into place;
/// destroying it uncommitted removes it, leaving the target untouched. Staging several files
/// first and committing them together (io::StagedFiles) means that a failure while producing
/// any of them leaves none of them written.
class StagedFile {
public:
    StagedFile() = default;
    /// Takes over the temporary file `tmp` (registered for remove_pending_temporaries).
    StagedFile(std::filesystem::path tmp, std::string target)
        : tmp_(std::move(tmp)), target_(std::move(target)), registered_(copy_c_string(tmp_.string())) {
        detail::pending_temporaries().add(registered_.get());
    }
    StagedFile(StagedFile&& o) noexcept
        : tmp_(std::exchange(o.tmp_, {})), target_(std::move(o.target_)), registered_(std::move(o.registered_)) {}
    StagedFile& operator=(StagedFile&& o) noexcept {
        if (this != &o) {
            discard();
            tmp_ = std::exchange(o.tmp_, {});
            target_ = std::move(o.target_);
            registered_ = std::move(o.registered_);
        }
        return *this;
    }
    StagedFile(const StagedFile&) = delete;
    StagedFile& operator=(const StagedFile&) = delete;
    ~StagedFile() { discard(); }

    /// The path the file will have once committed.
    const std::string& target() const noexcept { return target_; }
    /// True until commit() or discard().
    bool pending() const noexcept { return !tmp_.empty(); }

    /// Renames the temporary file over the target (atomic on POSIX file systems).
    void commit() {
        if (tmp_.empty()) throw io_error(target_, "internal error: the staged file was already committed");
        std::error_code ec;
        std::filesystem::rename(tmp_, target_, ec);
        if (ec) {
            discard();
            throw io_error(target_, "cannot move the finished file into place: " + ec.message());
        }
        tmp_.clear();
        release();
    }
    /// Removes the temporary file; the target keeps whatever it had.
    void discard() noexcept {
        if (tmp_.empty()) return;
        std::error_code ignored;
        std::filesystem::remove(tmp_, ignored);
        tmp_.clear();
        release();
    }

private:
    static std::unique_ptr<char[]> copy_c_string(const std::string& s) {
        auto p = std::make_unique<char[]>(s.size() + 1);
        std::memcpy(p.get(), s.c_str(), s.size() + 1);
        return p;
    }
    void release() noexcept {
        if (!registered_) return;
        detail::pending_temporaries().remove(registered_.get());
        registered_.reset();
    }

    std::filesystem::path tmp_;
    std::string target_;
    std::unique_ptr<char[]> registered_;   ///< tmp_ as a C string while registered
};

/// Checks that `path` can be the target of a write: it names a file (not a folder) in an
/// existing folder. Throws io_error otherwise.
inline void check_writable_target(const std::string& path) {
    namespace fs = std::filesystem;
    const fs::path target(path);
    if (path.empty() || target.filename().empty() || target.filename() == "." || target.filename() == "..")
        throw io_error(path, "cannot write: the path names no file");
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw io_error(path, "cannot write: the folder '" + dir.string() + "' does not exist");
    if (fs::is_directory(target, ec)) throw io_error(path, "cannot write: it is a directory");
}

/// Writes a file's contents into a fresh temporary file next to `path` and returns it staged:
/// `write(FileSink&)` fills it. If anything fails — the folder is missing, a write fails, `write`
/// throws — the temporary file is removed and the exception propagates. No fsync: this guards
/// against failures of the process, not against power loss.
template <class Writer>
StagedFile stage_write(const std::string& path, Writer&& write) {
    namespace fs = std::filesystem;
    check_writable_target(path);
    const fs::path target(path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");

    // A hidden, unique name next to the target, created exclusively ("x") so that two writers
    // never share a temporary file.
    static std::atomic<unsigned long> counter{0};
    fs::path tmp;
    std::FILE* f = nullptr;
    for (int attempt = 0; attempt < 100 && f == nullptr; ++attempt) {
        const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
        std::string name = ".";   // appended piecewise: GCC 12 -Wrestrict misfires on "." + str
        name += target.filename().string();
        name += ".tmp.";
        name += std::to_string(stamp);
        name += '.';
        name += std::to_string(counter.fetch_add(1));
        tmp = dir / name;
        errno = 0;
        f = std::fopen(tmp.string().c_str(), "wbx");
        if (f == nullptr && errno != EEXIST) {
            const int err = errno;
            throw io_error(path, "cannot create a temporary file in '" + dir.string() + "': " +
                                     detail::errno_text(err));
        }
    }
    if (f == nullptr) throw io_error(path, "cannot create a unique temporary file");

    StagedFile staged(tmp, path);   // removes the temporary file on any failure below
    try {
        FileSink sink(f, path);
        std::forward<Writer>(write)(sink);
        if (std::fflush(f) != 0 || std::ferror(f)) {
            const int err = errno;
            throw io_error(path, "write failed: " + detail::errno_text(err));
        }
    } catch (...) {
        std::fclose(f);
        throw;
    }
    if (std::fclose(f) != 0) {
        const int err = errno;
        throw io_error(path, "write failed on close: " + detail::errno_text(err));
    }
    return staged;
}

/// Writes a file atomically: stage_write, then commit. Readers never see a partial file, and
/// an existing file keeps its old contents when anything fails.
template <class Writer>
void atomic_write(const std::string& path, Writer&& write) {
    stage_write(path, std::forward<Writer>(write)).commit();
}
/// Several output files written all-or-nothing: stage each (add), then commit() renames them all
/// into place. If producing any of them fails, the ones staged so far are removed when the
/// StagedFiles is destroyed and no target is touched. Targets are checked up front: add() refuses
/// a path already staged (two outputs on one file) or one that names a folder.
class StagedFiles {
public:
    void add(StagedFile f) {
        namespace fs = std::filesystem;
        std::error_code ec;
        const fs::path key = fs::weakly_canonical(fs::absolute(f.target()), ec);
        for (const auto& k : keys_)
            if (k == key) throw io_error(f.target(), "cannot write: the same file is given for two outputs");
        keys_.push_back(key);
        files_.push_back(std::move(f));
    }
    /// Renames every staged file into place, in the order they were added.
    void commit() {
        for (auto& f : files_) f.commit();
        files_.clear();
        keys_.clear();
    }
    std::size_t size() const noexcept { return files_.size(); }

private:
    std::vector<StagedFile> files_;
    std::vector<std::filesystem::path> keys_;
};

/// Removes every temporary file this process has staged and not yet committed or discarded
/// (io::StagedFile, io::StagedFiles, atomic writes in progress). Async-signal-safe (it only reads
/// atomics and calls unlink): a program's SIGINT/SIGTERM handler calls it so that an interrupted
/// run leaves no partial output. resanom itself installs no handler (the tool does).
inline void remove_pending_temporaries() noexcept {
    detail::pending_temporaries().for_each([](const char* p) { ::unlink(p); });
}

}  // namespace resanom::io
