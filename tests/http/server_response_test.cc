// ServerResponse over raw sockets: what a response finished in one go (end(data) as the only
// write, rendered straight into the connection's output batch) must keep of the stream's
// contract, pipelined batches mixing every kind of response, bytes that must stay in order with
// those batches (upgrades, answers given from another connection's handler), and a request
// body cut short by the client.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
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

std::string get(const std::string& path, bool close = false) {
  return "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + (close ? "Connection: close\r\n" : "") +
         "\r\n";
}

int portOf(const std::shared_ptr<Server>& s) { return s->address().port; }

// The stream's events and state for a response ended in one go and for one written in pieces.
TEST(HttpResponse, EndedAtOnceKeepsTheStreamsEventsAndState) {
  EVNODE_WATCHDOG(30);
  std::vector<std::string> events;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    const std::string tag = req->url.substr(1);
    res->sendDate = false;
    auto record = [&, tag, res](const char* name) {
      return [&, tag, res, name] {
        events.push_back(tag + ":" + name + (res->writableFinished() ? "+" : "-") +
                         (res->destroyed() ? "d" : ""));
      };
    };
    res->on(Writable::Events::prefinish, record("prefinish"));
    res->on(Writable::Events::finish, record("finish"));
    res->on(Stream::Events::close, record("close"));
    if (tag == "pieces") res->write("pie");
    const std::string body = tag == "pieces" ? "ces" : "once";
    res->end(body, [&, tag](const Error& err) {
      EXPECT_FALSE(err) << err.message;
      events.push_back(tag + ":cb");
    });
    // Synchronously after end(): ended, head out, prefinish already emitted, not finished.
    events.push_back(tag + ":returned");
    EXPECT_TRUE(res->writableEnded());
    EXPECT_TRUE(res->headersSent());
    EXPECT_FALSE(res->writableFinished());
    try {
      res->setHeader("X-Late", "1");
      ADD_FAILURE() << "setHeader after end did not throw";
    } catch (const Exception& e) {
      EXPECT_EQ(e.code(), "ERR_HTTP_HEADERS_SENT");
    }
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(portOf(server), get("/once") + get("/pieces", true), [&](RawConn& c) {
    got = c.got;
    server->close();
  });
  run();
  EXPECT_EQ(got, ok("once") + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: " +
                     "close\r\n\r\n3\r\npie\r\n3\r\nces\r\n0\r\n\r\n");
  // Per response: prefinish inside end(), then the end callback and `finish`, then `close`
  // once the response is destroyed.
  auto of = [&](const std::string& tag) {
    std::vector<std::string> out;
    for (const auto& e : events) {
      if (e.rfind(tag + ":", 0) == 0) out.push_back(e.substr(tag.size() + 1));
    }
    return out;
  };
  const std::vector<std::string> expected = {"prefinish-", "returned", "cb", "finish+", "close+d"};
  EXPECT_EQ(of("once"), expected);
  EXPECT_EQ(of("pieces"), expected);
}

// A finished response that someone still holds is destroyed and closed as a stream must be;
// one nobody holds or listens to is freed right after `finish` (the weak reference expires).
TEST(HttpResponse, AFinishedResponseIsDestroyedIfHeldAndFreedIfNot) {
  EVNODE_WATCHDOG(30);
  ResponsePtr held;
  std::weak_ptr<ServerResponse> dropped;
  bool heldClosed = false, droppedExpired = false;
  std::shared_ptr<Server> server;
  server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    if (req->url == "/held") {
      held = res;
    } else {
      dropped = res;
    }
    res->end("x");
  });
  server->listen(0, "127.0.0.1");
  rawClient(portOf(server), get("/held") + get("/dropped", true), [&](RawConn&) {
    heldClosed = held->writableFinished() && held->destroyed() && held->closed();
    droppedExpired = dropped.expired();
    // Its connection is gone: interim responses on it now go nowhere, harmlessly.
    setTimeout(
        [&] {
          held->writeProcessing();
          held->writeEarlyHints({{"Link", "</late.css>"}});
          held.reset();
          server->close();
        },
        20);
  });
  run();
  EXPECT_TRUE(heldClosed);
  EXPECT_TRUE(droppedExpired);
}

