// events::on, dgram::promises::messages and tls::promises::connect over real sockets.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "evnode/evnode.h"
#include "support/testing.h"
#include "tls/tls_support.h"

namespace evnode {
namespace {

namespace tp = timers::promises;

struct Bell : EventEmitter {
  struct Events : EventEmitter::Events {
    static constexpr Event<int, const std::string&> ring{"ring"};
  };
};

TEST(EventsOnTest, YieldsEachEmissionInOrderAndQueues) {
  EVNODE_WATCHDOG(10);
  auto bell = std::make_shared<Bell>();
  auto amain = [&]() -> Task<void> {
    std::vector<std::string> got;
    {
      auto rings = events::on(bell, Bell::Events::ring);
      setTimeout(
          [bell] {
            bell->emit(Bell::Events::ring, 1, std::string("a"));
            bell->emit(Bell::Events::ring, 2, std::string("b"));  // queued: consumer is busy
          },
          5);
      setTimeout([bell] { bell->emit(Bell::Events::ring, 3, std::string("c")); }, 20);
      while (auto r = co_await rings.next()) {
        auto& [n, s] = *r;
        got.push_back(std::to_string(n) + s);
        co_await tp::setImmediate();
        if (n == 3) break;
      }
    }  // destroyed: its listeners are gone
    EXPECT_EQ(got, (std::vector<std::string>{"1a", "2b", "3c"}));
    EXPECT_EQ(bell->listenerCount(Bell::Events::ring), 0u);
    EXPECT_EQ(bell->listenerCount(EventEmitter::Events::error), 0u);
  };
  run(amain());
}

TEST(EventsOnTest, ErrorAndAbortThrow) {
  EVNODE_WATCHDOG(10);
  auto bell = std::make_shared<Bell>();
  auto amain = [&]() -> Task<void> {
    auto rings = events::on(bell, Bell::Events::ring);
    setTimeout([bell] { bell->emit(EventEmitter::Events::error, Error("EBELL", "cracked")); }, 5);
    try {
      co_await rings.next();
      ADD_FAILURE() << "no exception";
    } catch (const SystemError& e) {
      EXPECT_EQ(e.error().code, "EBELL");
    }
    AbortController ac;
    events::OnOptions o{.signal = ac.signal()};
    auto more = events::on(*bell, Bell::Events::ring, o);
    setTimeout([&] { ac.abort(); }, 5);
    try {
      co_await more.next();
      ADD_FAILURE() << "no exception";
    } catch (const AbortError& e) {
      EXPECT_EQ(e.code(), "ABORT_ERR");
    }
  };
  run(amain());
  EXPECT_EQ(bell->listenerCount(Bell::Events::ring), 0u);
}

TEST(EventsOnTest, DestroyedWhileAResumptionIsQueued) {
  EVNODE_WATCHDOG(10);
  auto bell = std::make_shared<Bell>();
  auto reader = [&]() -> Task<void> {
    auto rings = events::on(bell, Bell::Events::ring);
    co_await rings.next();
    ADD_FAILURE() << "resumed";
  };
  Task<void> t = reader();
  detail::resumeNested(t.handle());
  setTimeout(
      [&] {
        bell->emit(Bell::Events::ring, 1, std::string("x"));  // queues the resumption
        t = Task<void>();                                     // and the frame goes first
      },
      5);
  run();
  EXPECT_EQ(bell->listenerCount(Bell::Events::ring), 0u);
}

TEST(DgramPromisesTest, MessagesWithTheirSender) {
  EVNODE_WATCHDOG(10);
  auto server = dgram::createSocket("udp4");
  auto client = dgram::createSocket("udp4");
  auto amain = [&]() -> Task<void> {
    server->bind(0, "127.0.0.1");
    co_await events::once(server, dgram::Socket::Events::listening);
    int port = server->address().port;
    client->bind(0, "127.0.0.1");
    co_await events::once(client, dgram::Socket::Events::listening);
    auto inbox = dgram::promises::messages(server);
    for (const char* m : {"one", "two", "three"}) client->send(Buffer::from(m), port, "127.0.0.1");
    std::vector<std::string> got;
    while (auto m = co_await inbox.next()) {
      auto& [msg, rinfo] = *m;
      got.push_back(msg.toString());
      EXPECT_EQ(rinfo.port, client->address().port);
      EXPECT_EQ(rinfo.family, "IPv4");
      EXPECT_EQ(rinfo.size, msg.size());
      if (got.size() == 3) break;
    }
    EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "three"}));
    server->close();
    client->close();
  };
  run(amain());
}

