// Tests of resanom/core/concepts.hpp and cross_validation.hpp: user-written types model the
// concepts and plug into generic code; types missing a requirement do not; out-of-fold prediction
// never scores a row with a model that trained on it.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/cross_validation.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_concepts {

using namespace resanom;

namespace user {

// A physicist's own classifier: weighted class means with soft labels, score along their difference.
struct MeanDifference {
    Vector direction, midpoint;
    void fit(const TrainingSet& t, std::uint64_t /*seed*/) {
        Vector m1 = Vector::Zero(t.n_features()), m0 = Vector::Zero(t.n_features());
        const auto [w1, w0] = t.class_weights();
        for (Index i = 0; i < t.size(); ++i) {
            m1 += t.w[i] * t.y[i] * t.X.row(i).transpose();
            m0 += t.w[i] * (1 - t.y[i]) * t.X.row(i).transpose();
        }
        m1 /= w1;
        m0 /= w0;
        direction = m1 - m0;
        midpoint = 0.5 * (m1 + m0);
    }
    Vector predict(const Matrix& X) const {
        Vector s = (X.rowwise() - midpoint.transpose()) * direction;
        return (1.0 / (1.0 + (-s.array()).exp())).matrix();
    }
};

// Remembers its training rows; says 1 for a row it has seen, 0 otherwise.
struct Memorizer {
    std::set<std::vector<double>> seen;
    void fit(const TrainingSet& t, std::uint64_t) {
        seen.clear();
        for (Index i = 0; i < t.size(); ++i) seen.insert({t.X(i, 0)});
    }
    Vector predict(const Matrix& X) const {
        Vector p(X.rows());
        for (Index i = 0; i < X.rows(); ++i) p[i] = seen.count({X(i, 0)}) ? 1.0 : 0.0;
        return p;
    }
};

// A classifier that can take a validation set: records the sizes it was given.
struct SizeRecorder {
    Index n_train = -1, n_val = -1;
    void fit(const TrainingSet& t, std::uint64_t) { n_train = t.size(); n_val = 0; }
    void fit(const TrainingSet& t, const TrainingSet& v, std::uint64_t) { n_train = t.size(); n_val = v.size(); }
    Vector predict(const Matrix& X) const {
        return Vector::Constant(X.rows(), static_cast<double>(n_train * 1000 + n_val));
    }
};

struct NoPredict {
    void fit(const TrainingSet&, std::uint64_t) {}
};
struct PredictNotConst {
    void fit(const TrainingSet&, std::uint64_t) {}
    Vector predict(const Matrix& X) { return Vector::Zero(X.rows()); }
};

// A density estimator: x | m ~ N(a·m, 1) in one dimension, a fitted by least squares.
struct LinearGaussian {
    double a = 0;
    void fit(const Matrix& X, const Matrix& m, std::uint64_t) {
        a = X.col(0).dot(m.col(0)) / m.col(0).squaredNorm();
    }
    Vector log_prob(const Matrix& X, const Matrix& m) const {
        return (-0.5 * (X.col(0) - a * m.col(0)).array().square() - 0.5 * std::log(2 * M_PI)).matrix();
    }
    Matrix sample(const Matrix& m, Rng& rng) const {
        Matrix x(m.rows(), 1);
        for (Index i = 0; i < m.rows(); ++i) x(i, 0) = a * m(i, 0) + normal(rng);
        return x;
    }
};
struct NoSample {
    void fit(const Matrix&, const Matrix&, std::uint64_t) {}
    Vector log_prob(const Matrix& X, const Matrix&) const { return Vector::Zero(X.rows()); }
};

// A scorer: squared distance from the training mean.
struct DistanceScorer {
    Vector mu;
    void fit(const Matrix& X, std::uint64_t) { mu = X.colwise().mean().transpose(); }
    Vector score(const Matrix& X) const { return (X.rowwise() - mu.transpose()).rowwise().squaredNorm(); }
};

// A template generator: SR data (label 1) vs the first reference's SR events (label 0) — IAD-like.
struct SrVersusReference {
    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t) const {
        const Events sr = in.data.subset(sr_rows(in.data, in.window));
        const Events ref = in.references[0].subset(sr_rows(in.references[0], in.window));
        GeneratedTemplate g;
        g.training = concat(labelled(sr, 1.0), labelled(ref, 0.0));
        g.data_row = sr_rows(in.data, in.window);
        g.data_row.resize(static_cast<std::size_t>(g.training.size()), -1);
        g.background_template = ref;
        return g;
    }
};
struct WrongReturn {
    TrainingSet generate(const GeneratorInput&, std::uint64_t) const { return {}; }
};

