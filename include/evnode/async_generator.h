// evnode/async_generator.h — AsyncGenerator<T>: an async generator (`async function*`), a
// coroutine that may both co_await and co_yield, read with next():
//
//   while (auto v = co_await gen.next()) use(*v);   // Node's for await (const v of gen)
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

#include "evnode/task.h"

namespace evnode {

/// A lazy async generator of T values. next() resumes it until its next co_yield (giving the
/// value), its end (giving std::nullopt) or an exception (thrown from next()'s await). Between
/// values it may await anything. Destroying it stops it where it is (its frame's destructors
/// run: Node's `return()`); move-only.
template <class T>
class [[nodiscard]] AsyncGenerator {
 public:
  /// The coroutine's promise (what the compiler uses).
  struct promise_type {
    std::optional<T> current;          ///< the value last yielded, until next() takes it
    std::coroutine_handle<> consumer;  ///< the coroutine waiting in next()
    std::exception_ptr error;          ///< what the body threw
    /// The generator for this coroutine.
    AsyncGenerator get_return_object() noexcept {
      return AsyncGenerator(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    /// Lazy: the body starts on the first next().
    std::suspend_always initial_suspend() noexcept { return {}; }
    /// Hands control back to the consumer (a yield or the end).
    struct Yield {
      /// Always suspends.
      bool await_ready() noexcept { return false; }
      /// Resumes the consumer by symmetric transfer (task.h's trampoline).
      void await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        detail::transfer(h.promise().consumer);
      }
      /// Nothing to give.
      void await_resume() noexcept {}
    };
    /// The end: next() gives std::nullopt.
    Yield final_suspend() noexcept { return {}; }
    /// co_yield v: next() gives v.
    template <class U = T>
    Yield yield_value(U&& v) {
      current.emplace(std::forward<U>(v));
      return {};
    }
    /// co_return: the end.
    void return_void() noexcept {}
    /// Kept for next() to throw.
    void unhandled_exception() noexcept { error = std::current_exception(); }
  };
  /// The coroutine's handle.
  using Handle = std::coroutine_handle<promise_type>;

  /// What next() returns: await it for the next value.
  struct NextAwaiter {
    Handle h;  ///< the generator
    /// Ready (with nothing, or its exception) once the generator has ended.
    bool await_ready() const noexcept { return !h || h.done(); }
    /// Resumes the generator until it yields or ends.
    void await_suspend(std::coroutine_handle<> c) noexcept {
      h.promise().consumer = c;
      detail::transfer(h);
    }
    /// The value yielded; std::nullopt at the end; throws what the body threw (once).
    std::optional<T> await_resume() {
      if (!h) return std::nullopt;
      promise_type& p = h.promise();
      if (p.error) std::rethrow_exception(std::exchange(p.error, nullptr));
      return std::exchange(p.current, std::nullopt);
    }
  };

  /// An empty generator (next() gives std::nullopt).
  AsyncGenerator() noexcept = default;
  /// Takes `o`'s coroutine.
  AsyncGenerator(AsyncGenerator&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  /// Takes `o`'s coroutine, destroying this one's.
  AsyncGenerator& operator=(AsyncGenerator&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  AsyncGenerator(const AsyncGenerator&) = delete;
  AsyncGenerator& operator=(const AsyncGenerator&) = delete;
  ~AsyncGenerator() {
    if (h_) h_.destroy();
  }

  /// Node's `await gen.next()`: the next value, or std::nullopt when it has ended.
  NextAwaiter next() noexcept { return NextAwaiter{h_}; }

 private:
  explicit AsyncGenerator(Handle h) noexcept : h_(h) {}
  Handle h_;
};

}  // namespace evnode
