// dgram::Socket over loopback: round trips (IPv4, IPv6), Node's argument forms, connected
// sockets, errors and misuse, options, lifetime, and 10,000 datagrams checked one by one.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dgram_testing.h"
#include "evnode/dgram.h"
#include "evnode/loop.h"
#include "support/testing.h"

namespace {

using namespace evnode;
namespace et = evnode::testing;
using dgram::RemoteInfo;
using dgram::Socket;
using dgramtest::bindLoopback;
using dgramtest::exceptionCode;
using dgramtest::runUntil;

TEST(Dgram, Udp4RoundTrip) {
  EVNODE_WATCHDOG(10);
  auto server = dgram::createSocket("udp4");
  auto client = dgram::createSocket("udp4");
  std::string got, echoed;
  RemoteInfo seen;
  int listening = 0;
  server->on(Socket::Events::listening, [&] { ++listening; });
  server->on(Socket::Events::message,
             [&, raw = server.get()](const Buffer& m, const RemoteInfo& r) {
               got = m.toString();
               seen = r;
               raw->send(m, r.port, r.address);
             });
  client->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo&) {
    echoed = m.toString();
    client->close();
    server->close();
  });
  int port = bindLoopback(server);
  EXPECT_EQ(server->address().address, "127.0.0.1");
  EXPECT_EQ(server->address().family, "IPv4");
  std::size_t sent = 0;
  Error sendErr{"unset", ""};
  client->send(Buffer::from("Hello Node.js"), port, "127.0.0.1",
               [&](const Error& e, std::size_t n) {
                 sendErr = e;
                 sent = n;
               });
  run();
  EXPECT_EQ(listening, 1);
  EXPECT_FALSE(sendErr);
  EXPECT_EQ(sent, 13u);
  EXPECT_EQ(got, "Hello Node.js");
  EXPECT_EQ(echoed, "Hello Node.js");
  EXPECT_EQ(seen.address, "127.0.0.1");
  EXPECT_EQ(seen.family, "IPv4");
  EXPECT_EQ(seen.size, 13u);
  EXPECT_GT(seen.port, 0);
}

TEST(Dgram, Udp6RoundTrip) {
  EVNODE_WATCHDOG(10);
  auto server = dgram::createSocket("udp6");
  bool ok = true;
  server->on(Socket::Events::error, [&](const Error&) { ok = false; });
  bool listening = false;
  server->bind(0, "::1", [&] { listening = true; });
  runUntil([&] { return listening || !ok; });
  if (!ok) GTEST_SKIP() << "no IPv6 loopback here";
  int port = server->address().port;
  EXPECT_EQ(server->address().family, "IPv6");
  EXPECT_EQ(server->address().address, "::1");
  RemoteInfo seen;
  std::string got;
  server->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo& r) {
    got = m.toString();
    seen = r;
    server->close();
  });
  auto client = dgram::createSocket("udp6");
  client->send("over six", port, "::1", [&](const Error& e, std::size_t) {
    EXPECT_FALSE(e) << e.message;
    client->close();
  });
  run();
  EXPECT_EQ(got, "over six");
  EXPECT_EQ(seen.family, "IPv6");
  EXPECT_EQ(seen.address, "::1");
}

TEST(Dgram, MessageListenerFromCreateSocketAndDefaultAddress) {
  EVNODE_WATCHDOG(10);
  std::string got;
  std::shared_ptr<Socket> server;
  server = dgram::createSocket("udp4", [&](const Buffer& m, const RemoteInfo&) {
    got = m.toString();
    server->close();
  });
  int port = bindLoopback(server);
  auto client = dgram::createSocket("udp4");
  client->send("to localhost by default", port);  // address "" = 127.0.0.1 for udp4
  client->unref();
  run();
  EXPECT_EQ(got, "to localhost by default");
  client->close();
  run();
}

