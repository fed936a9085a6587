// evnode/operation.h — Operation<T, D>: the base of the library's awaitable operations
// (timers::promises, events::once, net::promises::connect), and the rules they share.
//
// An operation starts when it is awaited (not when it is made), may be given an AbortSignal,
// settles once (the first of its value, its error, or the signal's abort wins), removes every
// listener and timer it added as soon as it settles, and resumes its awaiter as a microtask
// (task.h's rule). `co_await op` gives T or throws; `co_await std::move(op).result()` gives a
// Result<T> (an abort's error there is AbortError::value(): code "ABORT_ERR"; the signal's
// reason() is the cause). Destroying an operation that is still pending (its coroutine's frame
// destroyed) cancels it the same way.
#pragma once

#include <coroutine>
#include <memory>
#include <optional>
#include <utility>

#include "evnode/abort.h"
#include "evnode/result.h"

namespace evnode {

namespace detail {
void resumeLater(std::coroutine_handle<> h);  // as a microtask
}  // namespace detail

/// The base of an awaitable operation giving T: the derived class D implements `void start()`
/// (begin the work; call resolve() or reject() when it ends, possibly at once) and `void
/// stop()` (remove what start() added; called once, when it settles). Movable until awaited.
template <class T, class D>
class Operation {
 public:
  /// The awaitable result() returns: the operation, giving Result<T> instead of throwing.
  struct ResultAwaiter {
    D op;  ///< the operation
    /// Never ready before it starts.
    bool await_ready() const noexcept { return false; }
    /// Starts the operation (see Operation::await_suspend).
    bool await_suspend(std::coroutine_handle<> h) { return op.await_suspend(h); }
    /// The outcome, as a value.
    Result<T> await_resume() { return std::move(*op.out_); }
  };

  /// Never ready before it starts.
  bool await_ready() const noexcept { return false; }
  /// Starts the operation; does not suspend if it settled at once.
  bool await_suspend(std::coroutine_handle<> h) {
    if (signal_) {
      if (signal_->aborted()) {
        abortedBy_ = true;
        out_.emplace(AbortError::value());
        return false;
      }
      abortId_ = signal_->on(AbortSignal::Events::abort, [this] {
        abortedBy_ = true;
        reject(AbortError::value());
      });
      listening_ = true;
    }
    self().start();
    if (out_) return false;
    waiter_ = h;
    return true;
  }
  /// The value, or the error thrown (AbortError with the signal's reason as its cause when the
  /// signal aborted it).
  T await_resume() {
    if (abortedBy_) throw AbortError(signal_->reason());
    if constexpr (std::is_void_v<T>) {
      out_->value();
    } else {
      return std::move(*out_).value();
    }
  }
  /// The non-throwing form: `co_await std::move(op).result()` gives a Result<T>.
  ResultAwaiter result() && { return ResultAwaiter{std::move(self())}; }

  Operation(const Operation&) = delete;
  Operation& operator=(const Operation&) = delete;

 protected:
  /// An operation that aborts when `signal` (if any) does.
  explicit Operation(std::shared_ptr<AbortSignal> signal = nullptr) : signal_(std::move(signal)) {}
  /// Moves a not-yet-started operation.
  Operation(Operation&& o) noexcept : signal_(std::move(o.signal_)) {}
  /// Cancels it if it is still pending; the derived class's members clean up after it.
  ~Operation() { unlisten(); }

  /// Settles it with `v` (ignored once settled).
  template <class... V>
  void resolve(V&&... v) {
    if (out_) return;
    if constexpr (std::is_void_v<T>) {
      out_.emplace();
    } else {
      out_.emplace(T(std::forward<V>(v)...));
    }
    settled();
  }
  /// Settles it with `err` (ignored once settled).
  void reject(Error err) {
    if (out_) return;
    out_.emplace(std::move(err));
    settled();
  }
  /// Whether it settled.
  bool isSettled() const { return out_.has_value(); }

 private:
  friend struct ResultAwaiter;
  D& self() { return static_cast<D&>(*this); }
  void unlisten() {
    if (listening_) signal_->off(AbortSignal::Events::abort, abortId_);
    listening_ = false;
  }
  void settled() {
    unlisten();
    self().stop();
    if (waiter_) detail::resumeLater(std::exchange(waiter_, nullptr));
  }

  std::shared_ptr<AbortSignal> signal_;
  std::optional<Result<T>> out_;
  std::coroutine_handle<> waiter_;
  ListenerId abortId_ = 0;
  bool listening_ = false;
  bool abortedBy_ = false;
};

}  // namespace evnode
