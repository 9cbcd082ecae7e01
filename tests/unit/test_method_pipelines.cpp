// The generators of methods/ inside WeakSupervision: no event is ever scored by a model that
// trained on it (a memorizing classifier would reveal it), NestedCvSelect keeps the best training
// per inner round by the TPR at 1 % FPR and averages the kept models, CwolaAverage averages k CWoLa
// members, and the same seed gives bit-identical results.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "resanom/core/random.hpp"
#include "resanom/methods/methods.hpp"
#include "resanom/stats/metrics.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_method_pipelines {

using namespace resanom;

namespace {

// Predicts 1 for any row it was trained on (bitwise equal), 0 otherwise.
struct Memorizer {
    std::set<std::vector<double>> rows;
    static std::vector<double> key(const Matrix& X, Index i) {
        std::vector<double> k(static_cast<std::size_t>(X.cols()));
        for (Index j = 0; j < X.cols(); ++j) k[static_cast<std::size_t>(j)] = X(i, j);
        return k;
    }
    void fit(const TrainingSet& t, std::uint64_t) {
        rows.clear();
        for (Index i = 0; i < t.size(); ++i) rows.insert(key(t.X, i));
    }
    Vector predict(const Matrix& X) const {
        Vector p(X.rows());
        for (Index i = 0; i < X.rows(); ++i) p[i] = rows.count(key(X, i)) ? 1.0 : 0.0;
        return p;
    }
};

const Window win = Window::with_sidebands({3.3, 3.7}, 0.2, 0.5);

// Continuous features (all rows distinct), m over the long sidebands, 3 resonant features in [0, 1)
// for the Multi-CWoLa family (m0 doubles as the dijet mass via a second sample).
Events sample(Index n, std::uint64_t seed, double shift = 0.0) {
    Rng rng(seed);
    Matrix X(n, 2), M(n, 1);
    for (Index i = 0; i < n; ++i) {
        X(i, 0) = normal(rng) + shift;
        X(i, 1) = normal(rng);
        M(i, 0) = uniform(rng, 2.8, 4.2);
    }
    return Events(X, M);
}
Events multi_sample(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Matrix X(n, 2), M(n, 3);
    for (Index i = 0; i < n; ++i) {
        X(i, 0) = normal(rng);
        X(i, 1) = normal(rng);
        const bool y = uniform01(rng) < 0.3;
        for (Index a = 0; a < 3; ++a) M(i, a) = (uniform01(rng) < 0.8) == y ? uniform(rng, 0.4, 0.6) : uniform(rng, 0.6, 1.0);
    }
    return Events(X, M);
}

template <class G, class C = Memorizer>
void check_no_leak(const G& gen, const PipelineInput& in, C clf = C{}) {
    const WeakSupervision<G, C, NoStatistic> p(gen, clf, NoStatistic{});
    const WindowResult r = p.run(in, 17);
    CHECK(r.data_score.size() == in.data.size());
    CHECK(r.data_score.cwiseAbs().maxCoeff() == 0.0);
    if (r.template_score) CHECK(r.template_score->cwiseAbs().maxCoeff() == 0.0);
    if (in.test) CHECK(r.test_score.cwiseAbs().maxCoeff() == 0.0);
}

HgbParams small_hgb() {
    HgbParams p;
    p.max_iter = 10;
    p.threads = 1;
    return p;
}

}  // namespace

TEST_CASE("the memorizing classifier does reveal a leak") {
    Memorizer m;
    const Events e = sample(10, 1);
    m.fit(TrainingSet(e.X(), Vector::Ones(10)), 0);
    CHECK(m.predict(e.X()).minCoeff() == 1.0);
    CHECK(m.predict(sample(10, 2).X()).maxCoeff() == 0.0);
}

