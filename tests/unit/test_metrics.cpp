// Tests of resanom/stats/metrics.hpp: hand-computed ROC/AUC/SIC cases (with ties, weights, soft
// labels), brute-force O(n²) Mann–Whitney and threshold sweeps on random data, the 25-event rule
// of max_sic, interpolation at fixed efficiencies, the direct-estimation cut, and bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <vector>

#include "resanom/core/random.hpp"
#include "resanom/stats/metrics.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_metrics {

using resanom::Index;
using resanom::Vector;

namespace {

// Values computed in floating point along different summation orders agree to a few ulp.
doctest::Approx near(double x) { return doctest::Approx(x).epsilon(1e-12); }

Vector vec(std::initializer_list<double> v) {
    Vector out(static_cast<Index>(v.size()));
    Index i = 0;
    for (double x : v) out[i++] = x;
    return out;
}

constexpr double inf = std::numeric_limits<double>::infinity();

void check_curve(const resanom::RocCurve& roc, std::initializer_list<double> thr,
                 std::initializer_list<double> eb, std::initializer_list<double> es,
                 std::initializer_list<double> nb) {
    REQUIRE(roc.thresholds.size() == static_cast<Index>(thr.size()));
    REQUIRE(roc.eps_b.size() == static_cast<Index>(eb.size()));
    REQUIRE(roc.eps_s.size() == static_cast<Index>(es.size()));
    REQUIRE(roc.n_bkg.size() == static_cast<Index>(nb.size()));
    const Vector t = vec(thr), b = vec(eb), s = vec(es), n = vec(nb);
    for (Index k = 0; k < t.size(); ++k) {
        CAPTURE(k);
        CHECK(roc.thresholds[k] == t[k]);
        CHECK(roc.eps_b[k] == near(b[k]));
        CHECK(roc.eps_s[k] == near(s[k]));
        CHECK(roc.n_bkg[k] == near(n[k]));
    }
}

// Independent weighted Mann–Whitney statistic over all ordered pairs (i, j), i = j included: with
// soft labels an event is signal with weight w·y and background with weight w·(1−y), and it ties
// with itself.
double brute_auc(const Vector& s, const Vector& y, const Vector& w) {
    double num = 0.0, ws = 0.0, wb = 0.0;
    for (Index i = 0; i < s.size(); ++i) {
        ws += w[i] * y[i];
        wb += w[i] * (1.0 - y[i]);
    }
    for (Index i = 0; i < s.size(); ++i)
        for (Index j = 0; j < s.size(); ++j) {
            const double pair = w[i] * y[i] * w[j] * (1.0 - y[j]);
            if (s[i] > s[j]) num += pair;
            else if (s[i] == s[j]) num += 0.5 * pair;
        }
    return num / (ws * wb);
}

struct Sample {
    Vector s, y, w;
};

// Scores rounded to `levels` distinct values (so there are many ties), signal shifted up.
Sample random_sample(std::uint64_t seed, Index n, int levels, bool soft, bool zero_weights) {
    resanom::Rng rng(seed);
    Sample d{Vector(n), Vector(n), Vector(n)};
    for (Index i = 0; i < n; ++i) {
        d.y[i] = soft ? std::round(4.0 * resanom::uniform01(rng)) / 4.0
                      : (resanom::uniform01(rng) < 0.3 ? 1.0 : 0.0);
        const double x = resanom::normal(rng) + 0.8 * d.y[i];
        d.s[i] = std::clamp(std::round(x * levels / 6.0), -double(levels), double(levels));
        d.w[i] = resanom::uniform(rng, 0.2, 2.0);
        if (zero_weights && resanom::uniform01(rng) < 0.05) d.w[i] = 0.0;
    }
    return d;
}

}  // namespace

