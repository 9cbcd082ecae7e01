// Unit tests of the template generators of methods/ (IAD, CWoLa, SA-CWoLa, SALAD, Multi-SALAD,
// SALAD-Switch, Multi-CWoLa and its baselines, combined samples) on small hand-checkable inputs:
// labels, weights as the papers prescribe, data_row/template_row mappings, and input errors.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "resanom/core/random.hpp"
#include "resanom/methods/combine.hpp"
#include "resanom/methods/cwola.hpp"
#include "resanom/methods/iad.hpp"
#include "resanom/methods/multi_cwola.hpp"
#include "resanom/methods/salad.hpp"
#include "resanom/models/hgb/hgb.hpp"
#include "resanom/toys/multi_resonant.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_method_generators {

using namespace resanom;

namespace {

// Events with one feature x0 = the given values, resonant feature m, weights w (empty: ones).
Events make(const std::vector<double>& x, const std::vector<double>& m, const std::vector<double>& w = {}) {
    Matrix X(static_cast<Index>(x.size()), 1), M(static_cast<Index>(m.size()), 1);
    for (std::size_t i = 0; i < x.size(); ++i) X(static_cast<Index>(i), 0) = x[i];
    for (std::size_t i = 0; i < m.size(); ++i) M(static_cast<Index>(i), 0) = m[i];
    Vector W;
    if (!w.empty()) W = Eigen::Map<const Vector>(w.data(), static_cast<Index>(w.size()));
    return Events(X, M, W);
}

// SR [3.3, 3.7), short SB 0.2, long SB 0.5.
const Window win = Window::with_sidebands({3.3, 3.7}, 0.2, 0.5);

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const input_error& e) {
        return e.what();
    }
    return "(no input_error)";
}

// A stub reweighter: g(x, m) = sigmoid(x0 − μ0) with μ0 the mean x0 of its label-0 rows, so that
// w = g/(1−g) = exp(x0 − μ0) exactly. Records what it was trained on.
struct LogisticStub {
    double mu0 = 0.0;
    TrainingSet seen;
    void fit(const TrainingSet& t, std::uint64_t) {
        seen = t;
        double s = 0.0, n = 0.0;
        for (Index i = 0; i < t.size(); ++i)
            if (t.y[i] == 0.0) {
                s += t.X(i, 0);
                n += 1.0;
            }
        mu0 = s / n;
    }
    Vector predict(const Matrix& X) const {
        Vector p(X.rows());
        for (Index i = 0; i < X.rows(); ++i) p[i] = 1.0 / (1.0 + std::exp(-(X(i, 0) - mu0)));
        return p;
    }
};

}  // namespace

TEST_CASE("IAD: SR data vs the reference in the SR, template rows map to training rows") {
    // data: rows 1, 2 in the SR (weights 2 and 1); reference: rows 0, 2, 3 in the SR.
    const Events data = make({0.1, 0.2, 0.3, 0.4}, {3.0, 3.4, 3.5, 3.8}, {1, 2, 1, 1});
    const Events ref = make({1.0, 2.0, 3.0, 4.0}, {3.31, 3.0, 3.69, 3.6});
    const std::vector<Events> refs{ref};
    const GeneratedTemplate g = Iad{}.generate(GeneratorInput{data, refs, win}, 1);
    REQUIRE(g.training.size() == 5);
    CHECK(g.data_row == IndexList{1, 2, -1, -1, -1});
    CHECK(g.training.y.transpose() == Vector((Vector(5) << 1, 1, 0, 0, 0).finished()).transpose());
    // Label 1: own weights (2, 1); label 0 scaled to the SR data total 3: 1 each.
    CHECK(g.training.w[0] == 2.0);
    CHECK(g.training.w[1] == 1.0);
    for (Index r = 2; r < 5; ++r) CHECK(g.training.w[r] == doctest::Approx(1.0));
    REQUIRE(g.background_template.has_value());
    CHECK(g.background_template->size() == 3);
    CHECK(g.template_row == IndexList{2, 3, 4});
    CHECK(g.background_template->X()(0, 0) == 1.0);
    CHECK(g.background_template->X()(2, 0) == 4.0);
    CHECK(g.training.X(3, 0) == 3.0);

    CHECK(resanom_test::contains(error_of([&] { Iad{}.generate(GeneratorInput{data, {}, win}, 1); }),
                                 "IAD: needs exactly 1 reference sample"));
    const std::vector<Events> two{ref, ref};
    CHECK(resanom_test::contains(error_of([&] { Iad{}.generate(GeneratorInput{data, two, win}, 1); }), "got 2"));
    const Events no_sr = make({0.1}, {3.0});
    CHECK(resanom_test::contains(error_of([&] { Iad{}.generate(GeneratorInput{no_sr, refs, win}, 1); }),
                                 "IAD: no data events in the signal region [3.3"));
    const std::vector<Events> ref_no_sr{make({0.1}, {3.0})};
    CHECK(resanom_test::contains(error_of([&] { Iad{}.generate(GeneratorInput{data, ref_no_sr, win}, 1); }),
                                 "IAD: no reference events in the signal region"));
}

