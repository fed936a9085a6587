// net::Socket::connect to a host name with several addresses (Node's autoSelectFamily): each
// address tried in turn on loopback, an attempt that hangs given up after the attempt timeout,
// the error of them all, destroy while attempting, and the cases that keep a single address.
//
// The addresses come from ConnectOptions::lookup, so their order does not depend on /etc/hosts.
// An address meant to refuse is a port bound and not listening on that family (nothing else
// can take it meanwhile); one meant to hang is a listener with a full backlog.
#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/net.h"
#include "support/testing.h"

namespace {

using namespace evnode;
namespace et = evnode::testing;
using net::Server;
using net::Socket;
using Clock = std::chrono::steady_clock;

bool haveIPv6Loopback() {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A server that ends each connection at once (a client that already left is no error).
std::shared_ptr<Server> endingServer() {
  return net::createServer([](const std::shared_ptr<Socket>& s) {
    s->on(Socket::Events::error, [](const Error&) {});
    s->end();
  });
}

// A blocking TCP socket bound to the loopback address of `family` at `port`; -1 if the port is
// taken there.
int bindLoopback(int family, int port) {
  int fd = ::socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_storage ss{};
  socklen_t len;
  if (family == 6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *a;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Closes a descriptor when the test ends.
struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

// A server listening on the loopback address of `family` only, and the same port taken on the
// other family's loopback without listening: connects there are refused.
struct OneFamilyServer {
  std::shared_ptr<Server> server;
  std::unique_ptr<Fd> refuser;
  int port = -1;
  explicit OneFamilyServer(int family) {
    for (int i = 0; i < 20 && port < 0; ++i) {
      server = net::createServer([](const std::shared_ptr<Socket>& s) {
        s->on(Socket::Events::error, [](const Error&) {});  // a client that left at once
        s->end("hi");
      });
      server->listen(0, family == 6 ? "::1" : "127.0.0.1");
      int p = server->address().port;
      int fd = bindLoopback(family == 6 ? 4 : 6, p);
      if (fd >= 0) {
        refuser = std::make_unique<Fd>(fd);
        port = p;
      } else {
        server->close();
        server.reset();
      }
    }
  }
};

// A listener on 127.0.0.1 whose backlog is full: Linux drops further SYNs, so a connect to it
// neither succeeds nor fails for a second or more.
struct HangingListener {
  Fd listener;
  std::vector<std::unique_ptr<Fd>> fillers;
  explicit HangingListener(int port) : listener(bindLoopback(4, port)) {
    if (listener.fd < 0 || ::listen(listener.fd, 0) < 0) return;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    for (int i = 0; i < 2; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
      fillers.push_back(std::make_unique<Fd>(fd));
    }
    // The first filler's handshake completes into the queue, which is then full.
    pollfd p{fillers[0]->fd, POLLOUT, 0};
    ::poll(&p, 1, 2000);
  }
  bool ok() const { return listener.fd >= 0 && !fillers.empty(); }
};

// A lookup hook answering `addresses` on the next loop turn (as getaddrinfo would), and
// recording what it was asked.
struct FakeLookup {
  explicit FakeLookup(std::vector<dns::LookupAddress> a) : addresses(std::move(a)) {}
  std::vector<dns::LookupAddress> addresses;
  int calls = 0;
  dns::LookupOptions asked;
  std::string hostname;
  auto hook() {
    return [this](const std::string& host, const dns::LookupOptions& o, dns::LookupAllCallback cb) {
      ++calls;
      hostname = host;
      asked = o;
      setImmediate([cb = std::move(cb), a = addresses] { cb(Error(), a); });
    };
  }
};

// Every event a connecting socket emits, as text, in order.
std::vector<std::string>& record(const std::shared_ptr<Socket>& s, std::vector<std::string>& out) {
  s->on(Socket::Events::lookup,
        [&out](const Error& err, const std::string& ip, int, const std::string&) {
          out.push_back("lookup " + (err ? err.code : ip));
        });
  s->on(Socket::Events::connectionAttempt, [&out](const std::string& ip, int, int family) {
    out.push_back("attempt " + ip + " " + std::to_string(family));
  });
  s->on(Socket::Events::connectionAttemptFailed,
        [&out](const std::string& ip, int, int, const Error& e) {
          out.push_back("failed " + ip + " " + e.code);
        });
  s->on(Socket::Events::connectionAttemptTimeout,
        [&out](const std::string& ip, int, int) { out.push_back("timeout " + ip); });
  s->on(Socket::Events::connect, [&out] { out.push_back("connect"); });
  s->on(Socket::Events::error, [&out](const Error& e) { out.push_back("error " + e.code); });
  s->on(Socket::Events::close,
        [&out](bool hadError) { out.push_back(hadError ? "close(true)" : "close(false)"); });
  return out;
}

std::string at(const std::string& ip, int port) { return ip + ":" + std::to_string(port); }

int openDescriptors() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n;
}

// Makes the loop thread's poller (one descriptor, kept) before descriptors are counted: a connect
// to a port bound and not listening, refused. Runs the loop: call it before anything else holds
// the loop open.
void openPoller() {
  Fd taken(bindLoopback(4, 0));
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(taken.fd, reinterpret_cast<sockaddr*>(&a), &len);
  auto c = net::connect(ntohs(a.sin_port), "127.0.0.1");
  c->on(Socket::Events::error, [](const Error&) {});
  run();
}

// The case: `localhost` gives ::1 first and the server listens on 127.0.0.1 only.
TEST(NetConnectAttempts, IPv6FirstReachesAServerOnIPv4Only) {
  EVNODE_WATCHDOG(20);
  if (!haveIPv6Loopback()) GTEST_SKIP() << "no IPv6 loopback";
  OneFamilyServer srv(4);
  ASSERT_GT(srv.port, 0);
  FakeLookup fake{{{"::1", 6}, {"127.0.0.1", 4}}};
  net::ConnectOptions o;
  o.host = "localhost";
  o.port = srv.port;
  o.lookup = fake.hook();
  std::vector<std::string> events;
  std::string data, remote;
  std::shared_ptr<Socket> c;
  c = net::connect(o, [&] { remote = c->remoteAddress(); });
  record(c, events);
  c->on(Socket::Events::data, [&](const Buffer& b) { data += b.toString(); });
  c->on(Socket::Events::end, [&] { srv.server->close(); });
  run();
  EXPECT_EQ(fake.calls, 1);
  EXPECT_EQ(fake.hostname, "localhost");
  EXPECT_TRUE(fake.asked.all);
  EXPECT_EQ(fake.asked.family, 0);
  EXPECT_EQ(events, (std::vector<std::string>{"lookup ::1", "lookup 127.0.0.1", "attempt ::1 6",
                                              "failed ::1 ECONNREFUSED", "attempt 127.0.0.1 4",
                                              "connect", "close(false)"}));
  EXPECT_EQ(remote, "127.0.0.1");
  EXPECT_EQ(data, "hi");
  EXPECT_EQ(c->autoSelectFamilyAttemptedAddresses(),
            (std::vector<std::string>{at("::1", srv.port), at("127.0.0.1", srv.port)}));
}

TEST(NetConnectAttempts, RefusedIPv4ThenTheIPv6Server) {
  EVNODE_WATCHDOG(20);
  if (!haveIPv6Loopback()) GTEST_SKIP() << "no IPv6 loopback";
  OneFamilyServer srv(6);
  ASSERT_GT(srv.port, 0);
  // Two of each family: the order alternates from the first address's family, each once.
  FakeLookup fake{{{"127.0.0.1", 4}, {"127.0.0.1", 4}, {"127.0.0.2", 4}, {"::1", 6}, {"::1", 6}}};
  net::ConnectOptions o;
  o.host = "dual.test";
  o.port = srv.port;
  o.lookup = fake.hook();
  std::vector<std::string> events;
  std::string remote;
  std::shared_ptr<Socket> c;
  c = net::connect(o, [&] {
    remote = c->remoteAddress();
    c->destroy();
    srv.server->close();
  });
  record(c, events);
  run();
  EXPECT_EQ(events, (std::vector<std::string>{
                        "lookup 127.0.0.1", "lookup 127.0.0.1", "lookup 127.0.0.2", "lookup ::1",
                        "lookup ::1", "attempt 127.0.0.1 4", "failed 127.0.0.1 ECONNREFUSED",
                        "attempt ::1 6", "connect", "close(false)"}));
  EXPECT_EQ(remote, "::1");
  EXPECT_EQ(c->autoSelectFamilyAttemptedAddresses(),
            (std::vector<std::string>{at("127.0.0.1", srv.port), at("::1", srv.port)}));
}

TEST(NetConnectAttempts, AllRefusedIsECONNREFUSEDWithEachAttempt) {
  EVNODE_WATCHDOG(20);
  if (!haveIPv6Loopback()) GTEST_SKIP() << "no IPv6 loopback";
  // A port taken on both loopbacks, listening on neither.
  int port = -1;
  std::unique_ptr<Fd> four, six;
  for (int i = 0; i < 20 && port < 0; ++i) {
    int p = et::freePort();
    int a = bindLoopback(4, p), b = bindLoopback(6, p);
    four = std::make_unique<Fd>(a);
    six = std::make_unique<Fd>(b);
    if (a >= 0 && b >= 0) port = p;
  }
  ASSERT_GT(port, 0);
  FakeLookup fake{{{"::1", 6}, {"127.0.0.1", 4}}};
  net::ConnectOptions o;
  o.host = "nobody.test";
  o.port = port;
  o.lookup = fake.hook();
  std::vector<std::string> events;
  Error got;
  auto c = net::connect(o);
  record(c, events);
  c->on(Socket::Events::error, [&](const Error& e) { got = e; });
  run();
  EXPECT_EQ(events, (std::vector<std::string>{"lookup ::1", "lookup 127.0.0.1", "attempt ::1 6",
                                              "failed ::1 ECONNREFUSED", "attempt 127.0.0.1 4",
                                              "failed 127.0.0.1 ECONNREFUSED", "error ECONNREFUSED",
                                              "close(true)"}));
  EXPECT_EQ(got.code, "ECONNREFUSED");
  EXPECT_EQ(got.syscall, "connect");
  EXPECT_LT(got.errnum, 0);
  EXPECT_EQ(got.message, "connect ECONNREFUSED " + at("::1", port) + ", connect ECONNREFUSED " +
                             at("127.0.0.1", port));
  ASSERT_EQ(got.errors.size(), 2u);
  EXPECT_EQ(got.errors[0].address, "::1");
  EXPECT_EQ(got.errors[0].port, port);
  EXPECT_EQ(got.errors[0].message, "connect ECONNREFUSED " + at("::1", port));
  EXPECT_EQ(got.errors[1].address, "127.0.0.1");
  EXPECT_EQ(got.errors[1].code, "ECONNREFUSED");
  EXPECT_EQ(c->autoSelectFamilyAttemptedAddresses(),
            (std::vector<std::string>{at("::1", port), at("127.0.0.1", port)}));
}

// The first address never answers: after the attempt timeout its descriptor is closed and the
// next address is tried. The socket's own `timeout` is not involved.
TEST(NetConnectAttempts, AnAttemptThatHangsIsGivenUpAfterTheAttemptTimeout) {
  EVNODE_WATCHDOG(20);
  if (!haveIPv6Loopback()) GTEST_SKIP() << "no IPv6 loopback";
  EXPECT_EQ(net::getDefaultAutoSelectFamilyAttemptTimeout(), 250u);
  std::unique_ptr<OneFamilyServer> srv;
  std::unique_ptr<HangingListener> hang;
  for (int i = 0; i < 20 && !hang; ++i) {
    srv = std::make_unique<OneFamilyServer>(6);
    if (srv->port < 0) continue;
    srv->refuser.reset();  // 127.0.0.1:port is the hanging listener's instead
    hang = std::make_unique<HangingListener>(srv->port);
    if (!hang->ok()) {
      hang.reset();
      srv->server->close();
    }
  }
  ASSERT_TRUE(hang);
  FakeLookup fake{{{"127.0.0.1", 4}, {"::1", 6}}};
  net::ConnectOptions o;
  o.host = "slow.test";
  o.port = srv->port;
  o.lookup = fake.hook();
  o.timeout = 10000;
  std::vector<std::string> events;
  Clock::time_point attempted{}, timedOut{};
  std::shared_ptr<Socket> c;
  c = net::connect(o, [&] {
    c->destroy();
    srv->server->close();
  });
  record(c, events);
  c->on(Socket::Events::connectionAttempt, [&](const std::string& ip, int, int) {
    if (ip == "127.0.0.1") attempted = Clock::now();
  });
  c->on(Socket::Events::connectionAttemptTimeout,
        [&](const std::string&, int, int) { timedOut = Clock::now(); });
  run();
  EXPECT_EQ(events, (std::vector<std::string>{"lookup 127.0.0.1", "lookup ::1",
                                              "attempt 127.0.0.1 4", "timeout 127.0.0.1",
                                              "attempt ::1 6", "connect", "close(false)"}));
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(timedOut - attempted);
  EXPECT_GE(waited.count(), 200);
  EXPECT_LT(waited.count(), 5000);
  EXPECT_EQ(c->timeout(), 10000u);
  EXPECT_EQ(c->autoSelectFamilyAttemptedAddresses(),
            (std::vector<std::string>{at("127.0.0.1", srv->port), at("::1", srv->port)}));
}

TEST(NetConnectAttempts, TimedOutAttemptsReportETIMEDOUTWhenTheLastFails) {
  EVNODE_WATCHDOG(20);
  if (!haveIPv6Loopback()) GTEST_SKIP() << "no IPv6 loopback";
  // 127.0.0.1 hangs, ::1 refuses.
  int port = -1;
  std::unique_ptr<HangingListener> hang;
  std::unique_ptr<Fd> six;
  for (int i = 0; i < 20 && port < 0; ++i) {
    int p = et::freePort();
    six = std::make_unique<Fd>(bindLoopback(6, p));
    hang = std::make_unique<HangingListener>(p);
    if (six->fd >= 0 && hang->ok()) port = p;
  }
  ASSERT_GT(port, 0);
  FakeLookup fake{{{"127.0.0.1", 4}, {"::1", 6}}};
  net::ConnectOptions o;
  o.host = "slow.test";
  o.port = port;
  o.lookup = fake.hook();
  o.autoSelectFamilyAttemptTimeout = 1;  // counts as 10 ms
  std::vector<std::string> events;
  Error got;
  auto c = net::connect(o);
  record(c, events);
  c->on(Socket::Events::error, [&](const Error& e) { got = e; });
  run();
  EXPECT_EQ(events,
            (std::vector<std::string>{
                "lookup 127.0.0.1", "lookup ::1", "attempt 127.0.0.1 4", "timeout 127.0.0.1",
                "attempt ::1 6", "failed ::1 ECONNREFUSED", "error ETIMEDOUT", "close(true)"}));
  ASSERT_EQ(got.errors.size(), 2u);
  EXPECT_EQ(got.errors[0].message, "connect ETIMEDOUT " + at("127.0.0.1", port));
  EXPECT_EQ(got.errors[1].code, "ECONNREFUSED");
}

// Destroyed while an attempt hangs: its descriptor is closed, the attempt timer never fires,
// nothing else is emitted but `close`.
TEST(NetConnectAttempts, DestroyWhileAnAttemptHangsClosesItsDescriptorAndTimer) {
  EVNODE_WATCHDOG(20);
  if (!haveIPv6Loopback()) GTEST_SKIP() << "no IPv6 loopback";
  int port = -1;
  std::unique_ptr<HangingListener> hang;
  std::unique_ptr<Fd> six;
  for (int i = 0; i < 20 && port < 0; ++i) {
    int p = et::freePort();
    six = std::make_unique<Fd>(bindLoopback(6, p));
    hang = std::make_unique<HangingListener>(p);
    if (six->fd >= 0 && hang->ok()) port = p;
  }
  ASSERT_GT(port, 0);
  openPoller();
  const int before = openDescriptors();
  FakeLookup fake{{{"127.0.0.1", 4}, {"::1", 6}}};
  net::ConnectOptions o;
  o.host = "slow.test";
  o.port = port;
  o.lookup = fake.hook();
  o.autoSelectFamilyAttemptTimeout = 100;
  std::vector<std::string> events;
  auto c = net::connect(o);
  record(c, events);
  int during = -1;
  c->on(Socket::Events::connectionAttempt, [&](const std::string&, int, int) {
    setTimeout(
        [&] {
          during = openDescriptors();
          c->destroy();
        },
        20);
  });
  // Past the attempt timeout: a timer left running would have tried ::1 by now.
  setTimeout([] {}, 300);
  run();
  EXPECT_EQ(events, (std::vector<std::string>{"lookup 127.0.0.1", "lookup ::1",
                                              "attempt 127.0.0.1 4", "close(false)"}));
  EXPECT_EQ(during, before + 1);
  EXPECT_EQ(openDescriptors(), before);
  EXPECT_EQ(c->autoSelectFamilyAttemptedAddresses(),
            (std::vector<std::string>{at("127.0.0.1", port)}));
}

// Destroyed, and let go, by a listener of a failed attempt: no further attempt.
TEST(NetConnectAttempts, DestroyFromAFailedAttemptsListenerStopsTheAttempts) {
  EVNODE_WATCHDOG(20);
  if (!haveIPv6Loopback()) GTEST_SKIP() << "no IPv6 loopback";
  openPoller();
  OneFamilyServer srv(4);
  ASSERT_GT(srv.port, 0);
  const int before = openDescriptors();
  FakeLookup fake{{{"::1", 6}, {"127.0.0.1", 4}}};
  net::ConnectOptions o;
  o.host = "localhost";
  o.port = srv.port;
  o.lookup = fake.hook();
  std::vector<std::string> events;
  auto c = net::connect(o);
  record(c, events);
  c->on(Socket::Events::connectionAttemptFailed, [&](const std::string&, int, int, const Error&) {
    c->destroy();
    c.reset();  // the socket's last reference but its own
  });
  int after = -1;
  setTimeout(
      [&] {
        after = openDescriptors();
        srv.server->close();
      },
      100);
  run();
  EXPECT_EQ(events, (std::vector<std::string>{"lookup ::1", "lookup 127.0.0.1", "attempt ::1 6",
                                              "failed ::1 ECONNREFUSED", "close(false)"}));
  EXPECT_EQ(after, before);
}

// Destroyed before the lookup answers: no attempt at all.
TEST(NetConnectAttempts, DestroyBeforeTheLookupAnswersOpensNothing) {
  EVNODE_WATCHDOG(10);
  openPoller();  // the loop's own descriptors exist before counting (each test is a process)
  const int before = openDescriptors();
  FakeLookup fake{{{"::1", 6}, {"127.0.0.1", 4}}};
  net::ConnectOptions o;
  o.host = "localhost";
  o.port = 9;
  o.lookup = fake.hook();
  std::vector<std::string> events;
  auto c = net::connect(o);
  record(c, events);
  c->destroy();
  run();
  EXPECT_EQ(events, (std::vector<std::string>{"close(false)"}));
  EXPECT_EQ(openDescriptors(), before);
}

// autoSelectFamily: false is the connect of before: the first address only.
TEST(NetConnectAttempts, WithoutAutoSelectFamilyOnlyTheFirstAddressIsTried) {
  EVNODE_WATCHDOG(20);
  if (!haveIPv6Loopback()) GTEST_SKIP() << "no IPv6 loopback";
  OneFamilyServer srv(4);
  ASSERT_GT(srv.port, 0);
  FakeLookup fake{{{"::1", 6}, {"127.0.0.1", 4}}};
  net::ConnectOptions o;
  o.host = "localhost";
  o.port = srv.port;
  o.lookup = fake.hook();
  o.autoSelectFamily = false;
  std::vector<std::string> events;
  Error got;
  auto c = net::connect(o);
  record(c, events);
  c->on(Socket::Events::error, [&](const Error& e) {
    got = e;
    srv.server->close();
  });
  run();
  EXPECT_FALSE(fake.asked.all);
  EXPECT_EQ(events, (std::vector<std::string>{"lookup ::1", "error ECONNREFUSED", "close(true)"}));
  EXPECT_EQ(got.message, "connect ECONNREFUSED " + at("::1", srv.port));
  EXPECT_TRUE(got.errors.empty());
  EXPECT_TRUE(c->autoSelectFamilyAttemptedAddresses().empty());
}

// The module default turns it off too; a family or a local address asked for means one address.
TEST(NetConnectAttempts, DefaultFamilyAndLocalAddressKeepASingleAddress) {
  EVNODE_WATCHDOG(20);
  auto server = endingServer();
  server->listen(0, "127.0.0.1");
  const int port = server->address().port;
  int connects = 0, attempts = 0;
  std::vector<std::shared_ptr<Socket>> sockets;
  auto start = [&](net::ConnectOptions o, FakeLookup& fake) {
    o.host = "single.test";
    o.port = port;
    o.lookup = fake.hook();
    auto c = net::connect(o, [&] {
      if (++connects == 4) server->close();
    });
    c->on(Socket::Events::connectionAttempt, [&](const std::string&, int, int) { ++attempts; });
    c->on(Socket::Events::error, [](const Error& e) { ADD_FAILURE() << e.message; });
    sockets.push_back(c);
  };
  FakeLookup byFamily{{{"127.0.0.1", 4}, {"127.0.0.2", 4}}};
  net::ConnectOptions family4;
  family4.family = 4;
  start(family4, byFamily);
  FakeLookup byLocal{{{"127.0.0.1", 4}, {"::1", 6}}};
  net::ConnectOptions fromLocal;
  fromLocal.localAddress = "127.0.0.1";
  start(fromLocal, byLocal);
  ASSERT_TRUE(net::getDefaultAutoSelectFamily());
  net::setDefaultAutoSelectFamily(false);
  FakeLookup byDefault{{{"127.0.0.1", 4}, {"::1", 6}}};
  start({}, byDefault);
  // The option wins over the default.
  FakeLookup forced{{{"127.0.0.1", 4}, {"::1", 6}}};
  net::ConnectOptions on;
  on.autoSelectFamily = true;
  start(on, forced);
  net::setDefaultAutoSelectFamily(true);
  run();
  EXPECT_EQ(connects, 4);
  EXPECT_FALSE(byFamily.asked.all);
  EXPECT_EQ(byFamily.asked.family, 4);
  EXPECT_FALSE(byLocal.asked.all);
  EXPECT_FALSE(byDefault.asked.all);
  EXPECT_TRUE(forced.asked.all);
  EXPECT_EQ(attempts, 1);  // the forced one's first address, which connected
}

// One usable address (the rest repeats or is not an IP) connects as to a single address.
TEST(NetConnectAttempts, OneUsableAddressMakesNoAttempts) {
  EVNODE_WATCHDOG(10);
  auto server = endingServer();
  server->listen(0, "127.0.0.1");
  FakeLookup fake{{{"127.0.0.1", 4}, {"127.0.0.1", 4}, {"not-an-ip", 6}}};
  net::ConnectOptions o;
  o.host = "once.test";
  o.port = server->address().port;
  o.lookup = fake.hook();
  std::vector<std::string> events;
  std::shared_ptr<Socket> c;
  c = net::connect(o, [&] {
    c->destroy();
    server->close();
  });
  record(c, events);
  run();
  EXPECT_EQ(events, (std::vector<std::string>{"lookup 127.0.0.1", "lookup 127.0.0.1",
                                              "lookup not-an-ip", "connect", "close(false)"}));
  EXPECT_TRUE(c->autoSelectFamilyAttemptedAddresses().empty());
}

TEST(NetConnectAttempts, NoUsableAddressIsERR_INVALID_IP_ADDRESS) {
  EVNODE_WATCHDOG(10);
  for (bool all : {true, false}) {
    FakeLookup fake{{{"not-an-ip", 4}}};
    net::ConnectOptions o;
    o.host = "bad.test";
    o.port = 9;
    o.lookup = fake.hook();
    o.autoSelectFamily = all;
    Error got;
    auto c = net::connect(o);
    c->on(Socket::Events::error, [&](const Error& e) { got = e; });
    run();
    EXPECT_EQ(got.code, "ERR_INVALID_IP_ADDRESS");
    EXPECT_EQ(got.message, "Invalid IP address: not-an-ip");
  }
}

// An IP literal is connected to as ever: no lookup, no attempts.
TEST(NetConnectAttempts, AnIPLiteralIsNotLookedUp) {
  EVNODE_WATCHDOG(10);
  auto server = endingServer();
  server->listen(0, "127.0.0.1");
  FakeLookup fake{{{"::1", 6}}};
  net::ConnectOptions o;
  o.host = "127.0.0.1";
  o.port = server->address().port;
  o.lookup = fake.hook();
  std::vector<std::string> events;
  std::shared_ptr<Socket> c;
  c = net::connect(o, [&] {
    c->destroy();
    server->close();
  });
  record(c, events);
  run();
  EXPECT_EQ(fake.calls, 0);
  EXPECT_EQ(events, (std::vector<std::string>{"connect", "close(false)"}));
}

// The real resolver: whatever order /etc/hosts gives localhost, a server on 127.0.0.1 is
// reached (::1 at the same port, if there is one, refuses).
TEST(NetConnectAttempts, LocalhostReachesAServerOnIPv4Only) {
  EVNODE_WATCHDOG(20);
  // Where there is no IPv6 loopback, no one else can be on ::1 either.
  auto srv = std::make_unique<OneFamilyServer>(4);
  if (srv->port < 0) {
    srv->server = net::createServer([](const std::shared_ptr<Socket>& s) { s->end("hi"); });
    srv->server->listen(0, "127.0.0.1");
    srv->port = srv->server->address().port;
  }
  std::string data;
  auto c = net::connect(srv->port, "localhost");
  c->on(Socket::Events::data, [&](const Buffer& b) { data += b.toString(); });
  c->on(Socket::Events::error, [](const Error& e) { ADD_FAILURE() << e.message; });
  c->on(Socket::Events::close, [&] { srv->server->close(); });
  run();
  EXPECT_EQ(data, "hi");
}

TEST(NetConnectAttempts, DefaultsAndTheirBounds) {
  EXPECT_TRUE(net::getDefaultAutoSelectFamily());
  EXPECT_EQ(net::getDefaultAutoSelectFamilyAttemptTimeout(), 250u);
  net::setDefaultAutoSelectFamilyAttemptTimeout(5);
  EXPECT_EQ(net::getDefaultAutoSelectFamilyAttemptTimeout(), 10u);
  net::setDefaultAutoSelectFamilyAttemptTimeout(1000);
  EXPECT_EQ(net::getDefaultAutoSelectFamilyAttemptTimeout(), 1000u);
  for (std::uint64_t bad : {std::uint64_t{0}, std::uint64_t{0x80000000}}) {
    try {
      net::setDefaultAutoSelectFamilyAttemptTimeout(bad);
      ADD_FAILURE() << "no exception for " << bad;
    } catch (const Exception& e) {
      EXPECT_EQ(e.code(), "ERR_OUT_OF_RANGE");
    }
  }
  EXPECT_EQ(net::getDefaultAutoSelectFamilyAttemptTimeout(), 1000u);
  net::setDefaultAutoSelectFamilyAttemptTimeout(250);
  net::ConnectOptions o;
  o.host = "x.test";
  o.port = 1;
  o.autoSelectFamilyAttemptTimeout = 0x80000000;
  try {
    net::connect(o);
    ADD_FAILURE() << "no exception";
  } catch (const Exception& e) {
    EXPECT_EQ(e.code(), "ERR_OUT_OF_RANGE");
  }
  run();
}

}  // namespace
