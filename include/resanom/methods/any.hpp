// resanom/methods/any.hpp — parts chosen at run time: AnyClassifier, AnyStatistic, AnyGenerator.
//
// AnyClassifier holds any Classifier (the tool's --classifier hgb|mlp), AnyStatistic any
// TestStatistic (--statistic), AnyGenerator any TemplateGenerator (--combine's list of methods).
// Pipelines are templates over their parts; a program that lets its user choose the classifier at
// run time would otherwise instantiate every pipeline once per classifier. AnyClassifier erases the
// type behind one indirect call per fit() and per predict() — calls that each run a whole training
// or a whole batch prediction, so the hot loops inside them stay fully static.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/training_set.hpp"
#include "resanom/core/types.hpp"

namespace resanom {

// The converting constructors are explicit: an implicit one would make every type constructible
// from an AnyClassifier argument (e.g. NestedCvSelect<AnyClassifier>(C prototype)) look like a
// conversion candidate while its own Classifier constraint is being checked — a recursive
// constraint.
class AnyClassifier {
public:
    AnyClassifier() = default;

    template <class C>   // the exclusion first: checking Classifier<AnyClassifier> would recurse
        requires(!std::same_as<std::remove_cvref_t<C>, AnyClassifier> && Classifier<C>)
    explicit AnyClassifier(C c) : self_(std::make_unique<Model<C>>(std::move(c))) {}

    AnyClassifier(const AnyClassifier& o) : self_(o.self_ ? o.self_->clone() : nullptr) {}
    AnyClassifier(AnyClassifier&&) noexcept = default;
    AnyClassifier& operator=(AnyClassifier o) noexcept {
        self_ = std::move(o.self_);
        return *this;
    }

    void fit(const TrainingSet& train, std::uint64_t seed) { get().fit(train, seed); }
    /// An explicit validation set; a held classifier that cannot use one trains on train alone.
    void fit(const TrainingSet& train, const TrainingSet& val, std::uint64_t seed) { get().fit(train, val, seed); }
    Vector predict(const Matrix& X) const { return get().predict(X); }

    bool empty() const noexcept { return !self_; }
    /// The held classifier, when it is a C (nullptr otherwise).
    template <class C>
    const C* target() const noexcept {
        auto* m = dynamic_cast<const Model<C>*>(self_.get());
        return m ? &m->c : nullptr;
    }

private:
    struct Concept {
        virtual ~Concept() = default;
        virtual void fit(const TrainingSet&, std::uint64_t) = 0;
        virtual void fit(const TrainingSet&, const TrainingSet&, std::uint64_t) = 0;
        virtual Vector predict(const Matrix&) const = 0;
        virtual std::unique_ptr<Concept> clone() const = 0;
    };
    template <class C>
    struct Model final : Concept {
        C c;
        explicit Model(C x) : c(std::move(x)) {}
        void fit(const TrainingSet& t, std::uint64_t s) override { c.fit(t, s); }
        void fit(const TrainingSet& t, const TrainingSet& v, std::uint64_t s) override {
            if constexpr (ValidatingClassifier<C>) c.fit(t, v, s);
            else c.fit(concat(t, v), s);
        }
        Vector predict(const Matrix& X) const override { return c.predict(X); }
        std::unique_ptr<Concept> clone() const override { return std::make_unique<Model>(c); }
    };
    Concept& get() const {
        detail::require(self_ != nullptr, "AnyClassifier: no classifier held");
        return *self_;
    }
    std::unique_ptr<Concept> self_;
};

static_assert(ValidatingClassifier<AnyClassifier>);

/// Any TestStatistic, chosen at run time.
class AnyStatistic {
public:
    AnyStatistic() = default;
    template <class T>   // the exclusion first: checking TestStatistic<AnyStatistic> would recurse
        requires(!std::same_as<std::remove_cvref_t<T>, AnyStatistic> && TestStatistic<T>)
    explicit AnyStatistic(T t) : self_(std::make_shared<Model<T>>(std::move(t))) {}

    std::vector<Significance> evaluate(const StatisticInput& in) const {
        detail::require(self_ != nullptr, "AnyStatistic: no statistic held");
        return self_->evaluate(in);
    }

private:
    struct Concept {
        virtual ~Concept() = default;
        virtual std::vector<Significance> evaluate(const StatisticInput&) const = 0;
    };
    template <class T>
    struct Model final : Concept {
        T t;
        explicit Model(T x) : t(std::move(x)) {}
        std::vector<Significance> evaluate(const StatisticInput& in) const override { return t.evaluate(in); }
    };
    std::shared_ptr<const Concept> self_;   // immutable: copies share it
};

static_assert(TestStatistic<AnyStatistic>);

/// Any TemplateGenerator, chosen at run time (not one that maps features: see pipeline.hpp).
class AnyGenerator {
public:
    AnyGenerator() = default;
    template <class G>   // the exclusion first: checking TemplateGenerator<AnyGenerator> would recurse
        requires(!std::same_as<std::remove_cvref_t<G>, AnyGenerator> && TemplateGenerator<G>)
    explicit AnyGenerator(G g) : self_(std::make_shared<Model<G>>(std::move(g))) {
        static_assert(!requires(const G& x, const Events& e) { x.features(e); },
                      "AnyGenerator: a generator that maps features cannot be erased");
    }

    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t seed) const {
        detail::require(self_ != nullptr, "AnyGenerator: no generator held");
        return self_->generate(in, seed);
    }

private:
    struct Concept {
        virtual ~Concept() = default;
        virtual GeneratedTemplate generate(const GeneratorInput&, std::uint64_t) const = 0;
    };
    template <class G>
    struct Model final : Concept {
        G g;
        explicit Model(G x) : g(std::move(x)) {}
        GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t seed) const override { return g.generate(in, seed); }
    };
    std::shared_ptr<const Concept> self_;
};

static_assert(TemplateGenerator<AnyGenerator>);

}  // namespace resanom
