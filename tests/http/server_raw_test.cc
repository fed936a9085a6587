// The HTTP server over raw sockets, for what real clients will not send: pipelined requests in
// one write, request smuggling attempts, slowloris, and the exact bytes of HEAD/204/304,
// maxRequestsPerSocket, keepAliveTimeout and a graceful close().
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "evnode/http.h"
#include "evnode/loop.h"
#include "http/e2e_support.h"

namespace evnode::http::e2e {
namespace {

const std::string kKeepAlive = "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n";

std::string ok(const std::string& body, bool close = false) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         (close ? std::string("Connection: close\r\n\r\n") : kKeepAlive) + body;
}

int portOf(const std::shared_ptr<Server>& s) { return s->address().port; }

TEST(HttpRaw, PipelinedRequestsAreAnsweredInOrder) {
  EVNODE_WATCHDOG(30);
  std::vector<std::string> seen;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    seen.push_back(req->url);
    res->sendDate = false;
    if (req->url == "/1") {
      // The first answer comes late; the others must still follow it, not overtake it.
      setTimeout([res] { res->end("one"); }, 100);
    } else if (req->url == "/3") {
      res->write("th");
      res->end("ree");
    } else {
      res->end(req->url.substr(1));
    }
  });
  server->listen(0, "127.0.0.1");
  std::string batch;
  for (int i = 1; i <= 5; i++) {
    batch += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n" +
             (i == 5 ? "Connection: close\r\n" : "") + "\r\n";
  }
  std::string got;
  rawClient(portOf(server), batch, [&](RawConn& c) {
    got = c.got;
    server->close();
  });
  run();
  EXPECT_EQ(got, ok("one") + ok("2") + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n" +
                     kKeepAlive + "2\r\nth\r\n3\r\nree\r\n0\r\n\r\n" + ok("4") + ok("5", true));
  EXPECT_EQ(seen, (std::vector<std::string>{"/1", "/2", "/3", "/4", "/5"}));
}

TEST(HttpRaw, ManyPipelinedRequestsInOneWrite) {
  EVNODE_WATCHDOG(30);
  int n = 0;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    ++n;
    res->sendDate = false;
    res->end(req->url);
  });
  server->listen(0, "127.0.0.1");
  std::string batch, expected;
  for (int i = 0; i < 500; i++) {
    std::string path = "/r" + std::to_string(i);
    batch += "GET " + path + " HTTP/1.1\r\nHost: x\r\n" +
             (i == 499 ? "Connection: close\r\n" : "") + "\r\n";
    expected += ok(path, i == 499);
  }
  std::string got;
  rawClient(portOf(server), batch, [&](RawConn& c) {
    got = c.got;
    server->close();
  });
  run();
  EXPECT_EQ(n, 500);
  EXPECT_TRUE(got == expected) << got.substr(0, 400);
}

// Each case is a request that must get exactly a 400 (or the status given) and a closed
// connection; the bytes after it (a smuggled request) must never be answered.
struct BadCase {
  const char* name;
  std::string request;
  int status = 400;
};

const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

