// Pending writes come from the thread's Recycler (core/block_cache.h).
#include "net/write_req.h"

#include "core/block_cache.h"

namespace evnode::net {

WriteReq* WriteReq::get() { return evnode::detail::Recycler<WriteReq>::take().release(); }

void WriteReq::release(WriteReq* req) {
  req->chunks.clear();
  req->bufs.clear();
  req->first = 0;
  req->cb.reset();
  evnode::detail::Recycler<WriteReq>::give(std::unique_ptr<WriteReq>(req));
}

}  // namespace evnode::net
