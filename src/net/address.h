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
AddressInfo sockAddress(const uv_tcp_t* tcp);
AddressInfo peerAddress(const uv_tcp_t* tcp);
AddressInfo pipeName(const uv_pipe_t* pipe, bool peer);

}  // namespace evnode::net
