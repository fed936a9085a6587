// The per-thread free list of pending writes.
#include "net/write_req.h"

#include <memory>

namespace evnode::net {

namespace {
thread_local std::vector<std::unique_ptr<WriteReq>> freeList;
constexpr std::size_t kMaxFree = 64;
}  // namespace

WriteReq* WriteReq::get() {
  if (freeList.empty()) return new WriteReq();
  WriteReq* r = freeList.back().release();
  freeList.pop_back();
  return r;
}

void WriteReq::release(WriteReq* req) {
  req->chunks.clear();
  req->bufs.clear();
  req->first = 0;
  req->cb.reset();
  if (freeList.size() < kMaxFree) {
    freeList.emplace_back(req);
  } else {
    delete req;
  }
}

}  // namespace evnode::net
