// HTTP dates, entity tags, conditional requests and byte ranges for `evnode serve`.
#include "tools/evnode/serve_http.h"

#include <cinttypes>
#include <cstdio>

namespace evnode::cli::serve {

namespace {

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Exactly `n` digits at s[pos...]; advances pos.
bool digits(std::string_view s, std::size_t& pos, int n, int& out) {
  out = 0;
  for (int i = 0; i < n; ++i, ++pos) {
    if (pos >= s.size() || !isDigit(s[pos])) return false;
    out = out * 10 + (s[pos] - '0');
  }
  return true;
}

bool literal(std::string_view s, std::size_t& pos, std::string_view lit) {
  if (s.substr(pos, lit.size()) != lit) return false;
  pos += lit.size();
  return true;
}

bool month(std::string_view s, std::size_t& pos, int& out) {
  for (int m = 0; m < 12; ++m) {
    if (s.substr(pos, 3) == kMonths[m]) {
      out = m;
      pos += 3;
      return true;
    }
  }
  return false;
}

bool clock(std::string_view s, std::size_t& pos, std::tm& tm) {
  return digits(s, pos, 2, tm.tm_hour) && literal(s, pos, ":") && digits(s, pos, 2, tm.tm_min) &&
         literal(s, pos, ":") && digits(s, pos, 2, tm.tm_sec);
}

// Plain digits (no sign, no spaces) that fit in 63 bits.
std::optional<std::uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::string_view opaqueTag(std::string_view tag) {
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  return tag;
}

}  // namespace

std::string formatHttpDate(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::optional<std::time_t> parseHttpDate(std::string_view s) {
  s = trim(s);
  std::tm tm{};
  std::size_t pos = 0;
  auto comma = s.find(',');
  bool ok = false;
  if (comma == 3) {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    pos = 5;
    ok = s.size() == 29 && s[4] == ' ' && digits(s, pos, 2, tm.tm_mday) && literal(s, pos, " ") &&
         month(s, pos, tm.tm_mon) && literal(s, pos, " ") && digits(s, pos, 4, tm.tm_year) &&
         literal(s, pos, " ") && clock(s, pos, tm) && literal(s, pos, " GMT");
    tm.tm_year -= 1900;
  } else if (comma != std::string_view::npos) {
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit years: 70-99 → 19xx, else 20xx)
    pos = comma + 1;
    ok = literal(s, pos, " ") && digits(s, pos, 2, tm.tm_mday) && literal(s, pos, "-") &&
         month(s, pos, tm.tm_mon) && literal(s, pos, "-") && digits(s, pos, 2, tm.tm_year) &&
         literal(s, pos, " ") && clock(s, pos, tm) && literal(s, pos, " GMT") && pos == s.size();
    if (tm.tm_year < 70) tm.tm_year += 100;
  } else {
    // asctime: "Sun Nov  6 08:49:37 1994"
    pos = 4;
    ok = s.size() == 24 && month(s, pos, tm.tm_mon) && literal(s, pos, " ");
    if (ok && s[pos] == ' ') {
      ++pos;
      ok = digits(s, pos, 1, tm.tm_mday);
    } else if (ok) {
      ok = digits(s, pos, 2, tm.tm_mday);
    }
    ok = ok && literal(s, pos, " ") && clock(s, pos, tm) && literal(s, pos, " ") &&
         digits(s, pos, 4, tm.tm_year);
    tm.tm_year -= 1900;
  }
  if (!ok || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  return timegm(&tm);
}

std::string makeETag(std::uint64_t size, double mtimeMs) {
  auto micros = static_cast<std::uint64_t>(mtimeMs * 1000.0);
  char buf[48];
  std::snprintf(buf, sizeof buf, "\"%" PRIx64 "-%" PRIx64 "\"", micros, size);
  return buf;
}

bool noneMatchHits(std::string_view list, std::string_view etag) {
  list = trim(list);
  if (list == "*") return true;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view tag = trim(list.substr(0, comma));
    if (!tag.empty() && opaqueTag(tag) == opaqueTag(etag)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool ifRangeHolds(std::string_view ifRange, std::string_view etag, std::time_t mtime) {
  ifRange = trim(ifRange);
  if (ifRange.starts_with("\"")) return !etag.starts_with("W/") && ifRange == etag;
  if (ifRange.starts_with("W/")) return false;  // a weak tag never validates a range
  auto date = parseHttpDate(ifRange);
  return date && *date == mtime;
}

ByteRange parseRange(std::string_view header, std::uint64_t size) {
  ByteRange r;
  header = trim(header);
  auto eq = header.find('=');
  if (eq == std::string_view::npos) return r;
  std::string_view unit = trim(header.substr(0, eq));
  if (unit.size() != 5) return r;
  for (std::size_t i = 0; i < 5; ++i) {
    char c = unit[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != "bytes"[i]) return r;
  }
  std::string_view set = trim(header.substr(eq + 1));
  if (set.find(',') != std::string_view::npos) return r;  // several ranges: the whole body
  auto dash = set.find('-');
  if (dash == std::string_view::npos) return r;
  std::string_view a = trim(set.substr(0, dash)), b = trim(set.substr(dash + 1));
  if (a.empty()) {
    // Suffix: the last n bytes.
    auto n = number(b);
    if (!n) return r;
    if (*n == 0 || size == 0) {
      r.kind = ByteRange::kUnsatisfiable;
      return r;
    }
    r.kind = ByteRange::kSatisfiable;
    r.first = *n >= size ? 0 : size - *n;
    r.last = size - 1;
    return r;
  }
  auto first = number(a);
  if (!first) return r;
  std::optional<std::uint64_t> last;
  if (!b.empty()) {
    last = number(b);
    if (!last || *last < *first) return r;  // invalid: ignored, as RFC 9110 says
  }
  if (*first >= size) {
    r.kind = ByteRange::kUnsatisfiable;
    return r;
  }
  r.kind = ByteRange::kSatisfiable;
  r.first = *first;
  r.last = last && *last < size - 1 ? *last : size - 1;
  return r;
}

}  // namespace evnode::cli::serve
