// Tests of resanom/io/csv.hpp and table.hpp: exact round trips, the CSV quirks real files have,
// every kind of bad CSV, column selection, extension dispatch and atomic writes.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "resanom/io/table.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_csv {

using resanom::Index;
using resanom::Matrix;
using resanom_test::contains;
using resanom_test::slurp;
using resanom_test::TempDir;
using resanom_test::write_bytes;
namespace fs = std::filesystem;
namespace rio = resanom::io;

namespace {

/// Writes text to dir/name and reads it as CSV.
rio::Table csv(const TempDir& dir, const std::string& text, const rio::CsvOptions& opt = {},
               const std::string& name = "t.csv") {
    write_bytes(dir.file(name), text);
    return rio::read_csv(dir.file(name), opt);
}

/// The io_error that reading `text` as CSV raises; its message must name the file.
resanom::io_error csv_error(const TempDir& dir, const std::string& text,
                            const rio::CsvOptions& opt = {}) {
    const std::string path = dir.file("bad.csv");
    write_bytes(path, text);
    try {
        rio::read_csv(path, opt);
    } catch (const resanom::io_error& e) {
        CHECK_MESSAGE(contains(e.what(), path), e.what());
        return e;
    } catch (const std::exception& e) {
        FAIL("expected resanom::io_error, got: " << e.what());
    }
    FAIL("expected resanom::io_error, nothing was thrown");
    return resanom::io_error(path, "unreachable");
}

template <class F>
std::string error_message(F&& f) {
    try {
        f();
    } catch (const resanom::error& e) {
        return e.what();
    }
    FAIL("expected a resanom::error, nothing was thrown");
    return {};
}

bool same_bits(const Matrix& a, const Matrix& b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
    return a.size() == 0 ||
           std::memcmp(a.data(), b.data(), static_cast<std::size_t>(a.size()) * sizeof(double)) == 0;
}

}  // namespace

TEST_CASE("csv: write then read is exact to the bit") {
    TempDir dir;
    std::mt19937_64 gen(12345);
    std::uniform_int_distribution<std::uint64_t> bits;
    Matrix M(200, 4);
    for (Index i = 0; i < M.rows(); ++i)
        for (Index j = 0; j < M.cols(); ++j) {
            double v;
            do {
                const std::uint64_t b = bits(gen);
                std::memcpy(&v, &b, sizeof v);
            } while (!std::isfinite(v));   // random bit patterns cover every exponent
            M(i, j) = v;
        }
    M.row(0) << 0.1, -0.0, std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max();
    M.row(1) << 1.0 / 3.0, 1e-300, 9007199254740993.0, -std::numeric_limits<double>::min();
    const rio::Table t{M, {"a", "b", "c", "d"}};
    rio::write_csv(dir.file("r.csv"), t);
    const rio::Table r = rio::read_csv(dir.file("r.csv"));
    CHECK(r.columns == t.columns);
    CHECK(same_bits(r.data, M));
    // Deterministic bytes.
    rio::write_csv(dir.file("r2.csv"), t);
    CHECK(slurp(dir.file("r.csv")) == slurp(dir.file("r2.csv")));
}

TEST_CASE("csv: the exact text written") {
    TempDir dir;
    Matrix M(3, 2);
    M << 1, 2.5, 0.1, -3, 1e-05, 1e+22;
    rio::write_csv(dir.file("s.csv"), {M, {"mjj", "label"}});
    CHECK(slurp(dir.file("s.csv")) == "mjj,label\n1,2.5\n0.1,-3\n1e-05,1e+22\n");
    // No names: c0, c1, ….
    rio::write_csv(dir.file("c.csv"), {Matrix::Zero(1, 2), {}});
    CHECK(slurp(dir.file("c.csv")) == "c0,c1\n0,0\n");
}

TEST_CASE("csv: names that need quoting survive a round trip") {
    TempDir dir;
    const std::vector<std::string> names = {"a,b", "say \"hi\"", " padded ", "", "plain"};
    rio::write_csv(dir.file("q.csv"), {Matrix::Ones(2, 5), names});
    CHECK(rio::read_csv(dir.file("q.csv")).columns == names);
    rio::write_csv(dir.file("one.csv"), {Matrix::Ones(2, 1), {""}});
    const rio::Table one = rio::read_csv(dir.file("one.csv"));
    CHECK(one.columns == std::vector<std::string>{""});
    CHECK(one.data.rows() == 2);
}

