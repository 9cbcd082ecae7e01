// Reads the real LHC Olympics signal-region files ($RESANOM_DATA_DIR/lhco_sr, see its README) and
// checks what a reader bug would break: shapes, the label column, the physics ranges of each
// feature, column means against values computed independently, and that write_npy reproduces
// numpy's bytes exactly. Skipped (exit 77) when RESANOM_DATA_DIR is unset.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "resanom/io/table.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace data_test_lhco_files {

using resanom::Index;
using resanom::Matrix;
namespace rio = resanom::io;

namespace {

struct Expected {
    const char* file;
    Index rows;
    Index signal;                 ///< events with label 1
    std::array<double, 6> mean;   ///< column means
};

// Column means computed with Python's standard library alone (struct/array decoding of the raw
// float64 payload after the 128-byte header, math.fsum for the sums), independently of resanom:
//   a = array.array('d'); a.frombytes(open(f, 'rb').read()[128:]); math.fsum(a[j::6]) / n
// The signal counts are those of the README (0.66 %, 0.6 %, 33 %, 100 %, 100 %).
const Expected expected[] = {
    {"sr_data_train.npy", 60000, 395,
     {3.4809621704648022, 0.13524993032963167, 0.17348114829054781, 0.57734163261877425,
      0.47902721382413738, 0.0065833333333333334}},
    {"sr_data_val.npy", 60000, 369,
     {3.480242678056281, 0.13572530273502667, 0.17338657016323408, 0.57803723102284454,
      0.47848454747352948, 0.0061500000000000001}},
    {"sr_test.npy", 60000, 20000,
     {3.487795162362195, 0.13279630406042853, 0.23481742076040785, 0.51650752881685746,
      0.39701800883871347, 0.33333333333333331}},
    {"sr_extrasig_train.npy", 27263, 27263,
     {3.5007612654204991, 0.12608192618341058, 0.36024005051580565, 0.39110532878770754,
      0.23004277230753131, 1.0}},
    {"sr_extrasig_val.npy", 27264, 27264,
     {3.5012614136304858, 0.12695665319438831, 0.35951105557207214, 0.39046924189353854,
      0.22978728559209402, 1.0}},
};

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

/// A column mean by a plain compensated loop (no Eigen reductions).
double mean_of(const Matrix& M, Index j) {
    long double sum = 0.0L;
    for (Index i = 0; i < M.rows(); ++i) sum += M(i, j);
    return static_cast<double>(sum / static_cast<long double>(M.rows()));
}

double median_of(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

TEST_CASE("lhco_sr: shapes, labels, ranges and column means") {
    const auto dir = resanom_test::data_dir() / "lhco_sr";
    for (const Expected& e : expected) {
        CAPTURE(e.file);
        const rio::Table t = rio::read_table((dir / e.file).string());
        const Matrix& M = t.data;
        REQUIRE(M.rows() == e.rows);
        REQUIRE(M.cols() == 6);
        CHECK(M.allFinite());

        // Label column: only 0 and 1, with the documented signal count.
        Index signal = 0;
        bool binary = true;
        for (Index i = 0; i < M.rows(); ++i) {
            binary = binary && (M(i, 5) == 0.0 || M(i, 5) == 1.0);
            signal += M(i, 5) == 1.0;
        }
        CHECK(binary);
        CHECK(signal == e.signal);

        // mjj lies in the signal region; masses are non-negative up to float32 rounding in the
        // source (mj_min has values like -2e-8); the N-subjettiness ratios lie in [0, 1].
        CHECK(M.col(0).minCoeff() >= 3.3);
        CHECK(M.col(0).maxCoeff() <= 3.7);
        CHECK(M.col(1).minCoeff() >= -1e-6);
        CHECK(M.col(2).minCoeff() >= 0.0);
        CHECK(M.col(1).maxCoeff() < 1.0);   // jet masses are a small fraction of mjj
        CHECK(M.col(3).minCoeff() >= 0.0);
        CHECK(M.col(3).maxCoeff() <= 1.0);
        CHECK(M.col(4).minCoeff() >= 0.0);
        CHECK(M.col(4).maxCoeff() <= 1.0);

        for (Index j = 0; j < 6; ++j) {
            CAPTURE(j);
            CHECK(mean_of(M, j) == doctest::Approx(e.mean[static_cast<std::size_t>(j)]).epsilon(1e-12));
        }
    }
}

TEST_CASE("lhco_sr: the signal has the documented jet masses (m_Y = 100 GeV, m_X = 500 GeV)") {
    // A swapped or shifted column would move these medians far away.
    const auto dir = resanom_test::data_dir() / "lhco_sr";
    const Matrix M = rio::read_npy((dir / "sr_extrasig_train.npy").string());
    std::vector<double> lighter, heavier;
    for (Index i = 0; i < M.rows(); ++i) {
        lighter.push_back(M(i, 1));
        heavier.push_back(M(i, 1) + M(i, 2));   // mj_max = mj_min + delta_m
    }
    CHECK(median_of(lighter) == doctest::Approx(0.1).epsilon(0.15));
    CHECK(median_of(heavier) == doctest::Approx(0.5).epsilon(0.05));
}

TEST_CASE("lhco_sr: write_npy reproduces numpy's file byte for byte; CSV round trip is exact") {
    const auto dir = resanom_test::data_dir() / "lhco_sr";
    const std::string src = (dir / "sr_data_train.npy").string();
    const Matrix M = rio::read_npy(src);
    resanom_test::TempDir tmp;
    rio::write_npy(tmp.file("copy.npy"), M);
    CHECK(slurp(tmp.file("copy.npy")) == slurp(src));

    const rio::Table t{M, {"mjj", "mj_min", "delta_m", "tau21_min", "tau21_max", "label"}};
    rio::write_csv(tmp.file("copy.csv"), t);
    const rio::Table back = rio::read_csv(tmp.file("copy.csv"));
    CHECK(back.columns == t.columns);
    CHECK(back.data == M);
    CHECK(rio::column_index(back, "tau21_min") == 3);
}

}  // namespace data_test_lhco_files
