// A training step of a dense network allocates nothing: forward, loss, backward, gradient
// clipping and the Adam update run on preallocated buffers. Eigen's EIGEN_RUNTIME_NO_MALLOC makes
// any Eigen heap allocation inside the guarded region an assertion failure, which this test turns
// into a test failure. (Defined for this test executable only.)
#define EIGEN_RUNTIME_NO_MALLOC
#undef NDEBUG  // eigen_assert must fire
#include <doctest/doctest.h>

#include <stdexcept>

// Make Eigen's malloc guard throw instead of abort, so that doctest reports it.
#define eigen_assert(x) \
    do { if (!(x)) throw std::logic_error("Eigen assertion: " #x); } while (false)

#include "resanom/models/nn/adam.hpp"
#include "resanom/models/mlp/loss.hpp"
#include "resanom/models/mlp/network.hpp"

using namespace resanom;
using namespace resanom::nn;

namespace {

template <class Net>
void check_step(Net& net, Index in, Index out, const char* name, Index B = 64) {
    CAPTURE(name);
    net.build(in, 1);
    Workspace<float> ws(net, B, out);
    Rng rng(2);
    for (Index j = 0; j < B; ++j) {
        for (Index i = 0; i < in; ++i) ws.act[0](i, j) = static_cast<float>(normal(rng));
        for (Index i = 0; i < out; ++i) ws.target(i, j) = static_cast<float>(j % 2);
        ws.weight[j] = 1.0f;
    }
    Adam<float> adam;
    adam.reset(net.n_params());
    Vec<float> grad(net.n_params());
    BceWithLogits bce;
    Mse mse;
    Rng drop(3);
    Eigen::internal::set_is_malloc_allowed(false);
    try {
        for (Index n : {B, B / 2 + 3}) {  // full and partial minibatch
            forward(net, ws, n, Mode::train, &drop);
            if (out == 1)
                bce.accumulate<float>(ws.output(n), ws.target.leftCols(n), ws.weight.head(n), 1.0 / n, ws.output_grad(n));
            else
                mse.accumulate<float>(ws.output(n), ws.target.leftCols(n), ws.weight.head(n), 1.0 / n, ws.output_grad(n));
            backward(static_cast<const Network<float>&>(net), ws, n);
            grad = ws.gradient;
            clip_gradient_norm<float>(grad, 1.0);
            adam.step(net.params(), grad);
            forward(static_cast<const Network<float>&>(net), ws, n, Mode::infer);
        }
        Eigen::internal::set_is_malloc_allowed(true);
    } catch (...) {
        Eigen::internal::set_is_malloc_allowed(true);
        throw;
    }
    CHECK(net.params().allFinite());
}

}  // namespace

TEST_CASE("a training step allocates nothing") {
    Mlp3x64 mlp;
    CHECK_NOTHROW(check_step(mlp, 4, 1, "3x64 ReLU"));
    CwolaHuntingNet cwola;
    CHECK_NOTHROW(check_step(cwola, 12, 1, "CWoLa net of Collins et al. 2021 (dropout, ELU, leaky ReLU)"));
    Network<float> ae({dense(128), relu(), batch_norm(), dense(2), identity(), dense(128), tanh_layer(), dense(0)});
    CHECK_NOTHROW(check_step(ae, 10, 10, "autoencoder with BatchNorm"));
    Autoencoder004Net ae004;  // 512-wide GEMMs: Eigen's packing buffers must stay off the heap
    CHECK_NOTHROW(check_step(ae004, 10, 10, "autoencoder of Collins et al. 2021", 128));
}

TEST_CASE("the guard works: an allocation inside it is caught") {
    Eigen::internal::set_is_malloc_allowed(false);
    bool caught = false;
    try {
        Eigen::MatrixXf m(100, 100);
        m.setZero();
    } catch (const std::logic_error&) {
        caught = true;
    }
    Eigen::internal::set_is_malloc_allowed(true);
    CHECK(caught);
}
