// tls in process: our client against our server over real sockets on 127.0.0.1 (and a Unix
// socket, and an in-memory stream), with certificates made by the openssl CLI. Verification
// failures come from real bad certificates; nothing the application wrote may reach the peer
// before verification passes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/tls.h"
#include "tls/tls_support.h"

namespace {

using namespace evnode;
using tls::TLSSocket;
using tlstest::certs;
using tlstest::clientOptions;
using tlstest::listenLocal;
using tlstest::serverOptions;
namespace et = evnode::testing;

// An echo server that closes itself after `conns` secure connections have closed.
std::shared_ptr<tls::Server> echoServer(tls::ServerOptions o, int conns = 1) {
  auto server = tls::createServer(std::move(o));
  auto left = std::make_shared<int>(conns);
  tls::Server* raw = server.get();
  server->on(tls::Server::Events::secureConnection,
             [raw, left](const std::shared_ptr<TLSSocket>& s) {
               TLSSocket* sp = s.get();
               s->on(TLSSocket::Events::data, [sp](const Buffer& b) { sp->write(b); });
               s->on(TLSSocket::Events::error, [](const Error&) {});
               s->on(TLSSocket::Events::close, [raw, left] {
                 if (--*left == 0) raw->close();
               });
             });
  return server;
}

TEST(TlsSocket, EchoAndConnectionDetails) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto server = echoServer(serverOptions());
  std::shared_ptr<TLSSocket> serverSide;
  server->on(tls::Server::Events::secureConnection,
             [&](const std::shared_ptr<TLSSocket>& s) { serverSide = s; });
  int port = listenLocal(server);
  std::string got;
  std::shared_ptr<TLSSocket> c;
  bool secure = false;
  c = tls::connect(clientOptions(port), [&] {
    secure = true;
    EXPECT_TRUE(c->authorized());
    EXPECT_EQ(c->authorizationError(), "");
    EXPECT_TRUE(c->encrypted());
    EXPECT_EQ(c->getProtocol(), "TLSv1.3");
    EXPECT_EQ(c->getCipher().version, "TLSv1.3");
    EXPECT_FALSE(c->getCipher().name.empty());
    EXPECT_EQ(c->alpnProtocol(), "");
    EXPECT_EQ(c->remoteAddress(), "127.0.0.1");
    EXPECT_EQ(c->remotePort(), port);
    tls::Certificate cert = c->getPeerCertificate();
    EXPECT_EQ(cert.subject["CN"], "localhost");
    EXPECT_EQ(cert.issuer["CN"], "evnode-test-ca");
    EXPECT_EQ(cert.subjectaltname, "DNS:localhost, IP Address:127.0.0.1");
    EXPECT_NE(cert.valid_from.find(" GMT"), std::string::npos) << cert.valid_from;
    EXPECT_NE(cert.valid_to.find(" GMT"), std::string::npos) << cert.valid_to;
    EXPECT_EQ(cert.fingerprint256.size(), 32u * 3 - 1);
    EXPECT_FALSE(cert.ca);
    EXPECT_TRUE(c->getCertificate().empty());  // the client sent none
    c->write("hello ");
    c->write("tls");
  });
  c->on(TLSSocket::Events::data, [&](const Buffer& b) {
    got += b.toString();
    if (got.size() >= 9) c->end();
  });
  c->on(TLSSocket::Events::error,
        [](const Error& e) { ADD_FAILURE() << e.code << " " << e.message; });
  run();
  EXPECT_TRUE(secure);
  EXPECT_EQ(got, "hello tls");
  ASSERT_TRUE(serverSide);
  EXPECT_FALSE(serverSide->authorized());  // no client certificate was asked for
  EXPECT_EQ(serverSide->getCertificate().subject["CN"], "localhost");
  EXPECT_TRUE(serverSide->getPeerCertificate().empty());
  EXPECT_EQ(serverSide->servername(), "localhost");
  EXPECT_GT(c->bytesWritten(), 9u);  // the transport's count: records, not plaintext

