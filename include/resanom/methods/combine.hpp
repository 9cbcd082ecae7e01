// resanom/methods/combine.hpp — combining several methods (Golling et al. 2024, §4).
//
// Sample level: CombinedSamples<G1, G2, …>, a TemplateGenerator that trains SR data against the
// union of the generators' background templates, each scaled to an equal share. Score level:
// combine_scores averages the out-of-fold scores of several WindowResults of one window, and
// evaluate_scores judges the mean with a TestStatistic (one without a template: the bump hunt).
// docs/methods/combined.md explains both.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/random.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/methods/generator_support.hpp"
#include "resanom/methods/pipeline.hpp"

namespace resanom {

template <TemplateGenerator... G>
class CombinedSamples {
    static_assert(sizeof...(G) >= 2, "CombinedSamples: combine at least two generators");
    static_assert(!(FeatureMappingGenerator<G> || ...),
                  "CombinedSamples: a generator that maps features cannot share one classifier with others");

public:
    CombinedSamples() = default;
    explicit CombinedSamples(G... generators) : gens_(std::move(generators)...) {}

    const std::tuple<G...>& generators() const noexcept { return gens_; }

    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t seed) const {
        namespace dm = detail::methods;
        const Events& data = in.data;
        const IndexList sr = sr_rows(data, in.window);
        dm::require_region(sr, data.w(), "Combined", "data", "signal region", in.window.sr);
        const double share = data.w()(sr).sum() / static_cast<double>(sizeof...(G));
        dm::TrainingBuilder b;
        b.add_rows(data, sr, 1.0, data.w()(sr), true);
        std::vector<Events> templates;
        add_all(in, seed, share, b, templates, std::index_sequence_for<G...>{});
        const Index first = static_cast<Index>(sr.size());
        GeneratedTemplate g = b.finish();
        g.background_template = concat(std::span<const Events>(templates));
        g.template_row = dm::consecutive(first, g.background_template->size());
        return g;
    }

private:
    template <std::size_t... I>
    void add_all(const GeneratorInput& in, std::uint64_t seed, double share, detail::methods::TrainingBuilder& b,
                 std::vector<Events>& templates, std::index_sequence<I...>) const {
        (add_one(std::get<I>(gens_), I, in, seed, share, b, templates), ...);
    }

    template <class Gi>
    static void add_one(const Gi& gen, std::size_t i, const GeneratorInput& in, std::uint64_t seed, double share,
                        detail::methods::TrainingBuilder& b, std::vector<Events>& templates) {
        const GeneratedTemplate t = gen.generate(in, derive_seed(seed, i));
        detail::require(t.background_template.has_value() && !t.background_template->empty(),
                        std::string("Combined: generator ") + std::to_string(i) + " produced no background template to combine");
        detail::require(!t.inputs, std::string("Combined: generator ") + std::to_string(i) +
                                       " trains its classifier in a space of its own (e.g. LaCATHODE's latent space); "
                                       "its template cannot be combined with templates of features");
        const Events& templ = *t.background_template;
        const double total = templ.total_weight();
        detail::require(total > 0.0, std::string("Combined: the template of generator ") + std::to_string(i) + " has zero total weight");
        IndexList dr(static_cast<std::size_t>(templ.size()), -1);
        for (Index r = 0; r < templ.size(); ++r) {
            const Index row = t.template_row.empty() ? -1 : t.template_row[static_cast<std::size_t>(r)];
            if (row >= 0) dr[static_cast<std::size_t>(r)] = t.data_row[static_cast<std::size_t>(row)];
        }
        Events scaled = templ.with_weights(templ.w() * (share / total));
        b.add(scaled.X(), Vector::Zero(scaled.size()), scaled.w(), std::move(dr));
        templates.push_back(std::move(scaled));
    }

    std::tuple<G...> gens_;
};

