// Tests of resanom/search/summary.hpp on a hand-made search result (nothing trained): the focus
// window, the direct estimate's cut spectrum, score densities, the significance table, ROC points
// and the range of measured shifts, against values computed by hand; errors for bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "resanom/search/summary.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_search_summary {

using namespace resanom;

namespace {

Significance direct(double eps_b, double threshold, double z) {
    Significance s;
    s.eps_b = eps_b, s.threshold = threshold, s.z = z, s.statistic = "direct";
    return s;
}

/// Six events, m = 3.1 … 3.9 with scores; two windows, the second the most significant.
struct Fixture {
    Events data{Matrix::Zero(6, 1), (Matrix(6, 1) << 3.1, 3.35, 3.45, 3.55, 3.65, 3.9).finished()};
    SearchRun run;
    SearchConfig config;
    Fixture() {
        run.bump_hunt.edges = {3.0, 3.2, 3.4, 3.6, 3.8, 4.0};
        WindowReport a, b;
        a.window = Window::with_sidebands(Interval{3.0, 3.3});
        b.window = Window::with_sidebands(Interval{3.3, 3.7});
        a.result.data_score = b.result.data_score = (Vector(6) << 0.1, 0.9, 0.2, 0.8, 0.7, 0.95).finished();
        a.result.significances = {direct(0.1, 0.5, 1.0)};
        b.result.significances = {direct(0.1, 0.75, 2.5), direct(0.01, 0.99, 0.5)};
        run.report.windows = {a, b};
        run.report.max_window = 1;
        config.eps_b = {0.1, 0.01};
    }
};

}  // namespace

TEST_CASE("summary: focus window, the direct cut's spectrum, no fit and no pulls") {
    Fixture f;
    CHECK(focus_window(f.run.report) == 1);
    CHECK(has_spectrum(f.run, f.data));
    const FocusSpectrum s = focus_spectrum(f.run, f.config, f.data);
    REQUIRE(s.all.bins() == 5);
    const std::vector<double> all{1, 1, 2, 1, 1};
    for (Index b = 0; b < 5; ++b) CHECK(s.all.counts()[b] == all[static_cast<std::size_t>(b)]);
    REQUIRE(s.cuts.size() == 2);
    // score >= 0.75: m = 3.35, 3.55, 3.9
    const std::vector<double> cut{0, 1, 1, 0, 1};
    for (Index b = 0; b < 5; ++b) CHECK(s.cuts[0].selected.counts()[b] == cut[static_cast<std::size_t>(b)]);
    CHECK(s.cuts[1].selected.counts().sum() == 0.0);   // score >= 0.99: none
    CHECK_FALSE(s.any_fit());
    CHECK(s.cuts[0].pull.size() == 5);
    CHECK(std::isnan(s.cuts[0].pull[2]));
    CHECK_FALSE(any_working_point(f.run.report, WorkingPointStatus::fit_failed));
}

TEST_CASE("summary: score densities integrate to one, no template gives NaN") {
    Fixture f;
    const DensityPair d = score_densities(f.run, f.data);   // SR [3.3, 3.7): scores 0.9, 0.2, 0.8, 0.7
    REQUIRE(d.data.size() == 40);
    const double width = d.bins.width(0);
    CHECK(d.data.sum() * width == doctest::Approx(1.0));
    CHECK(d.data[0] == doctest::Approx(0.25 / width));   // 0.2 is the lowest score
    CHECK(std::isnan(d.other[0]));
    CHECK_FALSE(cathode_marginals(f.run, f.data).has_value());
}

TEST_CASE("summary: significance table, NaN where a window has fewer verdicts") {
    Fixture f;
    const SignificanceTable t = significance_table(f.run.report);
    REQUIRE(t.columns.size() == 1);   // the first window's
    CHECK(t.columns[0].first == "direct");
    CHECK(t.z(0, 0) == 1.0);
    CHECK(t.z(1, 0) == 2.5);
    std::swap(f.run.report.windows[0], f.run.report.windows[1]);
    const SignificanceTable u = significance_table(f.run.report);
    REQUIRE(u.columns.size() == 2);
    CHECK(u.z(0, 1) == 0.5);
    CHECK(std::isnan(u.z(1, 1)));
}

TEST_CASE("summary: ROC points skip eps_B = 0; SIC needs 10 background events") {
    Fixture f;
    CHECK_FALSE(roc_points(f.run.report).has_value());
    RocCurve r;
    r.eps_b = (Vector(3) << 0.0, 0.25, 1.0).finished();
    r.eps_s = (Vector(3) << 0.5, 0.75, 1.0).finished();
    r.n_bkg = (Vector(3) << 0.0, 5.0, 20.0).finished();
    f.run.report.windows[1].roc = r;
    const auto p = roc_points(f.run.report);
    REQUIRE(p.has_value());
    REQUIRE(p->eps_b.size() == 2);
    CHECK(p->rejection[0] == 4.0);
    CHECK(std::isnan(p->sic[0]));   // 5 background events
    CHECK(p->sic[1] == 1.0);
}

TEST_CASE("summary: shift range leaves unmeasured windows out; rms and the rule's sigma") {
    ReferenceShift r;
    r.eps_b = 0.01;
    r.per_window = {0.1, std::nan(""), -0.2, 0.3};
    const ShiftSummary s = shift_summary(r, SigmaSys::abs_mean);
    CHECK(s.smallest == -0.2);
    CHECK(s.largest == 0.3);
    CHECK(s.delta_sys == doctest::Approx(0.2 / 3));
    CHECK(s.sigma_sys == doctest::Approx(0.2 / 3));
    CHECK(s.rms == doctest::Approx(std::sqrt(0.14 / 3)));
    r.per_window = {std::nan("")};
    CHECK(std::isnan(shift_summary(r, SigmaSys::rms).smallest));
}

TEST_CASE("summary: a report without windows is bad input") {
    CHECK_THROWS_AS(focus_window(SearchReport{}), input_error);
    CHECK_THROWS_AS(significance_table(SearchReport{}), input_error);
}

}  // namespace unit_test_search_summary
