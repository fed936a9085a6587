// `evnode serve --tls-cert/--tls-key` and `evnode get https://...` as a user runs them: curl
// fetches files byte-exact from our HTTPS file server; `get` verifies with --cacert, accepts
// anything with -k, and fails verification with the exit status and one-line message CLI.md
// gives. Also the https_server example (seed 000).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "support/testing.h"
#include "tls/tls_support.h"

namespace {

namespace et = evnode::testing;
using tlstest::certs;

// `evnode serve DIR --tls-cert NAME.pem --tls-key NAME.key`, ready.
struct HttpsServe {
  et::Process proc;
  int port = -1;
  HttpsServe(const std::string& dir, const std::string& name, std::vector<std::string> extra = {})
      : proc([&] {
          std::vector<std::string> argv = {et::evnodeBinary(),
                                           "serve",
                                           dir,
                                           "--port",
                                           "0",
                                           "--tls-cert",
                                           certs().path(name + ".pem"),
                                           "--tls-key",
                                           certs().path(name + ".key")};
          argv.insert(argv.end(), extra.begin(), extra.end());
          return argv;
        }()) {
    std::string line = proc.waitForLine("listening on");
    EXPECT_EQ(line.rfind("listening on https://127.0.0.1:", 0), 0u) << line;
    port = et::parsePortFromListeningLine(line);
  }
  std::string url(const std::string& path, const std::string& host = "localhost") const {
    return "https://" + host + ":" + std::to_string(port) + path;
  }
  int stop() {
    proc.kill(SIGTERM);
    return proc.wait(10);
  }
};

et::ProcResult get(std::vector<std::string> args) {
  args.insert(args.begin(), {et::evnodeBinary(), "get"});
  return et::runProcess(args, "", 30);
}

TEST(HttpsCli, ServeTlsFetchedByCurlByteExact) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  if (!et::haveCommand("curl")) GTEST_SKIP() << "curl is not installed";
  et::TempDir site;
  const std::string data = et::randomBytes(3 * 1024 * 1024 + 17, 606);
  et::writeFile(site.file("data.bin"), data);
  et::writeFile(site.file("hello.txt"), "hello over https\n");
  HttpsServe s(site.path(), "leaf");
  ASSERT_GT(s.port, 0);
  et::TempDir out;
  et::ProcResult r =
      et::runProcess({"curl", "-sS", "--cacert", certs().path("ca.pem"), "-o", out.file("got.bin"),
                      "-w", "%{http_code} %{size_download}", s.url("/data.bin")},
                     "", 30);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "200 " + std::to_string(data.size()));
  EXPECT_TRUE(et::readFile(out.file("got.bin")) == data) << "the download differs";
  // A byte range, HEAD and a 404 over the same TLS listener.
  r = et::runProcess(
      {"curl", "-sS", "--cacert", certs().path("ca.pem"), "-r", "1000-1099", s.url("/data.bin")},
      "", 30);
  EXPECT_EQ(r.out, data.substr(1000, 100));
  r = et::runProcess({"curl", "-sS", "--cacert", certs().path("ca.pem"), "-I", s.url("/hello.txt")},
                     "", 30);
  EXPECT_NE(r.out.find("Content-Length: 17\r\n"), std::string::npos) << r.out;
  r = et::runProcess({"curl", "-sS", "--cacert", certs().path("ca.pem"), "-o", "/dev/null", "-w",
                      "%{http_code}", s.url("/missing")},
                     "", 30);
  EXPECT_EQ(r.out, "404");
  EXPECT_EQ(s.stop(), 0);
  EXPECT_NE(s.proc.stderrSoFar().find("GET /data.bin 200 " + std::to_string(data.size()) + " "),
            std::string::npos)
      << s.proc.stderrSoFar();
}

