// Internal: the recyclers. BlockCache, a per-thread cache of freed memory blocks of one size,
// for small objects that are made and
// freed once per request or per connection (a stream's lazily allocated state); Recycler, a
// per-thread free list of whole constructed objects that keep their buffers' capacity (a
// request's state, a blocked write). Both have a cap, the same sanitizer rules and counters.
//
// glibc's tcache keeps only 7 blocks of a size; past that a free takes the slow path, which
// showed up as a few hundred instructions per HTTP request. Blocks freed here are kept (up to
// kMax) and handed out again.
//
// The cache is on in every build, so the sanitizer tree runs the code users run. There
// (kCheckRecycled) a cached block is poisoned while it waits, so ASan reports any use of an
// object after it was freed into the cache, and it is scribbled over when handed out again, so
// a new object that relied on its predecessor's bytes reads garbage instead of a stale value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <typeinfo>
#include <vector>

#include "core/thread_instance.h"

#if defined(__SANITIZE_ADDRESS__)
#define EVNODE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EVNODE_ASAN 1
#endif
#endif
#ifdef EVNODE_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace evnode::detail {

#ifdef EVNODE_ASAN
inline constexpr bool kCheckRecycled = true;
#else
inline constexpr bool kCheckRecycled = false;
#endif

// A recycled object was given back still holding state (sanitizer builds): reports and aborts.
[[noreturn]] void recycledNotBlank(const char* what);

// Sanitizer builds count, per thread, what the caches handed out: recycled blocks and objects,
// and fresh ones. A test reads them to see that recycling is live in the tree that checks it
// (never bypassed there). Release builds count nothing.
struct RecycleCounters {
  std::uint64_t reused = 0;
  std::uint64_t fresh = 0;
};
RecycleCounters& recycleCounters();
inline void countRecycled(bool reused) {
  if constexpr (kCheckRecycled) {
    ++(reused ? recycleCounters().reused : recycleCounters().fresh);
  } else {
    (void)reused;
  }
}

// A block enters a cache: unreadable until it leaves (sanitizer builds).
inline void poisonRecycled(void* p, std::size_t n) {
#ifdef EVNODE_ASAN
  ASAN_POISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n;
#endif
}
// A block leaves a cache: readable again, and (sanitizer builds) full of a pattern no live
// object holds, never its last owner's bytes.
inline void* unpoisonRecycled(void* p, std::size_t n) {
#ifdef EVNODE_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, n);
  std::memset(p, 0xA5, n);
#else
  (void)n;
#endif
  return p;
}

// A constructed object leaves a cache: readable again, its members kept (their capacity is what
// the cache keeps); the caller checks that it came back blank (recycledNotBlank).
inline void unpoisonObject(void* p, std::size_t n) {
#ifdef EVNODE_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n;
#endif
}

// Give a class `static void* operator new(std::size_t n) { return BlockCache<T>::get(n); }` and
// the matching operator delete.
template <class T>
class BlockCache {
 public:
  static constexpr std::size_t kMax = 256;

  static void* get(std::size_t n) {
    if (Cache* c = cache(); c && n == sizeof(T) && c->count > 0) {
      countRecycled(true);
      return unpoisonRecycled(c->blocks[--c->count], n);
    }
    countRecycled(false);
    return ::operator new(n);
  }
  static void put(void* p, std::size_t n) noexcept {
    if (Cache* c = cache(); c && n == sizeof(T) && c->count < kMax) {
      poisonRecycled(p, n);
      c->blocks[c->count++] = p;
      return;
    }
    ::operator delete(p);
  }

 private:
  struct Cache {
    void* blocks[kMax];
    std::size_t count = 0;
    ~Cache() {
      for (std::size_t i = 0; i < count; ++i) {
        ::operator delete(unpoisonRecycled(blocks[i], sizeof(T)));
      }
    }
  };
  // The thread's cache, or null when the thread is exiting (objects may still be freed after
  // the cache is gone, while the loop is torn down: they go to the heap).
  static Cache* cache() { return threadInstance<Cache>(); }
};

// Listeners and listener lists (sizes known only at run time) up to this size come from the
// listener slabs of src/core/events.cc; larger ones from the heap.
inline constexpr std::size_t kSmallMax = 128;

// An allocator over BlockCache, for std::allocate_shared of objects made per request or per
// connection (the object and its shared_ptr control block are one cached block).
template <class T>
struct CacheAllocator {
  using value_type = T;

  CacheAllocator() = default;
  template <class U>
  CacheAllocator(const CacheAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n == 1) return static_cast<T*>(BlockCache<T>::get(sizeof(T)));
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n == 1) {
      BlockCache<T>::put(p, sizeof(T));
    } else {
      ::operator delete(p);
    }
  }
  template <class U>
  bool operator==(const CacheAllocator<U>&) const noexcept {
    return true;
  }
};

// A per-thread free list of whole objects (constructed, with the buffers they own: their
// capacity is what reuse saves), up to kMax. An object is given back blank (T::blank(), after
// the caller reset it) and waits poisoned; sanitizer builds check it blank both ways, so a
// block that would carry one request's state into another connection's fails every test that
// makes one.
template <class T, std::size_t kMax = 64>
struct Recycler {
  static std::unique_ptr<T> take() {
    if (List* list = get(); list && !list->items.empty()) {
      T* item = list->items.back();
      list->items.pop_back();
      unpoisonObject(item, sizeof(T));
      if constexpr (kCheckRecycled) {
        if (!item->blank()) recycledNotBlank(typeid(T).name());
      }
      countRecycled(true);
      return std::unique_ptr<T>(item);
    }
    countRecycled(false);
    return std::make_unique<T>();
  }
  static void give(std::unique_ptr<T> item) {
    if constexpr (kCheckRecycled) {
      if (!item->blank()) recycledNotBlank(typeid(T).name());
    }
    if (List* list = get(); list && list->items.size() < kMax) {
      T* p = item.release();
      poisonRecycled(p, sizeof(T));
      list->items.push_back(p);
    }
  }

 private:
  struct List {
    std::vector<T*> items;
    List() { items.reserve(kMax); }
    ~List() {
      for (T* p : items) {
        unpoisonObject(p, sizeof(T));
        delete p;
      }
    }
  };
  // Null once the thread's objects are gone (connections may still go away late).
  static List* get() { return threadInstance<List>(); }
};

}  // namespace evnode::detail
