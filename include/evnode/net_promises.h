// evnode/net_promises.h — await a connection: net::promises::connect (evnode's name; Node has
// no net/promises, this is `await events.once(net.connect(...), 'connect')` in one call).
//
//   try {
//     auto socket = co_await net::promises::connect(port, "127.0.0.1");
//   } catch (const SystemError& e) { /* e.what(): "connect ECONNREFUSED 127.0.0.1:1" */ }
#pragma once

#include <memory>
#include <string>

#include "evnode/abort.h"
#include "evnode/net.h"
#include "evnode/operation.h"

/// Awaitable forms of net's calls.
namespace evnode::net::promises {

/// What connect() returns: an Operation (operation.h) giving the connected socket.
class ConnectOperation : public Operation<std::shared_ptr<Socket>, ConnectOperation> {
 public:
  /// A connect to `opts` (started when awaited), aborted by `signal` if given.
  ConnectOperation(ConnectOptions opts, std::shared_ptr<AbortSignal> signal);
  /// Moves a connect not yet awaited.
  ConnectOperation(ConnectOperation&& o) noexcept;
  ~ConnectOperation();
  /// Operation's: makes the socket and connects it.
  void start();
  /// Operation's: removes the listeners; destroys the socket unless it connected.
  void stop();

 private:
  ConnectOptions opts_;
  std::shared_ptr<Socket> socket_;
  ListenerId connectId_ = 0, errorId_ = 0;
  bool listening_ = false, connected_ = false;
};

/// Node's net.connect(options) awaited until `connect`: the connected Socket, or the connect's
/// error thrown (SystemError: "connect ECONNREFUSED 127.0.0.1:1"). An abort destroys the socket.
ConnectOperation connect(const ConnectOptions& opts, std::shared_ptr<AbortSignal> signal = nullptr);
/// Node's net.connect(port, host) awaited until `connect` (see above).
ConnectOperation connect(int port, const std::string& host = "localhost",
                         std::shared_ptr<AbortSignal> signal = nullptr);

}  // namespace evnode::net::promises
