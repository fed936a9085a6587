// net::Socket over a descriptor that net's poller watches (poller.h): connect, reads into pooled
// slabs, vectored writes, half-close, timeouts, destroy.
//
// The socket, its watcher, its byte counts and the few flags an idle connection needs are one
// allocation (internal::FdSocket); what only some sockets need (a timer, a connect, a blocked
// write, options set before the descriptor opened) is Socket::State, made on first use, so a
// connection that reads and writes what the kernel takes at once never has one.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <uv.h>

#include <algorithm>
#include <limits>

#include "core/block_cache.h"
#include "core/callback_scope.h"
#include "core/thread_instance.h"
#include "core/tick.h"
#include "evnode/dns.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "net/address.h"
#include "net/connect_attempts.h"
#include "net/direct.h"
#include "net/fd.h"
#include "net/out_queue.h"
#include "net/poller.h"
#include "net/read_slab.h"
#include "net/send_file.h"
#include "net/write_one.h"

namespace evnode::net {

using internal::FdSocket;
using internal::SocketConsumer;

namespace {
const Error kNoError;  // what a close without an error reports
}  // namespace

struct Socket::State {
  // Recycled per thread, not malloc'd per connection.
  static void* operator new(std::size_t n) { return evnode::detail::BlockCache<State>::get(n); }
  static void operator delete(void* p, std::size_t n) {
    evnode::detail::BlockCache<State>::put(p, n);
  }
  std::uint64_t timeoutMs = 0;
  TimeoutPtr timer;
  OutQueue out;  // what the kernel did not take at once (out_queue.h)
  // setNoDelay/setKeepAlive before there is a descriptor: applied when it opens.
  bool noDelay = false;
  bool keepAlive = false;
  unsigned keepAliveDelaySec = 0;
  // What a socket needs only until it is connected, allocated on demand.
  struct Connecting {
    std::vector<Buffer> chunks;  // writes and end() issued before the connection is up
    std::optional<WriteCallback> writeCb;
    std::function<void(const Error&)> final;
    std::string host;  // for error messages
    int port = -1;
    std::unique_ptr<ConnectAttempts> attempts;  // a host name's several addresses, in turn
  };
  std::unique_ptr<Connecting> conn;
  Connecting& connecting() {
    if (!conn) conn = std::make_unique<Connecting>();
    return *conn;
  }
  // The connect is over (connected or destroyed) and `c` was its state: it goes, unless it
  // tried several addresses, whose list stays for autoSelectFamilyAttemptedAddresses().
  void endConnect(std::unique_ptr<Connecting> c) {
    if (!c || !c->attempts) return;
    c->attempts->stop();
    c->chunks.clear();
    c->writeCb.reset();
    c->final = nullptr;
    conn = std::move(c);
  }
};

struct internal::FdSocket final : Socket, evnode::detail::HandleWrap {
  explicit FdSocket(SocketOptions o) : Socket(o) { hasHandle_ = true; }
  void forceClose() override { destroy(); }

  // Takes `descriptor` (closes it on failure).
  int open(int descriptor, bool pipe) {
    int r = watch.open(descriptor, this, &FdSocket::onReady);
    if (r < 0) {
      fd::close(descriptor);
      return r;
    }
    fd_ = descriptor;
    isPipe_ = pipe;
    handleOpen_ = true;
    applyRef();
    if (st_ && !isPipe_) {
      if (st_->noDelay) setNoDelay(true);
      if (st_->keepAlive) setKeepAlive(true, st_->keepAliveDelaySec * 1000ull);
    }
    return 0;
  }

  // Makes the watcher watch what is wanted now. A paused read stays registered until it
  // fires once (`shrink`), so that pause() followed soon by resume() (backpressure) does not
  // cost two epoll_ctl calls each way.
  void syncPoll(bool shrink) {
    if (!handleOpen_ || closing_) return;
    const bool busy = writing();
    int want = (wantRead_ ? UV_READABLE : 0) | (busy ? UV_WRITABLE : 0);
    if (!shrink) want |= watch.events() & UV_READABLE;
    if (busy || !refed_) applyRef();
    if (int err = watch.start(want); err < 0) {
      // The kernel would not watch this socket: without readiness it would wait forever, so it
      // fails with the error, as libuv's and h2o's sockets do (after the caller is done with
      // it: syncPoll runs in the middle of reads, writes and connects).
      evnode::detail::queueTick(
          [this, keep = self(), err] { destroy(Error::fromUv(err, "epoll_ctl")); });
    }
  }

  // As libuv's connect and write requests do, a connect or a write in progress keeps the loop
  // alive even when the socket is unref'd.
  void applyRef() { watch.setRef(refed_ || writing()); }
  // A connect, or output the kernel did not take yet, waits for writability.
  bool writing() const { return connectWait_ || (st_ && !st_->out.empty()); }

  void startReading() {
    if (destroyed()) return;
    if (!handleOpen_ || connecting_) {
      // The Readable now counts a read as in progress and will not call _read() again: start
      // reading as soon as the connection is up (Node's _read defers to 'connect' the same way).
      readOnConnect_ = true;
      return;
    }
    wantRead_ = true;
    syncPoll(false);
  }
  void activity() {
    if (st_ && st_->timer) st_->timer->refresh();
  }

