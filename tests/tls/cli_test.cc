// `evnode echo --tls-cert/--tls-key` as a user runs it (256 MiB byte-exact through a Node.js TLS
// client, SHA-256 compared; openssl s_client; bad options), and the tls examples.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <string>

#include "support/testing.h"
#include "tls/tls_support.h"

namespace {

namespace et = evnode::testing;
using tlstest::certs;

struct TlsEcho {
  et::Process proc;
  int port = -1;
  explicit TlsEcho(std::vector<std::string> extra = {})
      : proc([&] {
          std::vector<std::string> argv = {et::evnodeBinary(), "echo",
                                           "--port",           "0",
                                           "--tls-cert",       certs().path("leaf.pem"),
                                           "--tls-key",        certs().path("leaf.key")};
          argv.insert(argv.end(), extra.begin(), extra.end());
          return argv;
        }()) {
    std::string line = proc.waitForLine("listening on");
    EXPECT_EQ(line.rfind("listening on tls://127.0.0.1:", 0), 0u) << line;
    port = et::parsePortFromListeningLine(line);
  }
};

std::string sha256File(const std::string& path) {
  et::ProcResult r = et::runProcess({"sha256sum", path});
  return r.out.substr(0, 64);
}

// Sends `line` through `openssl s_client` and returns the line that comes back. The echo server
// ends only when its client half-closes, which s_client never does, so the client is stopped
// once the echo has arrived.
std::string sClientEcho(int port, const std::string& line) {
  et::Process c({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-CAfile",
                 certs().path("ca.pem"), "-verify_return_error", "-quiet"});
  c.writeStdin(line + "\n");
  std::string got = c.waitForLine(line, 20);
  c.kill(SIGTERM);
  c.wait();
  return got;
}

TEST(TlsCli, EchoReadyLineAndSClient) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  TlsEcho s;
  ASSERT_GT(s.port, 0);
  EXPECT_EQ(sClientEcho(s.port, "over tls"), "over tls");
  s.proc.kill(SIGINT);
  EXPECT_EQ(s.proc.wait(10), 0);
}

TEST(TlsCli, Echo256MiBThroughNodeTlsByteExact) {
  EVNODE_WATCHDOG(280);
  TLS_NEED_CERTS();
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  TlsEcho s;
  ASSERT_GT(s.port, 0);
  et::TempDir dir;
  const std::string in = dir.file("in.bin"), out = dir.file("out.bin");
  {
    std::ofstream f(in, std::ios::binary);
    for (int i = 0; i < 256; ++i) {
      std::string mib = et::randomBytes(1 << 20, 5000 + i);
      f.write(mib.data(), static_cast<std::streamsize>(mib.size()));
    }
  }
  std::string script =
      "const s = require('tls').connect({port: " + std::to_string(s.port) +
      ", host: '127.0.0.1', servername: 'localhost', ca: require('fs').readFileSync('" +
      certs().path("ca.pem") +
      "')}); process.stdin.pipe(s); s.pipe(process.stdout);"
      " s.on('error', e => { console.error(e.code); process.exit(1); });";
  et::ProcResult r =
      et::runProcess({"sh", "-c", "node -e \"" + script + "\" < " + in + " > " + out}, "", 240);
  EXPECT_EQ(r.status, 0) << r.err;
  std::ifstream f(out, std::ios::binary | std::ios::ate);
  EXPECT_EQ(static_cast<long>(f.tellg()), 256L << 20);
  EXPECT_EQ(sha256File(out), sha256File(in));
  s.proc.kill(SIGINT);
  EXPECT_EQ(s.proc.wait(10), 0);
}

TEST(TlsCli, PlainClientOnTlsPortIsDroppedServerKeepsServing) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  TlsEcho s;
  if (et::haveCommand("curl")) {
    et::ProcResult r = et::runProcess(
        {"curl", "-s", "--max-time", "10", "http://127.0.0.1:" + std::to_string(s.port) + "/"});
    EXPECT_NE(r.status, 0);  // not HTTP: curl gets garbage or a closed connection
  }
  EXPECT_EQ(sClientEcho(s.port, "still here"), "still here");
  s.proc.kill(SIGTERM);
  EXPECT_EQ(s.proc.wait(10), 0);
}

TEST(TlsCli, BadTlsOptionsAreOneLineErrors) {
  TLS_NEED_CERTS();
  et::ProcResult r = et::runProcess(
      {et::evnodeBinary(), "echo", "--port", "0", "--tls-cert", certs().path("leaf.pem")});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "evnode: --tls-cert and --tls-key go together\n");
  r = et::runProcess({et::evnodeBinary(), "echo", "--port", "0", "--tls-cert", "/nonexistent.pem",
                      "--tls-key", certs().path("leaf.key")});
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.err, "evnode: --tls-cert: cannot read /nonexistent.pem\n");
  r = et::runProcess({et::evnodeBinary(), "echo", "--port", "0", "--tls-cert",
                      certs().path("leaf.pem"), "--tls-key", certs().path("other.key")});
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.err.rfind("evnode: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(TlsExamples, TlsEchoServerAndTlsClient) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  std::string dir = et::binDir() + "/examples/";
  et::Process server(
      {dir + "tls_echo_server", certs().path("leaf.pem"), certs().path("leaf.key"), "0"});
  std::string line = server.waitForLine("TLS server running on port");
  std::string port = line.substr(line.rfind(' ') + 1);
  et::ProcResult r =
      et::runProcess({dir + "tls_client", port, "localhost", certs().path("ca.pem")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(
      r.out.find("Connected securely (TLSv1.3), server certificate for localhost, authorized: yes"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Server: You said: Hello secure server"), std::string::npos) << r.out;
  server.waitForLine("Received: Hello secure server");
  // Without our CA the client refuses the server.
  r = et::runProcess({dir + "tls_client", port, "localhost"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), std::string::npos) << r.err;
  server.kill(SIGTERM);
  server.wait();
}

}  // namespace
