// EventEmitter with typed events: registration order, once/prepend/off, Node's rules for
// listeners added or removed while an event is being emitted, the unhandled `error` rule, and
// the lifetime of listeners that capture their own emitter.
#include "evnode/events.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "evnode/error.h"

namespace evnode {
namespace {

struct Door : EventEmitter {
  struct Events : EventEmitter::Events {
    static constexpr Event<int> opened{"opened"};
    static constexpr Event<> closed{"closed"};
    static constexpr Event<const std::string&, int> knock{"knock"};
  };
};

// Restores the default uncaught-error behaviour after tests that install a handler.
class EventsTest : public ::testing::Test {
 protected:
  void TearDown() override { setUncaughtErrorHandler(nullptr); }
};

TEST_F(EventsTest, OnRunsListenersInRegistrationOrderWithArguments) {
  Door d;
  std::vector<std::string> log;
  d.on(Door::Events::knock, [&](const std::string& who, int times) {
    log.push_back("a:" + who + ":" + std::to_string(times));
  });
  d.addListener(Door::Events::knock, [&](const std::string& who, int times) {
    log.push_back("b:" + who + ":" + std::to_string(times));
  });
  EXPECT_TRUE(d.emit(Door::Events::knock, std::string("bob"), 3));
  EXPECT_EQ(log, (std::vector<std::string>{"a:bob:3", "b:bob:3"}));
}

TEST_F(EventsTest, EmitReturnsWhetherThereWereListeners) {
  Door d;
  EXPECT_FALSE(d.emit(Door::Events::opened, 1));
  int got = 0;
  d.on(Door::Events::opened, [&](int v) { got = v; });
  EXPECT_FALSE(d.emit(Door::Events::closed));  // a listener of another event does not count
  EXPECT_TRUE(d.emit(Door::Events::opened, 7));
  EXPECT_EQ(got, 7);
}

TEST_F(EventsTest, OnceRunsOnlyOnce) {
  Door d;
  int calls = 0;
  d.once(Door::Events::closed, [&] { ++calls; });
  EXPECT_EQ(d.listenerCount(Door::Events::closed), 1u);
  EXPECT_TRUE(d.emit(Door::Events::closed));
  EXPECT_EQ(d.listenerCount(Door::Events::closed), 0u);
  EXPECT_FALSE(d.emit(Door::Events::closed));
  EXPECT_EQ(calls, 1);
}

TEST_F(EventsTest, OffRemovesByListenerId) {
  Door d;
  std::vector<int> log;
  ListenerId a = d.on(Door::Events::opened, [&](int) { log.push_back(1); });
  ListenerId b = d.on(Door::Events::opened, [&](int) { log.push_back(2); });
  ListenerId c = d.on(Door::Events::opened, [&](int) { log.push_back(3); });
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_TRUE(d.off(Door::Events::opened, b));
  EXPECT_FALSE(d.off(Door::Events::opened, b));  // already gone
  EXPECT_FALSE(d.off(Door::Events::closed, a));  // registered for another event
  EXPECT_EQ(d.listenerCount(Door::Events::opened), 2u);
  d.emit(Door::Events::opened, 0);
  EXPECT_EQ(log, (std::vector<int>{1, 3}));
  EXPECT_TRUE(d.removeListener(Door::Events::opened, a));
  log.clear();
  d.emit(Door::Events::opened, 0);
  EXPECT_EQ(log, (std::vector<int>{3}));
}

TEST_F(EventsTest, OffRemovesAOnceListenerBeforeItFires) {
  Door d;
  int calls = 0;
  ListenerId id = d.once(Door::Events::closed, [&] { ++calls; });
  EXPECT_TRUE(d.off(Door::Events::closed, id));
  EXPECT_FALSE(d.emit(Door::Events::closed));
  EXPECT_EQ(calls, 0);
}

TEST_F(EventsTest, PrependListenersRunFirst) {
  Door d;
  std::vector<std::string> log;
  d.on(Door::Events::closed, [&] { log.push_back("on"); });
  d.prependListener(Door::Events::closed, [&] { log.push_back("prepend"); });
  d.prependOnceListener(Door::Events::closed, [&] { log.push_back("prependOnce"); });
  d.once(Door::Events::closed, [&] { log.push_back("once"); });
  d.emit(Door::Events::closed);
  EXPECT_EQ(log, (std::vector<std::string>{"prependOnce", "prepend", "on", "once"}));
  log.clear();
  d.emit(Door::Events::closed);
  EXPECT_EQ(log, (std::vector<std::string>{"prepend", "on"}));
}

TEST_F(EventsTest, RemoveAllListenersForOneEventOrAll) {
  Door d;
  int opened = 0, closed = 0;
  d.on(Door::Events::opened, [&](int) { ++opened; });
  d.on(Door::Events::opened, [&](int) { ++opened; });
  d.on(Door::Events::closed, [&] { ++closed; });
  d.removeAllListeners(Door::Events::opened);
  EXPECT_EQ(d.listenerCount(Door::Events::opened), 0u);
  EXPECT_EQ(d.listenerCount(Door::Events::closed), 1u);
  EXPECT_FALSE(d.emit(Door::Events::opened, 1));
  EXPECT_TRUE(d.emit(Door::Events::closed));
  d.on(Door::Events::opened, [&](int) { ++opened; });
  d.removeAllListeners();
  EXPECT_EQ(d.listenerCount(Door::Events::opened), 0u);
  EXPECT_EQ(d.listenerCount(Door::Events::closed), 0u);
  EXPECT_FALSE(d.emit(Door::Events::opened, 1));
  EXPECT_FALSE(d.emit(Door::Events::closed));
  EXPECT_EQ(opened, 0);
  EXPECT_EQ(closed, 1);
}

TEST_F(EventsTest, ListenerCountPerEvent) {
  Door d;
  EXPECT_EQ(d.listenerCount(Door::Events::opened), 0u);
  d.on(Door::Events::opened, [](int) {});
  d.once(Door::Events::opened, [](int) {});
  d.on(Door::Events::closed, [] {});
  EXPECT_EQ(d.listenerCount(Door::Events::opened), 2u);
  EXPECT_EQ(d.listenerCount(Door::Events::closed), 1u);
  EXPECT_EQ(d.listenerCount(Door::Events::error), 0u);
}

// Node: a listener removed during an emit still runs in that emit.
TEST_F(EventsTest, ListenerRemovedDuringEmitStillRunsInThatEmit) {
  Door d;
  std::vector<std::string> log;
  ListenerId second = 0;
  d.on(Door::Events::closed, [&] {
    log.push_back("first");
    d.off(Door::Events::closed, second);
  });
  second = d.on(Door::Events::closed, [&] { log.push_back("second"); });
  d.emit(Door::Events::closed);
  EXPECT_EQ(log, (std::vector<std::string>{"first", "second"}));
  log.clear();
  d.emit(Door::Events::closed);
  EXPECT_EQ(log, (std::vector<std::string>{"first"}));
}

TEST_F(EventsTest, RemoveAllListenersDuringEmitStillRunsTheRest) {
  Door d;
  std::vector<std::string> log;
  d.on(Door::Events::closed, [&] {
    log.push_back("first");
    d.removeAllListeners();
  });
  d.on(Door::Events::closed, [&] { log.push_back("second"); });
  d.emit(Door::Events::closed);
  EXPECT_EQ(log, (std::vector<std::string>{"first", "second"}));
  EXPECT_FALSE(d.emit(Door::Events::closed));
}

// Node: a once listener removed (before it fired) by an earlier listener of the same emit
// still runs in that emit, like any other removed listener.
TEST_F(EventsTest, OnceListenerRemovedDuringEmitStillRunsInThatEmit) {
  Door d;
  std::vector<std::string> log;
  ListenerId second = 0;
  d.on(Door::Events::closed, [&] {
    log.push_back("first");
    d.off(Door::Events::closed, second);
  });
  second = d.once(Door::Events::closed, [&] { log.push_back("once"); });
  d.emit(Door::Events::closed);
  EXPECT_EQ(log, (std::vector<std::string>{"first", "once"}));
  EXPECT_EQ(d.listenerCount(Door::Events::closed), 1u);
}

// Node: a listener added during an emit does not run in that emit.
TEST_F(EventsTest, ListenerAddedDuringEmitRunsFromTheNextEmit) {
  Door d;
  std::vector<std::string> log;
  bool added = false;
  d.on(Door::Events::closed, [&] {
    log.push_back("first");
    if (!added) {
      added = true;
      d.on(Door::Events::closed, [&] { log.push_back("added"); });
      d.prependListener(Door::Events::closed, [&] { log.push_back("prepended"); });
    }
  });
  d.emit(Door::Events::closed);
  EXPECT_EQ(log, (std::vector<std::string>{"first"}));
  log.clear();
  d.emit(Door::Events::closed);
  EXPECT_EQ(log, (std::vector<std::string>{"prepended", "first", "added"}));
}

// A once listener that emits its own event recursively runs once.
TEST_F(EventsTest, OnceListenerEmittingRecursivelyRunsOnce) {
  Door d;
  int calls = 0;
  d.once(Door::Events::opened, [&](int depth) {
    ++calls;
    if (depth < 3) d.emit(Door::Events::opened, depth + 1);
  });
  EXPECT_TRUE(d.emit(Door::Events::opened, 0));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(d.listenerCount(Door::Events::opened), 0u);
}

// A recursive emit from an earlier listener fires a later once listener; the outer emit must
// not run it a second time (Node's once wrapper has a `fired` flag).
TEST_F(EventsTest, OnceListenerFiredByNestedEmitDoesNotRunAgainInOuterEmit) {
  Door d;
  std::vector<std::string> log;
  d.on(Door::Events::opened, [&](int depth) {
    log.push_back("on" + std::to_string(depth));
    if (depth == 0) d.emit(Door::Events::opened, 1);
  });
  d.once(Door::Events::opened, [&](int depth) { log.push_back("once" + std::to_string(depth)); });
  d.emit(Door::Events::opened, 0);
  EXPECT_EQ(log, (std::vector<std::string>{"on0", "on1", "once1"}));
}

TEST_F(EventsTest, ErrorWithListenerGoesToTheListener) {
  Door d;
  int handled = 0;
  setUncaughtErrorHandler([&](const Error&) { ADD_FAILURE() << "uncaught handler called"; });
  Error got;
  d.on(Door::Events::error, [&](const Error& e) {
    ++handled;
    got = e;
  });
  EXPECT_TRUE(d.emit(Door::Events::error, Error("EBOOM", "boom")));
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(got.code, "EBOOM");
  EXPECT_EQ(got.message, "boom");
}

TEST_F(EventsTest, ErrorWithoutListenerGoesToUncaughtHandler) {
  Door d;
  std::vector<Error> seen;
  setUncaughtErrorHandler([&](const Error& e) { seen.push_back(e); });
  EXPECT_FALSE(d.emit(Door::Events::error, Error("EBOOM", "boom")));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].code, "EBOOM");
  // A once error listener handles exactly one error; the next one is uncaught again.
  int handled = 0;
  d.once(Door::Events::error, [&](const Error&) { ++handled; });
  EXPECT_TRUE(d.emit(Door::Events::error, Error("E1", "one")));
  EXPECT_FALSE(d.emit(Door::Events::error, Error("E2", "two")));
  EXPECT_EQ(handled, 1);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].code, "E2");
}

