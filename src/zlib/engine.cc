// The zlib and brotli codecs behind evnode::zlib, with Node's error codes and messages
// (node_zlib.cc's behaviour: multi-member gzip, trailing zeros ignored, "unexpected end of
// file" for a stream cut short).
#include "zlib/engine.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace evnode::zlib::detail {

namespace {

const char* zlibCodeName(int ret) {
  switch (ret) {
    case Z_OK:
      return "Z_OK";
    case Z_STREAM_END:
      return "Z_STREAM_END";
    case Z_NEED_DICT:
      return "Z_NEED_DICT";
    case Z_ERRNO:
      return "Z_ERRNO";
    case Z_STREAM_ERROR:
      return "Z_STREAM_ERROR";
    case Z_DATA_ERROR:
      return "Z_DATA_ERROR";
    case Z_MEM_ERROR:
      return "Z_MEM_ERROR";
    case Z_BUF_ERROR:
      return "Z_BUF_ERROR";
    case Z_VERSION_ERROR:
      return "Z_VERSION_ERROR";
    default:
      return "Z_UNKNOWN_ERROR";
  }
}

// Node's name for a brotli decoder error ("_ERROR_FORMAT_CL_SPACE"): the error list's prefix
// and name, as the brotli Node bundles spells them (Debian's BrotliDecoderErrorString gives the
// name alone).
std::string brotliErrorName(BrotliDecoderErrorCode code) {
  switch (code) {
#define EVNODE_BROTLI_CASE(PREFIX, NAME, CODE) \
  case BROTLI_DECODER##PREFIX##NAME:           \
    return #PREFIX #NAME;
#define EVNODE_BROTLI_SEP
    BROTLI_DECODER_ERROR_CODES_LIST(EVNODE_BROTLI_CASE, EVNODE_BROTLI_SEP)
#undef EVNODE_BROTLI_CASE
#undef EVNODE_BROTLI_SEP
  }
  return "_ERROR_UNKNOWN";
}

Error zlibError(int ret, const char* msg) {
  Error e(zlibCodeName(ret), msg && *msg ? msg : "Zlib error");
  e.errnum = ret;
  return e;
}

bool decompresses(Mode m) {
  return m == Mode::Inflate || m == Mode::Gunzip || m == Mode::InflateRaw || m == Mode::Unzip;
}

[[noreturn]] void initFailed() {
  throw Exception("ERR_ZLIB_INITIALIZATION_FAILED", "Initialization failed");
}

class ZlibEngine final : public Engine {
 public:
  explicit ZlibEngine(const Settings& s) : s_(s) {
    std::memset(&strm_, 0, sizeof strm_);
    init();
  }
  ~ZlibEngine() override { end(); }

  Error run(const std::uint8_t*& in, std::size_t& inLen, std::uint8_t*& out, std::size_t& outLen,
            int flush) override {
    if (done_) {
      // After the end of the last member: what follows is ignored, as Node does.
      in += inLen;
      inLen = 0;
      return {};
    }
    if (s_.mode == Mode::Unzip && magic_ < 2) sniff(in, inLen);
    for (;;) {
      int ret = step(in, inLen, out, outLen, flush);
      if (ret == Z_NEED_DICT) {
        if (s_.dictionary.empty()) return zlibError(Z_NEED_DICT, "Missing dictionary");
        if (inflateSetDictionary(&strm_, s_.dictionary.data(),
                                 static_cast<uInt>(s_.dictionary.size())) != Z_OK) {
          return zlibError(Z_DATA_ERROR, "Bad dictionary");
        }
        continue;
      }
      if (ret == Z_BUF_ERROR) {
        // No progress possible: fine, unless the input ended inside the stream.
        if (outLen != 0 && flush == Z_FINISH && decompresses(s_.mode)) {
          return zlibError(Z_BUF_ERROR, "unexpected end of file");
        }
        return {};
      }
      if (ret == Z_STREAM_END && decompresses(s_.mode)) {
        if (gzipMembers()) {
          // Another gzip member may follow, in this input or the next (Node's rule: a non-zero
          // byte starts one, and garbage fails its header check; zeros are padding).
          if (inLen == 0) return {};
          if (*in != 0) {
            inflateReset(&strm_);
            continue;
          }
        }
        done_ = true;
        in += inLen;
        inLen = 0;
        return {};
      }
      if (ret != Z_OK && ret != Z_STREAM_END) return zlibError(ret, strm_.msg);
      return {};
    }
  }

