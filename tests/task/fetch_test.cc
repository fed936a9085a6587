// http::fetch against Node's http server and our own (keep-alive reuse, redirects, chunked and
// large bodies, https with a private CA, aborts), the awaitable http::promises::request, and
// createServer with a coroutine handler (a throw answers 500, checked with curl).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "evnode/evnode.h"
#include "support/testing.h"
#include "tls/tls_support.h"

namespace evnode {
namespace {

namespace et = evnode::testing;
namespace tp = timers::promises;
using Clock = std::chrono::steady_clock;

// Node's http server: echoes "METHOD URL BODY" (chunked: two writes), /big sends 1 MiB + 7 of a
// pattern, /wait never answers. It prints its port, and "conn" for each new connection.
const char kNodeServer[] = R"(
const http = require('http');
const srv = http.createServer((req, res) => {
  if (req.url === '/wait') return;
  if (req.url === '/big') {
    const b = Buffer.alloc(1048583); for (let i = 0; i < b.length; i++) b[i] = (i * 7) % 251;
    res.setHeader('Content-Type', 'application/octet-stream');
    return res.end(b);
  }
  let body = ''; req.on('data', d => body += d);
  req.on('end', () => {
    res.setHeader('X-Seen-Type', req.headers['content-type'] || '-');
    res.setHeader('Set-Cookie', ['a=1', 'b=2']);
    res.write(req.method + ' ');
    res.end(req.url + ' ' + body);
  });
});
srv.on('connection', () => console.log('conn'));
srv.listen(0, '127.0.0.1', () => console.log('port ' + srv.address().port));
)";

struct NodeServer {
  std::unique_ptr<et::Process> proc;
  int port = 0;
  NodeServer() {
    proc = std::make_unique<et::Process>(std::vector<std::string>{"node", "-e", kNodeServer});
    std::string line = proc->waitForLine("port ");
    port = std::stoi(line.substr(5));
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  int connections() const {
    std::string out = proc->stdoutSoFar();
    int n = 0;
    for (std::size_t at = 0; (at = out.find("conn\n", at)) != std::string::npos; at += 5) ++n;
    return n;
  }
};

#define NEED_NODE() \
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed"

TEST(FetchTest, GetAndPostAgainstNodeServer) {
  NEED_NODE();
  EVNODE_WATCHDOG(30);
  NodeServer node;
  auto amain = [&]() -> Task<void> {
    http::FetchResponse r = co_await http::fetch(node.url("/hello?x=1"));
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.statusText, "OK");
    EXPECT_EQ(r.url, node.url("/hello?x=1"));
    EXPECT_FALSE(r.redirected);
    EXPECT_EQ(r.headers.get("transfer-encoding").value_or(""), "chunked");
    EXPECT_EQ(r.headers.get("set-cookie").value_or(""), "a=1, b=2");
    EXPECT_FALSE(r.headers.get("x-none").has_value());
    EXPECT_EQ(co_await r.text(), "GET /hello?x=1 ");
    EXPECT_TRUE(r.bodyUsed());
    EXPECT_THROW(r.text(), Exception);  // Body is unusable

    http::FetchOptions post;
    post.method = "post";
    post.body = "a=1&b=2";
    http::FetchResponse p = co_await http::fetch(node.url("/form"), post);
    EXPECT_EQ(p.headers.get("x-seen-type").value_or(""), "text/plain;charset=UTF-8");
    EXPECT_EQ(co_await p.text(), "POST /form a=1&b=2");

    http::FetchOptions bytes;
    bytes.method = "PUT";
    bytes.headers = {{"Content-Type", "application/octet-stream"}};
    bytes.body = Buffer::from({0, 1, 2, 'z'});
    http::FetchResponse b = co_await http::fetch(node.url("/bin"), bytes);
    Buffer got = co_await b.arrayBuffer();
    EXPECT_EQ(got.toString("latin1"), std::string("PUT /bin \x00\x01\x02z", 13));
  };
  run(amain());
}

TEST(FetchTest, StreamBodyIsSentChunked) {
  NEED_NODE();
  EVNODE_WATCHDOG(30);
  NodeServer node;
  auto amain = [&]() -> Task<void> {
    http::FetchOptions o;
    o.method = "POST";
    o.body = readableFrom({Buffer::from("one,"), Buffer::from("two,"), Buffer::from("three")});
    http::FetchResponse r = co_await http::fetch(node.url("/s"), o);
    EXPECT_EQ(co_await r.text(), "POST /s one,two,three");
  };
  run(amain());
}

TEST(FetchTest, LargeBodyByteExactChunkByChunk) {
  NEED_NODE();
  EVNODE_WATCHDOG(30);
  NodeServer node;
  auto amain = [&]() -> Task<void> {
    http::FetchResponse r = co_await http::fetch(node.url("/big"));
    EXPECT_EQ(r.headers.get("content-length").value_or(""), "1048583");
    std::size_t n = 0, chunks = 0;
    bool exact = true;
    auto it = stream::iterator(r.body);
    while (auto c = co_await it.next()) {
      ++chunks;
      for (std::size_t i = 0; i < c->size(); ++i, ++n) {
        if ((*c)[i] != (n * 7) % 251) exact = false;
      }
    }
    EXPECT_EQ(n, 1048583u);
    EXPECT_TRUE(exact);
    EXPECT_GT(chunks, 1u);
    // And whole, through arrayBuffer().
    http::FetchResponse again = co_await http::fetch(node.url("/big"));
    Buffer all = co_await again.buffer();
    EXPECT_EQ(all.size(), 1048583u);
    for (std::size_t i = 0; i < all.size(); i += 4097) EXPECT_EQ(all[i], (i * 7) % 251);
  };
  run(amain());
}

TEST(FetchTest, SequentialFetchesShareOneConnectionAndTheProgramEndsAtOnce) {
  NEED_NODE();
  EVNODE_WATCHDOG(30);
  NodeServer node;
  auto amain = [&]() -> Task<void> {
    for (int i = 0; i < 5; ++i) {
      http::FetchResponse r = co_await http::fetch(node.url("/n" + std::to_string(i)));
      EXPECT_EQ(co_await r.text(), "GET /n" + std::to_string(i) + " ");
    }
  };
  auto t0 = Clock::now();
  run(amain());
  // The idle pooled socket is unref'd: run() returned without waiting for Node's 5 s keep-alive
  // timeout.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count(), 2500);
  EXPECT_EQ(node.connections(), 1);
}

TEST(FetchTest, ConnectionRefusedThrowsSystemError) {
  EVNODE_WATCHDOG(10);
  int port = et::freePort();
  auto amain = [&]() -> Task<void> {
    try {
      co_await http::fetch("http://127.0.0.1:" + std::to_string(port) + "/");
      ADD_FAILURE() << "no exception";
    } catch (const SystemError& e) {
      EXPECT_EQ(e.error().code, "ECONNREFUSED");
    }
    auto r =
        co_await http::promises::request("http://127.0.0.1:" + std::to_string(port) + "/").result();
    EXPECT_EQ(r.error().code, "ECONNREFUSED");
  };
  run(amain());
}

TEST(FetchTest, BadArgumentsThrowAtTheCall) {
  auto amain = []() -> Task<void> {
    EXPECT_THROW(co_await http::fetch("not a url"), Exception);
    http::FetchOptions getWithBody;
    getWithBody.body = "x";
    EXPECT_THROW(co_await http::fetch("http://127.0.0.1:1/", getWithBody), Exception);
    http::FetchOptions badRedirect;
    badRedirect.redirect = "sometimes";
    EXPECT_THROW(co_await http::fetch("http://127.0.0.1:1/", badRedirect), Exception);
    EXPECT_THROW(co_await http::fetch("ftp://127.0.0.1/"), Exception);
  };
  run(amain());
}

TEST(FetchTest, AbortBeforeTheResponseDestroysTheRequest) {
  NEED_NODE();
  EVNODE_WATCHDOG(30);
  NodeServer node;
  auto amain = [&]() -> Task<void> {
    AbortController ac;
    setTimeout([&] { ac.abort(); }, 50);
    http::FetchOptions o;
    o.signal = ac.signal();
    auto t0 = Clock::now();
    try {
      co_await http::fetch(node.url("/wait"), o);
      ADD_FAILURE() << "no exception";
    } catch (const AbortError& e) {
      EXPECT_EQ(e.code(), "ABORT_ERR");
    }
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count(),
              2000);
    EXPECT_EQ(ac.signal()->listenerCount(AbortSignal::Events::abort), 0u);
    // An aborted signal: nothing is sent at all.
    http::FetchOptions already;
    already.signal = AbortSignal::abort();
    try {
      co_await http::fetch(node.url("/x"), already);
      ADD_FAILURE() << "no exception";
    } catch (const AbortError& e) {
      EXPECT_EQ(e.code(), "ABORT_ERR");
    }
  };
  run(amain());  // returns: the aborted request left nothing running
}

