// Internal: a write the kernel did not take at once, recycled (core/block_cache.h's Recycler,
// vectors and all) so that a busy connection does not allocate per blocked write.
#pragma once

#include <sys/uio.h>

#include <optional>
#include <vector>

#include "core/thread_instance.h"
#include "evnode/stream.h"

namespace evnode::net {

struct WriteReq {
  std::vector<iovec> bufs;  // what is left to write, from bufs[first]
  std::size_t first = 0;
  std::vector<Buffer> chunks;  // keeps the bytes alive until they are written
  std::optional<WriteCallback> cb;

  // Nothing of an earlier write left (the Recycler checks it both ways in sanitizer builds).
  bool blank() const { return bufs.empty() && chunks.empty() && first == 0 && !cb; }

  static WriteReq* get();
  static void release(WriteReq* req);  // clears it and gives it back
};

// A stream's _write as its _writev of one chunk, through a per-thread vector instead of one
// allocated per write. Each caller names its own `Tag` (a struct with a `chunks` vector): a TLS
// socket writing into its transport's _write must not reuse the vector it is writing from.
template <class Tag, class Writev>
void writeOneChunk(const Buffer& chunk, Writev&& writev) {
  Tag* tag = evnode::detail::threadInstance<Tag>();
  std::vector<Buffer> exiting;  // the thread's vector is gone
  std::vector<Buffer>& chunks = tag ? tag->chunks : exiting;
  chunks.assign(1, chunk);
  writev(chunks);
  chunks.clear();  // do not pin the bytes (a read slab) once they are written or queued
}

}  // namespace evnode::net
