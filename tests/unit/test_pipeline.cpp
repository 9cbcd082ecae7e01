// Tests of resanom/methods/pipeline.hpp: a pipeline composed of user-written parts runs end to end;
// out-of-fold scoring is enforced (a memorizing classifier would betray any event scored by a model
// that trained on it); data and template scores map back to the right events; truth never reaches
// the generator; the same seed gives the same bits; the unsupervised pipeline scores held-out folds.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <vector>

#include "resanom/methods/pipeline.hpp"
#include "resanom/stats/metrics.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_pipeline {

using namespace resanom;

namespace user {

Events gaussian(Index n, double shift, double m_lo, double m_hi, std::uint64_t seed) {
    Rng rng(seed);
    Matrix X(n, 2), m(n, 1);
    for (Index i = 0; i < n; ++i) {
        X(i, 0) = normal(rng) + shift;
        X(i, 1) = normal(rng);
        m(i, 0) = uniform(rng, m_lo, m_hi);
    }
    return Events(X, m);
}

// A generator of the user's own: SR data (label 1) vs the reference in the SR (label 0); the
// reference forms the template and is made of training rows.
struct SrVersusReference {
    mutable bool saw_truth = false;
    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t) const {
        saw_truth = saw_truth || in.data.has_truth();
        const IndexList sr = sr_rows(in.data, in.window);
        const Events ref = in.references[0].subset(sr_rows(in.references[0], in.window));
        GeneratedTemplate g;
        g.training = concat(labelled(in.data.subset(sr), 1.0), labelled(ref, 0.0));
        g.data_row = sr;
        g.data_row.resize(static_cast<std::size_t>(g.training.size()), -1);
        g.background_template = ref;
        for (Index t = 0; t < ref.size(); ++t) g.template_row.push_back(static_cast<Index>(sr.size()) + t);
        return g;
    }
};

// A classifier of the user's own: the logistic function of the difference of class means along x0.
struct MeanDifference {
    double cut = 0.0, scale = 1.0;
    void fit(const TrainingSet& t, std::uint64_t) {
        double s1 = 0, w1 = 0, s0 = 0, w0 = 0;
        for (Index i = 0; i < t.size(); ++i) {
            s1 += t.w[i] * t.y[i] * t.X(i, 0);
            w1 += t.w[i] * t.y[i];
            s0 += t.w[i] * (1 - t.y[i]) * t.X(i, 0);
            w0 += t.w[i] * (1 - t.y[i]);
        }
        cut = 0.5 * (s1 / w1 + s0 / w0);
        scale = s1 / w1 > s0 / w0 ? 1.0 : -1.0;
    }
    Vector predict(const Matrix& X) const {
        return (scale * (X.col(0).array() - cut)).unaryExpr([](double v) { return 1.0 / (1.0 + std::exp(-v)); });
    }
};

// Remembers every training row exactly; predicts 1 for a row it trained on, 0.5 otherwise. Any
// score of 1 in the output betrays an event scored by a model that saw it.
struct Memorizer {
    std::vector<std::vector<double>> seen;
    void fit(const TrainingSet& t, std::uint64_t) {
        seen.clear();
        for (Index i = 0; i < t.size(); ++i) seen.push_back({t.X(i, 0), t.X(i, 1)});
        std::sort(seen.begin(), seen.end());
    }
    Vector predict(const Matrix& X) const {
        Vector p(X.rows());
        for (Index i = 0; i < X.rows(); ++i)
            p[i] = std::binary_search(seen.begin(), seen.end(), std::vector<double>{X(i, 0), X(i, 1)}) ? 1.0 : 0.5;
        return p;
    }
};

// Predicts one constant per trained model, the sum of its training rows' x0: which model scored
// an event shows in its score.
struct ModelTag {
    double tag = 0.0;
    void fit(const TrainingSet& t, std::uint64_t) { tag = t.X.col(0).sum(); }
    Vector predict(const Matrix& X) const { return Vector::Constant(X.rows(), tag); }
};

