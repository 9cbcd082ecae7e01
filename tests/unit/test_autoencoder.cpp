// Tests of Autoencoder and AutoencoderEnsemble (models/mlp/autoencoder.hpp): on data lying on a
// one-dimensional curve in 4-D, off-curve points score higher; the FVU of Collins et al. 2021, App.
// C, behaves (below the trivial value 1, equal to the mean per-event MSE on standardized data); the
// architecture follows Collins et al. 2021, §3.2; determinism; save/load; bad input.
#include <doctest/doctest.h>

#include <cstring>

#include <cmath>

#include "resanom/models/mlp/autoencoder.hpp"
#include "resanom/stats/metrics.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_autoencoder {

using namespace resanom;

namespace {

// Points on the curve t ↦ (t, t², sin 2t, cos t) with a little noise.
Matrix on_curve(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Matrix X(n, 4);
    for (Index i = 0; i < n; ++i) {
        const double t = uniform(rng, -1.5, 1.5);
        X(i, 0) = t;
        X(i, 1) = t * t;
        X(i, 2) = std::sin(2 * t);
        X(i, 3) = std::cos(t);
        for (Index j = 0; j < 4; ++j) X(i, j) += 0.02 * normal(rng);
    }
    return X;
}

// Points in the same box, off the curve.
Matrix off_curve(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Matrix X(n, 4);
    for (Index i = 0; i < n; ++i) {
        X(i, 0) = uniform(rng, -1.5, 1.5);
        X(i, 1) = uniform(rng, 0.0, 2.25);
        X(i, 2) = uniform(rng, -1.0, 1.0);
        X(i, 3) = uniform(rng, 0.07, 1.0);
    }
    return X;
}

AutoencoderEnsembleParams small() {
    AutoencoderEnsembleParams p;
    p.member.hidden = {32};
    p.member.latent = 1;
    p.member.epochs = 15;
    p.member.batch_size = 64;
    p.member.adam.learning_rate = 3e-3;
    p.ensemble = 3;
    p.subsample = 3000;
    return p;
}

}  // namespace

TEST_CASE("an autoencoder ensemble scores off-manifold points higher (AUC > 0.9)") {
    const Matrix train = on_curve(4000, 1);
    AutoencoderEnsemble ae(small());
    ae.fit(train, 2);
    const Matrix in = on_curve(1000, 3), out = off_curve(1000, 4);
    Matrix X(2000, 4);
    X << in, out;
    Vector label(2000);
    label << Vector::Zero(1000), Vector::Ones(1000);
    const Vector s = ae.score(X);
    CHECK(auc(s, label) > 0.9);
    CHECK((s.array() >= 0.0).all());
    // FVU: well below 1 on the curve, and the mean per-event MSE in standardized units (eq. C.3).
    CHECK(ae.fvu() < 0.3);
    CHECK(ae.fvu() > 0.0);
    const Autoencoder& m0 = ae.members()[0];
    const Matrix Z = m0.standardizer().transform(train);
    const double den = (Z.rowwise() - Z.colwise().mean()).squaredNorm() / static_cast<double>(Z.rows() * Z.cols());
    CHECK(m0.fvu(train) == doctest::Approx(m0.score(train).mean() / den).epsilon(1e-6));
    // Reconstructions live in the units of X.
    const Matrix R = m0.reconstruct(in);
    CHECK((R - in).cwiseAbs().mean() < 0.3);
}

TEST_CASE("architecture and defaults of Collins et al. 2021, §3.2") {
    const AutoencoderParams p;
    CHECK(p.hidden == std::vector<Index>{512, 512});
    CHECK(p.latent == 2);
    CHECK(p.epochs == 1);
    CHECK(p.batch_size == 128);
    CHECK(p.adam.learning_rate == 1e-4);
    nn::Network<float> net(p.layers());
    net.build(10, 1);
    std::vector<Index> dense_widths;
    for (const auto& L : net.layers())
        if (L.spec.kind == nn::LayerKind::dense) dense_widths.push_back(L.out);
    CHECK(dense_widths == std::vector<Index>{512, 512, 2, 512, 512, 10});
    CHECK(net.layers()[2].spec.kind == nn::LayerKind::batch_norm);
    const AutoencoderEnsembleParams e;
    CHECK(e.ensemble == 50);
    CHECK(e.subsample == 50000);
}