TEST_CASE("roc_curve and auc: six unweighted events without ties, given out of order") {
    // Sorted by score:  0.9 S, 0.8 B, 0.7 S, 0.6 S, 0.5 B, 0.4 B   (3 signal, 3 background)
    // points (threshold: eps_b, eps_s, n_bkg):
    //   +inf: 0,0,0   0.9: 0,1/3,0   0.8: 1/3,1/3,1   0.7: 1/3,2/3,1   0.6: 1/3,1,1
    //   0.5: 2/3,1,2  0.4: 1,1,3
    // AUC (Mann–Whitney): S0.9 beats 3 B, S0.7 beats 2, S0.6 beats 2 → 7/9.
    // Trapezoids: 1/3·1/3 + 1/3·1 + 1/3·1 = 7/9.
    const Vector s = vec({0.6, 0.9, 0.4, 0.8, 0.5, 0.7});
    const Vector y = vec({1, 1, 0, 0, 0, 1});
    const auto roc = resanom::roc_curve(s, y);
    check_curve(roc, {inf, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4}, {0, 0, 1. / 3, 1. / 3, 1. / 3, 2. / 3, 1},
                {0, 1. / 3, 1. / 3, 2. / 3, 1, 1, 1}, {0, 0, 1, 1, 1, 2, 3});
    CHECK(roc.eps_b[6] == 1.0);  // exactly, by construction
    CHECK(roc.eps_s[6] == 1.0);
    CHECK(resanom::auc(s, y) == near(7.0 / 9.0));
    CHECK(resanom::auc(roc) == near(7.0 / 9.0));
}

TEST_CASE("roc_curve and auc: tied scores enter together") {
    // 0.8: {S, B}   0.5: {S, S, B}   0.2: {B}      (3 S, 3 B)
    // points: +inf (0,0)  0.8 (1/3,1/3) n=1   0.5 (2/3,1) n=2   0.2 (1,1) n=3
    // Mann–Whitney: S0.8: tie with B0.8 (½) + beats B0.5, B0.2 = 2.5; each S0.5: loses to B0.8,
    // ties B0.5 (½), beats B0.2 = 1.5 → (2.5 + 3)/9 = 11/18.
    // Trapezoids: 1/3·(0+1/3)/2 + 1/3·(1/3+1)/2 + 1/3·1 = 1/18 + 4/18 + 6/18 = 11/18.
    const Vector s = vec({0.8, 0.8, 0.5, 0.5, 0.5, 0.2});
    const Vector y = vec({1, 0, 1, 1, 0, 0});
    const auto roc = resanom::roc_curve(s, y);
    check_curve(roc, {inf, 0.8, 0.5, 0.2}, {0, 1. / 3, 2. / 3, 1}, {0, 1. / 3, 1, 1}, {0, 1, 2, 3});
    CHECK(resanom::auc(s, y) == near(11.0 / 18.0));
    // Breaking the ties instead (S before B inside a tie) would give 14/18, B before S 8/18.
    CHECK(resanom::auc(s, y) != near(14.0 / 18.0));
    CHECK(resanom::auc(s, y) != near(8.0 / 18.0));
}

TEST_CASE("roc_curve and auc: event weights, and a zero-weight event") {
    // score  label weight :  0.95 B 0 | 0.9 S 1 | 0.7 B 2 | 0.5 S 3 | 0.3 B 4
    // W_S = 4, W_B = 6. Points: +inf (0,0) n0; 0.95 (0,0) n0 (zero weight: counts nowhere);
    // 0.9 (0,1/4) n0; 0.7 (1/3,1/4) n1; 0.5 (1/3,1) n1; 0.3 (1,1) n2.
    // Mann–Whitney: S(w1) beats B(w2), B(w4): 6; S(w3) beats B(w4): 12 → 18/24 = 3/4.
    // Trapezoids: 1/3·1/4 + 2/3·1 = 3/4.
    const Vector s = vec({0.95, 0.9, 0.7, 0.5, 0.3});
    const Vector y = vec({0, 1, 0, 1, 0});
    const Vector w = vec({0, 1, 2, 3, 4});
    const auto roc = resanom::roc_curve(s, y, w);
    check_curve(roc, {inf, 0.95, 0.9, 0.7, 0.5, 0.3}, {0, 0, 0, 1. / 3, 1. / 3, 1},
                {0, 0, 0.25, 0.25, 1, 1}, {0, 0, 0, 1, 1, 2});
    CHECK(resanom::auc(s, y, w) == near(0.75));
    // Unweighted the same events give a different AUC: (2 + 1)/(2·3) = 1/2.
    CHECK(resanom::auc(s, y) == near(0.5));
}