/// Score-level combination (Golling et al. 2024, §4): the mean data and test scores of several results of the
/// same window and data. data_fold is kept where all results agree, else −1; n_train and
/// train_label_sum are summed; there is no template score and no significance (evaluate_scores).
inline WindowResult combine_scores(std::span<const WindowResult> results) {
    detail::require(!results.empty(), "combine_scores: no results given");
    const WindowResult& first = results.front();
    WindowResult out;
    out.window = first.window;
    out.data_score = Vector::Zero(first.data_score.size());
    out.test_score = Vector::Zero(first.test_score.size());
    out.data_fold = first.data_fold;
    for (std::size_t r = 0; r < results.size(); ++r) {
        const WindowResult& x = results[r];
        detail::require(x.data_score.size() == out.data_score.size() && x.test_score.size() == out.test_score.size(),
                        std::string("combine_scores: result ") + std::to_string(r) + " scores " + std::to_string(x.data_score.size()) +
                            std::string(" data and ") + std::to_string(x.test_score.size()) + " test events, result 0 " +
                            std::to_string(out.data_score.size()) + " and " + std::to_string(out.test_score.size()));
        out.data_score += x.data_score;
        out.test_score += x.test_score;
        for (std::size_t d = 0; d < out.data_fold.size() && d < x.data_fold.size(); ++d)
            if (x.data_fold[d] != out.data_fold[d]) out.data_fold[d] = -1;
        out.n_train += x.n_train;
        out.train_label_sum += x.train_label_sum;
    }
    out.data_score /= static_cast<double>(results.size());
    out.test_score /= static_cast<double>(results.size());
    return out;
}

/// Applies a TestStatistic to the data scores (and folds) of a (combined) result; no background
/// template.
template <TestStatistic T>
std::vector<Significance> evaluate_scores(const T& statistic, const WindowResult& result, const Events& data,
                                          const Window& window, const std::vector<double>& eps_b) {
    detail::require(result.data_score.size() == data.size(),
                    std::string("evaluate_scores: ") + std::to_string(result.data_score.size()) + " scores for " +
                        std::to_string(data.size()) + " data events");
    WindowResult r;   // the scores and folds of `result` at `window`, without a template
    r.window = window;
    r.data_score = result.data_score;
    r.data_fold = result.data_fold;
    return statistic.evaluate(statistic_input(r, data, eps_b));
}

/// Score-level combination as one pipeline (Golling et al. 2024, §4): the weakly supervised pipeline of each
/// generator (same classifier, same settings, seed derive_seed(seed, k) for member k) scores the
/// window out of fold; the scores are averaged (combine_scores) and the statistic judges them
/// (evaluate_scores). There is no background template, so T is a statistic without one (the bump
/// hunt). G is one type: AnyGenerator (methods/any.hpp) mixes methods chosen at run time.
template <TemplateGenerator G, Classifier C, TestStatistic T>
class ScoreCombination {
public:
    ScoreCombination(std::vector<G> generators, C classifier, T statistic, PipelineSettings settings = {})
        : statistic_(std::move(statistic)), settings_(std::move(settings)) {
        detail::require(generators.size() >= 2, "ScoreCombination: give at least two generators, got " +
                                                    std::to_string(generators.size()));
        settings_.validate();
        for (auto& g : generators) members_.emplace_back(std::move(g), classifier, NoStatistic{}, settings_);
    }

    /// Every member scores each data event with its classifier of the event's fold (one fold
    /// assignment for all members), so the mean score of every event comes from classifiers that
    /// never saw it, inside the training regions and outside alike.
    WindowResult run(const PipelineInput& in, std::uint64_t seed) const {
        std::vector<int> folds;
        PipelineInput member_in = in;
        if (in.data_fold.empty()) {
            folds = stratified_folds(Vector(in.data.m(in.window.m_column)), settings_.folds, derive_seed(seed, 1));
            member_in.data_fold = folds;
        }
        std::vector<WindowResult> results;
        for (std::size_t k = 0; k < members_.size(); ++k) results.push_back(members_[k].run(member_in, derive_seed(seed, k)));
        WindowResult res = combine_scores(results);
        res.window = in.window;
        if (in.judge) res.significances = evaluate_scores(statistic_, res, in.data, in.window, settings_.eps_b);
        return res;
    }

private:
    std::vector<WeakSupervision<G, C, NoStatistic>> members_;
    T statistic_;
    PipelineSettings settings_;
};

}  // namespace resanom
