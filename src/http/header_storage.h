// Internal: received header lists are reused. When an IncomingMessage goes, its header list
// (and the strings in it, while they are small) goes to a per-thread spare list; the server
// assigns the next request's fields into one of those, so in the steady state a request's
// headers cost no allocation. Off under AddressSanitizer, like the object pool (pool.h).
#pragma once

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
  static void recycle(IncomingHeaders& headers);
};

}  // namespace evnode::http