TEST_CASE("roc_curve and auc: soft labels split an event between signal and background") {
    // score label weight → signal w·y, background w·(1−y), n_bkg share (1−y)
    //  0.9   0.75   4    →    3          1                  0.25
    //  0.6   0.5    2    →    1          1                  0.5
    //  0.3   0      1    →    0          1                  1
    // W_S = 4, W_B = 3. Points: +inf (0,0) n0; 0.9 (1/3,3/4) n0.25; 0.6 (2/3,1) n0.75; 0.3 (1,1) n1.75.
    // Mann–Whitney over all pairs incl. an event with itself (a tie): S0.9(3): ½·3·1 + 3 + 3 = 7.5;
    // S0.6(1): 0 + ½ + 1 = 1.5 → 9/12 = 3/4. Trapezoids: 1/3·3/8 + 1/3·7/8 + 1/3·1 = 3/4.
    const Vector s = vec({0.3, 0.9, 0.6});
    const Vector y = vec({0, 0.75, 0.5});
    const Vector w = vec({1, 4, 2});
    const auto roc = resanom::roc_curve(s, y, w);
    check_curve(roc, {inf, 0.9, 0.6, 0.3}, {0, 1. / 3, 2. / 3, 1}, {0, 0.75, 1, 1},
                {0, 0.25, 0.75, 1.75});
    CHECK(resanom::auc(s, y, w) == near(0.75));
    CHECK(brute_auc(s, y, w) == near(0.75));
}

TEST_CASE("sic_curve and max_sic on a hand case") {
    // The six events of the first case: ROC points with eps_b > 0 and their SIC = eps_s/√eps_b:
    //  0.8 (1/3,1/3) n1: 1/√3      0.7 (1/3,2/3) n1: 2/√3     0.6 (1/3,1) n1: √3
    //  0.5 (2/3,1)  n2: √(3/2)     0.4 (1,1)     n3: 1
    const Vector s = vec({0.6, 0.9, 0.4, 0.8, 0.5, 0.7});
    const Vector y = vec({1, 1, 0, 0, 0, 1});
    const auto sc = resanom::sic_curve(s, y);
    REQUIRE(sc.sic.size() == 5);
    CHECK(sc.thresholds == vec({0.8, 0.7, 0.6, 0.5, 0.4}));
    CHECK(sc.n_bkg == vec({1, 1, 1, 2, 3}));
    const Vector expect = vec({1 / std::sqrt(3.0), 2 / std::sqrt(3.0), std::sqrt(3.0), std::sqrt(1.5), 1});
    for (Index k = 0; k < 5; ++k) CHECK(sc.sic[k] == near(expect[k]));

    const auto all = resanom::max_sic(s, y, Vector(), 0.0);
    CHECK(all.threshold == 0.6);
    CHECK(all.eps_s == near(1.0));
    CHECK(all.eps_b == near(1.0 / 3.0));
    CHECK(all.sic == near(std::sqrt(3.0)));
    const auto two = resanom::max_sic(s, y, Vector(), 2.0);  // only 0.5 and 0.4 qualify
    CHECK(two.threshold == 0.5);
    CHECK(two.sic == near(std::sqrt(1.5)));
    CHECK(resanom::max_sic(s, y, Vector(), 3.0).threshold == 0.4);
    CHECK_THROWS_WITH_AS(resanom::max_sic(s, y, Vector(), 4.0),
                         doctest::Contains("no working point has at least 4 background events passing "
                                           "(all events together hold 3)"),
                         resanom::input_error);
    // Default floor is 25: six events cannot satisfy it.
    CHECK_THROWS_AS(resanom::max_sic(s, y), resanom::input_error);
}

TEST_CASE("max_sic: the 25-event floor moves the maximum away from statistical noise") {
    // 1000 background events at scores j/1000 (j = 0..999); 20 signal events above all of them
    // (score 5) and 80 below all of them (score −1). Every cut passing k = 1..1000 background
    // events has eps_s = 0.2 and eps_b = k/1000, so SIC = 0.2/√(k/1000) is largest for k = 1 —
    // a cut whose eps_b rests on a single event. With the floor (default 25) the maximum is k = 25,
    // threshold 975/1000, SIC = 0.2/√0.025 ≈ 1.265 instead of 0.2/√0.001 ≈ 6.32.
    const Index nb = 1000;
    Vector s(nb + 100), y(nb + 100);
    for (Index j = 0; j < nb; ++j) {
        s[j] = static_cast<double>(j) / 1000.0;
        y[j] = 0.0;
    }
    for (Index i = 0; i < 100; ++i) {
        s[nb + i] = i < 20 ? 5.0 : -1.0;
        y[nb + i] = 1.0;
    }
    const auto raw = resanom::max_sic(s, y, Vector(), 0.0);
    CHECK(raw.threshold == 999.0 / 1000.0);
    CHECK(raw.eps_b == near(0.001));
    CHECK(raw.sic == near(0.2 / std::sqrt(0.001)));

    const auto wp = resanom::max_sic(s, y);
    CHECK(wp.threshold == 975.0 / 1000.0);
    CHECK(wp.eps_s == near(0.2));
    CHECK(wp.eps_b == near(0.025));
    CHECK(wp.sic == near(0.2 / std::sqrt(0.025)));

    // With at least 100 background events every cut short of the loosest has SIC <= 0.2/√0.1 < 1,
    // so the maximum is the loosest cut (everything passes, SIC = 1).
    const auto wp100 = resanom::max_sic(s, y, Vector(), 100.0);
    CHECK(wp100.threshold == -1.0);
    CHECK(wp100.sic == 1.0);

    // The floor counts events, not weight: scaling all weights changes neither ε nor the choice.
    const Vector w = Vector::Constant(s.size(), 0.01);
    CHECK(resanom::max_sic(s, y, w).threshold == 975.0 / 1000.0);
    // Overload on a precomputed curve agrees.
    const auto roc = resanom::roc_curve(s, y);
    CHECK(resanom::max_sic(roc).threshold == wp.threshold);
    CHECK(resanom::max_sic(roc).sic == wp.sic);
}

