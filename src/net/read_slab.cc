// Per-thread pool of read slabs (see read_slab.h).
#include "net/read_slab.h"

#include <memory>
#include <vector>

namespace evnode::net {

namespace {
constexpr std::size_t kSlabSize = 64 * 1024;
constexpr std::size_t kPoolSize = 4;

struct SlabPool {
  std::vector<std::shared_ptr<std::uint8_t[]>> slabs;
  std::shared_ptr<std::uint8_t[]> current;  // the slab handed to the read in progress
};
thread_local SlabPool pool;
}  // namespace

void readSlabAlloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  if (pool.current) {
    // The last read found nothing (EAGAIN): its slab is still unclaimed.
    *buf = uv_buf_init(reinterpret_cast<char*>(pool.current.get()), kSlabSize);
    return;
  }
  std::shared_ptr<std::uint8_t[]> slab;
  for (auto& s : pool.slabs) {
    if (s.use_count() == 1) {  // only the pool holds it: no Buffer views it any more
      slab = s;
      break;
    }
  }
  if (!slab) {
    slab = std::make_shared_for_overwrite<std::uint8_t[]>(kSlabSize);
    if (pool.slabs.size() < kPoolSize) pool.slabs.push_back(slab);
  }
  pool.current = std::move(slab);
  *buf = uv_buf_init(reinterpret_cast<char*>(pool.current.get()), kSlabSize);
}

Buffer takeReadSlab(const char* base, std::size_t n) {
  auto slab = std::move(pool.current);
  const auto* start = slab.get();
  return Buffer(std::move(slab),
                static_cast<std::size_t>(reinterpret_cast<const std::uint8_t*>(base) - start), n);
}

}  // namespace evnode::net
