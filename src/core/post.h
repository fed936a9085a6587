// Internal: the queue other threads post functions to, one per Loop (LoopHandle::post).
#pragma once

#include <uv.h>

#include <functional>
#include <mutex>
#include <vector>

namespace evnode::detail {

struct PostQueue {
  std::mutex mutex;
  std::vector<std::function<void()>> queued;  // guarded by mutex
  bool wakePending = false;                   // an async send is on its way (one per batch)
  bool closed = false;                        // the loop is being destroyed: posts are refused
  int keepAlive = 0;                          // loop thread only: keepLoopAlive() count
  uv_async_t async;  // valid while !closed; uv_async_send is called with the mutex held

  // On the loop's thread: the wake-up handle, unreferenced (posts never keep the loop alive).
  void start(uv_loop_t* loop);
  // On the loop's thread, first thing in ~Loop: refuse posts from now on and drop what waits.
  void close();
};

// On the loop's thread: while the count is above zero, the post queue's handle keeps this
// thread's loop running (a MessagePort with a listener, a cluster's primary waiting for its
// threads). +1 or -1.
void keepLoopAlive(int delta);

}  // namespace evnode::detail
