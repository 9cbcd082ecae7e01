// The MAF flow's network (models/flow/made.hpp, network.hpp) in double precision: the MADE
// transform is autoregressive (numeric Jacobian triangular), inverts exactly, log_prob equals the
// change of variables with a finite-difference Jacobian, the hand-written training gradient
// (batch norm in training mode included) equals finite differences of the loss, and a training
// step is bit-identical with one or two threads.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include <Eigen/LU>

#include "resanom/core/parallel.hpp"
#include "resanom/core/random.hpp"
#include "resanom/models/flow/network.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_flow {

using namespace resanom;
using namespace resanom::flow;

namespace {

// A flow with all parameters (biases, batch norm) randomized, so no term is trivially zero.
FlowNet<double> random_flow(Index d, Index k, Index H, int blocks, bool bn, std::uint64_t seed,
                            Permutation perm = Permutation::reverse) {
    FlowShape sh;
    sh.made = MadeShape{d, k, H, 2.0};
    sh.blocks = blocks;
    sh.batch_norm = bn;
    FlowNet<double> f(sh, perm, seed);
    Rng rng(seed + 100);
    for (int b = 0; b < blocks; ++b) {
        double* p = f.params().data() + f.made_offset(b);
        const MadeShape& s = sh.made;
        for (Index i = 0; i < s.H; ++i) p[s.ob1() + i] = normal(rng, 0.0, 0.3), p[s.ob2() + i] = normal(rng, 0.0, 0.3);
        for (Index i = 0; i < 2 * d; ++i) p[s.ob3() + i] = normal(rng, 0.0, 0.3);
        // larger output weights so that log-scales are far from zero
        for (Index i = 0; i < 2 * d * H; ++i) p[s.oW3() + i] *= 3.0;
        if (bn) {
            double* q = f.params().data() + f.bn_offset(b);
            for (Index i = 0; i < 2 * d; ++i) q[i] = normal(rng, 0.0, 0.3);
            double* st = f.state().data() + f.state_offset(b);
            for (Index i = 0; i < d; ++i) st[i] = normal(rng, 0.0, 0.5), st[d + i] = 0.5 + uniform01(rng);
        }
    }
    return f;
}

Mat<double> random_matrix(Index r, Index c, std::uint64_t seed) {
    Rng rng(seed);
    Mat<double> M(r, c);
    for (Index j = 0; j < c; ++j)
        for (Index i = 0; i < r; ++i) M(i, j) = normal(rng);
    return M;
}

}  // namespace

TEST_CASE("MADE block: the numeric Jacobian is lower triangular with diagonal exp(-s)") {
    const Index d = 5, k = 2, H = 23;
    auto f = random_flow(d, k, H, 2, false, 3);
    const Mat<double> Z = random_matrix(d, 6, 1), M = random_matrix(k, 6, 2);
    for (int b = 0; b < 2; ++b) {
        const Mat<double> U = f.made_transform(b, Z, M);
        int nonzero_below = 0;
        for (Index e = 0; e < Z.cols(); ++e) {
            double logdet = 0.0;
            for (Index j = 0; j < d; ++j) {
                const double h = 1e-6;
                Mat<double> Zp = Z.col(e), Zm = Z.col(e);
                Zp(j, 0) += h;
                Zm(j, 0) -= h;
                const Mat<double> Up = f.made_transform(b, Zp, M.col(e)), Um = f.made_transform(b, Zm, M.col(e));
                for (Index i = 0; i < d; ++i) {
                    const double J = (Up(i, 0) - Um(i, 0)) / (2 * h);
                    if (j > i) CHECK(Up(i, 0) == Um(i, 0));  // exactly: u_i never sees z_j, j > i
                    if (j < i && std::abs(J) > 1e-8) ++nonzero_below;
                    if (i == j) {
                        CHECK(J > 0.0);
                        logdet += std::log(J);
                    }
                }
            }
            // the diagonal is exp(−s_i): compare Σ log J_ii with the log-det of the pass
            FlowInferWork<double> w;
            w.allocate(f.shape().made, 1);
            Vec<double> ld = Vec<double>::Zero(1);
            made_forward<double>(f.shape().made, f.params().data() + f.made_offset(b), Z.col(e), M.col(e), w.cache, w.o,
                                 ld.data());
            CHECK(logdet == doctest::Approx(ld[0]).epsilon(1e-6));
        }
        CHECK(nonzero_below > Z.cols() * d);  // the block is not trivially diagonal
    }
}

TEST_CASE("MADE block: the inverse undoes the forward pass; outputs depend on m") {
    const Index d = 4, k = 1, H = 16;
    auto f = random_flow(d, k, H, 1, false, 5);
    const Mat<double> Z = random_matrix(d, 50, 7), M = random_matrix(k, 50, 8);
    const Mat<double> U = f.made_transform(0, Z, M);
    const Mat<double> Z2 = f.made_inverse_transform(0, U, M);
    CHECK((Z2 - Z).cwiseAbs().maxCoeff() < 1e-12);
    // every output, the first included, changes with m
    const Mat<double> U2 = f.made_transform(0, Z, M.array() + 0.5);
    for (Index i = 0; i < d; ++i) CHECK((U2.row(i) - U.row(i)).cwiseAbs().maxCoeff() > 1e-3);
}

