// resanom/io/npy.hpp — reading and writing NumPy .npy arrays, and the file plumbing every
// resanom writer shares (atomic replacement through a temporary file in the same folder).
//
// Reading accepts what numpy.save writes for the dtypes resanom deals in: float32, float64, int32
// and int64, little-endian ('<', or '|'), C order, 1-D or 2-D, format versions 1.0, 2.0 and 3.0.
// Values are converted to double into a column-major resanom::Matrix (a 1-D array of n values
// becomes n×1). Writing produces float64, C order, format 1.0, with the same header bytes numpy
// writes, so identical input gives identical files.
//
// What comes from xtensor (xtensor/xnpy.hpp) and what does not:
//  - xt::detail::parse_header turns the header's Python dict literal into descr, fortran_order and
//    shape, and xt::detail::write_header produces numpy's header text and its 64-byte padding.
//    Reusing them keeps one implementation of the header grammar in the dependency tree.
//  - Everything around them is ours. xtensor's loader allocates from the header's shape before
//    looking at the file size and never checks that the data were all there; its parser has
//    undefined behaviour on empty values and silently reads a non-numeric dimension as 0. So the
//    preamble, the header's overall shape (checked against a strict pattern before xtensor sees
//    it), the dtype, the size arithmetic (checked against the file size before any allocation),
//    the data and the conversion to double are handled here, and xtensor's std::runtime_error is
//    rethrown as resanom::io_error naming the file.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cctype>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xnpy.hpp>

#include "resanom/core/error.hpp"
#include "resanom/core/types.hpp"

namespace resanom::io {

/// Options for reading numeric files.
struct ReadOptions {
    /// When false (the default), a NaN or ±inf anywhere in the file raises io_error naming its
    /// row and column. Integer files never hold them.
    bool allow_nonfinite = false;
};

namespace detail {

// --- shared file plumbing (used by csv.hpp too) ----------------------------------------------

/// The six bytes every .npy file starts with.
inline std::string_view npy_magic() {
    return {xt::detail::magic_string, xt::detail::magic_string_length};
}

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
                                 (err != 0 ? ": " + errno_text(err) : std::string()));
    }
    return in;
}

/// Where a writer puts its bytes: a temporary file; failures throw io_error naming the target.
class FileSink {
public:
    FileSink(std::FILE* f, const std::string& target) : f_(f), target_(target) {}
    void write(const char* data, std::size_t n) {
        if (n == 0) return;
        if (std::fwrite(data, 1, n, f_) != n) {
            const int err = errno;
            throw io_error(target_, "write failed: " + errno_text(err));
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

/// The temporary files of this process not yet committed or discarded (remove_pending_temporaries).
/// With all 256 slots taken, a further one is not removed on a signal.
inline SignalSafePaths<256>& pending_temporaries() noexcept {
    static SignalSafePaths<256> paths;
    return paths;
}

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
        pending_temporaries().add(registered_.get());
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
        pending_temporaries().remove(registered_.get());
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
                                     errno_text(err));
        }
    }
    if (f == nullptr) throw io_error(path, "cannot create a unique temporary file");

    StagedFile staged(tmp, path);   // removes the temporary file on any failure below
    try {
        FileSink sink(f, path);
        std::forward<Writer>(write)(sink);
        if (std::fflush(f) != 0 || std::ferror(f)) {
            const int err = errno;
            throw io_error(path, "write failed: " + errno_text(err));
        }
    } catch (...) {
        std::fclose(f);
        throw;
    }
    if (std::fclose(f) != 0) {
        const int err = errno;
        throw io_error(path, "write failed on close: " + errno_text(err));
    }
    return staged;
}

/// Writes a file atomically: stage_write, then commit. Readers never see a partial file, and
/// an existing file keeps its old contents when anything fails.
template <class Writer>
void atomic_write(const std::string& path, Writer&& write) {
    stage_write(path, std::forward<Writer>(write)).commit();
}

// --- npy specifics ---------------------------------------------------------------------------

