// The HTTP client (http::request / get, ClientRequest, Agent) against our own server, raw socket
// servers that misbehave on purpose, and real peers: Node.js's http server, Python's
// http.server (HTTP/1.0, close-delimited bodies) and nginx.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "evnode/http.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "support/testing.h"

namespace {

using namespace evnode;
namespace et = evnode::testing;
using http::ClientRequest;
using http::IncomingMessage;
using http::IncomingMessagePtr;

// Reads a whole response body; `done` gets the body once `end` fires.
void collect(const IncomingMessagePtr& res, std::function<void(const std::string&)> done) {
  auto body = std::make_shared<std::string>();
  res->on(IncomingMessage::Events::data, [body](const Buffer& b) { body->append(b.view()); });
  res->on(IncomingMessage::Events::end, [body, done] { done(*body); });
}

// Our server on an ephemeral port; `handler` answers. Counts connections.
struct TestServer {
  std::shared_ptr<http::Server> server;
  int port = 0;
  int connections = 0;
  explicit TestServer(
      std::function<void(const http::RequestPtr&, const http::ResponsePtr&)> handler,
      http::ServerOptions opts = {}) {
    server = http::createServer(opts, std::move(handler));
    server->on(net::Server::Events::connection,
               [this](const std::shared_ptr<net::Socket>&) { ++connections; });
    server->listen(0, "127.0.0.1");
    port = server->address().port;
  }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
};

http::RequestOptions local(int port, const std::string& path = "/") {
  http::RequestOptions o;
  o.hostname = "127.0.0.1";
  o.port = port;
  o.path = path;
  return o;
}

TEST(HttpClient, GetReadsStatusHeadersAndBody) {
  EVNODE_WATCHDOG(10);
  TestServer s([](const http::RequestPtr& req, const http::ResponsePtr& res) {
    res->setHeader("X-Path", req->url);
    res->setHeader("X-Host", req->headers.value("host"));
    res->end("hello " + req->method);
  });
  int status = 0;
  std::string body, xpath, xhost;
  bool closed = false, gotSocket = false;
  auto req = http::get(s.url("/a/b?c=d"), [&](const IncomingMessagePtr& res) {
    status = res->statusCode;
    xpath = res->headers.value("x-path");
    xhost = res->headers.value("x-host");
    EXPECT_EQ(res->statusMessage, "OK");
    EXPECT_EQ(res->httpVersion, "1.1");
    collect(res, [&](const std::string& b) {
      body = b;
      s.server->close();
    });
  });
  req->on(ClientRequest::Events::socket, [&](const http::SocketPtr&) { gotSocket = true; });
  req->on(ClientRequest::Events::close, [&] { closed = true; });
  run();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "hello GET");
  EXPECT_EQ(xpath, "/a/b?c=d");
  EXPECT_EQ(xhost, "127.0.0.1:" + std::to_string(s.port));
  EXPECT_TRUE(gotSocket);
  EXPECT_TRUE(closed);
}

TEST(HttpClient, KeepAliveAgentReusesOneConnection) {
  EVNODE_WATCHDOG(10);
  TestServer s(
      [](const http::RequestPtr& req, const http::ResponsePtr& res) { res->end(req->url); });
  auto agent = http::Agent::create({.keepAlive = true});
  std::vector<std::string> bodies;
  std::vector<bool> reused;
  std::function<void(int)> next = [&](int i) {
    if (i == 5) {
      agent->destroy();
      s.server->close();
      return;
    }
    auto o = local(s.port, "/" + std::to_string(i));
    o.agent = agent;
    auto req = http::get(o, [&, i](const IncomingMessagePtr& res) {
      collect(res, [&, i](const std::string& b) {
        bodies.push_back(b);
        // The socket goes back to the pool once the response ended; the next request reuses it.
        setImmediate([&, i] { next(i + 1); });
      });
    });
    reused.push_back(false);
    req->on(ClientRequest::Events::socket,
            [&, req = req.get(), i](const http::SocketPtr&) { reused[i] = req->reusedSocket; });
  };
  next(0);
  run();
  ASSERT_EQ(bodies.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bodies[i], "/" + std::to_string(i));
  EXPECT_EQ(s.connections, 1);
  EXPECT_FALSE(reused[0]);
  for (int i = 1; i < 5; ++i) EXPECT_TRUE(reused[i]) << i;
}

TEST(HttpClient, MaxSocketsQueuesRequests) {
  EVNODE_WATCHDOG(15);
  int active = 0, maxActive = 0, done = 0;
  TestServer s([&](const http::RequestPtr&, const http::ResponsePtr& res) {
    maxActive = std::max(maxActive, ++active);
    setTimeout(
        [&, res] {
          --active;
          res->end("ok");
        },
        30);
  });
  auto agent = http::Agent::create({.keepAlive = true, .maxSockets = 5});
  std::size_t maxQueued = 0;
  for (int i = 0; i < 10; ++i) {
    auto o = local(s.port);
    o.agent = agent;
    http::get(o, [&](const IncomingMessagePtr& res) {
      collect(res, [&](const std::string& b) {
        EXPECT_EQ(b, "ok");
        if (++done == 10) {
          agent->destroy();
          s.server->close();
        }
      });
    });
    for (auto& [name, n] : agent->requests()) maxQueued = std::max(maxQueued, n);
  }
  run();
  EXPECT_EQ(done, 10);
  EXPECT_EQ(maxActive, 5);
  EXPECT_EQ(maxQueued, 5u);
  EXPECT_EQ(s.connections, 5);
}

