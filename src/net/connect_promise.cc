// net::promises::connect: a Socket's connect, awaited.
#include "evnode/net_promises.h"

namespace evnode::net::promises {

ConnectOperation::ConnectOperation(ConnectOptions opts, std::shared_ptr<AbortSignal> signal)
    : Operation(std::move(signal)), opts_(std::move(opts)) {}

ConnectOperation::ConnectOperation(ConnectOperation&& o) noexcept
    : Operation(std::move(o)), opts_(std::move(o.opts_)) {}

ConnectOperation::~ConnectOperation() { stop(); }

void ConnectOperation::start() {
  SocketOptions so;
  so.allowHalfOpen = opts_.allowHalfOpen;
  socket_ = Socket::create(so);
  connectId_ = socket_->once(Socket::Events::connect, [this] {
    connected_ = true;
    resolve(socket_);
  });
  errorId_ = socket_->once(Socket::Events::error, [this](const Error& e) { reject(e); });
  listening_ = true;
  socket_->connect(opts_);
}

void ConnectOperation::stop() {
  if (!listening_) return;
  listening_ = false;
  socket_->off(Socket::Events::connect, connectId_);
  socket_->off(Socket::Events::error, errorId_);
  if (!connected_) socket_->destroy();
  socket_ = nullptr;
}

ConnectOperation connect(const ConnectOptions& opts, std::shared_ptr<AbortSignal> signal) {
  return ConnectOperation(opts, std::move(signal));
}

ConnectOperation connect(int port, const std::string& host, std::shared_ptr<AbortSignal> signal) {
  ConnectOptions o;
  o.port = port;
  o.host = host;
  return ConnectOperation(std::move(o), std::move(signal));
}

}  // namespace evnode::net::promises