TEST_CASE("csv: non-finite values round trip when allowed") {
    TempDir dir;
    Matrix M(1, 3);
    M << std::nan(""), std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity();
    rio::write_csv(dir.file("n.csv"), {M, {"a", "b", "c"}});
    CHECK(slurp(dir.file("n.csv")) == "a,b,c\nnan,inf,-inf\n");
    const rio::Table r = rio::read_csv(dir.file("n.csv"), {.allow_nonfinite = true});
    CHECK(std::isnan(r.data(0, 0)));
    CHECK(r.data(0, 1) == std::numeric_limits<double>::infinity());
    CHECK(r.data(0, 2) == -std::numeric_limits<double>::infinity());
}

TEST_CASE("csv: numbers below the smallest double read as zero, denormals as themselves") {
    TempDir dir;
    const rio::Table t = csv(dir, "a,b,c,d,e\n1e-400,-1e-400,4.9e-324,0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001,1000e-402\n");
    REQUIRE(t.data.rows() == 1);
    CHECK(t.data(0, 0) == 0.0);
    CHECK(!std::signbit(t.data(0, 0)));
    CHECK(t.data(0, 1) == 0.0);
    CHECK(std::signbit(t.data(0, 1)));
    CHECK(t.data(0, 2) == std::numeric_limits<double>::denorm_min());
    CHECK(t.data(0, 3) == 0.0);
    CHECK(t.data(0, 4) == 0.0);   // 1e-399
}

TEST_CASE("csv: quirks of real files") {
    TempDir dir;
    SUBCASE("CRLF line ends, no final newline") {
        const rio::Table t = csv(dir, "x,y\r\n1,2\r\n3,4");
        REQUIRE(t.data.rows() == 2);
        CHECK(t.data(1, 1) == 4.0);
        CHECK(t.columns == std::vector<std::string>{"x", "y"});
    }
    SUBCASE("classic Mac OS line ends (a lone carriage return), also mixed with the others") {
        const rio::Table t = csv(dir, "x,y\r1,2\r3,4\r\n5,6\n7,8\r");
        REQUIRE(t.data.rows() == 4);
        CHECK(t.columns == std::vector<std::string>{"x", "y"});
        CHECK(t.data(0, 1) == 2.0);
        CHECK(t.data(1, 0) == 3.0);
        CHECK(t.data(3, 1) == 8.0);
        const auto e = csv_error(dir, "x,y\r1,2\r3\r");
        CHECK(contains(e.what(), "line 3"));   // line numbers count lone CRs as line ends
    }
    SUBCASE("blanks around fields and names, blank lines, a byte-order mark") {
        const rio::Table t = csv(dir, "\xEF\xBB\xBF mjj ,\tlabel\n\n 3.5 , 1\n\n  \n3.6,\t0 \n\n");
        CHECK(t.columns == std::vector<std::string>{"mjj", "label"});
        REQUIRE(t.data.rows() == 2);
        CHECK(t.data(0, 0) == 3.5);
        CHECK(t.data(1, 1) == 0.0);
    }
    SUBCASE("number spellings") {
        const rio::Table t = csv(dir, "a,b,c,d,e,f\n+1.5,-2e3,1E-2,.5,5.,\"7\"\n");
        REQUIRE(t.data.rows() == 1);
        CHECK(t.data(0, 0) == 1.5);
        CHECK(t.data(0, 1) == -2000.0);
        CHECK(t.data(0, 2) == 0.01);
        CHECK(t.data(0, 3) == 0.5);
        CHECK(t.data(0, 4) == 5.0);
        CHECK(t.data(0, 5) == 7.0);
    }
    SUBCASE("quoted header names") {
        const rio::Table t = csv(dir, "\"m,jj\", \"say \"\"x\"\"\" \n1,2\n");
        CHECK(t.columns == std::vector<std::string>{"m,jj", "say \"x\""});
    }
    SUBCASE("other delimiters") {
        const rio::Table t = csv(dir, "a;b\n1.5;2\n", {.delimiter = ';'}, "semi.csv");
        CHECK(t.columns == std::vector<std::string>{"a", "b"});
        CHECK(t.data(0, 0) == 1.5);
        CHECK_THROWS_AS(csv(dir, "a;b\n1,5;2\n", {.delimiter = ';'}, "semi.csv"), resanom::io_error);
        const rio::Table tabs = csv(dir, "a\tb\n 1\t 2 \n", {.delimiter = '\t'}, "tab.csv");
        CHECK(tabs.data(0, 1) == 2.0);
    }
    SUBCASE("a header with no data rows gives an empty table") {
        const rio::Table t = csv(dir, "mjj,mj_min,label\n");
        CHECK(t.data.rows() == 0);
        CHECK(t.data.cols() == 3);
        CHECK(t.columns.size() == 3);
    }
}

