// RFC 6455 framing, masking, UTF-8 validation and the mask generator (see frame.h).
#include "ws/frame.h"

#include <sys/random.h>

#include <bit>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace evnode::ws::detail {

HeaderResult parseHeader(const std::uint8_t* p, std::size_t n, bool rsv1Allowed, FrameHeader& out) {
  if (n < 2) return HeaderResult::kNeedMore;
  std::uint8_t b0 = p[0], b1 = p[1];
  out.fin = (b0 & 0x80) != 0;
  out.rsv1 = (b0 & 0x40) != 0;
  out.opcode = b0 & 0x0F;
  out.masked = (b1 & 0x80) != 0;
  if ((b0 & 0x30) != 0) return HeaderResult::kReservedBits;
  bool control = (out.opcode & 0x08) != 0;
  switch (out.opcode) {
    case kContinuation:
    case kText:
    case kBinary:
    case kClose:
    case kPing:
    case kPong:
      break;
    default:
      return HeaderResult::kBadOpcode;
  }
  // RSV1 marks a compressed message: only on its first frame, never on a control frame.
  if (out.rsv1 && (!rsv1Allowed || control || out.opcode == kContinuation)) {
    return HeaderResult::kReservedBits;
  }
  std::uint64_t len = b1 & 0x7F;
  std::size_t need = 2;
  if (control && (!out.fin || len > 125)) return HeaderResult::kControlFragment;
  if (len == 126) {
    need = 4;
    if (n < need) return HeaderResult::kNeedMore;
    len = (std::uint64_t{p[2]} << 8) | p[3];
  } else if (len == 127) {
    need = 10;
    if (n < need) return HeaderResult::kNeedMore;
    len = 0;
    for (int i = 2; i < 10; ++i) len = (len << 8) | p[i];
    if (len >> 63) return HeaderResult::kBadLength;
  }
  if (out.masked) {
    if (n < need + 4) return HeaderResult::kNeedMore;
    std::memcpy(out.mask, p + need, 4);
    need += 4;
  }
  out.length = len;
  out.headerSize = static_cast<std::uint8_t>(need);
  return HeaderResult::kOk;
}

std::size_t writeHeader(std::uint8_t* out, bool fin, bool rsv1, std::uint8_t opcode,
                        std::uint64_t length, const std::uint8_t* mask) {
  out[0] = static_cast<std::uint8_t>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode);
  std::uint8_t m = mask ? 0x80 : 0;
  std::size_t n;
  if (length < 126) {
    out[1] = static_cast<std::uint8_t>(m | length);
    n = 2;
  } else if (length <= 0xFFFF) {
    out[1] = m | 126;
    out[2] = static_cast<std::uint8_t>(length >> 8);
    out[3] = static_cast<std::uint8_t>(length);
    n = 4;
  } else {
    out[1] = m | 127;
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(length >> (56 - 8 * i));
    n = 10;
  }
  if (mask) {
    std::memcpy(out + n, mask, 4);
    n += 4;
  }
  return n;
}

std::size_t applyMaskCopy(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                          const std::uint8_t mask[4], std::size_t offset) {
  // The mask rotated to start at `offset` and repeated over 8 bytes, as a word: byte k of the
  // word in memory order is mask[(offset + k) & 3] (a rotation of the little-endian load; the
  // byte-wise rotation loop it replaces cost as much as masking a small message).
  std::uint32_t m4;
  std::memcpy(&m4, mask, 4);
  const unsigned shift = 8 * static_cast<unsigned>(offset & 3);
  if constexpr (std::endian::native == std::endian::little) {
    m4 = shift ? (m4 >> shift) | (m4 << (32 - shift)) : m4;
  } else {
    m4 = shift ? (m4 << shift) | (m4 >> (32 - shift)) : m4;
  }
  const std::uint64_t m8 = std::uint64_t{m4} | (std::uint64_t{m4} << 32);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, src + i, 8);
    w ^= m8;
    std::memcpy(dst + i, &w, 8);
  }
  if (i + 4 <= n) {
    std::uint32_t w;
    std::memcpy(&w, src + i, 4);
    w ^= m4;  // (i is a multiple of 8: the mask position here is `offset` again)
    std::memcpy(dst + i, &w, 4);
    i += 4;
  }
  std::uint8_t bytes[4];
  std::memcpy(bytes, &m4, 4);
  for (std::size_t k = 0; i < n; ++i, ++k) dst[i] = src[i] ^ bytes[k];
  return (offset + n) & 3;
}

std::size_t applyMask(std::uint8_t* p, std::size_t n, const std::uint8_t mask[4],
                      std::size_t offset) {
  return applyMaskCopy(p, p, n, mask, offset);
}

bool Utf8Validator::feed(const std::uint8_t* p, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    if (need_ == 0) {
      // ASCII runs, 8 bytes at a time.
      while (i + 8 <= n) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull) break;
        i += 8;
      }
      if (i >= n) break;
      std::uint8_t c = p[i++];
      if (c < 0x80) continue;
      if (c < 0xC2) return false;  // a continuation byte, or an overlong 2-byte lead
      if (c < 0xE0) {
        need_ = 1;
      } else if (c < 0xF0) {
        need_ = 2;
        if (c == 0xE0) lo_ = 0xA0;  // overlong
        if (c == 0xED) hi_ = 0x9F;  // surrogates
      } else if (c < 0xF5) {
        need_ = 3;
        if (c == 0xF0) lo_ = 0x90;  // overlong
        if (c == 0xF4) hi_ = 0x8F;  // past U+10FFFF
      } else {
        return false;
      }
    } else {
      std::uint8_t c = p[i++];
      if (c < lo_ || c > hi_) return false;
      lo_ = 0x80;
      hi_ = 0xBF;
      --need_;
    }
  }
  return true;
}

bool isValidUtf8(const std::uint8_t* p, std::size_t n) {
  // Most text messages are ASCII, which is valid UTF-8 as it is: one pass that only ORs the
  // words together (the last one overlapping) decides them, without the validator's states.
  std::uint64_t any = 0;
  if (n >= 8) {
    std::uint64_t w;
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      std::memcpy(&w, p + i, 8);
      any |= w;
    }
    std::memcpy(&w, p + n - 8, 8);
    any |= w;
  } else {
    for (std::size_t i = 0; i < n; ++i) any |= p[i];
  }
  if ((any & 0x8080808080808080ull) == 0) return true;
  Utf8Validator v;
  return v.feed(p, n) && v.complete();
}

void secureRandom(std::uint8_t* out, std::size_t n) {
  while (n > 0) {
    ssize_t r = getrandom(out, n, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      std::abort();  // no entropy at all: nothing sensible to do
    }
    out += r;
    n -= static_cast<std::size_t>(r);
  }
}

namespace {
// xoshiro256**: masks need to be unpredictable to a script in a browser, not secret keys; a
// fresh getrandom seed per thread makes them so at a few cycles each.
struct Xoshiro {
  std::uint64_t s[4];
  Xoshiro() {
    secureRandom(reinterpret_cast<std::uint8_t*>(s), sizeof s);
    if ((s[0] | s[1] | s[2] | s[3]) == 0) s[0] = 1;
  }
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};
}  // namespace

void randomMask(std::uint8_t out[4]) {
  static thread_local Xoshiro rng;
  std::uint32_t v = static_cast<std::uint32_t>(rng.next() >> 32);
  std::memcpy(out, &v, 4);
}

}  // namespace evnode::ws::detail
