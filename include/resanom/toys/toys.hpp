// resanom/toys/toys.hpp — the built-in toy generators (the default data of the demo, the tests and
// the examples) in one include, plus toy_table(), one matrix layout for all of them.
//
// The Gaussian toy of Benkendorfer et al. 2021, §III, the two-simulation bimodal toy of Chen et al.
// 2023, §4.3, the several-resonant-feature toy of Chen et al. 2023, §3 and the LHC-Olympics-like
// dijet toy. docs/toys.md describes each toy and its parameters.
#pragma once

#include <string>
#include <vector>

#include "resanom/core/events.hpp"
#include "resanom/core/types.hpp"
#include "resanom/toys/bimodal.hpp"
#include "resanom/toys/dijet.hpp"
#include "resanom/toys/gaussian.hpp"
#include "resanom/toys/multi_resonant.hpp"

namespace resanom::toys {

/// A toy sample as one n × (k + d + 1) matrix: the k resonant features, the d features, then the
/// truth label (0 when the sample has none). For the dijet toy this is dijet_table(), the layout of
/// the LHC Olympics R&D signal-region files (mjj, mj_min, delta_m, tau21_min, tau21_max, label).
inline Matrix toy_table(const Events& e) {
    Matrix t(e.size(), e.n_resonant() + e.n_features() + 1);
    t.leftCols(e.n_resonant()) = e.m();
    t.middleCols(e.n_resonant(), e.n_features()) = e.X();
    if (e.has_truth())
        t.col(t.cols() - 1) = e.truth();
    else
        t.col(t.cols() - 1).setZero();
    return t;
}

/// Column names of toy_table(e): resonant names, feature names, "label".
inline std::vector<std::string> toy_table_columns(const Events& e) {
    std::vector<std::string> names = e.resonant_names();
    names.insert(names.end(), e.feature_names().begin(), e.feature_names().end());
    names.emplace_back("label");
    return names;
}

}  // namespace resanom::toys
