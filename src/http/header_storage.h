// Internal: header lists are reused. When an IncomingMessage or a ServerResponse goes, its
// header list (and the strings in it, while they are small) goes to a per-thread spare list;
// the server assigns the next request's fields, and writeHead the next response's headers, into
// one of those, so in the steady state headers cost no allocation. On in every build: under
// AddressSanitizer a list is scribbled over when it becomes a spare, so stale fields would show.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "core/block_cache.h"
#include "core/thread_instance.h"
#include "evnode/http.h"
#include "http/parser.h"

namespace evnode::http {

// Copies n bytes that are known not to overlap, without a call for short strings (names,
// methods, most values): two possibly overlapping moves of the largest power of two <= n.
[[gnu::always_inline]] inline void copyShort(char* d, const char* s, std::size_t n) {
  if (n >= 8 && n <= 16) {
    std::uint64_t a, b;
    std::memcpy(&a, s, 8);
    std::memcpy(&b, s + n - 8, 8);
    std::memcpy(d, &a, 8);
    std::memcpy(d + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    std::uint32_t a, b;
    std::memcpy(&a, s, 4);
    std::memcpy(&b, s + n - 4, 4);
    std::memcpy(d, &a, 4);
    std::memcpy(d + n - 4, &b, 4);
  } else if (n > 0 && n < 4) {
    char a = s[0], b = s[n / 2], c = s[n - 1];
    d[0] = a;
    d[n / 2] = b;
    d[n - 1] = c;
  } else if (n != 0) {
    std::memcpy(d, s, n);
  }
}

// s = v (v does not point into s). A reused string usually gets a value no longer than its
// last one (the same field of the next request): then the bytes are copied over its old ones
// and the length cut, with no library call. Otherwise a plain append into the buffer s already
// has (std::string::assign takes a slower, aliasing-safe path). Always inlined: a call around
// the append costs more than the copy.
[[gnu::always_inline]] inline void setString(std::string& s, std::string_view v) {
  std::size_t n = v.size();
  if (n <= s.size()) {
    copyShort(s.data(), v.data(), n);
    if (n != s.size()) s.erase(n);
    return;
  }
  s.clear();
  s.append(v.data(), n);
}

// The one rule of the spares: a spare list still holds the strings of a message that is gone
// (its request headers: cookies, credentials), kept only so their buffers can be written over.
// So a spare is handed out only through calls that leave nothing of it behind: `reuse` empties
// it, `assignInto` overwrites every entry and cuts the rest. (A spare handed out as it was once
// leaked one connection's request headers into another's response.)
struct HeaderStorage {
  // Sets `headers` (a fresh message's) to `fields`, in a reused list when there is one.
  static void assign(IncomingHeaders& headers, std::span<const Header> fields);
  // Keeps the list of `headers` (a message being destroyed) for reuse.
  static void recycle(IncomingHeaders& headers) { recycle(headers.raw_); }

  // The same for a list of a response: `list` (empty, never used) takes a spare's storage,
  // emptied; the list of a response being destroyed becomes a spare.
  static void reuse(HeaderList& list) {
    if (takeSpare(list)) list.clear();
  }
  static void recycle(HeaderList& list) {
    if (list.capacity() != 0) keep(list);  // (most trailer lists were never used)
  }
  // Makes `list` (a fresh message's, empty or not) exactly `fields`, in a spare's storage when
  // `list` has none: list[i] = fields[i], reusing the strings it holds, the rest erased.
  template <class Fields, class NameOf, class ValueOf>
  static void assignInto(HeaderList& list, const Fields& fields, NameOf name, ValueOf value) {
    takeSpare(list);
    const std::size_t n = fields.size();
    const std::size_t keep = std::min(n, list.size());
    auto it = fields.begin();
    for (std::size_t i = 0; i < keep; ++i, ++it) {
      setString(list[i].first, name(*it));
      setString(list[i].second, value(*it));
    }
    if (n < list.size()) {
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(n), list.end());
      return;
    }
    list.reserve(n);
    for (; it != fields.end(); ++it) list.emplace_back(name(*it), value(*it));
  }

 private:
  // Bounds on what is kept: enough lists for the requests of a few pipelined reads in flight,
  // and no list that a large head made big.
  static constexpr std::size_t kMaxLists = 32;
  static constexpr std::size_t kMaxFields = 32;
  static constexpr std::size_t kMaxStringBytes = 2048;
  // A stack of lists; taking and giving back swaps vectors (three pointers), nothing is moved
  // or destroyed.
  struct Spares {
    HeaderList lists[kMaxLists];
    std::size_t count = 0;
  };
  // The thread's spares, or null once the thread is exiting (messages may still be destroyed
  // while the loop is torn down).
  static Spares* spares() { return evnode::detail::threadInstance<Spares>(); }

  // When `list` has no storage, swaps a spare in (with its stale entries) and returns true.
  // Inline, as keep(): twice per request each, where a call costs as much as the work.
  static bool takeSpare(HeaderList& list) {
    Spares* s = spares();
    if (!s || list.capacity() != 0 || s->count == 0) return false;
    list.swap(s->lists[--s->count]);
    return true;
  }
  static void keep(HeaderList& list) {
    if (list.capacity() > kMaxFields) return;
    Spares* s = spares();
    if (!s || s->count == kMaxLists) return;
    std::size_t bytes = 0;
    for (const auto& [n, v] : list) bytes += n.capacity() + v.capacity();
    if (bytes > kMaxStringBytes) list.clear();
    if constexpr (evnode::detail::kCheckRecycled) scribble(list);
    s->lists[s->count++].swap(list);
  }
  // Whatever a caller could still read of an old message comes out as '~'s.
  static void scribble(HeaderList& list);
};

}  // namespace evnode::http
