// resanom/methods/cwola.hpp — Classification Without Labels (CWoLa) and its simulation-augmented
// variant (SA-CWoLa) as TemplateGenerators.
//
// Cwola: SR data (label 1) against short-sideband data (label 0), weighted Σ_SR w = n/2 and n/4 per
// sideband (Collins et al. 2021, §3.1); its template is the weighted sidebands. SaCwola adds
// simulation rows with inverted labels, weighted by λ (Benkendorfer et al. 2021, eq. 2.3); it has
// no template. docs/methods/cwola.md and docs/methods/sa_cwola.md explain both.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "resanom/core/concepts.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/methods/generator_support.hpp"

namespace resanom {

namespace detail::methods {

/// The CWoLa rows of `events`: SR, low SB and high SB rows, each non-empty with positive weight.
struct CwolaRegions {
    IndexList sr, low, high;
};

inline CwolaRegions cwola_regions(const Events& e, const Window& win, const std::string& who, const std::string& sample) {
    CwolaRegions r{sr_rows(e, win), rows_in(e, win.sb_low, win.m_column), rows_in(e, win.sb_high, win.m_column)};
    require_region(r.sr, e.w(), who, sample, "signal region", win.sr);
    require_region(r.low, e.w(), who, sample, "low sideband", win.sb_low);
    require_region(r.high, e.w(), who, sample, "high sideband", win.sb_high);
    return r;
}

/// Appends the CWoLa data rows (SR label 1 with total w_sr, each sideband label 0 with w_sr/2);
/// returns the training row of the first sideband row (low then high sideband follow each other).
inline Index add_cwola_data(TrainingBuilder& b, const Events& data, const CwolaRegions& r, double w_sr) {
    b.add_rows(data, r.sr, 1.0, scaled_to(data.w(), r.sr, w_sr), true);
    const Index first = b.add_rows(data, r.low, 0.0, scaled_to(data.w(), r.low, 0.5 * w_sr), true);
    b.add_rows(data, r.high, 0.0, scaled_to(data.w(), r.high, 0.5 * w_sr), true);
    return first;
}

}  // namespace detail::methods

/// CWoLa: SR data vs short-sideband data (see the file comment for the weights). It uses no
/// reference sample and ignores any given (so one GeneratorInput can serve several methods).
class Cwola {
public:
    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t /*seed: nothing random*/) const {
        namespace dm = detail::methods;
        const Events& data = in.data;
        const dm::CwolaRegions r = dm::cwola_regions(data, in.window, "CWoLa", "data");
        const Index n = static_cast<Index>(r.sr.size() + r.low.size() + r.high.size());
        dm::TrainingBuilder b;
        const Index first_sb = dm::add_cwola_data(b, data, r, 0.5 * static_cast<double>(n));
        GeneratedTemplate g = b.finish();
        IndexList sb = r.low;
        sb.insert(sb.end(), r.high.begin(), r.high.end());
        g.background_template = data.subset(sb).with_weights(g.training.w.segment(first_sb, static_cast<Index>(sb.size())));
        g.template_row = dm::consecutive(first_sb, static_cast<Index>(sb.size()));
        return g;
    }
};

struct SaCwolaParams {
    double lambda = 1.0;  ///< λ of Benkendorfer et al. 2021, eq. 2.3 (the paper's default, §III and §IV.B)
};

/// SA-CWoLa: CWoLa plus the simulation (references[0]) with inverted labels, weight λ.
class SaCwola {
public:
    SaCwola() = default;
    explicit SaCwola(SaCwolaParams p) : p_(p) {
        detail::require(std::isfinite(p_.lambda) && p_.lambda >= 0.0,
                        std::string("SA-CWoLa: lambda must be finite and >= 0, got ") + std::to_string(p_.lambda));
    }
    const SaCwolaParams& params() const noexcept { return p_; }

    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t /*seed: nothing random*/) const {
        namespace dm = detail::methods;
        dm::require_references(in.references.size(), 1, "SA-CWoLa", "the background simulation");
        const Events& data = in.data;
        const Events& sim = in.references[0];
        dm::require_same_columns(data, sim, "SA-CWoLa", 0);
        const dm::CwolaRegions r = dm::cwola_regions(data, in.window, "SA-CWoLa", "data");
        const Index n = static_cast<Index>(r.sr.size() + r.low.size() + r.high.size());
        const double w_sr = 0.5 * static_cast<double>(n);
        dm::TrainingBuilder b;
        dm::add_cwola_data(b, data, r, w_sr);
        if (p_.lambda > 0.0) {  // λ → 0 is CWoLa (Benkendorfer et al. 2021, §II.B)
            const dm::CwolaRegions s = dm::cwola_regions(sim, in.window, "SA-CWoLa", "simulation");
            const double ws = p_.lambda * w_sr;
            b.add_rows(sim, s.sr, 0.0, dm::scaled_to(sim.w(), s.sr, ws), false);
            b.add_rows(sim, s.low, 1.0, dm::scaled_to(sim.w(), s.low, 0.5 * ws), false);
            b.add_rows(sim, s.high, 1.0, dm::scaled_to(sim.w(), s.high, 0.5 * ws), false);
        }
        return b.finish();
    }

private:
    SaCwolaParams p_{};
};

static_assert(TemplateGenerator<Cwola>);
static_assert(TemplateGenerator<SaCwola>);

}  // namespace resanom
