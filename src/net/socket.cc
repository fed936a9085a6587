// net::Socket over a uv_tcp_t or uv_pipe_t: connect, reads into pooled slabs, vectored writes,
// half-close, timeouts, destroy.
#include <uv.h>

#include <array>
#include <cstring>
#include <limits>

#include "core/callback_scope.h"
#include "core/tick.h"
#include "evnode/dns.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "net/address.h"
#include "net/file_sender.h"
#include "net/read_slab.h"
#include "net/write_req.h"

namespace evnode::net {

struct Socket::Impl final : detail::HandleWrap {
  explicit Impl(Socket* s) : owner(s) {}
  void forceClose() override { owner->destroy(); }

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&h); }
  uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&h); }
  void initTcp() {
    uv_tcp_init(Loop::current().uv(), &h.tcp);
    isPipe = false;
    opened();
  }
  void initPipe() {
    uv_pipe_init(Loop::current().uv(), &h.pipe, 0);
    isPipe = true;
    opened();
  }
  void opened() {
    handle()->data = static_cast<detail::HandleWrap*>(this);
    owner->handleOpen_ = true;
    if (!refed) uv_unref(handle());
    applyOptions();
  }
  void applyOptions() {
    if (isPipe || !owner->handleOpen_) return;
    if (noDelay) uv_tcp_nodelay(&h.tcp, 1);
    if (keepAlive) uv_tcp_keepalive(&h.tcp, 1, keepAliveDelaySec);
  }

  void startReading() {
    if (owner->destroyed()) return;
    if (!owner->handleOpen_ || owner->connecting_) {
      // The Readable now counts a read as in progress and will not call _read() again: start
      // reading as soon as the connection is up (Node's _read defers to 'connect' the same way).
      readOnConnect = true;
      return;
    }
    if (reading) return;
    int r = uv_read_start(stream(), &readSlabAlloc, &Impl::onRead);
    if (r == 0) {
      reading = true;
    } else if (r != UV_EALREADY) {
      owner->destroy(Error::fromUv(r, "read"));
    }
  }
  void stopReading() {
    if (!reading) return;
    reading = false;
    uv_read_stop(stream());
  }
  void activity() {
    if (timer) timer->refresh();
  }

  static void onRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* impl = static_cast<Impl*>(static_cast<detail::HandleWrap*>(s->data));
    detail::CallbackScope scope;
    Socket* sock = impl->owner;
    if (nread > 0) {
      sock->bytesRead_ += static_cast<std::uint64_t>(nread);
      impl->activity();
      // The buffer is a view of the pooled slab: no copy, no allocation.
      if (!sock->push(takeReadSlab(buf->base, static_cast<std::size_t>(nread))))
        impl->stopReading();
    } else if (nread == UV_EOF) {
      impl->stopReading();
      sock->push(nullptr);
      // As Node's onStreamRead: with nothing buffered, `end` follows even if nobody consumes
      // the data, so a peer's FIN closes a connection whose reader never attached.
      sock->read(0);
    } else if (nread < 0) {
      impl->stopReading();
      sock->destroy(Error::fromUv(static_cast<int>(nread), "read"));
    }
  }

  // Writes now what the kernel takes, queues the rest; completes `cb` when all is written.
  void write(std::vector<Buffer>& chunks, WriteCallback cb) {
    std::size_t n = chunks.size(), total = 0;
    WriteReq* req = WriteReq::get();
    req->bufs.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      req->bufs[i] =
          uv_buf_init(reinterpret_cast<char*>(const_cast<std::uint8_t*>(chunks[i].data())),
                      static_cast<unsigned>(chunks[i].length()));
      total += chunks[i].length();
    }
    uv_buf_t* bufs = req->bufs.data();
    int r = uv_try_write(stream(), bufs, static_cast<unsigned>(n));
    if (r == static_cast<int>(total)) {
      WriteReq::release(req);
      owner->bytesWritten_ += total;
      activity();
      cb();
      return;
    }
    if (r < 0 && r != UV_EAGAIN && r != UV_ENOSYS) {
      WriteReq::release(req);
      cb(Error::fromUv(r, "write"));
      return;
    }
    std::size_t done = r > 0 ? static_cast<std::size_t>(r) : 0;
    owner->bytesWritten_ += done;
    // Skip what the kernel already took.
    std::size_t first = 0;
    while (done > 0 && first < n) {
      if (done >= bufs[first].len) {
        done -= bufs[first].len;
        ++first;
      } else {
        bufs[first].base += done;
        bufs[first].len -= done;
        done = 0;
      }
    }
    req->chunks.swap(chunks);  // keep the bytes alive until libuv is done with them
    req->cb = cb;
    req->total = 0;
    for (std::size_t i = first; i < n; ++i) req->total += bufs[i].len;
    req->owner = this;
    req->req.data = req;
    int w = uv_write(&req->req, stream(), bufs + first, static_cast<unsigned>(n - first),
                     &Impl::onWrite);
    if (w < 0) {
      WriteReq::release(req);
      cb(Error::fromUv(w, "write"));
    }
  }
  static void onWrite(uv_write_t* r, int status) {
    auto* req = static_cast<WriteReq*>(r->data);
    auto* impl = static_cast<Impl*>(req->owner);
    detail::CallbackScope scope;
    WriteCallback cb = *req->cb;
    std::size_t total = req->total;
    WriteReq::release(req);
    if (status < 0) {
      cb(Error::fromUv(status, "write"));
      return;
    }
    impl->owner->bytesWritten_ += total;
    impl->activity();
    cb();
  }

  void shutdown(std::function<void(const Error&)> cb) {
    auto* req = new uv_shutdown_t;
    auto* pending = new std::function<void(const Error&)>(std::move(cb));
    req->data = pending;
    int r = uv_shutdown(req, stream(), [](uv_shutdown_t* q, int) {
      detail::CallbackScope scope;
      auto* fn = static_cast<std::function<void(const Error&)>*>(q->data);
      delete q;
      (*fn)({});  // as Node: the outcome of shutdown does not fail the stream
      delete fn;
    });
    if (r < 0) {
      delete req;
      (*pending)({});  // ENOTCONN and friends: nothing left to shut down
      delete pending;
    }
  }

  Socket* owner;
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
  bool isPipe = false;
  bool reading = false;
  bool readOnConnect = false;
  bool refed = true;
  bool noDelay = false;
  bool keepAlive = false;
  unsigned keepAliveDelaySec = 0;
  std::shared_ptr<Server> server;  // the accepting server, told when this connection closes
  TimeoutPtr timer;
  // What a socket needs only until it is connected, allocated on demand: an accepted or
  // established connection does not carry it (idle connections stay small).
  struct Connecting {
    std::vector<Buffer> chunks;  // writes and end() issued before the connection is up
    std::optional<WriteCallback> writeCb;
    std::function<void(const Error&)> final;
    std::string host;  // for error messages
    int port = -1;
  };
  std::unique_ptr<Connecting> conn;
  Connecting& connecting() {
    if (!conn) conn = std::make_unique<Connecting>();
    return *conn;
  }
  std::unique_ptr<std::function<void(const Error&)>> destroyCb;  // while uv_close runs
  std::unique_ptr<FileSender> files;  // made by the first detail::sendFile()

  FileSender& fileSender() {
    if (!files) {
      uv_os_fd_t fd = -1;
      uv_fileno(handle(), &fd);
      files = std::make_unique<FileSender>(owner, fd, !isPipe, [this](std::size_t n) {
        owner->bytesWritten_ += n;
        activity();
      });
      files->setRef(refed);
    }
    return *files;
  }
  // FileSender::usable and FileSender::send (the socket's internals are ours to touch).
  static bool canSendFile(const Socket& s);
  static void sendFile(const std::shared_ptr<Socket>& s, int fd, std::uint64_t offset,
                       std::uint64_t length, std::function<void(const Error&, std::uint64_t)> cb);
};

