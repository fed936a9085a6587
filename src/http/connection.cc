// An http::Server connection: request parsing (many requests per read), pipelining, body
// delivery with backpressure, Expect/CONNECT/Upgrade, client errors and timeouts.
#include "http/connection.h"

#include <algorithm>
#include <array>
#include <vector>

#include "evnode/loop.h"
#include "http/header_storage.h"
#include "http/response_internal.h"

namespace evnode::http {

namespace {
std::uint64_t now() { return Loop::current().now(); }

// Storage for the fields of the head being parsed. A head is parsed and copied into its
// IncomingMessage in one synchronous step, so one array per thread serves every connection:
// an idle keep-alive connection carries no header storage.
std::span<Header> headerScratch(const ServerOptions& o) {
  struct Store {
    std::vector<Header> fields;
  };
  std::vector<Header>& store = evnode::detail::threadInstance<Store>()->fields;  // from a read
  // A field line takes at least 4 bytes ("a:\r\n") and a head is parsed within maxHeaderSize
  // bytes, so this many entries never cut a head short of maxHeadersCount.
  std::size_t want = std::min(o.maxHeadersCount, o.maxHeaderSize / 4 + 1);
  if (store.size() < want) store.resize(want);
  return std::span<Header>(store.data(), want);
}

// The chunked decoder and its trailers (kept across reads), made on the first chunked request a
// Work block serves: most requests never need one.
struct Chunked {
  explicit Chunked(const Limits& l) : decoder(l) {
    decoder.trailerStorage = std::span<Header>(trailers);
  }
  ChunkedDecoder decoder;
  std::array<Header, 32> trailers;
};
}  // namespace

struct Connection::Work {
  Buffer pending;           // received bytes not processed yet
  std::size_t lastLen = 0;  // pending's size when its head was last found incomplete
  RequestPtr req;
  ResponsePtr res;
  ContentLengthBody clBody;
  std::unique_ptr<Chunked> chunked;
  std::vector<WriteCallback> drainWaiters;
  std::uint64_t headStart = 0;     // when the head being received started
  std::uint64_t requestStart = 0;  // when the request in flight started
  std::uint64_t bodyReceived = 0;  // body bytes of the request in flight so far
  BodyKind bodyKind = BodyKind::kNone;
  bool bodyDone = true;
  bool responseQueued = true;
  ListenerId onEnd = 0, onDrain = 0;  // socket listeners while a body / a drain is awaited
  RequestHead head;  // the head being parsed (the parser resets it: not made per request)

