// Tests of resanom/methods/any.hpp: the erased parts behave exactly as the parts they hold (same
// predictions, copies independent, validation set passed through or merged), and an empty holder
// throws instead of crashing.
#include <doctest/doctest.h>

#include <vector>

#include "resanom/methods/any.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_any {

using namespace resanom;

namespace {
// Predicts the training mean of label 1's first feature minus x0; counts its fits.
struct Shift {
    double mean = 0.0;
    int fits = 0;
    Index trained_rows = 0;
    void fit(const TrainingSet& t, std::uint64_t seed) {
        mean = t.X.col(0).mean() + static_cast<double>(seed);
        trained_rows = t.size();
        ++fits;
    }
    Vector predict(const Matrix& X) const { return X.col(0).array() - mean; }
};
struct WithVal : Shift {
    Index val_rows = 0;
    using Shift::fit;
    void fit(const TrainingSet& t, const TrainingSet& v, std::uint64_t seed) {
        fit(t, seed);
        val_rows = v.size();
    }
};
struct Named {
    std::string name;
    std::vector<Significance> evaluate(const StatisticInput& in) const {
        Significance s;
        s.statistic = name;
        s.n_obs = static_cast<double>(in.data.score.size());
        return {s};
    }
};
struct Gen {
    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t seed) const {
        GeneratedTemplate g;
        g.training = TrainingSet(Matrix::Constant(2, 1, static_cast<double>(seed)), Vector::Ones(2));
        g.data_row = {0, static_cast<Index>(in.data.size()) - 1};
        return g;
    }
};
}  // namespace

TEST_CASE("AnyClassifier holds a classifier and behaves as it does") {
    const TrainingSet t(Matrix::Constant(4, 1, 2.0), Vector::Ones(4)), v(Matrix::Zero(3, 1), Vector::Zero(3));
    AnyClassifier a(Shift{});
    a.fit(t, 1);
    Shift direct;
    direct.fit(t, 1);
    const Matrix X = Matrix::Constant(2, 1, 5.0);
    CHECK(a.predict(X) == direct.predict(X));
    // Copies are independent models.
    AnyClassifier b = a;
    b.fit(t, 3);
    CHECK(a.predict(X)[0] == doctest::Approx(2.0));
    CHECK(b.predict(X)[0] == doctest::Approx(0.0));
    // A classifier without a validation fit trains on train and validation together.
    a.fit(t, v, 0);
    REQUIRE(a.target<Shift>() != nullptr);
    CHECK(a.target<Shift>()->trained_rows == 7);
    AnyClassifier c(WithVal{});
    c.fit(t, v, 0);
    REQUIRE(c.target<WithVal>() != nullptr);
    CHECK(c.target<WithVal>()->val_rows == 3);
    CHECK(c.target<WithVal>()->trained_rows == 4);
    CHECK(c.target<Shift>() == nullptr);
    AnyClassifier empty;
    CHECK(empty.empty());
    CHECK_THROWS_WITH_AS(empty.predict(X), doctest::Contains("no classifier"), input_error);
}

TEST_CASE("AnyStatistic and AnyGenerator forward to what they hold") {
    const AnyStatistic s(Named{"mine"});
    StatisticInput in;
    in.data.score = Vector::Zero(5);
    const auto out = s.evaluate(in);
    REQUIRE(out.size() == 1);
    CHECK(out[0].statistic == "mine");
    CHECK(out[0].n_obs == 5.0);
    CHECK_THROWS_AS(AnyStatistic{}.evaluate(in), input_error);

    const Events data(Matrix::Zero(9, 1), Matrix::Zero(9, 1));
    const AnyGenerator g(Gen{});
    const GeneratedTemplate t = g.generate(GeneratorInput{data}, 4);
    CHECK(t.training.X(0, 0) == 4.0);
    CHECK(t.data_row == IndexList{0, 8});
    CHECK_THROWS_AS(AnyGenerator{}.generate(GeneratorInput{data}, 0), input_error);
}

}  // namespace unit_test_any
