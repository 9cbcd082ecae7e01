// resanom/models/ensemble.hpp — Ensemble<C>: an average of classifiers of any type C that models
// Classifier, itself a Classifier (and a ValidatingClassifier when C is one).
//
// Das et al. 2024, App. A.1: "an ensemble of 50 BDTs with randomized training and validation splits".
// Member k is a copy of the prototype fitted with seed derive_seed(seed, k); a classifier that
// splits its own validation set off the training set (Hgb with early stopping, the MLP) therefore
// draws a different random split per member. Given an explicit validation set (the pipelines'
// validation fold), each member by default pools training and validation events and draws its own
// random split of the same sizes (ValidationSplits::randomized, the paper's recipe; without it a
// deterministic learner such as Hgb would give equal members); ValidationSplits::as_given trains
// every member on the given split (the tool's `classify --val`). The ensemble predicts the mean of
// the member probabilities, summed in member order.
//
// Members train in parallel, one per pool thread, when there are at least two members and two
// threads: each member's own parallel loops then run serially inside its task (parallel.hpp), which
// is faster than running members one after another with parallel inner loops, because a member's
// loops are short and synchronize often. Results do not depend on the thread count.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
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
concept SerializableClassifier = Classifier<C> && requires(const C& c, ModelWriter& w, ModelReader& r) {
    { C::kind } -> std::convertible_to<std::string_view>;
    c.write(w);
    { C::read(r) } -> std::same_as<C>;
};

/// How Ensemble::fit(train, val, seed) uses an explicit validation set.
enum class ValidationSplits {
    randomized,  ///< each member: train ∪ val split anew at random, same sizes (Das et al. 2024, App. A.1)
    as_given     ///< every member: the given train and val
};

template <Classifier C>
class Ensemble {
public:
    /// `members` copies of `prototype`; `threads` = 0 uses all cores.
    explicit Ensemble(C prototype = C{}, int members = 1, unsigned threads = 0,
                      ValidationSplits splits = ValidationSplits::randomized)
        : prototype_(std::move(prototype)), n_members_(members), threads_(threads), splits_(splits) {
        detail::require(members >= 1, "Ensemble: need at least one member, got " + std::to_string(members));
    }

    int size() const noexcept { return n_members_; }
    const std::vector<C>& members() const noexcept { return members_; }
    bool fitted() const noexcept { return !members_.empty(); }

    /// Fits every member on `train`, member k with seed derive_seed(seed, k).
    void fit(const TrainingSet& train, std::uint64_t seed) {
        fit_members([&](C& m, std::uint64_t s) { m.fit(train, s); }, seed);
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
    Vector predict(const Matrix& X) const {
        detail::require(fitted(), "Ensemble::predict: the ensemble is not trained");
        Vector sum = Vector::Zero(X.rows());
        for (const C& m : members_) sum += m.predict(X);
        return sum / static_cast<double>(members_.size());
    }

    // --- serialization: kind "ensemble/<member kind>", then the member count and each member ---
    static std::string kind_name()
        requires SerializableClassifier<C>
    {
        return "ensemble/" + std::string(C::kind);
    }

    /// Saves the members, and the input columns they were trained on when given (ModelColumns).
    void save(const std::string& path, const ModelColumns& columns = {}) const
        requires SerializableClassifier<C>
    {
        detail::require(fitted(), "Ensemble::save: the ensemble is not trained");
        ModelWriter w;
        w.put<std::uint64_t>(members_.size());
        for (const C& m : members_) m.write(w);
        write_model_file(path, kind_name(), w.bytes(), columns);
    }

    /// Loads an ensemble file, or a single model of kind C::kind as an ensemble of one. Members
    /// that have set_threads(unsigned) get `threads` (thread counts are not saved in model files).
    static Ensemble load(const std::string& path, unsigned threads = 0)
        requires SerializableClassifier<C>
    {
        const std::string kind = model_kind(path);
        Ensemble e(C{}, 1, threads);
        if (kind == C::kind) {
            const std::string payload = read_model_payload(path, C::kind);
            ModelReader r(payload, path);
            e.members_.push_back(C::read(r));
            r.check(r.at_end(), "corrupt model file (trailing bytes)");
            e.set_member_threads(threads);
            return e;
        }
        const std::string payload = read_model_payload(path, kind_name());
        ModelReader r(payload, path);
        const auto n = r.get<std::uint64_t>();
        r.check(n >= 1 && n <= 100000, "corrupt ensemble file (member count " + std::to_string(n) + ")");
        for (std::uint64_t k = 0; k < n; ++k) e.members_.push_back(C::read(r));
        r.check(r.at_end(), "corrupt model file (trailing bytes)");
        if constexpr (requires(const C& c) { c.n_features(); })
            for (const C& m : e.members_)
                r.check(m.n_features() == e.members_.front().n_features(),
                        "corrupt ensemble file (members of different input widths)");
        e.n_members_ = static_cast<int>(n);
        e.set_member_threads(threads);
        return e;
    }

private:
    void set_member_threads(unsigned threads) {
        if constexpr (requires(C& c) { c.set_threads(threads); })
            for (C& m : members_) m.set_threads(threads);
    }

    template <class Fit>
    void fit_members(Fit&& fit_one, std::uint64_t seed) {
        std::vector<C> trained(static_cast<std::size_t>(n_members_), prototype_);
        auto one = [&](Index k) {
            fit_one(trained[static_cast<std::size_t>(k)], derive_seed(seed, static_cast<std::uint64_t>(k)));
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
    std::vector<C> members_;
};

}  // namespace resanom