TEST(Dgram, HostNameResolvesThroughLookup) {
  EVNODE_WATCHDOG(10);
  std::string got;
  auto server = dgram::createSocket("udp4");
  server->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo&) {
    got = m.toString();
    server->close();
  });
  int port = bindLoopback(server, "localhost");
  EXPECT_EQ(server->address().address, "127.0.0.1");
  auto client = dgram::createSocket("udp4");
  Error err{"unset", ""};
  client->send("by name", port, "localhost", [&](const Error& e, std::size_t) {
    err = e;
    client->close();
  });
  run();
  EXPECT_FALSE(err) << err.message;
  EXPECT_EQ(got, "by name");
}

TEST(Dgram, UnknownHostGoesToTheCallback) {
  EVNODE_WATCHDOG(20);
  auto client = dgram::createSocket("udp4");
  Error err;
  client->send("x", 9, "nosuch.invalid", [&](const Error& e, std::size_t) {
    err = e;
    client->close();
  });
  run();
  EXPECT_EQ(err.code, "ENOTFOUND");
  EXPECT_EQ(err.message, "getaddrinfo ENOTFOUND nosuch.invalid");
}

TEST(Dgram, MultiPartSendIsOneDatagram) {
  EVNODE_WATCHDOG(10);
  auto server = dgram::createSocket("udp4");
  auto client = dgram::createSocket("udp4");
  std::vector<std::string> got;
  server->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo& r) {
    got.push_back(m.toString());
    EXPECT_EQ(r.size, m.size());
    if (got.size() == 4) {
      server->close();
      client->close();
    }
  });
  int port = bindLoopback(server);
  std::vector<std::size_t> sizes;
  auto cb = [&](const Error& e, std::size_t n) {
    EXPECT_FALSE(e) << e.message;
    sizes.push_back(n);
  };
  client->send(
      std::vector<Buffer>{Buffer::from("one "), Buffer::from("two "), Buffer::from("three")}, port,
      "127.0.0.1", cb);
  Buffer whole = Buffer::from("xxpartialyy");
  client->send(whole, 2, 7, port, "127.0.0.1", cb);  // offset/length
  client->send(std::string_view("0123456789"), 3, 4, port, "127.0.0.1", cb);
  client->send(Buffer(), port, "127.0.0.1", cb);  // an empty datagram is a datagram
  run();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], "one two three");
  EXPECT_EQ(got[1], "partial");
  EXPECT_EQ(got[2], "3456");
  EXPECT_EQ(got[3], "");
  EXPECT_EQ(sizes, (std::vector<std::size_t>{13, 7, 4, 0}));
}

