// fs::promises and dns::promises: real files in a temporary directory, real lookups of
// localhost and 127.0.0.1, every query against dnsmasq (tests/dns/dns_testing.h), and the
// resolver against a DNS server that never answers (python3) for cancellation.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns/dns_testing.h"
#include "evnode/evnode.h"
#include "support/testing.h"

namespace evnode {
namespace {

namespace et = evnode::testing;
namespace fsp = fs::promises;
namespace tp = timers::promises;

TEST(FsPromisesTest, ReadWriteAppendStat) {
  EVNODE_WATCHDOG(10);
  et::TempDir dir;
  std::string f = dir.file("a.txt");
  auto amain = [&]() -> Task<void> {
    co_await fsp::writeFile(f, std::string_view("hello"));
    co_await fsp::appendFile(f, " world");
    Buffer b = co_await fsp::readFile(f);
    EXPECT_EQ(b.toString(), "hello world");
    Buffer three = Buffer::from({0, 255, 1});  // GCC 12: no initializer_list in a co_await
    co_await fsp::writeFile(f, three);
    fs::Stats st = co_await fsp::stat(f);
    EXPECT_EQ(st.size, 3u);
    EXPECT_TRUE(st.isFile());
    fsp::FileOptions exclusive;
    exclusive.flag = "wx";
    auto r = co_await fsp::writeFile(f, "x", exclusive).result();
    EXPECT_EQ(r.error().code, "EEXIST");
    try {
      co_await fsp::readFile(dir.file("missing"));
      ADD_FAILURE() << "no exception";
    } catch (const SystemError& e) {
      EXPECT_EQ(e.error().code, "ENOENT");
      EXPECT_EQ(std::string(e.what()),
                "ENOENT: no such file or directory, open '" + dir.file("missing") + "'");
    }
  };
  run(amain());
  EXPECT_EQ(et::readFile(f), std::string("\x00\xff\x01", 3));
}

TEST(FsPromisesTest, DirectoriesRenameCopyAccessRealpath) {
  EVNODE_WATCHDOG(10);
  et::TempDir dir;
  auto amain = [&]() -> Task<void> {
    // Options named outside the co_await (task.h: GCC 12 and aggregate temporaries).
    fsp::MkdirOptions parents{.recursive = true};
    fsp::RmOptions tree{.recursive = true}, treeForce{.recursive = true, .force = true};
    auto first = co_await fsp::mkdir(dir.file("x/y/z"), parents);
    EXPECT_EQ(first.value_or("?"), dir.file("x"));
    auto none = co_await fsp::mkdir(dir.file("x/y"), parents);
    EXPECT_FALSE(none.has_value());
    EXPECT_THROW(co_await fsp::mkdir(dir.file("x")), SystemError);  // exists, not recursive
    co_await fsp::writeFile(dir.file("x/y/f"), "data");
    co_await fsp::copyFile(dir.file("x/y/f"), dir.file("x/g"));
    EXPECT_THROW(co_await fsp::copyFile(dir.file("x/y/f"), dir.file("x/g"), fsp::COPYFILE_EXCL),
                 SystemError);
    co_await fsp::rename(dir.file("x/g"), dir.file("x/h"));
    auto names = co_await fsp::readdir(dir.file("x"));
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"h", "y"}));
    auto ents = co_await fsp::readdirWithFileTypes(dir.file("x"));
    for (const auto& e : ents) EXPECT_EQ(e.isDirectory(), e.name == "y");
    co_await fsp::access(dir.file("x/h"), R_OK | W_OK);
    auto denied = co_await fsp::access(dir.file("nope")).result();
    EXPECT_EQ(denied.error().code, "ENOENT");
    EXPECT_EQ(co_await fsp::realpath(dir.file("x/y/../h")), dir.file("x/h"));
    std::string tmp = co_await fsp::mkdtemp(dir.file("t-"));
    EXPECT_EQ(tmp.size(), dir.file("t-").size() + 6);
    EXPECT_TRUE((co_await fsp::stat(tmp)).isDirectory());
    EXPECT_THROW(co_await fsp::rm(dir.file("x")), SystemError);  // a directory, not recursive
    co_await fsp::rm(dir.file("x"), tree);
    EXPECT_THROW(co_await fsp::rm(dir.file("x")), SystemError);
    co_await fsp::rm(dir.file("x"), treeForce);  // missing, forced: fine
    co_await fsp::rmdir(tmp);
  };
  run(amain());
  EXPECT_FALSE(fs::existsSync(dir.file("x")));
}