TEST(FetchTest, AbortAfterTheResponseFailsTheBody) {
  NEED_NODE();
  EVNODE_WATCHDOG(30);
  NodeServer node;
  auto amain = [&]() -> Task<void> {
    AbortController ac;
    http::FetchOptions o;
    o.signal = ac.signal();
    http::FetchResponse r = co_await http::fetch(node.url("/big"), o);
    ac.abort();
    auto body = co_await r.text().result();
    EXPECT_EQ(body.error().code, "ABORT_ERR");
  };
  run(amain());
}

// A response dropped with its body unread (every FetchResponse copy and `body` gone) lets go
// of its connection: one whose body has all arrived goes back to the pool (the next fetch reuses
// it), one whose body is still coming is closed (reading the rest could take any time). Both
// leave nothing behind (the ASan tree checks for leaks at exit).
TEST(FetchTest, AResponseDroppedUnreadLetsGoOfItsConnection) {
  EVNODE_WATCHDOG(30);
  int connections = 0, closed = 0;
  const std::string big(4 << 20, 'b');  // more than the socket buffers hold: still coming
  auto server = http::createServer([&](const http::RequestPtr& req, const http::ResponsePtr& res) {
    res->end(req->url == "/big" ? std::string_view(big) : std::string_view("small body"));
  });
  server->on(net::Server::Events::connection, [&](const http::SocketPtr& s) {
    ++connections;
    s->on(net::Socket::Events::close, [&](bool) { ++closed; });
  });
  server->listen(0, "127.0.0.1");
  const std::string base = "http://127.0.0.1:" + std::to_string(server->address().port);
  auto amain = [&]() -> Task<void> {
    {
      http::FetchResponse r = co_await http::fetch(base + "/small");
      EXPECT_EQ(r.status, 200);
      co_await tp::setTimeout(50);  // every byte of the body is here, unread
    }
    co_await tp::setImmediate();  // (the body is read to its end on the next tick)
    http::FetchResponse again = co_await http::fetch(base + "/small");
    EXPECT_EQ(co_await again.text(), "small body");
    EXPECT_EQ(connections, 1);  // the dropped body's connection was reused
    http::IncomingMessagePtr kept;
    {
      http::FetchResponse r = co_await http::fetch(base + "/big");
      http::FetchResponse copy = r;
      kept = copy.body;  // a copy of the body keeps it readable after the responses go
    }
    co_await tp::setTimeout(50);
    EXPECT_EQ(closed, 0);
    EXPECT_EQ((co_await stream::consumers::text(kept)).size(), big.size());
    kept.reset();
    {
      http::FetchResponse r = co_await http::fetch(base + "/big");
      EXPECT_EQ(r.status, 200);
    }
    for (int i = 0; i < 100 && closed == 0; ++i) co_await tp::setTimeout(10);
    EXPECT_EQ(closed, 1);  // the connection with a body still coming was closed
    http::FetchResponse last = co_await http::fetch(base + "/small");
    EXPECT_EQ(co_await last.text(), "small body");
    server->close();
    server->closeIdleConnections();
  };
  run(amain());
}

