// The HTTP server against real clients: curl (keep-alive reuse, HTTP/1.0, chunked upload,
// Expect: 100-continue with and without a checkContinue handler, a 1 GiB streamed response with
// the server's memory flat) and Node.js's `http` client (keep-alive agent, concurrent requests).
// The server runs in this process; the clients are separate programs.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "evnode/http.h"
#include "evnode/loop.h"
#include "evnode/stream.h"
#include "http/e2e_support.h"

namespace evnode::http::e2e {
namespace {

std::string url(const std::shared_ptr<Server>& s, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(s->address().port) + path;
}

// Collects a request's body, then calls done(body).
void collect(const RequestPtr& req, std::function<void(std::string)> done) {
  auto body = std::make_shared<std::string>();
  req->on(Readable::Events::data, [body](const Buffer& b) { body->append(b.view()); });
  req->on(Readable::Events::end, [body, done = std::move(done)] { done(std::move(*body)); });
}

TEST(HttpPeers, CurlReusesOneKeepAliveConnection) {
  EVNODE_WATCHDOG(30);
  if (!et::haveCommand("curl")) GTEST_SKIP() << "curl is not installed";
  int connections = 0, requests = 0;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    ++requests;
    res->end("[" + req->url + "]");
  });
  server->on(net::Server::Events::connection, [&](const SocketPtr&) { ++connections; });
  server->listen(0, "127.0.0.1");
  auto r = runPeer(server,
                   {"curl", "-sS", "-v", url(server, "/a"), url(server, "/b"), url(server, "/c")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "[/a][/b][/c]");
  EXPECT_EQ(requests, 3);
  EXPECT_EQ(connections, 1);  // counted by the server, not inferred from curl's log
  EXPECT_EQ(count(r.err, "Re-using existing connection"), 2u) << r.err;
  EXPECT_NE(r.err.find("< Keep-Alive: timeout=5"), std::string::npos) << r.err;
}

TEST(HttpPeers, CurlHttp10GetsCloseDelimitedOrLengthFramedBodies) {
  EVNODE_WATCHDOG(30);
  if (!et::haveCommand("curl")) GTEST_SKIP() << "curl is not installed";
  std::string versions;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    versions += req->httpVersion + " ";
    res->sendDate = false;
    if (req->url == "/streamed") {
      res->write("part one, ");
      res->end("part two");
    } else {
      res->end("whole");
    }
  });
  server->listen(0, "127.0.0.1");
  auto r = runPeer(
      server, {"curl", "-sS", "-i", "--http1.0", url(server, "/streamed"), url(server, "/whole")});
  ASSERT_EQ(r.status, 0) << r.err;
  // HTTP/1.0 has no chunked coding: a streamed body ends with the connection; a body given to
  // end() alone gets a Content-Length. Neither keeps an HTTP/1.0 connection open.
  EXPECT_EQ(r.out,
            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npart one, part two"
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nwhole");
  EXPECT_EQ(versions, "1.0 1.0 ");
}

TEST(HttpPeers, CurlChunkedUploadArrivesByteExact) {
  EVNODE_WATCHDOG(60);
  if (!et::haveCommand("curl")) GTEST_SKIP() << "curl is not installed";
  et::TempDir dir;
  const std::string data = et::randomBytes(3 * 1024 * 1024 + 17, 7);
  et::writeFile(dir.file("up.bin"), data);
  std::string received, te;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    te = req->headers.value("transfer-encoding");
    collect(req, [&, res](std::string body) {
      received = std::move(body);
      res->end(received);  // echoed back, so both directions are checked
    });
  });
  server->listen(0, "127.0.0.1");
  auto r = runPeer(
      server, {"curl", "-sS", "-H", "Transfer-Encoding: chunked", "-H", "Expect:", "--data-binary",
               "@" + dir.file("up.bin"), "-o", dir.file("down.bin"), url(server, "/up")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(te, "chunked");
  EXPECT_EQ(received.size(), data.size());
  EXPECT_TRUE(received == data) << "the uploaded bytes differ";
  EXPECT_TRUE(et::readFile(dir.file("down.bin")) == data) << "the echoed bytes differ";
  // And the same check by hash, as a user would do it.
  auto h1 = et::runProcess({"sha256sum", dir.file("up.bin")});
  auto h2 = et::runProcess({"sha256sum", dir.file("down.bin")});
  EXPECT_EQ(h1.out.substr(0, 64), h2.out.substr(0, 64));
}

TEST(HttpPeers, CurlExpectContinueGetsA100ByDefault) {
  EVNODE_WATCHDOG(30);
  if (!et::haveCommand("curl")) GTEST_SKIP() << "curl is not installed";
  et::TempDir dir;
  const std::string data = et::randomBytes(100000, 9);
  et::writeFile(dir.file("up.bin"), data);
  std::string received;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    collect(req, [&, res](std::string body) {
      received = std::move(body);
      res->end("got " + std::to_string(received.size()));
    });
  });
  server->listen(0, "127.0.0.1");
  // curl waits 60 s for the 100 before sending the body anyway: only a real 100 is fast enough
  // for the watchdog.
  auto r =
      runPeer(server, {"curl", "-sS", "-i", "-H", "Expect: 100-continue", "--expect100-timeout",
                       "60", "--data-binary", "@" + dir.file("up.bin"), url(server, "/")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "HTTP/1.1 100 Continue\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: keep-alive\r\nKeep-Alive: "
            "timeout=5\r\n\r\n"
            "got 100000");
  EXPECT_TRUE(received == data);
}

