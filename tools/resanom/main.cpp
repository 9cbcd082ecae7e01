// tools/resanom/main.cpp — the `resanom` command-line tool: subcommands over the header-only
// library, with the contract documented in docs/cli.md. Each subcommand lives in its own file and
// registers itself with a static SubcommandRegistration (common.hpp).
#include <signal.h>

#include <algorithm>
#include <csignal>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "common.hpp"
#include "resanom/io/npy.hpp"

namespace {

// The first line of a message, so that bad input always gives exactly one line on stderr.
std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

}  // namespace

// SIGINT, SIGTERM, SIGHUP: remove the outputs staged but not committed and the folders made for
// them, then die of the signal as usual (exit status 128 + signal in a shell). Async-signal-safe.
extern "C" void on_interrupt(int sig) {
    resanom::io::remove_pending_temporaries();
    resanom::cli::CreatedFolder::remove_created_folders();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

int main(int argc, char** argv) {
    using namespace resanom::cli;
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
        struct sigaction old {};
        sigaction(sig, nullptr, &old);
        if (old.sa_handler == SIG_IGN) continue;   // e.g. SIGINT of a background job: stays ignored
        struct sigaction sa {};
        sa.sa_handler = on_interrupt;
        sigemptyset(&sa.sa_mask);
        sigaction(sig, &sa, nullptr);
    }
    CLI::App app{"resanom — resonant anomaly detection (header-only C++20 library and tool)", "resanom"};
    app.set_version_flag("--version", std::string("resanom ") + RESANOM_VERSION);
    app.require_subcommand(1);
    auto factories = subcommand_registry();
    std::sort(factories.begin(), factories.end(), [](const auto& a, const auto& b) {
        return a.rank != b.rank ? a.rank < b.rank : std::string(a.name) < b.name;
    });
    std::vector<Subcommand> subs;
    for (const auto& f : factories) subs.push_back(f.add(app));

    if (argc > 1 && argv[1][0] != '-') {
        bool known = false;
        for (const auto& s : subs) known = known || s.app->check_name(argv[1]);
        if (!known) {
            std::cerr << "resanom: unknown subcommand '" << one_line(argv[1]) << "' (see resanom --help)\n";
            return 2;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "resanom: " << one_line(e.what()) << " (see resanom --help)\n";
        return 2;
    }

    try {
        for (auto& s : subs)
            if (s.app->parsed()) s.run();
        return 0;
    } catch (const resanom::input_error& e) {  // bad input, including io_error and usage_error
        std::cerr << "resanom: " << one_line(e.what()) << "\n";
        return 2;
    } catch (const std::bad_alloc&) {
        std::cerr << "resanom: out of memory\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "resanom: internal error: " << one_line(e.what()) << "\n";
        return 1;
    }
}
