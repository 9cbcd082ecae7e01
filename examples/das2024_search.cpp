// Das et al. 2024: the sliding-window search with direct background estimation on the
// dijet toy (toys/dijet.hpp), with and without signal.
//
// Windows: das2024_windows() — nine 0.4 TeV signal regions centred at 3.1 … 3.9 TeV, 0.2 TeV
// sidebands (§2.1). Methods (§2.2): IAD (template: an independent background-only sample, a
// perfect simulation; δ_sys = 0), CWoLa (template: the sidebands) and CATHODE (template: a
// conditional MAF trained outside the SR, ×4 oversampling). Classifier: an ensemble of 50 HGB
// classifiers per fold (App. A.1; --members), 5 folds. Statistic: direct estimation
// N_exp = ε_B N_SR (1 + δ_sys) (eq. 3) with the Asimov significance (eq. 6) at ε_B = 10⁻¹, 10⁻²,
// 10⁻³, 10⁻⁴, and δ_sys^MC (eqs. 4–5) measured by running the same method on a separate
// background-only reference sample over the same windows (search.hpp delta_sys_mc), σ_sys = |δ_sys|.
// Samples: 10⁶ background events over 2.4–8 TeV (LHCO R&D size) and 1000 injected signal events
// (S/B ≈ 0.7 % in the 3.3–3.7 TeV SR; the paper's standard injection has S/B = 0.64 %).
// CATHODE's flow has the paper's configuration by default (15 blocks, 128 hidden, 100 epochs,
// average of the 10 best epochs); --flow-epochs/--flow-blocks/--flow-hidden shrink it.
//
//   example_das2024_search [--quick] [--n-bkg N] [--n-sig N] [--members N] [--methods iad,cwola,cathode]
//                           [--flow-epochs N] [--flow-blocks N] [--flow-hidden N] [--windows all|centre]
#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "paper_args.hpp"
#include "resanom/methods/methods.hpp"
#include "resanom/models/flow/maf.hpp"
#include "resanom/search/search.hpp"
#include "resanom/toys/dijet.hpp"

using namespace resanom;

