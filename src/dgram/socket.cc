// dgram::Socket: creation, bind/connect/close, receiving (in recvmmsg batches) and socket options.
#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstring>
#include <optional>

#include "core/thread_instance.h"
#include "dgram/socket_impl.h"
#include "evnode/dns.h"
#include "evnode/loop.h"

namespace evnode::dgram {

namespace {

// libuv hands recvmmsg one buffer and splits it into 64 KiB slots, one datagram each.
constexpr std::size_t kSlot = 64 * 1024;
constexpr std::size_t kBatch = 16;

// Every message is copied out into its own Buffer before the next read, so one receive area per
// thread serves every socket of that thread.
// Null once the thread is exiting (then nothing is received).
char* receiveArea() {
  struct Area {
    std::unique_ptr<char[]> bytes{new char[kSlot * kBatch]};
  };
  Area* a = evnode::detail::threadInstance<Area>();
  return a ? a->bytes.get() : nullptr;
}

Socket::Impl* implOf(uv_handle_t* h) {
  return static_cast<Socket::Impl*>(static_cast<evnode::detail::HandleWrap*>(h->data));
}

[[noreturn]] void throwUv(int status, const char* syscall) {
  Error e = Error::fromUv(status, syscall);
  throw Exception(e.code, e.message);
}

void checkPort(int port, bool allowZero) {
  if (port < (allowZero ? 0 : 1) || port > 65535) {
    throw Exception("ERR_SOCKET_BAD_PORT",
                    std::string("Port should be ") + (allowZero ? ">= 0" : "> 0") +
                        " and < 65536. Received " + std::to_string(port) + ".");
  }
}

void onAlloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
  bool batched = uv_udp_using_recvmmsg(reinterpret_cast<uv_udp_t*>(h));
  buf->base = receiveArea();
  buf->len = !buf->base ? 0 : batched ? kSlot * kBatch : kSlot;  // 0: libuv's UV_ENOBUFS
}

void onRecv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags) {
  evnode::detail::CallbackScope scope;
  Socket::Impl* impl = implOf(reinterpret_cast<uv_handle_t*>(h));
  if (!impl) return;
  if (flags & UV_UDP_MMSG_FREE) {  // the end of a batch (the area is ours to keep)
    impl->flushBatch();
    return;
  }
  std::shared_ptr<Socket> keep = impl->self;  // a listener may close the socket
  if (nread < 0) {
    impl->flushBatch();
    impl->owner->emit(Socket::Events::error, Error::fromUv(static_cast<int>(nread), "recvmsg"));
    return;
  }
  if (!addr) {  // nothing more to read for now
    impl->flushBatch();
    return;
  }
  if (flags & UV_UDP_MMSG_CHUNK) impl->inBatch = true;
  RemoteInfo info;
  nameOf(addr, info.address, info.port);
  info.family = addr->sa_family == AF_INET6 ? "IPv6" : "IPv4";
  info.size = static_cast<std::size_t>(nread);
  Buffer msg = Buffer::from(buf->base, info.size);
  impl->owner->emit(Socket::Events::message, msg, info);
}

}  // namespace

void nameOf(const sockaddr* sa, std::string& address, int& port) {
  if (sa->sa_family == AF_INET6) {
    char ip[INET6_ADDRSTRLEN] = "";
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    uv_ip6_name(in6, ip, sizeof ip);
    port = ntohs(in6->sin6_port);
    address = ip;
    return;
  }
  // Every datagram's sender is formatted, so IPv4 skips inet_ntop's printf machinery.
  auto* in = reinterpret_cast<const sockaddr_in*>(sa);
  port = ntohs(in->sin_port);
  const auto* b = reinterpret_cast<const unsigned char*>(&in->sin_addr);
  char ip[16];
  char* p = ip;
  for (int i = 0; i < 4; ++i) {
    unsigned v = b[i];
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
    if (i < 3) *p++ = '.';
  }
  address.assign(ip, p);
}

bool toSockaddr(const std::string& ip, int port, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (uv_ip4_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) == 0) return true;
  return uv_ip6_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss)) == 0 &&
         dns::isIP(ip) == 6;
}

// ---- creation and lifetime ----

std::shared_ptr<Socket> createSocket(const std::string& type, Socket::MessageListener onMessage) {
  SocketOptions o;
  o.type = type;
  return createSocket(o, std::move(onMessage));
}

std::shared_ptr<Socket> createSocket(const SocketOptions& options,
                                     Socket::MessageListener onMessage) {
  if (options.type != "udp4" && options.type != "udp6") {
    throw Exception("ERR_SOCKET_BAD_TYPE",
                    "Bad socket type specified. Valid types are: udp4, udp6");
  }
  std::shared_ptr<Socket> s(new Socket(options));
  s->impl_->self = s;
  if (onMessage) s->on(Socket::Events::message, std::move(onMessage));
  return s;
}

