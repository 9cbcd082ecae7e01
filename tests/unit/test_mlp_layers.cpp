// Tests of the dense-network building blocks (models/mlp): every layer's backward pass and the
// losses' gradients against central finite differences in double precision, BatchNorm in train and
// inference mode, Dropout, how weights and soft labels enter the loss, Adam's update formula,
// gradient clipping, and that a training step allocates nothing.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "resanom/core/parallel.hpp"
#include "resanom/core/random.hpp"
#include "resanom/models/nn/adam.hpp"
#include "resanom/models/nn/train_loop.hpp"
#include "resanom/models/mlp/loss.hpp"
#include "resanom/models/mlp/network.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_mlp_layers {

using namespace resanom;
using namespace resanom::nn;

namespace {

using MatD = Mat<double>;

MatD random_matrix(Index r, Index c, std::uint64_t seed, double scale = 1.0) {
    Rng rng(seed);
    MatD m(r, c);
    for (Index j = 0; j < c; ++j)
        for (Index i = 0; i < r; ++i) m(i, j) = scale * normal(rng);
    return m;
}

// L = Σ R ⊙ output, so ∂L/∂output = R. Dropout draws the same mask every call (fixed Rng seed).
double objective(const Network<double>& net, Workspace<double>& ws, const MatD& X, const MatD& R, Mode mode) {
    const Index n = X.cols();
    ws.input(n) = X;
    Rng rng(99);
    forward(net, ws, n, mode, &rng);
    return (ws.output(n).array() * R.array()).sum();
}

// Checks ∂L/∂params and ∂L/∂input of `net` against central differences.
void check_gradients(Network<double>& net, Index in, Index n, std::uint64_t seed, Mode mode = Mode::train) {
    net.build(in, seed);
    // Non-trivial BatchNorm / bias parameters, so that every term of the backward pass matters.
    Rng prng(seed + 1);
    for (Index i = 0; i < net.params().size(); ++i)
        if (net.params()[i] == 0.0 || net.params()[i] == 1.0) net.params()[i] += 0.3 * normal(prng);
    Workspace<double> ws(net, n);
    const MatD X = random_matrix(in, n, seed + 2);
    const MatD R = random_matrix(net.out_width(), n, seed + 3);
    objective(net, ws, X, R, mode);
    ws.output_grad(n) = R;
    backward(net, ws, n, /*input_grad=*/true);
    const Vec<double> g = ws.gradient;
    const MatD gx = ws.grad[0].leftCols(n);

    const double h = 1e-6;
    Workspace<double> ws2(net, n);
    double worst = 0.0;
    for (Index i = 0; i < net.params().size(); ++i) {
        const double keep = net.params()[i];
        net.params()[i] = keep + h;
        const double up = objective(net, ws2, X, R, mode);
        net.params()[i] = keep - h;
        const double down = objective(net, ws2, X, R, mode);
        net.params()[i] = keep;
        const double fd = (up - down) / (2 * h);
        worst = std::max(worst, std::abs(fd - g[i]) / std::max(1.0, std::abs(fd)));
    }
    CHECK(worst < 1e-6);
    double worst_x = 0.0;
    for (Index j = 0; j < n; ++j)
        for (Index i = 0; i < in; ++i) {
            MatD Xp = X, Xm = X;
            Xp(i, j) += h;
            Xm(i, j) -= h;
            const double fd = (objective(net, ws2, Xp, R, mode) - objective(net, ws2, Xm, R, mode)) / (2 * h);
            worst_x = std::max(worst_x, std::abs(fd - gx(i, j)) / std::max(1.0, std::abs(fd)));
        }
    CHECK(worst_x < 1e-6);
}

}  // namespace

