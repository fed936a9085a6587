// LoopHandle::post: functions queued from any thread, run on the loop's thread. One uv_async_t
// per loop, sent once per batch (the first post after a drain), so a burst of posts costs the
// target one wake-up; the loop's own hot paths never touch the queue or its mutex.
#include "core/post.h"

#include "core/callback_scope.h"
#include "evnode/loop.h"

namespace evnode {

namespace detail {

namespace {
void runPosted(uv_async_t* a) {
  auto* q = static_cast<PostQueue*>(a->data);
  if (!q) return;  // closed
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(q->mutex);
    batch.swap(q->queued);
    q->wakePending = false;  // a post from now on wakes us again
  }
  for (auto& fn : batch) {
    CallbackScope scope;  // ticks queued by the function run before the next one
    fn();
  }
}
}  // namespace

void PostQueue::start(uv_loop_t* loop) {
  uv_async_init(loop, &async, runPosted);
  async.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&async));
}

void PostQueue::close() {
  std::vector<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex);
    closed = true;
    dropped.swap(queued);
  }
  // The handle is closed with the loop's other internal handles (data null: closed as-is).
  async.data = nullptr;
  // `dropped` is destroyed here, on the loop's thread, before the loop's teardown.
}

}  // namespace detail

bool LoopHandle::post(std::function<void()> fn) const {
  if (!q_) return false;
  {
    std::lock_guard<std::mutex> lock(q_->mutex);
    if (!q_->closed) {
      q_->queued.push_back(std::move(fn));
      if (!q_->wakePending) {
        q_->wakePending = true;
        uv_async_send(&q_->async);  // under the mutex: the loop cannot close it meanwhile
      }
      return true;
    }
  }
  return false;  // fn is destroyed here, outside the lock
}

bool LoopHandle::alive() const {
  if (!q_) return false;
  std::lock_guard<std::mutex> lock(q_->mutex);
  return !q_->closed;
}

}  // namespace evnode