std::vector<BadCase> badCases() {
  return {
      {"CL+TE",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n"},
      {"TE+CL",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: "
       "5\r\n\r\n0\r\n\r\n"},
      {"two differing Content-Length",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 44\r\n\r\nhello"},
      {"two equal Content-Length",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"},
      {"Content-Length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello"},
      {"Content-Length with a sign",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello"},
      {"space before colon", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello"},
      {"TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"TE not ending in chunked",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"},
      {"chunk size not hex",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"},
      {"chunk size overflow",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
       "chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n"},
      {"negative chunk size",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"},
      {"junk after chunk data",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n"},
      {"chunk size with bare LF",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n"},
      {"bare LF line ends", "GET / HTTP/1.1\nHost: x\n\n"},
      {"bare CR in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"},
      {"NUL in a value", std::string("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 37)},
      {"two Host headers", "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"},
      {"no Host on HTTP/1.1", "GET / HTTP/1.1\r\nX-A: a\r\n\r\n"},
      {"head ended by CRLF CR X", "GET / HTTP/1.1\r\nHost: x\r\n\rX"},
      {"HTTP/2.0 version", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
      {"head over maxHeaderSize",
       "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n", 431},
  };
}

std::string statusOnly(int status) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(STATUS_CODES(status)) +
         "\r\nConnection: close\r\n\r\n";
}

TEST(HttpRaw, SmugglingAttemptsGetA400AndTheConnectionCloses) {
  EVNODE_WATCHDOG(60);
  int completeRequests = 0, handlerCalls = 0;
  std::vector<std::string> urls;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    ++handlerCalls;
    urls.push_back(req->url);
    // Answer only once the whole body has arrived: a body error must come first.
    req->on(Readable::Events::data, [](const Buffer&) {});
    req->on(Readable::Events::end, [&completeRequests, res] {
      ++completeRequests;
      res->end("handled");
    });
  });
  server->listen(0, "127.0.0.1");
  const auto cases = badCases();
  std::vector<std::string> got(cases.size());
  std::string afterwards;
  std::size_t closed = 0;
  for (std::size_t i = 0; i < cases.size(); i++) {
    rawClient(portOf(server), cases[i].request + kSmuggled, [&, i](RawConn& c) {
      got[i] = c.got;
      if (++closed < cases.size()) return;
      // Every bad connection is gone: the server still serves a good request.
      rawClient(portOf(server), "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                [&](RawConn& c2) {
                  afterwards = c2.got;
                  server->close();
                });
    });
  }
  run();
  for (std::size_t i = 0; i < cases.size(); i++) {
    EXPECT_EQ(got[i], statusOnly(cases[i].status)) << cases[i].name;
  }
  EXPECT_EQ(completeRequests, 1);  // only /after
  for (const auto& u : urls) EXPECT_NE(u, "/smuggled");
  EXPECT_NE(afterwards.find("\r\n\r\nhandled"), std::string::npos) << afterwards;
  EXPECT_EQ(afterwards.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << afterwards;
  (void)handlerCalls;
}

TEST(HttpRaw, AGoodRequestBeforeABadOneIsStillAnswered) {
  EVNODE_WATCHDOG(30);
  auto server = createServer([&](const RequestPtr&, const ResponsePtr& res) {
    res->sendDate = false;
    res->end("fine");
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(
      portOf(server),
      "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n b\r\n\r\n" +
          kSmuggled,
      [&](RawConn& c) {
        got = c.got;
        server->close();
      });
  run();
  EXPECT_EQ(got, ok("fine") + statusOnly(400));
}

TEST(HttpRaw, AHandlerThatDoesNotReadStopsTheServerReading) {
  EVNODE_WATCHDOG(60);
  const std::size_t total = 64u << 20;
  std::uint64_t readWhilePaused = 0;
  std::size_t received = 0;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    // Not reading for 500 ms: the socket must stop being read (kernel buffers fill, the client
    // blocks), instead of the body piling up in memory.
    setTimeout(
        [&, req, res] {
          readWhilePaused = req->socket->bytesRead();
          req->on(Readable::Events::data, [&](const Buffer& b) { received += b.length(); });
          req->on(Readable::Events::end, [&, res] {
            res->sendDate = false;
            res->end(std::to_string(received));
          });
        },
        500);
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  auto c = rawClient(portOf(server),
                     "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
                         std::to_string(total) + "\r\n\r\n",
                     [&](RawConn& rc) {
                       got = rc.got;
                       server->close();
                     });
  const Buffer block = Buffer::alloc(256 * 1024, 'b');
  std::size_t sent = 0;
  std::function<void()> pump = [&] {
    while (sent < total) {
      sent += block.length();
      if (!c->socket->write(block)) return;
    }
  };
  c->socket->on(net::Socket::Events::connect, [&] { pump(); });
  c->socket->on(net::Socket::Events::drain, [&] { pump(); });
  run();
  EXPECT_EQ(got, ok(std::to_string(total), true));
  EXPECT_EQ(received, total);
  // Loopback socket buffers hold a few MiB at most; without backpressure all 64 MiB arrive.
  EXPECT_LT(readWhilePaused, 16u << 20);
}

TEST(HttpRaw, SlowlorisGets408WithinHeadersTimeoutWhileOthersAreServed) {
  EVNODE_WATCHDOG(30);
  ServerOptions o;
  o.headersTimeout = 1000;
  o.connectionsCheckingInterval = 50;
  int served = 0;
  auto server = createServer(o, [&](const RequestPtr&, const ResponsePtr& res) {
    ++served;
    res->sendDate = false;
    res->end("quick");
  });
  server->listen(0, "127.0.0.1");
  const std::string slowHead =
      "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'a') + "\r\n\r\n";
  std::size_t sent = 0;
  std::uint64_t start = Loop::current().now();
  std::string slowGot, quickGot;
  std::uint64_t slowClosedAfter = 0, quickDoneAfter = 0;
  TimeoutPtr trickle;
  auto slow = rawClient(portOf(server), "", [&](RawConn& c) {
    slowGot = c.got;
    slowClosedAfter = c.closedAt - start;
    trickle->close();
    server->close();
  });
  // One byte every 50 ms: the head would take 12 s to arrive, far past headersTimeout.
  trickle = setInterval(
      [&] {
        if (sent < slowHead.size() && !slow->socket->destroyed())
          slow->socket->write(slowHead.substr(sent++, 1));
      },
      50);
  // Meanwhile another client is served at once.
  setTimeout(
      [&] {
        rawClient(portOf(server), "GET /q HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                  [&](RawConn& c) {
                    quickGot = c.got;
                    quickDoneAfter = c.closedAt - start;
                  });
      },
      200);
  run();
  EXPECT_EQ(slowGot, statusOnly(408));
  EXPECT_GE(slowClosedAfter, 950u);
  EXPECT_LT(slowClosedAfter, 5000u);
  EXPECT_EQ(quickGot, ok("quick", true));
  EXPECT_LT(quickDoneAfter, slowClosedAfter);
  EXPECT_EQ(served, 1);
  EXPECT_GT(sent, 5u);
}

TEST(HttpRaw, HeadAnd204And304CarryNoBody) {
  EVNODE_WATCHDOG(30);
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    if (req->url == "/204") res->statusCode = 204;
    if (req->url == "/304") res->statusCode = 304;
    if (req->url == "/stream") {
      res->write("must not ");
      res->end("appear");
    } else if (req->url == "/last") {
      res->end("last");
    } else {
      res->end("must not appear");
    }
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(portOf(server),
            "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
            "HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n"
            "GET /204 HTTP/1.1\r\nHost: x\r\n\r\n"
            "GET /304 HTTP/1.1\r\nHost: x\r\n\r\n"
            "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            [&](RawConn& c) {
              got = c.got;
              server->close();
            });
  run();
  EXPECT_EQ(got,
            // HEAD announces the length GET would have; a streamed HEAD announces no framing.
            "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n" + kKeepAlive + "HTTP/1.1 200 OK\r\n" +
                kKeepAlive + "HTTP/1.1 204 No Content\r\n" + kKeepAlive +
                "HTTP/1.1 304 Not Modified\r\n" + kKeepAlive + ok("last", true));
}

TEST(HttpRaw, ExpectationOtherThanContinueGets417ByDefault) {
  EVNODE_WATCHDOG(30);
  int calls = 0;
  auto server = createServer([&](const RequestPtr&, const ResponsePtr& res) {
    ++calls;
    res->end();
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(portOf(server),
            "GET / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n",
            [&](RawConn& c) {
              got = c.got;
              server->close();
            });
  run();
  EXPECT_EQ(got.rfind("HTTP/1.1 417 Expectation Failed\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Content-Length: 0\r\n"), std::string::npos) << got;
  EXPECT_EQ(calls, 0);
}

// An HTTP/1.0 client sends its body anyway and would take a 100 for the final answer.
TEST(HttpRaw, AnHttp10ClientGetsNo100Continue) {
  EVNODE_WATCHDOG(30);
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    auto body = std::make_shared<std::string>();
    req->on(Readable::Events::data, [body](const Buffer& b) { body->append(b.view()); });
    req->on(Readable::Events::end, [res, body] { res->end(*body); });
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(portOf(server),
            "PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
            [&](RawConn& c) {
              got = c.got;
              server->close();
            });
  run();
  EXPECT_EQ(got, ok("body", true));
}

TEST(HttpRaw, MaxRequestsPerSocketClosesAfterTheLimit) {
  EVNODE_WATCHDOG(30);
  ServerOptions o;
  o.maxRequestsPerSocket = 2;
  int calls = 0;
  auto server = createServer(o, [&](const RequestPtr& req, const ResponsePtr& res) {
    ++calls;
    res->sendDate = false;
    res->end(req->url);
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(portOf(server),
            "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c "
            "HTTP/1.1\r\nHost: x\r\n\r\n",
            [&](RawConn& c) {
              got = c.got;
              server->close();
            });
  run();
  // The second answer says close, and the connection ends after it.
  EXPECT_EQ(got, ok("/a") + ok("/b", true));
  EXPECT_EQ(calls, 2);
}

TEST(HttpRaw, KeepAliveTimeoutClosesIdleSocketsCountedFromTheResponse) {
  EVNODE_WATCHDOG(30);
  ServerOptions o;
  o.keepAliveTimeout = 1000;
  o.connectionsCheckingInterval = 50;
  std::uint64_t answeredAt = 0;
  auto server = createServer(o, [&](const RequestPtr&, const ResponsePtr& res) {
    res->sendDate = false;
    // A slow handler: the idle time starts when the response is done, not at the request.
    setTimeout(
        [&, res] {
          answeredAt = Loop::current().now();
          res->end("slow");
        },
        700);
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  std::uint64_t closedAt = 0;
  rawClient(portOf(server), "GET / HTTP/1.1\r\nHost: x\r\n\r\n", [&](RawConn& c) {
    got = c.got;
    closedAt = c.closedAt;
    server->close();
  });
  run();
  EXPECT_EQ(got,
            "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: keep-alive\r\nKeep-Alive: "
            "timeout=1\r\n\r\nslow");
  EXPECT_GE(closedAt - answeredAt, 900u);
  EXPECT_LT(closedAt - answeredAt, 5000u);
}

TEST(HttpRaw, CloseFinishesInFlightResponsesAndClosesIdleSockets) {
  EVNODE_WATCHDOG(30);
  std::shared_ptr<Server> server;
  bool closeCalled = false, closedCb = false;
  std::string idleGot, slowGot;
  std::uint64_t idleClosedAt = 0, slowClosedAt = 0;
  std::shared_ptr<RawConn> slow;
  server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    if (req->url == "/fast") {
      res->end("fast");
      return;
    }
    // /slow: the server closes while this response is in flight.
    server->close([&](const Error& e) {
      EXPECT_FALSE(e) << e.message;
      closedCb = true;
    });
    closeCalled = true;
    setTimeout([res] { res->end("slow done"); }, 300);
  });
  server->listen(0, "127.0.0.1");
  const int port = portOf(server);
  // An idle keep-alive connection first, then the slow request on another.
  rawClient(port, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n", [&](RawConn& c) {
    idleGot = c.got;
    idleClosedAt = c.closedAt;
  });
  setTimeout(
      [&] {
        slow = rawClient(port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", [&](RawConn& c) {
          slowGot = c.got;
          slowClosedAt = c.closedAt;
        });
      },
      100);
  run();
  EXPECT_TRUE(closeCalled);
  EXPECT_TRUE(closedCb);
  EXPECT_EQ(idleGot, ok("fast"));
  EXPECT_LT(idleClosedAt, slowClosedAt);  // the idle one went at once
  // The in-flight response is complete, and tells the client the connection ends.
  EXPECT_EQ(slowGot, ok("slow done", true));
}

}  // namespace
}  // namespace evnode::http::e2e
