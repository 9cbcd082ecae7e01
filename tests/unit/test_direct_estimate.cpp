// Tests of resanom/stats/direct_estimate.hpp (Das et al. 2024, §3): the working point, eq. 3, eq. 8 and
// eq. 6 by hand; δ_sys from a reference (eqs. 4–5) and sidebands, their quadrature combination; the
// null distribution of the signed significance; the TestStatistic concept; bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "resanom/core/random.hpp"
#include "resanom/stats/direct_estimate.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_direct_estimate {

using namespace resanom;

static_assert(TestStatistic<DirectEstimate>);

namespace {
// Template: 1000 events with scores 0..999. Data: 2000 SR background events with scores
// i mod 1000 and 50 signal events with score 2000, plus 100 events outside the SR.
StatisticInput hand_input() {
    StatisticInput in;
    ScoredEvents t{Vector(1000), Vector(), Vector()};
    for (Index i = 0; i < 1000; ++i) t.score[i] = static_cast<double>(i);
    in.background_template = t;
    const Index n = 2150;
    in.data = ScoredEvents{Vector(n), Vector(n), Vector::Ones(n)};
    for (Index i = 0; i < n; ++i) {
        in.data.score[i] = i < 2000 ? static_cast<double>(i % 1000) : 2000.0;
        in.data.m[i] = i < 2050 ? 3.5 : 4.5;
    }
    in.window = Window::with_sidebands({3.3, 3.7});
    in.eps_b = {0.1, 0.01};
    return in;
}
// δ_sys = σ_sys = 0, stated: the idealized template.
DirectEstimate ideal() {
    DirectEstimateConfig c;
    c.delta_sys = 0.0;
    return DirectEstimate(c);
}
}  // namespace

TEST_CASE("eq. 3, eq. 8 and eq. 6 by hand") {
    const auto r = ideal().evaluate(hand_input());
    REQUIRE(r.size() == 2);
    CHECK(r[0].threshold == 900.0);
    CHECK(r[0].n_obs == 250.0);                       // 200 background + 50 signal
    CHECK(r[0].n_exp == doctest::Approx(0.1 * 2050));  // ε_B N_SR, δ_sys = 0
    const double rel = std::sqrt(1.0 / (0.1 * 1000));  // 1/√(ε_B N_BT)
    CHECK(r[0].sigma_exp == doctest::Approx(rel * 205));
    CHECK(r[0].z == doctest::Approx(asimov_significance(250, 205, rel).z));
    CHECK(r[0].p_value == doctest::Approx(p_value_of_z(r[0].z)));
    CHECK(r[1].n_obs == 70.0);  // 20 + 50
    CHECK(r[1].n_exp == doctest::Approx(20.5));

    DirectEstimateConfig c;
    c.delta_sys = 0.2;  // σ_sys defaults to δ_sys (Das et al. 2024, §3.1)
    c.per_eps_b = {{0.01, -0.1, 0.05}};
    const auto s = DirectEstimate(c).evaluate(hand_input());
    CHECK(s[0].n_exp == doctest::Approx(205 * 1.2));
    CHECK(s[0].sigma_exp == doctest::Approx(std::sqrt(0.01 + 0.04) * 246));
    CHECK(s[1].n_exp == doctest::Approx(20.5 * 0.9));
    CHECK(s[1].sigma_exp == doctest::Approx(std::sqrt(1.0 / 10 + 0.05 * 0.05) * 18.45));
}

TEST_CASE("sigma helpers (eqs. 8, 9)") {
    CHECK(sigma_exp_relative(0.01, 1e4, 0.0) == doctest::Approx(0.1));
    CHECK(sigma_exp_relative(0.01, 1e4, 0.1) == doctest::Approx(std::sqrt(0.02)));
    CHECK(sigma_stat_relative(100, 0.01, 1e4) == doctest::Approx(std::sqrt(0.02)));
}

