// net::Server: listening on TCP or a Unix socket, accepting, maxConnections, graceful close.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <utility>

#include "core/callback_scope.h"
#include "evnode/dns.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "net/address.h"
#include "net/fd.h"
#include "net/poller.h"

namespace evnode::net {

struct Server::Impl final : evnode::detail::HandleWrap {
  explicit Impl(Server* s) : owner(s) {}
  ~Impl() {
    if (isOpen) closeHandle();
  }
  void forceClose() override {
    reusePort = false;  // the loop is going: the socket only, nothing accepted any more
    owner->Server::close();
  }

  // Opens the listening descriptor `descriptor` (closed on failure) on the thread's poller; it
  // is watched once it listens (start()).
  int open(int descriptor, bool pipe) {
    int r = watch.open(descriptor, this, &Impl::onReady);
    if (r < 0) {
      fd::close(descriptor);
      return r;
    }
    fd = descriptor;
    isPipe = pipe;
    isOpen = true;
    noDelaySet = false;
    return 0;
  }
  // Stops watching and closes the descriptor (and removes a Unix socket's file, as libuv does).
  void closeHandle() {
    isOpen = false;
    watch.close();
    fd::close(std::exchange(fd, -1));
    if (!path.empty()) ::unlink(path.c_str());
    path.clear();
  }

  static void onReady(Watcher* w, int) {
    auto* impl = static_cast<Impl*>(w->owner());
    evnode::detail::CallbackScope scope;
    // Accept what is pending, as libuv's listener does. Errors (EMFILE, ENFILE, ENOMEM) are
    // transient: out of descriptors, fd::acceptOne has shed the pending connections so the loop
    // does not spin; keep serving and accept again when the next one comes.
    while (impl->isOpen) {
      int c = fd::acceptOne(impl->fd);
      if (c == UV_EAGAIN) break;
      if (c == UV_ECONNABORTED) continue;
      if (c < 0) break;
      impl->owner->onConnection(c, impl->isPipe);
    }
  }

