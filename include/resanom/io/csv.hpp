// resanom/io/csv.hpp — the Table type (a matrix with named columns), column selection by name or
// index, and reading and writing numeric CSV files with a header row.
//
// Table lives here, not in table.hpp, because the CSV reader returns it; include resanom/io/table.hpp
// for the whole I/O layer. The reader takes a header row and numeric fields (optionally quoted,
// parsed with std::from_chars, so the locale never matters; NaN and inf only with allow_nonfinite);
// the writer uses the shortest round-tripping std::to_chars form, so write/read is exact.
// docs/data-formats.md ("CSV") gives the full grammar and the error messages.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/types.hpp"
#include "resanom/io/npy.hpp"
#include "resanom/io/staging.hpp"

namespace resanom::io {

/// A numeric table: one event per row, with a name per column. From a CSV file the names are its
/// header; from an .npy file they are "c0", "c1", …. Invariant (checked by the writers):
/// columns.size() == data.cols(), or columns is empty, meaning "c0", "c1", ….
struct Table {
    Matrix data;
    std::vector<std::string> columns;
};

/// Options for reading CSV.
struct CsvOptions {
    char delimiter = ',';
    /// When false (the default), "nan", "inf" and their variants raise io_error with the row and
    /// column; when true they are read as NaN and ±inf.
    bool allow_nonfinite = false;
};

namespace detail {

/// The names c0, c1, …, c(k−1) (columns of an .npy file).
inline std::vector<std::string> default_column_names(Index k) {
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(k));
    for (Index j = 0; j < k; ++j) {
        std::string name = "c";   // not "c" + to_string(j): GCC 12 -Wrestrict misfires on it
        name += std::to_string(j);
        names.push_back(std::move(name));
    }
    return names;
}

inline std::string join_names(const std::vector<std::string>& names) {
    std::string s;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) s += ", ";
        s += names[i];
    }
    return s;
}

/// Parses a whole string as a non-negative decimal integer.
inline std::optional<Index> parse_index(std::string_view s) {
    Index v = 0;
    if (s.empty() || s.front() == '-' || s.front() == '+') return std::nullopt;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

inline bool is_blank(char c, char delimiter) {
    return (c == ' ' || c == '\t') && c != delimiter;
}

inline std::string_view trim(std::string_view s, char delimiter) {
    while (!s.empty() && is_blank(s.front(), delimiter)) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back(), delimiter)) s.remove_suffix(1);
    return s;
}

/// One field of a CSV line: the text between delimiters, trimmed, without its quotes.
struct CsvField {
    std::string_view text;
    bool quoted = false;
};

