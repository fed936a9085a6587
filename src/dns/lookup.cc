// dns::lookup and dns::lookupService: the operating system's resolver (getaddrinfo/getnameinfo)
// run on libuv's thread pool, with Node's options, result order and error codes.
#include <netdb.h>
#include <sys/socket.h>
#include <uv.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/callback_scope.h"
#include "evnode/dns.h"
#include "evnode/loop.h"

namespace evnode::dns {

namespace {

thread_local std::string defaultOrder = "verbatim";

void checkOrder(const std::string& order) {
  if (order != "verbatim" && order != "ipv4first" && order != "ipv6first") {
    throw Exception("ERR_INVALID_ARG_VALUE",
                    "The argument 'order' must be one of: 'verbatim', 'ipv4first', 'ipv6first'. "
                    "Received '" +
                        order + "'");
  }
}

// Node reports "no such name" from getaddrinfo as ENOTFOUND, whatever the platform's EAI code.
Error addrinfoError(int status, const char* syscall, const std::string& host) {
  Error e;
  e.code = (status == UV_EAI_NONAME || status == UV_EAI_NODATA) ? "ENOTFOUND" : uv_err_name(status);
  e.errnum = status;
  e.syscall = syscall;
  e.message = std::string(syscall) + " " + e.code + (host.empty() ? "" : " " + host);
  return e;
}

struct LookupRequest {
  uv_getaddrinfo_t req;  // first member: the callback recovers the request from it
  std::string hostname;
  std::string order;
  LookupAllCallback cb;
};

void afterGetaddrinfo(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  detail::CallbackScope scope;
  std::unique_ptr<LookupRequest> r(reinterpret_cast<LookupRequest*>(req));
  if (status < 0) {
    if (res) uv_freeaddrinfo(res);
    r->cb(addrinfoError(status, "getaddrinfo", r->hostname), {});
    return;
  }
  std::vector<LookupAddress> out;
  char buf[INET6_ADDRSTRLEN];
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      uv_ip4_name(reinterpret_cast<const sockaddr_in*>(ai->ai_addr), buf, sizeof buf);
      out.push_back({buf, 4});
    } else if (ai->ai_family == AF_INET6) {
      uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(ai->ai_addr), buf, sizeof buf);
      out.push_back({buf, 6});
    }
  }
  uv_freeaddrinfo(res);
  if (r->order == "ipv4first") {
    std::stable_partition(out.begin(), out.end(),
                          [](const LookupAddress& a) { return a.family == 4; });
  } else if (r->order == "ipv6first") {
    std::stable_partition(out.begin(), out.end(),
                          [](const LookupAddress& a) { return a.family == 6; });
  }
  if (out.empty()) {
    r->cb(addrinfoError(UV_EAI_NODATA, "getaddrinfo", r->hostname), {});
    return;
  }
  r->cb(Error(), out);
}

void lookupImpl(const std::string& hostname, const LookupOptions& options, LookupAllCallback cb) {
  if (options.family != 0 && options.family != 4 && options.family != 6) {
    throw Exception("ERR_INVALID_ARG_VALUE",
                    "The argument 'family' must be one of: 0, 4, 6. Received " +
                        std::to_string(options.family));
  }
  if (options.hints & ~(ADDRCONFIG | V4MAPPED | ALL)) {
    throw Exception("ERR_INVALID_ARG_VALUE",
                    "The argument 'hints' is invalid. Received " + std::to_string(options.hints));
  }
  std::string order = options.order.empty() ? defaultOrder : options.order;
  checkOrder(order);
  if (!cb) throw Exception("ERR_INVALID_ARG_TYPE", "The \"callback\" argument must be a function");

  // Node answers an empty name and an IP literal without asking the system, but still later.
  if (hostname.empty()) {
    nextTick([cb = std::move(cb)] { cb(Error(), {}); });
    return;
  }
  if (int fam = isIP(hostname)) {
    nextTick([cb = std::move(cb), hostname, fam] { cb(Error(), {{hostname, fam}}); });
    return;
  }

  auto r = std::make_unique<LookupRequest>();
  r->hostname = hostname;
  r->order = std::move(order);
  r->cb = std::move(cb);
  addrinfo hints{};
  hints.ai_family = options.family == 4 ? AF_INET : options.family == 6 ? AF_INET6 : AF_UNSPEC;
  // One entry per address (not one per socket type).
  hints.ai_socktype = SOCK_STREAM;
  if (options.hints & ADDRCONFIG) hints.ai_flags |= AI_ADDRCONFIG;
  if (options.hints & V4MAPPED) hints.ai_flags |= AI_V4MAPPED;
  if (options.hints & ALL) hints.ai_flags |= AI_ALL;
  int rc = uv_getaddrinfo(Loop::current().uv(), &r->req, afterGetaddrinfo, r->hostname.c_str(),
                          nullptr, &hints);
  if (rc < 0) {
    Error err = addrinfoError(rc, "getaddrinfo", hostname);
    nextTick([cb = std::move(r->cb), err] { cb(err, {}); });
    return;
  }
  r.release();  // owned by libuv until afterGetaddrinfo
}

}  // namespace

