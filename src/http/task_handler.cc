// Coroutine request handlers (createServer(F) in http.h): each request runs the handler's task
// under a small driver coroutine; an exception answers 500 or destroys the socket, then goes to
// the uncaught path.
#include <coroutine>
#include <cstdlib>
#include <exception>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "evnode/http.h"

namespace evnode::http::detail {

namespace {

// The drivers' frames all have one size: a per-thread free list of them saves the allocator a
// round trip per request (the handler's own Task frame is the only allocation left).
struct FramePool {
  std::vector<void*> free;
  std::size_t size = 0;
  ~FramePool() {
    for (void* p : free) ::operator delete(p);
  }
};
thread_local FramePool framePool;
constexpr std::size_t kMaxPooledFrames = 4096;

// A coroutine nobody awaits, started at once, freeing itself at its end (evnode::detail::
// Detached, with pooled frames).
struct Driver {
  struct promise_type {
    static void* operator new(std::size_t n) {
      FramePool& pool = framePool;
      if (n == pool.size && !pool.free.empty()) {
        void* p = pool.free.back();
        pool.free.pop_back();
        return p;
      }
      return ::operator new(n);
    }
    static void operator delete(void* p, std::size_t n) {
      FramePool& pool = framePool;
      if (pool.size == 0) pool.size = n;
      if (n == pool.size && pool.free.size() < kMaxPooledFrames) {
        pool.free.push_back(p);
      } else {
        ::operator delete(p);
      }
    }
    Driver get_return_object() noexcept {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
  std::coroutine_handle<> h;
  void start() { evnode::detail::resumeNested(h); }
};

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

// One request's driver. It owns copies of req and res (the handler may take references to
// them) and the handler (whose captures the task's frame may point into).
Driver runHandler(std::shared_ptr<const TaskHandler> handler, RequestPtr req, ResponsePtr res) {
  std::exception_ptr failed;
  try {
    co_await (*handler)(req, res);
  } catch (...) {
    failed = std::current_exception();
  }
  if (!failed) co_return;
  answerFailure(res);
  evnode::detail::reportUnhandled(failed);
}

}  // namespace

std::function<void(const RequestPtr&, const ResponsePtr&)> taskListener(TaskHandler handler) {
  auto h = std::make_shared<const TaskHandler>(std::move(handler));
  return [h](const RequestPtr& req, const ResponsePtr& res) { runHandler(h, req, res).start(); };
}

}  // namespace evnode::http::detail