TEST_F(EventsTest, ErrorWithoutListenerOrHandlerPrintsAndExits) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        Door d;
        d.emit(Door::Events::error, Error("EBOOM", "it broke"));
        std::exit(0);  // not reached
      },
      ::testing::ExitedWithCode(1), "unhandled 'error' event: EBOOM: it broke");
}

struct PingA : EventEmitter {
  struct Events : EventEmitter::Events {
    static constexpr Event<> ping{"ping"};
  };
};
struct PingB : EventEmitter {
  struct Events : EventEmitter::Events {
    static constexpr Event<> ping{"ping"};
  };
};

TEST_F(EventsTest, UserDefinedEventsWithTheSameNameDoNotCollide) {
  using A = PingA;
  using B = PingB;
  A a;
  int calls = 0;
  a.on(A::Events::ping, [&] { ++calls; });
  EXPECT_FALSE(a.emit(B::Events::ping));  // same name, different event
  EXPECT_TRUE(a.emit(A::Events::ping));
  EXPECT_EQ(calls, 1);
}

// A listener that captures its own emitter's shared_ptr is a reference cycle until the
// listener is removed; removeAllListeners() must break it (LeakSanitizer checks the rest).
TEST_F(EventsTest, ListenerCapturingItsEmitterIsFreedAfterRemoveAllListeners) {
  std::weak_ptr<Door> weak;
  {
    auto d = std::make_shared<Door>();
    weak = d;
    d->on(Door::Events::opened, [d](int) { (void)d; });
    d->once(Door::Events::closed, [d] { (void)d; });
    d->prependListener(Door::Events::error, [d](const Error&) { (void)d; });
  }
  ASSERT_FALSE(weak.expired());  // the cycle keeps it
  weak.lock()->removeAllListeners();
  EXPECT_TRUE(weak.expired());
}