TEST_CASE("CWoLa: SR total = SB total = n/2, the sidebands equal halves; SB events form the template") {
    // 4 SR, 2 low-SB (3.1–3.3), 6 high-SB (3.7–3.9) events and 2 outside every region.
    const Events data = make({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13},
                             {3.4, 3.5, 3.6, 3.35, 3.15, 3.25, 3.75, 3.8, 3.85, 3.72, 3.78, 3.88, 2.0, 4.5},
                             {1, 1, 1, 1, 1, 3, 1, 1, 1, 1, 1, 1, 1, 1});
    const GeneratedTemplate g = Cwola{}.generate(GeneratorInput{data, {}, win}, 7);
    REQUIRE(g.training.size() == 12);
    CHECK(g.training.w.sum() == doctest::Approx(12.0));
    double sr = 0, low = 0, high = 0;
    for (Index r = 0; r < 12; ++r) {
        const Index d = g.data_row[static_cast<std::size_t>(r)];
        REQUIRE(d >= 0);
        CHECK(g.training.X(r, 0) == data.X()(d, 0));
        const double m = data.m()(d, 0);
        if (win.in_sr(m)) {
            CHECK(g.training.y[r] == 1.0);
            sr += g.training.w[r];
        } else {
            CHECK(g.training.y[r] == 0.0);
            (m < 3.3 ? low : high) += g.training.w[r];
        }
    }
    CHECK(sr == doctest::Approx(6.0));
    CHECK(low == doctest::Approx(3.0));
    CHECK(high == doctest::Approx(3.0));
    // Relative weights inside a region are kept: the low-SB events have weights 1 and 3.
    CHECK(g.training.w[4] == doctest::Approx(0.75));
    CHECK(g.training.w[5] == doctest::Approx(2.25));
    REQUIRE(g.background_template.has_value());
    CHECK(g.background_template->size() == 8);
    REQUIRE(g.template_row.size() == 8);
    for (std::size_t t = 0; t < 8; ++t) {
        const Index r = g.template_row[t];
        CHECK(g.training.y[r] == 0.0);
        CHECK(g.background_template->w()[static_cast<Index>(t)] == g.training.w[r]);
        CHECK(g.background_template->X()(static_cast<Index>(t), 0) == g.training.X(r, 0));
    }

    const Events no_low = make({0, 1}, {3.4, 3.8});
    CHECK(resanom_test::contains(error_of([&] { Cwola{}.generate(GeneratorInput{no_low, {}, win}, 1); }),
                                 "CWoLa: no data events in the low sideband [3.1"));
    const Events no_high = make({0, 1}, {3.4, 3.2});
    CHECK(resanom_test::contains(error_of([&] { Cwola{}.generate(GeneratorInput{no_high, {}, win}, 1); }),
                                 "CWoLa: no data events in the high sideband [3.7"));
    const Events no_sr = make({0, 1}, {3.2, 3.8});
    CHECK(resanom_test::contains(error_of([&] { Cwola{}.generate(GeneratorInput{no_sr, {}, win}, 1); }),
                                 "CWoLa: no data events in the signal region"));
}

