// Tests of resanom/methods/cathode.hpp with a user-written conditional density (x | m ~ N(a·m + b,
// s²) per feature, fitted by least squares): the flow sees only data outside the SR, the samples
// follow the density at KDE-drawn SR masses, the training set and template are laid out as the
// paper says (oversampling, equal class weights, template rows), the whole pipeline finds an
// injected signal, the sideband shift of a correct density is small, densities fitted ahead (shared
// by the template and δ_sys^SB) are generate()'s own fits, and errors are precise.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "resanom/methods/cathode.hpp"
#include "resanom/methods/pipeline.hpp"
#include "resanom/stats/metrics.hpp"
#include "linear_gaussian_toy.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_cathode {

using namespace resanom;

namespace {

using resanom_test::LinearGaussian;

Events toy(Index n_bkg, Index n_sig, std::uint64_t seed) { return resanom_test::linear_gaussian_toy(n_bkg, n_sig, seed); }

// The logistic function of x1 (the signal direction), retrained never: enough for the pipeline.
struct OnX1 {
    void fit(const TrainingSet&, std::uint64_t) {}
    Vector predict(const Matrix& X) const { return X.col(1); }
};

struct Nothing {
    std::vector<Significance> evaluate(const StatisticInput&) const { return {}; }
};

}  // namespace

TEST_CASE("CATHODE: density outside the SR, samples at SR masses, the paper's layout") {
    const Events data = toy(40000, 0, 1).without_truth();
    const Window w = Window::with_sidebands({3.3, 3.7});
    const Cathode<LinearGaussian> c(LinearGaussian{}, CathodeParams{4});
    const GeneratedTemplate g = c.generate(GeneratorInput{data, {}, w}, 5);
    const IndexList sr = sr_rows(data, w);
    const auto n_sr = static_cast<Index>(sr.size());
    REQUIRE(g.training.size() == 5 * n_sr);
    // SR data first with label 1 and their rows; then 4 × N_SR samples, label 0, weight 1/4.
    CHECK(g.training.y.head(n_sr).isOnes());
    CHECK(g.training.y.tail(4 * n_sr).isZero());
    CHECK(g.training.w.tail(4 * n_sr).isConstant(0.25));
    auto [w1, w0] = g.training.class_weights();
    CHECK(w1 == doctest::Approx(w0));
    for (Index i = 0; i < n_sr; ++i) CHECK(g.data_row[static_cast<std::size_t>(i)] == sr[static_cast<std::size_t>(i)]);
    CHECK(g.data_row.back() == -1);
    REQUIRE(g.background_template.has_value());
    REQUIRE(g.template_row.size() == static_cast<std::size_t>(4 * n_sr));
    CHECK(g.template_row.front() == n_sr);
    CHECK(g.template_row.back() == 5 * n_sr - 1);
    // Template m values come from the SR KDE, inside the SR; x0 follows 0.5 m at those masses.
    const Events& t = *g.background_template;
    CHECK(t.m().minCoeff() >= 3.3);
    CHECK(t.m().maxCoeff() < 3.7);
    CHECK(std::abs(t.m().mean() - 3.5) < 0.01);
    CHECK(std::abs(t.X().col(0).mean() - 1.75) < 0.03);
    CHECK(std::abs(t.X().col(1).mean()) < 0.03);
    // The same seed, the same samples.
    CHECK(c.generate(GeneratorInput{data, {}, w}, 5).training.X == g.training.X);
    CHECK(c.generate(GeneratorInput{data, {}, w}, 6).training.X != g.training.X);
}

TEST_CASE("CATHODE finds a signal the density outside the SR cannot know about") {
    const Events data = toy(40000, 400, 2);
    const Window w = Window::with_sidebands({3.3, 3.7});
    const WeakSupervision<Cathode<LinearGaussian>, OnX1, Nothing> p({}, {}, {}, PipelineSettings{5, {0.1}});
    const WindowResult r = p.run({data, {}, w}, 3);
    const IndexList sr = sr_rows(data, w);
    CHECK(auc(r.data_score(sr), data.truth()(sr)) > 0.95);
    // The template is scored out-of-fold and looks like background: its mean x1 score ≈ 0.
    REQUIRE(r.template_score.has_value());
    CHECK(std::abs(r.template_score->mean()) < 0.05);
}