  void reset() override {
    done_ = false;
    magic_ = 0;
    if (decompresses(s_.mode)) {
      inflateReset(&strm_);
      if (s_.mode == Mode::InflateRaw && !s_.dictionary.empty()) setRawDictionary();
    } else {
      deflateReset(&strm_);
    }
  }

  Error params(int level, int strategy) override {
    if (decompresses(s_.mode)) return {};
    int ret = deflateParams(&strm_, level, strategy);
    if (ret != Z_OK && ret != Z_BUF_ERROR) return zlibError(ret, "Failed to set parameters");
    s_.level = level;
    s_.strategy = strategy;
    return {};
  }

 private:
  int windowBits() const {
    int wb = s_.windowBits;
    switch (s_.mode) {
      case Mode::Gzip:
      case Mode::Gunzip:
        return wb + 16;
      case Mode::Unzip:
        return wb + 32;
      case Mode::DeflateRaw:
        return -std::max(wb, 9);  // zlib refuses a raw window of 8
      case Mode::InflateRaw:
        return -wb;
      default:
        return wb;
    }
  }

  void init() {
    int ret;
    if (decompresses(s_.mode)) {
      ret = inflateInit2(&strm_, windowBits());
      if (ret != Z_OK) initFailed();
      inflating_ = true;
      if (s_.mode == Mode::InflateRaw && !s_.dictionary.empty()) setRawDictionary();
    } else {
      ret = deflateInit2(&strm_, s_.level, Z_DEFLATED, windowBits(), s_.memLevel, s_.strategy);
      if (ret != Z_OK) initFailed();
      deflating_ = true;
      if (!s_.dictionary.empty() && s_.mode != Mode::Gzip &&
          deflateSetDictionary(&strm_, s_.dictionary.data(),
                               static_cast<uInt>(s_.dictionary.size())) != Z_OK) {
        end();
        initFailed();
      }
    }
  }

  void setRawDictionary() {
    inflateSetDictionary(&strm_, s_.dictionary.data(), static_cast<uInt>(s_.dictionary.size()));
  }

  void end() {
    if (inflating_) inflateEnd(&strm_);
    if (deflating_) deflateEnd(&strm_);
    inflating_ = deflating_ = false;
  }

  // Unzip: whether the input is gzip, from its first two bytes (which may come one at a time).
  void sniff(const std::uint8_t* in, std::size_t inLen) {
    for (std::size_t i = 0; i < inLen && magic_ < 2; ++i) {
      if (magic_ == 0) {
        magic_ = in[i] == 0x1f ? 1 : 3;
      } else {
        magic_ = in[i] == 0x8b ? 2 : 3;
      }
      if (magic_ == 3) break;
    }
  }
  bool gzipMembers() const {
    return s_.mode == Mode::Gunzip || (s_.mode == Mode::Unzip && magic_ == 2);
  }

  int step(const std::uint8_t*& in, std::size_t& inLen, std::uint8_t*& out, std::size_t& outLen,
           int flush) {
    // zlib counts in uInt: feed at most 1 GiB a call (the caller loops).
    constexpr std::size_t kMax = std::size_t{1} << 30;
    uInt ai = static_cast<uInt>(std::min(inLen, kMax));
    uInt ao = static_cast<uInt>(std::min(outLen, kMax));
    strm_.next_in = const_cast<Bytef*>(in);
    strm_.avail_in = ai;
    strm_.next_out = out;
    strm_.avail_out = ao;
    int ret = inflating_ ? ::inflate(&strm_, flush) : ::deflate(&strm_, flush);
    std::size_t usedIn = ai - strm_.avail_in, usedOut = ao - strm_.avail_out;
    in += usedIn;
    inLen -= usedIn;
    out += usedOut;
    outLen -= usedOut;
    return ret;
  }

