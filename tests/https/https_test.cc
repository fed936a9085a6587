// https in process: our https client (request/get, Agent) against our https::Server over real
// sockets on 127.0.0.1, with certificates made by the openssl CLI (tests/tls/tls_support.h).
// Verification failures come from real bad certificates, and the server must never see a
// request from a client that refused it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "evnode/https.h"
#include "evnode/loop.h"
#include "tls/tls_support.h"

namespace {

using namespace evnode;
using http::IncomingMessage;
using http::IncomingMessagePtr;
using tls::TLSSocket;
using tlstest::certs;
namespace et = evnode::testing;

// An https server answering "METHOD URL BODY"; counts TLS connections and requests, and records
// whether each connection resumed a session and which ALPN protocol it chose.
struct Site {
  std::shared_ptr<https::Server> server;
  int port = 0;
  int connections = 0;
  int requests = 0;
  int clientErrors = 0;
  std::vector<bool> resumed;
  std::vector<std::string> alpn, peerCns;

  explicit Site(const std::string& name = "leaf",
                std::function<void(https::ServerOptions&)> tweak = nullptr) {
    https::ServerOptions o;
    o.key = certs().pem(name + ".key");
    o.cert = certs().pem(name + ".pem");
    if (tweak) tweak(o);
    server = https::createServer(o, [this](const http::RequestPtr& req,
                                           const http::ResponsePtr& res) {
      ++requests;
      auto body = std::make_shared<std::string>();
      auto tlsSock = std::dynamic_pointer_cast<TLSSocket>(req->socket);
      if (tlsSock) peerCns.push_back(tlsSock->getPeerCertificate().subject["CN"]);
      http::ServerResponse* r = res.get();
      req->on(IncomingMessage::Events::data, [body](const Buffer& b) { body->append(b.view()); });
      req->on(IncomingMessage::Events::end, [r, req = req.get(), body] {
        r->setHeader("Content-Type", "text/plain");
        r->end(req->method + " " + req->url + " " + *body);
      });
    });
    server->on(https::Server::Events::secureConnection,
               [this](const std::shared_ptr<TLSSocket>& s) {
                 ++connections;
                 resumed.push_back(s->isSessionReused());
                 alpn.push_back(s->alpnProtocol());
               });
    server->on(https::Server::Events::tlsClientError,
               [this](const Error&, const std::shared_ptr<TLSSocket>&) { ++clientErrors; });
    server->listen(0, "127.0.0.1");
    port = server->address().port;
  }
  std::string url(const std::string& path = "/") const {
    return "https://localhost:" + std::to_string(port) + path;
  }
};

https::RequestOptions trusting(int port, const std::string& path = "/") {
  https::RequestOptions o;
  o.hostname = "localhost";
  o.port = port;
  o.path = path;
  o.ca = {certs().pem("ca.pem")};
  return o;
}

void collect(const IncomingMessagePtr& res, std::function<void(const std::string&)> done) {
  auto body = std::make_shared<std::string>();
  res->on(IncomingMessage::Events::data, [body](const Buffer& b) { body->append(b.view()); });
  res->on(IncomingMessage::Events::end, [body, done] { done(*body); });
}

TEST(Https, GetAndPostThroughOurServer) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  Site site;
  auto agent = https::Agent::create();
  std::string got1, got2, alpn;
  int status = 0;
  https::RequestOptions o = trusting(site.port, "/hello?x=1");
  o.agent = agent;
  o.ALPNProtocols = {"http/1.1"};
  https::get(o, [&](const IncomingMessagePtr& res) {
    status = res->statusCode;
    EXPECT_EQ(res->headers.value("content-type"), "text/plain");
    collect(res, [&](const std::string& b) {
      got1 = b;
      if (!got2.empty()) site.server->close();
    });
  })->on(http::ClientRequest::Events::socket, [&](const http::SocketPtr& s) {
    auto t = std::dynamic_pointer_cast<TLSSocket>(s);
    ASSERT_TRUE(t);
    t->once(TLSSocket::Events::secureConnect, [&, t] {
      alpn = t->alpnProtocol();
      EXPECT_TRUE(t->authorized());
      EXPECT_EQ(t->getPeerCertificate().subject["CN"], "localhost");
    });
  });
  https::RequestOptions p = trusting(site.port, "/upload");
  p.agent = agent;
  p.method = "POST";
  auto req = https::request(p, [&](const IncomingMessagePtr& res) {
    collect(res, [&](const std::string& b) {
      got2 = b;
      // The two requests run on two connections; whichever finishes last closes the server, so
      // the other's connection is never refused by a closed listener.
      if (!got1.empty()) site.server->close();
    });
  });
  req->write("chunk one, ");
  req->end("chunk two");
  run();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(got1, "GET /hello?x=1 ");
  EXPECT_EQ(got2, "POST /upload chunk one, chunk two");
  EXPECT_EQ(alpn, "http/1.1");
  // The GET's connection asked for http/1.1 and the server offers it by default; the POST's
  // asked for nothing. Either may finish its handshake first.
  ASSERT_EQ(site.alpn.size(), 2u);
  EXPECT_NE(std::find(site.alpn.begin(), site.alpn.end(), "http/1.1"), site.alpn.end());
  EXPECT_EQ(site.requests, 2);
}

