// The streams: every mode fed in random pieces and byte by byte, errors on `error`, flush() and
// params(), maxOutputLength, backpressure (a reader that does not read stops the codec in the
// middle of a chunk), pipeline through files, and createDecoder.
#include <gtest/gtest.h>

#include "evnode/fs.h"
#include "zlib/zlib_helpers.h"

namespace evnode::zlib::test {
namespace {

using namespace constants;
using evnode::testing::randomBytes;

struct Pair {
  Mode comp, decomp;
};

TEST(ZlibStream, EveryModeInRandomPiecesAndByteByByte) {
  const std::string text = sampleText(64 * 1024, 10);
  const Pair pairs[] = {
      {Mode::Gzip, Mode::Gunzip},           {Mode::Gzip, Mode::Unzip},
      {Mode::Deflate, Mode::Inflate},       {Mode::Deflate, Mode::Unzip},
      {Mode::DeflateRaw, Mode::InflateRaw}, {Mode::BrotliCompress, Mode::BrotliDecompress}};
  for (const auto& p : pairs) {
    SCOPED_TRACE(static_cast<int>(p.comp));
    auto c = drive(make(p.comp), pieces(text, 5000, 1));
    ASSERT_FALSE(c.error) << c.error.message;
    EXPECT_TRUE(c.ended);
    EXPECT_LT(c.out.size(), text.size());
    // The same bytes as the one-shot call, however they were written.
    if (p.comp == Mode::Gzip) {
      EXPECT_EQ(c.out, str(gzipSync(buf(text))));
    }
    if (p.comp == Mode::BrotliCompress) {
      EXPECT_EQ(c.out, str(brotliCompressSync(buf(text))));
    }
    auto one = drive(make(p.decomp), pieces(c.out, 1, 0));
    ASSERT_FALSE(one.error) << one.error.message;
    EXPECT_EQ(one.out, text);
    auto rnd = drive(make(p.decomp), pieces(c.out, 700, 2));
    EXPECT_EQ(rnd.out, text);
    // The compressor fed byte by byte too (small input: a write per byte).
    const std::string small = text.substr(0, 3000);
    auto cb = drive(make(p.comp), pieces(small, 1, 0));
    EXPECT_EQ(drive(make(p.decomp), {buf(cb.out)}).out, small);
  }
}

TEST(ZlibStream, ErrorsComeOnTheErrorEvent) {
  auto r = drive(createGunzip(), {buf("this is not gzip at all")});
  EXPECT_EQ(r.error.code, "Z_DATA_ERROR");
  EXPECT_EQ(r.error.message, "incorrect header check");
  EXPECT_FALSE(r.ended);

  const std::string gz = str(gzipSync(buf(sampleText(50000, 11))));
  r = drive(createGunzip(), pieces(gz.substr(0, gz.size() - 3), 100, 3));
  EXPECT_EQ(r.error.code, "Z_BUF_ERROR");
  EXPECT_EQ(r.error.message, "unexpected end of file");

  const std::string br = str(brotliCompressSync(buf(sampleText(50000, 11))));
  r = drive(createBrotliDecompress(), pieces(br.substr(0, br.size() / 2), 1, 0));
  EXPECT_EQ(r.error.code, "Z_BUF_ERROR");
  std::string corrupt = br;
  corrupt[corrupt.size() / 3] ^= 0x55;
  r = drive(createBrotliDecompress(), {buf(corrupt)});
  EXPECT_EQ(r.error.message, "Decompression failed");
  EXPECT_EQ(r.error.code.rfind("ERR__ERROR_", 0), 0u) << r.error.code;
}

TEST(ZlibStream, MaxOutputLengthFailsTheStream) {
  Options o;
  o.maxOutputLength = 1 << 20;
  auto r = drive(createGunzip(o), {gzipSync(buf(std::string(10 << 20, '\0')))});
  EXPECT_EQ(r.error.code, "ERR_BUFFER_TOO_LARGE");
  EXPECT_LE(r.out.size(), 1u << 20);
}

TEST(ZlibStream, ASlowReaderStopsTheCodecMidChunk) {
  // 10 MiB of zeros is ~10 KiB of gzip: one write. Nobody reads: the gunzip stops once its
  // readable side holds a high-water mark's worth, instead of inflating all 10 MiB.
  const std::size_t total = 10 << 20;
  Buffer gz = gzipSync(buf(std::string(total, '\0')));
  auto s = createGunzip();
  bool written = false;
  s->write(gz, [&](const Error&) { written = true; });
  s->end();
  std::size_t buffered = 0;
  std::uint64_t consumed = 0;
  std::size_t got = 0;
  auto t = setTimeout(
      [&] {
        buffered = s->readableLength();
        consumed = s->bytesWritten();
        // Now read it all.
        s->on(Readable::Events::data, [&](const Buffer& b) {
          got += b.size();
          for (auto c : b) ASSERT_EQ(c, 0);
        });
        s->on(Readable::Events::end, [&, total] { EXPECT_EQ(got, total); });
      },
      50);
  run();
  EXPECT_LE(buffered, s->readableHighWaterMark() + Z_DEFAULT_CHUNK);
  EXPECT_GT(buffered, 0u);
  EXPECT_LT(consumed, gz.size());  // stopped inside the one chunk
  EXPECT_TRUE(written);
  EXPECT_EQ(s->bytesWritten(), gz.size());
}

TEST(ZlibStream, AWriterSeesBackpressureFromASlowReader) {
  // Compressing random bytes (which do not shrink) into a reader that never reads: write()
  // says wait, and the stream holds about two high-water marks, not what was offered.
  auto s = createGzip();
  const std::string noise = randomBytes(1 << 20, 7);
  std::size_t accepted = 0;
  bool wait = false;
  for (std::size_t i = 0; i < noise.size() && !wait; i += 16384) {
    wait = !s->write(Buffer::from(noise.data() + i, 16384));
    accepted += 16384;
  }
  auto t = setTimeout([] {}, 30);
  run();
  EXPECT_TRUE(wait);
  EXPECT_LE(s->readableLength(), s->readableHighWaterMark() + Z_DEFAULT_CHUNK);
  EXPECT_LT(s->bytesWritten(), noise.size());
  s->destroy();
  run();
}

TEST(ZlibStream, FlushGivesTheOutputSoFar) {
  for (Mode m : {Mode::Deflate, Mode::Gzip, Mode::DeflateRaw, Mode::BrotliCompress}) {
    auto s = make(m);
    std::string out;
    s->on(Readable::Events::data, [&](const Buffer& b) { out.append(b.view()); });
    s->write(buf("hello "));
    bool flushed = false;
    std::string partial;
    s->flush([&] {
      flushed = true;
      // What came out so far decompresses to what went in (without the stream's end).
      Options o;
      o.finishFlush = Z_SYNC_FLUSH;
      BrotliOptions b;
      b.finishFlush = BROTLI_OPERATION_FLUSH;
      if (m == Mode::Deflate) partial = str(inflateSync(buf(out), o));
      if (m == Mode::Gzip) partial = str(gunzipSync(buf(out), o));
      if (m == Mode::DeflateRaw) partial = str(inflateRawSync(buf(out), o));
      if (m == Mode::BrotliCompress) partial = str(brotliDecompressSync(buf(out), b));
      s->end(buf("world"));
    });
    run();
    EXPECT_TRUE(flushed);
    EXPECT_EQ(partial, "hello ") << static_cast<int>(m);
    Buffer all = buf(out);
    if (m == Mode::Deflate) {
      EXPECT_EQ(str(inflateSync(all)), "hello world");
    }
    if (m == Mode::Gzip) {
      EXPECT_EQ(str(gunzipSync(all)), "hello world");
    }
    if (m == Mode::BrotliCompress) {
      EXPECT_EQ(str(brotliDecompressSync(all)), "hello world");
    }
  }
}

TEST(ZlibStream, AnEmptyWriteIsNotTakenForAFlush) {
  // The user's empty write is queued before flush()'s own: the flush still comes after "abc".
  auto s = createDeflate();
  std::string out, partial;
  s->on(Readable::Events::data, [&](const Buffer& b) { out.append(b.view()); });
  s->cork();
  s->write(Buffer());
  s->write(buf("abc"));
  s->flush(Z_SYNC_FLUSH, [&] {
    Options o;
    o.finishFlush = Z_SYNC_FLUSH;
    partial = str(inflateSync(buf(out), o));
    s->end();
  });
  s->uncork();
  run();
  EXPECT_EQ(partial, "abc");
  EXPECT_EQ(str(inflateSync(buf(out))), "abc");
}

TEST(ZlibStream, ParamsChangeTheLevelMidStream) {
  const std::string text = sampleText(200 * 1024, 12);
  Options o;
  o.level = 0;
  auto s = createDeflate(o);
  std::string out;
  s->on(Readable::Events::data, [&](const Buffer& b) { out.append(b.view()); });
  s->write(buf(text));
  s->params(9, Z_DEFAULT_STRATEGY, [&] { s->end(buf(text)); });
  run();
  EXPECT_EQ(str(inflateSync(buf(out))), text + text);
  // Stored first half (bigger than the text), compressed second.
  EXPECT_GT(out.size(), text.size());
  EXPECT_LT(out.size(), text.size() * 3 / 2);
  EXPECT_THROW(s->params(10, 0), Exception);
}

TEST(ZlibStream, ResetStartsANewStream) {
  auto s = createGunzip();
  std::string out;
  s->on(Readable::Events::data, [&](const Buffer& b) { out.append(b.view()); });
  Buffer gz = gzipSync(buf("first"));
  s->write(gz.subarray(0, 10), [&](const Error&) {
    s->reset();
    s->end(gzipSync(buf("second")));
  });
  run();
  EXPECT_EQ(out, "second");
}

TEST(ZlibStream, PipelineThroughFilesMatchesGunzip) {
  EVNODE_WATCHDOG(60);
  evnode::testing::TempDir dir;
  const std::string text = sampleText(3 << 20, 13);
  evnode::testing::writeFile(dir.file("in.txt"), text);
  Error result{"pending", ""};
  pipeline({fs::createReadStream(dir.file("in.txt")), createGzip(),
            fs::createWriteStream(dir.file("in.txt.gz"))},
           [&](const Error& err) { result = err; });
  run();
  ASSERT_FALSE(result) << result.message;
  auto r = evnode::testing::runProcess({"gzip", "-dc", dir.file("in.txt.gz")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out == text);
}

TEST(ZlibStream, CreateDecoderForContentEncodings) {
  const std::string text = sampleText(40000, 14);
  EXPECT_EQ(createDecoder("identity"), nullptr);
  EXPECT_EQ(createDecoder(""), nullptr);
  struct Case {
    const char* coding;
    Buffer body;
  } cases[] = {
      {"gzip", gzipSync(buf(text))},
      {"x-gzip", gzipSync(buf(text))},
      {" GZip ", gzipSync(buf(text))},
      {"deflate", deflateSync(buf(text))},     // RFC 9110's deflate: the zlib format
      {"deflate", deflateRawSync(buf(text))},  // what some servers send instead
      {"br", brotliCompressSync(buf(text))},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.coding);
    EXPECT_EQ(drive(createDecoder(c.coding), pieces(str(c.body), 1, 0)).out, text);
    EXPECT_EQ(drive(createDecoder(c.coding), {c.body}).out, text);
  }
  auto r = drive(createDecoder("deflate"), {buf("x")});
  EXPECT_EQ(r.error.code, "Z_BUF_ERROR");
  r = drive(createDecoder("deflate"), {gzipSync(buf(text))});
  EXPECT_TRUE(r.error);
  r = drive(createDecoder("gzip", 1000), {gzipSync(buf(text))});
  EXPECT_EQ(r.error.code, "ERR_BUFFER_TOO_LARGE");
}

TEST(ZlibStream, CloseDestroysAndCallsBack) {
  auto s = createGzip();
  bool closed = false;
  s->write(buf("abc"));
  s->close([&] { closed = true; });
  run();
  EXPECT_TRUE(closed);
  EXPECT_TRUE(s->destroyed());
}

}  // namespace
}  // namespace evnode::zlib::test
