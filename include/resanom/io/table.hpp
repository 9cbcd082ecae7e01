// resanom/io/table.hpp — the I/O layer in one include: read_table and write_table choose .npy or
// CSV by the file's extension.
//
// Table, column_index and the CSV functions are in csv.hpp, the .npy functions in npy.hpp; both are
// included here.
#pragma once

#include <cctype>
#include <filesystem>
#include <string>

#include "resanom/core/error.hpp"
#include "resanom/core/types.hpp"
#include "resanom/io/csv.hpp"
#include "resanom/io/npy.hpp"

namespace resanom::io {

/// Options for read_table; each applies where it makes sense.
struct TableOptions {
    /// Accept NaN and ±inf (both formats); by default they raise io_error with row and column.
    bool allow_nonfinite = false;
    /// Field delimiter of CSV files.
    char delimiter = ',';
};

enum class FileFormat { npy, csv };

namespace detail {
inline constexpr const char* supported_extensions = "resanom reads and writes .npy and .csv files";
}  // namespace detail

/// The format of a file by its extension, case-insensitively; io_error for anything else.
inline FileFormat format_of(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext == ".npy") return FileFormat::npy;
    if (ext == ".csv") return FileFormat::csv;
    if (ext.empty())
        throw io_error(path, std::string("the file name has no extension; ") +
                                 detail::supported_extensions);
    throw io_error(path, "unsupported file extension '" +
                             std::filesystem::path(path).extension().string() + "'; " +
                             detail::supported_extensions);
}

/// Reads an .npy (columns named c0, c1, …) or .csv (columns named by its header) file.
inline Table read_table(const std::string& path, const TableOptions& opt = {}) {
    if (format_of(path) == FileFormat::npy) {
        Table t;
        t.data = read_npy(path, ReadOptions{opt.allow_nonfinite});
        t.columns = detail::default_column_names(t.data.cols());
        return t;
    }
    return read_csv(path, CsvOptions{opt.delimiter, opt.allow_nonfinite});
}

/// Writes a Table as .npy (2-D float64; the column names are not stored) or .csv (with its
/// header) into a staged temporary file (see io::StagedFiles).
inline StagedFile stage_table(const std::string& path, const Table& t) {
    if (format_of(path) == FileFormat::npy) {
        if (!t.columns.empty() && static_cast<Index>(t.columns.size()) != t.data.cols())
            throw io_error(path, "cannot write: the table has " + std::to_string(t.data.cols()) +
                                     " columns but " + std::to_string(t.columns.size()) +
                                     " column names");
        return stage_npy(path, t.data);
    }
    return stage_csv(path, t);
}

/// Writes a Table as .npy or .csv, atomically.
inline void write_table(const std::string& path, const Table& t) { stage_table(path, t).commit(); }

}  // namespace resanom::io