TEST(HttpClient, ChunkedUploadAndChunkedDownloadAreByteExact) {
  EVNODE_WATCHDOG(20);
  const std::string up = et::randomBytes(3 << 20, 7);
  const std::string down = et::randomBytes(5 << 20, 8);
  std::string received, te, cl;
  TestServer s([&](const http::RequestPtr& req, const http::ResponsePtr& res) {
    te = req->headers.value("transfer-encoding");
    cl = req->headers.value("content-length", "none");
    req->on(IncomingMessage::Events::data, [&](const Buffer& b) { received.append(b.view()); });
    req->on(IncomingMessage::Events::end, [&, res] {
      // Written in pieces: the response is chunked too.
      for (std::size_t off = 0; off < down.size(); off += 100000)
        res->write(down.substr(off, 100000));
      res->end();
    });
  });
  std::string body, resTe;
  auto req = http::request(s.url("/up"), {.method = "POST"}, [&](const IncomingMessagePtr& res) {
    resTe = res->headers.value("transfer-encoding");
    collect(res, [&](const std::string& b) {
      body = b;
      s.server->close();
    });
  });
  // Written in uneven pieces with backpressure respected.
  std::size_t off = 0;
  std::function<void()> pump = [&] {
    while (off < up.size()) {
      std::size_t n = std::min<std::size_t>(up.size() - off, 1 + (off * 7919) % 70000);
      bool ok = req->write(up.substr(off, n));
      off += n;
      if (!ok) {
        req->once(ClientRequest::Events::drain, pump);
        return;
      }
    }
    req->end();
  };
  pump();
  run();
  EXPECT_EQ(te, "chunked");
  EXPECT_EQ(cl, "none");
  EXPECT_EQ(resTe, "chunked");
  EXPECT_TRUE(received == up) << received.size();
  EXPECT_TRUE(body == down) << body.size();
}

TEST(HttpClient, EndWithDataSendsContentLength) {
  EVNODE_WATCHDOG(10);
  std::string cl, te, body;
  TestServer s([&](const http::RequestPtr& req, const http::ResponsePtr& res) {
    cl = req->headers.value("content-length");
    te = req->headers.value("transfer-encoding", "none");
    collect(req, [&, res](const std::string& b) {
      body = b;
      res->end();
    });
  });
  auto req = http::request(s.url(), {.method = "PUT"}, [&](const IncomingMessagePtr& res) {
    res->resume();
    res->on(IncomingMessage::Events::end, [&] { s.server->close(); });
  });
  req->end("twelve bytes");
  run();
  EXPECT_EQ(cl, "12");
  EXPECT_EQ(te, "none");
  EXPECT_EQ(body, "twelve bytes");
}

TEST(HttpClient, ExpectContinueWaitsForTheServer) {
  EVNODE_WATCHDOG(10);
  std::string body;
  bool askedFirst = false;
  TestServer s([&](const http::RequestPtr& req, const http::ResponsePtr& res) {
    collect(req, [&, res](const std::string& b) {
      body = b;
      res->end("got " + std::to_string(b.size()));
    });
  });
  s.server->on(http::Server::Events::checkContinue,
               [&](const http::RequestPtr& req, const http::ResponsePtr& res) {
                 askedFirst = true;
                 res->writeContinue();
                 s.server->emit(http::Server::Events::request, req, res);
               });
  std::string answer;
  int infos = 0;
  auto req = http::request(s.url(), {.method = "POST", .headers = {{"Expect", "100-continue"}}},
                           [&](const IncomingMessagePtr& res) {
                             collect(res, [&](const std::string& b) {
                               answer = b;
                               s.server->close();
                             });
                           });
  req->on(ClientRequest::Events::information, [&](const http::InformationInfo& info) {
    EXPECT_EQ(info.statusCode, 100);
    ++infos;
  });
  req->on(ClientRequest::Events::continue_, [req = req.get()] { req->end("the body"); });
  req->flushHeaders();
  run();
  EXPECT_TRUE(askedFirst);
  EXPECT_EQ(infos, 1);
  EXPECT_EQ(body, "the body");
  EXPECT_EQ(answer, "got 8");
}

// A raw server: accepts, reads each request head, then does what `act` says with the socket.
struct RawServer {
  using Act =
      std::function<void(const std::shared_ptr<net::Socket>&, int conn, const std::string& head)>;
  std::shared_ptr<net::Server> server;
  int port = 0;
  int connections = 0;
  explicit RawServer(Act act) {
    server = net::createServer([this, act](const std::shared_ptr<net::Socket>& sock) {
      int n = connections++;
      auto buf = std::make_shared<std::string>();
      sock->on(net::Socket::Events::error, [](const Error&) {});
      // The listener holds the socket; it is dropped when the socket closes.
      sock->on(net::Socket::Events::data, [sock, buf, act, n](const Buffer& b) {
        buf->append(b.view());
        for (;;) {
          auto end = buf->find("\r\n\r\n");
          if (end == std::string::npos) return;
          std::string head = buf->substr(0, end + 4);
          buf->erase(0, end + 4);
          act(sock, n, head);
        }
      });
    });
    server->listen(0, "127.0.0.1");
    port = server->address().port;
  }
};

