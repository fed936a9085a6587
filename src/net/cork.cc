// The thread's cork buffer (direct.h): one socket's small writes of a loop callback gathered
// into one write, as uWebSockets' corked buffer does.
#include <atomic>
#include <cstring>
#include <memory>

#include "core/thread_instance.h"
#include "net/direct.h"

namespace evnode::net::internal {

namespace {
struct Cork {
  evnode::detail::ByteBuffer bytes;
};
Cork* cork() { return evnode::detail::threadInstance<Cork>(); }

// Small: a socket that cannot take its bytes keeps a view, and with it the whole slab, alive
// until they are written.
constexpr std::size_t kSlabSize = 16 * 1024;

struct Slab {
  std::shared_ptr<std::uint8_t[]> data;
  std::size_t used = 0;
};

// `bytes` copied into a Buffer cut from a per-thread slab: no allocation per write once warm
// (a slab is reused from its start as soon as no write holds a view of it any more).
Buffer keepCorked(std::string_view bytes) {
  // A batch bigger than this is rare (many pipelined responses at once): its own Buffer.
  if (bytes.size() > kSlabSize / 4) return Buffer::from(bytes.data(), bytes.size());
  Slab* s = evnode::detail::threadInstance<Slab>();
  if (!s) return Buffer::from(bytes.data(), bytes.size());  // the thread is exiting
  Slab& slab = *s;
  // Writes usually complete at once: then nothing views the slab and it starts over, warm in
  // the cache.
  if (slab.data && slab.data.use_count() == 1) {
    // A view may have been dropped on another thread (a Buffer moved into a worker_threads
    // message): use_count() is a relaxed load, so the fence orders that thread's last reads
    // before our next write into the slab (no instruction on x86).
    std::atomic_thread_fence(std::memory_order_acquire);
    slab.used = 0;
  }
  if (!slab.data || kSlabSize - slab.used < bytes.size()) {
    slab.data = std::make_shared_for_overwrite<std::uint8_t[]>(kSlabSize);
    slab.used = 0;
  }
  std::memcpy(slab.data.get() + slab.used, bytes.data(), bytes.size());
  Buffer out(slab.data, slab.used, bytes.size());
  slab.used += bytes.size();
  return out;
}
}  // namespace

thread_local Socket* corkOwner = nullptr;

evnode::detail::ByteBuffer& corkedOutput(Socket& socket) {
  // Called from the loop's callbacks, while the thread's objects exist.
  Cork& c = *cork();
  if (corkOwner != &socket) {
    if (corkOwner) uncorkOutput(*corkOwner);
    corkOwner = &socket;
  }
  return c.bytes;
}

bool uncorkOutput(Socket& socket, const Buffer* then) {
  const bool mine = corkOwner == &socket;
  if (!mine && !then) return true;
  Cork* c = cork();
  if (!c) return true;  // the thread is exiting: nothing was corked
  if (mine) corkOwner = nullptr;
  bool ok = true;
  // A socket already gone takes nothing (see ServerResponse::sendBody).
  if (!socket.destroyed() && socket.writable()) {
    ok = writeNow(socket, mine ? c->bytes.view() : std::string_view(), then, &keepCorked);
  }
  if (mine) c->bytes.clear();
  return ok;
}

void dropCorkedBytes() {
  corkOwner = nullptr;
  if (Cork* c = cork()) c->bytes.clear();
}

}  // namespace evnode::net::internal