  // An error or a hang-up comes as the events watched: the read, write or connect meets it.
  static void onReady(Watcher* w, int ready) {
    FdSocket* s = static_cast<FdSocket*>(w->owner());
    evnode::detail::CallbackScope scope;
    if (s->connectWait_) {
      if (ready & UV_WRITABLE) {
        s->connectWait_ = false;
        s->onConnected(fd::connectResult(s->fd_));
      }
      s->syncPoll(false);
      return;
    }
    bool spurious = false;
    if (ready & UV_READABLE) {
      if (s->wantRead_) {
        s->readSome();
      } else {
        spurious = true;
      }
    }
    if ((ready & UV_WRITABLE) && s->handleOpen_ && !s->closing_ && s->st_ && !s->st_->out.empty()) {
      s->sendQueued();
    }
    s->syncPoll(spurious);
  }

  // Reads what is there, like libuv: up to 32 slabs, stopping at a short read.
  void readSome() {
    for (int i = 0; i < 32 && wantRead_ && !destroyed(); ++i) {
      ReadSlab slab = readSlab();
      if (slab.size == 0) return;  // the thread is exiting
      long n = fd::readSome(fd_, slab.data, slab.size);
      if (n > 0) {
        nRead += static_cast<std::uint64_t>(n);
        activity();
        // The buffer is a view of the pooled slab: no copy, no allocation.
        Buffer chunk = takeReadSlab(slab, static_cast<std::size_t>(n));
        if (direct()) {
          consumer_->onData(chunk);
        } else {
          if (consumerLazy()) registerConsumer();  // the stream's path needs its listener
          if (!push(std::move(chunk))) wantRead_ = false;
        }
        if (static_cast<std::size_t>(n) < slab.size) return;
      } else if (n == 0) {
        wantRead_ = false;
        syncPoll(true);
        push(nullptr);
        // As Node's onStreamRead: with nothing buffered, `end` follows even if nobody consumes
        // the data, so a peer's FIN closes a connection whose reader never attached.
        read(0);
        return;
      } else if (n == UV_EAGAIN) {
        return;
      } else {
        wantRead_ = false;
        destroy(Error::fromUv(static_cast<int>(n), "read"));
        return;
      }
    }
  }

  // Whether a read may skip the stream: what push() would do is emit `data` to the consumer's
  // listener and nothing else (flowing, nothing buffered, no decoder, no other listener).
  // A lazy consumer (setConsumer's `lazy`) has no listener of its own yet.
  bool direct() const {
    return consumerDirect_ && readableLength() == 0 && readableFlowing().value_or(false) &&
           readableEncoding().empty() &&
           listenerCount(Readable::Events::data) == (consumerData_ != 0 ? 1u : 0u);
  }

  // Writes now what the kernel takes, keeps the rest for when the descriptor is writable;
  // completes `cb` when all is written. Behind output already queued, or with a file range in
  // the batch, the queue sends it.
  void write(std::vector<Buffer>& chunks, WriteCallback cb) {
    // A file range's marker was made by the queue (addFile), so a socket without one has
    // neither a queue nor a file to send.
    if (st_ && (!st_->out.empty() || st_->out.hasFile(chunks))) {
      OutQueue& out = st_->out;
      const bool waiting = !out.empty();  // for writability: the batch goes after the rest
      out.push(chunks, 0, cb);
      if (!waiting) sendQueued();  // a batch holding a file range: the queue sends it all
      return;
    }
    // A batch is a few buffers (a head and a body, a turn's writes): on the stack.
    constexpr std::size_t kOnStack = 64;
    iovec onStack[kOnStack];
    std::vector<iovec> onHeap;
    const std::size_t n = chunks.size();
    iovec* iov = onStack;
    if (n > kOnStack) {
      onHeap.resize(n);
      iov = onHeap.data();
    }
    std::size_t total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      iov[i].iov_base = const_cast<std::uint8_t*>(chunks[i].data());
      iov[i].iov_len = chunks[i].length();
      total += chunks[i].length();
    }
    long r = fd::writeSome(fd_, iov, n);
    if (r == static_cast<long>(total)) {
      nWritten += total;
      activity();
      cb();
      return;
    }
    if (r < 0 && r != UV_EAGAIN) {
      cb(Error::fromUv(static_cast<int>(r), "write"));
      return;
    }
    const std::size_t done = r > 0 ? static_cast<std::size_t>(r) : 0;
    if (done) {
      nWritten += done;
      activity();
    }
    state().out.push(chunks, done, cb);  // the bytes stay alive until they are written
    syncPoll(false);
  }