TEST(HttpClient, ServerClosingBeforeAnyResponseIsSocketHangUp) {
  EVNODE_WATCHDOG(10);
  RawServer s(
      [](const std::shared_ptr<net::Socket>& sock, int, const std::string&) { sock->destroy(); });
  Error err;
  bool response = false;
  auto req = http::get(local(s.port, "/"), [&](const IncomingMessagePtr&) { response = true; });
  req->on(ClientRequest::Events::error, [&](const Error& e) {
    err = e;
    s.server->close();
  });
  run();
  EXPECT_FALSE(response);
  EXPECT_EQ(err.code, "ECONNRESET");
  EXPECT_EQ(err.message, "socket hang up");
}

TEST(HttpClient, ResetMidBodyIsAnErrorNotATruncatedBody) {
  EVNODE_WATCHDOG(10);
  RawServer s([](const std::shared_ptr<net::Socket>& sock, int, const std::string&) {
    sock->write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
    setTimeout([sock] { sock->destroy(); }, 20);
  });
  bool aborted = false, ended = false;
  Error resErr;
  std::string got;
  http::get(local(s.port), [&](const IncomingMessagePtr& res) {
    res->on(IncomingMessage::Events::data, [&](const Buffer& b) { got.append(b.view()); });
    res->on(IncomingMessage::Events::aborted, [&] { aborted = true; });
    res->on(IncomingMessage::Events::end, [&] { ended = true; });
    res->on(IncomingMessage::Events::error, [&](const Error& e) { resErr = e; });
    res->on(IncomingMessage::Events::close, [&] { s.server->close(); });
  });
  run();
  EXPECT_EQ(got, "only ten b");
  EXPECT_TRUE(aborted);
  EXPECT_FALSE(ended);
  EXPECT_EQ(resErr.code, "ECONNRESET");
}

TEST(HttpClient, RefusedConnectionGivesEconnrefused) {
  EVNODE_WATCHDOG(10);
  int port = et::freePort();
  Error err;
  auto req = http::get(local(port),
                       [](const IncomingMessagePtr&) { ADD_FAILURE() << "no response expected"; });
  req->on(ClientRequest::Events::error, [&](const Error& e) { err = e; });
  run();
  EXPECT_EQ(err.code, "ECONNREFUSED");
  EXPECT_EQ(err.syscall, "connect");
}

TEST(HttpClient, MalformedResponseIsAParseError) {
  EVNODE_WATCHDOG(10);
  RawServer s([](const std::shared_ptr<net::Socket>& sock, int, const std::string&) {
    sock->write("HTTP/1.1 200 OK\r\nBad Header\r\n\r\n");
  });
  Error err;
  auto req = http::get(local(s.port), [](const IncomingMessagePtr&) { ADD_FAILURE(); });
  req->on(ClientRequest::Events::error, [&](const Error& e) {
    err = e;
    s.server->close();
  });
  run();
  EXPECT_EQ(err.code, "HPE_INVALID_HEADER_TOKEN");
}

// A chunk size that does not fit in 64 bits is Node's HPE_INVALID_CHUNK_SIZE on the request,
// emitted before the response's own `aborted` (ECONNRESET) error, and as soon as the bytes
// arrive: the server keeps the connection open.
TEST(HttpClient, OverflowingChunkSizeIsAParseErrorOnTheRequest) {
  EVNODE_WATCHDOG(10);
  RawServer s([](const std::shared_ptr<net::Socket>& sock, int, const std::string&) {
    sock->write(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
        "ffffffffffffffffff\r\n");
  });
  std::vector<std::string> errors;  // "req CODE" / "res CODE", in the order they came
  Error reqErr;
  std::string got;
  bool aborted = false, ended = false;
  auto req = http::get(local(s.port), [&](const IncomingMessagePtr& res) {
    res->on(IncomingMessage::Events::data, [&](const Buffer& b) { got.append(b.view()); });
    res->on(IncomingMessage::Events::aborted, [&] { aborted = true; });
    res->on(IncomingMessage::Events::end, [&] { ended = true; });
    res->on(IncomingMessage::Events::error,
            [&](const Error& e) { errors.push_back("res " + e.code); });
  });
  req->on(ClientRequest::Events::error, [&](const Error& e) {
    errors.push_back("req " + e.code);
    reqErr = e;
    s.server->close();
  });
  run();
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0], "req HPE_INVALID_CHUNK_SIZE");
  EXPECT_EQ(reqErr.message, "Parse Error: Invalid chunk size");
  EXPECT_EQ(errors, (std::vector<std::string>{"req HPE_INVALID_CHUNK_SIZE", "res ECONNRESET"}));
  EXPECT_EQ(got, "hello");
  EXPECT_TRUE(aborted);
  EXPECT_FALSE(ended);
}

