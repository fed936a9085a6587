// The co_await examples (examples/async/) run as a user runs them, against real peers (curl,
// Node.js, each other), and print what their callback twins print.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/testing.h"

namespace et = evnode::testing;

namespace {

std::string example(const std::string& name) { return et::binDir() + "/examples/async/" + name; }

// A server example started on port 0: its port, from the line it prints.
struct Server {
  std::unique_ptr<et::Process> proc;
  int port = 0;
  Server(std::vector<std::string> argv, const std::string& ready) {
    proc = std::make_unique<et::Process>(std::move(argv));
    std::string line = proc->waitForLine(ready, 20);
    std::size_t end = line.find_last_of("0123456789");
    std::size_t start = line.find_last_not_of("0123456789", end) + 1;
    port = std::stoi(line.substr(start, end - start + 1));
  }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
};

TEST(AsyncExamples, TcpEchoServerAndClient) {
  EVNODE_WATCHDOG(30);
  Server echo({example("tcp_echo_server"), "0"}, "running on port");
  auto r = et::runProcess({example("tcp_client"), std::to_string(echo.port), "127.0.0.1"}, "", 20);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "Server: You said: Hello server\n");
  echo.proc->waitForLine("Client disconnected");
  EXPECT_NE(echo.proc->stdoutSoFar().find("Client connected\nReceived: Hello server\n"),
            std::string::npos);
  auto refused =
      et::runProcess({example("tcp_client"), std::to_string(et::freePort()), "127.0.0.1"}, "", 20);
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("Connection error: connect ECONNREFUSED"), std::string::npos);
}

TEST(AsyncExamples, HttpServersAnswerCurl) {
  if (!et::haveCommand("curl")) GTEST_SKIP() << "curl is not installed";
  EVNODE_WATCHDOG(60);
  Server hello({example("http_hello_world"), "0"}, "Server running at");
  EXPECT_EQ(et::runProcess({"curl", "-s", hello.url()}).out, "Hello World\n");

  Server collect({example("http_collect_body"), "0"}, "listening on");
  auto c = et::runProcess({"curl", "-s", "--data-binary", "@-", collect.url("/up")}, "abc", 20);
  EXPECT_EQ(c.out, "POST /up: 3 bytes in 1 chunks: abc");

  // 3 MB through req → res, byte-exact (a pipeline with backpressure both ways).
  Server echo({example("http_echo_body"), "0"}, "listening on");
  std::string big(3 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 13) % 26);
  auto e = et::runProcess(
      {"curl", "-s", "--data-binary", "@-", "-H", "Content-Type: text/x-big", echo.url()}, big, 30);
  EXPECT_TRUE(e.out == big) << "echoed " << e.out.size() << " bytes";

  et::TempDir dir;
  et::writeFile(dir.file("f.bin"), big);
  Server file({example("http_stream_file"), dir.file("f.bin"), "0"}, "listening on");
  EXPECT_TRUE(et::runProcess({"curl", "-s", file.url()}, "", 30).out == big);
  Server missing({example("http_stream_file"), dir.file("none"), "0"}, "listening on");
  auto m = et::runProcess({"curl", "-s", "-i", missing.url()});
  EXPECT_EQ(m.out.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << m.out;
}

TEST(AsyncExamples, FetchClientsAgainstNode) {
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  EVNODE_WATCHDOG(30);
  et::Process node({"node", "-e", R"(
    const http = require('http');
    const srv = http.createServer((req, res) => {
      let body = ''; req.on('data', d => body += d);
      req.on('end', () => { res.setHeader('X-Test', 'yes');
        res.end(`${req.method} ${req.url} ${req.headers['transfer-encoding'] || '-'}\n${body}`); });
    });
    srv.listen(0, '127.0.0.1', () => console.log('port ' + srv.address().port));)"});
  std::string line = node.waitForLine("port ");
  std::string base = "http://127.0.0.1:" + line.substr(5);
  auto get = et::runProcess({example("http_client"), base + "/a?b=1"}, "", 20);
  EXPECT_EQ(get.status, 0) << get.err;
  EXPECT_EQ(get.out.rfind("STATUS: 200\nHEADERS: {", 0), 0u) << get.out;
  EXPECT_NE(get.out.find("\"x-test\":\"yes\""), std::string::npos);
  EXPECT_TRUE(get.out.ends_with("}\nGET /a?b=1 -\n")) << get.out;
  auto post = et::runProcess({example("http_post_chunked"), base + "/upload"}, "", 20);
  EXPECT_EQ(post.out,
            "STATUS: 200\nPOST /upload chunked\nline 1\nline 2\nline 3\nline 4\nline 5\n");
  auto unix = et::runProcess({example("http_unix_socket"), et::TempDir().file("h.sock")}, "", 20);
  EXPECT_EQ(unix.out, "you asked for GET /over/unix\n") << unix.err;
}

TEST(AsyncExamples, UdpDnsAndStdio) {
  EVNODE_WATCHDOG(30);
  Server udp({example("udp_server"), "0"}, "server listening");
  auto sent = et::runProcess({example("udp_client"), std::to_string(udp.port), "127.0.0.1"});
  EXPECT_EQ(sent.out, "client sent 13 bytes\n");
  EXPECT_NE(udp.proc->waitForLine("server got: Hello Node.js from 127.0.0.1:"), "");
  EXPECT_EQ(et::runProcess({example("dns_lookup"), "127.0.0.1"}).out, "127.0.0.1 (IPv4)\n");
  auto bad = et::runProcess({example("dns_lookup"), "nosuch.invalid"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.err, "getaddrinfo ENOTFOUND nosuch.invalid\n");
  std::string text(200000, 'q');
  EXPECT_TRUE(et::runProcess({example("stdio_cat")}, text).out == text);
  EXPECT_EQ(et::runProcess({example("stdio_cat"), "--upper"}, "abc-XyZ\n").out, "ABC-XYZ\n");
}

}  // namespace