TEST_CASE("at_eps_b: linear interpolation of eps_s in eps_b, hand-checked") {
    // Tie case: curve (0,0) → 0.8 (1/3,1/3) → 0.5 (2/3,1) → 0.2 (1,1).
    const Vector s = vec({0.8, 0.8, 0.5, 0.5, 0.5, 0.2});
    const Vector y = vec({1, 0, 1, 1, 0, 0});
    // eps_b = 1/2 between (1/3,1/3) and (2/3,1): eps_s = 1/3 + (1/2−1/3)·(2/3)/(1/3) = 2/3,
    // SIC = (2/3)/√(1/2) = 0.9428…; threshold: the looser neighbour 0.5.
    auto wp = resanom::at_eps_b(s, y, Vector(), 0.5);
    CHECK(wp.eps_s == near(2.0 / 3.0));
    CHECK(wp.eps_b == 0.5);
    CHECK(wp.sic == near((2.0 / 3.0) / std::sqrt(0.5)));
    CHECK(wp.threshold == 0.5);
    CHECK(resanom::sic_at_eps_b(s, y, Vector(), 0.5) == wp.sic);
    CHECK(resanom::eps_s_at_eps_b(s, y, Vector(), 0.5) == wp.eps_s);
    // eps_b = 0.1 between (0,0) and (1/3,1/3): eps_s = 0.1, SIC = √0.1, threshold 0.8.
    wp = resanom::at_eps_b(s, y, Vector(), 0.1);
    CHECK(wp.eps_s == near(0.1));
    CHECK(wp.sic == near(std::sqrt(0.1)));
    CHECK(wp.threshold == 0.8);
    // eps_b = 1: the last point.
    wp = resanom::at_eps_b(s, y, Vector(), 1.0);
    CHECK(wp.eps_s == 1.0);
    CHECK(wp.threshold == 0.2);

    // First case: at eps_b = 1/3 the curve rises vertically from (1/3,1/3) to (1/3,1) through
    // thresholds 0.8, 0.7, 0.6; the top of the rise is taken: eps_s = 1, threshold 0.6.
    const Vector s1 = vec({0.6, 0.9, 0.4, 0.8, 0.5, 0.7});
    const Vector y1 = vec({1, 1, 0, 0, 0, 1});
    const auto roc1 = resanom::roc_curve(s1, y1);
    wp = resanom::at_eps_b(roc1, roc1.eps_b[2]);
    CHECK(wp.eps_s == 1.0);
    CHECK(wp.threshold == 0.6);
    CHECK(wp.sic == near(std::sqrt(3.0)));
    // eps_b = 0.5 on the flat stretch between (1/3,1) and (2/3,1): eps_s = 1, threshold 0.5.
    wp = resanom::at_eps_b(roc1, 0.5);
    CHECK(wp.eps_s == 1.0);
    CHECK(wp.threshold == 0.5);
    // eps_b = 0.8 between (2/3,1) and (1,1).
    CHECK(resanom::at_eps_b(roc1, 0.8).eps_s == 1.0);
}