TEST_CASE("CATHODE's sideband shift (Das et al. 2024, §3.2) is near zero for a correct density") {
    const Events data = toy(60000, 0, 4);
    struct Logistic {
        void fit(const TrainingSet&, std::uint64_t) {}
        Vector predict(const Matrix& X) const { return X.col(0) + X.col(1); }
    };
    const std::vector<Window> windows{Window::with_sidebands({3.3, 3.7}), Window::with_sidebands({3.5, 3.9})};
    const auto shifts = cathode_sideband_shifts(Cathode<LinearGaussian>(), Logistic{}, data, windows, {0.1, 0.01}, 5, 7);
    REQUIRE(shifts.size() == 2);
    for (const ReferenceShift& r : shifts) {
        REQUIRE(r.per_window.size() == 2);
        REQUIRE(r.variance.size() == 2);
        CHECK(r.windows == std::vector<Interval>{windows[0].sr, windows[1].sr});
        for (std::size_t n = 0; n < 2; ++n) {
            // The selection holds as many sideband events as the SR, the template four times as
            // many: the expected variance is 1/(ε N_SR) + 1/(4 ε N_SR).
            const auto n_sr = static_cast<double>(sr_rows(data, windows[n]).size());
            CHECK(r.variance[n] == doctest::Approx(1.25 / (r.eps_b * n_sr)).epsilon(0.02));
            // A correct density: the shift is within four of its statistical standard deviations.
            INFO("eps_b " << r.eps_b << ", window " << n << ": shift " << r.per_window[n] << ", sd " << std::sqrt(r.variance[n]));
            CHECK(std::abs(r.per_window[n]) < 4.0 * std::sqrt(r.variance[n]));
        }
    }
    // Seeded per window: the same seed, the same shifts; the first window's shifts do not depend
    // on the second's presence.
    const auto again = cathode_sideband_shifts(Cathode<LinearGaussian>(), Logistic{}, data, {windows[0]}, {0.1, 0.01}, 5, 7);
    CHECK(again[0].per_window[0] == shifts[0].per_window[0]);
    CHECK(again[1].per_window[0] == shifts[1].per_window[0]);
}

namespace {
// LinearGaussian whose fit depends on its seed (a seed-dependent offset) and is counted.
struct CountedDensity : LinearGaussian {
    std::shared_ptr<int> fits = std::make_shared<int>(0);
    void fit(const Matrix& X, const Matrix& m, std::uint64_t seed) {
        ++*fits;
        LinearGaussian::fit(X, m, seed);
        b.array() += 1e-3 * static_cast<double>(seed % 1000);
    }
};
}  // namespace

