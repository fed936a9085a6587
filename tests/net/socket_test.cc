// net::Socket against real sockets on loopback: connect errors, half-close in both directions,
// reset peers, timeouts, the address/byte-count properties, batched writes, encodings.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
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

// Listens on 127.0.0.1 with an ephemeral port; the bind is synchronous for an IP literal.
int listenLocal(const std::shared_ptr<Server>& server) {
  server->listen(0, "127.0.0.1");
  return server->address().port;
}

TEST(NetSocket, ConnectRefusedEmitsErrorThenCloseWithHadError) {
  EVNODE_WATCHDOG(10);
  int port = et::freePort();
  ASSERT_GT(port, 0);
  std::vector<std::string> events;
  Error got;
  bool hadError = false;
  auto s = net::connect(port, "127.0.0.1");
  s->on(Socket::Events::connect, [&] { events.push_back("connect"); });
  s->on(Socket::Events::error, [&](const Error& e) {
    events.push_back("error");
    got = e;
  });
  s->on(Socket::Events::close, [&](bool h) {
    events.push_back("close");
    hadError = h;
  });
  run();
  EXPECT_EQ(events, (std::vector<std::string>{"error", "close"}));
  EXPECT_EQ(got.code, "ECONNREFUSED");
  EXPECT_EQ(got.syscall, "connect");
  EXPECT_EQ(got.message, "connect ECONNREFUSED 127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(got.address, "127.0.0.1");
  EXPECT_EQ(got.port, port);
  EXPECT_LT(got.errnum, 0);
  EXPECT_TRUE(hadError);
  EXPECT_TRUE(s->destroyed());
  EXPECT_EQ(s->readyState(), "closed");
}

TEST(NetSocket, ConnectByHostNameEmitsLookupFirst) {
  EVNODE_WATCHDOG(10);
  std::shared_ptr<Server> server;
  server = net::createServer([](const std::shared_ptr<Socket>& s) { s->end("hi"); });
  int port = listenLocal(server);
  std::vector<std::string> events;
  std::string lookedUp;
  int family = 0;
  std::string data;
  net::ConnectOptions o;
  o.port = port;
  o.host = "localhost";
  o.family = 4;  // the server listens on 127.0.0.1 only
  std::shared_ptr<Socket> c;
  c = net::connect(o);
  c->on(Socket::Events::lookup,
        [&](const Error& err, const std::string& address, int fam, const std::string& host) {
          EXPECT_FALSE(err);
          EXPECT_EQ(host, "localhost");
          lookedUp = address;
          family = fam;
          events.push_back("lookup");
        });
  c->on(Socket::Events::connect, [&] { events.push_back("connect"); });
  c->on(Socket::Events::ready, [&] { events.push_back("ready"); });
  c->on(Socket::Events::data, [&](const Buffer& b) { data += b.toString(); });
  c->on(Socket::Events::close, [&] { server->close(); });
  run();
  EXPECT_EQ(events, (std::vector<std::string>{"lookup", "connect", "ready"}));
  EXPECT_EQ(lookedUp, "127.0.0.1");
  EXPECT_EQ(family, 4);
  EXPECT_EQ(data, "hi");
}

TEST(NetSocket, UnknownHostIsENOTFOUND) {
  EVNODE_WATCHDOG(30);
  Error got;
  bool hadError = false;
  std::shared_ptr<Socket> c;
  c = net::connect(80, "no-such-host.invalid");
  c->on(Socket::Events::error, [&](const Error& e) { got = e; });
  c->on(Socket::Events::close, [&](bool h) { hadError = h; });
  run();
  // Offline machines may answer EAI_AGAIN instead; both are lookup failures.
  EXPECT_TRUE(got.code == "ENOTFOUND" || got.code == "EAI_AGAIN") << got.code;
  EXPECT_EQ(got.syscall, "getaddrinfo");
  EXPECT_NE(got.message.find("no-such-host.invalid"), std::string::npos) << got.message;
  EXPECT_TRUE(hadError);
}

TEST(NetSocket, BadPortThrowsAtTheCall) {
  try {
    net::connect(70000, "127.0.0.1");
    FAIL() << "no exception";
  } catch (const Exception& e) {
    EXPECT_EQ(e.code(), "ERR_SOCKET_BAD_PORT");
  }
  run();
}

// allowHalfOpen=false (the default) on the server: the client's FIN ends the server's side
// once the server's pending writes are out.
TEST(NetSocket, ServerWithoutHalfOpenEndsAfterClientFin) {
  EVNODE_WATCHDOG(10);
  std::vector<std::string> serverEvents;
  std::string serverGot;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->on(Socket::Events::data, [&, raw = s.get()](const Buffer& b) {
      serverGot += b.toString();
      raw->write("reply:" + b.toString());
    });
    s->on(Socket::Events::end, [&] { serverEvents.push_back("end"); });
    s->on(Socket::Events::finish, [&] { serverEvents.push_back("finish"); });
    s->on(Socket::Events::close, [&](bool h) {
      serverEvents.push_back(h ? "close(error)" : "close");
      server->close();
    });
  });
  int port = listenLocal(server);
  net::ConnectOptions o;
  o.port = port;
  o.host = "127.0.0.1";
  o.allowHalfOpen = true;
  std::string clientGot;
  bool clientEnd = false, clientClosed = false;
  std::shared_ptr<Socket> c;
  c = net::connect(o, [&] {
    c->write("hello");
    c->end();
  });
  c->on(Socket::Events::data, [&](const Buffer& b) { clientGot += b.toString(); });
  c->on(Socket::Events::end, [&] { clientEnd = true; });
  c->on(Socket::Events::close, [&](bool h) {
    EXPECT_FALSE(h);
    clientClosed = true;
  });
  run();
  EXPECT_EQ(serverGot, "hello");
  EXPECT_EQ(clientGot, "reply:hello");
  EXPECT_TRUE(clientEnd);
  EXPECT_TRUE(clientClosed);
  EXPECT_EQ(serverEvents, (std::vector<std::string>{"end", "finish", "close"}));
}

