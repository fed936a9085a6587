// `evnode ws echo|connect|bench` (../shared/CLI.md) against real peers: python3-websockets as
// the client of `ws echo` and as the server of `ws connect`, `evnode serve` for a refused
// handshake, and `ws bench` against `ws echo`.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <regex>
#include <string>

#include "support/testing.h"
#include "tls/tls_support.h"

namespace evnode::ws::test {
namespace {

namespace et = evnode::testing;
const char* kPython = "/usr/bin/python3";

bool havePy() { return et::runProcess({kPython, "-c", "import websockets"}).status == 0; }

int startEcho(et::Process& p, const std::string& scheme = "ws") {
  std::string line =
      p.waitForLine(std::regex("^listening on " + scheme + "://127\\.0\\.0\\.1:[0-9]+$"));
  if (line.empty()) return -1;
  return std::stoi(line.substr(line.rfind(':') + 1));
}

TEST(WsCli, EchoAnswersPythonClientAndStopsOnSignal) {
  if (!havePy()) GTEST_SKIP() << "python3-websockets is needed";
  EVNODE_WATCHDOG(30);
  et::Process echo({et::evnodeBinary(), "ws", "echo", "--port", "0"});
  int port = startEcho(echo);
  ASSERT_GT(port, 0);
  const char* script = R"(
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1]) as ws:
        print("ext", ws.response_headers.get("Sec-WebSocket-Extensions"))
        await ws.send("héllo"); print(repr(await ws.recv()))
        await ws.send(b"\x00\xff"); print(repr(await ws.recv()))
        await ws.send(""); print(repr(await ws.recv()))
        await asyncio.wait_for(await ws.ping(b"x"), 5); print("pong")
        await ws.close(4005, "bye")
        print("closed", ws.close_code, ws.close_reason)
asyncio.run(main())
)";
  auto r = et::runProcess(
      {kPython, "-c", script, "ws://127.0.0.1:" + std::to_string(port) + "/any/path"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "ext permessage-deflate\n'héllo'\nb'\\x00\\xff'\n''\npong\nclosed 4005 bye\n");
  for (int i = 0; i < 100 && echo.stderrSoFar().find("closed 4005 bye") == std::string::npos; ++i) {
    usleep(10000);
  }
  std::string err = echo.stderrSoFar();
  // The close line names the peer the connection line named.
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(err, m, std::regex("ws: connection from (127\\.0\\.0\\.1:[0-9]+) ")))
      << err;
  EXPECT_NE(err.find("ws: " + m[1].str() + " closed 4005 bye"), std::string::npos) << err;
  EXPECT_TRUE(echo.stdoutSoFar().find("hello") == std::string::npos);  // logs go to stderr
  echo.kill(SIGTERM);
  EXPECT_EQ(echo.wait(5), 0);
}

// An IPv6 peer's name does not fit the packed form the close line's listener keeps for IPv4.
TEST(WsCli, EchoLogsAnIpv6PeerAtConnectionAndClose) {
  if (!havePy()) GTEST_SKIP() << "python3-websockets is needed";
  EVNODE_WATCHDOG(30);
  et::Process echo({et::evnodeBinary(), "ws", "echo", "--port", "0", "--host", "::1"});
  std::string line = echo.waitForLine(std::regex("^listening on ws://\\[::1\\]:[0-9]+$"));
  ASSERT_FALSE(line.empty());
  int port = std::stoi(line.substr(line.rfind(':') + 1));
  const char* script = R"(
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1]) as ws:
        await ws.send("v6"); print(await ws.recv())
        await ws.close(1000, "done")
asyncio.run(main())
)";
  auto r = et::runProcess({kPython, "-c", script, "ws://[::1]:" + std::to_string(port) + "/six"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "v6\n");
  for (int i = 0; i < 100 && echo.stderrSoFar().find("closed 1000") == std::string::npos; ++i) {
    usleep(10000);
  }
  std::string err = echo.stderrSoFar();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(err, m, std::regex("ws: connection from (\\[::1\\]:[0-9]+) /six")))
      << err;
  EXPECT_NE(err.find("ws: " + m[1].str() + " closed 1000 done"), std::string::npos) << err;
  echo.kill(SIGTERM);
  EXPECT_EQ(echo.wait(5), 0);
}

TEST(WsCli, EchoClosesIdleClientsWith1001OnSignal) {
  if (!havePy()) GTEST_SKIP() << "python3-websockets is needed";
  EVNODE_WATCHDOG(30);
  et::Process echo({et::evnodeBinary(), "ws", "echo", "--port", "0"});
  int port = startEcho(echo);
  ASSERT_GT(port, 0);
  const char* script = R"(
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1]) as ws:
        print("open", flush=True)
        try:
            await ws.recv()
        except websockets.ConnectionClosed:
            pass
        print("closed", ws.close_code, ws.close_reason, flush=True)
asyncio.run(main())
)";
  et::Process client({kPython, "-c", script, "ws://127.0.0.1:" + std::to_string(port) + "/"});
  ASSERT_FALSE(client.waitForLine("open").empty());
  echo.kill(SIGINT);
  EXPECT_FALSE(client.waitForLine("closed 1001 server shutting down").empty());
  EXPECT_EQ(echo.wait(5), 0);
}

