// Node's promise APIs: timers::promises, events::once, net::promises::connect.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <tuple>

#include "evnode/events_once.h"
#include "evnode/net.h"
#include "evnode/net_promises.h"
#include "evnode/task.h"
#include "evnode/timers_promises.h"
#include "support/testing.h"

namespace evnode {
namespace {

namespace tp = timers::promises;
using Clock = std::chrono::steady_clock;

struct Door : EventEmitter {
  struct Events : EventEmitter::Events {
    static constexpr Event<int, const std::string&> opened{"opened"};
    static constexpr Event<> shut{"shut"};
  };
};

TEST(TimersPromisesTest, SetTimeoutWaitsItsDelay) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<long long> {
    auto t0 = Clock::now();
    co_await tp::setTimeout(20);
    co_return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  };
  EXPECT_GE(run(amain()), 19);
}

TEST(TimersPromisesTest, SetImmediateResumesAfterTheTicks) {
  EVNODE_WATCHDOG(10);
  std::vector<std::string> log;
  auto amain = [&]() -> Task<void> {
    nextTick([&] { log.push_back("tick"); });
    co_await tp::setImmediate();
    log.push_back("immediate");
  };
  run(amain());
  EXPECT_EQ(log, (std::vector<std::string>{"tick", "immediate"}));
}

TEST(TimersPromisesTest, SetIntervalYieldsUntilTheGeneratorIsDropped) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<std::uint64_t> {
    std::uint64_t last = 0;
    auto ticks = tp::setInterval(2);
    while (auto n = co_await ticks.next()) {
      last = *n;
      if (*n == 3) break;
    }
    co_return last;
  };
  auto t0 = Clock::now();
  EXPECT_EQ(run(amain()), 3u);  // and the loop ended: the interval was cleared
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));
}

TEST(TimersPromisesTest, SetIntervalCatchesUpAndStopsOnAbort) {
  EVNODE_WATCHDOG(10);
  AbortController ac;
  auto amain = [&]() -> Task<std::string> {
    auto ticks = tp::setInterval(1, {.signal = ac.signal(), .ref = true});
    co_await ticks.next();
    auto busyUntil = Clock::now() + std::chrono::milliseconds(10);
    while (Clock::now() < busyUntil) {
    }
    co_await tp::setTimeout(5);  // several fires pile up meanwhile
    auto t0 = Clock::now();
    co_await ticks.next();
    co_await ticks.next();
    EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(2));  // given at once
    setTimeout([&] { ac.abort(); }, 1);
    try {
      for (;;) co_await ticks.next();
    } catch (const AbortError& e) {
      co_return e.code();
    }
  };
  EXPECT_EQ(run(amain()), "ABORT_ERR");
}

TEST(EventsOnceTest, GivesTheArgumentsAsATupleAndRemovesItsListeners) {
  EVNODE_WATCHDOG(10);
  auto door = std::make_shared<Door>();
  auto amain = [&]() -> Task<std::string> {
    auto [who, name] = co_await events::once(door, Door::Events::opened);
    std::tuple<> none = co_await events::once(*door, Door::Events::shut);
    (void)none;
    co_return std::to_string(who) + name;
  };
  setTimeout([&] { door->emit(Door::Events::opened, 7, std::string("door")); }, 1);
  setTimeout([&] { door->emit(Door::Events::shut); }, 2);
  EXPECT_EQ(run(amain()), "7door");
  EXPECT_EQ(door->listenerCount(Door::Events::opened), 0u);
  EXPECT_EQ(door->listenerCount(Door::Events::shut), 0u);
  EXPECT_EQ(door->listenerCount(Door::Events::error), 0u);
}

TEST(EventsOnceTest, AnErrorRejectsWithSystemErrorAndRemovesBothListeners) {
  EVNODE_WATCHDOG(10);
  Door door;
  auto amain = [&]() -> Task<std::string> {
    try {
      co_await events::once(door, Door::Events::opened);
    } catch (const SystemError& e) {
      EXPECT_EQ(e.error().syscall, "read");
      co_return std::string(e.code()) + "|" + e.what();
    }
    co_return "none";
  };
  setTimeout([&] { door.emit(Door::Events::error, Error::fromUv(-104, "read")); }, 1);
  EXPECT_EQ(run(amain()), "ECONNRESET|read ECONNRESET");
  EXPECT_EQ(door.listenerCount(Door::Events::opened), 0u);
  EXPECT_EQ(door.listenerCount(Door::Events::error), 0u);
}

TEST(EventsOnceTest, OnceForErrorGivesTheError) {
  EVNODE_WATCHDOG(10);
  Door door;
  auto amain = [&]() -> Task<std::string> {
    auto [err] = co_await events::once(door, Door::Events::error);
    co_return err.code;
  };
  setTimeout([&] { door.emit(Door::Events::error, Error("E_X", "x")); }, 1);
  EXPECT_EQ(run(amain()), "E_X");
}

TEST(NetPromisesTest, ConnectionRefusedIsThrownWithNodesMessage) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<std::string> {
    try {
      co_await net::promises::connect(1, "127.0.0.1");
    } catch (const SystemError& e) {
      EXPECT_EQ(e.code(), "ECONNREFUSED");
      EXPECT_EQ(e.error().syscall, "connect");
      EXPECT_EQ(e.error().address, "127.0.0.1");
      EXPECT_EQ(e.error().port, 1);
      co_return e.what();
    }
    co_return "connected";
  };
  EXPECT_EQ(run(amain()), "connect ECONNREFUSED 127.0.0.1:1");
}

TEST(NetPromisesTest, ResultFormGivesTheErrorAsAValue) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<std::string> {
    auto r = co_await net::promises::connect(1, "127.0.0.1").result();
    EXPECT_FALSE(r);
    co_return r.error().message;
  };
  EXPECT_EQ(run(amain()), "connect ECONNREFUSED 127.0.0.1:1");
}

TEST(NetPromisesTest, ConnectsToAServerAndExchangesData) {
  EVNODE_WATCHDOG(10);
  auto server = net::createServer([](const std::shared_ptr<net::Socket>& s) {
    s->on(net::Socket::Events::data, [raw = s.get()](const Buffer& b) { raw->end(b); });
  });
  auto amain = [&]() -> Task<std::string> {
    server->listen(0, "127.0.0.1");
    co_await events::once(server, net::Server::Events::listening);
    auto socket = co_await net::promises::connect(server->address().port, "127.0.0.1");
    EXPECT_EQ(socket->remotePort(), server->address().port);
    socket->write("ping");
    auto [chunk] = co_await events::once(socket, net::Socket::Events::data);
    socket->destroy();
    server->close();
    co_return chunk.toString();
  };
  EXPECT_EQ(run(amain()), "ping");
}

}  // namespace
}  // namespace evnode