// writeHead with a braced list of names and values: its headers replace what setHeader set,
// repeated names in the list all stay, bad ones throw and nothing changes (not even by the good
// fields before them), and a header list reused from an earlier response carries none of that
// response's headers.
TEST(HttpResponse, WriteHeadWithBracedHeadersOnReusedLists) {
  EVNODE_WATCHDOG(30);
  std::vector<std::string> thrown;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    if (req->url == "/three") {
      res->writeHead(201, "Made", {{"A", "1"}, {"B", "2"}, {"Set-Cookie", "x=1"}});
    } else if (req->url == "/merge") {
      res->setHeader("a", "old");
      res->setHeader("Kept", "yes");
      res->writeHead(200, {{"A", "new"}, {"X", "1"}, {"X", "2"}});
    } else if (req->url == "/bad") {
      for (auto attempt : {0, 1, 2, 3}) {
        try {
          if (attempt == 0) res->writeHead(200, {{"Bad Name", "v"}});
          if (attempt == 1) res->writeHead(200, {{"V", "a\r\nInjected: 1"}});
          if (attempt == 2) res->writeHead(99, {{"V", "1"}});
          // A good field before the bad one is not kept either.
          if (attempt == 3) res->writeHead(201, {{"V", "1"}, {"W", "x\ny"}});
        } catch (const Exception& e) {
          thrown.push_back(e.code());
        }
      }
      EXPECT_EQ(res->statusCode, 200);
      EXPECT_FALSE(res->hasHeader("V"));
      res->writeHead(202, {});
    } else {
      res->writeHead(200, {{"Only", "one"}});
    }
    res->end("b");
    try {
      res->writeHead(200, {{"Late", "1"}});
    } catch (const Exception& e) {
      thrown.push_back(e.code());
    }
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(portOf(server),
            get("/three") + get("/one") + get("/merge") + get("/bad") + get("/one", true),
            [&](RawConn& c) {
              got = c.got;
              server->close();
            });
  run();
  const std::string one = "HTTP/1.1 200 OK\r\nOnly: one\r\nContent-Length: 1\r\n";
  EXPECT_EQ(got, "HTTP/1.1 201 Made\r\nA: 1\r\nB: 2\r\nSet-Cookie: x=1\r\nContent-Length: 1\r\n" +
                     kKeepAlive + "b" + one + kKeepAlive + "b" +
                     "HTTP/1.1 200 OK\r\nKept: yes\r\nA: new\r\nX: 1\r\nX: 2\r\n"
                     "Content-Length: 1\r\n" +
                     kKeepAlive + "b" + "HTTP/1.1 202 Accepted\r\nContent-Length: 1\r\n" +
                     kKeepAlive + "b" + one + "Connection: close\r\n\r\nb");
  // (After each end(), a writeHead throws; /bad's own three come in its turn.)
  const std::vector<std::string> sent(3, "ERR_HTTP_HEADERS_SENT");
  std::vector<std::string> expected = sent;
  expected.insert(expected.end(),
                  {"ERR_INVALID_HTTP_TOKEN", "ERR_INVALID_CHAR", "ERR_HTTP_INVALID_STATUS_CODE",
                   "ERR_INVALID_CHAR", "ERR_HTTP_HEADERS_SENT", "ERR_HTTP_HEADERS_SENT"});
  EXPECT_EQ(thrown, expected);
}

