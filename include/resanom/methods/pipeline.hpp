// resanom/methods/pipeline.hpp — a method as a compile-time composition of its parts:
// WeakSupervision<Generator, Classifier, Statistic> (IAD, CWoLa, SA-CWoLa, SALAD…, CATHODE,
// Combined) and Unsupervised<Scorer, Statistic> (the autoencoder, Collins et al. 2021, §3.2).
//
// run() handles one window: the training set, every event scored out-of-fold by the one model that
// never saw it (core/cross_validation.hpp, folds bin by bin in m), the statistic's verdicts.
// Nothing is virtual: a user's own part plugs in by modelling its concept. docs/search.md explains
// the protocol.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/cross_validation.hpp"
#include "resanom/core/error.hpp"
#include "resanom/core/events.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/core/types.hpp"

namespace resanom {

/// A generator may map events to the classifier's inputs in its own way (e.g. Multi-CWoLa's
/// baseline that adds thresholded resonant features); by default the classifier sees X.
template <class G>
concept FeatureMappingGenerator = TemplateGenerator<G> && requires(const G& g, const Events& e) {
    { g.features(e) } -> std::convertible_to<Matrix>;
};

/// The classifier inputs of `events` for generator G.
template <class G>
Matrix classifier_inputs(const G& g, const Events& events) {
    if constexpr (FeatureMappingGenerator<G>) return g.features(events);
    else return events.X();
}

/// A step of one window completed, for progress displays: `what` is "template" (the generator
/// built the training set and the background template — for CATHODE, the flow trained and
/// sampled) or "fold" (the classifier of fold `done` of `total` trained and scored). Pipelines
/// that run inner pipelines (Combined, ScoreCombination, NestedCvSelect) report their inner steps.
struct PipelineStep {
    std::string_view what;
    Index done = 0;
    Index total = 0;
};

/// Called after each PipelineStep; called from the thread that runs the pipeline.
using StepObserver = std::function<void(const PipelineStep&)>;

/// What one window of a method needs.
struct PipelineInput {
    const Events& data;                               ///< truth labels, if present, are stripped before training
    std::span<const Events> references = {};          ///< simulations / ideal background (method-defined)
    Window window{};
    std::optional<MultiWindow> multi = std::nullopt;  ///< Multi-CWoLa
    const Events* test = nullptr;                     ///< optional labelled evaluation events, scored too
    const StepObserver* on_step = nullptr;            ///< optional progress observer (not owned)
    /// The fold of every data event, in [0, k); empty: stratified_folds of the window's m with the
    /// run's seed. Given by pipelines whose members must agree on the folds (ScoreCombination).
    std::span<const int> data_fold = {};
    /// false: score only, do not evaluate the statistic (WindowResult::significances stays empty),
    /// e.g. on the background-only reference of reference_shifts, which has no δ_sys of its own.
    bool judge = true;
};

/// Settings shared by every pipeline.
struct PipelineSettings {
    /// k of the out-of-fold scoring (Das et al. 2024, §2.1; Collins et al. 2021, §3.1)
    int folds = 5;
    std::vector<double> eps_b = {1e-2, 1e-3, 1e-4};  ///< working points handed to the statistic
    /// Keep the background template's features in WindowResult::template_features (for plots
    /// of data against the template, e.g. CATHODE's samples; costs their memory per window).
    bool keep_template_features = false;