TEST_CASE("SA-CWoLa: simulation with inverted labels, weight lambda, balanced like the data") {
    const Events data = make({0, 1, 2, 3}, {3.4, 3.5, 3.2, 3.8});  // n = 4: SR total 2
    const Events sim = make({10, 11, 12, 13, 14}, {3.4, 3.2, 3.25, 3.8, 3.0}, {1, 1, 3, 1, 1});
    const std::vector<Events> refs{sim};
    const GeneratedTemplate g = SaCwola(SaCwolaParams{0.5}).generate(GeneratorInput{data, refs, win}, 3);
    REQUIRE(g.training.size() == 8);  // 4 data + 4 simulation rows (one sim event outside)
    CHECK(g.data_row == IndexList{0, 1, 2, 3, -1, -1, -1, -1});
    CHECK_FALSE(g.background_template.has_value());
    // Simulation: SR label 0 with total λ·2 = 1; low SB label 1 total 0.5 (weights 1:3); high 0.5.
    CHECK(g.training.X(4, 0) == 10.0);
    CHECK(g.training.y[4] == 0.0);
    CHECK(g.training.w[4] == doctest::Approx(1.0));
    CHECK(g.training.y[5] == 1.0);
    CHECK(g.training.w[5] == doctest::Approx(0.125));
    CHECK(g.training.w[6] == doctest::Approx(0.375));
    CHECK(g.training.y[7] == 1.0);
    CHECK(g.training.w[7] == doctest::Approx(0.5));
    // Data rows exactly as CWoLa's.
    const GeneratedTemplate c = Cwola{}.generate(GeneratorInput{data, {}, win}, 3);
    CHECK(g.training.w.head(4) == c.training.w);
    CHECK(g.training.y.head(4) == c.training.y);
    // λ = 0 is CWoLa.
    const GeneratedTemplate z = SaCwola(SaCwolaParams{0.0}).generate(GeneratorInput{data, refs, win}, 3);
    CHECK(z.training.size() == 4);
    CHECK_THROWS_AS(SaCwola(SaCwolaParams{-1.0}), input_error);
    CHECK(resanom_test::contains(error_of([&] { SaCwola{}.generate(GeneratorInput{data, {}, win}, 1); }),
                                 "SA-CWoLa: needs exactly 1 reference sample"));
}

TEST_CASE("SALAD: g(x, m) on long sidebands, w = g/(1-g) on the SR simulation, template rows") {
    // Data: SR rows 0, 1; long-SB rows 2 (3.0), 3 (3.9), 4 (4.1); row 5 outside (4.5).
    const Events data = make({0.0, 0.5, 1.0, 2.0, 3.0, 9.0}, {3.4, 3.6, 3.0, 3.9, 4.1, 4.5});
    // Simulation: SR rows 0, 1, 2 (weights 1, 1, 2); long-SB rows 3, 4.
    const Events sim = make({0.0, 1.0, 2.0, -1.0, 1.0}, {3.35, 3.5, 3.65, 2.9, 4.0}, {1, 1, 2, 1, 3});
    const std::vector<Events> refs{sim};
    const Salad<LogisticStub> salad{LogisticStub{}};
    const GeneratedTemplate g = salad.generate(GeneratorInput{data, refs, win}, 5);
    REQUIRE(g.training.size() == 5);
    CHECK(g.data_row == IndexList{0, 1, -1, -1, -1});
    CHECK(g.template_row == IndexList{2, 3, 4});
    // μ0 = mean sim long-SB x0 = 0, so w_i ∝ exp(x0)·w_sim = (1, e, 2e²), scaled to the SR data total 2.
    const double raw[3] = {1.0, std::exp(1.0), 2.0 * std::exp(2.0)};
    const double s = raw[0] + raw[1] + raw[2];
    for (int i = 0; i < 3; ++i) {
        CHECK(g.training.y[2 + i] == 0.0);
        CHECK(g.training.w[2 + i] == doctest::Approx(2.0 * raw[i] / s));
        CHECK(g.background_template->w()[i] == g.training.w[2 + i]);
    }
    CHECK(g.training.w.head(2).sum() == doctest::Approx(2.0));
}

