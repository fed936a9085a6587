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
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "evnode/abort.h"
#include "evnode/result.h"
#include "evnode/task.h"

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

namespace evnode {

/// An Operation around a callback API: `begin(settle)` starts the work and must call `settle`
/// (a copyable function taking a Result<T>) once, later or at once. The work itself is not
/// cancelled by an abort or by the awaiting coroutine's destruction (a libuv fs or getaddrinfo
/// request runs to its end on the thread pool, as in Node): the awaiter settles at once and the
/// late outcome is dropped, since `settle` only holds a link the operation cuts when it settles.
/// dns::promises and fs::promises are built on it.
template <class T>
class CallbackOperation : public Operation<T, CallbackOperation<T>> {
  using Base = Operation<T, CallbackOperation<T>>;
  // What `settle` holds: the operation while it waits, null after.
  struct Link {
    CallbackOperation* op;
  };

 public:
  /// What begin() is given: call it with the outcome (a T, or an Error).
  class Settle {
   public:
    /// Settles the operation with `r`, if it still waits (otherwise drops it).
    void operator()(Result<T> r) const {
      CallbackOperation* op = link_->op;
      if (!op) return;
      if (!r) {
        op->reject(r.error());
      } else if constexpr (std::is_void_v<T>) {
        op->resolve();
      } else {
        op->resolve(std::move(*r));
      }
    }

   private:
    friend class CallbackOperation;
    explicit Settle(std::shared_ptr<Link> l) : link_(std::move(l)) {}
    std::shared_ptr<Link> link_;
  };
  /// The function that starts the work.
  using Begin = std::function<void(Settle)>;

  /// An operation running `begin` when awaited, aborted by `signal` if given.
  explicit CallbackOperation(Begin begin, std::shared_ptr<AbortSignal> signal = nullptr)
      : Base(std::move(signal)), begin_(std::move(begin)) {}
  /// Moves one not yet awaited.
  CallbackOperation(CallbackOperation&& o) noexcept
      : Base(std::move(o)), begin_(std::move(o.begin_)) {}
  ~CallbackOperation() { stop(); }

  /// Operation's: calls begin().
  void start() {
    link_ = std::make_shared<Link>(Link{this});
    begin_(Settle(link_));
  }
  /// Operation's: cuts the link, so a late outcome is dropped.
  void stop() {
    if (link_) link_->op = nullptr;
    link_ = nullptr;
  }

 private:
  Begin begin_;
  std::shared_ptr<Link> link_;
};

}  // namespace evnode

namespace evnode::detail {

/// A coroutine suspended until an event arrives (events::on, stream::iterator): wake() resumes
/// it as a microtask. Destroying the Wakeup (with the suspended coroutine's frame) cancels a
/// resumption that was queued but has not run yet, so it never touches a destroyed frame.
class Wakeup {
 public:
  Wakeup() = default;
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;
  ~Wakeup() {
    if (pending_) pending_->cancelled = true;
  }
  /// Whether a coroutine is suspended on it.
  bool waiting() const { return static_cast<bool>(waiter_); }
  /// Resumes the suspended coroutine (if any) as a microtask.
  void wake() {
    if (!waiter_) return;
    auto p = std::make_shared<Pending>();
    p->h = std::exchange(waiter_, nullptr);
    pending_ = p;
    queueMicrotask([p, this] {
      if (p->cancelled) return;
      pending_ = nullptr;
      resumeNested(p->h);
    });
  }
  /// `co_await wakeup.wait()`: suspends until wake().
  auto wait() {
    struct Awaiter {
      Wakeup& w;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) noexcept { w.waiter_ = h; }
      void await_resume() const noexcept {}
    };
    return Awaiter{*this};
  }

 private:
  struct Pending {
    std::coroutine_handle<> h;
    bool cancelled = false;
  };
  std::coroutine_handle<> waiter_;
  std::shared_ptr<Pending> pending_;
};

}  // namespace evnode::detail