TEST_CASE("no event is scored by a model that trained on it, for every generator") {
    const Events data = sample(400, 3), sim0 = sample(400, 4, 0.2), sim1 = sample(400, 5, -0.2), test = sample(50, 6);
    const std::vector<Events> one{sim0}, two{sim0, sim1};
    SUBCASE("IAD") { check_no_leak(Iad{}, PipelineInput{data, one, win, std::nullopt, &test}); }
    SUBCASE("CWoLa") { check_no_leak(Cwola{}, PipelineInput{data, {}, win, std::nullopt, &test}); }
    SUBCASE("SA-CWoLa") { check_no_leak(SaCwola{}, PipelineInput{data, one, win, std::nullopt, &test}); }
    SUBCASE("SALAD") { check_no_leak(Salad<Hgb>(Hgb(small_hgb())), PipelineInput{data, one, win, std::nullopt, &test}); }
    SUBCASE("Multi-SALAD") {
        check_no_leak(MultiSalad<Hgb>(Hgb(small_hgb())), PipelineInput{data, two, win, std::nullopt, &test});
    }
    SUBCASE("SALAD-Switch") {
        check_no_leak(SaladSwitch<Hgb>(Hgb(small_hgb())), PipelineInput{data, two, win, std::nullopt, &test});
    }
    SUBCASE("Combined (a CWoLa template twice: the same data rows stay in one fold)") {
        check_no_leak(CombinedSamples<Iad, Cwola, Cwola>(), PipelineInput{data, one, win, std::nullopt, &test});
    }
    SUBCASE("CWoLa Hunting's nested selection") {
        check_no_leak(Cwola{}, PipelineInput{data, {}, win, std::nullopt, &test},
                      NestedCvSelect<Memorizer>(Memorizer{}, NestedCvParams{4, 2, 0.01}));
    }
    const Events md = multi_sample(300, 7), mt = multi_sample(40, 8);
    const MultiWindow mw{std::vector<Interval>(3, Interval{0.4, 0.6})};
    const Window mwin = Window::with_sidebands({0.4, 0.6}, 0.1, 0.2);
    SUBCASE("Multi-CWoLa") { check_no_leak(MultiCwola{}, PipelineInput{md, {}, mwin, mw, &mt}); }
    SUBCASE("CWoLa + intersect") { check_no_leak(CwolaIntersect{}, PipelineInput{md, {}, mwin, mw, &mt}); }
    SUBCASE("CWoLa + thresholding (mapped features)") {
        check_no_leak(CwolaThresholds(mw, 0), PipelineInput{md, {}, mwin, mw, &mt});
    }
    SUBCASE("CWoLa + average") {
        const CwolaAverage<Memorizer, NoStatistic> avg;
        const WindowResult r = avg.run(PipelineInput{md, {}, mwin, mw, &mt}, 5);
        CHECK(r.data_score.cwiseAbs().maxCoeff() == 0.0);
        CHECK(r.test_score.cwiseAbs().maxCoeff() == 0.0);
    }
}

TEST_CASE("CwolaAverage: the mean of the k CWoLa members, same folds") {
    const Events md = multi_sample(300, 9), mt = multi_sample(40, 10);
    const MultiWindow mw{std::vector<Interval>(3, Interval{0.4, 0.6})};
    const Window mwin = Window::with_sidebands({0.4, 0.6}, 0.1, 0.2);
    const PipelineInput in{md, {}, mwin, mw, &mt};
    const Hgb clf(small_hgb());
    const WindowResult avg = CwolaAverage<Hgb, NoStatistic>(clf).run(in, 21);
    Vector mean = Vector::Zero(md.size()), tmean = Vector::Zero(mt.size());
    for (Index i = 0; i < 3; ++i) {
        const WindowResult r = WeakSupervision<CwolaOnFeature, Hgb, NoStatistic>(CwolaOnFeature(i), clf).run(in, 21);
        mean += r.data_score / 3.0;
        tmean += r.test_score / 3.0;
        CHECK(r.data_fold == avg.data_fold);
    }
    for (Index d = 0; d < md.size(); ++d) CHECK(avg.data_score[d] == doctest::Approx(mean[d]).epsilon(1e-12));
    for (Index d = 0; d < mt.size(); ++d) CHECK(avg.test_score[d] == doctest::Approx(tmean[d]).epsilon(1e-12));
}

namespace {
// Records the scores it was asked to judge.
struct RecordingStatistic {
    std::shared_ptr<std::vector<Vector>> seen = std::make_shared<std::vector<Vector>>();
    std::vector<Significance> evaluate(const StatisticInput& si) const {
        seen->push_back(si.data.score);
        CHECK(!si.background_template.has_value());
        return {};
    }
};
}  // namespace

