// libFuzzer target for http::parseUrl (src/http/url.cc), the URL parser of http::request and
// `evnode get`. Checks:
//  - it either returns or throws evnode::Exception with ERR_INVALID_URL (nothing else escapes);
//  - what it returns is usable as is: a lower-case scheme ending in ':', a non-empty host name
//    without the bytes that would change the request's meaning, a port in range, and a path that
//    starts with '/' and passes http::request's own check (no byte <= 0x20, DEL or >= 0x80);
//  - the options it was given beyond the URL's parts are kept;
//  - parsing is stable: the URL written back from the parts parses to the same parts.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "evnode/http.h"
#include "fuzz/fuzz_support.h"

namespace http = evnode::http;

namespace {

using evnode::fuzz::check;

bool isIpv6(const std::string& s) {
  unsigned char addr[sizeof(in6_addr)];
  return ::inet_pton(AF_INET6, s.c_str(), addr) == 1;
}

// Every byte as %XX: what percentDecode turns back into `s`.
std::string encodeAll(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

void checkParts(const http::RequestOptions& o) {
  check(o.protocol.size() >= 2 && o.protocol.back() == ':');
  for (std::size_t i = 0; i + 1 < o.protocol.size(); ++i) {
    char c = o.protocol[i];
    check((c >= 'a' && c <= 'z') || c == '+' || c == '-' || c == '.');
  }
  check(!o.hostname.empty() && o.host == o.hostname);
  for (char ch : o.hostname) {
    auto c = static_cast<unsigned char>(ch);
    check(c > 0x20 && c != '/' && c != '\\' && c != '%' && c != '@' && c != '#' && c != '?');
  }
  if (!isIpv6(o.hostname)) {
    for (char c : o.hostname) check(!(c >= 'A' && c <= 'Z'));
  }
  check(o.port >= 0 && o.port <= 65535);
  if (o.protocol == "http:") check(o.port != 80);
  if (o.protocol == "https:") check(o.port != 443);
  check(!o.path.empty() && o.path.front() == '/');
  for (char ch : o.path) {
    auto c = static_cast<unsigned char>(ch);
    check(c > 0x20 && c < 0x7f && c != '#');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view url(reinterpret_cast<const char*>(data), size);
  http::RequestOptions base;
  base.method = "PATCH";
  base.timeout = 1234;
  base.headers.emplace_back("X-Kept", "yes");
  http::RequestOptions o;
  try {
    o = http::parseUrl(url, base);
  } catch (const evnode::Exception& e) {
    check(e.code() == "ERR_INVALID_URL");
    return 0;
  }
  checkParts(o);
  check(o.method == "PATCH" && o.timeout == 1234 && o.headers.size() == 1);
  if (url.find('@') == std::string_view::npos) check(o.auth.empty());

  // Written back and parsed again: the same parts. The port is always written (":0" is the
  // scheme's default), so that a host holding ':' keeps it; the user info is written
  // percent-encoded, byte by byte.
  std::string again = o.protocol + "//";
  if (!o.auth.empty()) again += encodeAll(o.auth) + "@";
  again += isIpv6(o.hostname) ? "[" + o.hostname + "]" : o.hostname;
  again += ":" + std::to_string(o.port) + o.path;
  http::RequestOptions p;
  try {
    p = http::parseUrl(again);
  } catch (const evnode::Exception&) {
    check(false);
  }
  check(p.protocol == o.protocol && p.hostname == o.hostname && p.port == o.port &&
        p.path == o.path && p.auth == o.auth);
  return 0;
}
