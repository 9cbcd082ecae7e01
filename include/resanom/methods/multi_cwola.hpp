// resanom/methods/multi_cwola.hpp — Multi-CWoLa (Chen et al. 2023, §3.1, Alg. 1) and its CWoLa baselines
// (Chen et al. 2023, §3.3).
//
// MultiCwola: k ≥ 3 resonant features (GeneratorInput::multi, one window each) give noisy labels
// M_i = 1[m^i ∈ I_i]; the triplet method (eqs. 3.4–3.6) estimates their accuracies and every event
// is trained on with the soft label p(y=1 | M) (eq. 3.3, class balance π = 0.149). No background
// template. Baselines: CwolaOnFeature, CwolaIntersect, CwolaThresholds, CwolaAverage<C, T>.
// docs/methods/multi_cwola.md explains the algorithm, its steps and the baselines.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "resanom/core/concepts.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/methods/combine.hpp"
#include "resanom/methods/generator_support.hpp"
#include "resanom/methods/pipeline.hpp"

namespace resanom {

/// The fitted label model of Multi-CWoLa.
struct MultiCwolaLabelModel {
    Vector correlation;  ///< E[ŷ M̂_i] per resonant feature (triplet estimate, averaged)
    Vector accuracy;     ///< α_i = p(M_i = y), after clipping
    Vector soft_label;   ///< p(y = 1 | M(m)) per event
};

namespace detail::methods {

inline void require_multi(const GeneratorInput& in, Index min_k, const std::string& who) {
    require(in.multi.has_value(), who + ": needs one window per resonant feature (GeneratorInput::multi), none given");
    const Index k = in.multi->size();
    require(k >= min_k, who + ": needs at least " + std::to_string(min_k) + " resonant features with windows, got " +
                            std::to_string(k));
    require(in.data.n_resonant() == k, who + ": " + std::to_string(k) + " windows for the data's " +
                                           std::to_string(in.data.n_resonant()) + " resonant features");
    for (Index i = 0; i < k; ++i) {
        const Interval& w = in.multi->windows[static_cast<std::size_t>(i)];
        require(std::isfinite(w.lo) && std::isfinite(w.hi) && w.lo < w.hi,
                who + ": window " + std::to_string(i) + " " + interval_text(w) + " must have finite ends with lo < hi");
    }
}

/// A hard-label training set over all events: label 1 where in_sr, else 0; each class scaled to n/2.
inline GeneratedTemplate all_events_hard(const Events& data, const std::vector<bool>& in_sr, const Matrix& X,
                                         const std::string& who, const std::string& what) {
    IndexList one, zero;
    for (std::size_t i = 0; i < in_sr.size(); ++i) (in_sr[i] ? one : zero).push_back(static_cast<Index>(i));
    require(!one.empty(), who + ": no event lies in " + what);
    require(!zero.empty(), who + ": every event lies in " + what + " (no sideband events)");
    const Vector& w = data.w();
    require(w(one).sum() > 0.0 && w(zero).sum() > 0.0, who + ": a class has zero total weight");
    const double half = 0.5 * static_cast<double>(data.size());
    TrainingBuilder b;
    b.add(X(one, Eigen::all), Vector::Ones(static_cast<Index>(one.size())), scaled_to(w, one, half), one);
    b.add(X(zero, Eigen::all), Vector::Zero(static_cast<Index>(zero.size())), scaled_to(w, zero, half), zero);
    return b.finish();
}

}  // namespace detail::methods

/// Fits the label model of Chen et al. 2023, Alg. 1 (steps 2–8) to `data` with windows `multi` (k ≥ 3).
inline MultiCwolaLabelModel multi_cwola_label_model(const Events& data, const MultiWindow& multi, double class_balance) {
    const std::string who = "Multi-CWoLa";
    detail::require(class_balance > 0.0 && class_balance < 1.0,
                    who + ": class balance p(y=1) must lie in (0, 1), got " + std::to_string(class_balance));
    const Index k = multi.size();
    detail::require(k >= 3, who + ": the triplet method needs at least 3 resonant features, got " + std::to_string(k));
    detail::require(data.size() > 0, who + ": no events");
    const Eigen::MatrixXi L = multi.labels(data);
    const Index n = data.size();
    const Vector& w = data.w();
    const double W = w.sum();
    detail::require(W > 0.0, who + ": the events have zero total weight");
    // Weighted second moments E[M̂_a M̂_b].
    Matrix E = Matrix::Zero(k, k);
    for (Index i = 0; i < n; ++i)
        for (Index a = 0; a < k; ++a)
            for (Index b = a + 1; b < k; ++b) E(a, b) += w[i] * (2 * L(i, a) - 1) * (2 * L(i, b) - 1);
    E /= W;
    for (Index a = 0; a < k; ++a)
        for (Index b = a + 1; b < k; ++b) E(b, a) = E(a, b);

    MultiCwolaLabelModel model;
    model.correlation = Vector::Zero(k);
    Vector count = Vector::Zero(k);
    auto estimate = [&](Index a, Index b, Index c) {  // eq. 3.4: |E[ŷ M̂_a]| from the triplet
        const double r = E(a, b) * E(a, c) / E(b, c);
        if (std::isfinite(r) && r > 0.0) {
            model.correlation[a] += std::sqrt(r);
            count[a] += 1.0;
        }
    };
    for (Index a = 0; a < k; ++a)
        for (Index b = a + 1; b < k; ++b)
            for (Index c = b + 1; c < k; ++c) {
                estimate(a, b, c);  // eq. 3.4
                estimate(b, a, c);  // eq. 3.5
                estimate(c, a, b);  // eq. 3.6
            }
    model.accuracy.resize(k);
    for (Index a = 0; a < k; ++a) {
        detail::require(count[a] > 0.0, who + ": the triplet method gives no accuracy for resonant feature " +
                                            std::to_string(a) +
                                            " (its window labels are uncorrelated with or opposite to the others)");
        model.correlation[a] /= count[a];
        model.accuracy[a] = std::clamp(0.5 * (model.correlation[a] + 1.0), 0.5, 1.0 - 1e-9);
    }
    // Step 7 in log space.
    const double lp1 = std::log(class_balance), lp0 = std::log1p(-class_balance);
    model.soft_label.resize(n);
    for (Index i = 0; i < n; ++i) {
        double l1 = lp1, l0 = lp0;
        for (Index a = 0; a < k; ++a) {
            const double al = model.accuracy[a];
            if (L(i, a) == 1) {
                l1 += std::log(al);
                l0 += std::log1p(-al);
            } else {
                l1 += std::log1p(-al);
                l0 += std::log(al);
            }
        }
        model.soft_label[i] = 1.0 / (1.0 + std::exp(l0 - l1));
    }
    return model;
}

struct MultiCwolaParams {
    double class_balance = 0.149;  ///< p(y = 1), given (Chen et al. 2023, §3.1.3; 0.149 from App. E.1)
};

/// Multi-CWoLa: every event with its soft label p(y = 1 | M(m)).
class MultiCwola {
public:
    MultiCwola() = default;
    explicit MultiCwola(MultiCwolaParams p) : p_(p) {
        detail::require(p_.class_balance > 0.0 && p_.class_balance < 1.0,
                        std::string("Multi-CWoLa: class balance p(y=1) must lie in (0, 1), got ") + std::to_string(p_.class_balance));
    }
    const MultiCwolaParams& params() const noexcept { return p_; }

    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t /*seed: nothing random*/) const {
        detail::methods::require_multi(in, 3, "Multi-CWoLa");
        const MultiCwolaLabelModel model = multi_cwola_label_model(in.data, *in.multi, p_.class_balance);
        GeneratedTemplate g;
        g.training = TrainingSet(in.data.X(), model.soft_label, in.data.w());
        g.data_row.resize(static_cast<std::size_t>(in.data.size()));
        for (Index i = 0; i < in.data.size(); ++i) g.data_row[static_cast<std::size_t>(i)] = i;
        return g;
    }

private:
    MultiCwolaParams p_{};
};

