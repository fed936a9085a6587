// http::ResponseParser, the public response reader: pipelined responses of every framing fed
// whole, in random pieces and byte by byte give the same heads, bodies and trailers; errors carry
// llhttp's names; finish() tells a close-delimited end from a cut-short body.
#include "evnode/http_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace evnode::http {
namespace {

using Step = ResponseParser::Step;

// Everything the parser reported, as one string, feeding `bytes` in pieces of the given sizes
// (0: all at once). Heads appear as "<status reason|name=value|...>", bodies as their bytes,
// ends as "<end|trailer=value>".
std::string transcript(const std::string& bytes, const std::vector<bool>& heads, std::size_t piece,
                       std::mt19937* rng = nullptr) {
  ResponseParser p;
  std::size_t response = 0;
  p.expect(heads.at(0));
  std::string out;
  Buffer pending;
  std::size_t at = 0;
  while (true) {
    Step s = p.execute(pending);
    if (s == Step::kNeedMore) {
      if (at == bytes.size()) {
        if (p.finish() == Step::kEnd) out += "<end>";
        return out;
      }
      std::size_t n = piece ? piece : bytes.size();
      if (rng) n = 1 + (*rng)() % 7;
      n = std::min(n, bytes.size() - at);
      std::string joined(pending.view());
      joined += bytes.substr(at, n);
      at += n;
      pending = Buffer::from(joined);
      continue;
    }
    if (s == Step::kError) return out + "<error " + std::string(p.errorCode()) + ">";
    if (s == Step::kHead) {
      out += "<" + std::to_string(p.statusCode()) + " " + std::string(p.statusMessage());
      for (const auto& h : p.headers()) {
        out += "|" + std::string(h.name) + "=" + std::string(h.value);
      }
      out += p.keepAlive() ? "|ka>" : ">";
    } else if (s == Step::kBody) {
      out += std::string(p.body().view());
    } else {
      out += "<end";
      for (const auto& t : p.trailers()) {
        out += "|" + std::string(t.name) + "=" + std::string(t.value);
      }
      out += ">";
      if (++response < heads.size()) p.expect(heads[response]);
    }
  }
}

TEST(HttpResponseParser, PipelinedResponsesInAnyPiecesGiveTheSameSteps) {
  const std::string bytes =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
      "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"  // the answer to a HEAD: no body
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n"
      "HTTP/1.0 200 OK\r\n\r\nuntil the close";
  const std::vector<bool> heads = {false, true, false, false};
  const std::string want =
      "<100 Continue|ka><200 OK|Content-Length=5|ka>hello<end>"
      "<200 OK|Content-Length=9|ka><end>"
      "<201 Created|Transfer-Encoding=chunked|ka>abcde<end|X-Sum=5>"
      "<200 OK>until the close<end>";
  EXPECT_EQ(transcript(bytes, heads, 0), want);
  // Byte by byte, a body arrives one byte per step: compare what was said, not how it was cut.
  EXPECT_EQ(transcript(bytes, heads, 1), want);
  std::mt19937 rng(7);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(transcript(bytes, heads, 0, &rng), want) << i;
}

TEST(HttpResponseParser, ErrorsCarryLlhttpNamesAndCutShortBodiesFailAtFinish) {
  EXPECT_EQ(transcript("HTTP/1.1 200 OK\nContent-Length: 1\r\n\r\nx", {false}, 0),
            "<error HPE_CR_EXPECTED>");  // a bare LF
  EXPECT_EQ(transcript("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", {false}, 0),
            "<error HPE_INVALID_CONTENT_LENGTH>");
  ResponseParser p;
  p.expect(false);
  Buffer in = Buffer::from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_EQ(p.execute(in), Step::kHead);
  EXPECT_EQ(p.execute(in), Step::kBody);
  EXPECT_TRUE(p.midResponse());
  EXPECT_EQ(p.finish(), Step::kError);
  EXPECT_EQ(p.errorCode(), "HPE_INVALID_EOF_STATE");
  EXPECT_FALSE(p.errorReason().empty());
}

TEST(HttpResponseParser, HeadsOverTheLimitAndUpgradesAreReported) {
  ResponseParser small(ResponseParser::Options{.maxHeaderSize = 64, .maxHeadersCount = 10});
  small.expect(false);
  Buffer big = Buffer::from("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a') + "\r\n\r\n");
  EXPECT_EQ(small.execute(big), Step::kError);
  EXPECT_EQ(small.errorCode(), "HPE_HEADER_OVERFLOW");

  ResponseParser p;
  p.expect(false);
  Buffer in = Buffer::from(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nraw bytes");
  EXPECT_EQ(p.execute(in), Step::kHead);
  EXPECT_TRUE(p.upgraded());
  EXPECT_EQ(p.execute(in), Step::kNeedMore);
  EXPECT_EQ(in.view(), "raw bytes");  // left to the caller
}

}  // namespace
}  // namespace evnode::http
