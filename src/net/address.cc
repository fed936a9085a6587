// Address conversions and the host-name lookup that connect() uses.
#include "net/address.h"

#include <cstring>

#include "core/callback_scope.h"
#include "evnode/loop.h"

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

AddressInfo sockAddress(const uv_tcp_t* tcp) {
  sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
}

AddressInfo peerAddress(const uv_tcp_t* tcp) {
  sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
}

AddressInfo pipeName(const uv_pipe_t* pipe, bool peer) {
  char buf[512];
  size_t len = sizeof buf;
  int r = peer ? uv_pipe_getpeername(pipe, buf, &len) : uv_pipe_getsockname(pipe, buf, &len);
  AddressInfo info;
  if (r == 0) info.address.assign(buf, len);
  return info;
}

void lookupHost(const std::string& host, int family,
                std::function<void(const Error&, const std::string&, int)> cb) {
  // Interim: getaddrinfo on libuv's thread pool, until dns::lookup lands.
  struct Req {
    uv_getaddrinfo_t req;
    std::function<void(const Error&, const std::string&, int)> cb;
    std::string host;
  };
  auto* r = new Req{{}, std::move(cb), host};
  addrinfo hints{};
  hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  r->req.data = r;
  int rc = uv_getaddrinfo(Loop::current().uv(), &r->req, [](uv_getaddrinfo_t* q, int status, addrinfo* res) {
    auto* r = static_cast<Req*>(q->data);
    detail::CallbackScope scope;
    Error err;
    std::string ip;
    int fam = 0;
    if (status < 0 || !res) {
      err = Error("ENOTFOUND", "getaddrinfo ENOTFOUND " + r->host);
      if (status == UV_EAI_AGAIN) err = Error("EAI_AGAIN", "getaddrinfo EAI_AGAIN " + r->host);
      err.syscall = "getaddrinfo";
    } else {
      AddressInfo a = fromSockaddr(res->ai_addr);
      ip = a.address;
      fam = a.family == "IPv6" ? 6 : 4;
    }
    if (res) uv_freeaddrinfo(res);
    r->cb(err, ip, fam);
    delete r;
  }, host.c_str(), nullptr, &hints);
  if (rc < 0) {
    auto fn = std::move(r->cb);
    delete r;
    nextTick([fn, rc, host] { fn(Error::fromUv(rc, "getaddrinfo", host), "", 0); });
  }
}

}  // namespace evnode::net
