// Internal: WarmList, a per-thread free list of whole objects for the HTTP server's
// per-request state. (Request and response objects themselves are allocated through
// detail::CacheAllocator, core/block_cache.h.)
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include <typeinfo>

#include "core/block_cache.h"
#include "core/thread_instance.h"

namespace evnode::http {

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
  // `item` must be blank (T::blank()): the sanitizer build checks it, so a block that would
  // carry one request's state into another connection's fails every test that makes one.
  static void give(std::unique_ptr<T> item) {
    if constexpr (evnode::detail::kCheckRecycled) {
      if (!item->blank()) evnode::detail::recycledNotBlank(typeid(T).name());
    }
    if (List* list = get(); list && list->items.size() < kMax)
      list->items.push_back(std::move(item));
  }

 private:
  struct List {
    std::vector<std::unique_ptr<T>> items;
    List() { items.reserve(kMax); }
  };
  // Null once the thread is exiting (connections may still go away while the loop is torn down).
  static List* get() { return evnode::detail::threadInstance<List>(); }
};

}  // namespace evnode::http
