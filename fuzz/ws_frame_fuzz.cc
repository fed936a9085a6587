// libFuzzer target for the WebSocket wire format (src/ws/frame.*, src/ws/deflate.*): a byte
// stream read as frames the way a connection's reader does (headers carried over between reads,
// payloads unmasked in place, text checked as UTF-8 as it comes, compressed messages inflated
// under a size limit), delivered whole, byte by byte and in pieces whose sizes come from the
// data. Checks:
//  - every delivery yields the same messages and control frames, and stops with the same error;
//  - a header parsed from a prefix is the header parsed from the whole;
//  - the incremental UTF-8 validator agrees with the whole-buffer one at every split;
//  - the inflater never produces more than its limit, and writeHeader() round-trips.
// The first input byte chooses the role (server: frames must be masked) and permessage-deflate.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "ws/deflate.h"
#include "ws/frame.h"

namespace ws = evnode::ws::detail;
using evnode::fuzz::check;

namespace {

constexpr std::size_t kLimit = 1 << 16;

struct Reader {
  bool server = false;
  std::unique_ptr<ws::PerMessageDeflate> pmd;
  std::uint8_t partial[14];
  std::size_t partialLen = 0;
  ws::FrameHeader frame;
  bool inPayload = false;
  std::uint64_t remaining = 0;
  std::size_t maskPos = 0;
  std::uint8_t msgOpcode = 0;
  bool compressed = false;
  std::uint64_t rawLen = 0;
  std::vector<std::uint8_t> msg, ctrl;
  ws::Utf8Validator utf8;
  std::vector<std::string> events;
  int error = 0;  // the close code the reader failed with

  void fail(int code) {
    if (!error) error = code;
  }
  void endFrame() {
    if (frame.opcode & 8) {
      events.push_back(std::to_string(frame.opcode) + ":" + std::string(ctrl.begin(), ctrl.end()));
      ctrl.clear();
      return;
    }
    if (!frame.fin) return;
    bool text = msgOpcode == ws::kText;
    if (compressed) {
      auto r = pmd->decompress(nullptr, 0, true, kLimit, msg);
      check(msg.size() <= kLimit + 1);
      if (r == ws::PerMessageDeflate::Inflate::kTooBig) return fail(1009);
      if (r != ws::PerMessageDeflate::Inflate::kOk) return fail(1007);
      if (text && !ws::isValidUtf8(msg.data(), msg.size())) return fail(1007);
    } else if (text && !utf8.complete()) {
      return fail(1007);
    }
    events.push_back(std::to_string(msgOpcode) + ":" + std::string(msg.begin(), msg.end()));
    msg.clear();
    msgOpcode = 0;
  }
  bool start() {
    if (server != frame.masked) {
      fail(1002);
      return false;
    }
    if (frame.opcode & 8) {
      ctrl.clear();
    } else if (frame.opcode == ws::kContinuation) {
      if (!msgOpcode) {
        fail(1002);
        return false;
      }
    } else {
      if (msgOpcode) {
        fail(1002);
        return false;
      }
      msgOpcode = frame.opcode;
      compressed = frame.rsv1;
      rawLen = 0;
      utf8.reset();
    }
    if (!(frame.opcode & 8)) {
      rawLen += frame.length;
      if (rawLen > kLimit) {
        fail(1009);
        return false;
      }
    }
    remaining = frame.length;
    maskPos = 0;
    inPayload = remaining > 0;
    if (!inPayload) endFrame();
    return !error;
  }
  void payload(std::uint8_t* p, std::size_t n) {
    if (frame.masked) maskPos = ws::applyMask(p, n, frame.mask, maskPos);
    remaining -= n;
    if (frame.opcode & 8) {
      ctrl.insert(ctrl.end(), p, p + n);
    } else if (compressed) {
      auto r = pmd->decompress(p, n, false, kLimit, msg);
      check(msg.size() <= kLimit + 1);
      if (r == ws::PerMessageDeflate::Inflate::kTooBig) return fail(1009);
      if (r != ws::PerMessageDeflate::Inflate::kOk) return fail(1007);
    } else {
      msg.insert(msg.end(), p, p + n);
      if (msgOpcode == ws::kText && !utf8.feed(p, n)) return fail(1007);
    }
    if (remaining == 0) {
      inPayload = false;
      endFrame();
    }
  }
  void feed(std::uint8_t* p, std::size_t n) {
    std::size_t off = 0;
    while (off < n && !error) {
      if (!inPayload) {
        ws::HeaderResult r;
        std::size_t used;
        if (partialLen) {
          std::size_t add = std::min(sizeof partial - partialLen, n - off);
          std::memcpy(partial + partialLen, p + off, add);
          r = ws::parseHeader(partial, partialLen + add, pmd != nullptr, frame);
          if (r == ws::HeaderResult::kNeedMore) {
            partialLen += add;
            return;
          }
          used = frame.headerSize - partialLen;
          partialLen = 0;
        } else {
          r = ws::parseHeader(p + off, n - off, pmd != nullptr, frame);
          if (r == ws::HeaderResult::kNeedMore) {
            partialLen = n - off;
            std::memcpy(partial, p + off, partialLen);
            return;
          }
          used = frame.headerSize;
        }
        if (r != ws::HeaderResult::kOk)
          return fail(r == ws::HeaderResult::kBadLength ? 1009 : 1002);
        off += used;
        if (!start()) return;
        continue;
      }
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, n - off));
      payload(p + off, take);
      off += take;
    }
  }
};

