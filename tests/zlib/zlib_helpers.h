// Helpers shared by the zlib tests: test data, and a stream driven to its end on the loop.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/zlib.h"
#include "support/testing.h"

namespace evnode::zlib::test {

// Text that compresses like real text: words from a small vocabulary, with random bytes mixed in
// (so no level or strategy gets a degenerate input).
inline std::string sampleText(std::size_t n, std::uint64_t seed) {
  static const char* words[] = {
      "the ",    "stream ",           "zlib ",           "node ",  "buffer ", "deflate\n",
      "window ", "<div class=\"x\">", "{\"key\": 42}, ", "evnode "};
  std::mt19937_64 rng(seed);
  std::string s;
  while (s.size() < n) {
    if (rng() % 16 == 0) {
      s += static_cast<char>(rng() & 0xff);
    } else {
      s += words[rng() % 10];
    }
  }
  s.resize(n);
  return s;
}

inline Buffer buf(const std::string& s) { return Buffer::from(s.data(), s.size()); }
inline std::string str(const Buffer& b) { return std::string(b.view()); }

struct StreamResult {
  std::string out;
  Error error;
  bool ended = false;
};

// Writes `pieces` into `s` (then end()), collects its output until `end` or `error`, running
// the loop until it is done.
inline StreamResult drive(const std::shared_ptr<ZlibBase>& s, const std::vector<Buffer>& pieces) {
  StreamResult r;
  s->on(Readable::Events::data, [&](const Buffer& b) { r.out.append(b.view()); });
  s->on(Readable::Events::end, [&] { r.ended = true; });
  s->on(Stream::Events::error, [&](const Error& e) { r.error = e; });
  for (const auto& p : pieces) s->write(p);
  s->end();
  run();
  return r;
}

// `data` cut at random points (seeded); `maxPiece` 1 gives byte by byte.
inline std::vector<Buffer> pieces(const std::string& data, std::size_t maxPiece,
                                  std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Buffer> v;
  for (std::size_t i = 0; i < data.size();) {
    std::size_t n = maxPiece == 1 ? 1 : 1 + rng() % maxPiece;
    n = std::min(n, data.size() - i);
    v.push_back(Buffer::from(data.data() + i, n));
    i += n;
  }
  return v;
}

inline std::shared_ptr<ZlibBase> make(Mode m) {
  switch (m) {
    case Mode::Gzip:
      return createGzip();
    case Mode::Gunzip:
      return createGunzip();
    case Mode::Deflate:
      return createDeflate();
    case Mode::Inflate:
      return createInflate();
    case Mode::DeflateRaw:
      return createDeflateRaw();
    case Mode::InflateRaw:
      return createInflateRaw();
    case Mode::Unzip:
      return createUnzip();
    case Mode::BrotliCompress:
      return createBrotliCompress();
    case Mode::BrotliDecompress:
      return createBrotliDecompress();
  }
  return nullptr;
}

}  // namespace evnode::zlib::test
