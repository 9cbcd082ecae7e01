// resanom/models/serialization.hpp — the versioned binary container every trained resanom model
// is saved in (magic, format version, kind, input columns, payload, checksum; little-endian,
// written atomically), the writer/reader models serialize themselves with, and save_model /
// load_model for any StoredModel. Any mismatch on loading raises io_error naming the file.
// docs/models/hgb.md ("Model files") gives the layout and the versions.
#pragma once

#include <algorithm>
#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/io/npy.hpp"
#include "resanom/io/staging.hpp"

namespace resanom {

/// The most input features a stored model may have (2²⁴); a larger count in a file is corruption.
inline constexpr std::int64_t max_model_features = std::int64_t{1} << 24;

/// Bumped whenever any model's payload changes meaning. 2: the input columns in the header.
/// 3: an autoencoder stores the FVU on its training events, and the autoencoder ensemble is the
/// generic ensemble (files of the autoencoder kinds from versions 1 and 2 are refused; every other
/// kind reads unchanged).
inline constexpr std::uint32_t model_format_version = 3;

/// The input columns a model was trained on, as the caller's files numbered them (and named them,
/// when they had a header): stored in the model file, so that a model applied to other columns of
/// the same count is refused rather than silently wrong (the tool compares them on --load-model).
struct ModelColumns {
    std::vector<std::int64_t> index;
    std::vector<std::string> name;  ///< empty, or one per index

    bool empty() const noexcept { return index.empty(); }
    friend bool operator==(const ModelColumns&, const ModelColumns&) = default;

    /// "1,2,3,4 (mj_min, delta_m, tau21_min, tau21_max)".
    std::string describe() const {
        std::string s;
        for (std::size_t i = 0; i < index.size(); ++i) {
            if (i) s += ',';
            s += std::to_string(index[i]);
        }
        if (!name.empty()) {
            s += " (";
            for (std::size_t i = 0; i < name.size(); ++i) {
                if (i) s += ", ";
                s += name[i];
            }
            s += ")";
        }
        return s;
    }
};
inline constexpr std::string_view model_magic{"RESANOM\x1a", 8};

static_assert(std::endian::native == std::endian::little,
              "resanom's model files are little-endian; big-endian hosts are not supported");

/// Appends plain values to a byte buffer.
class ModelWriter {
public:
    template <class T>
        requires std::is_trivially_copyable_v<T>
    void put(const T& v) {
        const auto* p = reinterpret_cast<const char*>(&v);
        buf_.append(p, sizeof(T));
    }
    template <class T>
        requires std::is_trivially_copyable_v<T>
    void put_vector(const std::vector<T>& v) {
        put<std::uint64_t>(v.size());
        buf_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    }
    void put_string(std::string_view s) {
        put<std::uint32_t>(static_cast<std::uint32_t>(s.size()));
        buf_.append(s.data(), s.size());
    }
    const std::string& bytes() const noexcept { return buf_; }

private:
    std::string buf_;
};

/// Reads plain values back; every read is bounds-checked and a short or malformed payload raises
/// io_error naming the file.
class ModelReader {
public:
    ModelReader(std::string_view bytes, std::string path) : bytes_(bytes), path_(std::move(path)) {}

    template <class T>
        requires std::is_trivially_copyable_v<T>
    T get() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }
    template <class T>
        requires std::is_trivially_copyable_v<T>
    std::vector<T> get_vector() {
        const auto n = get<std::uint64_t>();
        if (n > (bytes_.size() - pos_) / sizeof(T)) fail("corrupt model file (array larger than the file)");
        std::vector<T> v(static_cast<std::size_t>(n));
        if (n > 0) std::memcpy(v.data(), bytes_.data() + pos_, v.size() * sizeof(T));
        pos_ += v.size() * sizeof(T);
        return v;
    }
    std::string get_string() {
        const auto n = get<std::uint32_t>();
        need(n);
        std::string s(bytes_.substr(pos_, n));
        pos_ += n;
        return s;
    }
    bool at_end() const noexcept { return pos_ == bytes_.size(); }
    /// Bytes not read yet: a count read from the file is checked against it before anything of
    /// that size is allocated.
    std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
    [[noreturn]] void fail(const std::string& what) const { throw io_error(path_, what); }
    /// Throws io_error(path, what) unless cond holds.
    void check(bool cond, const std::string& what) const {
        if (!cond) fail(what);
    }
    const std::string& path() const noexcept { return path_; }

private:
    void need(std::size_t n) const {
        if (n > bytes_.size() - pos_) fail("corrupt model file (truncated payload)");
    }
    std::string_view bytes_;
    std::size_t pos_ = 0;
    std::string path_;
};