// allowHalfOpen=true on the server: after the client's FIN the server may still write, and the
// half-closed client still receives it.
TEST(NetSocket, HalfClosedClientStillReceives) {
  EVNODE_WATCHDOG(10);
  net::ServerOptions so;
  so.allowHalfOpen = true;
  bool writableAfterEnd = false;
  std::shared_ptr<Server> server;
  server = net::createServer(so, [&](const std::shared_ptr<Socket>& s) {
    Socket* raw = s.get();
    s->on(Socket::Events::data, [](const Buffer&) {});
    s->on(Socket::Events::end, [&, raw] {
      writableAfterEnd = raw->writable();
      EXPECT_EQ(raw->readyState(), "writeOnly");
      setTimeout(
          [raw] {
            raw->write("late ");
            raw->end("reply");
          },
          50);
    });
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  int port = listenLocal(server);
  std::string got;
  std::vector<std::string> events;
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1", [&] { c->end("request"); });
  c->on(Socket::Events::finish, [&] {
    events.push_back("finish");
    EXPECT_EQ(c->readyState(), "readOnly");
  });
  c->on(Socket::Events::data, [&](const Buffer& b) { got += b.toString(); });
  c->on(Socket::Events::end, [&] { events.push_back("end"); });
  c->on(Socket::Events::close, [&](bool h) { events.push_back(h ? "close(error)" : "close"); });
  run();
  EXPECT_TRUE(writableAfterEnd);
  EXPECT_EQ(got, "late reply");
  EXPECT_EQ(events, (std::vector<std::string>{"finish", "end", "close"}));
}

// The other direction: the server ends first. A client without allowHalfOpen ends its side by
// itself; one with allowHalfOpen stays writable and the server still reads what it sends.
TEST(NetSocket, ClientWithoutHalfOpenEndsAfterServerFin) {
  EVNODE_WATCHDOG(10);
  bool serverSawEnd = false;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->on(Socket::Events::end, [&] { serverSawEnd = true; });
    s->on(Socket::Events::close, [&] { server->close(); });
    s->end("bye");
  });
  int port = listenLocal(server);
  std::string got;
  bool finished = false;
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1");
  c->on(Socket::Events::data, [&](const Buffer& b) { got += b.toString(); });
  c->on(Socket::Events::finish, [&] { finished = true; });
  run();
  EXPECT_EQ(got, "bye");
  EXPECT_TRUE(finished);  // ended automatically
  EXPECT_TRUE(serverSawEnd);
  EXPECT_TRUE(c->destroyed());
}

