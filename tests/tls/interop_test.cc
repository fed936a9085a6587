// tls against real peers: `openssl s_client` and a Node.js client against our server (run on a
// loop thread of its own), and our client against `openssl s_server`.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <mutex>
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
using tlstest::LoopThread;
using tlstest::serverOptions;
namespace et = evnode::testing;

// What our server saw, read by the test thread after the loop thread has stopped.
struct Seen {
  std::vector<std::string> alpn, servernames, peerCns, clientErrors;
  std::vector<bool> reused, authorized;
};

// A server on its own thread that answers "echo:<data>" and then ends the connection.
struct ThreadServer {
  Seen seen;
  std::shared_ptr<tls::Server> server;
  std::unique_ptr<LoopThread> thread;

  explicit ThreadServer(tls::ServerOptions o, std::function<void(tls::Server&)> more = nullptr) {
    thread = std::make_unique<LoopThread>(
        [this, o, more] {
          server = tls::createServer(o, [this](const std::shared_ptr<TLSSocket>& s) {
            seen.alpn.push_back(s->alpnProtocol());
            seen.servernames.push_back(s->servername());
            seen.peerCns.push_back(s->getPeerCertificate().subject["CN"]);
            seen.reused.push_back(s->isSessionReused());
            seen.authorized.push_back(s->authorized());
            TLSSocket* sp = s.get();
            s->on(TLSSocket::Events::data,
                  [sp](const Buffer& b) { sp->end("echo:" + b.toString()); });
            s->on(TLSSocket::Events::error, [](const Error&) {});
          });
          server->on(tls::Server::Events::tlsClientError,
                     [this](const Error& e, const auto&) { seen.clientErrors.push_back(e.code); });
          if (more) more(*server);
          return tlstest::listenLocal(server);
        },
        [this] {
          server->close();
          server.reset();
        });
  }
  int port() const { return thread->port; }
  const Seen& stop() {
    thread->stop();
    return seen;
  }
};

