// Benkendorfer et al. 2021, §III: the Gaussian toy (eqs. 3.1–3.3) — ROC
// comparison of CWoLa, SA-CWoLa (λ = 1) and SALAD (its Fig. 2), and a scan of SA-CWoLa's λ
// (its Fig. 5 scans λ on the LHCO-like physics example; here the same scan on the Gaussian toy).
//
// Data: 50 000 SR background + 500 signal events and 50 000 SB background events (paper §III),
// simulation of the same size (toys/gaussian.hpp); SALAD reweights in the long sidebands (0.5 TeV).
// Classifiers: the paper's MLP (3×64 ReLU, 20 epochs, batch 200; methods.hpp benkendorfer2021_mlp()) by
// default, or HGB (--classifier hgb). Each run trains the method's k = 5 out-of-fold classifiers
// with its own seed; the figures are the mean ± standard deviation over --runs runs (paper: 20
// classifiers per curve in Fig. 2, 5 per λ in Fig. 5), evaluated on a separate labelled test
// sample of SR background and signal (--test events of each).
//
//   example_benkendorfer2021_gaussian [--quick] [--runs N] [--lambda-runs N] [--n-sr N] [--n-sig N]
//                             [--test N] [--classifier mlp|hgb] [--lambdas 0,0.1,...]
#include <cstdio>
#include <string>
#include <vector>

#include "paper_args.hpp"
#include "resanom/methods/methods.hpp"
#include "resanom/stats/metrics.hpp"
#include "resanom/toys/gaussian.hpp"

using namespace resanom;
using paper_examples::mean;
using paper_examples::stddev;

