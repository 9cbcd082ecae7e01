// Tests of resanom/io/npy.hpp: round trips, files crafted byte by byte (an independent writer of the
// npy format), one test per kind of bad file, and atomic writes.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "resanom/io/table.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_npy {

using resanom::Index;
using resanom::Matrix;
using resanom::Vector;
using resanom_test::contains;
using resanom_test::slurp;
using resanom_test::TempDir;
using resanom_test::write_bytes;
namespace fs = std::filesystem;
namespace rio = resanom::io;

namespace {

/// Little-endian bytes of a value (independent of the library).
template <class T>
std::string le_bytes(T v) {
    unsigned char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    if (std::endian::native == std::endian::big) std::reverse(b, b + sizeof(T));
    return std::string(reinterpret_cast<const char*>(b), sizeof(T));
}

template <class T>
std::string payload(const std::vector<T>& values) {
    std::string s;
    for (T v : values) s += le_bytes(v);
    return s;
}

/// A complete .npy file: magic, version, header length, the dict padded with spaces to a multiple
/// of 64 bytes and ended by '\n', then the payload. Written here from the format description, not
/// with the library.
std::string npy_file(const std::string& dict, const std::string& data, int major = 1) {
    const std::size_t len_bytes = major == 1 ? 2 : 4;
    std::string header = dict;
    while ((8 + len_bytes + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string out = "\x93NUMPY";
    out += static_cast<char>(major);
    out += '\0';
    const auto n = static_cast<std::uint32_t>(header.size());
    for (std::size_t i = 0; i < len_bytes; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
    return out + header + data;
}

std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
    return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
           ", 'shape': " + shape + ", }";
}

/// Runs f, which must throw io_error, and returns the message.
template <class F>
std::string io_error_message(F&& f) {
    try {
        f();
    } catch (const resanom::io_error& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL("expected resanom::io_error, got another exception: " << e.what());
        return {};
    }
    FAIL("expected resanom::io_error, nothing was thrown");
    return {};
}

/// Writes bytes to dir/name, reads it with read_npy, and returns the io_error message, which must
/// name the file.
std::string npy_error(const TempDir& dir, const std::string& name, const std::string& bytes) {
    const std::string path = dir.file(name);
    write_bytes(path, bytes);
    const std::string msg = io_error_message([&] { rio::read_npy(path); });
    CHECK_MESSAGE(msg.find(path) != std::string::npos, msg);
    return msg;
}

bool same_bits(const Matrix& a, const Matrix& b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
    return a.size() == 0 ||
           std::memcmp(a.data(), b.data(), static_cast<std::size_t>(a.size()) * sizeof(double)) == 0;
}

std::vector<std::string> folder_entries(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("npy: float64 2-D round trip is bit exact and byte deterministic") {
    TempDir dir;
    Matrix M(4, 3);
    M << 0.1, -0.0, 1e-300, std::numeric_limits<double>::denorm_min(), 3.5, -2.25,
        std::numeric_limits<double>::max(), 1.0 / 3.0, 42, -7e7, 6.02214076e23, 0.5;
    const std::string a = dir.file("a.npy"), b = dir.file("b.npy");
    rio::write_npy(a, M);
    rio::write_npy(b, M);
    CHECK(slurp(a) == slurp(b));
    const Matrix R = rio::read_npy(a);
    CHECK(same_bits(R, M));

    // The header numpy itself writes: format 1.0, padded to 64 bytes, C order.
    const std::string bytes = slurp(a);
    REQUIRE(bytes.size() == 128 + 4 * 3 * 8);
    CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
    CHECK(bytes.substr(10, 64).find("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 3), }") == 0);
    CHECK(bytes[127] == '\n');
    // C order: the second value in the file is M(0, 1).
    double second = 0;
    std::memcpy(&second, bytes.data() + 128 + 8, 8);
    CHECK(std::signbit(second));
}

TEST_CASE("npy: 1-D round trip and expressions") {
    TempDir dir;
    Vector v(5);
    v << 1, 2, 3, 4.5, -6;
    rio::write_npy(dir.file("v.npy"), v);
    CHECK(slurp(dir.file("v.npy")).find("'shape': (5,)") != std::string::npos);
    const Matrix R = rio::read_npy(dir.file("v.npy"));
    REQUIRE(R.rows() == 5);
    REQUIRE(R.cols() == 1);
    CHECK(R.col(0) == v);

    Matrix M = Matrix::Random(6, 3);
    rio::write_npy(dir.file("col.npy"), M.col(1));            // compile-time vector: 1-D
    CHECK(slurp(dir.file("col.npy")).find("'shape': (6,)") != std::string::npos);
    rio::write_npy(dir.file("left.npy"), M.leftCols(2));      // block: 2-D
    CHECK(slurp(dir.file("left.npy")).find("'shape': (6, 2)") != std::string::npos);
    CHECK(rio::read_npy(dir.file("left.npy")) == M.leftCols(2));
    rio::write_npy(dir.file("rows.npy"), M.middleRows(2, 3)); // a Ref with an outer stride
    CHECK(rio::read_npy(dir.file("rows.npy")) == M.middleRows(2, 3));
}

TEST_CASE("npy: zero rows") {
    TempDir dir;
    rio::write_npy(dir.file("e.npy"), Matrix(0, 6));
    const Matrix R = rio::read_npy(dir.file("e.npy"));
    CHECK(R.rows() == 0);
    CHECK(R.cols() == 6);
    CHECK(slurp(dir.file("e.npy")).size() == 128);

    rio::write_npy(dir.file("e1.npy"), Vector(0));
    const Matrix R1 = rio::read_npy(dir.file("e1.npy"));
    CHECK(R1.rows() == 0);
    CHECK(R1.cols() == 1);
}

TEST_CASE("npy: reads files crafted byte by byte in every supported dtype") {
    TempDir dir;
    SUBCASE("float32 2-D") {
        write_bytes(dir.file("f4.npy"),
                    npy_file(dict("<f4", "(2, 3)"), payload<float>({1.5f, -2.f, 0.1f, 4.f, 5.f, 6.25f})));
        const Matrix R = rio::read_npy(dir.file("f4.npy"));
        REQUIRE(R.rows() == 2);
        REQUIRE(R.cols() == 3);
        CHECK(R(0, 0) == 1.5);
        CHECK(R(0, 1) == -2.0);
        CHECK(R(0, 2) == static_cast<double>(0.1f));
        CHECK(R(1, 0) == 4.0);
        CHECK(R(1, 2) == 6.25);
    }
    SUBCASE("int32 2-D") {
        write_bytes(dir.file("i4.npy"),
                    npy_file(dict("<i4", "(3, 2)"),
                             payload<std::int32_t>({1, -2, 2147483647, -2147483647 - 1, 0, 7})));
        const Matrix R = rio::read_npy(dir.file("i4.npy"));
        REQUIRE(R.rows() == 3);
        REQUIRE(R.cols() == 2);
        CHECK(R(0, 1) == -2.0);
        CHECK(R(1, 0) == 2147483647.0);
        CHECK(R(1, 1) == -2147483648.0);
        CHECK(R(2, 1) == 7.0);
    }
    SUBCASE("int64 1-D with '|' byte order") {
        write_bytes(dir.file("i8.npy"),
                    npy_file(dict("|i8", "(3,)"),
                             payload<std::int64_t>({-5, std::int64_t{1} << 40, 9007199254740993})));
        const Matrix R = rio::read_npy(dir.file("i8.npy"));
        REQUIRE(R.rows() == 3);
        REQUIRE(R.cols() == 1);
        CHECK(R(0, 0) == -5.0);
        CHECK(R(1, 0) == 1099511627776.0);
        CHECK(R(2, 0) == 9007199254740992.0);   // 2^53 + 1 rounds to even
    }
    SUBCASE("float64 in format 2.0, header without spaces") {
        write_bytes(dir.file("v2.npy"),
                    npy_file("{'descr':'<f8','fortran_order':False,'shape':(2,1)}",
                             payload<double>({0.25, -8.0}), 2));
        const Matrix R = rio::read_npy(dir.file("v2.npy"));
        REQUIRE(R.rows() == 2);
        CHECK(R(0, 0) == 0.25);
        CHECK(R(1, 0) == -8.0);
    }
    SUBCASE("Fortran order is harmless for a single column") {
        write_bytes(dir.file("fc.npy"),
                    npy_file(dict("<f8", "(3, 1)", true), payload<double>({1, 2, 3})));
        CHECK(rio::read_npy(dir.file("fc.npy")).col(0) == Vector::LinSpaced(3, 1, 3));
    }
}

TEST_CASE("npy: a missing file") {
    TempDir dir;
    const std::string path = dir.file("nope.npy");
    const std::string msg = io_error_message([&] { rio::read_npy(path); });
    CHECK(contains(msg, path));
    CHECK(contains(msg, "no such file"));
}

TEST_CASE("npy: a folder instead of a file") {
    TempDir dir;
    fs::create_directory(dir.path() / "d.npy");
    const std::string msg = io_error_message([&] { rio::read_npy(dir.file("d.npy")); });
    CHECK(contains(msg, dir.file("d.npy")));
    CHECK(contains(msg, "is a directory"));
}

TEST_CASE("npy: not an npy file") {
    TempDir dir;
    CHECK(contains(npy_error(dir, "text.npy", "mjj,label\n3.5,1\n"), "not an npy file"));
    CHECK(contains(npy_error(dir, "empty.npy", ""), "not an npy file: the file is empty"));
    CHECK(contains(npy_error(dir, "short.npy", "\x93NUM"), "not an npy file"));
}

TEST_CASE("npy: unsupported format version") {
    TempDir dir;
    std::string bytes = npy_file(dict("<f8", "(1,)"), payload<double>({1.0}));
    bytes[6] = 4;
    const std::string msg = npy_error(dir, "v4.npy", bytes);
    CHECK(contains(msg, "unsupported npy format version 4.0"));
    CHECK(contains(msg, "1.0, 2.0 and 3.0"));
}

TEST_CASE("npy: unsupported dtypes say which and what is supported") {
    TempDir dir;
    const std::string supported = "float32 '<f4', float64 '<f8', int32 '<i4' and int64 '<i8'";
    std::string msg = npy_error(dir, "f2.npy", npy_file(dict("<f2", "(2,)"), std::string(4, '\0')));
    CHECK(contains(msg, "unsupported dtype '<f2' (float16)"));
    CHECK(contains(msg, supported));
    msg = npy_error(dir, "u4.npy", npy_file(dict("<u4", "(2,)"), std::string(8, '\0')));
    CHECK(contains(msg, "unsupported dtype '<u4' (uint32)"));
    msg = npy_error(dir, "b1.npy", npy_file(dict("|b1", "(2,)"), std::string(2, '\0')));
    CHECK(contains(msg, "unsupported dtype '|b1' (bool)"));
    msg = npy_error(dir, "str.npy", npy_file(dict("<U3", "(1,)"), std::string(12, '\0')));
    CHECK(contains(msg, "unsupported dtype '<U3' (unicode string)"));
    msg = npy_error(dir, "rec.npy",
                    npy_file("{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, "
                             "'shape': (1,), }",
                             std::string(12, '\0')));
    CHECK(contains(msg, "unsupported dtype: structured array"));
    CHECK(contains(msg, supported));
}

TEST_CASE("npy: big-endian data") {
    TempDir dir;
    const std::string msg =
        npy_error(dir, "be.npy", npy_file(dict(">f8", "(1, 2)"), std::string(16, '\0')));
    CHECK(contains(msg, "big-endian dtype '>f8'"));
    CHECK(contains(msg, "astype('<f8')"));
}

TEST_CASE("npy: Fortran order says how to fix it") {
    TempDir dir;
    const std::string msg = npy_error(
        dir, "f.npy", npy_file(dict("<f8", "(2, 3)", true), payload<double>({1, 2, 3, 4, 5, 6})));
    CHECK(contains(msg, "Fortran-order"));
    CHECK(contains(msg, "numpy.ascontiguousarray"));
}

TEST_CASE("npy: more than two dimensions, or none") {
    TempDir dir;
    std::string msg = npy_error(dir, "3d.npy",
                                npy_file(dict("<f8", "(2, 2, 2)"), std::string(64, '\0')));
    CHECK(contains(msg, "3-dimensional array of shape (2, 2, 2)"));
    CHECK(contains(msg, "1-D or 2-D"));
    msg = npy_error(dir, "0d.npy", npy_file(dict("<f8", "()"), std::string(8, '\0')));
    CHECK(contains(msg, "0-dimensional"));
}

TEST_CASE("npy: truncated data") {
    TempDir dir;
    const std::string msg = npy_error(
        dir, "t.npy", npy_file(dict("<f8", "(4, 2)"), payload<double>({1, 2, 3, 4, 5})));
    CHECK(contains(msg, "truncated data: expected 64 bytes of data for shape (4, 2) float64, found 40"));
}

TEST_CASE("npy: an absurd shape is an error before any allocation") {
    TempDir dir;
    std::string msg = npy_error(dir, "huge.npy",
                                npy_file(dict("<f8", "(1000000000000000, 6)"), payload<double>({1, 2})));
    CHECK(contains(msg, "truncated data: expected 48000000000000000 bytes"));
    CHECK(contains(msg, "found 16"));
    // The byte count overflows 64 bits.
    msg = npy_error(dir, "overflow.npy",
                    npy_file(dict("<f8", "(4000000000000000000, 4000000000000000000)"), ""));
    CHECK(contains(msg, "more than 2^64"));
    // A dimension too large even for size_t.
    msg = npy_error(dir, "toolarge.npy",
                    npy_file(dict("<f8", "(99999999999999999999999999, 1)"), ""));
    CHECK(contains(msg, "too large"));
}

TEST_CASE("npy: bytes after the data") {
    TempDir dir;
    const std::string msg = npy_error(
        dir, "long.npy", npy_file(dict("<f4", "(2,)"), payload<float>({1.f, 2.f, 3.f})));
    CHECK(contains(msg, "4 bytes after the data"));
}

TEST_CASE("npy: malformed and truncated headers") {
    TempDir dir;
    // The preamble announces more header bytes than the file holds.
    std::string bytes = npy_file(dict("<f8", "(1,)"), "");
    bytes.resize(40);
    CHECK(contains(npy_error(dir, "cut.npy", bytes), "truncated npy header"));
    CHECK(contains(npy_error(dir, "cut2.npy", std::string("\x93NUMPY\x01\x00\x10", 9)),
                   "truncated npy header"));

    const std::vector<std::string> bad = {
        "{'descr': '<f8', 'fortran_order': False, 'shape': (abc, 6), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 6), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': , }",
        "{'descr': '<f8', 'fortran_order': False, }",
        "{'descr': '<f8', 'fortran_order': maybe, 'shape': (1,), }",
        "{'shape': (1,), 'descr': '<f8', 'fortran_order': False}",
        "{'descr': , 'fortran_order': False, 'shape': (1,), }",
        "not a dict at all",
        "",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (,), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,,2), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,2), } trailing",
        "{'descr': '<f8, 'fortran_order': False, 'shape': (1,2), }",
    };
    for (std::size_t i = 0; i < bad.size(); ++i) {
        CAPTURE(bad[i]);
        const std::string msg =
            npy_error(dir, "bad" + std::to_string(i) + ".npy", npy_file(bad[i], std::string(48, '\0')));
        CHECK(contains(msg, "malformed npy header"));
    }
    // A header whose last byte is not the newline.
    bytes = npy_file(dict("<f8", "(1,)"), payload<double>({1.0}));
    bytes[127] = ' ';
    CHECK(contains(npy_error(dir, "nonl.npy", bytes), "does not end with a newline"));
}

TEST_CASE("npy: crafted oversized headers give errors, not crashes") {
    TempDir dir;
    // Longer than numpy's (and resanom's) 10000-byte limit: refused from the preamble alone.
    const std::string huge = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::string(20000, '1') + ",), }";
    std::string msg = npy_error(dir, "huge.npy", npy_file(huge, "", 2));
    CHECK(contains(msg, "header bytes"));
    CHECK(contains(msg, "10000"));

    // Within the limit but built to stress a backtracking matcher: long descr, long shape, long
    // structured descr. Each must give a short, precise error.
    const std::string long_descr =
        "{'descr': '<" + std::string(9000, '8') + "', 'fortran_order': False, 'shape': (1,), }";
    msg = npy_error(dir, "descr.npy", npy_file(long_descr, std::string(8, '\0')));
    CHECK(contains(msg, "unsupported dtype"));
    CHECK(msg.size() < 400);
    const std::string long_shape =
        "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::string(9000, '9') + ",), }";
    msg = npy_error(dir, "shape.npy", npy_file(long_shape, ""));
    CHECK(contains(msg, "too large"));
    CHECK(msg.size() < 400);
    const std::string commas =
        "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::string(9000, ',') + "), }";
    CHECK(contains(npy_error(dir, "commas.npy", npy_file(commas, "")), "malformed npy header"));
    const std::string structured =
        "{'descr': [" + std::string(9000, '[') + "], 'fortran_order': False, 'shape': (1,), }";
    msg = npy_error(dir, "struct.npy", npy_file(structured, std::string(8, '\0')));
    CHECK(contains(msg, "structured array"));
    CHECK(msg.size() < 400);
}