int isIP(const std::string& s) {
  unsigned char buf[sizeof(in6_addr)];
  if (s.empty() || s.size() > 100) return 0;
  if (uv_inet_pton(AF_INET, s.c_str(), buf) == 0) return 4;
  if (uv_inet_pton(AF_INET6, s.c_str(), buf) == 0) return 6;
  return 0;
}

void lookup(const std::string& hostname, const LookupOptions& options, LookupAllCallback cb) {
  lookupImpl(hostname, options, std::move(cb));
}

void lookup(const std::string& hostname, LookupAllCallback cb) {
  lookupImpl(hostname, LookupOptions{}, std::move(cb));
}

void lookup(const std::string& hostname, const LookupOptions& options, LookupCallback cb) {
  if (!cb) throw Exception("ERR_INVALID_ARG_TYPE", "The \"callback\" argument must be a function");
  int family = options.family;
  lookupImpl(hostname, options,
             [cb = std::move(cb), family](const Error& err, const std::vector<LookupAddress>& all) {
               if (err) {
                 cb(err, "", 0);
               } else if (all.empty()) {
                 cb(err, "", family == 6 ? 6 : 4);  // the empty host name
               } else {
                 cb(err, all.front().address, all.front().family);
               }
             });
}

void lookup(const std::string& hostname, int family, LookupCallback cb) {
  LookupOptions o;
  o.family = family;
  lookup(hostname, o, std::move(cb));
}

void lookup(const std::string& hostname, LookupCallback cb) {
  lookup(hostname, LookupOptions{}, std::move(cb));
}

void setDefaultResultOrder(const std::string& order) {
  checkOrder(order);
  defaultOrder = order;
}

std::string getDefaultResultOrder() { return defaultOrder; }

namespace {
struct ServiceRequest {
  uv_getnameinfo_t req;  // first member
  std::string address;
  std::function<void(const Error&, const std::string&, const std::string&)> cb;
};
}  // namespace

void lookupService(const std::string& address, int port,
                   std::function<void(const Error&, const std::string&, const std::string&)> cb) {
  if (!cb) throw Exception("ERR_INVALID_ARG_TYPE", "The \"callback\" argument must be a function");
  sockaddr_storage ss{};
  int fam = isIP(address);
  if (fam == 0) {
    throw Exception("ERR_INVALID_ARG_VALUE",
                    "The argument 'address' is invalid. Received '" + address + "'");
  }
  if (port < 0 || port > 65535) {
    throw Exception("ERR_SOCKET_BAD_PORT",
                    "Port should be >= 0 and < 65536. Received " + std::to_string(port) + ".");
  }
  if (fam == 4) {
    uv_ip4_addr(address.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss));
  } else {
    uv_ip6_addr(address.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss));
  }
  auto r = std::make_unique<ServiceRequest>();
  r->address = address;
  r->cb = std::move(cb);
  int rc = uv_getnameinfo(
      Loop::current().uv(), &r->req,
      [](uv_getnameinfo_t* req, int status, const char* host, const char* service) {
        detail::CallbackScope scope;
        std::unique_ptr<ServiceRequest> r(reinterpret_cast<ServiceRequest*>(req));
        if (status < 0) {
          r->cb(addrinfoError(status, "getnameinfo", r->address), "", "");
        } else {
          r->cb(Error(), host ? host : "", service ? service : "");
        }
      },
      reinterpret_cast<const sockaddr*>(&ss), NI_NAMEREQD);
  if (rc < 0) {
    Error err = addrinfoError(rc, "getnameinfo", address);
    nextTick([cb = std::move(r->cb), err] { cb(err, "", ""); });
    return;
  }
  r.release();
}

}  // namespace evnode::dns
