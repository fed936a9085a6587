// net against Node.js's own `net` module: a Node client talking to our server, our client
// talking to a Node server.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "evnode/loop.h"
#include "evnode/net.h"
#include "support/testing.h"

namespace {

using namespace evnode;
namespace et = evnode::testing;
using net::Server;
using net::Socket;

TEST(NetNodeInterop, NodeClientTalksToOurServer) {
  EVNODE_WATCHDOG(30);
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  net::ServerOptions so;
  so.allowHalfOpen = true;  // answer after the client's FIN, then end
  std::string got;
  std::string nodeRemote;
  std::shared_ptr<Server> server;
  server = net::createServer(so, [&](const std::shared_ptr<Socket>& s) {
    Socket* raw = s.get();
    s->on(Socket::Events::data, [&](const Buffer& b) { got += b.toString(); });
    s->on(Socket::Events::end, [&, raw] {
      nodeRemote = raw->remoteAddress();
      raw->end("evnode heard: " + got);
    });
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  server->listen(0, "127.0.0.1");
  const int port = server->address().port;
  const std::string script =
      "const net = require('net');"
      "const s = net.connect(" +
      std::to_string(port) +
      ", '127.0.0.1', () => {"
      "  s.write('hello '); s.end('from node'); });"
      "let d = ''; s.setEncoding('utf8');"
      "s.on('data', c => d += c);"
      "s.on('end', () => console.log('node got: ' + d));"
      "s.on('error', e => { console.log('node error: ' + e.code); process.exitCode = 1; });";
  et::Process node({"node", "-e", script});
  run();
  EXPECT_EQ(node.wait(20), 0) << node.stderrSoFar();
  EXPECT_EQ(got, "hello from node");
  EXPECT_EQ(nodeRemote, "127.0.0.1");
  EXPECT_EQ(node.stdoutSoFar(), "node got: evnode heard: hello from node\n");
}

TEST(NetNodeInterop, OurClientTalksToANodeServer) {
  EVNODE_WATCHDOG(30);
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  // One connection, then the Node server closes; it answers with what it heard and the
  // client's address as it saw it.
  const std::string script =
      "const net = require('net');"
      "const srv = net.createServer({allowHalfOpen: true}, s => {"
      "  srv.close(); let d = ''; s.setEncoding('utf8');"
      "  s.on('data', c => d += c);"
      "  s.on('end', () => s.end('node heard: ' + d + ' from port ' + s.remotePort));"
      "});"
      "srv.listen(0, '127.0.0.1', () => console.log('port ' + srv.address().port));";
  et::Process node({"node", "-e", script});
  std::string line = node.waitForLine("port ", 15);
  ASSERT_FALSE(line.empty());
  const int port = std::stoi(line.substr(5));
  std::string got;
  int localPort = -1;
  bool hadError = true;
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1", [&] {
    localPort = c->localPort();
    c->write("hi ");
    c->end("from evnode");
  });
  c->setEncoding("utf8");
  c->on(Socket::Events::data, [&](const Buffer& b) { got += b.toString(); });
  c->on(Socket::Events::close, [&](bool h) { hadError = h; });
  run();
  EXPECT_FALSE(hadError);
  EXPECT_EQ(got, "node heard: hi from evnode from port " + std::to_string(localPort));
  EXPECT_EQ(node.wait(15), 0) << node.stderrSoFar();
}

TEST(NetNodeInterop, LargeTransferBothWaysWithNode) {
  EVNODE_WATCHDOG(60);
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  // A Node echo server; our client sends 16 MiB and checks every byte that comes back.
  const std::string script =
      "const net = require('net');"
      "const srv = net.createServer(s => { srv.close(); s.pipe(s); });"
      "srv.listen(0, '127.0.0.1', () => console.log('port ' + srv.address().port));";
  et::Process node({"node", "-e", script});
  std::string line = node.waitForLine("port ", 15);
  ASSERT_FALSE(line.empty());
  const int port = std::stoi(line.substr(5));
  const std::string data = et::randomBytes(16u << 20, 42);
  std::string got;
  got.reserve(data.size());
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1");
  std::size_t sent = 0;
  std::function<void()> pump = [&] {
    while (sent < data.size()) {
      std::size_t n = std::min<std::size_t>(100000, data.size() - sent);
      bool more = c->write(std::string_view(data).substr(sent, n));
      sent += n;
      if (!more) return;
    }
    c->end();
  };
  c->on(Socket::Events::connect, [&] { pump(); });
  c->on(Socket::Events::drain, [&] { pump(); });
  c->on(Socket::Events::data, [&](const Buffer& b) { got.append(b.view()); });
  run();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
  EXPECT_EQ(node.wait(15), 0) << node.stderrSoFar();
}

}  // namespace