  // The fingerprint is the one the openssl CLI computes.
  et::ProcResult fp = et::runProcess(
      {"openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", certs().path("leaf.pem")});
  EXPECT_NE(fp.out.find(c->getPeerCertificate().fingerprint256), std::string::npos) << fp.out;
}

struct BadCase {
  const char* cert;  // the server's certificate (and .key, except for chains)
  const char* key;
  const char* host;
  const char* code;
  const char* message;
};

// Each verification failure, from a real bad certificate: the client gets Node's code and
// message, and the server receives nothing the client wrote.
TEST(TlsSocket, VerificationFailuresHaveNodesCodesAndSendNothing) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  const BadCase cases[] = {
      {"self", "self", "localhost", "DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"},
      {"expired", "expired", "localhost", "CERT_HAS_EXPIRED", "certificate has expired"},
      {"stranger", "stranger", "localhost", "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
       "unable to verify the first certificate"},
      {"stranger-chain", "stranger", "localhost", "SELF_SIGNED_CERT_IN_CHAIN",
       "self-signed certificate in certificate chain"},
      {"wrong", "wrong", "localhost", "ERR_TLS_CERT_ALTNAME_INVALID",
       "Hostname/IP does not match certificate's altnames: Host: localhost. is not in the cert's "
       "altnames: "
       "DNS:wrong.example"},
      {"wrong", "wrong", "127.0.0.1", "ERR_TLS_CERT_ALTNAME_INVALID",
       "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's "
       "list: "},
  };
  for (const BadCase& bc : cases) {
    SCOPED_TRACE(bc.cert + std::string(" ") + bc.host);
    tls::ServerOptions so;
    so.cert = certs().pem(std::string(bc.cert) + ".pem");
    so.key = certs().pem(std::string(bc.key) + ".key");
    auto server = tls::createServer(so);
    std::string received;
    server->on(tls::Server::Events::secureConnection, [&](const std::shared_ptr<TLSSocket>& s) {
      s->on(TLSSocket::Events::data, [&](const Buffer& b) { received += b.toString(); });
      s->on(TLSSocket::Events::error, [](const Error&) {});
      s->on(TLSSocket::Events::close, [&] { server->close(); });
    });
    server->on(tls::Server::Events::tlsClientError,
               [&](const Error&, const std::shared_ptr<TLSSocket>&) { server->close(); });
    int port = listenLocal(server);
    Error err;
    bool secureConnect = false;
    auto c = tls::connect(clientOptions(port, bc.host), [&] { secureConnect = true; });
    c->write("secret");  // queued: must never leave
    c->on(TLSSocket::Events::error, [&](const Error& e) { err = e; });
    run();
    EXPECT_FALSE(secureConnect);
    EXPECT_EQ(err.code, bc.code);
    EXPECT_EQ(err.message, bc.message);
    EXPECT_EQ(received, "");
    EXPECT_FALSE(c->authorized());
    EXPECT_EQ(c->authorizationError(), bc.code);
  }
}

TEST(TlsSocket, RejectUnauthorizedFalseConnectsAndReportsWhy) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto server = echoServer(serverOptions("self"));
  int port = listenLocal(server);
  auto o = clientOptions(port);
  o.rejectUnauthorized = false;
  std::shared_ptr<TLSSocket> c;
  std::string got;
  c = tls::connect(o, [&] {
    EXPECT_FALSE(c->authorized());
    EXPECT_EQ(c->authorizationError(), "DEPTH_ZERO_SELF_SIGNED_CERT");
    c->end("still talks");
  });
  c->on(TLSSocket::Events::data, [&](const Buffer& b) { got += b.toString(); });
  run();
  EXPECT_EQ(got, "still talks");
}