TEST_CASE("npy: NaN and inf name their row and column unless allowed") {
    TempDir dir;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    const std::string path = dir.file("nan.npy");
    write_bytes(path, npy_file(dict("<f8", "(3, 3)"), payload<double>({0, 1, 2, 3, 4, nan, 6, 7, 8})));
    try {
        rio::read_npy(path);
        FAIL("no exception");
    } catch (const resanom::io_error& e) {
        CHECK(e.path() == path);
        CHECK(e.row() == 1u);
        CHECK(e.column() == 2u);
        const std::string msg = e.what();
        CHECK(contains(msg, path + ": row 1, column 2: non-finite value nan"));
        CHECK(contains(msg, "allow_nonfinite"));
    }
    const Matrix R = rio::read_npy(path, {.allow_nonfinite = true});
    CHECK(std::isnan(R(1, 2)));
    CHECK(R(2, 0) == 6.0);

    const std::string path32 = dir.file("inf32.npy");
    write_bytes(path32, npy_file(dict("<f4", "(2, 2)"),
                                 payload<float>({1.f, 2.f, -std::numeric_limits<float>::infinity(), 4.f})));
    const std::string msg = io_error_message([&] { rio::read_npy(path32); });
    CHECK(contains(msg, path32 + ": row 1, column 0: non-finite value -inf"));

    const std::string path1d = dir.file("inf1d.npy");
    write_bytes(path1d, npy_file(dict("<f8", "(3,)"), payload<double>({1, 2, inf})));
    CHECK(contains(io_error_message([&] { rio::read_npy(path1d); }),
                   path1d + ": row 2, column 0: non-finite value inf"));
}