TEST_CASE("csv: an empty file is an error") {
    TempDir dir;
    for (const std::string text : {"", "\n", " \r\n\n"}) {
        const auto e = csv_error(dir, text);
        CHECK(contains(e.what(), "empty file"));
    }
}

TEST_CASE("csv: a missing file") {
    TempDir dir;
    const std::string path = dir.file("nope.csv");
    const std::string msg = error_message([&] { rio::read_csv(path); });
    CHECK(contains(msg, path));
    CHECK(contains(msg, "no such file"));
}

TEST_CASE("csv: ragged rows give the row and the field counts") {
    TempDir dir;
    auto e = csv_error(dir, "a,b,c\n1,2,3\n4,5\n");
    CHECK(e.row() == 1u);
    CHECK(contains(e.what(), ": row 1: expected 3 fields as in the header, found 2 (line 3)"));
    e = csv_error(dir, "a,b\n1,2\n3,4\n5,6,7\n");
    CHECK(e.row() == 2u);
    CHECK(contains(e.what(), "expected 2 fields as in the header, found 3 (line 4)"));
}

TEST_CASE("csv: a non-numeric field is quoted with its row and column") {
    TempDir dir;
    auto e = csv_error(dir, "a,b,c\n1,2,3\n4,abc,6\n");
    CHECK(e.row() == 1u);
    CHECK(e.column() == 1u);
    CHECK(contains(e.what(), ": row 1, column 1: non-numeric field \"abc\" (line 3)"));
    e = csv_error(dir, "a,b\n1,2.5x\n");
    CHECK(contains(e.what(), "row 0, column 1: non-numeric field \"2.5x\""));
    e = csv_error(dir, "a,b\n1,0x10\n");
    CHECK(contains(e.what(), "non-numeric field \"0x10\""));
    e = csv_error(dir, "a,b\n1,2,5\n", {.delimiter = ';'});
    CHECK(contains(e.what(), "non-numeric field \"1,2,5\""));   // a comma in a semicolon file
    e = csv_error(dir, "a,b\n1,\n");
    CHECK(contains(e.what(), "row 0, column 1: empty field"));
    e = csv_error(dir, "a,b\n1,1e999\n");
    CHECK(contains(e.what(), "row 0, column 1: field \"1e999\" is out of the range of a double"));
    e = csv_error(dir, "a,b\n1,-0.01e311\n");   // −1e309: a small mantissa, a large exponent
    CHECK(contains(e.what(), "out of the range of a double"));
    e = csv_error(dir, "a,b\n1,\"2\n");
    CHECK(contains(e.what(), "row 0: unterminated quoted field"));
}

TEST_CASE("csv: NaN and inf are refused with row and column unless allowed") {
    TempDir dir;
    for (const std::string v : {"nan", "NaN", "inf", "-inf", "Infinity"}) {
        const auto e = csv_error(dir, "a,b,c\n1,2,3\n4,5," + v + "\n");
        CHECK(e.row() == 1u);
        CHECK(e.column() == 2u);
        CHECK(contains(e.what(), "non-finite value \"" + v + "\""));
        const rio::Table t = csv(dir, "a,b,c\n1,2,3\n4,5," + v + "\n", {.allow_nonfinite = true});
        CHECK_FALSE(std::isfinite(t.data(1, 2)));
    }
}

TEST_CASE("csv: an npy file given as CSV") {
    TempDir dir;
    rio::write_npy(dir.file("a.npy"), Matrix::Ones(2, 2));
    fs::copy_file(dir.file("a.npy"), dir.file("a.csv"));
    const std::string msg = error_message([&] { rio::read_csv(dir.file("a.csv")); });
    CHECK(contains(msg, "this is an npy file"));
}

