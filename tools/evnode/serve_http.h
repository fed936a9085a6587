// `evnode serve`: the HTTP caching and range rules of a static file — Last-Modified/ETag,
// If-None-Match/If-Modified-Since (304), If-Range, and Range (206/416), per RFC 9110.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace evnode::cli::serve {

// "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate).
std::string formatHttpDate(std::time_t t);
// The three formats RFC 9110 says a recipient must accept (IMF-fixdate, RFC 850, asctime);
// nullopt for anything else.
std::optional<std::time_t> parseHttpDate(std::string_view text);

// A strong validator from the file's size and modification time (nginx's recipe, with the
// time to the microsecond): "\"<mtime-us hex>-<size hex>\"".
std::string makeETag(std::uint64_t size, double mtimeMs);

// If-None-Match: "*" or a list of entity tags, compared weakly (W/ ignored) with `etag`.
bool noneMatchHits(std::string_view ifNoneMatch, std::string_view etag);

// If-Range holds either an entity tag (strong comparison) or a date (must equal
// Last-Modified exactly); true when the range may be honoured.
bool ifRangeHolds(std::string_view ifRange, std::string_view etag, std::time_t mtime);

// The outcome of a Range header against a representation of `size` bytes.
struct ByteRange {
  enum Kind {
    kIgnore,         // no usable Range (absent, malformed, not bytes, several ranges): 200
    kSatisfiable,    // 206 for [first, last]
    kUnsatisfiable,  // 416 with Content-Range: bytes */size
  } kind = kIgnore;
  std::uint64_t first = 0, last = 0;  // inclusive
};
// One range, `bytes=a-b`, `a-` or `-n`. A multi-range request is answered in full (200): a
// server may ignore Range, and one whole body beats a multipart/byteranges nobody asked us for.
ByteRange parseRange(std::string_view header, std::uint64_t size);

}  // namespace evnode::cli::serve