// writeHead's braced list is kept as the lines it renders (no list per response): the header
// API still reads and changes it, and the fields that decide framing (Content-Length,
// Transfer-Encoding, Date, Connection, Keep-Alive) have their effect as when set one by one.
// A list too long for the lines takes the list's path, with the same bytes.
TEST(HttpResponse, BracedHeadersStayReadableAndDecideTheFraming) {
  EVNODE_WATCHDOG(30);
  const std::string longValue(300, 'v');
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    const std::string& u = req->url;
    res->sendDate = u == "/date";
    if (u == "/api") {
      res->writeHead(200, {{"Content-Type", "text/plain"}, {"X-Val", "a: b"}, {"Gone", "1"}});
      EXPECT_EQ(res->getHeader("content-type").value_or("-"), "text/plain");
      EXPECT_EQ(res->getHeader("X-VAL").value_or("-"), "a: b");
      EXPECT_TRUE(res->hasHeader("gone"));
      res->removeHeader("Gone");
      res->setHeader("X-Late", "1");
      EXPECT_EQ(res->getHeaderNames(),
                (std::vector<std::string>{"content-type", "x-val", "x-late"}));
    } else if (u == "/twice") {
      res->writeHead(200, {{"A", "1"}, {"B", "2"}});
      res->writeHead(201, {{"a", "3"}});
    } else if (u == "/length") {
      res->writeHead(200, {{"Content-Length", "3"}});
    } else if (u == "/chunked" || u == "/chunked-big") {
      res->writeHead(200, {{"Transfer-Encoding", "chunked"}});
    } else if (u == "/date") {
      res->writeHead(200, {{"date", "then"}});
    } else if (u == "/keepalive") {
      res->writeHead(200, {{"Keep-Alive", "timeout=9"}});
    } else if (u == "/long") {
      res->writeHead(200, {{"Long", longValue}, {"Short", "s"}});
      EXPECT_EQ(res->getHeader("long").value_or("-"), longValue);
    } else if (u == "/close") {
      res->writeHead(200, {{"Connection", "close"}});
    }
    res->end(u == "/chunked-big" ? std::string(3000, 'z') : std::string("abc"));
    EXPECT_EQ(res->getHeader("content-type").value_or("-"), u == "/api" ? "text/plain" : "-");
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(portOf(server),
            get("/api") + get("/twice") + get("/length") + get("/chunked") + get("/chunked-big") +
                get("/date") + get("/keepalive") + get("/long") + get("/close") + get("/never"),
            [&](RawConn& c) {
              got = c.got;
              server->close();
            });
  run();
  const std::string len3 = "Content-Length: 3\r\n";
  EXPECT_EQ(got, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Val: a: b\r\nX-Late: 1\r\n" +
                     len3 + kKeepAlive + "abc" + "HTTP/1.1 201 Created\r\nB: 2\r\na: 3\r\n" + len3 +
                     kKeepAlive + "abc" + "HTTP/1.1 200 OK\r\n" + len3 + kKeepAlive + "abc" +
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n" + kKeepAlive +
                     "3\r\nabc\r\n0\r\n\r\n" + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n" +
                     kKeepAlive + "bb8\r\n" + std::string(3000, 'z') + "\r\n0\r\n\r\n" +
                     "HTTP/1.1 200 OK\r\ndate: then\r\n" + len3 + kKeepAlive + "abc" +
                     "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=9\r\n" + len3 +
                     "Connection: keep-alive\r\n\r\nabc" + "HTTP/1.1 200 OK\r\nLong: " + longValue +
                     "\r\nShort: s\r\n" + len3 + kKeepAlive + "abc" +
                     "HTTP/1.1 200 OK\r\nConnection: close\r\n" + len3 + "\r\nabc");
}

