// net::Server: listen errors, graceful close, maxConnections and `drop`, getConnections,
// pauseOnConnect, and a thousand concurrent clients in one loop.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

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

int listenLocal(const std::shared_ptr<Server>& server) {
  server->listen(0, "127.0.0.1");
  return server->address().port;
}

TEST(NetServer, ListeningEventAndAddress) {
  EVNODE_WATCHDOG(10);
  std::shared_ptr<Server> server;
  server = net::createServer();
  std::vector<std::string> events;
  server->on(Server::Events::listening, [&] { events.push_back("listening"); });
  server->listen(0, "127.0.0.1", [&] {
    events.push_back("cb");
    EXPECT_TRUE(server->listening());
    server->close([&](const Error& e) {
      EXPECT_FALSE(e);
      events.push_back("closed");
    });
  });
  EXPECT_TRUE(events.empty());  // listening is emitted asynchronously
  net::AddressInfo a = server->address();
  EXPECT_EQ(a.address, "127.0.0.1");
  EXPECT_EQ(a.family, "IPv4");
  EXPECT_GT(a.port, 0);
  run();
  EXPECT_EQ(events, (std::vector<std::string>{"listening", "cb", "closed"}));
  EXPECT_FALSE(server->listening());
}

TEST(NetServer, ListenOnABusyPortIsEADDRINUSE) {
  EVNODE_WATCHDOG(10);
  auto first = net::createServer();
  int port = listenLocal(first);
  auto second = net::createServer();
  Error got;
  bool listening = false;
  second->on(Server::Events::error, [&](const Error& e) {
    got = e;
    first->close();
  });
  second->listen(port, "127.0.0.1", [&] { listening = true; });
  run();
  EXPECT_FALSE(listening);
  EXPECT_FALSE(second->listening());
  EXPECT_EQ(got.code, "EADDRINUSE");
  EXPECT_EQ(got.syscall, "listen");
  EXPECT_EQ(got.message, "listen EADDRINUSE 127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(got.address, "127.0.0.1");
  EXPECT_EQ(got.port, port);
}

TEST(NetServer, ListenTwiceThrows) {
  EVNODE_WATCHDOG(10);
  std::shared_ptr<Server> server;
  server = net::createServer();
  listenLocal(server);
  try {
    server->listen(0, "127.0.0.1");
    ADD_FAILURE() << "no exception";
  } catch (const Exception& e) {
    EXPECT_EQ(e.code(), "ERR_SERVER_ALREADY_LISTEN");
  }
  server->close();
  run();
}

TEST(NetServer, ListenOnAnExistingUnixPathIsEADDRINUSE) {
  EVNODE_WATCHDOG(10);
  et::TempDir dir;
  const std::string path = dir.file("s.sock");
  auto first = net::createServer();
  first->listen(path);
  auto second = net::createServer();
  Error got;
  second->on(Server::Events::error, [&](const Error& e) {
    got = e;
    first->close();
  });
  second->listen(path);
  run();
  EXPECT_EQ(got.code, "EADDRINUSE");
  EXPECT_EQ(got.message, "listen EADDRINUSE " + path);
}

TEST(NetServer, CloseWhenNotListeningReportsErrServerNotRunning) {
  EVNODE_WATCHDOG(10);
  std::shared_ptr<Server> server;
  server = net::createServer();
  Error got;
  bool closeEvent = false;
  server->on(Server::Events::close, [&] { closeEvent = true; });
  server->close([&](const Error& e) { got = e; });
  run();
  EXPECT_EQ(got.code, "ERR_SERVER_NOT_RUNNING");
  EXPECT_TRUE(closeEvent);
}

// Node's rule: close() stops accepting at once, but `close` waits for the last connection.
TEST(NetServer, CloseWaitsForOpenConnections) {
  EVNODE_WATCHDOG(10);
  std::vector<std::string> log;
  std::vector<std::shared_ptr<Socket>> serverSide;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    serverSide.push_back(s);
    s->on(Socket::Events::data, [](const Buffer&) {});
    s->on(Socket::Events::close, [&] { log.push_back("connection closed"); });
  });
  server->on(Server::Events::close, [&] {
    log.push_back("server close");
    // As in Node, the last connection's own `close` comes a moment later, but it is gone.
    for (auto& s : serverSide) EXPECT_TRUE(s->destroyed());
  });
  int port = listenLocal(server);
  std::vector<std::shared_ptr<Socket>> clients;
  int connected = 0;
  for (int i = 0; i < 2; ++i) {
    clients.push_back(net::connect(port, "127.0.0.1", [&] {
      if (++connected < 2) return;
      // Both are accepted once the server has seen them; close then.
      setTimeout(
          [&] {
            ASSERT_EQ(serverSide.size(), 2u);
            server->close([&](const Error& e) {
              EXPECT_FALSE(e);
              log.push_back("close cb");
            });
            log.push_back("close called");
            // A new connection is refused now...
            auto late = net::connect(port, "127.0.0.1");
            late->on(Socket::Events::error, [&](const Error& e) {
              log.push_back("late: " + e.code);
              // ...while the open ones still work; end them one after the other.
              setTimeout([&] { clients[0]->end(); }, 30);
              setTimeout([&] { clients[1]->end(); }, 80);
            });
          },
          20);
    }));
    clients.back()->on(Socket::Events::data, [](const Buffer&) {});
  }
  run();
  EXPECT_EQ(log,
            (std::vector<std::string>{"close called", "late: ECONNREFUSED", "connection closed",
                                      "server close", "close cb", "connection closed"}));
}