TEST_CASE("deterministic with a seed whatever the thread count; save/load identity") {
    const Matrix train = on_curve(800, 5);
    AutoencoderEnsembleParams p = small();
    p.member.epochs = 2;
    p.member.hidden = {16, 8};
    p.member.batch_norm = true;
    p.subsample = 500;
    p.threads = 1;
    AutoencoderEnsemble a(p);
    a.fit(train, 6);
    p.threads = 2;
    AutoencoderEnsemble b(p);
    b.fit(train, 6);
    CHECK(a.score(train) == b.score(train));
    CHECK(a.fvu() == b.fvu());
    AutoencoderEnsemble c(p);
    c.fit(train, 7);
    CHECK(c.score(train) != a.score(train));

    resanom_test::TempDir dir;
    a.save(dir.file("ae.bin"));
    const AutoencoderEnsemble l = AutoencoderEnsemble::load(dir.file("ae.bin"));
    CHECK(l.score(train) == a.score(train));
    CHECK(l.fvu() == a.fvu());
    std::string bytes = resanom_test::slurp(dir.file("ae.bin"));
    bytes[bytes.size() - 30] ^= 1;
    resanom_test::write_bytes(dir.file("bad.bin"), bytes);
    CHECK_THROWS_WITH_AS(AutoencoderEnsemble::load(dir.file("bad.bin")), doctest::Contains("bad.bin"), io_error);
    // A file of format 2, from before the autoencoder stored its training FVU, is refused.
    std::string old = resanom_test::slurp(dir.file("ae.bin"));
    const std::uint32_t two = 2;
    std::memcpy(old.data() + 8, &two, 4);
    resanom_test::write_bytes(dir.file("old.bin"), old);
    CHECK_THROWS_WITH_AS(AutoencoderEnsemble::load(dir.file("old.bin")), doctest::Contains("train it again"), io_error);
    a.members()[0].save(dir.file("single.bin"));
    std::string single = resanom_test::slurp(dir.file("single.bin"));
    std::memcpy(single.data() + 8, &two, 4);
    resanom_test::write_bytes(dir.file("old_single.bin"), single);
    CHECK_THROWS_WITH_AS(Autoencoder::load(dir.file("old_single.bin")), doctest::Contains("train it again"), io_error);
    // The ensemble is the generic one: an ensemble file loads as Ensemble<Autoencoder> too, and a
    // single autoencoder's file as an ensemble of one.
    const Ensemble<Autoencoder> g = Ensemble<Autoencoder>::load(dir.file("ae.bin"));
    CHECK(g.score(train) == a.score(train));
    a.members()[1].save(dir.file("one.bin"));
    const AutoencoderEnsemble one = AutoencoderEnsemble::load(dir.file("one.bin"));
    CHECK(l.subsample() == l.params().subsample);  // a loaded ensemble refits as its parameters say
    CHECK(one.size() == 1);
    CHECK(one.score(train) == a.members()[1].score(train));
    CHECK(one.fvu() == a.members()[1].training_fvu());
}

TEST_CASE("the latent size by the FVU (Collins et al. 2021, App. C): two hidden parameters, two dimensions") {
    // Six features made of two independent parameters, three copies each: a second latent
    // dimension explains about half the variance (three features' worth, > 1.5/n), a third hardly
    // more than the noise.
    Rng rng(31);
    Matrix X(4000, 6);
    for (Index i = 0; i < X.rows(); ++i) {
        const double a = normal(rng), b = normal(rng);
        for (Index j = 0; j < 6; ++j) X(i, j) = (j < 3 ? a : b) + 0.03 * normal(rng);
    }
    AutoencoderEnsembleParams base;
    base.member.hidden = {32};
    base.member.epochs = 30;
    base.member.batch_norm = false;
    base.member.adam.learning_rate = 3e-3;
    base.subsample = 4000;
    base.threads = 1;
    LatentSelectionParams sel;
    sel.max_latent = 4;
    sel.trainings = 2;
    const LatentSelection r = select_latent_by_fvu(X, base, sel, 5);
    REQUIRE(r.fvu.size() == 4);
    INFO("FVU by latent size: " << r.fvu[0] << ", " << r.fvu[1] << ", " << r.fvu[2] << ", " << r.fvu[3]);
    CHECK(r.threshold == doctest::Approx(1.5 / 6.0));
    CHECK(r.latent == 2);
    CHECK(r.fvu[0] - r.fvu[1] > r.threshold);
    CHECK(r.fvu[1] - r.fvu[2] <= r.threshold);
    CHECK(r.fvu[1] < 0.1);   // two dimensions explain all but the noise
    // Seeded: the same table again.
    CHECK(select_latent_by_fvu(X, base, sel, 5).fvu == r.fvu);
    sel.max_latent = 0;
    CHECK_THROWS_AS(select_latent_by_fvu(X, base, sel, 5), input_error);
}

TEST_CASE("bad input raises input_error") {
    AutoencoderEnsemble ae(small());
    CHECK_THROWS_WITH_AS(ae.score(Matrix::Zero(2, 4)), doctest::Contains("not fitted"), input_error);
    CHECK_THROWS_WITH_AS(ae.fit(Matrix(0, 4), 1), doctest::Contains("no events"), input_error);
    Matrix X = on_curve(100, 8);
    X(7, 2) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH_AS(ae.fit(X, 1), doctest::Contains("row 7, column 2"), input_error);
    AutoencoderEnsembleParams p = small();
    p.ensemble = 0;
    CHECK_THROWS_WITH_AS(AutoencoderEnsemble{p}, doctest::Contains("ensemble size"), input_error);
    p = small();
    p.member.latent = 0;
    CHECK_THROWS_WITH_AS(AutoencoderEnsemble{p}, doctest::Contains("latent"), input_error);
    AutoencoderEnsemble ok(small());
    ok.fit(on_curve(300, 9), 1);
    CHECK_THROWS_WITH_AS(ok.score(Matrix::Zero(2, 3)), doctest::Contains("3 features"), input_error);
}

}  // namespace unit_test_autoencoder