// The Date line and the Connection lines go out as one piece cached per thread: each response
// gets the lines of its own kind, however the kinds alternate, and the date is an IMF-fixdate
// of now (in English whatever the locale: strftime's %a and %b would follow it).
TEST(HttpResponse, TheDateAndConnectionLinesFollowEachResponsesKind) {
  EVNODE_WATCHDOG(30);
  ServerOptions o;
  o.keepAliveTimeout = 7000;
  auto server = createServer(o, [&](const RequestPtr& req, const ResponsePtr& res) {
    const std::string& u = req->url;
    res->sendDate = u != "/nodate";
    if (u == "/ka") res->setHeader("Keep-Alive", "timeout=9");
    if (u == "/conn") res->setHeader("Connection", "keep-alive");
    if (u == "/userdate") res->setHeader("Date", "then");
    res->end("abc");
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(portOf(server),
            get("/") + get("/nodate") + get("/ka") + get("/conn") + get("/userdate") + get("/") +
                get("/nodate") + get("/last", true),
            [&](RawConn& c) {
              got = c.got;
              server->close();
            });
  const std::time_t before = std::time(nullptr);
  run();
  const std::time_t after = std::time(nullptr);
  // Each Date line: checked, then replaced by "Date: D" for the comparison of the whole.
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int dates = 0;
  for (std::size_t at = got.find("Date: "); at != std::string::npos;
       at = got.find("Date: ", at + 1)) {
    std::size_t end = got.find("\r\n", at);
    ASSERT_NE(end, std::string::npos);
    const std::string line = got.substr(at, end - at);
    if (line == "Date: then") continue;
    ++dates;
    ASSERT_EQ(line.size(), 35u) << line;
    std::tm tm{};
    char day[4] = {}, month[4] = {};
    ASSERT_EQ(std::sscanf(line.c_str(), "Date: %3s, %2d %3s %4d %2d:%2d:%2d GMT", day, &tm.tm_mday,
                          month, &tm.tm_year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
              7)
        << line;
    tm.tm_year -= 1900;
    tm.tm_mon =
        static_cast<int>(std::find_if(std::begin(kMonths), std::end(kMonths),
                                      [&](const char* m) { return month == std::string(m); }) -
                         std::begin(kMonths));
    ASSERT_LT(tm.tm_mon, 12) << line;
    const std::time_t t = timegm(&tm);
    EXPECT_GE(t, before - 1) << line;
    EXPECT_LE(t, after + 1) << line;
    std::tm check{};
    gmtime_r(&t, &check);
    EXPECT_EQ(std::string(day), kDays[check.tm_wday]) << line;
    got.replace(at, end - at, "Date: D");
  }
  EXPECT_EQ(dates, 5);
  const std::string head = "HTTP/1.1 200 OK\r\n", len3 = "Content-Length: 3\r\n";
  const std::string keepAlive7 = "Connection: keep-alive\r\nKeep-Alive: timeout=7\r\n\r\nabc";
  EXPECT_EQ(got, head + len3 + "Date: D\r\n" + keepAlive7 +                               //
                     head + len3 + keepAlive7 +                                           //
                     head + "Keep-Alive: timeout=9\r\n" + len3 + "Date: D\r\n" +          //
                     "Connection: keep-alive\r\n\r\nabc" +                                //
                     head + "Connection: keep-alive\r\n" + len3 + "Date: D\r\n\r\nabc" +  //
                     head + "Date: then\r\n" + len3 + keepAlive7 +                        //
                     head + len3 + "Date: D\r\n" + keepAlive7 +                           //
                     head + len3 + keepAlive7 +                                           //
                     head + len3 + "Date: D\r\nConnection: close\r\n\r\nabc");
}

TEST(HttpResponse, AnInvalidStatusCodeThrowsAtEndAndSendsNothing) {
  EVNODE_WATCHDOG(30);
  std::string thrown;
  auto server = createServer([&](const RequestPtr&, const ResponsePtr& res) {
    res->sendDate = false;
    res->statusCode = 1000;
    try {
      res->end("never");
    } catch (const Exception& e) {
      thrown = e.code();
    }
    EXPECT_FALSE(res->headersSent());
    EXPECT_FALSE(res->writableEnded());
    // The handler can still answer properly.
    res->statusCode = 200;
    res->end("fixed");
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(portOf(server), get("/", true), [&](RawConn& c) {
    got = c.got;
    server->close();
  });
  run();
  EXPECT_EQ(thrown, "ERR_HTTP_INVALID_STATUS_CODE");
  EXPECT_EQ(got, ok("fixed", true));
}

// One write carrying requests whose answers take every path: small end(data), end() with
// nothing, HEAD, 204, a body too big to be copied next to its head, write()+end(), an interim
// 103, an answer given later, and the last one closing the connection.
TEST(HttpResponse, PipelinedBatchMixingEveryKindOfResponse) {
  EVNODE_WATCHDOG(30);
  const std::string big(5000, 'b');
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    const std::string& u = req->url;
    if (u == "/small") {
      res->end("s");
    } else if (u == "/empty") {
      res->end();
    } else if (u == "/head") {
      res->end("not sent for HEAD");
    } else if (u == "/204") {
      res->statusCode = 204;
      res->end();
    } else if (u == "/big") {
      res->end(Buffer::from(big));
    } else if (u == "/bigtext") {
      res->end(big);
    } else if (u == "/pieces") {
      res->write("a");
      res->write("b");
      res->end();
    } else if (u == "/hints") {
      res->writeEarlyHints({{"Link", "</a.css>; rel=preload"}});
      res->end("h");
    } else if (u == "/later") {
      setTimeout([res] { res->end("late"); }, 50);
    } else {
      res->end("last");
    }
  });
  server->listen(0, "127.0.0.1");
  std::string batch = get("/small") + get("/empty") + "HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n" +
                      get("/204") + get("/big") + get("/later") + get("/bigtext") + get("/pieces") +
                      get("/hints") + get("/small") + get("/last", true);
  std::string got;
  rawClient(portOf(server), batch, [&](RawConn& c) {
    got = c.got;
    server->close();
  });
  run();
  const std::string expected = ok("s") + ok("") + "HTTP/1.1 200 OK\r\nContent-Length: 17\r\n" +
                               kKeepAlive + "HTTP/1.1 204 No Content\r\n" + kKeepAlive + ok(big) +
                               ok("late") + ok(big) +
                               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n" + kKeepAlive +
                               "1\r\na\r\n1\r\nb\r\n0\r\n\r\n" +
                               "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
                               ok("h") + ok("s") + ok("last", true);
  EXPECT_TRUE(got == expected) << got.substr(0, 600);
}

TEST(HttpResponse, AnUpgradeAfterPipelinedRequestsComesAfterTheirAnswers) {
  EVNODE_WATCHDOG(30);
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    res->end(req->url);
  });
  server->on(Server::Events::upgrade,
             [](const RequestPtr&, const SocketPtr& socket, const Buffer& head) {
               socket->write(
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n"
                   "Connection: Upgrade\r\n\r\n");
               socket->end(head);  // the bytes sent after the upgrade request, echoed
             });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(portOf(server),
            get("/a") + get("/b") +
                "GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"
                "raw bytes",
            [&](RawConn& c) {
              got = c.got;
              server->close();
            });
  run();
  EXPECT_EQ(got, ok("/a") + ok("/b") +
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: "
                     "Upgrade\r\n\r\nraw bytes");
}

// A handler of one connection answers a request waiting on another (long polling): each
// connection's bytes go to its own socket, in order, even while both are being batched.
TEST(HttpResponse, AHandlerAnsweringAnotherConnectionsRequest) {
  EVNODE_WATCHDOG(30);
  ResponsePtr waiting;
  std::shared_ptr<RawConn> second;
  std::string firstGot, secondGot;
  int done = 0;
  std::shared_ptr<Server> server;
  auto finish = [&] {
    if (++done == 2) server->close();
  };
  server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    if (req->url == "/wait") {
      waiting = res;
      // Now that it waits, the other connection sends its batch.
      second = rawClient(portOf(server), get("/x") + get("/release") + get("/after", true),
                         [&](RawConn& c) {
                           secondGot = c.got;
                           finish();
                         });
      return;
    }
    if (req->url == "/release") {
      // The answer to /x waits in this connection's batch: it must not end up on the other
      // socket, nor after this connection's later answers.
      waiting->end("released");
      waiting.reset();
      res->end("lease");
      return;
    }
    res->end(req->url);
  });
  server->listen(0, "127.0.0.1");
  rawClient(portOf(server), get("/wait", true), [&](RawConn& c) {
    firstGot = c.got;
    finish();
  });
  run();
  EXPECT_EQ(firstGot, ok("released", true));
  EXPECT_EQ(secondGot, ok("/x") + ok("lease") + ok("/after", true));
}