TEST_CASE("every layer's backward pass matches finite differences (double precision)") {
    const std::vector<std::pair<const char*, std::vector<LayerSpec>>> cases = {
        {"Dense", {dense(5)}},
        {"Dense + ReLU (fused bias)", {dense(6), relu()}},
        {"Dense + LeakyReLU", {dense(6), leaky_relu(0.1)}},
        {"Dense + ELU", {dense(6), elu(1.0)}},
        {"Dense + Tanh", {dense(6), tanh_layer()}},
        {"Dense + Sigmoid", {dense(6), sigmoid()}},
        {"Dense + Identity", {dense(6), identity()}},
        {"ReLU alone (input gradient)", {relu(), dense(3)}},
        {"Dropout", {dense(7), dropout(0.3), dense(2)}},
        {"BatchNorm (batch statistics)", {dense(5), batch_norm(), dense(2)}},
        {"BatchNorm first", {batch_norm(), dense(3)}},
        {"network of Collins et al. 2021, §3.1", CwolaHuntingNet::layer_specs()},
    };
    for (const auto& [name, specs] : cases) {
        CAPTURE(name);
        Network<double> net(specs);
        check_gradients(net, 4, 9, 11);
    }
    SUBCASE("a whole autoencoder (Dense<0> output as wide as the input)") {
        Network<double> net({dense(8), relu(), batch_norm(), dense(2), identity(), dense(8), elu(), dense(0)});
        check_gradients(net, 3, 6, 5);
    }
    SUBCASE("a broken backward pass is caught") {
        // The check itself must be able to fail: perturb the analytic gradient's premise by using
        // inference-mode BatchNorm in the objective but batch statistics in backward.
        Network<double> net({dense(4), batch_norm(), dense(1)});
        net.build(3, 2);
        net.state().setConstant(0.5);
        Workspace<double> ws(net, 5);
        const MatD X = random_matrix(3, 5, 1), R = random_matrix(1, 5, 2);
        objective(net, ws, X, R, Mode::train);
        ws.output_grad(5) = R;
        backward(net, ws, 5);
        const double h = 1e-6;
        Workspace<double> ws2(net, 5);
        const double keep = net.params()[0];
        net.params()[0] = keep + h;
        const double up = objective(net, ws2, X, R, Mode::infer);
        net.params()[0] = keep - h;
        const double down = objective(net, ws2, X, R, Mode::infer);
        net.params()[0] = keep;
        CHECK(std::abs((up - down) / (2 * h) - ws.gradient[0]) > 1e-4);
    }
}

TEST_CASE("Sequential types name their layers; aliases follow the papers") {
    using Net = BasicSequential<double, Dense<8>, ReLU, Dense<4>, Tanh, Dense<1>>;
    Net net;
    net.build(3, 1);
    CHECK(net.layers().size() == 5);
    CHECK(net.n_params() == (3 * 8 + 8) + (8 * 4 + 4) + (4 + 1));
    CHECK(net.out_width() == 1);
    CHECK(Mlp3x64::layer_specs().size() == 7);
    CHECK(describe(CwolaHuntingNet::layer_specs()[1]) == "LeakyReLU(0.1)");
    Autoencoder004Net ae;
    ae.build(10, 1);
    CHECK(ae.out_width() == 10);
    CHECK(ae.batch_coupled());
    // He initialization before ReLU: weight variance ≈ 2/in.
    Network<double> wide({dense(400), relu()});
    wide.build(200, 3);
    const auto W = wide.weight(0);
    const double var = W.array().square().mean();
    CHECK(var == doctest::Approx(2.0 / 200).epsilon(0.05));
    Network<double> glorot({dense(400), tanh_layer()});
    glorot.build(200, 3);
    CHECK(glorot.weight(0).array().square().mean() == doctest::Approx(2.0 / 600).epsilon(0.05));
    CHECK(glorot.bias(0).isZero());
}

TEST_CASE("BatchNorm: batch statistics in training, running statistics in inference") {
    Network<double> net({batch_norm(1.0)});  // momentum 1: running stats = last batch's
    net.build(2, 1);
    const MatD X = random_matrix(2, 8, 4, 3.0).array() + 5.0;
    Workspace<double> ws(net, 8);
    ws.input(8) = X;
    forward(net, ws, 8, Mode::train);
    const MatD y_train = ws.output(8);
    for (Index f = 0; f < 2; ++f) {
        const double mu = X.row(f).mean();
        const double var_b = (X.row(f).array() - mu).square().mean();
        CHECK(y_train.row(f).mean() == doctest::Approx(0.0).scale(1.0));
        CHECK(y_train(f, 0) == doctest::Approx((X(f, 0) - mu) / std::sqrt(var_b + batch_norm_epsilon)));
        CHECK(net.state()[f] == doctest::Approx(mu));                       // running mean
        CHECK(net.state()[2 + f] == doctest::Approx(var_b * 8.0 / 7.0));    // unbiased running variance
    }
    // Inference uses the running statistics: an event's output does not depend on its batch.
    const Vec<double> before = net.state();
    ws.input(8) = X;
    forward(static_cast<const Network<double>&>(net), ws, 8, Mode::infer);
    const MatD y_inf = ws.output(8);
    ws.input(1) = X.col(3);
    forward(static_cast<const Network<double>&>(net), ws, 1, Mode::infer);
    CHECK(ws.output(1)(0, 0) == doctest::Approx(y_inf(0, 3)));
    CHECK(net.state() == before);  // inference leaves the running statistics alone
    const double mu0 = X.row(0).mean(), var_u = (X.row(0).array() - mu0).square().sum() / 7.0;
    CHECK(y_inf(0, 0) == doctest::Approx((X(0, 0) - mu0) / std::sqrt(var_u + batch_norm_epsilon)));
    CHECK(y_inf(0, 0) != doctest::Approx(y_train(0, 0)));
    // Momentum 0.1: running mean moves a tenth of the way.
    Network<double> slow({batch_norm(0.1)});
    slow.build(2, 1);
    Workspace<double> ws2(slow, 8);
    ws2.input(8) = X;
    forward(slow, ws2, 8, Mode::train);
    CHECK(slow.state()[0] == doctest::Approx(0.1 * X.row(0).mean()));
}

