// Internal: a per-thread free list for the objects the server makes per request
// (IncomingMessage, ServerResponse), used through std::allocate_shared.
//
// They are ~700-byte blocks made and freed by the dozen per read when requests are pipelined;
// glibc's tcache keeps only 7 blocks of a size, so most frees took the slow path. Freed blocks
// are kept here (up to kMaxFree per type) and reused. Under AddressSanitizer the pool is off, so
// use-after-free of these objects is still caught.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <vector>

#include "core/block_cache.h"

namespace evnode::http {

inline constexpr bool kPoolEnabled = evnode::detail::kBlockCacheEnabled;  // off under ASan

template <class T>
struct PoolAllocator {
  using value_type = T;
  static constexpr std::size_t kMaxFree = 256;

  PoolAllocator() = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n == 1) {
      if (Blocks* list = blocks(); list && !list->empty()) {
        void* p = list->back();
        list->pop_back();
        return static_cast<T*>(p);
      }
    }
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n == 1) {
      if (Blocks* list = blocks(); list && list->size() < kMaxFree) {
        list->push_back(p);  // capacity is reserved: no allocation, no throw
        return;
      }
    }
    ::operator delete(p);
  }
  template <class U>
  bool operator==(const PoolAllocator<U>&) const noexcept {
    return true;
  }

 private:
  using Blocks = std::vector<void*>;
  // The thread's free list, or null when pooling is off or the thread is exiting (objects may
  // still be freed after the list is gone, while the loop is torn down: they go to the heap).
  static Blocks* blocks() {
    if constexpr (!kPoolEnabled) {
      return nullptr;
    } else {
      thread_local Blocks* current = nullptr;  // trivially destructible: readable at any time
      thread_local bool gone = false;
      if (current || gone) return current;
      struct Owner {
        Blocks list;
        Owner() {
          list.reserve(kMaxFree);
          current = &list;
        }
        ~Owner() {
          current = nullptr;
          gone = true;
          for (void* p : list) ::operator delete(p);
        }
      };
      thread_local Owner owner;
      return current;
    }
  }
};

// A per-thread free list of whole objects (constructed, with whatever buffers they own), for
// state a connection needs only while a request is in progress: taken when one starts, given
// back (after the caller reset it) when the connection is idle again. Up to kMax are kept.
template <class T, std::size_t kMax = 64>
struct WarmList {
  static std::unique_ptr<T> take() {
    if (List* list = get(); list && !list->items.empty()) {
      std::unique_ptr<T> item = std::move(list->items.back());
      list->items.pop_back();
      return item;
    }
    return std::make_unique<T>();
  }
  static void give(std::unique_ptr<T> item) {
    if (List* list = get(); list && list->items.size() < kMax)
      list->items.push_back(std::move(item));
  }

 private:
  struct List {
    std::vector<std::unique_ptr<T>> items;
    List() { items.reserve(kMax); }
  };
  // Null once the thread is exiting (connections may still go away while the loop is torn down).
  static List* get() {
    thread_local List* current = nullptr;
    thread_local bool gone = false;
    if (current || gone) return current;
    struct Owner {
      List list;
      Owner() { current = &list; }
      ~Owner() {
        current = nullptr;
        gone = true;
      }
    };
    thread_local Owner owner;
    return current;
  }
};

}  // namespace evnode::http