TEST(HttpResponse, AClientThatStopsHalfWayThroughTheBodyAbortsTheRequest) {
  EVNODE_WATCHDOG(30);
  bool aborted = false;
  std::string errorCode, received;
  std::shared_ptr<Server> server;
  server = createServer([&](const RequestPtr& req, const ResponsePtr&) {
    req->on(Readable::Events::data, [&](const Buffer& b) { received += b.toString(); });
    req->on(IncomingMessage::Events::aborted, [&] { aborted = true; });
    req->on(Stream::Events::error, [&](const Error& e) { errorCode = e.code; });
    req->on(Stream::Events::close, [&] { server->close(); });
  });
  server->listen(0, "127.0.0.1");
  auto c =
      rawClient(portOf(server), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");
  c->socket->on(net::Socket::Events::connect, [c] { c->socket->end(); });
  run();
  EXPECT_EQ(received, "hello");
  EXPECT_TRUE(aborted);
  EXPECT_EQ(errorCode, "ECONNRESET");
}

// Chunked bodies with trailers, pipelined behind each other and a GET, on two connections: the
// per-request state (and its chunked decoder) is reused across requests and connections.
TEST(HttpResponse, ChunkedBodiesWithTrailersBackToBack) {
  EVNODE_WATCHDOG(30);
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    auto body = std::make_shared<std::string>();
    req->on(Readable::Events::data, [body](const Buffer& b) { *body += b.toString(); });
    req->on(Readable::Events::end, [req, res, body] {
      res->sendDate = false;
      res->end(req->method + " " + *body + " " + req->trailers.value("x-sum", "-"));
    });
  });
  server->listen(0, "127.0.0.1");
  const std::string chunked =
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n";
  const std::string batch = chunked + chunked + get("/", true);
  const std::string expected = ok("POST abcde 5") + ok("POST abcde 5") + ok("GET  -", true);
  std::vector<std::string> got(2);
  int done = 0;
  for (int i = 0; i < 2; i++) {
    rawClient(portOf(server), batch, [&, i](RawConn& c) {
      got[static_cast<std::size_t>(i)] = c.got;
      if (++done == 2) server->close();
    });
  }
  run();
  EXPECT_EQ(got[0], expected);
  EXPECT_EQ(got[1], expected);
}

