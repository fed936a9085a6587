// dgram against Node.js's own dgram module, both ways: a Node client talking to our socket, and
// our socket talking to a Node server.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "dgram_testing.h"
#include "evnode/dgram.h"
#include "evnode/loop.h"
#include "support/testing.h"

namespace {

using namespace evnode;
namespace et = evnode::testing;
using dgram::RemoteInfo;
using dgram::Socket;
using dgramtest::runUntil;

TEST(DgramNodeInterop, NodeClientTalksToOurSocket) {
  EVNODE_WATCHDOG(30);
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  auto server = dgram::createSocket("udp4");
  std::string got;
  RemoteInfo from;
  server->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo& r) {
    got = m.toString();
    from = r;
    server->send("evnode heard: " + got, r.port, r.address, [&](const Error& e, std::size_t) {
      EXPECT_FALSE(e) << e.message;
      server->close();
    });
  });
  bool listening = false;
  server->bind(0, "127.0.0.1", [&] { listening = true; });
  runUntil([&] { return listening; });
  const int port = server->address().port;
  const std::string script =
      "const dgram = require('dgram');"
      "const s = dgram.createSocket('udp4');"
      "s.on('message', (m, r) => { console.log('node got: ' + m + ' from ' + r.address + ':' +"
      "  (r.port === " +
      std::to_string(port) +
      " ? 'PORT' : r.port)); s.close(); });"
      "s.bind(0, '127.0.0.1', () => {"
      "  console.log('node port ' + s.address().port);"
      "  s.send(['hello ', Buffer.from('from node')], " +
      std::to_string(port) +
      ", '127.0.0.1');"
      "});"
      "setTimeout(() => { console.log('node timeout'); process.exit(1); }, 10000).unref();";
  et::Process node({"node", "-e", script});
  std::string portLine = node.waitForLine("node port ", 15);
  run();
  EXPECT_EQ(node.wait(20), 0) << node.stderrSoFar();
  EXPECT_EQ(got, "hello from node");
  EXPECT_EQ(from.address, "127.0.0.1");
  EXPECT_EQ(from.family, "IPv4");
  EXPECT_EQ("node port " + std::to_string(from.port), portLine);
  EXPECT_EQ(node.stdoutSoFar(),
            portLine + "\nnode got: evnode heard: hello from node from 127.0.0.1:PORT\n");
}

TEST(DgramNodeInterop, OurSocketTalksToANodeServer) {
  EVNODE_WATCHDOG(30);
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  // A Node udp6 echo server that answers with what it heard and where it came from.
  const std::string script =
      "const dgram = require('dgram');"
      "const s = dgram.createSocket('udp6');"
      "s.on('message', (m, r) => {"
      "  s.send('node heard ' + m.length + ' bytes: ' + m + ' from ' + r.family, r.port, r.address,"
      "    () => s.close()); });"
      "s.on('error', e => { console.log('node error ' + e.code); process.exit(2); });"
      "s.bind(0, '::1', () => console.log('listening ' + s.address().port));";
  et::Process node({"node", "-e", script});
  std::string line = node.waitForLine("listening ", 15);
  if (line.empty() || node.stdoutSoFar().find("node error") != std::string::npos) {
    GTEST_SKIP() << "node could not bind ::1: " << node.stdoutSoFar();
  }
  const int port = std::stoi(line.substr(line.find(' ') + 1));
  auto client = dgram::createSocket("udp6");
  std::string reply;
  client->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo& r) {
    reply = m.toString();
    EXPECT_EQ(r.port, port);
    EXPECT_EQ(r.address, "::1");
    client->close();
  });
  client->connect(port, "::1", [&] { client->send(Buffer::from("ping over six")); });
  run();
  EXPECT_EQ(reply, "node heard 13 bytes: ping over six from IPv6");
  EXPECT_EQ(node.wait(20), 0) << node.stderrSoFar();
}

}  // namespace
