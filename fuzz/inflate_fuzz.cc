// libFuzzer target for the decompressors behind evnode::zlib (src/zlib/engine.cc): gunzip,
// inflate, raw inflate, unzip, HTTP's deflate (zlib or raw, told apart by its first bytes) and
// brotli, each with a maxOutputLength taken from the data. Checks:
//  - the output never exceeds maxOutputLength (past it the run fails with
//    ERR_BUFFER_TOO_LARGE instead), and no run crashes, hangs or leaks;
//  - the data delivered whole and in pieces (sizes from the data, and byte by byte for short
//    inputs) gives the same bytes, or fails in both (zlib: with the same code, unless one of
//    them passes the limit first);
//  - what decodes, compressed again with the matching compressor, decodes to itself.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "zlib/engine.h"

// INFLATE_FUZZ_VERBOSE=1 prints each run's outcome (for a crash input).

namespace z = evnode::zlib;
namespace zd = evnode::zlib::detail;
using evnode::fuzz::check;

namespace {

constexpr int kFinish = 4, kNoFlush = 0;      // Z_FINISH, Z_NO_FLUSH
constexpr int kBrFinish = 2, kBrProcess = 0;  // BROTLI_OPERATION_*
const z::Mode kModes[] = {z::Mode::Gunzip, z::Mode::Inflate,          z::Mode::InflateRaw,
                          z::Mode::Unzip,  z::Mode::BrotliDecompress, z::Mode::Inflate};

std::unique_ptr<zd::Engine> make(int which) {
  if (which == 5) return zd::makeHttpDeflateEngine();
  zd::Settings s;
  s.mode = kModes[which];
  s.windowBits = s.mode == z::Mode::InflateRaw ? 15 : 0;
  return zd::makeEngine(s);
}

struct Outcome {
  std::string out;
  std::string code;  // "" when it decoded
};

// Feeds `data` in pieces ending at `cuts` (then a last call with the finish flush), as a stream
// does, stopping past maxOut as the streams do.
Outcome pieces(int which, const std::uint8_t* data, std::size_t size,
               const std::vector<std::size_t>& cuts, std::uint64_t maxOut) {
  auto e = make(which);
  const bool br = which == 4;
  Outcome r;
  std::size_t from = 0;
  std::vector<std::uint8_t> buf(997);  // odd-sized output room, so outputs split oddly too
  auto feed = [&](const std::uint8_t* in, std::size_t len, int flush) -> bool {
    for (;;) {
      // Never room past maxOut + 1 in all, as runAll: which comes first, the limit or an
      // error further on, must not depend on the room given.
      std::uint8_t* o = buf.data();
      std::size_t oLen = std::min<std::uint64_t>(buf.size(), maxOut + 1 - r.out.size());
      const std::size_t room = oLen;
      const std::uint8_t* before = in;
      evnode::Error err = e->run(in, len, o, oLen, flush);
      check(in >= before);
      r.out.append(reinterpret_cast<char*>(buf.data()), room - oLen);
      if (err) {
        r.code = err.code;
        return false;
      }
      if (r.out.size() > maxOut) {
        r.code = "ERR_BUFFER_TOO_LARGE";
        return false;
      }
      if (oLen > 0) return true;
    }
  };
  for (std::size_t cut : cuts) {
    if (!feed(data + from, cut - from, br ? kBrProcess : kNoFlush)) return r;
    from = cut;
  }
  feed(data + from, size - from, br ? kBrFinish : kFinish);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int which = data[0] % 6;
  const std::uint64_t maxOut = std::uint64_t{1} << (4 + data[1] % 20);  // 16 B .. 8 MiB
  data += 2;
  size -= 2;
  const bool br = which == 4;

  // Whole, as the one-shot calls run it.
  auto e = make(which);
  evnode::Buffer whole;
  evnode::Error err = zd::runAll(*e, data, size, br ? kBrFinish : kFinish, maxOut, 64, whole);
  check(whole.size() <= maxOut);
  if (err) check(err.code == "ERR_BUFFER_TOO_LARGE" || !err.message.empty());

  // In pieces: cut points taken from the data, then byte by byte when short.
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0, step = 1; i < size; i += step) {
    step = 1 + data[i] % 61;
    if (i + step < size) cuts.push_back(i + step);
  }
  std::vector<Outcome> runs{pieces(which, data, size, cuts, maxOut)};
  if (size <= 512) {
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < size; ++i) every.push_back(i);
    runs.push_back(pieces(which, data, size, every, maxOut));
  }
  for (const auto& r : runs) {
    if (std::getenv("INFLATE_FUZZ_VERBOSE")) {
      std::fprintf(stderr, "mode %d max %llu: whole %s (%zu bytes), pieces %s (%zu bytes)\n", which,
                   static_cast<unsigned long long>(maxOut), err.code.c_str(), whole.size(),
                   r.code.c_str(), r.out.size());
    }
    // Both fail or both decode. zlib's codes agree, except that a decoder fed in pieces may
    // hand out output sooner, so one run may pass the limit before the other reaches a corrupt
    // byte further on. Brotli's decoder names a corrupt stream differently depending on how
    // much input it had at hand (its fast and safe paths check different things first).
    check(r.code.empty() == err.code.empty());
    if (!br && r.code != "ERR_BUFFER_TOO_LARGE" && err.code != "ERR_BUFFER_TOO_LARGE") {
      check(r.code == err.code);
    }
    if (!err) check(r.out == std::string(whole.view()));
  }

  // What decoded compresses and decodes back to itself.
  if (!err && which != 5) {
    zd::Settings s;
    const z::Mode back[] = {z::Mode::Gzip, z::Mode::Deflate, z::Mode::DeflateRaw, z::Mode::Gzip,
                            z::Mode::BrotliCompress};
    s.mode = back[which];
    s.level = data[0] % 10;
    if (br) s.brotliParams[1] = data[0] % 12;  // BROTLI_PARAM_QUALITY
    auto c = zd::makeEngine(s);
    evnode::Buffer packed, again;
    check(!zd::runAll(*c, whole.data(), whole.size(), br ? kBrFinish : kFinish, UINT32_MAX, 64,
                      packed));
    auto d = make(which);
    check(!zd::runAll(*d, packed.data(), packed.size(), br ? kBrFinish : kFinish, UINT32_MAX, 64,
                      again));
    check(again.view() == whole.view());
  }
  return 0;
}
