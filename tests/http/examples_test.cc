// The HTTP examples (examples/http_*.cc, built into bin/examples/) run as a user runs them, on
// port 0, checked with curl and raw sockets: the exact bytes they answer.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>

#include "evnode/loop.h"
#include "evnode/net.h"
#include "http/e2e_support.h"

namespace evnode::http::e2e {
namespace {

std::string example(const std::string& name) { return et::binDir() + "/examples/" + name; }

// Starts an example and returns its base URL (from its ready line).
std::string start(et::Process& p) {
  std::string line = p.waitForLine("listening on http://127.0.0.1:", 15);
  int port = et::parsePortFromListeningLine(line);
  EXPECT_GT(port, 0) << line;
  return "http://127.0.0.1:" + std::to_string(port);
}

// curl's output with the Date lines removed (it changes every second).
std::string curl(std::vector<std::string> args) {
  args.insert(args.begin(), {"curl", "-sS"});
  auto r = et::runProcess(args, "", 60);
  EXPECT_EQ(r.status, 0) << r.err;
  std::string out = r.out;
  for (auto at = out.find("\r\nDate: "); at != std::string::npos; at = out.find("\r\nDate: ", at)) {
    out.erase(at, out.find("\r\n", at + 2) - at);
  }
  return out;
}

std::uint64_t childStatusBytes(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stoull(line.substr(key.size() + 1)) * 1024;
  }
  return 0;
}

const std::string kKeepAlive = "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n";

class HttpExamples : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!et::haveCommand("curl")) GTEST_SKIP() << "curl is not installed";
  }
};

TEST_F(HttpExamples, HttpHelloSaysHelloHttp) {
  EVNODE_WATCHDOG(30);
  et::Process p({example("http_hello"), "0"});
  std::string base = start(p);
  EXPECT_EQ(curl({"-i", base + "/"}),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n" + kKeepAlive +
                "Hello HTTP");
}

TEST_F(HttpExamples, HttpHelloWorldSaysHelloWorld) {
  EVNODE_WATCHDOG(30);
  et::Process p({example("http_hello_world"), "0"});
  std::string base = start(p);
  const std::string one = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n" +
                          kKeepAlive + "Hello World";
  EXPECT_EQ(curl({"-i", base + "/", base + "/any/path?q=1"}), one + one);
  EXPECT_EQ(curl({"-i", "-X", "POST", "-d", "ignored", base + "/"}), one);
}

TEST_F(HttpExamples, HttpEchoBodyPipesTheRequestBack) {
  EVNODE_WATCHDOG(60);
  et::TempDir dir;
  const std::string data = et::randomBytes(5 * 1024 * 1024 + 3, 21);
  et::writeFile(dir.file("in.bin"), data);
  et::Process p({example("http_echo_body"), "0"});
  std::string base = start(p);
  curl({"--data-binary", "@" + dir.file("in.bin"), "-o", dir.file("out1.bin"), base + "/"});
  EXPECT_TRUE(et::readFile(dir.file("out1.bin")) == data) << "Content-Length upload";
  curl({"-H", "Transfer-Encoding: chunked", "--data-binary", "@" + dir.file("in.bin"), "-o",
        dir.file("out2.bin"), base + "/"});
  EXPECT_TRUE(et::readFile(dir.file("out2.bin")) == data) << "chunked upload";
  // Streamed back as it arrives: chunked framing (curl -i shows the decoded body).
  EXPECT_EQ(curl({"-i", "-H", "Content-Type: text/x-test", "--data-binary", "ping", base + "/"}),
            "HTTP/1.1 200 OK\r\nContent-Type: text/x-test\r\nTransfer-Encoding: chunked\r\n" +
                kKeepAlive + "ping");
}

TEST_F(HttpExamples, HttpCollectBodyConcatenatesTheChunks) {
  EVNODE_WATCHDOG(30);
  et::Process p({example("http_collect_body"), "0"});
  std::string base = start(p);
  EXPECT_EQ(curl({"-i", "-d", "abc=1", base + "/form"}),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 38\r\n" + kKeepAlive +
                "POST /form: 5 bytes in 1 chunks: abc=1");
  // A body sent in several chunked pieces arrives whole.
  std::string body(300000, 'z');
  et::TempDir dir;
  et::writeFile(dir.file("b.txt"), body);
  std::string out = curl({"-H", "Transfer-Encoding: chunked", "--data-binary",
                          "@" + dir.file("b.txt"), base + "/big"});
  const std::string prefix = "POST /big: 300000 bytes in ";
  ASSERT_EQ(out.rfind(prefix, 0), 0u) << out.substr(0, 80);
  auto colon = out.find(": ", prefix.size());
  ASSERT_NE(colon, std::string::npos);
  EXPECT_TRUE(out.substr(colon + 2) == body);
}