TEST(HttpsCli, GetVerifiesWithCacertAndWritesByteExact) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  et::TempDir site;
  const std::string data = et::randomBytes(1024 * 1024 + 3, 607);
  et::writeFile(site.file("data.bin"), data);
  HttpsServe s(site.path(), "leaf", {"--writable"});
  et::TempDir out;
  et::ProcResult r =
      get({s.url("/data.bin"), "--cacert", certs().path("ca.pem"), "-o", out.file("got.bin")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(et::readFile(out.file("got.bin")) == data) << "the download differs";
  // -i: the head as received, then the body; an IP address host is checked against IP SANs.
  r = get({"-i", s.url("/data.bin", "127.0.0.1"), "--cacert", certs().path("ca.pem")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r.out.substr(0, 200);
  EXPECT_EQ(r.out.size() > data.size() ? r.out.substr(r.out.size() - data.size()) : "", data);
  // An upload through TLS (-X PUT -d).
  r = get({"-X", "PUT", "-d", "uploaded over tls", s.url("/new.txt"), "--cacert",
           certs().path("ca.pem"), "-i"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("HTTP/1.1 201 ", 0), 0u) << r.out;
  EXPECT_EQ(et::readFile(site.file("new.txt")), "uploaded over tls");
  // --fail still maps >= 400 to 22 over https.
  r = get({"--fail", s.url("/missing"), "--cacert", certs().path("ca.pem")});
  EXPECT_EQ(r.status, 22);
  EXPECT_EQ(s.stop(), 0);
}

TEST(HttpsCli, GetVerificationFailuresExit60NamingTheCode) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  et::TempDir site;
  et::writeFile(site.file("f.txt"), "secret\n");
  {
    // Our CA is not in the system store.
    HttpsServe s(site.path(), "leaf");
    et::ProcResult r = get({s.url("/f.txt")});
    EXPECT_EQ(r.status, 60) << r.err;  // curl's status for a rejected certificate
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("evnode: UNABLE_TO_VERIFY_LEAF_SIGNATURE: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    s.stop();
    EXPECT_EQ(s.proc.stderrSoFar(), "");  // no request reached the server
  }
  {
    HttpsServe s(site.path(), "self");
    et::ProcResult r = get({s.url("/f.txt")});
    EXPECT_EQ(r.status, 60) << r.err;  // curl's status for a rejected certificate
    EXPECT_EQ(r.err.rfind("evnode: DEPTH_ZERO_SELF_SIGNED_CERT: ", 0), 0u) << r.err;
    // -k: no verification, the body arrives.
    r = get({"-k", s.url("/f.txt")});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "secret\n");
    r = get({"--insecure", s.url("/f.txt", "127.0.0.1")});
    EXPECT_EQ(r.out, "secret\n");
    s.stop();
  }
  {
    HttpsServe s(site.path(), "wrong");
    et::ProcResult r = get({s.url("/f.txt"), "--cacert", certs().path("ca.pem")});
    EXPECT_EQ(r.status, 60) << r.err;  // curl's status for a rejected certificate
    EXPECT_EQ(r.err.rfind("evnode: ERR_TLS_CERT_ALTNAME_INVALID: ", 0), 0u) << r.err;
    s.stop();
  }
  {
    HttpsServe s(site.path(), "expired");
    et::ProcResult r = get({s.url("/f.txt"), "--cacert", certs().path("ca.pem")});
    EXPECT_EQ(r.status, 60) << r.err;  // curl's status for a rejected certificate
    EXPECT_EQ(r.err.rfind("evnode: CERT_HAS_EXPIRED: ", 0), 0u) << r.err;
    s.stop();
  }
}

// A certificate whose one SAN is the URI "http://attacker.example/, DNS:victim.test": a SAN list
// joined and split again would read DNS:victim.test in it (CVE-2021-44532's class). --resolve
// sends victim.test to our server on 127.0.0.1.
TEST(HttpsCli, GetRefusesAForgedUriSan) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERT("forged");
  et::TempDir site;
  et::writeFile(site.file("f.txt"), "secret\n");
  HttpsServe s(site.path(), "forged");
  const std::string port = std::to_string(s.port);
  et::ProcResult r = get({s.url("/f.txt", "victim.test"), "--cacert", certs().path("ca.pem"),
                          "--resolve", "victim.test:" + port + ":127.0.0.1"});
  EXPECT_EQ(r.status, 60) << r.err;  // curl's status for a rejected certificate
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "evnode: ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's "
            "altnames: Host: victim.test. is not cert's CN: attacker.example\n");
  if (et::haveCommand("curl")) {
    // curl agrees: 60, "SSL peer certificate or SSH remote key was not OK".
    r = et::runProcess({"curl", "-sS", "--cacert", certs().path("ca.pem"), "--resolve",
                        "victim.test:" + port + ":127.0.0.1", s.url("/f.txt", "victim.test")},
                       "", 30);
    EXPECT_EQ(r.status, 60) << r.err;
  }
  // The name the certificate does hold (its CN, as it has no DNS SAN) works through the same
  // --resolve: what failed was the name.
  r = get({s.url("/f.txt", "attacker.example"), "--cacert", certs().path("ca.pem"), "--resolve",
           "attacker.example:" + port + ":127.0.0.1"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "secret\n");
  EXPECT_EQ(s.stop(), 0);
  // Only the accepted request reached the server.
  const std::string log = s.proc.stderrSoFar();
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
}

TEST(HttpsCli, GetResolveBadValues) {
  for (const char* bad : {"victim.test", "victim.test:1", "victim.test:x:127.0.0.1",
                          "victim.test:0:127.0.0.1", ":1:127.0.0.1", "victim.test:1:not-an-ip"}) {
    et::ProcResult r = get({"https://victim.test:1/", "--resolve", bad});
    EXPECT_EQ(r.status, 2) << bad;
    EXPECT_EQ(r.err, std::string("evnode: invalid value '") + bad +
                         "' for --resolve (expected HOST:PORT:ADDRESS)\n");
  }
}

// SIGTERM while a client sits in its TLS handshake (a scanner that connects and says nothing):
// the server stops at once instead of waiting out the 120 s handshake timeout.
TEST(HttpsCli, ServeTlsStopsPromptlyWithAStalledHandshake) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  et::TempDir site;
  et::writeFile(site.file("f.txt"), "hello\n");
  HttpsServe s(site.path(), "leaf");
  int silent = et::rawConnect(s.port);
  ASSERT_GE(silent, 0);
  int partial = et::rawConnect(s.port);  // a record header, then nothing
  ASSERT_GE(partial, 0);
  ASSERT_EQ(::write(partial, "\x16\x03\x01\x02\x00", 5), 5);
  // A whole request after them: once it is answered, both were accepted before it.
  et::ProcResult r = get({s.url("/f.txt"), "--cacert", certs().path("ca.pem")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello\n");
  auto t0 = std::chrono::steady_clock::now();
  s.proc.kill(SIGTERM);
  EXPECT_EQ(s.proc.wait(10), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  ::close(silent);
  ::close(partial);
}

TEST(HttpsCli, GetBadInputAndStalledHandshake) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  et::ProcResult r = get({"https://localhost:1/", "--cacert", "/nonexistent/ca.pem"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "evnode: --cacert: cannot read /nonexistent/ca.pem\n");
  et::TempDir tmp;
  et::writeFile(tmp.file("junk.pem"), "not a certificate\n");
  r = get({"https://localhost:1/", "--cacert", tmp.file("junk.pem")});
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.err.rfind("evnode: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  // A listener that accepts TCP (the kernel's backlog) but never answers the ClientHello:
  // --timeout bounds the handshake too.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  r = get({"--timeout", "1", "https://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/", "-k"});
  ::close(fd);
  EXPECT_EQ(r.status, 28) << r.err;
  EXPECT_NE(r.err.find("ETIMEDOUT"), std::string::npos) << r.err;
}

TEST(HttpsExamples, HttpsServerAnswersCurl) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERTS();
  if (!et::haveCommand("curl")) GTEST_SKIP() << "curl is not installed";
  et::Process server({et::binDir() + "/examples/https_server", "--cert", certs().path("chain.pem"),
                      "--key", certs().path("leaf.key"), "0"});
  std::string line = server.waitForLine("listening on https://");
  int port = et::parsePortFromListeningLine(line);
  ASSERT_GT(port, 0);
  et::ProcResult r = et::runProcess({"curl", "-sS", "-i", "--cacert", certs().path("ca.pem"),
                                     "https://localhost:" + std::to_string(port) + "/"},
                                    "", 30);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("Content-Type: text/plain\r\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(r.out.size() - 10), "Hello HTTP");
  server.kill(SIGTERM);
  server.wait();
}

}  // namespace