TEST(TlsSocket, DefaultTrustIsTheSystemStoreWhichDoesNotKnowOurCa) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto server = echoServer(serverOptions());
  server->on(tls::Server::Events::tlsClientError,
             [&](const Error&, const auto&) { server->close(); });
  int port = listenLocal(server);
  auto o = clientOptions(port);
  o.ca.clear();
  Error err;
  auto c = tls::connect(o);
  c->on(TLSSocket::Events::error, [&](const Error& e) { err = e; });
  run();
  EXPECT_EQ(err.code, "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
}

TEST(TlsSocket, SniPicksTheCertificate) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto server = echoServer(serverOptions(), 3);
  server->addContext("other.test", tls::SecureContextOptions{.key = certs().pem("other.key"),
                                                             .cert = certs().pem("other.pem")});
  server->addContext("*.wild.test", tls::SecureContextOptions{.key = certs().pem("wrong.key"),
                                                              .cert = certs().pem("wrong.pem")});
  std::vector<std::string> serverNames;
  server->on(tls::Server::Events::secureConnection,
             [&](const std::shared_ptr<TLSSocket>& s) { serverNames.push_back(s->servername()); });
  int port = listenLocal(server);
  std::vector<std::string> cns(3);
  std::vector<std::shared_ptr<TLSSocket>> clients(3);
  auto one = [&](const std::string& servername, int i) {
    auto o = clientOptions(port, "127.0.0.1");
    o.servername = servername;
    o.rejectUnauthorized = false;  // wrong.pem is for wrong.example
    clients[i] = tls::connect(o, [&cns, &clients, i] {
      cns[i] = clients[i]->getPeerCertificate().subject["CN"];
      clients[i]->end();
    });
  };
  one("other.test", 0);
  one("localhost", 1);
  one("a.wild.test", 2);
  run();
  EXPECT_EQ(cns[0], "other.test");
  EXPECT_EQ(cns[1], "localhost");
  EXPECT_EQ(cns[2], "wrong.example");
  std::sort(serverNames.begin(), serverNames.end());
  EXPECT_EQ(serverNames, (std::vector<std::string>{"a.wild.test", "localhost", "other.test"}));
}

TEST(TlsSocket, AsynchronousSniCallback) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto o = serverOptions();
  auto other =
      tls::createSecureContext({.key = certs().pem("other.key"), .cert = certs().pem("other.pem")});
  std::vector<std::string> asked;
  o.SNICallback = [&](const std::string& name, auto cb) {
    asked.push_back(name);
    setTimeout([cb, other, name] { cb({}, name == "other.test" ? other : nullptr); }, 20);
  };
  auto server = echoServer(o);
  int port = listenLocal(server);
  auto co = clientOptions(port);
  co.servername = "other.test";
  std::string cn;
  std::shared_ptr<TLSSocket> c;
  c = tls::connect(co, [&] {
    cn = c->getPeerCertificate().subject["CN"];
    EXPECT_TRUE(c->authorized());
    c->end();
  });
  c->on(TLSSocket::Events::error, [](const Error& e) { ADD_FAILURE() << e.message; });
  run();
  EXPECT_EQ(cn, "other.test");
  EXPECT_EQ(asked, std::vector<std::string>{"other.test"});
}

TEST(TlsSocket, AlpnNegotiatesAndRefusesNoOverlap) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto o = serverOptions();
  o.ALPNProtocols = {"h2", "http/1.1"};
  auto server = echoServer(o, 100);  // closed by the test
  std::string serverAlpn;
  Error serverErr;
  server->on(tls::Server::Events::secureConnection,
             [&](const std::shared_ptr<TLSSocket>& s) { serverAlpn = s->alpnProtocol(); });
  server->on(tls::Server::Events::tlsClientError,
             [&](const Error& e, const auto&) { serverErr = e; });
  int port = listenLocal(server);
  auto co = clientOptions(port);
  co.ALPNProtocols = {"http/1.1"};
  std::string clientAlpn;
  std::shared_ptr<TLSSocket> c;
  c = tls::connect(co, [&] {
    clientAlpn = c->alpnProtocol();
    c->end();
    // Then a client with nothing in common: the handshake fails on both sides.
    auto bad = clientOptions(port);
    bad.ALPNProtocols = {"spdy/1"};
    auto c2 = tls::connect(bad, [] { ADD_FAILURE() << "no common protocol, yet connected"; });
    c2->on(TLSSocket::Events::error, [&](const Error& e) {
      EXPECT_EQ(e.code, "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL") << e.message;
      server->close();
    });
  });
  run();
  EXPECT_EQ(clientAlpn, "http/1.1");
  EXPECT_EQ(serverAlpn, "http/1.1");
  EXPECT_EQ(serverErr.code, "ERR_SSL_NO_APPLICATION_PROTOCOL") << serverErr.message;
}

