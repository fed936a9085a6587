// Shared checks of the fuzz targets: an invariant that fails aborts (libFuzzer records the
// input), and views must stay inside the bytes they were parsed from.
#pragma once

#include <cstdlib>
#include <string_view>

namespace evnode::fuzz {

inline void check(bool ok) {
  if (!ok) std::abort();
}

// `inner` is empty or lies wholly within `outer`.
inline bool within(std::string_view inner, std::string_view outer) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

}  // namespace evnode::fuzz