namespace {
struct MakeSocket : Socket {
  explicit MakeSocket(SocketOptions o) : Socket(o) {}
};

DuplexOptions duplexOptions(const SocketOptions& o) {
  DuplexOptions d;
  d.readable.highWaterMark = o.readableHighWaterMark;
  d.writable.highWaterMark = o.writableHighWaterMark;
  d.allowHalfOpen = o.allowHalfOpen;
  return d;
}
}  // namespace

Socket::Socket(SocketOptions opts)
    : Duplex(duplexOptions(opts)), impl_(std::make_unique<Impl>(this)) {}

Socket::~Socket() = default;

std::shared_ptr<Socket> Socket::create(SocketOptions opts) {
  return std::make_shared<MakeSocket>(opts);
}

Socket& Socket::connect(int port, const std::string& host, std::function<void()> cb) {
  ConnectOptions o;
  o.port = port;
  o.host = host;
  return connect(o, std::move(cb));
}

Socket& Socket::connect(const std::string& path, std::function<void()> cb) {
  ConnectOptions o;
  o.path = path;
  return connect(o, std::move(cb));
}

Socket& Socket::connect(const ConnectOptions& o, std::function<void()> cb) {
  if (o.path.empty() && (o.port < 0 || o.port > 65535)) {
    throw Exception("ERR_SOCKET_BAD_PORT",
                    "Port should be >= 0 and < 65536. Received " + std::to_string(o.port) + ".");
  }
  if (o.family != 0 && o.family != 4 && o.family != 6) {
    throwInvalidArg("family", "must be 0, 4 or 6. Received " + std::to_string(o.family));
  }
  if (connecting_ || handleOpen_)
    throw Exception("ERR_SOCKET_CONNECTING", "Socket is already connecting or connected");
  if (destroyed()) throw Exception("ERR_SOCKET_CLOSED", "Socket is closed");
  if (cb) once(Events::connect, std::move(cb));
  connecting_ = true;
  self_ = std::dynamic_pointer_cast<Socket>(self());
  if (o.noDelay) setNoDelay(true);
  if (o.keepAlive) setKeepAlive(true, o.keepAliveInitialDelay);
  if (o.timeout) setTimeout(o.timeout);

  auto done = [this](int status) {
    if (destroyed()) return;
    connecting_ = false;
    if (status < 0) {
      // _destroy() fails what was queued in impl_->conn.
      const Impl::Connecting* c = impl_->conn.get();
      destroy(Error::fromUv(status, "connect", c ? c->host : "", c ? c->port : -1));
      return;
    }
    std::unique_ptr<Impl::Connecting> conn = std::move(impl_->conn);
    impl_->applyOptions();
    if (conn && conn->writeCb) {
      impl_->write(conn->chunks, *conn->writeCb);
    }
    if (conn && conn->final) impl_->shutdown(std::move(conn->final));
    impl_->activity();
    emit(Events::connect);
    emit(Events::ready);
    if (impl_->readOnConnect) {
      impl_->readOnConnect = false;
      impl_->startReading();
    } else if (readable() && !isPaused()) {
      read(0);
    }
  };

  if (!o.path.empty()) {
    impl_->initPipe();
    impl_->connecting().host = o.path;
    auto* req = new uv_connect_t;
    req->data = new std::function<void(int)>(done);
    uv_pipe_connect(req, &impl_->h.pipe, o.path.c_str(), [](uv_connect_t* r, int status) {
      detail::CallbackScope scope;
      auto* fn = static_cast<std::function<void(int)>*>(r->data);
      delete r;
      (*fn)(status);
      delete fn;
    });
    return *this;
  }

  auto connectTo = [this, o, done](const std::string& ip, int family) {
    impl_->connecting().host = ip;
    impl_->connecting().port = o.port;
    sockaddr_storage addr;
    int r = makeSockaddr(ip, o.port, family, &addr);
    if (r == 0) {
      impl_->initTcp();
      if (!o.localAddress.empty() || o.localPort) {
        sockaddr_storage local;
        std::string la = o.localAddress.empty() ? (family == 6 ? "::" : "0.0.0.0") : o.localAddress;
        r = makeSockaddr(la, o.localPort, isIP(la), &local);
        if (r == 0) r = uv_tcp_bind(&impl_->h.tcp, reinterpret_cast<sockaddr*>(&local), 0);
        if (r < 0) {
          destroy(Error::fromUv(r, "bind", la, o.localPort));
          return;
        }
      }
      auto* req = new uv_connect_t;
      req->data = new std::function<void(int)>(done);
      r = uv_tcp_connect(req, &impl_->h.tcp, reinterpret_cast<sockaddr*>(&addr),
                         [](uv_connect_t* rq, int status) {
                           detail::CallbackScope scope;
                           auto* fn = static_cast<std::function<void(int)>*>(rq->data);
                           delete rq;
                           (*fn)(status);
                           delete fn;
                         });
      if (r == 0) return;
      delete static_cast<std::function<void(int)>*>(req->data);
      delete req;
    }
    // Reported asynchronously, as every connect error is.
    evnode::detail::queueTick([this, keep = self(), r, ip, port = o.port] {
      if (!destroyed()) destroy(Error::fromUv(r, "connect", ip, port));
    });
  };

  std::string host = o.host.empty() ? "localhost" : o.host;
  if (int fam = isIP(host)) {
    connectTo(host, fam);
    return *this;
  }
  dns::lookup(
      host, o.family,
      [this, keep = self(), host, connectTo](const Error& err, const std::string& ip, int family) {
        if (destroyed()) return;
        emit(Events::lookup, err, ip, family, host);
        if (err) {
          connecting_ = false;
          destroy(err);
          return;
        }
        connectTo(ip, family);
      });
  return *this;
}