TEST(NetSocket, HalfOpenClientWritesAfterServerFin) {
  EVNODE_WATCHDOG(10);
  std::string serverGot;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->on(Socket::Events::data, [&](const Buffer& b) { serverGot += b.toString(); });
    s->on(Socket::Events::close, [&] { server->close(); });
    s->end("bye");
  });
  int port = listenLocal(server);
  net::ConnectOptions o;
  o.port = port;
  o.host = "127.0.0.1";
  o.allowHalfOpen = true;
  std::shared_ptr<Socket> c;
  c = net::connect(o);
  c->on(Socket::Events::data, [](const Buffer&) {});
  c->on(Socket::Events::end, [&] {
    EXPECT_TRUE(c->writable());
    EXPECT_EQ(c->readyState(), "writeOnly");
    c->write("still ");
    c->end("talking");
  });
  run();
  EXPECT_EQ(serverGot, "still talking");
}

TEST(NetSocket, WritesBeforeConnectAreSentOnConnect) {
  EVNODE_WATCHDOG(10);
  std::string got;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->on(Socket::Events::data, [&](const Buffer& b) { got += b.toString(); });
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  int port = listenLocal(server);
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1");
  EXPECT_TRUE(c->connecting());
  EXPECT_TRUE(c->pending());
  EXPECT_EQ(c->readyState(), "opening");
  c->write("early ");
  c->write("bird");
  c->end();
  run();
  EXPECT_EQ(got, "early bird");
  EXPECT_EQ(c->bytesWritten(), 10u);
}

TEST(NetSocket, WritesBeforeARefusedConnectionFailWithTheirCallbacks) {
  EVNODE_WATCHDOG(10);
  int port = et::freePort();
  std::vector<std::string> events;
  auto c = net::connect(port, "127.0.0.1");
  c->write("x", [&](const Error& e) { events.push_back("write cb " + e.code); });
  c->end([&](const Error& e) { events.push_back("end cb " + e.code); });
  c->on(Socket::Events::error, [&](const Error& e) { events.push_back("error " + e.code); });
  c->on(Socket::Events::close, [&](bool h) { events.push_back(h ? "close(true)" : "close"); });
  run();
  // Node 20 gives the same codes; the write's callback runs as the socket is destroyed.
  EXPECT_EQ(events,
            (std::vector<std::string>{"write cb ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
                                      "end cb ECONNREFUSED", "error ECONNREFUSED", "close(true)"}));
}

TEST(NetSocket, DestroyWhileConnectingClosesWithoutError) {
  EVNODE_WATCHDOG(10);
  std::shared_ptr<Server> server;
  server = net::createServer([](const std::shared_ptr<Socket>&) {});
  int port = listenLocal(server);
  int errors = 0, closes = 0, connects = 0;
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1");
  c->on(Socket::Events::connect, [&] { ++connects; });
  c->on(Socket::Events::error, [&](const Error&) { ++errors; });
  c->on(Socket::Events::close, [&](bool h) {
    EXPECT_FALSE(h);
    ++closes;
  });
  c->destroy();
  setTimeout([&] { server->close(); }, 50);
  run();
  EXPECT_EQ(connects, 0);
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(closes, 1);
}

