// Request target → decoded, contained path segments; URL and HTML escaping.
#include "tools/evnode/serve_target.h"

namespace evnode::cli::serve {

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes; false for a truncated or non-hex escape.
bool percentDecode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// An absolute-form target ("http://host:port/a?b", RFC 9112 section 3.2.2, which a server must
// accept) as the origin form the rest reads: "/a?b" ("/" or "/?b" when it has no path). Other
// targets are returned as they are.
std::string originForm(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos || url.front() == '/') return std::string(url);
  std::string scheme(url.substr(0, sep));
  for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (scheme != "http" && scheme != "https") return std::string(url);
  std::size_t end = url.find_first_of("/?#", sep + 3);
  if (end == std::string_view::npos) return "/";
  return (url[end] == '/' ? "" : "/") + std::string(url.substr(end));
}

}  // namespace

Target parseTarget(std::string_view target) {
  Target t;
  const std::string origin = originForm(target);
  std::string_view url = origin;
  auto q = url.find('?');
  std::string_view path = url.substr(0, q);
  if (q != std::string_view::npos) {
    t.hasQuery = true;
    t.query = std::string(url.substr(q + 1));
  }
  // Only origin-form names a file; a fragment never belongs in a request.
  if (path.empty() || path.front() != '/' || url.find('#') != std::string_view::npos) {
    t.status = 400;
    return t;
  }
  std::string decoded;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view raw = path.substr(start, slash - start);
    start = slash + 1;
    if (!percentDecode(raw, decoded) || decoded.find('\0') != std::string::npos) {
      t.status = 400;
      return t;
    }
    // A path that ends in a dot segment names a directory, as the WHATWG URL parser writes it
    // ("/a/." is "/a/", "/a/.." is "/").
    t.trailingSlash = decoded.empty() || decoded == "." || decoded == "..";
    if (decoded.empty() || decoded == ".") continue;
    // "..", "%2e%2e", ".%2E" (the URL Standard's double-dot segments, which all decode to "..")
    // remove the segment before them, as a browser or curl would before sending: "/a/../b" is
    // "/b". One with nothing left to remove would leave the directory.
    if (decoded == "..") {
      if (t.segments.empty()) {
        t.status = 403;
        return t;
      }
      t.segments.pop_back();
      continue;
    }
    // An encoded slash or a backslash would let one segment name a deeper (or higher) path.
    if (decoded.find('/') != std::string::npos || decoded.find('\\') != std::string::npos) {
      t.status = 403;
      return t;
    }
    t.segments.push_back(decoded);
  }
  return t;
}

std::string joinSegments(const std::vector<std::string>& segments) {
  std::string out;
  for (const auto& s : segments) {
    if (!out.empty()) out += '/';
    out += s;
  }
  return out;
}

std::string encodeSegment(std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(name.size());
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string encodePath(const std::vector<std::string>& segments, bool trailingSlash) {
  std::string out;
  for (const auto& s : segments) {
    out += '/';
    out += encodeSegment(s);
  }
  if (out.empty() || trailingSlash) out += '/';
  return out;
}

std::string htmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace evnode::cli::serve