// A test statistic: counts above the median template score, Z = (n − b)/√b.
struct NaiveCount {
    std::vector<Significance> evaluate(const StatisticInput& in) const {
        std::vector<Significance> out;
        for (double e : in.eps_b) {
            Significance s;
            s.eps_b = e;
            s.n_obs = static_cast<double>((in.data.score.array() > 0.5).count());
            s.n_exp = e * static_cast<double>(in.data.score.size());
            s.z = (s.n_obs - s.n_exp) / std::sqrt(s.n_exp);
            out.push_back(s);
        }
        return out;
    }
};

// A sample type of the user's own that is not resanom::Events.
struct MySample {
    Matrix x, mm;
    Vector ww;
    Index size() const { return x.rows(); }
    Index n_features() const { return x.cols(); }
    Index n_resonant() const { return mm.cols(); }
    const Matrix& X() const { return x; }
    const Matrix& m() const { return mm; }
    const Vector& w() const { return ww; }
    MySample subset(std::span<const Index> rows) const {
        return {x(rows, Eigen::all), mm(rows, Eigen::all), ww(rows)};
    }
};
struct NoSubset {
    Index size() const { return 0; }
    Index n_features() const { return 0; }
    Index n_resonant() const { return 0; }
    Matrix X() const { return {}; }
    Matrix m() const { return {}; }
    Vector w() const { return {}; }
};

}  // namespace user

static_assert(ReferenceDataset<Events>);
static_assert(ReferenceDataset<user::MySample>);
static_assert(!ReferenceDataset<user::NoSubset>);
static_assert(Classifier<user::MeanDifference>);
static_assert(!ValidatingClassifier<user::MeanDifference>);
static_assert(ValidatingClassifier<user::SizeRecorder>);
static_assert(!Classifier<user::NoPredict>);
static_assert(!Classifier<user::PredictNotConst>);
static_assert(!Classifier<int>);
static_assert(DensityEstimator<user::LinearGaussian>);
static_assert(!DensityEstimator<user::NoSample>);
static_assert(Scorer<user::DistanceScorer>);
static_assert(!Scorer<user::MeanDifference>);
static_assert(TemplateGenerator<user::SrVersusReference>);
static_assert(!TemplateGenerator<user::WrongReturn>);
static_assert(TestStatistic<user::NaiveCount>);
static_assert(!TestStatistic<user::SrVersusReference>);

namespace {
// A generic pipeline of the kind resanom's methods are: any generator, any classifier.
template <TemplateGenerator G, Classifier C>
Vector template_then_classify(const G& gen, C clf, const GeneratorInput& in, std::uint64_t seed) {
    const GeneratedTemplate t = gen.generate(in, seed);
    clf.fit(t.training, seed);
    return clf.predict(in.data.X());
}

Events gaussian(Index n, double shift, std::uint64_t seed) {
    Rng rng(seed);
    Matrix X(n, 2), m(n, 1);
    for (Index i = 0; i < n; ++i) {
        X(i, 0) = normal(rng) + shift;
        X(i, 1) = normal(rng);
        m(i, 0) = uniform(rng, 3.0, 4.0);
    }
    return Events(X, m);
}
}  // namespace