/// Splits one line (without its line end) into fields. Returns an error text, or empty.
inline std::string split_csv_line(std::string_view line, char delim, std::vector<CsvField>& out) {
    out.clear();
    std::size_t i = 0;
    const std::size_t n = line.size();
    for (;;) {
        while (i < n && is_blank(line[i], delim)) ++i;
        if (i < n && line[i] == '"') {
            std::size_t j = i + 1;
            while (j < n) {
                if (line[j] == '"') {
                    if (j + 1 < n && line[j + 1] == '"') {
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            if (j >= n) return "unterminated quoted field (a quoted field cannot span lines)";
            out.push_back({line.substr(i + 1, j - i - 1), true});
            i = j + 1;
            while (i < n && is_blank(line[i], delim)) ++i;
            if (i < n && line[i] != delim)
                return "unexpected text after a closing quote in field " +
                       std::to_string(out.size() - 1);
        } else {
            const std::size_t k = std::min(line.find(delim, i), n);
            out.push_back({trim(line.substr(i, k - i), delim), false});
            i = k;
        }
        if (i >= n) return {};
        ++i;   // past the delimiter: another field follows, possibly empty
    }
}

inline std::string unescape_quotes(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        out += s[i];
        if (s[i] == '"' && i + 1 < s.size() && s[i + 1] == '"') ++i;
    }
    return out;
}

/// Reads a whole file into a string (io_error when it cannot).
inline std::string read_file(const std::string& path) {
    std::uintmax_t size = 0;
    std::ifstream in = open_for_reading(path, size);
    std::string text(static_cast<std::size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(size));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

/// A CSV name needs quotes when it holds the delimiter or a quote, or has blanks at its ends
/// (which the reader would trim).
inline std::string csv_name(const std::string& name) {
    const bool quote = name.find_first_of(",\"") != std::string::npos ||
                       (!name.empty() && (name.front() == ' ' || name.front() == '\t' ||
                                          name.back() == ' ' || name.back() == '\t'));
    if (!quote) return name;
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

}  // namespace detail

namespace detail {
/// For a decimal number that std::from_chars found out of the range of a double: true when its
/// magnitude is below the smallest double (underflow), false when above the largest (overflow).
/// Decided from the position of its first nonzero digit and its exponent.
inline bool decimal_underflows(std::string_view s) {
    std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    bool point = false, found = false;
    long long int_digits = 0, frac_zeros = 0;
    for (; i < s.size() && s[i] != 'e' && s[i] != 'E'; ++i) {
        const char c = s[i];
        if (c == '.') {
            point = true;
        } else if (!point) {
            if (found || c != '0') {
                found = true;
                ++int_digits;
            }
        } else if (!found) {
            if (c == '0') ++frac_zeros;
            else found = true;
        }
    }
    long long exponent = 0;
    if (i < s.size()) {   // at 'e' or 'E'
        ++i;
        const bool negative = i < s.size() && s[i] == '-';
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
        for (; i < s.size(); ++i)
            if (exponent < 1'000'000'000) exponent = exponent * 10 + (s[i] - '0');
        if (negative) exponent = -exponent;
    }
    const long long order = int_digits > 0 ? int_digits - 1 : -(frac_zeros + 1);
    return order + exponent < 0;
}
}  // namespace detail

/// Reads a CSV file with a header row into a Table. A header with no data rows gives a 0×d table
/// (whether an empty sample is acceptable is decided where it is used); a file with no header
/// (empty, or blank lines only) is an error. Every problem raises io_error naming the file and,
/// for a bad field, its 0-based data row and column (the 1-based line number is in the message).
inline Table read_csv(const std::string& path, const CsvOptions& opt = {}) {
    const char delim = opt.delimiter;
    if (delim == '"' || delim == '\n' || delim == '\r')
        throw io_error(path, std::string("invalid CSV delimiter '") + delim + "'");
    const std::string text = detail::read_file(path);
    std::string_view rest(text);
    if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);   // UTF-8 byte-order mark
    if (rest.substr(0, detail::npy_magic().size()) == detail::npy_magic())
        throw io_error(path, "this is an npy file, not CSV (read it as .npy)");

    std::size_t line_no = 0;
    // The next non-blank line, without its line end; false at the end of the file. Lines end
    // with "\n", "\r\n" or a lone "\r" (classic Mac OS, still written by some spreadsheets).
    auto next_line = [&](std::string_view& line) {
        while (!rest.empty()) {
            const std::size_t nl = rest.find_first_of("\r\n");
            line = rest.substr(0, nl);
            std::size_t skip = rest.size();
            if (nl != std::string_view::npos)
                skip = nl + (rest[nl] == '\r' && nl + 1 < rest.size() && rest[nl + 1] == '\n' ? 2 : 1);
            rest.remove_prefix(skip);
            ++line_no;
            if (!detail::trim(line, delim).empty()) return true;
        }
        return false;
    };

    std::string_view line;
    if (!next_line(line)) throw io_error(path, "empty file: expected a CSV header row");
    std::vector<detail::CsvField> fields;
    if (std::string err = detail::split_csv_line(line, delim, fields); !err.empty())
        throw io_error(path, "header (line " + std::to_string(line_no) + "): " + err);
    Table t;
    for (const auto& f : fields)
        t.columns.push_back(f.quoted ? detail::unescape_quotes(f.text) : std::string(f.text));
    const std::size_t d = t.columns.size();

    std::vector<double> values;   // row-major while reading
    std::size_t row = 0;
    while (next_line(line)) {
        const auto where = [&] { return " (line " + std::to_string(line_no) + ")"; };
        if (std::string err = detail::split_csv_line(line, delim, fields); !err.empty())
            throw io_error(path, err + where(), row);
        if (fields.size() != d)
            throw io_error(path, "expected " + std::to_string(d) + " fields as in the header, found " +
                                     std::to_string(fields.size()) + where(),
                           row);
        for (std::size_t j = 0; j < d; ++j) {
            std::string_view s = fields[j].text;
            if (s.empty()) throw io_error(path, "empty field (missing value)" + where(), row, j);
            std::string_view num = s;
            if (num.size() > 1 && num.front() == '+' && num[1] != '-' && num[1] != '+')
                num.remove_prefix(1);   // from_chars does not take an explicit plus sign
            double v = 0.0;
            const auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
            const bool whole = ptr == num.data() + num.size();
            if (ec == std::errc::result_out_of_range && whole) {
                // Below the smallest denormal (1e-400) reads as zero, as numpy and strtod do;
                // beyond the largest double is an error.
                if (!detail::decimal_underflows(num))
                    throw io_error(path, "field \"" + std::string(s) + "\" is out of the range of a double" +
                                             where(),
                                   row, j);
                v = num.front() == '-' ? -0.0 : 0.0;
            } else if (ec != std::errc() || !whole) {
                throw io_error(path, "non-numeric field \"" + std::string(s) + "\"" + where(), row, j);
            }
            if (!opt.allow_nonfinite && !std::isfinite(v))
                throw io_error(path, "non-finite value \"" + std::string(s) + "\"" + where() +
                                         "; NaN and inf are rejected unless allow_nonfinite is set",
                               row, j);
            values.push_back(v);
        }
        ++row;
    }
    const auto n = static_cast<Index>(row), dd = static_cast<Index>(d);
    t.data.resize(n, dd);
    if (!values.empty())
        t.data = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            values.data(), n, dd);
    return t;
}

/// Writes a Table as CSV (header row, then one line per row, ',' between fields, '\n' line ends),
/// atomically. Numbers are written in their shortest exact form (NaN as "nan", infinities as
/// "inf"/"-inf"), so read_csv gives back the same doubles. Empty `columns` means c0, c1, ….
/// stage_csv leaves the finished file staged (see io::StagedFiles); write_csv commits it.
inline StagedFile stage_csv(const std::string& path, const Table& t) {
    const Index d = t.data.cols();
    if (d == 0) throw io_error(path, "cannot write a table with no columns as CSV");
    const std::vector<std::string> names =
        t.columns.empty() ? detail::default_column_names(d) : t.columns;
    if (static_cast<Index>(names.size()) != d)
        throw io_error(path, "cannot write: the table has " + std::to_string(d) + " columns but " +
                                 std::to_string(names.size()) + " column names");
    std::string header;
    for (std::size_t j = 0; j < names.size(); ++j) {
        if (names[j].find_first_of("\r\n") != std::string::npos)
            throw io_error(path, "cannot write: the name of column " + std::to_string(j) +
                                     " contains a line break");
        if (j) header += ',';
        header += detail::csv_name(names[j]);
    }
    header += '\n';
    // An all-blank single name would read back as a blank (skipped) header line.
    if (d == 1 && detail::trim(names[0], ',').empty()) header = "\"" + names[0] + "\"\n";

    const Matrix& M = t.data;
    return stage_write(path, [&](FileSink& out) {
        out.write(header);
        std::string buf;
        buf.reserve(1 << 16);
        char num[32];
        for (Index i = 0; i < M.rows(); ++i) {
            for (Index j = 0; j < d; ++j) {
                if (j) buf += ',';
                const double v = M(i, j);
                if (std::isnan(v)) {
                    buf += "nan";
                } else {
                    const auto res = std::to_chars(num, num + sizeof num, v);
                    buf.append(num, res.ptr);
                }
            }
            buf += '\n';
            if (buf.size() >= (1 << 16) - 512) {
                out.write(buf);
                buf.clear();
            }
        }
        out.write(buf);
    });
}

inline void write_csv(const std::string& path, const Table& t) { stage_csv(path, t).commit(); }

/// The index of a column given by name or by 0-based index. A name that exists wins over its
/// reading as a number (a column named "3" is found by name). Throws input_error naming the
/// column and listing those that exist when it is unknown, out of range or ambiguous.
inline Index column_index(const Table& t, const std::string& name_or_index) {
    const Index d = t.data.cols();
    const std::vector<std::string> names =
        t.columns.empty() ? detail::default_column_names(d) : t.columns;
    std::optional<Index> found;
    for (std::size_t j = 0; j < names.size(); ++j) {
        if (names[j] != name_or_index) continue;
        if (found)
            throw input_error("column name '" + name_or_index + "' is ambiguous: columns " +
                              std::to_string(*found) + " and " + std::to_string(j) +
                              " both have it; select by 0-based index instead");
        found = static_cast<Index>(j);
    }
    if (found) return *found;
    if (const auto k = detail::parse_index(name_or_index)) {
        if (*k < d) return *k;
        throw input_error("column index " + name_or_index + " is out of range: the table has " +
                          std::to_string(d) + " columns (0.." + std::to_string(d - 1) + ": " +
                          detail::join_names(names) + ")");
    }
    throw input_error("unknown column '" + name_or_index + "'; the table has columns " +
                      detail::join_names(names) + " (or give a 0-based index below " +
                      std::to_string(d) + ")");
}

/// Several columns from a comma-separated list of names or 0-based indices ("1,2,3",
/// "mj_min, delta_m"), in the order given. Blanks around items are ignored; an empty item is an
/// error.
inline std::vector<Index> column_indices(const Table& t, std::string_view list) {
    std::vector<Index> out;
    std::size_t i = 0;
    for (;;) {
        const std::size_t k = std::min(list.find(',', i), list.size());
        const std::string_view item = detail::trim(list.substr(i, k - i), ',');
        if (item.empty())
            throw input_error("empty entry in the column list '" + std::string(list) + "'");
        out.push_back(column_index(t, std::string(item)));
        if (k >= list.size()) break;
        i = k + 1;
    }
    return out;
}

}  // namespace resanom::io