std::shared_ptr<Socket> Socket::accept(void* listener, bool isPipe, const SocketOptions& opts) {
  auto sock = create(opts);
  if (isPipe) {
    sock->impl_->initPipe();
  } else {
    sock->impl_->initTcp();
  }
  sock->self_ = sock;
  if (uv_accept(static_cast<uv_stream_t*>(listener), sock->impl_->stream()) != 0) {
    sock->destroy();
    return nullptr;
  }
  return sock;
}

void Socket::attachTo(std::shared_ptr<Server> server, bool pauseOnConnect) {
  impl_->server = std::move(server);
  if (pauseOnConnect) {
    pause();
  } else {
    read(0);  // as Node: start reading now, data waits in the buffer until a consumer comes
  }
}

bool Socket::write(Buffer chunk, Callback cb) {
  // Small writes made in one loop turn are gathered and flushed together on the next tick.
  if (!autoCorked_ && !destroyed() && !writableEnded()) {
    autoCorked_ = true;
    cork();
    evnode::detail::queueTick([this, keep = self()] {
      autoCorked_ = false;
      uncork();
    });
  }
  return Writable::write(std::move(chunk), std::move(cb));
}

void Socket::touchTimeout() { impl_->activity(); }

void Socket::_read(std::size_t) { impl_->startReading(); }