TEST(FsPromisesTest, FileHandleReadWriteStatClose) {
  EVNODE_WATCHDOG(10);
  et::TempDir dir;
  std::string f = dir.file("h.bin");
  auto amain = [&]() -> Task<void> {
    auto fh = co_await fsp::open(f, "w+");
    EXPECT_EQ(co_await fh->write(std::string_view("0123456789")), 10u);
    EXPECT_EQ(co_await fh->write(Buffer::from("AB"), 2), 2u);
    EXPECT_EQ((co_await fh->stat()).size, 10u);
    Buffer into = Buffer::alloc(4);
    fsp::ReadResult r = co_await fh->read(into, 0, 4, 1);
    EXPECT_EQ(r.bytesRead, 4u);
    EXPECT_EQ(r.buffer.toString(), "1AB4");
    co_await fh->close();
    co_await fh->close();  // twice: nothing
    EXPECT_THROW(fh->read(), Exception);
    auto rh = co_await fsp::open(f);
    Buffer all = co_await rh->readFile();
    EXPECT_EQ(all.toString(), "01AB456789");
    co_await rh->close();
    auto sh = co_await fsp::open(f);
    std::string streamed = co_await stream::consumers::text(sh->createReadStream());
    EXPECT_EQ(streamed, "01AB456789");
    EXPECT_EQ(sh->fd(), -1);  // the stream took the descriptor
    EXPECT_THROW(fsp::open(f, "bogus"), Exception);
  };
  run(amain());
}

TEST(FsPromisesTest, AbortedReadFileThrowsAbortError) {
  EVNODE_WATCHDOG(10);
  et::TempDir dir;
  et::writeFile(dir.file("f"), "x");
  auto amain = [&]() -> Task<void> {
    fsp::FileOptions o;
    o.signal = AbortSignal::abort();
    try {
      co_await fsp::readFile(dir.file("f"), o);
      ADD_FAILURE() << "no exception";
    } catch (const AbortError& e) {
      EXPECT_EQ(e.code(), "ABORT_ERR");
    }
    AbortController ac;
    fsp::FileOptions later;
    later.signal = ac.signal();
    auto op = fsp::readFile(dir.file("f"), later);
    queueMicrotask([&] { ac.abort(); });
    auto r = co_await std::move(op).result();
    // Either the read won (it is on the thread pool) or the abort did; never both, never a hang.
    EXPECT_TRUE(r.ok() || r.error().code == "ABORT_ERR");
    EXPECT_EQ(ac.signal()->listenerCount(AbortSignal::Events::abort), 0u);
  };
  run(amain());
}

TEST(FsPromisesTest, DestroyingTheTaskDropsTheLateResult) {
  EVNODE_WATCHDOG(10);
  et::TempDir dir;
  et::writeFile(dir.file("f"), std::string(1 << 20, 'z'));
  auto pending = [&]() -> Task<void> {
    co_await fsp::readFile(dir.file("f"));
    ADD_FAILURE() << "resumed";
  };
  Task<void> t = pending();
  detail::resumeNested(t.handle());
  t = Task<void>();  // the thread-pool read finishes later and is dropped
  run();
}

TEST(DnsPromisesTest, LookupLocalhostAndAnAddress) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<void> {
    dns::LookupAddress a = co_await dns::promises::lookup("127.0.0.1");
    EXPECT_EQ(a.address, "127.0.0.1");
    EXPECT_EQ(a.family, 4);
    dns::LookupAddress l = co_await dns::promises::lookup("localhost", 4);
    EXPECT_EQ(l.address, "127.0.0.1");
    dns::LookupOptions six;
    six.family = 6;
    dns::LookupAddress v6 = co_await dns::promises::lookup("::1", six);
    EXPECT_EQ(v6.family, 6);
    auto all = co_await dns::promises::lookupAll("localhost");
    EXPECT_FALSE(all.empty());
    bool has4 =
        std::any_of(all.begin(), all.end(), [](auto& x) { return x.address == "127.0.0.1"; });
    EXPECT_TRUE(has4);
    try {
      co_await dns::promises::lookup("nosuch.invalid");
      ADD_FAILURE() << "no exception";
    } catch (const SystemError& e) {
      EXPECT_EQ(e.error().code, "ENOTFOUND");
      EXPECT_EQ(std::string(e.what()), "getaddrinfo ENOTFOUND nosuch.invalid");
    }
    dns::LookupOptions withAll;
    withAll.all = true;
    EXPECT_THROW(dns::promises::lookup("localhost", withAll), Exception);
    EXPECT_THROW(dns::promises::lookup("localhost", 5), Exception);
    auto svc = co_await dns::promises::lookupService("127.0.0.1", 22);
    EXPECT_EQ(svc.service, "ssh");
  };
  run(amain());
}

