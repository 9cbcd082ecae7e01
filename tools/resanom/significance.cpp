// tools/resanom/significance.cpp — `resanom significance`: the Asimov significance of a counting
// experiment with a relative background uncertainty (Das et al. 2024, eq. 6; eq. 7 as z_gauss), signed
// negative for a deficit, and its one-sided p-value (docs/cli.md).
#include <cmath>
#include <memory>
#include <string>

#include "common.hpp"
#include "resanom/stats/significance.hpp"

// One namespace per subcommand, so that the tool's files can be compiled as one unit.
namespace resanom::cli::significance_cmd {

namespace {

struct SignificanceCliOptions {
    CommonOptions common;
    double n_obs = 0.0;
    double n_exp = 0.0;
    double rel_unc = 0.0;
};

void run(const SignificanceCliOptions& o) {
    if (!(std::isfinite(o.n_obs) && o.n_obs >= 0.0))
        throw usage_error("--n-obs must be finite and >= 0, got " + std::to_string(o.n_obs));
    if (!(std::isfinite(o.n_exp) && o.n_exp > 0.0))
        throw usage_error("--n-exp must be finite and > 0, got " + std::to_string(o.n_exp));
    if (!(std::isfinite(o.rel_unc) && o.rel_unc >= 0.0))
        throw usage_error("--rel-unc must be finite and >= 0, got " + std::to_string(o.rel_unc));
    const AsimovSignificance a = asimov_significance(o.n_obs, o.n_exp, o.rel_unc);
    emit(json{{"z", a.z}, {"z_gauss", a.z_gauss}, {"p_value", a.p_value}});
}

}  // namespace

Subcommand add_significance(CLI::App& app) {
    auto o = std::make_shared<SignificanceCliOptions>();
    CLI::App* sub = app.add_subcommand(
        "significance", "Asimov significance with a relative background uncertainty (Das et al. 2024, eqs. 6, 7)");
    sub->add_option("--n-obs", o->n_obs, "Observed events N_obs (>= 0; weighted counts allowed)")->required();
    sub->add_option("--n-exp", o->n_exp, "Expected background N_exp (> 0)")->required();
    sub->add_option("--rel-unc", o->rel_unc, "Relative uncertainty of N_exp (sigma_exp, e.g. 0.05)")->capture_default_str();
    add_common_options(*sub, o->common);
    return {sub, [o] { run(*o); }};
}

namespace {
const SubcommandRegistration registration(60, "significance", add_significance);
}  // namespace

}  // namespace resanom::cli::significance_cmd
