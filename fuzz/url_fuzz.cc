// libFuzzer target for the WHATWG URL parser (src/url/: evnode::URL, URLSearchParams) and
// http::parseUrl over it (src/http/url.cc). The first byte picks what the rest is:
//   0: a URL;  1: "input\nbase";  2: "url\nvalue" for the setter the second byte picks;
//   3: a query string for URLSearchParams, also given to http::parseUrl as a URL.
// Checks:
//  - parsing returns or throws evnode::Exception ERR_INVALID_URL, nothing else;
//  - what comes out is well-formed: each component with its prefix, only printable ASCII
//    (spaces only in an opaque path), a port in range that is not the scheme's default;
//  - the href parses again to the same href (idempotence), with or without a base; after a
//    setter, the href parses and that parse is idempotent;
//  - URLSearchParams' serialization parses back to the same pairs;
//  - http::parseUrl gives an http(s) URL's request parts: a path that http::request accepts, a
//    host, a port in range.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "evnode/error.h"
#include "evnode/http.h"
#include "evnode/url.h"
#include "fuzz/fuzz_support.h"

namespace {

using evnode::URL;
using evnode::URLSearchParams;
using evnode::fuzz::check;

bool isSpecial(const std::string& protocol) {
  return protocol == "http:" || protocol == "https:" || protocol == "ws:" || protocol == "wss:" ||
         protocol == "ftp:" || protocol == "file:";
}

std::optional<URL> parse(std::string_view input, const URL* base = nullptr) {
  try {
    return base ? URL(input, *base) : URL(input);
  } catch (const evnode::Exception& e) {
    check(e.code() == "ERR_INVALID_URL");
    return std::nullopt;
  }
}

void checkWellFormed(const URL& u) {
  const std::string href = u.href();
  check(u.toString() == href && u.toJSON() == href);
  const std::string protocol = u.protocol();
  check(protocol.size() >= 2 && protocol.back() == ':' && href.starts_with(protocol));
  for (std::size_t i = 0; i + 1 < protocol.size(); ++i) {
    char c = protocol[i];
    check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9' && i > 0) || c == '+' || c == '-' ||
          c == '.');
  }
  const bool opaque = u.record().opaquePath;
  for (char ch : href) {
    auto c = static_cast<unsigned char>(ch);
    check(c < 0x7f && (c > 0x20 || (c == ' ' && opaque)));
  }
  const std::string port = u.port();
  if (!port.empty()) {
    check(port.size() <= 5 && (port == "0" || port.front() != '0'));
    long n = std::stol(port);
    check(n >= 0 && n <= 65535);
    if (protocol == "http:" || protocol == "ws:") check(n != 80);
    if (protocol == "https:" || protocol == "wss:") check(n != 443);
    if (protocol == "ftp:") check(n != 21);
    check(u.host() == u.hostname() + ":" + port);
  } else {
    check(u.host() == u.hostname());
  }
  if (isSpecial(protocol) && protocol != "file:") check(!u.hostname().empty());
  if (isSpecial(protocol)) check(u.pathname().starts_with('/'));
  const std::string search = u.search(), hash = u.hash();
  check(search.empty() || (search.size() > 1 && search.front() == '?'));
  check(hash.empty() || (hash.size() > 1 && hash.front() == '#'));
  const auto& rec = u.record();
  std::string tail = u.pathname();
  if (rec.query) tail += "?" + *rec.query;
  if (rec.fragment) tail += "#" + *rec.fragment;
  check(href.ends_with(tail));
  check(search == (rec.query && !rec.query->empty() ? "?" + *rec.query : ""));
  if (!u.hostname().empty() && u.hostname().front() != '[' && isSpecial(protocol)) {
    for (char c : u.hostname()) check(!(c >= 'A' && c <= 'Z'));
  }
}

// The href reads back as itself, and so does its reparse.
void checkIdempotent(const URL& u) {
  checkWellFormed(u);
  auto again = parse(u.href());
  check(again.has_value());
  check(again->href() == u.href());
  check(again->pathname() == u.pathname() && again->host() == u.host() &&
        again->search() == u.search() && again->hash() == u.hash() &&
        again->username() == u.username() && again->password() == u.password());
}

void checkParams(std::string_view query) {
  URLSearchParams p(query);
  URLSearchParams q(p.toString());
  check(q.entries() == p.entries());
  check(q.toString() == p.toString());
  q.sort();
  check(q.size() == p.size());
}

void checkHttpOptions(std::string_view url) {
  evnode::http::RequestOptions base;
  base.method = "PATCH";
  base.timeout = 1234;
  evnode::http::RequestOptions o;
  try {
    o = evnode::http::parseUrl(url, base);
  } catch (const evnode::Exception& e) {
    check(e.code() == "ERR_INVALID_URL");
    return;
  }
  check(o.method == "PATCH" && o.timeout == 1234);
  check(o.port >= 0 && o.port <= 65535);
  check(!o.path.empty() && o.path.front() == '/');
  if (o.protocol != "http:" && o.protocol != "https:") return;
  check(!o.hostname.empty() && o.host == o.hostname);
  check(o.hostname.front() != '[');
  check(o.port != (o.protocol == "http:" ? 80 : 443));
  for (char ch : o.path) {
    auto c = static_cast<unsigned char>(ch);
    check(c > 0x20 && c < 0x7f && c != '#');  // what http::request accepts as a path
  }
}

void applySetter(URL& u, unsigned which, std::string_view v) {
  switch (which % 10) {
    case 0: {
      try {
        u.setHref(v);
      } catch (const evnode::Exception& e) {
        check(e.code() == "ERR_INVALID_URL");
      }
      break;
    }
    case 1:
      u.setProtocol(v);
      break;
    case 2:
      u.setUsername(v);
      break;
    case 3:
      u.setPassword(v);
      break;
    case 4:
      u.setHost(v);
      break;
    case 5:
      u.setHostname(v);
      break;
    case 6:
      u.setPort(v);
      break;
    case 7:
      u.setPathname(v);
      break;
    case 8:
      u.setSearch(v);
      break;
    default:
      u.setHash(v);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned mode = data[0] % 4;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  auto nl = rest.find('\n');
  std::string_view first = rest.substr(0, nl);
  std::string_view second = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);

  switch (mode) {
    case 0: {
      if (auto u = parse(rest)) checkIdempotent(*u);
      checkHttpOptions(rest);
      break;
    }
    case 1: {
      auto base = parse(second);
      if (!base) break;
      auto u = parse(first, &*base);
      check(u.has_value() == URL::canParse(first, base->href()));
      if (u) checkIdempotent(*u);
      break;
    }
    case 2: {
      if (first.empty()) break;
      auto u = parse(first.substr(1));
      if (!u) break;
      applySetter(*u, static_cast<unsigned char>(first[0]), second);
      // A setter can leave a URL that the parser would write differently (the protocol setter
      // turns "http://h/C|/x" into "file://h/C|/x", which parses as "file://h/C:/x", in Node
      // too): its href must parse, and that parse must be idempotent.
      checkWellFormed(*u);
      auto again = parse(u->href());
      check(again.has_value());
      checkIdempotent(*again);
      // The searchParams list follows the query (except after setSearch, whose list is parsed
      // from the value as given, tabs and all, as the spec says).
      const auto& query = u->record().query;
      if (static_cast<unsigned char>(first[0]) % 10 != 8 && (!query || !query->starts_with('?'))) {
        check(u->searchParams().entries() == URLSearchParams(query.value_or("")).entries());
      }
      break;
    }
    default: {
      checkParams(rest);
      checkHttpOptions(rest);
      break;
    }
  }
  return 0;
}
