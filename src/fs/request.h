// Internal: one libuv fs request in flight, Node-shaped fs errors, and flag parsing — shared by
// the fs helpers, the file streams and process's stdio.
#pragma once

#include <uv.h>

#include <functional>
#include <string>
#include <string_view>

#include "evnode/error.h"

namespace evnode::fs::detail {

// Runs `start(loop, req, cb)` (a uv_fs_* call) on the thread pool; `done` then runs on the loop
// thread inside a CallbackScope with the finished request (result, statbuf, ptr), which is
// cleaned up afterwards. If libuv rejects the request at once, `done` still runs
// asynchronously (next tick) with the error in req.result, so callers have one path. Whatever
// `done` captures stays alive until then: capture the owner's shared_ptr and the Buffers the
// request points into.
void submit(const std::function<int(uv_loop_t*, uv_fs_t*, uv_fs_cb)>& start,
            std::function<void(uv_fs_t&)> done);

// "ENOENT: no such file or directory, open 'a.txt'" (Node's uvException shape), with code,
// errnum and syscall set. `dest` adds " -> 'dest'" (rename).
Error makeError(int status, std::string_view syscall, std::string_view path = {},
                std::string_view dest = {});

// Node's string flags ("r", "w", "a+", "wx", ...) as open(2) flags; throws
// Exception(ERR_INVALID_ARG_VALUE) for anything else.
int parseFlags(std::string_view flags);

}  // namespace evnode::fs::detail
