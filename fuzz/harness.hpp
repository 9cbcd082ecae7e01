// fuzz/harness.hpp — what each fuzz target does with one input, shared by the libFuzzer entry
// points (fuzz/fuzz_*.cpp, built with Clang by scripts/fuzz) and the regression test that replays
// the seed corpus and every input that once crashed (tests/unit/test_fuzz_corpus.cpp, built with
// the project's compiler).
//
// A reader or loader passes a target's input when it either returns a well-formed result — which
// the harness then uses (reads every value, predicts, evaluates densities, samples) — or throws
// resanom::error (io_error or input_error: the tool's exit code 2). Anything else — a crash, a
// sanitizer finding, another exception, a hang, unbounded memory — is a finding.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <type_traits>
#include <utility>
#include <stdexcept>
#include <string>
#include <string_view>

#include "resanom/core/error.hpp"
#include "resanom/core/random.hpp"
#include "resanom/io/npy.hpp"
#include "resanom/io/table.hpp"
#include "resanom/models/ensemble.hpp"
#include "resanom/models/flow/maf.hpp"
#include "resanom/models/hgb/hgb.hpp"
#include "resanom/models/mlp/autoencoder.hpp"
#include "resanom/models/mlp/mlp_classifier.hpp"
#include "resanom/models/serialization.hpp"

namespace resanom::fuzz {

/// A file in /dev/shm (or the temporary folder) that holds one input at a time, removed at exit.
class ScratchFile {
public:
    explicit ScratchFile(const std::string& extension) {
        const char* shm = "/dev/shm";
        const std::string dir = ::access(shm, W_OK) == 0 ? shm : "/tmp";
        path_ = dir + "/resanom-fuzz-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++) + extension;
    }
    ~ScratchFile() { std::remove(path_.c_str()); }
    ScratchFile(const ScratchFile&) = delete;
    ScratchFile& operator=(const ScratchFile&) = delete;