TEST(Https, KeepAliveAgentReusesSocketsAndResumesSessionsOnNewConnections) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  Site site;
  https::AgentOptions ao;
  ao.keepAlive = true;
  ao.ca = {certs().pem("ca.pem")};  // the agent's TLS options apply to its requests
  auto agent = https::Agent::create(ao);
  https::RequestOptions o;
  o.hostname = "localhost";
  o.port = site.port;
  o.agent = agent;
  std::vector<bool> reusedSocket, sessionReused;
  std::vector<std::string> bodies;
  std::function<void(int)> next = [&](int i) {
    auto req = https::get(o, [&, i](const IncomingMessagePtr& res) {
      collect(res, [&, i](const std::string& b) {
        bodies.push_back(b);
        if (i == 1) {
          // Both requests went over one connection; now drop it, so the next one is new.
          EXPECT_EQ(agent->cachedSessions(), 1u);
          agent->destroy();
        }
        if (i < 2) {
          setTimeout([&, i] { next(i + 1); }, 0);
        } else {
          site.server->close();
        }
      });
    });
    req->on(http::ClientRequest::Events::response, [&, req = req.get()](const IncomingMessagePtr&) {
      reusedSocket.push_back(req->reusedSocket);
      auto t = std::dynamic_pointer_cast<TLSSocket>(req->socket());
      sessionReused.push_back(t && t->isSessionReused());
    });
  };
  next(0);
  run();
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(reusedSocket, (std::vector<bool>{false, true, false}));
  EXPECT_EQ(sessionReused, (std::vector<bool>{false, false, true}));
  EXPECT_EQ(site.connections, 2);
  EXPECT_EQ(site.resumed, (std::vector<bool>{false, true}));  // the server agrees
}

TEST(Https, AgentWithoutKeepAliveResumesEverySecondConnection) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  Site site;
  auto agent = https::Agent::create();  // keepAlive off: a connection per request
  std::vector<bool> resumed;
  std::function<void(int)> next = [&](int i) {
    https::RequestOptions o = trusting(site.port);
    o.agent = agent;
    auto req = https::get(o);
    http::ClientRequest* raw = req.get();
    req->on(http::ClientRequest::Events::response, [&, raw, i](const IncomingMessagePtr& res) {
      auto t = std::dynamic_pointer_cast<TLSSocket>(raw->socket());
      resumed.push_back(t && t->isSessionReused());
      collect(res, [&, i](const std::string&) {
        if (i < 2) {
          setTimeout([&, i] { next(i + 1); }, 0);
        } else {
          site.server->close();
        }
      });
    });
  };
  next(0);
  run();
  EXPECT_EQ(resumed, (std::vector<bool>{false, true, true}));
  EXPECT_EQ(site.connections, 3);
  EXPECT_EQ(site.resumed, (std::vector<bool>{false, true, true}));
}

TEST(Https, PoolsAreKeyedByTlsOptions) {
  TLS_NEED_CERTS();
  auto agent = https::Agent::create();
  https::RequestOptions a = trusting(8443);
  https::RequestOptions b = a;
  auto name = [&](https::RequestOptions o) {
    http::RequestOptions base = o;
    base.tls = std::make_shared<const https::TlsOptions>(static_cast<const https::TlsOptions&>(o));
    return agent->getName(base);
  };
  EXPECT_EQ(name(a), name(b));
  EXPECT_EQ(name(a).rfind("localhost:8443::", 0), 0u) << name(a);
  b.ca = {certs().pem("stranger-ca.pem")};
  EXPECT_NE(name(a), name(b));
  b = a;
  b.rejectUnauthorized = false;
  EXPECT_NE(name(a), name(b));
  b = a;
  b.servername = "other.test";
  EXPECT_NE(name(a), name(b));
  b = a;
  b.cert = certs().pem("client.pem");
  b.key = certs().pem("client.key");
  EXPECT_NE(name(a), name(b));
  // Default port and protocol.
  https::RequestOptions d;
  EXPECT_EQ(d.protocol, "https:");
  EXPECT_EQ(d.effectivePort(), 443);
  EXPECT_EQ(https::globalAgent()->defaultPort, 443);
  EXPECT_EQ(https::globalAgent()->protocol, "https:");
  EXPECT_EQ(http::parseUrl("https://example.com:443/x").port, 0);
  EXPECT_EQ(name(d).rfind("localhost:443:", 0), 0u) << name(d);
}

