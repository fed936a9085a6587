// The BIO between OpenSSL and a TLSSocket's transport, and the per-thread output arena().
//
// Memory BIOs would copy every byte twice (into the BIO, out of it). This one lets OpenSSL read
// straight from the Buffers the transport delivered, and write its records into a shared
// arena whose slices go to the transport as they are: one copy in each direction, the one
// encryption itself needs.
#include <openssl/bio.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/thread_instance.h"
#include "tls/internal.h"

namespace evnode::tls::internal {

namespace {

constexpr std::size_t kArenaSize = 64 * 1024;

struct Arena {
  std::shared_ptr<std::uint8_t[]> base;
  std::size_t cap = 0, start = 0, used = 0;
  std::vector<Buffer> done;  // full arenas of the operation in progress

  void roll(std::size_t need) {
    if (used > start) done.emplace_back(base, start, used - start);
    std::size_t size = std::max(kArenaSize, need);
    base = std::make_shared_for_overwrite<std::uint8_t[]>(size);
    cap = size;
    start = used = 0;
  }
  void reserve(std::size_t n) {
    // Nobody holds a slice any more (the transport wrote it all): start over at the front.
    if (base && start == used && base.use_count() == 1) start = used = 0;
    if (cap - used < n) roll(n);
  }
  void write(const void* p, std::size_t n) {
    reserve(n);
    std::memcpy(base.get() + used, p, n);
    used += n;
  }
};
// OpenSSL writes records here from the loop's callbacks, while the thread's objects exist.
Arena& arena() { return *evnode::detail::threadInstance<Arena>(); }

int bioWrite(BIO*, const char* data, int len) {
  if (len <= 0) return 0;
  arena().write(data, static_cast<std::size_t>(len));
  return len;
}

int bioRead(BIO* b, char* out, int len) {
  auto* in = static_cast<CipherIn*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  if (in->length == 0) {
    BIO_set_retry_read(b);  // nothing yet: OpenSSL reports WANT_READ
    return -1;
  }
  std::size_t want = static_cast<std::size_t>(len), got = 0;
  while (got < want && !in->chunks.empty()) {
    Buffer& front = in->chunks.front();
    std::size_t n = std::min(want - got, front.length());
    std::memcpy(out + got, front.data(), n);
    got += n;
    if (n == front.length()) {
      in->chunks.pop_front();
    } else {
      front = front.subarray(static_cast<std::int64_t>(n));
    }
  }
  in->length -= got;
  return static_cast<int>(got);
}

long bioCtrl(BIO* b, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return static_cast<long>(static_cast<CipherIn*>(BIO_get_data(b))->length);
    case BIO_CTRL_WPENDING:
      return 0;
    default:
      return 0;
  }
}

int bioCreate(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* method() {
  static BIO_METHOD* m = [] {
    BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "evnode transport");
    BIO_meth_set_write(bm, bioWrite);
    BIO_meth_set_read(bm, bioRead);
    BIO_meth_set_ctrl(bm, bioCtrl);
    BIO_meth_set_create(bm, bioCreate);
    return bm;
  }();
  return m;
}

}  // namespace

BIO* newTransportBio(CipherIn* in) {
  BIO* b = BIO_new(method());
  BIO_set_data(b, in);
  return b;
}

void arenaReserve(std::size_t bytes) { arena().reserve(bytes); }

bool arenaHasOutput() { return arena().used > arena().start || !arena().done.empty(); }

void arenaTake(std::vector<Buffer>& out) {
  for (auto& b : arena().done) out.push_back(std::move(b));
  arena().done.clear();
  if (arena().used > arena().start) {
    out.emplace_back(arena().base, arena().start, arena().used - arena().start);
    arena().start = arena().used;
  }
}

}  // namespace evnode::tls::internal
