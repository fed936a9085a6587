// Error values (Node's code/syscall/message shape) and the programmer-error exceptions.
#include "evnode/error.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <cerrno>
#include <string>

namespace evnode {
namespace {

TEST(ErrorTest, FromUvWithAddressAndPort) {
  Error e = Error::fromUv(UV_ECONNREFUSED, "connect", "127.0.0.1", 1);
  EXPECT_TRUE(e);
  EXPECT_EQ(e.code, "ECONNREFUSED");
  EXPECT_EQ(e.syscall, "connect");
  EXPECT_EQ(e.message, "connect ECONNREFUSED 127.0.0.1:1");
  EXPECT_EQ(e.errnum, UV_ECONNREFUSED);
  EXPECT_EQ(e.address, "127.0.0.1");
  EXPECT_EQ(e.port, 1);
}

TEST(ErrorTest, FromUvWithoutPortOrAddress) {
  Error a = Error::fromUv(UV_EADDRINUSE, "listen", "::1");
  EXPECT_EQ(a.message, "listen EADDRINUSE ::1");
  EXPECT_EQ(a.port, -1);
  Error b = Error::fromUv(UV_ENOENT, "open");
  EXPECT_EQ(b.code, "ENOENT");
  EXPECT_EQ(b.message, "open ENOENT");
  EXPECT_EQ(b.address, "");
  Error c = Error::fromUv(UV_EPIPE, "");
  EXPECT_EQ(c.message, "EPIPE");
  EXPECT_EQ(c.syscall, "");
  Error d = Error::fromUv(UV_ECONNRESET, "read", "10.0.0.1", 0);  // port 0 is a port
  EXPECT_EQ(d.message, "read ECONNRESET 10.0.0.1:0");
}

TEST(ErrorTest, FromErrnoTranslatesToUvCodes) {
  Error e = Error::fromErrno(ECONNREFUSED, "connect", "127.0.0.1", 80);
  EXPECT_EQ(e.code, "ECONNREFUSED");
  EXPECT_EQ(e.errnum, UV_ECONNREFUSED);
  EXPECT_EQ(e.message, "connect ECONNREFUSED 127.0.0.1:80");
  EXPECT_EQ(Error::fromErrno(EACCES, "bind").code, "EACCES");
}

TEST(ErrorTest, EmptyErrorMeansNone) {
  Error none;
  EXPECT_FALSE(none);
  EXPECT_EQ(none.errnum, 0);
  EXPECT_EQ(none.port, -1);
  Error custom("ERR_STREAM_WRITE_AFTER_END", "write after end");
  EXPECT_TRUE(custom);
  EXPECT_EQ(custom.code, "ERR_STREAM_WRITE_AFTER_END");
  EXPECT_EQ(custom.message, "write after end");
  EXPECT_EQ(custom.errnum, 0);
}

TEST(ErrorTest, ErrorName) {
  EXPECT_EQ(errorName(UV_ETIMEDOUT), "ETIMEDOUT");
  EXPECT_EQ(errorName(UV_EOF), "EOF");
}

TEST(ErrorTest, ExceptionsCarryACode) {
  try {
    throwInvalidArg("port", "must be >= 0 and < 65536");
    FAIL() << "no throw";
  } catch (const Exception& e) {
    EXPECT_EQ(e.code(), "ERR_INVALID_ARG_VALUE");
    EXPECT_EQ(std::string(e.what()), "The argument 'port' must be >= 0 and < 65536");
  }
  try {
    throwOutOfRange("offset", ">= 0 and <= 4", 9);
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {  // an Exception is a std::runtime_error
    auto* ex = dynamic_cast<const Exception*>(&e);
    ASSERT_NE(ex, nullptr);
    EXPECT_EQ(ex->code(), "ERR_OUT_OF_RANGE");
    EXPECT_EQ(std::string(e.what()),
              "The value of \"offset\" is out of range. It must be >= 0 and <= 4. Received 9");
  }
}

}  // namespace
}  // namespace evnode
