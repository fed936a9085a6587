// Where listeners and listener lists live (src/core/events.cc): per-size slabs, so that a
// listener with a one-pointer capture takes 24 bytes and a list of one slot 24 (malloc chunks
// took 32 each: issue 20's idle connections keep a few), and the free blocks of a thread that
// is gone serve the next thread instead of piling up. The sanitizer tree runs the same slabs,
// with a redzone after each block (so sizes are not counted there), a poisoned wait while free
// and the recycling counters.
#include <gtest/gtest.h>
#include <malloc.h>

#include <memory>
#include <thread>
#include <vector>

#include "core/block_cache.h"
#include "evnode/events.h"

namespace evnode::test {
namespace {

struct Thing : EventEmitter {
  struct Events : EventEmitter::Events {
    static constexpr Event<int> ping{"ping"};
  };
};

std::size_t heapInUse() { return mallinfo2().uordblks; }

// `n` emitters' worth of listeners, each capturing one pointer (the shape of a connection's).
void addListeners(std::vector<Thing>& things, int* sink) {
  for (Thing& t : things) t.on(Thing::Events::ping, [sink](int v) { *sink += v; });
}

TEST(ListenerBlocks, ListenersStillRunAndGoAway) {
  std::vector<Thing> things(1000);
  int sum = 0;
  addListeners(things, &sum);
  addListeners(things, &sum);
  for (Thing& t : things) t.emit(Thing::Events::ping, 1);
  EXPECT_EQ(sum, 2000);
  for (Thing& t : things) t.removeAllListeners();
  for (Thing& t : things) EXPECT_FALSE(t.emit(Thing::Events::ping, 1));
  EXPECT_EQ(sum, 2000);
}

TEST(ListenerBlocks, AListenerAndItsListTakeTheirSizeExactly) {
  if (detail::kCheckRecycled) GTEST_SKIP() << "sanitizer builds add a redzone to each block";
  constexpr int kN = 4000;
  std::vector<Thing> things(kN);
  int sum = 0;
  // Takes the free blocks of this size earlier tests left (until a new slab is cut), so that
  // the count sees new ones.
  std::vector<Thing> filler(200000);
  std::size_t used = 0;
  for (const std::size_t start = heapInUse(); heapInUse() == start && used < filler.size();) {
    for (std::size_t end = used + 64; used < end; ++used) {
      filler[used].on(Thing::Events::ping, [&sum](int v) { sum += v; });
    }
  }
  const std::size_t before = heapInUse();
  addListeners(things, &sum);
  const double perEmitter = static_cast<double>(heapInUse() - before) / kN;
  // 24 for the listener (16 of header and the pointer), 24 for a list of one slot (8 and 16),
  // and the slabs' rounding: malloc chunks took 64.
  EXPECT_LE(perEmitter, 50.0);
  EXPECT_GE(perEmitter, 44.0);  // (the count sees the slabs: this is not measuring nothing)
}

TEST(ListenerBlocks, AThreadThatIsGoneLeavesItsFreeBlocksToTheNext) {
  constexpr int kN = 3000;
  std::vector<Thing> first(kN), second(kN);
  int sum = 0;
  // The first thread makes and frees kN listeners and lists, then exits: its free blocks stay.
  std::thread([&] {
    addListeners(first, &sum);
    for (Thing& t : first) t.removeAllListeners();
  }).join();
  const std::size_t before = heapInUse();
  std::size_t grew = 0;
  std::uint64_t reused = 0;
  // The second takes those blocks instead of new slabs (without them: 48 bytes per emitter).
  std::thread([&] {
    const std::uint64_t reusedBefore = detail::recycleCounters().reused;
    addListeners(second, &sum);
    grew = heapInUse() - before;
    reused = detail::recycleCounters().reused - reusedBefore;
    for (Thing& t : second) t.removeAllListeners();
  }).join();
  if constexpr (detail::kCheckRecycled) {
    // (ASan's heap is not malloc's: the counters tell.) A listener and a list per emitter.
    EXPECT_GE(reused, std::uint64_t{kN} * 2);
  } else {
    EXPECT_LT(grew, std::size_t{kN} * 48 / 4) << grew;
  }
}

#ifdef EVNODE_ASAN
// The sanitizer tree checks the slabs: the redzone after a block and a freed block waiting for
// its next use are poisoned, so an overflow and a use after free are reported, not read.
TEST(ListenerBlocks, RedzonesAndFreedBlocksArePoisoned) {
  constexpr std::size_t kSize = 24;
  auto* a = static_cast<char*>(detail::ListenerBase::operator new(kSize));
  auto* b = static_cast<char*>(detail::ListenerBase::operator new(kSize));
  EXPECT_EQ(__asan_region_is_poisoned(a, kSize), nullptr);
  EXPECT_TRUE(__asan_address_is_poisoned(a + kSize));  // the redzone
  EXPECT_TRUE(__asan_address_is_poisoned(b + kSize));
  detail::ListenerBase::operator delete(a, kSize);
  EXPECT_TRUE(__asan_address_is_poisoned(a));
  EXPECT_TRUE(__asan_address_is_poisoned(a + kSize - 1));
  // Handed out again (the last freed first), readable and scribbled over.
  auto* again = static_cast<char*>(detail::ListenerBase::operator new(kSize));
  EXPECT_EQ(again, a);
  EXPECT_EQ(__asan_region_is_poisoned(again, kSize), nullptr);
  EXPECT_EQ(static_cast<unsigned char>(again[kSize - 1]), 0xA5);
  detail::ListenerBase::operator delete(again, kSize);
  detail::ListenerBase::operator delete(b, kSize);
}
#endif

}  // namespace
}  // namespace evnode::test