  Settings s_;
  z_stream strm_;
  bool inflating_ = false, deflating_ = false, done_ = false;
  int magic_ = 0;  // Unzip: 0 nothing seen, 1 saw 0x1f, 2 gzip, 3 zlib
};

class BrotliEncoder final : public Engine {
 public:
  explicit BrotliEncoder(const Settings& s) : s_(s) { init(); }
  ~BrotliEncoder() override { BrotliEncoderDestroyInstance(st_); }

  Error run(const std::uint8_t*& in, std::size_t& inLen, std::uint8_t*& out, std::size_t& outLen,
            int flush) override {
    auto op = static_cast<BrotliEncoderOperation>(flush);
    do {
      if (!BrotliEncoderCompressStream(st_, op, &inLen, &in, &outLen, &out, nullptr)) {
        Error e("ERR_BROTLI_COMPRESSION_FAILED", "Compression failed");
        e.errnum = -1;
        return e;
      }
    } while (outLen > 0 && (inLen > 0 || BrotliEncoderHasMoreOutput(st_) ||
                            (op == BROTLI_OPERATION_FINISH && !BrotliEncoderIsFinished(st_))));
    return {};
  }

  void reset() override {
    BrotliEncoderDestroyInstance(st_);
    init();
  }

 private:
  void init() {
    st_ = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
    if (!st_) initFailed();
    for (auto [k, v] : s_.brotliParams) {
      if (!BrotliEncoderSetParameter(st_, static_cast<BrotliEncoderParameter>(k), v)) {
        BrotliEncoderDestroyInstance(st_);
        throw Exception("ERR_BROTLI_INVALID_PARAM",
                        std::to_string(k) + " is not a valid Brotli parameter");
      }
    }
  }

  Settings s_;
  BrotliEncoderState* st_ = nullptr;
};

class BrotliDecoder final : public Engine {
 public:
  explicit BrotliDecoder(const Settings& s) : s_(s) { init(); }
  ~BrotliDecoder() override { BrotliDecoderDestroyInstance(st_); }

  Error run(const std::uint8_t*& in, std::size_t& inLen, std::uint8_t*& out, std::size_t& outLen,
            int flush) override {
    BrotliDecoderResult r = BrotliDecoderDecompressStream(st_, &inLen, &in, &outLen, &out, nullptr);
    if (r == BROTLI_DECODER_RESULT_ERROR) {
      BrotliDecoderErrorCode code = BrotliDecoderGetErrorCode(st_);
      Error e("ERR_" + brotliErrorName(code), "Decompression failed");
      e.errnum = static_cast<int>(code);
      return e;
    }
    if (r == BROTLI_DECODER_RESULT_SUCCESS) {
      in += inLen;  // after the end: ignored
      inLen = 0;
    }
    if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT && flush == BROTLI_OPERATION_FINISH) {
      Error e("Z_BUF_ERROR", "unexpected end of file");
      e.errnum = Z_BUF_ERROR;
      return e;
    }
    return {};
  }

  void reset() override {
    BrotliDecoderDestroyInstance(st_);
    init();
  }

 private:
  void init() {
    st_ = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
    if (!st_) initFailed();
    for (auto [k, v] : s_.brotliParams) {
      if (!BrotliDecoderSetParameter(st_, static_cast<BrotliDecoderParameter>(k), v)) {
        BrotliDecoderDestroyInstance(st_);
        throw Exception("ERR_BROTLI_INVALID_PARAM",
                        std::to_string(k) + " is not a valid Brotli parameter");
      }
    }
  }

  Settings s_;
  BrotliDecoderState* st_ = nullptr;
};

