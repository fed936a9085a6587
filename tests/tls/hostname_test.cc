// Host-name verification with real certificates (made by the openssl CLI, signed by the test
// CA): each case is a TLS handshake over 127.0.0.1 (or ::1) between our client and our server,
// the name checked given as `servername` (or the address as `host`), and the verdict is the
// client's: secureConnect, or ERR_TLS_CERT_ALTNAME_INVALID. Then tls::checkServerIdentity on the
// same certificates loaded from their PEM files, and on certificates built by hand.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/tls.h"
#include "tls/internal.h"
#include "tls/tls_support.h"

namespace {

using namespace evnode;
using tls::AltName;
using tls::TLSSocket;
using tlstest::certs;
using tlstest::serverOptions;
namespace et = evnode::testing;

struct Verdict {
  bool secure = false;
  std::string code, message;
  tls::Certificate seen;  // as a user's checkServerIdentity got it (withOverride)
};

// Our client against our server presenting NAME's certificate, checking `name`: a host name
// goes as servername on a connection to 127.0.0.1, an address as the host connected to.
Verdict handshake(const std::string& cert, const std::string& name, bool withOverride = false) {
  const bool ip = net::isIP(name) != 0;
  const std::string address = ip ? name : "127.0.0.1";
  auto server = tls::createServer(serverOptions(cert), [](const std::shared_ptr<TLSSocket>& s) {
    s->on(TLSSocket::Events::data, [](const Buffer&) {});
    s->on(TLSSocket::Events::error, [](const Error&) {});
  });
  server->on(tls::Server::Events::tlsClientError, [](const Error&, const auto&) {});
  server->listen(0, address);
  tls::ConnectionOptions co;
  co.host = address;
  co.port = server->address().port;
  co.ca = {certs().pem("ca.pem")};
  if (!ip) co.servername = name;
  Verdict v;
  if (withOverride) {
    // A user's function that records what it was given and defers to the default.
    co.checkServerIdentity = [&v](const std::string& host, const tls::Certificate& c) {
      v.seen = c;
      return tls::checkServerIdentity(host, c);
    };
  }
  std::shared_ptr<TLSSocket> c;
  c = tls::connect(co, [&] {
    v.secure = true;
    EXPECT_TRUE(c->authorized());
    c->end();
  });
  c->on(TLSSocket::Events::error, [&](const Error& e) {
    v.code = e.code;
    v.message = e.message;
  });
  // Closed once our side is done (the server may still be reading our Finished when
  // secureConnect fires, and closing ends connections that are still in their handshake).
  c->on(TLSSocket::Events::close, [&] { server->close(); });
  run();
  return v;
}

#define EXPECT_ACCEPTED(v)                                      \
  do {                                                          \
    EXPECT_TRUE((v).secure) << (v).code << ": " << (v).message; \
    EXPECT_EQ((v).code, "");                                    \
  } while (0)
#define EXPECT_ALTNAME_REJECTED(v)                       \
  do {                                                   \
    EXPECT_FALSE((v).secure);                            \
    EXPECT_EQ((v).code, "ERR_TLS_CERT_ALTNAME_INVALID"); \
  } while (0)

const char kAltPrefix[] = "Hostname/IP does not match certificate's altnames: ";

TEST(TlsHostname, ForgedUriSanIsNotADnsName) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERT("forged");
  Verdict v = handshake("forged", "victim.test", /*withOverride=*/true);
  EXPECT_ALTNAME_REJECTED(v);
  // A URI SAN is no DNS SAN: with none, the CN is what counts (Node's rule).
  EXPECT_EQ(v.message,
            std::string(kAltPrefix) + "Host: victim.test. is not cert's CN: attacker.example");
  // The user's function got the SAN as one structured entry, and Node's escaped display form.
  EXPECT_EQ(
      v.seen.altNames,
      (std::vector<AltName>{{AltName::Type::URI, "http://attacker.example/, DNS:victim.test"}}));
  EXPECT_EQ(v.seen.subjectaltname, "URI:\"http://attacker.example/\\u002c DNS:victim.test\"");
  EXPECT_ACCEPTED(handshake("forged", "attacker.example"));
}

