// The per-thread free list of write requests.
#include "net/write_req.h"

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
  req->cb.reset();
  req->owner = nullptr;
  if (freeList.size() < kMaxFree) {
    freeList.emplace_back(req);
  } else {
    delete req;
  }
}

}  // namespace evnode::net
