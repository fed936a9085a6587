// evnode/task.h — async/await: Task<T>, a C++20 coroutine with Node's promise semantics, and
// spawn() / run() to start one.
//
//   evnode::Task<int> amain() {
//     co_await evnode::timers::promises::setTimeout(10);
//     auto socket = co_await evnode::net::promises::connect(port, "127.0.0.1");
//     co_return 0;
//   }
//   int main() { return evnode::run(amain()); }
//
// A Task is lazy: its body starts when it is awaited (or given to spawn(), run(), whenAll(),
// whenAny()), and runs synchronously until its first suspension, as an async function's body
// does. It is move-only and owns its coroutine frame. A task belongs to the thread that starts
// it: every operation it awaits is on that thread's loop; never resume it from another thread.
//
// When code runs (the resumption rule):
//  - An operation completed by the loop (a timer, an event, a connect, an abort) resumes the
//    coroutine waiting for it as a microtask (Node's promise job): after the callback that
//    completed it has returned and after the nextTick queue has drained, in completion order;
//    ticks queued by resumed coroutines run once every queued microtask has run. So, as in
//    Node, `process.nextTick` queued in the completing callback runs before the `await` returns.
//  - An awaited Task that finishes resumes its awaiter at once by symmetric transfer, where
//    JavaScript would go through one more microtask. The transfer goes through a per-thread
//    trampoline (detail::transfer) rather than relying on the compiler's tail call, which GCC
//    does not make without optimisation: the stack never grows, however long a chain of tasks
//    that finish synchronously, at -O0 as well; an operation that fails before it suspends (an
//    AbortSignal already aborted) throws at once.
//
// Errors: an awaited operation that fails throws SystemError (its Error whole, Node's message
// in what()) or AbortError (evnode/error.h); each operation's `.result()` gives a Result<T>
// instead (evnode/result.h). An exception thrown by a task's body comes out of the co_await
// that awaits it.
//
// GCC 12 (seen with 12.2; clang is fine) destroys twice an aggregate temporary built inside a
// co_await's operand, such as an options struct written in place:
// `co_await setTimeout(ms, {.signal = s})` frees `s` once too often. Name such a struct first
// (`TimerOptions opts{.signal = s}; co_await setTimeout(ms, opts);`); plain arguments (numbers,
// strings, shared_ptrs) are not affected.
#pragma once

#include <array>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <utility>

#include "evnode/error.h"

