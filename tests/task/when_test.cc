// whenAll (Promise.all) and whenAny (Promise.race).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "evnode/task.h"
#include "evnode/timers_promises.h"
#include "evnode/when.h"
#include "support/testing.h"

namespace evnode {
namespace {

namespace tp = timers::promises;

Task<int> after(std::uint64_t ms, int v) {
  co_await tp::setTimeout(ms);
  co_return v;
}

Task<int> failAfter(std::uint64_t ms, std::string what) {
  co_await tp::setTimeout(ms);
  throw std::runtime_error(what);
}

Task<int> now(int v) { co_return v; }

TEST(WhenAllTest, GivesEveryValueInOrderAndRunsThemConcurrently) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<std::vector<int>> {
    std::vector<Task<int>> tasks;
    tasks.push_back(after(30, 1));
    tasks.push_back(now(2));
    tasks.push_back(after(10, 3));
    co_return co_await whenAll(std::move(tasks));
  };
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(run(amain()), (std::vector<int>{1, 2, 3}));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200));
}

TEST(WhenAllTest, EmptyAndAllSynchronous) {
  auto amain = []() -> Task<std::size_t> {
    auto none = co_await whenAll(std::vector<Task<int>>{});
    std::vector<Task<int>> sync;
    sync.push_back(now(1));
    sync.push_back(now(2));
    auto two = co_await whenAll(std::move(sync));
    co_return none.size() + two.size();
  };
  EXPECT_EQ(run(amain()), 2u);
}

TEST(WhenAllTest, VariadicWithVoid) {
  EVNODE_WATCHDOG(10);
  auto nothing = []() -> Task<void> { co_await tp::setImmediate(); };
  auto word = []() -> Task<std::string> { co_return "w"; };
  auto amain = [&]() -> Task<int> {
    auto [a, b, c] = co_await whenAll(after(5, 7), nothing(), word());
    static_assert(std::is_same_v<decltype(b), std::monostate>);
    co_return a + static_cast<int>(c.size());
  };
  EXPECT_EQ(run(amain()), 8);
}

TEST(WhenAllTest, ThrowsTheFirstFailureAfterEveryTaskHasFinished) {
  EVNODE_WATCHDOG(10);
  bool slowFinished = false;
  auto slow = [&]() -> Task<int> {
    co_await tp::setTimeout(40);
    slowFinished = true;
    co_return 0;
  };
  auto amain = [&]() -> Task<std::string> {
    std::vector<Task<int>> tasks;
    tasks.push_back(slow());
    tasks.push_back(failAfter(20, "second"));
    tasks.push_back(failAfter(5, "first"));
    try {
      co_await whenAll(std::move(tasks));
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(slowFinished);
      co_return e.what();
    }
    co_return "none";
  };
  EXPECT_EQ(run(amain()), "first");
}

TEST(WhenAnyTest, TheFirstToFinishWinsAndTheOthersRunOn) {
  EVNODE_WATCHDOG(10);
  int finished = 0;
  auto counted = [&finished](std::uint64_t ms, int v) -> Task<int> {
    co_await tp::setTimeout(ms);
    ++finished;
    co_return v;
  };
  auto amain = [&]() -> Task<int> {
    std::vector<Task<int>> tasks;
    tasks.push_back(counted(30, 1));
    tasks.push_back(counted(5, 2));
    int v = co_await whenAny(std::move(tasks));
    EXPECT_EQ(finished, 1);
    co_return v;
  };
  EXPECT_EQ(run(amain()), 2);
  EXPECT_EQ(finished, 2);  // run() waited for the loser too
}

TEST(WhenAnyTest, VariadicSaysWhichWonAndAFailureWinsToo) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<std::size_t> {
    auto w = co_await whenAny(after(30, 1), now(5));
    EXPECT_EQ(w.index(), 1u);
    EXPECT_EQ(std::get<1>(w), 5);
    try {
      co_await whenAny(after(30, 1), failAfter(1, "lost"));
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "lost");
      co_return w.index();
    }
    co_return 99;
  };
  EXPECT_EQ(run(amain()), 1u);
}

TEST(WhenAnyTest, EmptyVectorThrows) {
  auto amain = []() -> Task<int> { co_return co_await whenAny(std::vector<Task<int>>{}); };
  EXPECT_THROW(run(amain()), Exception);
}

}  // namespace
}  // namespace evnode
