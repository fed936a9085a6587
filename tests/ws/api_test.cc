// The WebSocket API's behaviour beyond the wire format: the three server modes, verifyClient,
// subprotocols, handshake failures and timeouts, argument checks, send()'s backpressure and
// `drain`, and a peer that never reads (memory stays bounded, reading pauses).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "evnode/http.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "evnode/ws.h"
#include "support/testing.h"
#include "ws/deflate.h"
#include "ws/ws_support.h"

namespace evnode::ws::test {
namespace {

std::string url(int port, const std::string& path = "/") {
  return "ws://127.0.0.1:" + std::to_string(port) + path;
}

TEST(WsApi, NoServerModeRoutesUpgradesByPath) {
  EVNODE_WATCHDOG(20);
  auto wss = WebSocketServer::create({.noServer = true});
  auto http = http::Server::create();
  http->on(http::Server::Events::upgrade, [wss](const http::RequestPtr& req,
                                                const http::SocketPtr& s, const Buffer& head) {
    if (req->url != "/chat") return s->destroy();
    wss->handleUpgrade(req, s, head, [wss](const WebSocketPtr& ws, const http::RequestPtr& r) {
      wss->emit(WebSocketServer::Events::connection, ws, r);
    });
  });
  std::vector<std::string> log;
  wss->on(WebSocketServer::Events::connection, [&](const WebSocketPtr& ws,
                                                   const http::RequestPtr& req) {
    log.push_back("server " + req->url + " clients=" + std::to_string(wss->clients().size()));
    ws->send("welcome");
  });
  http->listen(0, "127.0.0.1", [&] {
    int port = http->address().port;
    auto bad = WebSocket::connect(url(port, "/nope"));
    bad->on(WebSocket::Events::error, [&](const Error& e) { log.push_back("bad " + e.code); });
    bad->on(WebSocket::Events::close, [&, port](int code, const Buffer&) {
      log.push_back("bad close " + std::to_string(code));
      auto good = WebSocket::connect(url(port, "/chat"));
      WebSocket* g = good.get();
      good->on(WebSocket::Events::message, [&, g](const Buffer& b, bool) {
        log.push_back("client " + std::string(b.view()));
        g->close();
      });
      good->on(WebSocket::Events::close, [&](int code2, const Buffer&) {
        log.push_back("good close " + std::to_string(code2));
        http->close();
      });
    });
  });
  run();
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[0], "bad ECONNRESET");
  EXPECT_EQ(log[1], "bad close 1006");
  EXPECT_EQ(log[2], "server /chat clients=1");
  EXPECT_EQ(log[3], "client welcome");
  EXPECT_EQ(log[4], "good close 1000");
  EXPECT_TRUE(wss->clients().empty());  // the server's end left clients() at its close
}

// An idle connection's memory (issue 20): once the handshake is done, the upgrade's request is
// not kept (the WebSocket keeps its url), and what the handshake agreed on, held on demand, is
// still there after the close.
TEST(WsApi, UpgradeRequestIsNotKeptAfterTheHandshake) {
  EVNODE_WATCHDOG(20);
  auto wss = WebSocketServer::create({.port = 0, .host = "127.0.0.1"});
  std::weak_ptr<http::RequestPtr::element_type> upgradeReq;
  WebSocketPtr server, client;
  std::vector<std::string> log;
  wss->on(WebSocketServer::Events::connection,
          [&](const WebSocketPtr& ws, const http::RequestPtr& req) {
            upgradeReq = req;
            server = ws;
            WebSocket* raw = ws.get();
            ws->on(WebSocket::Events::message, [&, raw](const Buffer& b, bool) {
              log.push_back(std::string("request kept: ") + (upgradeReq.expired() ? "no" : "yes"));
              raw->send(b);
            });
          });
  wss->on(WebSocketServer::Events::listening, [&] {
    client = WebSocket::connect(url(wss->address().port, "/room?x=1"), {.protocols = {"chat"}});
    WebSocket* c = client.get();
    client->on(WebSocket::Events::open, [c] { c->send("ping me"); });
    client->on(WebSocket::Events::message, [&, c](const Buffer& b, bool) {
      log.push_back("echo " + std::string(b.view()));
      c->close(4000, "done");
    });
    client->on(WebSocket::Events::close, [&](int code, const Buffer& reason) {
      log.push_back("close " + std::to_string(code) + " " + std::string(reason.view()));
      wss->close();
    });
  });
  run();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0], "request kept: no");
  EXPECT_EQ(log[1], "echo ping me");
  EXPECT_EQ(log[2], "close 4000 done");
  ASSERT_TRUE(server && client);
  EXPECT_EQ(server->readyState(), WebSocket::CLOSED);
  EXPECT_EQ(server->url(), "/room?x=1");
  EXPECT_EQ(server->protocol(), "chat");
  EXPECT_EQ(client->protocol(), "chat");
  EXPECT_EQ(server->extensions(), "");
  EXPECT_TRUE(wss->clients().empty());
}