TEST_CASE("SALAD: the reweighter sees [x, m] of long-SB data (label 1) vs simulation (label 0), balanced") {
    const Events data = make({0.0, 0.5, 1.0, 2.0, 3.0}, {3.4, 3.6, 3.0, 3.9, 4.1});
    const Events sim = make({0.0, -1.0, 1.0}, {3.35, 2.9, 4.0}, {1, 1, 3});
    const std::vector<Events> refs{sim};
    const GeneratorInput in{data, refs, win};
    const Salad<LogisticStub> salad{LogisticStub{}};
    // A reweighter that checks its training set: long-SB rows only, [x, m], balanced classes.
    struct Checker {
        void fit(const TrainingSet& t, std::uint64_t) {
            REQUIRE(t.size() == 5);                 // 3 data + 2 sim long-SB rows
            REQUIRE(t.n_features() == 2);           // x and m
            CHECK(t.X(0, 1) == 3.0);                // m of data row 2
            CHECK(t.y.head(3).minCoeff() == 1.0);   // data label 1
            CHECK(t.y.tail(2).maxCoeff() == 0.0);   // simulation label 0
            const auto [w1, w0] = t.class_weights();
            CHECK(w1 == doctest::Approx(w0));       // q(z=1) = q(z=0)
            CHECK(t.w[4] == doctest::Approx(3.0 * t.w[3]));
        }
        Vector predict(const Matrix& X) const { return Vector::Constant(X.rows(), 0.5); }
    };
    const Salad<Checker> checker{Checker{}};
    const GeneratedTemplate g = checker.generate(in, 1);
    CHECK(g.background_template->w()[0] == doctest::Approx(2.0));  // g = ½ → w = 1, scaled to SR total 2

    CHECK(resanom_test::contains(error_of([&] { salad.generate(GeneratorInput{data, {}, win}, 1); }),
                                 "SALAD: needs exactly 1 reference sample"));
    const std::vector<Events> no_sb{make({0.0}, {3.4})};
    CHECK(resanom_test::contains(error_of([&] { salad.generate(GeneratorInput{data, no_sb, win}, 1); }),
                                 "SALAD: no simulation events in the long sidebands"));
    const std::vector<Events> no_sr{make({0.0}, {3.0})};
    CHECK(resanom_test::contains(error_of([&] { salad.generate(GeneratorInput{data, no_sr, win}, 1); }),
                                 "SALAD: no simulation events in the signal region"));
}

TEST_CASE("SALAD-Switch: each simulation reweighted by its own function, all in one training set") {
    const Events data = make({0.0, 0.5, 1.0, 2.0}, {3.4, 3.6, 3.0, 3.9});
    // Simulation 0: long-SB x0 mean 0; simulation 1: long-SB x0 mean 1.
    const Events s0 = make({0.0, -1.0, 1.0}, {3.5, 3.0, 4.0});
    const Events s1 = make({0.0, 0.0, 2.0}, {3.5, 3.0, 4.0});
    const std::vector<Events> refs{s0, s1};
    const GeneratedTemplate g = SaladSwitch<LogisticStub>(LogisticStub{}).generate(GeneratorInput{data, refs, win}, 2);
    REQUIRE(g.training.size() == 4);  // 2 SR data + one SR event per simulation
    // w0 = exp(0 − 0) = 1, w1 = exp(0 − 1): shares 1 : e⁻¹ of the SR data total 2.
    const double e1 = std::exp(-1.0);
    CHECK(g.training.w[2] == doctest::Approx(2.0 / (1.0 + e1)));
    CHECK(g.training.w[3] == doctest::Approx(2.0 * e1 / (1.0 + e1)));
    CHECK(resanom_test::contains(
        error_of([&] { SaladSwitch<LogisticStub>(LogisticStub{}).generate(GeneratorInput{data, {&s0, 1}, win}, 1); }),
        "SALAD-Switch: needs at least 2 reference samples"));
}