TEST(NetServer, MaxConnectionsDropsTheExtraOnes) {
  EVNODE_WATCHDOG(10);
  int accepted = 0;
  std::vector<net::DropInfo> drops;
  std::vector<std::shared_ptr<Socket>> clients;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    ++accepted;
    s->on(Socket::Events::data, [](const Buffer&) {});
  });
  server->maxConnections = 2;
  int port = listenLocal(server);
  int closedClients = 0;
  std::vector<int> localPorts;
  server->on(Server::Events::drop, [&](const net::DropInfo& d) {
    drops.push_back(d);
    // The dropped client is told by the connection closing; end the two others.
    setTimeout(
        [&] {
          for (auto& c : clients) {
            if (!c->destroyed()) c->end();
          }
        },
        50);
  });
  for (int i = 0; i < 3; ++i) {
    std::shared_ptr<Socket> c;
    c = net::connect(port, "127.0.0.1");
    c->on(Socket::Events::data, [](const Buffer&) {});
    c->on(Socket::Events::error, [](const Error&) {});  // the dropped one may see a reset
    c->on(Socket::Events::close, [&] {
      if (++closedClients == 3) server->close();
    });
    c->on(Socket::Events::connect, [&, raw = c.get()] { localPorts.push_back(raw->localPort()); });
    clients.push_back(c);
    // One after the other, so the third is the one dropped.
    while (c->connecting()) Loop::current().runOnce();
  }
  run();
  EXPECT_EQ(accepted, 2);
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0].localAddress, "127.0.0.1");
  EXPECT_EQ(drops[0].localPort, port);
  EXPECT_EQ(drops[0].remoteAddress, "127.0.0.1");
  EXPECT_EQ(drops[0].remoteFamily, "IPv4");
  ASSERT_EQ(localPorts.size(), 3u);
  EXPECT_EQ(drops[0].remotePort, localPorts[2]);
}

TEST(NetServer, GetConnectionsCountsOpenConnections) {
  EVNODE_WATCHDOG(10);
  std::vector<std::size_t> counts;
  std::vector<std::shared_ptr<Socket>> clients;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->on(Socket::Events::data, [](const Buffer&) {});
    server->getConnections([&](const Error& e, std::size_t n) {
      EXPECT_FALSE(e);
      counts.push_back(n);
      if (n == 3) {
        clients[0]->destroy();
        setTimeout(
            [&] {
              server->getConnections([&](const Error&, std::size_t m) {
                counts.push_back(m);
                EXPECT_EQ(server->connections(), m);
                for (auto& c : clients) c->destroy();
                server->close();
              });
            },
            50);
      }
    });
  });
  int port = listenLocal(server);
  for (int i = 0; i < 3; ++i) {
    clients.push_back(net::connect(port, "127.0.0.1"));
    clients.back()->on(Socket::Events::data, [](const Buffer&) {});
  }
  run();
  EXPECT_EQ(counts, (std::vector<std::size_t>{1, 2, 3, 2}));
}

