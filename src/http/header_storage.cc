// Reused header lists (see header_storage.h).
#include "http/header_storage.h"

#include <algorithm>

namespace evnode::http {

void HeaderStorage::assign(IncomingHeaders& headers, std::span<const Header> fields) {
  assignInto(
      headers.raw_, fields, [](const Header& h) { return h.name; },
      [](const Header& h) { return h.value; });
}

void HeaderStorage::scribble(HeaderList& list) {
  for (auto& [n, v] : list) {
    std::fill(n.begin(), n.end(), '~');
    std::fill(v.begin(), v.end(), '~');
  }
}

}  // namespace evnode::http
