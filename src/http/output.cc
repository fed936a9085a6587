// Output slabs for the response batches (see output.h).
#include "http/output.h"

#include <cstring>
#include <memory>

namespace evnode::http {

namespace {
// Small: a socket that cannot take its bytes keeps a view, and with it the whole slab, alive
// until they are written.
constexpr std::size_t kSlabSize = 16 * 1024;

struct Slab {
  std::shared_ptr<std::uint8_t[]> data;
  std::size_t used = 0;
};
}  // namespace

void ByteBuffer::grow(std::size_t n) {
  std::size_t cap = cap_ < 256 ? 256 : cap_;
  while (cap - size_ < n) cap *= 2;
  auto bigger = std::make_unique_for_overwrite<char[]>(cap);
  if (size_) std::memcpy(bigger.get(), data_.get(), size_);
  data_ = std::move(bigger);
  cap_ = cap;
}

Buffer outputBuffer(std::string_view bytes) {
  // A batch bigger than this is rare (many pipelined responses at once): its own Buffer.
  if (bytes.size() > kSlabSize / 4) return Buffer::from(bytes.data(), bytes.size());
  Slab* s = evnode::detail::threadInstance<Slab>();
  if (!s) return Buffer::from(bytes.data(), bytes.size());  // the thread is exiting
  Slab& slab = *s;
  // Writes usually complete at once: then nothing views the slab and it starts over, warm in
  // the cache.
  if (slab.data && slab.data.use_count() == 1) slab.used = 0;
  if (!slab.data || kSlabSize - slab.used < bytes.size()) {
    slab.data = std::make_shared_for_overwrite<std::uint8_t[]>(kSlabSize);
    slab.used = 0;
  }
  std::memcpy(slab.data.get() + slab.used, bytes.data(), bytes.size());
  Buffer out(slab.data, slab.used, bytes.size());
  slab.used += bytes.size();
  return out;
}

}  // namespace evnode::http
