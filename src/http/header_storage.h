// Internal: header lists are reused. When an IncomingMessage or a ServerResponse goes, its
// header list (and the strings in it, while they are small) goes to a per-thread spare list;
// the server assigns the next request's fields, and writeHead the next response's headers, into
// one of those, so in the steady state headers cost no allocation. Off under AddressSanitizer,
// like the object pool (pool.h).
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <string_view>

#include "evnode/http.h"
#include "http/parser.h"

namespace evnode::http {

// s = v, as a plain append into the buffer s already has (std::string::assign takes a slower,
// aliasing-safe path).
inline void setString(std::string& s, std::string_view v) {
  s.clear();
  s.append(v.data(), v.size());
}

struct HeaderStorage {
  // Sets `headers` (a fresh message's) to `fields`, in a reused list when there is one.
  static void assign(IncomingHeaders& headers, std::span<const Header> fields);
  // Keeps the list of `headers` (a message being destroyed) for reuse.
  static void recycle(IncomingHeaders& headers) { recycle(headers.raw_); }

  // The same for a list of a response: `list` (empty, never used) takes a spare's storage;
  // the list of a response being destroyed becomes a spare.
  static void reuse(HeaderList& list);
  static void recycle(HeaderList& list);
  // list[i] = fields[i] for each field, reusing the strings `list` already holds.
  template <class Fields, class NameOf, class ValueOf>
  static void assignInto(HeaderList& list, const Fields& fields, NameOf name, ValueOf value) {
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
};

}  // namespace evnode::http
