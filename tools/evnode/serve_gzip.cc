// `evnode serve --gzip`: the compressible types and Accept-Encoding negotiation.
#include "tools/evnode/serve_gzip.h"

#include <algorithm>
#include <cctype>

namespace evnode::cli::serve {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110's qvalue: "0" ["." 0-3 digits] or "1" ["." 0-3 zeros], in thousandths; -1 if bad.
int parseQ(std::string_view v) {
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return -1;
  int q = (v[0] - '0') * 1000;
  if (v.size() == 1) return q;
  if (v[1] != '.' || v.size() > 5) return -1;
  int scale = 100;
  for (char c : v.substr(2)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
    q += (c - '0') * scale;
    scale /= 10;
  }
  return q > 1000 ? -1 : q;
}

}  // namespace

bool compressible(std::string_view contentType) {
  std::string t = lower(trim(contentType.substr(0, contentType.find(';'))));
  if (t.starts_with("text/")) return true;
  if (t.ends_with("+json") || t.ends_with("+xml")) return true;  // manifest+json, svg+xml, ...
  return t == "application/json" || t == "application/javascript" ||
         t == "application/x-javascript" || t == "application/ecmascript" || t == "application/xml";
}

AcceptedCodings acceptedCodings(std::optional<std::string_view> header) {
  AcceptedCodings out;
  if (!header) return out;
  int br = -1, gzip = -1, identity = -1, star = -1;  // thousandths; -1: not listed
  std::string_view rest = *header;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.empty()) continue;
    std::size_t semi = item.find(';');
    std::string name = lower(trim(item.substr(0, semi)));
    int q = 1000;
    while (semi != std::string_view::npos) {
      std::string_view params = item.substr(semi + 1);
      std::size_t next = params.find(';');
      std::string_view p = trim(params.substr(0, next));
      if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
        q = parseQ(trim(p.substr(2)));
      semi = next == std::string_view::npos ? next : semi + 1 + next;
    }
    if (q < 0) continue;  // a malformed weight: the element is ignored
    if (name == "br")
      br = q;
    else if (name == "gzip" || name == "x-gzip")
      gzip = std::max(gzip, q);
    else if (name == "identity")
      identity = q;
    else if (name == "*")
      star = q;
  }
  if (br < 0) br = std::max(star, 0);
  if (gzip < 0) gzip = std::max(star, 0);
  out.identityOk = identity >= 0 ? identity > 0 : star != 0;
  if (br > 0 && br >= gzip) {
    out.codings.push_back("br");
    if (gzip > 0) out.codings.push_back("gzip");
  } else {
    if (gzip > 0) out.codings.push_back("gzip");
    if (br > 0) out.codings.push_back("br");
  }
  return out;
}

std::string codedETag(std::string_view etag, std::string_view coding) {
  if (etag.size() >= 2 && etag.back() == '"') {
    return std::string(etag.substr(0, etag.size() - 1)) + "-" + std::string(coding) + "\"";
  }
  return std::string(etag) + "-" + std::string(coding);
}

}  // namespace evnode::cli::serve
