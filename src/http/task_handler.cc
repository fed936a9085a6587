// Coroutine request handlers (createServer(F) in http.h): each request runs the handler's task
// at once inside the `request` event; an exception answers 500 or destroys the socket, then goes
// to the uncaught path.
//
// The common handler finishes before it ever suspends (it answers at once), and that path costs
// no coroutine beyond the handler's own: its task is resumed here, found done and destroyed.
// Only a task that suspends gets a driver coroutine (a Detached frame) that waits for its end.
#include <exception>
#include <memory>
#include <new>
#include <utility>

#include "evnode/http.h"
#include "evnode/ref_count.h"

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

// The task's own reference to res: the handler may take req and res by reference (its frame
// then points here), so it is made before the handler is called and outlives its task. The
// request is the response's own (ServerResponse::req(), set once for the response's life), so
// one count serves both; a `request` emitted by hand with a pair that does not match also gets
// its own copy of req.
struct Slot {
  ResponsePtr res;
  RequestPtr req;  // only for a mismatched pair
  const RequestPtr& reqFor() const { return req ? req : res->req(); }
};

// One server's coroutine listener: the handler, and the memory of a Slot for the next request
// (a handler that finished at once gives its Slot back). Belongs to the server's loop thread,
// as the server does, hence the plain count.
struct Listener {
  explicit Listener(TaskHandler h) : handler(std::move(h)) {}
  ~Listener() { ::operator delete(spare); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  evnode::detail::RefCount<unsigned> count{0};
  evnode::detail::RefCount<unsigned>& refCount() { return count; }

  TaskHandler handler;
  void* spare = nullptr;  // room for a Slot, no Slot in it

  Slot* takeSlot(const RequestPtr& req, const ResponsePtr& res) {
    void* mem = std::exchange(spare, nullptr);
    if (!mem) mem = ::operator new(sizeof(Slot));
    if (res->req() == req) [[likely]] {
      return new (mem) Slot{res, nullptr};
    }
    return new (mem) Slot{res, req};
  }
  // Ends `s` and keeps its memory as the spare (or frees it, when a nested request left one).
  void giveSlot(Slot* s) {
    s->~Slot();
    if (spare) {
      ::operator delete(s);
    } else {
      spare = s;
    }
  }
};
using ListenerRef = evnode::detail::CountedRef<Listener>;

// A handler failed: answers and reports (the Slot still holds res).
[[gnu::cold]] void fail(Slot* slot, std::exception_ptr failed) {
  answerFailure(slot->res);
  evnode::detail::reportUnhandled(std::move(failed));
}

// The exception a finished task ended with (null if it returned).
std::exception_ptr takeError(Task<void>& task) {
  return std::exchange(task.handle().promise().error, nullptr);
}

// Waits for a task that was started and suspended: becomes its continuation, without resuming
// it (Task's own awaiter would start it).
struct AwaitStarted {
  Task<void>::Handle h;
  bool await_ready() const noexcept { return h.done(); }
  void await_suspend(std::coroutine_handle<> awaiting) noexcept {
    h.promise().continuation = awaiting;
  }
  void await_resume() const noexcept {}
};

// The driver of a handler that suspended. It keeps the listener (whose handler object the
// task's frame may point into), the task and the Slot until the task ends.
evnode::detail::Detached awaitHandler(ListenerRef ref, Task<void> task, Slot* slot) {
  co_await AwaitStarted{task.handle()};
  std::exception_ptr failed = takeError(task);
  task = Task<void>();  // the frame goes before the references it may point to
  if (failed) fail(slot, std::move(failed));
  ref->giveSlot(slot);
}

// The handler could not even make its task (a plain function that threw).
[[gnu::cold]] void failedToStart(Listener& l, Slot* slot) {
  fail(slot, std::current_exception());
  l.giveSlot(slot);
}

// One request: runs the handler's task until it finishes or first suspends.
void runHandler(const ListenerRef& ref, const RequestPtr& req, const ResponsePtr& res) {
  Listener& l = *ref.operator->();
  Slot* slot = l.takeSlot(req, res);
  Task<void> task;
  try {
    task = l.handler(slot->reqFor(), slot->res);
  } catch (...) {
    failedToStart(l, slot);
    return;
  }
  if (!task) [[unlikely]] {  // an empty Task (a plain function returned Task{}): nothing runs
    l.giveSlot(slot);
    return;
  }
  evnode::detail::resumeNested(task.handle());
  if (!task.done()) [[unlikely]] {
    awaitHandler(ref, std::move(task), slot).start();
    return;
  }
  std::exception_ptr failed = takeError(task);
  task = Task<void>();
  if (failed) [[unlikely]] {
    fail(slot, std::move(failed));
  }
  l.giveSlot(slot);
}

}  // namespace

std::function<void(const RequestPtr&, const ResponsePtr&)> taskListener(TaskHandler handler) {
  ListenerRef ref(new Listener(std::move(handler)));
  return [ref](const RequestPtr& req, const ResponsePtr& res) { runHandler(ref, req, res); };
}

}  // namespace evnode::http::detail
