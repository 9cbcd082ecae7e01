// resanom/models/ensemble.hpp — Ensemble<C>: the average of several models of one type, over
// classifiers (itself a Classifier, a ValidatingClassifier when C is one) and scorers (itself a
// Scorer; the autoencoder ensemble is Ensemble<Autoencoder>).
//
// Member k is fitted with derive_seed(seed, k) — with its own random validation split
// (ValidationSplits, Das et al. 2024, App. A.1) or its own subsample (scorers) — and the output is
// the mean over members in member order; results do not depend on the thread count (rows are
// predicted in blocks: a member's output for a row must not depend on the other rows).
// docs/models/hgb.md ("API", "Threads and reproducibility") describes the splits and the threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/parallel.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/training_set.hpp"
#include "resanom/models/serialization.hpp"

namespace resanom {

/// A classifier that can be saved into and read from the model container of serialization.hpp.
template <class C>
concept SerializableClassifier = Classifier<C> && StoredModel<C>;

/// How Ensemble::fit(train, val, seed) uses an explicit validation set.
enum class ValidationSplits {
    randomized,  ///< each member: train ∪ val split anew at random, same sizes (Das et al. 2024, App. A.1)
    as_given     ///< every member: the given train and val
};

template <class C>
    requires Classifier<C> || Scorer<C>
class Ensemble {
public:
    /// `members` copies of `prototype`; `threads` = 0 uses all cores.
    explicit Ensemble(C prototype = C{}, int members = 1, unsigned threads = 0,
                      ValidationSplits splits = ValidationSplits::randomized)
        : prototype_(std::move(prototype)), n_members_(members), threads_(threads), splits_(splits) {
        detail::require(members >= 1, "Ensemble: need at least one member, got " + std::to_string(members));
    }

    int size() const noexcept { return n_members_; }
    /// Scorers: each member fits a seeded random subsample of this many events (0: all of them).
    void set_subsample(Index events) {
        detail::require(events >= 0, "Ensemble: the subsample must be >= 0 events, got " + std::to_string(events));
        subsample_ = events;
    }
    Index subsample() const noexcept { return subsample_; }
    /// Called with (members trained, members) as members finish, from worker threads (keep it
    /// cheap and thread-safe).
    void set_progress(std::function<void(int, int)> f) { progress_ = std::move(f); }
    const std::vector<C>& members() const noexcept { return members_; }
    bool fitted() const noexcept { return !members_.empty(); }

    /// Fits every member on `train`, member k with seed derive_seed(seed, k).
    void fit(const TrainingSet& train, std::uint64_t seed)
        requires Classifier<C>
    {
        fit_members([&](C& m, std::uint64_t s) { m.fit(train, s); }, seed);
    }

    /// Fits every member on X (scorers): member k with seed s = derive_seed(seed, k) draws its
    /// subsample from Rng(s) (set_subsample; all of X when 0 or larger) and fits it with
    /// derive_seed(s, 1).
    void fit(const Matrix& X, std::uint64_t seed)
        requires Scorer<C>
    {
        detail::require(X.rows() > 0 && X.cols() > 0, "Ensemble::fit: no events or no features");
        detail::require_finite(X, "Ensemble::fit: features");
        fit_members(
            [&](C& m, std::uint64_t s) {
                if (subsample_ == 0 || subsample_ >= X.rows()) {
                    m.fit(X, derive_seed(s, 1));
                    return;
                }
                Rng rng(s);
                const auto perm = permutation(static_cast<std::size_t>(X.rows()), rng);
                IndexList rows(perm.begin(), perm.begin() + subsample_);
                std::sort(rows.begin(), rows.end());
                m.fit(Matrix(X(rows, Eigen::all)), derive_seed(s, 1));
            },
            seed);
    }

    /// Fits every member with an explicit validation set: on `train` and `val` as given
    /// (ValidationSplits::as_given), or on its own random split of train ∪ val with |val|
    /// validation events (randomized, the default; the split is drawn from the member's seed).
    void fit(const TrainingSet& train, const TrainingSet& val, std::uint64_t seed)
        requires ValidatingClassifier<C>
    {
        if (splits_ == ValidationSplits::as_given || n_members_ == 1 || val.size() == 0) {
            fit_members([&](C& m, std::uint64_t s) { m.fit(train, val, s); }, seed);
            return;
        }
        const TrainingSet pooled = concat(train, val);
        const auto n = static_cast<std::size_t>(pooled.size()), n_val = static_cast<std::size_t>(val.size());
        fit_members(
            [&](C& m, std::uint64_t s) {
                Rng rng(derive_seed(s, 0x5b117ULL));
                const std::vector<std::size_t> perm = permutation(n, rng);
                IndexList v(perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(n_val));
                IndexList t(perm.begin() + static_cast<std::ptrdiff_t>(n_val), perm.end());
                std::sort(v.begin(), v.end());   // rows in their original order
                std::sort(t.begin(), t.end());
                m.fit(pooled.subset(t), pooled.subset(v), s);
            },
            seed);
    }

    ValidationSplits validation_splits() const noexcept { return splits_; }

    /// Mean of the members' probabilities for every row of X.
    Vector predict(const Matrix& X) const
        requires Classifier<C>
    {
        return mean_over_members(X, "Ensemble::predict", [](const C& m, const Matrix& rows) { return m.predict(rows); });
    }