TEST_CASE("ScoreCombination: the mean of its members' scores on one set of folds, judged once") {
    const Events data = sample(400, 3, 0.2), ref = sample(400, 4);
    const std::vector<Events> refs{ref};
    const PipelineInput in{data, refs, win};
    const Hgb clf(small_hgb());
    const std::vector<AnyGenerator> gens{AnyGenerator(Cwola{}), AnyGenerator(Iad{})};
    const RecordingStatistic stat;
    const ScoreCombination<AnyGenerator, Hgb, RecordingStatistic> sc(gens, clf, stat);
    const WindowResult r = sc.run(in, 5);
    // Every member scores each event with its model of the event's fold, on the same folds.
    const std::vector<int> folds = stratified_folds(Vector(data.m(win.m_column)), 5, derive_seed(5, 1));
    CHECK(r.data_fold == folds);
    PipelineInput member_in = in;
    member_in.data_fold = folds;
    Vector mean = Vector::Zero(data.size());
    for (std::size_t k = 0; k < gens.size(); ++k)
        mean += WeakSupervision<AnyGenerator, Hgb, NoStatistic>(gens[k], clf).run(member_in, derive_seed(5, k)).data_score / 2.0;
    for (Index d = 0; d < data.size(); ++d) CHECK(r.data_score[d] == doctest::Approx(mean[d]).epsilon(1e-12));
    CHECK(!r.template_score.has_value());
    REQUIRE(stat.seen->size() == 1);
    CHECK(stat.seen->front() == r.data_score);
    CHECK_THROWS_AS((ScoreCombination<AnyGenerator, Hgb, NoStatistic>({AnyGenerator(Cwola{})}, clf, NoStatistic{})),
                    input_error);
}

namespace {
// Scores x0·cos θ + x1·sin θ with θ drawn from the seed: trainings differ in quality. Records
// whether it was given a validation set.
struct RandomDirection {
    double c = 1.0, s = 0.0;
    Index val_size = -1;
    void fit(const TrainingSet&, std::uint64_t seed) {
        Rng rng(seed);
        const double th = uniform(rng, 0.0, 6.283185307179586);
        c = std::cos(th), s = std::sin(th);
    }
    void fit(const TrainingSet& t, const TrainingSet& v, std::uint64_t seed) {
        fit(t, seed);
        val_size = v.size();
    }
    Vector predict(const Matrix& X) const { return X.col(0) * c + X.col(1) * s; }
};
}  // namespace

TEST_CASE("NestedCvSelect keeps the best of n_trainings per inner round and averages the kept") {
    static_assert(Classifier<NestedCvSelect<RandomDirection>>);
    static_assert(!ValidatingClassifier<NestedCvSelect<RandomDirection>>);
    // Label 1 shifted along x0: the best direction is near θ = 0.
    const Events sig = sample(400, 11, 1.0), bkg = sample(400, 12);
    const TrainingSet t = concat(labelled(sig, 1.0), labelled(bkg, 0.0));
    NestedCvSelect<RandomDirection> sel(RandomDirection{}, NestedCvParams{4, 6, 0.01});
    sel.fit(t, 99);
    REQUIRE(sel.selected().size() == 4);
    REQUIRE(sel.candidate_metrics().size() == 4);
    for (std::size_t r = 0; r < 4; ++r) {
        const auto& cand = sel.candidate_metrics()[r];
        REQUIRE(cand.size() == 6);
        CHECK(sel.selected_metric()[r] == *std::max_element(cand.begin(), cand.end()));
        CHECK(sel.selected()[r].val_size == 200);  // the validation fold goes to the member
    }
    // Some candidates differ, so selection matters.
    const auto& c0 = sel.candidate_metrics()[0];
    CHECK(*std::max_element(c0.begin(), c0.end()) > *std::min_element(c0.begin(), c0.end()));
    Vector mean = Vector::Zero(t.size());
    for (const auto& m : sel.selected()) mean += m.predict(t.X) / 4.0;
    CHECK((sel.predict(t.X) - mean).cwiseAbs().maxCoeff() < 1e-12);
    // The kept models beat a random direction on average: AUC of the mean > 0.7.
    CHECK(auc(sel.predict(t.X), t.y) > 0.7);
    CHECK_THROWS_AS(NestedCvSelect<RandomDirection>(RandomDirection{}, NestedCvParams{1, 10, 0.01}), input_error);
}