TEST(NetSocket, AddressesByteCountsAndReadyState) {
  EVNODE_WATCHDOG(10);
  std::shared_ptr<Socket> accepted;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    accepted = s;
    EXPECT_EQ(s->readyState(), "open");
    EXPECT_FALSE(s->pending());
    s->on(Socket::Events::data, [raw = s.get()](const Buffer& b) {
      if (b.toString().find('!') != std::string::npos) raw->end("abc");
    });
  });
  int port = listenLocal(server);
  net::AddressInfo sa = server->address();
  EXPECT_EQ(sa.address, "127.0.0.1");
  EXPECT_EQ(sa.family, "IPv4");
  EXPECT_EQ(sa.port, port);

  auto c = Socket::create();
  EXPECT_TRUE(c->pending());
  EXPECT_FALSE(c->connecting());
  EXPECT_EQ(c->remoteAddress(), "");
  EXPECT_EQ(c->remotePort(), -1);
  c->connect(port, "127.0.0.1", [&] {
    EXPECT_FALSE(c->connecting());
    EXPECT_FALSE(c->pending());
    EXPECT_EQ(c->readyState(), "open");
    EXPECT_EQ(c->remoteAddress(), "127.0.0.1");
    EXPECT_EQ(c->remotePort(), port);
    EXPECT_EQ(c->remoteFamily(), "IPv4");
    EXPECT_EQ(c->localAddress(), "127.0.0.1");
    EXPECT_GT(c->localPort(), 0);
    net::AddressInfo a = c->address();
    EXPECT_EQ(a.family, "IPv4");
    EXPECT_EQ(a.port, c->localPort());
    c->write("hello!");
  });
  EXPECT_TRUE(c->connecting());
  EXPECT_EQ(c->readyState(), "opening");
  int clientLocalPort = -1;
  c->on(Socket::Events::data, [](const Buffer&) {});
  c->on(Socket::Events::end, [&] {
    clientLocalPort = c->localPort();
    ASSERT_TRUE(accepted);
    EXPECT_EQ(accepted->remoteAddress(), "127.0.0.1");
    EXPECT_EQ(accepted->remotePort(), clientLocalPort);
    EXPECT_EQ(accepted->localPort(), port);
    EXPECT_EQ(accepted->localAddress(), "127.0.0.1");
  });
  c->on(Socket::Events::close, [&] { server->close(); });
  run();
  EXPECT_EQ(c->bytesWritten(), 6u);
  EXPECT_EQ(c->bytesRead(), 3u);
  EXPECT_EQ(accepted->bytesRead(), 6u);
  EXPECT_EQ(accepted->bytesWritten(), 3u);
  EXPECT_EQ(c->readyState(), "closed");
  EXPECT_EQ(accepted->readyState(), "closed");
  // Properties stay readable after close (Node keeps them too for bytes; addresses go away).
  accepted.reset();
}

// Many small writes in one loop turn arrive complete and in order (they are flushed together,
// more than IOV_MAX buffers at once).
TEST(NetSocket, ManySmallWritesInOneTickArriveInOrder) {
  EVNODE_WATCHDOG(20);
  std::string got;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->on(Socket::Events::data, [&](const Buffer& b) { got += b.toString(); });
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  int port = listenLocal(server);
  std::string expected;
  int drains = 0;
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1", [&] {
    for (int i = 0; i < 5000; ++i) {
      std::string line = "line " + std::to_string(i) + "\n";
      expected += line;
      c->write(line);
    }
    c->end();
  });
  c->on(Socket::Events::drain, [&] { ++drains; });
  run();
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
  EXPECT_EQ(c->bytesWritten(), expected.size());
}

