// Error values and programmer-error exceptions.
#include "evnode/error.h"

#include <uv.h>

#include <string>

namespace evnode {

namespace {
std::string withAddress(std::string msg, std::string_view address, int port) {
  if (!address.empty()) {
    msg += ' ';
    msg += address;
    if (port >= 0) {
      msg += ':';
      msg += std::to_string(port);
    }
  }
  return msg;
}
}  // namespace

std::string errorName(int uvStatus) { return uv_err_name(uvStatus); }

Error Error::fromUv(int status, std::string_view syscall, std::string_view address, int port) {
  Error e;
  e.code = uv_err_name(status);
  e.errnum = status;
  e.syscall = std::string(syscall);
  e.address = std::string(address);
  e.port = port;
  std::string msg = syscall.empty() ? e.code : std::string(syscall) + " " + e.code;
  e.message = withAddress(std::move(msg), address, port);
  return e;
}

Error Error::fromErrno(int err, std::string_view syscall, std::string_view address, int port) {
  return fromUv(uv_translate_sys_error(err), syscall, address, port);
}

SystemError::SystemError(Error err)
    : Exception(err.code, err.message.empty() ? err.code : err.message), error_(std::move(err)) {}

AbortError::AbortError(Error cause)
    : Exception("ABORT_ERR", "The operation was aborted"), cause_(std::move(cause)) {}

Error AbortError::value() { return Error("ABORT_ERR", "The operation was aborted"); }

void throwAsException(const Error& err) {
  if (err.code == "ABORT_ERR") throw AbortError(err);
  throw SystemError(err);
}

void throwInvalidArg(std::string_view name, std::string_view why) {
  throw Exception("ERR_INVALID_ARG_VALUE",
                  "The argument '" + std::string(name) + "' " + std::string(why));
}

void throwOutOfRange(std::string_view name, std::string_view range, long long got) {
  throw Exception("ERR_OUT_OF_RANGE", "The value of \"" + std::string(name) +
                                          "\" is out of range. It must be " + std::string(range) +
                                          ". Received " + std::to_string(got));
}

}  // namespace evnode
