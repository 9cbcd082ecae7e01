// Tests of resanom/methods/lacathode.hpp with a user-written conditional density whose latent map
// is known exactly (x_j | m ~ N(a_j m + b_j, s_j²), z_j = (x_j − a_j m − b_j)/s_j): the training
// set and template are laid out as the method says (latent SR data against N(0, I) samples,
// oversampling, equal class weights), every event the classifier scores goes through the latent
// map, a cut on a feature that follows m sculpts the spectrum under CATHODE and not under
// LaCATHODE, the pipeline finds an injected signal, and errors are precise.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "resanom/methods/cathode.hpp"
#include "resanom/methods/combine.hpp"
#include "resanom/methods/lacathode.hpp"
#include "resanom/methods/pipeline.hpp"
#include "resanom/stats/metrics.hpp"
#include "linear_gaussian_toy.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_lacathode {

using namespace resanom;

namespace {

using resanom_test::LinearGaussian;
static_assert(LatentDensityEstimator<LinearGaussian>);
static_assert(TemplateGenerator<LaCathode<LinearGaussian>>);

Events toy(Index n_bkg, Index n_sig, std::uint64_t seed) { return resanom_test::linear_gaussian_toy(n_bkg, n_sig, seed); }

// A fixed "classifier" that scores by one input column (never trained): what it sees is exactly
// what the generator hands it.
struct ByColumn {
    Index col = 0;
    void fit(const TrainingSet&, std::uint64_t) {}
    Vector predict(const Matrix& X) const { return X.col(col); }
};

struct Nothing {
    std::vector<Significance> evaluate(const StatisticInput&) const { return {}; }
};

const Window window = Window::with_sidebands({3.3, 3.7}, 0.2, 0.5);

}  // namespace

TEST_CASE("LaCATHODE: latent SR data against N(0, I) samples, oversampled, equal weights; inputs map events") {
    const Events data = toy(20000, 0, 1);
    const LaCathode<LinearGaussian> g(LinearGaussian{}, CathodeParams{3});
    const GeneratedTemplate t = g.generate({data, {}, window}, 5);
    const IndexList sr = sr_rows(data, window);
    const auto n_sr = static_cast<Index>(sr.size());
    REQUIRE(t.training.size() == 4 * n_sr);
    CHECK(t.training.y.head(n_sr).isOnes());
    CHECK(t.training.y.tail(3 * n_sr).isZero());
    CHECK(t.training.w.head(n_sr).sum() == doctest::Approx(t.training.w.tail(3 * n_sr).sum()));
    REQUIRE(t.background_template.has_value());
    CHECK(t.background_template->size() == 3 * n_sr);
    REQUIRE(static_cast<bool>(t.inputs));

    // The density was fitted outside the SR: its latent map is the exact one up to the fit's
    // sampling error; the training rows of the data are their latent coordinates.
    LinearGaussian ref;
    const IndexList out = rows_outside(data, window.sr, 0);
    ref.fit(data.X()(out, Eigen::all), Matrix(data.m(0)(out)), 0);
    const Matrix z_sr = ref.latent(data.X()(sr, Eigen::all), Matrix(data.m(0)(sr)));
    CHECK((t.training.X.topRows(n_sr) - z_sr).cwiseAbs().maxCoeff() < 1e-12);
    const Matrix z_all = t.inputs(data);
    CHECK((z_all - ref.latent(data.X(), Matrix(data.m(0)))).cwiseAbs().maxCoeff() < 1e-12);

    // The template is N(0, I): means 0 and variances 1 within their sampling error (0.007, 0.01).
    const Matrix& Z = t.background_template->X();
    for (Index j = 0; j < 2; ++j) {
        CHECK(std::abs(Z.col(j).mean()) < 0.03);
        CHECK(std::abs((Z.col(j).array() - Z.col(j).mean()).square().mean() - 1.0) < 0.04);
    }
    // its m lies in the SR
    CHECK(t.background_template->m(0).minCoeff() >= 3.3);
    CHECK(t.background_template->m(0).maxCoeff() < 3.7);
    // same seed, same template; another seed, another
    CHECK(g.generate({data, {}, window}, 5).training.X == t.training.X);
    CHECK(g.generate({data, {}, window}, 6).training.X != t.training.X);
}

