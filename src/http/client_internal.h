// Internal: what the client's request, agent and URL code share.
#pragma once

#include "evnode/http.h"

namespace evnode::http {

// A new TCP (or Unix-socket) connection for `opts`: family, localAddress, socketPath and the
// `lookup` option applied. Connection errors arrive on the socket's `error` event.
// allowHalfOpen: for a transport under TLS, which ends its side itself after close_notify.
SocketPtr openConnection(const RequestOptions& opts, bool allowHalfOpen = false);

}  // namespace evnode::http