TEST(TlsSocket, SessionResumptionReportedByBothSides) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  for (const char* version : {"TLSv1.3", "TLSv1.2"}) {
    SCOPED_TRACE(version);
    auto o = serverOptions();
    o.maxVersion = version;
    auto server = echoServer(o, 2);
    std::vector<bool> serverReused;
    server->on(tls::Server::Events::secureConnection, [&](const std::shared_ptr<TLSSocket>& s) {
      serverReused.push_back(s->isSessionReused());
    });
    int port = listenLocal(server);
    Buffer session;
    std::vector<bool> clientReused;
    std::vector<std::shared_ptr<TLSSocket>> clients(2);
    std::function<void(int)> connectOnce = [&](int n) {
      auto co = clientOptions(port);
      if (n == 1) co.session = session;
      clients[n] = tls::connect(co, [&, n] {
        clientReused.push_back(clients[n]->isSessionReused());
        clients[n]->write("x");
      });
      auto& c = clients[n];
      auto* raw = c.get();
      c->on(TLSSocket::Events::session, [&](const Buffer& s) { session = s; });
      c->on(TLSSocket::Events::data, [raw](const Buffer&) { raw->end(); });
      c->on(TLSSocket::Events::close, [&, n, raw] {
        if (session.empty()) session = raw->getSession();
        if (n == 0) connectOnce(1);
      });
      c->on(TLSSocket::Events::error, [](const Error& e) { ADD_FAILURE() << e.message; });
    };
    connectOnce(0);
    run();
    EXPECT_EQ(clientReused, (std::vector<bool>{false, true}));
    EXPECT_EQ(serverReused, (std::vector<bool>{false, true}));
  }
}

TEST(TlsSocket, ClientCertificatesRequiredAndVerified) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto o = serverOptions();
  o.requestCert = true;
  o.rejectUnauthorized = true;
  o.ca = {certs().pem("ca.pem")};
  auto server = echoServer(o, 1);
  std::string peerCn;
  bool authorized = false;
  std::vector<std::string> clientErrors;
  server->on(tls::Server::Events::secureConnection, [&](const std::shared_ptr<TLSSocket>& s) {
    peerCn = s->getPeerCertificate().subject["CN"];
    authorized = s->authorized();
  });
  server->on(tls::Server::Events::tlsClientError,
             [&](const Error& e, const auto&) { clientErrors.push_back(e.code); });
  int port = listenLocal(server);

  // Without a certificate: refused in the handshake.
  Error noCertErr;
  auto c1 = tls::connect(clientOptions(port));
  c1->write("not for you");
  c1->on(TLSSocket::Events::error, [&](const Error& e) { noCertErr = e; });
  std::shared_ptr<TLSSocket> c2;  // (outlives the close listener: the connect callback uses it)
  c1->on(TLSSocket::Events::close, [&] {
    // With one the CA signed: accepted and identified.
    auto co = clientOptions(port);
    co.cert = certs().pem("client.pem");
    co.key = certs().pem("client.key");
    c2 = tls::connect(co, [&c2] { c2->end("hi"); });
    c2->on(TLSSocket::Events::error, [](const Error& e) { ADD_FAILURE() << e.message; });
  });
  run();
  EXPECT_TRUE(noCertErr) << "the client without a certificate was not refused";
  EXPECT_EQ(clientErrors, std::vector<std::string>{"ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE"});
  EXPECT_EQ(peerCn, "client");
  EXPECT_TRUE(authorized);
}

