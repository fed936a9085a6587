// Internal: what turns accepted connections into server-side TLSSockets — the options every
// connection of a server shares, SNI contexts, the handshake timeout. tls::Server and
// https::Server each own one.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "evnode/tls.h"

namespace evnode::tls {

namespace internal {
// The per-socket settings, shared by every connection of a server.
struct Config {
  TLSSocketOptions opts;
  std::string alpnWire;  // ALPNProtocols in wire format (length-prefixed)
};
std::string alpnWire(const std::vector<std::string>& protocols);
// Fails the handshake with ERR_TLS_HANDSHAKE_TIMEOUT unless it finished within `ms`.
void startHandshakeTimer(TLSSocket* s, std::uint64_t ms);
}  // namespace internal

struct ServerSide {
  explicit ServerSide(const ServerOptions& o);

  // Wraps an accepted connection and starts the handshake. onSecure or onError follows.
  std::shared_ptr<TLSSocket> wrap(const std::shared_ptr<net::Socket>& raw);
  void setContext(std::shared_ptr<SecureContext> ctx);
  // The context for an SNI name: the last addContext() entry that matches, else nullptr.
  std::shared_ptr<SecureContext> contextFor(const std::string& servername) const;
  // Drops the callbacks: the server is going away while handshakes still hold this side.
  void detach();
  // Destroys every connection still in its handshake (the server is closing). Defined with
  // the socket (src/tls/socket.cc), which keeps `handshaking`.
  void endHandshakes();

  ServerOptions options;
  std::shared_ptr<const internal::Config> config;
  std::vector<std::pair<std::string, std::shared_ptr<SecureContext>>> contexts;
  std::function<void(const std::shared_ptr<TLSSocket>&)> onSecure;
  std::function<void(const Error&, const std::shared_ptr<TLSSocket>&)> onError;
  std::function<void(const Buffer&, const std::shared_ptr<TLSSocket>&)> onKeylog;
  std::function<bool()> wantsKeylog;
  std::weak_ptr<ServerSide> owner;  // itself, for the sockets to hold
  // Connections wrapped and not yet secure; each knows its index (no search to remove one).
  std::vector<TLSSocket::Impl*> handshaking;
};

}  // namespace evnode::tls
