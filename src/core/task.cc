// What Task, spawn() and run() need from the library: the uncaught path and the root task's
// loop.
#include "evnode/task.h"

#include "evnode/operation.h"

#include <string>

#include "core/tick.h"
#include "evnode/events.h"
#include "evnode/loop.h"

namespace evnode::detail {

namespace {
Error errorOf(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const SystemError& x) {
    return x.error();
  } catch (const Exception& x) {
    return Error(x.code(), x.what());
  } catch (const std::exception& x) {
    return Error("ERR_UNHANDLED_REJECTION", x.what());
  } catch (...) {
    return Error("ERR_UNHANDLED_REJECTION", "a task threw a value that is not a std::exception");
  }
}
}  // namespace

void reportUnhandled(std::exception_ptr e) {
  queueTick([err = errorOf(e)] { uncaughtError(err); });
}

void TaskPromiseBase::rootFinished(bool failed) {
  if (failed) Loop::current().stop();
}

void runRoot(std::coroutine_handle<> h, TaskPromiseBase& p) {
  p.root = true;
  h.resume();
  if (h.done() && p.error) return;  // threw before its first suspension
  Loop::current().run();
  if (!h.done()) {
    throw Exception("ERR_UNSETTLED_TASK",
                    "The loop ran out of work before the task passed to run() finished");
  }
}

}  // namespace evnode::detail

namespace evnode::detail {
void resumeLater(std::coroutine_handle<> h) {
  queueMicrotask([h] { h.resume(); });
}
}  // namespace evnode::detail