TEST(FetchTest, DestroyingTheTaskMidAwaitLeavesNothingBehind) {
  NEED_NODE();
  EVNODE_WATCHDOG(30);
  NodeServer node;
  auto pending = [&]() -> Task<void> {
    co_await http::fetch(node.url("/wait"));
    ADD_FAILURE() << "resumed";
  };
  Task<void> t = pending();
  detail::resumeNested(t.handle());  // starts it: it waits for the response
  setTimeout([&] { t = Task<void>(); }, 50);
  auto t0 = Clock::now();
  run();  // the destroyed task's request was destroyed: the loop ends
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count(), 2000);
}

// Our server: /r/N redirects N times (302) to /r/0; /see-other answers 303, /temp 307, /perm
// 308 (all to /echo); /echo answers "METHOD BODY". Counts connections.
struct OurServer {
  std::shared_ptr<http::Server> server;
  int port = 0, connections = 0;
  OurServer() {
    server = http::createServer([](http::RequestPtr req, http::ResponsePtr res) -> Task<void> {
      std::string body = co_await stream::consumers::text(req);
      const std::string& u = req->url;
      if (u.starts_with("/r/")) {
        int n = std::stoi(u.substr(3));
        if (n == 0) {
          res->end("done");
        } else {
          res->writeHead(302, {{"Location", "/r/" + std::to_string(n - 1)}});
          res->end("moved");
        }
      } else if (u == "/see-other" || u == "/found" || u == "/temp" || u == "/perm") {
        int code = u == "/see-other" ? 303 : u == "/found" ? 302 : u == "/temp" ? 307 : 308;
        res->writeHead(code, {{"Location", "/echo"}});
        res->end();
      } else if (u == "/abs" || u.starts_with("/cross?to=")) {
        // An absolute Location: this server, or (/cross?to=PORT) another origin.
        std::string port = u == "/abs" ? std::to_string(req->socket->localPort()) : u.substr(10);
        res->writeHead(301, {{"Location", "http://127.0.0.1:" + port + "/echo"}});
        res->end();
      } else {
        res->setHeader("X-Auth", req->headers.value("authorization", "-"));
        res->end(req->method + " " + body);
      }
    });
    server->on(net::Server::Events::connection, [this](const auto&) { ++connections; });
    server->listen(0, "127.0.0.1");
    port = server->address().port;
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
};

TEST(FetchTest, RedirectsAsTheFetchStandardSays) {
  EVNODE_WATCHDOG(30);
  OurServer site, other;  // two origins
  auto amain = [&]() -> Task<void> {
    http::FetchResponse r = co_await http::fetch(site.url("/r/3"));
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.redirected);
    EXPECT_EQ(r.url, site.url("/r/0"));
    EXPECT_EQ(co_await r.text(), "done");

    http::FetchOptions post;
    post.method = "POST";
    post.body = "payload";
    for (const char* path : {"/see-other", "/found"}) {
      http::FetchResponse g = co_await http::fetch(site.url(path), post);
      EXPECT_EQ(co_await g.text(), "GET ") << path;
    }
    for (const char* path : {"/temp", "/perm"}) {
      http::FetchResponse k = co_await http::fetch(site.url(path), post);
      EXPECT_EQ(co_await k.text(), "POST payload") << path;
    }
    http::FetchOptions manual;
    manual.redirect = "manual";
    http::FetchResponse m = co_await http::fetch(site.url("/r/2"), manual);
    EXPECT_EQ(m.status, 302);
    EXPECT_FALSE(m.ok);
    EXPECT_EQ(m.headers.get("location").value_or(""), "/r/1");
    EXPECT_EQ(co_await m.text(), "moved");

    http::FetchOptions error;
    error.redirect = "error";
    try {
      co_await http::fetch(site.url("/r/1"), error);
      ADD_FAILURE() << "no exception";
    } catch (const Exception& e) {
      EXPECT_EQ(e.code(), "ERR_FETCH_FAILED");
    }
    http::FetchResponse twenty = co_await http::fetch(site.url("/r/20"));
    EXPECT_EQ(co_await twenty.text(), "done");
    try {
      co_await http::fetch(site.url("/r/21"));
      ADD_FAILURE() << "no exception";
    } catch (const Exception& e) {
      EXPECT_NE(std::string(e.what()).find("redirect count exceeded"), std::string::npos);
    }
    // Authorization goes along a same-origin redirect, not to another origin.
    http::FetchOptions auth;
    auth.headers = {{"Authorization", "Bearer s3cret"}};
    http::FetchResponse same = co_await http::fetch(site.url("/abs"), auth);
    EXPECT_EQ(same.headers.get("x-auth").value_or(""), "Bearer s3cret");
    co_await same.text();
    http::FetchResponse cross =
        co_await http::fetch(site.url("/cross?to=" + std::to_string(other.port)), auth);
    EXPECT_EQ(cross.headers.get("x-auth").value_or(""), "-");
    EXPECT_EQ(cross.url, other.url("/echo"));
    co_await cross.text();
    // A stream body cannot be replayed for a 307.
    http::FetchOptions streamed;
    streamed.method = "POST";
    streamed.body = readableFrom({Buffer::from("x")});
    EXPECT_THROW(co_await http::fetch(site.url("/temp"), streamed), Exception);
    site.server->close();
    site.server->closeIdleConnections();
    other.server->close();
    other.server->closeIdleConnections();
  };
  run(amain());
  EXPECT_LE(site.connections, 2);  // one keep-alive connection (two if one was closed mid-way)
}