TEST_F(EventsTest, ListenerCapturingItsEmitterIsFreedAfterOff) {
  std::weak_ptr<Door> weak;
  ListenerId id;
  {
    auto d = std::make_shared<Door>();
    weak = d;
    id = d->on(Door::Events::opened, [d](int) { (void)d; });
  }
  ASSERT_FALSE(weak.expired());
  EXPECT_TRUE(weak.lock()->off(Door::Events::opened, id));
  EXPECT_TRUE(weak.expired());
}

TEST_F(EventsTest, OnceListenerCapturingItsEmitterIsFreedAfterFiring) {
  std::weak_ptr<Door> weak;
  int calls = 0;
  {
    auto d = std::make_shared<Door>();
    weak = d;
    d->once(Door::Events::closed, [d, &calls] { ++calls; });
  }
  weak.lock()->emit(Door::Events::closed);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(weak.expired());
}

// A Door that records listenerRemoved's calls.
struct WatchedDoor : Door {
  std::vector<const void*> removed;
  void listenerRemoved(const void* key) override { removed.push_back(key); }
};

TEST_F(EventsTest, RemoveListenersTakesSeveralIdsAtOnce) {
  WatchedDoor d;
  std::vector<std::string> log;
  ListenerId a = d.on(Door::Events::opened, [&](int) { log.push_back("a"); });
  ListenerId b = d.on(Door::Events::opened, [&](int) { log.push_back("b"); });
  ListenerId c = d.on(Door::Events::closed, [&] { log.push_back("c"); });
  ListenerId e = d.on(Door::Events::closed, [&] { log.push_back("e"); });
  ListenerId k = d.on(Door::Events::knock, [&](const std::string&, int) { log.push_back("k"); });
  ListenerId unknown = a + b + c + e + k + 1000;
  EXPECT_EQ(d.removeListeners({a, c, unknown}), 2u);
  // As off() per listener: listenerRemoved once per listener removed, with its event.
  EXPECT_EQ(d.removed, (std::vector<const void*>{&Door::Events::opened, &Door::Events::closed}));
  EXPECT_EQ(d.listenerCount(Door::Events::opened), 1u);
  EXPECT_EQ(d.listenerCount(Door::Events::closed), 1u);
  EXPECT_EQ(d.listenerCount(Door::Events::knock), 1u);
  d.emit(Door::Events::opened, 1);
  d.emit(Door::Events::closed);
  d.emit(Door::Events::knock, std::string("x"), 1);
  EXPECT_EQ(log, (std::vector<std::string>{"b", "e", "k"}));
  EXPECT_EQ(d.removeListeners({unknown}), 0u);
  EXPECT_EQ(d.removeListeners({b, e, k}), 3u);
  EXPECT_FALSE(d.emit(Door::Events::opened, 1));
  EXPECT_FALSE(d.emit(Door::Events::closed));
  EXPECT_EQ(d.removeListeners({b}), 0u);  // no listener at all any more
}