// A UDP "DNS server" that reads queries and never answers: queries wait until cancelled.
TEST(DnsPromisesTest, ResolverCancelAndTimeout) {
  if (!et::haveCommand("python3")) GTEST_SKIP() << "python3 is not installed";
  EVNODE_WATCHDOG(20);
  et::Process silent({"python3", "-c", R"(
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0))
print('port', s.getsockname()[1], flush=True)
while True: s.recvfrom(512)
)"});
  std::string line = silent.waitForLine("port ");
  int port = std::stoi(line.substr(5));
  auto amain = [&]() -> Task<void> {
    dns::promises::Resolver r({.timeout = 200, .tries = 1});
    r.setServers({"127.0.0.1:" + std::to_string(port)});
    EXPECT_EQ(r.getServers().size(), 1u);
    try {
      co_await r.resolve4("example.test");
      ADD_FAILURE() << "no exception";
    } catch (const SystemError& e) {
      EXPECT_EQ(e.error().code, "ETIMEOUT");
    }
    dns::promises::Resolver slow({.timeout = 5000, .tries = 1});
    slow.setServers({"127.0.0.1:" + std::to_string(port)});
    setTimeout([&] { slow.cancel(); }, 50);
    auto mx = co_await slow.resolveMx("example.test").result();
    EXPECT_EQ(mx.error().code, "ECANCELLED");
  };
  run(amain());
}

}  // namespace
}  // namespace evnode

namespace evnode {
namespace {

// Every resolve* awaited, against dnsmasq with the records of tests/dns/dns_testing.h.
TEST(DnsPromisesTest, EveryQueryAgainstDnsmasq) {
  EVNODE_NEED_DNSMASQ();
  EVNODE_WATCHDOG(30);
  // Expected lists named outside the co_await expressions (GCC 12: no braced lists there).
  using Names = std::vector<std::string>;
  const Names h4{"10.0.0.2"}, h6{"fd00::2"}, cname{"h.test"}, ptr{"ptr.test"};
  auto amain = [&]() -> Task<void> {
    dns::promises::Resolver r({.timeout = 2000, .tries = 2});
    r.setServers({dnstest::Dnsmasq::shared().server()});
    EXPECT_EQ(co_await r.resolve4("h.test"), h4);
    EXPECT_EQ(co_await r.resolve6("h.test"), h6);
    dns::ResolveOptions withTtl{.ttl = true};
    auto ttl = co_await r.resolve4("h.test", withTtl);
    EXPECT_EQ(ttl.size(), 1u);
    auto mx = co_await r.resolveMx("m.test");
    std::sort(mx.begin(), mx.end(), [](auto& a, auto& b) { return a.priority < b.priority; });
    EXPECT_EQ(mx.size(), 2u);
    if (mx.size() == 2) {
      EXPECT_EQ(mx[0].exchange, "mail1.m.test");
    }
    auto txt = co_await r.resolveTxt("t2.test");
    EXPECT_EQ(txt.size(), 1u);
    auto srv = co_await r.resolveSrv("_sip._udp.s.test");
    EXPECT_EQ(srv.size(), 2u);
    EXPECT_EQ(co_await r.resolveCname("c.test"), cname);
    EXPECT_EQ(co_await r.resolvePtr("4.3.2.1.in-addr.arpa"), ptr);
    auto naptr = co_await r.resolveNaptr("n.test");
    EXPECT_EQ(naptr.size(), 1u);
    auto ns = co_await r.resolveNs("z.test");
    EXPECT_EQ(ns.size(), 1u);
    dns::SoaRecord soa = co_await r.resolveSoa("z.test");
    EXPECT_FALSE(soa.nsname.empty());
    auto caa = co_await r.resolveCaa("caa.test");
    EXPECT_EQ(caa.size(), 1u);
    auto any = co_await r.resolve("m.test", "MX");
    EXPECT_EQ(any.size(), 2u);
    auto rev = co_await r.reverse("1.2.3.4");
    EXPECT_EQ(rev, ptr);
    try {
      co_await r.resolve4("nothing.test");
      ADD_FAILURE() << "no exception";
    } catch (const SystemError& e) {
      EXPECT_EQ(e.error().code, "ENOTFOUND");
    }
    // The module-level queries use the default resolver, which dns::setServers() points.
    dns::setServers({dnstest::Dnsmasq::shared().server()});
    EXPECT_EQ(co_await dns::promises::resolve4("h.test"), h4);
    EXPECT_EQ((co_await dns::promises::resolveMx("m.test")).size(), 2u);
  };
  run(amain());
}

}  // namespace
}  // namespace evnode