TEST(TlsPromisesTest, ConnectResolvesAtSecureConnect) {
  EVNODE_WATCHDOG(20);
  ASSERT_TRUE(tlstest::certs().ok) << tlstest::certs().error;
  tls::ServerOptions so;
  so.key = tlstest::certs().pem("leaf.key");
  so.cert = tlstest::certs().pem("leaf.pem");
  auto server = tls::createServer(so, [](const std::shared_ptr<tls::TLSSocket>& s) {
    s->on(tls::TLSSocket::Events::error, [](const Error&) {});  // the refusing client
    s->end("hello over tls");
  });
  server->listen(0, "127.0.0.1");
  int port = server->address().port;
  auto silent = net::createServer([](const std::shared_ptr<net::Socket>&) {});
  silent->listen(0, "127.0.0.1");
  auto amain = [&]() -> Task<void> {
    try {
      co_await tls::promises::connect(port, "localhost");
      ADD_FAILURE() << "no exception";
    } catch (const SystemError& e) {
      EXPECT_EQ(e.error().code, "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    }
    tls::ConnectionOptions trust;
    trust.ca = {tlstest::certs().pem("ca.pem")};
    auto s = co_await tls::promises::connect(port, "localhost", trust);
    EXPECT_TRUE(s->authorized());
    EXPECT_EQ(co_await stream::consumers::text(s), "hello over tls");
    // A server that never answers the handshake: the signal ends the wait.
    auto r = co_await tls::promises::connect(silent->address().port, "localhost", trust,
                                             AbortSignal::timeout(50))
                 .result();
    EXPECT_EQ(r.error().code, "ABORT_ERR");
    server->close();
    silent->close();
  };
  run(amain());
}

}  // namespace
}  // namespace evnode

namespace evnode {
namespace {

// The adapters resume as microtasks: after the nextTicks the completing callback queued, before
// its setImmediate; in completion order.
TEST(AdapterOrderTest, ResumeAfterTicksBeforeImmediates) {
  EVNODE_WATCHDOG(10);
  auto bell = std::make_shared<Bell>();
  auto source = std::make_shared<PassThrough>();
  std::vector<std::string> log;
  auto onReader = [&]() -> Task<void> {
    auto rings = events::on(bell, Bell::Events::ring);
    co_await rings.next();
    log.push_back("on resumed");
  };
  auto textReader = [&]() -> Task<void> {
    std::string t = co_await stream::consumers::text(source);
    log.push_back("text resumed: " + t);
  };
  spawn(onReader());
  spawn(textReader());
  setTimeout(
      [&] {
        bell->emit(Bell::Events::ring, 1, std::string("x"));
        setImmediate([&] { log.push_back("immediate"); });
        nextTick([&] { log.push_back("tick"); });
        queueMicrotask([&] { log.push_back("microtask"); });
      },
      5);
  setTimeout([&] { source->end(Buffer::from("body")); }, 10);
  run();
  ASSERT_GE(log.size(), 4u);
  EXPECT_EQ(log[0], "tick");
  EXPECT_EQ(log[1], "on resumed");  // queued by the emit, before the callback's own microtask
  EXPECT_EQ(log[2], "microtask");
  EXPECT_EQ(log[3], "immediate");
  EXPECT_EQ(log.back(), "text resumed: body");
}

TEST(AdapterDestroyTest, IteratorAndConsumerDestroyedMidAwait) {
  EVNODE_WATCHDOG(10);
  auto a = std::make_shared<PassThrough>();
  auto b = std::make_shared<PassThrough>();
  auto iterate = [&]() -> Task<void> {
    auto it = stream::iterator(a);
    co_await it.next();
    ADD_FAILURE() << "resumed";
  };
  auto consume = [&]() -> Task<void> {
    co_await stream::consumers::text(b);
    ADD_FAILURE() << "resumed";
  };
  Task<void> t1 = iterate(), t2 = consume();
  detail::resumeNested(t1.handle());
  detail::resumeNested(t2.handle());
  setTimeout(
      [&] {
        a->write(Buffer::from("x"));  // queues the iterator's resumption...
        t1 = Task<void>();            // ...which must not run on the destroyed frame
        t2 = Task<void>();
        b->write(Buffer::from("y"));
        b->end();
      },
      5);
  run();
  EXPECT_TRUE(a->destroyed());  // leaving the iteration early destroys the stream (Node's break)
  EXPECT_EQ(a->listenerCount(Readable::Events::readable), 0u);
  EXPECT_EQ(b->listenerCount(Readable::Events::data), 0u);
  EXPECT_EQ(b->listenerCount(Readable::Events::end), 0u);
}

}  // namespace
}  // namespace evnode
