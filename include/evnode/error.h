// evnode/error.h — errors as values (Node's `Error` with `code`, `syscall`, `errno`) and the
// exceptions thrown for programmer errors at the call site.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace evnode {

/// An operational error, delivered to an `error` event or a callback. A default-constructed Error
/// means "no error", so callbacks read like Node's: `if (err) { ... }`.
struct Error {
  std::string code;     ///< "ECONNREFUSED", "ERR_STREAM_WRITE_AFTER_END", ...
  std::string message;  ///< "connect ECONNREFUSED 127.0.0.1:1"
  std::string syscall;  ///< "connect", "listen", "" when not a system call
  int errnum = 0;       ///< negative libuv/errno value for system errors, 0 otherwise
  std::string address;  ///< for network errors, as Node sets them
  int port = -1;        ///< with `address`; -1 when there is none
  /// Node's AggregateError: a connect that tried several addresses (net's autoSelectFamily) and
  /// failed at each gives every attempt's error here, in order; code, errnum and syscall are the
  /// first one's, and the message names each address.
  std::vector<Error> errors;

  Error() = default;  ///< No error.
  /// An error with a code and a message (no syscall, errnum or address).
  Error(std::string code, std::string message)
      : code(std::move(code)), message(std::move(message)) {}

  /// Whether this is an error (its code is not empty).
  explicit operator bool() const { return !code.empty(); }

  /// A system error from a negative libuv status, with Node's message shape:
  /// "<syscall> <CODE> [<address>[:<port>]]".
  static Error fromUv(int status, std::string_view syscall, std::string_view address = {},
                      int port = -1);
  /// Same, from a positive errno value.
  static Error fromErrno(int err, std::string_view syscall, std::string_view address = {},
                         int port = -1);
};

/// Thrown at the call for invalid arguments and misuse (Node's TypeError/RangeError with a code).
class Exception : public std::runtime_error {
 public:
  /// An exception with Node's error code ("ERR_INVALID_ARG_TYPE", ...) and message (what()).
  Exception(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  /// Node's `err.code`.
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

/// What an awaited operation that failed throws (evnode/task.h): the operation's Error, whole.
/// what() is Node's message ("connect ECONNREFUSED 127.0.0.1:1") and code() its code; the
/// Error may be any operational error (an `error` event's), not only a system call's.
class SystemError : public Exception {
 public:
  /// The exception for `err` (which must be an error).
  explicit SystemError(Error err);
  /// The error: code, message, syscall, errnum, address, port.
  const Error& error() const { return error_; }

 private:
  Error error_;
};

/// Node's AbortError: what an operation aborted through an AbortSignal throws. code() is
/// "ABORT_ERR", what() "The operation was aborted", and cause() the signal's reason.
class AbortError : public Exception {
 public:
  /// An AbortError whose cause is `cause` (the signal's reason).
  explicit AbortError(Error cause = {});
  /// The signal's reason (Node's `err.cause`).
  const Error& cause() const { return cause_; }
  /// The error as a value: code "ABORT_ERR" and the message above.
  static Error value();

 private:
  Error cause_;
};

/// Throws `err` as an exception: AbortError (with `err` as its cause) when its code is
/// "ABORT_ERR", SystemError otherwise.
[[noreturn]] void throwAsException(const Error& err);

/// Throws Exception("ERR_INVALID_ARG_VALUE", ...) etc. Small helpers so call sites stay short.
[[noreturn]] void throwInvalidArg(std::string_view name, std::string_view why);
/// Throws Exception("ERR_OUT_OF_RANGE", ...): the value of `name` must be `range`, `got` was given.
[[noreturn]] void throwOutOfRange(std::string_view name, std::string_view range, long long got);

/// Libuv's name for a status ("ECONNREFUSED"), without needing uv.h.
std::string errorName(int uvStatus);

}  // namespace evnode
