// The HTTP client examples (examples/http_client.cc, http_agent_pool.cc, http_post_chunked.cc,
// http_unix_socket.cc) run as a user runs them, against a Node.js http server that records what
// arrived: the output they print and the bytes the server saw.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/testing.h"

namespace et = evnode::testing;

namespace {

std::string example(const std::string& name) { return et::binDir() + "/examples/" + name; }

// Answers every request after 150 ms (so a pool's limit shows as concurrency), with a body that
// tells what the server saw: method, url, framing, the body, the peak number of requests in
// flight and the number of connections so far.
const char* kNodeServer = R"JS(
const http = require('http');
let inFlight = 0, peak = 0, conns = 0;
const server = http.createServer((req, res) => {
  inFlight++; peak = Math.max(peak, inFlight);
  let body = '';
  req.setEncoding('utf8');
  req.on('data', d => body += d);
  req.on('end', () => setTimeout(() => {
    inFlight--;
    res.setHeader('X-Test', 'yes');
    const framing = req.headers['transfer-encoding'] || ('length ' + req.headers['content-length']);
    res.end(`${req.method} ${req.url} ${framing} peak=${peak} conns=${conns}\n${body}`);
  }, 150));
});
server.on('connection', () => conns++);
server.listen(0, '127.0.0.1', () => console.log('listening on ' + server.address().port));
)JS";

class HttpClientExamples : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
    node_ = std::make_unique<et::Process>(std::vector<std::string>{"node", "-e", kNodeServer});
    std::string line = node_->waitForLine("listening on ", 20);
    port_ = std::stoi(line.substr(line.rfind(' ') + 1));
    ASSERT_GT(port_, 0);
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::unique_ptr<et::Process> node_;
  int port_ = 0;
};

TEST_F(HttpClientExamples, HttpClientPrintsStatusHeadersAndBody) {
  EVNODE_WATCHDOG(30);
  auto r = et::runProcess({example("http_client"), base() + "/hello?x=1"}, "", 20);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("STATUS: 200\nHEADERS: {", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\"x-test\":\"yes\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"content-length\":"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("}\nGET /hello?x=1 length undefined peak=1 conns=1\n"), std::string::npos)
      << r.out;
}

TEST_F(HttpClientExamples, HttpClientReportsARefusedConnection) {
  EVNODE_WATCHDOG(30);
  int port = et::freePort();
  auto r =
      et::runProcess({example("http_client"), "http://127.0.0.1:" + std::to_string(port)}, "", 20);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("problem with request: connect ECONNREFUSED"), std::string::npos) << r.err;
}

// Seed 002: 10 requests, maxSockets 5 → never more than 5 in flight, on 5 reused connections.
TEST_F(HttpClientExamples, AgentPoolKeepsFiveInFlightOnFiveConnections) {
  EVNODE_WATCHDOG(30);
  auto r = et::runProcess({example("http_agent_pool"), std::to_string(port_)}, "", 20);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  int starts = 0, ends = 0, maxInFlight = 0;
  std::regex start(R"(^start (\d) \(in flight (\d+)\)$)"), end(R"(^end (\d) \(status 200, .*\)$)");
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_match(line, m, start)) {
      ++starts;
      maxInFlight = std::max(maxInFlight, std::stoi(m[2]));
    } else if (std::regex_match(line, m, end)) {
      ++ends;
    } else {
      ADD_FAILURE() << "unexpected line: " << line;
    }
  }
  EXPECT_EQ(starts, 10);
  EXPECT_EQ(ends, 10);
  EXPECT_EQ(maxInFlight, 5);
  // What the server saw: at most 5 at a time, and the 5 connections were reused.
  auto last = et::runProcess({"curl", "-sS", base() + "/check"}, "", 20);
  EXPECT_NE(last.out.find("peak=5 conns=6"), std::string::npos) << last.out;  // +1: curl's
}

TEST_F(HttpClientExamples, PostChunkedSendsTheBodyInChunks) {
  EVNODE_WATCHDOG(30);
  auto r = et::runProcess({example("http_post_chunked"), base() + "/upload"}, "", 20);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "STATUS: 200\nPOST /upload chunked peak=1 conns=1\n"
            "line 1\nline 2\nline 3\nline 4\nline 5\n");
}

TEST(HttpClientExamplesUnix, UnixSocketServerAndClient) {
  EVNODE_WATCHDOG(30);
  et::TempDir dir;
  auto r = et::runProcess({example("http_unix_socket"), dir.file("http.sock")}, "", 20);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "STATUS: 200\nyou asked for GET /over/unix\n");
}

}  // namespace
