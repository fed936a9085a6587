// Internal: a stream's _write as its _writev of one chunk, through a per-thread vector instead
// of one allocated per write.
#pragma once

#include <vector>

#include "core/thread_instance.h"
#include "evnode/buffer.h"

namespace evnode::net {

// Each caller names its own `Tag` (a struct with a `chunks` vector): a TLS socket writing into
// its transport's _write must not reuse the vector it is writing from.
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