  // What `bytes` and then `then` left after writeNow's attempt wrote `done` of them: queued with
  // no callback of their own (the Writable is idle; its next write queues behind them).
  void queueRest(std::string_view bytes, const Buffer* then, std::size_t done,
                 Buffer (*keep)(std::string_view)) {
    OutQueue& out = state().out;
    const std::size_t fromBytes = std::min(done, bytes.size());
    bytes.remove_prefix(fromBytes);
    done -= fromBytes;
    if (!bytes.empty()) out.push(keep ? keep(bytes) : Buffer::from(bytes.data(), bytes.size()));
    if (then && then->length() > done) out.push(then->slice(static_cast<std::int64_t>(done)));
    syncPoll(false);
  }

  // The socket is writable (or the queue just got a file range): send what the kernel takes.
  // When the queue empties, the batch's callback runs; an error fails it (or, for bytes
  // writeNow left without a callback, the socket).
  void sendQueued() {
    OutQueue& out = st_->out;
    const OutQueue::Sent sent = out.send(fd_, !isPipe_);
    if (sent.sent) {
      nWritten += sent.sent;
      activity();
    }
    if (sent.result == UV_EAGAIN) {
      syncPoll(false);
      return;
    }
    std::optional<WriteCallback> done = out.takeDone();
    syncPoll(true);
    const Error err = sent.result < 0 ? Error::fromUv(sent.result, sent.syscall) : Error();
    if (done) {
      (*done)(err);
    } else if (err) {
      destroy(err);
    }
  }

  void shutdown(std::function<void(const Error&)> cb) {
    // Writable calls _final once every write is done, so nothing is left to flush first. As
    // Node, the outcome (ENOTCONN and friends) does not fail the stream; the callback comes
    // later, as libuv's shutdown request's would.
    ::shutdown(fd_, SHUT_WR);
    evnode::detail::queueTick([keep = self(), cb = std::move(cb)] { cb({}); });
  }

  // The end of a connect: what Node's afterConnect does.
  void onConnected(int status) {
    if (destroyed()) return;
    // autoSelectFamily: a failed attempt makes way for the next address.
    if (st_ && st_->conn && st_->conn->attempts && st_->conn->attempts->settle(status)) return;
    connecting_ = false;
    if (status < 0) {
      // _destroy() fails what was queued in the connect state.
      const State::Connecting* c = st_ ? st_->conn.get() : nullptr;
      destroy(Error::fromUv(status, "connect", c ? c->host : "", c ? c->port : -1));
      return;
    }
    std::unique_ptr<State::Connecting> conn = std::move(state().conn);
    if (conn && conn->writeCb) write(conn->chunks, *conn->writeCb);
    if (conn && conn->final) shutdown(std::move(conn->final));
    if (conn && conn->attempts) state().endConnect(std::move(conn));
    activity();
    emit(Events::connect);
    emit(Events::ready);
    if (readOnConnect_) {
      readOnConnect_ = false;
      startReading();
    } else if (readable() && !isPaused()) {
      read(0);
    }
  }

  // Connects to ip:port on a new descriptor, bound first to localAddress:localPort if either is
  // given: an empty Error when the connect is under way, else the error met at once. A
  // descriptor already open (an attempt given up, autoSelectFamily) is closed only once the new
  // one is open, so that the socket holds a descriptor, and so itself (self_), from the first
  // attempt to the end.
  Error startTcp(const std::string& ip, int family, int port, const std::string& localAddress,
                 int localPort) {
    sockaddr_storage addr;
    int r = makeSockaddr(ip, port, family, &addr);
    if (r < 0) return Error::fromUv(r, "connect", ip, port);
    sockaddr_storage local;
    socklen_t localLen = 0;
    std::string la;
    if (!localAddress.empty() || localPort) {
      la = localAddress.empty() ? (family == 6 ? "::" : "0.0.0.0") : localAddress;
      const int lf = isIP(la);
      r = makeSockaddr(la, localPort, lf, &local);
      if (r < 0) return Error::fromUv(r, "bind", la, localPort);
      localLen = lf == 6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    }
    r = fd::openStream(family == 6 ? AF_INET6 : AF_INET);
    if (r < 0) return Error::fromUv(r, "connect", ip, port);
    if (handleOpen_) {
      connectWait_ = false;
      watch.close();
      fd::close(std::exchange(fd_, -1));
      handleOpen_ = false;
    }
    r = open(r, false);
    if (r < 0) return Error::fromUv(r, "connect", ip, port);
    if (localLen && ::bind(fd_, reinterpret_cast<sockaddr*>(&local), localLen) < 0) {
      return Error::fromErrno(errno, "bind", la, localPort);
    }
    const socklen_t len = family == 6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    r = fd::startConnect(fd_, reinterpret_cast<sockaddr*>(&addr), len);
    if (r < 0) return Error::fromUv(r, "connect", ip, port);
    connectWait_ = true;
    syncPoll(false);
    return {};
  }

  // A connect to one address. As every connect error, one met at once comes later through
  // onConnected; a bad local address or port fails the socket now.
  void connectTo(const std::string& ip, int family, int port, const std::string& localAddress,
                 int localPort) {
    State::Connecting& c = state().connecting();
    c.host = ip;
    c.port = port;
    Error err = startTcp(ip, family, port, localAddress, localPort);
    if (!err) return;
    if (err.syscall == "bind") {
      destroy(err);
      return;
    }
    evnode::detail::queueTick([this, keep = self(), r = err.errnum] { onConnected(r); });
  }