TEST_CASE("Dropout: scaled random mask in training, identity in inference") {
    Network<double> net({dropout(0.25)});
    net.build(50, 1);
    const MatD X = MatD::Ones(50, 200);
    Workspace<double> ws(net, 200);
    ws.input(200) = X;
    Rng rng(3);
    forward(net, ws, 200, Mode::train, &rng);
    const MatD Y = ws.output(200);
    const double zero_fraction = (Y.array() == 0.0).cast<double>().mean();
    CHECK(zero_fraction == doctest::Approx(0.25).epsilon(0.08));
    CHECK(((Y.array() == 0.0) || ((Y.array() - 1.0 / 0.75).abs() < 1e-12)).all());
    forward(static_cast<const Network<double>&>(net), ws, 200, Mode::infer);
    CHECK(ws.output(200) == X);
    CHECK_THROWS_AS(Network<double>({dropout(1.0)}), input_error);
}

TEST_CASE("losses: gradients match finite differences; BCE is stable for extreme logits") {
    const MatD Z = random_matrix(1, 7, 1, 3.0);
    MatD Y(1, 7);
    Y << 0.0, 1.0, 0.3, 0.7, 1.0, 0.0, 0.5;
    Vec<double> w(7);
    w << 1.0, 2.0, 0.5, 0.0, 3.0, 1.5, 1.0;
    const auto fd_check = [&](const auto& loss, const MatD& out, const MatD& target) {
        MatD g;
        loss_and_gradient(loss, out, target, w, g);
        const double h = 1e-6;
        for (Index j = 0; j < out.cols(); ++j)
            for (Index i = 0; i < out.rows(); ++i) {
                MatD up = out, dn = out, scratch;
                up(i, j) += h;
                dn(i, j) -= h;
                const double fd = (loss_and_gradient(loss, up, target, w, scratch) -
                                   loss_and_gradient(loss, dn, target, w, scratch)) /
                                  (2 * h);
                CHECK(g(i, j) == doctest::Approx(fd).epsilon(1e-6));
            }
    };
    fd_check(BceWithLogits(), Z, Y);
    fd_check(BceWithLogits(1.7, 0.4), Z, Y);
    const MatD O = random_matrix(3, 7, 2), T = random_matrix(3, 7, 3);
    fd_check(Mse(), O, T);

    // Numerically stable for |z| = 1000.
    MatD big(1, 2), lab(1, 2), g;
    big << 1000.0, -1000.0;
    lab << 0.0, 0.0;
    const Vec<double> w2 = Vec<double>::Ones(2);
    const double L = loss_and_gradient(BceWithLogits(), big, lab, w2, g);
    CHECK(L == doctest::Approx(500.0));  // (1000 + 0)/2
    CHECK(g.allFinite());
    CHECK(BceWithLogits().event(-800.0, 1.0) == doctest::Approx(800.0));
}

