// `evnode dns lookup|resolve` as ../shared/CLI.md specifies it, against dnsmasq: one record per
// line in the agreed formats, errors as one line naming the DNS code.
// EVNODE_BIN (a path) overrides the binary under test.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "dns_testing.h"
#include "evnode/dgram.h"
#include "evnode/loop.h"

namespace {

using namespace evnode;
using dnstest::Dnsmasq;
namespace et = evnode::testing;

std::string evnodeBin() {
  const char* e = std::getenv("EVNODE_BIN");
  return e && *e ? e : et::evnodeBinary();
}

et::ProcResult resolve(const std::string& name, const std::string& type) {
  return et::runProcess({evnodeBin(), "dns", "resolve", name, "--type", type, "--server",
                         Dnsmasq::shared().server()});
}

TEST(DnsCli, Lookup) {
  EVNODE_WATCHDOG(60);
  auto r = et::runProcess({evnodeBin(), "dns", "lookup", "localhost"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out == "127.0.0.1\n" || r.out == "::1\n") << r.out;
  r = et::runProcess({evnodeBin(), "dns", "lookup", "localhost", "--family", "4"});
  EXPECT_EQ(r.out, "127.0.0.1\n");
  r = et::runProcess({evnodeBin(), "dns", "lookup", "localhost", "--all"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("127.0.0.1\n"), std::string::npos) << r.out;
  r = et::runProcess({evnodeBin(), "dns", "lookup", "10.1.2.3"});
  EXPECT_EQ(r.out, "10.1.2.3\n");
  r = et::runProcess({evnodeBin(), "dns", "lookup", "nosuch.invalid"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "evnode: getaddrinfo ENOTFOUND nosuch.invalid\n");
  r = et::runProcess({evnodeBin(), "dns", "lookup", "localhost", "--family", "5"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(r.err.starts_with("evnode: ")) << r.err;
}

TEST(DnsCli, ResolveEveryType) {
  EVNODE_WATCHDOG(120);
  EVNODE_NEED_DNSMASQ();
  struct Case {
    std::string name, type;
    std::vector<std::string> lines;  // in any order
  } cases[] = {
      {"h.test", "A", {"10.0.0.2"}},
      {"multi.test", "A", {"10.0.0.3", "10.0.0.4"}},
      {"h.test", "AAAA", {"fd00::2"}},
      {"m.test", "MX", {"10 mail1.m.test", "20 mail2.m.test"}},
      {"t2.test", "TXT", {"part onepart two"}},
      {"t.test", "TXT", {"v=spf1 -all"}},
      {"_sip._udp.s.test", "SRV", {"1 2 5060 sip.s.test", "3 4 5061 sip2.s.test"}},
      {"z.test", "NS", {"ns1.z.test"}},
      {"c.test", "CNAME", {"h.test"}},
      {"4.3.2.1.in-addr.arpa", "PTR", {"ptr.test"}},
      {"1.2.3.4", "PTR", {"ptr.test"}},  // an IP is turned into its reverse name
      {"z.test", "SOA", {"ns1.z.test hostmaster.z.test 2024010101 7200 3600 1209600 300"}},
      {"h.test", "a", {"10.0.0.2"}},
  };
  for (const auto& c : cases) {
    auto r = resolve(c.name, c.type);
    EXPECT_EQ(r.status, 0) << c.name << " " << c.type << ": " << r.err;
    std::vector<std::string> lines;
    std::string line;
    for (char ch : r.out) {
      if (ch == '\n') {
        lines.push_back(line);
        line.clear();
      } else {
        line += ch;
      }
    }
    EXPECT_EQ(line, "") << "output must end with a newline";
    std::sort(lines.begin(), lines.end());
    auto want = c.lines;
    std::sort(want.begin(), want.end());
    EXPECT_EQ(lines, want) << c.name << " " << c.type;
  }
  // The default type is A.
  auto r = et::runProcess(
      {evnodeBin(), "dns", "resolve", "h.test", "--server", Dnsmasq::shared().server()});
  EXPECT_EQ(r.out, "10.0.0.2\n");
}

TEST(DnsCli, ResolveErrorsNameTheCode) {
  EVNODE_WATCHDOG(60);
  EVNODE_NEED_DNSMASQ();
  auto r = resolve("nx.test", "A");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "evnode: queryA ENOTFOUND nx.test\n");
  r = resolve("h.test", "MX");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "evnode: queryMx ENODATA h.test\n");
  r = resolve("h.test", "WKS");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(r.err.starts_with("evnode: ")) << r.err;
  r = et::runProcess({evnodeBin(), "dns", "resolve", "h.test", "--server", "not-an-ip"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "evnode: Invalid IP address: not-an-ip\n");
}

TEST(DnsCli, TimeoutAndRefused) {
  EVNODE_WATCHDOG(60);
  // A bound socket nobody reads: queries vanish into its buffer.
  auto silent = dgram::createSocket("udp4");
  bool listening = false;
  silent->bind(0, "127.0.0.1", [&] { listening = true; });
  dnstest::runUntil([&] { return listening; });
  int port = silent->address().port;
  auto start = std::chrono::steady_clock::now();
  auto r =
      et::runProcess({evnodeBin(), "dns", "resolve", "x.test", "--server",
                      "127.0.0.1:" + std::to_string(port), "--timeout", "300", "--tries", "2"});
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "evnode: queryA ETIMEOUT x.test\n");
  EXPECT_GE(ms, 550);
  EXPECT_LE(ms, 600 + 1500);  // timeout × tries, plus process start-up and slack
  silent->close();
  run();

  int closed = et::freePort(true);
  r = et::runProcess({evnodeBin(), "dns", "resolve", "x.test", "--server",
                      "127.0.0.1:" + std::to_string(closed), "--timeout", "2000", "--tries", "1"});
  EXPECT_EQ(r.status, 1);
  if (r.err != "evnode: queryA ETIMEOUT x.test\n") {
    EXPECT_EQ(r.err, "evnode: queryA ECONNREFUSED x.test\n");
  }
}

}  // namespace