    /// Throws input_error unless folds >= min_folds and every working point lies in (0, 1]. The
    /// weakly supervised pipelines need 3 folds (one trains, one validates, one is scored); the
    /// unsupervised one, whose scorer needs no validation, 2.
    void validate(int min_folds = 3) const {
        detail::require(folds >= min_folds, "pipeline: need at least " + std::to_string(min_folds) + " folds" +
                                                 (min_folds >= 3 ? " (one trains, one validates, one is scored)" : "") +
                                                 ", got " + std::to_string(folds));
        detail::require(!eps_b.empty(), "pipeline: no working points (eps_b) given");
        for (double e : eps_b)
            detail::require(e > 0.0 && e <= 1.0, "pipeline: working point eps_b = " + std::to_string(e) + " outside (0, 1]");
    }
};

/// A statistic that judges nothing: for pipelines whose scores are combined and judged together
/// (ScoreCombination, CwolaAverage) or only evaluated by ROC/SIC.
struct NoStatistic {
    std::vector<Significance> evaluate(const StatisticInput&) const { return {}; }
};

/// One window's outcome.
struct WindowResult {
    Window window{};
    /// One score per row of PipelineInput::data, each from the classifier of the event's fold, which
    /// never saw the event (for every event, inside the training region or not).
    Vector data_score;
    /// Per data row: the fold whose classifier scored it (−1 only where a combination of results
    /// disagreed, combine_scores).
    std::vector<int> data_fold;
    /// Scores and weights of the background template, when the method has one.
    std::optional<Vector> template_score = std::nullopt;
    Vector template_weight;                 ///< the template events' weights (empty without a template)
    std::vector<int> template_fold;         ///< the fold whose classifier scored each template event
    /// The template events' features, when PipelineSettings::keep_template_features is set.
    std::optional<Matrix> template_features = std::nullopt;
    /// Scores of PipelineInput::test: the mean of the k fold classifiers (an evaluation sample is
    /// never cut on together with the data).
    Vector test_score;
    std::vector<Significance> significances;  ///< one per working point
    Index n_train = 0;                      ///< training rows (label 1 and label 0 together)
    double train_label_sum = 0.0;           ///< Σ w·y of the training set: the weight of "label 1"
};

namespace detail::pipeline {

/// Data without truth labels, copied only when they carry some.
struct TruthFree {
    explicit TruthFree(const Events& e) : stripped(e.has_truth() ? std::optional<Events>(e.without_truth()) : std::nullopt), ref(stripped ? *stripped : e) {}
    TruthFree(const TruthFree&) = delete;
    TruthFree& operator=(const TruthFree&) = delete;
    std::optional<Events> stripped;
    const Events& ref;
};

/// The folds of the data events: the caller's, checked, or stratified in the window's m.
inline std::vector<int> data_folds(const PipelineInput& in, const Events& data, int k, std::uint64_t seed) {
    if (in.data_fold.empty()) return stratified_folds(Vector(data.m(in.window.m_column)), k, seed);
    detail::require(static_cast<Index>(in.data_fold.size()) == data.size(),
                    "pipeline: " + std::to_string(in.data_fold.size()) + " data folds for " + std::to_string(data.size()) +
                        " data events");
    for (std::size_t i = 0; i < in.data_fold.size(); ++i)
        detail::require(in.data_fold[i] >= 0 && in.data_fold[i] < k, "pipeline: data event " + std::to_string(i) +
                                                                          " has fold " + std::to_string(in.data_fold[i]) +
                                                                          " outside [0, " + std::to_string(k) + ")");
    return {in.data_fold.begin(), in.data_fold.end()};
}

}  // namespace detail::pipeline

/// The input of a statistic for one window's result: the data's scores with the window's m, the
/// weights and the folds, and the background template's scores, weights and folds when the method
/// has one (its m is not kept: no statistic needs it). A statistic evaluated on it gives the
/// verdicts of WindowResult::significances; the report's plots redo the bump hunt's cuts from it.
inline StatisticInput statistic_input(const WindowResult& r, const Events& data, std::vector<double> eps_b) {
    detail::require(r.data_score.size() == data.size(),
                    "statistic_input: " + std::to_string(r.data_score.size()) + " scores for " +
                        std::to_string(data.size()) + " data events");
    StatisticInput si;
    si.data = ScoredEvents{r.data_score, Vector(data.m(r.window.m_column)), data.w(), r.data_fold};
    if (std::any_of(r.data_fold.begin(), r.data_fold.end(), [](int f) { return f < 0; })) si.data.fold.clear();
    if (r.template_score) si.background_template = ScoredEvents{*r.template_score, Vector(), r.template_weight, r.template_fold};
    si.window = r.window;
    si.eps_b = std::move(eps_b);
    return si;
}

/// The weakly supervised pipeline: Generator builds the training set (label 1 = SR data, label 0
/// = template), k classifiers score everything out-of-fold, Statistic judges the scores.
template <TemplateGenerator G, Classifier C, TestStatistic T>
class WeakSupervision {
public:
    using generator_type = G;
    using classifier_type = C;
    using statistic_type = T;

