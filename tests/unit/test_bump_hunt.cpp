// Tests of resanom/stats/bump_hunt.hpp: the TestStatistic concept; on a dijet-toy spectrum with
// uninformative scores, an injected high-score bump at 3.5 TeV is found after the cut and nothing
// is found without it; the threshold comes from the template or from the data; bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "resanom/core/random.hpp"
#include "resanom/stats/bump_hunt.hpp"
#include "resanom/toys/dijet.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_bump_hunt {

using namespace resanom;

static_assert(TestStatistic<BumpHunt>);

namespace {
StatisticInput make_input(Index n_bkg, Index n_sig, std::uint64_t seed) {
    toys::DijetSpectrum spec;
    spec.m_lo = 2.6;
    spec.m_hi = 5.0;
    const toys::DijetMassSampler sampler(spec);
    Rng rng(seed);
    StatisticInput in;
    const Index n = n_bkg + n_sig;
    in.data = ScoredEvents{Vector(n), Vector(n), Vector()};
    for (Index i = 0; i < n_bkg; ++i) {
        in.data.m[i] = sampler(rng);
        in.data.score[i] = uniform01(rng);
    }
    for (Index i = n_bkg; i < n; ++i) {
        in.data.m[i] = normal(rng, 3.5, 0.1);
        in.data.score[i] = 0.99 + 0.01 * uniform01(rng);
    }
    ScoredEvents t{Vector(50000), Vector(), Vector()};
    for (Index i = 0; i < t.score.size(); ++i) t.score[i] = uniform01(rng);
    in.background_template = t;
    in.window = Window::with_sidebands({3.3, 3.7});
    in.eps_b = {1.0, 0.05};
    return in;
}
}  // namespace

TEST_CASE("an injected bump is found after the cut, not before; no bump, no excess") {
    const auto with = BumpHunt().evaluate(make_input(200000, 600, 1));
    REQUIRE(with.size() == 2);
    INFO("no cut: z = " << with[0].z << ", eps 0.05: z = " << with[1].z);
    CHECK(with[0].z < 4.0);   // S/√B ≈ 600/√27000 ≈ 3.6 before the cut, less after the fit's σ
    CHECK(with[1].z > 8.0);   // ≈ 600/√1400 after the cut
    CHECK(with[1].n_obs - with[1].n_exp == doctest::Approx(600).epsilon(0.2));
    CHECK(with[1].threshold == doctest::Approx(0.95).epsilon(0.01));
    const auto without = BumpHunt().evaluate(make_input(200000, 0, 2));
    CHECK(without[0].z < 3.0);
    CHECK(without[1].z < 3.0);
    // Cut on the data itself ("top x %", CWoLa Hunting) instead of the template.
    BumpHuntConfig c;
    c.cut = BumpHuntCut::data;
    const auto data_cut = BumpHunt(c).evaluate(make_input(200000, 600, 1));
    CHECK(data_cut[1].z > 8.0);
    CHECK(data_cut[1].threshold < 1.0);
}

TEST_CASE("bad input") {
    auto in = make_input(1000, 0, 3);
    in.data.m.resize(10);
    CHECK_THROWS_AS(BumpHunt().evaluate(in), input_error);
    in = make_input(1000, 0, 3);
    in.data.m[5] = std::nan("");
    CHECK_THROWS_WITH_AS(BumpHunt().evaluate(in), doctest::Contains("row 5"), input_error);
    in = make_input(1000, 0, 3);
    in.window = Window::with_sidebands({2.0, 6.0});
    CHECK_THROWS_WITH_AS(BumpHunt().evaluate(in), doctest::Contains("whole fit range"), input_error);
    BumpHuntConfig c;
    c.edges = {1.0};
    CHECK_THROWS_AS(BumpHunt{c}, input_error);
}