TEST(Dgram, SendBeforeBindBindsAndQueuesInOrder) {
  EVNODE_WATCHDOG(10);
  auto server = dgram::createSocket("udp4");
  auto client = dgram::createSocket("udp4");
  std::vector<std::string> got;
  server->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo&) {
    got.push_back(m.toString());
    if (got.size() == 3) {
      server->close();
      client->close();
    }
  });
  int port = bindLoopback(server);
  int listening = 0;
  std::string boundTo;
  client->on(Socket::Events::listening, [&] {
    ++listening;
    boundTo = client->address().address;
  });
  for (const char* m : {"a", "b", "c"}) client->send(m, port, "127.0.0.1");
  // Node: an implicit bind is an ephemeral port on every interface.
  EXPECT_EQ(exceptionCode([&] { client->address(); }), "EBADF");
  run();
  EXPECT_EQ(listening, 1);
  EXPECT_EQ(boundTo, "0.0.0.0");
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Dgram, ConnectedSockets) {
  EVNODE_WATCHDOG(10);
  auto server = dgram::createSocket("udp4");
  auto other = dgram::createSocket("udp4");
  auto client = dgram::createSocket("udp4");
  std::vector<std::string> clientGot;
  std::vector<std::string> serverGot;
  int port = bindLoopback(server);
  bindLoopback(other);
  server->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo& r) {
    serverGot.push_back(m.toString());
    server->send("reply:" + m.toString(), r.port, r.address);
  });
  client->on(Socket::Events::message,
             [&](const Buffer& m, const RemoteInfo&) { clientGot.push_back(m.toString()); });
  bool connected = false;
  client->connect(port, "127.0.0.1", [&] { connected = true; });
  EXPECT_EQ(exceptionCode([&] { client->connect(port); }), "ERR_SOCKET_DGRAM_IS_CONNECTED");
  client->send("early");  // waits for the connect
  runUntil([&] { return connected; });
  auto peer = client->remoteAddress();
  EXPECT_EQ(peer.address, "127.0.0.1");
  EXPECT_EQ(peer.port, port);
  EXPECT_EQ(exceptionCode([&] { client->send("x", port, "127.0.0.1"); }),
            "ERR_SOCKET_DGRAM_IS_CONNECTED");
  client->send(Buffer::from("late"));
  // A datagram from anyone but the peer is filtered out by the kernel.
  int clientPort = client->address().port;
  other->send("intruder", clientPort, "127.0.0.1");
  runUntil([&] { return clientGot.size() >= 2; }, 3000);
  EXPECT_EQ(serverGot, (std::vector<std::string>{"early", "late"}));
  EXPECT_EQ(clientGot, (std::vector<std::string>{"reply:early", "reply:late"}));

  client->disconnect();
  EXPECT_EQ(exceptionCode([&] { client->remoteAddress(); }), "ERR_SOCKET_DGRAM_NOT_CONNECTED");
  EXPECT_EQ(exceptionCode([&] { client->disconnect(); }), "ERR_SOCKET_DGRAM_NOT_CONNECTED");
  EXPECT_EQ(exceptionCode([&] { client->send("no peer"); }), "ERR_SOCKET_DGRAM_NOT_CONNECTED");
  bool heard = false;
  server->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo&) {
    if (m.toString() == "after") heard = true;
  });
  client->send("after", port, "127.0.0.1");
  runUntil([&] { return heard; });
  for (auto* s : {server.get(), other.get(), client.get()}) s->close();
  run();
  EXPECT_TRUE(heard);
}

TEST(Dgram, ConnectToClosedPortReportsRefusedOnReceive) {
  EVNODE_WATCHDOG(10);
  int port = et::freePort(true);
  auto client = dgram::createSocket("udp4");
  Error err;
  TimeoutPtr giveUp;
  client->on(Socket::Events::error, [&](const Error& e) {
    err = e;
    clearTimeout(giveUp);
    client->close();
  });
  client->connect(port, "127.0.0.1", [&] { client->send("anyone?"); });
  giveUp = setTimeout([&] { client->close(); }, 2000);
  run();
  if (!err) GTEST_SKIP() << "this kernel reports no ICMP port-unreachable on connected UDP sockets";
  EXPECT_EQ(err.code, "ECONNREFUSED");
  EXPECT_EQ(err.syscall, "recvmsg");
}

TEST(Dgram, OversizedDatagramIsEmsgsize) {
  EVNODE_WATCHDOG(10);
  auto server = dgram::createSocket("udp4");
  int port = bindLoopback(server);
  auto client = dgram::createSocket("udp4");
  Error err;
  std::size_t bytes = 99;
  client->send(Buffer::alloc(70000, 'x'), port, "127.0.0.1", [&](const Error& e, std::size_t n) {
    err = e;
    bytes = n;
  });
  std::string after;
  server->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo&) {
    after = m.toString();
    server->close();
    client->close();
  });
  // The socket stays usable after a failed send.
  client->send("still fine", port, "127.0.0.1");
  run();
  EXPECT_EQ(err.code, "EMSGSIZE");
  EXPECT_EQ(err.syscall, "send");
  EXPECT_EQ(err.message, "send EMSGSIZE 127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(bytes, 0u);
  EXPECT_EQ(after, "still fine");
}

