// AbortController / AbortSignal, and aborted awaits leaving nothing behind.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "evnode/abort.h"
#include "evnode/events_once.h"
#include "evnode/task.h"
#include "evnode/timers_promises.h"
#include "support/testing.h"

namespace evnode {
namespace {

namespace tp = timers::promises;
using Clock = std::chrono::steady_clock;

struct Door : EventEmitter {
  struct Events : EventEmitter::Events {
    static constexpr Event<int> opened{"opened"};
  };
};

TEST(AbortSignalTest, AbortSetsTheReasonAndEmitsOnce) {
  AbortController ac;
  int emitted = 0;
  ac.signal()->on(AbortSignal::Events::abort, [&] { ++emitted; });
  EXPECT_FALSE(ac.signal()->aborted());
  EXPECT_FALSE(ac.signal()->reason());
  EXPECT_NO_THROW(ac.signal()->throwIfAborted());
  ac.abort();
  ac.abort(Error("E_SECOND", "ignored"));
  EXPECT_EQ(emitted, 1);
  EXPECT_TRUE(ac.signal()->aborted());
  EXPECT_EQ(ac.signal()->reason().code, "ABORT_ERR");
  EXPECT_EQ(ac.signal()->reason().message, "This operation was aborted");
  EXPECT_THROW(ac.signal()->throwIfAborted(), AbortError);
  EXPECT_EQ(AbortSignal::abort(Error("E_WHY", "why"))->reason().code, "E_WHY");
}

TEST(AbortSignalTest, TimeoutAbortsWithTimeoutErrAndDoesNotKeepTheLoopAlive) {
  EVNODE_WATCHDOG(10);
  auto s = AbortSignal::timeout(5);
  run();  // its timer is unref'd: returns at once
  EXPECT_FALSE(s->aborted());
  auto keep = setTimeout([] {}, 20);
  run();
  EXPECT_TRUE(s->aborted());
  EXPECT_EQ(s->reason().code, "TIMEOUT_ERR");
  EXPECT_EQ(s->reason().message, "The operation was aborted due to timeout");
}

TEST(AbortSignalTest, AnyFollowsTheFirstAndStopsListening) {
  AbortController a, b;
  auto any = AbortSignal::any({a.signal(), b.signal()});
  EXPECT_EQ(a.signal()->listenerCount(AbortSignal::Events::abort), 1u);
  b.abort(Error("E_B", "b"));
  EXPECT_TRUE(any->aborted());
  EXPECT_EQ(any->reason().code, "E_B");
  EXPECT_EQ(a.signal()->listenerCount(AbortSignal::Events::abort), 0u);
  {
    AbortController c;
    auto dropped = AbortSignal::any({c.signal()});
    EXPECT_EQ(c.signal()->listenerCount(AbortSignal::Events::abort), 1u);
    dropped.reset();
    EXPECT_EQ(c.signal()->listenerCount(AbortSignal::Events::abort), 0u);
  }
  EXPECT_TRUE(AbortSignal::any({AbortSignal::abort()})->aborted());
}

TEST(AbortTest, AnAbortedSleepThrowsAbortErrorAndClearsItsTimer) {
  EVNODE_WATCHDOG(10);
  AbortController ac;
  auto signal = ac.signal();
  auto amain = [&]() -> Task<std::string> {
    // Options are named outside the co_await: GCC 12 destroys an aggregate temporary built in a
    // co_await's operand twice (see task.h).
    tp::TimerOptions opts{.signal = signal, .ref = true};
    try {
      co_await tp::setTimeout(10000, opts);
    } catch (const AbortError& e) {
      EXPECT_STREQ(e.what(), "The operation was aborted");
      EXPECT_EQ(e.cause().code, "E_STOP");
      co_return e.code();
    }
    co_return "not aborted";
  };
  setTimeout([&] { ac.abort(Error("E_STOP", "stop")); }, 5);
  auto t0 = Clock::now();
  EXPECT_EQ(run(amain()), "ABORT_ERR");  // the loop ended: no timer was left behind
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(signal->listenerCount(AbortSignal::Events::abort), 0u);
}

TEST(AbortTest, AbortSignalTimeoutEndsAnAwait) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<std::string> {
    tp::TimerOptions opts{.signal = AbortSignal::timeout(5), .ref = true};
    auto r = co_await tp::setTimeout(10000, opts).result();
    co_return r.error().code;
  };
  auto t0 = Clock::now();
  EXPECT_EQ(run(amain()), "ABORT_ERR");
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));
}

TEST(AbortTest, AnAlreadyAbortedSignalThrowsAtOnceAndAddsNothing) {
  auto signal = AbortSignal::abort();
  Door door;
  auto amain = [&]() -> Task<int> {
    int thrown = 0;
    tp::TimerOptions opts{.signal = signal, .ref = true};
    events::OnceOptions onceOpts{.signal = signal};
    try {
      co_await tp::setTimeout(10000, opts);
    } catch (const AbortError&) {
      ++thrown;
    }
    try {
      co_await events::once(door, Door::Events::opened, onceOpts);
    } catch (const AbortError& e) {
      EXPECT_EQ(e.cause().code, "ABORT_ERR");
      ++thrown;
    }
    co_return thrown;
  };
  EXPECT_EQ(run(amain()), 2);
  EXPECT_EQ(door.listenerCount(Door::Events::opened), 0u);
  EXPECT_EQ(door.listenerCount(Door::Events::error), 0u);
  EXPECT_EQ(signal->listenerCount(AbortSignal::Events::abort), 0u);
}

TEST(AbortTest, AnAbortedOnceRemovesBothListeners) {
  EVNODE_WATCHDOG(10);
  AbortController ac;
  Door door;
  auto amain = [&]() -> Task<std::string> {
    events::OnceOptions opts{.signal = ac.signal()};
    auto r = co_await events::once(door, Door::Events::opened, opts).result();
    co_return r.error().code;
  };
  setTimeout(
      [&] {
        EXPECT_EQ(door.listenerCount(Door::Events::opened), 1u);
        EXPECT_EQ(door.listenerCount(Door::Events::error), 1u);
        EXPECT_EQ(ac.signal()->listenerCount(AbortSignal::Events::abort), 1u);
        ac.abort();
      },
      1);
  EXPECT_EQ(run(amain()), "ABORT_ERR");
  EXPECT_EQ(door.listenerCount(Door::Events::opened), 0u);
  EXPECT_EQ(door.listenerCount(Door::Events::error), 0u);
  EXPECT_EQ(ac.signal()->listenerCount(AbortSignal::Events::abort), 0u);
}

}  // namespace
}  // namespace evnode
