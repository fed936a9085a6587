// What Task, spawn() and run() need from the library: the frame lists' slow paths, the uncaught
// path and the root task's loop.
#include "evnode/task.h"

#include "evnode/operation.h"

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <utility>

#include "core/block_cache.h"
#include "core/thread_instance.h"
#include "core/tick.h"
#include "evnode/events.h"
#include "evnode/loop.h"

namespace evnode::detail {

// The thread's frame lists, made by its first freed frame and torn down with its Loop (or at
// thread exit): the frames still listed go back to the heap, and frames freed after that go
// straight to the heap (`room` stays 0).
//
// A sanitizer build of the library keeps the inline lists (task.h's frameCache) empty, with no
// room: every frame then comes through newFrame() and goes through dropFrame(), which keep the
// checked lists here: a frame waits poisoned, is scribbled over when handed out again and is
// counted (docs/architecture.md's recycling rules). The library decides, not the program's
// inline code: a program and the library built one with the sanitizer and one without still
// agree on every frame, and the inline path pays nothing for the checks.
thread_local constinit FrameCache checkedCache{};

FrameCache& listsOfThisBuild() { return kCheckRecycled ? checkedCache : frameCache; }

struct FrameLists {
  FrameLists() {
    for (std::uint16_t& r : listsOfThisBuild().room) r = kFrameCacheMax;
  }
  ~FrameLists() {
    FrameCache& c = listsOfThisBuild();
    for (std::size_t cls = 0; cls < kFrameClasses; ++cls) {
      c.room[cls] = 0;
      while (void* p = c.head[cls]) {
        unpoisonObject(p, classBytes(cls));
        c.head[cls] = *static_cast<void**>(p);
        ::operator delete(p);
      }
    }
  }
  FrameLists(const FrameLists&) = delete;
  FrameLists& operator=(const FrameLists&) = delete;
};

void* newFrame(std::size_t cls) {
  if constexpr (kCheckRecycled) {
    FrameCache& c = checkedCache;
    if (void* p = c.head[cls]) {
      unpoisonObject(p, classBytes(cls));
      c.head[cls] = *static_cast<void**>(p);
      ++c.room[cls];
      countRecycled(true);
      return unpoisonRecycled(p, classBytes(cls));  // scribbled: never its predecessor's bytes
    }
  }
  countRecycled(false);
  return ::operator new(classBytes(cls));
}

void dropFrame(void* p, std::size_t cls) noexcept {
  FrameCache& c = listsOfThisBuild();
  bool made = false;
  try {
    made = threadInstance<FrameLists>() != nullptr;  // null once torn down
  } catch (const std::bad_alloc&) {
  }
  if (made && c.room[cls] > 0) {
    *static_cast<void**>(p) = c.head[cls];
    c.head[cls] = p;
    --c.room[cls];
    poisonRecycled(p, classBytes(cls));
    return;
  }
  ::operator delete(p);
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

namespace {
// run()'s task ended: a failure stops the loop; the frame stays for run() to take the outcome.
TaskEnd rootEnd{[](TaskEnd&, TaskPromiseBase& p) noexcept {
  if (p.error) Loop::current().stop();
  return false;
}};
}  // namespace

void runRoot(std::coroutine_handle<> h, TaskPromiseBase& p) {
  p.end = &rootEnd;
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