class HttpDeflate final : public Engine {
 public:
  Error run(const std::uint8_t*& in, std::size_t& inLen, std::uint8_t*& out, std::size_t& outLen,
            int flush) override {
    while (!inner_ && inLen > 0 && stashLen_ < 2) {
      stash_[stashLen_++] = *in++;
      --inLen;
    }
    if (!inner_) {
      if (stashLen_ < 2) {
        if (flush != Z_FINISH) return {};
        return zlibError(Z_BUF_ERROR, "unexpected end of file");
      }
      const unsigned cmf = stash_[0], flg = stash_[1];
      const bool zlibHeader = (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && (cmf * 256 + flg) % 31 == 0;
      Settings s;
      s.mode = zlibHeader ? Mode::Inflate : Mode::InflateRaw;
      s.windowBits = zlibHeader ? 0 : 15;
      inner_ = makeEngine(s);
    }
    if (stashPos_ < stashLen_) {
      // The two bytes looked at go in first; the finish flush only if nothing follows them.
      const std::uint8_t* p = stash_ + stashPos_;
      std::size_t n = stashLen_ - stashPos_;
      Error err = inner_->run(p, n, out, outLen, inLen > 0 ? Z_NO_FLUSH : flush);
      stashPos_ = stashLen_ - n;
      if (err || inLen == 0) return err;
      if (n > 0) {
        if (outLen == 0) return {};  // called again with room
        in += inLen;                 // the stream ended inside the stash: the rest is ignored
        inLen = 0;
        return {};
      }
    }
    return inner_->run(in, inLen, out, outLen, flush);
  }
  void reset() override {
    inner_.reset();
    stashLen_ = stashPos_ = 0;
  }

 private:
  std::unique_ptr<Engine> inner_;
  std::uint8_t stash_[2] = {0, 0};
  std::size_t stashLen_ = 0, stashPos_ = 0;
};

}  // namespace

std::unique_ptr<Engine> makeHttpDeflateEngine() { return std::make_unique<HttpDeflate>(); }

bool isBrotli(Mode m) { return m == Mode::BrotliCompress || m == Mode::BrotliDecompress; }

std::unique_ptr<Engine> makeEngine(const Settings& s) {
  if (s.mode == Mode::BrotliCompress) return std::make_unique<BrotliEncoder>(s);
  if (s.mode == Mode::BrotliDecompress) return std::make_unique<BrotliDecoder>(s);
  return std::make_unique<ZlibEngine>(s);
}

Error tooLarge(std::uint64_t maxOutput) {
  return Error("ERR_BUFFER_TOO_LARGE",
               "Cannot create a Buffer larger than " + std::to_string(maxOutput) + " bytes");
}

Error runAll(Engine& engine, const std::uint8_t* data, std::size_t size, int flush,
             std::uint64_t maxOutput, std::size_t chunkSize, Buffer& out) {
  // One buffer, grown by doubling (never past maxOutput + 1, so a bomb is caught having held
  // little more than the limit), then trimmed.
  std::size_t cap = std::max<std::size_t>(chunkSize, std::min<std::size_t>(size * 2 + 64, 1 << 20));
  if (cap > maxOutput + 1) cap = static_cast<std::size_t>(maxOutput + 1);
  Buffer buf = Buffer::allocUnsafe(cap);
  std::size_t used = 0;
  for (;;) {
    if (used == cap) {
      std::size_t next = cap * 2;
      if (next > maxOutput + 1) next = static_cast<std::size_t>(maxOutput + 1);
      Buffer bigger = Buffer::allocUnsafe(next);
      std::memcpy(bigger.data(), buf.data(), used);
      buf = std::move(bigger);
      cap = next;
    }
    std::uint8_t* o = buf.data() + used;
    std::size_t oLen = cap - used;
    Error err = engine.run(data, size, o, oLen, flush);
    used = cap - oLen;
    if (err) return err;
    if (used > maxOutput) return tooLarge(maxOutput);
    if (oLen > 0) break;  // the codec had room to spare: done
  }
  if (used + used / 4 < cap) {
    out = Buffer::from(buf.data(), used);
  } else {
    out = buf.subarray(0, static_cast<std::int64_t>(used));
  }
  return {};
}

}  // namespace evnode::zlib::detail
