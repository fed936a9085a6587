// `evnode bench` as a user runs it (CLI.md): the summary (requests/s, bytes/s, latency
// p50/p90/p99/max, non-2xx, errors) and --json (read by Python's json module), checked against
// what the server counted: requests, exactly -c connections, -p requests in flight, the method
// and headers on the wire, non-2xx and error counts, and the one-line failure when nothing
// answers. Peers: raw counting servers on threads, Node.js's http server, `evnode serve`.
// Each run lasts at most a second.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/http_peers.h"
#include "support/testing.h"

namespace {

namespace et = evnode::testing;
using namespace evnode::clitest;

et::ProcResult evnodeBench(std::vector<std::string> args, int timeoutSec = 60) {
  std::vector<std::string> argv{et::evnodeBinary(), "bench"};
  argv.insert(argv.end(), args.begin(), args.end());
  return et::runProcess(argv, "", timeoutSec);
}

// What a raw server counted, shared with its connection threads.
struct Counts {
  std::atomic<long> requests{0};   // request heads parsed
  std::atomic<long> responses{0};  // responses written
  std::atomic<long> maxInFlight{0};
  std::mutex mu;
  std::string firstHead;
};

struct BenchServerOptions {
  // The response for the n-th request on a connection (0-based).
  std::function<std::string(long n)> response = [](long) {
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  };
  // Answer only once this many requests are waiting (or nothing more came for 100 ms):
  // lets the test see how many requests bench keeps in flight.
  long batch = 1;
  // Close the connection (without answering) when the n-th request on it arrives; -1: never.
  long hangUpAt = -1;
};

// A keep-alive HTTP server on raw sockets that counts what it sees. Bench sends requests
// without bodies, so every "\r\n\r\n" ends one.
struct BenchServer {
  std::shared_ptr<Counts> counts = std::make_shared<Counts>();
  RawServer raw;

  explicit BenchServer(BenchServerOptions opt = {})
      : raw([counts = counts, opt](int fd, RawServer& self) {
          std::string buf;
          long waiting = 0, seen = 0;
          while (!self.stopping()) {
            for (std::size_t end; (end = buf.find("\r\n\r\n")) != std::string::npos;) {
              if (seen == 0 && counts->requests == 0) {
                std::lock_guard<std::mutex> lock(counts->mu);
                if (counts->firstHead.empty()) counts->firstHead = buf.substr(0, end + 4);
              }
              buf.erase(0, end + 4);
              if (seen == opt.hangUpAt) return;
              ++seen;
              ++waiting;
              ++counts->requests;
            }
            long prev = counts->maxInFlight;
            while (waiting > prev && !counts->maxInFlight.compare_exchange_weak(prev, waiting)) {
            }
            pollfd p{fd, POLLIN, 0};
            int r = waiting >= opt.batch ? 0 : ::poll(&p, 1, 100);
            if (r == 0 && waiting > 0) {
              std::string out;
              for (long i = seen - waiting; i < seen; ++i) out += opt.response(i);
              if (!sendAll(fd, out)) return;
              counts->responses += waiting;
              waiting = 0;
              continue;
            }
            if (r < 0) return;
            if (r == 0) continue;
            char tmp[16384];
            ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
            if (n <= 0) return;
            buf.append(tmp, static_cast<std::size_t>(n));
          }
        }) {}
};

// A bench summary, from --json (through Python's json module) or from the text lines.
struct Summary {
  double rps = -1, bps = -1, p50 = -1, p90 = -1, p99 = -1, max = -1;
  long requests = -1, non2xx = -1, errors = -1;
};

// Validates the JSON with Python (one object, the keys CLI.md names, numbers where numbers
// belong) and returns what it holds.
Summary parseJson(const std::string& out) {
  Summary s;
  if (!et::haveCommand("python3")) {
    ADD_FAILURE() << "python3 is needed to check --json";
    return s;
  }
  const char* kCheck = R"PY(
import json, sys
d = json.load(sys.stdin)
assert isinstance(d, dict), 'not an object'
num = (int, float)
for k in ('requests_per_sec', 'bytes_per_sec', 'non2xx', 'errors', 'requests'):
    assert isinstance(d[k], num) and not isinstance(d[k], bool), k
for k in ('p50', 'p90', 'p99', 'max'):
    assert isinstance(d['latency_ms'][k], num), k
assert isinstance(d['non2xx'], int) and isinstance(d['errors'], int)
l = d['latency_ms']
print(d['requests_per_sec'], d['bytes_per_sec'], l['p50'], l['p90'], l['p99'], l['max'],
      d['requests'], d['non2xx'], d['errors'])
)PY";
  auto r = et::runProcess({"python3", "-c", kCheck}, out);
  EXPECT_EQ(r.status, 0) << r.err << "\n" << out;
  std::istringstream in(r.out);
  in >> s.rps >> s.bps >> s.p50 >> s.p90 >> s.p99 >> s.max >> s.requests >> s.non2xx >> s.errors;
  return s;
}

