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

// The thread's spares, or null once the thread is exiting (messages may still be destroyed
// while the loop is torn down).
Spares* spares() { return evnode::detail::threadInstance<Spares>(); }
}  // namespace

void HeaderStorage::assign(IncomingHeaders& headers, std::span<const Header> fields) {
  assignInto(
      headers.raw_, fields, [](const Header& h) { return h.name; },
      [](const Header& h) { return h.value; });
}

bool HeaderStorage::takeSpare(HeaderList& list) {
  Spares* s = spares();
  if (!s || list.capacity() != 0 || s->count == 0) return false;
  list.swap(s->lists[--s->count]);
  return true;
}

void HeaderStorage::keep(HeaderList& list) {
  if (list.capacity() > kMaxFields) return;
  Spares* s = spares();
  if (!s || s->count == kMaxLists) return;
  std::size_t bytes = 0;
  for (const auto& [n, v] : list) bytes += n.capacity() + v.capacity();
  if (bytes > kMaxStringBytes) list.clear();
  if constexpr (evnode::detail::kCheckRecycled) {
    // Whatever a caller could still read of an old message comes out as '~'s.
    for (auto& [n, v] : list) {
      std::fill(n.begin(), n.end(), '~');
      std::fill(v.begin(), v.end(), '~');
    }
  }
  s->lists[s->count++].swap(list);
}

}  // namespace evnode::http