    explicit WeakSupervision(G generator = G{}, C classifier = C{}, T statistic = T{}, PipelineSettings settings = {})
        : generator_(std::move(generator)),
          classifier_(std::move(classifier)),
          statistic_(std::move(statistic)),
          settings_(std::move(settings)) {
        settings_.validate();
    }

    const G& generator() const noexcept { return generator_; }
    const C& classifier() const noexcept { return classifier_; }
    const T& statistic() const noexcept { return statistic_; }
    const PipelineSettings& settings() const noexcept { return settings_; }

    /// Runs one window. The same seed gives the same result bit for bit.
    WindowResult run(const PipelineInput& in, std::uint64_t seed) const {
        const detail::pipeline::TruthFree data(in.data);
        // References are copied only when one carries truth labels (then all, to keep one span).
        std::vector<Events> stripped;
        std::span<const Events> refs = in.references;
        if (std::any_of(refs.begin(), refs.end(), [](const Events& r) { return r.has_truth(); })) {
            for (const Events& r : refs) stripped.push_back(r.without_truth());
            refs = stripped;
        }
        const GeneratorInput gin{data.ref, refs, in.window, in.multi};
        gin.validate();
        const GeneratedTemplate gen = generator_.generate(gin, generator_seed(seed));
        if (in.on_step != nullptr && *in.on_step) (*in.on_step)({"template", 1, 1});
        return score_and_judge(gen, data.ref, in, seed);
    }