// The last response of a connection is followed by the FIN only once all of it went out: a
// small one at once, one bigger than the socket buffers after it drained.
TEST(HttpResponse, TheLastResponseArrivesWholeBeforeTheConnectionCloses) {
  EVNODE_WATCHDOG(60);
  const std::string big(32u << 20, 'z');
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    if (req->url == "/big") {
      res->end(Buffer::from(big));
    } else {
      res->end("small");
    }
  });
  server->listen(0, "127.0.0.1");
  std::string smallGot, bigGot;
  int done = 0;
  auto finish = [&] {
    if (++done == 2) server->close();
  };
  rawClient(portOf(server), get("/small", true), [&](RawConn& c) {
    smallGot = c.got;
    finish();
  });
  auto slow = rawClient(portOf(server), get("/big", true), [&](RawConn& c) {
    bigGot = std::move(c.got);
    finish();
  });
  // The big one is read only after a while: the server's socket is backed up meanwhile.
  slow->socket->pause();
  setTimeout([slow] { slow->socket->resume(); }, 300);
  run();
  EXPECT_EQ(smallGot, ok("small", true));
  EXPECT_TRUE(bigGot == ok(big, true)) << bigGot.size();
}

// A client that pipelines requests and does not read the answers: the server stops reading
// its requests once the answers back up (instead of queuing them without bound), and goes on
// when the client reads.
TEST(HttpResponse, APipeliningClientThatDoesNotReadIsNotReadEither) {
  EVNODE_WATCHDOG(60);
  const int total = 200000;  // ~7 MB of requests, ~20 MB of answers
  int answered = 0;
  std::size_t maxQueued = 0;
  std::uint64_t readWhileStalled = 0;
  std::shared_ptr<Server> server;
  server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    ++answered;
    maxQueued = std::max(maxQueued, req->socket->writableLength());
    res->sendDate = false;
    res->end(std::string(64, 'a'));
  });
  server->listen(0, "127.0.0.1");
  std::string batch;
  for (int i = 0; i < total; i++) batch += get("/", i == total - 1);
  const std::string one = ok(std::string(64, 'a'));
  std::size_t got = 0;
  std::shared_ptr<RawConn> c;
  c = rawClient(portOf(server), "", [&](RawConn&) { server->close(); });
  c->socket->pause();  // reads nothing at first
  c->socket->on(net::Socket::Events::connect, [&] { c->socket->write(batch); });
  c->socket->removeAllListeners(net::Socket::Events::data);
  c->socket->on(net::Socket::Events::data, [&](const Buffer& b) { got += b.length(); });
  setTimeout(
      [&] {
        readWhileStalled = static_cast<std::uint64_t>(answered);
        c->socket->resume();
      },
      500);
  run();
  EXPECT_EQ(answered, total);
  EXPECT_EQ(got, (total - 1) * one.size() + ok(std::string(64, 'a'), true).size());
  // Loopback buffers hold a few MB: far from all 200,000 answers were made while stalled, and
  // what waited in the server's socket stayed around one read's worth of answers.
  EXPECT_LT(readWhileStalled, static_cast<std::uint64_t>(total) / 2);
  EXPECT_LT(maxQueued, 1u << 20);
}

