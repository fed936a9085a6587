// `evnode udp listen|send` as ../shared/CLI.md specifies it: the ready line, one line per
// datagram, --echo, --wait-reply, one-line errors, clean exit on SIGINT/SIGTERM.
// EVNODE_BIN (a path) overrides the binary under test.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <string>

#include "dgram_testing.h"
#include "evnode/dgram.h"
#include "evnode/loop.h"
#include "support/testing.h"

namespace {

using namespace evnode;
namespace et = evnode::testing;
using dgram::Socket;
using dgramtest::runUntil;

std::string evnodeBin() {
  const char* e = std::getenv("EVNODE_BIN");
  return e && *e ? e : et::evnodeBinary();
}

// A loopback socket bound to an ephemeral port, for the test's side of the conversation.
std::shared_ptr<Socket> boundSocket(const std::string& type = "udp4",
                                    const std::string& host = "127.0.0.1") {
  auto s = dgram::createSocket(type);
  bool listening = false;
  s->bind(0, host, [&] { listening = true; });
  runUntil([&] { return listening; });
  return s;
}

void sendAndFlush(const std::shared_ptr<Socket>& s, const std::string& msg, int port,
                  const std::string& host) {
  bool sent = false;
  s->send(msg, port, host, [&](const Error& e, std::size_t) {
    EXPECT_FALSE(e) << e.message;
    sent = true;
  });
  runUntil([&] { return sent; });
}

TEST(UdpCli, ListenPrintsEachDatagramAndStopsOnSigint) {
  EVNODE_WATCHDOG(30);
  et::Process p({evnodeBin(), "udp", "listen", "--port", "0"});
  std::string ready = p.waitForLine("listening on ");
  ASSERT_TRUE(ready.starts_with("listening on udp://127.0.0.1:")) << ready;
  int port = et::parsePortFromListeningLine(ready);
  ASSERT_GT(port, 0);
  auto client = boundSocket();
  int clientPort = client->address().port;
  sendAndFlush(client, "hello", port, "127.0.0.1");
  EXPECT_EQ(p.waitForLine("server got:"),
            "server got: hello from 127.0.0.1:" + std::to_string(clientPort));
  sendAndFlush(client, "second one", port, "127.0.0.1");
  EXPECT_EQ(p.waitForLine("server got:"),
            "server got: second one from 127.0.0.1:" + std::to_string(clientPort));
  p.kill(SIGINT);
  EXPECT_EQ(p.wait(10), 0) << p.stderrSoFar();
  EXPECT_EQ(p.stderrSoFar(), "");
  client->close();
  run();
}

TEST(UdpCli, ListenOnIpv6AndStopOnSigterm) {
  EVNODE_WATCHDOG(30);
  et::Process p({evnodeBin(), "udp", "listen", "--port", "0", "--host", "::1"});
  std::string ready = p.waitForLine("listening on ");
  if (ready.empty()) GTEST_SKIP() << "no IPv6 loopback: " << p.stderrSoFar();
  ASSERT_TRUE(ready.starts_with("listening on udp://[::1]:")) << ready;
  int port = et::parsePortFromListeningLine(ready);
  auto client = boundSocket("udp6", "::1");
  int clientPort = client->address().port;
  sendAndFlush(client, "six", port, "::1");
  EXPECT_EQ(p.waitForLine("server got:"),
            "server got: six from [::1]:" + std::to_string(clientPort));
  p.kill(SIGTERM);
  EXPECT_EQ(p.wait(10), 0) << p.stderrSoFar();
  client->close();
  run();
}

TEST(UdpCli, EchoAndSendWaitReply) {
  EVNODE_WATCHDOG(30);
  et::Process p({evnodeBin(), "udp", "listen", "--port", "0", "--echo"});
  int port = et::parsePortFromListeningLine(p.waitForLine("listening on "));
  ASSERT_GT(port, 0);
  auto r = et::runProcess({evnodeBin(), "udp", "send", "127.0.0.1", std::to_string(port),
                           "ping pong", "--wait-reply", "3000"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "ping pong\n");
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(p.waitForLine("server got: ping pong from 127.0.0.1:").size() > 0);
  // A name resolves through the system resolver.
  r = et::runProcess({evnodeBin(), "udp", "send", "localhost", std::to_string(port), "by name",
                      "--wait-reply", "3000"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "by name\n");
  // Without --wait-reply: send and exit at once, printing nothing.
  r = et::runProcess({evnodeBin(), "udp", "send", "127.0.0.1", std::to_string(port), "fire"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(p.waitForLine("server got: fire from").size() > 0);
  p.kill(SIGINT);
  EXPECT_EQ(p.wait(10), 0);
}

TEST(UdpCli, WaitReplyTimesOutWithExitOne) {
  EVNODE_WATCHDOG(30);
  auto silent = boundSocket();  // receives into its kernel buffer, never answers
  int port = silent->address().port;
  auto r = et::runProcess({evnodeBin(), "udp", "send", "127.0.0.1", std::to_string(port), "anyone?",
                           "--wait-reply", "300"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(r.err.starts_with("evnode: ")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  silent->close();
  run();
}

TEST(UdpCli, ErrorsAreOneLine) {
  EVNODE_WATCHDOG(30);
  auto taken = boundSocket();
  int port = taken->address().port;
  auto r = et::runProcess({evnodeBin(), "udp", "listen", "--port", std::to_string(port)});
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "evnode: bind EADDRINUSE 127.0.0.1:" + std::to_string(port) + "\n");

  r = et::runProcess({evnodeBin(), "udp", "send", "nosuch.invalid", "9", "x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "evnode: getaddrinfo ENOTFOUND nosuch.invalid\n");

  r = et::runProcess({evnodeBin(), "udp", "send", "127.0.0.1", "0", "x"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(r.err.starts_with("evnode: ")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  r = et::runProcess({evnodeBin(), "udp", "fly"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(r.err.starts_with("evnode: ")) << r.err;

  r = et::runProcess({evnodeBin(), "udp", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("evnode udp listen"), std::string::npos);
  taken->close();
  run();
}

}  // namespace