TEST_CASE("CATHODE: densities fitted ahead are generate()'s own fits, used without fitting again, and checked") {
    const Events data = toy(30000, 200, 8);
    const Events clean = data.without_truth();
    const std::vector<Window> windows{Window::with_sidebands({3.3, 3.7}), Window::with_sidebands({3.5, 3.9})};
    const std::uint64_t seed = 11;
    const CountedDensity density;
    const Cathode<CountedDensity> plain(density);
    const auto fits = cathode_fits(plain, clean, windows, seed);
    REQUIRE(*density.fits == 2);
    const Cathode<CountedDensity> ahead = plain.with_fits(fits);

    // The generator seed of window 0's pipeline: the same template bits, no new fit.
    const std::uint64_t g0 = generator_seed(window_seed(seed, windows[0]));
    const GeneratedTemplate fresh = plain.generate(GeneratorInput{clean, {}, windows[0]}, g0);
    REQUIRE(*density.fits == 3);
    const GeneratedTemplate reused = ahead.generate(GeneratorInput{clean, {}, windows[0]}, g0);
    CHECK(*density.fits == 3);
    CHECK(reused.training.X == fresh.training.X);
    CHECK(reused.training.w == fresh.training.w);
    // Another seed has no fit ahead: it is fitted, and its samples differ.
    CHECK(ahead.generate(GeneratorInput{clean, {}, windows[0]}, g0 + 1).training.X != fresh.training.X);
    CHECK(*density.fits == 4);

    // Through the pipeline, seeded with the window's seed as search() seeds it: the fit is reused
    // and every score is the same.
    const PipelineSettings settings{5, {0.1}};
    const WeakSupervision<Cathode<CountedDensity>, OnX1, Nothing> p_plain(plain, {}, {}, settings);
    const WeakSupervision<Cathode<CountedDensity>, OnX1, Nothing> p_ahead(ahead, {}, {}, settings);
    const WindowResult r_plain = p_plain.run({data, {}, windows[1]}, window_seed(seed, windows[1]));
    REQUIRE(*density.fits == 5);
    const WindowResult r_ahead = p_ahead.run({data, {}, windows[1]}, window_seed(seed, windows[1]));
    CHECK(*density.fits == 5);
    CHECK(r_ahead.data_score == r_plain.data_score);
    REQUIRE(r_ahead.template_score.has_value());
    CHECK(*r_ahead.template_score == *r_plain.template_score);

    // δ_sys^SB from the fits made ahead equals δ_sys^SB fitting its own (the same seeds).
    struct Sum {
        void fit(const TrainingSet&, std::uint64_t) {}
        Vector predict(const Matrix& X) const { return X.col(0) + X.col(1); }
    };
    const auto shared = cathode_sideband_shifts(plain, fits, Sum{}, data, windows, {0.1}, 5, seed);
    CHECK(*density.fits == 5);
    const auto own = cathode_sideband_shifts(plain, Sum{}, data, windows, {0.1}, 5, seed);
    CHECK(*density.fits == 7);
    CHECK(shared[0].per_window == own[0].per_window);

    // A fit made on other data, or given for another window, is refused.
    const Events other = toy(30000, 0, 9).without_truth();
    CHECK_THROWS_WITH_AS(ahead.generate(GeneratorInput{other, {}, windows[0]}, g0),
                         doctest::Contains("CATHODE: the density fitted ahead for the window [3.300000, 3.700000)"),
                         input_error);
    const Events moved(Matrix(clean.X().array() + 0.5), clean.m());   // the same masses, other features
    CHECK_THROWS_WITH_AS(ahead.generate(GeneratorInput{moved, {}, windows[0]}, g0), doctest::Contains("with other values"),
                         input_error);
    CHECK_THROWS_WITH_AS(cathode_sideband_shifts(plain, fits, Sum{}, moved, windows, {0.1}, 5, seed),
                         doctest::Contains("was not fitted on this window of these data"), input_error);
    CHECK_THROWS_WITH_AS(cathode_sideband_shifts(plain, fits, Sum{}, data, windows, {0.1}, 5, seed + 1),
                         doctest::Contains("with this seed"), input_error);
    CHECK_THROWS_WITH_AS(cathode_sideband_shifts(plain, std::vector{fits[1], fits[0]}, Sum{}, data, windows, {0.1}, 5, seed),
                         doctest::Contains("was not fitted on this window of these data"), input_error);
    CHECK_THROWS_WITH_AS(cathode_sideband_shifts(plain, std::vector{fits[0]}, Sum{}, data, windows, {0.1}, 5, seed),
                         doctest::Contains("1 fitted densities for 2 windows"), input_error);
}

TEST_CASE("CATHODE errors name the problem") {
    const Events data = toy(2000, 0, 5).without_truth();
    const Cathode<LinearGaussian> c;
    CHECK_THROWS_WITH_AS(c.generate(GeneratorInput{data, {}, Window::with_sidebands({5.0, 5.5})}, 0),
                         doctest::Contains("CATHODE: no data events in the signal region"), input_error);
    CHECK_THROWS_WITH_AS(Cathode<LinearGaussian>(LinearGaussian{}, CathodeParams{0}), doctest::Contains("oversampling"),
                         input_error);
}

}  // namespace unit_test_cathode