// Writes interim responses on `sock`, `perWrite` at a time, for as long as the peer takes them.
void floodInterim(const std::shared_ptr<net::Socket>& sock, const std::string& interim,
                  int perWrite) {
  std::string batch;
  for (int i = 0; i < perWrite; ++i) batch += interim;
  std::weak_ptr<net::Socket> weak = sock;
  auto again = std::make_shared<std::function<void()>>();
  *again = [weak, batch, again] {
    auto s = weak.lock();
    if (!s || s->destroyed() || !s->writable()) {
      *again = nullptr;  // breaks the cycle
      return;
    }
    s->write(batch, [weak, again](const Error& e) {
      if (!e && *again)
        setImmediate([again] {
          if (*again) (*again)();
        });
    });
  };
  (*again)();
}

// A server that answers 100 Continue forever: the client reads kMaxInformational (32) of them,
// then fails with HPE_TOO_MANY_INFORMATIONAL and hangs up, instead of reading without end.
TEST(HttpClient, EndlessInterimResponsesAreCutOffWithAnError) {
  EVNODE_WATCHDOG(10);
  RawServer s([](const std::shared_ptr<net::Socket>& sock, int, const std::string&) {
    floodInterim(sock, "HTTP/1.1 100 Continue\r\n\r\n", 10);
  });
  Error err;
  int infos = 0, continues = 0;
  auto req = http::get(local(s.port), [](const IncomingMessagePtr&) { ADD_FAILURE(); });
  req->on(ClientRequest::Events::information, [&](const http::InformationInfo& i) {
    EXPECT_EQ(i.statusCode, 100);
    ++infos;
  });
  req->on(ClientRequest::Events::continue_, [&] { ++continues; });
  req->on(ClientRequest::Events::error, [&](const Error& e) {
    err = e;
    s.server->close();
  });
  run();
  EXPECT_EQ(err.code, "HPE_TOO_MANY_INFORMATIONAL");
  EXPECT_EQ(err.message, "Parse Error: Too many informational (1xx) responses");
  EXPECT_EQ(infos, 32);
  EXPECT_EQ(continues, 32);
}