namespace evnode {

template <class T = void>
class Task;

namespace detail {

// The thread's trampoline: whether a loop is resuming coroutines on this thread (at the current
// nesting), and what it resumes next. Plain data, constant-initialised and trivially
// destructible, so reading it costs one thread-pointer access and is valid at any time.
struct Trampoline {
  bool running = false;
  std::coroutine_handle<> next;
};
inline thread_local constinit Trampoline trampoline{};

// Resumes `h` in a trampoline loop of its own (an entry point: a coroutine started or resumed by
// plain code), restoring the enclosing loop's state after. `next` is null whenever no loop runs,
// so the usual entry (from the loop's callbacks, no trampoline running) has nothing to save.
inline void runTrampoline(Trampoline& t, std::coroutine_handle<> h) {
  while (h) {
    h.resume();
    h = std::exchange(t.next, nullptr);
  }
}
inline void resumeNested(std::coroutine_handle<> h) {
  Trampoline& t = trampoline;
  if (t.running) [[unlikely]] {
    std::coroutine_handle<> saved = std::exchange(t.next, nullptr);
    runTrampoline(t, h);
    t.next = saved;
    return;
  }
  t.running = true;
  runTrampoline(t, h);
  t.running = false;
}
// Symmetric transfer through the trampoline: resumes `h` next. Inside the trampoline's loop (a
// coroutine it resumed is suspending) it only records `h`, and the loop resumes it once the
// current coroutine has returned; outside, it runs the loop here.
inline void transfer(std::coroutine_handle<> h) {
  Trampoline& t = trampoline;
  if (t.running) {
    t.next = h;
  } else {
    resumeNested(h);
  }
}

// Coroutine frames (Tasks, spawn()'s and whenAll's drivers, coroutine request handlers) come
// from per-thread free lists of freed frames by 32-byte size class up to 512 bytes (the heap
// past that): a task started per request costs no trip to malloc once the lists are warm. A
// frame's size is a constant where operator new is inlined into the coroutine's ramp, so the
// class is picked at compile time, and taking or giving a frame is a few instructions inline
// on a constinit thread-local (no call, no initialisation guard). A list holds up to
// kFrameCacheMax frames; `room` is what it may still take, 0 until the thread's first free
// registers the lists' teardown with the thread's Loop (task.cc), and 0 again after it.
// A sanitizer build of the library keeps these lists empty and checks its own (task.cc).
inline constexpr std::size_t kFrameClass = 32;
inline constexpr std::size_t kFrameClasses = 16;
inline constexpr std::uint16_t kFrameCacheMax = 256;
struct FrameCache {
  void* head[kFrameClasses];  // a free frame's first word points to the next
  std::uint16_t room[kFrameClasses];
};
inline thread_local constinit FrameCache frameCache{};
inline constexpr std::size_t frameClass(std::size_t n) {
  return n == 0 ? 0 : (n - 1) / kFrameClass;
}
inline constexpr std::size_t classBytes(std::size_t cls) { return (cls + 1) * kFrameClass; }
void* newFrame(std::size_t cls);                    // a fresh frame of class cls (task.cc)
void dropFrame(void* p, std::size_t cls) noexcept;  // the list is full or not made (task.cc)
inline void* allocFrame(std::size_t n) {
  const std::size_t cls = frameClass(n);
  if (cls >= kFrameClasses) return ::operator new(n);
  FrameCache& c = frameCache;
  void* p = c.head[cls];
  if (!p) [[unlikely]] {
    return newFrame(cls);
  }
  c.head[cls] = *static_cast<void**>(p);
  ++c.room[cls];
  return p;
}
inline void freeFrame(void* p, std::size_t n) noexcept {
  const std::size_t cls = frameClass(n);
  if (cls >= kFrameClasses) {
    ::operator delete(p);
    return;
  }
  FrameCache& c = frameCache;
  if (c.room[cls] == 0) [[unlikely]] {
    dropFrame(p, cls);
    return;
  }
  *static_cast<void**>(p) = c.head[cls];
  c.head[cls] = p;
  --c.room[cls];
}

struct TaskPromiseBase;
// What a task's end calls instead of resuming an awaiter, when its promise has one (run()'s
// task; a coroutine request handler's, which nobody awaits): `ended` returns true when it took
// what it needs from the promise (its error) and the frame is to be freed at once, by the
// task's own final suspension (then nobody may touch the task after).
struct TaskEnd {
  bool (*ended)(TaskEnd& self, TaskPromiseBase& p) noexcept;
};

// What every Task's promise has: the coroutine waiting for it and the exception it ended with.
struct TaskPromiseBase {
  static void* operator new(std::size_t n) { return allocFrame(n); }
  static void operator delete(void* p, std::size_t n) noexcept { freeFrame(p, n); }

  std::coroutine_handle<> continuation;
  std::exception_ptr error;
  TaskEnd* end = nullptr;  // what its end calls instead (see TaskEnd)

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    // Suspends, unless the end hook freed the frame (false: the coroutine runs on to its
    // end, which frees it).
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      TaskPromiseBase& p = h.promise();
      if (p.end) [[unlikely]] {
        return !p.end->ended(*p.end, p);
      }
      // The awaiter may destroy this frame once resumed: nothing touches it after.
      if (std::coroutine_handle<> c = p.continuation) transfer(c);
      return true;
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
  void rethrow() {
    if (error) std::rethrow_exception(error);
  }
};

template <class T>
struct TaskPromise : TaskPromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept;
  template <class U = T>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    rethrow();
    return std::move(*value);
  }
};

template <>
struct TaskPromise<void> : TaskPromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() { rethrow(); }
};