  // What a connect to a host name keeps for when its lookup answers.
  struct Lookup {
    std::string host;
    std::string localAddress;
    int port;
    int localPort;
    bool all;  // autoSelectFamily: every address, in turn
    std::uint64_t attemptTimeout;
  };

  // A host name: looked up (ConnectOptions::lookup, else dns::lookup), then its first address
  // connected or, with autoSelectFamily, each in turn.
  void lookupAndConnect(std::string host, const ConnectOptions& o) {
    dns::LookupOptions lo;
    lo.family = o.family;
    // As Node: a family or a local address asked for means a single address.
    lo.all = o.family == 0 && o.localAddress.empty() &&
             o.autoSelectFamily.value_or(getDefaultAutoSelectFamily());
    Lookup l{std::move(host),
             o.localAddress,
             o.port,
             o.localPort,
             lo.all,
             lo.all ? ConnectAttempts::attemptTimeout(o.autoSelectFamilyAttemptTimeout) : 0};
    const std::string name = l.host;
    dns::LookupAllCallback done = [this, keep = self(), l = std::move(l)](
                                      const Error& err,
                                      const std::vector<dns::LookupAddress>& found) {
      onLookup(err, found, l);
    };
    if (o.lookup) {
      o.lookup(name, lo, std::move(done));
    } else {
      dns::lookup(name, lo, std::move(done));
    }
  }

  void onLookup(const Error& err, const std::vector<dns::LookupAddress>& found, const Lookup& l) {
    // Nothing once destroyed, nor for a second answer from a user's lookup.
    if (destroyed() || !connecting_ || handleOpen_) return;
    if (err) {
      emit(Events::lookup, err, std::string(), 0, l.host);
      connecting_ = false;
      destroy(err);
      return;
    }
    dns::LookupAddress first = found.empty() ? dns::LookupAddress{} : found.front();
    if (!l.all) {
      emit(Events::lookup, err, first.address, first.family, l.host);
    } else {
      // As Node: one `lookup` per address, then the usable ones in turn.
      for (const dns::LookupAddress& a : found) {
        emit(Events::lookup, err, a.address, a.family, l.host);
        if (destroyed()) return;
      }
      std::vector<dns::LookupAddress> order = ConnectAttempts::order(found);
      if (order.size() > 1) {
        std::unique_ptr<ConnectAttempts>& a = state().connecting().attempts;
        a = std::make_unique<ConnectAttempts>(*this, std::move(order), l.port, l.localPort,
                                              l.attemptTimeout);
        a->next();
        return;
      }
      if (!order.empty()) first = order.front();
    }
    if (destroyed()) return;
    if (isIP(first.address) == 0) {
      destroy(Error("ERR_INVALID_IP_ADDRESS",
                    "Invalid IP address: " +
                        (first.address.empty() ? std::string("undefined") : first.address)));
      return;
    }
    if (first.family != 4 && first.family != 6) {
      destroy(Error("ERR_INVALID_ADDRESS_FAMILY",
                    "Invalid address family: " + std::to_string(first.family) + " " + l.host + ":" +
                        std::to_string(l.port)));
      return;
    }
    connectTo(first.address, first.family, l.port, l.localAddress, l.localPort);
  }

  // internal::startAttempt (connect_attempts.h).
  static Error startAttempt(Socket& s, const std::string& ip, int family, int port, int localPort) {
    return s.impl()->startTcp(ip, family, port, "", localPort);
  }

  // The end of _destroy, a tick later (where libuv's close callback would come). `err` is null
  // for the usual close without an error: its tick makes and destroys no Error.
  void onClosed(const std::function<void(const Error&)>& done, const Error* err) {
    handleOpen_ = false;
    auto keep = std::move(self_);  // the stream's close tick holds its own reference
    // Node counts a connection out when it is destroyed, so the server's `close` comes before
    // the last connection's; the server stays alive until that one's (emitCloseEvent).
    if (server) server->onConnectionClosed();
    done(err ? *err : kNoError);
  }

  // net::internal::setConsumer and writeNow (direct.h).
  static void setConsumer(Socket& s, SocketConsumer* c, bool lazy);
  // Registers the consumer's `error` and `data` listeners: after the others at attach time, or
  // ahead of them when a lazy consumer registers later (where they would be had they been
  // registered at attach time).
  static void addConsumerListeners(Socket& s, bool prepend);
  void registerConsumer() { addConsumerListeners(*this, true); }
  static bool writeNow(Socket& s, std::string_view bytes, const Buffer* then,
                       Buffer (*keep)(std::string_view));
  static SocketConsumer* consumerOf(const Socket& s) { return s.consumer_; }
  static bool outputWaiting(const Socket& s) {
    if (s.writableLength() > 0) return true;
    return s.st_ && !s.st_->out.empty();
  }
  // internal::canSendFile and internal::sendFile (the socket's internals are ours to touch).
  static bool canSendFile(const Socket& s);
  static void sendFile(const std::shared_ptr<Socket>& s, int fd, std::uint64_t offset,
                       std::uint64_t length, std::function<void(const Error&, std::uint64_t)> cb);

