// resanom/resanom.hpp — the umbrella header: includes every public part of resanom.
//
// Include this one header, or only the headers of the parts you use (each says what lives there):
//   core/    errors, the random engine, events, training sets, regions and window scans, concepts,
//            preprocessing with log-Jacobians, out-of-fold prediction
//   io/      .npy and CSV reading and atomic writing;   toys/  the built-in toy datasets of the papers
//   models/  HGB, dense networks (MLP, autoencoders), ensembles, the MAF flow, model files
//   stats/   ROC/SIC, histograms, sideband fits, significances, direct estimation, KDE, KS, scans
//   methods/ the papers' methods, the pipelines WeakSupervision<G, C, T> and Unsupervised<S, T>,
//            combinations, run-time holders
//   search/  the sliding-window search, δ_sys from a background-only reference, global significance
#pragma once

#include "resanom/core/concepts.hpp"
#include "resanom/core/cross_validation.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/preprocess.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/core/training_set.hpp"
#include "resanom/core/types.hpp"
#include "resanom/io/csv.hpp"
#include "resanom/io/npy.hpp"
#include "resanom/io/table.hpp"
#include "resanom/methods/methods.hpp"
#include "resanom/models/ensemble.hpp"
#include "resanom/models/flow/flow.hpp"
#include "resanom/models/hgb/hgb.hpp"
#include "resanom/models/mlp/mlp.hpp"
#include "resanom/models/serialization.hpp"
#include "resanom/search/config.hpp"
#include "resanom/search/run.hpp"
#include "resanom/search/search.hpp"
#include "resanom/stats/bump_hunt.hpp"
#include "resanom/stats/dijet_fit.hpp"
#include "resanom/stats/direct_estimate.hpp"
#include "resanom/stats/histogram.hpp"
#include "resanom/stats/kde.hpp"
#include "resanom/stats/ks.hpp"
#include "resanom/stats/metrics.hpp"
#include "resanom/stats/scan.hpp"
#include "resanom/stats/significance.hpp"
#include "resanom/toys/toys.hpp"

namespace resanom {
/// The library's version, as in CMakeLists.txt's project().
inline constexpr const char* version = "0.1.0";
}  // namespace resanom