// A request without a body is complete at once, and its stream ends whenever (and however) the
// handler reads it: `data`/`end` listeners, a `readable` listener with read(), a pipe, or a
// read that starts later.
TEST(HttpResponse, ABodilessRequestEndsHoweverItIsRead) {
  EVNODE_WATCHDOG(30);
  std::vector<std::string> ended;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    EXPECT_TRUE(req->complete);
    const std::string u = req->url;
    auto done = [&ended, res, u] {
      ended.push_back(u);
      res->end(u);
    };
    if (u == "/data") {
      req->on(Readable::Events::data, [](const Buffer&) { ADD_FAILURE() << "data"; });
      req->on(Readable::Events::end, done);
    } else if (u == "/readable") {
      req->on(Readable::Events::readable, [req] {
        while (auto chunk = req->read()) ADD_FAILURE() << "read " << chunk->length();
      });
      req->on(Readable::Events::end, done);
    } else if (u == "/pipe") {
      auto sink = std::make_shared<PassThrough>();
      sink->on(Readable::Events::data, [](const Buffer&) { ADD_FAILURE() << "piped data"; });
      sink->on(Readable::Events::end, done);
      req->pipe(sink);
    } else {  // /later: nobody reads until the response is due
      setTimeout(
          [req, done] {
            req->on(Readable::Events::end, done);
            req->resume();
          },
          20);
    }
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(portOf(server), get("/data") + get("/readable") + get("/pipe") + get("/later", true),
            [&](RawConn& c) {
              got = c.got;
              server->close();
            });
  run();
  EXPECT_EQ(got, ok("/data") + ok("/readable") + ok("/pipe") + ok("/later", true));
  EXPECT_EQ(ended, (std::vector<std::string>{"/data", "/readable", "/pipe", "/later"}));
}

// The new owner of a socket handed over by `upgrade` or `connect` gets a plain socket: the
// connection's listeners and its direct read path are gone, later bytes are not parsed as HTTP,
// and pause() holds them in the stream until resume().
void handOverIsPlain(const std::string& request, const std::string& reply, bool upgrade) {
  std::size_t listenersAtHandOver = 99, heldWhilePaused = 0;
  auto server = createServer([](const RequestPtr&, const ResponsePtr& res) { res->end("no"); });
  auto takeOver = [&](const RequestPtr&, const SocketPtr& socket, const Buffer& head) {
    EXPECT_TRUE(head.empty());
    listenersAtHandOver = socket->listenerCount(net::Socket::Events::data);
    socket->write(reply);
    net::Socket* raw = socket.get();
    socket->on(net::Socket::Events::data, [&, raw](const Buffer& b) {
      std::string text(b.view());
      raw->write("echo:" + text);
      if (text == "ping") {
        // Paused, the client's answer ("pong") must wait in the stream.
        raw->pause();
        auto check = std::make_shared<std::function<void()>>();
        *check = [&, raw, check] {
          if (raw->readableLength() < 4) {
            setTimeout([check] { (*check)(); }, 5);
            return;
          }
          heldWhilePaused = raw->readableLength();
          raw->resume();
          *check = nullptr;
        };
        (*check)();
      } else {
        raw->end();
      }
    });
  };
  if (upgrade) {
    server->on(Server::Events::upgrade, takeOver);
  } else {
    server->on(Server::Events::connect, takeOver);
  }
  server->listen(0, "127.0.0.1");
  auto c = rawClient(portOf(server), request, [&](RawConn&) { server->close(); });
  RawConn* raw = c.get();
  c->socket->on(net::Socket::Events::data, [raw, reply](const Buffer&) {
    if (raw->got == reply) raw->socket->write("ping");
    if (raw->got == reply + "echo:ping") raw->socket->write("pong");
  });
  run();
  EXPECT_EQ(listenersAtHandOver, 0u);
  EXPECT_EQ(heldWhilePaused, 4u);
  EXPECT_EQ(c->got, reply + "echo:pingecho:pong");
}

TEST(HttpResponse, AnUpgradedSocketIsAPlainSocketForItsNewOwner) {
  EVNODE_WATCHDOG(30);
  handOverIsPlain(
      get("/a").substr(0, get("/a").size() - 2) + "Connection: Upgrade\r\nUpgrade: echo\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n", true);
}

TEST(HttpResponse, ACONNECTTunnelIsAPlainSocketForItsNewOwner) {
  EVNODE_WATCHDOG(30);
  handOverIsPlain("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
                  "HTTP/1.1 200 Connection Established\r\n\r\n", false);
}

}  // namespace
}  // namespace evnode::http::e2e

