// Internal: what every callback arriving from libuv goes through, and the base of every object
// that owns a libuv handle.
#pragma once

#include <uv.h>

namespace evnode::detail {

// Enter one on the stack in every libuv callback. When the outermost scope exits, the
// nextTick queue drains, so ticks run before the loop continues (Node's rule).
class CallbackScope {
 public:
  CallbackScope();
  ~CallbackScope();
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;
};

// Runs every queued tick (and ticks they queue) now.
void drainTicks();

// An object owning a uv handle stores itself (as HandleWrap*) in handle->data, so the loop can
// close what is still open when the thread's loop is torn down.
class HandleWrap {
 public:
  // Close the uv handle now (teardown); the usual close path must follow.
  virtual void forceClose() = 0;

 protected:
  ~HandleWrap() = default;
};

}  // namespace evnode::detail
