// dns::lookup and dns::lookupService: the system resolver (getaddrinfo/getnameinfo on libuv's
// thread pool) with Node's options, result shapes, ordering and error codes.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dns_testing.h"
#include "evnode/dns.h"
#include "evnode/loop.h"

namespace {

using namespace evnode;
using dnstest::runUntil;

std::string exceptionCode(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Exception& e) {
    return e.code();
  }
  return "";
}

struct One {
  Error err{"EUNSET", ""};
  std::string address;
  int family = -1;
};

One lookupOne(const std::string& host, const dns::LookupOptions& o = {}) {
  One r;
  bool done = false;
  dns::lookup(host, o, [&](const Error& e, const std::string& a, int f) {
    r = {e, a, f};
    done = true;
  });
  EXPECT_FALSE(done);  // never inside the call
  runUntil([&] { return done; }, 20000);
  return r;
}

std::pair<Error, std::vector<dns::LookupAddress>> lookupAll(const std::string& host,
                                                            const dns::LookupOptions& o = {}) {
  std::pair<Error, std::vector<dns::LookupAddress>> r{Error("EUNSET", ""), {}};
  bool done = false;
  dns::lookup(host, o, [&](const Error& e, const std::vector<dns::LookupAddress>& a) {
    r = {e, a};
    done = true;
  });
  runUntil([&] { return done; }, 20000);
  return r;
}

TEST(DnsLookup, Localhost) {
  EVNODE_WATCHDOG(30);
  auto r = lookupOne("localhost");
  EXPECT_FALSE(r.err) << r.err.message;
  EXPECT_TRUE(r.address == "127.0.0.1" || r.address == "::1") << r.address;
  EXPECT_EQ(r.family, r.address == "::1" ? 6 : 4);
  auto v4 = lookupOne("localhost", {.family = 4});
  EXPECT_EQ(v4.address, "127.0.0.1");
  EXPECT_EQ(v4.family, 4);
  auto [err, all] = lookupAll("localhost");
  EXPECT_FALSE(err) << err.message;
  ASSERT_FALSE(all.empty());
  bool has4 = false;
  for (const auto& a : all) has4 |= a.address == "127.0.0.1" && a.family == 4;
  EXPECT_TRUE(has4);
}

// A name from /etc/hosts other than localhost (the file is what getaddrinfo consults first).
TEST(DnsLookup, HostsFileName) {
  EVNODE_WATCHDOG(30);
  std::ifstream hosts("/etc/hosts");
  std::string line, name, address;
  while (std::getline(hosts, line) && name.empty()) {
    line = line.substr(0, line.find('#'));
    std::istringstream in(line);
    std::string addr, n;
    if (!(in >> addr)) continue;
    while (in >> n) {
      if (n != "localhost" && n.find("localhost") == std::string::npos && dns::isIP(addr) == 4) {
        name = n;
        address = addr;
        break;
      }
    }
  }
  if (name.empty()) GTEST_SKIP() << "/etc/hosts has no IPv4 name besides localhost";
  auto [err, all] = lookupAll(name, {.family = 4});
  EXPECT_FALSE(err) << err.message;
  bool found = false;
  for (const auto& a : all) found |= a.address == address;
  EXPECT_TRUE(found) << name << " should resolve to " << address;
}

TEST(DnsLookup, IpLiteralsAnswerWithoutAQuery) {
  EVNODE_WATCHDOG(10);
  auto r = lookupOne("192.0.2.7");
  EXPECT_FALSE(r.err);
  EXPECT_EQ(r.address, "192.0.2.7");
  EXPECT_EQ(r.family, 4);
  auto r6 = lookupOne("2001:db8::7", {.family = 4});  // a literal is returned as it is
  EXPECT_EQ(r6.address, "2001:db8::7");
  EXPECT_EQ(r6.family, 6);
  auto [err, all] = lookupAll("::1");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].address, "::1");
  EXPECT_EQ(all[0].family, 6);
  // Node: an empty host name answers null with family 4 (6 if asked for).
  auto empty = lookupOne("", {.family = 6});
  EXPECT_FALSE(empty.err);
  EXPECT_EQ(empty.address, "");
  EXPECT_EQ(empty.family, 6);
}