TEST(WsApi, VerifyClientProtocolsAndUnexpectedResponse) {
  EVNODE_WATCHDOG(20);
  ServerOptions o;
  o.port = 0;
  o.host = "127.0.0.1";
  o.path = "/ws";
  o.verifyClient = [](const VerifyInfo& info) { return info.origin == "https://good.test"; };
  o.handleProtocols = [](const std::vector<std::string>& offered, const http::RequestPtr&) {
    return offered.size() > 1 ? offered[1] : std::string();
  };
  auto wss = WebSocketServer::create(o);
  std::vector<std::string> log;
  std::string serverProtocol;
  wss->on(
      WebSocketServer::Events::connection,
      [&](const WebSocketPtr& ws, const http::RequestPtr&) { serverProtocol = ws->protocol(); });
  wss->on(WebSocketServer::Events::listening, [&] {
    int port = wss->address().port;
    ClientOptions refused;
    refused.origin = "https://evil.test";
    auto a = WebSocket::connect(url(port, "/ws"), refused);
    a->on(WebSocket::Events::unexpectedResponse,
          [&, a = a.get()](const http::ClientRequestPtr&, const http::IncomingMessagePtr& res) {
            log.push_back("unexpected " + std::to_string(res->statusCode));
            a->terminate();
          });
    a->on(WebSocket::Events::close, [&, port](int, const Buffer&) {
      // Without an unexpected-response listener: an error naming the status.
      auto b = WebSocket::connect(url(port, "/elsewhere"), {.origin = "https://good.test"});
      b->on(WebSocket::Events::error, [&](const Error& e) { log.push_back(e.message); });
      b->on(WebSocket::Events::close, [&, port](int, const Buffer&) {
        ClientOptions ok;
        ok.origin = "https://good.test";
        ok.protocols = {"chat.v1", "chat.v2"};
        auto c = WebSocket::connect(url(port, "/ws?x=1"), ok);
        WebSocket* cr = c.get();
        c->on(WebSocket::Events::open, [&, cr] {
          log.push_back("open " + cr->protocol());
          cr->close(3001);
        });
        c->on(WebSocket::Events::close, [&](int code, const Buffer&) {
          log.push_back("closed " + std::to_string(code));
          wss->close();
        });
      });
    });
  });
  run();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0], "unexpected 401");
  EXPECT_EQ(log[1], "Unexpected server response: 400");
  EXPECT_EQ(log[2], "open chat.v2");
  EXPECT_EQ(log[3], "closed 3001");
  EXPECT_EQ(serverProtocol, "chat.v2");
}

TEST(WsApi, HandshakeTimeoutAndPlainHttpAnswer) {
  EVNODE_WATCHDOG(20);
  // A server that accepts and never answers.
  auto silent = net::Server::create();
  std::vector<std::shared_ptr<net::Socket>> held;
  silent->on(net::Server::Events::connection,
             [&](const std::shared_ptr<net::Socket>& s) { held.push_back(s); });
  std::string err;
  int code = 0;
  std::uint64_t started = 0, ended = 0;
  silent->listen(0, "127.0.0.1", [&] {
    started = Loop::current().now();
    auto ws = WebSocket::connect(url(silent->address().port), {.handshakeTimeout = 200});
    ws->on(WebSocket::Events::error, [&](const Error& e) { err = e.code; });
    ws->on(WebSocket::Events::close, [&](int c, const Buffer&) {
      code = c;
      ended = Loop::current().now();
      for (auto& s : held) s->destroy();
      silent->close();
    });
  });
  run();
  EXPECT_EQ(err, "WS_ERR_HANDSHAKE_TIMEOUT");
  EXPECT_EQ(code, 1006);
  EXPECT_GE(ended - started, 190u);
  EXPECT_LT(ended - started, 2000u);

  // A plain HTTP request to a `port` server is answered 426.
  auto wss = WebSocketServer::create({.port = 0, .host = "127.0.0.1"});
  int status = 0;
  wss->on(WebSocketServer::Events::listening, [&] {
    http::get("http://127.0.0.1:" + std::to_string(wss->address().port) + "/",
              [&](const http::IncomingMessagePtr& res) {
                status = res->statusCode;
                res->resume();
                wss->close();
              });
  });
  run();
  EXPECT_EQ(status, 426);
}