TEST(NetSocket, WriteReturnsFalseAtHighWaterMarkThenDrains) {
  EVNODE_WATCHDOG(20);
  std::size_t received = 0;
  std::shared_ptr<Socket> peer;
  std::shared_ptr<Server> server;
  // The writer starts once both ends exist: the client's connect callback may run before the
  // server's connection listener (the pump resumes `peer`).
  int ends = 0;
  std::function<void()> pump;
  auto bothEnds = [&] {
    if (++ends == 2) pump();
  };
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    peer = s;
    s->pause();  // a slow reader: nothing is read until the writer has seen backpressure
    s->on(Socket::Events::data, [&](const Buffer& b) { received += b.length(); });
    s->on(Socket::Events::close, [&] { server->close(); });
    bothEnds();
  });
  int port = listenLocal(server);
  const Buffer chunk = Buffer::alloc(16 * 1024, 'x');
  std::size_t written = 0;
  int drains = 0;
  bool sawFalse = false;
  std::shared_ptr<Socket> c;
  pump = [&] {
    while (written < 32u * 1024 * 1024) {
      written += chunk.length();
      if (!c->write(chunk)) {
        sawFalse = true;
        EXPECT_GE(c->writableLength(), c->writableHighWaterMark());
        if (drains == 0) peer->resume();  // let the reader catch up
        return;
      }
    }
    c->end();
  };
  c = net::connect(port, "127.0.0.1", bothEnds);
  c->on(Socket::Events::drain, [&] {
    ++drains;
    EXPECT_EQ(c->writableLength(), 0u);
    pump();
  });
  run();
  EXPECT_TRUE(sawFalse);
  EXPECT_GT(drains, 0);
  EXPECT_EQ(received, written);
  EXPECT_EQ(c->bytesWritten(), written);
}

TEST(NetSocket, WriteCallbacksRunInOrder) {
  EVNODE_WATCHDOG(10);
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->on(Socket::Events::data, [](const Buffer&) {});
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  int port = listenLocal(server);
  std::vector<int> order;
  bool endCb = false;
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1", [&] {
    for (int i = 0; i < 5; ++i) {
      c->write("x", [&, i](const Error& e) {
        EXPECT_FALSE(e);
        order.push_back(i);
      });
    }
    c->end([&](const Error& e) {
      EXPECT_FALSE(e);
      endCb = true;
    });
  });
  run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(endCb);
}

TEST(NetSocket, SetEncodingNeverSplitsACharacter) {
  EVNODE_WATCHDOG(10);
  const std::string text = "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80";  // héllo € 😀
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    Socket* raw = s.get();
    // One byte at a time, each in its own loop turn, so multi-byte characters arrive split.
    auto i = std::make_shared<std::size_t>(0);
    auto t = std::make_shared<TimeoutPtr>();
    *t = setInterval(
        [raw, i, t, &text] {
          if (*i < text.size()) {
            raw->write(text.substr((*i)++, 1));
          } else {
            clearInterval(*t);
            t->reset();
            raw->end();
          }
        },
        2);
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  int port = listenLocal(server);
  std::string got;
  bool allWhole = true;
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1");
  c->setEncoding("utf8");
  c->on(Socket::Events::data, [&](const Buffer& b) {
    std::string piece = b.toString();
    // A chunk that ends inside a character would end with a lead or continuation byte
    // whose sequence is incomplete.
    if (!piece.empty() && (static_cast<unsigned char>(piece.back()) & 0xC0) == 0xC0) {
      allWhole = false;
    }
    got += piece;
  });
  run();
  EXPECT_EQ(got, text);
  EXPECT_TRUE(allWhole);
}

TEST(NetSocket, DestroySoonFlushesPendingWritesFirst) {
  EVNODE_WATCHDOG(20);
  const std::string big = et::randomBytes(4u << 20, 9);
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->write(big);  // far past the high-water mark: most of it is still queued
    s->destroySoon();
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  int port = listenLocal(server);
  std::string got;
  bool ended = false;
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1");
  c->on(Socket::Events::data, [&](const Buffer& b) { got.append(b.view()); });
  c->on(Socket::Events::end, [&] { ended = true; });
  run();
  EXPECT_TRUE(ended);
  EXPECT_EQ(got.size(), big.size());
  EXPECT_TRUE(got == big);
}