namespace {

const std::vector<double> eps_list = {1e-1, 1e-2, 1e-3, 1e-4};

void print_search(const SearchReport& rep, const std::string& title) {
    std::printf("  %s\n", title.c_str());
    std::printf("    centre  N_SR     maxSIC |");
    for (double e : eps_list) std::printf("  ε_B=%-6g N_obs/N_exp      Z  |", e);
    std::printf("\n");
    for (const WindowReport& w : rep.windows) {
        std::printf("    %5.2f  %7lld  %6s |", w.window.sr.center(), static_cast<long long>(w.n_sr),
                    w.max_sic ? std::to_string(*w.max_sic).substr(0, 5).c_str() : "  -  ");
        for (const Significance& s : w.result.significances)
            std::printf("  %7.0f / %8.1f  %6.2f  |", s.n_obs, s.n_exp, s.z);
        std::printf("\n");
    }
    std::printf("    max local Z %.2f (window %lld), %lld tests, Bonferroni global Z %.2f\n", rep.max_local_z,
                static_cast<long long>(rep.max_window), static_cast<long long>(rep.trials), rep.global_z);
}

template <class G>
void run_method(const std::string& name, const G& gen, const Ensemble<Hgb>& clf, bool has_delta_sys,
                const Events& data, const Events& bkg_only, const Events& reference, const std::vector<Events>& refs,
                const std::vector<Window>& windows) {
    const PipelineSettings settings{5, eps_list};
    DirectEstimateConfig de;
    std::printf("\n== %s ==\n", name.c_str());
    if (has_delta_sys) {
        const WeakSupervision<G, Ensemble<Hgb>, DirectEstimate> plain(gen, clf, DirectEstimate{}, settings);
        de.per_eps_b = delta_sys_mc(plain, reference, refs, windows, eps_list, 11);
        std::printf("  δ_sys^MC from a background-only reference (eqs. 4–5):");
        for (const SystematicShift& s : de.per_eps_b) std::printf("  ε_B=%g: %+.3f", s.eps_b, s.delta_sys);
        std::printf("\n");
    } else {
        de = idealized_template_shift();
        std::printf("  δ_sys = 0 (perfect template)\n");
    }
    const WeakSupervision<G, Ensemble<Hgb>, DirectEstimate> p(gen, clf, DirectEstimate(de), settings);
    SearchOptions opt;
    opt.windows = windows;
    opt.progress = [&](Index k, Index n) { std::fprintf(stderr, "%s: window %lld/%lld\n", name.c_str(), static_cast<long long>(k), static_cast<long long>(n)); };
    print_search(search(p, data, refs, opt, 21), "with signal");
    print_search(search(p, bkg_only, refs, opt, 21), "background only");
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    const paper_examples::Args args(argc, argv);
    if (args.help("usage: example_das2024_search [--quick] [--n-bkg N] [--n-sig N] [--members N]\n"
                    "       [--methods iad,cwola,cathode] [--flow-epochs N] [--flow-blocks N] [--flow-hidden N]\n"
                    "       [--windows all|centre] [--hgb-iter N]\n")) return 0;
    toys::DijetToyParams tp;
    tp.n_bkg = args.integer("n-bkg", 1000000, 100000);
    tp.n_sig = args.integer("n-sig", 1000, 600);
    tp.simulations.clear();
    toys::DijetToyParams bp = tp;
    bp.n_sig = 0;
    const Events data = toys::dijet_data(tp, 1);
    const Events bkg_only = toys::dijet_data(bp, 2);    // the "without signal" data
    const Events reference = toys::dijet_data(bp, 3);   // background MC for δ_sys^MC
    const std::vector<Events> ideal{toys::dijet_data(bp, 4)};  // the IAD's perfect simulation

    HgbParams hp;
    hp.max_iter = static_cast<int>(args.integer("hgb-iter", 200, 50));
    const Ensemble<Hgb> clf(Hgb(hp), static_cast<int>(args.integer("members", 50, 2)));
    std::vector<Window> windows = das2024_windows();
    if (args.text("windows", "all", "centre") == "centre") windows = {windows[4]};
    const std::string methods = args.text("methods", "iad,cwola,cathode", "iad,cwola,cathode");

    MafParams fp;  // CATHODE reference configuration (maf.hpp defaults) with the 10-best-epoch average
    fp.average_best = 10;
    fp.epochs = static_cast<int>(args.integer("flow-epochs", 100, 5));
    fp.blocks = static_cast<int>(args.integer("flow-blocks", 15, 4));
    fp.hidden = args.integer("flow-hidden", 128, 32);
    if (args.quick() && !args.flag("flow-lr")) fp.learning_rate = 1e-3;
    if (args.flag("flow-lr")) fp.learning_rate = args.real("flow-lr", 1e-4, 1e-3);
    fp.average_best = std::min(fp.average_best, fp.epochs);

    std::printf("Sliding-window search with direct background estimation (Das et al. 2024) on the dijet toy\n");
    std::printf("data: %lld background + %lld signal events; background-only data and reference: %lld events each\n",
                static_cast<long long>(tp.n_bkg), static_cast<long long>(tp.n_sig), static_cast<long long>(bp.n_bkg));
    std::printf("classifier: %d HGB per fold (max_iter %d), 5 folds; %zu windows; CATHODE flow %d blocks x %lld, %d epochs\n",
                clf.size(), hp.max_iter, windows.size(), fp.blocks, static_cast<long long>(fp.hidden), fp.epochs);

    if (methods.find("iad") != std::string::npos)
        run_method("IAD", Iad{}, clf, false, data, bkg_only, reference, ideal, windows);
    if (methods.find("cwola") != std::string::npos)
        run_method("CWoLa", Cwola{}, clf, true, data, bkg_only, reference, {}, windows);
    if (methods.find("cathode") != std::string::npos)
        run_method("CATHODE", Cathode<ConditionalMaf>(ConditionalMaf(fp)), clf, true, data, bkg_only, reference, {},
                   windows);

    std::printf("\nDas et al. 2024 reports (LHCO R&D, 50-HGB ensembles, 10 classifier runs):\n"
                "  Fig. 1 (IAD): without signal the window significances scatter as statistical fluctuations;\n"
                "    with S/B = 0.64 %% an ~8σ discovery at ε_B = 10⁻³ in the signal window.\n"
                "  Fig. 3 (CWoLa): no false discovery without signal; with signal > 5σ at ε_B = 10⁻³ and 10⁻⁴;\n"
                "    at ε_B = 10⁻² σ_sys = 0.14 dominates the statistical error.\n"
                "  Fig. 5 (CATHODE): no false discovery without signal; with signal > 5σ (conclusion: both\n"
                "    CWoLa and CATHODE detect a ~2σ injection beyond 5σ).\n");
    return 0;
}
