// evnode/timers_promises.h — Node's timers/promises: setTimeout, setImmediate and setInterval
// to await.
//
//   co_await timers::promises::setTimeout(100);
//   auto ticks = timers::promises::setInterval(50);
//   while (auto n = co_await ticks.next()) { if (*n == 3) break; }
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "evnode/abort.h"
#include "evnode/async_generator.h"
#include "evnode/loop.h"
#include "evnode/operation.h"

/// Node's timers module; only its promise API is here (the callback API is in loop.h).
namespace evnode::timers {}

/// Node's `timers/promises`.
namespace evnode::timers::promises {

/// Node's timers/promises options.
struct TimerOptions {
  std::shared_ptr<AbortSignal> signal;  ///< aborts the wait (AbortError) and clears the timer
  bool ref = true;                      ///< false: the timer does not keep the loop running
};

/// What setTimeout() returns: an Operation (operation.h) giving nothing after `ms`.
class TimeoutOperation : public Operation<void, TimeoutOperation> {
 public:
  /// A wait of `ms` (started when awaited).
  TimeoutOperation(std::uint64_t ms, TimerOptions opts)
      : Operation(std::move(opts.signal)), ms_(ms), ref_(opts.ref) {}
  /// Moves a wait not yet awaited.
  TimeoutOperation(TimeoutOperation&&) noexcept = default;
  ~TimeoutOperation() { stop(); }
  /// Operation's: arms the timer.
  void start();
  /// Operation's: clears the timer.
  void stop();

 private:
  std::uint64_t ms_;
  bool ref_;
  TimeoutPtr timer_;
};

/// What setImmediate() returns: an Operation giving nothing after the loop's poll phase.
class ImmediateOperation : public Operation<void, ImmediateOperation> {
 public:
  /// An immediate (queued when awaited).
  explicit ImmediateOperation(TimerOptions opts)
      : Operation(std::move(opts.signal)), ref_(opts.ref) {}
  /// Moves one not yet awaited.
  ImmediateOperation(ImmediateOperation&&) noexcept = default;
  ~ImmediateOperation() { stop(); }
  /// Operation's: queues the immediate.
  void start();
  /// Operation's: clears the immediate.
  void stop();

 private:
  bool ref_;
  ImmediatePtr imm_;
};

/// Node's `await setTimeout(ms, undefined, {signal, ref})`: resumes after `ms` (delays below
/// 1 ms become 1 ms, as setTimeout's).
inline TimeoutOperation setTimeout(std::uint64_t ms, TimerOptions opts = {}) {
  return TimeoutOperation(ms, std::move(opts));
}

/// Node's `await setImmediate(undefined, {signal, ref})`: resumes after the poll phase.
inline ImmediateOperation setImmediate(TimerOptions opts = {}) {
  return ImmediateOperation(std::move(opts));
}

/// Node's `setInterval(ms, undefined, {signal, ref})` async iterator: yields 1, 2, 3, ... (the
/// number of the interval; Node yields `value`) each `ms`. The interval timer runs from the
/// first next() until the generator is destroyed; fires that came while the consumer was busy
/// are yielded at once, one per next(), as in Node. An aborted signal makes next() throw
/// AbortError.
AsyncGenerator<std::uint64_t> setInterval(std::uint64_t ms, TimerOptions opts = {});

}  // namespace evnode::timers::promises
