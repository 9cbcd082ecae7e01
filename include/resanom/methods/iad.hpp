// resanom/methods/iad.hpp — the idealized anomaly detector (IAD) as a TemplateGenerator.
//
// Iad (Das et al. 2024, §2.2.1): SR data (label 1) against the SR events of one background-only
// reference, GeneratorInput::references[0] (label 0, scaled to the SR data's weight); that
// reference in the SR is the background template. docs/methods/iad.md explains it.
#pragma once

#include <cstdint>
#include <utility>

#include "resanom/core/concepts.hpp"
#include "resanom/core/regions.hpp"
#include "resanom/methods/generator_support.hpp"

namespace resanom {

class Iad {
public:
    GeneratedTemplate generate(const GeneratorInput& in, std::uint64_t /*seed: the IAD draws nothing*/) const {
        namespace dm = detail::methods;
        dm::require_references(in.references.size(), 1, "IAD", "the background-only reference in the signal region");
        const Events& data = in.data;
        const Events& ref = in.references[0];
        dm::require_same_columns(data, ref, "IAD", 0);
        const Window& win = in.window;
        const IndexList sr = sr_rows(data, win);
        dm::require_region(sr, data.w(), "IAD", "data", "signal region", win.sr);
        const IndexList ref_sr = sr_rows(ref, win);
        dm::require_region(ref_sr, ref.w(), "IAD", "reference", "signal region", win.sr);

        const double w_sr = data.w()(sr).sum();
        Vector w_ref = dm::scaled_to(ref.w(), ref_sr, w_sr);

        dm::TrainingBuilder b;
        b.add_rows(data, sr, 1.0, data.w()(sr), true);
        const Index first = b.add_rows(ref, ref_sr, 0.0, w_ref, false);
        GeneratedTemplate g = b.finish();
        g.background_template = ref.subset(ref_sr).with_weights(std::move(w_ref));
        g.template_row = dm::consecutive(first, static_cast<Index>(ref_sr.size()));
        return g;
    }
};

static_assert(TemplateGenerator<Iad>);

}  // namespace resanom