enum class NpyType { f4, f8, i4, i8 };

inline std::size_t item_size(NpyType t) {
    return (t == NpyType::f4 || t == NpyType::i4) ? 4 : 8;
}
inline const char* type_name(NpyType t) {
    switch (t) {
        case NpyType::f4: return "float32";
        case NpyType::f8: return "float64";
        case NpyType::i4: return "int32";
        case NpyType::i8: return "int64";
    }
    return "?";
}

inline constexpr const char* supported_dtypes =
    "resanom reads float32 '<f4', float64 '<f8', int32 '<i4' and int64 '<i8'";

/// A readable name for a numpy typestring such as "<u2", for error messages.
inline std::string describe_typestring(const std::string& d) {
    // Byte order, one letter, then digits: "<u2", "|b1", "<U10".
    const bool simple = d.size() >= 2 && d.size() <= 12 && std::string_view("<>|=").find(d[0]) != std::string_view::npos &&
                        std::isalpha(static_cast<unsigned char>(d[1])) &&
                        d.find_first_not_of("0123456789", 2) == std::string::npos;
    if (!simple) return "structured or unknown dtype";
    const std::string kind = d.substr(1, 1), bytes = d.substr(2);
    const std::string bits =
        bytes.empty() || bytes.size() > 4 ? "" : std::to_string(std::stoul(bytes) * 8);
    if (kind == "f") return "float" + bits;
    if (kind == "i") return "int" + bits;
    if (kind == "u") return "uint" + bits;
    if (kind == "c") return "complex" + bits;
    if (kind == "b") return "bool";
    if (kind == "U") return "unicode string";
    if (kind == "S" || kind == "a") return "byte string";
    if (kind == "O") return "Python object";
    if (kind == "M" || kind == "m") return "datetime";
    return "unsupported kind '" + kind + "'";
}

inline std::string shape_text(const std::vector<std::size_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + (shape.size() == 1 ? ",)" : ")");
}

/// What the preamble and header of an .npy file say.
struct NpyHeader {
    NpyType type{};
    std::vector<std::size_t> shape;
    std::uintmax_t data_offset = 0;   ///< bytes before the array data
};