TEST_CASE("pipelines with the generators are bit-identical for the same seed") {
    const Events data = sample(400, 13), sim = sample(400, 14, 0.3), test = sample(60, 15);
    const std::vector<Events> one{sim};
    const PipelineInput in{data, one, win, std::nullopt, &test};
    const WeakSupervision<Salad<Hgb>, Hgb, NoStatistic> p{Salad<Hgb>{Hgb{small_hgb()}}, Hgb{small_hgb()}};
    const WindowResult a = p.run(in, 4), b = p.run(in, 4), c = p.run(in, 5);
    CHECK(std::memcmp(a.data_score.data(), b.data_score.data(), sizeof(double) * static_cast<std::size_t>(a.data_score.size())) == 0);
    CHECK(*a.template_score == *b.template_score);
    CHECK(a.test_score == b.test_score);
    CHECK(a.data_fold != c.data_fold);
}

TEST_CASE("method aliases and paper factories compose and run") {
    static_assert(std::same_as<CwolaHgb::generator_type, Cwola>);
    static_assert(std::same_as<CwolaHunting::classifier_type, NestedCvSelect<MlpClassifier>>);
    static_assert(std::same_as<CombinedHgb<Iad, Cwola>::generator_type, CombinedSamples<Iad, Cwola>>);
    const CwolaHunting hunt = cwola_hunting();
    CHECK(hunt.classifier().params().inner_folds == 4);
    CHECK(hunt.classifier().params().n_trainings == 10);
    CHECK(hunt.classifier().params().fpr == 0.01);
    CHECK(hunt.statistic().config().cut == BumpHuntCut::data);
    // Collins et al. 2021, §3.1: 64-32-16-4, leaky ReLU (slope 0.1) first, ELU after, 20 % dropout
    // after the first three hidden layers, a sigmoid output (the logit's Dense(1)).
    {
        using K = nn::LayerKind;
        const std::vector<nn::LayerSpec> L = collins2021_cwola_mlp().layers();
        const std::vector<K> kinds{K::dense, K::leaky_relu, K::dropout, K::dense, K::elu, K::dropout,
                                   K::dense, K::elu,        K::dropout, K::dense, K::elu, K::dense};
        REQUIRE(L.size() == kinds.size());
        for (std::size_t i = 0; i < L.size(); ++i) CHECK(L[i].kind == kinds[i]);
        CHECK(L[0].width == 64);
        CHECK(L[9].width == 4);
        CHECK(L[1].param == 0.1);
        CHECK(L[4].param == 1.0);
        CHECK(L[2].param == 0.2);
    }
    CHECK(hunt.settings().folds == 5);
    CHECK(hunt.settings().eps_b == std::vector<double>{1e-2, 1e-3});
    CHECK(sa_cwola_mlp().generator().params().lambda == 1.0);
    CHECK(multi_cwola_mlp().generator().params().class_balance == 0.149);

    // CWoLa with an HGB ensemble and direct estimation, end to end.
    const Events data = sample(1500, 31);
    DirectEstimateConfig assumed;   // a stated δ_sys (the numbers are not checked here)
    assumed.delta_sys = 0.1;
    const CwolaHgb cw(Cwola{}, Ensemble<Hgb>(Hgb(small_hgb()), 2), DirectEstimate(assumed), PipelineSettings{5, {0.1}});
    const WindowResult r = cw.run(PipelineInput{data, {}, win}, 3);
    REQUIRE(r.significances.size() == 1);
    CHECK(r.significances[0].n_obs > 0.0);
    CHECK(r.template_score.has_value());

    // SALAD's default reweighter is the MLP of Benkendorfer et al. 2021; it trains and gives finite
    // positive weights.
    const Events sim = sample(1500, 32, 0.5);
    const std::vector<Events> one{sim};
    const GeneratedTemplate g = Salad<>().generate(GeneratorInput{data, one, win}, 2);
    CHECK(g.background_template->w().allFinite());
    CHECK(g.background_template->w().minCoeff() > 0.0);

    // NestedCvSelect over a validating classifier (the MLP): the validation fold reaches it.
    MlpParams tiny;
    tiny.hidden = {4};
    tiny.epochs = 2;
    NestedCvSelect<MlpClassifier> sel(MlpClassifier(tiny), NestedCvParams{4, 2, 0.01});
    const Events sig = sample(200, 33, 1.0), bkg = sample(200, 34);
    sel.fit(concat(labelled(sig, 1.0), labelled(bkg, 0.0)), 1);
    CHECK(sel.selected().size() == 4);
    CHECK(sel.predict(sig.X()).allFinite());
}

}  // namespace unit_test_method_pipelines
