// `evnode serve`: the HTML page listing a directory without an index.html.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace evnode::cli::serve {

struct ListingEntry {
  std::string name;  // as on disk
  bool directory = false;
  bool known = false;  // size and time are known (stat succeeded)
  std::uint64_t size = 0;
  double mtimeMs = 0;
};

// A page for `urlPath` (decoded, "/docs/"): a link to the parent (except at the root), then
// directories, then files, each in the order given. Hrefs are relative and percent-encoded,
// directories end with '/'; every name is HTML-escaped.
std::string renderListing(const std::string& urlPath, const std::vector<ListingEntry>& entries);

}  // namespace evnode::cli::serve
