// Internal: a per-thread cache of freed memory blocks of one size, for small objects that are
// made and freed once per request or per connection (a stream's lazily allocated state).
//
// glibc's tcache keeps only 7 blocks of a size; past that a free takes the slow path, which
// showed up as a few hundred instructions per HTTP request. Blocks freed here are kept (up to
// kMax) and handed out again. Under AddressSanitizer the cache is off, so use-after-free of these
// objects is still caught.
#pragma once

#include <cstddef>
#include <new>

#include "core/thread_instance.h"

namespace evnode::detail {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kBlockCacheEnabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kBlockCacheEnabled = false;
#else
inline constexpr bool kBlockCacheEnabled = true;
#endif
#else
inline constexpr bool kBlockCacheEnabled = true;
#endif

// Give a class `static void* operator new(std::size_t n) { return BlockCache<T>::get(n); }` and
// the matching operator delete.
template <class T>
class BlockCache {
 public:
  static constexpr std::size_t kMax = 256;

  static void* get(std::size_t n) {
    if (Cache* c = cache(); c && n == sizeof(T) && c->count > 0) return c->blocks[--c->count];
    return ::operator new(n);
  }
  static void put(void* p, std::size_t n) noexcept {
    if (Cache* c = cache(); c && n == sizeof(T) && c->count < kMax) {
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
      for (std::size_t i = 0; i < count; ++i) ::operator delete(blocks[i]);
    }
  };
  // The thread's cache, or null when caching is off or the thread is exiting (objects may still
  // be freed after the cache is gone, while the loop is torn down: they go to the heap).
  static Cache* cache() {
    if constexpr (!kBlockCacheEnabled) {
      return nullptr;
    } else {
      return threadInstance<Cache>();
    }
  }
};

// Blocks whose size is known only at run time (listeners, listener lists), cached by 16-byte
// size class up to kSmallMax bytes; larger ones come from the heap. Free with the size asked.
inline constexpr std::size_t kSmallMax = 128;
template <std::size_t N>
struct SizeClass {
  alignas(16) unsigned char bytes[N];
};
template <class F>
decltype(auto) withSizeClass(std::size_t n, F&& f) {
  switch ((n + 15) / 16) {
    case 0:
    case 1:
      return f(SizeClass<16>{});
    case 2:
      return f(SizeClass<32>{});
    case 3:
      return f(SizeClass<48>{});
    case 4:
      return f(SizeClass<64>{});
    case 5:
      return f(SizeClass<80>{});
    case 6:
      return f(SizeClass<96>{});
    case 7:
      return f(SizeClass<112>{});
    default:
      return f(SizeClass<128>{});
  }
}
inline void* getSmall(std::size_t n) {
  if (n > kSmallMax) return ::operator new(n);
  return withSizeClass(n, [](auto c) {
    using C = decltype(c);
    return BlockCache<C>::get(sizeof(C));
  });
}
inline void putSmall(void* p, std::size_t n) noexcept {
  if (n > kSmallMax) {
    ::operator delete(p);
    return;
  }
  withSizeClass(n, [p](auto c) {
    using C = decltype(c);
    BlockCache<C>::put(p, sizeof(C));
  });
}

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

}  // namespace evnode::detail