  Server* owner;
  Watcher watch;  // the same poller as the connections (poller.h)
  int fd = -1;
  bool isPipe = false;
  bool isOpen = false;
  bool noDelaySet = false;  // the listening socket has TCP_NODELAY, which accepted ones inherit
  bool reusePort = false;   // listening with SO_REUSEPORT: close() takes the queue first
  std::string path;         // a Unix socket's file, removed when the server closes
};

void Server::onConnection(int c, bool isPipe) {
  SocketOptions so;
  so.allowHalfOpen = opts_.allowHalfOpen;
  so.readableHighWaterMark = so.writableHighWaterMark = opts_.highWaterMark;
  auto sock = Socket::accept(c, isPipe, so);
  if (!sock) return;
  if (maxConnections >= 0 && connections_ >= static_cast<std::size_t>(maxConnections)) {
    DropInfo info;
    AddressInfo local = sock->address();
    info.localAddress = local.address;
    info.localPort = local.port;
    info.remoteAddress = sock->remoteAddress();
    info.remotePort = sock->remotePort();
    info.remoteFamily = sock->remoteFamily();
    sock->destroy();
    emit(Events::drop, info);
    return;
  }
  ++connections_;
  ++attached_;
  if (opts_.noDelay && !impl_->noDelaySet) sock->setNoDelay(true);
  if (opts_.keepAlive) sock->setKeepAlive(true, opts_.keepAliveInitialDelay);
  // The socket keeps a plain pointer: the server holds itself (self_) until its last
  // connection has closed.
  sock->attachTo(this, opts_.pauseOnConnect);
  emit(Events::connection, sock);
}

namespace {
struct MakeServer : Server {
  explicit MakeServer(ServerOptions o) : Server(std::move(o)) {}
};

bool haveIPv6() {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}
}  // namespace

Server::Server(ServerOptions opts) : impl_(std::make_unique<Impl>(this)), opts_(std::move(opts)) {}

Server::~Server() = default;

std::shared_ptr<Server> Server::create(ServerOptions opts) {
  return std::make_shared<MakeServer>(std::move(opts));
}

std::shared_ptr<Server> createServer(std::function<void(const std::shared_ptr<Socket>&)> listener) {
  return createServer(ServerOptions{}, std::move(listener));
}

std::shared_ptr<Server> createServer(ServerOptions opts,
                                     std::function<void(const std::shared_ptr<Socket>&)> listener) {
  auto s = Server::create(std::move(opts));
  if (listener) s->on(Server::Events::connection, std::move(listener));
  return s;
}

Server& Server::listen(int port, const std::string& host, int backlog, std::function<void()> cb) {
  ListenOptions o;
  o.port = port;
  o.host = host;
  o.backlog = backlog;
  return listen(o, std::move(cb));
}

Server& Server::listen(const std::string& path, std::function<void()> cb) {
  ListenOptions o;
  o.path = path;
  return listen(o, std::move(cb));
}

Server& Server::listen(const ListenOptions& o, std::function<void()> cb) {
  if (impl_->isOpen) {
    throw Exception("ERR_SERVER_ALREADY_LISTEN",
                    "Listen method has been called more than once without closing.");
  }
  if (o.path.empty() && (o.port < 0 || o.port > 65535)) {
    throw Exception("ERR_SOCKET_BAD_PORT", "options.port should be >= 0 and < 65536. Received " +
                                               std::to_string(o.port) + ".");
  }
  if (o.backlog < 0) throwInvalidArg("backlog", "must be >= 0");
  if (cb) once(Events::listening, std::move(cb));
  self_ = shared_from_this();
  closing_ = false;

  auto fail = [this](const Error& err) {
    auto keep = shared_from_this();
    if (impl_->isOpen) impl_->closeHandle();
    nextTick([this, keep, err] {
      if (attached_ == 0) self_.reset();  // connections of an earlier listen still use it
      emit(Events::error, err);
    });
  };
  auto finish = [this, fail](int r, const std::string& where, int port) {
    if (r < 0) {
      fail(Error::fromUv(r, "listen", where, port));
      return;
    }
    listening_ = true;
    impl_->watch.setRef(refed_);
    nextTick([this, keep = shared_from_this()] {
      if (listening_) emit(Events::listening);
    });
  };

  fd::reserveDescriptor();  // for running out of descriptors (fd::acceptOne)
  // bind(2) and listen(2) on a fresh descriptor; 0 or a negative error.
  auto bindAndListen = [this, o](int domain, const sockaddr* addr, socklen_t len) {
    int sfd = fd::openStream(domain);
    if (sfd < 0) return sfd;
    int r = impl_->open(sfd, domain == AF_UNIX);
    if (r < 0) return r;
    int one = 1;
    if (domain != AF_UNIX) {
      // As libuv: a restarted server can bind while old connections linger in TIME_WAIT.
      ::setsockopt(sfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (o.reusePort) {
        impl_->reusePort = ::setsockopt(sfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0;
      }
      sharesPort_ = impl_->reusePort;
#if defined(__linux__)
      // Linux copies TCP_NODELAY to every socket accept(2) returns: set once here, it saves a
      // setsockopt(2) per connection (the floor of a connection-per-request server is 6
      // syscalls).
      if (opts_.noDelay) {
        impl_->noDelaySet = ::setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
      }
#endif
      if (domain == AF_INET6) {
        int v6only = o.ipv6Only ? 1 : 0;
        ::setsockopt(sfd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
      }
    }
    if (::bind(sfd, addr, len) < 0) {
      // libuv reports ENOENT (a missing directory) as EACCES, as on Windows.
      return domain == AF_UNIX && errno == ENOENT ? UV_EACCES : -errno;
    }
    if (domain == AF_UNIX) impl_->path = o.path;  // ours to remove from now on
    if (::listen(sfd, o.backlog) < 0) return -errno;
    return impl_->watch.start(UV_READABLE);
  };

  if (!o.path.empty()) {
    sockaddr_un addr;
    socklen_t len = 0;
    int r = fd::unixAddress(o.path, &addr, &len);
    if (r == 0) r = bindAndListen(AF_UNIX, reinterpret_cast<sockaddr*>(&addr), len);
    finish(r, o.path, -1);
    return *this;
  }

  auto bindTo = [o, finish, bindAndListen](const std::string& ip, int family) {
    sockaddr_storage addr;
    int r = makeSockaddr(ip, o.port, family, &addr);
    if (r == 0) {
      r = bindAndListen(family == 6 ? AF_INET6 : AF_INET, reinterpret_cast<sockaddr*>(&addr),
                        family == 6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    }
    finish(r, ip, o.port);
  };

  if (o.host.empty()) {
    // Node's default: every address, dual-stack where IPv6 exists.
    if (haveIPv6()) {
      bindTo("::", 6);
    } else {
      bindTo("0.0.0.0", 4);
    }
  } else if (int fam = isIP(o.host)) {
    bindTo(o.host, fam);
  } else {
    dns::lookup(o.host, 0,
                [fail, bindTo, keep = shared_from_this()](const Error& err, const std::string& ip,
                                                          int family) {
                  if (err) {
                    fail(err);
                    return;
                  }
                  bindTo(ip, family);
                });
  }
  return *this;
}

Server& Server::close(std::function<void(const Error&)> cb) {
  if (cb) {
    if (impl_->isOpen) {
      once(Events::close, [cb] { cb({}); });
    } else {
      once(Events::close, [cb] { cb(Error("ERR_SERVER_NOT_RUNNING", "Server is not running.")); });
    }
  }
  closing_ = true;
  if (impl_->isOpen) {
    // With SO_REUSEPORT another socket (a new server process taking over, another thread)
    // shares the port. The kernel resets the connections still in this socket's queue when it
    // closes, though their clients consider them established: take them first. They are
    // served as connections that came just before the close.
    if (std::exchange(impl_->reusePort, false)) Impl::onReady(&impl_->watch, 0);
    listening_ = false;
    impl_->closeHandle();
  }
  maybeEmitClose();  // `close` itself comes on a later tick
  return *this;
}

void Server::onConnectionClosed() {
  if (connections_ > 0) --connections_;
  maybeEmitClose();
}

void Server::onConnectionReleased() {
  if (attached_ > 0) --attached_;
  // The last connection of a closed server (its `close` was emitted, or will be by a tick that
  // holds the server), or of one that failed to listen again.
  if (attached_ == 0 && !impl_->isOpen && !closing_ && !listening_) {
    auto last = std::move(self_);  // may free this server: nothing after it
  }
}

void Server::maybeEmitClose() {
  // Node's rule: `close` waits for the listener to close and every connection to end.
  if (!closing_ || impl_->isOpen || connections_ > 0) return;
  closing_ = false;
  nextTick([this, keep = shared_from_this()] {
    emit(Events::close);
    removeAllListeners();
    if (attached_ == 0) self_.reset();  // else the last connection's `close` releases it
  });
}

AddressInfo Server::address() const {
  if (!impl_->isOpen) return {};
  if (impl_->isPipe) return pipeName(impl_->fd, false);
  return sockAddress(impl_->fd);
}

void Server::getConnections(std::function<void(const Error&, std::size_t)> cb) const {
  std::size_t n = connections_;
  nextTick([cb = std::move(cb), n] { cb({}, n); });
}

Server& Server::ref() {
  refed_ = true;
  impl_->watch.setRef(true);
  return *this;
}

Server& Server::unref() {
  refed_ = false;
  impl_->watch.setRef(false);
  return *this;
}

}  // namespace evnode::net
