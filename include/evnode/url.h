// evnode/url.h — Node's `URL` and `URLSearchParams` (the WHATWG URL Standard, as `new URL()`).
//
//   evnode::URL u("http://user@Bücher.example:8080/a/../b?q=1#top");
//   u.hostname();                      // "xn--bcher-kva.example"
//   u.pathname();                      // "/b"
//   u.searchParams().append("x", "y"); // u.search() is now "?q=1&x=y"
//   u.setPort("443");                  // u.host() is "xn--bcher-kva.example:443"
//
// Strings are UTF-8. Where Node would convert its argument to a USVString, evnode replaces the
// bytes that are not UTF-8 with U+FFFD the same way. Parsing is a pure function of the strings
// (no event loop, no I/O); international domain names go through libidn2 (see src/url/host.cc
// for where its IDNA2008 differs from Node's UTS #46).
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace evnode {

class URL;

/// Node's URLSearchParams: an ordered list of name/value pairs, serialized as
/// application/x-www-form-urlencoded. The object a URL's searchParams() returns is linked to it:
/// changing one changes the other.
class URLSearchParams {
 public:
  using value_type = std::pair<std::string, std::string>;          ///< a (name, value) pair
  using const_iterator = std::vector<value_type>::const_iterator;  ///< over the pairs, in order

  URLSearchParams() = default;  ///< an empty list
  /// Parses a query string ("a=1&b=2"); one leading '?' is skipped, '+' is a space.
  explicit URLSearchParams(std::string_view init);
  /// The pairs as given (Node's `new URLSearchParams([["a", "1"], ...])` or a record).
  explicit URLSearchParams(std::vector<value_type> init);
  /// The pairs of a braced list: `{{"a", "1"}, {"b", "2"}}`.
  URLSearchParams(std::initializer_list<std::pair<std::string_view, std::string_view>> init);
  /// A copy is a detached list: changing it changes no URL.
  URLSearchParams(const URLSearchParams& other) : list_(other.list_) {}
  /// Replaces the pairs with a copy of `other`'s; a URL this list belongs to gets the new query.
  URLSearchParams& operator=(const URLSearchParams& other);

  /// Adds a pair at the end.
  void append(std::string_view name, std::string_view value);
  /// Node's `delete` (a C++ keyword): removes every pair with this name (and value, if given).
  void delete_(std::string_view name, std::optional<std::string_view> value = std::nullopt);
  /// The first value for name, nullopt (Node: null) if there is none.
  std::optional<std::string> get(std::string_view name) const;
  /// Every value for name, in order.
  std::vector<std::string> getAll(std::string_view name) const;
  /// Whether a pair with this name (and value, if given) exists.
  bool has(std::string_view name, std::optional<std::string_view> value = std::nullopt) const;
  /// Sets the first pair with this name to value and removes the others; appends if none.
  void set(std::string_view name, std::string_view value);
  /// Stable sort by name, comparing UTF-16 code units (as JavaScript strings compare).
  void sort();
  /// "a=1&b=x+y": the application/x-www-form-urlencoded serialization, without '?'.
  std::string toString() const;
  /// Node's `size`: the number of pairs.
  std::size_t size() const { return list_.size(); }

  /// Iteration over the pairs in order (Node's [Symbol.iterator] and entries()).
  const_iterator begin() const { return list_.begin(); }
  const_iterator end() const { return list_.end(); }  ///< see begin()
  std::vector<std::string> keys() const;              ///< the names, in order (Node's keys())
  std::vector<std::string> values() const;            ///< the values, in order (Node's values())
  const std::vector<value_type>& entries() const { return list_; }  ///< the pairs, in order
  /// Calls fn(value, name) for each pair, as Node's forEach.
  void forEach(
      const std::function<void(const std::string& value, const std::string& name)>& fn) const;

 private:
  friend class URL;
  // The application/x-www-form-urlencoded parser (no '?' skipped).
  static std::vector<value_type> parse(std::string_view query);
  // The URL this list belongs to gets the new query after each change (the spec's "update").
  void update();

  std::vector<value_type> list_;
  URL* url_ = nullptr;
};

namespace detail {
// The URL record of the WHATWG URL Standard, kept serialized part by part (src/url/).
struct URLRecord {
  std::string scheme;                   // "http", lower case, without ':'
  std::string username, password;       // percent-encoded
  std::optional<std::string> host;      // serialized: "example.com", "1.2.3.4", "[::1]", or ""
  int port = -1;                        // -1: none (or the scheme's default)
  std::string path;                     // "/a/b" (each segment after a '/'), or the opaque path
  bool opaquePath = false;              // "mailto:x", "data:,x": a path that is not a list
  std::optional<std::string> query;     // without '?'
  std::optional<std::string> fragment;  // without '#'
};
}  // namespace detail

/// Node's URL class. The constructors throw evnode::Exception with code ERR_INVALID_URL (Node's
/// TypeError); its message is "Invalid URL: " followed by the input, which Node keeps in the
/// error's `input` property.
class URL {
 public:
  /// Node's `new URL(input)`: an absolute URL.
  explicit URL(std::string_view input);
  /// Node's `new URL(input, base)`: input relative to base (which must parse on its own).
  URL(std::string_view input, std::string_view base);
  /// The same, with a base already parsed.
  URL(std::string_view input, const URL& base);
  /// A copy, with its own searchParams() linked to it.
  URL(const URL& other);
  /// The same, taking over `other`'s parts.
  URL(URL&& other) noexcept;
  /// Becomes a copy of `other`; searchParams() stays linked to this URL.
  URL& operator=(const URL& other);
  /// The same, taking over `other`'s parts.
  URL& operator=(URL&& other) noexcept;
  ~URL() = default;

  /// Node's URL.canParse(): whether the constructor would succeed.
  static bool canParse(std::string_view input);
  /// Whether `new URL(input, base)` would succeed.
  static bool canParse(std::string_view input, std::string_view base);

  /// The whole URL, serialized ("https://user:pw@example.com:8080/p?q#f").
  std::string href() const;
  /// "https://example.com:8080" for http(s), ws(s) and ftp (and blob: of those); else "null".
  std::string origin() const;
  /// "https:": the scheme with its ':'.
  std::string protocol() const;
  /// Percent-encoded user name and password ("" when absent).
  const std::string& username() const { return rec_.username; }
  const std::string& password() const { return rec_.password; }  ///< see username()
  /// "example.com:8080": hostname and, unless it is the scheme's default, port.
  std::string host() const;
  /// "example.com", "1.2.3.4", "[::1]" (with brackets, as Node), "" when there is none.
  std::string hostname() const;
  /// "8080", or "" when absent or the scheme's default (":443" for https: gives "").
  std::string port() const;
  /// "/a/b", or an opaque path ("x@y" for "mailto:x@y").
  std::string pathname() const;
  /// "?q=1", or "" when there is no query or it is empty.
  std::string search() const;
  /// "#f", or "" when there is no fragment or it is empty.
  std::string hash() const;
  /// The query as a linked URLSearchParams: changes to either show in the other.
  URLSearchParams& searchParams() { return params_; }
  const URLSearchParams& searchParams() const { return params_; }  ///< the same, read-only
  std::string toString() const { return href(); }                  ///< href()
  std::string toJSON() const { return href(); }  ///< href() (for JSON.stringify in Node)

  /// The setters have the WHATWG (Node) semantics: a value that does not fit is ignored, or
  /// partly used (setPort("8080abc") sets 8080), never thrown at, except setHref, which throws
  /// ERR_INVALID_URL like Node's `url.href = ...`.
  void setHref(std::string_view value);
  /// Changes the scheme between special schemes (http, https, ws, wss, ftp, file) or between
  /// non-special ones only; "https:" and "https" both work.
  void setProtocol(std::string_view value);
  /// Ignored for URLs without a host, and for file: URLs.
  void setUsername(std::string_view value);
  void setPassword(std::string_view value);  ///< as setUsername()
  /// "example.com:8080" (the port is optional); ignored for opaque paths.
  void setHost(std::string_view value);
  /// Host only; ignored if it holds a ':' outside brackets.
  void setHostname(std::string_view value);
  /// Leading digits ("" removes the port; the scheme's default port becomes none).
  void setPort(std::string_view value);
  /// Dot segments are resolved as in the parser; ignored for opaque paths.
  void setPathname(std::string_view value);
  /// "" removes the query; one leading '?' is skipped. Updates searchParams().
  void setSearch(std::string_view value);
  /// "" removes the fragment; one leading '#' is skipped.
  void setHash(std::string_view value);

  /// The spec's URL record behind the getters: whether the path is opaque, a query that is
  /// empty rather than absent ("http://h/?"), the port as a number.
  const detail::URLRecord& record() const { return rec_; }

 private:
  friend class URLSearchParams;
  void parse(std::string_view input, const detail::URLRecord* base);
  void queryChanged();  // reloads searchParams from the query

  detail::URLRecord rec_;
  URLSearchParams params_;
};

/// Node's url.domainToASCII(): the host name as the URL parser would write it ("bücher.de" →
/// "xn--bcher-kva.de"), or "" if it is not valid.
std::string domainToASCII(std::string_view domain);

}  // namespace evnode
