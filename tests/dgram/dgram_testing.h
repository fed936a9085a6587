// Shared by the dgram tests: running the loop until something happened, binding a loopback
// socket, and catching the code of a programmer-error exception.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "evnode/dgram.h"
#include "evnode/loop.h"

namespace evnode::dgramtest {

// Runs the loop until `done()` or `ms` pass; the loop wakes at least every 5 ms to look (a bound
// socket would otherwise keep runOnce() waiting for a datagram).
inline bool runUntil(const std::function<bool()>& done, std::uint64_t ms = 5000) {
  auto deadline = Loop::current().now() + ms;
  while (!done() && Loop::current().now() < deadline) {
    auto tick = setTimeout([] {}, 5);
    Loop::current().runOnce();
    clearTimeout(tick);
  }
  return done();
}

// Binds `s` to an ephemeral port on `host` and runs the loop until it listens; its port.
inline int bindLoopback(const std::shared_ptr<dgram::Socket>& s,
                        const std::string& host = "127.0.0.1") {
  bool listening = false;
  s->bind(0, host, [&] { listening = true; });
  runUntil([&] { return listening; });
  return s->address().port;
}

// The code of the evnode::Exception `fn` throws, "" if none.
inline std::string exceptionCode(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Exception& e) {
    return e.code();
  }
  return "";
}

}  // namespace evnode::dgramtest