TEST(Https, ProtocolMismatchThrowsErrInvalidProtocol) {
  try {
    http::request("https://localhost:1/");
    ADD_FAILURE() << "http::request accepted an https: URL";
  } catch (const Exception& e) {
    EXPECT_EQ(e.code(), "ERR_INVALID_PROTOCOL");
    EXPECT_STREQ(e.what(), "Protocol \"https:\" not supported. Expected \"http:\"");
  }
  try {
    https::request("http://localhost:1/");
    ADD_FAILURE() << "https::request accepted an http: URL";
  } catch (const Exception& e) {
    EXPECT_EQ(e.code(), "ERR_INVALID_PROTOCOL");
    EXPECT_STREQ(e.what(), "Protocol \"http:\" not supported. Expected \"https:\"");
  }
  // An https agent makes http::request speak https (as Node), and refuses http:.
  http::RequestOptions o;
  o.agent = https::Agent::create();
  try {
    http::request(o);
    ADD_FAILURE() << "an https agent accepted http:";
  } catch (const Exception& e) {
    EXPECT_STREQ(e.what(), "Protocol \"http:\" not supported. Expected \"https:\"");
  }
  // A CA that is not PEM is a programmer error: it throws at the call.
  https::RequestOptions bad;
  bad.port = 1;
  bad.ca = {"not a certificate"};
  bad.agent = https::Agent::create();
  EXPECT_THROW(https::request(bad), Exception);
}

// Each verification failure reaches the request's `error` event with Node's code, and the
// server never receives the request.
struct BadCase {
  std::string serverCert;  // files <name>.pem/.key (stranger-chain uses stranger.key)
  std::string keyName;
  bool trustOurCa;
  std::string expected;
};

TEST(Https, VerificationFailuresAreRequestErrorsWithNodeCodes) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  const std::vector<BadCase> cases = {
      {"self", "self", false, "DEPTH_ZERO_SELF_SIGNED_CERT"},
      {"leaf", "leaf", false, "UNABLE_TO_VERIFY_LEAF_SIGNATURE"},
      {"stranger-chain", "stranger", false, "SELF_SIGNED_CERT_IN_CHAIN"},
      {"expired", "expired", true, "CERT_HAS_EXPIRED"},
      {"wrong", "wrong", true, "ERR_TLS_CERT_ALTNAME_INVALID"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expected);
    https::ServerOptions so;
    so.cert = certs().pem(c.serverCert + ".pem");
    so.key = certs().pem(c.keyName + ".key");
    int requests = 0;
    auto server =
        https::createServer(so, [&](const http::RequestPtr&, const http::ResponsePtr& res) {
          ++requests;
          res->end("should not happen");
        });
    server->on(https::Server::Events::tlsClientError, [](const Error&, const auto&) {});
    server->listen(0, "127.0.0.1");
    https::RequestOptions o;
    o.hostname = "localhost";
    o.port = server->address().port;
    o.method = "POST";
    o.agent = https::Agent::create();
    if (c.trustOurCa) o.ca = {certs().pem("ca.pem")};
    Error got;
    bool responded = false;
    auto req = https::request(o, [&](const IncomingMessagePtr&) { responded = true; });
    req->on(http::ClientRequest::Events::error, [&](const Error& e) {
      got = e;
      server->close();
    });
    req->end("secret body");
    run();
    EXPECT_EQ(got.code, c.expected) << got.message;
    EXPECT_FALSE(responded);
    EXPECT_EQ(requests, 0);
  }
}

TEST(Https, RejectUnauthorizedFalseAcceptsASelfSignedServer) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  Site site("self");
  https::RequestOptions o;
  o.hostname = "127.0.0.1";
  o.port = site.port;
  o.rejectUnauthorized = false;
  o.agent = https::Agent::create();
  std::string body, authError;
  auto req = https::get(o, [&](const IncomingMessagePtr& res) {
    collect(res, [&](const std::string& b) {
      body = b;
      site.server->close();
    });
  });
  req->on(http::ClientRequest::Events::socket, [&](const http::SocketPtr& s) {
    auto t = std::dynamic_pointer_cast<TLSSocket>(s);
    t->once(TLSSocket::Events::secureConnect, [&, t] {
      EXPECT_FALSE(t->authorized());
      authError = t->authorizationError();
    });
  });
  run();
  EXPECT_EQ(body, "GET / ");
  EXPECT_EQ(authError, "DEPTH_ZERO_SELF_SIGNED_CERT");
}