TEST(NetSocket, DestroyWithAnErrorEmitsItThenCloseWithHadError) {
  EVNODE_WATCHDOG(10);
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->on(Socket::Events::data, [](const Buffer&) {});
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  int port = listenLocal(server);
  std::vector<std::string> events;
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1", [&] { c->destroy(Error("EPROTO_TEST", "bad peer")); });
  c->on(Socket::Events::error, [&](const Error& e) { events.push_back("error " + e.code); });
  c->on(Socket::Events::close, [&](bool h) { events.push_back(h ? "close(true)" : "close"); });
  run();
  EXPECT_EQ(events, (std::vector<std::string>{"error EPROTO_TEST", "close(true)"}));
}

TEST(NetSocket, ConnectFromALocalPort) {
  EVNODE_WATCHDOG(10);
  int wanted = et::freePort();
  ASSERT_GT(wanted, 0);
  int seen = -1;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    seen = s->remotePort();
    s->end();
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  int port = listenLocal(server);
  net::ConnectOptions o;
  o.port = port;
  o.host = "127.0.0.1";
  o.localAddress = "127.0.0.1";
  o.localPort = wanted;
  auto c = net::connect(o);
  c->on(Socket::Events::data, [](const Buffer&) {});
  run();
  EXPECT_EQ(seen, wanted);
}

bool isResetOrPipe(const std::string& code) { return code == "ECONNRESET" || code == "EPIPE"; }

TEST(NetSocket, PeerResetWhileClientWritesIsAnErrorNotASignal) {
  EVNODE_WATCHDOG(20);
  // Ignoring SIGPIPE is the library's job (the loop sets it); a write to a reset socket must
  // report EPIPE/ECONNRESET instead of killing the process.
  Loop::current();
  struct sigaction sa {};
  sigaction(SIGPIPE, nullptr, &sa);
  EXPECT_EQ(sa.sa_handler, SIG_IGN);

  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(lfd, 1), 0);
  socklen_t len = sizeof a;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);

  Error got;
  bool hadError = false;
  std::size_t written = 0;
  const Buffer chunk = Buffer::alloc(256 * 1024, 'r');
  std::shared_ptr<Socket> c;
  std::function<void()> pump = [&] {
    while (!c->destroyed() && written < (1u << 30)) {
      written += chunk.length();
      if (!c->write(chunk)) return;
    }
  };
  c = net::connect(port, "127.0.0.1", [&] {
    pump();
    setTimeout(
        [&] {
          int fd = ::accept(lfd, nullptr, nullptr);
          char buf[4096];
          EXPECT_GT(::recv(fd, buf, sizeof buf, 0), 0);
          et::resetClose(fd);
        },
        50);
  });
  c->on(Socket::Events::drain, [&] { pump(); });
  c->on(Socket::Events::error, [&](const Error& e) { got = e; });
  c->on(Socket::Events::close, [&](bool h) { hadError = h; });
  run();
  ::close(lfd);
  EXPECT_TRUE(isResetOrPipe(got.code)) << got.code << " " << got.message;
  EXPECT_TRUE(hadError);
}

TEST(NetSocket, PeerResetWhileServerWritesIsAnError) {
  EVNODE_WATCHDOG(20);
  Error got;
  bool hadError = false;
  const Buffer chunk = Buffer::alloc(256 * 1024, 's');
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    Socket* raw = s.get();
    auto pump = std::make_shared<std::function<void()>>();
    *pump = [raw, &chunk] {
      while (!raw->destroyed() && raw->write(chunk)) {
      }
    };
    s->on(Socket::Events::drain, [pump] { (*pump)(); });
    s->on(Socket::Events::error, [&](const Error& e) { got = e; });
    s->on(Socket::Events::close, [&, pump](bool h) {
      hadError = h;
      *pump = nullptr;
      server->close();
    });
    (*pump)();
  });
  int port = listenLocal(server);
  int fd = et::rawConnect(port);
  ASSERT_GE(fd, 0);
  setTimeout(
      [fd] {
        char buf[4096];
        EXPECT_GT(::recv(fd, buf, sizeof buf, 0), 0);
        et::resetClose(fd);
      },
      100);
  run();
  EXPECT_TRUE(isResetOrPipe(got.code)) << got.code << " " << got.message;
  EXPECT_TRUE(hadError);
}

