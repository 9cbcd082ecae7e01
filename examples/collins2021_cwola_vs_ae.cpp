// Collins et al. 2021: CWoLa Hunting vs the autoencoder as a
// function of S/B — the cross-over of weak and unsupervised methods (its Figs. 3, 5 and 7).
//
// Data: the dijet toy (toys/dijet.hpp), 10⁶ background events over 2.4–8 TeV, of which those in
// [2.8, 5.2] TeV are kept (the paper: 537 304 background events there), plus n_sig injected signal
// events for each benchmark (paper: 175–730, S/B ∈ [1.5, 7]·10⁻³ in the SR, and a no-signal
// benchmark). Window: collins2021_windows()[6], the paper's SR (3.371, 3.661) TeV with 3-bin
// sidebands (30 log bins over [2.8, 5.2] TeV).
// CWoLa Hunting: cwola_hunting() — nested 5-fold CV, 4 inner rounds × 10 trainings of the paper's
// 64-32-16-4 MLP (700 epochs, patience 300, batch 20480), best by the TPR at 1 % FPR, mean of the
// 4 kept; --epochs/--trainings shrink it. AE: AutoencoderEnsemble with the paper's defaults (50
// members of d-512-512-2-512-512-d, 1 epoch on 50 000-event subsamples), trained 5-fold on the
// events in [2.8, 5.2] TeV (each event scored by members that never saw it).
// Both are judged by the bump hunt of Collins et al. 2021, §4 (the dijet-function fit with the SR masked,
// cutting on the data: the x % most signal-like events) at x = 10 %, 1 %, 0.1 %, and by the AUC
// and max SIC of SR signal vs SR background (the data's truth, out-of-fold scores).
//
//   example_collins2021_cwola_vs_ae [--quick] [--n-bkg N] [--n-sig 0,175,...] [--runs N] [--epochs N]
//                                [--trainings N] [--ae-members N]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "paper_args.hpp"
#include "resanom/methods/methods.hpp"
#include "resanom/models/mlp/autoencoder.hpp"
#include "resanom/search/search.hpp"
#include "resanom/toys/dijet.hpp"

using namespace resanom;
using paper_examples::mean;

namespace {

struct Row {
    std::vector<double> auc, sic, z1, z2, z3;
    void add(const WindowReport& w) {
        auc.push_back(w.auc.value_or(std::nan("")));
        sic.push_back(w.max_sic.value_or(std::nan("")));
        const auto& s = w.result.significances;
        z1.push_back(s.size() > 0 ? s[0].z : std::nan(""));
        z2.push_back(s.size() > 1 ? s[1].z : std::nan(""));
        z3.push_back(s.size() > 2 ? s[2].z : std::nan(""));
    }
};

/// Mean over the finite entries (a failed fit reports NaN).
double fmean(const std::vector<double>& v) {
    std::vector<double> f;
    for (double x : v)
        if (std::isfinite(x)) f.push_back(x);
    return f.empty() ? std::nan("") : mean(f);
}

}  // namespace

