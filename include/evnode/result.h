// evnode/result.h — Result<T>: a value or an Error, what an awaited operation's result() gives
// instead of throwing (for hot paths and for code that checks errors as values).
#pragma once

#include <utility>
#include <variant>

#include "evnode/error.h"

namespace evnode {

/// An operation's outcome: a T, or the Error it failed with (std::expected's shape):
///
///   auto r = co_await net::promises::connect(port, "127.0.0.1").result();
///   if (!r) std::puts(r.error().message.c_str());
template <class T>
class Result {
 public:
  /// A success holding `v`.
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT: implicit by design
  /// A failure holding `e` (which must be an error).
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT

  /// Whether it holds a value.
  bool ok() const { return v_.index() == 0; }
  /// The same as ok().
  explicit operator bool() const { return ok(); }

  /// The value; throws the error (throwAsException()) if there is none.
  T& value() & {
    check();
    return std::get<0>(v_);
  }
  /// The value, moved out; throws the error (throwAsException()) if there is none.
  T&& value() && {
    check();
    return std::get<0>(std::move(v_));
  }
  /// The value (which must be there).
  T& operator*() { return std::get<0>(v_); }
  /// The value's members (which must be there).
  T* operator->() { return &std::get<0>(v_); }

  /// The error; an empty Error (false) when it holds a value.
  const Error& error() const {
    static const Error none;
    return ok() ? none : std::get<1>(v_);
  }

 private:
  void check() const {
    if (!ok()) throwAsException(std::get<1>(v_));
  }
  std::variant<T, Error> v_;
};

/// The outcome of an operation that gives no value: an Error or none.
template <>
class Result<void> {
 public:
  /// A success.
  Result() = default;
  /// A failure holding `e` (an empty Error is a success).
  Result(Error e) : err_(std::move(e)) {}  // NOLINT: implicit by design

  /// Whether it succeeded.
  bool ok() const { return !err_; }
  /// The same as ok().
  explicit operator bool() const { return ok(); }
  /// Throws the error (throwAsException()) if it failed.
  void value() const {
    if (err_) throwAsException(err_);
  }
  /// The error; an empty Error (false) on success.
  const Error& error() const { return err_; }

 private:
  Error err_;
};

}  // namespace evnode
