// evnode/abort.h — Node's AbortController and AbortSignal: cancel awaited operations.
//
//   AbortController ac;
//   spawn(worker(ac.signal()));            // passes {.signal = signal} to what it awaits
//   ac.abort();                            // the pending await throws AbortError
//
// An operation given an aborted signal throws AbortError (code() "ABORT_ERR", cause() the
// signal's reason) and leaves nothing behind: its `abort` listener, timer and event listeners
// are removed at once.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "evnode/error.h"
#include "evnode/events.h"
#include "evnode/loop.h"

namespace evnode {

/// Node's AbortSignal: emits `abort` once, when its controller aborts it (or its timeout
/// passes, or one of the signals it follows aborts).
class AbortSignal : public EventEmitter {
 public:
  /// AbortSignal's events.
  struct Events : EventEmitter::Events {
    static constexpr Event<> abort{"abort"};  ///< it was aborted; reason() is set
  };

  /// Whether it was aborted.
  bool aborted() const { return aborted_; }
  /// Why it was aborted (an empty Error while it is not): by default code "ABORT_ERR",
  /// "This operation was aborted"; for timeout(), code "TIMEOUT_ERR", "The operation was aborted
  /// due to timeout" (Node's DOMException names).
  const Error& reason() const { return reason_; }
  /// Throws AbortError (cause: reason()) if it was aborted.
  void throwIfAborted() const;

  /// Node's AbortSignal.abort(reason): a signal aborted already.
  static std::shared_ptr<AbortSignal> abort(Error reason = {});
  /// Node's AbortSignal.timeout(ms): aborted with a TIMEOUT_ERR reason after `ms`. Its timer is
  /// unref'd (it does not keep the loop running, as in Node) and cleared with the signal.
  static std::shared_ptr<AbortSignal> timeout(std::uint64_t ms);
  /// Node's AbortSignal.any(signals): aborted when the first of `signals` is (with its reason);
  /// it stops listening to them once aborted or destroyed.
  static std::shared_ptr<AbortSignal> any(const std::vector<std::shared_ptr<AbortSignal>>& signals);

  /// A signal that is not aborted; prefer AbortController.
  AbortSignal() = default;
  ~AbortSignal() override;

  /// Aborts it with `reason` (the default reason if empty): sets reason(), emits `abort`.
  /// Nothing happens if it was aborted already. AbortController::abort() calls it.
  void doAbort(Error reason);

 private:
  void dropSources();

  bool aborted_ = false;
  Error reason_;
  TimeoutPtr timer_;  // timeout()'s
  struct Source {
    std::weak_ptr<AbortSignal> signal;
    ListenerId id;
  };
  std::vector<Source> sources_;  // any()'s
};

/// Node's AbortController: owns a signal and aborts it.
class AbortController {
 public:
  /// A controller with a fresh signal.
  AbortController() : signal_(std::make_shared<AbortSignal>()) {}
  /// Its signal, to pass to operations.
  const std::shared_ptr<AbortSignal>& signal() const { return signal_; }
  /// Aborts the signal with `reason` (default: code "ABORT_ERR", "This operation was aborted").
  void abort(Error reason = {}) { signal_->doAbort(std::move(reason)); }

 private:
  std::shared_ptr<AbortSignal> signal_;
};

}  // namespace evnode