namespace {

struct Figures {
    std::vector<double> auc, eps_s_at_1e1, eps_s_at_1e2, rej_at_half, sic_at_half;
};

void add(Figures& f, const Vector& score, const Vector& truth) {
    const RocCurve roc = roc_curve(score, truth);
    f.auc.push_back(auc(roc));
    f.eps_s_at_1e1.push_back(at_eps_b(roc, 1e-1).eps_s);
    f.eps_s_at_1e2.push_back(at_eps_b(roc, 1e-2).eps_s);
    const double rej = rejection_at_eps_s(roc, 0.5);
    f.rej_at_half.push_back(rej);
    f.sic_at_half.push_back(0.5 * std::sqrt(rej));
}

void print_row(const std::string& name, const Figures& f) {
    std::printf("%-16s %6.3f ± %5.3f   %6.3f      %6.3f      %7.2f      %5.2f\n", name.c_str(), mean(f.auc),
                stddev(f.auc), mean(f.eps_s_at_1e1), mean(f.eps_s_at_1e2), mean(f.rej_at_half), mean(f.sic_at_half));
}

template <class C>
int run_all(const paper_examples::Args& args, const C& clf, const std::string& clf_name) {
    toys::GaussianToyParams tp;
    tp.n_bkg_sr = args.integer("n-sr", 50000, 10000);
    tp.n_bkg_sb = tp.n_bkg_sr;
    tp.n_sim_sr = tp.n_bkg_sr;
    tp.n_sim_sb = tp.n_bkg_sr;
    tp.n_sig = args.integer("n-sig", 500, 100);
    const int runs = static_cast<int>(args.integer("runs", 20, 2));
    const int lambda_runs = static_cast<int>(args.integer("lambda-runs", 5, 1));
    const std::vector<double> lambdas =
        args.list("lambdas", {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0}, {0.0, 0.5, 1.0});
    toys::GaussianToyParams testp = tp;
    testp.n_bkg_sr = args.integer("test", 20000, 5000);
    testp.n_bkg_sb = 0;
    testp.n_sig = testp.n_bkg_sr;
    const Events test = toys::gaussian_data(testp, 9001);
    const Window w = Window::with_sidebands({tp.sr_lo, tp.sr_hi}, tp.sb_width, 0.5);

    std::printf("The Gaussian toy of Benkendorfer et al. 2021, §III: %lld SR + %lld SB background, %lld signal; simulation of the same size\n",
                static_cast<long long>(tp.n_bkg_sr), static_cast<long long>(tp.n_bkg_sb),
                static_cast<long long>(tp.n_sig));
    std::printf("classifier %s, 5 folds, %d runs per method; test sample %lld SR background + %lld signal\n\n",
                clf_name.c_str(), runs, static_cast<long long>(testp.n_bkg_sr), static_cast<long long>(testp.n_sig));

    Figures f_cwola, f_sacwola, f_salad, f_supervised;
    for (int r = 0; r < runs; ++r) {
        const auto seed = static_cast<std::uint64_t>(1000 + r);
        const toys::GaussianToy toy = toys::gaussian_toy(tp, seed);
        const std::vector<Events> sim{toy.simulation};
        const PipelineInput in{toy.data, sim, w, std::nullopt, &test};
        add(f_cwola, WeakSupervision<Cwola, C, NoStatistic>(Cwola{}, clf).run(in, seed).test_score, test.truth());
        add(f_sacwola, WeakSupervision<SaCwola, C, NoStatistic>(SaCwola{}, clf).run(in, seed).test_score, test.truth());
        add(f_salad, WeakSupervision<Salad<C>, C, NoStatistic>(Salad<C>(clf), clf).run(in, seed).test_score,
            test.truth());
        // Fully supervised reference: SR background vs signal with labels (an independent sample).
        toys::GaussianToyParams sp = testp;
        sp.n_bkg_sr = tp.n_bkg_sr;
        sp.n_sig = tp.n_bkg_sr;
        const Events sup = toys::gaussian_data(sp, seed + 500);
        C s = clf;
        s.fit(TrainingSet(sup.X(), sup.truth()), seed);
        add(f_supervised, s.predict(test.X()), test.truth());
        std::fprintf(stderr, "run %d/%d done\n", r + 1, runs);
    }
    std::printf("Fig. 2 analogue (mean over runs; ε_S at ε_B, rejection 1/ε_B and SIC at ε_S = 0.5)\n");
    std::printf("method           AUC             ε_S@ε_B=0.1 ε_S@ε_B=0.01 1/ε_B@ε_S=.5 SIC@ε_S=.5\n");
    print_row("CWoLa", f_cwola);
    print_row("SA-CWoLa (λ=1)", f_sacwola);
    print_row("SALAD", f_salad);
    print_row("supervised", f_supervised);
    std::printf("random           0.500             0.100       0.010         2.00       0.71\n");
    std::printf("Benkendorfer et al. 2021, Fig. 2 (20 classifiers per curve): CWoLa (dashed red) lies BELOW the random line — it\n"
                "antitags, the signal being sideband-like by construction; SA-CWoLa (λ = 1) and SALAD recover the\n"
                "signal, both well above random and below the fully supervised classifier.\n\n");

    std::printf("λ scan of SA-CWoLa (Fig. 5 analogue, %d runs per λ): AUC of signal vs SR background, and of SR vs SB\n",
                lambda_runs);
    std::printf("(the latter on the data's own SR and SB events, out-of-fold; ideally 0.5)\n");
    std::printf("  λ      AUC sig/bkg     SIC@ε_S=.5   AUC SR/SB\n");
    for (double lambda : lambdas) {
        Figures f;
        std::vector<double> srsb;
        for (int r = 0; r < lambda_runs; ++r) {
            const auto seed = static_cast<std::uint64_t>(2000 + r);
            const toys::GaussianToy toy = toys::gaussian_toy(tp, seed);
            const std::vector<Events> sim{toy.simulation};
            const PipelineInput in{toy.data, sim, w, std::nullopt, &test};
            const WeakSupervision<SaCwola, C, NoStatistic> p(SaCwola(SaCwolaParams{lambda}), clf);
            const WindowResult res = p.run(in, seed);
            add(f, res.test_score, test.truth());
            // SR (label 1) vs short SB (label 0) of the data, by the out-of-fold data scores.
            const IndexList sr = sr_rows(toy.data, w), sb = sb_rows(toy.data, w);
            Vector s(static_cast<Index>(sr.size() + sb.size())), y(s.size());
            Index at = 0;
            for (Index i : sr) s[at] = res.data_score[i], y[at++] = 1.0;
            for (Index i : sb) s[at] = res.data_score[i], y[at++] = 0.0;
            srsb.push_back(auc(s, y));
        }
        std::printf("  %-5.2f  %6.3f ± %5.3f   %6.2f       %6.3f\n", lambda, mean(f.auc), stddev(f.auc),
                    mean(f.sic_at_half), mean(srsb));
    }
    std::printf("Benkendorfer et al. 2021, Fig. 5 (LHCO-like example, 5 classifiers per λ): λ = 0 is CWoLa; SA-CWoLa is strong and\n"
                "stable for 0.3 < λ < 0.6; as λ grows the SR/SB AUC approaches 0.5 (the classifier is blinded to\n"
                "SR/SB differences).\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const paper_examples::Args args(argc, argv);
    if (args.help("usage: example_benkendorfer2021_gaussian [--quick] [--runs N] [--lambda-runs N] [--n-sr N] [--n-sig N]\n"
                    "                                 [--test N] [--classifier mlp|hgb] [--lambdas a,b,...]\n")) return 0;
    const std::string which = args.text("classifier", "mlp", "hgb");
    if (which == "hgb") {
        HgbParams p;
        p.max_iter = static_cast<int>(args.integer("hgb-iter", 200, 50));
        return run_all(args, Hgb(p), std::string("HGB (max_iter ") + std::to_string(p.max_iter) + ")");
    }
    MlpParams p = benkendorfer2021_mlp();
    p.epochs = static_cast<int>(args.integer("epochs", 20, 5));
    return run_all(args, MlpClassifier(p), std::string("MLP 3x64 ReLU, ") + std::to_string(p.epochs) + " epochs, batch 200");
}
