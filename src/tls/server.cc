// tls::Server: a net::Server whose connections are wrapped in TLSSockets; `secureConnection`
// after the handshake, `tlsClientError` when it fails or times out. The wrapping itself lives
// in ServerSide, which https::Server shares.
#include <cctype>

#include "evnode/loop.h"
#include "tls/internal.h"
#include "tls/server_side.h"

namespace evnode::tls {

namespace {

std::shared_ptr<internal::Config> makeConfig(const ServerOptions& o,
                                             std::shared_ptr<SecureContext> ctx) {
  auto c = std::make_shared<internal::Config>();
  c->opts.secureContext = std::move(ctx);
  c->opts.isServer = true;
  c->opts.requestCert = o.requestCert;
  c->opts.rejectUnauthorized = o.rejectUnauthorized;
  c->opts.ALPNProtocols = o.ALPNProtocols;
  c->opts.SNICallback = o.SNICallback;
  c->opts.allowHalfOpen = o.allowHalfOpen;
  c->alpnWire = internal::alpnWire(o.ALPNProtocols);
  return c;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool sniMatches(const std::string& pattern, const std::string& name) {
  if (pattern == name) return true;
  if (pattern.rfind("*.", 0) != 0) return false;
  std::string rest = pattern.substr(1);
  return name.size() > rest.size() &&
         name.compare(name.size() - rest.size(), rest.size(), rest) == 0 &&
         name.find('.') == name.size() - rest.size();
}

struct MakeServer : Server {
  explicit MakeServer(ServerOptions o) : Server(std::move(o)) {}
};

net::ServerOptions netOptions(const ServerOptions& o) {
  net::ServerOptions n;
  // The TLS layer decides when to end the TCP side (after close_notify), so the transport is
  // always half-open capable; the TLSSocket applies the user's allowHalfOpen.
  n.allowHalfOpen = true;
  n.noDelay = o.noDelay;
  n.keepAlive = o.keepAlive;
  n.keepAliveInitialDelay = o.keepAliveInitialDelay;
  return n;
}

}  // namespace

ServerSide::ServerSide(const ServerOptions& o) : options(o) {
  std::shared_ptr<SecureContext> ctx = o.secureContext ? o.secureContext : SecureContext::create(o);
  config = makeConfig(o, std::move(ctx));
}

void ServerSide::setContext(std::shared_ptr<SecureContext> ctx) {
  config = makeConfig(options, std::move(ctx));
}

std::shared_ptr<SecureContext> ServerSide::contextFor(const std::string& servername) const {
  std::string name = lower(servername);
  for (auto it = contexts.rbegin(); it != contexts.rend(); ++it) {
    if (sniMatches(it->first, name)) return it->second;
  }
  return nullptr;
}

std::shared_ptr<TLSSocket> ServerSide::wrap(const std::shared_ptr<net::Socket>& raw) {
  // The TLSSocket holds its server side; the server side holds no socket.
  auto sock = internal::makeTLSSocket(raw, config, owner.lock());
  if (options.handshakeTimeout > 0)
    internal::startHandshakeTimer(sock.get(), options.handshakeTimeout);
  if (options.pauseOnConnect) sock->pause();
  return sock;
}

void ServerSide::detach() {
  onSecure = nullptr;
  onError = nullptr;
  onKeylog = nullptr;
  wantsKeylog = nullptr;
}

Server::Server(ServerOptions opts) : net::Server(netOptions(opts)) {
  side_ = std::make_shared<ServerSide>(opts);
  side_->owner = side_;
}

Server::~Server() { side_->detach(); }

Server& Server::close(std::function<void(const Error&)> cb) {
  net::Server::close(std::move(cb));
  side_->endHandshakes();
  return *this;
}

std::shared_ptr<Server> Server::create(ServerOptions opts) {
  auto s = std::make_shared<MakeServer>(std::move(opts));
  Server* raw = s.get();
  ServerSide* side = s->side_.get();
  // Raw pointers: the server outlives its listeners, and a socket keeps its ServerSide.
  side->onSecure = [raw](const std::shared_ptr<TLSSocket>& sock) {
    raw->emit(Events::secureConnection, sock);
  };
  side->onError = [raw](const Error& err, const std::shared_ptr<TLSSocket>& sock) {
    raw->emit(Events::tlsClientError, err, sock);
  };
  side->onKeylog = [raw](const Buffer& line, const std::shared_ptr<TLSSocket>& sock) {
    raw->emit(Events::keylog, line, sock);
  };
  side->wantsKeylog = [raw] { return raw->listenerCount(Events::keylog) > 0; };
  s->on(net::Server::Events::connection,
        [side](const std::shared_ptr<net::Socket>& sock) { side->wrap(sock); });
  return s;
}

std::shared_ptr<Server> createServer(
    ServerOptions opts, std::function<void(const std::shared_ptr<TLSSocket>&)> listener) {
  auto s = Server::create(std::move(opts));
  if (listener) s->on(Server::Events::secureConnection, std::move(listener));
  return s;
}

void Server::addContext(const std::string& hostname, const SecureContextOptions& opts) {
  addContext(hostname, SecureContext::create(opts));
}

void Server::addContext(const std::string& hostname, std::shared_ptr<SecureContext> ctx) {
  side_->contexts.emplace_back(lower(hostname), std::move(ctx));
}

void Server::setSecureContext(const SecureContextOptions& opts) {
  side_->setContext(SecureContext::create(opts));
}

Buffer Server::getTicketKeys() const { return side_->config->opts.secureContext->getTicketKeys(); }

void Server::setTicketKeys(const Buffer& keys) {
  side_->config->opts.secureContext->setTicketKeys(keys);
}

}  // namespace evnode::tls
