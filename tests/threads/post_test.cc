// LoopHandle::post (functions run on another thread's loop) and queueWork (the thread pool).
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "evnode/error.h"
#include "evnode/loop.h"
#include "support/testing.h"

namespace evnode {
namespace {

TEST(ThreadsPost, FunctionsRunOnTheTargetLoopInOrderWithTicksBetween) {
  EVNODE_WATCHDOG(30);
  std::promise<LoopHandle> made;
  std::vector<std::string> seen;  // written on the loop thread only
  std::thread::id loopThread;
  std::thread t([&] {
    loopThread = std::this_thread::get_id();
    made.set_value(Loop::current().handle());
    // Kept running by a timer until the last post arrives.
    auto keep = setInterval([] {}, 1000);
    Loop::current().post([] {});  // posting to our own loop works too
    Loop::current().post([&] { seen.push_back("self"); });
    while (seen.size() < 1002) Loop::current().runOnce();
    clearInterval(keep);
  });
  LoopHandle h = made.get_future().get();
  EXPECT_TRUE(h.alive());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(h.post([&, i] {
      EXPECT_EQ(std::this_thread::get_id(), loopThread);
      seen.push_back(std::to_string(i));
      // A tick queued by a posted function runs before the next posted function.
      if (i == 500) nextTick([&] { seen.push_back("tick"); });
    }));
  }
  t.join();
  ASSERT_EQ(seen.size(), 1002u);
  // Posts from one thread run in order; the tick right after #500.
  std::vector<std::string> fromMain;
  for (auto& s : seen) {
    if (s != "self") fromMain.push_back(s);
  }
  ASSERT_EQ(fromMain.size(), 1001u);
  EXPECT_EQ(fromMain[500], "500");
  EXPECT_EQ(fromMain[501], "tick");
  EXPECT_EQ(fromMain[502], "501");
  EXPECT_EQ(fromMain.back(), "999");
  // The loop is gone with its thread: posts are refused and the function is not run.
  EXPECT_FALSE(h.alive());
  bool ran = false;
  EXPECT_FALSE(h.post([&] { ran = true; }));
  EXPECT_FALSE(ran);
  EXPECT_FALSE(LoopHandle().post([] {}));
}

TEST(ThreadsPost, ManyThreadsPostingOneWakeUpPerBatch) {
  EVNODE_WATCHDOG(30);
  constexpr int kThreads = 4, kEach = 5000;
  LoopHandle h = Loop::current().handle();
  int received = 0;
  std::vector<int> lastFrom(kThreads, -1);
  bool ordered = true;
  std::atomic<int> finished{0};
  std::vector<std::thread> posters;
  for (int p = 0; p < kThreads; ++p) {
    posters.emplace_back([&, p] {
      for (int i = 0; i < kEach; ++i) {
        h.post([&, p, i] {
          if (lastFrom[p] != i - 1) ordered = false;
          lastFrom[p] = i;
          ++received;
        });
      }
      finished.fetch_add(1);
    });
  }
  // Posts keep nothing alive: the loop is turned until everything arrived.
  auto keep = setInterval([] {}, 1000);
  int turns = 0;
  while (received < kThreads * kEach) {
    Loop::current().runOnce();
    ++turns;
  }
  clearInterval(keep);
  for (auto& t : posters) t.join();
  EXPECT_TRUE(ordered);
  EXPECT_EQ(received, kThreads * kEach);
  // Batching: far fewer loop turns (wake-ups) than posts.
  EXPECT_LT(turns, kThreads * kEach / 10);
}

TEST(ThreadsPost, AHandleDoesNotKeepTheLoopRunning) {
  EVNODE_WATCHDOG(30);
  // Another thread holds a handle and may post at any time: the loop still ends when nothing
  // referenced remains (the watchdog catches a run() that waits for posts).
  LoopHandle h = Loop::current().handle();
  std::atomic<bool> go{false};
  bool ran = false;
  std::thread poster([&] {
    while (!go) std::this_thread::yield();
    h.post([&] { ran = true; });
  });
  run();
  // A post arriving while the loop is busy with something referenced runs.
  auto keep = setTimeout([] {}, 100);
  go = true;
  run();
  poster.join();
  EXPECT_TRUE(ran);
}

TEST(ThreadsWork, WorkRunsOnThePoolAndDoneOnTheLoop) {
  EVNODE_WATCHDOG(30);
  const auto loopThread = std::this_thread::get_id();
  std::vector<std::thread::id> workThreads(8);
  std::vector<long> sums(8, 0);
  int done = 0;
  for (int i = 0; i < 8; ++i) {
    queueWork(
        [&, i] {
          workThreads[i] = std::this_thread::get_id();
          long s = 0;
          for (long k = 0; k <= 1000000L * (i + 1); ++k) s += k % 7;
          sums[i] = s;
        },
        [&, i](std::exception_ptr err) {
          EXPECT_FALSE(err);
          EXPECT_EQ(std::this_thread::get_id(), loopThread);
          EXPECT_NE(workThreads[i], loopThread);
          long s = 0;
          for (long k = 0; k <= 1000000L * (i + 1); ++k) s += k % 7;
          EXPECT_EQ(sums[i], s);
          ++done;
        });
  }
  run();  // pending work keeps the loop running
  EXPECT_EQ(done, 8);
}

TEST(ThreadsWork, AnExceptionInWorkReachesDone) {
  EVNODE_WATCHDOG(30);
  std::string what;
  queueWork([] { throw std::runtime_error("disk on fire"); },
            [&](std::exception_ptr err) {
              ASSERT_TRUE(err);
              try {
                std::rethrow_exception(err);
              } catch (const std::runtime_error& e) {
                what = e.what();
              }
            });
  run();
  EXPECT_EQ(what, "disk on fire");
  EXPECT_THROW(queueWork(nullptr, nullptr), Exception);
}

TEST(ThreadsWork, WorkStillRunningWhenTheThreadEndsCompletesBeforeTheLoopGoes) {
  EVNODE_WATCHDOG(30);
  std::atomic<bool> doneRan{false};
  std::thread t([&] {
    queueWork([] { std::this_thread::sleep_for(std::chrono::milliseconds(100)); },
              [&](std::exception_ptr) { doneRan = true; });
    // No run(): the thread ends with the work on the pool; the Loop's teardown waits for it.
  });
  t.join();
  EXPECT_TRUE(doneRan.load());
}

}  // namespace
}  // namespace evnode