TEST(WsApi, InvalidArgumentsThrowAtTheCall) {
  EXPECT_THROW(WebSocketServer::create({}), Exception);
  EXPECT_THROW(WebSocketServer::create({.port = 0, .noServer = true}), Exception);
  EXPECT_THROW(WebSocket::connect("ftp://127.0.0.1/"), Exception);
  EXPECT_THROW(WebSocket::connect("ws://127.0.0.1/#frag"), Exception);
  EXPECT_THROW(WebSocket::connect("not a url"), Exception);
  EXPECT_THROW(WebSocket::connect("ws://127.0.0.1/", {.protocols = {"a", "a"}}), Exception);
  EXPECT_THROW(WebSocket::connect("ws://127.0.0.1/", {.protocols = {"bad proto"}}), Exception);
  auto wss = WebSocketServer::create({.port = 0, .host = "127.0.0.1"});
  bool done = false;
  wss->on(WebSocketServer::Events::listening, [&] {
    auto ws = WebSocket::connect(url(wss->address().port));
    EXPECT_THROW(ws->send("too early"), Exception);
    EXPECT_EQ(ws->readyState(), WebSocket::CONNECTING);
    WebSocket* w = ws.get();
    ws->on(WebSocket::Events::open, [&, w] {
      EXPECT_THROW(w->ping(Buffer::alloc(126)), Exception);
      EXPECT_THROW(w->close(1005), Exception);
      EXPECT_THROW(w->close(1000, std::string(124, 'r')), Exception);
      EXPECT_THROW(w->close(2000), Exception);
      w->close(1000, std::string(123, 'r'));
      EXPECT_EQ(w->readyState(), WebSocket::CLOSING);
      // After close: the callback gets an error, nothing is sent, nothing throws.
      w->send("late", {}, [&](const Error& e) { EXPECT_EQ(e.code, "ERR_WS_NOT_OPEN"); });
    });
    ws->on(WebSocket::Events::close, [&, w](int code, const Buffer& reason) {
      EXPECT_EQ(code, 1000);
      EXPECT_EQ(reason.size(), 123u);
      EXPECT_EQ(w->readyState(), WebSocket::CLOSED);
      done = true;
      wss->close();
    });
  });
  run();
  EXPECT_TRUE(done);
}

TEST(WsApi, SendReportsBackpressureAndDrainFollows) {
  EVNODE_WATCHDOG(30);
  auto wss = WebSocketServer::create({.port = 0, .host = "127.0.0.1"});
  std::size_t received = 0;
  wss->on(
      WebSocketServer::Events::connection, [&](const WebSocketPtr& ws, const http::RequestPtr&) {
        ws->on(WebSocket::Events::message, [&](const Buffer& b, bool) { received += b.size(); });
      });
  std::size_t sent = 0, falseAt = 0, bufferedAtFalse = 0;
  int drains = 0;
  wss->on(WebSocketServer::Events::listening, [&] {
    auto ws = WebSocket::connect(url(wss->address().port));
    WebSocket* w = ws.get();
    Buffer chunk = Buffer::alloc(1 << 20, 'x');
    auto pump = std::make_shared<std::function<void()>>();
    *pump = [&, w, chunk] {
      while (sent < (32u << 20)) {
        sent += chunk.size();
        if (!w->send(chunk, {.binary = true})) {
          if (!falseAt) {
            falseAt = sent;
            bufferedAtFalse = w->bufferedAmount();
          }
          return;  // wait for drain
        }
      }
      w->close();
    };
    ws->on(WebSocket::Events::open, [pump] { (*pump)(); });
    ws->on(WebSocket::Events::drain, [&, pump] {
      ++drains;
      (*pump)();
    });
    ws->on(WebSocket::Events::close, [&, pump](int, const Buffer&) {
      *pump = nullptr;
      wss->close();
    });
  });
  run();
  EXPECT_EQ(received, 32u << 20);
  EXPECT_GT(falseAt, 0u);
  EXPECT_GT(bufferedAtFalse, 0u);
  EXPECT_GT(drains, 0);
}

