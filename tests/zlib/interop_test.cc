// Byte-exact interoperation with other implementations: the gzip command, Node's zlib (node -e)
// for gzip, deflate, raw deflate and brotli in both directions, and Python's zlib.
#include <gtest/gtest.h>

#include "zlib/zlib_helpers.h"

namespace evnode::zlib::test {
namespace {

using evnode::testing::haveCommand;
using evnode::testing::randomBytes;
using evnode::testing::runProcess;

std::string nodeRun(const std::string& fn, const std::string& input) {
  // Reads stdin whole, applies zlib.<fn>Sync, writes the bytes to stdout.
  auto r = runProcess({"node", "-e",
                       "const z=require('zlib');const c=[];process.stdin.on('data',d=>c.push(d))"
                       ".on('end',()=>process.stdout.write(z." +
                           fn + "Sync(Buffer.concat(c))))"},
                      input, 60);
  EXPECT_EQ(r.status, 0) << r.err;
  return r.out;
}

TEST(ZlibInterop, GzipCommandBothWays) {
  if (!haveCommand("gzip")) GTEST_SKIP() << "no gzip";
  const std::string text = sampleText(1 << 20, 20);
  for (const char* level : {"-1", "-6", "-9"}) {
    auto r = runProcess({"gzip", level, "-c"}, text);
    ASSERT_EQ(r.status, 0);
    EXPECT_TRUE(str(gunzipSync(buf(r.out))) == text) << level;
    EXPECT_TRUE(drive(createGunzip(), pieces(r.out, 3000, 1)).out == text);
  }
  // Two members, as `cat a.gz b.gz` makes.
  auto a = runProcess({"gzip", "-c"}, "first ");
  auto b = runProcess({"gzip", "-c"}, "second");
  EXPECT_EQ(str(gunzipSync(buf(a.out + b.out))), "first second");
  for (int level : {1, 6, 9}) {
    Options o;
    o.level = level;
    auto r = runProcess({"gzip", "-dc"}, str(gzipSync(buf(text), o)));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(r.out == text);
    auto t = runProcess({"gzip", "-t"}, str(gzipSync(buf(text), o)));
    EXPECT_EQ(t.status, 0);
  }
}

TEST(ZlibInterop, NodeBothWaysForEveryFormat) {
  if (!haveCommand("node")) GTEST_SKIP() << "no node";
  const std::string text = sampleText(300 * 1024, 21) + randomBytes(50000, 3);
  struct F {
    const char* comp;
    const char* decomp;
    Buffer (*ours)(const Buffer&, const Options&);
    Buffer (*oursBack)(const Buffer&, const Options&);
  } zf[] = {{"gzip", "gunzip", gzipSync, gunzipSync},
            {"deflate", "inflate", deflateSync, inflateSync},
            {"deflateRaw", "inflateRaw", deflateRawSync, inflateRawSync}};
  for (auto& f : zf) {
    SCOPED_TRACE(f.comp);
    const std::string fromNode = nodeRun(f.comp, text);
    EXPECT_TRUE(str(f.oursBack(buf(fromNode), {})) == text);
    EXPECT_TRUE(nodeRun(f.decomp, str(f.ours(buf(text), {}))) == text);
  }
  const std::string brFromNode = nodeRun("brotliCompress", text);
  EXPECT_TRUE(str(brotliDecompressSync(buf(brFromNode))) == text);
  EXPECT_TRUE(drive(createBrotliDecompress(), pieces(brFromNode, 1000, 5)).out == text);
  EXPECT_TRUE(nodeRun("brotliDecompress", str(brotliCompressSync(buf(text)))) == text);
  // Node's unzip takes both of our formats.
  EXPECT_TRUE(nodeRun("unzip", str(gzipSync(buf(text)))) == text);
  EXPECT_TRUE(nodeRun("unzip", str(deflateSync(buf(text)))) == text);
}

TEST(ZlibInterop, PythonZlib) {
  if (!haveCommand("python3")) GTEST_SKIP() << "no python3";
  const std::string text = sampleText(200 * 1024, 22);
  auto r = runProcess({"python3", "-c",
                       "import sys,zlib;d=sys.stdin.buffer.read();"
                       "sys.stdout.buffer.write(zlib.decompress(d,-15))"},
                      str(deflateRawSync(buf(text))));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out == text);
  r = runProcess({"python3", "-c",
                  "import sys,zlib;d=sys.stdin.buffer.read();"
                  "sys.stdout.buffer.write(zlib.compress(d,9))"},
                 text);
  ASSERT_EQ(r.status, 0);
  EXPECT_TRUE(str(inflateSync(buf(r.out))) == text);
}

}  // namespace
}  // namespace evnode::zlib::test
