// Reused received-header lists (see header_storage.h).
#include "http/header_storage.h"

#include "core/thread_instance.h"

#include <string>
#include <utility>
#include <vector>

#include "http/pool.h"

namespace evnode::http {

namespace {
using RawList = std::vector<std::pair<std::string, std::string>>;

// Bounds on what is kept: enough lists for the requests of a few pipelined reads in flight,
// and no list that a large head made big.
constexpr std::size_t kMaxLists = 32;
constexpr std::size_t kMaxFields = 32;
constexpr std::size_t kMaxStringBytes = 2048;

// A stack of lists; taking and giving back swaps vectors (three pointers), nothing is moved
// or destroyed.
struct Spares {
  RawList lists[kMaxLists];
  std::size_t count = 0;
};

// The thread's spares, or null when reuse is off or the thread is exiting (messages may still
// be destroyed while the loop is torn down).
Spares* spares() {
  if constexpr (!kPoolEnabled) {
    return nullptr;
  } else {
    return evnode::detail::threadInstance<Spares>();
  }
}
}  // namespace

void HeaderStorage::assign(IncomingHeaders& headers, std::span<const Header> fields) {
  RawList& raw = headers.raw_;
  if (raw.capacity() == 0) {
    if (Spares* s = spares(); s && s->count > 0) raw.swap(s->lists[--s->count]);
  }
  // Assigning into the old entries reuses their strings' buffers (see setString).
  const std::size_t n = fields.size();
  if (n < raw.size()) raw.erase(raw.begin() + static_cast<std::ptrdiff_t>(n), raw.end());
  const std::size_t reuse = raw.size();
  for (std::size_t i = 0; i < reuse; ++i) {
    setString(raw[i].first, fields[i].name);
    setString(raw[i].second, fields[i].value);
  }
  if (n > reuse) {
    raw.reserve(n);
    for (std::size_t i = reuse; i < n; ++i) raw.emplace_back(fields[i].name, fields[i].value);
  }
}

void HeaderStorage::recycle(IncomingHeaders& headers) {
  RawList& raw = headers.raw_;
  if (raw.capacity() == 0 || raw.capacity() > kMaxFields) return;
  Spares* s = spares();
  if (!s || s->count == kMaxLists) return;
  std::size_t bytes = 0;
  for (const auto& [n, v] : raw) bytes += n.capacity() + v.capacity();
  if (bytes > kMaxStringBytes) raw.clear();
  s->lists[s->count++].swap(raw);
}

}  // namespace evnode::http
