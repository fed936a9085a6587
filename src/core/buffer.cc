// Buffer: shared storage, zero-copy slices, and the string encodings.
#include "evnode/buffer.h"

#include <algorithm>
#include <cstring>

#include "core/encoding.h"
#include "evnode/error.h"

namespace evnode {

Buffer Buffer::alloc(std::size_t size, std::uint8_t fill) {
  Buffer b = allocUnsafe(size);
  if (size) std::memset(b.data(), fill, size);
  return b;
}

Buffer Buffer::allocUnsafe(std::size_t size) {
  if (size == 0) return Buffer();
  return Buffer(std::make_shared_for_overwrite<std::uint8_t[]>(size), 0, size);
}

Buffer Buffer::from(const void* data, std::size_t size) {
  Buffer b = allocUnsafe(size);
  if (size) std::memcpy(b.data(), data, size);
  return b;
}

Buffer Buffer::from(std::initializer_list<std::uint8_t> bytes) {
  return from(bytes.begin(), bytes.size());
}

Buffer Buffer::from(std::string_view str, std::string_view encoding) {
  // UTF-8 text is its own bytes: one copy, straight into the buffer.
  if (detail::parseEncoding(encoding) == detail::Encoding::kUtf8)
    return from(str.data(), str.size());
  std::string bytes = detail::encode(str, detail::parseEncoding(encoding));
  return from(bytes.data(), bytes.size());
}

bool Buffer::isEncoding(std::string_view encoding) {
  return detail::tryParseEncoding(encoding).has_value();
}

std::size_t Buffer::byteLength(std::string_view str, std::string_view encoding) {
  auto enc = detail::parseEncoding(encoding);
  if (enc == detail::Encoding::kUtf8) return str.size();
  return detail::encode(str, enc).size();
}

Buffer Buffer::concat(std::span<const Buffer> list) {
  std::size_t total = 0;
  for (const auto& b : list) total += b.length();
  return concat(list, total);
}

Buffer Buffer::concat(std::span<const Buffer> list, std::size_t totalLength) {
  Buffer out = allocUnsafe(totalLength);
  std::size_t pos = 0;
  for (const auto& b : list) {
    if (pos >= totalLength) break;
    std::size_t n = std::min(b.length(), totalLength - pos);
    if (n) std::memcpy(out.data() + pos, b.data(), n);
    pos += n;
  }
  if (pos < totalLength) std::memset(out.data() + pos, 0, totalLength - pos);
  return out;
}

Buffer Buffer::subarray(std::int64_t start, std::int64_t end) const {
  const auto len = static_cast<std::int64_t>(len_);
  auto clamp = [len](std::int64_t i) {
    if (i < 0) i += len;
    return std::clamp<std::int64_t>(i, 0, len);
  };
  std::int64_t s = clamp(start), e = clamp(end);
  if (e < s) e = s;
  if (e == s) return Buffer();
  return Buffer(base_, off_ + static_cast<std::size_t>(s), static_cast<std::size_t>(e - s));
}

std::string Buffer::toString(std::string_view encoding) const {
  return detail::decode(view(), detail::parseEncoding(encoding));
}

std::string Buffer::toString(std::string_view encoding, std::size_t start, std::size_t end) const {
  auto enc = detail::parseEncoding(encoding);
  end = std::min(end, len_);
  if (start >= end) return std::string();
  return detail::decode(view().substr(start, end - start), enc);
}

bool Buffer::equals(const Buffer& other) const { return compare(other) == 0; }

int Buffer::compare(const Buffer& other) const {
  std::size_t n = std::min(len_, other.len_);
  int c = n ? std::memcmp(data(), other.data(), n) : 0;
  if (c != 0) return c < 0 ? -1 : 1;
  if (len_ == other.len_) return 0;
  return len_ < other.len_ ? -1 : 1;
}

std::int64_t Buffer::indexOf(std::string_view needle, std::int64_t byteOffset) const {
  const auto len = static_cast<std::int64_t>(len_);
  if (byteOffset < 0) byteOffset = std::max<std::int64_t>(0, byteOffset + len);
  if (needle.empty()) return std::min(byteOffset, len);  // Node's rule for an empty needle
  if (byteOffset > len) return -1;
  auto pos = view().find(needle, static_cast<std::size_t>(byteOffset));
  return pos == std::string_view::npos ? -1 : static_cast<std::int64_t>(pos);
}

std::int64_t Buffer::indexOf(const Buffer& needle, std::int64_t byteOffset) const {
  return indexOf(needle.view(), byteOffset);
}

std::int64_t Buffer::indexOf(std::uint8_t byte, std::int64_t byteOffset) const {
  char c = static_cast<char>(byte);
  return indexOf(std::string_view(&c, 1), byteOffset);
}

std::size_t Buffer::copy(Buffer& target, std::size_t targetStart, std::size_t sourceStart) const {
  return copy(target, targetStart, sourceStart, len_);
}

std::size_t Buffer::copy(Buffer& target, std::size_t targetStart, std::size_t sourceStart,
                         std::size_t sourceEnd) const {
  sourceEnd = std::min(sourceEnd, len_);
  if (targetStart >= target.length() || sourceStart >= sourceEnd) return 0;
  std::size_t n = std::min(sourceEnd - sourceStart, target.length() - targetStart);
  std::memmove(target.data() + targetStart, data() + sourceStart, n);
  return n;
}

std::size_t Buffer::write(std::string_view str, std::size_t offset, std::string_view encoding) {
  if (offset > len_)
    throwOutOfRange("offset", "<= " + std::to_string(len_), static_cast<long long>(offset));
  auto enc = detail::parseEncoding(encoding);
  std::string bytes = detail::encode(str, enc);
  std::size_t n = std::min(bytes.size(), len_ - offset);
  // Node never writes part of a character: cut before one that does not fit whole.
  if (n < bytes.size() && (enc == detail::Encoding::kUtf8 || enc == detail::Encoding::kUtf16Le)) {
    n = detail::completePrefix(std::string_view(bytes).substr(0, n), enc);
  }
  if (n) std::memcpy(data() + offset, bytes.data(), n);
  return n;
}

Buffer& Buffer::fill(std::uint8_t value) {
  if (len_) std::memset(data(), value, len_);
  return *this;
}

void Buffer::checkOffset(std::size_t offset, std::size_t width) const {
  if (len_ < width || offset > len_ - width) {
    throwOutOfRange("offset", ">= 0 and <= " + std::to_string(len_ < width ? 0 : len_ - width),
                    static_cast<long long>(offset));
  }
}

std::uint8_t Buffer::readUInt8(std::size_t o) const {
  checkOffset(o, 1);
  return data()[o];
}
std::uint16_t Buffer::readUInt16BE(std::size_t o) const {
  checkOffset(o, 2);
  return static_cast<std::uint16_t>(data()[o] << 8 | data()[o + 1]);
}
std::uint16_t Buffer::readUInt16LE(std::size_t o) const {
  checkOffset(o, 2);
  return static_cast<std::uint16_t>(data()[o + 1] << 8 | data()[o]);
}
std::uint32_t Buffer::readUInt32BE(std::size_t o) const {
  checkOffset(o, 4);
  const std::uint8_t* p = data() + o;
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
std::uint32_t Buffer::readUInt32LE(std::size_t o) const {
  checkOffset(o, 4);
  const std::uint8_t* p = data() + o;
  return std::uint32_t{p[3]} << 24 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[1]} << 8 | p[0];
}
std::size_t Buffer::writeUInt8(std::uint8_t v, std::size_t o) {
  checkOffset(o, 1);
  data()[o] = v;
  return o + 1;
}
std::size_t Buffer::writeUInt16BE(std::uint16_t v, std::size_t o) {
  checkOffset(o, 2);
  data()[o] = static_cast<std::uint8_t>(v >> 8);
  data()[o + 1] = static_cast<std::uint8_t>(v);
  return o + 2;
}
std::size_t Buffer::writeUInt16LE(std::uint16_t v, std::size_t o) {
  checkOffset(o, 2);
  data()[o] = static_cast<std::uint8_t>(v);
  data()[o + 1] = static_cast<std::uint8_t>(v >> 8);
  return o + 2;
}
std::size_t Buffer::writeUInt32BE(std::uint32_t v, std::size_t o) {
  checkOffset(o, 4);
  for (int i = 0; i < 4; ++i) data()[o + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
  return o + 4;
}
std::size_t Buffer::writeUInt32LE(std::uint32_t v, std::size_t o) {
  checkOffset(o, 4);
  for (int i = 0; i < 4; ++i) data()[o + i] = static_cast<std::uint8_t>(v >> (8 * i));
  return o + 4;
}

}  // namespace evnode