    /// The second half of run(): k-fold scoring of a generated template and the statistic.
    /// Public so that callers who generate templates themselves (e.g. Combined) can reuse it.
    WindowResult score_and_judge(const GeneratedTemplate& gen, const Events& data, const PipelineInput& in,
                                 std::uint64_t seed) const {
        const TrainingSet& train = gen.training;
        const Index n_train = train.size();
        detail::require(n_train > 0, "pipeline: the method produced an empty training set");
        detail::require(static_cast<Index>(gen.data_row.size()) == n_train,
                        "pipeline: the generator gave " + std::to_string(gen.data_row.size()) + " data rows for " +
                            std::to_string(n_train) + " training rows");
        const int k = settings_.folds;
        const Index n_data = data.size();
        // Every data event has a fold (bin by bin in m); training rows follow their data event,
        // the other rows (references, generated samples) are dealt to the folds at random.
        const std::vector<int> data_fold = detail::pipeline::data_folds(in, data, k, derive_seed(seed, 1));
        const std::vector<int> fold_of = training_folds(gen.data_row, data_fold, k, derive_seed(seed, 3));

        // Data events that are training rows take the score of that row; the other data events and
        // the template events that are not training rows are scored by their fold's classifier;
        // test events by the mean of the k classifiers.
        std::vector<Index> train_row_of_data(static_cast<std::size_t>(n_data), -1);
        for (Index r = 0; r < n_train; ++r) {
            const Index d = gen.data_row[static_cast<std::size_t>(r)];
            if (d < 0) continue;
            detail::require(d < n_data, "pipeline: data_row " + std::to_string(d) + " beyond the data's " +
                                            std::to_string(n_data) + " events");
            if (train_row_of_data[static_cast<std::size_t>(d)] < 0) train_row_of_data[static_cast<std::size_t>(d)] = r;
        }
        IndexList data_extra;
        for (Index d = 0; d < n_data; ++d)
            if (train_row_of_data[static_cast<std::size_t>(d)] < 0) data_extra.push_back(d);
        const auto inputs_of = [&](const Events& e) -> Matrix {
            if (!gen.inputs) return classifier_inputs(generator_, e);
            Matrix X = gen.inputs(e);
            detail::require(X.rows() == e.size(), "pipeline: the generator's input map returned " + std::to_string(X.rows()) +
                                                      " rows for " + std::to_string(e.size()) + " events");
            detail::require_finite(X, "pipeline: the generator's input map");
            return X;
        };
        const Matrix data_X = inputs_of(data);

        IndexList template_extra;
        Index n_template = 0;
        if (gen.background_template) {
            n_template = gen.background_template->size();
            detail::require(gen.template_row.empty() || static_cast<Index>(gen.template_row.size()) == n_template,
                            "pipeline: template_row must be empty or hold one entry per template event");
            for (Index t = 0; t < n_template; ++t)
                if (gen.template_row.empty() || gen.template_row[static_cast<std::size_t>(t)] < 0) template_extra.push_back(t);
        }
        const std::vector<int> template_extra_fold =
            training_folds(IndexList(template_extra.size(), -1), {}, k, derive_seed(seed, 4));
        // With gen.inputs the template is generated in the classifier's input space already.
        const Matrix template_X = !gen.background_template ? Matrix()
                                  : gen.inputs           ? gen.background_template->X()
                                                         : classifier_inputs(generator_, *gen.background_template);
        const Matrix test_X = in.test ? inputs_of(*in.test) : Matrix();

        const Index n_extra = static_cast<Index>(data_extra.size() + template_extra.size()) + test_X.rows();
        const Index d_in = train.X.cols();
        for (const Matrix* M : {&data_X, &template_X, &test_X})
            detail::require(M->rows() == 0 || M->cols() == d_in,
                            "pipeline: events to score have " + std::to_string(M->cols()) + " features, the training set " +
                                std::to_string(d_in));
        Matrix extra(n_extra, d_in);
        std::vector<int> extra_fold(static_cast<std::size_t>(n_extra), -1);
        Index at = 0;
        for (Index d : data_extra) {
            extra_fold[static_cast<std::size_t>(at)] = data_fold[static_cast<std::size_t>(d)];
            extra.row(at++) = data_X.row(d);
        }
        for (std::size_t j = 0; j < template_extra.size(); ++j) {
            extra_fold[static_cast<std::size_t>(at)] = template_extra_fold[j];
            extra.row(at++) = template_X.row(template_extra[j]);
        }
        if (test_X.rows() > 0) extra.bottomRows(test_X.rows()) = test_X;

        FoldObserver fold_done;
        if (in.on_step != nullptr && *in.on_step)
            fold_done = [&in](int done, int total) { (*in.on_step)({"fold", done, total}); };
        const auto [oof, extra_score] =
            out_of_fold_predict(classifier_, train, fold_of, k, derive_seed(seed, 2), extra, fold_done, extra_fold);

        WindowResult res;
        res.window = in.window;
        res.n_train = n_train;
        res.train_label_sum = train.w.dot(train.y);
        res.data_score.resize(n_data);
        res.data_fold = data_fold;
        Index e = 0;
        for (Index d = 0; d < n_data; ++d) {
            const Index r = train_row_of_data[static_cast<std::size_t>(d)];
            res.data_score[d] = r >= 0 ? oof[r] : extra_score[e++];
        }
        if (gen.background_template) {
            Vector ts(n_template);
            res.template_fold.resize(static_cast<std::size_t>(n_template));
            std::size_t j = 0;
            for (Index t = 0; t < n_template; ++t) {
                const Index r = gen.template_row.empty() ? -1 : gen.template_row[static_cast<std::size_t>(t)];
                if (r >= 0) {
                    ts[t] = oof[r];
                    res.template_fold[static_cast<std::size_t>(t)] = fold_of[static_cast<std::size_t>(r)];
                } else {
                    ts[t] = extra_score[e++];
                    res.template_fold[static_cast<std::size_t>(t)] = template_extra_fold[j++];
                }
            }
            res.template_score = std::move(ts);
            res.template_weight = gen.background_template->w();
            if (settings_.keep_template_features) res.template_features = gen.background_template->X();
        }
        res.test_score = extra_score.tail(test_X.rows());

        if (in.judge) {
            StatisticInput si = statistic_input(res, data, settings_.eps_b);
            if (gen.background_template) si.background_template->m = gen.background_template->m(in.window.m_column);
            res.significances = statistic_.evaluate(si);
        }
        return res;
    }

private:
    G generator_;
    C classifier_;
    T statistic_;
    PipelineSettings settings_;
};

/// The unsupervised pipeline: the Scorer learns the data's features k-fold (each fold's scorer never
/// sees the events it scores), its scores are the classifier scores of the statistic; there is no
/// background template (the statistic fits the sidebands, Collins et al. 2021, §3.2 and §4).
template <Scorer S, TestStatistic T>
class Unsupervised {
public:
    using scorer_type = S;
    using statistic_type = T;

