// Directory listing pages for `evnode serve`.
#include "tools/evnode/serve_listing.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "tools/evnode/serve_target.h"

namespace evnode::cli::serve {

namespace {

std::string humanSize(std::uint64_t n) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  char buf[32];
  if (n < 1024) {
    std::snprintf(buf, sizeof buf, "%" PRIu64 " B", n);
    return buf;
  }
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

std::string isoTime(double mtimeMs) {
  auto t = static_cast<std::time_t>(mtimeMs / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

void row(std::string& out, const ListingEntry& e) {
  std::string suffix = e.directory ? "/" : "";
  out += "<tr><td><a href=\"";
  out += htmlEscape(encodeSegment(e.name) + suffix);
  out += "\">";
  out += htmlEscape(e.name + suffix);
  out += "</a></td><td class=\"n\">";
  if (e.known && !e.directory) out += humanSize(e.size);
  out += "</td><td>";
  if (e.known) out += isoTime(e.mtimeMs);
  out += "</td></tr>\n";
}

}  // namespace

std::string renderListing(const std::string& urlPath, const std::vector<ListingEntry>& entries) {
  std::string title = htmlEscape("Index of " + urlPath);
  std::string out;
  out.reserve(512 + entries.size() * 120);
  out += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  out += title;
  out +=
      "</title>\n<style>body{font-family:system-ui,sans-serif;margin:2em}"
      "td{padding:.15em 1.5em .15em 0}td.n{text-align:right}</style>\n</head>\n<body>\n<h1>";
  out += title;
  out += "</h1>\n<table>\n";
  if (urlPath != "/") out += "<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n";
  for (const auto& e : entries) {
    if (e.directory) row(out, e);
  }
  for (const auto& e : entries) {
    if (!e.directory) row(out, e);
  }
  out += "</table>\n</body>\n</html>\n";
  return out;
}

}  // namespace evnode::cli::serve
