// Reused header lists (see header_storage.h).
#include "http/header_storage.h"

#include <string>
#include <utility>
#include <vector>

#include "core/block_cache.h"
#include "core/thread_instance.h"

namespace evnode::http {

namespace {
// Bounds on what is kept: enough lists for the requests of a few pipelined reads in flight,
// and no list that a large head made big.
constexpr std::size_t kMaxLists = 32;
constexpr std::size_t kMaxFields = 32;
constexpr std::size_t kMaxStringBytes = 2048;

// A stack of lists; taking and giving back swaps vectors (three pointers), nothing is moved
// or destroyed.
struct Spares {
  HeaderList lists[kMaxLists];
  std::size_t count = 0;
};

// The thread's spares, or null when reuse is off or the thread is exiting (messages may still
// be destroyed while the loop is torn down).
Spares* spares() {
  if constexpr (!evnode::detail::kBlockCacheEnabled) {  // off under ASan, as the caches are
    return nullptr;
  } else {
    return evnode::detail::threadInstance<Spares>();
  }
}
}  // namespace

void HeaderStorage::assign(IncomingHeaders& headers, std::span<const Header> fields) {
  reuse(headers.raw_);
  assignInto(
      headers.raw_, fields, [](const Header& h) { return h.name; },
      [](const Header& h) { return h.value; });
}

void HeaderStorage::reuse(HeaderList& list) {
  if (Spares* s = spares(); s && list.capacity() == 0 && s->count > 0) {
    list.swap(s->lists[--s->count]);
  }
}

void HeaderStorage::keep(HeaderList& list) {
  if (list.capacity() > kMaxFields) return;
  Spares* s = spares();
  if (!s || s->count == kMaxLists) return;
  std::size_t bytes = 0;
  for (const auto& [n, v] : list) bytes += n.capacity() + v.capacity();
  if (bytes > kMaxStringBytes) list.clear();
  s->lists[s->count++].swap(list);
}

}  // namespace evnode::http
