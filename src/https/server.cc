// https::Server: an http::Server whose accepted connections are first wrapped in TLSSockets by
// tls's ServerSide (the same code as tls::Server); each socket joins HTTP once its handshake is
// done, as Node's https.Server (a tls.Server whose secureConnection listener is http's).
#include "evnode/https.h"
#include "tls/server_side.h"

namespace evnode::https {

namespace {

struct MakeServer : Server {
  explicit MakeServer(ServerOptions o) : Server(std::move(o)) {}
};

tls::ServerOptions tlsOptions(const ServerOptions& o) {
  tls::ServerOptions t;
  static_cast<tls::SecureContextOptions&>(t) = o;
  t.secureContext = o.secureContext;
  t.requestCert = o.requestCert;
  t.rejectUnauthorized = o.rejectUnauthorized;
  t.ALPNProtocols = o.ALPNProtocols;
  t.SNICallback = o.SNICallback;
  t.handshakeTimeout = o.handshakeTimeout;
  t.noDelay = o.noDelay;
  return t;
}

net::ServerOptions listenOptions(const ServerOptions& o) {
  net::ServerOptions n;
  // The TLS layer ends the TCP side itself, after close_notify (as tls::Server).
  n.allowHalfOpen = true;
  n.noDelay = o.noDelay;
  return n;
}

}  // namespace

Server::Server(ServerOptions opts) : http::Server(opts, listenOptions(opts)) {
  side_ = std::make_shared<tls::ServerSide>(tlsOptions(opts));
  side_->owner = side_;
}

Server::~Server() { side_->detach(); }

Server& Server::close(std::function<void(const Error&)> cb) {
  http::Server::close(std::move(cb));
  side_->endHandshakes();
  return *this;
}

std::shared_ptr<Server> Server::create(ServerOptions opts) {
  auto s = std::make_shared<MakeServer>(std::move(opts));
  Server* raw = s.get();
  tls::ServerSide* side = s->side_.get();
  side->onSecure = [raw](const std::shared_ptr<tls::TLSSocket>& sock) {
    raw->emit(Events::secureConnection, sock);
    raw->serveConnection(sock);
  };
  side->onError = [raw](const Error& err, const std::shared_ptr<tls::TLSSocket>& sock) {
    raw->emit(Events::tlsClientError, err, sock);
  };
  side->onKeylog = [raw](const Buffer& line, const std::shared_ptr<tls::TLSSocket>& sock) {
    raw->emit(Events::keylog, line, sock);
  };
  side->wantsKeylog = [raw] { return raw->listenerCount(Events::keylog) > 0; };
  s->on(net::Server::Events::connection,
        [side](const std::shared_ptr<net::Socket>& sock) { side->wrap(sock); });
  return s;
}

std::shared_ptr<Server> createServer(
    ServerOptions opts,
    std::function<void(const http::RequestPtr&, const http::ResponsePtr&)> listener) {
  auto s = Server::create(std::move(opts));
  if (listener) s->on(Server::Events::request, std::move(listener));
  return s;
}

void Server::addContext(const std::string& hostname, const tls::SecureContextOptions& opts) {
  addContext(hostname, tls::SecureContext::create(opts));
}

void Server::addContext(const std::string& hostname, std::shared_ptr<tls::SecureContext> ctx) {
  // Lower-cased as tls::Server does: SNI names compare without case.
  std::string name = hostname;
  for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  side_->contexts.emplace_back(std::move(name), std::move(ctx));
}

void Server::setSecureContext(const tls::SecureContextOptions& opts) {
  side_->setContext(tls::SecureContext::create(opts));
}

Buffer Server::getTicketKeys() const { return side_->config->opts.secureContext->getTicketKeys(); }

void Server::setTicketKeys(const Buffer& keys) {
  side_->config->opts.secureContext->setTicketKeys(keys);
}

}  // namespace evnode::https
