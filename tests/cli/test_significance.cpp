// Tests of `resanom significance` (docs/cli.md): Das et al. 2024, eq. 6, against hand values
// (Python math module, see tests/unit/test_significance.cpp), eq. 7 as z_gauss, the deficit sign,
// and the bad-input contract.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace cli_test_significance {

using resanom_test::last_json_line;

using resanom_test::run_tool;
using resanom_test::TempDir;


TEST_CASE("eq. 6, eq. 7 and the p-value") {
    TempDir dir;
    auto r = run_tool("significance --n-obs 1500 --n-exp 1000 --rel-unc 0.05", dir);
    REQUIRE(r.code == 0);
    CHECK(r.err.empty());
    auto j = last_json_line(r.out);
    CHECK(j.size() == 3);
    CHECK(j["z"].get<double>() == doctest::Approx(7.479642774224033).epsilon(1e-10));
    CHECK(j["z_gauss"].get<double>() == doctest::Approx(500.0 / std::sqrt(1000.0 + 1e6 * 0.0025)).epsilon(1e-12));
    CHECK(j["p_value"].get<double>() == doctest::Approx(0.5 * std::erfc(7.479642774224033 / std::sqrt(2.0))).epsilon(1e-8));
    // No uncertainty given: the known-background formula.
    r = run_tool("significance --n-obs 120 --n-exp 100", dir);
    REQUIRE(r.code == 0);
    CHECK(last_json_line(r.out)["z"].get<double>() == doctest::Approx(std::sqrt(2 * (120 * std::log(1.2) - 20))));
    // A deficit is negative.
    r = run_tool("significance --n-obs 80 --n-exp 100 --rel-unc 0.1", dir);
    j = last_json_line(r.out);
    CHECK(j["z"].get<double>() < 0.0);
    CHECK(j["z_gauss"].get<double>() < 0.0);
    CHECK(j["p_value"].get<double>() > 0.5);
}

TEST_CASE("bad input: exit code 2, one line on stderr") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"significance --n-obs -1 --n-exp 10", "--n-obs"},
        {"significance --n-obs 5 --n-exp 0", "--n-exp"},
        {"significance --n-obs 5 --n-exp 10 --rel-unc -0.1", "--rel-unc"},
        {"significance --n-obs 5 --n-exp inf", "--n-exp"},
        {"significance --n-exp 10", "--n-obs"},
        {"significance --n-obs abc --n-exp 10", "--n-obs"},
    };
    for (const auto& [args, expect] : cases) {
        TempDir dir;
        INFO(args);
        const auto r = run_tool(args, dir);
        CHECK(r.code == 2);
        CHECK(resanom_test::line_count(r.err) == 1);
        CHECK(r.err.find(expect) != std::string::npos);
        CHECK(r.out.empty());
    }
}

}  // namespace cli_test_significance
