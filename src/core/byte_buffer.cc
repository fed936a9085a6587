// ByteBuffer's growth (byte_buffer.h).
#include "core/byte_buffer.h"

namespace evnode::detail {

void ByteBuffer::grow(std::size_t n) {
  std::size_t cap = cap_ < 256 ? 256 : cap_;
  while (cap - size_ < n) cap *= 2;
  auto bigger = std::make_unique_for_overwrite<char[]>(cap);
  if (size_) std::memcpy(bigger.get(), data_.get(), size_);
  data_ = std::move(bigger);
  cap_ = cap;
}

}  // namespace evnode::detail
