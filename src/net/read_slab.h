// Internal: the read-buffer policy shared by every stream socket of a thread.
//
// libuv asks for a buffer right before each read(2) and hands it back right after, so one
// 64 KiB slab serves every socket in turn. The data is pushed as a Buffer viewing the slab;
// once every such view is gone the slab is reused. A small pool covers consumers that hold a
// chunk for a while (a write still in flight): steady state allocates nothing, and an idle
// connection owns no read buffer at all.
#pragma once

#include <uv.h>

#include "evnode/buffer.h"

namespace evnode::net {

void readSlabAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
// A Buffer of the first `n` bytes of the slab that `base` (from readSlabAlloc) points into.
Buffer takeReadSlab(const char* base, std::size_t n);

}  // namespace evnode::net
