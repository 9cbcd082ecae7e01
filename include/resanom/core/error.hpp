// resanom/core/error.hpp — the exception types the library throws.
//
// Every failure the user can cause (bad files, bad arguments, bad numbers) raises a type derived
// from resanom::error, itself a std::runtime_error, with a message that names the input and, where
// it applies, the row and column. The command-line tool maps input_error and its children to exit
// code 2 ("bad input") and everything else to exit code 1 ("internal failure").
#pragma once

#include <cstddef>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>

namespace resanom {

/// Base of every exception resanom throws on purpose.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The caller gave something invalid: mismatched sizes, NaN/inf, labels outside [0,1], negative
/// weights, an empty region, an unknown column, an out-of-range parameter.
class input_error : public error {
public:
    using error::error;
};

/// A file could not be read or written, or its contents are malformed. Carries the path and,
/// where known, the 0-based data row and column of the problem.
class io_error : public input_error {
public:
    explicit io_error(std::string path, const std::string& what,
                      std::optional<std::size_t> row = std::nullopt,
                      std::optional<std::size_t> column = std::nullopt)
        : input_error(compose(path, what, row, column)),
          path_(std::move(path)), row_(row), column_(column) {}

    const std::string& path() const noexcept { return path_; }
    std::optional<std::size_t> row() const noexcept { return row_; }
    std::optional<std::size_t> column() const noexcept { return column_; }

private:
    static std::string compose(const std::string& path, const std::string& what,
                               std::optional<std::size_t> row, std::optional<std::size_t> column) {
        std::string msg = path;
        if (row) msg += ": row " + std::to_string(*row);
        if (column) msg += (row ? ", column " : ": column ") + std::to_string(*column);
        return msg + ": " + what;
    }

    std::string path_;
    std::optional<std::size_t> row_;
    std::optional<std::size_t> column_;
};

/// A numerical procedure failed: a fit did not converge, a loss became non-finite. Not the
/// caller's fault as such, but never silently ignored.
class numeric_error : public error {
public:
    using error::error;
};

namespace detail {
/// A number for a message: 6 significant digits, exponent when needed ("1e+300", "4.9e-324"),
/// where std::to_string would print hundreds of digits or 0.000000.
inline std::string num(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", x);
    return buf;
}

/// Throws input_error(msg) unless cond holds. Used for argument checks at API boundaries.
inline void require(bool cond, const std::string& msg) {
    if (!cond) throw input_error(msg);
}
}  // namespace detail

}  // namespace resanom