// Counts data events in the SR above the template's (1 − ε_B) quantile.
struct CountAbove {
    std::vector<Significance> evaluate(const StatisticInput& in) const {
        std::vector<Significance> out;
        for (double eps : in.eps_b) {
            Significance s;
            s.eps_b = eps;
            s.threshold = threshold_at_eps_b(in.background_template->score, in.background_template->w, eps);
            for (Index i = 0; i < in.data.score.size(); ++i)
                if (in.window.sr.contains(in.data.m[i]) && in.data.score[i] >= s.threshold) s.n_obs += in.data.w[i];
            out.push_back(s);
        }
        return out;
    }
};

// Distance from the training mean along x0.
struct DistanceScorer {
    double mean = 0.0;
    void fit(const Matrix& X, std::uint64_t) { mean = X.col(0).mean(); }
    Vector score(const Matrix& X) const { return (X.col(0).array() - mean).abs(); }
};

}  // namespace user

static_assert(TemplateGenerator<user::SrVersusReference>);
static_assert(Classifier<user::MeanDifference>);
static_assert(TestStatistic<user::CountAbove>);
static_assert(Scorer<user::DistanceScorer>);
static_assert(!FeatureMappingGenerator<user::SrVersusReference>);

namespace {
struct Sample {
    Events data, reference;
    Index n_bkg;
};
// Background N(0,1) over m ∈ [3, 4); 300 signal events shifted by +2.5 in x0 inside the SR
// [3.3, 3.7); a background-only reference of 6000 events.
Sample sample(bool with_truth) {
    const Events bkg = user::gaussian(6000, 0.0, 3.0, 4.0, 1), sig = user::gaussian(300, 2.5, 3.3, 3.7, 2);
    Events data = concat(bkg, sig);
    if (with_truth) {
        Vector t = Vector::Zero(data.size());
        t.tail(300).setOnes();
        data = Events(data.X(), data.m(), Vector(), t);
    }
    return {data, user::gaussian(6000, 0.0, 3.0, 4.0, 3), 6000};
}
}  // namespace

TEST_CASE("a pipeline of user-written parts runs a window end to end") {
    const Sample s = sample(false);
    const Events refs[] = {s.reference};
    const WeakSupervision<user::SrVersusReference, user::MeanDifference, user::CountAbove> p(
        {}, {}, {}, PipelineSettings{5, {0.1, 0.01}});
    const WindowResult r = p.run({s.data, refs, Window::with_sidebands({3.3, 3.7})}, 7);
    REQUIRE(r.data_score.size() == s.data.size());
    REQUIRE(r.template_score.has_value());
    CHECK(r.template_score->size() == static_cast<Index>(sr_rows(s.reference, r.window).size()));
    REQUIRE(r.significances.size() == 2);
    // The classifier learned the signal direction: signal outscores background on average, and
    // more SR data pass the cut than the template's 10 % would predict.
    CHECK(r.data_score.tail(300).mean() > r.data_score.head(6000).mean() + 0.2);
    const double n_sr = static_cast<double>(sr_rows(s.data, r.window).size());
    CHECK(r.significances[0].n_obs > 0.1 * n_sr + 100);
    // Every data event has a fold, training row or not.
    for (Index i = 0; i < s.data.size(); ++i) CHECK((r.data_fold[static_cast<std::size_t>(i)] >= 0 && r.data_fold[static_cast<std::size_t>(i)] < 5));
    // Same seed, same bits; another seed, other folds.
    const WindowResult again = p.run({s.data, refs, Window::with_sidebands({3.3, 3.7})}, 7);
    CHECK(again.data_score == r.data_score);
    CHECK(*again.template_score == *r.template_score);
    const WindowResult other = p.run({s.data, refs, Window::with_sidebands({3.3, 3.7})}, 8);
    CHECK(other.data_fold != r.data_fold);
}

