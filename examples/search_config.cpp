// examples/search_config.cpp — the search `resanom search` runs, from C++: CWoLa over the nine
// windows of Das et al. 2024 with δ_sys measured on a background-only reference. The same
// configuration with the same seed gives the tool's numbers bit for bit.
#include <cstdio>

#include <resanom/resanom.hpp>

int main() {
    using namespace resanom;
    toys::DijetToyParams p;
    p.n_bkg = 100000;
    p.n_sig = 750;
    const Events data = toys::dijet_data(p, 1);
    p.n_sig = 0;
    const Events reference = toys::dijet_data(p, 2);   // background only

    SearchConfig c;                                    // CWoLa with an ensemble of 10 HGB classifiers
    c.method = Method::cwola;
    c.set_layout(search_layout("das2024"));
    c.ensemble = 3;
    c.seed = 5;
    const SearchRun run = run_search(c, {.data = data, .reference = &reference});

    for (const WindowReport& w : run.report.windows)
        for (const Significance& s : w.result.significances)
            std::printf("[%.1f, %.1f) TeV  eps_B %.0e  Z = %.2f\n", w.window.sr.lo, w.window.sr.hi, s.eps_b, s.z);
    std::printf("global Z = %.2f (%s, delta_sys from the %s)\n", run.report.global_z,
                std::string(to_string(run.statistic)).c_str(), std::string(to_string(run.delta_sys_source)).c_str());
}
