// resanom/io/npy.hpp — reading and writing NumPy .npy arrays (the writes staged and atomic through
// io/staging.hpp).
//
// read_npy accepts float32, float64, int32 and int64, little-endian, C order, 1-D or 2-D, format
// versions 1.0–3.0, and converts to a column-major resanom::Matrix of doubles; writing produces
// float64, C order, format 1.0 with numpy's header bytes (same input, same file). xtensor parses and
// writes the header dictionary only; every size is checked against the file before any allocation.
// docs/data-formats.md (".npy") lists what is accepted and refused, and what comes from xtensor.
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
#include "resanom/io/staging.hpp"

namespace resanom::io {

/// Options for reading numeric files.
struct ReadOptions {
    /// When false (the default), a NaN or ±inf anywhere in the file raises io_error naming its
    /// row and column. Integer files never hold them.
    bool allow_nonfinite = false;
};

namespace detail {

/// The six bytes every .npy file starts with.
inline std::string_view npy_magic() {
    return {xt::detail::magic_string, xt::detail::magic_string_length};
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

}  // namespace resanom::io
