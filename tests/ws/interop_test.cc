// Interop with real peers, both ways: Node's `ws` (Debian's node-ws) and python3-websockets
// against our server, and our client against their servers, with permessage-deflate on and off:
// text, binary, empty, Unicode, 16 MiB, fragmented, pings, and closes started by either side.
// Then 256 MiB byte-exact through wss:// between our client and our server.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "evnode/https.h"
#include "evnode/loop.h"
#include "evnode/ws.h"
#include "support/testing.h"
#include "tls/tls_support.h"

namespace evnode::ws::test {
namespace {

namespace et = evnode::testing;

#if defined(__SANITIZE_ADDRESS__) || defined(EVNODE_SANITIZE)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

std::string peer(const std::string& name) {
  return std::string(EVNODE_SOURCE_DIR) + "/tests/ws/peers/" + name;
}
const char* kPython = "/usr/bin/python3";

bool haveNodeWs() {
  if (!et::haveCommand("node")) return false;
  auto r = et::runProcess({"env", "NODE_PATH=/usr/share/nodejs", "node", "-e", "require('ws')"});
  return r.status == 0;
}
bool havePyWebsockets() {
  auto r = et::runProcess({kPython, "-c", "import websockets"});
  return r.status == 0;
}

Buffer pattern(std::size_t n, std::uint32_t seed) {
  Buffer b = Buffer::allocUnsafe(n);
  std::uint32_t x = seed;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    b[i] = static_cast<std::uint8_t>(x >> 24);
  }
  return b;
}

// Our echo server; "please-close" makes it close with 4003. Logs each connection's close.
struct EchoServer {
  std::shared_ptr<WebSocketServer> wss;
  std::vector<std::string> closes;
  std::vector<std::string> extensions;
};
std::shared_ptr<EchoServer> echoServer(ServerOptions o) {
  auto e = std::make_shared<EchoServer>();
  e->wss = WebSocketServer::create(std::move(o));
  EchoServer* raw = e.get();
  e->wss->on(WebSocketServer::Events::connection,
             [raw](const WebSocketPtr& ws, const http::RequestPtr&) {
               raw->extensions.push_back(ws->extensions());
               WebSocket* w = ws.get();
               ws->on(WebSocket::Events::message, [w](const Buffer& data, bool binary) {
                 if (!binary && data.view() == "please-close") return w->close(4003, "by server");
                 w->send(data, {.binary = binary});
               });
               ws->on(WebSocket::Events::close, [raw](int code, const Buffer& reason) {
                 raw->closes.push_back(std::to_string(code) + " " + std::string(reason.view()));
               });
             });
  return e;
}

// Runs a peer (argv; "URL" in it is replaced by the server's ws:// URL) once the server
// listens, while the loop serves; closes the server when the peer exits.
et::ProcResult runPeerAgainst(const std::shared_ptr<WebSocketServer>& wss,
                              std::vector<std::string> argv) {
  std::shared_ptr<et::Process> proc;
  TimeoutPtr poll;
  wss->once(WebSocketServer::Events::listening, [&] {
    for (auto& a : argv) {
      if (a == "URL") a = "ws://127.0.0.1:" + std::to_string(wss->address().port) + "/p?q=1";
    }
    proc = std::make_shared<et::Process>(argv);
    proc->closeStdin();
    poll = setInterval(
        [&] {
          if (proc->running()) return;
          poll->close();
          wss->close();
        },
        5);
  });
  run();
  et::ProcResult r;
  if (!proc) return r;
  r.status = proc->wait(10);
  r.out = proc->stdoutSoFar();
  r.err = proc->stderrSoFar();
  return r;
}

void serverAgainstNodeClient(bool deflate) {
  if (!haveNodeWs()) GTEST_SKIP() << "node with Debian's node-ws is needed";
  ServerOptions o;
  o.port = 0;
  o.host = "127.0.0.1";
  o.perMessageDeflate.enabled = deflate;
  auto e = echoServer(o);
  auto r = runPeerAgainst(e->wss, {"env", "NODE_PATH=/usr/share/nodejs", "node",
                                   peer("node_client.js"), "URL", deflate ? "1" : "0"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ALL OK"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("ok 16MiB"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok fragmented"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(deflate ? "extensions \"permessage-deflate\"" : "extensions \"\""),
            std::string::npos)
      << r.out;
  ASSERT_EQ(e->closes.size(), 2u);
  EXPECT_EQ(e->closes[0], "4003 by server");  // we closed, Node answered
  EXPECT_EQ(e->closes[1], "4000 done");       // Node closed, we answered
  EXPECT_EQ(e->extensions[0].empty(), !deflate) << e->extensions[0];
}

TEST(WsInterop, NodeClientAgainstOurServer) { serverAgainstNodeClient(false); }
TEST(WsInterop, NodeClientAgainstOurServerDeflate) { serverAgainstNodeClient(true); }

void serverAgainstPythonClient(bool deflate) {
  if (!havePyWebsockets()) GTEST_SKIP() << "python3-websockets is needed";
  ServerOptions o;
  o.port = 0;
  o.host = "127.0.0.1";
  o.perMessageDeflate.enabled = deflate;
  auto e = echoServer(o);
  auto r = runPeerAgainst(e->wss, {kPython, peer("py_client.py"), "URL", deflate ? "1" : "0"});
  const std::string& out = r.out;
  EXPECT_EQ(r.status, 0) << out << r.err;
  EXPECT_NE(out.find("ok 16MiB"), std::string::npos) << out;
  EXPECT_NE(out.find("ok pong"), std::string::npos) << out;
  EXPECT_NE(out.find("closed 4002 py"), std::string::npos) << out;
  EXPECT_EQ(out.find("extensions permessage-deflate") != std::string::npos, deflate) << out;
  ASSERT_EQ(e->closes.size(), 1u);
  EXPECT_EQ(e->closes[0], "4002 py");
}

TEST(WsInterop, PythonClientAgainstOurServer) { serverAgainstPythonClient(false); }
TEST(WsInterop, PythonClientAgainstOurServerDeflate) { serverAgainstPythonClient(true); }

// --- our client against their servers ------------------------------------------------------

// Sends each message and checks its echo, then fragments, a ping, and a close with 4001; a
// second connection asks the server to close (4003). Returns a log of what happened.
struct ClientRun {
  std::vector<std::string> log;
  std::string extensions;
};
ClientRun clientSequence(const std::string& url, ClientOptions opts) {
  auto run1 = std::make_shared<ClientRun>();
  struct Msg {
    std::string name;
    Buffer data;
    bool binary;
  };
  auto msgs = std::make_shared<std::vector<Msg>>(std::vector<Msg>{
      {"text", Buffer::from("hello"), false},
      {"binary", Buffer::from({0, 1, 2, 255}), true},
      {"empty text", Buffer(), false},
      {"empty binary", Buffer(), true},
      {"unicode", Buffer::from("κόσμε ✓ 😀"), false},
      {"compressible 64k", Buffer::alloc(65536, 'a'), false},
      {"16MiB", pattern(16 << 20, 7), true},
  });
  auto ws = WebSocket::connect(url, opts);
  WebSocket* w = ws.get();
  auto i = std::make_shared<std::size_t>(0);
  auto log = [run1](std::string s) { run1->log.push_back(std::move(s)); };
  auto sendNext = std::make_shared<std::function<void()>>();
  *sendNext = [w, msgs, i, log, run1] {
    if (*i < msgs->size()) {
      const Msg& m = (*msgs)[*i];
      w->send(m.data, {.binary = m.binary});
      return;
    }
    if (*i == msgs->size()) {
      w->send("frag-", {.fin = false});
      w->send("men-", {.fin = false});
      w->send("ted");
      return;
    }
    w->ping(Buffer::from("p1"));
  };
  ws->on(WebSocket::Events::open, [w, sendNext, run1] {
    run1->extensions = w->extensions();
    (*sendNext)();
  });
  ws->on(WebSocket::Events::message, [w, msgs, i, log, sendNext](const Buffer& b, bool binary) {
    if (*i < msgs->size()) {
      const Msg& m = (*msgs)[*i];
      log((b.equals(m.data) && binary == m.binary ? "ok " : "FAIL ") + m.name);
    } else {
      log(b.view() == "frag-men-ted" && !binary ? "ok fragmented" : "FAIL fragmented");
    }
    ++*i;
    (*sendNext)();
  });
  ws->on(WebSocket::Events::pong, [w, log](const Buffer& b) {
    log("pong " + std::string(b.view()));
    w->close(4001, "bye");
  });
  ws->on(WebSocket::Events::error, [log](const Error& e) { log("error " + e.message); });
  ws->on(WebSocket::Events::close, [url, opts, log, run1](int code, const Buffer& reason) {
    log("closed " + std::to_string(code) + " " + std::string(reason.view()));
    // The second connection: the server closes.
    auto ws2 = WebSocket::connect(url, opts);
    WebSocket* w2 = ws2.get();
    ws2->on(WebSocket::Events::open, [w2] { w2->send("please-close"); });
    ws2->on(WebSocket::Events::close, [log](int code2, const Buffer& reason2) {
      log("closed-by-server " + std::to_string(code2) + " " + std::string(reason2.view()));
    });
  });
  auto guard = setTimeout([w] { w->terminate(); }, 30000);
  guard->unref();
  run();
  clearTimeout(guard);
  return *run1;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& l : v) s += l + "\n";
  return s;
}

void checkClientRun(const ClientRun& r) {
  std::string all = joined(r.log);
  for (const char* want : {"ok text", "ok binary", "ok empty text", "ok empty binary", "ok unicode",
                           "ok compressible 64k", "ok 16MiB", "ok fragmented", "pong p1",
                           "closed 4001 bye", "closed-by-server 4003 by server"}) {
    EXPECT_NE(all.find(std::string(want) + "\n"), std::string::npos) << want << "\n" << all;
  }
  EXPECT_EQ(all.find("FAIL"), std::string::npos) << all;
  EXPECT_EQ(all.find("error"), std::string::npos) << all;
}

void clientAgainstNodeServer(bool deflate) {
  if (!haveNodeWs()) GTEST_SKIP() << "node with Debian's node-ws is needed";
  et::Process server(
      {"env", "NODE_PATH=/usr/share/nodejs", "node", peer("node_server.js"), deflate ? "1" : "0"});
  std::string line = server.waitForLine("listening ");
  ASSERT_FALSE(line.empty());
  int port = std::stoi(line.substr(10));
  ClientOptions o;
  o.perMessageDeflate.enabled = deflate;
  auto r = clientSequence("ws://127.0.0.1:" + std::to_string(port) + "/", o);
  checkClientRun(r);
  EXPECT_EQ(r.extensions.empty(), !deflate) << r.extensions;
  server.waitForLine("closed 4003 by server");
  std::string out = server.stdoutSoFar();
  EXPECT_NE(out.find("pong sp"), std::string::npos) << out;  // our automatic pong
  EXPECT_NE(out.find("closed 4001 bye"), std::string::npos) << out;
}

TEST(WsInterop, OurClientAgainstNodeServer) { clientAgainstNodeServer(false); }
TEST(WsInterop, OurClientAgainstNodeServerDeflate) { clientAgainstNodeServer(true); }

void clientAgainstPythonServer(bool deflate) {
  if (!havePyWebsockets()) GTEST_SKIP() << "python3-websockets is needed";
  et::Process server({kPython, peer("py_server.py"), deflate ? "1" : "0"});
  std::string line = server.waitForLine("listening ");
  ASSERT_FALSE(line.empty());
  int port = std::stoi(line.substr(10));
  ClientOptions o;
  o.perMessageDeflate.enabled = deflate;
  auto r = clientSequence("ws://127.0.0.1:" + std::to_string(port) + "/", o);
  checkClientRun(r);
  EXPECT_EQ(r.extensions.find("permessage-deflate") != std::string::npos, deflate) << r.extensions;
  server.waitForLine("closed 4003 by server");
  // The two connections' handlers end in either order.
  for (int i = 0; i < 500 && server.stdoutSoFar().find("closed 4001 bye") == std::string::npos;
       ++i) {
    usleep(10000);
  }
  EXPECT_NE(server.stdoutSoFar().find("closed 4001 bye"), std::string::npos)
      << server.stdoutSoFar();
}

TEST(WsInterop, OurClientAgainstPythonServer) { clientAgainstPythonServer(false); }
TEST(WsInterop, OurClientAgainstPythonServerDeflate) { clientAgainstPythonServer(true); }

// --- 256 MiB through wss:// ---------------------------------------------------------------

TEST(WsInterop, LargeMessageByteExactOverWss) {
  TLS_NEED_CERTS();
  EVNODE_WATCHDOG(60);
  const std::size_t size = kSanitized ? (32u << 20) : (256u << 20);
  https::ServerOptions so;
  so.key = tlstest::certs().pem("leaf.key");
  so.cert = tlstest::certs().pem("leaf.pem");
  auto https = https::createServer(so);
  ServerOptions o;
  o.server = https;
  o.maxPayload = size;
  auto e = echoServer(o);
  Buffer data = pattern(size, 42);
  bool echoed = false;
  int closeCode = 0;
  https->listen(0, "127.0.0.1", [&] {
    ClientOptions co;
    co.tls.ca = {tlstest::certs().pem("ca.pem")};
    co.maxPayload = size;
    auto ws =
        WebSocket::connect("wss://localhost:" + std::to_string(https->address().port) + "/", co);
    WebSocket* w = ws.get();
    ws->on(WebSocket::Events::open, [w, &data] { w->send(data, {.binary = true}); });
    ws->on(WebSocket::Events::message, [w, &data, &echoed](const Buffer& b, bool binary) {
      echoed = binary && b.equals(data);
      w->close(1000);
    });
    ws->on(WebSocket::Events::close, [&](int code, const Buffer&) {
      closeCode = code;
      e->wss->close();
      https->close();
    });
  });
  run();
  EXPECT_TRUE(echoed);
  EXPECT_EQ(closeCode, 1000);
}

// A wss:// client verifies the server's certificate as https does.
TEST(WsInterop, WssRefusesAnUntrustedCertificate) {
  TLS_NEED_CERTS();
  https::ServerOptions so;
  so.key = tlstest::certs().pem("self.key");
  so.cert = tlstest::certs().pem("self.pem");
  auto https = https::createServer(so);
  ServerOptions o;
  o.server = https;
  auto e = echoServer(o);
  std::string err;
  int code = 0;
  https->listen(0, "127.0.0.1", [&] {
    auto ws = WebSocket::connect("wss://localhost:" + std::to_string(https->address().port) + "/");
    ws->on(WebSocket::Events::error, [&](const Error& x) { err = x.code; });
    ws->on(WebSocket::Events::close, [&](int c, const Buffer&) {
      code = c;
      e->wss->close();
      https->close();
    });
  });
  run();
  EXPECT_EQ(err, "DEPTH_ZERO_SELF_SIGNED_CERT");
  EXPECT_EQ(code, 1006);
}

}  // namespace
}  // namespace evnode::ws::test
