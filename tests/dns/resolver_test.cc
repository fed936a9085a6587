// dns::Resolver against a real server (dnsmasq with the records of dns_testing.h), against a
// server that never answers (ETIMEOUT within timeout × tries), and against fake servers built
// with our own dgram that send truncated, garbage, mismatched or failing replies.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dns_testing.h"
#include "evnode/dgram.h"
#include "evnode/dns.h"
#include "evnode/loop.h"

namespace {

using namespace evnode;
using dnstest::Dnsmasq;
using dnstest::runUntil;

std::string exceptionCode(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Exception& e) {
    return e.code();
  }
  return "";
}

dns::Resolver localResolver(int timeout = 2000, int tries = 2) {
  dns::Resolver r({.timeout = timeout, .tries = tries});
  r.setServers({Dnsmasq::shared().server()});
  return r;
}

// Resolves with `fn` and runs the loop until its callback: (err, records).
template <class T, class Fn>
std::pair<Error, std::vector<T>> await(Fn&& fn) {
  std::pair<Error, std::vector<T>> out{Error("EUNSET", "callback never ran"), {}};
  bool done = false;
  fn([&](const Error& e, const std::vector<T>& recs) {
    out = {e, recs};
    done = true;
  });
  EXPECT_TRUE(runUntil([&] { return done; }, 15000));
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(DnsResolver, ResolvesAAndAaaa) {
  EVNODE_WATCHDOG(30);
  EVNODE_NEED_DNSMASQ();
  auto r = localResolver();
  auto [err, a] = await<std::string>([&](auto cb) { r.resolve4("h.test", cb); });
  EXPECT_FALSE(err) << err.message;
  EXPECT_EQ(a, std::vector<std::string>{"10.0.0.2"});
  auto [err6, aaaa] = await<std::string>([&](auto cb) { r.resolve6("h.test", cb); });
  EXPECT_FALSE(err6) << err6.message;
  EXPECT_EQ(aaaa, std::vector<std::string>{"fd00::2"});
  auto [errm, multi] = await<std::string>([&](auto cb) { r.resolve4("multi.test", cb); });
  EXPECT_FALSE(errm) << errm.message;
  EXPECT_EQ(sorted(multi), (std::vector<std::string>{"10.0.0.3", "10.0.0.4"}));
  auto [errt, ttl] =
      await<dns::RecordWithTtl>([&](auto cb) { r.resolve4("h.test", {.ttl = true}, cb); });
  EXPECT_FALSE(errt) << errt.message;
  ASSERT_EQ(ttl.size(), 1u);
  EXPECT_EQ(ttl[0].address, "10.0.0.2");
  EXPECT_EQ(ttl[0].ttl, 300);
  auto [errt6, ttl6] =
      await<dns::RecordWithTtl>([&](auto cb) { r.resolve6("h.test", {.ttl = true}, cb); });
  ASSERT_EQ(ttl6.size(), 1u);
  EXPECT_EQ(ttl6[0].address, "fd00::2");
  EXPECT_EQ(ttl6[0].ttl, 300);
}

TEST(DnsResolver, ResolvesMxTxtSrv) {
  EVNODE_WATCHDOG(30);
  EVNODE_NEED_DNSMASQ();
  auto r = localResolver();
  auto [err, mx] = await<dns::MxRecord>([&](auto cb) { r.resolveMx("m.test", cb); });
  EXPECT_FALSE(err) << err.message;
  std::sort(mx.begin(), mx.end(), [](auto& a, auto& b) { return a.priority < b.priority; });
  ASSERT_EQ(mx.size(), 2u);
  EXPECT_EQ(mx[0].priority, 10);
  EXPECT_EQ(mx[0].exchange, "mail1.m.test");
  EXPECT_EQ(mx[1].priority, 20);
  EXPECT_EQ(mx[1].exchange, "mail2.m.test");

  auto [errt, txt] = await<dns::TxtRecord>([&](auto cb) { r.resolveTxt("t.test", cb); });
  EXPECT_FALSE(errt) << errt.message;
  EXPECT_EQ(txt, (std::vector<dns::TxtRecord>{{"v=spf1 -all"}}));
  auto [errt2, txt2] = await<dns::TxtRecord>([&](auto cb) { r.resolveTxt("t2.test", cb); });
  EXPECT_EQ(txt2, (std::vector<dns::TxtRecord>{{"part one", "part two"}}));

  auto [errs, srv] = await<dns::SrvRecord>([&](auto cb) { r.resolveSrv("_sip._udp.s.test", cb); });
  EXPECT_FALSE(errs) << errs.message;
  std::sort(srv.begin(), srv.end(), [](auto& a, auto& b) { return a.priority < b.priority; });
  ASSERT_EQ(srv.size(), 2u);
  EXPECT_EQ(srv[0].priority, 1);
  EXPECT_EQ(srv[0].weight, 2);
  EXPECT_EQ(srv[0].port, 5060);
  EXPECT_EQ(srv[0].name, "sip.s.test");
  EXPECT_EQ(srv[1].priority, 3);
  EXPECT_EQ(srv[1].weight, 4);
  EXPECT_EQ(srv[1].port, 5061);
  EXPECT_EQ(srv[1].name, "sip2.s.test");
}

TEST(DnsResolver, ResolvesCnamePtrNsSoaCaaNaptr) {
  EVNODE_WATCHDOG(30);
  EVNODE_NEED_DNSMASQ();
  auto r = localResolver();
  auto [errc, cname] = await<std::string>([&](auto cb) { r.resolveCname("c.test", cb); });
  EXPECT_FALSE(errc) << errc.message;
  EXPECT_EQ(cname, std::vector<std::string>{"h.test"});
  // An A query for the alias follows the CNAME.
  auto [erra, viaAlias] = await<std::string>([&](auto cb) { r.resolve4("c.test", cb); });
  EXPECT_EQ(viaAlias, std::vector<std::string>{"10.0.0.2"});

  auto [errp, ptr] = await<std::string>([&](auto cb) { r.resolvePtr("4.3.2.1.in-addr.arpa", cb); });
  EXPECT_FALSE(errp) << errp.message;
  EXPECT_EQ(ptr, std::vector<std::string>{"ptr.test"});
  auto [errr, rev] = await<std::string>([&](auto cb) { r.reverse("1.2.3.4", cb); });
  EXPECT_FALSE(errr) << errr.message;
  EXPECT_EQ(rev, std::vector<std::string>{"ptr.test"});
  auto [errr2, rev2] = await<std::string>([&](auto cb) { r.reverse("10.0.0.2", cb); });
  EXPECT_EQ(rev2, std::vector<std::string>{"h.test"});  // dnsmasq's PTR for a host-record

  auto [errn, ns] = await<std::string>([&](auto cb) { r.resolveNs("z.test", cb); });
  EXPECT_FALSE(errn) << errn.message;
  EXPECT_EQ(ns, std::vector<std::string>{"ns1.z.test"});

  Error soaErr("EUNSET", "");
  dns::SoaRecord soa;
  bool done = false;
  r.resolveSoa("z.test", [&](const Error& e, const dns::SoaRecord& s) {
    soaErr = e;
    soa = s;
    done = true;
  });
  runUntil([&] { return done; });
  EXPECT_FALSE(soaErr) << soaErr.message;
  EXPECT_EQ(soa.nsname, "ns1.z.test");
  EXPECT_EQ(soa.hostmaster, "hostmaster.z.test");
  EXPECT_EQ(soa.serial, 2024010101u);
  EXPECT_EQ(soa.refresh, 7200u);
  EXPECT_EQ(soa.retry, 3600u);
  EXPECT_EQ(soa.expire, 1209600u);
  EXPECT_EQ(soa.minttl, 300u);

  auto [errcaa, caa] = await<dns::CaaRecord>([&](auto cb) { r.resolveCaa("caa.test", cb); });
  EXPECT_FALSE(errcaa) << errcaa.message;
  ASSERT_EQ(caa.size(), 1u);
  EXPECT_EQ(caa[0].critical, 0);
  EXPECT_EQ(caa[0].tag, "issue");
  EXPECT_EQ(caa[0].value, "ca.example");

  auto [errna, naptr] = await<dns::NaptrRecord>([&](auto cb) { r.resolveNaptr("n.test", cb); });
  EXPECT_FALSE(errna) << errna.message;
  ASSERT_EQ(naptr.size(), 1u);
  EXPECT_EQ(naptr[0].order, 100);
  EXPECT_EQ(naptr[0].preference, 10);
  EXPECT_EQ(naptr[0].flags, "U");
  EXPECT_EQ(naptr[0].service, "E2U+sip");
  EXPECT_EQ(naptr[0].regexp, "!^.*$!sip:info@n.test!");
  EXPECT_EQ(naptr[0].replacement, "");
}

TEST(DnsResolver, ResolveAnyAndByType) {
  EVNODE_WATCHDOG(30);
  EVNODE_NEED_DNSMASQ();
  auto r = localResolver();
  auto [err, any] = await<dns::AnyRecord>([&](auto cb) { r.resolveAny("h.test", cb); });
  EXPECT_FALSE(err) << err.message;
  std::set<std::string> seen;
  for (const auto& rec : any) {
    if (rec.type == "A" || rec.type == "AAAA") {
      seen.insert(rec.type + " " + std::get<dns::RecordWithTtl>(rec.data).address);
    }
  }
  EXPECT_TRUE(seen.count("A 10.0.0.2")) << any.size();
  EXPECT_TRUE(seen.count("AAAA fd00::2")) << any.size();

  auto [errm, mx] = await<dns::AnyRecord>([&](auto cb) { r.resolve("m.test", "MX", cb); });
  EXPECT_FALSE(errm) << errm.message;
  ASSERT_EQ(mx.size(), 2u);
  EXPECT_EQ(mx[0].type, "MX");
  EXPECT_TRUE(std::holds_alternative<dns::MxRecord>(mx[0].data));
  auto [errs, soa] = await<dns::AnyRecord>([&](auto cb) { r.resolve("z.test", "soa", cb); });
  ASSERT_EQ(soa.size(), 1u);
  EXPECT_EQ(std::get<dns::SoaRecord>(soa[0].data).serial, 2024010101u);
  EXPECT_EQ(exceptionCode([&] { r.resolve("x.test", "BOGUS", [](auto&, auto&) {}); }),
            "ERR_INVALID_ARG_VALUE");
}

TEST(DnsResolver, ErrorCodesAndMessages) {
  EVNODE_WATCHDOG(30);
  EVNODE_NEED_DNSMASQ();
  auto r = localResolver();
  auto [nx, none] = await<std::string>([&](auto cb) { r.resolve4("nx.test", cb); });
  EXPECT_EQ(nx.code, "ENOTFOUND");
  EXPECT_EQ(nx.syscall, "queryA");
  EXPECT_EQ(nx.message, "queryA ENOTFOUND nx.test");
  EXPECT_TRUE(none.empty());
  auto [nodata, none2] = await<dns::MxRecord>([&](auto cb) { r.resolveMx("h.test", cb); });
  EXPECT_EQ(nodata.code, "ENODATA");
  EXPECT_EQ(nodata.message, "queryMx ENODATA h.test");
  auto [rev, none3] = await<std::string>([&](auto cb) { r.reverse("10.9.9.9", cb); });
  EXPECT_EQ(rev.code, "ENOTFOUND");
  EXPECT_EQ(rev.message, "getHostByAddr ENOTFOUND 10.9.9.9");
  // A label longer than 63 bytes cannot be put in a query.
  auto [bad, none4] =
      await<std::string>([&](auto cb) { r.resolve4(std::string(70, 'a') + ".test", cb); });
  EXPECT_EQ(bad.code, "EBADNAME");
  EXPECT_EQ(exceptionCode([&] { r.reverse("not-an-ip", [](auto&, auto&) {}); }),
            "ERR_INVALID_ARG_VALUE");
}

TEST(DnsResolver, CallbacksNeverRunInsideTheCall) {
  EVNODE_WATCHDOG(30);
  EVNODE_NEED_DNSMASQ();
  auto r = localResolver();
  bool inCall = true, ranInside = false, done = false;
  // EBADNAME fails inside ares_query: it must still be reported later.
  r.resolve4(std::string(70, 'b') + ".test", [&](const Error&, const std::vector<std::string>&) {
    ranInside = inCall;
    done = true;
  });
  inCall = false;
  runUntil([&] { return done; });
  EXPECT_TRUE(done);
  EXPECT_FALSE(ranInside);
}

TEST(DnsResolver, ManyQueriesInFlight) {
  EVNODE_WATCHDOG(60);
  EVNODE_NEED_DNSMASQ();
  auto r = localResolver();
  int ok = 0, failed = 0;
  for (int i = 0; i < 300; ++i) {
    r.resolve4(i % 2 ? "h.test" : "multi.test",
               [&](const Error& e, const std::vector<std::string>& a) {
                 if (e || a.empty()) {
                   ++failed;
                 } else {
                   ++ok;
                 }
               });
  }
  runUntil([&] { return ok + failed == 300; }, 30000);
  EXPECT_EQ(ok, 300);
  EXPECT_EQ(failed, 0);
}

TEST(DnsResolver, OutlivesItsHandleWhileQueriesArePending) {
  EVNODE_WATCHDOG(30);
  EVNODE_NEED_DNSMASQ();
  std::vector<std::string> got;
  {
    auto r = localResolver();
    r.resolve4("h.test", [&](const Error&, const std::vector<std::string>& a) { got = a; });
  }
  run();
  EXPECT_EQ(got, std::vector<std::string>{"10.0.0.2"});
}

TEST(DnsResolver, ModuleFunctionsUseTheDefaultResolver) {
  EVNODE_WATCHDOG(30);
  EVNODE_NEED_DNSMASQ();
  auto before = dns::getServers();
  dns::setServers({Dnsmasq::shared().server()});
  EXPECT_EQ(dns::getServers(), std::vector<std::string>{Dnsmasq::shared().server()});
  auto [err, a] = await<std::string>([&](auto cb) { dns::resolve4("h.test", cb); });
  EXPECT_FALSE(err) << err.message;
  EXPECT_EQ(a, std::vector<std::string>{"10.0.0.2"});
  auto [errt, txt] = await<dns::TxtRecord>([&](auto cb) { dns::resolveTxt("t.test", cb); });
  EXPECT_EQ(txt, (std::vector<dns::TxtRecord>{{"v=spf1 -all"}}));
  auto [errr, rev] = await<std::string>([&](auto cb) { dns::reverse("1.2.3.4", cb); });
  EXPECT_EQ(rev, std::vector<std::string>{"ptr.test"});
  dns::setServers(before);
}

TEST(DnsResolver, SetServersFormatsAndValidation) {
  dns::Resolver r;
  r.setServers({"1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353", "[fe80::1]", "2001:db8::53"});
  EXPECT_EQ(r.getServers(), (std::vector<std::string>{"1.2.3.4", "1.2.3.4:5353", "::1",
                                                      "[::1]:5353", "fe80::1", "2001:db8::53"}));
  for (const char* bad :
       {"1.2.3", "[::1", "1.2.3.4:99999", "host.name", "1.2.3.4:", "[::1]x", ""}) {
    EXPECT_EQ(exceptionCode([&] { r.setServers({bad}); }), "ERR_INVALID_IP_ADDRESS") << bad;
  }
  EXPECT_EQ(dns::reverseName("1.2.3.4"), "4.3.2.1.in-addr.arpa");
  EXPECT_EQ(dns::reverseName("2001:db8::1"),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  EXPECT_EQ(dns::reverseName("x"), "");
}

// A UDP "server" built with our dgram: `reply` decides what each query gets (nothing if it
// returns "").
struct FakeServer {
  std::shared_ptr<dgram::Socket> sock = dgram::createSocket("udp4");
  int port = 0;
  int queries = 0;
  explicit FakeServer(std::function<std::vector<std::string>(const std::string&, int)> reply) {
    dgram::Socket* raw = sock.get();
    sock->on(dgram::Socket::Events::message,
             [this, raw, reply](const Buffer& q, const dgram::RemoteInfo& from) {
               for (const auto& r : reply(std::string(q.view()), queries++)) {
                 raw->send(Buffer::from(r.data(), r.size()), from.port, from.address);
               }
             });
    bool listening = false;
    sock->bind(0, "127.0.0.1", [&] { listening = true; });
    runUntil([&] { return listening; });
    port = sock->address().port;
  }
  ~FakeServer() {
    sock->close();
    runUntil([] { return false; }, 20);
  }
  std::string server() const { return "127.0.0.1:" + std::to_string(port); }
};

TEST(DnsResolver, SilentServerTimesOutWithinTimeoutTimesTries) {
  EVNODE_WATCHDOG(30);
  FakeServer silent([](const std::string&, int) { return std::vector<std::string>{}; });
  dns::Resolver r({.timeout = 300, .tries = 3});
  r.setServers({silent.server()});
  auto start = std::chrono::steady_clock::now();
  auto [err, a] = await<std::string>([&](auto cb) { r.resolve4("slow.test", cb); });
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  EXPECT_EQ(err.code, "ETIMEOUT");
  EXPECT_EQ(err.message, "queryA ETIMEOUT slow.test");
  EXPECT_EQ(silent.queries, 3);  // one per try
  EXPECT_GE(ms, 850);
  EXPECT_LE(ms, 900 + 400);  // timeout × tries, plus scheduling slack
}

TEST(DnsResolver, RefusedPortIsEconnrefused) {
  EVNODE_WATCHDOG(30);
  int port = dnstest::et::freePort(true);
  dns::Resolver r({.timeout = 3000, .tries = 2});
  r.setServers({"127.0.0.1:" + std::to_string(port)});
  auto [err, a] = await<std::string>([&](auto cb) { r.resolve4("x.test", cb); });
  if (err.code == "ETIMEOUT") GTEST_SKIP() << "no ICMP port-unreachable on loopback here";
  EXPECT_EQ(err.code, "ECONNREFUSED");
  EXPECT_EQ(err.message, "queryA ECONNREFUSED x.test");
}

TEST(DnsResolver, FailingRcodesMapToNodeCodes) {
  EVNODE_WATCHDOG(30);
  struct Case {
    int rcode;
    const char* code;
  } cases[] = {
      {1, "EFORMERR"}, {2, "ESERVFAIL"}, {3, "ENOTFOUND"}, {4, "ENOTIMP"}, {5, "EREFUSED"}};
  for (const auto& c : cases) {
    FakeServer fake([&](const std::string& q, int) {
      return std::vector<std::string>{dnstest::makeReply(q, c.rcode)};
    });
    dns::Resolver r({.timeout = 2000, .tries = 1});
    r.setServers({fake.server()});
    auto [err, a] = await<std::string>([&](auto cb) { r.resolve4("rcode.test", cb); });
    EXPECT_EQ(err.code, c.code) << "rcode " << c.rcode;
  }
}

TEST(DnsResolver, BadRepliesAreErrorsNotCrashes) {
  EVNODE_WATCHDOG(60);
  // Replies c-ares must ignore (too short, wrong ID, another question, random bytes): the query
  // times out. One that matches but whose answer is cut short: EBADRESP.
  std::vector<std::pair<std::string, std::function<std::string(const std::string&)>>> ignored = {
      {"five bytes", [](const std::string& q) { return q.substr(0, 5); }},
      {"header only", [](const std::string& q) { return dnstest::makeReply(q, 0).substr(0, 12); }},
      {"mismatched id",
       [](const std::string& q) {
         std::string r = dnstest::makeReply(q, 0, dnstest::aRecord(1, 2, 3, 4), 1);
         r[0] = static_cast<char>(r[0] ^ 0x5a);
         return r;
       }},
      {"garbage", [](const std::string&) { return dnstest::et::randomBytes(200, 42); }},
      {"garbage with the right id",
       [](const std::string& q) { return q.substr(0, 2) + dnstest::et::randomBytes(200, 43); }},
  };
  for (auto& [what, make] : ignored) {
    FakeServer fake([&](const std::string& q, int) { return std::vector<std::string>{make(q)}; });
    dns::Resolver r({.timeout = 150, .tries = 1});
    r.setServers({fake.server()});
    auto [err, a] = await<std::string>([&](auto cb) { r.resolve4("bad.test", cb); });
    EXPECT_TRUE(err.code == "ETIMEOUT" || err.code == "EBADRESP") << what << ": " << err.message;
  }
  {
    FakeServer fake([](const std::string& q, int) {
      std::string r = dnstest::makeReply(q, 0, dnstest::aRecord(1, 2, 3, 4), 1);
      return std::vector<std::string>{r.substr(0, r.size() - 3)};  // the rdata cut short
    });
    dns::Resolver r({.timeout = 1000, .tries = 1});
    r.setServers({fake.server()});
    auto [err, a] = await<std::string>([&](auto cb) { r.resolve4("cut.test", cb); });
    EXPECT_EQ(err.code, "EBADRESP") << err.message;
  }
  {
    // Claims 40 answers but carries one.
    FakeServer fake([](const std::string& q, int) {
      return std::vector<std::string>{dnstest::makeReply(q, 0, dnstest::aRecord(1, 2, 3, 4), 40)};
    });
    dns::Resolver r({.timeout = 1000, .tries = 1});
    r.setServers({fake.server()});
    auto [err, a] = await<dns::AnyRecord>([&](auto cb) { r.resolveAny("count.test", cb); });
    EXPECT_EQ(err.code, "EBADRESP") << err.message;
  }
}

TEST(DnsResolver, GoodReplyAfterBadOnesIsAccepted) {
  EVNODE_WATCHDOG(30);
  // A spoofed reply with the wrong ID and a runt come first; the real answer follows.
  FakeServer fake([](const std::string& q, int) {
    std::string wrong = dnstest::makeReply(q, 0, dnstest::aRecord(6, 6, 6, 6), 1);
    wrong[1] = static_cast<char>(wrong[1] ^ 0x01);
    return std::vector<std::string>{wrong, q.substr(0, 7),
                                    dnstest::makeReply(q, 0, dnstest::aRecord(10, 9, 8, 7), 1)};
  });
  dns::Resolver r({.timeout = 2000, .tries = 1});
  r.setServers({fake.server()});
  auto [err, a] = await<std::string>([&](auto cb) { r.resolve4("good.test", cb); });
  EXPECT_FALSE(err) << err.message;
  EXPECT_EQ(a, std::vector<std::string>{"10.9.8.7"});
}

TEST(DnsResolver, TruncatedReplyFallsBackToTcp) {
  EVNODE_WATCHDOG(30);
  // TC set: c-ares retries over TCP, where nothing listens on this port.
  FakeServer fake([](const std::string& q, int) {
    return std::vector<std::string>{dnstest::makeReply(q, 0, "", 0, true)};
  });
  dns::Resolver r({.timeout = 1000, .tries = 1});
  r.setServers({fake.server()});
  auto [err, a] = await<std::string>([&](auto cb) { r.resolve4("tc.test", cb); });
  EXPECT_TRUE(err.code == "ECONNREFUSED" || err.code == "ETIMEOUT") << err.message;
}

TEST(DnsResolver, MutatedRepliesNeverCrash) {
  EVNODE_WATCHDOG(120);
  // Every query of every type gets a valid multi-record reply with random bytes flipped after
  // the question (so c-ares accepts it as the answer and the parsers see the damage).
  std::string answers = dnstest::aRecord(10, 0, 0, 1) + dnstest::aRecord(10, 0, 0, 2);
  // An MX record: priority 10, exchange = the question name.
  answers += std::string("\xc0\x0c\x00\x0f\x00\x01\x00\x00\x00\x3c\x00\x04\x00\x0a\xc0\x0c", 16);
  // A TXT record with two strings.
  answers += std::string("\xc0\x0c\x00\x10\x00\x01\x00\x00\x00\x3c\x00\x08\x03one\x03two", 20);
  std::uint64_t seed = 1;
  FakeServer fake([&](const std::string& q, int) {
    std::string r = dnstest::makeReply(q, 0, answers, 4);
    std::string noise = dnstest::et::randomBytes(8, seed++);
    std::size_t from = q.size();  // the answers start where the question ended
    for (int i = 0; i < 4; ++i) {
      std::size_t at = from + static_cast<unsigned char>(noise[2 * i]) % (r.size() - from);
      r[at] = noise[2 * i + 1];
    }
    if (noise[0] & 1) r[7] = noise[1];  // sometimes the answer count too
    if ((noise[2] & 3) == 0)
      r.resize(from + static_cast<unsigned char>(noise[3]) % (r.size() - from));
    return std::vector<std::string>{r};
  });
  dns::Resolver r({.timeout = 500, .tries = 1});
  r.setServers({fake.server()});
  const char* types[] = {"A",  "MX",  "TXT", "ANY", "CNAME", "SOA",
                         "NS", "PTR", "SRV", "CAA", "NAPTR", "AAAA"};
  int done = 0, total = 0;
  std::set<std::string> codes;
  for (int round = 0; round < 25; ++round) {
    for (const char* t : types) {
      ++total;
      r.resolve("m.test", t, [&](const Error& e, const std::vector<dns::AnyRecord>&) {
        codes.insert(e ? e.code : "OK");
        ++done;
      });
    }
    runUntil([&] { return done == total; }, 20000);
  }
  EXPECT_EQ(done, total);
  std::string seen;
  for (const auto& c : codes) seen += c + " ";
  std::printf("[ info ] outcomes: %s\n", seen.c_str());
}

TEST(DnsResolver, CancelEndsPendingQueries) {
  EVNODE_WATCHDOG(30);
  FakeServer silent([](const std::string&, int) { return std::vector<std::string>{}; });
  dns::Resolver r({.timeout = 5000, .tries = 4});
  r.setServers({silent.server()});
  std::vector<Error> errors;
  for (const char* name : {"a.test", "b.test", "c.test"}) {
    r.resolve4(name, [&](const Error& e, const std::vector<std::string>&) { errors.push_back(e); });
  }
  EXPECT_EQ(exceptionCode([&] { r.setServers({"127.0.0.1"}); }), "ERR_DNS_SET_SERVERS_FAILED");
  auto start = std::chrono::steady_clock::now();
  auto t = setTimeout([&] { r.cancel(); }, 50);
  runUntil([&] { return errors.size() == 3; });
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  ASSERT_EQ(errors.size(), 3u);
  for (const auto& e : errors) EXPECT_EQ(e.code, "ECANCELLED");
  EXPECT_EQ(errors[0].message, "queryA ECANCELLED a.test");
  EXPECT_LT(ms, 2000);
  // The resolver still works after a cancel, and cancel from inside a callback is safe.
  FakeServer answering([](const std::string& q, int) {
    return std::vector<std::string>{dnstest::makeReply(q, 0, dnstest::aRecord(1, 1, 1, 1), 1)};
  });
  r.setServers({answering.server()});
  std::vector<std::string> got;
  bool done = false;
  r.resolve4("again.test", [&](const Error& e, const std::vector<std::string>& a) {
    EXPECT_FALSE(e) << e.message;
    got = a;
    r.cancel();
    done = true;
  });
  runUntil([&] { return done; });
  EXPECT_EQ(got, std::vector<std::string>{"1.1.1.1"});
}

// A thread that ends with queries in flight: its loop's teardown ends them without calling
// back, closes c-ares's sockets and timer, and nothing leaks.
TEST(DnsResolver, LoopTeardownWithPendingQueries) {
  EVNODE_WATCHDOG(20);
  int callbacks = 0;
  std::thread t([&] {
    FakeServer* silent =
        new FakeServer([](const std::string&, int) { return std::vector<std::string>{}; });
    dns::Resolver r({.timeout = 5000, .tries = 2});
    r.setServers({silent->server()});
    r.resolve4("pending.test", [&](const Error&, const std::vector<std::string>&) { ++callbacks; });
    dns::setServers({silent->server()});  // the thread's default resolver too
    dns::resolveMx("pending.test",
                   [&](const Error&, const std::vector<dns::MxRecord>&) { ++callbacks; });
    runUntil([&] { return silent->queries >= 2; }, 2000);
    EXPECT_GE(silent->queries, 2);
    // Leaving the FakeServer's socket open as well: the loop closes it.
    silent->sock->removeAllListeners();
    delete silent;
  });
  t.join();
  EXPECT_EQ(callbacks, 0);
}

}  // namespace
