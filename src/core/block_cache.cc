// The sanitizer build's checks and counters of recycled blocks and objects (block_cache.h).
#include "core/block_cache.h"

#include <cstdio>
#include <cstdlib>

namespace evnode::detail {

RecycleCounters& recycleCounters() {
  thread_local RecycleCounters counters;  // trivially destructible: readable at any time
  return counters;
}

void recycledNotBlank(const char* what) {
  std::fprintf(stderr, "evnode: a recycled %s still holds state from its last use\n", what);
  std::abort();
}

}  // namespace evnode::detail
