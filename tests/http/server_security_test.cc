// The HTTP server against what an adversarial run found: another connection's request headers
// in a response built on a recycled header list; a CONNECT or HEAD head split over several
// reads (a view read after its buffer went); request bodies that stall or trickle; clients
// that never read their answer. The clients are plain blocking sockets on their own thread,
// writing their bytes in the pieces each test chooses, while the server runs on the test's loop.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "evnode/http.h"
#include "evnode/loop.h"
#include "http/e2e_support.h"

namespace evnode::http::e2e {
namespace {

using Clock = std::chrono::steady_clock;

// A blocking client connection: writes pieces with a pause between them (so the server reads
// them separately), reads until the server closes or `timeoutMs` passes.
struct Client {
  int fd;
  explicit Client(int port, int receiveBuffer = 0) : fd(et::rawConnect(port, receiveBuffer)) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Client() {
    if (fd >= 0) ::close(fd);
  }
  void send(const std::string& bytes) const {
    std::size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }
  void sendPieces(const std::string& bytes, const std::vector<std::size_t>& cuts) const {
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
      send(bytes.substr(from, cut - from));
      from = cut;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    send(bytes.substr(from));
  }
  // Everything until EOF (or a reset), or until `until` appears, within timeoutMs.
  std::string read(int timeoutMs, const std::string& until = "") const {
    bool closed = false;
    return pump(timeoutMs, until, closed);
  }
  // Whether the server closed the connection within timeoutMs (EOF or reset; data is read and
  // dropped meanwhile).
  bool closedWithin(int timeoutMs) const {
    bool closed = false;
    pump(timeoutMs, "", closed);
    return closed;
  }