TEST_CASE("npy: writing into a folder that does not exist leaves nothing") {
    TempDir dir;
    const std::string path = (dir.path() / "missing" / "out.npy").string();
    const std::string msg = io_error_message([&] { rio::write_npy(path, Matrix::Ones(2, 2)); });
    CHECK(contains(msg, path));
    CHECK(contains(msg, "does not exist"));
    CHECK_FALSE(fs::exists(dir.path() / "missing"));
    CHECK(folder_entries(dir.path()).empty());
}

TEST_CASE("npy: writing onto a folder fails and leaves it alone") {
    TempDir dir;
    fs::create_directory(dir.path() / "d.npy");
    const std::string msg =
        io_error_message([&] { rio::write_npy(dir.file("d.npy"), Matrix::Ones(2, 2)); });
    CHECK(contains(msg, "is a directory"));
    CHECK(fs::is_directory(dir.path() / "d.npy"));
    CHECK(folder_entries(dir.path()) == std::vector<std::string>{"d.npy"});
}

TEST_CASE("npy: a failed write does not clobber the existing file") {
    TempDir dir;
    const std::string path = dir.file("keep.npy");
    const Matrix old = Matrix::Constant(3, 2, 7.0);
    rio::write_npy(path, old);
    const std::string before = slurp(path);

    // A writer that fails half way through (as a full disk would).
    CHECK_THROWS_AS(rio::atomic_write(path,
                                              [](rio::FileSink& out) {
                                                  out.write("partial contents");
                                                  throw resanom::io_error("x", "disk full");
                                              }),
                    resanom::io_error);
    CHECK(slurp(path) == before);
    CHECK(folder_entries(dir.path()) == std::vector<std::string>{"keep.npy"});

    // A successful overwrite replaces it and leaves no temporary file behind.
    rio::write_npy(path, Matrix::Zero(1, 1));
    CHECK(rio::read_npy(path) == Matrix::Zero(1, 1));
    CHECK(folder_entries(dir.path()) == std::vector<std::string>{"keep.npy"});
}