  Watcher watch;
  Server* server = nullptr;  // the accepting server, told when this connection closes
  // bytesRead() and bytesWritten(): every socket that connects counts them, so they live here
  // rather than in the State (whose 176 bytes an idle connection would then carry).
  std::uint64_t nRead = 0;
  std::uint64_t nWritten = 0;
};

namespace {
DuplexOptions duplexOptions(const SocketOptions& o) {
  DuplexOptions d;
  d.readable.highWaterMark = o.readableHighWaterMark;
  d.writable.highWaterMark = o.writableHighWaterMark;
  d.allowHalfOpen = o.allowHalfOpen;
  return d;
}
}  // namespace

Socket::Socket(SocketOptions opts) : Duplex(duplexOptions(opts)) {}

Socket::~Socket() {
  internal::dropCorkedOutput(*this);  // never left as the owner of the thread's cork buffer
}

Socket::State& Socket::state() {
  if (!st_) st_ = std::make_unique<State>();
  return *st_;
}

FdSocket* Socket::impl() const {
  return hasHandle_ ? static_cast<FdSocket*>(const_cast<Socket*>(this)) : nullptr;
}

std::shared_ptr<Socket> Socket::create(SocketOptions opts) {
  return std::allocate_shared<FdSocket>(evnode::detail::CacheAllocator<FdSocket>(), opts);
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
  if (o.autoSelectFamilyAttemptTimeout > 0x7FFFFFFF) {
    throwOutOfRange("options.autoSelectFamilyAttemptTimeout", ">= 1 && <= 2147483647",
                    static_cast<long long>(o.autoSelectFamilyAttemptTimeout));
  }
  if (connecting_ || handleOpen_)
    throw Exception("ERR_SOCKET_CONNECTING", "Socket is already connecting or connected");
  if (destroyed()) throw Exception("ERR_SOCKET_CLOSED", "Socket is closed");
  FdSocket* im = impl();
  if (!im) throw Exception("ERR_SOCKET_CONNECTING", "This socket connects through its transport");
  if (cb) once(Events::connect, std::move(cb));
  connecting_ = true;
  self_ = std::dynamic_pointer_cast<Socket>(self());
  if (o.noDelay) setNoDelay(true);
  if (o.keepAlive) setKeepAlive(true, o.keepAliveInitialDelay);
  if (o.timeout) setTimeout(o.timeout);

  if (!o.path.empty()) {
    state().connecting().host = o.path;
    sockaddr_un addr;
    socklen_t len = 0;
    int r = fd::unixAddress(o.path, &addr, &len);
    if (r == 0) r = fd::openStream(AF_UNIX);
    if (r >= 0) r = im->open(r, true);
    if (r == 0) r = fd::startConnect(im->fd_, reinterpret_cast<sockaddr*>(&addr), len);
    if (r == 0) {
      im->connectWait_ = true;
      im->syncPoll(false);
      return *this;
    }
    // Reported later, as every connect error is.
    evnode::detail::queueTick([im, keep = self(), r] { im->onConnected(r); });
    return *this;
  }

  std::string host = o.host.empty() ? "localhost" : o.host;
  if (int fam = isIP(host)) {
    im->connectTo(host, fam, o.port, o.localAddress, o.localPort);
    return *this;
  }
  im->lookupAndConnect(std::move(host), o);
  return *this;
}

std::shared_ptr<Socket> Socket::accept(int descriptor, bool isPipe, const SocketOptions& opts) {
  auto sock = std::allocate_shared<FdSocket>(evnode::detail::CacheAllocator<FdSocket>(), opts);
  if (sock->open(descriptor, isPipe) < 0) return nullptr;
  sock->self_ = sock;
  return sock;
}