TEST_CASE("columns by name or index") {
    rio::Table t{Matrix::Zero(2, 4), {"mjj", "mj_min", "3", "label"}};
    CHECK(rio::column_index(t, "mjj") == 0);
    CHECK(rio::column_index(t, "label") == 3);
    CHECK(rio::column_index(t, "1") == 1);
    CHECK(rio::column_index(t, "3") == 2);   // a name wins over the index reading
    CHECK(rio::column_indices(t, "label, 0,mj_min") == std::vector<Index>{3, 0, 1});

    std::string msg;
    CHECK_THROWS_AS(rio::column_index(t, "tau21"), resanom::input_error);
    msg = error_message([&] { rio::column_index(t, "tau21"); });
    CHECK(contains(msg, "unknown column 'tau21'"));
    CHECK(contains(msg, "mjj, mj_min, 3, label"));
    msg = error_message([&] { rio::column_index(t, "7"); });
    CHECK(contains(msg, "column index 7 is out of range: the table has 4 columns"));
    msg = error_message([&] { rio::column_index(t, "-1"); });
    CHECK(contains(msg, "unknown column '-1'"));
    msg = error_message([&] { rio::column_indices(t, "0,,1"); });
    CHECK(contains(msg, "empty entry"));

    rio::Table dup{Matrix::Zero(1, 3), {"x", "y", "x"}};
    msg = error_message([&] { rio::column_index(dup, "x"); });
    CHECK(contains(msg, "ambiguous"));
    CHECK(rio::column_index(dup, "2") == 2);

    rio::Table unnamed{Matrix::Zero(1, 2), {}};
    CHECK(rio::column_index(unnamed, "c1") == 1);
}

TEST_CASE("tables: dispatch by extension") {
    TempDir dir;
    const Matrix M = Matrix::Random(5, 3);
    rio::write_table(dir.file("a.NPY"), {M, {"x", "y", "z"}});
    const rio::Table n = rio::read_table(dir.file("a.NPY"));
    CHECK(n.data == M);
    CHECK(n.columns == std::vector<std::string>{"c0", "c1", "c2"});
    rio::write_table(dir.file("a.Csv"), {M, {"x", "y", "z"}});
    const rio::Table c = rio::read_table(dir.file("a.Csv"));
    CHECK(c.data == M);
    CHECK(c.columns == std::vector<std::string>{"x", "y", "z"});
    CHECK(rio::format_of("dir.v2/file.npy") == rio::FileFormat::npy);

    write_bytes(dir.file("t.tsv.csv"), "a\tb\n1\tnan\n");
    const rio::Table tsv = rio::read_table(dir.file("t.tsv.csv"), {.allow_nonfinite = true, .delimiter = '\t'});
    CHECK(std::isnan(tsv.data(0, 1)));

    std::string msg = error_message([&] { rio::read_table(dir.file("a.txt")); });
    CHECK(contains(msg, dir.file("a.txt")));
    CHECK(contains(msg, "unsupported file extension '.txt'"));
    CHECK(contains(msg, ".npy and .csv"));
    msg = error_message([&] { rio::write_table(dir.file("noext"), {M, {}}); });
    CHECK(contains(msg, "no extension"));
    CHECK_FALSE(fs::exists(dir.file("noext")));
    msg = error_message([&] { rio::write_table(dir.file("b.npy"), {M, {"x"}}); });
    CHECK(contains(msg, "3 columns but 1 column names"));
}

TEST_CASE("csv: atomic writes") {
    TempDir dir;
    const rio::Table t{Matrix::Ones(2, 2), {"a", "b"}};
    SUBCASE("into a folder that does not exist") {
        const std::string path = (dir.path() / "missing" / "x.csv").string();
        const std::string msg = error_message([&] { rio::write_csv(path, t); });
        CHECK(contains(msg, path));
        CHECK(contains(msg, "does not exist"));
        CHECK(fs::is_empty(dir.path()));
    }
    SUBCASE("a failed write keeps the old file") {
        const std::string path = dir.file("keep.csv");
        rio::write_csv(path, t);
        const std::string before = slurp(path);
        CHECK_THROWS_AS(rio::write_csv(path, {Matrix::Zero(3, 3), {"a", "b"}}), resanom::io_error);
        CHECK_THROWS_AS(rio::write_csv(path, {Matrix::Zero(3, 2), {"a", "line\nbreak"}}),
                        resanom::io_error);
        CHECK_THROWS_AS(rio::write_csv(path, {Matrix::Zero(3, 0), {}}), resanom::io_error);
        CHECK(slurp(path) == before);
        int entries = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++entries;
        CHECK(entries == 1);
    }
}

}  // namespace unit_test_csv