TEST(TlsSocket, ClientCertificateFromAnUnknownCa) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  for (bool reject : {true, false}) {
    auto o = serverOptions();
    o.requestCert = true;
    o.rejectUnauthorized = reject;
    o.ca = {certs().pem("ca.pem")};
    auto server = echoServer(o, 1);
    int secure = 0;
    std::string why;
    std::string received;
    server->on(tls::Server::Events::secureConnection, [&](const std::shared_ptr<TLSSocket>& s) {
      ++secure;
      why = s->authorizationError();
      s->on(TLSSocket::Events::data, [&](const Buffer& b) { received += b.toString(); });
    });
    int port = listenLocal(server);
    auto co = clientOptions(port);
    co.cert = certs().pem("stranger.pem");
    co.key = certs().pem("stranger.key");
    std::shared_ptr<TLSSocket> c;
    c = tls::connect(co, [&c] { c->write("hello"); });
    c->on(TLSSocket::Events::error, [](const Error&) {});
    c->on(TLSSocket::Events::close, [&] {
      if (reject) server->close();
    });
    c->on(TLSSocket::Events::data, [&](const Buffer&) { c->end(); });
    run();
    if (reject) {
      EXPECT_EQ(secure, 0);
      EXPECT_EQ(received, "");
    } else {
      EXPECT_EQ(secure, 1);
      EXPECT_EQ(why, "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
      EXPECT_EQ(received, "hello");
    }
  }
}

TEST(TlsSocket, OldProtocolVersionsRefusedByDefault) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto server = echoServer(serverOptions());
  std::vector<std::string> serverErrors;
  server->on(tls::Server::Events::tlsClientError, [&](const Error& e, const auto&) {
    serverErrors.push_back(e.code);
    if (serverErrors.size() == 2) server->close();
  });
  int port = listenLocal(server);
  std::vector<std::string> clientErrors;
  for (const char* v : {"TLSv1", "TLSv1.1"}) {
    auto co = clientOptions(port);
    co.minVersion = v;
    co.maxVersion = v;
    auto c = tls::connect(co, [] { ADD_FAILURE() << "an old protocol was accepted"; });
    c->on(TLSSocket::Events::error, [&](const Error& e) { clientErrors.push_back(e.code); });
  }
  run();
  EXPECT_EQ(serverErrors, (std::vector<std::string>{"ERR_SSL_UNSUPPORTED_PROTOCOL",
                                                    "ERR_SSL_UNSUPPORTED_PROTOCOL"}));
  ASSERT_EQ(clientErrors.size(), 2u);
  for (const auto& e : clientErrors) EXPECT_EQ(e, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION");
}

TEST(TlsSocket, MaxVersionTls12) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto o = serverOptions();
  o.maxVersion = "TLSv1.2";
  auto server = echoServer(o);
  int port = listenLocal(server);
  std::string proto;
  std::shared_ptr<TLSSocket> c;
  c = tls::connect(clientOptions(port), [&] {
    proto = c->getProtocol();
    c->end();
  });
  run();
  EXPECT_EQ(proto, "TLSv1.2");
}

