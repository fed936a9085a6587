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
  c.autoSelectFamily = o.autoSelectFamily;
  c.autoSelectFamilyAttemptTimeout = o.autoSelectFamilyAttemptTimeout;
  if (o.lookup) {
    // The request's lookup answers for net's own, so that the socket looks up, reports
    // `lookup` and connects as with dns::lookup; it gives a single address.
    c.lookup = [lookup = o.lookup](const std::string& host, const dns::LookupOptions& lo,
                                   dns::LookupAllCallback cb) {
      lookup(host, lo.family,
             [cb = std::move(cb)](const Error& err, const std::string& address, int family) {
               if (err) {
                 cb(err, {});
               } else {
                 cb(err, {{address, family}});
               }
             });
    };
  }
  socket->connect(c);
  return socket;
}

}  // namespace evnode::http