TEST(DnsLookup, UnknownNameIsEnotfound) {
  EVNODE_WATCHDOG(30);
  auto r = lookupOne("nosuch.invalid");
  EXPECT_EQ(r.err.code, "ENOTFOUND");
  EXPECT_EQ(r.err.syscall, "getaddrinfo");
  EXPECT_EQ(r.err.message, "getaddrinfo ENOTFOUND nosuch.invalid");
  auto [err, all] = lookupAll("nosuch.invalid");
  EXPECT_EQ(err.code, "ENOTFOUND");
  EXPECT_TRUE(all.empty());
}

TEST(DnsLookup, OrderAndOptionValidation) {
  EVNODE_WATCHDOG(30);
  EXPECT_EQ(dns::getDefaultResultOrder(), "verbatim");
  EXPECT_EQ(
      exceptionCode([] { dns::lookup("x", 5, [](const Error&, const std::string&, int) {}); }),
      "ERR_INVALID_ARG_VALUE");
  EXPECT_EQ(exceptionCode([] {
              dns::lookup("x", {.order = "random"}, [](const Error&, const std::string&, int) {});
            }),
            "ERR_INVALID_ARG_VALUE");
  EXPECT_EQ(exceptionCode([] { dns::setDefaultResultOrder("sideways"); }), "ERR_INVALID_ARG_VALUE");
  // Both orders give the same addresses, each family grouped as asked.
  auto [e4, v4first] = lookupAll("localhost", {.order = "ipv4first"});
  auto [e6, v6first] = lookupAll("localhost", {.order = "ipv6first"});
  ASSERT_EQ(v4first.size(), v6first.size());
  for (std::size_t i = 1; i < v4first.size(); ++i)
    EXPECT_LE(v4first[i - 1].family, v4first[i].family);
  for (std::size_t i = 1; i < v6first.size(); ++i)
    EXPECT_GE(v6first[i - 1].family, v6first[i].family);
  dns::setDefaultResultOrder("ipv4first");
  EXPECT_EQ(dns::getDefaultResultOrder(), "ipv4first");
  dns::setDefaultResultOrder("verbatim");
  auto hinted = lookupOne("localhost", {.family = 4, .hints = dns::ADDRCONFIG});
  EXPECT_TRUE(!hinted.err || hinted.err.code == "ENOTFOUND") << hinted.err.message;
}

TEST(DnsLookup, LookupService) {
  EVNODE_WATCHDOG(30);
  Error err("EUNSET", "");
  std::string host, service;
  bool done = false;
  dns::lookupService("127.0.0.1", 22,
                     [&](const Error& e, const std::string& h, const std::string& s) {
                       err = e;
                       host = h;
                       service = s;
                       done = true;
                     });
  runUntil([&] { return done; }, 20000);
  EXPECT_FALSE(err) << err.message;
  EXPECT_FALSE(host.empty());
  EXPECT_TRUE(service == "ssh" || service == "22") << service;
  EXPECT_EQ(exceptionCode([] {
              dns::lookupService("not-ip", 22,
                                 [](const Error&, const std::string&, const std::string&) {});
            }),
            "ERR_INVALID_ARG_VALUE");
  EXPECT_EQ(exceptionCode([] {
              dns::lookupService("127.0.0.1", 70000,
                                 [](const Error&, const std::string&, const std::string&) {});
            }),
            "ERR_SOCKET_BAD_PORT");
  EXPECT_EQ(dns::isIP("1.2.3.4"), 4);
  EXPECT_EQ(dns::isIP("::ffff:1.2.3.4"), 6);
  EXPECT_EQ(dns::isIP("1.2.3"), 0);
  EXPECT_EQ(dns::isIP("localhost"), 0);
}

}  // namespace
