// Replays the fuzz targets' seed corpus (tests/corpus/TARGET/) and every input that once made a
// target fail (tests/corpus/regressions/TARGET/) through the same harness the fuzzers run
// (fuzz/harness.hpp), built here with the project's compiler (and under scripts/sanitize with
// ASan + UBSan). A regression input must be refused with a resanom error or read correctly — never
// crash, throw anything else or allocate without bound; the seeds are well-formed files that must
// be accepted (a fuzzer started from broken seeds would explore little).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../fuzz/harness.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_fuzz_corpus {

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> files_in(const std::string& sub) {
    std::vector<fs::path> out;
    const fs::path dir = fs::path(RESANOM_SOURCE_DIR) / "tests" / "corpus" / sub;
    if (!fs::is_directory(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::string bytes_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

using Target = bool (*)(std::string_view);

void replay(const std::string& name, Target target, int min_seeds) {
    const auto seeds = files_in(name);
    CHECK(static_cast<int>(seeds.size()) >= min_seeds);
    for (const auto& f : seeds) {
        INFO("seed ", f.string());
        const std::string b = bytes_of(f);
        // A seed named bad_* or ragged* is a malformed file kept to start the fuzzer near an error
        // path: refused; every other seed is accepted.
        const std::string stem = f.stem().string();
        const bool malformed = stem.rfind("bad_", 0) == 0 || stem.rfind("ragged", 0) == 0;
        CHECK(target(b) == !malformed);
    }
    for (const auto& f : files_in("regressions/" + name)) {
        INFO("regression ", f.string());
        CHECK_NOTHROW((void)target(bytes_of(f)));
    }
}

}  // namespace

TEST_CASE("fuzz corpus: npy reader") { replay("npy", &resanom::fuzz::npy, 5); }
TEST_CASE("fuzz corpus: CSV reader") { replay("csv", &resanom::fuzz::csv, 4); }
TEST_CASE("fuzz corpus: model payloads (every model type)") {
    replay("model_payload", &resanom::fuzz::model_payload, 7);
    // The seeds cover all seven model types (the selector byte).
    std::vector<int> seen;
    for (const auto& f : files_in("model_payload"))
        seen.push_back(static_cast<unsigned char>(bytes_of(f)[0]) % (resanom::fuzz::detail::n_models + 1));
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    CHECK(seen == std::vector<int>{0, 1, 2, 3, 4, 5, 6});
}
TEST_CASE("fuzz corpus: model files") { replay("model_file", &resanom::fuzz::model_file, 5); }

}  // namespace unit_test_fuzz_corpus