TEST_CASE("rejection_at_eps_s: interpolation of eps_b in eps_s, hand-checked") {
    // Tie case curve (0,0) → (1/3,1/3) → (2/3,1) → (1,1).
    const Vector s = vec({0.8, 0.8, 0.5, 0.5, 0.5, 0.2});
    const Vector y = vec({1, 0, 1, 1, 0, 0});
    // eps_s = 1/2: eps_b = 1/3 + (1/2−1/3)·(1/3)/(2/3) = 5/12 → rejection 2.4.
    CHECK(resanom::rejection_at_eps_s(s, y, Vector(), 0.5) == near(2.4));
    // eps_s = 1: the flat stretch (2/3,1)→(1,1) gives its smallest eps_b, 2/3 → 1.5.
    CHECK(resanom::rejection_at_eps_s(s, y, Vector(), 1.0) == near(1.5));
    // eps_s = 1/3 hits a point: eps_b = 1/3 → 3.
    const auto roc = resanom::roc_curve(s, y);
    CHECK(resanom::rejection_at_eps_s(roc, roc.eps_s[1]) == near(3.0));
    // eps_s = 0.2 on the first segment (slope 1): eps_b = 0.2 → 5.
    CHECK(resanom::rejection_at_eps_s(roc, 0.2) == near(5.0));
    // Perfect separation: half the signal passes with no background at all.
    const Vector sp = vec({3, 2, 1, 0});
    const Vector yp = vec({1, 1, 0, 0});
    CHECK(resanom::rejection_at_eps_s(sp, yp, Vector(), 0.5) == inf);
    CHECK(resanom::rejection_at_eps_s(sp, yp, Vector(), 1.0) == inf);
    CHECK(resanom::auc(sp, yp) == 1.0);
    CHECK(resanom::auc(sp, Vector(Vector::Ones(4) - yp)) == 0.0);
}

TEST_CASE("threshold_at_eps_b and pass_fraction: hand cases with ties and weights") {
    // Scores 0.9, 0.7, 0.4, 0.4, 0.1 (unit weights). Fraction passing score >= t:
    // t=0.9: 0.2   t=0.7: 0.4   t=0.4: 0.8 (the tie passes together)   t=0.1: 1.
    const Vector s = vec({0.1, 0.4, 0.9, 0.4, 0.7});
    CHECK(resanom::threshold_at_eps_b(s, Vector(), 0.05) == 0.9);
    CHECK(resanom::threshold_at_eps_b(s, Vector(), 0.2) == 0.9);
    CHECK(resanom::threshold_at_eps_b(s, Vector(), 0.3) == 0.7);
    CHECK(resanom::threshold_at_eps_b(s, Vector(), 0.4) == 0.7);
    CHECK(resanom::threshold_at_eps_b(s, Vector(), 0.5) == 0.4);
    CHECK(resanom::threshold_at_eps_b(s, Vector(), 0.8) == 0.4);
    CHECK(resanom::threshold_at_eps_b(s, Vector(), 0.81) == 0.1);
    CHECK(resanom::threshold_at_eps_b(s, Vector(), 1.0) == 0.1);
    CHECK(resanom::pass_fraction(s, Vector(), 0.4) == 0.8);
    CHECK(resanom::pass_fraction(s, Vector(), 0.41) == 0.4);
    CHECK(resanom::pass_fraction(s, Vector(), 2.0) == 0.0);
    // Weights 1,1,6,1,1 (the 0.9 event weighs 6 of 10): t=0.9 passes 0.6, t=0.7 passes 0.7.
    const Vector w = vec({1, 1, 6, 1, 1});
    CHECK(resanom::threshold_at_eps_b(s, w, 0.5) == 0.9);
    CHECK(resanom::threshold_at_eps_b(s, w, 0.6) == 0.9);
    CHECK(resanom::threshold_at_eps_b(s, w, 0.65) == 0.7);
    CHECK(resanom::pass_fraction(s, w, 0.7) == near(0.7));
    // 20 events of weight 0.1: summed one by one the total rounds to 2.0000000000000004, so the
    // top event alone passes 0.1/total < 1/20 in floating point. The 1e-12 slack still selects it.
    Vector s20(20);
    for (Index i = 0; i < 20; ++i) s20[i] = static_cast<double>(i);
    const Vector w20 = Vector::Constant(20, 0.1);
    double total20 = 0.0;
    for (Index i = 0; i < 20; ++i) total20 += w20[i];
    REQUIRE(0.1 < 0.05 * total20);  // the rounding this case is about
    CHECK(resanom::threshold_at_eps_b(s20, w20, 0.05) == 19.0);
    CHECK(resanom::threshold_at_eps_b(s20, w20, 0.1) == 18.0);
    CHECK(resanom::threshold_at_eps_b(s20, w20, 0.1 + 1e-9) == 17.0);
}