namespace evnode::http::e2e {
namespace {

// Node's getHeaders() keys are lower-case, whatever case setHeader was given; the wire keeps the
// case the handler used.
TEST(HttpResponse, GetHeadersNamesAreLowerCase) {
  EVNODE_WATCHDOG(30);
  HeaderList seen;
  auto server = createServer([&](const RequestPtr&, const ResponsePtr& res) {
    res->sendDate = false;
    res->setHeader("X-Mixed-Case", "1");
    res->setHeader("Set-Cookie", std::vector<std::string>{"a=1", "b=2"});
    seen = res->getHeaders();
    res->end();
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(portOf(server), get("/", true), [&](RawConn& c) {
    got = c.got;
    server->close();
  });
  run();
  EXPECT_EQ(seen,
            (HeaderList{{"x-mixed-case", "1"}, {"set-cookie", "a=1"}, {"set-cookie", "b=2"}}));
  EXPECT_NE(got.find("X-Mixed-Case: 1\r\n"), std::string::npos) << got;
}

}  // namespace
}  // namespace evnode::http::e2e

namespace evnode::http::e2e {
namespace {

// pipe() calls the response's own write() and end() (they are virtual), so a piped body is
// framed exactly as the same calls made directly: an empty source gives `Content-Length: 0`,
// not a chunked body, and a body in pieces the same chunked bytes. A socket piped into gets
// the socket's batching the same way (one writev for what a turn wrote).
TEST(HttpResponse, APipedBodyIsFramedAsTheSameCallsMadeDirectly) {
  EVNODE_WATCHDOG(30);
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    const bool piped = req->url.starts_with("/piped");
    const bool empty = req->url.ends_with("empty");
    if (!piped) {
      if (!empty) res->write("abc");
      res->end();
      return;
    }
    auto src = std::make_shared<PassThrough>();
    src->pipe(res);
    if (!empty) src->write("abc");
    src->end();
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  rawClient(
      portOf(server),
      get("/direct-empty") + get("/piped-empty") + get("/direct-body") + get("/piped-body", true),
      [&](RawConn& c) {
        got = c.got;
        server->close();
      });
  run();
  const std::string empty = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n" + kKeepAlive;
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n" + kKeepAlive + "3\r\nabc\r\n0\r\n\r\n";
  const std::string last =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: "
      "close\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  EXPECT_EQ(got, empty + empty + chunked + last);
}

}  // namespace
}  // namespace evnode::http::e2e

namespace evnode::http::e2e {
namespace {

// ServerResponse and ClientRequest share Node's OutgoingMessage: code written against the base
// sets headers on either, and the head-sent rule is the same.
void tag(OutgoingMessage& m, const std::string& who) {
  m.setHeader("X-From", who).setHeader("X-Tags", std::vector<std::string>{"a", "b"});
  m.removeHeader("x-tags");
  EXPECT_TRUE(m.hasHeader("x-from"));
  auto names = m.getHeaderNames();  // a request also has its Host, as in Node
  EXPECT_NE(std::find(names.begin(), names.end(), "x-from"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "x-tags"), names.end());
}

TEST(HttpOutgoingMessage, RequestAndResponseShareTheHeaderApi) {
  EVNODE_WATCHDOG(30);
  std::string seenByServer, seenByClient, afterSent;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    seenByServer = req->headers.value("x-from");
    tag(*res, "server");
    res->end("ok");
    try {
      static_cast<OutgoingMessage&>(*res).setHeader("X-Late", "1");
    } catch (const Exception& e) {
      afterSent = e.code();
    }
  });
  server->listen(0, "127.0.0.1");
  RequestOptions o;
  o.host = "127.0.0.1";
  o.port = server->address().port;
  auto req = request(o, [&](const IncomingMessagePtr& res) {
    seenByClient = res->headers.value("x-from");
    res->resume();
    res->on(IncomingMessage::Events::end, [&] { server->close(); });
  });
  tag(*req, "client");
  req->end();
  run();
  EXPECT_EQ(seenByServer, "client");
  EXPECT_EQ(seenByClient, "server");
  EXPECT_EQ(afterSent, "ERR_HTTP_HEADERS_SENT");
}

}  // namespace
}  // namespace evnode::http::e2e