TEST_CASE("weights and soft labels enter the BCE loss as the formula says") {
    const BceWithLogits bce(1.5, 0.5);
    // Soft label y: ℓ = y·s1·ℓ(1) + (1−y)·s0·ℓ(0).
    const double z = 0.37;
    CHECK(bce.event(z, 0.3) == doctest::Approx(0.3 * bce.event(z, 1.0) + 0.7 * bce.event(z, 0.0)));
    CHECK(bce.event(z, 1.0) == doctest::Approx(1.5 * std::log1p(std::exp(-z))));
    CHECK(bce.event(z, 0.0) == doctest::Approx(0.5 * std::log1p(std::exp(z))));
    // Duplicating an event == giving it weight 2, for the loss sum and its gradient.
    MatD z3(1, 3), y3(1, 3), g3(1, 3), z2(1, 2), y2(1, 2), g2(1, 2);
    z3 << 0.2, 0.2, -1.1;
    y3 << 0.8, 0.8, 0.1;
    z2 << 0.2, -1.1;
    y2 << 0.8, 0.1;
    Vec<double> w3 = Vec<double>::Ones(3), w2(2);
    w2 << 2.0, 1.0;
    const double s3 = bce.accumulate<double>(z3, y3, w3, 1.0, g3);
    const double s2 = bce.accumulate<double>(z2, y2, w2, 1.0, g2);
    CHECK(s3 == doctest::Approx(s2));
    CHECK(g3(0, 0) + g3(0, 1) == doctest::Approx(g2(0, 0)));
    CHECK(g3(0, 2) == doctest::Approx(g2(0, 1)));
    // A zero weight removes the event.
    w2 << 0.0, 1.0;
    bce.accumulate<double>(z2, y2, w2, 1.0, g2);
    CHECK(g2(0, 0) == 0.0);
    // Unit factors: ∂ℓ/∂z = σ(z) − y.
    CHECK(BceWithLogits().derivative(z, 0.3) == doctest::Approx(1.0 / (1.0 + std::exp(-z)) - 0.3));
}

TEST_CASE("Adam follows its update formula; decay, weight decay and clipping") {
    AdamOptions o;
    o.learning_rate = 0.1;
    o.beta1 = 0.8;
    o.beta2 = 0.99;
    o.epsilon = 1e-8;
    o.weight_decay = 0.01;
    o.decay = 0.5;
    Adam<double> adam(o);
    Vec<double> p(2), g(2);
    p << 1.0, -2.0;
    adam.reset(2);
    double m = 0, v = 0, q = 1.0;
    for (int t = 1; t <= 3; ++t) {
        g << 0.5 * t, 0.1;
        adam.step(p, g);
        const double gi = 0.5 * t + 0.01 * q;
        m = 0.8 * m + 0.2 * gi;
        v = 0.99 * v + 0.01 * gi * gi;
        const double lr = 0.1 / (1.0 + 0.5 * (t - 1));
        q -= lr / (1 - std::pow(0.8, t)) * m / (std::sqrt(v) / std::sqrt(1 - std::pow(0.99, t)) + 1e-8);
        CHECK(p[0] == doctest::Approx(q).epsilon(1e-12));
    }
    CHECK(adam.steps() == 3);
    Vec<double> big(2);
    big << 3.0, 4.0;
    CHECK(clip_gradient_norm<double>(big, 1.0) == doctest::Approx(5.0));
    CHECK(big.norm() == doctest::Approx(1.0));
    CHECK(big[0] == doctest::Approx(0.6));
    CHECK_THROWS_AS(Adam<double>(AdamOptions{-1.0}), input_error);
}

TEST_CASE("Adam on the pool updates in pieces exactly as on one thread") {
    const Index n = Adam<float>::parallel_min_params + 1001;  // large enough for the pool, odd pieces
    Vec<float> p1(n), g(n);
    Rng rng(3);
    for (Index i = 0; i < n; ++i) {
        p1[i] = static_cast<float>(normal(rng));
        g[i] = static_cast<float>(normal(rng));
    }
    Vec<float> p2 = p1;
    AdamOptions o;
    o.weight_decay = 1e-3;
    Adam<float> a1(o), a2(o);
    a1.reset(n);
    a2.reset(n);
    ThreadPool pool(2);
    for (int t = 0; t < 3; ++t) {
        a1.step(p1, g);
        a2.step(p2, g, &pool);
        g = g.array() * 0.5f + 0.1f;
    }
    CHECK((p1.array() == p2.array()).all());
    CHECK((p1.array() != g.array()).any());
}

namespace {
// A stand-in network for the training loop: one parameter that the steps move, a scripted
// validation loss per epoch.
struct ScriptedNet {
    Vec<double> p = Vec<double>::Zero(1), s = Vec<double>::Zero(0);
    Vec<double>& params() { return p; }
    Vec<double>& state() { return s; }
    Index n_params() const { return 1; }
};

TrainHistory run_script(const std::vector<double>& val, TrainOptions o, std::vector<EpochWeights<double>>& kept,
                        std::vector<EpochReport>& reports) {
    ScriptedNet net;
    int epoch = 0;
    o.progress = [&](const EpochReport& r) { reports.push_back(r); };
    auto task = make_train_task(
        net, 10, true, 0.0,
        [&](const Index*, Index, std::uint64_t, ThreadPool*, Vec<double>& g) {
            g.setConstant(-1.0);  // Adam moves the parameter by about lr each step
            return 1.0;
        },
        [](double sum, Index steps) { return sum / static_cast<double>(steps); }, [&](ThreadPool*) { ++epoch; },
        [&](ThreadPool*) { return val[static_cast<std::size_t>(epoch - 1)]; });
    Adam<double> adam;
    return train_epochs(task, adam, o, 1, nullptr, kept, "script");
}
}  // namespace