TEST_CASE("threshold_at_eps_b on random data: the tightest cut passing at least eps_b") {
    const Sample d = random_sample(11, 2000, 40, false, true);
    std::set<double> distinct(d.s.data(), d.s.data() + d.s.size());
    for (double eps_b : {1e-3, 0.01, 0.05, 0.1, 0.25, 0.5, 0.9, 1.0}) {
        CAPTURE(eps_b);
        const double cut = resanom::threshold_at_eps_b(d.s, d.w, eps_b);
        CHECK(distinct.count(cut) == 1);
        CHECK(resanom::pass_fraction(d.s, d.w, cut) >= eps_b * (1 - 1e-12));
        // The next tighter distinct score passes less than eps_b.
        auto next = distinct.upper_bound(cut);
        if (next != distinct.end()) CHECK(resanom::pass_fraction(d.s, d.w, *next) < eps_b);
    }
}

TEST_CASE("auc equals an O(n^2) weighted Mann–Whitney statistic on random data with many ties") {
    for (int levels : {3, 8, 1000}) {
        for (bool soft : {false, true}) {
            CAPTURE(levels);
            CAPTURE(soft);
            const Sample d = random_sample(100 + static_cast<std::uint64_t>(levels) + soft, 400, levels,
                                           soft, true);
            const double a = resanom::auc(d.s, d.y, d.w);
            CHECK(a == near(brute_auc(d.s, d.y, d.w)));
            CHECK(a > 0.55);  // the signal is shifted up: a broken sort would not see it
            const Vector ones = Vector::Ones(d.s.size());
            CHECK(resanom::auc(d.s, d.y) == near(brute_auc(d.s, d.y, ones)));
        }
    }
}

TEST_CASE("roc_curve equals a brute-force sweep over every distinct threshold") {
    const Sample d = random_sample(7, 500, 10, true, true);
    const auto roc = resanom::roc_curve(d.s, d.y, d.w);
    std::set<double, std::greater<>> thr(d.s.data(), d.s.data() + d.s.size());
    REQUIRE(roc.thresholds.size() == static_cast<Index>(thr.size()) + 1);
    CHECK(roc.thresholds[0] == inf);
    CHECK(roc.eps_b[0] == 0.0);
    CHECK(roc.eps_s[0] == 0.0);
    double ws = 0, wb = 0;
    for (Index i = 0; i < d.s.size(); ++i) {
        ws += d.w[i] * d.y[i];
        wb += d.w[i] * (1 - d.y[i]);
    }
    Index k = 1;
    for (double t : thr) {
        CAPTURE(t);
        double ps = 0, pb = 0, n = 0;
        for (Index i = 0; i < d.s.size(); ++i)
            if (d.s[i] >= t) {
                ps += d.w[i] * d.y[i];
                pb += d.w[i] * (1 - d.y[i]);
                if (d.w[i] > 0) n += 1 - d.y[i];
            }
        CHECK(roc.thresholds[k] == t);
        CHECK(roc.eps_s[k] == near(ps / ws));
        CHECK(roc.eps_b[k] == near(pb / wb));
        CHECK(roc.n_bkg[k] == near(n));
        ++k;
    }
    CHECK(roc.eps_b[k - 1] == 1.0);
    CHECK(roc.eps_s[k - 1] == 1.0);
}

TEST_CASE("metrics are invariant under a strictly increasing transformation of the scores") {
    const Sample d = random_sample(3, 3000, 60, false, false);
    const Vector t = (d.s.array() * 0.05).exp() * 3.0 - 7.0;  // strictly increasing on the grid
    const auto a = resanom::roc_curve(d.s, d.y, d.w);
    const auto b = resanom::roc_curve(t, d.y, d.w);
    CHECK(a.eps_b == b.eps_b);  // same groups, same order: bit-identical
    CHECK(a.eps_s == b.eps_s);
    CHECK(a.n_bkg == b.n_bkg);
    CHECK(resanom::auc(d.s, d.y, d.w) == resanom::auc(t, d.y, d.w));
    CHECK(resanom::max_sic(d.s, d.y, d.w).sic == resanom::max_sic(t, d.y, d.w).sic);
    CHECK(resanom::sic_at_eps_b(d.s, d.y, d.w, 0.01) == resanom::sic_at_eps_b(t, d.y, d.w, 0.01));
    // A decreasing transformation reverses the classifier.
    CHECK(resanom::auc(Vector(-d.s), d.y, d.w) == near(1.0 - resanom::auc(d.s, d.y, d.w)));
}