inline std::uint32_t little_endian_uint(const unsigned char* p, int n) {
    std::uint32_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

/// Checks the space-free header text against numpy's dict literal, in numpy's key order:
///   {'descr':('...'|[...]),'fortran_order':(True|False),'shape':(D,D,...,[D]),?}
/// with D a run of decimal digits. A hand-written scanner rather than std::regex, whose
/// recursive matcher can exhaust the stack on long crafted headers. Returns the descr literal
/// (with its quotes or brackets).
inline bool match_header_grammar(const std::string& c, std::string& descr) {
    std::size_t i = 0;
    auto eat = [&](std::string_view lit) {
        if (c.compare(i, lit.size(), lit) != 0) return false;
        i += lit.size();
        return true;
    };
    if (!eat("{'descr':")) return false;
    if (i < c.size() && c[i] == '\'') {
        const std::size_t j = c.find('\'', i + 1);
        if (j == std::string::npos) return false;
        descr = c.substr(i, j + 1 - i);
        i = j + 1;
    } else if (i < c.size() && c[i] == '[') {
        const std::size_t j = c.rfind("],'fortran_order':");
        if (j == std::string::npos || j < i) return false;
        descr = c.substr(i, j + 1 - i);
        i = j + 1;
    } else {
        return false;
    }
    if (!eat(",'fortran_order':")) return false;
    if (!eat("True") && !eat("False")) return false;
    if (!eat(",'shape':(")) return false;
    bool after_digit = false;   // a comma must follow a digit: no "(,)" and no ",,"
    for (; i < c.size() && c[i] != ')'; ++i) {
        if (c[i] >= '0' && c[i] <= '9') after_digit = true;
        else if (c[i] == ',' && after_digit) after_digit = false;
        else return false;
    }
    if (!eat(")")) return false;
    eat(",");
    return eat("}") && i == c.size();
}

/// The longest header resanom reads, as numpy's default max_header_size.
inline constexpr std::uint32_t max_header_bytes = 10000;

/// Reads and checks the preamble and header; leaves `in` at the first data byte.
inline NpyHeader read_npy_header(std::istream& in, const std::string& path,
                                 std::uintmax_t file_size) {
    // Preamble: 6-byte magic, major and minor version, then the header length (2 bytes in
    // version 1.0, 4 bytes in 2.0 and 3.0; 3.0 only allows UTF-8 in the header).
    if (file_size == 0) throw io_error(path, "not an npy file: the file is empty");
    unsigned char pre[12] = {};
    const auto pre_len = static_cast<std::size_t>(std::min<std::uintmax_t>(file_size, 8));
    in.read(reinterpret_cast<char*>(pre), static_cast<std::streamsize>(pre_len));
    if (!in) throw io_error(path, "cannot read the file");
    if (pre_len < 8 || std::memcmp(pre, npy_magic().data(), npy_magic().size()) != 0)
        throw io_error(path,
                       "not an npy file: it does not start with the npy magic string \\x93NUMPY");
    const int major = pre[6], minor = pre[7];
    int len_bytes = 0;
    if (major == 1 && minor == 0) len_bytes = 2;
    else if ((major == 2 || major == 3) && minor == 0) len_bytes = 4;
    else
        throw io_error(path, "unsupported npy format version " + std::to_string(major) + "." +
                                 std::to_string(minor) +
                                 " (resanom reads versions 1.0, 2.0 and 3.0)");
    if (file_size < static_cast<std::uintmax_t>(8 + len_bytes))
        throw io_error(path, "truncated npy header: the file ends inside the preamble");
    in.read(reinterpret_cast<char*>(pre + 8), len_bytes);
    if (!in) throw io_error(path, "cannot read the file");
    const std::uint32_t header_len = little_endian_uint(pre + 8, len_bytes);
    // numpy itself refuses headers longer than 10000 bytes by default (max_header_size); a 1-D or
    // 2-D array needs about 128. The cap also bounds the work of the header pattern below.
    if (header_len > max_header_bytes)
        throw io_error(path, "corrupt npy header: the preamble announces " + std::to_string(header_len) +
                                 " header bytes (numpy's limit, and resanom's, is " +
                                 std::to_string(max_header_bytes) + ")");
    const std::uintmax_t data_offset = 8u + static_cast<unsigned>(len_bytes) + std::uintmax_t{header_len};
    if (data_offset > file_size)
        throw io_error(path, "truncated npy header: the preamble announces " +
                                 std::to_string(header_len) + " header bytes but the file holds " +
                                 std::to_string(file_size - 8 - static_cast<unsigned>(len_bytes)));
    std::string header(header_len, '\0');
    in.read(header.data(), static_cast<std::streamsize>(header_len));
    if (!in) throw io_error(path, "cannot read the npy header");

    // The header is a Python dict literal, written by numpy in this key order (xtensor's parser
    // requires it as well). The pattern rejects what xtensor would misread: empty values,
    // non-numeric or negative dimensions, a missing newline.
    auto shown = [&] {
        std::string h = header.substr(0, std::min<std::size_t>(header.size(), 160));
        while (!h.empty() && (h.back() == ' ' || h.back() == '\n')) h.pop_back();
        for (char& c : h)
            if (static_cast<unsigned char>(c) < 0x20) c = '?';
        return h;
    };
    const std::string expected =
        "expected a dict like {'descr': '<f8', 'fortran_order': False, 'shape': (100, 6), }";
    if (header.empty() || header.back() != '\n')
        throw io_error(path, "malformed npy header (it does not end with a newline): " + shown());
    std::string compact;   // what xtensor parses: the header without its newline and spaces
    for (std::size_t i = 0; i + 1 < header.size(); ++i)
        if (header[i] != ' ') compact += header[i];
    std::string descr_literal;
    if (!match_header_grammar(compact, descr_literal))
        throw io_error(path, "malformed npy header " + shown() + "; " + expected);

    if (descr_literal.front() == '[')
        throw io_error(path, "unsupported dtype: structured array " + descr_literal.substr(0, 60) +
                                 (descr_literal.size() > 60 ? "..." : "") + "; " +
                                 supported_dtypes);
    const std::string descr = descr_literal.substr(1, descr_literal.size() - 2);
    NpyHeader h;
    h.data_offset = data_offset;
    const char order = descr.empty() ? '?' : descr[0];
    const std::string code = descr.size() > 1 ? descr.substr(1) : "";
    const bool known = code == "f4" || code == "f8" || code == "i4" || code == "i8";
    if (!known || (order != '<' && order != '|' && order != '>'))
        throw io_error(path, "unsupported dtype '" + descr.substr(0, 40) + (descr.size() > 40 ? "..." : "") +
                                 "' (" + describe_typestring(descr) +
                                 "); " + supported_dtypes);
    if (order == '>')
        throw io_error(path, "big-endian dtype '" + descr +
                                 "' is not supported; convert it with numpy: "
                                 "numpy.save(path, a.astype('<" + code + "'))");
    h.type = code == "f4" ? NpyType::f4 : code == "f8" ? NpyType::f8 : code == "i4" ? NpyType::i4
                                                                                     : NpyType::i8;

    // The pattern guarantees xtensor's parser well-formed input; it yields fortran_order and the
    // shape. Its failures (none expected) still become io_error naming the file.
    std::string xt_descr;
    bool fortran = false;
    try {
        xt::detail::parse_header(header, xt_descr, &fortran, h.shape);
    } catch (const std::exception& e) {
        throw io_error(path, "malformed npy header " + shown() + ": " + e.what());
    }
    // A dimension too large for size_t comes back from xtensor's stream parsing as the maximum
    // value, which the size check below rejects.
    if (h.shape.empty())
        throw io_error(path, "0-dimensional (scalar) array; resanom reads 1-D or 2-D arrays");
    if (h.shape.size() > 2)
        throw io_error(path, std::to_string(h.shape.size()) + "-dimensional array of shape " +
                                 shape_text(h.shape) +
                                 "; resanom reads 1-D or 2-D arrays (reshape it to 2-D first)");
    // Fortran order only matters when both dimensions exceed 1; otherwise the bytes are the same.
    if (fortran && h.shape.size() == 2 && h.shape[0] > 1 && h.shape[1] > 1)
        throw io_error(path, "Fortran-order (column-major) array of shape " + shape_text(h.shape) +
                                 "; resanom reads C order: save it with "
                                 "numpy.save(path, numpy.ascontiguousarray(a))");
    return h;
}

template <class T>
T from_little_endian(T v) {
    if constexpr (std::endian::native == std::endian::big) {
        unsigned char b[sizeof(T)];
        std::memcpy(b, &v, sizeof(T));
        std::reverse(b, b + sizeof(T));
        std::memcpy(&v, b, sizeof(T));
    }
    return v;
}

/// Reads rows×cols values of type T (C order) from `in` into a column-major Matrix.
template <class T>
Matrix read_npy_data(std::istream& in, const std::string& path, std::size_t rows, std::size_t cols,
                     std::size_t bytes, const NpyHeader& h, const ReadOptions& opt) {
    // Read in blocks of about 64 KiB, each converted straight into its rows of M: the only large
    // allocation is M itself (fresh pages are what a read of this size mostly pays for).
    using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const auto r = static_cast<Index>(rows), c = static_cast<Index>(cols);
    Matrix M(r, c);
    if (rows * cols > 0) {
        const Index block = std::max<Index>(1, static_cast<Index>(65536 / (cols * sizeof(T))));
        std::vector<T> buf(static_cast<std::size_t>(std::min(block, r) * c));
        std::size_t done = 0;
        for (Index r0 = 0; r0 < r; r0 += block) {
            const Index nr = std::min(block, r - r0);
            const auto want = static_cast<std::size_t>(nr * c) * sizeof(T);
            in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(want));
            const auto got = static_cast<std::size_t>(in.gcount());
            if (got != want)   // the file shrank after its size was checked
                throw io_error(path, "truncated data: expected " + std::to_string(bytes) +
                                         " bytes of data for shape " + shape_text(h.shape) + " " +
                                         type_name(h.type) + ", found " + std::to_string(done + got));
            done += got;
            if constexpr (std::endian::native == std::endian::big)
                for (T& v : buf) v = from_little_endian(v);
            M.middleRows(r0, nr) = Eigen::Map<const RowMajor>(buf.data(), nr, c).template cast<double>();
        }
    }
    if constexpr (std::is_floating_point_v<T>) {
        // A vectorized test first; the search in file order (row by row) only on failure, so the
        // first offending value in the file is the one reported.
        if (!opt.allow_nonfinite && !M.allFinite())
            for (Index i = 0; i < r; ++i)
                for (Index j = 0; j < c; ++j)
                    if (!std::isfinite(M(i, j)))
                        throw io_error(path,
                                       std::string("non-finite value ") +
                                           (std::isnan(M(i, j)) ? "nan" : M(i, j) > 0 ? "inf" : "-inf") +
                                           " (NaN and inf are rejected unless allow_nonfinite is set)",
                                       static_cast<std::size_t>(i), static_cast<std::size_t>(j));
    }
    return M;
}

