// Tests of resanom/core/regions.hpp: intervals, sidebands, and the window layouts of the papers.
#include <doctest/doctest.h>

#include <cmath>

#include "resanom/core/regions.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_regions {

using namespace resanom;

TEST_CASE("intervals are half-open") {
    Interval i{3.3, 3.7};
    CHECK(i.contains(3.3));
    CHECK_FALSE(i.contains(3.7));
    CHECK(i.width() == doctest::Approx(0.4));
    CHECK(i.center() == doctest::Approx(3.5));
    CHECK(Interval{1, 1}.empty());
    CHECK_THROWS_AS(checked_interval(2, 1, "x"), input_error);
    CHECK_THROWS_AS(checked_interval(1, NAN, "x"), input_error);
}

TEST_CASE("a window's sidebands follow Benkendorfer et al. 2021, §II.C") {
    // SR [3.3, 3.7], CWoLa sidebands [3.1, 3.3] ∪ [3.7, 3.9], long sidebands extended by 0.3 TeV.
    Window w = Window::with_sidebands({3.3, 3.7});
    CHECK(w.sb_low.lo == doctest::Approx(3.1));
    CHECK(w.sb_high.hi == doctest::Approx(3.9));
    CHECK(w.long_sb_low.lo == doctest::Approx(2.8));
    CHECK(w.long_sb_high.hi == doctest::Approx(4.2));
    CHECK(w.region_of(3.5) == Region::signal);
    CHECK(w.region_of(3.2) == Region::sideband);
    CHECK(w.region_of(3.7) == Region::sideband);
    CHECK(w.region_of(4.0) == Region::long_sideband_only);
    CHECK(w.region_of(2.7) == Region::outside);
    CHECK_THROWS_AS(Window::with_sidebands({3.3, 3.7}, 0.5, 0.2), input_error);
    CHECK_THROWS_AS(Window::with_sidebands({3.3, 3.7}, -0.1), input_error);
}

TEST_CASE("row selections by region") {
    Matrix m(7, 1);
    m << 3.0, 3.15, 3.3, 3.5, 3.69, 3.7, 4.1;
    Events e(Matrix::Zero(7, 1), m);
    Window w = Window::with_sidebands({3.3, 3.7});
    CHECK(sr_rows(e, w) == IndexList{2, 3, 4});
    CHECK(sb_rows(e, w) == IndexList{1, 5});
    CHECK(long_sb_rows(e, w) == IndexList{0, 1, 5, 6});
    CHECK(rows_outside(e, w.sr) == IndexList{0, 1, 5, 6});
}

TEST_CASE("windows of Das et al. 2024: centres 3.5 − 0.1(5 − n), width 0.4") {
    auto ws = das2024_windows();
    REQUIRE(ws.size() == 9);
    for (int n = 1; n <= 9; ++n) {
        const auto& w = ws[static_cast<std::size_t>(n - 1)];
        CHECK(w.sr.center() == doctest::Approx(3.5 - 0.1 * (5 - n)));
        CHECK(w.sr.width() == doctest::Approx(0.4));
        CHECK(w.sb_low.width() == doctest::Approx(0.2));
    }
    CHECK(ws[4].sr.lo == doctest::Approx(3.3));
    CHECK(ws[4].sr.hi == doctest::Approx(3.7));
}

TEST_CASE("the windows of Collins et al. 2021 reproduce the quoted SR (3371, 3661) GeV and sideband widths") {
    const auto edges = log_edges(2.8, 5.2, 30);
    REQUIRE(edges.size() == 31);
    for (std::size_t i = 1; i < edges.size(); ++i)
        CHECK(std::log(edges[i] / edges[i - 1]) == doctest::Approx(std::log(5.2 / 2.8) / 30));
    auto ws = collins2021_windows();
    CHECK(ws.size() == 21);
    const auto& w = ws[6];
    // Collins et al. 2021, §3.1: SR (3371, 3661) GeV, 290 GeV wide; sidebands 202 and 234 GeV wide.
    CHECK(w.sr.lo == doctest::Approx(3.371).epsilon(2e-4));
    CHECK(w.sr.hi == doctest::Approx(3.661).epsilon(2e-4));
    CHECK(w.sb_low.width() == doctest::Approx(0.202).epsilon(5e-3));
    CHECK(w.sb_high.width() == doctest::Approx(0.234).epsilon(5e-3));
    CHECK(ws.front().sb_low.lo == doctest::Approx(2.8));
    CHECK(ws.back().sb_high.hi == doctest::Approx(5.2));
}

TEST_CASE("general LO:HI:WIDTH:STEP scans") {
    auto ws = scan_windows(3.0, 4.0, 0.4, 0.1);
    REQUIRE(ws.size() == 7);  // starts 3.0, 3.1, …, 3.6
    CHECK(ws.back().sr.hi == doctest::Approx(4.0));
    CHECK(ws[1].sr.lo == doctest::Approx(3.1));
    CHECK_THROWS_AS(scan_windows(3.0, 4.0, 2.0, 0.1), input_error);
    CHECK_THROWS_AS(scan_windows(3.0, 4.0, 0.4, 0.0), input_error);
    auto e = uniform_edges(2.6, 5.0, 30);
    CHECK(e[15] == doctest::Approx(3.8));
}

TEST_CASE("multi-feature windows give the noisy labels and their intersection") {
    Matrix m(4, 3);
    m << 3.5, 0.10, 0.32,  //
        3.5, 0.20, 0.32,   //
        3.0, 0.10, 0.33,   //
        3.4, 0.12, 0.31;
    Events e(Matrix::Zero(4, 1), m);
    MultiWindow mw{{{3.3, 3.7}, {0.09, 0.13}, {0.3, 0.35}}};
    const Eigen::MatrixXi L = mw.labels(e);
    CHECK(L(0, 0) == 1);
    CHECK(L(1, 1) == 0);
    CHECK(L(2, 0) == 0);
    CHECK(L.row(3).sum() == 3);
    CHECK(mw.rows_in_all(e) == IndexList{0, 3});
    MultiWindow two{{{3.3, 3.7}, {0.09, 0.13}}};
    CHECK_THROWS_AS(two.labels(e), input_error);
}

}  // namespace unit_test_regions
