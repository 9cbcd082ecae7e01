// examples/paper_args.hpp — the tiny command-line parsing shared by the paper examples
// (examples/<author><year>_*.cpp): `--name value` or `--name=value` options and `--flag` switches.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace paper_examples {

class Args {
public:
    Args(int argc, char** argv) {
        for (int i = 1; i < argc; ++i) {
            std::string a = argv[i];
            if (a == "-h") a = "--help";
            if (a.rfind("--", 0) != 0) {
                std::fprintf(stderr, "unexpected argument '%s' (options are --name value)\n", a.c_str());
                std::exit(2);
            }
            a = a.substr(2);
            const auto eq = a.find('=');
            if (eq != std::string::npos) {
                values_[a.substr(0, eq)] = a.substr(eq + 1);
            } else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
                values_[a] = argv[++i];
            } else {
                values_[a] = "";
            }
        }
    }

    bool flag(const std::string& name) const { return values_.count(name) > 0; }
    bool quick() const { return flag("quick"); }
    /// With --help: prints `usage` and returns true (the example then exits).
    bool help(const char* usage) const {
        if (!flag("help")) return false;
        std::fputs(usage, stdout);
        return true;
    }

    long long integer(const std::string& name, long long full, long long quick_value) const {
        const auto it = values_.find(name);
        if (it == values_.end()) return quick() ? quick_value : full;
        return std::stoll(it->second);
    }
    double real(const std::string& name, double full, double quick_value) const {
        const auto it = values_.find(name);
        if (it == values_.end()) return quick() ? quick_value : full;
        return std::stod(it->second);
    }
    std::string text(const std::string& name, const std::string& full, const std::string& quick_value) const {
        const auto it = values_.find(name);
        if (it == values_.end()) return quick() ? quick_value : full;
        return it->second;
    }
    /// A comma-separated list of numbers.
    std::vector<double> list(const std::string& name, const std::vector<double>& full,
                             const std::vector<double>& quick_value) const {
        const auto it = values_.find(name);
        if (it == values_.end()) return quick() ? quick_value : full;
        std::vector<double> out;
        std::stringstream ss(it->second);
        std::string item;
        while (std::getline(ss, item, ',')) out.push_back(std::stod(item));
        return out;
    }

private:
    std::map<std::string, std::string> values_;
};

inline double mean(const std::vector<double>& v) {
    double s = 0.0;
    for (double x : v) s += x;
    return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

inline double stddev(const std::vector<double>& v) {
    if (v.size() < 2) return 0.0;
    const double m = mean(v);
    double s = 0.0;
    for (double x : v) s += (x - m) * (x - m);
    return std::sqrt(s / static_cast<double>(v.size() - 1));
}

}  // namespace paper_examples