TEST(WsCli, ConnectSendsLinesAndPrintsMessagesOverWss) {
  TLS_NEED_CERTS();
  EVNODE_WATCHDOG(30);
  et::Process echo({et::evnodeBinary(), "ws", "echo", "--port", "0", "--tls-cert",
                    tlstest::certs().path("leaf.pem"), "--tls-key",
                    tlstest::certs().path("leaf.key")});
  int port = startEcho(echo, "wss");
  ASSERT_GT(port, 0);
  std::string url = "wss://localhost:" + std::to_string(port) + "/";
  auto r = et::runProcess(
      {et::evnodeBinary(), "ws", "connect", url, "--cacert", tlstest::certs().path("ca.pem")},
      "first line\nsecond\r\n\nlast without newline");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "first line\nsecond\n\nlast without newline\n");
  EXPECT_EQ(r.err, "");
  // Without the CA: the certificate is refused, as https's would be.
  r = et::runProcess({et::evnodeBinary(), "ws", "connect", url}, "x\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("evnode: ws: "), std::string::npos) << r.err;
  // -k accepts it; --binary sends binary messages (echoed as such, printed the same).
  r = et::runProcess({et::evnodeBinary(), "ws", "connect", url, "-k", "--binary"}, "bin\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "bin\n");
  echo.kill(SIGTERM);
  EXPECT_EQ(echo.wait(5), 0);
}

TEST(WsCli, ConnectReportsServerCloseAndRefusedHandshake) {
  if (!havePy()) GTEST_SKIP() << "python3-websockets is needed";
  EVNODE_WATCHDOG(30);
  et::Process server(
      {kPython, std::string(EVNODE_SOURCE_DIR) + "/tests/ws/peers/py_server.py", "0"});
  std::string line = server.waitForLine("listening ");
  ASSERT_FALSE(line.empty());
  std::string url = "ws://127.0.0.1:" + line.substr(10) + "/";
  auto r = et::runProcess(
      {et::evnodeBinary(), "ws", "connect", url, "--protocol", "p1", "-H", "X-Test: 1"},
      "one\nplease-close\n");
  // python3-websockets refuses a subprotocol it was not configured with by answering none,
  // which our client (as `ws`) treats as a failed handshake.
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "evnode: ws: Server sent no subprotocol (WS_ERR_HANDSHAKE)\n");
  {
    // stdin stays open: the close is the server's.
    et::Process c({et::evnodeBinary(), "ws", "connect", url, "-H", "X-Test: 1"});
    c.writeStdin("one\n");
    EXPECT_EQ(c.waitForLine("one"), "one");
    c.writeStdin("please-close\n");
    EXPECT_EQ(c.wait(10), 1);
    EXPECT_EQ(c.stdoutSoFar(), "one\n");
    EXPECT_EQ(c.stderrSoFar(), "evnode: ws: closed 4003 by server\n");
  }

  et::TempDir dir;
  et::Process serve({et::evnodeBinary(), "serve", dir.path(), "--port", "0", "-q"});
  std::string ready = serve.waitForLine("listening on http://");
  ASSERT_FALSE(ready.empty());
  std::string port = ready.substr(ready.rfind(':') + 1);
  r = et::runProcess({et::evnodeBinary(), "ws", "connect", "ws://127.0.0.1:" + port + "/nope"}, "");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "evnode: ws: unexpected response 404\n");
}

TEST(WsCli, BenchMeasuresEchoWithJson) {
  EVNODE_WATCHDOG(30);
  et::Process echo({et::evnodeBinary(), "ws", "echo", "--port", "0"});
  int port = startEcho(echo);
  ASSERT_GT(port, 0);
  auto r = et::runProcess({et::evnodeBinary(), "ws", "bench",
                           "ws://127.0.0.1:" + std::to_string(port) + "/", "-c", "8", "-d", "500ms",
                           "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("\"messages_per_sec\":([0-9.]+)"))) << r.out;
  EXPECT_GT(std::stod(m[1]), 100.0) << r.out;
  EXPECT_NE(r.out.find("\"latency_ms\":{\"p50\":"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"errors\":0"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;  // one JSON object
  echo.kill(SIGTERM);
  EXPECT_EQ(echo.wait(5), 0);
}

// A server that closes every connection (1011) after five echoes: each close is an error
// counted by its code, the connection is replaced (the load stays at -c), the messages before
// it count; the URL, with a quote in it, is escaped in the JSON.
TEST(WsCli, BenchCountsServerClosesAsErrorsAndReconnects) {
  if (!havePy()) GTEST_SKIP() << "python3-websockets is needed";
  EVNODE_WATCHDOG(30);
  et::Process server({kPython, "-c", R"(
import asyncio, websockets
async def handler(ws, path=None):
    for _ in range(5):
        await ws.send(await ws.recv())
    await ws.close(code=1011, reason='enough')
async def main():
    async with websockets.serve(handler, '127.0.0.1', 0) as srv:
        print('port', srv.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
)"});
  std::string line = server.waitForLine("port ");
  ASSERT_FALSE(line.empty());
  const std::string url = "ws://127.0.0.1:" + line.substr(5) + "/?q=\"x\"";
  auto r =
      et::runProcess({et::evnodeBinary(), "ws", "bench", url, "-c", "2", "-d", "700ms", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  // Python reads the JSON (the escaping) and checks the counts.
  auto check = et::runProcess({kPython, "-c", R"(
import json, sys
d = json.loads(sys.stdin.read())
e, m = d['errors'], d['messages']
assert d['url'] == sys.argv[1], d['url']
assert d['errors_by_code'] == {'WS_CLOSE_1011': e}, d
assert e > 2, d                       # more closes than connections: they were replaced
assert 5 * e <= m <= 5 * (e + 2), d   # five echoes before each close, two connections at the end
print('ok')
)",
                               url},
                              r.out);
  EXPECT_EQ(check.out, "ok\n") << check.err << r.out;
  server.kill(SIGTERM);
  server.wait(5);
}

}  // namespace
}  // namespace evnode::ws::test
