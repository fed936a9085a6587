// The per-thread free list of pending writes.
#include "net/write_req.h"

#include <memory>

#include "core/block_cache.h"
#include "core/thread_instance.h"

namespace evnode::net {

namespace {
constexpr std::size_t kMaxFree = 64;

// Requests wait here with their vectors' capacity (what makes reuse pay), poisoned in sanitizer
// builds so that a use after release() is reported.
struct FreeList {
  std::vector<WriteReq*> reqs;
  ~FreeList() {
    for (WriteReq* r : reqs) {
      evnode::detail::unpoisonObject(r, sizeof *r);
      delete r;
    }
  }
};
}  // namespace

WriteReq* WriteReq::get() {
  FreeList* fl = evnode::detail::threadInstance<FreeList>();
  if (!fl || fl->reqs.empty()) return new WriteReq();
  WriteReq* r = fl->reqs.back();
  fl->reqs.pop_back();
  evnode::detail::unpoisonObject(r, sizeof *r);
  if (evnode::detail::kCheckRecycled &&
      (!r->bufs.empty() || !r->chunks.empty() || r->first != 0 || r->cb)) {
    evnode::detail::recycledNotBlank("net::WriteReq");
  }
  return r;
}

void WriteReq::release(WriteReq* req) {
  req->chunks.clear();
  req->bufs.clear();
  req->first = 0;
  req->cb.reset();
  FreeList* fl = evnode::detail::threadInstance<FreeList>();
  if (fl && fl->reqs.size() < kMaxFree) {
    evnode::detail::poisonRecycled(req, sizeof *req);
    fl->reqs.push_back(req);
  } else {
    delete req;
  }
}

}  // namespace evnode::net
