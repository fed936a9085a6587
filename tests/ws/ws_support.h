// Helpers of the WebSocket tests: frames built by hand (the bytes a peer would send), a raw
// client that does the handshake itself and feeds bytes in pieces, and a reader of the frames
// that come back.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/net.h"
#include "evnode/ws.h"

namespace evnode::ws::test {

// One frame as bytes. `mask` empty: unmasked.
inline std::string frame(int opcode, const std::string& payload, bool fin = true,
                         std::string mask = "\x37\xfa\x21\x3d", int rsv = 0) {
  std::string out;
  out += static_cast<char>((fin ? 0x80 : 0) | (rsv << 4) | opcode);
  std::uint8_t m = mask.empty() ? 0 : 0x80;
  std::size_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(m | n);
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(m | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(m | 127);
    for (int i = 7; i >= 0; --i)
      out += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
  }
  out += mask;
  for (std::size_t i = 0; i < n; ++i) {
    out += mask.empty() ? payload[i] : static_cast<char>(payload[i] ^ mask[i % 4]);
  }
  return out;
}
// Unmasked (what a server sends).
inline std::string sframe(int opcode, const std::string& payload, bool fin = true, int rsv = 0) {
  return frame(opcode, payload, fin, "", rsv);
}
inline std::string closePayload(int code, const std::string& reason = "") {
  std::string s;
  s += static_cast<char>(code >> 8);
  s += static_cast<char>(code & 0xFF);
  return s + reason;
}

// How bytes are delivered: whole, byte by byte, or in random pieces (a fixed seed).
enum class Split { kWhole, kBytes, kRandom };
inline const char* splitName(Split s) {
  return s == Split::kWhole ? "whole" : s == Split::kBytes ? "bytes" : "random";
}

// Writes `data` to `socket` in pieces, one piece per loop turn (setImmediate), so the reader
// gets them as separate reads; `done` runs after the last.
inline void writeSplit(const std::shared_ptr<net::Socket>& socket, std::string data, Split split,
                       unsigned seed, std::function<void()> done = nullptr) {
  std::vector<std::string> pieces;
  std::mt19937 rng(seed);
  std::size_t i = 0;
  while (i < data.size()) {
    std::size_t n = split == Split::kWhole   ? data.size()
                    : split == Split::kBytes ? 1
                                             : 1 + rng() % 9;
    n = std::min(n, data.size() - i);
    pieces.push_back(data.substr(i, n));
    i += n;
  }
  auto state =
      std::make_shared<std::pair<std::vector<std::string>, std::size_t>>(std::move(pieces), 0);
  auto step = std::make_shared<std::function<void()>>();
  *step = [socket, state, step, done = std::move(done)] {
    if (socket->destroyed()) {
      *step = nullptr;
      return;
    }
    if (state->second >= state->first.size()) {
      if (done) done();
      *step = nullptr;  // breaks the cycle
      return;
    }
    socket->write(state->first[state->second++]);
    setImmediate([step] {
      if (*step) (*step)();
    });
  };
  (*step)();
}

// Parses frames a peer sent (masked or not) into "opcode:payload" strings; control payloads of a
// close as "8:CODE:reason". Stops at an incomplete frame.
inline std::vector<std::string> parseFrames(const std::string& bytes, bool* masked = nullptr) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i + 2 <= bytes.size()) {
    std::uint8_t b0 = bytes[i], b1 = bytes[i + 1];
    std::uint64_t len = b1 & 0x7F;
    std::size_t h = 2;
    if (len == 126) {
      if (i + 4 > bytes.size()) break;
      len = (std::uint8_t(bytes[i + 2]) << 8) | std::uint8_t(bytes[i + 3]);
      h = 4;
    } else if (len == 127) {
      if (i + 10 > bytes.size()) break;
      len = 0;
      for (int k = 0; k < 8; ++k) len = (len << 8) | std::uint8_t(bytes[i + 2 + k]);
      h = 10;
    }
    bool m = b1 & 0x80;
    if (masked) *masked = m;
    std::string key;
    if (m) {
      if (i + h + 4 > bytes.size()) break;
      key = bytes.substr(i + h, 4);
      h += 4;
    }
    if (i + h + len > bytes.size()) break;
    std::string p = bytes.substr(i + h, len);
    if (m) {
      for (std::size_t k = 0; k < p.size(); ++k) p[k] ^= key[k % 4];
    }
    std::string tag = std::to_string(b0 & 0x0F);
    if (!(b0 & 0x80)) tag += "+";  // not fin
    if (b0 & 0x40) tag += "z";     // rsv1
    if ((b0 & 0x0F) == 8 && p.size() >= 2) {
      int code = (std::uint8_t(p[0]) << 8) | std::uint8_t(p[1]);
      out.push_back(tag + ":" + std::to_string(code) + ":" + p.substr(2));
    } else {
      out.push_back(tag + ":" + p);
    }
    i += h + len;
  }
  return out;
}

}  // namespace evnode::ws::test