void Socket::_write(const Buffer& chunk, WriteCallback cb) {
  // A single write (an uncorked write, or a layered stream such as TLS writing its records)
  // reuses one vector per thread instead of allocating one per write.
  thread_local std::vector<Buffer> one;
  one.assign(1, chunk);
  _writev(one, cb);
  one.clear();  // do not pin the bytes (a read slab) once libuv has them
}

void Socket::_writev(std::vector<Buffer>& chunks, WriteCallback cb) {
  if (impl_->files && impl_->files->claims(chunks)) {
    impl_->files->write(chunks, cb);  // a batch holding a file range (detail::sendFile)
    return;
  }
  if (connecting_ || !handleOpen_) {
    // Not connected yet: hold the data until `connect` (Node does the same).
    auto& conn = impl_->connecting();
    for (auto& c : chunks) conn.chunks.push_back(std::move(c));
    conn.writeCb = cb;
    return;
  }
  impl_->write(chunks, cb);
}

void Socket::_final(std::function<void(const Error&)> cb) {
  if (connecting_ || !handleOpen_) {
    if (connecting_) {
      impl_->connecting().final = std::move(cb);
    } else {
      cb({});
    }
    return;
  }
  impl_->shutdown(std::move(cb));
}

void Socket::_destroy(const Error& err, std::function<void(const Error&)> cb) {
  connecting_ = false;
  if (auto conn = std::move(impl_->conn); conn && err) {
    // As Node: a write and end() made before a connection that failed complete with errors.
    if (conn->writeCb) {
      (*conn->writeCb)(Error("ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
                             "Socket closed before the connection was established"));
    }
    if (conn->final) conn->final(err);
  }
  if (impl_->timer) {
    impl_->timer->close();
    impl_->timer.reset();
  }
  if (impl_->files) impl_->files->cancel();  // before the fd it sends on is closed
  if (!handleOpen_) {
    auto keep = std::move(self_);
    cb(err);
    return;
  }
  impl_->stopReading();
  impl_->destroyCb = std::make_unique<std::function<void(const Error&)>>(
      [cb = std::move(cb), err](const Error&) { cb(err); });
  uv_close(impl_->handle(), [](uv_handle_t* h) {
    auto* impl = static_cast<Impl*>(static_cast<detail::HandleWrap*>(h->data));
    detail::CallbackScope scope;
    Socket* s = impl->owner;
    s->handleOpen_ = false;
    auto keep = std::move(s->self_);  // the stream's close tick holds its own reference
    if (impl->server) {
      auto server = std::move(impl->server);
      server->onConnectionClosed();
    }
    auto done = std::move(impl->destroyCb);
    (*done)({});
  });
}

