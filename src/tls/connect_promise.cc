// tls::promises::connect: a TLSSocket's connect and handshake, awaited.
#include "evnode/tls_promises.h"

namespace evnode::tls::promises {

ConnectOperation::ConnectOperation(ConnectionOptions opts, std::shared_ptr<AbortSignal> signal)
    : Operation(std::move(signal)), opts_(std::move(opts)) {}

ConnectOperation::ConnectOperation(ConnectOperation&& o) noexcept
    : Operation(std::move(o)), opts_(std::move(o.opts_)) {}

ConnectOperation::~ConnectOperation() { stop(); }

void ConnectOperation::start() {
  try {
    socket_ = tls::connect(opts_);
  } catch (const SystemError& e) {
    return reject(e.error());
  } catch (const Exception& e) {
    return reject(Error(e.code(), e.what()));
  }
  connectId_ = socket_->once(TLSSocket::Events::secureConnect, [this] {
    connected_ = true;
    resolve(socket_);
  });
  errorId_ = socket_->once(TLSSocket::Events::error, [this](const Error& e) { reject(e); });
  listening_ = true;
}

void ConnectOperation::stop() {
  if (!listening_) return;
  listening_ = false;
  socket_->off(TLSSocket::Events::secureConnect, connectId_);
  socket_->off(TLSSocket::Events::error, errorId_);
  if (!connected_) socket_->destroy();
  socket_ = nullptr;
}

ConnectOperation connect(const ConnectionOptions& opts, std::shared_ptr<AbortSignal> signal) {
  return ConnectOperation(opts, std::move(signal));
}

ConnectOperation connect(int port, const std::string& host, const ConnectionOptions& opts,
                         std::shared_ptr<AbortSignal> signal) {
  ConnectionOptions o = opts;
  o.port = port;
  o.host = host;
  return ConnectOperation(std::move(o), std::move(signal));
}

ConnectOperation connect(int port, const std::string& host) {
  return promises::connect(port, host, ConnectionOptions());
}

}  // namespace evnode::tls::promises