TEST_F(HttpExamples, HttpStreamFileServesAFileWithFlatMemory) {
  EVNODE_WATCHDOG(120);
  et::TempDir dir;
  const std::string small = et::randomBytes(3 * 1024 * 1024 + 5, 22);
  et::writeFile(dir.file("small.bin"), small);
  {
    et::Process p({example("http_stream_file"), dir.file("small.bin"), "0"});
    std::string base = start(p);
    curl({"-o", dir.file("got.bin"), base + "/"});
    EXPECT_TRUE(et::readFile(dir.file("got.bin")) == small);
  }
  {
    // 1 GiB (a sparse file: no disk cost) through the pipe; the example's peak RSS stays small.
    const std::uint64_t size = 1ull << 30;
    { std::ofstream(dir.file("big.bin")); }
    ASSERT_EQ(::truncate(dir.file("big.bin").c_str(), static_cast<off_t>(size)), 0);
    // Under AddressSanitizer freed chunks wait in a quarantine (256 MiB by default) before
    // their memory is reused, which would look like growth; keep it small so the peak is ours.
    const char* asan = std::getenv("ASAN_OPTIONS");
    et::Process p({"env",
                   std::string("ASAN_OPTIONS=") + (asan ? asan : "") + ":quarantine_size_mb=4",
                   example("http_stream_file"), dir.file("big.bin"), "0"});
    std::string base = start(p);
    EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code} %{size_download}", base + "/"}),
              "200 " + std::to_string(size));
    std::uint64_t peak = childStatusBytes(p.pid(), "VmHWM");
    EXPECT_GT(peak, 0u);
    EXPECT_LT(peak, 64ull << 20);
  }
  {
    et::Process p({example("http_stream_file"), dir.file("missing.bin"), "0"});
    std::string base = start(p);
    EXPECT_EQ(curl({"-i", base + "/"}),
              "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n" +
                  kKeepAlive + "ENOENT\n");
  }
}

TEST_F(HttpExamples, HttpEventsHandlesEachEvent) {
  EVNODE_WATCHDOG(60);
  et::Process p({example("http_events"), "0"});
  std::string base = start(p);
  const int port = std::stoi(base.substr(base.rfind(':') + 1));
  const std::string hello =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n" + kKeepAlive +
      "Hello World";

  // request
  EXPECT_EQ(curl({"-i", base + "/plain"}), hello);
  p.waitForLine("request GET /plain");

  // connect: curl tunnels through the example to the example itself.
  EXPECT_EQ(curl({"-i", "-p", "-x", base, base + "/tunnelled"}),
            "HTTP/1.1 200 Connection Established\r\n\r\n" + hello);
  p.waitForLine("connect 127.0.0.1:" + std::to_string(port));
  p.waitForLine("request GET /tunnelled");

  // checkContinue: a small body is accepted, a big one refused before it is sent.
  et::TempDir dir;
  et::writeFile(dir.file("small"), std::string(1000, 's'));
  et::writeFile(dir.file("big"), std::string(2 << 20, 'b'));
  EXPECT_EQ(curl({"-i", "-H", "Expect: 100-continue", "--expect100-timeout", "60", "--data-binary",
                  "@" + dir.file("small"), base + "/small"}),
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: "
            "text/plain\r\nContent-Length: 20\r\n" +
                kKeepAlive + "accepted 1000 bytes\n");
  p.waitForLine("checkContinue POST /small");
  EXPECT_EQ(curl({"-i", "-H", "Expect: 100-continue", "--expect100-timeout", "60", "--data-binary",
                  "@" + dir.file("big"), base + "/big"}),
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: "
            "44\r\nConnection: close\r\n\r\n"
            "refused: 2097152 bytes is more than 1048576\n");
  p.waitForLine("checkContinue POST /big");

  // upgrade and clientError over raw sockets.
  std::string upgraded, malformed;
  auto up = rawClient(
      port,
      "GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nfirst bytes|",
      [&](RawConn& c) { upgraded = c.got; });
  up->socket->on(net::Socket::Events::data, [&, raw = up.get()](const Buffer&) {
    // Once the head and the echoed first bytes are back, talk the new protocol, then end.
    if (raw->got.find("first bytes|") != std::string::npos &&
        raw->got.find("more") == std::string::npos) {
      raw->socket->end("more");
    }
  });
  rawClient(port, "GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
            [&](RawConn& c) { malformed = c.got; });
  run();
  EXPECT_EQ(upgraded,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nfirst "
            "bytes|more");
  EXPECT_EQ(malformed, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  p.waitForLine(std::regex("^(upgrade echo|clientError HPE_)"));
  p.waitForLine(std::regex("^(upgrade echo|clientError HPE_)"));
  EXPECT_NE(p.stdoutSoFar().find("\nupgrade echo\n"), std::string::npos);
  EXPECT_NE(p.stdoutSoFar().find("\nclientError HPE_"), std::string::npos);
}

}  // namespace
}  // namespace evnode::http::e2e