// The text summary: "requests/s  R  (N requests)", "bytes/s  B UNIT/s",
// "latency  p50 A ms  p90 B ms  p99 C ms  max D ms", "non-2xx  N", "errors  N".
Summary parseText(const std::string& out) {
  Summary s;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string key;
    l >> key;
    if (key == "requests/s") {
      std::string paren;
      l >> s.rps >> paren;
      s.requests = std::atol(paren.c_str() + 1);
    } else if (key == "bytes/s") {
      l >> s.bps;
    } else if (key == "latency") {
      std::string label, unit;
      l >> label >> s.p50 >> unit >> label >> s.p90 >> unit >> label >> s.p99 >> unit >> label >>
          s.max;
    } else if (key == "non-2xx") {
      l >> s.non2xx;
    } else if (key == "errors") {
      l >> s.errors;
    }
  }
  return s;
}

void expectSaneLatency(const Summary& s) {
  EXPECT_GE(s.p50, 0);
  EXPECT_LE(s.p50, s.p90);
  EXPECT_LE(s.p90, s.p99);
  EXPECT_LE(s.p99, s.max);
}

// Every request bench counts was answered by the server, and the server saw at most the
// requests still in flight when the run ended (connections × depth) on top.
void expectServerAgrees(const Counts& c, const Summary& s, long inFlight) {
  EXPECT_GT(s.requests, 0);
  EXPECT_GE(c.responses.load(), s.requests);
  EXPECT_GE(c.requests.load(), s.requests);
  EXPECT_LE(c.requests.load(), s.requests + inFlight);
}

// ---------------------------------------------------------------------------------------------

