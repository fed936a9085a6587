// Coroutine request handlers (createServer(F) in http.h): each request runs the handler's task
// detached; an exception answers 500 or destroys the socket, then goes to the uncaught path.
#include <memory>
#include <utility>

#include "evnode/http.h"

namespace evnode::http::detail {

namespace {

// One request's driver. It owns copies of req and res (the handler may take references to
// them) and the handler (whose captures the task's frame may point into).
evnode::detail::Detached runHandler(std::shared_ptr<const TaskHandler> handler, RequestPtr req,
                                    ResponsePtr res) {
  std::exception_ptr failed;
  try {
    co_await (*handler)(req, res);
  } catch (...) {
    failed = std::current_exception();
  }
  if (!failed) co_return;
  bool answered = false;
  if (!res->headersSent() && !res->writableEnded() && !res->destroyed()) {
    try {
      res->statusCode = 500;
      res->statusMessage.clear();
      for (const std::string& name : res->getHeaderNames()) res->removeHeader(name);
      res->setHeader("Content-Length", "0");
      res->setHeader("Connection", "close");
      res->end();
      answered = true;
    } catch (const std::exception&) {
    }
  }
  if (!answered && res->socket()) res->socket()->destroy();
  evnode::detail::reportUnhandled(failed);
}

}  // namespace

std::function<void(const RequestPtr&, const ResponsePtr&)> taskListener(TaskHandler handler) {
  auto h = std::make_shared<const TaskHandler>(std::move(handler));
  return [h](const RequestPtr& req, const ResponsePtr& res) { runHandler(h, req, res).start(); };
}

}  // namespace evnode::http::detail