// A client that sends pings and messages as fast as it can and never reads: the server's
// answers stop at the socket's high-water mark, it stops reading, and the client's own writes
// stall. The server's memory is what it buffered, not what the client sent.
TEST(WsApi, PeerThatNeverReadsIsPausedAndBounded) {
  EVNODE_WATCHDOG(30);
  auto wss = WebSocketServer::create({.port = 0, .host = "127.0.0.1"});
  std::size_t maxBuffered = 0;
  std::uint64_t messages = 0;
  WebSocketPtr serverSide;
  wss->on(
      WebSocketServer::Events::connection, [&](const WebSocketPtr& ws, const http::RequestPtr&) {
        serverSide = ws;
        WebSocket* w = ws.get();
        ws->on(WebSocket::Events::message, [&, w](const Buffer& b, bool binary) {
          ++messages;
          w->send(b, {.binary = binary});
          maxBuffered = std::max(maxBuffered, w->bufferedAmount());
        });
        ws->on(WebSocket::Events::ping,
               [&, w](const Buffer&) { maxBuffered = std::max(maxBuffered, w->bufferedAmount()); });
      });
  std::shared_ptr<net::Socket> client;
  std::uint64_t clientQueued = 0;
  wss->on(WebSocketServer::Events::listening, [&] {
    client = net::connect(wss->address().port, "127.0.0.1");
    client->on(net::Socket::Events::error, [](const Error&) {});
    client->pause();  // never reads
    client->on(net::Socket::Events::connect, [&] {
      client->write(
          "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
      std::string burst;
      for (int i = 0; i < 64; ++i) burst += frame(9, "ping") + frame(2, std::string(4000, 'm'));
      auto pump = std::make_shared<std::function<void()>>();
      *pump = [&, burst, pump] {
        while (clientQueued < (256u << 20)) {
          clientQueued += burst.size();
          if (!client->write(burst)) {
            client->once(net::Socket::Events::drain, [pump] {
              if (*pump) (*pump)();
            });
            return;
          }
        }
      };
      (*pump)();
      setTimeout(
          [&, pump] {
            *pump = nullptr;
            client->destroy();
            wss->close();
          },
          1500);
    });
  });
  run();
  // Each read of at most 64 KiB brings at most 64 KiB of answers past the high-water mark.
  EXPECT_LT(maxBuffered, 256u * 1024) << maxBuffered;
  EXPECT_GT(messages, 10u);
  // The client could not push 256 MiB: the server stopped reading.
  EXPECT_LT(clientQueued, 256u << 20);
  EXPECT_LT(messages * 4000, 64u << 20);
}

// A slow peer: it sends half a frame and then nothing, and never answers a close. The server's
// close() gives up after closeTimeout and destroys the connection (close 1006), and what the
// peer sent so far was not mistaken for a message.
TEST(WsApi, SlowPeerIsCutOffByTheCloseTimeout) {
  EVNODE_WATCHDOG(20);
  ServerOptions o;
  o.port = 0;
  o.host = "127.0.0.1";
  o.closeTimeout = 300;
  auto wss = WebSocketServer::create(o);
  int messages = 0, code = 0;
  std::uint64_t closedAfter = 0;
  std::shared_ptr<net::Socket> client;
  std::string got;
  wss->on(WebSocketServer::Events::connection,
          [&](const WebSocketPtr& ws, const http::RequestPtr&) {
            ws->on(WebSocket::Events::message, [&](const Buffer&, bool) { ++messages; });
            WebSocket* w = ws.get();
            // Give the half frame time to arrive, then close.
            setTimeout(
                [&, w] {
                  std::uint64_t start = Loop::current().now();
                  w->on(WebSocket::Events::close, [&, start](int c, const Buffer&) {
                    code = c;
                    closedAfter = Loop::current().now() - start;
                    client->destroy();
                    wss->close();
                  });
                  w->close(1001, "bye");
                },
                100);
          });
  wss->on(WebSocketServer::Events::listening, [&] {
    client = net::connect(wss->address().port, "127.0.0.1");
    client->on(net::Socket::Events::error, [](const Error&) {});
    client->on(net::Socket::Events::data, [&](const Buffer& b) { got.append(b.view()); });
    client->on(net::Socket::Events::connect, [&] {
      std::string half = frame(1, "Hello, world").substr(0, 9);
      client->write(
          "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
          half);
    });
  });
  run();
  EXPECT_EQ(messages, 0);
  EXPECT_EQ(code, 1006);  // no close frame came back
  EXPECT_GE(closedAfter, 290u);
  EXPECT_LT(closedAfter, 2000u);
  auto frames = parseFrames(got.substr(got.find("\r\n\r\n") + 4));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], "8:1001:bye");
}