TEST(CliBench, HelpPrintsUsage) {
  EVNODE_WATCHDOG(30);
  auto r = evnodeBench({"--help"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("usage: evnode bench URL", 0), 0u) << r.out;
}

TEST(CliBench, UsageErrorsAreOneLineAndNonZero) {
  EVNODE_WATCHDOG(60);
  const std::string u = "http://127.0.0.1:1/";
  const std::vector<std::vector<std::string>> cases = {
      {},
      {u, u},
      {u, "-c", "0"},
      {u, "-c", "many"},
      {u, "-p", "0"},
      {u, "-d", "0"},
      {u, "-d", "soon"},
      {u, "-m", "GE T"},
      {u, "-H", "no colon"},
      {u, "--bogus"},
      {"not a url"},
      {"ftp://127.0.0.1/"},
  };
  for (const auto& args : cases) {
    auto r = evnodeBench(args);
    std::string what;
    for (const auto& a : args) what += "'" + a + "' ";
    EXPECT_NE(r.status, 0) << what;
    EXPECT_TRUE(isOneErrorLine(r.err)) << what << r.err;
    EXPECT_EQ(r.out, "") << what;
  }
}

TEST(CliBench, TextSummaryAgreesWithTheServer) {
  EVNODE_WATCHDOG(60);
  BenchServer server;
  auto r = evnodeBench({server.raw.base + "/", "-c", "4", "-d", "1"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");  // stderr is not a terminal: no live progress
  for (const char* field :
       {"requests/s", "bytes/s", "latency", "p50", "p90", "p99", "max", "non-2xx", "errors"}) {
    EXPECT_NE(r.out.find(field), std::string::npos) << field << "\n" << r.out;
  }
  Summary s = parseText(r.out);
  EXPECT_EQ(s.errors, 0) << r.out;
  EXPECT_EQ(s.non2xx, 0) << r.out;
  EXPECT_GT(s.rps, 0) << r.out;
  EXPECT_GT(s.bps, 0) << r.out;
  expectSaneLatency(s);
  expectServerAgrees(*server.counts, s, 4);
  EXPECT_EQ(server.raw.accepted.load(), 4);  // -c opens exactly that many connections
}

TEST(CliBench, JsonIsOneObjectThatAgreesWithTheServer) {
  EVNODE_WATCHDOG(60);
  if (!et::haveCommand("python3")) GTEST_SKIP() << "python3 is not installed";
  BenchServer server;
  auto r = evnodeBench({server.raw.base + "/", "-c", "3", "-d", "1", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  // One JSON object and nothing else: a single line.
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.front(), '{') << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  Summary s = parseJson(r.out);
  EXPECT_EQ(s.errors, 0) << r.out;
  EXPECT_EQ(s.non2xx, 0) << r.out;
  EXPECT_GT(s.rps, 0) << r.out;
  expectSaneLatency(s);
  expectServerAgrees(*server.counts, s, 3);
  EXPECT_EQ(server.raw.accepted.load(), 3);
  // Each response is 40 bytes on the wire; bytes/s covers at least the complete ones
  // (both rates share one elapsed time, printed to 2 decimals).
  EXPECT_GE(s.bps + 1, s.rps * 40) << r.out;
}

TEST(CliBench, LiveProgressOnlyOnATerminal) {
  EVNODE_WATCHDOG(60);
  if (!et::haveCommand("python3")) GTEST_SKIP() << "python3 is not installed";
  et::TempDir tmp;
  BenchServer server;
  // A tick comes every second: 1.3 s gives one on a terminal stderr.
  auto r =
      runWithTtyStderr({et::evnodeBinary(), "bench", server.raw.base + "/", "-c", "2", "-d", "1.3"},
                       tmp.file("stdout"));
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("req/s"), std::string::npos) << r.out;
  Summary s = parseText(et::readFile(tmp.file("stdout")));
  EXPECT_GT(s.requests, 0);
  EXPECT_EQ(s.errors, 0);
}

TEST(CliBench, PipeliningKeepsExactlyDepthRequestsInFlight) {
  EVNODE_WATCHDOG(60);
  BenchServerOptions opt;
  opt.batch = 8;  // answers only when 8 are waiting (or after 100 ms of silence)
  BenchServer server(opt);
  auto r = evnodeBench({server.raw.base + "/", "-c", "2", "-p", "8", "-d", "1"});
  EXPECT_EQ(r.status, 0) << r.err;
  Summary s = parseText(r.out);
  EXPECT_EQ(s.errors, 0) << r.out;
  EXPECT_EQ(server.counts->maxInFlight.load(), 8);
  EXPECT_EQ(server.raw.accepted.load(), 2);
  expectServerAgrees(*server.counts, s, 2 * 8);

  // Without -p, one request at a time per connection.
  BenchServer plain;
  r = evnodeBench({plain.raw.base + "/", "-c", "2", "-d", "0.5"});
  EXPECT_EQ(r.status, 0) << r.err;
  s = parseText(r.out);
  EXPECT_EQ(plain.counts->maxInFlight.load(), 1);
  expectServerAgrees(*plain.counts, s, 2);
}

TEST(CliBench, MethodAndHeadersOnTheWire) {
  EVNODE_WATCHDOG(60);
  BenchServer server;
  auto r = evnodeBench({server.raw.base + "/path?q=1", "-c", "1", "-d", "0.3", "-m", "POST", "-H",
                        "X-Bench: yes", "-H", "Accept: text/plain"});
  EXPECT_EQ(r.status, 0) << r.err;
  std::string head;
  {
    std::lock_guard<std::mutex> lock(server.counts->mu);
    head = server.counts->firstHead;
  }
  EXPECT_EQ(head.rfind("POST /path?q=1 HTTP/1.1\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("\r\nHost: 127.0.0.1:" + std::to_string(server.raw.port) + "\r\n"),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("\r\nX-Bench: yes\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nAccept: text/plain\r\n"), std::string::npos) << head;
}

TEST(CliBench, HeadResponsesHaveNoBody) {
  EVNODE_WATCHDOG(60);
  BenchServerOptions opt;
  // A Content-Length but no body, as HEAD answers are: bench must not wait for 1000 bytes.
  opt.response = [](long) {
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
  };
  BenchServer server(opt);
  auto r = evnodeBench({server.raw.base + "/", "-c", "2", "-d", "0.5", "-m", "HEAD"});
  EXPECT_EQ(r.status, 0) << r.err;
  Summary s = parseText(r.out);
  EXPECT_EQ(s.errors, 0) << r.out;
  expectServerAgrees(*server.counts, s, 2);
  EXPECT_GT(s.requests, 10) << r.out;  // not one stuck request per connection
}

TEST(CliBench, CountsNon2xxResponses) {
  EVNODE_WATCHDOG(60);
  if (!et::haveCommand("python3")) GTEST_SKIP() << "python3 is not installed";
  {
    BenchServerOptions opt;
    opt.response = [](long) {
      return std::string("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope");
    };
    BenchServer server(opt);
    auto r = evnodeBench({server.raw.base + "/", "-c", "2", "-d", "0.5", "--json"});
    EXPECT_EQ(r.status, 0) << r.err;  // responses arrived: a measurement, not a failure
    Summary s = parseJson(r.out);
    EXPECT_EQ(s.non2xx, s.requests) << r.out;
    EXPECT_EQ(s.errors, 0) << r.out;
    expectServerAgrees(*server.counts, s, 2);
  }
  {
    // Every other response on each connection is a 503 (and 3xx counts as non-2xx too).
    BenchServerOptions opt;
    opt.response = [](long n) {
      return std::string(n % 2 ? "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"
                               : "HTTP/1.1 204 No Content\r\n\r\n");
    };
    BenchServer server(opt);
    auto r = evnodeBench({server.raw.base + "/", "-c", "2", "-d", "0.5", "--json"});
    EXPECT_EQ(r.status, 0) << r.err;
    Summary s = parseJson(r.out);
    EXPECT_EQ(s.errors, 0) << r.out;
    // Per connection the counts differ by at most one.
    EXPECT_GE(s.non2xx * 2, s.requests - 2) << r.out;
    EXPECT_LE(s.non2xx * 2, s.requests + 2) << r.out;
  }
}

TEST(CliBench, CountsConnectionsThatDieWithRequestsInFlight) {
  EVNODE_WATCHDOG(60);
  BenchServerOptions opt;
  opt.hangUpAt = 3;  // three answers, then the connection closes with the 4th request pending
  BenchServer server(opt);
  auto r = evnodeBench({server.raw.base + "/", "-c", "2", "-d", "0.5"});
  EXPECT_EQ(r.status, 0) << r.err;  // some responses arrived
  Summary s = parseText(r.out);
  EXPECT_GT(s.requests, 0) << r.out;
  EXPECT_GT(s.errors, 0) << r.out;
  // Each connection the server accepted gave 3 responses and 1 error (bar the 2 cut by the end
  // of the run). Bench reconnects after each, so it keeps going.
  long accepted = server.raw.accepted.load();
  EXPECT_GT(accepted, 2);
  EXPECT_LE(s.errors, accepted) << r.out;
  EXPECT_GE(s.errors, accepted - 2) << r.out;
  EXPECT_LE(s.requests, 3 * accepted) << r.out;
  EXPECT_GE(s.requests, 3 * (accepted - 2)) << r.out;
}

TEST(CliBench, ServerClosingAfterEachResponseIsNotAnError) {
  EVNODE_WATCHDOG(60);
  BenchServerOptions opt;
  opt.response = [](long) {
    return std::string("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
  };
  opt.hangUpAt = 1;  // and the server really closes
  BenchServer server(opt);
  auto r = evnodeBench({server.raw.base + "/", "-c", "2", "-d", "0.5"});
  EXPECT_EQ(r.status, 0) << r.err;
  Summary s = parseText(r.out);
  EXPECT_EQ(s.errors, 0) << r.out;
  EXPECT_GT(s.requests, 2) << r.out;
  // One request per connection.
  EXPECT_LE(s.requests, server.raw.accepted.load());
  EXPECT_GE(s.requests, server.raw.accepted.load() - 2);
}

TEST(CliBench, Http10ResponsesSplitAcrossReadsThenClose) {
  EVNODE_WATCHDOG(60);
  // The head and the body in separate writes: that the connection closes after this response
  // is known from the head, which arrived in an earlier read than the end.
  RawServer server([](int fd, RawServer& self) {
    std::string head, rest;
    if (!self.readHead(fd, head, rest)) return;
    self.recordHead(head);
    if (!sendAll(fd, "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n")) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    sendAll(fd, "hello");
  });
  auto r = evnodeBench({server.base + "/", "-c", "2", "-d", "0.5"});
  EXPECT_EQ(r.status, 0) << r.err;
  Summary s = parseText(r.out);
  EXPECT_EQ(s.errors, 0) << r.out;
  EXPECT_GT(s.requests, 2) << r.out;
  long heads = static_cast<long>(server.heads().size());
  EXPECT_GE(heads, s.requests);
  EXPECT_LE(heads, s.requests + 2);
}

TEST(CliBench, CloseDelimitedBodiesFromPython) {
  EVNODE_WATCHDOG(60);
  if (!et::haveCommand("python3")) GTEST_SKIP() << "python3 is not installed";
  PythonServer server;  // HTTP/1.0, no Content-Length: each body ends with its connection
  ASSERT_GT(server.port, 0);
  auto r = evnodeBench({server.base + "/", "-c", "2", "-d", "0.5"});
  EXPECT_EQ(r.status, 0) << r.err;
  Summary s = parseText(r.out);
  EXPECT_EQ(s.errors, 0) << r.out;
  EXPECT_EQ(s.non2xx, 0) << r.out;
  EXPECT_GT(s.requests, 0) << r.out;
}

TEST(CliBench, NoResponseAtAllIsAFailure) {
  EVNODE_WATCHDOG(60);
  int port = et::freePort();
  ASSERT_GT(port, 0);
  auto r = evnodeBench({"http://127.0.0.1:" + std::to_string(port) + "/", "-c", "2", "-d", "0.3"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
  EXPECT_NE(r.err.find("ECONNREFUSED"), std::string::npos) << r.err;
  Summary s = parseText(r.out);  // the summary still says what happened
  EXPECT_EQ(s.requests, 0) << r.out;
  EXPECT_GT(s.errors, 0) << r.out;

  // --json: the object still comes (a script can read the error count), and the status fails.
  if (et::haveCommand("python3")) {
    r = evnodeBench(
        {"http://127.0.0.1:" + std::to_string(port) + "/", "-c", "1", "-d", "0.3", "--json"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
    s = parseJson(r.out);
    EXPECT_EQ(s.requests, 0);
    EXPECT_GT(s.errors, 0);
  }

  // A server that accepts and hangs up on every request.
  BenchServerOptions opt;
  opt.hangUpAt = 0;
  BenchServer server(opt);
  r = evnodeBench({server.raw.base + "/", "-c", "2", "-d", "0.3"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
  EXPECT_NE(r.err.find("ECONNRESET"), std::string::npos) << r.err;
  s = parseText(r.out);
  EXPECT_GT(s.errors, 0);
  EXPECT_LE(s.errors, server.raw.accepted.load());
}

TEST(CliBench, MalformedResponsesAreErrors) {
  EVNODE_WATCHDOG(60);
  BenchServerOptions opt;
  opt.response = [](long) { return std::string("SPDY/9 200 OK\r\n\r\n"); };
  BenchServer server(opt);
  auto r = evnodeBench({server.raw.base + "/", "-c", "1", "-d", "0.3"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
  EXPECT_NE(r.err.find("HPE_"), std::string::npos) << r.err;
  Summary s = parseText(r.out);
  EXPECT_EQ(s.requests, 0) << r.out;
  EXPECT_GT(s.errors, 0) << r.out;
  // One error per connection the server answered (bench reconnects after each).
  EXPECT_LE(s.errors, server.raw.accepted.load()) << r.out;
}

TEST(CliBench, AgainstNodeHttpServer) {
  EVNODE_WATCHDOG(60);
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  if (!et::haveCommand("python3")) GTEST_SKIP() << "python3 is not installed";
  NodeServer node;
  ASSERT_GT(node.port, 0);
  auto r = evnodeBench({node.base + "/", "-c", "3", "-p", "4", "-d", "1", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  Summary s = parseJson(r.out);
  EXPECT_EQ(s.errors, 0) << r.out;
  EXPECT_EQ(s.non2xx, 0) << r.out;
  expectSaneLatency(s);
  // What Node counted (its /stats leaves itself out).
  auto stats = evnodeGet({node.base + "/stats"});
  ASSERT_EQ(stats.status, 0) << stats.err;
  long seen = std::atol(jsonValue(stats.out, "requests").c_str());
  EXPECT_GE(seen, s.requests) << stats.out << " " << r.out;
  EXPECT_LE(seen, s.requests + 3 * 4) << stats.out << " " << r.out;
  EXPECT_EQ(jsonValue(stats.out, "connections"), "3") << stats.out;

  r = evnodeBench({node.base + "/status/500", "-c", "1", "-d", "0.3", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  s = parseJson(r.out);
  EXPECT_GT(s.requests, 0);
  EXPECT_EQ(s.non2xx, s.requests) << r.out;
}

TEST(CliBench, Ipv6LiteralUrl) {
  EVNODE_WATCHDOG(60);
  if (!haveIpv6Loopback()) GTEST_SKIP() << "no IPv6 loopback";
  et::TempDir tmp;
  et::writeFile(tmp.file("six.txt"), "over IPv6\n");
  et::Process server({et::evnodeBinary(), "serve", tmp.path(), "--host", "::1", "--port", "0"});
  std::string line = server.waitForLine("listening on ", 20);
  int port = et::parsePortFromListeningLine(line);
  ASSERT_GT(port, 0) << line;
  auto r =
      evnodeBench({"http://[::1]:" + std::to_string(port) + "/six.txt", "-c", "1", "-d", "0.3"});
  EXPECT_EQ(r.status, 0) << r.err;
  Summary s = parseText(r.out);
  EXPECT_GT(s.requests, 0) << r.out;
  EXPECT_EQ(s.errors, 0) << r.out;
  EXPECT_EQ(s.non2xx, 0) << r.out;
}

TEST(CliBench, AgainstEvnodeServe) {
  EVNODE_WATCHDOG(60);
  et::TempDir tmp;
  et::writeFile(tmp.file("page.html"), std::string(1000, 'p'));
  ServeServer server(tmp.path());
  ASSERT_GT(server.port, 0);
  auto r = evnodeBench({server.base + "/page.html", "-c", "2", "-d", "0.5"});
  EXPECT_EQ(r.status, 0) << r.err;
  Summary s = parseText(r.out);
  EXPECT_EQ(s.errors, 0) << r.out;
  EXPECT_EQ(s.non2xx, 0) << r.out;
  EXPECT_GT(s.requests, 0) << r.out;
  expectSaneLatency(s);
  r = evnodeBench({server.base + "/missing", "-c", "1", "-d", "0.3"});
  EXPECT_EQ(r.status, 0) << r.err;
  s = parseText(r.out);
  EXPECT_EQ(s.non2xx, s.requests) << r.out;
}

// -d takes seconds or a unit: 500ms, 10s, 2m.
TEST(CliBench, DurationTakesUnits) {
  EVNODE_WATCHDOG(60);
  BenchServer server;
  auto t0 = std::chrono::steady_clock::now();
  auto r = evnodeBench({server.raw.base + "/", "-c", "1", "-d", "500ms"});
  double took = secondsSince(t0);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 5.0);
  EXPECT_NE(r.out.find(", 0.5"), std::string::npos) << r.out;  // "..., 0.50 s"
  EXPECT_GT(parseText(r.out).requests, 0) << r.out;
  for (std::string bad : {"5x", "0ms", "ms", "-1s", "25h", "1.5.s"}) {
    r = evnodeBench({server.raw.base + "/", "-d", bad});
    EXPECT_EQ(r.status, 2) << bad;
    EXPECT_TRUE(isOneErrorLine(r.err)) << bad << r.err;
  }
}

// SIGINT ends a long run early and still prints the summary of what was measured, exit 0.
TEST(CliBench, SigintPrintsTheSummarySoFar) {
  EVNODE_WATCHDOG(60);
  BenchServer server;
  et::Process bench({et::evnodeBinary(), "bench", server.raw.base + "/", "-c", "2", "-d", "2m"});
  // Let some requests be answered first.
  for (int i = 0; i < 100 && server.counts->responses < 100; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GE(server.counts->responses.load(), 100);
  auto t0 = std::chrono::steady_clock::now();
  bench.kill(SIGINT);
  EXPECT_EQ(bench.wait(10), 0) << bench.stderrSoFar();
  EXPECT_LT(secondsSince(t0), 5.0);
  Summary s = parseText(bench.stdoutSoFar());
  EXPECT_GT(s.requests, 0) << bench.stdoutSoFar();
  EXPECT_EQ(s.errors, 0) << bench.stdoutSoFar();
  expectServerAgrees(*server.counts, s, 2);
}

// Errors are counted by code: in the text summary and as errors_by_code in --json.
TEST(CliBench, ErrorsAreCountedByCode) {
  EVNODE_WATCHDOG(60);
  int port = et::freePort();
  ASSERT_GT(port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto r = evnodeBench({url, "-c", "2", "-d", "300ms"});
  EXPECT_EQ(r.status, 1);
  Summary s = parseText(r.out);
  ASSERT_GT(s.errors, 0) << r.out;
  EXPECT_NE(r.out.find("(ECONNREFUSED " + std::to_string(s.errors) + ")"), std::string::npos)
      << r.out;
  if (!et::haveCommand("python3")) return;
  r = evnodeBench({url, "-c", "1", "-d", "300ms", "--json"});
  auto check = et::runProcess(
      {"python3", "-c",
       "import json,sys; d=json.load(sys.stdin); "
       "assert d['errors'] > 0 and d['errors_by_code'] == {'ECONNREFUSED': d['errors']}, d"},
      r.out);
  EXPECT_EQ(check.status, 0) << check.err << r.out;

  // A server that hangs up on every request: ECONNRESET, counted as such.
  BenchServerOptions opt;
  opt.hangUpAt = 0;
  BenchServer server(opt);
  r = evnodeBench({server.raw.base + "/", "-c", "1", "-d", "300ms", "--json"});
  check = et::runProcess({"python3", "-c",
                          "import json,sys; d=json.load(sys.stdin); "
                          "assert d['errors_by_code'] == {'ECONNRESET': d['errors']}, d"},
                         r.out);
  EXPECT_EQ(check.status, 0) << check.err << r.out;
}

}  // namespace
