// Test support for the tls suite: certificates made with the `openssl` CLI in a temporary
// directory once per test process, and a loop running on a thread of its own (a server that
// external peers such as `openssl s_client` or node talk to while the test thread waits on
// them).
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "evnode/loop.h"
#include "evnode/tls.h"
#include "support/testing.h"

namespace tlstest {

namespace et = evnode::testing;

// Runs `cmd` with sh in `dir`: "" on success, else the command and what it wrote on stderr.
inline std::string runIn(const std::string& dir, const std::string& cmd) {
  et::ProcResult r = et::runProcess({"sh", "-c", "cd " + dir + " && " + cmd}, "", 60);
  return r.status == 0 ? "" : cmd + ": " + r.err;
}

// NAME.key and NAME.pem in `dir`: a leaf with subject `subj` ("/CN=x", "/O=x"), signed by the
// CA whose CA.pem and CA.key are in `dir`, valid `days`, whose extensions are `ext` (an OpenSSL
// extension file: "name=value" lines, sections allowed, written as is, so values may hold
// commas and quotes). `keyType`: "ec" (P-256) or "rsa" (2048 bits). "" on success, else why not.
inline std::string makeLeaf(const std::string& dir, const std::string& name,
                            const std::string& subj, const std::string& ext,
                            const std::string& ca = "ca", int days = 30,
                            const std::string& keyType = "ec") {
  const std::string newKey = keyType == "rsa"
                                 ? "-newkey rsa:2048 -nodes"
                                 : "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
  std::string err = runIn(dir, "openssl req " + newKey + " -keyout " + name + ".key -out " + name +
                                   ".csr -subj " + subj);
  if (!err.empty()) return err;
  et::writeFile(dir + "/" + name + ".ext", ext);
  return runIn(dir, "openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca +
                        ".key -CAcreateserial -out " + name + ".pem -days " + std::to_string(days) +
                        " -extfile " + name + ".ext");
}

// Every certificate a test needs, EC P-256 (fast to make), valid for 30 days unless said so.
struct Certs {
  et::TempDir dir{"evnode-tls-"};
  std::string path(const std::string& name) const { return dir.file(name); }
  std::string pem(const std::string& name) const { return et::readFile(dir.file(name)); }
  bool ok = false;
  std::string error;