 private:
  std::string pump(int timeoutMs, const std::string& until, bool& closed) const {
    std::string got;
    const auto end = Clock::now() + std::chrono::milliseconds(timeoutMs);
    timeval tv{0, 20000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (Clock::now() < end) {
      char buf[65536];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      if (n <= 0) {
        closed = true;
        break;
      }
      got.append(buf, static_cast<std::size_t>(n));
      if (!until.empty() && got.find(until) != std::string::npos) break;
    }
    return got;
  }
};

// Runs `client` on its own thread while this thread's loop serves; once it is done, calls
// `whenDone` on the loop and closes `server`, so run() returns.
void withClient(const std::shared_ptr<Server>& server, const std::function<void()>& client,
                const std::function<void()>& whenDone = nullptr) {
  std::atomic<bool> done{false};
  std::thread t([&] {
    client();
    done = true;
  });
  TimeoutPtr poll;
  poll = setInterval(
      [&] {
        if (!done) return;
        poll->close();
        if (whenDone) whenDone();
        server->close();
        server->closeAllConnections();
      },
      2);
  run();
  t.join();
}

// The lower-case field names of the head at the start of `response`.
std::multiset<std::string> fieldNames(const std::string& response) {
  std::multiset<std::string> names;
  std::size_t end = response.find("\r\n\r\n");
  std::size_t at = response.find("\r\n");
  while (at != std::string::npos && at < end) {
    std::size_t next = response.find("\r\n", at + 2);
    std::string line = response.substr(at + 2, next - at - 2);
    std::string name = line.substr(0, line.find(':'));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    names.insert(name);
    at = next;
  }
  return names;
}

const std::string kSecretGet =
    "GET /a HTTP/1.1\r\nHost: victim\r\nAuthorization: Bearer SECRET\r\nCookie: sid=123\r\n"
    "Content-Length: 0\r\n\r\n";
const std::string kAttackerPost =
    "POST /b HTTP/1.1\r\nHost: attacker\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
    "Connection: close\r\n\r\nhi";

// The reproduction: the seeds' echo handler (setHeader, then req.pipe(res)). One
// connection pipelines requests carrying credentials; the next connection's response must hold
// only what its own handler set. Repeated, so every recycled list comes round.
TEST(HttpSecurity, SetHeaderNeverShowsAnotherConnectionsRequestHeaders) {
  EVNODE_WATCHDOG(60);
  auto server = createServer([](const RequestPtr& req, const ResponsePtr& res) {
    if (auto type = req->headers.get("content-type")) res->setHeader("Content-Type", *type);
    req->pipe(res);
  });
  server->listen(0, "127.0.0.1");
  const int port = server->address().port;
  std::vector<std::string> answers;
  withClient(server, [&] {
    for (int round = 0; round < 40; ++round) {
      {
        Client a(port);
        std::string last = kSecretGet;
        last.insert(last.size() - 2, "Connection: close\r\n");
        a.send(kSecretGet + last);
        a.read(5000);  // both answered, then closed
      }
      Client b(port);
      b.send(kAttackerPost);
      answers.push_back(b.read(5000));
    }
  });
  ASSERT_EQ(answers.size(), 40u);
  for (const std::string& got : answers) {
    ASSERT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
    EXPECT_EQ(got.find("victim"), std::string::npos) << got;
    EXPECT_EQ(got.find("SECRET"), std::string::npos) << got;
    EXPECT_EQ(got.find("sid=123"), std::string::npos) << got;
    EXPECT_EQ(fieldNames(got), (std::multiset<std::string>{"connection", "content-type", "date",
                                                           "transfer-encoding"}))
        << got;
    EXPECT_NE(got.find("\r\n\r\n2\r\nhi\r\n0\r\n\r\n"), std::string::npos) << got;
  }
}

// Every way a response gets its headers, on lists recycled from requests full of fields: each
// response holds exactly the fields its handler set (and the server's framing fields).
TEST(HttpSecurity, EveryHeaderPathStartsFromAnEmptyList) {
  EVNODE_WATCHDOG(60);
  auto server = createServer([](const RequestPtr& req, const ResponsePtr& res) {
    const std::string& u = req->url;
    res->sendDate = false;
    if (u == "/set") {
      res->setHeader("X-Mine", "1");
      res->end("a");
    } else if (u == "/set-remove") {
      res->setHeader("X-Gone", "1");
      res->setHeader("X-Mine", "1");
      res->removeHeader("X-Gone");
      res->end();
    } else if (u == "/list") {
      res->writeHead(200, HeaderList{{"X-Mine", "1"}});
      res->end("abc");
    } else if (u == "/views") {
      res->writeHead(404, {{"X-Mine", "1"}});
      res->end();
    } else if (u == "/set-then-views") {
      res->setHeader("X-Mine", "1");
      res->writeHead(200, {{"X-Too", "2"}});
      res->write("x");
      res->end("y");
    } else {
      res->statusCode = 304;
      res->end();
    }
  });
  server->listen(0, "127.0.0.1");
  const int port = server->address().port;
  const std::vector<std::pair<std::string, std::multiset<std::string>>> cases = {
      {"/set", {"x-mine", "content-length", "connection", "keep-alive"}},
      {"/set-remove", {"x-mine", "content-length", "connection", "keep-alive"}},
      {"/list", {"x-mine", "content-length", "connection", "keep-alive"}},
      {"/views", {"x-mine", "content-length", "connection", "keep-alive"}},
      {"/set-then-views", {"x-mine", "x-too", "transfer-encoding", "connection", "keep-alive"}},
      {"/none", {"connection", "keep-alive"}},
  };
  std::vector<std::string> answers;
  withClient(server, [&] {
    for (int round = 0; round < 10; ++round) {
      for (const auto& c : cases) {
        Client noisy(port);  // a request with many fields, for its list to be recycled
        std::string req = "GET /none HTTP/1.1\r\nHost: h\r\n";
        for (int i = 0; i < 20; ++i) req += "X-Secret-" + std::to_string(i) + ": s\r\n";
        noisy.send(req + "Connection: close\r\n\r\n");
        noisy.read(5000);
        Client mine(port);
        mine.send("GET " + c.first + " HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n");
        answers.push_back(mine.read(300, "\r\n\r\n"));
      }
    }
  });
  ASSERT_EQ(answers.size(), cases.size() * 10);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    EXPECT_EQ(fieldNames(answers[i]), cases[i % cases.size()].second) << answers[i];
    EXPECT_EQ(answers[i].find("ecret"), std::string::npos) << answers[i];
  }
}

// CONNECT with nobody listening for it closes the connection, and the bytes after its head are
// never read as requests, however the head arrives: whole, or cut at any two places.
TEST(HttpSecurity, SplitConnectHeadNeverSmugglesTheTunnelBytes) {
  EVNODE_WATCHDOG(120);
  int requests = 0;
  auto server = createServer([&](const RequestPtr&, const ResponsePtr& res) {
    ++requests;
    res->end("served");
  });
  server->listen(0, "127.0.0.1");
  const int port = server->address().port;
  const std::string head = "CONNECT a:80 HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string bytes = head + "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
  std::vector<std::string> failures;
  withClient(server, [&] {
    auto attempt = [&](std::vector<std::size_t> cuts) {
      Client c(port);
      c.sendPieces(bytes, cuts);
      std::string got = c.read(3000);
      if (!got.empty()) {
        std::string where;
        for (std::size_t cut : cuts) where += std::to_string(cut) + " ";
        failures.push_back("cuts " + where + "-> " + got);
      }
    };
    attempt({});
    for (std::size_t i = 1; i < head.size(); i += 2) {
      for (std::size_t j = i + 1; j <= head.size(); j += 3) attempt({i, j});
    }
  });
  EXPECT_EQ(requests, 0);
  EXPECT_TRUE(failures.empty()) << failures.size() << " answered, first: " << failures.front();
}

// A HEAD head in pieces still gets a bodiless answer, and the request after it its own.
TEST(HttpSecurity, SplitHeadRequestStaysBodiless) {
  EVNODE_WATCHDOG(60);
  auto server = createServer([](const RequestPtr& req, const ResponsePtr& res) {
    res->sendDate = false;
    res->end("body of " + req->url);
  });
  server->listen(0, "127.0.0.1");
  const int port = server->address().port;
  const std::string bytes =
      "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\nGET /g HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  const std::string expected =
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: keep-alive\r\nKeep-Alive: "
      "timeout=5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nbody of "
      "/g";
  std::vector<std::string> got;
  withClient(server, [&] {
    for (std::size_t i = 1; i < 30; ++i) {
      Client c(port);
      c.sendPieces(bytes, {i, i + 1, 30});
      got.push_back(c.read(3000));
    }
  });
  for (const std::string& g : got) EXPECT_EQ(g, expected);
}

ServerOptions fastChecks() {
  ServerOptions o;
  o.connectionsCheckingInterval = 50;
  return o;
}

// A body that stops coming: 408 and the connection closes after bodyTimeout, not after the
// five minutes of requestTimeout.
TEST(HttpSecurity, StalledBodyGets408AfterBodyTimeout) {
  EVNODE_WATCHDOG(30);
  ServerOptions o = fastChecks();
  o.bodyTimeout = 300;
  auto server = createServer(o, [](const RequestPtr& req, const ResponsePtr&) {
    req->on(Readable::Events::data, [](const Buffer&) {});  // reads, never answers
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  long ms = 0;
  withClient(server, [&] {
    Client c(server->address().port);
    const auto start = Clock::now();
    c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
    got = c.read(5000);
    ms = static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
  });
  EXPECT_EQ(got, "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
  EXPECT_GE(ms, 280);
  EXPECT_LT(ms, 3000);
}

// The body of a request answered without reading it (405 from a read-only server) is discarded
// as it comes; if it stops coming, the connection goes after bodyTimeout, and requestTimeout
// still bounds it with no bodyTimeout (it used to stop counting once the answer was queued).
TEST(HttpSecurity, StalledDiscardedBodyClosesTheConnection) {
  EVNODE_WATCHDOG(30);
  for (bool byBodyTimeout : {true, false}) {
    ServerOptions o = fastChecks();
    if (byBodyTimeout) {
      o.bodyTimeout = 300;
    } else {
      o.requestTimeout = 400;
    }
    auto server = createServer(o, [](const RequestPtr&, const ResponsePtr& res) {
      res->statusCode = 405;
      res->end();
    });
    server->listen(0, "127.0.0.1");
    std::string got;
    bool closed = false;
    withClient(server, [&] {
      Client c(server->address().port);
      c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc");
      got = c.read(2000, "\r\n\r\n");
      closed = c.closedWithin(3000);
    });
    EXPECT_EQ(got.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u) << got;
    EXPECT_TRUE(closed) << (byBodyTimeout ? "bodyTimeout" : "requestTimeout");
  }
}

// A client that sends a byte now and then (never idle for bodyTimeout) is still cut off once it
// has run for bodyTimeout below bodyMinRate.
TEST(HttpSecurity, TricklingBodyIsCutByTheMinimumRate) {
  EVNODE_WATCHDOG(30);
  ServerOptions o = fastChecks();
  o.bodyTimeout = 400;
  o.bodyMinRate = 1000;
  auto server = createServer(o, [](const RequestPtr& req, const ResponsePtr&) {
    req->on(Readable::Events::data, [](const Buffer&) {});
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  withClient(server, [&] {
    Client c(server->address().port);
    c.send("PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n");
    for (int i = 0; i < 30; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      c.send("x");
      got += c.read(1, "\r\n\r\n");
      if (!got.empty()) break;
    }
    got += c.read(1000);
  });
  EXPECT_EQ(got, "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
}

// bodyMinRateGrace delays the rate check: the same trickle, inside the grace, goes through.
TEST(HttpSecurity, TricklingBodyInsideTheGraceGoesThrough) {
  EVNODE_WATCHDOG(30);
  ServerOptions o = fastChecks();
  o.bodyTimeout = 400;
  o.bodyMinRate = 1000;
  o.bodyMinRateGrace = 10000;
  auto server = createServer(o, [](const RequestPtr& req, const ResponsePtr& res) {
    auto body = std::make_shared<std::string>();
    req->on(Readable::Events::data, [body](const Buffer& b) { body->append(b.view()); });
    req->on(Readable::Events::end, [body, res] { res->end(*body); });
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  withClient(server, [&] {
    Client c(server->address().port);
    c.send("PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nConnection: close\r\n\r\n");
    for (char ch : std::string("twelve bytes")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      c.send(std::string(1, ch));
    }
    got = c.read(1000);
  });
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
  EXPECT_EQ(got.substr(got.size() - 12), "twelve bytes") << got;
}

// A pipelining client that pauses reading for longer than keepAliveTimeout is not idle: the
// answers already queued for it all arrive once it reads (the keep-alive timer used to destroy
// the connection with them), and the idle window starts once they are out.
TEST(HttpSecurity, APipeliningClientThatPausesReadingGetsEveryAnswer) {
  EVNODE_WATCHDOG(30);
  ServerOptions o = fastChecks();
  o.keepAliveTimeout = 300;
  const std::string body(100000, 'b');
  auto server = createServer(o, [&](const RequestPtr&, const ResponsePtr& res) { res->end(body); });
  server->listen(0, "127.0.0.1");
  constexpr std::size_t kRequests = 40;
  // Complete once it holds kRequests heads and the last one's whole body.
  auto complete = [&](const std::string& got) {
    std::size_t heads = 0, at = 0, last = 0;
    while ((at = got.find("HTTP/1.1 200 OK\r\n", at)) != std::string::npos) {
      ++heads;
      last = at++;
    }
    const std::size_t end = got.find("\r\n\r\n", last);
    return heads == kRequests && end != std::string::npos && got.size() - (end + 4) == body.size();
  };
  std::string got;
  bool closed = false;
  long long idleMs = 0;
  withClient(server, [&] {
    Client c(server->address().port, 4096);
    std::string batch;
    for (std::size_t i = 0; i < kRequests; ++i)
      batch += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n";
    c.send(batch);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // four keep-alive windows
    const auto until = Clock::now() + std::chrono::seconds(10);
    while (!complete(got) && Clock::now() < until) got += c.read(50);
    // Idle from now: closed after keepAliveTimeout, counted from the last answer's end.
    const auto idleFrom = Clock::now();
    closed = c.closedWithin(5000);
    idleMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - idleFrom).count();
  });
  EXPECT_TRUE(complete(got)) << got.size() << " bytes";
  EXPECT_TRUE(closed);
  EXPECT_GE(idleMs, 150);
}

// A client that never reads a large answer is disconnected after sendTimeout; without it, the
// server keeps waiting (the control that shows the test can fail).
TEST(HttpSecurity, ClientThatNeverReadsIsDisconnectedAfterSendTimeout) {
  EVNODE_WATCHDOG(30);
  for (std::uint64_t timeout : {300u, 0u}) {
    ServerOptions o = fastChecks();
    o.sendTimeout = timeout;
    std::atomic<bool> closed{false};
    bool closedInTime = false;
    auto server = createServer(o, [&](const RequestPtr&, const ResponsePtr& res) {
      res->socket()->on(net::Socket::Events::close, [&](bool) { closed = true; });
      res->end(Buffer::alloc(16 << 20, 'x'));
    });
    server->listen(0, "127.0.0.1");
    withClient(server, [&] {
      Client c(server->address().port, 4096);
      c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(1200));
      closedInTime = closed;  // before this client closes its end
    });
    EXPECT_EQ(closedInTime, timeout != 0) << "sendTimeout " << timeout;
  }
}

}  // namespace
}  // namespace evnode::http::e2e

namespace evnode::http::e2e {
namespace {

// Node's server.setTimeout: without a `timeout` listener an idle socket is destroyed after the
// timeout; with one, the listener gets the socket and the server leaves it alone.
TEST(HttpTimeouts, ServerSetTimeoutDestroysOrTellsTheListener) {
  EVNODE_WATCHDOG(30);
  for (bool listen : {false, true}) {
    auto server = createServer([](const RequestPtr&, const ResponsePtr& res) { res->end("ok"); });
    int told = 0;
    if (listen) {
      server->setTimeout(200, [&](const SocketPtr& s) {
        ++told;
        s->end();  // the listener decides: here it ends the connection itself
      });
    } else {
      server->setTimeout(200);
    }
    server->listen(0, "127.0.0.1");
    bool closed = false;
    long ms = 0;
    withClient(server, [&] {
      Client c(server->address().port);
      const auto start = Clock::now();
      c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      c.read(2000, "ok");
      closed = c.closedWithin(3000);
      ms = static_cast<long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
    });
    EXPECT_TRUE(closed);
    EXPECT_GE(ms, 180);
    EXPECT_EQ(told, listen ? 1 : 0);
  }
}

// res.setTimeout while a handler takes its time: the response's listener hears it and answers;
// req.setTimeout's callback runs on the socket's timeout as Node's does.
TEST(HttpTimeouts, ResponseAndRequestSetTimeout) {
  EVNODE_WATCHDOG(30);
  std::vector<std::string> heard;
  auto server = createServer([&](const RequestPtr& req, const ResponsePtr& res) {
    if (req->url == "/res") {
      res->setTimeout(150, [&, res] {
        heard.push_back("res");
        res->end("late");
      });
    } else {
      req->setTimeout(150, [&, res] {
        heard.push_back("req");
        res->end("late too");
      });
    }
  });
  server->listen(0, "127.0.0.1");
  std::string a, b;
  withClient(server, [&] {
    Client c(server->address().port);
    c.send("GET /res HTTP/1.1\r\nHost: a\r\n\r\n");
    a = c.read(3000, "late");
    Client d(server->address().port);
    d.send("GET /req HTTP/1.1\r\nHost: a\r\n\r\n");
    b = d.read(3000);
  });
  EXPECT_NE(a.find("\r\n\r\nlate"), std::string::npos) << a;
  // Nobody listened for the request's own `timeout` (the callback is the socket's), so as in
  // Node the socket is destroyed after the callback ran: the answer may or may not get out.
  EXPECT_EQ(heard, (std::vector<std::string>{"res", "req"}));
  (void)b;
}

}  // namespace
}  // namespace evnode::http::e2e