TEST_CASE("a step observer hears the template, then every fold in order, without changing the result") {
    const Sample s = sample(false);
    const Events refs[] = {s.reference};
    const WeakSupervision<user::SrVersusReference, user::MeanDifference, user::CountAbove> p(
        {}, {}, {}, PipelineSettings{4, {0.1}});
    std::vector<std::string> heard;
    const StepObserver obs = [&](const PipelineStep& st) {
        heard.push_back(std::string(st.what) + " " + std::to_string(st.done) + "/" + std::to_string(st.total));
    };
    const Window w = Window::with_sidebands({3.3, 3.7});
    const WindowResult r = p.run({s.data, refs, w, std::nullopt, nullptr, &obs}, 7);
    CHECK(heard == std::vector<std::string>{"template 1/1", "fold 1/4", "fold 2/4", "fold 3/4", "fold 4/4"});
    CHECK(r.data_score == p.run({s.data, refs, w}, 7).data_score);
    // The unsupervised pipeline has no template step.
    heard.clear();
    const Unsupervised<user::DistanceScorer, NoStatistic> u({}, {}, PipelineSettings{3, {0.1}});
    (void)u.run({s.data, {}, w, std::nullopt, nullptr, &obs}, 7);
    CHECK(heard == std::vector<std::string>{"fold 1/3", "fold 2/3", "fold 3/3"});
}

TEST_CASE("no event is scored by a model that trained on it") {
    const Sample s = sample(false);
    const Events refs[] = {s.reference};
    const WeakSupervision<user::SrVersusReference, user::Memorizer, user::CountAbove> p({}, {}, {},
                                                                                         PipelineSettings{5, {0.1}});
    const Events test = user::gaussian(50, 0.0, 3.3, 3.7, 9);
    const WindowResult r = p.run({s.data, refs, Window::with_sidebands({3.3, 3.7}), std::nullopt, &test}, 3);
    // A data event in training is seen by k − 1 of the k fold models (train or validation): any
    // leak would give it a score of 1. Events outside the training set get their fold's model,
    // which never saw them either; the test events the mean of the k models.
    CHECK(r.data_score.maxCoeff() == 0.5);
    CHECK(r.template_score->maxCoeff() == 0.5);
    CHECK(r.test_score.size() == 50);
    CHECK((r.test_score.array() == 0.5).all());
}

TEST_CASE("every data event is scored by its own fold's model, inside the training region or outside") {
    // The fold's model scores the events of its fold whether they trained the other models (SR
    // data) or no model at all (events outside the SR): a cut on the scores then treats them alike.
    const Sample s = sample(false);
    const Events refs[] = {s.reference};
    const WeakSupervision<user::SrVersusReference, user::ModelTag, NoStatistic> p({}, {}, {}, PipelineSettings{5, {0.1}});
    const WindowResult r = p.run({s.data, refs, Window::with_sidebands({3.3, 3.7})}, 11);
    std::vector<double> tag_of(5, std::nan(""));
    for (Index i = 0; i < s.data.size(); ++i) {
        const int f = r.data_fold[static_cast<std::size_t>(i)];
        REQUIRE((f >= 0 && f < 5));
        if (std::isnan(tag_of[static_cast<std::size_t>(f)])) tag_of[static_cast<std::size_t>(f)] = r.data_score[i];
        CHECK(r.data_score[i] == tag_of[static_cast<std::size_t>(f)]);
    }
    std::vector<double> sorted = tag_of;
    std::sort(sorted.begin(), sorted.end());
    CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());   // five different models
    // The template events too: each by its fold's model.
    for (std::size_t t = 0; t < r.template_fold.size(); ++t)
        CHECK((*r.template_score)[static_cast<Index>(t)] == tag_of[static_cast<std::size_t>(r.template_fold[t])]);
}

TEST_CASE("the data are split into folds bin by bin in m") {
    // Collins et al. 2021, §3.1: every fold holds the same share of every m range; with blocks of
    // k consecutive events in m, the counts of any m interval differ by at most 2 between folds.
    Rng rng(4);
    Vector m(10007);
    for (Index i = 0; i < m.size(); ++i) m[i] = 2.0 + 3.0 * uniform01(rng) * uniform01(rng);
    const int k = 5;
    const std::vector<int> f = stratified_folds(m, k, 9);
    std::vector<Index> order(static_cast<std::size_t>(m.size()));
    std::iota(order.begin(), order.end(), Index{0});
    std::sort(order.begin(), order.end(), [&](Index a, Index b) { return m[a] < m[b]; });
    for (Index lo = 0; lo < m.size(); lo += 997) {   // intervals of 1500 events starting anywhere
        std::vector<int> count(k, 0);
        for (Index j = lo; j < std::min<Index>(lo + 1500, m.size()); ++j) ++count[static_cast<std::size_t>(f[static_cast<std::size_t>(order[static_cast<std::size_t>(j)])])];
        CHECK(*std::max_element(count.begin(), count.end()) - *std::min_element(count.begin(), count.end()) <= 2);
    }
    // Seeded; another seed deals other folds; a NaN m is refused.
    CHECK(stratified_folds(m, k, 9) == f);
    CHECK(stratified_folds(m, k, 10) != f);
    m[3] = std::nan("");
    CHECK_THROWS_WITH_AS(stratified_folds(m, k, 9), doctest::Contains("row 3"), input_error);
}