TEST(Https, ClientCertificatesRequiredAndVerified) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  Site site("leaf", [](https::ServerOptions& o) {
    o.requestCert = true;
    o.ca = {certs().pem("ca.pem")};
  });
  std::string body;
  Error refused;
  auto agent = https::Agent::create();
  https::RequestOptions withCert = trusting(site.port, "/mine");
  withCert.cert = certs().pem("client.pem");
  withCert.key = certs().pem("client.key");
  withCert.agent = agent;
  https::get(withCert, [&](const IncomingMessagePtr& res) {
    collect(res, [&](const std::string& b) {
      body = b;
      https::RequestOptions without = trusting(site.port, "/anonymous");
      without.agent = agent;
      auto req = https::get(without, [&](const IncomingMessagePtr&) { ADD_FAILURE() << "served"; });
      req->on(http::ClientRequest::Events::error, [&](const Error& e) {
        refused = e;
        site.server->close();
      });
    });
  });
  run();
  EXPECT_EQ(body, "GET /mine ");
  EXPECT_EQ(site.peerCns, (std::vector<std::string>{"client"}));
  EXPECT_FALSE(refused.code.empty());  // the server's alert, or the connection it closed
  EXPECT_EQ(site.requests, 1);
}

TEST(Https, ServernamePicksTheSniCertificateAndIsVerified) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  Site site;
  site.server->addContext(
      "OTHER.test",
      tls::SecureContextOptions{.key = certs().pem("other.key"), .cert = certs().pem("other.pem")});
  auto agent = https::Agent::create();
  std::vector<std::string> cns;
  std::string body;
  https::RequestOptions o = trusting(site.port, "/sni");
  o.hostname = "127.0.0.1";  // connect by address, ask for other.test
  o.servername = "other.test";
  o.agent = agent;
  auto req = https::get(o, [&](const IncomingMessagePtr& res) {
    collect(res, [&](const std::string& b) {
      body = b;
      site.server->close();
    });
  });
  req->on(http::ClientRequest::Events::socket, [&](const http::SocketPtr& s) {
    auto t = std::dynamic_pointer_cast<TLSSocket>(s);
    t->once(TLSSocket::Events::secureConnect,
            [&, t] { cns.push_back(t->getPeerCertificate().subject["CN"]); });
  });
  run();
  EXPECT_EQ(body, "GET /sni ");
  EXPECT_EQ(cns, (std::vector<std::string>{"other.test"}));
}

TEST(Https, ServerKeepsServingAfterAPlainHttpClient) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  Site site;
  Error plainError;
  std::string body;
  http::RequestOptions plain;
  plain.hostname = "127.0.0.1";
  plain.port = site.port;
  plain.noAgent = true;
  auto p =
      http::get(plain, [](const IncomingMessagePtr&) { ADD_FAILURE() << "plain HTTP answered"; });
  p->on(http::ClientRequest::Events::error, [&](const Error& e) {
    plainError = e;
    https::RequestOptions o = trusting(site.port, "/after");
    o.agent = https::Agent::create();
    https::get(o, [&](const IncomingMessagePtr& res) {
      collect(res, [&](const std::string& b) {
        body = b;
        site.server->close();
      });
    });
  });
  run();
  EXPECT_FALSE(plainError.code.empty());
  EXPECT_EQ(site.clientErrors, 1);
  EXPECT_EQ(body, "GET /after ");
}

TEST(Https, ServerCloseEndsIdleKeepAliveConnections) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  Site site;
  https::AgentOptions ao;
  ao.keepAlive = true;
  auto agent = https::Agent::create(ao);
  https::RequestOptions o = trusting(site.port);
  o.agent = agent;
  bool closed = false;
  https::get(o, [&](const IncomingMessagePtr& res) {
    collect(res, [&](const std::string&) {
      // The connection goes back to the agent's free list; close() must end it.
      setTimeout([&] { site.server->close([&](const Error&) { closed = true; }); }, 0);
    });
  });
  run();  // returns only once the server and its connections are gone
  EXPECT_TRUE(closed);
}

