// Internal: write requests for stream sockets, recycled through a per-thread free list so a
// busy connection does not allocate per write.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <vector>

#include "evnode/stream.h"

namespace evnode::net {

struct WriteReq {
  uv_write_t req;
  std::vector<uv_buf_t> bufs;
  std::vector<Buffer> chunks;  // keeps the bytes alive while libuv writes them
  std::optional<WriteCallback> cb;
  std::size_t total = 0;
  void* owner = nullptr;

  static WriteReq* get();
  static void release(WriteReq* req);
};

}  // namespace evnode::net
