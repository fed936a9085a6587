// What Task, spawn() and run() need from the library: the uncaught path and the root task's
// loop.
#include "evnode/task.h"

#include "evnode/operation.h"

#include <array>
#include <cstddef>
#include <string>
#include <utility>

#include "core/block_cache.h"
#include "core/tick.h"
#include "evnode/events.h"
#include "evnode/loop.h"

namespace evnode::detail {

template <std::size_t Class>
void* getFrame() {
  constexpr std::size_t n = (Class + 1) * kFrameClass;
  return BlockCache<SizeClass<n>>::get(n);
}
template <std::size_t Class>
void putFrame(void* p) noexcept {
  constexpr std::size_t n = (Class + 1) * kFrameClass;
  BlockCache<SizeClass<n>>::put(p, n);
}
// The classes task.h's tables name (kFrameClasses of them).
static_assert(kFrameClasses == 16);
#define EVNODE_FRAME_CLASS(I)   \
  template void* getFrame<I>(); \
  template void putFrame<I>(void*) noexcept;
EVNODE_FRAME_CLASS(0)
EVNODE_FRAME_CLASS(1)
EVNODE_FRAME_CLASS(2)
EVNODE_FRAME_CLASS(3)
EVNODE_FRAME_CLASS(4)
EVNODE_FRAME_CLASS(5)
EVNODE_FRAME_CLASS(6)
EVNODE_FRAME_CLASS(7)
EVNODE_FRAME_CLASS(8)
EVNODE_FRAME_CLASS(9)
EVNODE_FRAME_CLASS(10)
EVNODE_FRAME_CLASS(11)
EVNODE_FRAME_CLASS(12)
EVNODE_FRAME_CLASS(13)
EVNODE_FRAME_CLASS(14)
EVNODE_FRAME_CLASS(15)
#undef EVNODE_FRAME_CLASS

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
  resumeNested(h);
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
  queueMicrotask([h] { resumeNested(h); });
}
}  // namespace evnode::detail