namespace detail {
inline std::uint64_t fnv1a64(std::string_view s) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

inline std::string read_whole_file(const std::string& path) {
    std::uintmax_t size = 0;
    std::ifstream in = io::detail::open_for_reading(path, size);
    std::string bytes(static_cast<std::size_t>(size), '\0');
    if (size > 0 && !in.read(bytes.data(), static_cast<std::streamsize>(size)))
        throw io_error(path, "cannot read the file");
    return bytes;
}

struct ModelFile {
    std::uint32_t version = 0;
    std::string kind;
    ModelColumns columns;
    std::string payload;
};

inline ModelFile read_model_file(const std::string& path) {
    const std::string bytes = read_whole_file(path);
    ModelReader r(bytes, path);
    if (bytes.size() < model_magic.size() || std::string_view(bytes).substr(0, 8) != model_magic)
        r.fail("not a resanom model file (bad magic bytes)");
    (void)r.get<std::uint64_t>();
    const auto version = r.get<std::uint32_t>();
    r.check(version >= 1 && version <= model_format_version,
            "model file format version " + std::to_string(version) + ", but this resanom reads versions 1 to " +
                std::to_string(model_format_version));
    ModelFile f;
    f.version = version;
    f.kind = r.get_string();
    if (version < 3 && (f.kind == "autoencoder" || f.kind == "ensemble/autoencoder"))
        r.fail("an autoencoder model of format version " + std::to_string(version) +
               ", whose layout changed in version 3; train it again");
    if (version >= 2) {
        const auto n = r.get<std::uint32_t>();
        r.check(n <= static_cast<std::uint64_t>(max_model_features) && n <= r.remaining() / 12,
                "corrupt model file (" + std::to_string(n) + " columns)");
        for (std::uint32_t i = 0; i < n; ++i) {
            f.columns.index.push_back(r.get<std::int64_t>());
            f.columns.name.push_back(r.get_string());
        }
        if (std::all_of(f.columns.name.begin(), f.columns.name.end(), [](const std::string& x) { return x.empty(); }))
            f.columns.name.clear();
    }
    const auto size = r.get<std::uint64_t>();
    const std::size_t header = bytes.size() - r.remaining();
    r.check(size <= bytes.size() - header && bytes.size() - header - size == 8,
            "corrupt model file (payload size " + std::to_string(size) + " does not match the file size " +
                std::to_string(bytes.size()) + ")");
    f.payload = bytes.substr(header, static_cast<std::size_t>(size));
    std::uint64_t stored = 0;
    std::memcpy(&stored, bytes.data() + header + size, 8);
    r.check(stored == fnv1a64(f.payload), "corrupt model file (checksum mismatch)");
    return f;
}
}  // namespace detail

/// The kind stored in a model file ("hgb", "ensemble/hgb", …), after checking magic, version and
/// checksum. Lets a caller (the CLI's --load-model) choose which type to load.
inline std::string model_kind(const std::string& path) { return detail::read_model_file(path).kind; }

/// The input columns stored in a model file (empty when the saver did not give them, or for a file
/// of format version 1).
inline ModelColumns model_columns(const std::string& path) { return detail::read_model_file(path).columns; }

/// Writes `payload` as a model file of the given kind into a staged temporary file (commit() puts
/// it in place; see io::StagedFiles).
inline io::StagedFile stage_model_file(const std::string& path, std::string_view kind, const std::string& payload,
                                       const ModelColumns& columns = {}) {
    detail::require(columns.name.empty() || columns.name.size() == columns.index.size(),
                    "stage_model_file: " + std::to_string(columns.name.size()) + " column names for " +
                        std::to_string(columns.index.size()) + " columns");
    ModelWriter head;
    head.put<std::uint64_t>(0);  // placeholder for the magic, replaced below
    head.put<std::uint32_t>(model_format_version);
    head.put_string(kind);
    head.put<std::uint32_t>(static_cast<std::uint32_t>(columns.index.size()));
    for (std::size_t i = 0; i < columns.index.size(); ++i) {
        head.put<std::int64_t>(columns.index[i]);
        head.put_string(columns.name.empty() ? std::string_view() : std::string_view(columns.name[i]));
    }
    head.put<std::uint64_t>(payload.size());
    std::string header = head.bytes();
    header.replace(0, 8, model_magic);
    const std::uint64_t sum = detail::fnv1a64(payload);
    return io::stage_write(path, [&](io::FileSink& out) {
        out.write(header);
        out.write(payload);
        out.write(reinterpret_cast<const char*>(&sum), sizeof sum);
    });
}

/// Writes `payload` as a model file of the given kind (and input columns), atomically.
inline void write_model_file(const std::string& path, std::string_view kind, const std::string& payload,
                             const ModelColumns& columns = {}) {
    stage_model_file(path, kind, payload, columns).commit();
}

/// Reads a model file, checks that it holds `expected_kind`, and returns its payload.
inline std::string read_model_payload(const std::string& path, std::string_view expected_kind) {
    auto f = detail::read_model_file(path);
    if (f.kind != expected_kind)
        throw io_error(path, "holds a model of kind '" + f.kind + "', expected '" + std::string(expected_kind) + "'");
    return std::move(f.payload);
}

/// A model that stores itself in a model payload: its kind (`kind`, or `kind_name()` for kinds
/// built from a member's, such as "ensemble/hgb"), write(ModelWriter&) and read(ModelReader&).
template <class M>
concept StoredModel = requires(const M& m, ModelWriter& w, ModelReader& r) {
    m.write(w);
    { M::read(r) } -> std::same_as<M>;
} && (requires { { M::kind } -> std::convertible_to<std::string_view>; } ||
      requires { { M::kind_name() } -> std::convertible_to<std::string>; });

/// The kind a StoredModel is saved as.
template <StoredModel M>
std::string stored_kind() {
    if constexpr (requires { M::kind_name(); })
        return M::kind_name();
    else
        return std::string(M::kind);
}

/// Saves a model, and the input columns it was trained on when given (ModelColumns), atomically.
template <StoredModel M>
void save_model(const M& model, const std::string& path, const ModelColumns& columns = {}) {
    ModelWriter w;
    model.write(w);
    write_model_file(path, stored_kind<M>(), w.bytes(), columns);
}

/// Loads a model saved by save_model; io_error naming the file when it holds something else.
template <StoredModel M>
M load_model(const std::string& path) {
    const std::string payload = read_model_payload(path, stored_kind<M>());
    ModelReader r(payload, path);
    M model = M::read(r);
    r.check(r.at_end(), "corrupt model file (trailing bytes)");
    return model;
}

}  // namespace resanom