TEST(Dgram, LargestIpv4DatagramArrivesWhole) {
  EVNODE_WATCHDOG(10);
  auto server = dgram::createSocket("udp4");
  int port = bindLoopback(server);
  std::string sent = et::randomBytes(65507, 7), got;
  server->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo&) {
    got = std::string(m.view());
    server->close();
  });
  auto client = dgram::createSocket("udp4");
  client->send(Buffer::from(sent.data(), sent.size()), port, "127.0.0.1",
               [&](const Error& e, std::size_t) {
                 EXPECT_FALSE(e) << e.message;
                 client->close();
               });
  run();
  EXPECT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent);
}

TEST(Dgram, MisuseThrowsNodesCodes) {
  EVNODE_WATCHDOG(10);
  EXPECT_EQ(exceptionCode([] { dgram::createSocket("udp5"); }), "ERR_SOCKET_BAD_TYPE");
  auto s = dgram::createSocket("udp4");
  EXPECT_EQ(exceptionCode([&] { s->bind(70000); }), "ERR_SOCKET_BAD_PORT");
  EXPECT_EQ(exceptionCode([&] { s->send("x", 0, "127.0.0.1"); }), "ERR_SOCKET_BAD_PORT");
  EXPECT_EQ(exceptionCode([&] { s->send("x", 65536, "127.0.0.1"); }), "ERR_SOCKET_BAD_PORT");
  EXPECT_EQ(exceptionCode([&] { s->connect(0); }), "ERR_SOCKET_BAD_PORT");
  EXPECT_EQ(exceptionCode([&] { s->getRecvBufferSize(); }), "ERR_SOCKET_BUFFER_SIZE");
  EXPECT_EQ(exceptionCode([&] { s->send(Buffer::from("abc"), 2, 5, 9, "127.0.0.1"); }),
            "ERR_BUFFER_OUT_OF_BOUNDS");
  EXPECT_EQ(exceptionCode([&] { s->setTTL(0); }), "EINVAL");
  s->bind(0, "127.0.0.1");
  EXPECT_EQ(exceptionCode([&] { s->bind(0); }), "ERR_SOCKET_ALREADY_BOUND");
  bool closed = false;
  s->close([&] { closed = true; });
  EXPECT_EQ(exceptionCode([&] { s->close(); }), "ERR_SOCKET_DGRAM_NOT_RUNNING");
  EXPECT_EQ(exceptionCode([&] { s->send("x", 9, "127.0.0.1"); }), "ERR_SOCKET_DGRAM_NOT_RUNNING");
  EXPECT_EQ(exceptionCode([&] { s->address(); }), "ERR_SOCKET_DGRAM_NOT_RUNNING");
  EXPECT_FALSE(closed);  // `close` is emitted later, not inside close()
  run();
  EXPECT_TRUE(closed);
}

TEST(Dgram, BindErrorIsAnErrorEvent) {
  EVNODE_WATCHDOG(10);
  auto a = dgram::createSocket("udp4");
  int port = bindLoopback(a);
  auto b = dgram::createSocket("udp4");
  Error err;
  bool listening = false;
  b->on(Socket::Events::error, [&](const Error& e) {
    err = e;
    b->close();
    a->close();
  });
  b->bind(port, "127.0.0.1", [&] { listening = true; });
  run();
  EXPECT_FALSE(listening);
  EXPECT_EQ(err.code, "EADDRINUSE");
  EXPECT_EQ(err.message, "bind EADDRINUSE 127.0.0.1:" + std::to_string(port));
}

TEST(Dgram, ReuseAddrLetsTwoSocketsShareAPort) {
  EVNODE_WATCHDOG(10);
  dgram::SocketOptions o;
  o.reuseAddr = true;
  auto a = dgram::createSocket(o);
  int port = bindLoopback(a);
  auto b = dgram::createSocket(o);
  Error err;
  bool listening = false;
  b->on(Socket::Events::error, [&](const Error& e) { err = e; });
  b->bind(port, "127.0.0.1", [&] { listening = true; });
  runUntil([&] { return listening || bool(err); });
  EXPECT_TRUE(listening) << err.message;
  a->close();
  b->close();
  run();
}

