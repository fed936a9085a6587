// Coroutine request handlers (createServer(F) in http.h): each request runs the handler's task
// at once inside the `request` event; an exception answers 500 or destroys the socket, then goes
// to the uncaught path.
//
// The per-request path is inline in http.h (TaskListener::run): a Slot, the handler's ramp, the
// task resumed. What ends a task is here: its end hook (TaskListenerBase::ended) runs at the
// task's final suspension, whether that is inside the `request` event (the common handler
// finishes before it ever suspends) or later, answers a failure, gives the Slot back and lets
// the frame free itself. So no coroutine waits for the handler's, and nothing is left to do
// after it was resumed.
#include <exception>
#include <new>
#include <string>
#include <utility>

#include "evnode/http.h"

namespace evnode::http::detail {

namespace {

// What a failed handler leaves: a 500 if nothing went out yet, else a destroyed socket.
void answerFailure(const ResponsePtr& res) {
  if (!res->headersSent() && !res->writableEnded() && !res->destroyed()) {
    try {
      res->statusCode = 500;
      res->statusMessage.clear();
      for (const std::string& name : res->getHeaderNames()) res->removeHeader(name);
      res->setHeader("Content-Length", "0");
      res->setHeader("Connection", "close");
      res->end();
      return;
    } catch (const std::exception&) {
    }
  }
  if (res->socket()) res->socket()->destroy();
}

// A handler failed: answers, then reports (the Slot still holds res).
[[gnu::cold]] void fail(const ResponsePtr& res, std::exception_ptr failed) noexcept {
  try {
    answerFailure(res);
  } catch (...) {  // a socket's destroy() does not throw; nothing may escape a task's end
  }
  evnode::detail::reportUnhandled(std::move(failed));
}

}  // namespace

TaskListenerBase::~TaskListenerBase() {
  if (spare_) evnode::detail::freeFrame(spare_, sizeof(Slot));
}

TaskListenerBase::SlotWithRequest* TaskListenerBase::takeSlotWithRequest(const RequestPtr& req,
                                                                         const ResponsePtr& res) {
  auto* slot = new SlotWithRequest(this, res, req);
  count_.addLive();
  return slot;
}

// Inline into its callers (this file).
[[gnu::always_inline]] inline void TaskListenerBase::release(Slot* slot) noexcept {
  TaskListenerBase* l = slot->listener;
  slot->~Slot();
  if (l->spare_) {  // a nested or suspended request left one
    evnode::detail::freeFrame(slot, sizeof(Slot));
  } else {
    l->spare_ = slot;
  }
  if (l->count_.drop()) delete l;
}

void TaskListenerBase::releaseWithRequest(Slot* slot) noexcept {
  TaskListenerBase* l = slot->listener;
  delete static_cast<SlotWithRequest*>(slot);
  if (l->count_.drop()) delete l;
}

bool TaskListenerBase::ended(evnode::detail::TaskEnd& end,
                             evnode::detail::TaskPromiseBase& p) noexcept {
  Slot* slot = static_cast<Slot*>(&end);
  if (p.error) [[unlikely]] {
    fail(slot->res, std::exchange(p.error, nullptr));
  }
  // The frame goes right after this returns: its locals are gone already, and what it still
  // holds (the promise, the handler's parameters) owns its own references.
  release(slot);
  return true;
}

bool TaskListenerBase::endedWithRequest(evnode::detail::TaskEnd& end,
                                        evnode::detail::TaskPromiseBase& p) noexcept {
  Slot* slot = static_cast<Slot*>(&end);
  if (p.error) fail(slot->res, std::exchange(p.error, nullptr));
  releaseWithRequest(slot);
  return true;
}

void TaskListenerBase::failedToStart(Slot* slot) noexcept {
  fail(slot->res, std::current_exception());
  if (slot->ended == &endedWithRequest) {
    releaseWithRequest(slot);
  } else {
    release(slot);
  }
}

void TaskListenerBase::noTask(Slot* slot) noexcept {
  if (slot->ended == &endedWithRequest) {
    releaseWithRequest(slot);
  } else {
    release(slot);
  }
}

}  // namespace evnode::http::detail