void Socket::emitCloseEvent() {
  emit(Stream::Events::close);
  emit(Events::close, static_cast<bool>(errored()));
}

void Socket::destroySoon() {
  if (writable()) end();
  if (writableFinished()) {
    destroy();
  } else {
    once(Writable::Events::finish, [this] { destroy(); });
  }
}

Socket& Socket::setNoDelay(bool noDelay) {
  impl_->noDelay = noDelay;
  if (handleOpen_ && !impl_->isPipe) uv_tcp_nodelay(&impl_->h.tcp, noDelay ? 1 : 0);
  return *this;
}

Socket& Socket::setKeepAlive(bool enable, std::uint64_t initialDelayMs) {
  impl_->keepAlive = enable;
  impl_->keepAliveDelaySec =
      static_cast<unsigned>(std::max<std::uint64_t>(1, initialDelayMs / 1000));
  if (handleOpen_ && !impl_->isPipe)
    uv_tcp_keepalive(&impl_->h.tcp, enable ? 1 : 0, impl_->keepAliveDelaySec);
  return *this;
}

Socket& Socket::setTimeout(std::uint64_t ms, std::function<void()> cb) {
  timeoutMs_ = ms;
  if (impl_->timer) {
    impl_->timer->close();
    impl_->timer.reset();
  }
  if (ms == 0) return *this;
  if (cb) once(Events::timeout, std::move(cb));
  if (destroyed()) return *this;
  // The socket outlives its timer (closed in _destroy), so a raw pointer is safe here.
  impl_->timer = evnode::setTimeout([this] { emit(Events::timeout); }, ms);
  impl_->timer->unref();
  return *this;
}

Socket& Socket::ref() {
  impl_->refed = true;
  if (impl_->files) impl_->files->setRef(true);
  if (handleOpen_) uv_ref(impl_->handle());
  return *this;
}

Socket& Socket::unref() {
  impl_->refed = false;
  if (impl_->files) impl_->files->setRef(false);
  if (handleOpen_) uv_unref(impl_->handle());
  return *this;
}

