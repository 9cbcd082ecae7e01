// resanom/core/types.hpp — the Eigen types resanom passes around, and the storage order it uses.
//
// Matrices are Eigen's default column-major: one column per feature, contiguous, which is what
// per-feature work (binning, standardization, min/max, histogramming) wants. Row-major work
// (minibatches of a network) gathers rows into preallocated buffers instead.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace resanom {

using Index = Eigen::Index;
using Matrix = Eigen::MatrixXd;   ///< n×d, column-major, one event per row
using Vector = Eigen::VectorXd;   ///< n, one value per event
using IndexList = std::vector<Index>;

}  // namespace resanom