TEST(HttpPeers, CurlExpectContinueWithACheckContinueHandler) {
  EVNODE_WATCHDOG(30);
  if (!et::haveCommand("curl")) GTEST_SKIP() << "curl is not installed";
  et::TempDir dir;
  const std::string data = et::randomBytes(50000, 10);
  et::writeFile(dir.file("up.bin"), data);
  std::string received;
  std::size_t rejectedBodyBytes = 0;
  int requestEvents = 0;
  auto server = createServer([&](const RequestPtr&, const ResponsePtr&) { ++requestEvents; });
  server->on(Server::Events::checkContinue, [&](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    if (req->url == "/reject") {
      // Refused before the body: curl must not send it, and the connection closes (the
      // client may or may not send the body now, as Node).
      req->on(Readable::Events::data, [&](const Buffer& b) { rejectedBodyBytes += b.length(); });
      res->writeHead(417, {{"Content-Type", "text/plain"}});
      res->end("too big");
      return;
    }
    res->writeContinue();
    collect(req, [&, res](std::string body) {
      received = std::move(body);
      res->end("accepted " + std::to_string(received.size()));
    });
  });
  server->listen(0, "127.0.0.1");
  auto r =
      runPeer(server, {"curl", "-sS", "-i", "-H", "Expect: 100-continue", "--expect100-timeout",
                       "60", "--data-binary", "@" + dir.file("up.bin"), url(server, "/reject"),
                       "--next", "-i", "-H", "Expect: 100-continue", "--expect100-timeout", "60",
                       "--data-binary", "@" + dir.file("up.bin"), url(server, "/accept")});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string rejected =
      "HTTP/1.1 417 Expectation Failed\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n"
      "Connection: close\r\n\r\ntoo big";
  const std::string accepted =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 14\r\nConnection: keep-alive\r\nKeep-Alive: "
      "timeout=5\r\n\r\n"
      "accepted 50000";
  EXPECT_EQ(r.out, rejected + accepted);
  EXPECT_EQ(rejectedBodyBytes, 0u);
  EXPECT_EQ(requestEvents, 0);  // checkContinue replaces `request`
  EXPECT_TRUE(received == data);
}

TEST(HttpPeers, NodeHttpClientWithAKeepAliveAgent) {
  EVNODE_WATCHDOG(60);
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  int connections = 0, requests = 0;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    ++requests;
    collect(req, [req, res](std::string body) {
      res->setHeader("X-Path", req->url);
      res->setHeader("Content-Type", "text/plain");
      if (body.size() % 2) {
        res->end(req->method + " " + std::to_string(body.size()));
      } else {
        // Even sizes answer chunked, in two writes.
        res->write(req->method + " ");
        res->end(std::to_string(body.size()));
      }
    });
  });
  server->on(net::Server::Events::connection, [&](const SocketPtr&) { ++connections; });
  server->listen(0, "127.0.0.1");
  // Ten concurrent requests through an agent with two keep-alive sockets.
  const std::string script =
      "const http = require('http');"
      "const agent = new http.Agent({keepAlive: true, maxSockets: 2});"
      "const out = []; let done = 0;"
      "for (let i = 0; i < 10; i++) {"
      "  const body = 'x'.repeat(i * 1001);"
      "  const req = http.request({host: '127.0.0.1', port: " +
      std::to_string(server->address().port) +
      ", method: i % 3 ? 'POST' : 'PUT', path: '/n/' + i, agent}, res => {"
      "    let d = ''; res.setEncoding('utf8'); res.on('data', c => d += c);"
      "    res.on('end', () => {"
      "      out[i] = res.statusCode + ' ' + res.headers['x-path'] + ' ' + "
      "res.headers['content-type'] + ' '"
      "        + (res.headers['transfer-encoding'] || 'len=' + res.headers['content-length']) + ' "
      "' + d;"
      "      if (++done === 10) { console.log(out.join('\\n')); agent.destroy(); }"
      "    });"
      "  });"
      "  req.on('error', e => { console.log('error ' + e.code); process.exitCode = 1; });"
      "  req.end(body);"
      "}";
  auto r = runPeer(server, {"node", "-e", script});
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  std::string expected;
  for (int i = 0; i < 10; i++) {
    std::size_t n = static_cast<std::size_t>(i) * 1001;
    std::string method = i % 3 ? "POST" : "PUT";
    std::string size = std::to_string(n);
    std::string framing =
        n % 2 ? "len=" + std::to_string(method.size() + 1 + size.size()) : "chunked";
    expected +=
        "200 /n/" + std::to_string(i) + " text/plain " + framing + " " + method + " " + size + "\n";
  }
  EXPECT_EQ(r.out, expected);
  EXPECT_EQ(requests, 10);
  EXPECT_GE(connections, 1);
  EXPECT_LE(connections, 2);  // the agent's two sockets were reused
}

