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

namespace {
constexpr std::size_t kFrameClass = 32;
constexpr std::size_t kFrameClasses = 16;  // up to 512 bytes

// One cache per class, reached through a table indexed by class (no search).
template <std::size_t I>
void* getFrameOf() {
  return BlockCache<SizeClass<(I + 1) * kFrameClass>>::get((I + 1) * kFrameClass);
}
template <std::size_t I>
void putFrameOf(void* p) noexcept {
  BlockCache<SizeClass<(I + 1) * kFrameClass>>::put(p, (I + 1) * kFrameClass);
}
template <std::size_t... I>
constexpr auto frameGetters(std::index_sequence<I...>) {
  return std::array<void* (*)(), sizeof...(I)>{&getFrameOf<I>...};
}
template <std::size_t... I>
constexpr auto framePutters(std::index_sequence<I...>) {
  return std::array<void (*)(void*) noexcept, sizeof...(I)>{&putFrameOf<I>...};
}
constexpr auto kGetFrame = frameGetters(std::make_index_sequence<kFrameClasses>());
constexpr auto kPutFrame = framePutters(std::make_index_sequence<kFrameClasses>());
}  // namespace

void* allocFrame(std::size_t n) {
  std::size_t cls = n == 0 ? 0 : (n - 1) / kFrameClass;
  if (cls >= kFrameClasses) return ::operator new(n);
  return kGetFrame[cls]();
}

void freeFrame(void* p, std::size_t n) noexcept {
  std::size_t cls = n == 0 ? 0 : (n - 1) / kFrameClass;
  if (cls >= kFrameClasses) {
    ::operator delete(p);
    return;
  }
  kPutFrame[cls](p);
}

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

namespace {
// The trampoline's state: whether a loop is resuming coroutines on this thread (at the current
// nesting), and what it resumes next.
thread_local bool trampolineRunning = false;
thread_local std::coroutine_handle<> trampolineNext;
}  // namespace

void resumeNested(std::coroutine_handle<> h) {
  bool savedRunning = std::exchange(trampolineRunning, true);
  std::coroutine_handle<> savedNext = std::exchange(trampolineNext, nullptr);
  while (h) {
    h.resume();
    h = std::exchange(trampolineNext, nullptr);
  }
  trampolineRunning = savedRunning;
  trampolineNext = savedNext;
}

void transfer(std::coroutine_handle<> h) {
  if (trampolineRunning) {
    trampolineNext = h;  // resumed by the loop once the suspending coroutine has returned
  } else {
    resumeNested(h);
  }
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