TEST(NetSocket, TimeoutFiresAndTheConnectionStaysUsable) {
  EVNODE_WATCHDOG(10);
  int timeouts = 0;
  bool cbCalled = false;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    Socket* raw = s.get();
    raw->setTimeout(100, [&] { cbCalled = true; });
    EXPECT_EQ(raw->timeout(), 100u);
    s->on(Socket::Events::timeout, [&, raw] {
      ++timeouts;
      EXPECT_FALSE(raw->destroyed());
      EXPECT_TRUE(raw->writable());
      raw->write("you were quiet\n");
    });
    s->on(Socket::Events::data, [](const Buffer&) {});
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  int port = listenLocal(server);
  std::string got;
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1");
  c->on(Socket::Events::data, [&](const Buffer& b) {
    got += b.toString();
    // Still connected after the timeout: talk, then leave.
    if (c->writable()) c->end("bye");
  });
  run();
  EXPECT_EQ(timeouts, 1);  // not re-armed without activity, as Node
  EXPECT_TRUE(cbCalled);
  EXPECT_EQ(got, "you were quiet\n");
}

TEST(NetSocket, ActivityPostponesTheTimeout) {
  EVNODE_WATCHDOG(10);
  int timeouts = 0;
  int chunksBeforeTimeout = -1;
  int chunks = 0;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    Socket* raw = s.get();
    raw->setTimeout(300);
    s->on(Socket::Events::data, [&](const Buffer&) { ++chunks; });
    s->on(Socket::Events::timeout, [&, raw] {
      if (timeouts++ == 0) chunksBeforeTimeout = chunks;
      raw->setTimeout(0);
      raw->end();
    });
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  int port = listenLocal(server);
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1");
  c->on(Socket::Events::data, [](const Buffer&) {});
  auto sent = std::make_shared<int>(0);
  TimeoutPtr tick;
  c->on(Socket::Events::connect, [&, sent] {
    // A byte every 50 ms for 500 ms: longer than the timeout, but never idle for 300 ms.
    tick = setInterval(
        [&, sent] {
          if (++*sent > 10) {
            clearInterval(tick);
            return;
          }
          c->write("x");
        },
        50);
  });
  run();
  EXPECT_EQ(timeouts, 1);
  EXPECT_EQ(chunksBeforeTimeout, chunks);
  EXPECT_GE(chunksBeforeTimeout, 5);  // data kept arriving well past 300 ms
}

TEST(NetSocket, UnixDomainSocketEcho) {
  EVNODE_WATCHDOG(10);
  et::TempDir dir;
  const std::string path = dir.file("echo.sock");
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->pipe(s);
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  bool listening = false;
  server->listen(path, [&] { listening = true; });
  EXPECT_EQ(server->address().address, path);
  EXPECT_EQ(server->address().port, -1);
  std::string got;
  std::shared_ptr<Socket> c;
  c = net::connect(path, [&] {
    EXPECT_EQ(c->remoteAddress(), "");
    c->end("over a unix socket");
  });
  c->on(Socket::Events::data, [&](const Buffer& b) { got += b.toString(); });
  run();
  EXPECT_TRUE(listening);
  EXPECT_EQ(got, "over a unix socket");
}

TEST(NetSocket, UnixSocketMissingPathIsENOENT) {
  EVNODE_WATCHDOG(10);
  et::TempDir dir;
  Error got;
  std::shared_ptr<Socket> c;
  c = net::connect(dir.file("nobody.sock"));
  c->on(Socket::Events::error, [&](const Error& e) { got = e; });
  run();
  EXPECT_EQ(got.code, "ENOENT");
  EXPECT_EQ(got.syscall, "connect");
}

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