TEST(Dgram, BufferSizesAndOptions) {
  EVNODE_WATCHDOG(10);
  dgram::SocketOptions o;
  o.recvBufferSize = 256 * 1024;
  o.sendBufferSize = 128 * 1024;
  auto s = dgram::createSocket(o);
  bindLoopback(s);
  // Linux doubles what is set (its bookkeeping); the kernel may cap it at rmem_max/wmem_max.
  EXPECT_GT(s->getRecvBufferSize(), 0);
  EXPECT_GT(s->getSendBufferSize(), 0);
  s->setRecvBufferSize(64 * 1024);
  EXPECT_GE(s->getRecvBufferSize(), 64 * 1024);
  EXPECT_EQ(s->setTTL(64), 64);
  EXPECT_EQ(s->setMulticastTTL(2), 2);
  EXPECT_TRUE(s->setMulticastLoopback(true));
  s->setBroadcast(true);
  s->setBroadcast(false);
  EXPECT_EQ(s->getSendQueueCount(), 0u);
  EXPECT_EQ(s->getSendQueueSize(), 0u);
  EXPECT_EQ(exceptionCode([&] { s->setRecvBufferSize(0); }), "ERR_SOCKET_BAD_BUFFER_SIZE");
  EXPECT_EQ(exceptionCode([&] { s->addMembership("not-an-ip"); }), "EINVAL");
  s->close();
  run();
}

TEST(Dgram, BroadcastOnLoopback) {
  EVNODE_WATCHDOG(10);
  auto server = dgram::createSocket("udp4");
  bool listening = false;
  server->bind(0, "", [&] { listening = true; });  // every interface: broadcasts arrive there
  runUntil([&] { return listening; });
  int port = server->address().port;
  auto client = dgram::createSocket("udp4");
  Error withoutFlag, withFlag{"unset", ""};
  std::string got;
  server->on(Socket::Events::message,
             [&](const Buffer& m, const RemoteInfo&) { got = m.toString(); });
  client->send("bcast", port, "255.255.255.255", [&](const Error& e, std::size_t) {
    withoutFlag = e;
    client->setBroadcast(true);
    client->send("bcast", port, "255.255.255.255",
                 [&](const Error& e2, std::size_t) { withFlag = e2; });
  });
  runUntil([&] { return !got.empty(); }, 1500);
  server->close();
  client->close();
  run();
  // Without SO_BROADCAST the kernel refuses a broadcast destination.
  EXPECT_EQ(withoutFlag.code, "EACCES");
  if (withFlag) GTEST_SKIP() << "the kernel refused the broadcast: " << withFlag.message;
  if (got.empty()) GTEST_SKIP() << "broadcast sent but not looped back to local sockets here";
  EXPECT_EQ(got, "bcast");
}

TEST(Dgram, MulticastOnLoopback) {
  EVNODE_WATCHDOG(10);
  const std::string group = "239.255.42.99";
  auto server = dgram::createSocket(dgram::SocketOptions{.type = "udp4", .reuseAddr = true});
  bool listening = false;
  server->bind(0, "", [&] { listening = true; });
  runUntil([&] { return listening; });
  int port = server->address().port;
  std::string joinError;
  try {
    server->addMembership(group, "127.0.0.1");
  } catch (const Exception& e) {
    joinError = e.what();
  }
  auto client = dgram::createSocket("udp4");
  std::string got;
  Error sendErr;
  server->on(Socket::Events::message,
             [&](const Buffer& m, const RemoteInfo&) { got = m.toString(); });
  if (joinError.empty()) {
    bindLoopback(client);
    client->setMulticastInterface("127.0.0.1");
    client->setMulticastLoopback(true);
    client->setMulticastTTL(1);
    client->send("to the group", port, group, [&](const Error& e, std::size_t) { sendErr = e; });
    runUntil([&] { return !got.empty() || bool(sendErr); }, 1500);
    if (got == "to the group") server->dropMembership(group, "127.0.0.1");
  }
  server->close();
  client->close();
  run();
  if (!joinError.empty()) GTEST_SKIP() << "the kernel refused to join on lo: " << joinError;
  if (sendErr) GTEST_SKIP() << "the kernel refused multicast on lo: " << sendErr.message;
  if (got.empty()) GTEST_SKIP() << "multicast on lo was not looped back here";
  EXPECT_EQ(got, "to the group");
}

