// net::Server: listening on TCP or a Unix socket, accepting, maxConnections, graceful close.
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "core/callback_scope.h"
#include "evnode/dns.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "net/address.h"

namespace evnode::net {

struct Server::Impl final : detail::HandleWrap {
  explicit Impl(Server* s) : owner(s) {}
  void forceClose() override { owner->close(); }
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&h); }
  uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&h); }

  static void onConnection(uv_stream_t* listener, int status) {
    auto* impl = static_cast<Impl*>(static_cast<detail::HandleWrap*>(listener->data));
    detail::CallbackScope scope;
    // Accept errors (EMFILE, ENFILE, ENOMEM) are transient: libuv has already shed the pending
    // connection so the loop does not spin; keep serving and accept again later.
    if (status < 0) return;
    Server* srv = impl->owner;
    SocketOptions so;
    so.allowHalfOpen = srv->opts_.allowHalfOpen;
    so.readableHighWaterMark = so.writableHighWaterMark = srv->opts_.highWaterMark;
    auto sock = Socket::accept(listener, impl->isPipe, so);
    if (!sock) return;
    if (srv->maxConnections >= 0 &&
        srv->connections_ >= static_cast<std::size_t>(srv->maxConnections)) {
      DropInfo info;
      AddressInfo local = sock->address();
      info.localAddress = local.address;
      info.localPort = local.port;
      info.remoteAddress = sock->remoteAddress();
      info.remotePort = sock->remotePort();
      info.remoteFamily = sock->remoteFamily();
      sock->destroy();
      srv->emit(Events::drop, info);
      return;
    }
    ++srv->connections_;
    if (srv->opts_.noDelay) sock->setNoDelay(true);
    if (srv->opts_.keepAlive) sock->setKeepAlive(true, srv->opts_.keepAliveInitialDelay);
    sock->attachTo(srv->shared_from_this(), srv->opts_.pauseOnConnect);
    srv->emit(Events::connection, sock);
  }

  Server* owner;
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
  bool isPipe = false;
  bool open = false;
};

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
  if (impl_->open) {
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
    if (impl_->open) {
      impl_->open = false;
      uv_close(impl_->handle(), nullptr);
    }
    nextTick([this, keep, err] {
      self_.reset();
      emit(Events::error, err);
    });
  };
  auto finish = [this, fail](int r, const std::string& where, int port) {
    if (r < 0) {
      fail(Error::fromUv(r, "listen", where, port));
      return;
    }
    listening_ = true;
    if (!refed_) uv_unref(impl_->handle());
    nextTick([this, keep = shared_from_this()] {
      if (listening_) emit(Events::listening);
    });
  };

  uv_loop_t* loop = Loop::current().uv();
  if (!o.path.empty()) {
    impl_->isPipe = true;
    uv_pipe_init(loop, &impl_->h.pipe, 0);
    impl_->open = true;
    impl_->handle()->data = static_cast<detail::HandleWrap*>(impl_.get());
    int r = uv_pipe_bind(&impl_->h.pipe, o.path.c_str());
    if (r == 0) r = uv_listen(impl_->stream(), o.backlog, &Impl::onConnection);
    finish(r, o.path, -1);
    return *this;
  }

  auto bindTo = [this, o, finish, loop](const std::string& ip, int family) {
    impl_->isPipe = false;
    uv_tcp_init_ex(loop, &impl_->h.tcp, family == 6 ? AF_INET6 : AF_INET);
    impl_->open = true;
    impl_->handle()->data = static_cast<detail::HandleWrap*>(impl_.get());
    if (o.reusePort) {
      uv_os_fd_t fd;
      int one = 1;
      if (uv_fileno(impl_->handle(), &fd) == 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    }
    sockaddr_storage addr;
    int r = makeSockaddr(ip, o.port, family, &addr);
    if (r == 0) {
      r = uv_tcp_bind(&impl_->h.tcp, reinterpret_cast<sockaddr*>(&addr),
                      (family == 6 && o.ipv6Only) ? UV_TCP_IPV6ONLY : 0);
    }
    if (r == 0) r = uv_listen(impl_->stream(), o.backlog, &Impl::onConnection);
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
                [this, fail, bindTo, keep = shared_from_this()](const Error& err,
                                                                const std::string& ip, int family) {
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
    if (impl_->open) {
      once(Events::close, [cb] { cb({}); });
    } else {
      once(Events::close, [cb] { cb(Error("ERR_SERVER_NOT_RUNNING", "Server is not running.")); });
    }
  }
  closing_ = true;
  if (impl_->open) {
    impl_->open = false;
    listening_ = false;
    uv_close(impl_->handle(), [](uv_handle_t* h) {
      auto* impl = static_cast<Impl*>(static_cast<detail::HandleWrap*>(h->data));
      detail::CallbackScope scope;
      impl->owner->maybeEmitClose();
    });
  } else {
    maybeEmitClose();
  }
  return *this;
}

void Server::onConnectionClosed() {
  if (connections_ > 0) --connections_;
  maybeEmitClose();
}

void Server::maybeEmitClose() {
  // Node's rule: `close` waits for the listener to close and every connection to end.
  if (!closing_ || impl_->open || connections_ > 0) return;
  closing_ = false;
  nextTick([this, keep = shared_from_this()] {
    emit(Events::close);
    removeAllListeners();
    self_.reset();
  });
}

AddressInfo Server::address() const {
  if (!impl_->open) return {};
  if (impl_->isPipe) return pipeName(&impl_->h.pipe, false);
  return sockAddress(&impl_->h.tcp);
}

void Server::getConnections(std::function<void(const Error&, std::size_t)> cb) const {
  std::size_t n = connections_;
  nextTick([cb = std::move(cb), n] { cb({}, n); });
}

Server& Server::ref() {
  refed_ = true;
  if (impl_->open) uv_ref(impl_->handle());
  return *this;
}

Server& Server::unref() {
  refed_ = false;
  if (impl_->open) uv_unref(impl_->handle());
  return *this;
}

}  // namespace evnode::net
