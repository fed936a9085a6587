// Coroutine request handlers (createServer(F) in http.h): each request runs the handler's task
// under a small driver coroutine; an exception answers 500 or destroys the socket, then goes to
// the uncaught path.
#include <exception>
#include <memory>
#include <utility>

#include "evnode/http.h"

namespace evnode::http::detail {

namespace {

// Each request's driver is a Detached coroutine (task.h): its frame, as the handler's Task
// frame, comes from the per-thread frame caches.
using Driver = evnode::detail::Detached;

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
