// fuzz/fuzz_model_payload.cpp — libFuzzer entry point: resanom::fuzz::model_payload (fuzz/harness.hpp) on each input.
// Built and run by scripts/fuzz.
#include <cstddef>
#include <cstdint>

#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)resanom::fuzz::model_payload({reinterpret_cast<const char*>(data), size});
    return 0;
}