/// Standard CWoLa on resonant feature `feature` in the multi-feature setting: SR_i vs SB_i over all
/// events (Chen et al. 2023, App. E.1).
class CwolaOnFeature {
public:
    explicit CwolaOnFeature(Index feature = 0) : feature_(feature) {
        detail::require(feature >= 0, std::string("CWoLa on a feature: negative feature index ") + std::to_string(feature));
    }
    Index feature() const noexcept { return feature_; }

    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t /*seed*/) const {
        const std::string who = std::string("CWoLa on resonant feature ") + std::to_string(feature_);
        detail::methods::require_multi(in, 1, who);
        detail::require(feature_ < in.multi->size(), who + ": only " + std::to_string(in.multi->size()) +
                                                         " resonant features have windows");
        const Eigen::MatrixXi L = in.multi->labels(in.data);
        std::vector<bool> in_sr(static_cast<std::size_t>(in.data.size()));
        for (Index i = 0; i < in.data.size(); ++i) in_sr[static_cast<std::size_t>(i)] = L(i, feature_) == 1;
        return detail::methods::all_events_hard(
            in.data, in_sr, in.data.X(), who,
            "its window " + detail::methods::interval_text(in.multi->windows[static_cast<std::size_t>(feature_)]));
    }

private:
    Index feature_ = 0;
};

