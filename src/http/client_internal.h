// Internal: what the client's request, agent and URL code share.
#pragma once

#include "evnode/http.h"

namespace evnode::http {

// A new TCP (or Unix-socket) connection for `opts`: family, localAddress, socketPath and the
// `lookup` option applied. Connection errors arrive on the socket's `error` event.
SocketPtr openConnection(const RequestOptions& opts);

}  // namespace evnode::http
