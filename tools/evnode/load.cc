// The load generators' shared helpers (load.h).
#include "tools/evnode/load.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "tools/evnode/cli.h"

namespace evnode::cli {

double percentile(std::vector<std::uint32_t>& v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  k = std::min(v.size() - 1, k == 0 ? 0 : k - 1);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

double parseDuration(const std::string& text) {
  char* end = nullptr;
  double n = std::strtod(text.c_str(), &end);
  std::string_view unit(end);
  double scale = unit.empty() || unit == "s" ? 1
                 : unit == "ms"              ? 0.001
                 : unit == "m"               ? 60
                 : unit == "h"               ? 3600
                                             : 0;
  double seconds = n * scale;
  if (text.empty() || end == text.c_str() || scale == 0 || !(seconds >= 0.001) || seconds > 86400) {
    fail("invalid value '" + text + "' for -d (expected seconds, or 500ms, 10s, 2m; at most 24h)",
         2);
  }
  return seconds;
}

std::string jsonCounts(const std::map<std::string, std::uint64_t>& counts) {
  std::string out = "{";
  for (const auto& [code, n] : counts) {
    if (out.size() > 1) out += ',';
    out += jsonString(code) + ":" + std::to_string(n);
  }
  return out + "}";
}

std::string countsText(const std::map<std::string, std::uint64_t>& counts) {
  std::string out;
  for (const auto& [code, n] : counts)
    out += (out.empty() ? "" : ", ") + code + " " + std::to_string(n);
  return out.empty() ? out : "  (" + out + ")";
}

}  // namespace evnode::cli