Socket::Socket(const SocketOptions& options) : impl_(std::make_unique<Impl>(this, options)) {
  impl_->h = new uv_udp_t;
  unsigned flags = impl_->family | (options.recvmmsg ? UV_UDP_RECVMMSG : 0);
  int rc = uv_udp_init_ex(Loop::current().uv(), impl_->h, flags);
  if (rc != 0) {
    delete impl_->h;
    impl_->h = nullptr;
    throwUv(rc, "socket");
  }
  impl_->h->data = static_cast<evnode::detail::HandleWrap*>(impl_.get());
}

Socket::~Socket() {
  // Normally closed already: an open handle keeps its Socket alive through `self`.
  if (impl_->h) impl_->closeHandle();
}

void Socket::Impl::closeHandle() {
  if (!h) return;
  uv_udp_recv_stop(h);
  h->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(h),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_udp_t*>(handle); });
  h = nullptr;
}

void Socket::Impl::forceClose() {
  // The loop is going away: no events any more, and listeners that captured the socket must not
  // keep it alive.
  closed = true;
  queue.clear();
  batch.clear();
  closeHandle();
  auto keep = std::move(self);
  owner->removeAllListeners();
  // `keep` may be the last reference: this Impl dies with it, after the last statement.
}

void Socket::Impl::healthCheck() const {
  if (closed) throw Exception("ERR_SOCKET_DGRAM_NOT_RUNNING", "Not running");
}

Socket& Socket::close(std::function<void()> cb) {
  impl_->healthCheck();
  if (cb) once(Events::close, std::move(cb));
  // Sends already accepted leave first, as they would have if made outside a batch.
  impl_->flushBatch();
  impl_->closed = true;
  impl_->queue.clear();
  impl_->closeHandle();
  nextTick([s = std::move(impl_->self)] {
    s->emit(Events::close);
    // Nothing is emitted after close; listeners that captured the socket are freed.
    s->removeAllListeners();
  });
  return *this;
}

Socket& Socket::ref() {
  if (impl_->h) uv_ref(reinterpret_cast<uv_handle_t*>(impl_->h));
  return *this;
}

Socket& Socket::unref() {
  if (impl_->h) uv_unref(reinterpret_cast<uv_handle_t*>(impl_->h));
  return *this;
}

bool Socket::usingRecvmmsg() const { return impl_->h && uv_udp_using_recvmmsg(impl_->h); }

// ---- bind ----

Socket& Socket::bind(int port, const std::string& address, std::function<void()> cb) {
  BindOptions o;
  o.port = port;
  o.address = address;
  return bind(o, std::move(cb));
}

Socket& Socket::bind(const BindOptions& options, std::function<void()> cb) {
  impl_->healthCheck();
  if (impl_->bindState != Impl::BindState::kUnbound) {
    throw Exception("ERR_SOCKET_ALREADY_BOUND", "Socket is already bound");
  }
  checkPort(options.port, true);
  if (cb) once(Events::listening, std::move(cb));
  impl_->startBind(options.port, options.address);
  return *this;
}

void Socket::Impl::startBind(int port, const std::string& address) {
  bindState = BindState::kBinding;
  std::string host = address.empty() ? anyAddress() : address;
  dns::lookup(host, family == AF_INET6 ? 6 : 4,
              [this, keep = self, port](const Error& err, const std::string& ip, int) {
                if (closed) return;
                if (err) {
                  bindState = BindState::kUnbound;
                  queue.clear();
                  owner->emit(Events::error, err);
                  return;
                }
                sockaddr_storage ss;
                toSockaddr(ip, port, ss);
                unsigned flags = 0;
                if (options.reuseAddr) flags |= UV_UDP_REUSEADDR;
                if (options.ipv6Only) flags |= UV_UDP_IPV6ONLY;
                int rc = 0;
                if (options.reusePort) {
#ifdef SO_REUSEPORT
                  uv_os_fd_t fd;
                  int one = 1;
                  rc = uv_fileno(reinterpret_cast<uv_handle_t*>(h), &fd);
                  if (rc == 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
                    rc = uv_translate_sys_error(errno);
                  }
#else
                  rc = UV_ENOTSUP;
#endif
                }
                if (rc == 0) rc = uv_udp_bind(h, reinterpret_cast<const sockaddr*>(&ss), flags);
                if (rc == 0) rc = uv_udp_recv_start(h, onAlloc, onRecv);
                if (rc != 0) {
                  bindState = BindState::kUnbound;
                  queue.clear();
                  owner->emit(Events::error, Error::fromUv(rc, "bind", ip, port));
                  return;
                }
                afterBound();
              });
}