TEST_CASE("the training loop: improvements by more than min_delta, patience, the kept epochs") {
    TrainOptions o;
    o.epochs = 6;
    o.batch_size = 5;  // two steps per epoch
    o.min_delta = 0.01;
    o.patience = 2;
    std::vector<EpochWeights<double>> kept;
    std::vector<EpochReport> reps;
    // epoch 1 improves (1.0), 2 improves (0.95 < 0.99), 3 and 4 do not (0.945, 0.942 ≥ 0.94): stop.
    TrainHistory h = run_script({1.0, 0.95, 0.945, 0.942, 0.1, 0.1}, o, kept, reps);
    CHECK(h.epochs_run == 4);
    CHECK(h.stopped_early);
    CHECK(h.best_epoch == 2);
    CHECK(h.best_val_loss == 0.95);
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].epoch == 2);  // the last improvement, not the lowest loss (0.942)
    CHECK(h.kept_epochs == std::vector<int>{2});
    REQUIRE(reps.size() == 4);
    CHECK(reps[0].improved);
    CHECK(reps[1].improved);
    CHECK(!reps[2].improved);
    CHECK(reps[3].train_loss == 1.0);
    // The kept weights are those after epoch 2's 4 steps, each of which moves the parameter by the
    // learning rate (gradient −1: m̂ = −1, v̂ = 1).
    CHECK(kept[0].params[0] == doctest::Approx(4e-3).epsilon(1e-4));

    // Keep the three lowest, no patience: epochs 5, 6 (ties: the earlier first), then 4.
    o.patience = 0;
    o.keep_best = 3;
    kept.clear();
    reps.clear();
    h = run_script({1.0, 0.95, 0.945, 0.942, 0.1, 0.1}, o, kept, reps);
    CHECK(h.epochs_run == 6);
    CHECK(h.kept_epochs == std::vector<int>{5, 6, 4});
    CHECK(h.best_epoch == 5);

    // A non-finite validation loss stops training with numeric_error.
    CHECK_THROWS_AS(run_script({1.0, std::nan("")}, o, kept, reps), numeric_error);
}

TEST_CASE("bad layer specs raise input_error naming the layer") {
    CHECK_THROWS_WITH_AS(Network<double>({dropout(1.5)}), doctest::Contains("Dropout(1.5)"), input_error);
    CHECK_THROWS_WITH_AS(Network<double>({leaky_relu(-1.0)}), doctest::Contains("alpha"), input_error);
    CHECK_THROWS_AS(Network<double>(std::vector<LayerSpec>{}), input_error);
    Network<double> net({dense(3)});
    CHECK_THROWS_WITH_AS(net.build(0, 1), doctest::Contains("input width"), input_error);
    net.build(2, 1);
    CHECK_THROWS_AS(net.weight(5), input_error);
    Workspace<double> ws(net, 4);
    CHECK_THROWS_WITH_AS(forward(net, ws, 5, Mode::infer), doctest::Contains("workspace of 4"), input_error);
}

TEST_CASE("restore checks the counts first; a refused restore leaves the network as it was") {
    Network<double> net({dense(4), relu(), dense(1)});
    net.build(3, 7);
    const Vec<double> params = net.params();
    const std::size_t n_layers = net.layers().size();
    // Parameters for input width 5 offered for width 3, and an input width beyond the limit.
    Network<double> other({dense(4), relu(), dense(1)});
    other.build(5, 1);
    CHECK_THROWS_WITH_AS(net.restore(3, other.params(), Vec<double>()), doctest::Contains("parameter count"),
                         input_error);
    CHECK_THROWS_WITH_AS(net.restore(5, params, Vec<double>()), doctest::Contains("parameter count"), input_error);
    CHECK_THROWS_WITH_AS(net.restore(max_layer_width + 1, params, Vec<double>()), doctest::Contains("input width"),
                         input_error);
    CHECK(net.in_width() == 3);
    CHECK(net.layers().size() == n_layers);
    CHECK(net.layers()[0].in == 3);
    CHECK(net.params() == params);
    // And an accepted one takes the new width and parameters.
    net.restore(5, other.params(), Vec<double>());
    CHECK(net.in_width() == 5);
    CHECK(net.layers()[0].in == 5);
    CHECK(net.params() == other.params());
}

}  // namespace unit_test_mlp_layers