TEST(NetSocket, IPv6Loopback) {
  EVNODE_WATCHDOG(10);
  if (!haveIPv6Loopback()) GTEST_SKIP() << "no IPv6 loopback";
  std::string remoteFamily, remoteAddress;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    remoteFamily = s->remoteFamily();
    remoteAddress = s->remoteAddress();
    s->pipe(s);
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  server->listen(0, "::1");
  net::AddressInfo a = server->address();
  EXPECT_EQ(a.address, "::1");
  EXPECT_EQ(a.family, "IPv6");
  std::string got;
  std::shared_ptr<Socket> c;
  c = net::connect(a.port, "::1", [&] {
    EXPECT_EQ(c->remoteFamily(), "IPv6");
    EXPECT_EQ(c->remoteAddress(), "::1");
    c->end("six");
  });
  c->on(Socket::Events::data, [&](const Buffer& b) { got += b.toString(); });
  run();
  EXPECT_EQ(got, "six");
  EXPECT_EQ(remoteFamily, "IPv6");
  EXPECT_EQ(remoteAddress, "::1");
}

// As with libuv's connect and write requests, an unref'd socket still keeps the loop alive
// while it connects and while a write it made is in flight.
TEST(NetSocket, UnrefdSocketStillConnectsAndDelivers) {
  EVNODE_WATCHDOG(10);
  std::string got;
  auto server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->on(Socket::Events::data, [&](const Buffer& b) { got += b.toString(); });
  });
  int port = listenLocal(server);
  server->unref();
  bool connected = false;
  auto c = net::connect(port, "127.0.0.1", [&] { connected = true; });
  c->unref();
  c->end(std::string(256 * 1024, 'x'));  // more than the kernel takes at once
  run();
  EXPECT_TRUE(connected);
  EXPECT_EQ(got.size(), 256u * 1024);
  server->close();
  run();
}

TEST(NetSocket, NoDelayKeepAliveAndUnref) {
  EVNODE_WATCHDOG(10);
  std::shared_ptr<Socket> accepted, c;
  std::shared_ptr<Server> server;
  int ready = 0;
  // Once both ends are up, nothing is ref'd: run() must return with the sockets still open.
  auto unrefAll = [&] {
    if (++ready < 2) return;
    c->unref();
    accepted->unref();
    server->unref();
  };
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    accepted = s;
    s->on(Socket::Events::data, [](const Buffer&) {});
    unrefAll();
  });
  int port = listenLocal(server);
  net::ConnectOptions o;
  o.port = port;
  o.host = "127.0.0.1";
  o.noDelay = true;
  o.keepAlive = true;
  o.keepAliveInitialDelay = 2000;
  c = net::connect(o, [&] {
    c->setNoDelay(false).setKeepAlive(false);
    unrefAll();
  });
  run();
  EXPECT_EQ(ready, 2);
  ASSERT_TRUE(accepted);
  EXPECT_FALSE(c->destroyed());
  EXPECT_TRUE(server->listening());
  c->destroy();
  accepted->destroy();
  server->close();
  run();
  EXPECT_TRUE(c->destroyed());
  EXPECT_FALSE(server->listening());
}

// A socket emits one `close`, with Node's hadError, whichever way a listener takes it.
TEST(NetSocket, EmitsOneCloseWithHadError) {
  EVNODE_WATCHDOG(30);
  int withArg = 0, withoutArg = 0;
  bool hadError = true;
  auto server = net::createServer([](const std::shared_ptr<Socket>& s) { s->end(); });
  server->listen(0, "127.0.0.1");
  auto c = net::connect(server->address().port, "127.0.0.1");
  c->resume();
  c->on(Socket::Events::close, [&](bool e) {
    ++withArg;
    hadError = e;
  });
  c->on(Stream::Events::close, [&] {
    ++withoutArg;
    server->close();
  });
  run();
  EXPECT_EQ(withArg, 1);
  EXPECT_EQ(withoutArg, 1);
  EXPECT_FALSE(hadError);
}

}  // namespace
