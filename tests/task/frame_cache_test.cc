// The per-thread coroutine frame lists (task.h's allocFrame/freeFrame): a freed frame is handed
// out again for the next frame of its size class, waits poisoned in the sanitizer tree, and a
// thread's lists go back to the heap when the thread ends (the leak checker of the sanitizer
// tree sees any that would not).
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/block_cache.h"
#include "evnode/loop.h"
#include "evnode/task.h"
#include "evnode/timers_promises.h"
#include "support/testing.h"

namespace evnode {
namespace {

namespace tp = timers::promises;

Task<int> plusOne(int x) { co_return x + 1; }
Task<int> bigger(int x) {
  volatile char pad[200] = {};  // a frame of another size class
  pad[0] = static_cast<char>(x);
  co_return pad[0] + 2;
}

TEST(FrameCacheTest, AFreedFrameIsHandedOutAgainForItsSizeClass) {
  Task<int> hold = plusOne(0);  // taken from the list (if it has one): there is room for one
  void* first = nullptr;
  {
    Task<int> t = plusOne(1);
    first = t.handle().address();
  }
#ifdef EVNODE_ASAN
  EXPECT_TRUE(__asan_address_is_poisoned(first));  // waits poisoned
#endif
  std::uint64_t reused = detail::recycleCounters().reused;
  Task<int> again = plusOne(2);
  EXPECT_EQ(again.handle().address(), first);  // the last frame freed comes first
  if constexpr (detail::kCheckRecycled) {
    EXPECT_EQ(detail::recycleCounters().reused, reused + 1);
  }
  // A frame of another class does not take it, and both work.
  Task<int> other = bigger(1);
  EXPECT_NE(other.handle().address(), first);
  auto amain = [&]() -> Task<int> {
    co_return co_await std::move(again) + co_await other + co_await hold;
  };
  EXPECT_EQ(run(amain()), 7);
}

TEST(FrameCacheTest, ManyFramesAliveAtOnceAndFreedInAnyOrder) {
  EVNODE_WATCHDOG(10);
  // More than a list keeps (256), so some frees go to the heap.
  std::vector<Task<int>> tasks;
  for (int i = 0; i < 600; ++i) tasks.push_back(plusOne(i));
  for (std::size_t i = 0; i < tasks.size(); i += 2) tasks[i] = Task<int>();
  auto amain = [&]() -> Task<int> {
    int sum = 0;
    for (std::size_t i = 1; i < tasks.size(); i += 2) sum += co_await std::move(tasks[i]);
    for (int i = 0; i < 300; ++i) sum -= co_await plusOne(2 * i + 1);  // reuses the freed ones
    co_return sum;
  };
  EXPECT_EQ(run(amain()), 0);
}

// Threads with and without a Loop fill their own lists, which go when the thread does.
TEST(FrameCacheTest, AThreadsListsGoWithTheThread) {
  EVNODE_WATCHDOG(20);
  std::vector<int> results(2);
  std::thread withLoop([&] {
    auto amain = []() -> Task<int> {
      int n = 0;
      for (int i = 0; i < 50; ++i) {
        co_await tp::setImmediate();
        n = co_await plusOne(n);
      }
      co_return n;
    };
    results[0] = run(amain());
  });
  std::thread withoutLoop([&] {
    std::vector<Task<int>> made;
    for (int i = 0; i < 20; ++i) made.push_back(bigger(i));
    made.clear();  // into this thread's list, never resumed
    Task<int> t = plusOne(1);
    results[1] = t ? 1 : 0;
  });
  withLoop.join();
  withoutLoop.join();
  EXPECT_EQ(results, (std::vector<int>{50, 1}));
}

}  // namespace
}  // namespace evnode
