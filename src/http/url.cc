// The client's URL parsing: Node's `http.request(url)`, `evnode get URL`. The URL is a WHATWG
// URL (evnode::URL, src/url/), turned into request options as Node's urlToHttpOptions does. A
// pure function of the string (no I/O, no loop), so the fuzz target fuzz/url_fuzz.cc runs it on
// its own.
#include "evnode/url.h"
#include "evnode/http.h"

namespace evnode::http {

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Node's decodeURIComponent of the user name and password; an escape that is not UTF-8 is
// kept as its byte (where decodeURIComponent would throw a URIError).
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

}  // namespace

RequestOptions urlToHttpOptions(const URL& url, RequestOptions base) {
  base.protocol = url.protocol();
  // IPv6 without its brackets, as Node's urlToHttpOptions gives `hostname`.
  std::string hostname = url.hostname();
  if (hostname.size() >= 2 && hostname.front() == '[')
    hostname = hostname.substr(1, hostname.size() - 2);
  base.hostname = hostname;
  base.host = hostname;
  // An explicit default port is already gone from the URL ("http://h:80/" has port "").
  base.port = url.port().empty() ? 0 : std::stoi(url.port());
  base.path = url.pathname() + url.search();
  if (base.path.empty() || base.path.front() != '/') base.path.insert(0, "/");
  if (!url.username().empty() || !url.password().empty()) {
    base.auth = percentDecode(url.username()) + ":" + percentDecode(url.password());
  }
  return base;
}

RequestOptions parseUrl(std::string_view url, RequestOptions base) {
  return urlToHttpOptions(URL(url), std::move(base));
}

}  // namespace evnode::http