TEST_CASE("a user-written generator and classifier compose into a working pipeline") {
    // Data: background N(0,1) plus, inside the SR [3.3, 3.7), a signal shifted by +3 in x0.
    Events bkg = gaussian(4000, 0.0, 1), sig = gaussian(400, 3.0, 2), ref = gaussian(4000, 0.0, 3);
    Matrix sm = Matrix::Constant(sig.size(), 1, 3.5);
    Events sig_sr(sig.X(), sm);
    const Events data = concat(bkg, sig_sr);
    const Events refs[] = {ref};
    GeneratorInput in{data, refs, Window::with_sidebands({3.3, 3.7})};
    const Vector s = template_then_classify(user::SrVersusReference{}, user::MeanDifference{}, in, 7);
    // Signal events (the last 400) score higher than background on average.
    CHECK(s.tail(400).mean() > s.head(4000).mean() + 0.1);
}

TEST_CASE("user density estimator and scorer work through the concept interfaces") {
    Rng rng(4);
    Matrix m(2000, 1), X(2000, 1);
    for (Index i = 0; i < 2000; ++i) {
        m(i, 0) = uniform(rng, 1.0, 2.0);
        X(i, 0) = 0.7 * m(i, 0) + normal(rng);
    }
    user::LinearGaussian d;
    d.fit(X, m, 0);
    CHECK(d.a == doctest::Approx(0.7).epsilon(0.05));
    Rng srng(5);
    Matrix s = d.sample(m, srng);
    CHECK(s.rows() == 2000);
    CHECK(d.log_prob(X, m).mean() == doctest::Approx(-0.5 - 0.5 * std::log(2 * M_PI)).epsilon(0.05));
    user::DistanceScorer sc;
    sc.fit(X, 0);
    Matrix far(1, 1);
    far << 10.0;
    CHECK(sc.score(far)[0] > sc.score(X).maxCoeff() * 0.5);
}

TEST_CASE("out-of-fold prediction never scores a row with a model trained on it") {
    const Index n = 500;
    Matrix X(n, 1);
    for (Index i = 0; i < n; ++i) X(i, 0) = static_cast<double>(i);
    Vector y = Vector::Zero(n);
    for (Index i = 0; i < n; i += 2) y[i] = 1.0;
    TrainingSet t(X, y);
    const auto folds = random_folds(n, 5, 11);
    auto [oof, extra] = out_of_fold_predict(user::Memorizer{}, t, folds, 5, 11, X);
    CHECK(oof.isZero());  // no row was seen by the model that scored it
    // Each extra row was in the training folds of exactly 4 of the 5 models.
    CHECK((extra.array() - 0.8).abs().maxCoeff() < 1e-12);
}

TEST_CASE("out-of-fold prediction gives a validating classifier one fold as validation") {
    const Index n = 100;
    Matrix X = Matrix::Random(n, 2);
    Vector y = Vector::Zero(n);
    y.head(50).setOnes();
    TrainingSet t(X, y);
    const auto folds = random_folds(n, 5, 3);  // 5 folds of 20
    auto [oof, extra] = out_of_fold_predict(user::SizeRecorder{}, t, folds, 5, 3);
    CHECK((oof.array() == 60 * 1000 + 20).all());  // 3 folds train, 1 validates
    auto [oof2, e2] = out_of_fold_predict(user::SizeRecorder{}, t, random_folds(n, 2, 3), 2, 3);
    CHECK((oof2.array() == 50 * 1000).all());  // k = 2: no fold to spare for validation
}

TEST_CASE("out-of-fold prediction with a real classifier separates the classes") {
    Events a = gaussian(1000, 0.0, 8), b = gaussian(1000, 2.0, 9);
    TrainingSet t = concat(labelled(a, 0.0), labelled(b, 1.0));
    auto [oof, e] = out_of_fold_predict(user::MeanDifference{}, t, random_folds(t.size(), 5, 1), 5, 1);
    CHECK(oof.tail(1000).mean() > oof.head(1000).mean() + 0.3);
}

TEST_CASE("out-of-fold prediction rejects bad fold assignments") {
    TrainingSet t(Matrix::Zero(4, 1), Vector::Zero(4));
    CHECK_THROWS_AS(out_of_fold_predict(user::MeanDifference{}, t, {0, 1, 2}, 2, 0), input_error);
    CHECK_THROWS_WITH_AS(out_of_fold_predict(user::MeanDifference{}, t, {0, 1, 5, 0}, 2, 0),
                         doctest::Contains("row 2 has fold 5"), input_error);
    CHECK_THROWS_WITH_AS(out_of_fold_predict(user::MeanDifference{}, t, {0, 0, 2, 0}, 3, 0),
                         doctest::Contains("fold 1 is empty"), input_error);
}