TEST_CASE("LaCATHODE: a cut on a feature that follows m sculpts under CATHODE, not in the latent space") {
    // Background only. x0 = 0.5 m + N(0,1): cutting on x0 itself selects high m. The same cut in
    // LaCATHODE's latent space (z0) passes every m region alike.
    const Events data = toy(200000, 0, 2);
    const PipelineSettings s{5, {0.01}};
    const WeakSupervision<Cathode<LinearGaussian>, ByColumn, Nothing> cathode(Cathode<LinearGaussian>{}, ByColumn{0}, {}, s);
    const WeakSupervision<LaCathode<LinearGaussian>, ByColumn, Nothing> lacathode(LaCathode<LinearGaussian>{}, ByColumn{0},
                                                                                   {}, s);
    PipelineInput in{data, {}, window};
    in.judge = false;
    const Vector m = data.m(0);
    // pass rate of the top 5 % (threshold from the SR) in m < 3.0 and m ≥ 4.0 (x0 0.3σ lower and
    // higher than in the SR: 2.6 % and 8.9 % pass a cut on x0)
    auto pass_rates = [&](const Vector& score) {
        std::vector<double> sr_scores;
        for (Index i = 0; i < m.size(); ++i)
            if (m[i] >= 3.3 && m[i] < 3.7) sr_scores.push_back(score[i]);
        std::sort(sr_scores.begin(), sr_scores.end());
        const double thr = sr_scores[static_cast<std::size_t>(0.95 * static_cast<double>(sr_scores.size()))];
        double lo_pass = 0, lo_n = 0, hi_pass = 0, hi_n = 0;
        for (Index i = 0; i < m.size(); ++i) {
            if (m[i] < 3.0) lo_n += 1, lo_pass += score[i] > thr;
            if (m[i] >= 4.0) hi_n += 1, hi_pass += score[i] > thr;
        }
        return std::pair{lo_pass / lo_n, hi_pass / hi_n};
    };
    const auto [c_lo, c_hi] = pass_rates(cathode.run(in, 3).data_score);
    const auto [l_lo, l_hi] = pass_rates(lacathode.run(in, 3).data_score);
    // Each band holds about 28 500 events: a 5 % pass rate is known to ±0.0013.
    CHECK(c_lo < 0.035);   // CATHODE: fewer pass below the SR ...
    CHECK(c_hi > 0.065);   // ... more above it
    CHECK(std::abs(l_lo - 0.05) < 0.005);   // LaCATHODE: as many as in the SR
    CHECK(std::abs(l_hi - 0.05) < 0.005);
}

TEST_CASE("LaCATHODE: the pipeline finds an injected signal scored in the latent space; combining it is refused") {
    const Events data = toy(40000, 600, 3);
    const PipelineSettings s{5, {0.01}};
    const WeakSupervision<LaCathode<LinearGaussian>, ByColumn, Nothing> p(LaCathode<LinearGaussian>{}, ByColumn{1}, {}, s);
    const Events test = toy(5000, 5000, 4);
    PipelineInput in{data, {}, window};
    in.test = &test;
    const WindowResult r = p.run(in, 1);
    // The score is z1 = (x1 − b1)/s1: signal sits 3σ above the background.
    CHECK(auc(r.test_score, test.truth()) > 0.95);
    // the template is scored in the latent space too: about half of N(0, 1) lies above 0
    REQUIRE(r.template_score.has_value());
    const double above = (r.template_score->array() > 0.0).cast<double>().mean();
    CHECK(std::abs(above - 0.5) < 0.02);

    // On x0 the latent map moves events by about 1.75 (0.5·m): test events must be mapped once,
    // the template (already latent) not at all. The scores are the latent z0 itself.
    const WeakSupervision<LaCathode<LinearGaussian>, ByColumn, Nothing> p0(LaCathode<LinearGaussian>{}, ByColumn{0}, {}, s);
    const WindowResult r0 = p0.run(in, 1);
    LinearGaussian ref;
    const Events clean = data.without_truth();
    const IndexList out = rows_outside(clean, window.sr, 0);
    ref.fit(clean.X()(out, Eigen::all), Matrix(clean.m(0)(out)), 0);
    CHECK((r0.test_score - ref.latent(test.X(), Matrix(test.m(0))).col(0)).cwiseAbs().maxCoeff() < 1e-12);
    REQUIRE(r0.template_score.has_value());
    const double above0 = (r0.template_score->array() > 0.0).cast<double>().mean();
    CHECK(std::abs(above0 - 0.5) < 0.02);   // mapped twice, about 4 % would lie above 0

    const CombinedSamples<Cathode<LinearGaussian>, LaCathode<LinearGaussian>> both(Cathode<LinearGaussian>{},
                                                                             LaCathode<LinearGaussian>{});
    CHECK_THROWS_WITH_AS(both.generate({data.without_truth(), {}, window}, 1),
                         doctest::Contains("latent space"), input_error);
}

TEST_CASE("LaCATHODE: errors name the region") {
    const Events data = toy(2000, 0, 5);
    const LaCathode<LinearGaussian> g;
    const Window empty = Window::with_sidebands({5.0, 5.2}, 0.2, 0.5);
    CHECK_THROWS_WITH_AS(g.generate({data, {}, empty}, 1), doctest::Contains("signal region"), input_error);
    CHECK_THROWS_AS(LaCathode<LinearGaussian>(LinearGaussian{}, CathodeParams{0}), input_error);
}

}  // namespace unit_test_lacathode
