// tls::connect: a TCP (or Unix) connection, or a given stream, with a client TLSSocket on it.
#include "tls/internal.h"

namespace evnode::tls {

std::shared_ptr<TLSSocket> connect(const ConnectionOptions& o, std::function<void()> cb) {
  std::shared_ptr<SecureContext> ctx = o.secureContext ? o.secureContext : SecureContext::create(o);
  std::shared_ptr<Duplex> transport = o.socket;
  std::shared_ptr<net::Socket> tcp;
  if (!transport) {
    net::SocketOptions so;
    so.allowHalfOpen = true;  // the TLS layer ends the TCP side itself, after close_notify
    tcp = net::Socket::create(so);
    transport = tcp;
  }
  TLSSocketOptions t;
  t.secureContext = std::move(ctx);
  t.isServer = false;
  t.rejectUnauthorized = o.rejectUnauthorized;
  t.ALPNProtocols = o.ALPNProtocols;
  t.host = o.host;
  // SNI carries host names only (RFC 6066), never IP literals.
  t.servername = !o.servername.empty() ? o.servername : (net::isIP(o.host) ? "" : o.host);
  t.session = o.session;
  t.checkServerIdentity = o.checkServerIdentity;
  t.allowHalfOpen = o.allowHalfOpen;
  auto sock = TLSSocket::create(transport, std::move(t));
  if (cb) sock->once(TLSSocket::Events::secureConnect, std::move(cb));
  if (tcp) {
    net::ConnectOptions co;
    co.host = o.host;
    co.port = o.port;
    co.path = o.path;
    co.family = o.family;
    co.localAddress = o.localAddress;
    co.allowHalfOpen = true;
    co.autoSelectFamily = o.autoSelectFamily;
    co.autoSelectFamilyAttemptTimeout = o.autoSelectFamilyAttemptTimeout;
    tcp->connect(co);
  }
  if (o.timeout) sock->setTimeout(o.timeout);
  return sock;
}

std::shared_ptr<TLSSocket> connect(int port, const std::string& host, ConnectionOptions opts,
                                   std::function<void()> cb) {
  opts.port = port;
  opts.host = host;
  return connect(opts, std::move(cb));
}

}  // namespace evnode::tls
