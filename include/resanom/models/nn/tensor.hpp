// resanom/models/nn/tensor.hpp — the matrix and vector types of resanom's networks (the dense
// networks of models/mlp/ and the flows of models/flow/): a minibatch is a (features × events)
// column-major matrix, one event per column; parameters live in one flat vector per network.
#pragma once

#include <Eigen/Core>

namespace resanom::nn {

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;  ///< features × events, column-major
template <class S>
using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;
template <class S>
using MatRef = Eigen::Ref<Mat<S>>;
template <class S>
using ConstMatRef = Eigen::Ref<const Mat<S>>;

}  // namespace resanom::nn
