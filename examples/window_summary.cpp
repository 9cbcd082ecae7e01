// examples/window_summary.cpp — what a file of events holds, window by window.
//
// Reads an events file (.npy or .csv; default: the LHCO layout, m in column 0 and the truth label
// in column 5), and prints for each signal region of Das et al. 2024, §2.1 (nine 0.4 TeV windows centred
// at 3.5 − 0.1(5 − n) TeV) the background and signal counts, S/B and the naive S/√B — the numbers
// a weakly supervised search starts from. Used by scripts/demo on the built-in dijet toy.
//
//   example_window_summary FILE [M_COL [LABEL_COL]]
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

#include "resanom/resanom.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE [M_COL [LABEL_COL]]\n", argv[0]);
        return 2;
    }
    try {
        const resanom::io::Table t = resanom::io::read_table(argv[1]);
        const resanom::Index m_col = argc > 2 ? resanom::io::column_index(t, argv[2]) : 0;
        const resanom::Index label_col = argc > 3 ? resanom::io::column_index(t, argv[3]) : t.data.cols() - 1;
        const resanom::Events events =
            resanom::events_from_table(t.data, {}, {m_col}, label_col, std::nullopt, {});
        const auto& truth = events.truth();

        const double n_sig_total = truth.sum();
        std::printf("%s: %lld events, %.0f signal (%.3f %%)\n", argv[1],
                    static_cast<long long>(events.size()), n_sig_total,
                    100.0 * n_sig_total / static_cast<double>(events.size()));
        std::printf("\n  window   SR [TeV]        background   signal      S/B     S/sqrt(B)\n");
        int n = 1;
        for (const auto& w : resanom::das2024_windows()) {
            double b = 0, s = 0;
            for (resanom::Index i : resanom::sr_rows(events, w)) (truth[i] > 0.5 ? s : b) += 1.0;
            std::printf("  %6d   [%.2f, %.2f)  %10.0f %8.0f  %9.5f  %8.2f\n", n++, w.sr.lo, w.sr.hi, b, s,
                        b > 0 ? s / b : 0.0, b > 0 ? s / std::sqrt(b) : 0.0);
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
}