std::string Socket::remoteAddress() const {
  if (!handleOpen_ || impl_->isPipe) return "";
  return peerAddress(&impl_->h.tcp).address;
}
int Socket::remotePort() const {
  if (!handleOpen_ || impl_->isPipe) return -1;
  return peerAddress(&impl_->h.tcp).port;
}
std::string Socket::remoteFamily() const {
  if (!handleOpen_ || impl_->isPipe) return "";
  return peerAddress(&impl_->h.tcp).family;
}
AddressInfo Socket::address() const {
  if (!handleOpen_) return {};
  if (impl_->isPipe) return pipeName(&impl_->h.pipe, false);
  return sockAddress(&impl_->h.tcp);
}
std::string Socket::localAddress() const { return address().address; }
int Socket::localPort() const { return address().port; }

std::string Socket::readyState() const {
  if (connecting_) return "opening";
  bool r = readable(), w = writable();
  if (r && w) return "open";
  if (r) return "readOnly";
  if (w) return "writeOnly";
  return "closed";
}

bool Socket::Impl::canSendFile(const Socket& s) {
#if defined(__linux__)
  return s.handleOpen_ && !s.connecting_ && !s.destroyed() && s.writable();
#else
  (void)s;
  return false;  // FileSender speaks Linux's sendfile(2) only
#endif
}

void Socket::Impl::sendFile(const std::shared_ptr<Socket>& s, int fd, std::uint64_t offset,
                            std::uint64_t length,
                            std::function<void(const Error&, std::uint64_t)> cb) {
  constexpr std::uint64_t kMaxOffset = std::numeric_limits<std::int64_t>::max();
  if (length > kMaxOffset || offset > kMaxOffset - length) {
    throw Exception("ERR_OUT_OF_RANGE", "The file range does not fit in a file offset");
  }
  if (s->destroyed() || s->writableEnded()) {
    // The write fails as any write would now (ERR_STREAM_DESTROYED, write after end).
    s->Writable::write(Buffer(), [cb = std::move(cb)](const Error& err) { cb(err, 0); });
    return;
  }
  if (!s->handleOpen_ || s->connecting_) {
    throw Exception("ERR_INVALID_STATE",
                    "sendFile needs a connected socket with a kernel socket of its own");
  }
  auto range = std::make_shared<FileRange>();
  range->fd = fd;
  range->offset = offset;
  range->left = length;
  Buffer marker = s->impl_->fileSender().add(range);
  std::weak_ptr<Socket> weak = s;
  // Socket::write, so that a head written in this same tick leaves in one batch with the file.
  s->write(std::move(marker), [weak, range, cb = std::move(cb)](const Error& err) {
    if (auto keep = weak.lock()) {
      if (keep->impl_->files) keep->impl_->files->remove(range.get());
    }
    cb(err, range->sent);
  });
}

bool FileSender::usable(const Socket& s) { return Socket::Impl::canSendFile(s); }

void FileSender::send(const std::shared_ptr<Socket>& s, int fd, std::uint64_t offset,
                      std::uint64_t length, std::function<void(const Error&, std::uint64_t)> cb) {
  Socket::Impl::sendFile(s, fd, offset, length, std::move(cb));
}

std::shared_ptr<Socket> connect(const ConnectOptions& opts, std::function<void()> cb) {
  SocketOptions so;
  so.allowHalfOpen = opts.allowHalfOpen;
  auto s = Socket::create(so);
  s->connect(opts, std::move(cb));
  return s;
}

std::shared_ptr<Socket> connect(int port, const std::string& host, std::function<void()> cb) {
  ConnectOptions o;
  o.port = port;
  o.host = host;
  return connect(o, std::move(cb));
}

std::shared_ptr<Socket> connect(const std::string& path, std::function<void()> cb) {
  ConnectOptions o;
  o.path = path;
  return connect(o, std::move(cb));
}

}  // namespace evnode::net
