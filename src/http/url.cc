// The client's URL parsing: Node's `http.request(url)`, `evnode get URL`. A pure function of the
// string (no I/O, no loop), so the fuzz target fuzz/http_url_fuzz.cc runs it on its own.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>

#include "evnode/http.h"

namespace evnode::http {

namespace {
[[noreturn]] void invalidUrl(std::string_view url) {
  throw Exception("ERR_INVALID_URL", "Invalid URL: " + std::string(url));
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// As the WHATWG URL parser: controls, space, DEL and non-ASCII bytes in the path are escaped.
std::string encodePath(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '`') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}
}  // namespace

RequestOptions parseUrl(std::string_view url, RequestOptions base) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) invalidUrl(url);
  std::string scheme(url.substr(0, sep));
  for (auto& c : scheme) {
    if (!std::isalpha(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      invalidUrl(url);
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string_view rest = url.substr(sep + 3);
  auto hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  auto authEnd = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authEnd);
  std::string_view path =
      authEnd == std::string_view::npos ? std::string_view() : rest.substr(authEnd);

  std::string auth;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    auth = percentDecode(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }
  std::string host;
  std::string_view portText;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) invalidUrl(url);
    host = std::string(authority.substr(1, close - 1));
    unsigned char addr[sizeof(in6_addr)];
    if (::inet_pton(AF_INET6, host.c_str(), addr) != 1) invalidUrl(url);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') invalidUrl(url);
      portText = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) portText = authority.substr(colon + 1);
    for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (host.empty()) invalidUrl(url);
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == '\\' || c == '%' || c == '@')
      invalidUrl(url);
  }
  int port = 0;
  if (!portText.empty()) {
    if (portText.size() > 5) invalidUrl(url);
    for (char c : portText) {
      if (c < '0' || c > '9') invalidUrl(url);
      port = port * 10 + (c - '0');
    }
    if (port > 65535) invalidUrl(url);
  }
  base.protocol = scheme + ":";
  base.hostname = host;
  base.host = host;
  // An explicit default port is the same origin as none.
  base.port = (port == 80 && scheme == "http") || (port == 443 && scheme == "https") ? 0 : port;
  base.path =
      path.empty() ? "/" : (path.front() == '?' ? "/" + encodePath(path) : encodePath(path));
  if (!auth.empty()) base.auth = auth;
  return base;
}

}  // namespace evnode::http
