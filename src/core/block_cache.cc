// The sanitizer build's check on recycled objects (block_cache.h).
#include "core/block_cache.h"

#include <cstdio>
#include <cstdlib>

namespace evnode::detail {

void recycledNotBlank(const char* what) {
  std::fprintf(stderr, "evnode: a recycled %s still holds state from its last use\n", what);
  std::abort();
}

}  // namespace evnode::detail