TEST_CASE("truth labels are stripped before the generator sees the data") {
    const Sample s = sample(true);
    const Events refs[] = {s.reference};
    const WeakSupervision<user::SrVersusReference, user::MeanDifference, user::CountAbove> p;
    const WindowResult r = p.run({s.data, refs, Window::with_sidebands({3.3, 3.7})}, 1);
    CHECK(!p.generator().saw_truth);
    CHECK(r.data_score.size() == s.data.size());
    // The out-of-fold scores separate signal from background as truth says.
    const Vector truth = s.data.truth();
    CHECK(auc(r.data_score(sr_rows(s.data, r.window)), truth(sr_rows(s.data, r.window))) > 0.8);
}

TEST_CASE("bad pipeline settings and generator output are refused") {
    using P = WeakSupervision<user::SrVersusReference, user::MeanDifference, user::CountAbove>;
    CHECK_THROWS_WITH_AS(P({}, {}, {}, PipelineSettings{2, {0.1}}), doctest::Contains("at least 3 folds"), input_error);
    CHECK_THROWS_WITH_AS(P({}, {}, {}, PipelineSettings{5, {}}), doctest::Contains("no working points"), input_error);
    CHECK_THROWS_WITH_AS(P({}, {}, {}, PipelineSettings{5, {1.5}}), doctest::Contains("outside (0, 1]"), input_error);
    const Sample s = sample(false);
    const P p;
    GeneratedTemplate g;
    g.training = TrainingSet(Matrix::Zero(10, 2), Vector::Ones(10));
    g.data_row = IndexList(9, -1);
    CHECK_THROWS_WITH_AS(p.score_and_judge(g, s.data, {s.data}, 0), doctest::Contains("9 data rows for 10"), input_error);
}

TEST_CASE("the unsupervised pipeline scores each event with a scorer that never saw it") {
    const Sample s = sample(false);
    struct Pass {
        std::vector<Significance> evaluate(const StatisticInput& in) const {
            Significance sig;
            sig.n_obs = static_cast<double>(in.data.score.size());
            return {sig};
        }
    };
    const Unsupervised<user::DistanceScorer, Pass> p({}, {}, PipelineSettings{4, {0.1}});
    const WindowResult r = p.run({s.data, {}, Window::with_sidebands({3.3, 3.7})}, 5);
    REQUIRE(r.data_score.size() == s.data.size());
    CHECK(r.significances[0].n_obs == static_cast<double>(s.data.size()));
    // Recompute one fold by hand: the scorer fitted on the other three folds.
    std::vector<IndexList> rows(4);
    for (Index i = 0; i < s.data.size(); ++i) rows[static_cast<std::size_t>(r.data_fold[static_cast<std::size_t>(i)])].push_back(i);
    IndexList rest;
    for (int f = 1; f < 4; ++f) rest.insert(rest.end(), rows[static_cast<std::size_t>(f)].begin(), rows[static_cast<std::size_t>(f)].end());
    const double mean = s.data.X()(rest, 0).mean();
    for (Index i : rows[0]) CHECK(r.data_score[i] == doctest::Approx(std::abs(s.data.X()(i, 0) - mean)).epsilon(1e-12));
    // Shifted signal events are more anomalous on average.
    CHECK(r.data_score.tail(300).mean() > r.data_score.head(6000).mean() + 1.0);
}

}  // namespace unit_test_pipeline