TEST(TlsHostname, CommaAndDnsTextInsideSanValues) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERT("commas");
  Verdict v = handshake("commas", "victim.test", true);
  EXPECT_ALTNAME_REJECTED(v);
  EXPECT_EQ(v.message, std::string(kAltPrefix) +
                           "Host: victim.test. is not in the cert's altnames: "
                           "DNS:\"attacker.example\\u002c DNS:victim.test\", "
                           "email:\"evil@attacker.example\\u002c DNS:victim.test\"");
  EXPECT_EQ(
      v.seen.altNames,
      (std::vector<AltName>{{AltName::Type::DNS, "attacker.example, DNS:victim.test"},
                            {AltName::Type::Email, "evil@attacker.example, DNS:victim.test"}}));
  // A DNS SAN exists, so the CN (attacker.example) no longer counts, and the SAN itself is not
  // a name anyone can connect to.
  EXPECT_ALTNAME_REJECTED(handshake("commas", "attacker.example"));
}

TEST(TlsHostname, WildcardNeedsThreeLabelsAndMatchesOneWholeLabel) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERT("wild-localhost");
  TLS_NEED_CERT("wild");
  TLS_NEED_CERT("partial");
  // *.localhost is a wildcard over a top-level name: it matches nothing.
  EXPECT_ALTNAME_REJECTED(handshake("wild-localhost", "localhost"));
  EXPECT_ALTNAME_REJECTED(handshake("wild-localhost", "x.localhost"));
  EXPECT_ACCEPTED(handshake("wild", "x.a.test"));
  EXPECT_ALTNAME_REJECTED(handshake("wild", "a.test"));
  EXPECT_ALTNAME_REJECTED(handshake("wild", "y.x.a.test"));
  // Partial wildcards ("f*") are not honoured, not even for a name they would fit.
  EXPECT_ALTNAME_REJECTED(handshake("partial", "foo.a.test"));
  EXPECT_ALTNAME_REJECTED(handshake("partial", "f.a.test"));
}

TEST(TlsHostname, CaseAndTrailingDot) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERT("wild");
  EXPECT_ACCEPTED(handshake("leaf", "LOCALHOST"));
  EXPECT_ACCEPTED(handshake("leaf", "localhost."));
  EXPECT_ACCEPTED(handshake("wild", "X.A.Test."));
  Verdict v = handshake("leaf", "localhost..");
  EXPECT_ALTNAME_REJECTED(v);  // one trailing dot is the root; two make no host name
}

TEST(TlsHostname, AddressesMatchIpSansOnly) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERT("ipdns");
  TLS_NEED_CERT("ipv6");
  // 127.0.0.1 spelled as a DNS SAN is not an IP SAN.
  Verdict v = handshake("ipdns", "127.0.0.1");
  EXPECT_ALTNAME_REJECTED(v);
  EXPECT_EQ(v.message, std::string(kAltPrefix) + "IP: 127.0.0.1 is not in the cert's list: ");
  EXPECT_ACCEPTED(handshake("leaf", "127.0.0.1"));
  // IPv6: ::1 against IP:::1; the v4 leaf does not cover ::1.
  EXPECT_ACCEPTED(handshake("ipv6", "::1"));
  v = handshake("leaf", "::1");
  EXPECT_ALTNAME_REJECTED(v);
  EXPECT_EQ(v.message, std::string(kAltPrefix) + "IP: ::1 is not in the cert's list: 127.0.0.1");
}

TEST(TlsHostname, CommonNameOnlyWithoutDnsSan) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERT("cnonly");
  TLS_NEED_CERT("cnmatch");
  EXPECT_ACCEPTED(handshake("cnonly", "cn.test"));
  Verdict v = handshake("cnonly", "other.test");
  EXPECT_ALTNAME_REJECTED(v);
  EXPECT_EQ(v.message, std::string(kAltPrefix) + "Host: other.test. is not cert's CN: cn.test");
  // With a DNS SAN the CN is ignored, even when it is exactly the name.
  v = handshake("cnmatch", "victim.test");
  EXPECT_ALTNAME_REJECTED(v);
  EXPECT_EQ(v.message, std::string(kAltPrefix) +
                           "Host: victim.test. is not in the cert's altnames: DNS:other.example");
  EXPECT_ACCEPTED(handshake("cnmatch", "other.example"));
}