TEST_CASE("npy: StagedFiles writes all files or none") {
    TempDir dir;
    const std::string a = dir.file("a.npy"), b = dir.file("b.csv");
    rio::write_npy(a, Matrix::Constant(1, 1, 5.0));
    const std::string before = slurp(a);
    {
        // The second output fails while being produced: the first, already staged, is dropped.
        rio::StagedFiles files;
        files.add(rio::stage_npy(a, Matrix::Constant(2, 2, 1.0)));
        CHECK_THROWS_AS(files.add(rio::stage_write(b, [](rio::FileSink& out) {
                            out.write("half");
                            throw resanom::io_error("b", "disk full");
                        })),
                        resanom::io_error);
    }
    CHECK(slurp(a) == before);
    CHECK(folder_entries(dir.path()) == std::vector<std::string>{"a.npy"});

    {
        // The same target twice is refused, also through a different spelling of the path.
        rio::StagedFiles files;
        files.add(rio::stage_npy(a, Matrix::Constant(2, 2, 1.0)));
        const std::string again = (dir.path() / "." / "a.npy").string();
        CHECK(contains(io_error_message([&] { files.add(rio::stage_npy(again, Matrix::Zero(1, 1))); }),
                       "same file"));
    }
    CHECK(slurp(a) == before);
    CHECK(folder_entries(dir.path()) == std::vector<std::string>{"a.npy"});

    rio::StagedFiles files;
    files.add(rio::stage_npy(a, Matrix::Constant(2, 2, 1.0)));
    files.add(rio::stage_table(b, rio::Table{Matrix::Constant(1, 2, 3.0), {"x", "y"}}));
    CHECK(slurp(a) == before);   // nothing visible before commit
    files.commit();
    CHECK(rio::read_npy(a) == Matrix::Constant(2, 2, 1.0));
    CHECK(rio::read_table(b).columns == std::vector<std::string>{"x", "y"});
    CHECK(folder_entries(dir.path()) == std::vector<std::string>{"a.npy", "b.csv"});
}