// A plain-text client (garbage instead of a ClientHello) and a client that stalls mid-handshake
// each get tlsClientError and a closed socket; a real client is served meanwhile.
TEST(TlsSocket, GarbageAndStalledHandshakesAreDroppedServerKeepsServing) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto o = serverOptions();
  o.handshakeTimeout = 300;
  auto server = echoServer(o);
  std::vector<std::string> errors;
  server->on(tls::Server::Events::tlsClientError,
             [&](const Error& e, const std::shared_ptr<TLSSocket>& s) {
               errors.push_back(e.code);
               EXPECT_TRUE(s->destroyed());
             });
  int port = listenLocal(server);
  auto start = std::chrono::steady_clock::now();
  double garbageClosedMs = -1, stallClosedMs = -1;
  auto since = [&] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  };
  auto garbage = net::connect(port, "127.0.0.1", [] {});
  garbage->write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  garbage->on(net::Socket::Events::data, [](const Buffer&) {});  // an alert may come back
  garbage->on(net::Socket::Events::error, [](const Error&) {});
  garbage->on(net::Socket::Events::close, [&] { garbageClosedMs = since(); });
  auto stall = net::connect(port, "127.0.0.1");
  stall->write(Buffer::from({0x16, 0x03, 0x01, 0x02}));  // half a record header, then nothing
  stall->on(net::Socket::Events::data, [](const Buffer&) {});
  stall->on(net::Socket::Events::error, [](const Error&) {});
  stall->on(net::Socket::Events::close, [&] {
    stallClosedMs = since();
    // The server still serves.
    // The socket keeps itself alive until `close`; its listeners hold only a raw pointer.
    auto c = tls::connect(clientOptions(port));
    TLSSocket* cp = c.get();
    c->once(TLSSocket::Events::secureConnect, [cp] { cp->write("ok"); });
    c->on(TLSSocket::Events::data, [cp](const Buffer& b) {
      EXPECT_EQ(b.toString(), "ok");
      cp->end();
    });
    c->on(TLSSocket::Events::error, [](const Error& e) { ADD_FAILURE() << e.message; });
  });
  run();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].rfind("ERR_SSL_", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1], "ERR_TLS_HANDSHAKE_TIMEOUT");
  EXPECT_GE(garbageClosedMs, 0);
  EXPECT_GE(stallClosedMs, 250);
  EXPECT_LT(stallClosedMs, 10000);
}

TEST(TlsSocket, OverAUnixSocket) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  et::TempDir dir;
  std::string path = dir.file("tls.sock");
  auto ctx =
      tls::createSecureContext({.key = certs().pem("leaf.key"), .cert = certs().pem("leaf.pem")});
  auto server = net::createServer();
  server->on(net::Server::Events::connection, [&](const std::shared_ptr<net::Socket>& raw) {
    auto s = TLSSocket::create(raw, {.secureContext = ctx, .isServer = true});
    TLSSocket* sp = s.get();
    s->on(TLSSocket::Events::data, [sp](const Buffer& b) { sp->write("unix:" + b.toString()); });
    s->on(TLSSocket::Events::close, [&] { server->close(); });
  });
  server->listen(path);
  auto co = clientOptions(0);
  co.path = path;
  std::string got;
  std::shared_ptr<TLSSocket> c;
  c = tls::connect(co, [&] { c->write("ping"); });
  c->on(TLSSocket::Events::data, [&](const Buffer& b) {
    got += b.toString();
    c->end();
  });
  c->on(TLSSocket::Events::error, [](const Error& e) { ADD_FAILURE() << e.message; });
  run();
  EXPECT_EQ(got, "unix:ping");
}

// Two in-memory stream ends: what one writes, the other reads.
class MemoryEnd : public Duplex {
 public:
  std::weak_ptr<MemoryEnd> peer;

 protected:
  void _read(std::size_t) override {}
  void _write(const Buffer& chunk, WriteCallback cb) override {
    if (auto p = peer.lock()) p->push(chunk);
    cb();
  }
  void _final(std::function<void(const Error&)> cb) override {
    if (auto p = peer.lock()) p->push(nullptr);
    cb({});
  }
  bool hasFinal() const override { return true; }
};