TEST(Dgram, SourceSpecificMembershipValidates) {
  EVNODE_WATCHDOG(10);
  auto s = dgram::createSocket("udp4");
  bindLoopback(s, "0.0.0.0");
  // A group outside 232/8 is not a source-specific group for the kernel, or arguments that are
  // not addresses: both are refused, neither crashes.
  EXPECT_NE(exceptionCode([&] { s->addSourceSpecificMembership("nope", "232.1.1.1"); }), "");
  std::string code =
      exceptionCode([&] { s->addSourceSpecificMembership("127.0.0.1", "232.1.1.1", "127.0.0.1"); });
  if (code.empty()) s->dropSourceSpecificMembership("127.0.0.1", "232.1.1.1", "127.0.0.1");
  s->close();
  run();
}

TEST(Dgram, UnrefdSocketDoesNotKeepTheLoopAlive) {
  EVNODE_WATCHDOG(10);
  auto s = dgram::createSocket("udp4");
  bindLoopback(s);
  s->unref();
  run();  // returns although the socket is bound and receiving
  s->ref();
  s->close();
  run();
  SUCCEED();
}

TEST(Dgram, ListenersCapturingTheSocketAreFreedAfterClose) {
  EVNODE_WATCHDOG(10);
  std::weak_ptr<Socket> weak;
  int closes = 0;
  {
    auto s = dgram::createSocket("udp4");
    weak = s;
    s->on(Socket::Events::message, [s](const Buffer&, const RemoteInfo&) { s->close(); });
    s->on(Socket::Events::close, [s, &closes] { ++closes; });
    s->bind(0, "127.0.0.1", [s] { s->close(); });
  }
  EXPECT_FALSE(weak.expired());  // bound: alive through its handle
  run();
  EXPECT_EQ(closes, 1);
  EXPECT_TRUE(weak.expired());
}

TEST(Dgram, CloseInsideABatchStopsDelivery) {
  EVNODE_WATCHDOG(10);
  auto server = dgram::createSocket("udp4");
  int port = bindLoopback(server);
  auto client = dgram::createSocket("udp4");
  bindLoopback(client);
  int got = 0;
  server->on(Socket::Events::message, [&](const Buffer&, const RemoteInfo& r) {
    ++got;
    server->send("bye", r.port, r.address);  // sent before the close below
    server->close();
  });
  std::string reply;
  client->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo&) {
    reply = m.toString();
    client->close();
  });
  for (int i = 0; i < 20; ++i) client->send("burst", port, "127.0.0.1");
  run();
  EXPECT_EQ(got, 1);
  EXPECT_EQ(reply, "bye");
}

// With recvmmsg off (Node's way: one recvmsg per datagram) nothing is batched, in or out.
TEST(Dgram, OneDatagramPerReadWhenBatchingIsOff) {
  EVNODE_WATCHDOG(10);
  dgram::SocketOptions o;
  o.recvmmsg = false;
  auto server = dgram::createSocket(o);
  EXPECT_FALSE(server->usingRecvmmsg());
  int port = bindLoopback(server);
  auto client = dgram::createSocket("udp4");
  bindLoopback(client);
  int echoed = 0;
  server->on(Socket::Events::message,
             [&](const Buffer& m, const RemoteInfo& r) { server->send(m, r.port, r.address); });
  client->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo&) {
    EXPECT_EQ(m.toString(), "n" + std::to_string(echoed));
    if (++echoed == 200) {
      server->close();
      client->close();
    }
  });
  for (int i = 0; i < 200; ++i) client->send("n" + std::to_string(i), port, "127.0.0.1");
  run();
  EXPECT_EQ(echoed, 200);
}