    /// Mean of the members' scores for every row of X.
    Vector score(const Matrix& X) const
        requires Scorer<C>
    {
        return mean_over_members(X, "Ensemble::score", [](const C& m, const Matrix& rows) { return m.score(rows); });
    }

    // --- serialization: kind "ensemble/<member kind>", then the member count and each member ---
    static std::string kind_name()
        requires StoredModel<C>
    {
        return "ensemble/" + std::string(C::kind);
    }

    /// Into / from a model payload: the member count, then each member.
    void write(ModelWriter& w) const
        requires StoredModel<C>
    {
        detail::require(fitted(), "Ensemble: the ensemble is not fitted");
        w.put<std::uint64_t>(members_.size());
        for (const C& m : members_) m.write(w);
    }
    static Ensemble read(ModelReader& r)
        requires StoredModel<C>
    {
        Ensemble e(C{}, 1);
        const auto n = r.get<std::uint64_t>();
        r.check(n >= 1 && n <= 100000, "corrupt ensemble file (member count " + std::to_string(n) + ")");
        for (std::uint64_t k = 0; k < n; ++k) e.members_.push_back(C::read(r));
        if constexpr (requires(const C& c) { c.n_features(); })
            for (const C& m : e.members_)
                r.check(m.n_features() == e.members_.front().n_features(),
                        "corrupt ensemble file (members of different input widths)");
        e.n_members_ = static_cast<int>(n);
        return e;
    }

    /// Saves the members, and the input columns they were trained on when given (ModelColumns).
    void save(const std::string& path, const ModelColumns& columns = {}) const
        requires StoredModel<C>
    {
        save_model(*this, path, columns);
    }

    /// Loads an ensemble file, or a single model of kind C::kind as an ensemble of one. Members
    /// that have set_threads(unsigned) get `threads` (thread counts are not saved in model files).
    static Ensemble load(const std::string& path, unsigned threads = 0)
        requires StoredModel<C>
    {
        Ensemble e(C{}, 1, threads);
        if (model_kind(path) == C::kind) {
            e.members_.push_back(load_model<C>(path));
        } else {
            Ensemble loaded = load_model<Ensemble>(path);
            e.members_ = std::move(loaded.members_);
            e.n_members_ = loaded.n_members_;
        }
        e.set_member_threads(threads);
        return e;
    }

private:
    /// Rows per block of prediction (a multiple of the networks' inference block of 1024, so that
    /// a member computes each row exactly as it would on all of X).
    static constexpr Index rows_per_block = 8192;

    template <class Eval>
    Vector mean_over_members(const Matrix& X, const char* who, Eval&& eval) const {
        detail::require(fitted(), std::string(who) + ": the ensemble is not fitted");
        const Index n = X.rows(), blocks = (n + rows_per_block - 1) / rows_per_block;
        Vector out = Vector::Zero(n);
        const auto run = [&](Index, Index b0, Index b1) {
            for (Index b = b0; b < b1; ++b) {
                const Index s = b * rows_per_block, m = std::min(rows_per_block, n - s);
                const Matrix rows = X.middleRows(s, m);
                for (const C& member : members_) out.segment(s, m) += eval(member, rows);
                out.segment(s, m) /= static_cast<double>(members_.size());
            }
        };
        ThreadPool& pool = shared_pool(threads_);
        if (blocks >= 2 && pool.size() >= 2) {
            pool.parallel_chunks(blocks, std::min<Index>(blocks, static_cast<Index>(pool.size())), run);
        } else if (blocks == 1 && members_.size() >= 2 && pool.size() >= 2) {
            // one block (a held-out fold, say): the members in parallel, summed in member order
            std::vector<Vector> parts(members_.size());
            pool.parallel_for(static_cast<Index>(members_.size()),
                              [&](Index k) { parts[static_cast<std::size_t>(k)] = eval(members_[static_cast<std::size_t>(k)], X); });
            for (const Vector& p : parts) out += p;
            out /= static_cast<double>(members_.size());
        } else {
            run(0, 0, blocks);
        }
        return out;
    }

    void set_member_threads(unsigned threads) {
        if constexpr (requires(C& c) { c.set_threads(threads); })
            for (C& m : members_) m.set_threads(threads);
    }

    template <class Fit>
    void fit_members(Fit&& fit_one, std::uint64_t seed) {
        std::vector<C> trained(static_cast<std::size_t>(n_members_), prototype_);
        std::atomic<int> done{0};
        auto one = [&](Index k) {
            fit_one(trained[static_cast<std::size_t>(k)], derive_seed(seed, static_cast<std::uint64_t>(k)));
            const int d = ++done;
            if (progress_) progress_(d, n_members_);
        };
        ThreadPool& pool = shared_pool(threads_);
        if (n_members_ >= 2 && pool.size() >= 2) pool.parallel_for(n_members_, one);
        else for (Index k = 0; k < n_members_; ++k) one(k);
        members_ = std::move(trained);
    }
    C prototype_;
    int n_members_ = 1;
    unsigned threads_ = 0;
    ValidationSplits splits_ = ValidationSplits::randomized;
    Index subsample_ = 0;
    std::function<void(int, int)> progress_;
    std::vector<C> members_;
};

}  // namespace resanom
