// The one-shot calls: round trips at every level and strategy, Node's errors and option checks,
// maxOutputLength against a decompression bomb, gzip members, dictionaries, crc32, and the
// thread-pool and awaitable forms.
#include <gtest/gtest.h>

#include <thread>

#include "evnode/task.h"
#include "zlib/zlib_helpers.h"

namespace evnode::zlib::test {
namespace {

using namespace constants;

template <class F>
Exception thrown(F f) {
  try {
    f();
  } catch (const Exception& e) {
    return e;
  }
  ADD_FAILURE() << "nothing thrown";
  return Exception("", "");
}

TEST(ZlibCodec, RoundTripAtEveryLevelAndStrategy) {
  const std::string text = sampleText(200 * 1024, 1);
  for (int level = -1; level <= 9; ++level) {
    for (int strategy = 0; strategy <= 4; ++strategy) {
      Options o;
      o.level = level;
      o.strategy = strategy;
      SCOPED_TRACE("level " + std::to_string(level) + " strategy " + std::to_string(strategy));
      Buffer gz = gzipSync(buf(text), o);
      EXPECT_EQ(gz[0], 0x1f);
      EXPECT_EQ(gz[1], 0x8b);
      EXPECT_EQ(str(gunzipSync(gz)), text);
      EXPECT_EQ(str(unzipSync(gz)), text);
      Buffer z = deflateSync(buf(text), o);
      EXPECT_EQ(str(inflateSync(z)), text);
      EXPECT_EQ(str(unzipSync(z)), text);
      EXPECT_EQ(str(inflateRawSync(deflateRawSync(buf(text), o))), text);
      if (level == 0) {
        EXPECT_GT(gz.size(), text.size());
      }
      if (level == 9 && strategy == 0) {
        EXPECT_LT(gz.size(), text.size() / 2);
      }
    }
  }
}

TEST(ZlibCodec, WindowBitsAndMemLevelsRoundTrip) {
  const std::string text = sampleText(100 * 1024, 2);
  for (int wb = 9; wb <= 15; ++wb) {
    for (int mem : {1, 5, 9}) {
      Options o;
      o.windowBits = wb;
      o.memLevel = mem;
      Options d;
      d.windowBits = wb;
      EXPECT_EQ(str(gunzipSync(gzipSync(buf(text), o), d)), text) << wb << " " << mem;
      EXPECT_EQ(str(inflateRawSync(deflateRawSync(buf(text), o), d)), text);
    }
  }
  // A window of 8 is valid for deflate (zlib makes it 9 for raw deflate).
  Options o;
  o.windowBits = 8;
  EXPECT_EQ(str(inflateSync(deflateSync(buf(text), o))), text);
}

TEST(ZlibCodec, BrotliRoundTripAtEveryQualityAndMode) {
  const std::string text = sampleText(150 * 1024, 3);
  for (std::uint32_t q = 0; q <= 11; ++q) {
    for (std::uint32_t mode : {0u, 1u, 2u}) {
      BrotliOptions o;
      o.params[BROTLI_PARAM_QUALITY] = q;
      o.params[BROTLI_PARAM_MODE] = mode;
      o.params[BROTLI_PARAM_SIZE_HINT] = static_cast<std::uint32_t>(text.size());
      Buffer br = brotliCompressSync(buf(text), o);
      EXPECT_LT(br.size(), text.size());
      EXPECT_EQ(str(brotliDecompressSync(br)), text) << q << " " << mode;
    }
  }
  EXPECT_EQ(str(brotliDecompressSync(brotliCompressSync(Buffer()))), "");
}

TEST(ZlibCodec, EmptyInputGivesNodesBytes) {
  // Node 20: zlib.gzipSync('').toString('hex') and zlib.deflateRawSync('').
  EXPECT_EQ(gzipSync(Buffer()).toString("hex"), "1f8b080000000000000303000000000000000000");
  EXPECT_EQ(deflateRawSync(Buffer()).toString("hex"), "0300");
  EXPECT_EQ(str(gunzipSync(gzipSync(Buffer()))), "");
}

TEST(ZlibCodec, CorruptAndTruncatedInputGiveNodesErrors) {
  auto err = [](auto f) -> Error {
    try {
      f();
    } catch (const SystemError& e) {
      return e.error();
    }
    ADD_FAILURE() << "no error";
    return {};
  };
  Error e = err([] { gunzipSync(buf("hello world")); });
  EXPECT_EQ(e.code, "Z_DATA_ERROR");
  EXPECT_EQ(e.message, "incorrect header check");
  EXPECT_EQ(e.errnum, -3);

  Buffer gz = gzipSync(buf("hello world"));
  for (std::size_t cut = 0; cut < gz.size(); ++cut) {
    e = err([&] { gunzipSync(gz.subarray(0, static_cast<std::int64_t>(cut))); });
    EXPECT_EQ(e.code, "Z_BUF_ERROR") << cut;
    EXPECT_EQ(e.message, "unexpected end of file");
    EXPECT_EQ(e.errnum, -5);
  }
  e = err([] { inflateSync(deflateSync(buf("hello world")).subarray(0, 5)); });
  EXPECT_EQ(e.code, "Z_BUF_ERROR");

  // A corrupt CRC in the gzip trailer.
  Buffer bad = Buffer::from(gz.data(), gz.size());
  bad[gz.size() - 6] ^= 0xff;
  e = err([&] { gunzipSync(bad); });
  EXPECT_EQ(e.code, "Z_DATA_ERROR");
  EXPECT_EQ(e.message, "incorrect data check");

  e = err([] { brotliDecompressSync(buf("hello world garbage")); });
  EXPECT_EQ(e.code, "ERR__ERROR_FORMAT_CL_SPACE");  // Node 20's code for these bytes
  EXPECT_EQ(e.message, "Decompression failed");
  EXPECT_EQ(e.errnum, -6);
  Buffer br = brotliCompressSync(buf("hello world hello"));
  e = err([&] { brotliDecompressSync(br.subarray(0, 5)); });
  EXPECT_EQ(e.code, "Z_BUF_ERROR");
  EXPECT_EQ(e.message, "unexpected end of file");
  e = err([] { brotliDecompressSync(Buffer()); });
  EXPECT_EQ(e.code, "Z_BUF_ERROR");
}

TEST(ZlibCodec, InvalidOptionsThrowNodesMessages) {
  Options o;
  o.level = 12;
  Exception e = thrown([&] { createGzip(o); });
  EXPECT_EQ(e.code(), "ERR_OUT_OF_RANGE");
  EXPECT_STREQ(e.what(),
               "The value of \"options.level\" is out of range. It must be >= -1 and <= 9. "
               "Received 12");
  o = {};
  o.windowBits = 8;
  EXPECT_STREQ(thrown([&] { gzipSync(Buffer(), o); }).what(),
               "The value of \"options.windowBits\" is out of range. It must be >= 9 and <= 15. "
               "Received 8");
  o = {};
  o.chunkSize = 10;
  EXPECT_STREQ(thrown([&] { createInflate(o); }).what(),
               "The value of \"options.chunkSize\" is out of range. It must be >= 64. "
               "Received 10");
  o = {};
  o.memLevel = 10;
  EXPECT_EQ(thrown([&] { createDeflate(o); }).code(), "ERR_OUT_OF_RANGE");
  o = {};
  o.strategy = 5;
  EXPECT_EQ(thrown([&] { createDeflate(o); }).code(), "ERR_OUT_OF_RANGE");
  o = {};
  o.flush = 6;
  EXPECT_EQ(thrown([&] { createDeflate(o); }).code(), "ERR_OUT_OF_RANGE");
  o = {};
  o.maxOutputLength = 0;
  EXPECT_STREQ(thrown([&] { gunzip(Buffer(), o, nullptr); }).what(),
               "The value of \"options.maxOutputLength\" is out of range. It must be >= 1 and "
               "<= 4294967296. Received 0");
  BrotliOptions b;
  b.params[1000] = 1;
  e = thrown([&] { createBrotliCompress(b); });
  EXPECT_EQ(e.code(), "ERR_BROTLI_INVALID_PARAM");
  EXPECT_STREQ(e.what(), "1000 is not a valid Brotli parameter");
  b = {};
  b.flush = 4;
  EXPECT_EQ(thrown([&] { createBrotliDecompress(b); }).code(), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrown([] { createDecoder("compress"); }).code(), "ERR_INVALID_ARG_VALUE");
}

TEST(ZlibCodec, MaxOutputLengthStopsABombWithBoundedMemory) {
  const std::string zeros(10 << 20, '\0');
  Buffer gz = gzipSync(buf(zeros));
  EXPECT_LT(gz.size(), 20 * 1024u);
  Options o;
  o.maxOutputLength = 1 << 20;
  try {
    gunzipSync(gz, o);
    FAIL() << "no error";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.code(), "ERR_BUFFER_TOO_LARGE");
    EXPECT_STREQ(e.what(), "Cannot create a Buffer larger than 1048576 bytes");
  }
  BrotliOptions b;
  b.maxOutputLength = 1000;
  try {
    brotliDecompressSync(brotliCompressSync(buf(zeros)), b);
    FAIL() << "no error";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.code(), "ERR_BUFFER_TOO_LARGE");
  }
  // Exactly at the limit is fine.
  o.maxOutputLength = zeros.size();
  EXPECT_EQ(gunzipSync(gz, o).size(), zeros.size());
}