TEST(WsApi, ExtensionNegotiation) {
  using namespace detail;
  auto parsed = parseExtensions(
      "permessage-deflate; client_max_window_bits=10; server_no_context_takeover, "
      "permessage-deflate, x-other; a=\"b\"");
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[2].params[0].value, "b");
  EXPECT_FALSE(parseExtensions("permessage-deflate;"));
  EXPECT_FALSE(parseExtensions("a,,b"));
  EXPECT_FALSE(parseExtensions("a; b=\"c d\""));

  PerMessageDeflateOptions cfg;
  std::string error;
  auto p = acceptOffer(*parsed, cfg, error);
  ASSERT_TRUE(p);
  EXPECT_EQ(formatResponse(*p),
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=10");
  // server_max_window_bits=8 cannot be honoured by zlib: that offer is declined, the next taken.
  auto two = parseExtensions("permessage-deflate; server_max_window_bits=8, permessage-deflate");
  p = acceptOffer(*two, cfg, error);
  ASSERT_TRUE(p);
  EXPECT_EQ(formatResponse(*p), "permessage-deflate");
  for (const char* bad :
       {"permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; client_no_context_takeover=1", "permessage-deflate; foo",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover"}) {
    error.clear();
    EXPECT_FALSE(acceptOffer(*parseExtensions(bad), cfg, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  // The client side.
  PerMessageDeflateOptions mine;
  mine.serverNoContextTakeover = true;
  EXPECT_EQ(formatOffer(mine),
            "permessage-deflate; server_no_context_takeover; client_max_window_bits");
  error.clear();
  EXPECT_FALSE(acceptResponse(*parseExtensions("permessage-deflate"), mine, error));
  EXPECT_TRUE(acceptResponse(*parseExtensions("permessage-deflate; server_no_context_takeover"),
                             mine, error));
  EXPECT_FALSE(acceptResponse(*parseExtensions("x-unknown"), mine, error));
  EXPECT_FALSE(acceptResponse(
      *parseExtensions("permessage-deflate; server_no_context_takeover; client_max_window_bits=8"),
      mine, error));
}

// Both no-context-takeover settings and small windows, end to end through our two ends.
TEST(WsApi, DeflateWithNegotiatedParameters) {
  EVNODE_WATCHDOG(20);
  ServerOptions o;
  o.port = 0;
  o.host = "127.0.0.1";
  o.perMessageDeflate.enabled = true;
  o.perMessageDeflate.clientNoContextTakeover = true;
  o.perMessageDeflate.serverMaxWindowBits = 10;
  o.perMessageDeflate.threshold = 0;
  auto wss = WebSocketServer::create(o);
  wss->on(WebSocketServer::Events::connection,
          [&](const WebSocketPtr& ws, const http::RequestPtr&) {
            WebSocket* w = ws.get();
            ws->on(WebSocket::Events::message,
                   [w](const Buffer& b, bool binary) { w->send(b, {.binary = binary}); });
          });
  std::string ext;
  int ok = 0;
  wss->on(WebSocketServer::Events::listening, [&] {
    ClientOptions co;
    co.perMessageDeflate.serverNoContextTakeover = true;
    co.perMessageDeflate.clientMaxWindowBits = 11;
    co.perMessageDeflate.threshold = 0;
    auto ws = WebSocket::connect(url(wss->address().port), co);
    WebSocket* w = ws.get();
    auto n = std::make_shared<int>(0);
    ws->on(WebSocket::Events::open, [&, w] {
      ext = w->extensions();
      w->send(std::string(3000, 'q'));
    });
    ws->on(WebSocket::Events::message, [&, w, n](const Buffer& b, bool) {
      if (b.view() == std::string(3000, 'q')) ++ok;
      if (++*n < 5) {
        w->send(std::string(3000, 'q'));
      } else {
        w->close();
      }
    });
    ws->on(WebSocket::Events::close, [&](int, const Buffer&) { wss->close(); });
  });
  run();
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(ext,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=10; client_max_window_bits=11");
}

}  // namespace
}  // namespace evnode::ws::test
