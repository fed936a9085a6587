// Internal: a write the kernel did not take at once, recycled through a per-thread free list so
// that a busy connection does not allocate per blocked write.
#pragma once

#include <sys/uio.h>

#include <optional>
#include <vector>

#include "evnode/stream.h"

namespace evnode::net {

struct WriteReq {
  std::vector<iovec> bufs;  // what is left to write, from bufs[first]
  std::size_t first = 0;
  std::vector<Buffer> chunks;  // keeps the bytes alive until they are written
  std::optional<WriteCallback> cb;

  static WriteReq* get();
  static void release(WriteReq* req);
};

}  // namespace evnode::net