void Socket::Impl::afterBound() {
  bindState = BindState::kBound;
  auto setSize = [this](int size, bool recv) {
    if (size <= 0) return;
    int value = size;
    int rc = recv ? uv_recv_buffer_size(reinterpret_cast<uv_handle_t*>(h), &value)
                  : uv_send_buffer_size(reinterpret_cast<uv_handle_t*>(h), &value);
    if (rc != 0) {
      Error e = Error::fromUv(rc, recv ? "uv_recv_buffer_size" : "uv_send_buffer_size");
      e.code = "ERR_SOCKET_BUFFER_SIZE";
      e.message = "Could not get or set buffer size: " + e.message;
      owner->emit(Events::error, e);
    }
  };
  setSize(options.recvBufferSize, true);
  setSize(options.sendBufferSize, false);
  if (closed) return;
  owner->emit(Events::listening);
  runQueue();
}

void Socket::Impl::runQueue() {
  // What waited for the bind runs in order. A connect in the queue pauses it: what was queued
  // after it is meant for the peer, so it waits for the connect to finish.
  while (!queue.empty() && !closed && bindState == BindState::kBound && !connectPending) {
    auto fn = std::move(queue.front());
    queue.erase(queue.begin());
    fn();
  }
  if (closed) queue.clear();
}

// ---- connect ----

void Socket::connect(int port, const std::string& address, std::function<void()> cb) {
  impl_->healthCheck();
  checkPort(port, false);
  if (impl_->connectState != Impl::ConnectState::kDisconnected) {
    throw Exception("ERR_SOCKET_DGRAM_IS_CONNECTED", "Already connected");
  }
  std::optional<ListenerId> cbId;
  if (cb) cbId = once(Events::connect, std::move(cb));
  // From here sends wait for the connect, and a second connect() throws.
  impl_->connectState = Impl::ConnectState::kConnecting;
  Impl* impl = impl_.get();
  auto doConnect = [impl, port, address, cbId] {
    impl->connectPending = true;
    std::string host = address.empty() ? impl->localhost() : address;
    dns::lookup(
        host, impl->family == AF_INET6 ? 6 : 4,
        [impl, keep = impl->self, port, cbId](const Error& err, const std::string& ip, int) {
          if (impl->closed) return;
          impl->connectPending = false;
          Error e = err;
          if (!e) {
            sockaddr_storage ss;
            toSockaddr(ip, port, ss);
            int rc = uv_udp_connect(impl->h, reinterpret_cast<const sockaddr*>(&ss));
            if (rc != 0) e = Error::fromUv(rc, "connect", ip, port);
          }
          if (e) {
            impl->connectState = Impl::ConnectState::kDisconnected;
            impl->queue.clear();
            if (cbId) impl->owner->off(Events::connect, *cbId);
            impl->owner->emit(Events::error, e);
            return;
          }
          impl->connectState = Impl::ConnectState::kConnected;
          impl->owner->emit(Events::connect);
          impl->runQueue();
        });
  };
  if (impl_->bindState == Impl::BindState::kUnbound) impl_->startBind(0, "");
  if (impl_->bindState != Impl::BindState::kBound) {
    impl_->queue.push_back(std::move(doConnect));
    return;
  }
  doConnect();
}

void Socket::disconnect() {
  impl_->healthCheck();
  if (impl_->connectState != Impl::ConnectState::kConnected) {
    throw Exception("ERR_SOCKET_DGRAM_NOT_CONNECTED", "Not connected");
  }
  int rc = uv_udp_connect(impl_->h, nullptr);
  if (rc != 0) throwUv(rc, "disconnect");
  impl_->connectState = Impl::ConnectState::kDisconnected;
}

// ---- addresses ----

AddressInfo Socket::address() const {
  impl_->healthCheck();
  sockaddr_storage ss{};
  int len = sizeof ss;
  int rc = impl_->bindState == Impl::BindState::kBound
               ? uv_udp_getsockname(impl_->h, reinterpret_cast<sockaddr*>(&ss), &len)
               : UV_EBADF;
  if (rc != 0) throwUv(rc, "getsockname");
  AddressInfo a;
  nameOf(reinterpret_cast<sockaddr*>(&ss), a.address, a.port);
  a.family = ss.ss_family == AF_INET6 ? "IPv6" : "IPv4";
  return a;
}

AddressInfo Socket::remoteAddress() const {
  impl_->healthCheck();
  if (impl_->connectState != Impl::ConnectState::kConnected) {
    throw Exception("ERR_SOCKET_DGRAM_NOT_CONNECTED", "Not connected");
  }
  sockaddr_storage ss{};
  int len = sizeof ss;
  int rc = uv_udp_getpeername(impl_->h, reinterpret_cast<sockaddr*>(&ss), &len);
  if (rc != 0) throwUv(rc, "getpeername");
  AddressInfo a;
  nameOf(reinterpret_cast<sockaddr*>(&ss), a.address, a.port);
  a.family = ss.ss_family == AF_INET6 ? "IPv6" : "IPv4";
  return a;
}