// A coroutine nobody awaits, started by start() (in a trampoline of its own); frees itself when
// it ends (spawn(), whenAll(), whenAny()).
struct Detached {
  struct promise_type {
    static void* operator new(std::size_t n) { return allocFrame(n); }
    static void operator delete(void* p, std::size_t n) noexcept { freeFrame(p, n); }
    Detached get_return_object() noexcept {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
  std::coroutine_handle<> h;
  void start() { resumeNested(h); }
};

// Reports an exception that escaped a spawned task on the uncaught-error path
// (detail::uncaughtError, as an unhandled `error` event), from a tick.
void reportUnhandled(std::exception_ptr e);

}  // namespace detail

/// A lazy, move-only coroutine giving a T (Node's async function and its promise in one).
/// `co_await task` starts it and gives its value or throws its exception; a Task is awaited
/// once. Destroying a Task that has not finished destroys its frame (its pending operations
/// are cancelled).
template <class T>
class [[nodiscard]] Task {
 public:
  /// The coroutine's promise (what the compiler uses; not Node's Promise).
  using promise_type = detail::TaskPromise<T>;
  /// The coroutine's handle.
  using Handle = std::coroutine_handle<promise_type>;

  /// An empty task (nothing to await).
  Task() noexcept = default;
  /// Takes `o`'s coroutine; `o` becomes empty.
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  /// Takes `o`'s coroutine, destroying this one's.
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  /// Whether it holds a coroutine.
  explicit operator bool() const noexcept { return static_cast<bool>(h_); }
  /// Whether its coroutine has finished (returned or thrown).
  bool done() const noexcept { return h_ && h_.done(); }

  /// What `co_await task` uses: starts the task, suspends the awaiter until it finishes (by
  /// symmetric transfer both ways), then gives its value or throws its exception.
  struct Awaiter {
    Handle h;  ///< the awaited task's coroutine
    /// Whether it already finished.
    bool await_ready() const noexcept { return h.done(); }
    /// Runs the task (detail::transfer); its end resumes `awaiting`.
    void await_suspend(std::coroutine_handle<> awaiting) noexcept {
      h.promise().continuation = awaiting;
      detail::transfer(h);
    }
    /// Its value, or its exception thrown.
    T await_resume() { return h.promise().take(); }
  };
  /// Awaits the task (see Awaiter).
  Awaiter operator co_await() && noexcept { return Awaiter{h_}; }
  /// Awaits the task (see Awaiter); the same as awaiting std::move(task).
  Awaiter operator co_await() & noexcept { return Awaiter{h_}; }

  /// The coroutine, still owned by the Task (for the library's combinators).
  Handle handle() const noexcept { return h_; }
  /// The coroutine, no longer owned by the Task, which becomes empty (for the library: a task
  /// whose frame is freed by its end hook).
  Handle release() noexcept { return std::exchange(h_, nullptr); }

 private:
  friend struct detail::TaskPromise<T>;
  explicit Task(Handle h) noexcept : h_(h) {}
  Handle h_;
};

template <class T>
Task<T> detail::TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(Task<T>::Handle::from_promise(*this));
}
inline Task<void> detail::TaskPromise<void>::get_return_object() noexcept {
  return Task<void>(Task<void>::Handle::from_promise(*this));
}

namespace detail {
inline Detached runDetached(Task<void> t) {
  try {
    co_await std::move(t);
  } catch (...) {
    reportUnhandled(std::current_exception());
  }
}
// Starts run()'s task and runs the loop for it; throws if the loop ran out of work first.
void runRoot(std::coroutine_handle<> h, TaskPromiseBase& p);
}  // namespace detail

/// Starts `task` detached: it runs until its first suspension now, and on its own after that.
/// An exception escaping it is an unhandled rejection: it goes, from a tick, to the handler of
/// setUncaughtErrorHandler() (events.h) as an Error (a SystemError's own, an Exception's code
/// and what(), "ERR_UNHANDLED_REJECTION" with what() for any other exception); by default that
/// prints it and exits with status 1, as Node does.
inline void spawn(Task<void> task) { detail::runDetached(std::move(task)).start(); }

/// Runs `task` on this thread's loop and runs the loop until the task and everything it left
/// running are done (Node's exit rule); gives the task's value. If the task throws, the loop is
/// stopped at the end of its turn and the exception comes out of run() (what is still open
/// stays open); if the loop runs out of work first, run() throws Exception
/// "ERR_UNSETTLED_TASK" after destroying the task. `int main() { return evnode::run(amain()); }`
template <class T>
T run(Task<T> task) {
  auto h = task.handle();
  detail::runRoot(h, h.promise());
  return h.promise().take();
}

}  // namespace evnode
