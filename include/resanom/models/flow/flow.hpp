// resanom/models/flow/flow.hpp — the MAF normalizing flow for conditional density estimation
// (CATHODE), in one include.
//
// Includes made.hpp (MADE blocks: degrees, masks, kernels), network.hpp (FlowNet: the composition
// with batch norm and permutations, inference and training passes) and maf.hpp (ConditionalMaf:
// preprocessing, training, model files; a DensityEstimator).
#pragma once

#include "resanom/models/flow/made.hpp"
#include "resanom/models/flow/maf.hpp"
#include "resanom/models/flow/network.hpp"