/// Writes a float64 C-order array of the given shape; value(i, j) gives the entries.
template <class Value>
StagedFile stage_npy_impl(const std::string& path, const std::vector<std::size_t>& shape, Index rows,
                          Index cols, Value&& value) {
    // Built before the file exists, so nothing is created when it fails.
    std::ostringstream head;
    xt::detail::write_header(head, "<f8", false, shape);
    const std::string header = head.str();
    return stage_write(path, [&](FileSink& out) {
        out.write(header);
        if (rows == 0 || cols == 0) return;
        // Row blocks of about 64 KiB, transposed from column-major into C order.
        const Index block = std::max<Index>(1, 8192 / cols);
        std::vector<double> buf(static_cast<std::size_t>(std::min(block, rows) * cols));
        for (Index r0 = 0; r0 < rows; r0 += block) {
            const Index nr = std::min(block, rows - r0);
            std::size_t k = 0;
            for (Index i = r0; i < r0 + nr; ++i)
                for (Index j = 0; j < cols; ++j) buf[k++] = from_little_endian(value(i, j));
            out.write(reinterpret_cast<const char*>(buf.data()), k * sizeof(double));
        }
    });
}

}  // namespace detail

/// Reads a 1-D or 2-D .npy array (float32/float64/int32/int64, little-endian, C order) into an
/// n×d Matrix of doubles; a 1-D array of n values gives n×1. int64 values beyond 2^53 are
/// rounded to the nearest double. Throws io_error naming the file and the problem (and the row
/// and column of a NaN/inf when allow_nonfinite is false).
inline Matrix read_npy(const std::string& path, const ReadOptions& opt = {}) {
    std::uintmax_t file_size = 0;
    std::ifstream in = detail::open_for_reading(path, file_size);
    const detail::NpyHeader h = detail::read_npy_header(in, path, file_size);

    // Size arithmetic in unsigned 64-bit with overflow checks, compared with the file size before
    // anything is allocated: an absurd shape is an error, never a bad_alloc.
    const std::size_t rows = h.shape[0];
    const std::size_t cols = h.shape.size() == 2 ? h.shape[1] : 1;
    const std::size_t item = detail::item_size(h.type);
    constexpr auto max_index = static_cast<std::size_t>(std::numeric_limits<Index>::max());
    const std::uintmax_t available = file_size - h.data_offset;
    constexpr auto max = std::numeric_limits<std::uintmax_t>::max();
    if (rows > max_index || cols > max_index)
        throw io_error(path, "corrupt header: shape " + detail::shape_text(h.shape) +
                                 " has a dimension too large for any array");
    const bool overflow = (cols != 0 && rows > max / cols) ||
                          (cols != 0 && rows * cols > max / item);
    const std::uintmax_t needed = overflow ? 0 : std::uintmax_t{rows} * cols * item;
    const std::string what = "shape " + detail::shape_text(h.shape) + " " + detail::type_name(h.type);
    if (overflow || needed > available)
        throw io_error(path, "truncated data: expected " +
                                 (overflow ? std::string("more than 2^64") : std::to_string(needed)) +
                                 " bytes of data for " + what + ", found " +
                                 std::to_string(available));
    if (needed < available)
        throw io_error(path, "corrupt file: " + std::to_string(available - needed) +
                                 " bytes after the data for " + what + " (expected " +
                                 std::to_string(needed) + " bytes of data, found " +
                                 std::to_string(available) + ")");

    const auto bytes = static_cast<std::size_t>(needed);
    switch (h.type) {
        case detail::NpyType::f4:
            return detail::read_npy_data<float>(in, path, rows, cols, bytes, h, opt);
        case detail::NpyType::f8:
            return detail::read_npy_data<double>(in, path, rows, cols, bytes, h, opt);
        case detail::NpyType::i4:
            return detail::read_npy_data<std::int32_t>(in, path, rows, cols, bytes, h, opt);
        case detail::NpyType::i8:
            return detail::read_npy_data<std::int64_t>(in, path, rows, cols, bytes, h, opt);
    }
    throw io_error(path, "unsupported dtype");
}

