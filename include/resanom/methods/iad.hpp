// resanom/methods/iad.hpp — the idealized anomaly detector (IAD) as a TemplateGenerator.
//
// Das et al. 2024, §2.2.1: the IAD is "the classifier trained on SR data vs. a perfectly modelled,
// signal-free background sample in the SR" — the benchmark every data-driven template is measured
// against. Here the background-only reference is GeneratorInput::references[0] (exactly one
// reference), restricted to the signal region:
//   label 1: the SR data events, with their own weights;
//   label 0: the SR events of the reference, their weights scaled to the SR data's total weight
//            (a common scale only; the classifiers balance the classes anyway, and the relative
//            weights within the reference are its own).
// The background template of direct estimation (Das et al. 2024, §3, eq. 3) is that reference in the SR;
// its template_row points to its training rows, so each template event is scored out-of-fold.
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
