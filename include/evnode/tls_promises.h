// evnode/tls_promises.h — await a TLS connection (tls::promises::connect) and UDP datagrams
// (dgram::promises::messages).
//
//   auto socket = co_await tls::promises::connect(443, "example.org");   // at secureConnect
//   auto inbox = dgram::promises::messages(udp);
//   while (auto m = co_await inbox.next()) { auto& [msg, rinfo] = *m; ... }
#pragma once

#include <memory>
#include <string>
#include <tuple>

#include "evnode/abort.h"
#include "evnode/async_generator.h"
#include "evnode/buffer.h"
#include "evnode/dgram.h"
#include "evnode/events_once.h"
#include "evnode/operation.h"
#include "evnode/tls.h"

/// Awaitable forms of tls's calls.
namespace evnode::tls::promises {

/// What connect() returns: an Operation (operation.h) giving the socket once its handshake is
/// done and the server's certificate verified (`secureConnect`).
class ConnectOperation : public Operation<std::shared_ptr<TLSSocket>, ConnectOperation> {
 public:
  /// A connection made with `opts` when awaited, aborted by `signal` if given.
  ConnectOperation(ConnectionOptions opts, std::shared_ptr<AbortSignal> signal);
  /// Moves one not yet awaited.
  ConnectOperation(ConnectOperation&& o) noexcept;
  ~ConnectOperation();
  /// Operation's: connects.
  void start();
  /// Operation's: removes the listeners; destroys the socket unless it connected.
  void stop();

 private:
  ConnectionOptions opts_;
  std::shared_ptr<TLSSocket> socket_;
  ListenerId connectId_ = 0, errorId_ = 0;
  bool listening_ = false, connected_ = false;
};

/// Node's `tls.connect(options)` awaited until `secureConnect`: the socket, or the connect,
/// handshake or verification error thrown (SystemError; "UNABLE_TO_VERIFY_LEAF_SIGNATURE", ...).
/// An abort (or the awaiting coroutine's destruction) destroys the socket.
ConnectOperation connect(const ConnectionOptions& opts,
                         std::shared_ptr<AbortSignal> signal = nullptr);
/// The same to host:port, with the other options of `opts`. Name `opts` before the co_await
/// (task.h).
ConnectOperation connect(int port, const std::string& host, const ConnectionOptions& opts,
                         std::shared_ptr<AbortSignal> signal = nullptr);
/// The same to host:port with the default options (the system CA store).
ConnectOperation connect(int port, const std::string& host);

}  // namespace evnode::tls::promises

/// Awaitable forms of dgram's calls.
namespace evnode::dgram::promises {

/// Node's `for await (const [msg, rinfo] of events.on(socket, 'message'))`: the socket's
/// datagrams as (message, sender) tuples, queued while the consumer is busy; an `error`
/// throws, an abort throws AbortError. Destroying the generator removes its listeners (the
/// socket stays open).
inline AsyncGenerator<std::tuple<Buffer, RemoteInfo>> messages(
    const std::shared_ptr<Socket>& socket, events::OnOptions opts = {}) {
  return events::on(socket, Socket::Events::message, std::move(opts));
}

}  // namespace evnode::dgram::promises
