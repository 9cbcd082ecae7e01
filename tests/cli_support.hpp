// What the tests of the `resanom` tool share besides test_support.hpp: reading the JSON object
// every subcommand prints as the last line of stdout.
#pragma once

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace resanom_test {

/// The JSON object on the last non-empty line of a subcommand's stdout.
inline nlohmann::json last_json_line(const std::string& out) {
    auto end = out.find_last_not_of('\n');
    REQUIRE(end != std::string::npos);
    auto start = out.rfind('\n', end);
    start = start == std::string::npos ? 0 : start + 1;
    return nlohmann::json::parse(out.substr(start, end - start + 1));
}

}  // namespace resanom_test