TEST_CASE("region helpers take a user's own ReferenceDataset") {
    user::MySample s;
    s.x = Matrix::Zero(5, 1);
    s.mm.resize(5, 2);
    s.mm << 3.0, 0.1, 3.4, 0.2, 3.5, 0.3, 3.75, 0.4, 3.2, 0.5;
    s.ww = Vector::Ones(5);
    const Window w = Window::with_sidebands({3.3, 3.7});   // sidebands [3.1, 3.3) and [3.7, 3.9)
    CHECK(sr_rows(s, w) == IndexList{1, 2});
    CHECK(sb_rows(s, w) == IndexList{3, 4});
    CHECK(rows_outside(s, w.sr) == IndexList{0, 3, 4});
    CHECK(rows_in(s, Interval{0.15, 0.35}, 1) == IndexList{1, 2});
    CHECK_THROWS_WITH_AS(rows_in(s, Interval{0.0, 1.0}, 2), doctest::Contains("resonant column 2"), input_error);
    MultiWindow mw{{Interval{3.3, 3.7}, Interval{0.25, 0.5}}};
    CHECK(mw.rows_in_all(s) == IndexList{2});
}

TEST_CASE("grouped folds keep rows of one data event together and balance the folds") {
    // 300 data events, each appearing twice (e.g. SR data and an oversampled copy), and 200
    // reference rows (−1).
    IndexList data_row;
    for (Index r = 0; r < 300; ++r) data_row.push_back(r);
    for (Index r = 0; r < 300; ++r) data_row.push_back(299 - r);
    for (int i = 0; i < 200; ++i) data_row.push_back(-1);
    const auto folds = grouped_folds(data_row, 5, 3);
    REQUIRE(folds.size() == data_row.size());
    for (Index r = 0; r < 300; ++r) CHECK(folds[static_cast<std::size_t>(r)] == folds[static_cast<std::size_t>(599 - r)]);
    // 500 groups over 5 folds round-robin: exactly 100 groups in each fold.
    std::vector<int> groups_per_fold(5, 0);
    for (std::size_t i = 0; i < 300; ++i) ++groups_per_fold[static_cast<std::size_t>(folds[i])];
    for (std::size_t i = 600; i < 800; ++i) ++groups_per_fold[static_cast<std::size_t>(folds[i])];
    for (int g : groups_per_fold) CHECK(g == 100);
    // The reference rows are spread over folds, not all in one.
    std::vector<int> ref_per_fold(5, 0);
    for (std::size_t i = 600; i < 800; ++i) ++ref_per_fold[static_cast<std::size_t>(folds[i])];
    for (int c : ref_per_fold) CHECK(c > 20);
    CHECK(grouped_folds(data_row, 5, 3) == folds);
    CHECK(grouped_folds(data_row, 5, 4) != folds);
    CHECK_THROWS_AS(grouped_folds({0, 0, 0}, 2, 0), input_error);    // one group, two folds
    CHECK_THROWS_AS(grouped_folds({0, -3}, 2, 0), input_error);
}

TEST_CASE("generator input refuses samples carrying truth labels") {
    Events e(Matrix::Zero(3, 1), Matrix::Constant(3, 1, 3.5), Vector(), Vector::Ones(3));
    const Events clean = e.without_truth();
    GeneratorInput bad{e};
    CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("truth"), std::invalid_argument);
    const Events refs[] = {e};
    GeneratorInput bad_ref{clean, refs};
    CHECK_THROWS_WITH_AS(bad_ref.validate(), doctest::Contains("reference 0"), std::invalid_argument);
    const Events clean_refs[] = {clean};
    GeneratorInput good{clean, clean_refs};
    CHECK_NOTHROW(good.validate());
}

}  // namespace unit_test_concepts