TEST_CASE("Multi-SALAD: concatenation is SALAD on the concatenated simulations; stratified shares") {
    const Events data = make({0.0, 0.5, 1.0, 2.0}, {3.4, 3.6, 3.0, 3.9});
    const Events s0 = make({0.0, -1.0, 1.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8},
                           {3.5, 3.0, 4.0, 3.4, 3.2, 3.9, 3.5, 3.5, 3.0, 4.1});
    const Events s1 = make({0.0, 0.0, 2.0, 0.1, 0.2, 0.3}, {3.5, 3.0, 4.0, 3.4, 3.2, 3.9});
    const std::vector<Events> refs{s0, s1};
    const GeneratorInput in{data, refs, win};
    const GeneratedTemplate m = MultiSalad<LogisticStub>(LogisticStub{}).generate(in, 4);
    const std::vector<Events> cat{concat(s0, s1)};
    const GeneratedTemplate s = Salad<LogisticStub>(LogisticStub{}).generate(GeneratorInput{data, cat, win}, 4);
    CHECK(m.training.X == s.training.X);
    CHECK(m.training.w == s.training.w);
    CHECK(m.template_row == s.template_row);

    MultiSaladParams p;
    p.sampling = SimulationSampling::stratified;
    CHECK(MultiSalad<LogisticStub>(LogisticStub{}, p).combined_reference(in, 1).size() == 12);  // 6 + 6
    const Events strat = MultiSalad<LogisticStub>(LogisticStub{}, p).combined_reference(in, 1);
    CHECK(strat.X() == MultiSalad<LogisticStub>(LogisticStub{}, p).combined_reference(in, 1).X());  // seeded
    CHECK(strat.X() != MultiSalad<LogisticStub>(LogisticStub{}, p).combined_reference(in, 2).X());
    p.fractions = {2.0, 1.0};
    CHECK(MultiSalad<LogisticStub>(LogisticStub{}, p).combined_reference(in, 1).size() == 15);  // 10 + 5
    p.fractions = {1.0};
    CHECK(resanom_test::contains(error_of([&] { MultiSalad<LogisticStub>(LogisticStub{}, p).generate(in, 1); }),
                                 "1 sampling fractions for 2 simulations"));
    CHECK(resanom_test::contains(
        error_of([&] { MultiSalad<LogisticStub>(LogisticStub{}).generate(GeneratorInput{data, {&s0, 1}, win}, 1); }),
        "Multi-SALAD: needs at least 2 reference samples"));
}

TEST_CASE("SALAD with an HGB reweighter is deterministic in the seed") {
    Rng rng(3);
    Matrix X(600, 2), M(600, 1), XS(600, 2), MS(600, 1);
    for (Index i = 0; i < 600; ++i) {
        X(i, 0) = normal(rng), X(i, 1) = normal(rng), M(i, 0) = uniform(rng, 2.8, 4.2);
        XS(i, 0) = normal(rng) + 0.8, XS(i, 1) = normal(rng), MS(i, 0) = uniform(rng, 2.8, 4.2);
    }
    const Events data(X, M), sim(XS, MS);
    const std::vector<Events> refs{sim};
    HgbParams hp;
    hp.max_iter = 20;
    hp.early_stopping = false;
    hp.threads = 1;
    const Salad<Hgb> salad{Hgb(hp)};
    const GeneratedTemplate a = salad.generate(GeneratorInput{data, refs, win}, 11);
    const GeneratedTemplate b = salad.generate(GeneratorInput{data, refs, win}, 11);
    CHECK(a.training.w == b.training.w);
    CHECK(a.background_template->w() == b.background_template->w());
    // Weights are finite, positive and not all equal (g learned the shift).
    CHECK(a.background_template->w().minCoeff() > 0.0);
    CHECK(a.background_template->w().maxCoeff() > a.background_template->w().minCoeff());
}

namespace {
// n events with k resonant features drawn from the label model of Chen et al. 2023, eq. 3.3: y ~ π,
// M_i = y with probability α_i; m_i inside window i ([0.4, 0.6)) iff M_i = 1.
Events label_model_sample(Index n, double pi, const std::vector<double>& alpha, std::uint64_t seed) {
    toys::MultiResonantToyParams p;
    p.n = n;
    p.class_balance = pi;
    p.accuracies = alpha;
    p.n_features = 1;
    p.shift = 0.0;  // x carries no information here: only the windows' votes matter
    return toys::multi_resonant_sample(p, seed).without_truth();
}
MultiWindow windows(Index k) { return MultiWindow{std::vector<Interval>(static_cast<std::size_t>(k), Interval{0.4, 0.6})}; }
}  // namespace

