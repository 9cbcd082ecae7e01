// The HGB classifier on the real LHC Olympics signal-region files: the idealized-detector task of
// bench/peers/hgb_peers.py (a) — data (label 1) = sr_data_train, background template (label 0) =
// background events of sr_data_val, features 1–4 — and a supervised check, evaluated on sr_test.
// Skipped (exit 77) when RESANOM_DATA_DIR is unset.
#include <doctest/doctest.h>

#include <vector>

#include "resanom/io/npy.hpp"
#include "resanom/models/ensemble.hpp"
#include "resanom/models/hgb/hgb.hpp"
#include "resanom/stats/metrics.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace data_test_hgb_lhco {

using namespace resanom;

namespace {
struct Lhco {
    TrainingSet weak;  ///< SR data vs ideal background template
    Matrix test_X;
    Vector test_y;
};

const Lhco& lhco() {
    static const Lhco d = [] {
        const auto dir = resanom_test::data_dir() / "lhco_sr";
        const Matrix data = io::read_npy((dir / "sr_data_train.npy").string());
        const Matrix val = io::read_npy((dir / "sr_data_val.npy").string());
        const Matrix test = io::read_npy((dir / "sr_test.npy").string());
        IndexList bkg;
        for (Index i = 0; i < val.rows(); ++i)
            if (val(i, 5) == 0.0) bkg.push_back(i);
        const std::vector<Index> feat{1, 2, 3, 4};
        Lhco out;
        out.weak.X.resize(data.rows() + static_cast<Index>(bkg.size()), 4);
        out.weak.X << data(Eigen::all, feat), val(bkg, feat);
        out.weak.y.resize(out.weak.X.rows());
        out.weak.y << Vector::Ones(data.rows()), Vector::Zero(static_cast<Index>(bkg.size()));
        out.weak.w = Vector::Ones(out.weak.X.rows());
        out.test_X = test(Eigen::all, feat);
        out.test_y = test.col(5);
        return out;
    }();
    return d;
}
}  // namespace

TEST_CASE("idealized anomaly detector on LHCO: an ensemble of 4 reaches AUC ≈ 0.86 and max SIC > 6") {
    const Lhco& d = lhco();
    Ensemble<Hgb> e(Hgb{}, 4);
    e.fit(d.weak, 0);
    const Vector s = e.predict(d.test_X);
    const double a = auc(s, d.test_y);
    MESSAGE("AUC " << a << ", max SIC " << max_sic(s, d.test_y).sic);
    // peers (scikit-learn HGB, XGBoost) give AUC 0.86–0.87 and max SIC ≈ 10 with 10 members
    CHECK(a > 0.84);
    CHECK(max_sic(s, d.test_y).sic > 6.0);
}

TEST_CASE("supervised on LHCO test events: signal vs background is easy (AUC > 0.95 on held-out half)") {
    const Lhco& d = lhco();
    const Index n = d.test_X.rows();
    IndexList even, odd;
    for (Index i = 0; i < n; ++i) (i % 2 ? odd : even).push_back(i);
    TrainingSet t(d.test_X(even, Eigen::all), d.test_y(even));
    Hgb m;
    m.fit(t, 1);
    CHECK(auc(m.predict(d.test_X(odd, Eigen::all)), d.test_y(odd)) > 0.95);
}

}  // namespace data_test_hgb_lhco
