// The search of `resanom search` from C++: a program of a few lines with the library's SearchConfig
// and run_search reproduces the tool's report bit for bit (every window's verdicts and scores, the
// global significance, the δ_sys it measured), for CWoLa with a background-only reference and for
// SALAD; and CATHODE's search fits one flow per window for δ_sys^SB and the template.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

#include "resanom/io/npy.hpp"
#include "resanom/search/run.hpp"
#include "resanom/toys/dijet.hpp"
#include "cli_support.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace cli_test_search_library {

using resanom_test::run_tool;
using resanom_test::TempDir;

namespace {

/// The tool's report.json and scores.npy against the library's run, number for number.
void check_same(const TempDir& dir, const resanom::SearchRun& run) {
    const auto j = nlohmann::json::parse(resanom_test::slurp(dir.file("out/report.json")));
    const resanom::Matrix scores = resanom::io::read_npy(dir.file("out/scores.npy"));
    const auto& windows = run.report.windows;
    REQUIRE(j["windows"].size() == windows.size());
    for (std::size_t k = 0; k < windows.size(); ++k) {
        CHECK(j["windows"][k]["seed"].get<std::uint64_t>() == windows[k].seed);
        CHECK((scores.col(static_cast<Eigen::Index>(k)).array() == windows[k].result.data_score.array()).all());
        std::size_t direct = 0, bump = 0;
        for (const resanom::Significance& s : windows[k].result.significances) {
            const auto& js = j["windows"][k][s.statistic][s.statistic == "direct" ? direct++ : bump++];
            CHECK(js["n_obs"].get<double>() == s.n_obs);
            if (std::isfinite(s.z)) CHECK(js["z"].get<double>() == s.z);
            if (std::isfinite(s.threshold)) CHECK(js["threshold"].get<double>() == s.threshold);
            if (std::isfinite(s.n_exp)) CHECK(js["n_exp"].get<double>() == s.n_exp);
        }
    }
    CHECK(j["global"]["global_z"].get<double>() == run.report.global_z);
    CHECK(j["global"]["max_local_z"].get<double>() == run.report.max_local_z);
    CHECK(j["settings"]["statistic"] == std::string(resanom::to_string(run.statistic)));
}

}  // namespace

TEST_CASE("search from C++: CWoLa with δ_sys from a reference, as the tool runs it") {
    TempDir dir;
    REQUIRE(run_tool("generate --toy dijet --n-bkg 30000 --n-sig 300 --seed 1 --out data.npy", dir).code == 0);
    REQUIRE(run_tool("generate --toy dijet --n-bkg 30000 --n-sig 0 --seed 2 --out ref.npy", dir).code == 0);
    REQUIRE(run_tool("search --data data.npy --m-col 0 --features 1,2,3,4 --method cwola --windows das2024 "
                     "--delta-sys-from ref.npy --ensemble 2 --seed 4 --out out", dir).code == 0);
    // The program: 7 lines.
    using namespace resanom;
    const Events data = events_from_table(io::read_npy(dir.file("data.npy")), {1, 2, 3, 4}, {0});
    const Events reference = events_from_table(io::read_npy(dir.file("ref.npy")), {1, 2, 3, 4}, {0});
    SearchConfig c;
    c.method = Method::cwola;
    c.set_layout(search_layout("das2024"));
    c.ensemble = 2;
    c.seed = 4;
    const SearchRun run = run_search(c, {.data = data, .reference = &reference});
    CHECK(run.delta_sys_source == DeltaSysSource::reference);
    REQUIRE(run.shifts.has_value());
    const auto j = nlohmann::json::parse(resanom_test::slurp(dir.file("out/report.json")));
    for (std::size_t e = 0; e < run.shifts->size(); ++e) {   // NaN (not measurable there) is null in JSON
        const double d = (*run.shifts)[e].delta_sys;
        if (std::isfinite(d)) CHECK(j["delta_sys_mc"][e]["delta_sys"].get<double>() == d);
        else CHECK(j["delta_sys_mc"][e]["delta_sys"].is_null());
    }
    check_same(dir, run);
}

TEST_CASE("search from C++: SALAD with a simulation, as the tool runs it") {
    TempDir dir;
    REQUIRE(run_tool("generate --toy dijet --n-bkg 30000 --n-sig 300 --seed 1 --out data.npy", dir).code == 0);
    REQUIRE(run_tool("generate --toy dijet --n-bkg 30000 --n-sig 0 --seed 5 --out sim.npy", dir).code == 0);
    REQUIRE(run_tool("search --data data.npy --m-col 0 --features 1,2,3,4 --method salad --sim sim.npy --sr 3.3,3.7 "
                     "--ensemble 2 --seed 6 --out out", dir).code == 0);
    using namespace resanom;
    const Events data = events_from_table(io::read_npy(dir.file("data.npy")), {1, 2, 3, 4}, {0});
    const std::vector<Events> sims{events_from_table(io::read_npy(dir.file("sim.npy")), {1, 2, 3, 4}, {0})};
    SearchConfig c;
    c.method = Method::salad;
    c.windows = {Window::with_sidebands({3.3, 3.7})};
    c.ensemble = 2;
    c.seed = 6;
    const SearchRun run = run_search(c, {.data = data, .references = sims});
    CHECK(run.statistic == StatisticChoice::bumphunt);   // no δ_sys for SALAD's template: its bump hunt
    check_same(dir, run);
}

TEST_CASE("search from C++: CATHODE fits each window's flow once for δ_sys^SB and the template") {
    using namespace resanom;
    toys::DijetToyParams toy;
    toy.n_bkg = 20000;
    toy.n_sig = 200;
    const Events data = toys::dijet_data(toy, 3);
    toy.n_sig = 0;
    const Events reference = toys::dijet_data(toy, 4);
    SearchConfig c;
    c.method = Method::cathode;
    c.windows = {Window::with_sidebands({3.3, 3.7}), Window::with_sidebands({3.5, 3.9})};
    c.ensemble = 1;
    c.flow.epochs = 2;
    c.flow.blocks = 2;
    c.flow.hidden = 16;
    c.seed = 9;
    c.delta_sys_sidebands = true;
    int epochs = 0;
    SearchObservers obs;
    obs.flow_epoch = [&](const FlowEpochReport&) { ++epochs; };
    const SearchRun mc_sb = run_search(c, {.data = data, .reference = &reference}, obs);
    CHECK(mc_sb.delta_sys_source == DeltaSysSource::reference_and_sidebands);
    // Two windows, two epochs each: one flow per window on the reference, one per window on the
    // data, shared by δ_sys^SB and the template.
    CHECK(epochs == 2 * 2 * 2);
    // The windows' scores are those of the same search with δ_sys given, which fits its own flows.
    c.delta_sys_sidebands = false;
    c.delta_sys = 0.1;
    const SearchRun given = run_search(c, {.data = data}, obs);
    CHECK(epochs == 3 * 2 * 2);
    REQUIRE(given.report.windows.size() == 2);
    for (std::size_t k = 0; k < 2; ++k)
        CHECK(mc_sb.report.windows[k].result.data_score == given.report.windows[k].result.data_score);
    // δ_sys^SB alone is refused (not calibrated).
    c.delta_sys.reset();
    c.delta_sys_sidebands = true;
    CHECK_THROWS_WITH_AS(run_search(c, {.data = data}), doctest::Contains("alone is not calibrated"), input_error);
}

}  // namespace cli_test_search_library