TEST_CASE("a working point whose fit fails: an error, or status fit_failed with NaN when asked to skip") {
    auto in = make_input(20000, 0, 4);
    in.eps_b = {0.5, 1e-4};   // 1e-4 of the template passes: two data events, the fit cannot work
    CHECK_THROWS_AS(BumpHunt().evaluate(in), error);
    BumpHuntConfig c;
    c.skip_failed_fits = true;
    const auto out = BumpHunt(c).evaluate(in);
    REQUIRE(out.size() == 2);
    CHECK(std::isfinite(out[0].z));
    CHECK(std::isnan(out[1].z));
    CHECK(std::isnan(out[1].n_exp));
    CHECK(std::isnan(out[1].p_value));
    CHECK(out[1].status == WorkingPointStatus::fit_failed);
    CHECK_FALSE(out[1].counts());
    CHECK(out[0].counts());
    CHECK(out[1].statistic == "bumphunt");
    // n_obs still counts the selected SR events.
    double n = 0;
    for (Index i = 0; i < in.data.score.size(); ++i)
        if (in.data.score[i] >= out[1].threshold && in.window.sr.contains(in.data.m[i])) n += 1;
    CHECK(out[1].n_obs == n);
}

TEST_CASE("a working point whose sidebands hold fewer selected events than the rule asks is unreached") {
    auto in = make_input(20000, 0, 5);
    in.eps_b = {0.05, 1e-3};   // 1e-3: 50 template events pass (reached by ε), but only ≈ 20 data events
    const auto out = BumpHunt().evaluate(in);
    REQUIRE(out.size() == 2);
    CHECK(out[0].status == WorkingPointStatus::ok);
    CHECK(std::isfinite(out[0].z));
    CHECK(out[1].status == WorkingPointStatus::unreached);
    CHECK(std::isnan(out[1].z));
    CHECK_FALSE(out[1].counts());
    // Count the selected sideband events of the fit range by hand: below the rule's 40.
    double sb = 0.0;
    for (Index i = 0; i < in.data.score.size(); ++i)
        if (in.data.score[i] >= out[1].threshold && !in.window.sr.contains(in.data.m[i]) && in.data.m[i] >= 2.6 &&
            in.data.m[i] < 5.0)
            sb += 1.0;
    CHECK(sb < 40.0);
    CHECK(sb > 0.0);
    // Without the rule the same point is judged (or its fit fails), never silently unreached.
    BumpHuntConfig c;
    c.min_sideband_events_per_parameter = 0.0;
    c.skip_failed_fits = true;
    const auto loose = BumpHunt(c).evaluate(in);
    CHECK(loose[1].status != WorkingPointStatus::unreached);
    // The rule counts per parameter of the fit function: on a short range, sidebands that hold
    // between 20 and 40 selected events carry the linear fit (two parameters) but not the dijet
    // function (four).
    auto near = make_input(60000, 0, 6);
    near.eps_b = {1.5e-3};
    BumpHuntConfig dijet_near, linear_near;
    dijet_near.edges = linear_near.edges = uniform_edges(3.0, 4.0, 10);
    linear_near.fit.function = FitFunction::linear;
    dijet_near.skip_failed_fits = linear_near.skip_failed_fits = true;
    const auto by_dijet = BumpHunt(dijet_near).evaluate(near);
    const auto by_line = BumpHunt(linear_near).evaluate(near);
    double sb_near = 0.0;
    for (Index i = 0; i < near.data.score.size(); ++i)
        if (near.data.score[i] >= by_line[0].threshold && !near.window.sr.contains(near.data.m[i]) &&
            near.data.m[i] >= 3.0 && near.data.m[i] < 4.0)
            sb_near += 1.0;
    INFO("selected sideband events: " << sb_near);
    CHECK(sb_near >= 20.0);
    CHECK(sb_near < 40.0);
    CHECK(by_dijet[0].status == WorkingPointStatus::unreached);
    CHECK(by_line[0].status == WorkingPointStatus::ok);
    c.min_sideband_events_per_parameter = -1.0;
    CHECK_THROWS_AS(BumpHunt{c}, input_error);
    c.min_sideband_events_per_parameter = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(BumpHunt{c}, input_error);
}

}  // namespace unit_test_bump_hunt