TEST(ZlibCodec, GzipMembersAndTrailingBytesAsNode) {
  Buffer two = Buffer::concat({gzipSync(buf("a")), gzipSync(buf("b"))});
  EXPECT_EQ(str(gunzipSync(two)), "ab");
  EXPECT_EQ(str(unzipSync(two)), "ab");
  // Zero padding after the last member is ignored, and what follows it.
  EXPECT_EQ(str(gunzipSync(Buffer::concat({gzipSync(buf("a")), Buffer::from({0, 0, 1})}))), "a");
  // Garbage after a member is taken as a member and fails its header check.
  try {
    gunzipSync(Buffer::concat({gzipSync(buf("a")), buf("xyz")}));
    FAIL();
  } catch (const SystemError& e) {
    EXPECT_EQ(e.code(), "Z_DATA_ERROR");
  }
  // zlib format: bytes after the end are ignored.
  EXPECT_EQ(str(inflateSync(Buffer::concat({deflateSync(buf("a")), buf("xyz")}))), "a");
}

TEST(ZlibCodec, Dictionaries) {
  Options o;
  o.dictionary = buf("hello world the quick brown fox");
  const std::string text = "the quick brown fox says hello world to the quick brown fox";
  Buffer z = deflateSync(buf(text), o);
  EXPECT_LT(z.size(), deflateSync(buf(text)).size());
  EXPECT_EQ(str(inflateSync(z, o)), text);
  try {
    inflateSync(z);
    FAIL();
  } catch (const SystemError& e) {
    EXPECT_EQ(e.code(), "Z_NEED_DICT");
    EXPECT_STREQ(e.what(), "Missing dictionary");
  }
  Options wrong;
  wrong.dictionary = buf("something else");
  try {
    inflateSync(z, wrong);
    FAIL();
  } catch (const SystemError& e) {
    EXPECT_EQ(e.code(), "Z_DATA_ERROR");
    EXPECT_STREQ(e.what(), "Bad dictionary");
  }
  EXPECT_EQ(str(inflateRawSync(deflateRawSync(buf(text), o), o)), text);
}