TEST_CASE("δ_sys from a signal-free reference (eqs. 4-5), from sidebands, in quadrature") {
    CHECK(delta_sys_window(120, 1000, 0.1) == doctest::Approx(0.2));
    // Window 1: the reference passes 12 % where the template passes 10 % (δ = 0.2);
    // window 2: 9 % (δ = −0.1). Eq. 5 averages: 0.05.
    auto make = [](int pass_per_100) {
        ReferenceWindow w;
        w.templ = ScoredEvents{Vector(1000), Vector(), Vector()};
        for (Index i = 0; i < 1000; ++i) w.templ.score[i] = static_cast<double>(i % 100);  // top 10: scores 90..99
        w.reference = ScoredEvents{Vector(1000), Vector(), Vector()};
        for (Index i = 0; i < 1000; ++i) w.reference.score[i] = (i % 100) < pass_per_100 ? 95.0 : 0.0;
        return w;
    };
    std::vector<ReferenceWindow> ws{make(12), make(9)};
    CHECK(delta_sys_from_reference(ws, 0.1) == doctest::Approx(0.05));
    std::vector<ReferenceWindow> sb{make(13)};
    CHECK(delta_sys_from_sidebands(sb, 0.1) == doctest::Approx(0.3));
    CHECK(delta_sys_combined(0.05, 0.3) == doctest::Approx(std::sqrt(0.05 * 0.05 + 0.09)));
    CHECK_THROWS_AS(delta_sys_from_reference(std::span<const ReferenceWindow>(), 0.1), input_error);
    // Each window's own shift, in order.
    const std::vector<double> per = delta_sys_per_window(ws, 0.1);
    REQUIRE(per.size() == 2);
    CHECK(per[0] == doctest::Approx(0.2));
    CHECK(per[1] == doctest::Approx(-0.1));
}

TEST_CASE("σ_sys from the windows' shifts: |mean| (Das et al. 2024), their RMS, or net of the statistical noise") {
    const std::vector<double> per{0.2, -0.1, 0.05, 0.25};
    // mean 0.1; mean square (0.04 + 0.01 + 0.0025 + 0.0625) / 4 = 0.02875.
    const SystematicShift paper = systematic_shift(0.01, per, SigmaSys::abs_mean);
    CHECK(paper.eps_b == 0.01);
    CHECK(paper.delta_sys == doctest::Approx(0.1));
    CHECK(*paper.sigma_sys == doctest::Approx(0.1));
    const SystematicShift rms = systematic_shift(0.01, per, SigmaSys::rms);
    CHECK(rms.delta_sys == doctest::Approx(0.1));
    CHECK(*rms.sigma_sys == doctest::Approx(std::sqrt(0.02875)));
    // A negative mean shift: |mean|, and the RMS is never below it.
    const std::vector<double> neg{-0.3, -0.1};
    CHECK(*systematic_shift(0.1, neg, SigmaSys::abs_mean).sigma_sys == doctest::Approx(0.2));
    CHECK(*systematic_shift(0.1, neg, SigmaSys::rms).sigma_sys == doctest::Approx(std::sqrt(0.05)));
    // One shift in every window: both rules agree.
    const std::vector<double> same{0.15, 0.15, 0.15};
    CHECK(*systematic_shift(0.1, same, SigmaSys::rms).sigma_sys == doctest::Approx(0.15));
    // ReferenceShift and systematic_shifts apply the rule per working point.
    const std::vector<ReferenceShift> shifts{{0.1, per}, {0.01, neg}};
    const auto out = systematic_shifts(shifts, SigmaSys::rms);
    REQUIRE(out.size() == 2);
    CHECK(out[1].eps_b == 0.01);
    CHECK(out[1].delta_sys == doctest::Approx(-0.2));
    CHECK(*out[1].sigma_sys == doctest::Approx(std::sqrt(0.05)));
    // The larger σ_sys lowers the significance of one and the same excess (eq. 8 into eq. 6).
    DirectEstimateConfig c_mean, c_rms;
    c_mean.per_eps_b = {paper};
    c_rms.per_eps_b = {rms};
    ScoredEvents data{Vector::LinSpaced(20000, 0.0, 1.0), Vector(), Vector()};
    ScoredEvents templ{Vector::LinSpaced(20000, 0.0, 1.0), Vector(), Vector()};
    for (Index i = 19600; i < 20000; ++i) data.score[i] = 1.0;   // 400 events at the top instead of 200
    StatisticInput in{data, templ, Window::with_sidebands({0.0, 1.0}), {0.01}};
    const double z_mean = DirectEstimate(c_mean).evaluate(in)[0].z, z_rms = DirectEstimate(c_rms).evaluate(in)[0].z;
    CHECK(z_mean > 0.0);
    CHECK(z_rms > 0.0);
    CHECK(z_rms < z_mean);
    CHECK_THROWS_AS(systematic_shift(0.1, std::vector<double>{}, SigmaSys::rms), input_error);
    // net: δ² + s_t² + (s_t² + v̄)/N, s_t² = max(0, s² − v̄), s² the sample variance. Shifts 0.2,
    // −0.1, 0.05, 0.25 (mean 0.1, sample variance 0.075/3 = 0.025) with variances 0.01, 0.01,
    // 0.02, 0.02 (v̄ = 0.015): s_t² = 0.01, σ² = 0.01 + 0.01 + 0.025/4.
    const std::vector<double> var{0.01, 0.01, 0.02, 0.02};
    const SystematicShift net = systematic_shift(0.01, per, SigmaSys::net, var);
    CHECK(net.delta_sys == doctest::Approx(0.1));
    CHECK(*net.sigma_sys == doctest::Approx(std::sqrt(0.01 + 0.01 + 0.025 / 4.0)));
    // Noise larger than the spread: s_t² = 0, σ² = δ² + v̄/N.
    const std::vector<double> big{0.1, 0.1, 0.1, 0.1};
    CHECK(*systematic_shift(0.01, per, SigmaSys::net, big).sigma_sys == doctest::Approx(std::sqrt(0.01 + 0.1 / 4.0)));
    // One window: its own noise, σ² = δ² + v.
    CHECK(*systematic_shift(0.01, std::vector<double>{0.3}, SigmaSys::net, std::vector<double>{0.04}).sigma_sys ==
          doctest::Approx(std::sqrt(0.09 + 0.04)));
    // Unmeasured windows drop out with their variance; the rule needs one variance per window.
    CHECK(*systematic_shift(0.01, std::vector<double>{0.3, std::nan("")}, SigmaSys::net,
                            std::vector<double>{0.04, std::nan("")}).sigma_sys == doctest::Approx(std::sqrt(0.13)));
    CHECK_THROWS_AS(systematic_shift(0.01, per, SigmaSys::net), input_error);
    // The noise-subtracted rule is never above the RMS rule when the noise is at most the spread.
    CHECK(*net.sigma_sys <= *systematic_shift(0.01, per, SigmaSys::rms).sigma_sys);
    CHECK_THROWS_AS(systematic_shift(0.1, std::vector<double>{0.1, INFINITY}, SigmaSys::rms), input_error);
    // A window whose template could not resolve ε_B (NaN) is left out; with none, or a mean of −1
    // (nothing passed anywhere), the shift is not measurable: NaN.
    CHECK(systematic_shift(0.1, std::vector<double>{0.1, std::nan(""), 0.3}, SigmaSys::abs_mean).delta_sys ==
          doctest::Approx(0.2));
    CHECK(std::isnan(systematic_shift(0.1, std::vector<double>{std::nan("")}, SigmaSys::rms).delta_sys));
    CHECK(std::isnan(systematic_shift(0.1, std::vector<double>{-1.0, -1.0}, SigmaSys::rms).delta_sys));
}