TEST(TlsHostname, RejectUnauthorizedFalseReportsTheCode) {
  EVNODE_WATCHDOG(30);
  TLS_NEED_CERT("forged");
  auto server = tls::createServer(serverOptions("forged"), [](const std::shared_ptr<TLSSocket>& s) {
    s->on(TLSSocket::Events::data, [](const Buffer&) {});
    s->on(TLSSocket::Events::error, [](const Error&) {});
  });
  server->listen(0, "127.0.0.1");
  tls::ConnectionOptions co;
  co.host = "127.0.0.1";
  co.port = server->address().port;
  co.servername = "victim.test";
  co.ca = {certs().pem("ca.pem")};
  co.rejectUnauthorized = false;
  std::shared_ptr<TLSSocket> c;
  bool secure = false;
  c = tls::connect(co, [&] {
    secure = true;
    EXPECT_FALSE(c->authorized());
    EXPECT_EQ(c->authorizationError(), "ERR_TLS_CERT_ALTNAME_INVALID");
    c->end();
  });
  c->on(TLSSocket::Events::error, [&](const Error& e) { ADD_FAILURE() << e.code; });
  c->on(TLSSocket::Events::close, [&] { server->close(); });
  run();
  EXPECT_TRUE(secure);
}

// The certificate in NAME.pem as getPeerCertificate() would show it.
tls::Certificate load(const std::string& name) {
  std::string pem = certs().pem(name + ".pem");
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  EXPECT_NE(x, nullptr) << name;
  tls::Certificate c = tls::internal::toCertificate(x);
  X509_free(x);
  return c;
}

bool matches(const std::string& host, const tls::Certificate& c) {
  Error e = tls::checkServerIdentity(host, c);
  if (e) {
    EXPECT_EQ(e.code, "ERR_TLS_CERT_ALTNAME_INVALID");
  }
  return !e;
}

TEST(TlsHostname, CheckServerIdentityOnLoadedCertificates) {
  for (const char* n : {"forged", "commas", "wild-localhost", "wild", "partial", "ipdns", "ipv6",
                        "cnonly", "cnmatch"}) {
    TLS_NEED_CERT(n);
  }
  tls::Certificate forged = load("forged");
  EXPECT_FALSE(matches("victim.test", forged));
  EXPECT_TRUE(matches("attacker.example", forged));
  // The decision is the certificate's, not the display string's: a string that reads as a
  // DNS:victim.test entry changes nothing.
  forged.subjectaltname = "URI:http://attacker.example/, DNS:victim.test";
  EXPECT_FALSE(matches("victim.test", forged));

  tls::Certificate commas = load("commas");
  EXPECT_FALSE(matches("victim.test", commas));
  EXPECT_FALSE(matches("attacker.example", commas));

  tls::Certificate wl = load("wild-localhost");
  EXPECT_FALSE(matches("localhost", wl));
  EXPECT_FALSE(matches("x.localhost", wl));

  tls::Certificate wild = load("wild");
  EXPECT_EQ(wild.altNames, (std::vector<AltName>{{AltName::Type::DNS, "*.a.test"}}));
  EXPECT_TRUE(matches("x.a.test", wild));
  EXPECT_TRUE(matches("X-1.A.TEST.", wild));
  EXPECT_FALSE(matches("a.test", wild));
  EXPECT_FALSE(matches("y.x.a.test", wild));
  EXPECT_FALSE(matches(".a.test", wild));
  EXPECT_FALSE(matches("*.a.test", wild));
  EXPECT_FALSE(matches("", wild));

  tls::Certificate partial = load("partial");
  EXPECT_FALSE(matches("foo.a.test", partial));
  EXPECT_FALSE(matches("f*.a.test", partial));

  tls::Certificate ipdns = load("ipdns");
  EXPECT_FALSE(matches("127.0.0.1", ipdns));

  tls::Certificate ipv6 = load("ipv6");
  EXPECT_EQ(ipv6.altNames, (std::vector<AltName>{{AltName::Type::IP, "::1"}}));
  EXPECT_EQ(ipv6.subjectaltname, "IP Address:::1");
  EXPECT_TRUE(matches("::1", ipv6));
  EXPECT_TRUE(matches("0:0:0:0:0:0:0:1", ipv6));
  EXPECT_FALSE(matches("::2", ipv6));
  EXPECT_FALSE(matches("127.0.0.1", ipv6));
  EXPECT_FALSE(matches("localhost", ipv6));

  tls::Certificate leaf = load("leaf");
  EXPECT_TRUE(matches("127.0.0.1", leaf));
  EXPECT_FALSE(matches("::ffff:127.0.0.2", leaf));
  EXPECT_FALSE(matches("127.0.0.2", leaf));

  tls::Certificate cnonly = load("cnonly");
  EXPECT_TRUE(cnonly.altNames.empty());
  EXPECT_TRUE(matches("CN.test", cnonly));
  EXPECT_FALSE(matches("x.cn.test", cnonly));

  tls::Certificate cnmatch = load("cnmatch");
  EXPECT_FALSE(matches("victim.test", cnmatch));
  EXPECT_TRUE(matches("other.example", cnmatch));
}

