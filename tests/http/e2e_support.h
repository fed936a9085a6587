// Helpers for the end-to-end server tests: the server runs in this process on the test's loop,
// the peers are real programs (curl, node) or raw sockets, and every assertion is on bytes that
// went over 127.0.0.1.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "evnode/http.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "support/testing.h"

namespace evnode::http::e2e {

namespace et = evnode::testing;

struct PeerResult {
  int status = -1;
  std::string out, err;
};

// Runs `argv` as a peer while this thread's loop serves; once the peer has exited, `server` is
// closed so run() returns. The peer's exit status and output are returned.
inline PeerResult runPeer(const std::shared_ptr<Server>& server, std::vector<std::string> argv) {
  et::Process peer(std::move(argv));
  peer.closeStdin();
  TimeoutPtr poll;
  poll = setInterval(
      [&] {
        if (peer.running()) return;
        poll->close();
        server->close();
      },
      5);
  run();
  PeerResult r;
  r.status = peer.wait(10);
  r.out = peer.stdoutSoFar();
  r.err = peer.stderrSoFar();
  return r;
}

// One raw connection: writes `request`, collects every byte until the server closes the
// connection, then calls done(bytes). `closedAt` is the loop time of the close.
struct RawConn {
  std::shared_ptr<net::Socket> socket;
  std::string got;
  bool closed = false;
  std::uint64_t closedAt = 0;
};

inline std::shared_ptr<RawConn> rawClient(int port, std::string request,
                                          std::function<void(RawConn&)> done = nullptr) {
  auto c = std::make_shared<RawConn>();
  RawConn* raw = c.get();
  c->socket = net::connect(port, "127.0.0.1", [raw, request = std::move(request)] {
    if (!request.empty()) raw->socket->write(request);
  });
  c->socket->on(net::Socket::Events::data, [raw](const Buffer& b) { raw->got.append(b.view()); });
  c->socket->on(net::Socket::Events::error, [](const Error&) {});  // a reset shows as close
  c->socket->on(net::Socket::Events::close, [c, done = std::move(done)](bool) {
    c->closed = true;
    c->closedAt = Loop::current().now();
    if (done) done(*c);
  });
  return c;
}

// "VmHWM" / "VmRSS" of this process from /proc/self/status, in bytes (0 if unknown).
inline std::uint64_t procStatusBytes(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stoull(line.substr(key.size() + 1)) * 1024;
  }
  return 0;
}

// Counts the occurrences of `needle` in `hay`.
inline std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1))
    ++n;
  return n;
}

}  // namespace evnode::http::e2e