Reader readAll(bool server, bool deflate, const std::vector<std::size_t>& cuts,
               const std::string& data) {
  Reader r;
  r.server = server;
  if (deflate) r.pmd = std::make_unique<ws::PerMessageDeflate>(ws::DeflateParams{}, server, 1, 0);
  std::string copy = data;  // unmasked in place, as the library does with its read buffers
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    r.feed(reinterpret_cast<std::uint8_t*>(copy.data()) + at, cut - at);
    at = cut;
  }
  r.feed(reinterpret_cast<std::uint8_t*>(copy.data()) + at, copy.size() - at);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 1 << 16) return 0;
  const bool server = data[0] & 1, deflate = data[0] & 2;
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);

  Reader whole = readAll(server, deflate, {}, bytes);
  std::vector<std::size_t> each;
  for (std::size_t i = 1; i < bytes.size(); ++i) each.push_back(i);
  Reader bytewise = readAll(server, deflate, each, bytes);
  std::vector<std::size_t> pieces;
  unsigned x = data[0];
  for (std::size_t at = 0;;) {
    x = x * 1103515245u + 12345u;
    at += 1 + (x >> 16) % 23;
    if (at >= bytes.size()) break;
    pieces.push_back(at);
  }
  Reader random = readAll(server, deflate, pieces, bytes);
  check(whole.events == bytewise.events && whole.error == bytewise.error);
  check(whole.events == random.events && whole.error == random.error);

  // The incremental validator agrees with the whole-buffer one at every split point.
  const auto* b = reinterpret_cast<const std::uint8_t*>(bytes.data());
  bool valid = ws::isValidUtf8(b, bytes.size());
  for (std::size_t cut = 0; cut <= std::min<std::size_t>(bytes.size(), 64); ++cut) {
    ws::Utf8Validator v;
    bool ok = v.feed(b, cut) && v.feed(b + cut, bytes.size() - cut) && v.complete();
    check(ok == valid);
  }

  // writeHeader() round-trips through parseHeader().
  if (bytes.size() >= 9) {
    std::uint64_t len = 0;
    std::memcpy(&len, b, 8);
    len >>= (b[8] & 63);
    len &= 0x7FFFFFFFFFFFFFFFull;
    std::uint8_t op = (b[8] & 0x40) ? ws::kBinary : ws::kText;
    std::uint8_t mask[4] = {1, 2, 3, 4};
    std::uint8_t hdr[14];
    std::size_t n = ws::writeHeader(hdr, true, false, op, len, (b[8] & 0x80) ? mask : nullptr);
    ws::FrameHeader h;
    check(ws::parseHeader(hdr, n, false, h) == ws::HeaderResult::kOk);
    check(h.length == len && h.headerSize == n && h.opcode == op && h.fin);
  }
  return 0;
}
