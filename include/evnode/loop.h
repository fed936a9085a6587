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
#include <functional>
#include <memory>

struct uv_loop_s;

namespace evnode {

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

  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  ~Loop();

 private:
  Loop();
  uv_loop_s* loop_;
};

/// Runs this thread's loop until nothing referenced remains.
void run();

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