TEST_CASE("Multi-CWoLa: the triplet method recovers the accuracies of the label model") {
    const std::vector<double> alpha{0.9, 0.8, 0.7};
    const Events e = label_model_sample(200000, 0.3, alpha, 5);
    const MultiCwolaLabelModel mm = multi_cwola_label_model(e, windows(3), 0.3);
    // Standard error of each estimate ≈ 1/√n ≈ 0.002; 5 standard errors.
    for (int a = 0; a < 3; ++a) CHECK(mm.accuracy[a] == doctest::Approx(alpha[static_cast<std::size_t>(a)]).epsilon(0.015));
    // k = 4: estimates averaged over the triplets that contain each feature.
    const std::vector<double> alpha4{0.9, 0.8, 0.7, 0.85};
    const Events e4 = label_model_sample(200000, 0.3, alpha4, 6);
    const MultiCwolaLabelModel m4 = multi_cwola_label_model(e4, windows(4), 0.3);
    for (int a = 0; a < 4; ++a) CHECK(m4.accuracy[a] == doctest::Approx(alpha4[static_cast<std::size_t>(a)]).epsilon(0.015));
}

TEST_CASE("Multi-CWoLa: soft labels by Bayes' rule, every event a training row") {
    const Events e = label_model_sample(5000, 0.2, {0.9, 0.8, 0.7}, 9);
    const MultiCwolaParams p{0.2};
    const std::vector<Interval> wins(3, Interval{0.4, 0.6});
    GeneratorInput in{e, {}, win, MultiWindow{wins}};
    const GeneratedTemplate g = MultiCwola(p).generate(in, 1);
    const MultiCwolaLabelModel mm = multi_cwola_label_model(e, *in.multi, 0.2);
    REQUIRE(g.training.size() == e.size());
    for (Index i = 0; i < e.size(); ++i) CHECK(g.data_row[static_cast<std::size_t>(i)] == i);
    CHECK_FALSE(g.background_template.has_value());
    const Eigen::MatrixXi L = in.multi->labels(e);
    for (Index i = 0; i < 50; ++i) {
        double p1 = 0.2, p0 = 0.8;
        for (Index a = 0; a < 3; ++a) {
            const double al = mm.accuracy[a];
            p1 *= L(i, a) ? al : 1 - al;
            p0 *= L(i, a) ? 1 - al : al;
        }
        CHECK(g.training.y[i] == doctest::Approx(p1 / (p1 + p0)).epsilon(1e-12));
        CHECK(g.training.X(i, 0) == e.X()(i, 0));
    }
    // More window votes, higher soft label.
    for (Index i = 0; i < e.size(); ++i)
        if (L.row(i).sum() == 3) CHECK(g.training.y[i] > 0.5);

    CHECK(resanom_test::contains(error_of([&] { MultiCwola{}.generate(GeneratorInput{e, {}, win}, 1); }),
                                 "Multi-CWoLa: needs one window per resonant feature"));
    const std::vector<Interval> two(2, Interval{0.4, 0.6});
    CHECK(resanom_test::contains(error_of([&] { MultiCwola{}.generate(GeneratorInput{e, {}, win, MultiWindow{two}}, 1); }),
                                 "needs at least 3 resonant features"));
    const Events four = label_model_sample(100, 0.2, {0.9, 0.8, 0.7, 0.6}, 1);
    CHECK(resanom_test::contains(error_of([&] { MultiCwola{}.generate(GeneratorInput{four, {}, win, MultiWindow{wins}}, 1); }),
                                 "3 windows for the data's 4 resonant features"));
    CHECK_THROWS_AS(MultiCwola(MultiCwolaParams{1.0}), input_error);
}