TEST(NetServer, PauseOnConnectHoldsDataUntilResume) {
  EVNODE_WATCHDOG(10);
  net::ServerOptions so;
  so.pauseOnConnect = true;
  std::string got;
  bool dataBeforeResume = false;
  bool resumed = false;
  std::shared_ptr<Server> server;
  server = net::createServer(so, [&](const std::shared_ptr<Socket>& s) {
    EXPECT_TRUE(s->isPaused());
    Socket* raw = s.get();
    s->on(Socket::Events::data, [&](const Buffer& b) {
      if (!resumed) dataBeforeResume = true;
      got += b.toString();
    });
    s->on(Socket::Events::close, [&] { server->close(); });
    setTimeout(
        [&, raw] {
          resumed = true;
          raw->resume();
        },
        100);
  });
  int port = listenLocal(server);
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1", [&] { c->end("waited"); });
  run();
  EXPECT_FALSE(dataBeforeResume);
  EXPECT_EQ(got, "waited");
}

TEST(NetServer, AThousandConcurrentClientsEachGetTheirOwnEcho) {
  EVNODE_WATCHDOG(120);
  constexpr int kClients = 1000;
  // Each connection takes two descriptors here (both ends live in this process).
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 2 * kClients + 64) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur < 2 * kClients + 64) GTEST_SKIP() << "RLIMIT_NOFILE too low: " << rl.rlim_cur;

  int peak = 0, open = 0;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    peak = std::max(peak, ++open);
    s->pipe(s);
    s->on(Socket::Events::close, [&] { --open; });
  });
  server->listen(0, "127.0.0.1", 4096);
  int port = server->address().port;

  int ok = 0, failed = 0, closed = 0;
  std::vector<std::string> errors;
  for (int i = 0; i < kClients; ++i) {
    // A unique payload per client: its number, then random bytes seeded by it.
    auto payload = std::make_shared<std::string>("client " + std::to_string(i) + ":" +
                                                 et::randomBytes(1000 + i, i));
    auto got = std::make_shared<std::string>();
    std::shared_ptr<Socket> c;
    c = net::connect(port, "127.0.0.1");
    Socket* raw = c.get();
    c->on(Socket::Events::connect, [raw, payload] { raw->end(*payload); });
    c->on(Socket::Events::data, [got](const Buffer& b) { got->append(b.view()); });
    c->on(Socket::Events::end, [&, got, payload] {
      if (*got == *payload) {
        ++ok;
      } else {
        ++failed;
      }
    });
    c->on(Socket::Events::error, [&](const Error& e) { errors.push_back(e.message); });
    c->on(Socket::Events::close, [&] {
      if (++closed == kClients) server->close();
    });
  }
  run();
  EXPECT_EQ(ok, kClients);
  EXPECT_EQ(failed, 0);
  EXPECT_TRUE(errors.empty()) << errors.size() << " errors, first: " << errors[0];
  EXPECT_EQ(open, 0);
  EXPECT_GT(peak, 1);
}

// The TCP_NODELAY of the kernel socket accepted for the connection from local port `peerPort`
// to `port` (found among this process's descriptors: the test holds both ends); -1 if none.
int acceptedNoDelay(int port, int peerPort) {
  for (int fd = 3; fd < 4096; ++fd) {
    sockaddr_in local{}, peer{};
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;
    if (local.sin_family != AF_INET || ntohs(local.sin_port) != port ||
        ntohs(peer.sin_port) != peerPort) {
      continue;
    }
    int on = -1;
    socklen_t len = sizeof on;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) != 0) return -1;
    return on;
  }
  return -1;
}

// noDelay applies to every accepted connection (on Linux set once, on the listening socket,
// which accepted sockets inherit), and only with the option.
TEST(NetServer, NoDelayOptionReachesEveryAcceptedSocket) {
  EVNODE_WATCHDOG(30);
  for (bool noDelay : {true, false}) {
    net::ServerOptions o;
    o.noDelay = noDelay;
    std::vector<int> seen;
    std::shared_ptr<Server> server;
    std::vector<std::shared_ptr<Socket>> clients;
    server = net::createServer(o, [&](const std::shared_ptr<Socket>& s) {
      seen.push_back(acceptedNoDelay(server->address().port, s->remotePort()));
      s->destroy();
      if (seen.size() == 3) server->close();
    });
    server->listen(0, "127.0.0.1");
    for (int i = 0; i < 3; ++i) {
      clients.push_back(net::connect(server->address().port, "127.0.0.1"));
      clients.back()->on(Socket::Events::error, [](const Error&) {});
    }
    run();
    EXPECT_EQ(seen, std::vector<int>(3, noDelay ? 1 : 0)) << "noDelay " << noDelay;
  }
}

}  // namespace