/// CWoLa + intersect: SR = the intersection of all windows.
class CwolaIntersect {
public:
    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t /*seed*/) const {
        const std::string who = "CWoLa + intersect";
        detail::methods::require_multi(in, 2, who);
        const IndexList rows = in.multi->rows_in_all(in.data);
        std::vector<bool> in_sr(static_cast<std::size_t>(in.data.size()), false);
        for (Index r : rows) in_sr[static_cast<std::size_t>(r)] = true;
        return detail::methods::all_events_hard(in.data, in_sr, in.data.X(), who, "the intersection of the windows");
    }
};

/// CWoLa + thresholding: label M_{label_feature}; the other thresholded resonant features are extra
/// classifier inputs (appended after x, in column order). The windows are fixed at construction so
/// that features(events) can map any events the pipeline scores.
class CwolaThresholds {
public:
    explicit CwolaThresholds(MultiWindow windows, Index label_feature = 0)
        : windows_(std::move(windows)), label_(label_feature) {
        detail::require(windows_.size() >= 2, "CWoLa + thresholding: needs at least 2 resonant features with windows, got " +
                                                  std::to_string(windows_.size()));
        detail::require(label_ >= 0 && label_ < windows_.size(),
                        std::string("CWoLa + thresholding: label feature ") + std::to_string(label_) + " outside the " +
                            std::to_string(windows_.size()) + " windows");
    }
    const MultiWindow& windows() const noexcept { return windows_; }
    Index label_feature() const noexcept { return label_; }

    /// [x | M_j for j ≠ label_feature].
    Matrix features(const Events& events) const {
        const Eigen::MatrixXi L = windows_.labels(events);
        Matrix out(events.size(), events.n_features() + windows_.size() - 1);
        out.leftCols(events.n_features()) = events.X();
        Index c = events.n_features();
        for (Index j = 0; j < windows_.size(); ++j) {
            if (j == label_) continue;
            out.col(c++) = L.col(j).cast<double>();
        }
        return out;
    }

    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t /*seed*/) const {
        const std::string who = "CWoLa + thresholding";
        if (in.multi) {
            detail::require(in.multi->windows == windows_.windows,
                            who + ": the input's windows differ from those the generator was built with");
        }
        detail::require(in.data.n_resonant() == windows_.size(),
                        who + ": " + std::to_string(windows_.size()) + " windows for the data's " +
                            std::to_string(in.data.n_resonant()) + " resonant features");
        const Eigen::MatrixXi L = windows_.labels(in.data);
        std::vector<bool> in_sr(static_cast<std::size_t>(in.data.size()));
        for (Index i = 0; i < in.data.size(); ++i) in_sr[static_cast<std::size_t>(i)] = L(i, label_) == 1;
        return detail::methods::all_events_hard(
            in.data, in_sr, features(in.data), who,
            std::string("window ") + std::to_string(label_) + " " +
                detail::methods::interval_text(windows_.windows[static_cast<std::size_t>(label_)]));
    }

private:
    MultiWindow windows_;
    Index label_ = 0;
};

/// CWoLa + average: k standard CWoLa classifiers (one per resonant feature), scores averaged.
template <Classifier C, TestStatistic T>
class CwolaAverage {
public:
    explicit CwolaAverage(C classifier = C{}, T statistic = T{}, PipelineSettings settings = {})
        : classifier_(std::move(classifier)), statistic_(std::move(statistic)), settings_(std::move(settings)) {
        settings_.validate();
    }

    /// Runs the k members on one input (which needs `multi`); the same seed gives the same result.
    WindowResult run(const PipelineInput& in, std::uint64_t seed) const {
        const std::string who = "CWoLa + average";
        detail::require(in.multi.has_value(), who + ": needs one window per resonant feature (PipelineInput::multi)");
        const Index k = in.multi->size();
        detail::require(k >= 2, who + ": needs at least 2 resonant features with windows, got " + std::to_string(k));
        std::vector<WindowResult> members;
        for (Index i = 0; i < k; ++i) {
            const WeakSupervision<CwolaOnFeature, C, NoStatistic> member(CwolaOnFeature(i), classifier_, NoStatistic{},
                                                                         settings_);
            members.push_back(member.run(in, seed));  // same seed: same folds for every member
        }
        WindowResult res = combine_scores(members);
        res.window = in.window;
        if (in.judge) res.significances = evaluate_scores(statistic_, res, in.data, in.window, settings_.eps_b);
        return res;
    }

private:
    C classifier_;
    T statistic_;
    PipelineSettings settings_;
};

static_assert(TemplateGenerator<MultiCwola>);
static_assert(TemplateGenerator<CwolaOnFeature>);
static_assert(TemplateGenerator<CwolaIntersect>);
static_assert(TemplateGenerator<CwolaThresholds>);
static_assert(FeatureMappingGenerator<CwolaThresholds>);

}  // namespace resanom