int main(int argc, char** argv) {
    const paper_examples::Args args(argc, argv);
    if (args.help("usage: example_collins2021_cwola_vs_ae [--quick] [--n-bkg N] [--n-sig a,b,...] [--runs N]\n"
                    "       [--epochs N] [--trainings N] [--ae-members N] [--ae-subsample N]\n")) return 0;
    const std::vector<double> n_sigs =
        args.list("n-sig", {0, 175, 250, 325, 400, 480, 560, 640, 730}, {0, 1000});
    const int runs = static_cast<int>(args.integer("runs", 10, 1));
    const std::vector<double> eps = {1e-1, 1e-2, 1e-3};
    const PipelineSettings settings{5, eps};

    BumpHuntConfig bc = collins2021_bump_hunt().config();
    bc.skip_failed_fits = true;
    const BumpHunt bump(bc);

    MlpParams mp = collins2021_cwola_mlp();
    mp.epochs = static_cast<int>(args.integer("epochs", 700, 10));
    mp.patience = std::min(mp.patience, static_cast<int>(args.integer("patience", 300, 10)));
    if (args.quick()) mp.batch_size = 2048;
    NestedCvParams np;
    np.n_trainings = static_cast<int>(args.integer("trainings", 10, 1));
    const CwolaHunting hunt(Cwola{}, NestedCvSelect<MlpClassifier>(MlpClassifier(mp), np), bump, settings);

    AutoencoderEnsembleParams ap;
    ap.ensemble = static_cast<int>(args.integer("ae-members", 50, 3));
    ap.subsample = args.integer("ae-subsample", 50000, 10000);
    if (args.quick()) ap.member.hidden = {64, 64};
    const Unsupervised<AutoencoderEnsemble, BumpHunt> ae(AutoencoderEnsemble(ap), bump, settings);

    const Window win = collins2021_windows()[6];
    const Interval range{2.8, 5.2};
    SearchOptions opt;
    opt.windows = {win};

    toys::DijetToyParams tp;
    tp.n_bkg = args.integer("n-bkg", 1000000, 80000);
    tp.simulations.clear();
    std::printf("CWoLa Hunting vs AE (Collins et al. 2021) on the dijet toy: %lld background events generated over 2.4-8 TeV,\n"
                "SR [%.3f, %.3f) TeV, sidebands [%.3f, %.3f) and [%.3f, %.3f); %d run(s) per benchmark\n",
                static_cast<long long>(tp.n_bkg), win.sr.lo, win.sr.hi, win.sb_low.lo, win.sb_low.hi, win.sb_high.lo,
                win.sb_high.hi, runs);
    std::printf("CWoLa Hunting: MLP 64-32-16-4, %d epochs, batch %lld, %d trainings per inner round; AE: %d members "
                "(%lld-wide), subsample %lld\n\n",
                mp.epochs, static_cast<long long>(mp.batch_size), np.n_trainings, ap.ensemble,
                static_cast<long long>(ap.member.hidden[0]), static_cast<long long>(ap.subsample));
    std::printf("  n_sig   S/B(SR)  S/sqrtB |  AUC CWoLa   AE | maxSIC CWoLa   AE | Z CWoLa top 10%%  1%%  0.1%% "
                "| Z AE top 10%%  1%%  0.1%%\n");
    for (double ns : n_sigs) {
        Row rc, ra;
        std::vector<double> sb, ssb;
        for (int r = 0; r < runs; ++r) {
            tp.n_sig = static_cast<Index>(ns);
            const auto seed = static_cast<std::uint64_t>(100 * r + 7);
            const Events all = toys::dijet_data(tp, seed);
            const Events data = all.subset(rows_in(all, range));
            const IndexList sr = sr_rows(data, win);
            double s = 0.0;
            for (Index i : sr) s += data.truth()[i];
            const double b = static_cast<double>(sr.size()) - s;
            sb.push_back(s / b);
            ssb.push_back(s / std::sqrt(b));
            rc.add(search(hunt, data, {}, opt, seed).windows[0]);
            ra.add(search(ae, data, {}, opt, seed).windows[0]);
            std::fprintf(stderr, "n_sig %g run %d/%d done\n", ns, r + 1, runs);
        }
        std::printf("  %5.0f  %7.2e  %6.2f |  %6.3f  %6.3f |  %6.2f  %6.2f |  %5.2f %5.2f %5.2f | %5.2f %5.2f %5.2f\n", ns,
                    mean(sb), mean(ssb), fmean(rc.auc), fmean(ra.auc), fmean(rc.sic), fmean(ra.sic), fmean(rc.z1),
                    fmean(rc.z2), fmean(rc.z3), fmean(ra.z1), fmean(ra.z2), fmean(ra.z3));
        std::fflush(stdout);
    }
    std::printf("\nCollins et al. 2021 reports (LHCO, (m_j1, m_j2) = (500, 500) GeV signal): Fig. 3 — CWoLa Hunting's AUC rises\n"
                "with S/B to above 0.90 (supervised 0.98), while the AE's AUC is stable across S/B; the AUC curves cross\n"
                "at S/B ~ 3e-3 (no-signal CWoLa AUC 0.43 / 0.59 for the two signals). Fig. 7 — the fitted significance\n"
                "after the SIC-optimal cut: CWoLa Hunting is stronger at large S/B, the AE at small S/B, with the\n"
                "cross-over at S/B ~ 3e-3 (S/sqrt(B) ~ 1): the methods are complementary.\n");
    return 0;
}
