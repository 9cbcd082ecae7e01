// The doctest main shared by every test executable. A test file under tests/data/ calls
// resanom_test::data_dir(), which exits with 77 (ctest: skipped) when RESANOM_DATA_DIR is unset.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