// ---- options ----

void Socket::setBroadcast(bool flag) {
  impl_->healthCheck();
  int rc = uv_udp_set_broadcast(impl_->h, flag ? 1 : 0);
  if (rc != 0) throwUv(rc, "setBroadcast");
}

int Socket::setTTL(int ttl) {
  impl_->healthCheck();
  int rc = uv_udp_set_ttl(impl_->h, ttl);
  if (rc != 0) throwUv(rc, "setTTL");
  return ttl;
}

int Socket::setMulticastTTL(int ttl) {
  impl_->healthCheck();
  int rc = uv_udp_set_multicast_ttl(impl_->h, ttl);
  if (rc != 0) throwUv(rc, "setMulticastTTL");
  return ttl;
}

bool Socket::setMulticastLoopback(bool flag) {
  impl_->healthCheck();
  int rc = uv_udp_set_multicast_loop(impl_->h, flag ? 1 : 0);
  if (rc != 0) throwUv(rc, "setMulticastLoopback");
  return flag;
}

void Socket::setMulticastInterface(const std::string& interfaceAddress) {
  impl_->healthCheck();
  int rc = uv_udp_set_multicast_interface(impl_->h, interfaceAddress.c_str());
  if (rc != 0) throwUv(rc, "setMulticastInterface");
}

namespace {
const char* orNull(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }
}  // namespace

void Socket::addMembership(const std::string& group, const std::string& iface) {
  impl_->healthCheck();
  int rc = uv_udp_set_membership(impl_->h, group.c_str(), orNull(iface), UV_JOIN_GROUP);
  if (rc != 0) throwUv(rc, "addMembership");
}

void Socket::dropMembership(const std::string& group, const std::string& iface) {
  impl_->healthCheck();
  int rc = uv_udp_set_membership(impl_->h, group.c_str(), orNull(iface), UV_LEAVE_GROUP);
  if (rc != 0) throwUv(rc, "dropMembership");
}

void Socket::addSourceSpecificMembership(const std::string& source, const std::string& group,
                                         const std::string& iface) {
  impl_->healthCheck();
  int rc = uv_udp_set_source_membership(impl_->h, group.c_str(), orNull(iface), source.c_str(),
                                        UV_JOIN_GROUP);
  if (rc != 0) throwUv(rc, "addSourceSpecificMembership");
}

void Socket::dropSourceSpecificMembership(const std::string& source, const std::string& group,
                                          const std::string& iface) {
  impl_->healthCheck();
  int rc = uv_udp_set_source_membership(impl_->h, group.c_str(), orNull(iface), source.c_str(),
                                        UV_LEAVE_GROUP);
  if (rc != 0) throwUv(rc, "dropSourceSpecificMembership");
}

namespace {
int bufferSize(const Socket::Impl& impl, int size, bool recv) {
  if (size < 0) {
    throw Exception("ERR_SOCKET_BAD_BUFFER_SIZE", "Buffer size must be a positive integer");
  }
  const char* fn = recv ? "uv_recv_buffer_size" : "uv_send_buffer_size";
  int rc = UV_EBADF;
  int value = size;
  if (!impl.closed && impl.bindState == Socket::Impl::BindState::kBound) {
    auto* h = reinterpret_cast<uv_handle_t*>(impl.h);
    rc = recv ? uv_recv_buffer_size(h, &value) : uv_send_buffer_size(h, &value);
  }
  if (rc != 0) {
    throw Exception("ERR_SOCKET_BUFFER_SIZE", std::string("Could not get or set buffer size: ") +
                                                  fn + " returned " + uv_err_name(rc) + " (" +
                                                  uv_strerror(rc) + ")");
  }
  return value;
}
}  // namespace

void Socket::setRecvBufferSize(int size) {
  if (size == 0)
    throw Exception("ERR_SOCKET_BAD_BUFFER_SIZE", "Buffer size must be a positive integer");
  bufferSize(*impl_, size, true);
}
void Socket::setSendBufferSize(int size) {
  if (size == 0)
    throw Exception("ERR_SOCKET_BAD_BUFFER_SIZE", "Buffer size must be a positive integer");
  bufferSize(*impl_, size, false);
}
int Socket::getRecvBufferSize() const { return bufferSize(*impl_, 0, true); }
int Socket::getSendBufferSize() const { return bufferSize(*impl_, 0, false); }

std::size_t Socket::getSendQueueSize() const {
  return impl_->h ? uv_udp_get_send_queue_size(impl_->h) : 0;
}
std::size_t Socket::getSendQueueCount() const {
  return impl_->h ? uv_udp_get_send_queue_count(impl_->h) : 0;
}

}  // namespace evnode::dgram
