// examples/quickstart.cpp — the library example of the README, compiled so that it stays true.
#include <cstdio>

#include <resanom/resanom.hpp>

int main() {
    using namespace resanom;
    // LHC-Olympics-like dijet events: 10^5 background and 300 signal events at 3.5 TeV.
    toys::DijetToyParams p;
    p.n_bkg = 100000;
    p.n_sig = 300;
    const Events data = toys::dijet_data(p, /*seed=*/7);

    // The signal region of Benkendorfer et al. 2021 with its 0.2 TeV sidebands.
    const Window w = Window::with_sidebands({3.3, 3.7});
    const Events sr = data.subset(sr_rows(data, w)), sb = data.subset(sb_rows(data, w));

    // A score: here the lighter jet's τ21, lower is more signal-like; AUC against the truth.
    const Vector score = -sr.X().col(2);
    std::printf("SR %lld events, SB %lld, AUC(τ21) = %.3f\n", (long long)sr.size(),
                (long long)sb.size(), auc(score, sr.truth()));
}
