// Per-thread pool of read slabs (see read_slab.h).
#include "net/read_slab.h"

#include <atomic>
#include <memory>
#include <vector>

#include "core/block_cache.h"

namespace evnode::net {

namespace {
constexpr std::size_t kSlabSize = 64 * 1024;
constexpr std::size_t kPoolSize = 4;

struct SlabPool {
  std::vector<std::shared_ptr<std::uint8_t[]>> slabs;
  std::shared_ptr<std::uint8_t[]> current;  // the slab handed to the read in progress
  std::size_t next = 0;                     // sanitizer builds: where the next search starts
  ~SlabPool() {
    for (auto& s : slabs) evnode::detail::unpoisonRecycled(s.get(), kSlabSize);
  }
};

// A slab that only the pool holds: no Buffer views it any more. A view may have been dropped
// on another thread (a Buffer moved into a worker_threads message): use_count() is a relaxed
// load, so the acquire fence orders that thread's last reads before our next write into the
// slab (no instruction on x86).
bool isFree(const std::shared_ptr<std::uint8_t[]>& s) {
  if (s.use_count() != 1) return false;
  std::atomic_thread_fence(std::memory_order_acquire);
  return true;
}

// The first free slab of the pool, or null. In sanitizer builds the search goes round the pool
// and every other free slab is poisoned: a view read after its Buffer was dropped (a parser's
// string_view, say) then makes ASan report instead of silently reading the next read's bytes.
std::shared_ptr<std::uint8_t[]> freeSlab(SlabPool& pool) {
  const std::size_t n = pool.slabs.size();
  if constexpr (!evnode::detail::kCheckRecycled) {
    for (auto& s : pool.slabs) {
      if (isFree(s)) return s;
    }
    return nullptr;
  } else {
    std::shared_ptr<std::uint8_t[]> found;
    for (std::size_t i = 0; i < n; ++i) {
      auto& s = pool.slabs[(pool.next + i) % n];
      if (!isFree(s)) continue;
      if (found) {
        evnode::detail::poisonRecycled(s.get(), kSlabSize);
      } else {
        found = s;
        pool.next = (pool.next + i + 1) % n;
        evnode::detail::unpoisonRecycled(s.get(), kSlabSize);
      }
    }
    return found;
  }
}
}  // namespace

ReadSlab readSlab() {
  SlabPool* pool = evnode::detail::threadInstance<SlabPool>();
  if (!pool) return {nullptr, 0, nullptr};
  if (!pool->current) {
    std::shared_ptr<std::uint8_t[]> slab = freeSlab(*pool);
    if (!slab) {
      slab = std::make_shared_for_overwrite<std::uint8_t[]>(kSlabSize);
      if (pool->slabs.size() < kPoolSize) pool->slabs.push_back(slab);
    }
    pool->current = std::move(slab);
  }
  // else the last read found nothing (EAGAIN): its slab is still unclaimed.
  return {pool->current.get(), kSlabSize, &pool->current};
}

}  // namespace evnode::net
