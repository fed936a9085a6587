// `evnode serve`: turning a request target into a safe path below the served directory, and
// the escaping needed to put names back into URLs and HTML.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace evnode::cli::serve {

// A request target split into decoded path segments. Nothing in `segments` can climb out of
// the served directory: no "..", no "/", no "\\", no NUL; "." and empty segments are dropped,
// and ".." removes the segment before it (as the WHATWG URL parser does), 403 when there is none.
struct Target {
  int status = 0;  // 0 when usable, else the status to answer (400 or 403)
  std::vector<std::string> segments;
  std::string query;           // after '?', as sent (without the '?')
  bool hasQuery = false;       // a '?' was present (even with nothing after it)
  bool trailingSlash = false;  // the path as sent ends with '/'
};

// Parses an origin-form or absolute-form target ("/a/b%20c?x=1", "http://h/a"). Anything else
// — "*", a bad percent escape, NUL — is 400; a segment that would leave the directory is 403
// ("/../x", "/a/../../x", "/..%2fx", "/a\\b").
Target parseTarget(std::string_view url);

// The segments as a path relative to the served directory ("a/b c"), "" for the root.
std::string joinSegments(const std::vector<std::string>& segments);

// Percent-encodes everything but RFC 3986's unreserved characters, so a name is one segment.
std::string encodeSegment(std::string_view name);
// "/a/b%20c/" for a directory URL built from decoded segments (always one leading slash, so it
// can never become a scheme-relative "//host" redirect).
std::string encodePath(const std::vector<std::string>& segments, bool trailingSlash);

// &, <, >, " and ' as entities.
std::string htmlEscape(std::string_view text);

}  // namespace evnode::cli::serve