void Socket::attachTo(Server* server, bool pauseOnConnect) {
  impl()->server = server;
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

void Socket::beforeDestroy() {
  if (autoCorked_) {
    autoCorked_ = false;  // the tick that would have uncorked finds nothing to do
    uncork();
  }
  Duplex::beforeDestroy();
}

void Socket::touchTimeout() {
  if (st_ && st_->timer) st_->timer->refresh();
}

std::uint64_t Socket::timeout() const { return st_ ? st_->timeoutMs : 0; }
std::uint64_t Socket::bytesRead() const {
  const FdSocket* im = impl();
  return im ? im->nRead : 0;
}
std::uint64_t Socket::bytesWritten() const {
  const FdSocket* im = impl();
  return im ? im->nWritten : 0;
}

void Socket::_read(std::size_t) {
  if (FdSocket* im = impl()) im->startReading();
}

void Socket::_write(const Buffer& chunk, WriteCallback cb) {
  // A single write: an uncorked write, or a layered stream such as TLS writing its records.
  struct One {
    std::vector<Buffer> chunks;
  };
  writeOneChunk<One>(chunk, [&](std::vector<Buffer>& chunks) { _writev(chunks, cb); });
}

void Socket::_writev(std::vector<Buffer>& chunks, WriteCallback cb) {
  if (connecting_ || !handleOpen_) {
    // Not connected yet: hold the data until `connect` (Node does the same).
    auto& conn = state().connecting();
    for (auto& c : chunks) conn.chunks.push_back(std::move(c));
    conn.writeCb = cb;
    return;
  }
  impl()->write(chunks, cb);
}

void Socket::_final(std::function<void(const Error&)> cb) {
  if (connecting_ || !handleOpen_) {
    if (connecting_) {
      state().connecting().final = std::move(cb);
    } else {
      cb({});
    }
    return;
  }
  impl()->shutdown(std::move(cb));
}

void Socket::_destroy(const Error& err, std::function<void(const Error&)> cb) {
  connecting_ = false;
  // The `error` to come goes to the consumer's listener, as it would to one registered eagerly
  // (and never counts as unhandled while a consumer is attached).
  if (err && consumerLazy()) {
    impl()->registerConsumer();
  }
  if (st_) {
    std::unique_ptr<State::Connecting> conn = std::move(st_->conn);
    if (conn && err) {
      // As Node: a write and end() made before a connection that failed complete with errors.
      if (conn->writeCb) {
        (*conn->writeCb)(Error("ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
                               "Socket closed before the connection was established"));
      }
      if (conn->final) conn->final(err);
    }
    st_->endConnect(std::move(conn));  // no attempt timer, no next attempt
    if (st_->timer) {
      st_->timer->close();
      st_->timer.reset();
    }
    if (std::optional<WriteCallback> done = st_->out.clear()) {
      // The batch in flight fails after destroy() returns. A peer that left (ECONNRESET met by
      // a read) is why it stopped, whichever of the read and the write saw it first; otherwise,
      // as libuv cancels a stream's queued writes when it closes, ECANCELED.
      Error why = err ? err : Error::fromUv(UV_ECANCELED, "write");
      evnode::detail::queueTick([cb = *done, why] { cb(why); });
    }
  }
  FdSocket* im = impl();
  if (!im || !handleOpen_) {
    auto keep = std::move(self_);
    cb(err);
    return;
  }
  im->wantRead_ = false;
  im->connectWait_ = false;
  im->closing_ = true;
  im->watch.close();
  fd::close(std::exchange(im->fd_, -1));
  // The rest comes later, as after a libuv handle's close; the socket holds itself (self_)
  // until then. (Most sockets close without an error: their tick carries no copy of one.)
  if (err) {
    evnode::detail::queueTick([im, cb = std::move(cb), err] { im->onClosed(cb, &err); });
  } else {
    evnode::detail::queueTick([im, cb = std::move(cb)] { im->onClosed(cb, nullptr); });
  }
}

void Socket::emitCloseEvent() {
  // Where a `close` listener added along with the consumer's `data` listener would run: before
  // the listeners added later. Its listeners stay (inert) for the removeAllListeners() that
  // follows `close`.
  if (SocketConsumer* c = std::exchange(consumer_, nullptr)) {
    consumerDirect_ = false;
    consumerData_ = consumerError_ = 0;
    c->onClose();
  }
  emit(Events::close, static_cast<bool>(errored()));  // Node's close(hadError)
  // The server outlives every listener of its connections' `close` (the HTTP connection on it
  // included), even when its own `close` came first and nothing else holds it.
  if (FdSocket* im = impl()) {
    if (Server* srv = std::exchange(im->server, nullptr)) srv->onConnectionReleased();
  }
}

void Socket::newListener(const void* key) {
  if ((key == &Readable::Events::data || key == &Readable::Events::readable) && consumerLazy()) {
    impl()->registerConsumer();  // a lazy consumer's listener goes first
  }
  Duplex::newListener(key);
}

void Socket::listenerRemoved(const void* key) {
  Duplex::listenerRemoved(key);
  if (!consumer_) return;
  if (key == &Readable::Events::data && consumerData_ == 0) return;  // not a lazy consumer's
  if (key == nullptr) {
    // removeAllListeners(): the consumer's listeners are gone (it is still told of `close`).
    consumerData_ = consumerError_ = 0;
    consumerDirect_ = false;
  } else if (key == &Readable::Events::data) {
    // Maybe the consumer's own listener: reads take the stream's path from now on.
    consumerDirect_ = false;
  }
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
  FdSocket* im = impl();
  if (im && handleOpen_ && im->fd_ >= 0) {
    if (!im->isPipe_) {
      int on = noDelay ? 1 : 0;
      ::setsockopt(im->fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    if (connecting_) state().noDelay = noDelay;  // for the next attempt's descriptor too
  } else if (noDelay || st_) {
    state().noDelay = noDelay;
  }
  return *this;
}

Socket& Socket::setKeepAlive(bool enable, std::uint64_t initialDelayMs) {
  unsigned delaySec = static_cast<unsigned>(std::max<std::uint64_t>(1, initialDelayMs / 1000));
  FdSocket* im = impl();
  if (im && handleOpen_ && im->fd_ >= 0) {
    if (!im->isPipe_) {
      int on = enable ? 1 : 0;
      ::setsockopt(im->fd_, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
      if (enable) {
        int idle = static_cast<int>(delaySec);
        ::setsockopt(im->fd_, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
      }
    }
    if (connecting_) {  // for the next attempt's descriptor too
      state().keepAlive = enable;
      state().keepAliveDelaySec = delaySec;
    }
  } else if (enable || st_) {
    state().keepAlive = enable;
    state().keepAliveDelaySec = delaySec;
  }
  return *this;
}

Socket& Socket::setTimeout(std::uint64_t ms, std::function<void()> cb) {
  if (ms == 0 && !st_) return *this;  // no timer to clear (a WebSocket's setTimeout(0))
  State& st = state();
  st.timeoutMs = ms;
  if (st.timer) {
    st.timer->close();
    st.timer.reset();
  }
  if (ms == 0) return *this;
  if (cb) once(Events::timeout, std::move(cb));
  if (destroyed()) return *this;
  // The socket outlives its timer (closed in _destroy), so a raw pointer is safe here.
  st.timer = evnode::setTimeout([this] { emit(Events::timeout); }, ms);
  st.timer->unref();
  return *this;
}

Socket& Socket::ref() {
  refed_ = true;
  if (FdSocket* im = impl(); im && handleOpen_ && !im->closing_) im->applyRef();
  return *this;
}

Socket& Socket::unref() {
  refed_ = false;
  if (FdSocket* im = impl(); im && handleOpen_ && !im->closing_) im->applyRef();
  return *this;
}

std::string Socket::remoteAddress() const { return remote().address; }
int Socket::remotePort() const { return remote().port; }
std::string Socket::remoteFamily() const { return remote().family; }
AddressInfo Socket::remote() const {
  FdSocket* im = impl();
  if (!im || im->fd_ < 0 || im->isPipe_) return {};
  return peerAddress(im->fd_);
}
AddressInfo Socket::address() const {
  FdSocket* im = impl();
  if (!im || im->fd_ < 0) return {};
  if (im->isPipe_) return pipeName(im->fd_, false);
  return sockAddress(im->fd_);
}
std::string Socket::localAddress() const { return address().address; }
int Socket::localPort() const { return address().port; }

std::vector<std::string> Socket::autoSelectFamilyAttemptedAddresses() const {
  if (st_ && st_->conn && st_->conn->attempts) return st_->conn->attempts->attempted();
  return {};
}

std::string Socket::readyState() const {
  if (connecting_) return "opening";
  bool r = readable(), w = writable();
  if (r && w) return "open";
  if (r) return "readOnly";
  if (w) return "writeOnly";
  return "closed";
}

bool FdSocket::canSendFile(const Socket& s) {
#if defined(__linux__)
  return s.hasHandle_ && s.handleOpen_ && !s.connecting_ && !s.destroyed() && s.writable();
#else
  (void)s;
  return false;  // the queue speaks Linux's sendfile(2) only
#endif
}

void FdSocket::sendFile(const std::shared_ptr<Socket>& s, int fd, std::uint64_t offset,
                        std::uint64_t length, std::function<void(const Error&, std::uint64_t)> cb) {
  constexpr std::uint64_t kMaxOffset = std::numeric_limits<std::int64_t>::max();
  if (length > kMaxOffset || offset > kMaxOffset - length) {
    throw Exception("ERR_OUT_OF_RANGE", "The file range does not fit in a file offset");
  }
  if (s->destroyed() || s->writableEnded()) {
    // The write fails as any write would now (ERR_STREAM_DESTROYED, write after end).
    s->Writable::write(Buffer(), [cb = std::move(cb)](const Error& err) { cb(err, 0); });
    return;
  }
  if (!s->hasHandle_ || !s->handleOpen_ || s->connecting_) {
    throw Exception("ERR_INVALID_STATE",
                    "sendFile needs a connected socket with a kernel socket of its own");
  }
  auto range = std::make_shared<FileRange>();
  range->fd = fd;
  range->offset = offset;
  range->left = length;
  Buffer marker = s->state().out.addFile(range);
  std::weak_ptr<Socket> weak = s;
  // Socket::write, so that a head written in this same tick leaves in one batch with the file.
  s->write(std::move(marker), [weak, range, cb = std::move(cb)](const Error& err) {
    if (auto keep = weak.lock()) {
      if (keep->st_) keep->st_->out.removeFile(range.get());
    }
    cb(err, range->sent);
  });
}

namespace {
// writeNow's ordinary path: `bytes` kept in a Buffer, then `then`, one batch.
bool writeRest(Socket& s, std::string_view bytes, const Buffer* then,
               Buffer (*keep)(std::string_view)) {
  Buffer head;
  if (!bytes.empty()) head = keep ? keep(bytes) : Buffer::from(bytes.data(), bytes.size());
  if (!then || then->empty()) return s.Writable::write(std::move(head));
  if (bytes.empty()) return s.Writable::write(*then);
  s.cork();
  s.Writable::write(std::move(head));
  bool ok = s.Writable::write(*then);
  s.uncork();
  return ok;
}
}  // namespace

void FdSocket::addConsumerListeners(Socket& s, bool prepend) {
  // The listeners ask the socket for its consumer: once `close` has detached it (leaving them
  // to the removeAllListeners() that follows), they do nothing.
  Socket* sp = &s;
  auto onError = [sp](const Error& err) {
    if (SocketConsumer* now = sp->consumer_) now->onError(err);
  };
  // The stream's own path (a paused socket, data buffered meanwhile, another listener) and
  // the flowing state need a real `data` listener; reads skip it while it is the only one.
  auto onData = [sp](const Buffer& chunk) {
    if (SocketConsumer* now = sp->consumer_) now->onData(chunk);
  };
  if (!prepend) {
    s.consumerError_ = s.on(Stream::Events::error, onError);
    s.consumerData_ = s.on(Readable::Events::data, onData);
    return;
  }
  // The data listener's id first: prependListener's newListener(data) sees the consumer as
  // registered (no recursion), and the flow it starts is what the attach already started.
  s.consumerData_ = ~ListenerId{0};
  s.consumerData_ = s.prependListener(Readable::Events::data, onData);
  s.consumerError_ = s.prependListener(Stream::Events::error, onError);
}

void FdSocket::setConsumer(Socket& s, SocketConsumer* c, bool lazy) {
  if (s.consumer_) {
    s.consumerDirect_ = false;  // before off(): listenerRemoved has nothing to undo then
    if (s.consumerData_) s.off(Readable::Events::data, s.consumerData_);
    if (s.consumerError_) s.off(Stream::Events::error, s.consumerError_);
    s.consumerData_ = s.consumerError_ = 0;
    s.consumer_ = nullptr;
  }
  if (!c) return;
  if (lazy && s.hasHandle_) {
    // No listener yet: the stream flows as a `data` listener would make it (Readable's
    // newListener), and reads go to the consumer directly until something needs the stream's
    // path (registerConsumer).
    s.consumer_ = c;
    s.consumerDirect_ = true;
    s.impl()->Readable::newListener(&Readable::Events::data);
    return;
  }
  addConsumerListeners(s, false);
  s.consumer_ = c;
  s.consumerDirect_ = true;
}

bool FdSocket::writeNow(Socket& s, std::string_view bytes, const Buffer* then,
                        Buffer (*keep)(std::string_view)) {
  std::size_t total = bytes.size() + (then ? then->length() : 0);
  if (total == 0) return true;
  FdSocket* im = s.impl();
  // The simple state: connected, open, nothing queued, in flight or corked, and small enough
  // that write() would not ask for `drain` either.
  if (!im || !s.handleOpen_ || s.closing_ || s.connecting_ || !s.writable() ||
      s.writableLength() != 0 || s.writableCorked() != 0 || (s.st_ && !s.st_->out.empty()) ||
      total >= s.writableHighWaterMark()) {
    return writeRest(s, bytes, then, keep);
  }
  iovec iov[2];
  std::size_t n = 0;
  if (!bytes.empty()) iov[n++] = {const_cast<char*>(bytes.data()), bytes.size()};
  if (then && !then->empty()) {
    iov[n++] = {const_cast<std::uint8_t*>(then->data()), then->length()};
  }
  const long r = fd::writeSome(im->fd_, iov, n);
  if (r == static_cast<long>(total)) {
    im->nWritten += total;
    im->activity();
    return true;
  }
  if (r < 0 && r != UV_EAGAIN) {
    // The socket's error, as an ordinary write's failure is, once the caller is done with it.
    evnode::detail::queueTick(
        [im, keep = s.self(), err = Error::fromUv(static_cast<int>(r), "write")] {
          im->destroy(err);
        });
    return true;
  }
  const std::size_t done = r > 0 ? static_cast<std::size_t>(r) : 0;
  if (done) {
    im->nWritten += done;
    im->activity();
  }
  im->queueRest(bytes, then, done, keep);
  return true;
}

Error internal::startAttempt(Socket& socket, const std::string& ip, int family, int port,
                             int localPort) {
  return FdSocket::startAttempt(socket, ip, family, port, localPort);
}

void internal::setConsumer(Socket& socket, SocketConsumer* consumer, bool lazy) {
  FdSocket::setConsumer(socket, consumer, lazy);
}

internal::SocketConsumer* internal::consumerOf(const Socket& s) { return FdSocket::consumerOf(s); }

bool internal::outputWaiting(const Socket& s) { return FdSocket::outputWaiting(s); }

bool internal::writeNow(Socket& socket, std::string_view bytes, const Buffer* then,
                        Buffer (*keep)(std::string_view)) {
  return FdSocket::writeNow(socket, bytes, then, keep);
}

bool internal::canSendFile(const Socket& socket) { return FdSocket::canSendFile(socket); }

void internal::sendFile(const std::shared_ptr<Socket>& socket, int fd, std::uint64_t offset,
                        std::uint64_t length, std::function<void(const Error&, std::uint64_t)> cb) {
  FdSocket::sendFile(socket, fd, offset, length, std::move(cb));
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