  // Done with the request and its response. The response may live on in the handler's hands:
  // it must not call on a connection that may be gone by then.
  void dropRequest() {
    if (res) ResponseInternal::detach(*res);
    req.reset();
    res.reset();
  }
  // Back to the state of a connection between requests (the chunked decoder stays made).
  void reset() {
    pending = Buffer();
    lastLen = 0;
    dropRequest();
    clBody = ContentLengthBody();
    bodyReceived = 0;
    drainWaiters.clear();
    bodyKind = BodyKind::kNone;
    bodyDone = true;
    responseQueued = true;
    onEnd = onDrain = 0;
  }
  // Holds nothing of any request: what a block must be when it goes back to the free list.
  bool blank() const {
    return pending.empty() && lastLen == 0 && !req && !res && clBody.remaining == 0 &&
           bodyReceived == 0 && drainWaiters.empty() && bodyKind == BodyKind::kNone && bodyDone &&
           responseQueued && onEnd == 0 && onDrain == 0;
  }
};

using WorkList = evnode::detail::Recycler<Connection::Work>;

Connection::Connection(Server* server, SocketPtr socket)
    : server_(server), socket_(std::move(socket)) {
  lastActivity_ = now();
}

Connection::~Connection() {
  // Never leaves bytes of its own corked (a handler threw through process()).
  net::internal::dropCorkedOutput(*socket_);
  if (work_) {
    work_->reset();
    WorkList::give(std::move(work_));
  }
}

Connection* Connection::start(Server* server, const SocketPtr& socket, bool plainTcp) {
  auto* c = new Connection(server, socket);
  Ref keep(c);
  c->plainTcp_ = plainTcp;
  // Reads, an error (a reset peer: the `close` that follows cleans up) and `close` come as
  // calls. The connection's own reference is given up on `close` or when the socket is handed
  // over (detach()).
  c->refs_.add();
  net::internal::setConsumer(*socket, c);
  server->state_->add(server, c);
  if (server->opts_.timeout) {
    socket->setTimeout(server->opts_.timeout);
    c->watchSocketTimeout();
  }
  return c;
}

void Connection::watchSocketTimeout(net::Socket& socket) {
  // The HTTP connection is the socket's consumer while it serves it (not after a hand-over).
  if (auto* c = dynamic_cast<Connection*>(net::internal::consumerOf(socket))) {
    c->watchSocketTimeout();
  }
}

void Connection::watchSocketTimeout() {
  if (timeoutListener_ || phase_ == Phase::kClosed) return;
  timeoutListener_ = socket_->on(net::Socket::Events::timeout, [this] { onSocketTimeout(); });
}

void Connection::onSocketTimeout() {
  // As Node's server: the request (while its body is still coming), the response and the
  // server are told; if none of them listens, the socket goes.
  Ref keep(this);
  RequestPtr req = work_ ? work_->req : nullptr;
  ResponsePtr res = work_ ? work_->res : nullptr;
  bool heard = false;
  if (req && !req->complete) heard |= req->emit(IncomingMessage::Events::timeout);
  if (res) heard |= res->emit(ServerResponse::Events::timeout);
  heard |= server_->emit(Server::Events::timeout, socket_);
  if (!heard) socket_->destroy();
}

Connection::Work& Connection::work() {
  if (!work_) work_ = WorkList::take();
  return *work_;
}

void Connection::releaseWorkIfIdle() {
  Work* w = work_.get();
  if (!w || w->req || w->res || !w->pending.empty() || !w->drainWaiters.empty() || w->onEnd ||
      w->onDrain) {
    return;
  }
  w->reset();  // a few stores: what goes back to the list is a blank block (Recycler checks)
  WorkList::give(std::move(work_));
}

bool Connection::idle() const {
  return phase_ == Phase::kHead && (!work_ || (!work_->res && work_->pending.empty()));
}

void Connection::listenForDrain() {
  Work& w = work();
  if (!w.onDrain) w.onDrain = socket_->once(Writable::Events::drain, [this] { onDrain(); });
}

void Connection::waitForDrain(WriteCallback cb) {
  work().drainWaiters.push_back(cb);
  listenForDrain();
}

void Connection::onDrain() {
  // The listener is gone (once); it is added again if a waiter has to wait once more.
  if (!work_) return;
  Ref keep(this);  // a waiter may end a response, and the next request may hand the socket over
  work_->onDrain = 0;
  if (pausedForOutput_) {
    pausedForOutput_ = false;
    if (!pausedForBody_ && phase_ != Phase::kClosed) socket_->resume();
  }
  auto waiters = std::move(work_->drainWaiters);
  work_->drainWaiters.clear();
  for (auto& cb : waiters) cb();
}

void Connection::onEnd() {
  // The client finished sending. A half-received request can never complete.
  Work* w = work_.get();
  if (phase_ == Phase::kBody && w && !w->bodyDone && w->req) {
    Ref keep(this);
    RequestPtr req = w->req;
    req->aborted = true;
    req->emit(IncomingMessage::Events::aborted);
    req->destroy(Error("ECONNRESET", "aborted"));
  }
}

void Connection::onClose() {
  // The consumer's reference (the socket detached us), let go when this returns.
  Ref drop = Ref::adopt(this);
  phase_ = Phase::kClosed;
  server_->state_->remove(this);
  if (!work_) return;
  // The socket drops every listener after `close`: nothing to remove.
  work_->onEnd = work_->onDrain = 0;
  RequestPtr req = std::move(work_->req);
  ResponsePtr res = std::move(work_->res);
  work_->reset();
  if (req) req->onRead_ = nullptr;
  if (req && !req->complete && !req->destroyed()) {
    req->aborted = true;
    req->emit(IncomingMessage::Events::aborted);
    req->destroy(Error("ECONNRESET", "aborted"));
  }
  if (res) {
    ResponseInternal::detach(*res);
    if (!res->writableFinished() && !res->destroyed()) res->destroy();
  }
  releaseWorkIfIdle();
}

void Connection::detach() {
  if (work_) {
    if (work_->req) work_->req->onRead_ = nullptr;
    if (work_->onEnd) socket_->off(net::Socket::Events::end, work_->onEnd);
    if (work_->onDrain) socket_->off(net::Socket::Events::drain, work_->onDrain);
    work_->onEnd = work_->onDrain = 0;
  }
  if (timeoutListener_) socket_->off(net::Socket::Events::timeout, timeoutListener_);
  timeoutListener_ = 0;
  net::internal::setConsumer(*socket_, nullptr);
  server_->state_->remove(this);
  phase_ = Phase::kClosed;
  Ref::adopt(this);  // the consumer's reference goes: callers hold one of their own (handOver)
}

void Connection::onData(const Buffer& chunk) {
  if (phase_ == Phase::kClosed) return;
  lastActivity_ = now();
  Work& w = work();
  if (w.pending.empty()) {
    if (phase_ == Phase::kHead) w.headStart = lastActivity_;
    w.pending = chunk;  // zero-copy: views into the read slab
  } else {
    w.pending = Buffer::concat({w.pending, chunk});
  }
  process();
}

void Connection::process() {
  // Responses may be queued from inside a handler we called: the outer call keeps going.
  if (processing_) {
    again_ = true;
    return;
  }
  processing_ = true;
  Ref keep(this);
  do {
    again_ = false;
    while (phase_ != Phase::kClosed && work_) {
      if (phase_ == Phase::kBody || phase_ == Phase::kDiscard) {
        if (!feedBody()) break;
        continue;
      }
      // kHead: the next request waits until the current response is queued (order).
      if (work_->res && !work_->responseQueued) break;
      if (work_->pending.empty()) break;
      if (!parseHead()) break;
    }
  } while (again_ && phase_ != Phase::kClosed);
  processing_ = false;
  flushOutput();
  // A pipelining client that does not read its answers: stop reading its requests until they
  // drain (as Node does), instead of queuing answers without bound.
  if (!pausedForOutput_ && phase_ != Phase::kClosed && socket_->writableNeedDrain()) {
    pausedForOutput_ = true;
    socket_->pause();
    listenForDrain();
  }
  // Too much unprocessed input while we wait for a response: stop reading until it is done.
  if (phase_ == Phase::kHead && work_ && work_->res && !work_->responseQueued &&
      work_->pending.length() > 64 * 1024) {
    socket_->pause();
    pausedForBody_ = true;
  }
  releaseWorkIfIdle();
}

bool Connection::parseHead() {
  const ServerOptions& o = server_->opts_;
  Work& w = *work_;
  Limits limits;
  limits.maxHeaderSize = o.maxHeaderSize;
  limits.maxHeadersCount = o.maxHeadersCount;
  RequestHead& head = w.head;
  std::ptrdiff_t n = parseRequest(w.pending.view(), head, headerScratch(o), limits, w.lastLen);
  if (n == kIncomplete) {
    w.lastLen = w.pending.length();
    return false;
  }
  w.lastLen = 0;
  if (n < 0) {
    Error err(std::string(parseErrorName(head.error)),
              "Parse Error: " + std::string(parseErrorReason(head.error)));
    clientError(err, parseErrorStatus(head.error));
    return false;
  }
  startRequest(head, static_cast<std::size_t>(n));
  return true;
}

void Connection::startRequest(RequestHead& head, std::size_t headLen) {
  const ServerOptions& o = server_->opts_;
  Work& w = *work_;
  auto req =
      std::allocate_shared<IncomingMessage>(evnode::detail::CacheAllocator<IncomingMessage>());
  setString(req->method, head.method);
  setString(req->url, head.target);
  req->httpVersionMajor = head.versionMajor;
  req->httpVersionMinor = head.versionMinor;
  if (head.versionMinor == 0) req->httpVersion = "1.0";  // "1.1" by default
  req->headers.joinDuplicates(o.joinDuplicateHeaders);
  HeaderStorage::assign(req->headers, head.headers);
  req->socket = socket_;
  // Every view into the head (`head.method`, its fields) dies with the bytes it points into:
  // when the head was assembled from several reads, `pending` is its only owner, and the next
  // reset or concatenation of `pending` frees it. So nothing below reads `head`'s views, only
  // what was copied from them (req->method) and the parser's plain values; the head's bytes
  // are kept until this request has been handed out all the same, so that a view read by
  // mistake is still a correct read, never a use after free: by `headBytes` when the head is
  // all that was pending, by `pending` itself (moved past the head in place: no reference
  // counted) when more requests follow in the same bytes.
  Buffer headBytes;
  if (headLen == w.pending.length()) {
    headBytes = std::move(w.pending);
    w.pending = Buffer();
  } else {
    w.pending.consume(headLen);
  }
  head.method = head.target = {};
  head.headers = {};
  if (requests_ != UINT32_MAX) ++requests_;
  w.requestStart = lastActivity_;  // the loop's time now (see process's callers)
  w.bodyReceived = 0;

  w.bodyKind = head.body;
  w.bodyDone = w.bodyKind == BodyKind::kNone ||
               (w.bodyKind == BodyKind::kContentLength && head.contentLength == 0);
  if (w.bodyKind == BodyKind::kContentLength) w.clBody.remaining = head.contentLength;
  if (w.bodyKind == BodyKind::kChunked) {
    if (!w.chunked) {
      Limits limits;
      limits.maxHeaderSize = o.maxHeaderSize;
      limits.maxHeadersCount = o.maxHeadersCount;
      w.chunked = std::make_unique<Chunked>(limits);
    } else {
      w.chunked->decoder.limits.maxHeaderSize = o.maxHeaderSize;
      w.chunked->decoder.limits.maxHeadersCount = o.maxHeadersCount;
    }
    w.chunked->decoder.reset();
  }
  if (w.bodyDone) {
    req->complete = true;
    req->endOnRead_ = true;  // its end is pushed when the handler reads it, if ever
  }

  // CONNECT and Upgrade hand the socket over; nothing after the head is HTTP any more.
  if (std::string_view(req->method) == "CONNECT") {  // (a view: lengths compared first)
    if (!handOver(Server::Events::connect, req)) {
      phase_ = Phase::kClosed;  // nobody takes the tunnel: nothing after it is read
      socket_->destroy();
    }
    return;
  }
  if (head.upgrade && server_->listenerCount(Server::Events::upgrade) > 0) {
    handOver(Server::Events::upgrade, req);
    return;
  }

  auto res = ResponseInternal::make(req, socket_, this);
  ResponseInternal::setup(
      *res, *req, head, o,
      closeAfterResponse || (o.maxRequestsPerSocket && requests_ >= o.maxRequestsPerSocket));
  w.req = req;
  w.res = res;
  w.responseQueued = false;
  phase_ = w.bodyDone ? Phase::kHead : Phase::kBody;
  if (!w.bodyDone) {
    // The consumer wants more body: resume a socket paused for backpressure. A plain pointer
    // (no allocation): the hook is cleared when the body completes or the connection goes.
    req->onRead_ = [this] { resumeReading(); };
    // A client that stops sending half way through the body aborts the request.
    w.onEnd = socket_->on(net::Socket::Events::end, [this] { onEnd(); });
  }

  if (head.expectContinue) {
    if (server_->listenerCount(Server::Events::checkContinue) > 0) {
      server_->emit(Server::Events::checkContinue, req, res);
    } else {
      res->writeContinue();
      server_->emit(Server::Events::request, req, res);
    }
  } else if (head.expectOther) {
    if (server_->listenerCount(Server::Events::checkExpectation) > 0) {
      server_->emit(Server::Events::checkExpectation, req, res);
    } else {
      res->statusCode = 417;
      res->end();
    }
  } else {
    server_->emit(Server::Events::request, req, res);
  }
}

void Connection::resumeReading() {
  if (pausedForBody_) {
    pausedForBody_ = false;
    // The client could not send while we did not read: its body's idle time starts again.
    lastActivity_ = now();
    if (!pausedForOutput_) socket_->resume();
  }
}

bool Connection::handOver(const Event<const RequestPtr&, const SocketPtr&, const Buffer&>& ev,
                          const RequestPtr& req) {
  if (server_->listenerCount(ev) == 0) return false;
  Buffer rest = std::move(work_->pending);
  work_->pending = Buffer();
  Ref keep(this);
  flushOutput();  // the answers to the requests before it go first
  SocketPtr sock = socket_;
  detach();
  sock->resetFlowing();  // the new owner's `data` listener starts the flow
  server_->emit(ev, req, sock, rest);
  return true;
}

bool Connection::feedBody() {
  Work& w = *work_;
  if (w.pending.empty()) return false;
  const bool discard = phase_ == Phase::kDiscard;
  auto deliver = [&](std::size_t offset, std::size_t len) {
    if (discard || !w.req || len == 0) return;
    if (!w.req->push(w.pending.slice(static_cast<std::int64_t>(offset),
                                     static_cast<std::int64_t>(offset + len)))) {
      // The handler is not keeping up: stop reading the socket until it reads (backpressure).
      socket_->pause();
      pausedForBody_ = true;
    }
  };
  if (w.bodyKind == BodyKind::kContentLength) {
    std::string_view data = w.clBody.take(w.pending.view());
    w.bodyReceived += data.size();
    deliver(0, data.size());
    w.pending = w.pending.slice(static_cast<std::int64_t>(data.size()));
    if (w.clBody.done()) bodyComplete();
    return w.bodyDone;
  }
  // Chunked.
  ChunkedDecoder& decoder = w.chunked->decoder;
  std::string_view in = w.pending.view();
  std::size_t offset = 0;
  while (offset < in.size()) {
    auto r = decoder.decode(in.substr(offset));
    if (decoder.failed()) {
      Error err(std::string(parseErrorName(decoder.error)),
                "Parse Error: " + std::string(parseErrorReason(decoder.error)));
      clientError(err, parseErrorStatus(decoder.error));
      return false;
    }
    if (!r.data.empty())
      deliver(static_cast<std::size_t>(r.data.data() - in.data()), r.data.size());
    offset += r.consumed;
    if (decoder.done() || r.consumed == 0) break;
  }
  if (decoder.done() && w.req) {
    for (const Header& h : decoder.trailers()) w.req->trailers.add(h.name, h.value);
  }
  w.bodyReceived += offset;  // framing included: what the client sent counts toward its rate
  w.pending = w.pending.slice(static_cast<std::int64_t>(offset));
  if (decoder.done()) bodyComplete();
  return w.bodyDone;
}

void Connection::bodyComplete() {
  Work& w = *work_;
  w.bodyDone = true;
  if (w.onEnd) {
    socket_->off(net::Socket::Events::end, w.onEnd);
    w.onEnd = 0;
  }
  if (w.req) w.req->onRead_ = nullptr;
  phase_ = Phase::kHead;
  w.headStart = now();
  if (w.req && !w.req->complete) {
    w.req->complete = true;
    w.req->push(nullptr);
  }
  resumeReading();
  if (w.responseQueued) w.dropRequest();
}

void Connection::onResponseQueued(ServerResponse* res) {
  Work* w = work_.get();
  if (!w || res != w->res.get()) return;
  w->responseQueued = true;
  // keepAliveTimeout counts from the end of the response, not from the request's last bytes:
  // a slow handler must not shorten the client's idle window.
  lastActivity_ = now();
  // closeAfterResponse: the server was closed while this response was in flight.
  if (ResponseInternal::closesConnection(*res) || closeAfterResponse) {
    closeAfterLastResponse(w->bodyDone);
    return;
  }
  if (!w->bodyDone) {
    // Answered before the body was read: Node dumps the rest unless the handler is reading it.
    if (w->req && w->req->listenerCount(Readable::Events::data) == 0 &&
        !w->req->readableFlowing().value_or(false)) {
      phase_ = Phase::kDiscard;
      resumeReading();
    }
  } else {
    w->dropRequest();
  }
  if (phase_ == Phase::kHead) resumeReading();
  process();
}

void Connection::closeAfterLastResponse(bool requestDone) {
  // Everything of the response is queued; the FIN follows it. Nothing more is read.
  phase_ = Phase::kClosed;
  flushOutput();
  if (plainTcp_ && requestDone && socket_->writableLength() == 0) {
    // All of it is in the kernel already and the client sends nothing more: closing the socket
    // now sends it, then the FIN, as end() would, without a shutdown(2) call, its loop turn and
    // the listener that waits for it. (A TLS socket must end() to send its close_notify; a
    // backed-up one must drain first; a body still coming is read and dropped meanwhile.)
    socket_->destroy();
  } else {
    socket_->destroySoon();
  }
}

void Connection::clientError(const Error& err, int status) {
  phase_ = Phase::kClosed;
  if (work_) work_->pending = Buffer();
  Ref keep(this);
  flushOutput();  // answers to the good requests before the bad one
  if (server_->listenerCount(Server::Events::clientError) > 0) {
    server_->emit(Server::Events::clientError, err, socket_);
    return;
  }
  // Never write into the middle of a response already on its way.
  if (socket_->writable() && (!work_ || !work_->res || !work_->res->headersSent())) {
    std::string line = "HTTP/1.1 " + std::to_string(status) + " " +
                       std::string(STATUS_CODES(status)) + "\r\nConnection: close\r\n\r\n";
    socket_->write(Buffer::from(line));
    // The request in flight got this status instead of its response (a stalled body's 408):
    // the response says so, for a log that reads it once the response closes.
    if (work_ && work_->res) work_->res->statusCode = status;
  }
  socket_->destroySoon();
}

void Connection::closeIfIdle() {
  if (phase_ != Phase::kClosed && idle()) socket_->destroy();
}

void Connection::checkTimeouts(std::uint64_t t) {
  const ServerOptions& o = server_->opts_;
  // A client that does not read what it asked for holds a socket (and for a file, its
  // descriptor) as long as it likes: checked in every phase, a closing connection included.
  if (o.sendTimeout && sendStalled()) {
    socket_->destroy();
    return;
  }
  if (phase_ == Phase::kClosed) return;
  Work* w = work_.get();
  const bool inFlight = w && w->res && !w->responseQueued;
  if (!inFlight && phase_ == Phase::kHead) {
    if (pausedForOutput_ || net::internal::outputWaiting(*socket_)) {
      // Answers are still going out (a pipelining client that reads them slowly): the
      // connection is neither idle nor slow to send a head (it cannot send while we do not
      // read). Its windows start again once the answers are out; sendTimeout bounds a client
      // that takes nothing. (Destroyed here, it lost the answers already queued.)
      lastActivity_ = t;
      if (w) w->headStart = t;
      return;
    }
    const bool partialHead = w && !w->pending.empty();
    if (partialHead || requests_ == 0) {
      // Receiving a head (or waiting for the first one): headersTimeout (slowloris).
      const std::uint64_t since = partialHead ? w->headStart : lastActivity_;
      if (o.headersTimeout && t - since >= o.headersTimeout) {
        clientError(Error("ERR_HTTP_REQUEST_TIMEOUT", "Request timeout"), 408);
      }
    } else if (o.keepAliveTimeout && t - lastActivity_ >= o.keepAliveTimeout) {
      socket_->destroy();  // idle keep-alive connection
    }
    return;
  }
  // A body still coming, whether the handler reads it or it is discarded after the answer.
  const bool receiving = w && !w->bodyDone && (phase_ == Phase::kBody || phase_ == Phase::kDiscard);
  if (!receiving) return;
  if ((o.requestTimeout && t - w->requestStart >= o.requestTimeout) || bodyStalled(t)) {
    clientError(Error("ERR_HTTP_REQUEST_TIMEOUT", "Request timeout"), 408);
  }
}

bool Connection::bodyStalled(std::uint64_t t) const {
  const ServerOptions& o = server_->opts_;
  if (!o.bodyTimeout || pausedForBody_ || pausedForOutput_) return false;  // we stopped reading
  if (t - lastActivity_ >= o.bodyTimeout) return true;
  const std::uint64_t elapsed = t - work_->requestStart;
  return o.bodyMinRate && elapsed >= (o.bodyMinRateGrace ? o.bodyMinRateGrace : o.bodyTimeout) &&
         work_->bodyReceived * 1000 < o.bodyMinRate * elapsed;
}

bool Connection::sendStalled() {
  const auto written = static_cast<std::uint32_t>(socket_->bytesWritten());
  if (!net::internal::outputWaiting(*socket_) || written != writtenMark_) {
    writtenMark_ = written;
    stalledChecks_ = 0;
    return false;
  }
  if (stalledChecks_ != UINT16_MAX) ++stalledChecks_;
  // Checks come every connectionsCheckingInterval: this many in a row saw no byte taken.
  const std::uint64_t interval =
      std::max<std::uint64_t>(server_->opts_.connectionsCheckingInterval, 1);
  return stalledChecks_ * interval >= server_->opts_.sendTimeout;
}

}  // namespace evnode::http