TEST_CASE("Multi-CWoLa baselines: CWoLa on one feature, intersect, thresholds as features") {
    const Events e = label_model_sample(400, 0.2, {0.9, 0.8, 0.7}, 4);
    const MultiWindow mw = windows(3);
    const GeneratorInput in{e, {}, win, mw};
    const Eigen::MatrixXi L = mw.labels(e);

    const GeneratedTemplate c1 = CwolaOnFeature(1).generate(in, 1);
    REQUIRE(c1.training.size() == e.size());
    double w1 = 0, w0 = 0;
    for (Index r = 0; r < c1.training.size(); ++r) {
        const Index d = c1.data_row[static_cast<std::size_t>(r)];
        CHECK(c1.training.y[r] == static_cast<double>(L(d, 1)));
        (c1.training.y[r] == 1.0 ? w1 : w0) += c1.training.w[r];
    }
    CHECK(w1 == doctest::Approx(200.0));
    CHECK(w0 == doctest::Approx(200.0));

    const GeneratedTemplate ci = CwolaIntersect{}.generate(in, 1);
    for (Index r = 0; r < ci.training.size(); ++r) {
        const Index d = ci.data_row[static_cast<std::size_t>(r)];
        CHECK(ci.training.y[r] == (L.row(d).minCoeff() == 1 ? 1.0 : 0.0));
    }

    const CwolaThresholds ct(mw, 0);
    const Matrix F = ct.features(e);
    REQUIRE(F.cols() == 3);
    CHECK(F.col(1) == L.col(1).cast<double>());
    CHECK(F.col(2) == L.col(2).cast<double>());
    const GeneratedTemplate t = ct.generate(in, 1);
    REQUIRE(t.training.n_features() == 3);
    for (Index r = 0; r < t.training.size(); ++r) {
        const Index d = t.data_row[static_cast<std::size_t>(r)];
        CHECK(t.training.y[r] == static_cast<double>(L(d, 0)));
        CHECK(t.training.X.row(r) == F.row(d));
    }
    const MultiWindow other{std::vector<Interval>(3, Interval{0.3, 0.6})};
    CHECK(resanom_test::contains(error_of([&] { ct.generate(GeneratorInput{e, {}, win, other}, 1); }),
                                 "windows differ"));
    CHECK(resanom_test::contains(error_of([&] { CwolaOnFeature(5).generate(in, 1); }), "only 3 resonant features"));
    const MultiWindow disjoint{{Interval{0.4, 0.6}, Interval{0.0, 0.1}, Interval{0.9, 0.95}}};
    const Events few = label_model_sample(5, 0.2, {0.9, 0.8, 0.7}, 4);
    CHECK(resanom_test::contains(error_of([&] { CwolaIntersect{}.generate(GeneratorInput{few, {}, win, disjoint}, 1); }),
                                 "CWoLa + intersect: no event lies in the intersection of the windows"));
    CHECK(resanom_test::contains(error_of([&] { CwolaIntersect{}.generate(GeneratorInput{e, {}, win}, 1); }),
                                 "CWoLa + intersect: needs one window per resonant feature"));
}

TEST_CASE("CombinedSamples: SR data once, each template an equal share, data rows kept") {
    const Events data = make({0, 1, 2, 3, 4}, {3.4, 3.5, 3.2, 3.8, 3.75}, {1, 3, 1, 1, 1});  // SR total 4
    const Events ref = make({10, 11, 12}, {3.4, 3.45, 3.5});
    const std::vector<Events> refs{ref};
    const GeneratorInput in{data, refs, win};
    const GeneratedTemplate g = CombinedSamples<Iad, Cwola>().generate(in, 3);
    // Label 1: SR data rows 0, 1; IAD template: 3 rows; CWoLa template: 3 SB rows.
    REQUIRE(g.training.size() == 8);
    CHECK(g.training.y.head(2).minCoeff() == 1.0);
    CHECK(g.training.y.tail(6).maxCoeff() == 0.0);
    CHECK(g.training.w.segment(2, 3).sum() == doctest::Approx(2.0));
    CHECK(g.training.w.segment(5, 3).sum() == doctest::Approx(2.0));
    CHECK(g.data_row == IndexList{0, 1, -1, -1, -1, 2, 3, 4});
    CHECK(g.template_row == IndexList{2, 3, 4, 5, 6, 7});
    CHECK(g.background_template->size() == 6);
    struct NoTemplate {
        GeneratedTemplate generate(const GeneratorInput& i, std::uint64_t s) const {
            GeneratedTemplate t = Cwola{}.generate(i, s);
            t.background_template.reset();
            return t;
        }
    };
    CHECK(resanom_test::contains(error_of([&] { CombinedSamples<Cwola, NoTemplate>().generate(in, 1); }),
                                 "Combined: generator 1 produced no background template"));
}

}  // namespace unit_test_method_generators
