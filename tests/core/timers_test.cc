// The loop and Node's timers: when run() returns, ref/unref, setTimeout/setInterval/
// setImmediate/nextTick and the order in which their callbacks run.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "evnode/loop.h"
#include "support/testing.h"

namespace evnode {
namespace {

using Log = std::vector<std::string>;
using Clock = std::chrono::steady_clock;

long long msSince(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

// Busy-waits so that timers become due without the loop getting a chance to run them.
void spinMs(int ms) {
  auto until = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < until) {
  }
}

TEST(LoopTest, RunReturnsAtOnceWhenNothingIsPending) {
  EVNODE_WATCHDOG(10);
  auto t0 = Clock::now();
  run();
  EXPECT_LT(msSince(t0), 1000);
}

TEST(LoopTest, RunReturnsAfterTheLastTimer) {
  EVNODE_WATCHDOG(10);
  Log log;
  setTimeout([&] { log.push_back("t20"); }, 20);
  setTimeout([&] { log.push_back("t5"); }, 5);
  auto t0 = Clock::now();
  run();
  EXPECT_EQ(log, (Log{"t5", "t20"}));
  EXPECT_GE(msSince(t0), 19);
}

TEST(LoopTest, RunDrainsTicksQueuedBeforeIt) {
  EVNODE_WATCHDOG(10);
  Log log;
  nextTick([&] {
    log.push_back("tick");
    nextTick([&] { log.push_back("nested"); });
  });
  run();
  EXPECT_EQ(log, (Log{"tick", "nested"}));
}

TEST(LoopTest, UnrefedTimerDoesNotKeepTheLoopAlive) {
  EVNODE_WATCHDOG(10);
  bool fired = false;
  auto t = setTimeout([&] { fired = true; }, 5000);
  EXPECT_TRUE(t->hasRef());
  t->unref();
  EXPECT_FALSE(t->hasRef());
  auto t0 = Clock::now();
  run();
  EXPECT_FALSE(fired);
  EXPECT_LT(msSince(t0), 1000);
  clearTimeout(t);
}

TEST(LoopTest, ReRefedTimerKeepsTheLoopAliveAgain) {
  EVNODE_WATCHDOG(10);
  bool fired = false;
  auto t = setTimeout([&] { fired = true; }, 10);
  t->unref();
  t->ref();
  EXPECT_TRUE(t->hasRef());
  run();
  EXPECT_TRUE(fired);
}

TEST(LoopTest, UnrefedTimerStillFiresWhileSomethingElseKeepsTheLoopAlive) {
  EVNODE_WATCHDOG(10);
  Log log;
  auto weak = setTimeout([&] { log.push_back("unrefed"); }, 5);
  weak->unref();
  setTimeout([&] { log.push_back("refed"); }, 40);
  run();
  EXPECT_EQ(log, (Log{"unrefed", "refed"}));
}

TEST(LoopTest, UnrefBeforeFiringThenRefFromAnotherCallback) {
  EVNODE_WATCHDOG(10);
  bool fired = false;
  auto t = setTimeout([&] { fired = true; }, 30);
  t->unref();
  setTimeout([&] { t->ref(); }, 1);  // keeps the loop alive until t fires
  run();
  EXPECT_TRUE(fired);
}

TEST(LoopTest, UnrefedIntervalDoesNotKeepTheLoopAlive) {
  EVNODE_WATCHDOG(10);
  int ticks = 0;
  auto iv = setInterval([&] { ++ticks; }, 2);
  iv->unref();
  setTimeout([] {}, 30);
  run();
  EXPECT_GE(ticks, 3);  // fired while the other timer kept the loop up, then let it exit
  clearInterval(iv);
}

TEST(LoopTest, UnrefedImmediateDoesNotKeepTheLoopAlive) {
  EVNODE_WATCHDOG(10);
  run();  // let earlier tests' handle closes finish: a pending close keeps one turn alive
  bool fired = false;
  auto imm = setImmediate([&] { fired = true; });
  EXPECT_TRUE(imm->hasRef());
  imm->unref();
  EXPECT_FALSE(imm->hasRef());
  run();
  EXPECT_FALSE(fired);
  // It is still pending: re-ref'd, the next run() runs it.
  imm->ref();
  run();
  EXPECT_TRUE(fired);
}

TEST(LoopTest, StopMakesRunReturn) {
  EVNODE_WATCHDOG(10);
  int calls = 0;
  TimeoutPtr iv;
  iv = setInterval(
      [&] {
        if (++calls == 3) Loop::current().stop();
      },
      1);
  run();
  EXPECT_EQ(calls, 3);
  clearInterval(iv);
  run();  // nothing left
  EXPECT_EQ(calls, 3);
}

TEST(LoopTest, RunOnceRunsOneTurn) {
  EVNODE_WATCHDOG(10);
  Log log;
  setImmediate([&] {
    log.push_back("a");
    setImmediate([&] { log.push_back("b"); });
  });
  EXPECT_TRUE(Loop::current().runOnce());  // "b" is still pending
  EXPECT_EQ(log, (Log{"a"}));
  EXPECT_FALSE(Loop::current().runOnce());
  EXPECT_EQ(log, (Log{"a", "b"}));
}

// Each thread has its own loop; a thread that exits with unref'd handles and pending
// immediates still open tears its loop down cleanly (ASan/LSan check the rest).
TEST(LoopTest, LoopIsPerThreadAndTornDownAtThreadExit) {
  EVNODE_WATCHDOG(10);
  Log mainLog;
  setImmediate([&] { mainLog.push_back("main"); });
  Log threadLog;
  std::thread th([&] {
    EXPECT_NE(&Loop::current(), nullptr);
    setTimeout([&] { threadLog.push_back("timer"); }, 20);
    setImmediate([&] { threadLog.push_back("immediate"); });
    nextTick([&] { threadLog.push_back("tick"); });
    setTimeout([] {}, 100000)->unref();  // still open when the thread ends
    setInterval([] {}, 100000)->unref();
    setImmediate([] {})->unref();
    run();
  });
  th.join();
  EXPECT_EQ(threadLog, (Log{"tick", "immediate", "timer"}));
  EXPECT_TRUE(mainLog.empty());  // the other thread did not run this loop's immediate
  run();
  EXPECT_EQ(mainLog, (Log{"main"}));
}

TEST(TimersTest, SetTimeoutFiresOnceAfterItsDelay) {
  EVNODE_WATCHDOG(10);
  int calls = 0;
  auto t0 = Clock::now();
  long long at = -1;
  setTimeout(
      [&] {
        ++calls;
        at = msSince(t0);
      },
      25);
  run();
  EXPECT_EQ(calls, 1);
  EXPECT_GE(at, 24);
}

// The delay counts from the setTimeout call, even when the loop has not run for a while (the
// loop's cached time is stale then; Node refreshes it when it creates a timer).
TEST(TimersTest, DelayCountsFromTheCallNotFromTheLastLoopTurn) {
  EVNODE_WATCHDOG(10);
  run();
  spinMs(60);  // a long synchronous stretch with no loop turn
  auto t0 = Clock::now();
  long long at = -1;
  setTimeout([&] { at = msSince(t0); }, 40);
  run();
  EXPECT_GE(at, 39);
}

TEST(TimersTest, TimersFireInExpiryOrderTiesInCreationOrder) {
  EVNODE_WATCHDOG(10);
  Log log;
  setTimeout([&] { log.push_back("30"); }, 30);
  setTimeout([&] { log.push_back("10a"); }, 10);
  setTimeout([&] { log.push_back("20"); }, 20);
  setTimeout([&] { log.push_back("10b"); }, 10);
  setTimeout([&] { log.push_back("10c"); }, 10);
  setTimeout([&] { log.push_back("1"); }, 1);
  run();
  EXPECT_EQ(log, (Log{"1", "10a", "10b", "10c", "20", "30"}));
}

TEST(TimersTest, ZeroDelayBehavesAsOneMillisecond) {
  EVNODE_WATCHDOG(10);
  Log log;
  setTimeout([&] { log.push_back("zero"); }, 0);
  setTimeout([&] { log.push_back("one"); }, 1);
  setTimeout([&] { log.push_back("zero2"); }, 0);
  run();
  EXPECT_EQ(log, (Log{"zero", "one", "zero2"}));  // all 1 ms: creation order
}

TEST(TimersTest, TimerSetToZeroRunsAfterTheCurrentCallbacks) {
  EVNODE_WATCHDOG(10);
  Log log;
  setTimeout(
      [&] {
        log.push_back("outer");
        setTimeout([&] { log.push_back("zero"); }, 0);
        nextTick([&] { log.push_back("tick"); });
        log.push_back("outer-end");
      },
      1);
  setTimeout([&] { log.push_back("sibling"); }, 1);  // due in the same turn as "outer"
  run();
  EXPECT_EQ(log, (Log{"outer", "outer-end", "tick", "sibling", "zero"}));
}

TEST(TimersTest, SetIntervalFiresNTimesThenClearIntervalFromItsCallback) {
  EVNODE_WATCHDOG(10);
  int calls = 0;
  TimeoutPtr iv;
  iv = setInterval(
      [&] {
        if (++calls == 5) clearInterval(iv);
      },
      2);
  auto t0 = Clock::now();
  run();
  EXPECT_EQ(calls, 5);
  EXPECT_GE(msSince(t0), 9);
}

TEST(TimersTest, ClearTimeoutBeforeFiring) {
  EVNODE_WATCHDOG(10);
  bool fired = false;
  auto t = setTimeout([&] { fired = true; }, 5);
  clearTimeout(t);
  auto t0 = Clock::now();
  run();
  EXPECT_FALSE(fired);
  EXPECT_LT(msSince(t0), 1000);
  clearTimeout(t);  // twice is harmless
  clearTimeout(nullptr);
}

TEST(TimersTest, ClearTimeoutFromAnotherTimer) {
  EVNODE_WATCHDOG(10);
  Log log;
  TimeoutPtr victim = setTimeout([&] { log.push_back("victim"); }, 30);
  setTimeout(
      [&] {
        log.push_back("killer");
        clearTimeout(victim);
      },
      5);
  run();
  EXPECT_EQ(log, (Log{"killer"}));
}

// Both are due in the same turn; the first clears the second before it runs.
TEST(TimersTest, ClearTimeoutOfATimerDueInTheSameTurn) {
  EVNODE_WATCHDOG(10);
  Log log;
  TimeoutPtr second;
  setTimeout(
      [&] {
        log.push_back("first");
        clearTimeout(second);
      },
      2);
  second = setTimeout([&] { log.push_back("second"); }, 2);
  run();
  EXPECT_EQ(log, (Log{"first"}));
}

TEST(TimersTest, DroppingTheHandleDoesNotCancel) {
  EVNODE_WATCHDOG(10);
  bool fired = false;
  {
    setTimeout([&] { fired = true; }, 1);
  }
  run();
  EXPECT_TRUE(fired);
}

TEST(TimersTest, RefreshRestartsTheCountdown) {
  EVNODE_WATCHDOG(10);
  auto t0 = Clock::now();
  long long firedAt = -1;
  auto t = setTimeout([&] { firedAt = msSince(t0); }, 40);
  setTimeout(
      [&] {
        spinMs(1);
        t->refresh();  // now ~25 ms in: due again 40 ms from here
      },
      25);
  run();
  EXPECT_GE(firedAt, 64);
}

TEST(TimersTest, RefreshReArmsATimerThatAlreadyFired) {
  EVNODE_WATCHDOG(10);
  int calls = 0;
  TimeoutPtr t;
  t = setTimeout(
      [&] {
        if (++calls < 3) t->refresh();
      },
      2);
  run();
  EXPECT_EQ(calls, 3);
  // And from outside its callback, after it fired.
  t->refresh();
  run();
  EXPECT_EQ(calls, 4);
}

TEST(TimersTest, RefreshOfAClearedTimerDoesNothing) {
  EVNODE_WATCHDOG(10);
  bool fired = false;
  auto t = setTimeout([&] { fired = true; }, 1);
  clearTimeout(t);
  t->refresh();
  run();
  EXPECT_FALSE(fired);
}

TEST(TimersTest, TimerCallbackMayDropTheLastReferenceToItself) {
  EVNODE_WATCHDOG(10);
  int calls = 0;
  auto holder = std::make_shared<TimeoutPtr>();
  *holder = setTimeout(
      [&calls, holder] {
        ++calls;
        holder->reset();  // the handle goes; the callback is running from a local copy
      },
      1);
  std::weak_ptr<Timeout> weak = *holder;
  run();
  EXPECT_EQ(calls, 1);
  holder.reset();
  EXPECT_TRUE(weak.expired());
}

TEST(TimersTest, ClearedTimerReleasesItsCallback) {
  EVNODE_WATCHDOG(10);
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> weak = token;
  auto t = setTimeout([token] {}, 1000);
  token.reset();
  EXPECT_FALSE(weak.expired());
  clearTimeout(t);
  EXPECT_TRUE(weak.expired());
  run();
}

TEST(TimersTest, SetImmediateRunsInOrder) {
  EVNODE_WATCHDOG(10);
  Log log;
  setImmediate([&] { log.push_back("a"); });
  setImmediate([&] { log.push_back("b"); });
  setImmediate([&] { log.push_back("c"); });
  run();
  EXPECT_EQ(log, (Log{"a", "b", "c"}));
}

TEST(TimersTest, ClearImmediate) {
  EVNODE_WATCHDOG(10);
  Log log;
  ImmediatePtr b;
  setImmediate([&] {
    log.push_back("a");
    clearImmediate(b);  // queued in the same batch, not run yet
  });
  b = setImmediate([&] { log.push_back("b"); });
  auto c = setImmediate([&] { log.push_back("c"); });
  auto d = setImmediate([&] { log.push_back("d"); });
  clearImmediate(c);
  run();
  EXPECT_EQ(log, (Log{"a", "d"}));
  clearImmediate(d);  // after it ran: harmless
  clearImmediate(nullptr);
}

TEST(TimersTest, ClearingTheOnlyImmediateLetsTheLoopExit) {
  EVNODE_WATCHDOG(10);
  bool fired = false;
  auto i = setImmediate([&] { fired = true; });
  clearImmediate(i);
  auto t0 = Clock::now();
  run();
  EXPECT_FALSE(fired);
  EXPECT_LT(msSince(t0), 1000);
}

TEST(TimersTest, NextTickRunsBeforeImmediates) {
  EVNODE_WATCHDOG(10);
  Log log;
  setImmediate([&] { log.push_back("immediate"); });
  nextTick([&] { log.push_back("tick"); });
  run();
  EXPECT_EQ(log, (Log{"tick", "immediate"}));
}

TEST(TimersTest, TicksQueuedByTicksRunBeforeImmediates) {
  EVNODE_WATCHDOG(10);
  Log log;
  setTimeout(
      [&] {
        setImmediate([&] { log.push_back("immediate"); });
        nextTick([&] {
          log.push_back("tick1");
          nextTick([&] {
            log.push_back("tick2");
            nextTick([&] { log.push_back("tick3"); });
          });
        });
        log.push_back("timer");
      },
      1);
  run();
  EXPECT_EQ(log, (Log{"timer", "tick1", "tick2", "tick3", "immediate"}));
}

// Node >= 11: the tick queue drains after each immediate and each timer, not per phase.
TEST(TimersTest, TicksDrainBetweenImmediatesAndBetweenTimers) {
  EVNODE_WATCHDOG(10);
  Log log;
  setImmediate([&] {
    log.push_back("i1");
    nextTick([&] { log.push_back("i1-tick"); });
  });
  setImmediate([&] { log.push_back("i2"); });
  run();
  setTimeout(
      [&] {
        log.push_back("t1");
        nextTick([&] { log.push_back("t1-tick"); });
      },
      1);
  setTimeout([&] { log.push_back("t2"); }, 1);
  run();
  EXPECT_EQ(log, (Log{"i1", "i1-tick", "i2", "t1", "t1-tick", "t2"}));
}

// An immediate queued by an immediate waits for the next turn, so a timer that became due
// meanwhile runs first.
TEST(TimersTest, ImmediateQueuedByImmediateRunsNextTurnAfterTimers) {
  EVNODE_WATCHDOG(10);
  Log log;
  setImmediate([&] {
    log.push_back("a");
    setTimeout([&] { log.push_back("timer"); }, 1);
    setImmediate([&] { log.push_back("b"); });
    nextTick([&] { log.push_back("a-tick"); });
    spinMs(5);  // the timer is due before this turn ends
  });
  setImmediate([&] { log.push_back("a2"); });  // same batch as "a"
  run();
  EXPECT_EQ(log, (Log{"a", "a-tick", "a2", "timer", "b"}));
}

TEST(TimersTest, ImmediateSetFromTimerRunsBeforeTheNextTimer) {
  EVNODE_WATCHDOG(10);
  Log log;
  setTimeout(
      [&] {
        log.push_back("t1");
        setImmediate([&] { log.push_back("immediate"); });
        setTimeout([&] { log.push_back("t2"); }, 1);
      },
      1);
  run();
  EXPECT_EQ(log, (Log{"t1", "immediate", "t2"}));
}

TEST(TimersTest, NextTickFromTickFromImmediateFromTimer) {
  EVNODE_WATCHDOG(10);
  Log log;
  setTimeout(
      [&] {
        setImmediate([&] {
          nextTick([&] {
            log.push_back("deep");
            setTimeout([&] { log.push_back("last"); }, 1);
          });
        });
      },
      1);
  run();
  EXPECT_EQ(log, (Log{"deep", "last"}));
}

}  // namespace
}  // namespace evnode