    explicit Unsupervised(S scorer = S{}, T statistic = T{}, PipelineSettings settings = {})
        : scorer_(std::move(scorer)), statistic_(std::move(statistic)), settings_(std::move(settings)) {
        settings_.validate(2);
    }

    const S& scorer() const noexcept { return scorer_; }
    const T& statistic() const noexcept { return statistic_; }
    const PipelineSettings& settings() const noexcept { return settings_; }

    /// One window: score_all, then judge.
    WindowResult run(const PipelineInput& in, std::uint64_t seed) const { return judge(score_all(in, seed), in); }

    /// The statistic's verdicts in the window of `in` on scores of score_all (for another window
    /// too: the scorer never sees m, so one scoring serves every window of a search — search() uses
    /// it so).
    WindowResult judge(WindowResult scores, const PipelineInput& in) const {
        detail::require(scores.data_score.size() == in.data.size(),
                        "pipeline: " + std::to_string(scores.data_score.size()) + " scores for " +
                            std::to_string(in.data.size()) + " data events");
        scores.window = in.window;
        scores.significances.clear();
        if (in.judge) scores.significances = statistic_.evaluate(statistic_input(scores, in.data, settings_.eps_b));
        return scores;
    }

    /// Every data event's score from the scorer of its fold (folds bin by bin in the window's m),
    /// trained on the other folds; the test events' from the mean of the k scorers. No verdict.
    WindowResult score_all(const PipelineInput& in, std::uint64_t seed) const {
        const Events& data = in.data;   // a Scorer sees only X: truth cannot reach it
        const Index n = data.size();
        const int k = settings_.folds;
        detail::require(n >= k, "pipeline: " + std::to_string(n) + " events cannot fill " + std::to_string(k) + " folds");
        const Matrix& X = data.X();
        const auto fit = [&](int f, const IndexList& fit_rows, const IndexList&) {
            S member = scorer_;
            member.fit(X(fit_rows, Eigen::all), derive_seed(seed, 2 + static_cast<std::uint64_t>(f)));
            return member;
        };
        const auto score = [](const S& member, const Matrix& rows) -> Vector { return member.score(rows); };
        FoldObserver fold_done;
        if (in.on_step != nullptr && *in.on_step)
            fold_done = [&in](int done, int total) { (*in.on_step)({"fold", done, total}); };

        WindowResult res;
        res.window = in.window;
        res.data_fold = detail::pipeline::data_folds(in, data, k, derive_seed(seed, 1));
        auto [oof, test_score] =
            out_of_fold_scores(X, res.data_fold, k, false, fit, score, in.test ? in.test->X() : Matrix(), fold_done);
        res.data_score = std::move(oof);
        res.test_score = std::move(test_score);
        res.n_train = n;
        return res;
    }

private:
    S scorer_;
    T statistic_;
    PipelineSettings settings_;
};

}  // namespace resanom
