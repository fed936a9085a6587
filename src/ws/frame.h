// The RFC 6455 wire format as pure functions over bytes: frame headers in and out, masking,
// incremental UTF-8 validation and close-code rules. No loop, no I/O: fuzz/ws_frame_fuzz.cc runs
// them without the rest of the library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace evnode::ws::detail {

enum Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// The longest frame header: 2 bytes, an 8-byte length and a 4-byte mask.
inline constexpr std::size_t kMaxHeaderSize = 14;

// A parsed frame header.
struct FrameHeader {
  bool fin : 1 = false;
  bool rsv1 : 1 = false;
  bool masked : 1 = false;
  std::uint8_t opcode = 0;
  std::uint8_t headerSize = 0;  // bytes the header took (2 to 14)
  std::uint8_t mask[4] = {0, 0, 0, 0};
  std::uint8_t maskPos = 0;  // the reader's: where its next payload byte falls in `mask`
  std::uint64_t length = 0;
};
// A WebSocket keeps the frame being read (an idle connection's memory).
static_assert(sizeof(FrameHeader) == 16);

// What parseHeader found.
enum class HeaderResult {
  kNeedMore,         // the header is not complete yet
  kOk,               // `out` is filled
  kReservedBits,     // RSV1 without an extension, or RSV2/RSV3: 1002
  kBadOpcode,        // an unknown opcode: 1002
  kControlFragment,  // a control frame without FIN, or longer than 125 bytes: 1002
  kBadLength,        // a length not in its shortest form, or with the top bit set: 1002
};

// Parses the header at `p` (`n` bytes available). `rsv1Allowed`: permessage-deflate is on.
HeaderResult parseHeader(const std::uint8_t* p, std::size_t n, bool rsv1Allowed, FrameHeader& out);

// Writes a frame header into `out` (at least 14 bytes); returns its size. `mask` is null for an
// unmasked (server) frame.
std::size_t writeHeader(std::uint8_t* out, bool fin, bool rsv1, std::uint8_t opcode,
                        std::uint64_t length, const std::uint8_t* mask);

// XORs `n` bytes at `p` with the mask, starting at mask position `offset` (0..3), 8 bytes at a
// time. Returns the mask position after the last byte.
std::size_t applyMask(std::uint8_t* p, std::size_t n, const std::uint8_t mask[4],
                      std::size_t offset = 0);
// The same, from `src` to `dst` (which may be the same).
std::size_t applyMaskCopy(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                          const std::uint8_t mask[4], std::size_t offset = 0);

// Incremental UTF-8 validation (Unicode's well-formed table: no overlongs, no surrogates,
// nothing past U+10FFFF), so a text message split over frames or reads is checked as it comes.
class Utf8Validator {
 public:
  // Feeds bytes; false as soon as they cannot be the start of valid UTF-8.
  bool feed(const std::uint8_t* p, std::size_t n);
  // Whether the bytes so far end on a whole character.
  bool complete() const { return need_ == 0; }
  void reset() {
    need_ = 0;
    lo_ = 0x80;
    hi_ = 0xBF;
  }

 private:
  std::uint8_t need_ = 0;               // continuation bytes still expected
  std::uint8_t lo_ = 0x80, hi_ = 0xBF;  // the range of the next continuation byte
};

// Whether the whole of `p` is valid UTF-8.
bool isValidUtf8(const std::uint8_t* p, std::size_t n);

// Whether a close code may appear in a close frame (RFC 6455 §7.4; 1004-1006 and 1015 may not).
inline bool isValidCloseCode(int code) {
  return (code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006) ||
         (code >= 3000 && code <= 4999);
}

// A fast per-thread generator for masking keys (xoshiro256**), seeded from getrandom(2).
void randomMask(std::uint8_t out[4]);
// `n` bytes from getrandom(2) (the handshake's key).
void secureRandom(std::uint8_t* out, std::size_t n);

}  // namespace evnode::ws::detail