TEST(TlsSocket, OverAnyDuplex) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto a = std::make_shared<MemoryEnd>(), b = std::make_shared<MemoryEnd>();
  a->peer = b;
  b->peer = a;
  auto serverCtx =
      tls::createSecureContext({.key = certs().pem("leaf.key"), .cert = certs().pem("leaf.pem")});
  auto srv = TLSSocket::create(b, {.secureContext = serverCtx, .isServer = true});
  srv->on(TLSSocket::Events::data,
          [raw = srv.get()](const Buffer& d) { raw->end("mem:" + d.toString()); });
  tls::ConnectionOptions co;
  co.socket = a;
  co.host = "localhost";
  co.ca = {certs().pem("ca.pem")};
  std::string got;
  bool ended = false;
  std::shared_ptr<TLSSocket> c;
  c = tls::connect(co, [&] {
    EXPECT_TRUE(c->authorized());
    c->write("hello");
  });
  c->on(TLSSocket::Events::data, [&](const Buffer& d) { got += d.toString(); });
  c->on(TLSSocket::Events::end, [&] { ended = true; });
  c->on(TLSSocket::Events::error, [](const Error& e) { ADD_FAILURE() << e.message; });
  run();
  EXPECT_EQ(got, "mem:hello");
  EXPECT_TRUE(ended);
  EXPECT_EQ(c->remoteAddress(), "");  // not a TCP transport
}

// A reader that does not read makes the writer's write() return false (the transport's
// backpressure reaches the TLS writer); everything arrives intact once it reads.
TEST(TlsSocket, BackpressureAndLargeTransfer) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  const std::string data = et::randomBytes(16 << 20, 42);
  auto server = tls::createServer(serverOptions());
  int falses = 0, drains = 0;
  server->on(tls::Server::Events::secureConnection, [&](const std::shared_ptr<TLSSocket>& s) {
    TLSSocket* sp = s.get();
    auto offset = std::make_shared<std::size_t>(0);
    auto pump = std::make_shared<std::function<void()>>();
    *pump = [sp, offset, pump, &data, &falses] {
      while (*offset < data.size()) {
        std::size_t n = std::min<std::size_t>(256 << 10, data.size() - *offset);
        bool ok = sp->write(Buffer::from(data.data() + *offset, n));
        *offset += n;
        if (!ok) {
          ++falses;
          return;
        }
      }
      sp->end();
    };
    s->on(TLSSocket::Events::drain, [pump, &drains] {
      ++drains;
      (*pump)();
    });
    s->on(TLSSocket::Events::close, [pump, &server] {
      *pump = nullptr;  // breaks the listener -> pump cycle
      server->close();
    });
    (*pump)();
  });
  int port = listenLocal(server);
  std::string got;
  std::shared_ptr<TLSSocket> c;
  c = tls::connect(clientOptions(port), [&] {
    c->pause();
    setTimeout([&] { c->resume(); }, 300);
  });
  c->on(TLSSocket::Events::data, [&](const Buffer& b) { got.append(b.view()); });
  c->on(TLSSocket::Events::error, [](const Error& e) { ADD_FAILURE() << e.message; });
  run();
  EXPECT_GT(falses, 0);
  EXPECT_EQ(drains, falses);
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
}

TEST(TlsSocket, HalfOpenClientEndsServerStillReplies) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto o = serverOptions();
  o.allowHalfOpen = true;
  auto server = tls::createServer(o, [](const std::shared_ptr<TLSSocket>& s) {
    TLSSocket* sp = s.get();
    auto got = std::make_shared<std::string>();
    s->on(TLSSocket::Events::data, [got](const Buffer& b) { *got += b.toString(); });
    s->on(TLSSocket::Events::end, [sp, got] { sp->end("after your end: " + *got); });
  });
  int port = listenLocal(server);
  std::string got;
  std::shared_ptr<TLSSocket> c;
  auto co = clientOptions(port);
  co.allowHalfOpen = true;
  c = tls::connect(co, [&] { c->end("question"); });
  c->on(TLSSocket::Events::data, [&](const Buffer& b) { got += b.toString(); });
  c->on(TLSSocket::Events::close, [&] { server->close(); });
  run();
  EXPECT_EQ(got, "after your end: question");
}