// Up to the cap, interim responses (of any 1xx kind) are read and the final response follows;
// the count starts again for the next response on the same connection.
TEST(HttpClient, ThirtyTwoInterimResponsesAreStillRead) {
  EVNODE_WATCHDOG(10);
  RawServer s([](const std::shared_ptr<net::Socket>& sock, int, const std::string&) {
    std::string out;
    for (int i = 0; i < 32; ++i) {
      out += i % 2 ? "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                   : "HTTP/1.1 102 Processing\r\n\r\n";
    }
    sock->write(out + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  auto agent = http::Agent::create(http::AgentOptions{.keepAlive = true});
  int infos = 0;
  std::vector<std::string> bodies;
  std::function<void(int)> one = [&](int left) {
    auto o = local(s.port);
    o.agent = agent;
    auto req = http::get(o, [&, left](const IncomingMessagePtr& res) {
      collect(res, [&, left](const std::string& body) {
        bodies.push_back(body);
        if (left > 1) {
          one(left - 1);
        } else {
          agent->destroy();
          s.server->close();
        }
      });
    });
    req->on(ClientRequest::Events::information, [&](const http::InformationInfo&) { ++infos; });
    req->on(ClientRequest::Events::error, [&](const Error& e) {
      ADD_FAILURE() << e.code;
      agent->destroy();
      s.server->close();
    });
  };
  one(2);
  run();
  EXPECT_EQ(bodies, (std::vector<std::string>{"ok", "ok"}));
  EXPECT_EQ(infos, 64);
  EXPECT_EQ(s.connections, 1);
}

// The server closes an idle keep-alive connection; the next request quietly uses a new one.
TEST(HttpClient, IdleSocketClosedByServerIsDroppedFromThePool) {
  EVNODE_WATCHDOG(10);
  http::ServerOptions so;
  so.keepAliveTimeout = 100;
  so.connectionsCheckingInterval = 20;
  TestServer s([](const http::RequestPtr&, const http::ResponsePtr& res) { res->end("fine"); }, so);
  auto agent = http::Agent::create({.keepAlive = true});
  std::vector<std::string> bodies;
  auto o = local(s.port);
  o.agent = agent;
  http::get(o, [&](const IncomingMessagePtr& res) {
    collect(res, [&](const std::string& b) {
      bodies.push_back(b);
      setTimeout(
          [&] {
            EXPECT_TRUE(agent->freeSockets().empty());  // the server's FIN removed it
            auto req = http::get(o, [&](const IncomingMessagePtr& res2) {
              collect(res2, [&](const std::string& b2) {
                bodies.push_back(b2);
                agent->destroy();
                s.server->close();
              });
            });
            req->on(ClientRequest::Events::error,
                    [](const Error& e) { ADD_FAILURE() << e.message; });
          },
          400);
    });
  });
  run();
  EXPECT_EQ(bodies, (std::vector<std::string>{"fine", "fine"}));
  EXPECT_EQ(s.connections, 2);
}

// The race the pool cannot see coming: the server drops the reused connection just as the
// request arrives. A GET is sent again on a new connection.
TEST(HttpClient, IdempotentRequestOnADeadReusedSocketIsRetriedOnce) {
  EVNODE_WATCHDOG(10);
  RawServer s([](const std::shared_ptr<net::Socket>& sock, int conn, const std::string& head) {
    static int onFirst = 0;
    if (conn == 0 && onFirst++ == 0) {
      sock->write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
    } else if (conn == 0) {
      sock->destroy();  // the second request on the first connection: dropped unanswered
    } else {
      std::string path = head.substr(4, head.find(' ', 4) - 4);
      sock->write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(path.size()) + "\r\n\r\n" +
                  path);
    }
  });
  auto agent = http::Agent::create({.keepAlive = true});
  auto o = local(s.port, "/one");
  o.agent = agent;
  std::vector<std::string> bodies;
  http::get(o, [&](const IncomingMessagePtr& res) {
    collect(res, [&](const std::string& b) {
      bodies.push_back(b);
      setImmediate([&] {
        auto o2 = o;
        o2.path = "/two";
        auto req = http::get(o2, [&](const IncomingMessagePtr& res2) {
          collect(res2, [&](const std::string& b2) {
            bodies.push_back(b2);
            agent->destroy();
            s.server->close();
          });
        });
        req->on(ClientRequest::Events::error, [](const Error& e) { ADD_FAILURE() << e.message; });
      });
    });
  });
  run();
  EXPECT_EQ(bodies, (std::vector<std::string>{"first", "/two"}));
  EXPECT_EQ(s.connections, 2);
}

// A POST is not idempotent: the same failure surfaces as an error.
TEST(HttpClient, PostOnADeadReusedSocketIsNotRetried) {
  EVNODE_WATCHDOG(10);
  RawServer s([](const std::shared_ptr<net::Socket>& sock, int conn, const std::string&) {
    static int seen = 0;
    if (conn == 0 && seen++ == 0) {
      sock->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    } else {
      sock->destroy();
    }
  });
  auto agent = http::Agent::create({.keepAlive = true});
  auto o = local(s.port);
  o.agent = agent;
  Error err;
  http::get(o, [&](const IncomingMessagePtr& res) {
    res->resume();
    res->on(IncomingMessage::Events::end, [&] {
      setImmediate([&] {
        auto o2 = o;
        o2.method = "POST";
        auto req = http::request(o2, [](const IncomingMessagePtr&) { ADD_FAILURE(); });
        req->on(ClientRequest::Events::error, [&](const Error& e) {
          err = e;
          agent->destroy();
          s.server->close();
        });
        req->end("data");
      });
    });
  });
  run();
  EXPECT_EQ(err.code, "ECONNRESET");
  EXPECT_EQ(s.connections, 1);
}

TEST(HttpClient, NoBodyForHeadAnd204And304) {
  EVNODE_WATCHDOG(10);
  TestServer s([](const http::RequestPtr& req, const http::ResponsePtr& res) {
    if (req->url == "/204") {
      res->writeHead(204);
      res->end();
    } else if (req->url == "/304") {
      res->writeHead(304, {{"ETag", "\"x\""}});
      res->end();
    } else {
      res->end("a body HEAD must not read");
    }
  });
  auto agent = http::Agent::create({.keepAlive = true});
  std::vector<std::string> results;
  std::function<void(std::size_t)> step = [&](std::size_t i) {
    static const std::vector<std::pair<std::string, std::string>> cases = {
        {"HEAD", "/"}, {"GET", "/204"}, {"GET", "/304"}, {"GET", "/"}};
    if (i == cases.size()) {
      agent->destroy();
      s.server->close();
      return;
    }
    auto o = local(s.port, cases[i].second);
    o.method = cases[i].first;
    o.agent = agent;
    http::get(o, [&, i](const IncomingMessagePtr& res) {
      collect(res, [&, i, status = res->statusCode,
                    cl = res->headers.value("content-length", "-")](const std::string& b) {
        results.push_back(std::to_string(status) + ":" + cl + ":" + b);
        setImmediate([&, i] { step(i + 1); });
      });
    });
  };
  step(0);
  run();
  EXPECT_EQ(results, (std::vector<std::string>{
                         "200:25:", "204:-:", "304:-:", "200:25:a body HEAD must not read"}));
  EXPECT_EQ(s.connections, 1);  // none of them spoiled the connection
}

TEST(HttpClient, UpgradeHandsTheSocketOver) {
  EVNODE_WATCHDOG(10);
  TestServer s([](const http::RequestPtr&, const http::ResponsePtr& res) { res->end(); });
  s.server->on(http::Server::Events::upgrade, [](const http::RequestPtr& req,
                                                 const http::SocketPtr& sock, const Buffer&) {
    sock->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: " + req->headers.value("upgrade") +
                "\r\nConnection: Upgrade\r\n\r\nhello-after-head");
    sock->on(net::Socket::Events::data, [sock](const Buffer& b) {
      sock->write(b);
      sock->end();
    });
  });
  std::string head, echoed;
  int status = 0;
  auto req = http::request(local(s.port), nullptr);
  req->setHeader("Connection", "Upgrade");
  req->setHeader("Upgrade", "echo");
  req->on(ClientRequest::Events::upgrade,
          [&](const IncomingMessagePtr& res, const http::SocketPtr& sock, const Buffer& rest) {
            status = res->statusCode;
            head = std::string(rest.view());
            sock->on(net::Socket::Events::data, [&](const Buffer& b) { echoed.append(b.view()); });
            sock->on(net::Socket::Events::end, [&] { s.server->close(); });
            sock->write("ping");
          });
  req->end();
  run();
  EXPECT_EQ(status, 101);
  // The bytes after the head arrive with it or on the socket: together they are exact.
  EXPECT_EQ(head + echoed, "hello-after-headping");
}

TEST(HttpClient, ConnectGivesATunnel) {
  EVNODE_WATCHDOG(10);
  TestServer s([](const http::RequestPtr&, const http::ResponsePtr& res) { res->end(); });
  std::string target;
  s.server->on(http::Server::Events::connect,
               [&](const http::RequestPtr& req, const http::SocketPtr& sock, const Buffer&) {
                 target = req->url;
                 sock->write("HTTP/1.1 200 Connection Established\r\n\r\n");
                 sock->on(net::Socket::Events::data, [sock](const Buffer& b) { sock->end(b); });
               });
  std::string through;
  auto o = local(s.port, "example.org:443");
  o.method = "CONNECT";
  auto req = http::request(o);
  req->on(ClientRequest::Events::connect,
          [&](const IncomingMessagePtr& res, const http::SocketPtr& sock, const Buffer&) {
            EXPECT_EQ(res->statusCode, 200);
            sock->on(net::Socket::Events::data, [&](const Buffer& b) { through.append(b.view()); });
            sock->on(net::Socket::Events::end, [&] { s.server->close(); });
            sock->write("tunnelled");
          });
  req->end();
  run();
  EXPECT_EQ(target, "example.org:443");
  EXPECT_EQ(through, "tunnelled");
}

TEST(HttpClient, UnixSocketPath) {
  EVNODE_WATCHDOG(10);
  et::TempDir dir;
  auto server = http::createServer([](const http::RequestPtr& req, const http::ResponsePtr& res) {
    res->end("unix " + req->url);
  });
  server->listen(dir.file("s.sock"));
  std::string body;
  http::RequestOptions o;
  o.socketPath = dir.file("s.sock");
  o.path = "/p";
  http::get(o, [&](const IncomingMessagePtr& res) {
    collect(res, [&](const std::string& b) {
      body = b;
      server->close();
    });
  });
  run();
  EXPECT_EQ(body, "unix /p");
}

TEST(HttpClient, TimeoutEventFiresOnASilentServer) {
  EVNODE_WATCHDOG(10);
  RawServer s([](const std::shared_ptr<net::Socket>&, int, const std::string&) {});
  bool timedOut = false;
  Error err;
  http::RequestOptions o = local(s.port);
  o.timeout = 100;
  std::uint64_t started = Loop::current().now();
  auto req = http::get(o);
  req->on(ClientRequest::Events::timeout, [&, r = req.get()] {
    timedOut = true;
    r->destroy(Error("ETIMEDOUT", "gave up"));
  });
  req->on(ClientRequest::Events::error, [&](const Error& e) {
    err = e;
    s.server->close();
  });
  run();
  EXPECT_TRUE(timedOut);
  EXPECT_EQ(err.code, "ETIMEDOUT");
  // The global agent's own 5 s idle timeout must not be what fired.
  EXPECT_LT(Loop::current().now() - started, 4000u);
}

TEST(HttpClient, BasicAuthAndRawHeaderNamesGoOutAsGiven) {
  EVNODE_WATCHDOG(10);
  std::string auth;
  std::vector<std::pair<std::string, std::string>> raw;
  TestServer s([&](const http::RequestPtr& req, const http::ResponsePtr& res) {
    auth = req->headers.value("authorization");
    raw = req->headers.raw();
    res->end();
  });
  http::get("http://aladdin:open%20sesame@127.0.0.1:" + std::to_string(s.port) + "/",
            {.headers = {{"X-Mixed-Case", "v1"}, {"x-dup", "a"}, {"x-dup", "b"}}},
            [&](const IncomingMessagePtr& res) {
              res->resume();
              res->on(IncomingMessage::Events::end, [&] { s.server->close(); });
            });
  run();
  EXPECT_EQ(auth, "Basic " + Buffer::from("aladdin:open sesame").toString("base64"));
  EXPECT_NE(std::find(raw.begin(), raw.end(),
                      std::make_pair(std::string("X-Mixed-Case"), std::string("v1"))),
            raw.end());
  EXPECT_EQ(std::count_if(raw.begin(), raw.end(), [](const auto& h) { return h.first == "x-dup"; }),
            2);
}

TEST(HttpClient, InvalidArgumentsThrowAtTheCall) {
  auto code = [](auto fn) {
    try {
      fn();
    } catch (const Exception& e) {
      return e.code();
    }
    return std::string("no exception");
  };
  EXPECT_EQ(code([] { http::request("not a url"); }), "ERR_INVALID_URL");
  EXPECT_EQ(code([] { http::request("http://host:99999/"); }), "ERR_INVALID_URL");
  EXPECT_EQ(code([] { http::request("ftp://host/"); }), "ERR_INVALID_PROTOCOL");
  EXPECT_EQ(code([] { http::request("http://h/", {.method = "GE T"}); }), "ERR_INVALID_HTTP_TOKEN");
  EXPECT_EQ(code([] {
              http::request("http://h/", {.headers = {{"X", "a\r\nInjected: 1"}}});
            }),
            "ERR_INVALID_CHAR");
  EXPECT_EQ(code([] {
              http::RequestOptions o;
              o.path = "/a b";
              http::request(o);
            }),
            "ERR_UNESCAPED_CHARACTERS");
  EXPECT_EQ(code([] { http::Agent::create({.scheduling = "random"}); }), "ERR_INVALID_ARG_VALUE");
  // Requests that did get created are torn down without running anything.
  run();
}

TEST(HttpClient, SlowConsumerBackpressuresTheSocket) {
  EVNODE_WATCHDOG(20);
  const std::size_t total = 32 << 20;
  std::size_t sent = 0;
  TestServer s([&](const http::RequestPtr&, const http::ResponsePtr& res) {
    res->setHeader("Content-Length", std::to_string(total));
    auto chunk = Buffer::from(std::string(64 * 1024, 'x'));
    auto pump = std::make_shared<std::function<void()>>();
    *pump = [&, res, chunk, pump] {
      while (sent < total) {
        sent += chunk.length();
        if (!res->write(chunk)) {
          res->once(Writable::Events::drain, *pump);
          return;
        }
      }
      res->end();
      *pump = nullptr;
    };
    (*pump)();
  });
  std::size_t got = 0, maxBuffered = 0;
  http::get(local(s.port), [&](const IncomingMessagePtr& res) {
    res->pause();
    // Half a second without reading: the server must be held back, not the client's memory.
    setTimeout(
        [&, res] {
          maxBuffered = res->readableLength();
          EXPECT_LT(sent, total / 2);
          res->on(IncomingMessage::Events::data, [&](const Buffer& b) { got += b.length(); });
          res->on(IncomingMessage::Events::end, [&] { s.server->close(); });
          res->resume();
        },
        500);
  });
  run();
  EXPECT_EQ(got, total);
  EXPECT_LE(maxBuffered, 256u * 1024);
}

// As in Node, destroying a response whose body is still coming destroys its socket: the
// connection cannot be reused, and nothing is left waiting for the rest of the body.
TEST(HttpClient, DestroyingAnIncompleteResponseClosesItsConnection) {
  EVNODE_WATCHDOG(20);
  const std::string big(8 << 20, 'x');
  int closed = 0;
  TestServer s([&](const http::RequestPtr&, const http::ResponsePtr& res) { res->end(big); });
  s.server->on(net::Server::Events::connection, [&](const http::SocketPtr& sock) {
    sock->on(net::Socket::Events::close, [&](bool) {
      ++closed;
      s.server->close();
    });
  });
  bool reqClosed = false, errored = false;
  auto req = http::get(local(s.port), [&](const IncomingMessagePtr& res) {
    EXPECT_FALSE(res->complete);
    res->destroy();
  });
  req->on(Stream::Events::close, [&] { reqClosed = true; });
  req->on(Stream::Events::error, [&](const Error&) { errored = true; });
  run();
  EXPECT_EQ(closed, 1);
  EXPECT_TRUE(reqClosed);
  EXPECT_FALSE(errored);  // the caller ended it: not an error
}

// --- Real peers ------------------------------------------------------------------------------

// Node's http server: chunked response, keep-alive; it counts its own connections.
TEST(HttpClientInterop, NodeServerKeepAliveAndChunked) {
  if (!et::haveCommand("node")) GTEST_SKIP() << "node not installed";
  EVNODE_WATCHDOG(30);
  et::Process node({"node", "-e", R"(
    const http = require('http'); let conns = 0;
    const srv = http.createServer((req, res) => {
      let n = 0; req.on('data', d => n += d.length);
      req.on('end', () => { res.write('conns=' + conns + ' '); res.end(req.method + ' ' + req.url + ' ' + n); });
    });
    srv.on('connection', () => conns++);
    srv.listen(0, '127.0.0.1', () => console.log('port ' + srv.address().port));)"});
  std::string line = node.waitForLine("port ");
  int port = std::stoi(line.substr(5));
  auto agent = http::Agent::create({.keepAlive = true});
  std::vector<std::string> bodies;
  std::function<void(int)> next = [&](int i) {
    if (i == 3) {
      agent->destroy();
      return;
    }
    auto o = local(port, "/n" + std::to_string(i));
    o.agent = agent;
    o.method = "POST";
    auto req = http::request(o, [&, i](const IncomingMessagePtr& res) {
      EXPECT_EQ(res->headers.value("transfer-encoding"), "chunked");
      collect(res, [&, i](const std::string& b) {
        bodies.push_back(b);
        setImmediate([&, i] { next(i + 1); });
      });
    });
    req->write("abc");
    req->end("defg");
  };
  next(0);
  run();
  EXPECT_EQ(bodies, (std::vector<std::string>{"conns=1 POST /n0 7", "conns=1 POST /n1 7",
                                              "conns=1 POST /n2 7"}));
}

// A client request's trailers (OutgoingMessage.addTrailers, as Node's ClientRequest has) go
// after its chunked body; Node's server reads them as req.trailers. A bad trailer name or value
// throws at the call.
TEST(HttpClientInterop, NodeServerReadsTheRequestsTrailers) {
  if (!et::haveCommand("node")) GTEST_SKIP() << "node not installed";
  EVNODE_WATCHDOG(30);
  et::Process node({"node", "-e", R"(
    const http = require('http');
    const srv = http.createServer((req, res) => {
      let d = ''; req.on('data', c => d += c);
      req.on('end', () => {
        res.end(req.headers['transfer-encoding'] + ' ' + d + ' ' + JSON.stringify(req.trailers));
        srv.close();
      });
    });
    srv.listen(0, '127.0.0.1', () => console.log('port ' + srv.address().port));)"});
  std::string line = node.waitForLine("port ");
  int port = std::stoi(line.substr(5));
  auto o = local(port, "/upload");
  o.method = "POST";
  std::string body;
  auto req = http::request(o, [&](const IncomingMessagePtr& res) {
    collect(res, [&](const std::string& b) { body = b; });
  });
  EXPECT_THROW(req->addTrailers({{"Bad Name", "x"}}), Exception);
  EXPECT_THROW(req->addTrailers({{"X-Bad", "a\r\nb"}}), Exception);
  req->write("abc");
  req->addTrailers({{"X-Checksum", "c0ffee"}});
  req->end("def");
  run();
  EXPECT_EQ(body, "chunked abcdef {\"x-checksum\":\"c0ffee\"}");
}

// Python's http.server speaking HTTP/1.0: the body ends when the connection closes.
TEST(HttpClientInterop, PythonHttp10CloseDelimitedBody) {
  if (!et::haveCommand("python3")) GTEST_SKIP() << "python3 not installed";
  EVNODE_WATCHDOG(30);
  et::Process py({"python3", "-c", R"(
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        self.end_headers()
        self.wfile.write(bytes(i % 251 for i in range(300000)))
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print('port', s.server_address[1], flush=True)
s.serve_forever()
)"});
  std::string line = py.waitForLine("port ");
  int port = std::stoi(line.substr(5));
  std::string body, version, cl;
  http::get(local(port, "/file"), [&](const IncomingMessagePtr& res) {
    version = res->httpVersion;
    cl = res->headers.value("content-length", "none");
    collect(res, [&](const std::string& b) { body = b; });
  });
  run();
  EXPECT_EQ(version, "1.0");
  EXPECT_EQ(cl, "none");
  ASSERT_EQ(body.size(), 300000u);
  bool exact = true;
  for (std::size_t i = 0; i < body.size(); ++i)
    exact = exact && static_cast<unsigned char>(body[i]) == i % 251;
  EXPECT_TRUE(exact);
}

// nginx serving a file: Content-Length bodies over one keep-alive connection ($connection).
TEST(HttpClientInterop, NginxKeepAlive) {
  std::string nginx = et::haveCommand("nginx")
                          ? "nginx"
                          : (std::ifstream("/usr/sbin/nginx").good() ? "/usr/sbin/nginx" : "");
  if (nginx.empty()) GTEST_SKIP() << "nginx not installed";
  EVNODE_WATCHDOG(30);
  et::TempDir dir;
  const std::string content = et::randomBytes(200000, 3);
  std::ofstream(dir.file("f.bin"), std::ios::binary) << content;
  int port = et::freePort();
  std::ofstream(dir.file("nginx.conf"))
      << "daemon off; master_process off; worker_processes 1; pid " << dir.file("nginx.pid")
      << ";\n"
      << "error_log " << dir.file("error.log") << ";\n"
      << "events { worker_connections 64; }\n"
      << "http { access_log off; client_body_temp_path " << dir.path() << "; proxy_temp_path "
      << dir.path() << "; fastcgi_temp_path " << dir.path() << "; uwsgi_temp_path " << dir.path()
      << "; scgi_temp_path " << dir.path() << ";\n"
      << "  server { listen 127.0.0.1:" << port << "; root " << dir.path()
      << "; add_header X-Conn $connection; } }\n";
  et::Process server(
      {nginx, "-c", dir.file("nginx.conf"), "-p", dir.path(), "-e", dir.file("error.log")});
  ASSERT_TRUE(et::waitForTcpPort(port));
  auto agent = http::Agent::create({.keepAlive = true});
  std::vector<std::string> conns;
  std::vector<bool> exact;
  std::function<void(int)> next = [&](int i) {
    if (i == 3) {
      agent->destroy();
      return;
    }
    auto o = local(port, "/f.bin");
    o.agent = agent;
    http::get(o, [&, i](const IncomingMessagePtr& res) {
      conns.push_back(res->headers.value("x-conn"));
      collect(res, [&, i](const std::string& b) {
        exact.push_back(b == content);
        setImmediate([&, i] { next(i + 1); });
      });
    });
  };
  next(0);
  run();
  ASSERT_EQ(conns.size(), 3u);
  EXPECT_EQ(conns[0], conns[1]);
  EXPECT_EQ(conns[1], conns[2]);
  EXPECT_EQ(exact, (std::vector<bool>{true, true, true}));
}

}  // namespace
