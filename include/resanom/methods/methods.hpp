// resanom/methods/methods.hpp — the umbrella of methods/ and readable names for the methods of the
// papers, each a WeakSupervision<Generator, Classifier, Statistic> (pipeline.hpp).
//
// Aliases (IadHgb, CwolaHgb, SaladHgb, CwolaHunting, SaCwolaMlp, SaladMlp, MultiSaladMlp,
// SaladSwitchMlp, MultiCwolaMlp, CwolaAverageMlp, CombinedHgb<G…>) default-construct with the
// library defaults of their parts; the factories (iad_hgb(), cwola_hunting(), …) and the papers'
// classifier settings (das2024_hgb_ensemble(), collins2021_cwola_mlp(), …) give the papers' values.
// docs/methods/README.md lists each alias with its paper and factory.
#pragma once

#include <utility>

#include "resanom/core/regions.hpp"
#include "resanom/methods/any.hpp"
#include "resanom/methods/cathode.hpp"
#include "resanom/methods/combine.hpp"
#include "resanom/methods/cwola.hpp"
#include "resanom/methods/iad.hpp"
#include "resanom/methods/lacathode.hpp"
#include "resanom/methods/multi_cwola.hpp"
#include "resanom/methods/nested_cv.hpp"
#include "resanom/methods/pipeline.hpp"
#include "resanom/methods/salad.hpp"
#include "resanom/models/ensemble.hpp"
#include "resanom/models/hgb/hgb.hpp"
#include "resanom/models/mlp/mlp_classifier.hpp"
#include "resanom/stats/bump_hunt.hpp"
#include "resanom/stats/direct_estimate.hpp"

