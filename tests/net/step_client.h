// A test client for consumers of net sockets: sends `parts` one at a time, each once the server
// answers (anything), then ends.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/net.h"

namespace evnode::net::test {

inline std::shared_ptr<Socket> stepClient(int port, std::vector<std::string> parts) {
  auto c = net::connect(port, "127.0.0.1");
  auto left = std::make_shared<std::vector<std::string>>(std::move(parts));
  Socket* raw = c.get();
  auto sendNext = [raw, left] {
    if (left->empty()) {
      raw->end();
      return;
    }
    raw->write(left->front());
    left->erase(left->begin());
  };
  c->on(Socket::Events::connect, sendNext);
  c->on(Socket::Events::data, [sendNext](const Buffer&) { sendNext(); });
  c->on(Socket::Events::error, [](const Error&) {});
  return c;
}

// Runs `then` once `s` (paused) holds at least `n` bytes in its stream, checking every 5 ms.
inline void whenBuffered(Socket* s, std::size_t n, std::function<void()> then) {
  if (s->readableLength() >= n) {
    then();
    return;
  }
  setTimeout([s, n, then = std::move(then)]() mutable { whenBuffered(s, n, std::move(then)); }, 5);
}

}  // namespace evnode::net::test
