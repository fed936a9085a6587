// Node's zlib option checks (lib/zlib.js checkRangesOrDefault): same names, ranges and messages.
#include "zlib/options.h"

#include <string>

namespace evnode::zlib::detail {

void checkRange(const char* name, long long v, long long lo, long long hi) {
  if (v < lo || v > hi) {
    throwOutOfRange(name, ">= " + std::to_string(lo) + " and <= " + std::to_string(hi), v);
  }
}

std::uint64_t checkMaxOutput(std::optional<std::uint64_t> v, std::uint64_t dflt) {
  if (!v) return dflt;
  if (*v < 1 || *v > kMaxLength) {
    throwOutOfRange("options.maxOutputLength", ">= 1 and <= " + std::to_string(kMaxLength),
                    static_cast<long long>(*v));
  }
  return *v;
}

namespace {
void checkChunk(std::size_t chunkSize) {
  if (chunkSize < constants::Z_MIN_CHUNK) {
    throwOutOfRange("options.chunkSize", ">= 64", static_cast<long long>(chunkSize));
  }
}
}  // namespace

Settings checkZlib(Mode mode, const Options& o) {
  checkChunk(o.chunkSize);
  checkRange("options.flush", o.flush, 0, 5);
  checkRange("options.finishFlush", o.finishFlush, 0, 5);
  Settings s;
  s.mode = mode;
  const bool inflating = mode == Mode::Inflate || mode == Mode::Gunzip || mode == Mode::Unzip;
  if (inflating && (!o.windowBits || *o.windowBits == 0)) {
    s.windowBits = 0;  // the stream's header says
  } else {
    // `windowBits: 8` is valid for deflate but not gzip (Node's rule).
    s.windowBits = o.windowBits.value_or(constants::Z_DEFAULT_WINDOWBITS);
    checkRange("options.windowBits", s.windowBits, 8 + (mode == Mode::Gzip ? 1 : 0), 15);
  }
  checkRange("options.level", o.level, -1, 9);
  checkRange("options.memLevel", o.memLevel, 1, 9);
  checkRange("options.strategy", o.strategy, 0, 4);
  s.level = o.level;
  s.memLevel = o.memLevel;
  s.strategy = o.strategy;
  s.dictionary = o.dictionary;
  checkMaxOutput(o.maxOutputLength, kMaxLength);
  return s;
}

Settings checkBrotli(Mode mode, const BrotliOptions& o) {
  checkChunk(o.chunkSize);
  checkRange("options.flush", o.flush, 0, 3);
  checkRange("options.finishFlush", o.finishFlush, 0, 3);
  Settings s;
  s.mode = mode;
  s.brotliParams = o.params;
  checkMaxOutput(o.maxOutputLength, kMaxLength);
  return s;
}

}  // namespace evnode::zlib::detail