// The float kernels (the register-tiled ones on an AVX-512 build) against the double-precision
// Eigen path on the same parameters and inputs: forward outputs and every parameter gradient.
TEST_CASE("MADE block: float forward and backward agree with the double-precision reference") {
    struct Case { Index d, k, H, n; };
    // groups of 32 (the reference flow), of 16 (tiles of 16 rows), two conditional inputs, event
    // counts that leave remainder tiles of 4, 2 and 1 columns
    for (const Case c : {Case{4, 1, 128, 128}, Case{3, 2, 48, 37}, Case{4, 1, 64, 15}}) {
        CAPTURE(c.H);
        CAPTURE(c.n);
        const MadeShape sh{c.d, c.k, c.H, 2.0};
        std::vector<double> pd(static_cast<std::size_t>(sh.n_params()));
        Rng rng(11);
        made_initialize<double>(sh, pd.data(), rng);
        for (Index i = 0; i < sh.H; ++i) pd[sh.ob1() + i] = normal(rng, 0.0, 0.3), pd[sh.ob2() + i] = normal(rng, 0.0, 0.3);
        for (Index i = 0; i < 2 * c.d; ++i) pd[sh.ob3() + i] = normal(rng, 0.0, 0.3);
        std::vector<float> pf(pd.size());
        for (std::size_t i = 0; i < pd.size(); ++i) pf[i] = static_cast<float>(pd[i]), pd[i] = static_cast<double>(pf[i]);
        const Mat<double> Zd = random_matrix(c.d, c.n, 12), Md = random_matrix(c.k, c.n, 13), dUd = random_matrix(c.d, c.n, 14);
        const Mat<float> Zf = Zd.cast<float>(), Mf = Md.cast<float>(), dUf = dUd.cast<float>();
        MadeCache<double> cd;
        MadeCache<float> cf;
        MadeScratch<double> sd;
        MadeScratch<float> sf;
        cd.allocate(sh, c.n), cf.allocate(sh, c.n), sd.allocate(sh, c.n), sf.allocate(sh, c.n);
        made_forward<double>(sh, pd.data(), Zd.cast<float>().cast<double>().eval(), Mf.cast<double>().eval(), cd, sd.o);
        made_forward<float>(sh, pf.data(), Zf, Mf, cf, sf.o);
        CHECK((cf.a1.cast<double>() - cd.a1).cwiseAbs().maxCoeff() < 1e-5 * (1.0 + cd.a1.cwiseAbs().maxCoeff()));
        CHECK((cf.a2.cast<double>() - cd.a2).cwiseAbs().maxCoeff() < 1e-5 * (1.0 + cd.a2.cwiseAbs().maxCoeff()));
        CHECK((cf.u.cast<double>() - cd.u).cwiseAbs().maxCoeff() < 1e-4 * (1.0 + cd.u.cwiseAbs().maxCoeff()));
        std::vector<double> gd(pd.size(), 7.0);
        std::vector<float> gf(pd.size(), 7.0f);
        made_backward<double>(sh, pd.data(), dUf.cast<double>().eval(), 1.0 / 64, Zf.cast<double>().eval(),
                              Mf.cast<double>().eval(), cd, sd, gd.data());
        made_backward<float>(sh, pf.data(), dUf, 1.0f / 64, Zf, Mf, cf, sf, gf.data());
        double scale = 0.0, worst = 0.0;
        for (std::size_t i = 0; i < gd.size(); ++i) scale = std::max(scale, std::abs(gd[i]));
        for (std::size_t i = 0; i < gd.size(); ++i) worst = std::max(worst, std::abs(static_cast<double>(gf[i]) - gd[i]));
        CHECK(worst < 1e-5 * scale);
        // the masked weights' gradients: written as zeros by both
        for (Index h = 0; h < sh.H; ++h)
            for (Index j = 0; j < c.d; ++j)
                if (!mask_w1(sh, h, j)) CHECK(gf[static_cast<std::size_t>(sh.oW1() + j * sh.H + h)] == 0.0f);
        CHECK((sf.dz.cast<double>() - sd.dz).cwiseAbs().maxCoeff() < 1e-4 * (1.0 + sd.dz.cwiseAbs().maxCoeff()));
    }
}