TEST_F(EventsTest, RemoveListenersDuringEmitStillRunsThemInThatEmit) {
  Door d;
  std::vector<std::string> log;
  ListenerId second = 0, third = 0;
  d.on(Door::Events::closed, [&] {
    log.push_back("first");
    d.removeListeners({second, third});
  });
  second = d.on(Door::Events::closed, [&] { log.push_back("second"); });
  third = d.on(Door::Events::closed, [&] { log.push_back("third"); });
  d.emit(Door::Events::closed);
  EXPECT_EQ(log, (std::vector<std::string>{"first", "second", "third"}));
  log.clear();
  d.emit(Door::Events::closed);
  EXPECT_EQ(log, (std::vector<std::string>{"first"}));
}

TEST_F(EventsTest, RemoveListenersFromALongListAndManyAtOnce) {
  WatchedDoor d;
  std::vector<int> ran;
  std::vector<ListenerId> ids;
  for (int i = 0; i < 70; ++i) {
    ids.push_back(d.on(Door::Events::opened, [&ran, i](int) { ran.push_back(i); }));
  }
  // Past 64 listeners, and more than eight removed at once.
  EXPECT_EQ(d.removeListeners({ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], ids[6], ids[7],
                               ids[8], ids[35], ids[69]}),
            11u);
  EXPECT_EQ(d.removed.size(), 11u);
  EXPECT_EQ(d.listenerCount(Door::Events::opened), 59u);
  d.emit(Door::Events::opened, 0);
  std::vector<int> expected;
  for (int i = 9; i < 69; ++i) {
    if (i != 35) expected.push_back(i);
  }
  EXPECT_EQ(ran, expected);
}

}  // namespace
}  // namespace evnode