TEST(TlsSocket, KeylogLines) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto server = echoServer(serverOptions());
  std::vector<std::string> serverLines, clientLines;
  server->on(tls::Server::Events::keylog, [&](const Buffer& l, const std::shared_ptr<TLSSocket>&) {
    serverLines.push_back(l.toString());
  });
  int port = listenLocal(server);
  std::shared_ptr<TLSSocket> c;
  c = tls::connect(clientOptions(port), [&] { c->end(); });
  c->on(TLSSocket::Events::keylog, [&](const Buffer& l) { clientLines.push_back(l.toString()); });
  run();
  ASSERT_FALSE(serverLines.empty());
  ASSERT_FALSE(clientLines.empty());
  EXPECT_EQ(serverLines[0].rfind("SERVER_HANDSHAKE_TRAFFIC_SECRET ", 0) == 0 ||
                serverLines[0].rfind("CLIENT_HANDSHAKE_TRAFFIC_SECRET ", 0) == 0,
            true)
      << serverLines[0];
  EXPECT_EQ(serverLines[0].back(), '\n');
  // Both sides log the same secrets.
  std::sort(serverLines.begin(), serverLines.end());
  std::sort(clientLines.begin(), clientLines.end());
  EXPECT_EQ(serverLines, clientLines);
}

TEST(TlsSocket, BadContextOptionsThrow) {
  TLS_NEED_CERTS();
  auto code = [](const tls::SecureContextOptions& o) {
    try {
      tls::createSecureContext(o);
    } catch (const Exception& e) {
      return e.code();
    }
    return std::string("no exception");
  };
  EXPECT_EQ(code({.key = certs().pem("other.key"), .cert = certs().pem("leaf.pem")}),
            "ERR_OSSL_X509_KEY_VALUES_MISMATCH");
  EXPECT_EQ(code({.minVersion = "TLSv9"}), "ERR_TLS_INVALID_PROTOCOL_VERSION");
  EXPECT_EQ(code({.minVersion = "TLSv1.3", .maxVersion = "TLSv1.2"}),
            "ERR_TLS_PROTOCOL_VERSION_CONFLICT");
  EXPECT_EQ(code({.cert = "not a certificate"}).rfind("ERR_OSSL_", 0), 0u);
  EXPECT_EQ(code({.key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"})
                .rfind("ERR_OSSL_", 0),
            0u);
  EXPECT_EQ(code({.ciphers = "NOPE-NOTHING"}), "ERR_SSL_NO_CIPHER_MATCH");
}

TEST(TlsSocket, ServerCloseEndsConnectionsStillInTheirHandshake) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  auto server = echoServer(serverOptions());  // handshakeTimeout: the default 120 s
  int errors = 0;
  server->on(tls::Server::Events::tlsClientError, [&](const Error&, const auto&) { ++errors; });
  int port = listenLocal(server);
  int silent = et::rawConnect(port);  // never sends its ClientHello
  ASSERT_GE(silent, 0);
  // A secure connection after it: once the server has it, the silent one was accepted before.
  bool closed = false;
  server->on(tls::Server::Events::secureConnection, [&](const std::shared_ptr<TLSSocket>&) {
    server->close([&](const Error& e) {
      EXPECT_FALSE(e) << e.code;
      closed = true;
    });
  });
  std::shared_ptr<TLSSocket> c;
  c = tls::connect(clientOptions(port), [&] {
    c->write("still served");  // the secure connection is the application's: close() waits
  });
  std::string echoed;
  c->on(TLSSocket::Events::data, [&](const Buffer& b) {
    echoed += b.toString();
    if (echoed.size() == 12) c->end();
  });
  c->on(TLSSocket::Events::error, [](const Error& e) { ADD_FAILURE() << e.code; });
  auto t0 = std::chrono::steady_clock::now();
  run();
  EXPECT_TRUE(closed);
  EXPECT_EQ(echoed, "still served");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(errors, 0);  // ended by the server, not failed by the client
  char ch;
  EXPECT_LE(::read(silent, &ch, 1), 0);
  ::close(silent);
}

}  // namespace
