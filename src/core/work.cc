// queueWork: a function on libuv's thread pool, its completion on the calling thread's loop.
#include <uv.h>

#include <exception>
#include <functional>

#include "core/callback_scope.h"
#include "evnode/error.h"
#include "evnode/loop.h"

namespace evnode {

namespace {
struct WorkReq {
  uv_work_t req;
  std::function<void()> work;
  std::function<void(std::exception_ptr)> done;
  std::exception_ptr error;
};
}  // namespace

void queueWork(std::function<void()> work, std::function<void(std::exception_ptr)> done) {
  if (!work) throw Exception("ERR_INVALID_ARG_TYPE", "queueWork: work must be a function");
  auto* w = new WorkReq{{}, std::move(work), std::move(done), nullptr};
  w->req.data = w;
  uv_queue_work(
      Loop::current().uv(), &w->req,
      [](uv_work_t* r) {
        auto* w = static_cast<WorkReq*>(r->data);
        try {
          w->work();
        } catch (...) {
          w->error = std::current_exception();
        }
        w->work = nullptr;  // what it captured is freed on the pool thread, as it was used there
      },
      [](uv_work_t* r, int) {
        // Never cancelled (nothing calls uv_cancel), so the status is always 0.
        auto* w = static_cast<WorkReq*>(r->data);
        detail::CallbackScope scope;
        auto done = std::move(w->done);
        auto error = std::move(w->error);
        delete w;
        if (done) done(std::move(error));
      });
}

}  // namespace evnode
