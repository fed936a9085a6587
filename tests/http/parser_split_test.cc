// The parser gives the same answer however its input is cut: a stream of requests (or
// responses) is parsed as the server parses it (parser_stream.h), and every message (method,
// target, version, fields, framing, body, trailers, head length) and the error that ends the
// stream (its code and offset) must be those of the same bytes parsed in one piece.
// Inputs are cut byte by byte, at every offset, at every pair of offsets (short inputs) and at
// random places (a fixed seed, printed on a failure), with the default limits and with small
// ones that the corpus runs into.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/parser.h"
#include "http/parser_stream.h"
#include "http/split_support.h"

namespace evnode::http {
namespace {

using e2e::escapeBytes;
using namespace stream_model;

struct Input {
  std::string bytes;
  bool response = false;
};

std::vector<Input> corpus() {
  const std::string chunkedHead =
      "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::vector<std::string> requests = {
      "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
      "\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET /a?b=c#d HTTP/1.0\r\nUser-Agent: x\r\nAccept: */*\r\n\r\n",
      "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nX-Pad:   a\tb  \r\n\r\nhello world",
      "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\nGET /n HTTP/1.1\r\nHost: h\r\n\r\n",
      "HEAD /h HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET http://h/abs HTTP/1.1\r\nHost: h\r\n\r\n",
      "M-SEARCH * HTTP/1.1\r\nHost: h\r\n\r\n",
      "PUT /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
      "GET / HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\n\r\n",
      "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n"
      "\x81\x05hello",
      "CONNECT a:80 HTTP/1.1\r\nHost: a\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /3 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbodyGET /4 HTTP/1.1\r\nHost: "
      "h\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-High: caf\xc3\xa9\r\n\r\n",
      "GET / HTTP/1.1\r\nHost:\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nContent-Length:   007  \r\n\r\n1234567",
      // Errors.
      "GET / HTTP/1.1\r\nHost: h\r\n\rX",
      "GET / HTTP/1.1\nHost: h\n\n",
      "GET / HTTP/1.1\r\nHost: h\n\r\n",
      "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX : y\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n",
      std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 35),
      "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
      "GET / HTTP/1.x\r\nHost: h\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
      "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET a:80 HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET * HTTP/1.1\r\nHost: h\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: "
      "chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551616\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
  };
  const std::vector<std::string> chunkedBodies = {
      "5\r\nhello\r\n0\r\n\r\n",
      "5;ext=val;q=\"quo\\\"ted; \"\r\nhello\r\n1 ;a\r\n \r\n00B\r\nchunk three\r\n0\r\n\r\n",
      "3\r\nabc\r\n0\r\nX-Checksum: abc\r\nX-Empty: \r\n\r\n",
      "0;last\r\nA: 1\r\nB: 2\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
      "a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n",
      "zz\r\nhello\r\n0\r\n\r\n",
      "5\r\nhelloXX\r\n0\r\n\r\n",
      "5\nhello\r\n0\r\n\r\n",
      "10000000000000005\r\nhello\r\n0\r\n\r\n",
      "-5\r\nhello\r\n0\r\n\r\n",
      "5;=x\r\nhello\r\n0\r\n\r\n",
      "5;a=\"unterminated\r\nhello\r\n0\r\n\r\n",
      "3\r\nabc\r\n0\r\nBad Trailer: x\r\n\r\n",
      "3\r\nabc\r\n0\r\nX: a\r\n folded\r\n\r\n",
      "3\r\nabc\r\n0\r\n\r",
      "3\r\nabc\r\n0\r\nX: y\n\r\n",
  };
  for (const std::string& b : chunkedBodies) requests.push_back(chunkedHead + b);
  const std::vector<std::string> responses = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;x=y\r\nwiki\r\n0\r\nT: v\r\n\r\n",
      "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody until close",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nuntil close",
      "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: "
      "1\r\n\r\nx",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
      "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
  };
  std::vector<Input> out;
  for (auto& r : requests) out.push_back({std::move(r), false});
  for (const auto& r : responses) out.push_back({r, true});
  // Heads that run into the small limits.
  out.push_back({"GET / HTTP/1.1\r\nHost: h\r\n" + std::string(40, 'X') + ": " +
                     std::string(300, 'v') + "\r\n\r\n",
                 false});
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 12; ++i) many += "F" + std::to_string(i) + ": v\r\n";
  out.push_back({many + "\r\n", false});
  out.push_back({"GET /" + std::string(100, 't') + " HTTP/1.1\r\nHost: h\r\n\r\n", false});
  out.push_back({chunkedHead + "5;" + std::string(60, 'e') + "\r\nhello\r\n0\r\n\r\n", false});
  return out;
}

