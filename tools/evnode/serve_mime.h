// `evnode serve`: the Content-Type of a file, from its extension.
#pragma once

#include <string_view>

namespace evnode::cli::serve {

// "text/html; charset=utf-8" for "index.html"; text types carry `charset=utf-8`; an unknown
// or missing extension is "application/octet-stream". The extension is matched without case.
std::string_view contentTypeFor(std::string_view fileName);

}  // namespace evnode::cli::serve