TEST_CASE("swapping signal and background gives 1 − AUC; event order does not matter") {
    const Sample d = random_sample(5, 1500, 12, true, true);
    const Vector flipped = Vector::Ones(d.y.size()) - d.y;
    const double a = resanom::auc(d.s, d.y, d.w);
    CHECK(resanom::auc(d.s, flipped, d.w) == near(1.0 - a));

    resanom::Rng rng(9);
    const auto p = resanom::permutation(static_cast<std::size_t>(d.s.size()), rng);
    Vector s2(d.s.size()), y2(d.s.size()), w2(d.s.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
        const auto j = static_cast<Index>(p[i]);
        s2[static_cast<Index>(i)] = d.s[j];
        y2[static_cast<Index>(i)] = d.y[j];
        w2[static_cast<Index>(i)] = d.w[j];
    }
    const auto r1 = resanom::roc_curve(d.s, d.y, d.w);
    const auto r2 = resanom::roc_curve(s2, y2, w2);
    REQUIRE(r1.eps_b.size() == r2.eps_b.size());
    CHECK(r1.thresholds == r2.thresholds);
    for (Index k = 0; k < r1.eps_b.size(); ++k) {
        CHECK(r1.eps_b[k] == near(r2.eps_b[k]));
        CHECK(r1.eps_s[k] == near(r2.eps_s[k]));
    }
    CHECK(resanom::auc(s2, y2, w2) == near(a));
}

TEST_CASE("AUC of two unit Gaussians separated by mu is Phi(mu/sqrt 2)") {
    resanom::Rng rng(2024);
    const Index n = 200000;
    Vector s(n), y(n);
    for (Index i = 0; i < n; ++i) {
        y[i] = i % 2 ? 1.0 : 0.0;
        s[i] = resanom::normal(rng) + y[i];
    }
    // Φ(1/√2) = 0.760250…; the standard error of the AUC at n = 1e5 per class is about 0.0013.
    CHECK(std::abs(resanom::auc(s, y) - 0.7602499389) < 0.007);
    // SIC at eps_b = 1e-3 from Gaussian tails: eps_s = 1 − Φ(z_{0.999} − 1) = 1 − Φ(2.0902) = 0.0183,
    // SIC = 0.0183/√1e-3 = 0.578 (statistical spread at 100 background events ±10 %).
    const double sic = resanom::sic_at_eps_b(s, y, Vector(), 1e-3);
    CHECK(sic > 0.45);
    CHECK(sic < 0.72);
}

