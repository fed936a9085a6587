// The poller's failures reach the socket: an epoll_ctl the kernel refuses (injected here, as
// ENOMEM or ENOSPC would come under memory pressure or the user's watch limit) fails that
// socket with the error on its `error` event, instead of leaving it to wait forever for
// readiness that will never be reported. The rest of the loop goes on.
#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/net.h"
#include "net/poller.h"
#include "support/testing.h"

namespace {

using namespace evnode;
using net::Server;
using net::Socket;

// A connect's first registration (writability, to learn the connect's outcome) fails.
TEST(NetPoller, AFailedRegistrationFailsTheConnectingSocket) {
  EVNODE_WATCHDOG(20);
  auto server = net::createServer([](const std::shared_ptr<Socket>& s) { s->destroy(); });
  server->listen(0, "127.0.0.1");
  Error got;
  bool closed = false, connected = false;
  net::internal::failNextEpollCtl(-ENOMEM);
  auto c = net::connect(server->address().port, "127.0.0.1", [&] { connected = true; });
  c->on(Socket::Events::error, [&](const Error& e) { got = e; });
  c->on(Socket::Events::close, [&](bool hadError) {
    closed = hadError;
    server->close();
  });
  run();
  EXPECT_FALSE(connected);
  EXPECT_TRUE(closed);
  EXPECT_EQ(got.code, "ENOMEM");
  EXPECT_EQ(got.syscall, "epoll_ctl");
}

// A connection in use: its write cannot complete at once and needs writability, whose
// registration fails. The error ends it; the server's other connections are untouched.
TEST(NetPoller, AFailedChangeFailsAConnectionInUseAndOnlyIt) {
  EVNODE_WATCHDOG(20);
  std::vector<std::shared_ptr<Socket>> accepted;
  std::string echoed;
  std::shared_ptr<Server> server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    accepted.push_back(s);
    if (accepted.size() == 1) {
      s->pause();  // never reads: the client's big write stays queued
    } else {
      s->pipe(s);  // an echo for the second client
    }
    s->on(Socket::Events::error, [](const Error&) {});
  });
  server->listen(0, "127.0.0.1");
  const int port = server->address().port;
  Error got;
  std::shared_ptr<Socket> first, second;
  first = net::connect(port, "127.0.0.1", [&] {
    net::internal::failNextEpollCtl(-ENOSPC);
    first->write(Buffer::alloc(32u << 20, 'x'));  // more than the socket buffers take
  });
  first->on(Socket::Events::error, [&](const Error& e) {
    got = e;
    second = net::connect(port, "127.0.0.1", [&] { second->end("still served"); });
    second->on(Socket::Events::data, [&](const Buffer& b) { echoed += b.toString(); });
    second->on(Socket::Events::close, [&](bool) {
      for (auto& a : accepted) a->destroy();
      server->close();
    });
  });
  run();
  EXPECT_EQ(got.code, "ENOSPC");
  EXPECT_EQ(got.syscall, "epoll_ctl");
  EXPECT_TRUE(first->destroyed());
  EXPECT_EQ(echoed, "still served");
}

}  // namespace