TEST_CASE("flow: log_prob equals the change of variables with a finite-difference Jacobian") {
    for (const bool bn : {true, false}) {
        for (const auto perm : {Permutation::reverse, Permutation::random}) {
            const Index d = 3, k = 1;
            auto f = random_flow(d, k, 12, 3, bn, 11, perm);
            const Mat<double> Z = random_matrix(d, 5, 12), M = random_matrix(k, 5, 13);
            FlowInferWork<double> w;
            w.allocate(f.shape().made, 1);
            for (Index e = 0; e < Z.cols(); ++e) {
                double lp = 0.0;
                Mat<double> base;
                f.forward_infer(Z.col(e), M.col(e), w, &lp, &base);
                Mat<double> J(d, d);
                for (Index j = 0; j < d; ++j) {
                    const double h = 1e-6;
                    Mat<double> Zp = Z.col(e), Zm = Z.col(e), bp, bm;
                    Zp(j, 0) += h;
                    Zm(j, 0) -= h;
                    double dummy = 0.0;
                    f.forward_infer(Zp, M.col(e), w, &dummy, &bp);
                    f.forward_infer(Zm, M.col(e), w, &dummy, &bm);
                    J.col(j) = (bp - bm) / (2 * h);
                }
                const double expected = -0.5 * base.squaredNorm() - 0.5 * d * std::log(2 * M_PI) +
                                        std::log(std::abs(J.determinant()));
                CHECK(lp == doctest::Approx(expected).epsilon(1e-7));
            }
            // the whole flow inverts
            const Mat<double> B = random_matrix(d, 40, 14), Mb = random_matrix(k, 40, 15);
            Mat<double> base(d, 40);
            std::vector<double> lp(40);
            FlowInferWork<double> w40;
            w40.allocate(f.shape().made, 40);
            f.forward_infer(f.inverse(B, Mb), Mb, w40, lp.data(), &base);
            CHECK((base - B).cwiseAbs().maxCoeff() < 1e-10);
        }
    }
}

TEST_CASE("flow: the training gradient (batch norm in training mode) equals finite differences") {
    for (const bool bn : {true, false}) {
        const Index d = 3, k = 2, B = 9;
        auto f = random_flow(d, k, 9, 2, bn, 21);
        const Mat<double> Z = random_matrix(d, 20, 22), M = random_matrix(k, 20, 23);
        std::vector<Index> cols = {3, 17, 0, 5, 8, 11, 19, 2, 14};
        auto ws = f.make_train_work(B, 2);
        Vec<double> grad;
        const double loss = f.loss_and_gradient(Z, M, cols.data(), B, ws, grad);
        CHECK(std::isfinite(loss));
        Vec<double> g2;
        const MadeShape& s = f.shape().made;
        Index checked = 0;
        for (Index i = 0; i < f.n_params(); ++i) {
            const double saved = f.params()[i];
            const double h = 1e-5;
            f.params()[i] = saved + h;
            const double lp = f.loss_and_gradient(Z, M, cols.data(), B, ws, g2);
            f.params()[i] = saved - h;
            const double lm = f.loss_and_gradient(Z, M, cols.data(), B, ws, g2);
            f.params()[i] = saved;
            const double fd = (lp - lm) / (2 * h);
            const Index blk = i / (f.n_params() / f.blocks()), off = i - f.made_offset(static_cast<int>(blk));
            bool masked = false;
            if (off >= s.oW1() && off < s.ob1()) masked = !mask_w1(s, (off - s.oW1()) % s.H, (off - s.oW1()) / s.H);
            if (off >= s.oW2() && off < s.ob2()) masked = !mask_w2(s, (off - s.oW2()) % s.H, (off - s.oW2()) / s.H);
            if (off >= s.oW3() && off < s.ob3()) masked = !mask_w3(s, (off - s.oW3()) % (2 * d), (off - s.oW3()) / (2 * d));
            if (masked) {  // stays zero: its gradient is never written
                CHECK(grad[i] == 0.0);
                CHECK(saved == 0.0);
                continue;
            }
            CHECK(grad[i] == doctest::Approx(fd).epsilon(1e-5).scale(1e-7));
            ++checked;
        }
        CHECK(checked > 100);
    }
}

TEST_CASE("flow: a training step is bit-identical with one or two threads") {
    const Index d = 4, k = 1, B = 64;
    auto f = random_flow(d, k, 32, 3, true, 31);
    FlowNet<float> ff(f.shape(), Permutation::reverse, 31);
    ff.params() = f.params().cast<float>();
    const Mat<float> Z = random_matrix(d, 100, 32).cast<float>(), M = random_matrix(k, 100, 33).cast<float>();
    std::vector<Index> cols(B);
    for (Index i = 0; i < B; ++i) cols[static_cast<std::size_t>(i)] = (i * 37) % 100;
    auto w1 = ff.make_train_work(B, 2), w2 = ff.make_train_work(B, 2);
    Vec<float> g1, g2;
    ThreadPool pool(2);
    const double l1 = ff.loss_and_gradient(Z, M, cols.data(), B, w1, g1, nullptr);
    const double l2 = ff.loss_and_gradient(Z, M, cols.data(), B, w2, g2, &pool);
    CHECK(l1 == l2);
    CHECK(g1 == g2);
    const Vector a = ff.log_prob(Z, M, nullptr, 16), b = ff.log_prob(Z, M, &pool, 16);
    CHECK(a == b);
}

}  // namespace unit_test_flow
