// The dgram examples (examples/udp_server.cc, udp_client.cc, built into bin/examples/) behave as
// seed 002's UDP server and client: each is run as a user would, on port 0.
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "support/testing.h"

namespace {

namespace et = evnode::testing;

std::string example(const std::string& name) { return et::binDir() + "/examples/" + name; }

TEST(DgramExamples, ClientTalksToServer) {
  EVNODE_WATCHDOG(30);
  et::Process server({example("udp_server"), "0"});
  std::string ready = server.waitForLine("server listening ");
  ASSERT_TRUE(ready.starts_with("server listening 0.0.0.0:")) << ready;
  std::string port = ready.substr(ready.rfind(':') + 1);
  auto client = et::runProcess({example("udp_client"), port});
  EXPECT_EQ(client.status, 0) << client.err;
  EXPECT_EQ(client.out, "client sent 13 bytes\n");
  std::string got = server.waitForLine("server got: ");
  EXPECT_TRUE(got.starts_with("server got: Hello Node.js from 127.0.0.1:")) << got;
  server.kill(SIGTERM);
  server.wait(10);
}

TEST(DgramExamples, ClientReportsAnUnknownHost) {
  EVNODE_WATCHDOG(30);
  auto client = et::runProcess({example("udp_client"), "41234", "nosuch.invalid"});
  EXPECT_EQ(client.status, 1);
  EXPECT_EQ(client.err, "send failed: getaddrinfo ENOTFOUND nosuch.invalid\n");
}

}  // namespace
