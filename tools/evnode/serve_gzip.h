// `evnode serve --gzip`: which types are compressed, and which content coding a request's
// Accept-Encoding asks for (RFC 9110 §12.5.3, with q-values).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evnode::cli::serve {

// Text-like types: text/*, JSON, JavaScript, XML, SVG (the parameters are ignored).
bool compressible(std::string_view contentType);

// What a request accepts of the codings we offer.
struct AcceptedCodings {
  std::vector<std::string> codings;  // "br" and/or "gzip", the preferred first (q, then br)
  bool identityOk = true;            // false for `identity;q=0`, or `*;q=0` without identity
};
// Parses Accept-Encoding: without the header, no coding (only identity); `*` stands for every
// coding not listed; q=0 refuses.
AcceptedCodings acceptedCodings(std::optional<std::string_view> acceptEncoding);

// The ETag of a coded variant: `"abc-123"` -> `"abc-123-gzip"`, so caches never mix them.
std::string codedETag(std::string_view etag, std::string_view coding);

}  // namespace evnode::cli::serve