namespace resanom {

// ---- the papers' classifier settings ----------------------------------------------------------

/// Das et al. 2024, App. A.1: an ensemble of `members` (50) HGB classifiers with HgbParams' defaults.
inline Ensemble<Hgb> das2024_hgb_ensemble(int members = 50) { return Ensemble<Hgb>(Hgb(HgbParams{}), members); }

/// Benkendorfer et al. 2021, §II: three hidden layers of 64 ReLU nodes, 20 epochs, batch 200, Adam defaults.
inline MlpParams benkendorfer2021_mlp() {
    MlpParams p;
    p.hidden = {64, 64, 64};
    p.activation = Activation::relu;
    p.epochs = 20;
    p.batch_size = 200;
    return p;
}

/// Chen et al. 2023, App. E.2: three hidden layers of 32 ReLU nodes, 50 epochs, batch 200.
inline MlpParams chen2023_mlp() {
    MlpParams p;
    p.hidden = {32, 32, 32};
    p.activation = Activation::relu;
    p.epochs = 50;
    p.batch_size = 200;
    return p;
}

/// Collins et al. 2021, §3.1: 64-32-16-4, the first layer leaky ReLU with slope 0.1, the others ELU,
/// 20 % dropout after the first three, Adam (lr 1e-3, decay 5e-4, β = (0.8, 0.99)), batch 20480,
/// up to 700 epochs with patience 300.
inline MlpParams collins2021_cwola_mlp() {
    MlpParams p;
    p.hidden = {64, 32, 16, 4};
    p.first_activation = Activation::leaky_relu;
    p.first_activation_alpha = 0.1;
    p.activation = Activation::elu;
    p.activation_alpha = 1.0;
    p.dropout = 0.2;
    p.dropout_layers = 3;
    p.epochs = 700;
    p.patience = 300;
    p.batch_size = 20480;
    p.adam.learning_rate = 1e-3;
    p.adam.decay = 5e-4;
    p.adam.beta1 = 0.8;
    p.adam.beta2 = 0.99;
    return p;
}

/// Earlier names of the settings above, kept so that existing analyses build.
[[deprecated("use das2024_hgb_ensemble")]] inline Ensemble<Hgb> paper003_hgb_ensemble(int members = 50) {
    return das2024_hgb_ensemble(members);
}
[[deprecated("use benkendorfer2021_mlp")]] inline MlpParams paper001_mlp() { return benkendorfer2021_mlp(); }
[[deprecated("use chen2023_mlp")]] inline MlpParams paper000_mlp() { return chen2023_mlp(); }
[[deprecated("use collins2021_cwola_mlp")]] inline MlpParams paper004_cwola_mlp() { return collins2021_cwola_mlp(); }

// ---- aliases ------------------------------------------------------------------------------------

using IadHgb = WeakSupervision<Iad, Ensemble<Hgb>, DirectEstimate>;
using CwolaHgb = WeakSupervision<Cwola, Ensemble<Hgb>, DirectEstimate>;
using SaladHgb = WeakSupervision<Salad<MlpClassifier>, Ensemble<Hgb>, DirectEstimate>;
using CwolaHunting = WeakSupervision<Cwola, NestedCvSelect<MlpClassifier>, BumpHunt>;
using SaCwolaMlp = WeakSupervision<SaCwola, Ensemble<MlpClassifier>, BumpHunt>;
using SaladMlp = WeakSupervision<Salad<MlpClassifier>, Ensemble<MlpClassifier>, BumpHunt>;
using MultiSaladMlp = WeakSupervision<MultiSalad<MlpClassifier>, Ensemble<MlpClassifier>, DirectEstimate>;
using SaladSwitchMlp = WeakSupervision<SaladSwitch<MlpClassifier>, Ensemble<MlpClassifier>, DirectEstimate>;
using MultiCwolaMlp = WeakSupervision<MultiCwola, Ensemble<MlpClassifier>, BumpHunt>;
using CwolaAverageMlp = CwolaAverage<Ensemble<MlpClassifier>, BumpHunt>;
template <TemplateGenerator... G>
using CombinedHgb = WeakSupervision<CombinedSamples<G...>, Ensemble<Hgb>, DirectEstimate>;

// ---- factories with the papers' defaults ---------------------------------------------------------

/// δ_sys = 0, σ_sys = 0: what an idealized template — the true background, the IAD of Das et al.
/// 2024, §2.2.1 — justifies, and nothing else.
inline DirectEstimateConfig idealized_template_shift() {
    DirectEstimateConfig c;
    c.delta_sys = 0.0;
    c.sigma_sys = 0.0;
    return c;
}

/// The IAD with an ensemble of 50 HGB classifiers (Das et al. 2024, App. A.1), judged with
/// δ_sys = 0 unless `de` says otherwise.
inline IadHgb iad_hgb(DirectEstimateConfig de = idealized_template_shift(), PipelineSettings s = {}) {
    return IadHgb(Iad{}, das2024_hgb_ensemble(), DirectEstimate(std::move(de)), std::move(s));
}

/// CWoLa as in Das et al. 2024 (§2.2.2, App. A.1). `de` must give the systematic shift (e.g. from
/// reference_shifts on a background-only reference): the direct estimate refuses to assume one.
inline CwolaHgb cwola_hgb(DirectEstimateConfig de = {}, PipelineSettings s = {}) {
    return CwolaHgb(Cwola{}, das2024_hgb_ensemble(), DirectEstimate(std::move(de)), std::move(s));
}

/// SALAD with the HGB ensemble of Das et al. 2024; `de` must give the systematic shift.
inline SaladHgb salad_hgb(DirectEstimateConfig de = {}, PipelineSettings s = {}) {
    return SaladHgb(Salad<MlpClassifier>(), das2024_hgb_ensemble(), DirectEstimate(std::move(de)), std::move(s));
}

/// The bump hunt of CWoLa Hunting (Collins et al. 2021, §3.1 and §4.3): 30 bins uniform in log m
/// over [2.8, 5.2] TeV, the dijet function, the x % most signal-like events of each test fold.
inline BumpHunt collins2021_bump_hunt() {
    BumpHuntConfig c;
    c.edges = log_edges(2.8, 5.2, 30);
    c.cut = BumpHuntCut::data;
    return BumpHunt(c);
}

/// The autoencoder's bump hunt (Collins et al. 2021, §4.3): the cut passes the fraction ε_B of the
/// signal-region events (per test fold) and is applied to all events; the linear function is fit
/// over collins2021_ae_fit_ranges() of the bins `edges` (default: 30 bins uniform in log m over
/// [2.8, 5.2] TeV, as the paper's CWoLa Hunting).
inline BumpHunt collins2021_ae_bump_hunt(std::vector<double> edges = log_edges(2.8, 5.2, 30)) {
    BumpHuntConfig c;
    c.edges = std::move(edges);
    c.fit.function = FitFunction::linear;
    c.cut = BumpHuntCut::signal_region;
    c.fit_ranges = collins2021_ae_fit_ranges();
    return BumpHunt(c);
}

/// CWoLa Hunting (Collins et al. 2021, §3.1): k = 5 outer folds, 4 inner rounds of 10 trainings (best by the
/// TPR at 1 % FPR), the mean of the 4 kept models, the 1 % and 0.1 % most signal-like events, the
/// sideband fit.
inline CwolaHunting cwola_hunting(PipelineSettings s = {5, {1e-2, 1e-3}}) {
    return CwolaHunting(Cwola{}, NestedCvSelect<MlpClassifier>(MlpClassifier(collins2021_cwola_mlp())), collins2021_bump_hunt(),
                        std::move(s));
}

/// SA-CWoLa as in Benkendorfer et al. 2021 (λ = 1 unless given; 5 MLPs averaged as in its Fig. 6).
inline SaCwolaMlp sa_cwola_mlp(SaCwolaParams p = {}, PipelineSettings s = {}) {
    return SaCwolaMlp(SaCwola(p), Ensemble<MlpClassifier>(MlpClassifier(benkendorfer2021_mlp()), 5), BumpHunt{}, std::move(s));
}

/// SALAD as in Benkendorfer et al. 2021 (reweighter and classifier 3×64 MLPs; 5 classifiers averaged).
inline SaladMlp salad_mlp(PipelineSettings s = {}) {
    return SaladMlp(Salad<MlpClassifier>(MlpClassifier(benkendorfer2021_mlp())),
                    Ensemble<MlpClassifier>(MlpClassifier(benkendorfer2021_mlp()), 5), BumpHunt{}, std::move(s));
}

/// Multi-SALAD as in Chen et al. 2023, App. E.2 (3×32 MLPs for the reweighting and the classifier).
inline MultiSaladMlp multi_salad_mlp(MultiSaladParams p = {}, DirectEstimateConfig de = {}, PipelineSettings s = {}) {
    return MultiSaladMlp(MultiSalad<MlpClassifier>(MlpClassifier(chen2023_mlp()), std::move(p)),
                         Ensemble<MlpClassifier>(MlpClassifier(chen2023_mlp()), 1), DirectEstimate(std::move(de)),
                         std::move(s));
}

/// Multi-CWoLa as in Chen et al. 2023, §3 (class balance 0.149, App. E.1).
inline MultiCwolaMlp multi_cwola_mlp(MultiCwolaParams p = {}, PipelineSettings s = {}) {
    return MultiCwolaMlp(MultiCwola(p), Ensemble<MlpClassifier>(MlpClassifier(chen2023_mlp()), 1), BumpHunt{},
                         std::move(s));
}

[[deprecated("use collins2021_bump_hunt")]] inline BumpHunt paper004_bump_hunt() { return collins2021_bump_hunt(); }
[[deprecated("use collins2021_ae_bump_hunt")]] inline BumpHunt paper004_ae_bump_hunt(
    std::vector<double> edges = log_edges(2.8, 5.2, 30)) {
    return collins2021_ae_bump_hunt(std::move(edges));
}

}  // namespace resanom
