// Internal: the read-buffer policy shared by every stream socket of a thread.
//
// Each read(2) (or SSL_read) goes into the thread's current 64 KiB slab; the bytes read become a
// Buffer viewing that slab, and once every such view is gone the slab is used again. A small
// pool covers consumers that hold a chunk for a while (a write still in flight): steady state
// allocates nothing, and an idle connection owns no read buffer at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "evnode/buffer.h"

namespace evnode::net {

struct ReadSlab {
  std::uint8_t* data;
  std::size_t size;                         // 0 once the thread is exiting: read nothing more
  std::shared_ptr<std::uint8_t[]>* holder;  // the pool's hold on it, which takeReadSlab() takes
};

// Where the next read goes. A read that found nothing leaves the slab for the next one.
ReadSlab readSlab();
// A Buffer of the first `n` bytes of `slab` (from readSlab()), which it takes over (no copy).
inline Buffer takeReadSlab(const ReadSlab& slab, std::size_t n) {
  return Buffer(std::move(*slab.holder), 0, n);
}

}  // namespace evnode::net