    const std::string& write(std::string_view bytes) const {
        std::ofstream out(path_, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out) throw std::runtime_error("fuzz harness: cannot write " + path_);
        return path_;
    }
    const std::string& path() const noexcept { return path_; }

private:
    static int& counter() {
        static int c = 0;
        return c;
    }
    std::string path_;
};

/// Sums a matrix so that every element is read (a reader's output must be fully initialized).
inline double touch(const Matrix& M) { return M.size() > 0 ? M.array().isNaN().count() + M.sum() : 0.0; }

// Each target returns true when the input was accepted (read or loaded, and used) and false
// when it was refused with resanom::error.

/// Runs `use` (which reads or loads and then uses the input): true if it returned, false if it
/// refused the input with resanom::error; anything else propagates (a finding).
template <class F>
bool accepted(F&& use) {
    try {
        return std::forward<F>(use)();
    } catch (const error&) {
        return false;
    }
}

/// The npy reader on arbitrary bytes.
inline bool npy(std::string_view bytes) {
    static const ScratchFile f(".npy");
    return accepted([&] {
        volatile double sink = touch(io::read_npy(f.write(bytes)));
        (void)sink;
        return true;
    });
}

/// The CSV reader (through read_table, as the tool reads --data) on arbitrary bytes.
inline bool csv(std::string_view bytes) {
    static const ScratchFile f(".csv");
    return accepted([&] {
        const io::Table t = io::read_table(f.write(bytes));
        volatile double sink = touch(t.data) + static_cast<double>(t.columns.size());
        (void)sink;
        return true;
    });
}

namespace detail {

/// Uses a loaded classifier: probabilities for three events must come back, one per event.
template <class C>
void use_classifier(const C& c, Index n_features) {
    // The loaders refuse more than max_model_features inputs; a wider model is a loader bug.
    if (n_features < 1 || n_features > max_model_features) throw std::logic_error("loaded classifier with a bad width");
    Matrix X(3, n_features);
    X.row(0).setZero();
    X.row(1).setOnes();
    X.row(2).setConstant(-1e3);
    const Vector p = c.predict(X);
    if (p.size() != 3) throw std::logic_error("predict returned the wrong size");
}

inline Index width(const Hgb& h) { return h.n_features(); }
inline Index width(const MlpClassifier& m) { return m.n_features(); }
template <class C>
Index width(const Ensemble<C>& e) {
    return width(e.members().front());
}

template <class Model>
void load_and_use(const std::string& path) {
    if constexpr (std::is_same_v<Model, ConditionalMaf>) {
        const ConditionalMaf f = ConditionalMaf::load(path);
        const Index d = f.n_features(), k = f.n_conditional();
        if (d < 1 || k < 1) throw std::logic_error("loaded flow with a bad width");
        Matrix X = Matrix::Zero(3, d), m = Matrix::Constant(3, k, 0.5);
        (void)f.log_prob(X, m);
        Rng rng(1);
        const Matrix s = f.sample(m, rng);
        if (s.rows() != 3 || s.cols() != d) throw std::logic_error("sample returned the wrong shape");
    } else if constexpr (std::is_same_v<Model, Autoencoder>) {
        const Autoencoder a = Autoencoder::load(path);
        const Index d = a.network().in_width();
        (void)a.score(Matrix::Ones(3, d));
    } else if constexpr (std::is_same_v<Model, AutoencoderEnsemble>) {
        const AutoencoderEnsemble a = AutoencoderEnsemble::load(path);
        const Index d = a.members().front().network().in_width();
        (void)a.score(Matrix::Ones(3, d));
    } else {
        const Model c = Model::load(path);
        use_classifier(c, width(c));
    }
}

/// Every model type with a file format, in the order of the payload target's selector byte.
inline constexpr int n_models = 6;
inline std::string_view model_kind_of(int which) {
    switch (which) {
        case 0: return Hgb::kind;
        case 1: return "ensemble/hgb";
        case 2: return MlpClassifier::kind;
        case 3: return "ensemble/mlp";
        case 4: return Autoencoder::kind;
        default: return "ensemble/autoencoder";
    }
}
inline void load_model(int which, const std::string& path) {
    switch (which) {
        case 0: return load_and_use<Hgb>(path);
        case 1: return load_and_use<Ensemble<Hgb>>(path);
        case 2: return load_and_use<MlpClassifier>(path);
        case 3: return load_and_use<Ensemble<MlpClassifier>>(path);
        case 4: return load_and_use<Autoencoder>(path);
        default: return load_and_use<AutoencoderEnsemble>(path);
    }
}

}  // namespace detail

/// A model payload: the first byte picks the model (HGB, HGB ensemble, MLP, MLP ensemble,
/// autoencoder, AE ensemble, flow), the rest is the payload, wrapped in a valid container (magic,
/// version, kind, size, checksum) so that the fuzzer reaches the models' own parsers.
inline bool model_payload(std::string_view bytes) {
    static const ScratchFile f(".model");
    if (bytes.empty()) return false;
    const int which = static_cast<unsigned char>(bytes[0]) % (detail::n_models + 1);
    const std::string payload(bytes.substr(1));
    return accepted([&] {
        const std::string kind = which == detail::n_models ? std::string(ConditionalMaf::kind)
                                                          : std::string(detail::model_kind_of(which));
        write_model_file(f.path(), kind, payload);
        if (which == detail::n_models)
            detail::load_and_use<ConditionalMaf>(f.path());
        else
            detail::load_model(which, f.path());
        return true;
    });
}

/// A whole model file as the tool's --load-model reads it: the container is parsed (model_kind),
/// then the model of the stored kind is loaded.
inline bool model_file(std::string_view bytes) {
    static const ScratchFile f(".model");
    return accepted([&] {
        const std::string& path = f.write(bytes);
        const std::string kind = model_kind(path);
        if (kind == ConditionalMaf::kind) {
            detail::load_and_use<ConditionalMaf>(path);
            return true;
        }
        for (int which = 0; which < detail::n_models; ++which)
            if (kind == detail::model_kind_of(which)) {
                detail::load_model(which, path);
                return true;
            }
        return false;   // a valid container of a kind no loader knows
    });
}

}  // namespace resanom::fuzz