TEST(Https, GetRefusesAForgedUriSanForTheNameItSpells) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERT("forged");
  Site site("forged");
  https::RequestOptions o = trusting(site.port, "/secret");
  o.hostname = "127.0.0.1";
  o.servername = "victim.test";  // SNI and the name checked; the connection goes to 127.0.0.1
  o.agent = https::Agent::create();
  Error got;
  auto req = https::get(o, [&](const IncomingMessagePtr&) { ADD_FAILURE() << "a response"; });
  req->on(http::ClientRequest::Events::error, [&](const Error& e) {
    got = e;
    site.server->close();
  });
  run();
  EXPECT_EQ(got.code, "ERR_TLS_CERT_ALTNAME_INVALID") << got.message;
  EXPECT_EQ(got.message,
            "Hostname/IP does not match certificate's altnames: Host: victim.test. is not "
            "cert's CN: attacker.example");
  EXPECT_EQ(site.requests, 0);
}

TEST(Https, ServerCloseEndsConnectionsStillInTheirHandshake) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  Site site;  // handshakeTimeout: the default 120 s
  // One client that never sends a byte, one that stops inside its first record.
  int silent = et::rawConnect(site.port);
  int partial = et::rawConnect(site.port);
  ASSERT_GE(silent, 0);
  ASSERT_GE(partial, 0);
  ASSERT_EQ(::write(partial, "\x16\x03\x01\x02\x00", 5), 5);
  // A complete request after them: once it is answered, both were accepted before it.
  bool closed = false;
  auto t0 = std::chrono::steady_clock::now();
  https::get(trusting(site.port), [&](const IncomingMessagePtr& res) {
    collect(res, [&](const std::string&) {
      setTimeout([&] { site.server->close([&](const Error&) { closed = true; }); }, 0);
    });
  });
  run();  // returns only once the server and every connection are gone
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(site.connections, 1);
  // The stalled clients see their connections end.
  char c;
  EXPECT_LE(::read(silent, &c, 1), 0);
  EXPECT_LE(::read(partial, &c, 1), 0);
  ::close(silent);
  ::close(partial);
}

}  // namespace

// ServerResponse::sendFile over TLS has no sendfile(2): the file is read and written through.
// The bytes, a range and a HEAD arrive exact on one keep-alive connection, in that order; a file
// shorter than its announced length ends the connection (the client sees the body cut short) and
// the callback says EOF with the bytes that went out.
TEST(Https, SendFileIsReadAndWrittenThroughTls) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  et::DataFile file(3 << 20, 5);
  std::vector<std::uint64_t> sent;
  std::vector<std::string> errors;
  https::ServerOptions so;
  so.key = certs().pem("leaf.key");
  so.cert = certs().pem("leaf.pem");
  auto server =
      https::createServer(so, [&](const http::RequestPtr& req, const http::ResponsePtr& res) {
        std::uint64_t offset = 0, length = file.data.size();
        if (req->url == "/range") offset = 100, length = 5000;
        if (req->url == "/short") offset = file.data.size() - 10, length = 1000;
        res->sendFile(file.fd, offset, length, [&](const Error& err, std::uint64_t n) {
          sent.push_back(n);
          errors.push_back(err.code);
        });
      });
  server->listen(0, "127.0.0.1");
  https::AgentOptions ao;
  ao.keepAlive = true;
  ao.maxSockets = 1;
  auto agent = https::Agent::create(ao);
  std::vector<std::string> bodies;
  std::string shortError;
  std::function<void(std::size_t)> next = [&](std::size_t i) {
    static const char* paths[] = {"/file", "/range", "/file", "/short"};
    if (i == 4) return;
    https::RequestOptions o = trusting(server->address().port, paths[i]);
    o.agent = agent;
    if (i == 2) o.method = "HEAD";
    auto req = https::request(o, [&, i](const IncomingMessagePtr& res) {
      res->on(IncomingMessage::Events::aborted, [&] { shortError = "aborted"; });
      res->on(IncomingMessage::Events::error, [&](const Error& e) { shortError = e.code; });
      collect(res, [&, i](const std::string& b) {
        bodies.push_back(b);
        next(i + 1);
      });
      res->on(IncomingMessage::Events::close, [&, i] {
        if (i == 3) {
          agent->destroy();
          server->close();
        }
      });
    });
    req->end();
  };
  next(0);
  run();
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_TRUE(bodies[0] == file.data);
  EXPECT_EQ(bodies[1], file.data.substr(100, 5000));
  EXPECT_EQ(bodies[2], "");
  EXPECT_NE(shortError, "");  // the fourth body was cut short
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[0], file.data.size());
  EXPECT_EQ(sent[1], 5000u);
  EXPECT_EQ(sent[2], 0u);
  EXPECT_EQ(sent[3], 10u);
  EXPECT_EQ(errors, (std::vector<std::string>{"", "", "", "EOF"}));
}