et::ProcResult sClient(int port, std::vector<std::string> extra,
                       const std::string& input = "hello\n") {
  std::vector<std::string> argv = {"openssl",
                                   "s_client",
                                   "-connect",
                                   "127.0.0.1:" + std::to_string(port),
                                   "-CAfile",
                                   certs().path("ca.pem"),
                                   "-verify_return_error",
                                   "-ign_eof"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return et::runProcess(argv, input, 30);
}

TEST(TlsInterop, OpensslSClientAgainstOurServer) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  auto o = serverOptions();
  o.ALPNProtocols = {"http/1.1"};
  ThreadServer srv(o, [](tls::Server& s) {
    s.addContext("other.test", tls::SecureContextOptions{.key = certs().pem("other.key"),
                                                         .cert = certs().pem("other.pem")});
  });
  et::ProcResult r = sClient(srv.port(), {"-servername", "localhost", "-alpn", "http/1.1"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("echo:hello"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Verify return code: 0 (ok)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ALPN protocol: http/1.1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TLSv1.3"), std::string::npos) << r.out;

  // SNI: the other certificate.
  r = sClient(srv.port(), {"-servername", "other.test", "-verify_hostname", "other.test"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("CN = other.test"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("echo:hello"), std::string::npos) << r.out;

  // TLS 1.2 and 1.1: the first works, the second is refused by the server.
  r = sClient(srv.port(), {"-tls1_2"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("echo:hello"), std::string::npos) << r.out;
  r = sClient(srv.port(), {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"});
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.out.find("echo:hello"), std::string::npos) << r.out;

  const Seen& seen = srv.stop();
  EXPECT_EQ(seen.alpn, (std::vector<std::string>{"http/1.1", "", ""}));
  EXPECT_EQ(seen.servernames, (std::vector<std::string>{"localhost", "other.test", ""}));
  EXPECT_EQ(seen.clientErrors, std::vector<std::string>{"ERR_SSL_UNSUPPORTED_PROTOCOL"});
}

// `openssl s_client -tls1_2 -cipher LIST` against `srv`: the suite it got ("" if none).
std::string tls12Suite(int port, const std::string& list, et::ProcResult* out = nullptr) {
  et::ProcResult r = sClient(port, {"-tls1_2", "-cipher", list, "-servername", "localhost"});
  if (out) *out = r;
  if (r.status != 0 || r.out.find("echo:hello") == std::string::npos) return "";
  const std::string mark = "Cipher is ";
  std::size_t at = r.out.find(mark);
  if (at == std::string::npos) return "?";
  at += mark.size();
  return r.out.substr(at, r.out.find('\n', at) - at);
}

TEST(TlsInterop, Tls12OffersOnlyForwardSecretAeadSuitesInServerOrder) {
  EVNODE_WATCHDOG(90);
  TLS_NEED_CERT("rsa");  // static RSA key exchange needs an RSA key to be possible at all
  ThreadServer srv(serverOptions("rsa"));
  // Static RSA key exchange (no forward secrecy), with CBC or even with GCM: refused.
  EXPECT_EQ(tls12Suite(srv.port(), "AES128-SHA256"), "");
  EXPECT_EQ(tls12Suite(srv.port(), "AES128-GCM-SHA256:AES256-GCM-SHA384"), "");
  // ECDHE with CBC: refused.
  EXPECT_EQ(tls12Suite(srv.port(), "ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA"), "");
  // ECDHE with AES-GCM or ChaCha20-Poly1305: accepted.
  et::ProcResult r;
  EXPECT_EQ(tls12Suite(srv.port(), "ECDHE-RSA-AES128-GCM-SHA256", &r),
            "ECDHE-RSA-AES128-GCM-SHA256")
      << r.out << r.err;
  EXPECT_EQ(tls12Suite(srv.port(), "ECDHE-RSA-CHACHA20-POLY1305"), "ECDHE-RSA-CHACHA20-POLY1305");
  // Our order decides: the client puts ChaCha20 and AES-256 before AES-128-GCM, our first.
  EXPECT_EQ(tls12Suite(srv.port(),
                       "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384:"
                       "ECDHE-RSA-AES128-GCM-SHA256"),
            "ECDHE-RSA-AES128-GCM-SHA256");
  // TLS 1.3 is untouched.
  r = sClient(srv.port(), {"-servername", "localhost"});
  EXPECT_NE(r.out.find("New, TLSv1.3, Cipher is TLS_"), std::string::npos) << r.out;
  const Seen& seen = srv.stop();
  EXPECT_EQ(seen.clientErrors, std::vector<std::string>(3, "ERR_SSL_NO_SHARED_CIPHER"));
}

TEST(TlsInterop, CiphersAndHonorCipherOrderOptions) {
  EVNODE_WATCHDOG(90);
  TLS_NEED_CERT("rsa");
  {
    // A user who must serve an old client lists its suite; ours stays first.
    auto o = serverOptions("rsa");
    o.ciphers = std::string(tls::DEFAULT_CIPHERS) + ":AES128-SHA256";
    ThreadServer srv(o);
    EXPECT_EQ(tls12Suite(srv.port(), "AES128-SHA256"), "AES128-SHA256");
    EXPECT_EQ(tls12Suite(srv.port(), "AES128-SHA256:ECDHE-RSA-AES256-GCM-SHA384"),
              "ECDHE-RSA-AES256-GCM-SHA384");
    srv.stop();
  }
  {
    // honorCipherOrder = false: the client's first choice among ours.
    auto o = serverOptions("rsa");
    o.honorCipherOrder = false;
    ThreadServer srv(o);
    EXPECT_EQ(tls12Suite(srv.port(), "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256"),
              "ECDHE-RSA-CHACHA20-POLY1305");
    srv.stop();
  }
}

// A SecureContext's TLS 1.2 list, suite by suite: every one ECDHE and AEAD.
TEST(TlsInterop, DefaultContextListsOnlyEcdheAeadSuites) {
  auto ctx = tls::createSecureContext();
  SSL* ssl = SSL_new(ctx->native());
  ASSERT_NE(ssl, nullptr);
  STACK_OF(SSL_CIPHER)* list = SSL_get_ciphers(ssl);
  std::vector<std::string> tls12;
  for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(list, i);
    if (std::string(SSL_CIPHER_get_version(c)) == "TLSv1.3") continue;  // OpenSSL's own
    tls12.push_back(SSL_CIPHER_get_name(c));
    EXPECT_EQ(SSL_CIPHER_get_kx_nid(c), NID_kx_ecdhe) << SSL_CIPHER_get_name(c);
    EXPECT_EQ(SSL_CIPHER_is_aead(c), 1) << SSL_CIPHER_get_name(c);
  }
  SSL_free(ssl);
  EXPECT_EQ(tls12.size(), 6u);
  EXPECT_NE(SSL_CTX_get_options(ctx->native()) & SSL_OP_CIPHER_SERVER_PREFERENCE, 0u);
  auto off = tls::createSecureContext({.honorCipherOrder = false});
  EXPECT_EQ(SSL_CTX_get_options(off->native()) & SSL_OP_CIPHER_SERVER_PREFERENCE, 0u);
}

TEST(TlsInterop, OurClientRefusesACbcOnlySServer) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERT("rsa");
  et::Process server({"openssl", "s_server", "-accept", "0", "-cert", certs().path("rsa.pem"),
                      "-key", certs().path("rsa.key"), "-tls1_2", "-cipher",
                      "AES128-SHA256:ECDHE-RSA-AES128-SHA256", "-naccept", "1"});
  std::string line = server.waitForLine("ACCEPT");
  int port = std::stoi(line.substr(line.rfind(':') + 1));
  Error err;
  auto c = tls::connect(clientOptions(port), [] { ADD_FAILURE() << "connected"; });
  c->on(TLSSocket::Events::error, [&](const Error& e) { err = e; });
  run();
  EXPECT_EQ(err.code, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE") << err.message;
  server.wait(10);
}

TEST(TlsInterop, OurClientRejectsSServerWithForgedUriSan) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERT("forged");
  et::Process server({"openssl", "s_server", "-accept", "0", "-cert", certs().path("forged.pem"),
                      "-key", certs().path("forged.key"), "-naccept", "1"});
  std::string line = server.waitForLine("ACCEPT");
  int port = std::stoi(line.substr(line.rfind(':') + 1));
  Error err;
  auto co = clientOptions(port, "127.0.0.1");
  co.servername = "victim.test";
  auto c = tls::connect(co, [] { ADD_FAILURE() << "connected"; });
  c->write("must not be sent\n");
  c->on(TLSSocket::Events::error, [&](const Error& e) { err = e; });
  run();
  EXPECT_EQ(err.code, "ERR_TLS_CERT_ALTNAME_INVALID");
  server.wait(10);
  EXPECT_EQ(server.stdoutSoFar().find("must not be sent"), std::string::npos)
      << server.stdoutSoFar();
}

TEST(TlsInterop, OpensslSClientResumesAndSendsClientCertificates) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  auto o = serverOptions();
  o.requestCert = true;
  o.ca = {certs().pem("ca.pem")};
  ThreadServer srv(o);
  et::TempDir dir;
  std::string sess = dir.file("session.pem");
  std::vector<std::string> withCert = {"-cert", certs().path("client.pem"), "-key",
                                       certs().path("client.key")};
  auto args = withCert;
  args.insert(args.end(), {"-sess_out", sess});
  et::ProcResult r1 = sClient(srv.port(), args);
  EXPECT_EQ(r1.status, 0) << r1.err;
  EXPECT_NE(r1.out.find("echo:hello"), std::string::npos) << r1.out;
  args = withCert;
  args.insert(args.end(), {"-sess_in", sess});
  et::ProcResult r2 = sClient(srv.port(), args);
  EXPECT_EQ(r2.status, 0) << r2.err;
  EXPECT_NE(r2.out.find("Reused, TLSv1.3"), std::string::npos) << r2.out;
  // Without a certificate: refused.
  et::ProcResult r3 = sClient(srv.port(), {});
  EXPECT_EQ(r3.out.find("echo:hello"), std::string::npos) << r3.out;

  const Seen& seen = srv.stop();
  EXPECT_EQ(seen.reused, (std::vector<bool>{false, true}));
  EXPECT_EQ(seen.authorized, (std::vector<bool>{true, true}));
  ASSERT_FALSE(seen.peerCns.empty());
  EXPECT_EQ(seen.peerCns[0], "client");
  EXPECT_EQ(seen.clientErrors,
            std::vector<std::string>{"ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE"});
}

TEST(TlsInterop, NodeClientAgainstOurServer) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  auto o = serverOptions();
  o.ALPNProtocols = {"h2", "http/1.1"};
  ThreadServer srv(o);
  std::string script =
      "const tls = require('tls'), fs = require('fs');"
      "const s = tls.connect({port: " +
      std::to_string(srv.port()) +
      ", host: '127.0.0.1', servername: 'localhost', ca: fs.readFileSync('" +
      certs().path("ca.pem") +
      "'), ALPNProtocols: ['http/1.1']}, () => {"
      "  console.log('secure', s.authorized, s.getProtocol(), s.alpnProtocol,"
      "              s.getPeerCertificate().subject.CN);"
      "  s.write('from node');"
      "});"
      "let got = ''; s.on('data', d => got += d); s.on('end', () => console.log('got', got));"
      "s.on('error', e => { console.log('error', e.code); process.exitCode = 1; });";
  et::ProcResult r = et::runProcess({"node", "-e", script}, "", 30);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("secure true TLSv1.3 http/1.1 localhost"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("got echo:from node"), std::string::npos) << r.out;
  const Seen& seen = srv.stop();
  EXPECT_EQ(seen.alpn, std::vector<std::string>{"http/1.1"});
}

// Our client against `openssl s_server`: verification, ALPN, client certificates, resumption.
TEST(TlsInterop, OurClientAgainstOpensslSServer) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  et::Process server({"openssl", "s_server", "-accept", "0", "-cert", certs().path("leaf.pem"),
                      "-key", certs().path("leaf.key"), "-CAfile", certs().path("ca.pem"),
                      "-Verify", "1", "-alpn", "http/1.1", "-rev", "-naccept", "2"});
  std::string line = server.waitForLine("ACCEPT");
  int port = std::stoi(line.substr(line.rfind(':') + 1));
  ASSERT_GT(port, 0);
  std::vector<std::string> replies;
  std::vector<bool> reused;
  std::vector<std::string> alpn;
  Buffer session;
  std::vector<std::shared_ptr<TLSSocket>> clients(2);
  std::function<void(int)> connectOnce = [&](int n) {
    auto co = clientOptions(port);
    co.cert = certs().pem("client.pem");
    co.key = certs().pem("client.key");
    co.ALPNProtocols = {"http/1.1"};
    if (n == 1) co.session = session;
    clients[n] = tls::connect(co, [&, n] {
      EXPECT_TRUE(clients[n]->authorized());
      reused.push_back(clients[n]->isSessionReused());
      alpn.push_back(clients[n]->alpnProtocol());
      clients[n]->write("hello\n");
    });
    auto* raw = clients[n].get();
    auto got = std::make_shared<std::string>();
    raw->on(TLSSocket::Events::session, [&](const Buffer& s) { session = s; });
    raw->on(TLSSocket::Events::data, [&, raw, got](const Buffer& b) {
      *got += b.toString();
      if (got->find('\n') != std::string::npos) {
        replies.push_back(*got);
        raw->end();
      }
    });
    raw->on(TLSSocket::Events::close, [&, n] {
      if (n == 0) connectOnce(1);
    });
    raw->on(TLSSocket::Events::error,
            [](const Error& e) { ADD_FAILURE() << e.code << " " << e.message; });
  };
  connectOnce(0);
  run();
  EXPECT_EQ(replies, (std::vector<std::string>{"olleh\n", "olleh\n"}));
  EXPECT_EQ(reused, (std::vector<bool>{false, true}));
  EXPECT_EQ(alpn, (std::vector<std::string>{"http/1.1", "http/1.1"}));
  EXPECT_EQ(server.wait(10), 0);
}

TEST(TlsInterop, OurClientRejectsSServerWithSelfSignedCertificate) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  et::Process server({"openssl", "s_server", "-accept", "0", "-cert", certs().path("self.pem"),
                      "-key", certs().path("self.key"), "-naccept", "1"});
  std::string line = server.waitForLine("ACCEPT");
  int port = std::stoi(line.substr(line.rfind(':') + 1));
  Error err;
  auto c = tls::connect(clientOptions(port), [] { ADD_FAILURE() << "connected"; });
  c->write("must not be sent\n");
  c->on(TLSSocket::Events::error, [&](const Error& e) { err = e; });
  run();
  EXPECT_EQ(err.code, "DEPTH_ZERO_SELF_SIGNED_CERT");
  server.wait(10);
  EXPECT_EQ(server.stdoutSoFar().find("must not be sent"), std::string::npos)
      << server.stdoutSoFar();
}

}  // namespace
