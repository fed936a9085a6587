// The server's answer depends on the bytes a client sent, never on how they were cut into
// reads: every request below goes out whole, byte by byte, cut once at every offset and cut at
// random places (split_support.h), each split on its own connection, and every split must get
// the bytes (and the close, or not) of the single write, which must be the expected answer.
//
// Also: responses carry only the headers their own handler set, across many connections and
// every response path (a recycled header list once carried an earlier request's Authorization
// and Cookie into another connection's response).
#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "evnode/http.h"
#include "evnode/loop.h"
#include "http/e2e_support.h"
#include "http/parser.h"
#include "http/split_support.h"

namespace evnode::http::e2e {
namespace {

using namespace std::literals;

const std::string kKeepAlive = "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n";
const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";

// Answers each request, once its body is in, with what arrived: method and target, trailers,
// and the body. Headers by writeHead (the setHeader path has a test of its own).
void echo(const RequestPtr& req, const ResponsePtr& res) {
  auto body = std::make_shared<std::string>();
  req->on(Readable::Events::data, [body](const Buffer& b) { body->append(b.view()); });
  req->on(Readable::Events::end, [req, res, body] {
    res->sendDate = false;
    std::string trailers;
    for (const auto& [n, v] : req->trailers.raw()) trailers += n + "=" + v + ";";
    res->writeHead(200, {{"X-Request", req->method + " " + req->url}, {"X-Trailers", trailers}});
    res->end("body=" + *body);
  });
}

// echo()'s answer.
std::string echoed(const std::string& methodAndUrl, const std::string& body,
                   const std::string& trailers = "", bool head = false, bool close = false) {
  return "HTTP/1.1 200 OK\r\nX-Request: " + methodAndUrl + "\r\nX-Trailers: " + trailers +
         "\r\nContent-Length: " + std::to_string(5 + body.size()) + "\r\n" +
         (close ? "Connection: close\r\n" : kKeepAlive) + "\r\n" + (head ? "" : "body=" + body);
}

std::string statusOnly(int status) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(STATUS_CODES(status)) +
         "\r\nConnection: close\r\n\r\n";
}

struct Case {
  std::string name;
  std::string request;
  Reply expected;
};

// Runs every split of each case against a fresh echo server.
void expectEchoedAlike(const std::vector<Case>& cases, const SplitOptions& o = {}) {
  for (const Case& c : cases) {
    auto server = createServer(echo);
    server->listen(0, "127.0.0.1");
    const auto splits = splitsOf(c.request.size(), o);
    const auto replies = deliverSplits(server, c.request, splits, o);
    expectSameReplies(c.name, c.request, splits, replies, c.expected, o);
  }
}

TEST(SplitDelivery, WellFormedRequestsGetTheSameAnswerHoweverTheyAreCut) {
  EVNODE_WATCHDOG(120);
  const std::string chunked =
      "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n6;a=\"q;\\\"x\";b\r\n world\r\n0\r\nX-Sum: abc\r\nX-Other: d\r\n\r\n";
  const std::vector<Case> cases = {
      {"GET",
       "GET /a?b=c HTTP/1.1\r\nHost: a\r\nUser-Agent: split\r\n\r\n",
       {echoed("GET /a?b=c", ""), false}},
      {"GET after empty lines",
       "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
       {echoed("GET /", ""), false}},
      {"HTTP/1.0 GET",
       "GET /old HTTP/1.0\r\n\r\n",
       {echoed("GET /old", "", "", false, true), true}},
      // A HEAD answer announces the GET body's length and carries no body.
      {"HEAD", "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n", {echoed("HEAD /h", "", "", true), false}},
      {"POST with Content-Length",
       "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
       {echoed("POST /p", "hello world"), false}},
      {"chunked with extensions and trailers",
       chunked,
       {echoed("POST /c", "hello world", "X-Sum=abc;X-Other=d;"), false}},
      {"Expect: 100-continue",
       "PUT /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
       {"HTTP/1.1 100 Continue\r\n\r\n" + echoed("PUT /e", "body"), false}},
      {"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", {echoed("OPTIONS *", ""), false}},
      {"two pipelined",
       "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
       {echoed("GET /1", "") + echoed("GET /2", ""), false}},
      {"five pipelined, the last one closes",
       "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
       "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
       "HEAD /3 HTTP/1.1\r\nHost: a\r\n\r\n" +
           chunked + "GET /5 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
       {echoed("GET /1", "") + echoed("POST /2", "abc") + echoed("HEAD /3", "", "", true) +
            echoed("POST /c", "hello world", "X-Sum=abc;X-Other=d;") +
            echoed("GET /5", "", "", false, true),
        true}},
      // Nothing is read after a request that closes the connection.
      {"a request after Connection: close is not answered",
       "GET /1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" + kSmuggled,
       {echoed("GET /1", "", "", false, true), true}},
  };
  expectEchoedAlike(cases);
}

TEST(SplitDelivery, MalformedRequestsGetTheSameErrorHoweverTheyAreCut) {
  EVNODE_WATCHDOG(120);
  // Each is followed by a request that must never be answered.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"CL+TE",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n"},
      {"TE+CL",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: "
       "5\r\n\r\n0\r\n\r\n"},
      {"two Content-Length",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n"},
      {"obs-fold hiding a Content-Length",
       "POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n Content-Length: 5\r\n\r\nhello"},
      {"space before colon", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello"},
      {"bare LF", "GET / HTTP/1.1\nHost: a\n\n"},
      {"bare CR in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"},
      {"NUL in a value", std::string("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 35)},
      {"two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
      {"no Host", "GET / HTTP/1.1\r\nX: a\r\n\r\n"},
      {"bad method byte", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"chunk size not hex",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"},
      {"junk after chunk data",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n"},
      {"TE chunked then gzip",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "gzip\r\n\r\n0\r\n\r\n"},
  };
  std::vector<Case> cases;
  for (const auto& [name, request] : bad) {
    cases.push_back({name, request + kSmuggled, {statusOnly(400), true}});
  }
  cases.push_back(
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n" + kSmuggled, {statusOnly(505), true}});
  // A good request first: answered, then the error.
  cases.push_back({"good then bad",
                   "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nX: a\r\n "
                   "b\r\n\r\n" +
                       kSmuggled,
                   {echoed("GET /1", "") + statusOnly(400), true}});
  int smuggled = 0;
  for (const Case& c : cases) {
    auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
      if (req->url == "/smuggled") ++smuggled;
      echo(req, res);
    });
    server->listen(0, "127.0.0.1");
    const auto splits = splitsOf(c.request.size());
    // Once every split is answered, the server still serves a good request.
    std::string after;
    const auto replies = deliverSplits(server, c.request, splits, {}, [&](auto close) {
      rawClient(server->address().port,
                "GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                [&, close](RawConn& rc) {
                  after = rc.got;
                  close();
                });
    });
    expectSameReplies(c.name, c.request, splits, replies, c.expected);
    EXPECT_EQ(normaliseDate(after), echoed("GET /after", "", "", false, true)) << c.name;
  }
  EXPECT_EQ(smuggled, 0);
}

// CONNECT without a `connect` listener: nobody takes the tunnel, the socket is closed at once
// and nothing after the head is read, however the head arrived.
TEST(SplitDelivery, ConnectWithoutAListenerClosesAndAnswersNothing) {
  EVNODE_WATCHDOG(120);
  const std::string request = "CONNECT a:80 HTTP/1.1\r\nHost: a\r\n\r\n" + kSmuggled;
  std::vector<std::string> seen;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    seen.push_back(req->method + " " + req->url);
    echo(req, res);
  });
  server->listen(0, "127.0.0.1");
  const auto splits = splitsOf(request.size());
  const auto replies = deliverSplits(server, request, splits);
  expectSameReplies("CONNECT, no listener", request, splits, replies, Reply{"", true});
  EXPECT_TRUE(seen.empty()) << seen.size() << " requests reached the handler, the first "
                            << seen.front();
}

// The listener of a hand-over (`connect`, `upgrade`) gets the bytes after the head exactly:
// the ones read with it as `head`, the rest from the socket. It answers, then echoes them.
void handOverGetsTheTunnelBytes(const std::string& label, const std::string& headBytes,
                                const std::string& answer, bool upgrade) {
  const std::string tunnel = "\x00\x01tunnel bytes\r\n\r\nGET /not-http HTTP/1.1\r\n\r\n"s;
  const std::string request = headBytes + tunnel;
  std::vector<std::shared_ptr<std::string>> received;  // per hand-over
  int handled = 0, handOvers = 0;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    ++handled;
    echo(req, res);
  });
  auto takeOver = [&](const RequestPtr&, const SocketPtr& socket, const Buffer& head) {
    ++handOvers;
    net::Socket* raw = socket.get();
    auto got = std::make_shared<std::string>(head.view());
    received.push_back(got);
    socket->write(answer + std::string(head.view()));
    socket->on(net::Socket::Events::data, [got, raw](const Buffer& b) {
      got->append(b.view());
      raw->write(b);
    });
    socket->on(net::Socket::Events::end, [raw] { raw->end(); });
  };
  server->on(upgrade ? Server::Events::upgrade : Server::Events::connect, takeOver);
  server->listen(0, "127.0.0.1");
  const auto splits = splitsOf(request.size());
  const auto replies = deliverSplits(server, request, splits);
  expectSameReplies(label, request, splits, replies, Reply{answer + tunnel, false});
  EXPECT_EQ(handled, 0) << label;
  EXPECT_EQ(handOvers, static_cast<int>(splits.size())) << label;
  for (const auto& got : received) EXPECT_EQ(escapeBytes(*got), escapeBytes(tunnel)) << label;
}

TEST(SplitDelivery, ConnectWithAListenerGetsTheExactTunnelBytes) {
  EVNODE_WATCHDOG(120);
  handOverGetsTheTunnelBytes("CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
                             "HTTP/1.1 200 Connection Established\r\n\r\n", false);
}

TEST(SplitDelivery, UpgradeWithAListenerGetsTheExactBytesAfterTheHead) {
  EVNODE_WATCHDOG(120);
  handOverGetsTheTunnelBytes(
      "Upgrade", "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n", true);
}

// A handler that builds its answer with setHeader: the answer holds what it set and the
// server's framing, nothing else, whatever the requests and responses before it (on this
// connection or another) carried. Each answer sets a name of its own, so that a list left over
// from an earlier answer shows too.
TEST(SplitDelivery, SetHeaderAnswersCarryOnlyWhatTheHandlerSet) {
  EVNODE_WATCHDOG(120);
  const std::string request =
      "GET /s HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer SECRET-1\r\nCookie: id=SECRET-2\r\n\r\n"
      "POST /t HTTP/1.1\r\nHost: a\r\nX-Api-Key: SECRET-3\r\nContent-Length: 2\r\n\r\nhi"
      "GET /u HTTP/1.1\r\nHost: a\r\n\r\n";
  auto server = createServer([](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    if (req->url != "/u") res->setHeader("Content-Type", "text/plain");
    res->setHeader("X-Set-For-" + req->url.substr(1), "1");
    res->end("ok");
  });
  server->listen(0, "127.0.0.1");
  auto answer = [](const std::string& fields) {
    return "HTTP/1.1 200 OK\r\n" + fields + "Content-Length: 2\r\n" + kKeepAlive + "\r\nok";
  };
  const auto splits = splitsOf(request.size());
  const auto replies = deliverSplits(server, request, splits);
  expectSameReplies("setHeader", request, splits, replies,
                    Reply{answer("Content-Type: text/plain\r\nX-Set-For-s: 1\r\n") +
                              answer("Content-Type: text/plain\r\nX-Set-For-t: 1\r\n") +
                              answer("X-Set-For-u: 1\r\n"),
                          false});
}

// ---------------------------------------------------------------------------------------------
// Responses across connections

// One response off the wire.
struct Answer {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Splits `bytes` into responses (the requests' methods say which had no body). False if the
// bytes are not a sequence of whole responses.
bool parseAnswers(std::string_view bytes, const std::vector<bool>& wasHead,
                  std::vector<Answer>& out) {
  std::array<Header, 64> fields;
  std::size_t i = 0;
  while (!bytes.empty()) {
    ResponseHead head;
    std::ptrdiff_t n = parseResponse(bytes, head, fields);
    if (n <= 0) return false;
    Answer a;
    a.status = head.status;
    for (const Header& h : head.headers) a.headers.emplace_back(h.name, h.value);
    bytes.remove_prefix(static_cast<std::size_t>(n));
    if (head.status >= 100 && head.status < 200) continue;  // interim
    const bool isHead = i < wasHead.size() && wasHead[i];
    switch (responseBodyKind(head, isHead)) {
      case BodyKind::kNone:
        break;
      case BodyKind::kContentLength:
        if (bytes.size() < head.contentLength) return false;
        a.body = std::string(bytes.substr(0, head.contentLength));
        bytes.remove_prefix(head.contentLength);
        break;
      case BodyKind::kChunked: {
        ChunkedDecoder dec;
        std::size_t used = dec.decodeAll(bytes, [&](std::string_view d) { a.body.append(d); });
        if (!dec.done()) return false;
        bytes.remove_prefix(used);
        break;
      }
      case BodyKind::kUntilClose:
        a.body = std::string(bytes);
        bytes = {};
        break;
    }
    out.push_back(std::move(a));
    ++i;
  }
  return true;
}

// What each route's handler sets, by name and value, in order; the server adds only framing
// (Content-Length or Transfer-Encoding, Connection, Keep-Alive) and Date.
struct Route {
  std::string path;
  int status;
  std::vector<std::pair<std::string, std::string>> set;  // what the handler set
  std::string body;                                      // what the client must get
  std::function<void(const RequestPtr&, const ResponsePtr&, const std::string& tag)> handle;
};

std::vector<Route> routes() {
  std::vector<Route> r;
  r.push_back({"/set-end",
               200,
               {{"Content-Type", "text/plain"}, {"X-Tag", "*"}},
               "set-end",
               [](auto, auto res, const std::string& tag) {
                 res->setHeader("Content-Type", "text/plain");
                 res->setHeader("X-Tag", tag);
                 res->end("set-end");
               }});
  r.push_back({"/head-list",
               201,
               {{"X-Tag", "*"}, {"X-Two", "2"}},
               "list",
               [](auto, auto res, const std::string& tag) {
                 HeaderList list = {{"X-Tag", tag}, {"X-Two", "2"}};
                 res->writeHead(201, list);
                 res->end("list");
               }});
  r.push_back(
      {"/head-views", 202, {{"X-Tag", "*"}}, "views", [](auto, auto res, const std::string& tag) {
         res->writeHead(202, {{"X-Tag", tag}});
         res->end("views");
       }});
  r.push_back({"/chunked",
               200,
               {{"X-Tag", "*"}},
               "chunk-one,chunk-two",
               [](auto, auto res, const std::string& tag) {
                 res->setHeader("X-Tag", tag);
                 res->write("chunk-one,");
                 res->end("chunk-two");
               }});
  r.push_back({"/empty", 200, {}, "", [](auto, auto res, const std::string&) { res->end(); }});
  r.push_back(
      {"/not-modified", 304, {{"ETag", "\"*\""}}, "", [](auto, auto res, const std::string& tag) {
         res->statusCode = 304;
         res->setHeader("ETag", "\"" + tag + "\"");
         res->end();
       }});
  r.push_back({"/missing",
               404,
               {{"X-Tag", "*"}, {"Content-Type", "text/html"}},
               "not found",
               [](auto, auto res, const std::string& tag) {
                 res->statusCode = 404;
                 res->setHeader("X-Tag", tag);
                 res->setHeader("Content-Type", "text/html");
                 res->end("not found");
               }});
  r.push_back(
      {"/removed", 200, {{"X-Tag", "*"}}, "removed", [](auto, auto res, const std::string& tag) {
         res->setHeader("X-Gone", "gone");
         res->setHeader("X-Tag", tag);
         res->setHeader("Cache-Control", "no-store");
         res->removeHeader("x-gone");
         res->removeHeader("Cache-Control");
         res->end("removed");
       }});
  r.push_back({"/set-then-head",
               200,
               {{"X-Tag", "*"}, {"X-Late", "1"}},
               "merged",
               [](auto, auto res, const std::string& tag) {
                 res->setHeader("X-Tag", tag);
                 res->writeHead(200, {{"X-Late", "1"}});
                 res->end("merged");
               }});
  // The echo example: the request's Content-Type comes back, the body is piped.
  r.push_back({"/echo",
               200,
               {{"Content-Type", "application/x-*"}},
               "echo:*",
               [](auto req, auto res, const std::string&) {
                 if (auto type = req->headers.get("content-type")) {
                   res->setHeader("Content-Type", *type);
                 }
                 req->pipe(res);
               }});
  return r;
}

std::string fill(const std::string& pattern, const std::string& tag) {
  std::string s = pattern;
  for (std::size_t at = s.find('*'); at != std::string::npos; at = s.find('*'))
    s.replace(at, 1, tag);
  return s;
}

TEST(SplitDelivery, ResponsesCarryOnlyTheirOwnHeadersAcrossManyConnections) {
  EVNODE_WATCHDOG(120);
  const auto table = routes();
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    const std::string tag = req->headers.value("x-tag");
    const std::string path = req->url.substr(0, req->url.find('?'));
    for (const Route& r : table) {
      if (r.path == path) return r.handle(req, res, tag);
    }
    res->statusCode = 500;
    res->end();
  });
  server->listen(0, "127.0.0.1");
  const int kConnections = 200;
  struct Sent {
    std::string bytes;
    std::vector<std::size_t> route;
    std::vector<std::string> tag;
    std::vector<bool> head;
    std::string got;
  };
  std::vector<Sent> sent(kConnections);
  SplitRng rng{0xc0ffee};
  for (int c = 0; c < kConnections; ++c) {
    Sent& s = sent[static_cast<std::size_t>(c)];
    const std::size_t n = 1 + rng.below(3);  // one to three requests, pipelined
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t route = rng.below(table.size() + 1);  // one past the end: HEAD
      const bool head = route == table.size();
      const std::size_t use = head ? 0 : route;
      const std::string tag = "t" + std::to_string(c) + "-" + std::to_string(i);
      const std::string secret = "SECRET-" + std::to_string(c) + "-" + std::to_string(i);
      std::string body = table[use].path == "/echo" ? "echo:" + tag : "";
      s.bytes += std::string(head           ? "HEAD "
                             : body.empty() ? "GET "
                                            : "POST ") +
                 table[use].path + "?c=" + std::to_string(c) +
                 " HTTP/1.1\r\nHost: a\r\nX-Tag: " + tag + "\r\nAuthorization: Bearer " + secret +
                 "\r\nCookie: session=" + secret + "\r\nX-Secret-" + std::to_string(c) + ": " +
                 secret +
                 (table[use].path == "/echo" ? "\r\nContent-Type: application/x-" + tag : "") +
                 (body.empty() ? "" : "\r\nContent-Length: " + std::to_string(body.size())) +
                 (i + 1 == n ? "\r\nConnection: close" : "") + "\r\n\r\n" + body;
      s.route.push_back(use);
      s.tag.push_back(tag);
      s.head.push_back(head);
    }
  }
  std::size_t done = 0;
  for (auto& s : sent) {
    rawClient(server->address().port, s.bytes, [&](RawConn& rc) {
      s.got = rc.got;
      if (++done == sent.size()) server->close();
    });
  }
  run();
  // Framing the server adds itself.
  const std::set<std::string> framing = {"content-length", "transfer-encoding", "connection",
                                         "keep-alive"};
  std::size_t checked = 0;
  for (std::size_t c = 0; c < sent.size(); ++c) {
    const Sent& s = sent[c];
    SCOPED_TRACE("connection " + std::to_string(c) + ": " + escapeBytes(s.bytes, 400));
    EXPECT_EQ(s.got.find("SECRET"), std::string::npos) << escapeBytes(s.got);
    std::vector<Answer> answers;
    ASSERT_TRUE(parseAnswers(s.got, s.head, answers)) << escapeBytes(s.got);
    ASSERT_EQ(answers.size(), s.route.size()) << escapeBytes(s.got);
    for (std::size_t i = 0; i < answers.size(); ++i) {
      const Route& r = table[s.route[i]];
      const Answer& a = answers[i];
      EXPECT_EQ(a.status, r.status) << r.path;
      std::vector<std::pair<std::string, std::string>> own;
      for (const auto& [n, v] : a.headers) {
        std::string lower;
        for (char ch : n) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (!framing.count(lower)) own.emplace_back(n, v);
      }
      std::vector<std::pair<std::string, std::string>> want;
      for (const auto& [n, v] : r.set) want.emplace_back(n, fill(v, s.tag[i]));
      EXPECT_EQ(own, want) << (s.head[i] ? "HEAD " : "") << r.path;
      EXPECT_EQ(a.body, s.head[i] ? "" : fill(r.body, s.tag[i])) << r.path;
      ++checked;
    }
  }
  EXPECT_GT(checked, static_cast<std::size_t>(kConnections));
}

}  // namespace
}  // namespace evnode::http::e2e