TEST(FetchTest, KeepAliveReuseAgainstOurServerAndChunkedBody) {
  EVNODE_WATCHDOG(30);
  int connections = 0;
  std::string big(300000, 'q');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  auto server = http::createServer([&](http::RequestPtr, http::ResponsePtr res) -> Task<void> {
    co_await tp::setImmediate();
    for (std::size_t at = 0; at < big.size(); at += 65536) {
      co_await stream::promises::write(*res, std::string_view(big).substr(at, 65536));
    }
    res->end();
  });
  server->on(net::Server::Events::connection, [&](const auto&) { ++connections; });
  server->listen(0, "127.0.0.1");
  int port = server->address().port;
  auto amain = [&]() -> Task<void> {
    for (int i = 0; i < 4; ++i) {
      http::FetchResponse r = co_await http::fetch("http://127.0.0.1:" + std::to_string(port));
      EXPECT_EQ(r.headers.get("transfer-encoding").value_or(""), "chunked");
      std::string body = co_await r.text();
      EXPECT_TRUE(body == big) << "body " << i << " differs";
    }
    server->close();
    server->closeIdleConnections();
  };
  run(amain());
  EXPECT_EQ(connections, 1);
}

TEST(FetchTest, HttpsWithAPrivateCa) {
  EVNODE_WATCHDOG(30);
  ASSERT_TRUE(tlstest::certs().ok) << tlstest::certs().error;
  https::ServerOptions so;
  so.key = tlstest::certs().pem("leaf.key");
  so.cert = tlstest::certs().pem("leaf.pem");
  std::set<net::Socket*> sockets;  // the connections requests came on
  auto server = https::createServer(
      so, [&](const http::RequestPtr& req, const http::ResponsePtr& res) -> Task<void> {
        sockets.insert(req->socket.get());
        co_await timers::promises::setImmediate();  // a coroutine handler over TLS
        res->end("tls " + req->url);
      });
  server->listen(0, "127.0.0.1");
  std::string base = "https://localhost:" + std::to_string(server->address().port);
  auto amain = [&]() -> Task<void> {
    // Without the CA: the certificate is rejected.
    try {
      co_await http::fetch(base + "/a");
      ADD_FAILURE() << "no exception";
    } catch (const SystemError& e) {
      EXPECT_EQ(e.error().code, "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    }
    http::FetchOptions o;
    auto t = std::make_shared<https::TlsOptions>();
    t->ca = {tlstest::certs().pem("ca.pem")};
    o.tls = t;
    for (int i = 0; i < 3; ++i) {
      http::FetchResponse r = co_await http::fetch(base + "/p" + std::to_string(i), o);
      EXPECT_EQ(co_await r.text(), "tls /p" + std::to_string(i));
    }
    server->close();
    server->closeIdleConnections();
  };
  run(amain());
  EXPECT_EQ(sockets.size(), 1u);  // the three fetches shared one pooled TLS connection
}

TEST(TaskServerTest, ThrowingHandlerAnswers500AndIsReported) {
  if (!et::haveCommand("curl")) GTEST_SKIP() << "curl is not installed";
  EVNODE_WATCHDOG(30);
  std::vector<Error> reported;
  setUncaughtErrorHandler([&](const Error& e) { reported.push_back(e); });
  auto server = http::createServer(
      [](const http::RequestPtr& req, const http::ResponsePtr& res) -> Task<void> {
        co_await tp::setTimeout(5);
        if (req->url == "/throw") throw std::runtime_error("handler failed");
        if (req->url == "/late") {
          res->writeHead(200, {{"Content-Type", "text/plain"}});
          res->write("partial");
          co_await tp::setTimeout(5);
          throw std::runtime_error("after the head");
        }
        res->setHeader("X-Req", req->url);  // req and res are the task's own copies
        res->end("fine");
      });
  server->listen(0, "127.0.0.1");
  int port = server->address().port;
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  // curl runs on a thread of its own while this thread's loop serves it.
  std::vector<et::ProcResult> results(3);
  std::atomic<bool> finished{false};
  std::thread client([&] {
    results[0] = et::runProcess({"curl", "-s", "-i", base + "/ok"});
    results[1] = et::runProcess({"curl", "-s", "-i", base + "/throw"});
    results[2] = et::runProcess({"curl", "-s", "-i", "-N", base + "/late"});
    finished = true;
  });
  TimeoutPtr poll;
  poll = setInterval(
      [&] {
        if (!finished) return;
        clearInterval(poll);
        server->close();
      },
      10);
  run();
  client.join();
  setUncaughtErrorHandler(nullptr);
  EXPECT_NE(results[0].out.find("HTTP/1.1 200 OK"), std::string::npos) << results[0].out;
  EXPECT_NE(results[0].out.find("X-Req: /ok"), std::string::npos);
  EXPECT_TRUE(results[0].out.ends_with("\r\n\r\nfine")) << results[0].out;
  EXPECT_TRUE(results[1].out.starts_with("HTTP/1.1 500 Internal Server Error\r\n"))
      << results[1].out;
  EXPECT_NE(results[1].out.find("Content-Length: 0"), std::string::npos);
  // After the head went out the socket is destroyed: curl sees a cut chunked body (status 18).
  EXPECT_TRUE(results[2].out.starts_with("HTTP/1.1 200 OK")) << results[2].out;
  EXPECT_NE(results[2].out.find("partial"), std::string::npos);
  EXPECT_EQ(results[2].status, 18);
  ASSERT_EQ(reported.size(), 2u);
  EXPECT_EQ(reported[0].code, "ERR_UNHANDLED_REJECTION");
  EXPECT_EQ(reported[0].message, "handler failed");
  EXPECT_EQ(reported[1].message, "after the head");
}

TEST(TaskServerTest, CallbackAndCoroutineHandlersChooseTheirOverload) {
  EVNODE_WATCHDOG(10);
  int callbacks = 0;
  auto plain = http::createServer([&](const http::RequestPtr&, const http::ResponsePtr& res) {
    ++callbacks;
    res->end("cb");
  });
  auto coro = http::createServer(http::ServerOptions{},
                                 [](http::RequestPtr, http::ResponsePtr res) -> Task<void> {
                                   co_await tp::setImmediate();
                                   res->end("co");
                                 });
  plain->listen(0, "127.0.0.1");
  coro->listen(0, "127.0.0.1");
  auto amain = [&]() -> Task<void> {
    for (auto& s : {plain, coro}) {
      std::string url = "http://127.0.0.1:" + std::to_string(s->address().port) + "/";
      http::FetchResponse r = co_await http::fetch(url);
      std::string body = co_await r.text();
      EXPECT_EQ(body, s == plain ? "cb" : "co");
      s->close();
      s->closeIdleConnections();
    }
  };
  run(amain());
  EXPECT_EQ(callbacks, 1);
}

// A handler that never suspends runs whole inside the `request` event (before the listeners
// after it) and its task is gone when the event returns; one that throws before its first
// suspension, or a plain function that throws instead of giving a task, answers 500 and is
// reported; a plain function may answer and return an empty Task; req and res taken by
// reference stay valid after the response has finished and the next requests on the
// connection are being served.
TEST(TaskServerTest, HandlersThatFinishOrThrowAtOnceAndReferencesThatOutliveTheResponse) {
  EVNODE_WATCHDOG(20);
  std::vector<Error> reported;
  setUncaughtErrorHandler([&](const Error& e) { reported.push_back(e); });
  std::vector<std::string> order;
  std::vector<std::string> late;  // what a handler saw of req and res after it had answered
  auto server = http::createServer(
      [&](const http::RequestPtr& req, const http::ResponsePtr& res) -> Task<void> {
        order.push_back("handler " + req->url);
        if (req->url == "/throw-now") throw std::runtime_error("threw at once");
        if (req->url == "/late") {
          res->end("late");
          co_await tp::setTimeout(20);
          late.push_back(req->url + " " + std::to_string(res->writableFinished()) + " " +
                         std::to_string(res->req() == req));
          co_return;
        }
        res->end("sync " + req->url);
      });
  server->on(http::Server::Events::request, [&](const http::RequestPtr& req,
                                                const http::ResponsePtr& res) {
    order.push_back("next listener " + req->url + " " + std::to_string(res->writableEnded()));
  });
  // Plain functions (not coroutines) returning a Task: one throws instead, one answers and
  // returns an empty Task (nothing to run).
  auto plain = http::createServer(
      [](const http::RequestPtr& req, const http::ResponsePtr& res) -> Task<void> {
        if (req->url == "/empty") {
          res->end("empty");
          return Task<void>();
        }
        throw std::runtime_error("no task");
      });
  server->listen(0, "127.0.0.1");
  plain->listen(0, "127.0.0.1");
  auto base = [](const std::shared_ptr<http::Server>& s) {
    return "http://127.0.0.1:" + std::to_string(s->address().port);
  };
  auto amain = [&]() -> Task<void> {
    http::FetchResponse a = co_await http::fetch(base(server) + "/a");
    EXPECT_EQ(co_await a.text(), "sync /a");
    http::FetchResponse late1 = co_await http::fetch(base(server) + "/late");
    EXPECT_EQ(co_await late1.text(), "late");
    http::FetchResponse b = co_await http::fetch(base(server) + "/b");  // while /late waits
    EXPECT_EQ(co_await b.text(), "sync /b");
    http::FetchResponse thrown = co_await http::fetch(base(server) + "/throw-now");
    EXPECT_EQ(thrown.status, 500);
    EXPECT_EQ(co_await thrown.text(), "");
    http::FetchResponse none = co_await http::fetch(base(plain) + "/x");
    EXPECT_EQ(none.status, 500);
    EXPECT_EQ(none.headers.get("connection").value_or(""), "close");
    EXPECT_EQ(co_await none.text(), "");
    http::FetchResponse empty = co_await http::fetch(base(plain) + "/empty");
    EXPECT_EQ(co_await empty.text(), "empty");
    co_await tp::setTimeout(40);
    server->close();
    server->closeIdleConnections();
    plain->close();
    plain->closeIdleConnections();
  };
  run(amain());
  setUncaughtErrorHandler(nullptr);
  EXPECT_EQ(order,
            (std::vector<std::string>{"handler /a", "next listener /a 1", "handler /late",
                                      "next listener /late 1", "handler /b", "next listener /b 1",
                                      "handler /throw-now", "next listener /throw-now 1"}));
  EXPECT_EQ(late, std::vector<std::string>{"/late 1 1"});
  ASSERT_EQ(reported.size(), 2u);
  EXPECT_EQ(reported[0].message, "threw at once");
  EXPECT_EQ(reported[1].message, "no task");
}

// A handler's task keeps the handler object (its captures) while it waits, even once the server
// dropped the listener; its frame, with the handler's own copies of req and res, is freed when
// it ends, at once or later.
TEST(TaskServerTest, AWaitingHandlerKeepsItsHandlerAndEveryFrameIsFreed) {
  EVNODE_WATCHDOG(20);
  auto probe = std::make_shared<std::string>("kept");
  std::weak_ptr<std::string> probeGone = probe;
  std::vector<std::weak_ptr<http::ServerResponse>> responses;  // the frames' copies
  std::shared_ptr<http::Server> server;
  server = http::createServer([probe = std::move(probe), &responses, &server](
                                  http::RequestPtr req, http::ResponsePtr res) -> Task<void> {
    responses.push_back(res);
    if (req->url == "/now") {
      res->end("now");
      co_return;
    }
    server->removeAllListeners(http::Server::Events::request);  // the listener goes
    co_await tp::setTimeout(10);
    res->end(*probe + " " + req->url);  // the handler object is still there
  });
  server->listen(0, "127.0.0.1");
  std::string base = "http://127.0.0.1:" + std::to_string(server->address().port);
  auto amain = [&]() -> Task<void> {
    http::FetchResponse a = co_await http::fetch(base + "/now");
    EXPECT_EQ(co_await a.text(), "now");
    http::FetchResponse b = co_await http::fetch(base + "/later");
    EXPECT_EQ(co_await b.text(), "kept /later");
    server->close();
    server->closeIdleConnections();
  };
  run(amain());
  EXPECT_TRUE(probeGone.expired());  // the listener went with its last task
  ASSERT_EQ(responses.size(), 2u);
  server.reset();
  for (const auto& r : responses) EXPECT_TRUE(r.expired());  // no frame kept its res
}

// A `request` emitted by hand with a request that is not the response's own: the handler gets
// that request, which its task keeps alive while it waits (the emitter's copy is gone by then).
TEST(TaskServerTest, AHandEmittedRequestThatIsNotTheResponsesOwn) {
  EVNODE_WATCHDOG(20);
  auto co = http::createServer(
      [](const http::RequestPtr& req, const http::ResponsePtr& res) -> Task<void> {
        co_await tp::setImmediate();
        res->end("co " + req->url + " " + std::to_string(res->req() == req));
      });
  auto front = http::createServer([&](const http::RequestPtr& req, const http::ResponsePtr& res) {
    auto other = std::make_shared<http::IncomingMessage>();
    other->url = "/other" + req->url;
    co->emit(http::Server::Events::request, other, res);
  });
  front->listen(0, "127.0.0.1");
  std::string base = "http://127.0.0.1:" + std::to_string(front->address().port);
  auto amain = [&]() -> Task<void> {
    for (const char* path : {"/a", "/b"}) {
      http::FetchResponse r = co_await http::fetch(base + path);
      EXPECT_EQ(co_await r.text(), std::string("co /other") + path + " 0");
    }
    front->close();
    front->closeIdleConnections();
  };
  run(amain());
}

// A handler resumed from plain code that awaits Tasks finishing at once (each await runs a
// trampoline of its own, which resumes the handler, which may then finish and free its frame
// there) and one that awaits after them: every answer arrives, and the sanitizer tree sees no
// use of a freed frame.
TEST(TaskServerTest, HandlersAwaitingTasksThatFinishAtOnce) {
  EVNODE_WATCHDOG(20);
  auto leaf = [](std::string s) -> Task<std::string> { co_return s + "!"; };
  auto server = http::createServer(
      [&](const http::RequestPtr& req, const http::ResponsePtr& res) -> Task<void> {
        std::string a = co_await leaf(req->url);
        std::string b = co_await leaf(a);
        if (req->url == "/later") co_await tp::setImmediate();
        res->end(co_await leaf(b));
      });
  server->listen(0, "127.0.0.1");
  std::string base = "http://127.0.0.1:" + std::to_string(server->address().port);
  auto amain = [&]() -> Task<void> {
    for (const char* path : {"/now", "/later", "/now"}) {
      http::FetchResponse r = co_await http::fetch(base + path);
      EXPECT_EQ(co_await r.text(), std::string(path) + "!!!");
    }
    server->close();
    server->closeIdleConnections();
  };
  run(amain());
}

}  // namespace
}  // namespace evnode