std::vector<e2e::Split> parserSplits(std::size_t size, std::uint64_t seed) {
  e2e::SplitOptions o;
  o.randomSplits = 100;
  o.maxPieces = 12;
  o.seed = seed;
  o.byteByByteUpTo = SIZE_MAX;
  o.everyCutUpTo = SIZE_MAX;
  auto splits = e2e::splitsOf(size, o);
  // Every pair of cuts for the shorter inputs (a 75-byte input has 2701 of them; under the
  // sanitizers the corpus takes a few seconds).
  if (size <= 80) {
    for (std::size_t i = 1; i < size; ++i) {
      for (std::size_t j = i + 1; j < size; ++j) {
        splits.push_back({"cuts at " + std::to_string(i) + "," + std::to_string(j), {i, j}});
      }
    }
  }
  return splits;
}

void expectSplitsParseAlike(const Limits& limits, const char* label) {
  const std::uint64_t seed = 0x9a25e5;
  std::size_t compared = 0;
  for (const Input& in : corpus()) {
    const Transcript whole = feed(in.bytes, {}, in.response, limits);
    // The whole input really went through the parser: something parsed or an error.
    EXPECT_TRUE(!whole.messages.empty() || whole.error != ParseError::HPE_OK)
        << escapeBytes(in.bytes);
    int failures = 0;
    for (const e2e::Split& s : parserSplits(in.bytes.size(), seed)) {
      const Transcript got = feed(in.bytes, s.cuts, in.response, limits);
      ++compared;
      if (got == whole) continue;
      if (++failures > 3) break;
      std::string cuts;
      for (std::size_t c : s.cuts) cuts += (cuts.empty() ? "" : ",") + std::to_string(c);
      ADD_FAILURE() << label << ": split \"" << s.name << "\" (cuts " << cuts << ", seed 0x"
                    << std::hex << seed << std::dec << ") of \"" << escapeBytes(in.bytes)
                    << "\"\n got:\n"
                    << show(got) << " whole:\n"
                    << show(whole);
    }
  }
  EXPECT_GT(compared, 10000u);
}

TEST(ParserSplit, EveryCutOfTheCorpusParsesLikeTheWholeInput) {
  expectSplitsParseAlike(kDefaultLimits, "default limits");
}

TEST(ParserSplit, EveryCutParsesAlikeUnderSmallLimits) {
  Limits small;
  small.maxHeaderSize = 200;
  small.maxHeadersCount = 8;
  small.maxTargetLength = 64;
  small.maxChunkExtensionSize = 32;
  expectSplitsParseAlike(small, "small limits");
}

// The model above is the server's; check it finds what the corpus holds, so that a model that
// parses nothing cannot pass.
TEST(ParserSplit, TheStreamModelSeesPipelinedMessagesBodiesAndErrors) {
  const std::string s =
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
      "chunked\r\n\r\n3\r\nabc\r\n0\r\nT: v\r\n\r\nGET /3 HTTP/1.1\r\nHost: h\r\nX: a\r\n "
      "b\r\n\r\n";
  const Transcript t = feed(s, {}, false, kDefaultLimits);
  ASSERT_EQ(t.messages.size(), 2u) << show(t);
  EXPECT_EQ(t.messages[0].target, "/1");
  EXPECT_EQ(t.messages[1].data, "abc");
  EXPECT_EQ(t.messages[1].trailers, (Fields{{"T", "v"}}));
  EXPECT_TRUE(t.messages[1].complete);
  EXPECT_EQ(t.error, ParseError::HPE_UNEXPECTED_SPACE);
  EXPECT_EQ(t.errorAt, s.find("\r\n b") + 2);  // the SP that starts the folded line
  const std::string connect = "CONNECT a:80 HTTP/1.1\r\nHost: a\r\n\r\nrest";
  const Transcript c = feed(connect, {5, 20}, false, kDefaultLimits);
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0].method, "CONNECT");
  EXPECT_EQ(c.handedOver, connect.find("rest"));
}

}  // namespace
}  // namespace evnode::http