TEST_CASE("background only: the signed significance is centred with unit-order spread") {
    // Data and template from the same distribution; 300 experiments; N_exp ≈ 50 at ε_B = 0.01.
    Rng rng(21);
    std::vector<double> z;
    for (int e = 0; e < 300; ++e) {
        StatisticInput in;
        in.window = Window::with_sidebands({3.3, 3.7});
        in.eps_b = {0.01};
        ScoredEvents t{Vector(20000), Vector(), Vector()};
        for (Index i = 0; i < t.score.size(); ++i) t.score[i] = normal(rng);
        in.background_template = t;
        in.data = ScoredEvents{Vector(5000), Vector::Constant(5000, 3.5), Vector()};
        for (Index i = 0; i < 5000; ++i) in.data.score[i] = normal(rng);
        z.push_back(ideal().evaluate(in)[0].z);
    }
    double mean = 0, var = 0;
    for (double v : z) mean += v / 300;
    for (double v : z) var += (v - mean) * (v - mean) / 299;
    INFO("mean " << mean << ", sd " << std::sqrt(var));
    CHECK(std::fabs(mean) < 0.25);  // 4 standard errors of the mean allow ±0.23, plus Poisson skew
    CHECK(std::sqrt(var) > 0.8);
    CHECK(std::sqrt(var) < 1.2);
}

TEST_CASE("bad input") {
    StatisticInput in = hand_input();
    in.background_template.reset();
    CHECK_THROWS_WITH_AS(DirectEstimate().evaluate(in), doctest::Contains("background template"), input_error);
    in = hand_input();
    in.window = Window::with_sidebands({5.0, 5.5});
    CHECK_THROWS_WITH_AS(ideal().evaluate(in), doctest::Contains("no data events in the signal region"), input_error);
    in = hand_input();
    in.data.score[3] = std::nan("");
    CHECK_THROWS_WITH_AS(ideal().evaluate(in), doctest::Contains("row 3"), input_error);
    in = hand_input();
    in.eps_b = {0.0};
    CHECK_THROWS_AS(ideal().evaluate(in), input_error);
    DirectEstimateConfig c;
    c.delta_sys = -1.5;
    CHECK_THROWS_AS(DirectEstimate{c}, input_error);
}

}  // namespace unit_test_direct_estimate
