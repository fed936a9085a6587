// The client's answer depends on the bytes a server sent, never on how they were cut into reads:
// a raw server writes each response whole, byte by byte, cut once at every offset and cut at
// random places (split_support.h), a piece per loop turn, and ClientRequest must report the same
// status, reason, headers, body and trailers for every split. A head completed by a read that
// ends exactly where the head does is the case that once left the client reading its views from
// a freed buffer.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "evnode/http.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "http/split_support.h"

namespace evnode::http::e2e {
namespace {

// A server that answers each connection with `bytes`, cut as the connection's index says.
struct PieceServer {
  std::string bytes;
  std::vector<Split> splits;
  std::shared_ptr<net::Server> server;
  std::size_t accepted = 0;

  explicit PieceServer(std::string b) : bytes(std::move(b)), splits(splitsOf(bytes.size())) {
    server = net::createServer([this](const std::shared_ptr<net::Socket>& s) {
      s->setNoDelay(true);
      auto cuts =
          std::make_shared<std::vector<std::size_t>>(splits[accepted++ % splits.size()].cuts);
      cuts->push_back(bytes.size());
      s->on(net::Socket::Events::error, [](const Error&) {});
      // The request is read (and ignored) before the answer starts.
      s->once(net::Socket::Events::data, [this, s, cuts](const Buffer&) { send(s, cuts, 0, 0); });
    });
    server->listen(0, "127.0.0.1");
  }

  void send(const std::shared_ptr<net::Socket>& s, std::shared_ptr<std::vector<std::size_t>> cuts,
            std::size_t i, std::size_t from) {
    if (s->destroyed()) return;
    std::size_t to = (*cuts)[i];
    s->write(std::string_view(bytes).substr(from, to - from));
    if (i + 1 == cuts->size()) return void(s->end());
    setTimeout([this, s, cuts, i, to] { send(s, cuts, i + 1, to); }, 1);
  }
};

// Everything the client reported about one response.
std::string describe(const IncomingMessage& res, const std::string& body) {
  std::string out =
      std::to_string(res.statusCode) + " " + res.statusMessage + " HTTP/" + res.httpVersion + "\n";
  for (const auto& [n, v] : res.headers.raw()) out += n + ": " + v + "\n";
  out += "body: " + body + "\n";
  for (const auto& [n, v] : res.trailers.raw()) out += "trailer " + n + ": " + v + "\n";
  return out;
}

void expectSameForEverySplit(const std::string& bytes, const std::string& method = "GET") {
  PieceServer ps(bytes);
  const std::size_t total = ps.splits.size();
  std::vector<std::string> got(total);
  std::size_t done = 0, started = 0;
  std::function<void()> startOne = [&] {
    if (started == total) return;
    std::size_t i = started++;
    RequestOptions o;
    o.host = "127.0.0.1";
    o.port = ps.server->address().port;
    o.method = method;
    o.agent = nullptr;
    auto req = request(o, [&, i](const IncomingMessagePtr& res) {
      auto body = std::make_shared<std::string>();
      res->on(IncomingMessage::Events::data, [body](const Buffer& b) { body->append(b.view()); });
      res->on(IncomingMessage::Events::end, [&, i, res, body] {
        got[i] = describe(*res, *body);
        if (++done == total) ps.server->close();
        startOne();
      });
    });
    req->on(ClientRequest::Events::error, [&, i](const Error& e) {
      got[i] = "error " + e.code;
      if (++done == total) ps.server->close();
      startOne();
    });
    req->end();
  };
  // One at a time: connection i gets split i (the server counts its accepts).
  startOne();
  run();
  ASSERT_EQ(done, total);
  for (std::size_t i = 1; i < total; ++i) {
    EXPECT_EQ(got[i], got[0]) << ps.splits[i].name;
  }
}

TEST(ClientSplitDelivery, ContentLengthResponseIsTheSameHoweverItIsCut) {
  EVNODE_WATCHDOG(120);
  expectSameForEverySplit(
      "HTTP/1.1 200 Quite Fine\r\nX-One: first value\r\nContent-Length: 11\r\n"
      "Connection: close\r\n\r\nhello world");
}

TEST(ClientSplitDelivery, InterimHeadsAndAChunkedBodyWithTrailersAreTheSameHoweverCut) {
  EVNODE_WATCHDOG(120);
  expectSameForEverySplit(
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
      "HTTP/1.1 201 Made It\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "4\r\nwiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Checksum: abc\r\n\r\n");
}

TEST(ClientSplitDelivery, HeadOnlyAnswerEndingWithItsHeadIsTheSameHoweverCut) {
  EVNODE_WATCHDOG(120);
  // The answer to a HEAD ends exactly where its head does: the read that completes the head
  // leaves no byte behind it.
  expectSameForEverySplit(
      "HTTP/1.1 200 Head Only\r\nContent-Length: 1234\r\nX-Last: yes\r\n"
      "Connection: close\r\n\r\n",
      "HEAD");
}

}  // namespace
}  // namespace evnode::http::e2e