TEST(ZlibCodec, Crc32AsNode) {
  // node -e 'console.log(zlib.crc32("hello"), zlib.crc32("world", zlib.crc32("hello ")))'
  EXPECT_EQ(crc32("hello"), 907060870u);
  EXPECT_EQ(crc32("world", crc32("hello ")), 222957957u);
  EXPECT_EQ(crc32(buf("hello world")), 222957957u);
  EXPECT_EQ(crc32(""), 0u);
}

TEST(ZlibCodec, CallbacksRunOnTheLoopThreadAfterThePoolsWork) {
  const std::string text = sampleText(1 << 20, 4);
  const auto loopThread = std::this_thread::get_id();
  std::string back, brBack;
  Error gotErr;
  int calls = 0;
  bool sync = true;
  gzip(buf(text), [&](const Error& err, Buffer gz) {
    EXPECT_FALSE(sync);
    EXPECT_EQ(std::this_thread::get_id(), loopThread);
    ASSERT_FALSE(err) << err.message;
    ++calls;
    gunzip(gz, [&](const Error& err2, Buffer out) {
      ASSERT_FALSE(err2);
      ++calls;
      back = str(out);
    });
  });
  brotliCompress(buf(text), [&](const Error& err, Buffer br) {
    ASSERT_FALSE(err);
    ++calls;
    brotliDecompress(br, [&](const Error&, Buffer out) {
      ++calls;
      brBack = str(out);
    });
  });
  inflate(buf("not zlib"), [&](const Error& err, Buffer out) {
    ++calls;
    gotErr = err;
    EXPECT_TRUE(out.empty());
  });
  sync = false;
  run();
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(back, text);
  EXPECT_EQ(brBack, text);
  EXPECT_EQ(gotErr.code, "Z_DATA_ERROR");
}

TEST(ZlibCodec, AwaitableForms) {
  const std::string text = sampleText(300 * 1024, 5);
  std::string back;
  std::string code;
  auto body = [&]() -> Task<void> {
    Buffer gz = co_await promises::gzip(buf(text));
    Buffer out = co_await promises::gunzip(gz);
    Buffer br = co_await promises::brotliCompress(out);
    back = str(co_await promises::brotliDecompress(br));
    try {
      co_await promises::gunzip(buf("garbage"));
    } catch (const SystemError& e) {
      code = e.code();
    }
    Buffer junk = buf("\xff");
    auto r = co_await promises::inflateRaw(junk).result();
    EXPECT_FALSE(r.ok());
  };
  spawn(body());
  run();
  EXPECT_EQ(back, text);
  EXPECT_EQ(code, "Z_DATA_ERROR");
}

}  // namespace
}  // namespace evnode::zlib::test