TEST_CASE("npy: remove_pending_temporaries removes staged files not yet committed, and only those") {
    TempDir dir;
    const std::string a = dir.file("a.npy"), b = dir.file("b.npy"), c = dir.file("c.npy");
    rio::write_npy(c, Matrix::Constant(1, 1, 2.0));   // committed earlier: must stay
    rio::StagedFile sa = rio::stage_npy(a, Matrix::Constant(2, 2, 1.0));
    rio::StagedFile sb = rio::stage_npy(b, Matrix::Constant(2, 2, 1.0));
    sb.commit();                                       // committed: no longer pending
    rio::StagedFile moved = std::move(sa);             // moving keeps the registration
    CHECK(folder_entries(dir.path()).size() == 3);     // a's temporary file, b.npy, c.npy
    rio::remove_pending_temporaries();                 // what the tool's SIGINT handler calls
    CHECK(folder_entries(dir.path()) == std::vector<std::string>{"b.npy", "c.npy"});
    // The staged file then finds its temporary gone: discarding is harmless, committing fails.
    CHECK_THROWS_AS(moved.commit(), resanom::io_error);
    CHECK(folder_entries(dir.path()) == std::vector<std::string>{"b.npy", "c.npy"});
    rio::remove_pending_temporaries();                 // nothing left registered
    CHECK(folder_entries(dir.path()) == std::vector<std::string>{"b.npy", "c.npy"});
}

TEST_CASE("npy: a relative path in the working folder") {
    TempDir dir;
    const fs::path cwd = fs::current_path();
    fs::current_path(dir.path());
    rio::write_npy("rel.npy", Matrix::Identity(2, 2));
    const Matrix R = rio::read_npy("rel.npy");
    fs::current_path(cwd);
    CHECK(R == Matrix::Identity(2, 2));
}

}  // namespace unit_test_npy
