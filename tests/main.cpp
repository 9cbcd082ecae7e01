// The doctest main shared by every test executable. A test file under tests/data/ calls
// resanom_test::data_dir(), which exits with 77 (ctest: skipped) when RESANOM_DATA_DIR is unset.
//
// Several test files share one executable (tests/CMakeLists.txt) and each ctest entry selects its
// file with --source-file. A filter that matches no test case would pass silently, so a run that
// executes no test case fails here instead (exit code 3), unless it only lists or prints help.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <iostream>

namespace {

unsigned g_test_cases_run = 0;
bool g_run_ended = false;

struct CountingListener : doctest::IReporter {
    explicit CountingListener(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats& s) override {
        g_test_cases_run = s.numTestCasesPassingFilters;
        g_run_ended = true;
    }
    void test_case_start(const doctest::TestCaseData&) override {}
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

DOCTEST_REGISTER_LISTENER("resanom_counting", 0, CountingListener);

int main(int argc, char** argv) {
    doctest::Context context(argc, argv);
    const int result = context.run();
    if (context.shouldExit() || !g_run_ended) return result;  // --help, --list-test-cases, ...
    if (result == 0 && g_test_cases_run == 0) {
        std::cerr << "no test case matched the filters: nothing was tested\n";
        return 3;
    }
    return result;
}