// Trailers (OutgoingMessage.addTrailers) after a chunked body reach Node's client as
// res.trailers; a response with a Content-Length has no chunked framing to carry them, and
// drops them, as Node's server does.
TEST(HttpPeers, NodeClientReadsTrailersOfAChunkedResponse) {
  EVNODE_WATCHDOG(30);
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    res->setHeader("Trailer", "X-Checksum");
    res->addTrailers({{"X-Checksum", "c0ffee"}, {"X-Empty", ""}});
    if (req->url == "/chunked") {
      res->write("hello ");
      res->end("world");
    } else {
      res->end("hello world");
    }
  });
  server->listen(0, "127.0.0.1");
  const std::string script =
      "const http = require('http'); const out = [];"
      "const get = (path, next) => http.get({host: '127.0.0.1', port: " +
      std::to_string(server->address().port) +
      ", path}, res => {"
      "  let d = ''; res.on('data', c => d += c);"
      "  res.on('end', () => {"
      "    out.push(path + ' ' + (res.headers['transfer-encoding'] || 'len') + ' ' + d + ' ' +"
      "             JSON.stringify(res.trailers));"
      "    next();"
      "  });"
      "});"
      "get('/chunked', () => get('/length', () => console.log(out.join('\\n'))));";
  auto r = runPeer(server, {"node", "-e", script});
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(r.out,
            "/chunked chunked hello world {\"x-checksum\":\"c0ffee\",\"x-empty\":\"\"}\n"
            "/length len hello world {}\n");
}

// A 1 GiB response generated on the fly (a Readable piped into the response) goes to curl with
// backpressure: the server's memory stays flat. Under the sanitizers (their allocator keeps
// freed memory in quarantine, and is slow) the size is smaller and memory is not judged.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

TEST(HttpPeers, OneGibStreamedResponseKeepsMemoryFlat) {
  EVNODE_WATCHDOG(180);
  if (!et::haveCommand("curl") || !et::haveCommand("python3"))
    GTEST_SKIP() << "needs curl and python3";
  const std::uint64_t total = kSanitized ? (128ull << 20) : (1ull << 30);
  const std::size_t kChunk = 64 * 1024;
  et::TempDir dir;
  const std::string pattern = et::randomBytes(kChunk, 11);
  et::writeFile(dir.file("pattern.bin"), pattern);
  const Buffer chunk = Buffer::from(pattern);
  std::uint64_t maxRss = 0;
  auto server = createServer([&](const RequestPtr&, const ResponsePtr& res) {
    auto produced = std::make_shared<std::uint64_t>(0);
    ReadableOptions ro;
    ro.read = [produced, total, chunk](Readable& r, std::size_t) {
      while (*produced < total) {
        *produced += chunk.length();
        if (!r.push(chunk)) return;
      }
      r.push(nullptr);
    };
    auto body = std::make_shared<Readable>(ro);
    res->setHeader("Content-Type", "application/octet-stream");
    body->pipe(res);  // no Content-Length: chunked framing, checked by curl and the checker
  });
  server->listen(0, "127.0.0.1");
  auto sampler = setInterval([&] { maxRss = std::max(maxRss, procStatusBytes("VmRSS")); }, 20);
  sampler->unref();  // the loop ends with the server
  // The checker compares every byte with the repeated pattern and prints the count.
  const std::string check =
      "import sys\n"
      "p = open(sys.argv[1], 'rb').read() * 16\n"
      "f = sys.stdin.buffer; n = 0\n"
      "while True:\n"
      "    b = f.read(len(p))\n"
      "    if not b: break\n"
      "    if b != p[:len(b)]: print('mismatch near', n); sys.exit(1)\n"
      "    n += len(b)\n"
      "print(n)\n";
  et::writeFile(dir.file("check.py"), check);
  auto r = runPeer(server,
                   {"bash", "-c",
                    "set -o pipefail; curl -sS --fail '" + url(server, "/big") + "' | python3 '" +
                        dir.file("check.py") + "' '" + dir.file("pattern.bin") + "'"});
  sampler->close();
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(r.out, std::to_string(total) + "\n");
  if (!kSanitized) {
    const std::uint64_t peak = procStatusBytes("VmHWM");
    EXPECT_LT(maxRss, 64ull << 20) << "sampled RSS";
    EXPECT_LT(peak, 64ull << 20) << "peak RSS (VmHWM)";
  }
}

}  // namespace
}  // namespace evnode::http::e2e