TEST_CASE("bad input raises input_error naming the problem") {
    using resanom::input_error;
    const Vector s = vec({0.1, 0.2, 0.3, 0.4});
    const Vector y = vec({0, 1, 0, 1});
    const Vector none;
    CHECK_THROWS_WITH_AS(resanom::roc_curve(s, vec({0, 1, 0})),
                         doctest::Contains("roc_curve: labels has 3 entries but scores has 4"), input_error);
    CHECK_THROWS_WITH_AS(resanom::auc(s, y, vec({1, 1, 1})),
                         doctest::Contains("auc: weights has 3 entries but scores has 4"), input_error);
    CHECK_THROWS_WITH_AS(resanom::auc(vec({0.1, 0.2, NAN, 0.4}), y),
                         doctest::Contains("auc: score at row 2 is nan (scores must be finite)"), input_error);
    CHECK_THROWS_WITH_AS(resanom::sic_curve(vec({0.1, INFINITY, 0.3, 0.4}), y),
                         doctest::Contains("sic_curve: score at row 1 is inf"), input_error);
    CHECK_THROWS_WITH_AS(resanom::max_sic(s, y, vec({-1, 1, 1, 1}), 0),
                         doctest::Contains("max_sic: weight at row 0 is -1 (weights must be finite and >= 0)"),
                         input_error);
    CHECK_THROWS_WITH_AS(resanom::roc_curve(s, y, vec({1, 1, 1, NAN})),
                         doctest::Contains("weight at row 3 is nan"), input_error);
    CHECK_THROWS_WITH_AS(resanom::roc_curve(s, y, vec({1, INFINITY, 1, 1})),
                         doctest::Contains("weight at row 1 is inf"), input_error);
    CHECK_THROWS_WITH_AS(resanom::roc_curve(s, vec({0, 1.5, 0, 1})),
                         doctest::Contains("label at row 1 is 1.5 (labels must lie in [0,1])"), input_error);
    CHECK_THROWS_WITH_AS(resanom::roc_curve(s, vec({0, 1, -0.25, 1})),
                         doctest::Contains("label at row 2 is -0.25"), input_error);
    CHECK_THROWS_WITH_AS(resanom::roc_curve(s, vec({0, 1, 0, NAN})),
                         doctest::Contains("label at row 3 is nan"), input_error);
    CHECK_THROWS_WITH_AS(resanom::roc_curve(s, vec({0, 0, 0, 0})), doctest::Contains("roc_curve: no signal"),
                         input_error);
    CHECK_THROWS_WITH_AS(resanom::roc_curve(s, vec({1, 1, 1, 1})), doctest::Contains("roc_curve: no background"),
                         input_error);
    // Signal present in the labels but all of its weight is zero.
    CHECK_THROWS_WITH_AS(resanom::auc(s, y, vec({1, 0, 1, 0})), doctest::Contains("auc: no signal"), input_error);
    CHECK_THROWS_WITH_AS(resanom::auc(none, none), doctest::Contains("auc: no events"), input_error);

    CHECK_THROWS_WITH_AS(resanom::at_eps_b(s, y, none, 0.0),
                         doctest::Contains("at_eps_b: eps_b = 0 outside (0, 1]"), input_error);
    CHECK_THROWS_WITH_AS(resanom::sic_at_eps_b(s, y, none, 1.5),
                         doctest::Contains("sic_at_eps_b: eps_b = 1.5 outside (0, 1]"), input_error);
    CHECK_THROWS_WITH_AS(resanom::eps_s_at_eps_b(s, y, none, NAN),
                         doctest::Contains("eps_s_at_eps_b: eps_b = nan outside (0, 1]"), input_error);
    CHECK_THROWS_WITH_AS(resanom::rejection_at_eps_s(s, y, none, -0.1),
                         doctest::Contains("rejection_at_eps_s: eps_s = -0.1 outside (0, 1]"), input_error);
    CHECK_THROWS_WITH_AS(resanom::max_sic(s, y, none, -1.0),
                         doctest::Contains("max_sic: min_bkg_events = -1 (must be finite and >= 0)"),
                         input_error);
    CHECK_THROWS_WITH_AS(resanom::max_sic(s, y, none, NAN), doctest::Contains("min_bkg_events = nan"),
                         input_error);
    CHECK_THROWS_WITH_AS(resanom::auc(resanom::RocCurve{}), doctest::Contains("auc: malformed RocCurve"),
                         input_error);
    // The overloads on a precomputed curve check their argument too.
    CHECK_THROWS_WITH_AS(resanom::at_eps_b(resanom::roc_curve(s, y), 2.0),
                         doctest::Contains("eps_b = 2 outside"), input_error);

    CHECK_THROWS_WITH_AS(resanom::threshold_at_eps_b(s, vec({0, 0, 0, 0}), 0.1),
                         doctest::Contains("threshold_at_eps_b: the total weight is 0"), input_error);
    CHECK_THROWS_WITH_AS(resanom::threshold_at_eps_b(none, none, 0.1),
                         doctest::Contains("threshold_at_eps_b: the total weight is 0"), input_error);
    CHECK_THROWS_WITH_AS(resanom::threshold_at_eps_b(s, vec({1, 1}), 0.1),
                         doctest::Contains("threshold_at_eps_b: weights has 2 entries but scores has 4"),
                         input_error);
    CHECK_THROWS_WITH_AS(resanom::threshold_at_eps_b(vec({0.1, NAN}), none, 0.1),
                         doctest::Contains("threshold_at_eps_b: score at row 1 is nan"), input_error);
    CHECK_THROWS_WITH_AS(resanom::threshold_at_eps_b(s, none, 0.0),
                         doctest::Contains("threshold_at_eps_b: eps_b = 0 outside (0, 1]"), input_error);
    CHECK_THROWS_WITH_AS(resanom::pass_fraction(s, none, NAN), doctest::Contains("pass_fraction: cut is nan"),
                         input_error);
    // input_error is a resanom::error is a std::runtime_error.
    CHECK_THROWS_AS(resanom::auc(s, vec({0, 0, 0, 0})), std::runtime_error);
}

}  // namespace unit_test_metrics
