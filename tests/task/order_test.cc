// When a resumed coroutine runs: as Node's promise jobs, after the callback that completed its
// operation and after the nextTick queue.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "evnode/events.h"
#include "evnode/events_once.h"
#include "evnode/loop.h"
#include "evnode/task.h"
#include "support/testing.h"

namespace evnode {
namespace {

using Log = std::vector<std::string>;

struct Door : EventEmitter {
  struct Events : EventEmitter::Events {
    static constexpr Event<int> x{"x"};
  };
};

// The Node program this reproduces (node 20 prints "sync tick1 A B microA tickA cb2 t2 m2"):
//
//   const ee = new EventEmitter();
//   (async () => { await once(ee, 'x'); log.push('A');
//                  process.nextTick(() => log.push('tickA'));
//                  queueMicrotask(() => log.push('microA')); })();
//   (async () => { await once(ee, 'x'); log.push('B'); })();
//   setTimeout(() => { process.nextTick(() => log.push('tick1')); ee.emit('x');
//                      log.push('sync'); }, 1);
//   setTimeout(() => { queueMicrotask(() => log.push('m2'));
//                      process.nextTick(() => log.push('t2')); log.push('cb2'); }, 5);
TEST(OrderTest, ResumptionsRunAfterTheCallbackAndItsTicksLikeNodePromiseJobs) {
  EVNODE_WATCHDOG(10);
  Log log;
  Door door;
  auto a = [&]() -> Task<void> {
    co_await events::once(door, Door::Events::x);
    log.push_back("A");
    nextTick([&] { log.push_back("tickA"); });
    queueMicrotask([&] { log.push_back("microA"); });
  };
  auto b = [&]() -> Task<void> {
    co_await events::once(door, Door::Events::x);
    log.push_back("B");
  };
  spawn(a());
  spawn(b());
  setTimeout(
      [&] {
        nextTick([&] { log.push_back("tick1"); });
        door.emit(Door::Events::x, 1);
        log.push_back("sync");
      },
      1);
  setTimeout(
      [&] {
        queueMicrotask([&] { log.push_back("m2"); });
        nextTick([&] { log.push_back("t2"); });
        log.push_back("cb2");
      },
      5);
  run();
  EXPECT_EQ(log, (Log{"sync", "tick1", "A", "B", "microA", "tickA", "cb2", "t2", "m2"}));
}

// Node: Promise.resolve().then(() => log('micro')); process.nextTick(() => log('tick'));
// log('sync') at the top level prints sync, tick, micro.
TEST(OrderTest, MicrotasksQueuedOutsideACallbackRunAfterTicksWhenTheLoopStarts) {
  EVNODE_WATCHDOG(10);
  Log log;
  queueMicrotask([&] { log.push_back("micro"); });
  nextTick([&] { log.push_back("tick"); });
  log.push_back("sync");
  run();
  EXPECT_EQ(log, (Log{"sync", "tick", "micro"}));
}

TEST(OrderTest, AnAwaitedTaskThatFinishesSynchronouslyContinuesAtOnce) {
  EVNODE_WATCHDOG(10);
  Log log;
  auto inner = [&]() -> Task<int> {
    log.push_back("inner");
    co_return 1;
  };
  auto outer = [&]() -> Task<void> {
    co_await inner();
    log.push_back("outer");
  };
  nextTick([&] { log.push_back("tick"); });
  spawn(outer());
  log.push_back("spawned");
  run();
  EXPECT_EQ(log, (Log{"inner", "outer", "spawned", "tick"}));
}

}  // namespace
}  // namespace evnode