using detail::StagedFile;

/// Writes M as a 2-D float64 C-order .npy file (rows×cols) into a staged temporary file; commit()
/// puts it in place (see StagedFiles for writing several files all-or-nothing).
inline StagedFile stage_npy(const std::string& path, const Eigen::Ref<const Matrix>& M) {
    return detail::stage_npy_impl(path,
                                  {static_cast<std::size_t>(M.rows()), static_cast<std::size_t>(M.cols())},
                                  M.rows(), M.cols(), [&](Index i, Index j) { return M(i, j); });
}

/// Writes v as a 1-D float64 .npy file of v.size() values into a staged temporary file.
inline StagedFile stage_npy(const std::string& path, const Eigen::Ref<const Vector>& v) {
    return detail::stage_npy_impl(path, {static_cast<std::size_t>(v.size())}, v.size(), 1,
                                  [&](Index i, Index) { return v[i]; });
}

/// Any other Eigen expression: a compile-time column vector (Vector, M.col(j)) is written 1-D,
/// everything else 2-D. Without this overload such calls would be ambiguous between the two
/// Ref overloads above.
template <class Derived>
StagedFile stage_npy(const std::string& path, const Eigen::MatrixBase<Derived>& e) {
    if constexpr (Derived::ColsAtCompileTime == 1)
        return stage_npy(path, Eigen::Ref<const Vector>(e.derived().template cast<double>()));
    else
        return stage_npy(path, Eigen::Ref<const Matrix>(e.derived().template cast<double>()));
}

/// Writes M as a 2-D float64 C-order .npy file (rows×cols), atomically: the file appears complete
/// or not at all. Identical input gives identical bytes.
inline void write_npy(const std::string& path, const Eigen::Ref<const Matrix>& M) {
    stage_npy(path, M).commit();
}

/// Writes v as a 1-D float64 .npy file of v.size() values, atomically.
inline void write_npy(const std::string& path, const Eigen::Ref<const Vector>& v) {
    stage_npy(path, v).commit();
}

/// Any other Eigen expression, as stage_npy decides between 1-D and 2-D.
template <class Derived>
void write_npy(const std::string& path, const Eigen::MatrixBase<Derived>& e) {
    stage_npy(path, e).commit();
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
