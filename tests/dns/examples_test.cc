// The dns examples (examples/dns_lookup.cc, dns_resolve.cc, built into bin/examples/): run as a
// user would, the resolver one against the test dnsmasq.
#include <gtest/gtest.h>

#include <string>

#include "dns_testing.h"

namespace {

namespace et = evnode::testing;
using evnode::dnstest::Dnsmasq;

std::string example(const std::string& name) { return et::binDir() + "/examples/" + name; }

TEST(DnsExamples, Lookup) {
  EVNODE_WATCHDOG(30);
  auto r = et::runProcess({example("dns_lookup"), "localhost"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out == "127.0.0.1 (IPv4)\n" || r.out == "::1 (IPv6)\n") << r.out;
  r = et::runProcess({example("dns_lookup"), "nosuch.invalid"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "getaddrinfo ENOTFOUND nosuch.invalid\n");
}

TEST(DnsExamples, Resolve) {
  EVNODE_WATCHDOG(30);
  EVNODE_NEED_DNSMASQ();
  auto r = et::runProcess({example("dns_resolve"), "m.test", "MX", Dnsmasq::shared().server()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out == "10 mail1.m.test\n20 mail2.m.test\n" ||
              r.out == "20 mail2.m.test\n10 mail1.m.test\n")
      << r.out;
  r = et::runProcess({example("dns_resolve"), "t2.test", "TXT", Dnsmasq::shared().server()});
  EXPECT_EQ(r.out, "\"part one\" \"part two\"\n");
  r = et::runProcess({example("dns_resolve"), "nx.test", "A", Dnsmasq::shared().server()});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "queryA ENOTFOUND nx.test\n");
}

}  // namespace
