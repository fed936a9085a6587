// Address conversions and the host-name lookup that connect() uses.
#include "net/address.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

namespace evnode::net {

int isIP(const std::string& input) {
  unsigned char buf[sizeof(in6_addr)];
  if (uv_inet_pton(AF_INET, input.c_str(), buf) == 0) return 4;
  if (uv_inet_pton(AF_INET6, input.c_str(), buf) == 0) return 6;
  return 0;
}

int makeSockaddr(const std::string& ip, int port, int family, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  if (family == 0) family = isIP(ip);
  if (family == 4) return uv_ip4_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in*>(out));
  if (family == 6) return uv_ip6_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in6*>(out));
  return UV_EINVAL;
}

AddressInfo fromSockaddr(const sockaddr* sa) {
  AddressInfo info;
  char ip[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    uv_ip4_name(in, ip, sizeof ip);
    info.family = "IPv4";
    info.port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    uv_ip6_name(in6, ip, sizeof ip);
    info.family = "IPv6";
    info.port = ntohs(in6->sin6_port);
  }
  info.address = ip;
  return info;
}

AddressInfo sockAddress(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
}

AddressInfo peerAddress(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
}

AddressInfo pipeName(int fd, bool peer) {
  sockaddr_un sa;
  socklen_t len = sizeof sa;
  int r = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len)
               : ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  AddressInfo info;
  if (r != 0 || len <= offsetof(sockaddr_un, sun_path)) return info;
  std::size_t n = len - offsetof(sockaddr_un, sun_path);
  // A path name ends at its NUL; an abstract name (leading NUL) is all `n` bytes.
  if (sa.sun_path[0] != '\0') n = strnlen(sa.sun_path, n);
  info.address.assign(sa.sun_path, n);
  return info;
}

}  // namespace evnode::net
