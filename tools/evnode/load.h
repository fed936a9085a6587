// What the two load generators share (`evnode bench` and `evnode ws bench`): the -d duration,
// latency percentiles, and the pieces of their --json output.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace evnode::cli {

// -d: seconds, or a number with a unit: "500ms", "10s", "2m", "1h" (the one-line usage error
// otherwise).
double parseDuration(const std::string& text);
// The p-th percentile of latencies in microseconds, in milliseconds (0 for none); reorders v.
double percentile(std::vector<std::uint32_t>& v, double p);
// `s` as a JSON string, quoted and escaped.
std::string jsonString(const std::string& s);
// {"ECONNREFUSED":3,...}
std::string jsonCounts(const std::map<std::string, std::uint64_t>& counts);
// The summary's list after the error count: "  (ECONNREFUSED 3, ECONNRESET 1)", or "".
std::string countsText(const std::map<std::string, std::uint64_t>& counts);

}  // namespace evnode::cli
