// Internal: socket addresses <-> strings, and host-name lookup for connect().
#pragma once

#include <uv.h>

#include <string>

#include "evnode/error.h"
#include "evnode/net.h"

namespace evnode::net {

// Fills `out` from an IP literal; family 4 or 6 (0: detect). Returns 0 or a uv error.
int makeSockaddr(const std::string& ip, int port, int family, sockaddr_storage* out);
AddressInfo fromSockaddr(const sockaddr* sa);
// A TCP socket's local or remote address; a Unix socket's path (local, or the peer's with
// `peer`). Empty when the descriptor has none.
AddressInfo sockAddress(int fd);
AddressInfo peerAddress(int fd);
AddressInfo pipeName(int fd, bool peer);

}  // namespace evnode::net
