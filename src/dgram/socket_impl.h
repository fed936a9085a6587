// Internal: the libuv side of dgram::Socket, shared by socket.cc (lifecycle, receiving, options)
// and send.cc (the send path).
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/callback_scope.h"
#include "evnode/dgram.h"

namespace evnode::dgram {

// One datagram waiting to leave: its parts, its destination (none on a connected socket) and
// whom to tell.
struct Outgoing {
  Buffer first;              // the datagram, or its first part
  std::vector<Buffer> rest;  // further parts gathered into the same datagram
  sockaddr_storage to;
  bool hasTo = false;
  Socket::SendCallback cb;

  std::size_t bytes() const {
    std::size_t n = first.size();
    for (const auto& b : rest) n += b.size();
    return n;
  }
};

struct Socket::Impl final : evnode::detail::HandleWrap {
  enum class BindState { kUnbound, kBinding, kBound };
  enum class ConnectState { kDisconnected, kConnecting, kConnected };

  Socket* owner;
  uv_udp_t* h = nullptr;  // allocated apart: it outlives the Socket until its close callback
  int family;             // AF_INET or AF_INET6
  SocketOptions options;
  BindState bindState = BindState::kUnbound;
  ConnectState connectState = ConnectState::kDisconnected;
  bool closed = false;
  bool connectPending = false;  // a connect's lookup is in flight: the queue waits for it
  // Operations made before the socket was bound (or connected) run once it is.
  std::vector<std::function<void()>> queue;
  // Sends made while a received batch is being delivered leave together at its end.
  bool inBatch = false;
  std::vector<Outgoing> batch;
  std::shared_ptr<Socket> self;  // held while the handle is open

  Impl(Socket* s, const SocketOptions& o)
      : owner(s), family(o.type == "udp6" ? AF_INET6 : AF_INET), options(o) {}

  void forceClose() override;

  // Throws ERR_SOCKET_DGRAM_NOT_RUNNING once closed.
  void healthCheck() const;
  void startBind(int port, const std::string& address);
  void afterBound();
  void runQueue();
  void closeHandle();

  // send.cc
  void send(Outgoing out, int port, const std::string& address, bool toPeer);
  void transmit(Outgoing& out);
  void queueSend(Outgoing& out);
  void flushBatch();
  void resolveAndSend(Outgoing out, int port, const std::string& address);
  const char* localhost() const { return family == AF_INET6 ? "::1" : "127.0.0.1"; }
  const char* anyAddress() const { return family == AF_INET6 ? "::" : "0.0.0.0"; }
};

// "send EMSGSIZE 127.0.0.1:41234": a libuv status about a datagram to `to` (or the peer).
Error sendError(int status, const sockaddr_storage* to, const uv_udp_t* h);
// The address and port of a sockaddr, as Node prints them.
void nameOf(const sockaddr* sa, std::string& address, int& port);
// Fills `ss` from an IP literal and port; false if `ip` is not one.
bool toSockaddr(const std::string& ip, int port, sockaddr_storage& ss);

}  // namespace evnode::dgram
