// evnode/loop.h — the event loop (one per thread, over libuv) and Node's timers:
// setTimeout / setInterval / setImmediate / nextTick.
//
// Ordering follows Node: after every callback from the loop, the nextTick queue drains (ticks
// queued by ticks included) before anything else runs; timers fire in expiry order (ties in
// creation order); immediates run after the poll phase, and an immediate queued by an immediate
// waits for the next loop turn. `run()` returns when nothing referenced remains: no ref'd
// handle, timer or immediate.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>

struct uv_loop_s;

namespace evnode {

namespace detail {
struct PostQueue;
}

/// A thread-safe reference to one thread's Loop, for other threads: post() runs a function on
/// that loop's thread. Get it on the loop's own thread with Loop::current().handle(); copy it
/// anywhere. It stays valid after the loop is gone (post() then returns false).
class LoopHandle {
 public:
  /// Refers to no loop: post() returns false.
  LoopHandle() = default;
  /// Thread-safe: queues `fn` to run on the loop's thread, in the order posted, each in a
  /// callback of its own (ticks and microtasks drain after each, as after any I/O callback).
  /// The loop is woken once per batch of posts (one uv_async_send), not once per post. Returns
  /// false when the loop was destroyed (its thread exited); `fn` is then destroyed on the
  /// calling thread without running. A pending post does not keep the target loop running: one
  /// whose run() already returned runs it on its next run(), and functions still queued when
  /// the loop is destroyed are destroyed without running.
  bool post(std::function<void()> fn) const;
  /// Whether it refers to a loop that has not been destroyed yet.
  bool alive() const;
  /// Whether both refer to the same loop (or both to none).
  bool operator==(const LoopHandle& other) const { return q_ == other.q_; }

 private:
  friend class Loop;
  explicit LoopHandle(std::shared_ptr<detail::PostQueue> q) : q_(std::move(q)) {}
  std::shared_ptr<detail::PostQueue> q_;
};

/// The event loop of one thread (libuv's), with Node's exit rule; most programs only call
/// evnode::run().
class Loop {
 public:
  /// This thread's loop, created on first use.
  static Loop& current();

  /// The libuv loop underneath, for code that adds its own libuv handles.
  uv_loop_s* uv() const { return loop_; }
  /// Runs until nothing referenced remains (Node's exit rule).
  void run();
  /// Runs one turn; returns whether anything referenced remains.
  bool runOnce();
  /// Makes run() return after the current turn.
  void stop();
  /// The loop's cached time in milliseconds.
  std::uint64_t now() const;
  /// A handle other threads can post() to, and keep after this loop is gone.
  LoopHandle handle() const;
  /// Thread-safe (while this Loop exists): handle().post(fn).
  bool post(std::function<void()> fn) const;

  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  ~Loop();

 private:
  Loop();
  uv_loop_s* loop_;
  std::shared_ptr<detail::PostQueue> posts_;  // what other threads post to (src/core/post.cc)
};

/// Runs this thread's loop until nothing referenced remains.
void run();

/// Offloads blocking work to libuv's thread pool (UV_THREADPOOL_SIZE threads, 4 by default), as
/// Node's asynchronous crypto and zlib calls do: `work` runs on a pool thread, then `done` runs
/// on the calling thread's loop with the exception `work` threw (null when it returned). The
/// pending work keeps the loop running. `work` must not touch objects of any loop (sockets,
/// timers, emitters); it may compute, block on files or hash. Throws
/// Exception(ERR_INVALID_ARG_TYPE) for an empty `work`.
void queueWork(std::function<void()> work, std::function<void(std::exception_ptr)> done);

/// Queues `fn` to run once the current callback returns, before the loop continues.
void nextTick(std::function<void()> fn);

/// Node's queueMicrotask(fn): `fn` runs once the current callback returns and the nextTick
/// queue has drained, as a promise job does; microtasks queued by microtasks run in the same
/// drain, and ticks they queue run after it. A coroutine resumed by a completion
/// (evnode/task.h) is resumed from this queue.
void queueMicrotask(std::function<void()> fn);

/// A pending timer (Node's Timeout). Keep the shared_ptr to clear, ref/unref or refresh it;
/// dropping it does not cancel the timer.
class Timeout {
 public:
  virtual ~Timeout() = default;
  /// Makes the timer keep the loop running (the default).
  virtual void ref() = 0;
  /// Lets the loop end while the timer is pending.
  virtual void unref() = 0;
  /// Whether the timer keeps the loop running.
  virtual bool hasRef() const = 0;
  /// Restarts the countdown from now with the same delay (re-arms a timer that already fired).
  virtual void refresh() = 0;
  virtual void close() = 0;  ///< same as clearTimeout
};
/// What setTimeout() and setInterval() return.
using TimeoutPtr = std::shared_ptr<Timeout>;

/// Node's setTimeout(cb, delay): delays below 1 ms become 1 ms.
TimeoutPtr setTimeout(std::function<void()> cb, std::uint64_t ms);
/// Node's setInterval(cb, delay): `cb` every `ms` until cleared (below 1 ms: 1 ms).
TimeoutPtr setInterval(std::function<void()> cb, std::uint64_t ms);
/// Cancels the timer (nothing happens for nullptr or a timer that already fired).
void clearTimeout(const TimeoutPtr& t);
/// The same as clearTimeout().
void clearInterval(const TimeoutPtr& t);

/// A queued setImmediate() callback (Node's Immediate).
class Immediate {
 public:
  virtual ~Immediate() = default;
  /// Makes the immediate keep the loop running (the default).
  virtual void ref() = 0;
  /// Lets the loop end before the immediate runs.
  virtual void unref() = 0;
  /// Whether the immediate keeps the loop running.
  virtual bool hasRef() const = 0;
};
/// What setImmediate() returns.
using ImmediatePtr = std::shared_ptr<Immediate>;

/// Node's setImmediate(cb): `cb` runs after the loop's poll phase.
ImmediatePtr setImmediate(std::function<void()> cb);
/// Cancels the immediate if it has not run yet (nullptr is ignored).
void clearImmediate(const ImmediatePtr& i);

}  // namespace evnode
