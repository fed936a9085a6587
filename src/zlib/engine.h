// Internal: the codecs under the streams and the one-shot calls. An Engine wraps one zlib or
// brotli state and runs it a step at a time over caller-owned input and output memory; runAll()
// drives one to the end of an input for the one-shot calls. Nothing here touches the event loop,
// so the fuzz target links this file alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

#include "evnode/buffer.h"
#include "evnode/error.h"
#include "evnode/zlib.h"

namespace evnode::zlib::detail {

// Validated options, as an Engine takes them.
struct Settings {
  Mode mode = Mode::Gzip;
  int level = -1;
  int windowBits = 15;  // 0: the stream's own (decompressing only)
  int memLevel = 8;
  int strategy = 0;
  Buffer dictionary;
  std::map<int, std::uint32_t> brotliParams;
};

class Engine {
 public:
  virtual ~Engine() = default;
  // Runs the codec over in[0..inLen) into out[0..outLen) with `flush` (zlib's flush values, or
  // brotli's operations), advancing the pointers and lengths past what it consumed and wrote.
  // Once this returns with outLen > 0, the codec can do nothing more with this input and flush
  // (what is left of `in`, if anything, is data after the end of the stream, ignored).
  virtual Error run(const std::uint8_t*& in, std::size_t& inLen, std::uint8_t*& out,
                    std::size_t& outLen, int flush) = 0;
  // Back to the state of a new engine with the same settings.
  virtual void reset() = 0;
  // zlib's deflateParams (compressors only; others ignore it).
  virtual Error params(int /*level*/, int /*strategy*/) { return {}; }
};

// A new engine; throws Exception(ERR_ZLIB_INITIALIZATION_FAILED / ERR_BROTLI_INVALID_PARAM)
// when the library refuses the settings.
std::unique_ptr<Engine> makeEngine(const Settings& s);

// HTTP's "deflate": zlib format by the RFC, raw deflate from some servers; told apart by the
// first two bytes (a zlib header is a multiple of 31 with method 8).
std::unique_ptr<Engine> makeHttpDeflateEngine();

bool isBrotli(Mode m);

// All of `data` through `engine`, ended with `flush` (Z_FINISH / BROTLI_OPERATION_FINISH), into
// `out`. Past `maxOutput` bytes it stops with ERR_BUFFER_TOO_LARGE, having held at most
// maxOutput + chunkSize bytes.
Error runAll(Engine& engine, const std::uint8_t* data, std::size_t size, int flush,
             std::uint64_t maxOutput, std::size_t chunkSize, Buffer& out);

// Node's message for output past maxOutputLength.
Error tooLarge(std::uint64_t maxOutput);

}  // namespace evnode::zlib::detail