TEST(TlsHostname, CheckServerIdentityOnHandBuiltCertificates) {
  // Without `raw`, the structured fields decide, through the same OpenSSL checks.
  tls::Certificate c;
  c.subject["CN"] = "ignored.example";
  c.altNames = {{AltName::Type::DNS, "*.example.com"},
                {AltName::Type::DNS, "exact.test"},
                {AltName::Type::IP, "10.0.0.1"},
                {AltName::Type::IP, "::1"},
                {AltName::Type::URI, "https://uri.test/"}};
  EXPECT_TRUE(matches("a.example.com", c));
  EXPECT_TRUE(matches("A.Example.COM.", c));
  EXPECT_TRUE(matches("exact.test", c));
  EXPECT_TRUE(matches("10.0.0.1", c));
  EXPECT_TRUE(matches("0:0::1", c));
  EXPECT_FALSE(matches("b.a.example.com", c));  // one label only
  EXPECT_FALSE(matches("example.com", c));
  EXPECT_FALSE(matches("ignored.example", c));  // CN is not used with DNS altnames
  EXPECT_FALSE(matches("uri.test", c));
  EXPECT_FALSE(matches("10.0.0.2", c));
  Error e = tls::checkServerIdentity("10.0.0.2", c);
  EXPECT_EQ(e.message,
            std::string(kAltPrefix) + "IP: 10.0.0.2 is not in the cert's list: 10.0.0.1, ::1");
  e = tls::checkServerIdentity("nope.test", c);
  EXPECT_EQ(e.message, std::string(kAltPrefix) +
                           "Host: nope.test. is not in the cert's altnames: DNS:*.example.com, "
                           "DNS:exact.test, IP Address:10.0.0.1, IP Address:::1, "
                           "URI:https://uri.test/");
  // A display string alone names nothing.
  tls::Certificate stringOnly;
  stringOnly.subjectaltname = "DNS:exact.test";
  EXPECT_FALSE(matches("exact.test", stringOnly));
  EXPECT_EQ(tls::checkServerIdentity("exact.test", stringOnly).message,
            std::string(kAltPrefix) + "Cert does not contain a DNS name");

  tls::Certificate cnOnly;
  cnOnly.subject["CN"] = "cn.test";
  EXPECT_TRUE(matches("cn.test", cnOnly));
  e = tls::checkServerIdentity("x.test", cnOnly);
  EXPECT_EQ(e.code, "ERR_TLS_CERT_ALTNAME_INVALID");
  EXPECT_EQ(e.message, std::string(kAltPrefix) + "Host: x.test. is not cert's CN: cn.test");
  tls::Certificate twoLabel;
  twoLabel.altNames = {{AltName::Type::DNS, "*.com"}};
  EXPECT_FALSE(matches("example.com", twoLabel));
  // A garbled `raw` is refused rather than ignored.
  tls::Certificate garbled = c;
  garbled.raw = Buffer::from(std::string("not DER"));
  EXPECT_FALSE(matches("exact.test", garbled));
}

}  // namespace