  // ca.pem/ca.key: the test CA. leaf: CN=localhost, SAN localhost + 127.0.0.1, by the CA.
  // chain.pem: leaf followed by ca.pem. self: self-signed localhost. expired: by the CA, valid
  // 2020-2021. wrong: by the CA for wrong.example only. other: by the CA for other.test (SNI).
  // stranger: by an unknown CA (stranger-ca). client: CN=client, clientAuth, by the CA.
  Certs() {
    auto run = [&](const std::string& cmd) {
      if (error.empty()) error = runIn(dir.path(), cmd);
    };
    const std::string newKey = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    auto makeCa = [&](const std::string& name, const std::string& cn) {
      run("openssl req -x509 " + newKey + " -keyout " + name + ".key -out " + name +
          ".pem -days 30 -subj /CN=" + cn +
          " -addext basicConstraints=critical,CA:TRUE -addext "
          "keyUsage=critical,keyCertSign,cRLSign");
    };
    auto leaf = [&](const std::string& name, const std::string& cn, const std::string& san,
                    const std::string& ca, const std::string& extra) {
      if (error.empty()) {
        error = makeLeaf(dir.path(), name, "/CN=" + cn,
                         "subjectAltName=" + san + "\nbasicConstraints=CA:FALSE\n" + extra, ca);
      }
    };
    makeCa("ca", "evnode-test-ca");
    makeCa("stranger-ca", "stranger-ca");
    leaf("leaf", "localhost", "DNS:localhost,IP:127.0.0.1", "ca", "");
    leaf("wrong", "wrong.example", "DNS:wrong.example", "ca", "");
    leaf("other", "other.test", "DNS:other.test", "ca", "");
    leaf("stranger", "localhost", "DNS:localhost,IP:127.0.0.1", "stranger-ca", "");
    leaf("client", "client", "DNS:client", "ca", "extendedKeyUsage=clientAuth\n");
    run("cat leaf.pem ca.pem > chain.pem");
    run("cat stranger.pem stranger-ca.pem > stranger-chain.pem");
    run("openssl req -x509 " + newKey +
        " -keyout self.key -out self.pem -days 30 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1");
    // Expired: `openssl ca` is the one tool of OpenSSL 3.0 that sets arbitrary dates.
    run("openssl req " + newKey + " -keyout expired.key -out expired.csr -subj /CN=localhost");
    run("mkdir -p db && : > db/index.txt && echo 01 > db/serial && printf '"
        "[ca]\\ndefault_ca=d\\n[d]\\ndir=db\\ndatabase=db/index.txt\\nnew_certs_dir=db\\nserial=db/"
        "serial\\n"
        "default_md=sha256\\npolicy=p\\nx509_extensions=e\\n[p]\\ncommonName=supplied\\n"
        "[e]\\nsubjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ca.cnf");
    run("openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out "
        "expired.pem "
        "-startdate 20200101000000Z -enddate 20210101000000Z -notext 2>&1");
    ok = error.empty();
  }
};

// The certificates of this test process (made on first use).
inline const Certs& certs() {
  static Certs c;  // its directory is removed at exit
  return c;
}

#define TLS_NEED_CERTS()                                                        \
  do {                                                                          \
    if (!tlstest::et::haveCommand("openssl")) GTEST_SKIP() << "no openssl CLI"; \
    ASSERT_TRUE(tlstest::certs().ok) << tlstest::certs().error;                 \
  } while (0)

// Certificates for particular checks, by the test CA, made in certs()'s directory when a test
// first asks (TLS_NEED_CERT), so a suite pays only for those it uses. All but rsa have no
// CN=localhost, so nothing but the rule under test can make them match.
//   forged: CN=attacker.example, one URI SAN "http://attacker.example/, DNS:victim.test"
//           (a joined-and-split SAN list reads a DNS:victim.test in it; CVE-2021-44532).
//   commas: CN=attacker.example, a DNS SAN and an email SAN that hold ", DNS:victim.test".
//   wild-localhost: DNS:*.localhost (too few labels for a wildcard). wild: DNS:*.a.test.
//   partial: DNS:f*.a.test. ipdns: DNS:127.0.0.1 (an address spelled as a DNS name).
//   ipv6: IP:::1 only. cnonly: CN=cn.test, no SAN. cnmatch: CN=victim.test, DNS:other.example.
//   rsa: RSA 2048, CN=localhost, DNS:localhost + IP:127.0.0.1, valid 365 days (the static-RSA
//        suites need an RSA key; testssl.sh warns about certificates that expire within 60).
inline std::string extraCert(const std::string& name) {
  struct Spec {
    std::string subj, san;
    int days = 30;
    std::string keyType = "ec";
  };
  static const std::map<std::string, Spec> specs = {
      {"forged", {"/CN=attacker.example", "URI.1=http://attacker.example/, DNS:victim.test"}},
      {"commas",
       {"/CN=attacker.example",
        "DNS.1=attacker.example, DNS:victim.test\nemail.1=evil@attacker.example, DNS:victim.test"}},
      {"wild-localhost", {"/O=evnode-test", "DNS.1=*.localhost"}},
      {"wild", {"/O=evnode-test", "DNS.1=*.a.test"}},
      {"partial", {"/O=evnode-test", "DNS.1=f*.a.test"}},
      {"ipdns", {"/O=evnode-test", "DNS.1=127.0.0.1"}},
      {"ipv6", {"/O=evnode-test", "IP.1=::1"}},
      {"cnonly", {"/CN=cn.test", ""}},
      {"cnmatch", {"/CN=victim.test", "DNS.1=other.example"}},
      {"rsa", {"/CN=localhost", "DNS.1=localhost\nIP.1=127.0.0.1", 365, "rsa"}},
  };
  static std::map<std::string, std::string> made;  // name -> error ("" = made)
  if (auto it = made.find(name); it != made.end()) return it->second;
  auto spec = specs.find(name);
  if (spec == specs.end()) return "no such test certificate: " + name;
  const Spec& sp = spec->second;
  std::string ext = "basicConstraints=CA:FALSE\n";
  if (!sp.san.empty()) ext += "subjectAltName=@alt\n[alt]\n" + sp.san + "\n";
  return made[name] = makeLeaf(certs().dir.path(), name, sp.subj, ext, "ca", sp.days, sp.keyType);
}

#define TLS_NEED_CERT(name)                                    \
  do {                                                         \
    TLS_NEED_CERTS();                                          \
    std::string tlsNeedCertError = tlstest::extraCert(name);   \
    ASSERT_TRUE(tlsNeedCertError.empty()) << tlsNeedCertError; \
  } while (0)

inline evnode::tls::ServerOptions serverOptions(const std::string& name = "leaf") {
  evnode::tls::ServerOptions o;
  o.key = certs().pem(name + ".key");
  o.cert = certs().pem(name + ".pem");
  return o;
}

inline evnode::tls::ConnectionOptions clientOptions(int port,
                                                    const std::string& host = "localhost") {
  evnode::tls::ConnectionOptions o;
  o.host = host;
  o.port = port;
  o.ca = {certs().pem("ca.pem")};
  return o;
}

// A loop on its own thread. `setup` runs there and returns the port it listens on; `stop`
// (given to the constructor) runs there when stop() is called, and must close everything so
// the loop ends.
class LoopThread {
 public:
  LoopThread(std::function<int()> setup, std::function<void()> onStop)
      : onStop_(std::move(onStop)) {
    std::promise<int> portP;
    auto portF = portP.get_future();
    thread_ = std::thread([this, setup = std::move(setup), &portP] {
      async_ = new uv_async_t;
      async_->data = this;
      uv_async_init(evnode::Loop::current().uv(), async_, [](uv_async_t* a) {
        auto* self = static_cast<LoopThread*>(a->data);
        uv_close(reinterpret_cast<uv_handle_t*>(a),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
        self->onStop_();
      });
      portP.set_value(setup());
      evnode::run();
    });
    port = portF.get();
  }
  ~LoopThread() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    uv_async_send(async_);
    thread_.join();
  }
  int port = -1;

 private:
  std::function<void()> onStop_;
  uv_async_t* async_ = nullptr;
  std::thread thread_;
};

inline int listenLocal(const std::shared_ptr<evnode::net::Server>& s) {
  s->listen(0, "127.0.0.1");
  return s->address().port;
}

}  // namespace tlstest