// 10,000 datagrams of varied sizes, each carrying its sequence number and bytes derived from it:
// every one must arrive intact. At most kWindow are in flight, so the receive buffer never
// overflows; UDP may still lose some, which is reported (and expected to be none on loopback).
TEST(Dgram, TenThousandDatagramsWithSequenceNumbers) {
  EVNODE_WATCHDOG(60);
  constexpr int kCount = 10000;
  constexpr int kWindow = 64;
  auto payload = [](int seq) {
    std::size_t size = 8 + static_cast<std::size_t>((seq * 7919) % 1400);
    std::string s = et::randomBytes(size, static_cast<std::uint64_t>(seq));
    std::memcpy(s.data(), &seq, sizeof seq);
    return s;
  };
  dgram::SocketOptions o;
  o.recvBufferSize = 1 << 20;
  auto server = dgram::createSocket(o);
  int port = bindLoopback(server);
  auto client = dgram::createSocket("udp4");
  bindLoopback(client);
  std::vector<bool> seen(kCount, false);
  int received = 0, corrupt = 0, duplicate = 0, next = 0;
  bool batched = server->usingRecvmmsg();
  std::function<void()> topUp = [&] {
    while (next < kCount && next - received < kWindow) {
      std::string p = payload(next++);
      client->send(Buffer::from(p.data(), p.size()), port, "127.0.0.1");
    }
  };
  TimeoutPtr stall;
  auto finish = [&] {
    if (stall) clearTimeout(stall);
    server->close();
    client->close();
  };
  server->on(Socket::Events::message, [&](const Buffer& m, const RemoteInfo& r) {
    int seq = -1;
    if (m.size() >= sizeof seq) std::memcpy(&seq, m.data(), sizeof seq);
    if (seq < 0 || seq >= kCount || r.size != m.size()) {
      ++corrupt;
    } else if (seen[seq]) {
      ++duplicate;
    } else {
      seen[seq] = true;
      std::string want = payload(seq);
      if (m.view() != want) ++corrupt;
    }
    ++received;
    if (stall) stall->refresh();
    if (received >= kCount) {
      finish();
      return;
    }
    topUp();
  });
  // If datagrams were lost the window never refills: give up after a quiet second.
  stall = setTimeout([&] { finish(); }, 1000);
  topUp();
  run();
  int lost = kCount - received;
  RecordProperty("lost", lost);
  RecordProperty("recvmmsg", batched ? 1 : 0);
  std::printf("[ info ] %d datagrams sent, %d received, %d lost, recvmmsg %s\n", kCount, received,
              lost, batched ? "on" : "off");
  EXPECT_EQ(corrupt, 0);
  EXPECT_EQ(duplicate, 0);
  EXPECT_EQ(lost, 0);
}

// A thread that ends with sockets still open (bound, connected, sends queued): its loop's
// teardown closes them, and nothing leaks (LeakSanitizer checks) or runs afterwards.
TEST(Dgram, LoopTeardownClosesOpenSockets) {
  EVNODE_WATCHDOG(20);
  int closes = 0;
  std::thread t([&] {
    auto a = dgram::createSocket("udp4");
    int port = bindLoopback(a);
    auto b = dgram::createSocket("udp4");
    b->on(Socket::Events::close, [&] { ++closes; });
    a->on(Socket::Events::message, [a](const Buffer&, const RemoteInfo&) {});
    b->connect(port, "127.0.0.1");
    b->send("queued until connected");
    auto c = dgram::createSocket("udp6");  // never bound
    (void)c;
  });
  t.join();
  EXPECT_EQ(closes, 0);  // teardown is not a close() call: no events
}

}  // namespace
