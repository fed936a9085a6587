// The client's plain connections (TCP or Unix socket), with the `lookup` option.
#include "evnode/http.h"
#include "http/client_internal.h"

namespace evnode::http {

SocketPtr openConnection(const RequestOptions& o, bool allowHalfOpen) {
  net::SocketOptions so;
  so.allowHalfOpen = allowHalfOpen;
  auto socket = net::Socket::create(so);
  if (!o.socketPath.empty()) {
    socket->connect(o.socketPath);
    return socket;
  }
  net::ConnectOptions c;
  c.port = o.effectivePort();
  c.host = o.connectHost();
  c.family = o.family;
  c.localAddress = o.localAddress;
  c.noDelay = true;  // as Node's client: a request head must not wait for Nagle
  if (o.lookup && net::isIP(c.host) == 0) {
    o.lookup(c.host, o.family,
             [socket, c](const Error& err, const std::string& address, int) mutable {
               if (err) {
                 socket->destroy(err);
                 return;
               }
               c.host = address;
               socket->connect(c);
             });
    return socket;
  }
  socket->connect(c);
  return socket;
}

}  // namespace evnode::http
