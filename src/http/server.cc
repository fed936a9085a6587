// http::Server and its connections: request parsing, pipelining, body delivery with
// backpressure, Expect/CONNECT/Upgrade, client errors and timeouts.
#include <algorithm>
#include <cstring>

#include "evnode/loop.h"
#include "http/connection.h"
#include "http/output.h"
#include "http/pool.h"
#include "http/response_internal.h"

namespace evnode::http {

namespace {
struct MakeServer : Server {
  explicit MakeServer(ServerOptions o) : Server(std::move(o)) {}
};

net::ServerOptions netOptions(const ServerOptions& o) {
  net::ServerOptions n;
  n.noDelay = o.noDelay;
  return n;
}

std::uint64_t now() { return Loop::current().now(); }

// Storage for the fields of the head being parsed. A head is parsed and copied into its
// IncomingMessage in one synchronous step, so one array per thread serves every connection:
// an idle keep-alive connection carries no header storage.
std::span<Header> headerScratch(const ServerOptions& o) {
  thread_local std::vector<Header> store;
  // A field line takes at least 4 bytes ("a:\r\n") and a head is parsed within maxHeaderSize
  // bytes, so this many entries never cut a head short of maxHeadersCount.
  std::size_t want = std::min(o.maxHeadersCount, o.maxHeaderSize / 4 + 1);
  if (store.size() < want) store.resize(want);
  return std::span<Header>(store.data(), want);
}
}  // namespace

Server::Server(ServerOptions opts)
    : net::Server(netOptions(opts)), opts_(std::move(opts)), state_(std::make_unique<State>()) {}

Server::Server(ServerOptions opts, const net::ServerOptions& listenOpts)
    : net::Server(listenOpts), opts_(std::move(opts)), state_(std::make_unique<State>()) {}

Server::~Server() = default;

std::shared_ptr<Server> Server::create(ServerOptions opts) {
  auto s = std::make_shared<MakeServer>(std::move(opts));
  Server* raw = s.get();
  s->on(net::Server::Events::connection,
        [raw](const SocketPtr& sock) { Connection::start(raw, sock); });
  return s;
}

std::shared_ptr<Server> createServer(
    std::function<void(const RequestPtr&, const ResponsePtr&)> listener) {
  return createServer(ServerOptions{}, std::move(listener));
}

std::shared_ptr<Server> createServer(
    ServerOptions opts, std::function<void(const RequestPtr&, const ResponsePtr&)> listener) {
  auto s = Server::create(std::move(opts));
  if (listener) s->on(Server::Events::request, std::move(listener));
  return s;
}

void Server::closeIdleConnections() {
  auto conns = state_->connections;  // closing edits the list
  for (Connection* c : conns) c->closeIfIdle();
}

void Server::closeAllConnections() {
  auto conns = state_->connections;
  for (Connection* c : conns) c->destroy();
}

Server& Server::close(std::function<void(const Error&)> cb) {
  net::Server::close(std::move(cb));
  state_->closing = true;
  for (Connection* c : state_->connections) c->closeAfterResponse = true;
  closeIdleConnections();
  return *this;
}

void Server::serveConnection(const SocketPtr& socket) {
  if (!socket || socket->destroyed()) return;
  Connection* c = Connection::start(this, socket);
  // A connection handed over after close() (its TLS handshake was still running) answers
  // what it was sent, then closes.
  if (state_->closing) c->closeAfterResponse = true;
}

void Server::State::add(Server* server, Connection* c) {
  c->index = connections.size();
  connections.push_back(c);
  if (!checker) {
    // One timer per server walks every connection (Node's connectionsCheckingInterval), so an
    // idle connection costs no timer of its own.
    checker = setInterval(
        [server] {
          std::uint64_t t = now();
          auto conns = server->state_->connections;
          for (Connection* conn : conns) conn->checkTimeouts(t);
        },
        std::max<std::uint64_t>(1, server->opts_.connectionsCheckingInterval));
    checker->unref();
  }
}

void Server::State::remove(Connection* c) {
  std::size_t i = c->index;
  if (i >= connections.size() || connections[i] != c) return;
  connections[i] = connections.back();
  connections[i]->index = i;
  connections.pop_back();
  if (connections.empty() && checker) {
    checker->close();
    checker.reset();
  }
}

Connection::Connection(Server* server, SocketPtr socket)
    : server_(server), socket_(std::move(socket)) {
  lastActivity_ = headStart_ = now();
}

Connection::~Connection() {
  // Never left as the owner of bytes nobody will write (a handler threw through process()).
  OutputBatch& batch = OutputBatch::get();
  if (batch.owner == this) {
    batch.owner = nullptr;
    batch.bytes.clear();
  }
}

std::string& Connection::output() {
  OutputBatch& batch = OutputBatch::get();
  if (batch.owner != this) {
    if (batch.owner) batch.owner->flushOutput();
    batch.owner = this;
  }
  return batch.bytes;
}

void Connection::flushOutput(const Buffer* then) {
  OutputBatch& batch = OutputBatch::get();
  const bool mine = batch.owner == this;
  if (!mine && !then) return;
  // Straight to the stream's write (no auto-cork tick): the batch is the coalesced write
  // already. A socket already gone takes nothing (see ServerResponse::sendBody).
  const bool live = !socket_->destroyed() && socket_->writable();
  if (live && then) socket_->cork();
  if (mine) {
    batch.owner = nullptr;
    if (live && !batch.bytes.empty()) socket_->Writable::write(outputBuffer(batch.bytes));
    batch.bytes.clear();
  }
  if (live && then) {
    socket_->Writable::write(*then);
    socket_->uncork();  // one writev: the batch, then the body
  }
}

Connection* Connection::start(Server* server, const SocketPtr& socket) {
  auto c = std::make_shared<Connection>(server, socket);
  // The socket's listeners own the connection; they are dropped when the socket closes.
  c->onData_ =
      socket->on(net::Socket::Events::data, [c](const Buffer& chunk) { c->onData(chunk); });
  c->onDrain_ = socket->on(net::Socket::Events::drain, [c] {
    auto waiters = std::move(c->drainWaiters_);
    c->drainWaiters_.clear();
    for (auto& cb : waiters) cb();
  });
  c->onEnd_ = socket->on(net::Socket::Events::end, [c] {
    // The client finished sending. A half-received request can never complete.
    if (c->phase_ == Phase::kBody && !c->bodyDone_) {
      if (c->req_) {
        c->req_->aborted = true;
        c->req_->emit(IncomingMessage::Events::aborted);
        c->req_->destroy(Error("ECONNRESET", "aborted"));
      }
    }
  });
  c->onError_ = socket->on(net::Socket::Events::error, [](const Error&) {
    // A reset peer: the close that follows cleans up.
  });
  c->onClose_ = socket->on(net::Socket::Events::close, [c] { c->onClose(); });
  server->state_->add(server, c.get());
  return c.get();
}

void Connection::onClose() {
  phase_ = Phase::kClosed;
  server_->state_->remove(this);
  if (req_) req_->onRead = nullptr;
  if (req_ && !req_->complete && !req_->destroyed()) {
    req_->aborted = true;
    req_->emit(IncomingMessage::Events::aborted);
    req_->destroy(Error("ECONNRESET", "aborted"));
  }
  if (res_) {
    ResponseInternal::detach(*res_);
    if (!res_->writableFinished() && !res_->destroyed()) res_->destroy();
  }
  drainWaiters_.clear();
  req_.reset();
  res_.reset();
}

void Connection::detach() {
  if (req_) req_->onRead = nullptr;
  socket_->off(net::Socket::Events::data, onData_);
  socket_->off(net::Socket::Events::drain, onDrain_);
  socket_->off(net::Socket::Events::end, onEnd_);
  socket_->off(net::Socket::Events::error, onError_);
  socket_->off(net::Socket::Events::close, onClose_);
  server_->state_->remove(this);
  phase_ = Phase::kClosed;
}

void Connection::onData(const Buffer& chunk) {
  if (phase_ == Phase::kClosed) return;
  lastActivity_ = now();
  if (pending_.empty()) {
    if (phase_ == Phase::kHead) headStart_ = lastActivity_;
    pending_ = chunk;  // zero-copy: views into the read slab
  } else {
    pending_ = Buffer::concat({pending_, chunk});
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
  auto keep = shared_from_this();
  do {
    again_ = false;
    while (phase_ != Phase::kClosed) {
      if (phase_ == Phase::kBody || phase_ == Phase::kDiscard) {
        if (!feedBody()) break;
        continue;
      }
      // kHead: the next request waits until the current response is queued (order).
      if (res_ && !responseQueued_) break;
      if (pending_.empty()) break;
      if (!parseHead()) break;
    }
  } while (again_ && phase_ != Phase::kClosed);
  processing_ = false;
  flushOutput();
  // Too much unprocessed input while we wait for a response: stop reading until it is done.
  if (phase_ == Phase::kHead && res_ && !responseQueued_ && pending_.length() > 64 * 1024) {
    socket_->pause();
    pausedForBody_ = true;
  }
}

bool Connection::parseHead() {
  const ServerOptions& o = server_->opts_;
  Limits limits;
  limits.maxHeaderSize = o.maxHeaderSize;
  limits.maxHeadersCount = o.maxHeadersCount;
  RequestHead head;
  std::ptrdiff_t n = parseRequest(pending_.view(), head, headerScratch(o), limits, lastLen_);
  if (n == kIncomplete) {
    lastLen_ = pending_.length();
    return false;
  }
  lastLen_ = 0;
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
  auto req = std::allocate_shared<IncomingMessage>(PoolAllocator<IncomingMessage>());
  req->method.assign(head.method);
  req->url.assign(head.target);
  req->httpVersionMajor = head.versionMajor;
  req->httpVersionMinor = head.versionMinor;
  if (head.versionMinor == 0) req->httpVersion = "1.0";  // "1.1" by default
  req->headers.joinDuplicates(o.joinDuplicateHeaders);
  req->headers.reserve(head.headers.size());
  for (const Header& h : head.headers) req->headers.add(h.name, h.value);
  req->socket = socket_;
  pending_ = pending_.slice(static_cast<std::int64_t>(headLen));
  ++requests_;
  requestStart_ = now();

  bodyKind_ = head.body;
  bodyDone_ = bodyKind_ == BodyKind::kNone ||
              (bodyKind_ == BodyKind::kContentLength && head.contentLength == 0);
  if (bodyKind_ == BodyKind::kContentLength) clBody_.remaining = head.contentLength;
  if (bodyKind_ == BodyKind::kChunked) {
    if (!chunked_) {
      Limits limits;
      limits.maxHeaderSize = o.maxHeaderSize;
      limits.maxHeadersCount = o.maxHeadersCount;
      chunked_ = std::make_unique<Chunked>(limits);
    }
    chunked_->decoder.reset();
  }
  if (bodyDone_) {
    req->complete = true;
    req->push(nullptr);
  }

  // CONNECT and Upgrade hand the socket over; nothing after the head is HTTP any more.
  if (req->method == "CONNECT") {
    if (!handOver(Server::Events::connect, req)) socket_->destroy();
    return;
  }
  if (head.upgrade && server_->listenerCount(Server::Events::upgrade) > 0) {
    handOver(Server::Events::upgrade, req);
    return;
  }

  auto res = ResponseInternal::make(req, socket_, this);
  ResponseInternal::setup(
      *res, head, o,
      closeAfterResponse || (o.maxRequestsPerSocket && requests_ >= o.maxRequestsPerSocket));
  req_ = req;
  res_ = res;
  responseQueued_ = false;
  phase_ = bodyDone_ ? Phase::kHead : Phase::kBody;
  if (!bodyDone_) {
    // The consumer wants more body: resume a socket paused for backpressure. A plain pointer
    // (no allocation): the hook is cleared when the body completes or the connection goes.
    req->onRead = [this] {
      if (pausedForBody_) {
        pausedForBody_ = false;
        socket_->resume();
      }
    };
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

bool Connection::handOver(const Event<const RequestPtr&, const SocketPtr&, const Buffer&>& ev,
                          const RequestPtr& req) {
  if (server_->listenerCount(ev) == 0) return false;
  Buffer rest = pending_;
  pending_ = Buffer();
  auto keep = shared_from_this();
  flushOutput();  // the answers to the requests before it go first
  SocketPtr sock = socket_;
  detach();
  sock->resetFlowing();  // the new owner's `data` listener starts the flow
  server_->emit(ev, req, sock, rest);
  return true;
}

bool Connection::feedBody() {
  if (pending_.empty()) return false;
  const bool discard = phase_ == Phase::kDiscard;
  auto deliver = [&](std::size_t offset, std::size_t len) {
    if (discard || !req_ || len == 0) return;
    if (!req_->push(pending_.slice(static_cast<std::int64_t>(offset),
                                   static_cast<std::int64_t>(offset + len)))) {
      // The handler is not keeping up: stop reading the socket until it reads (backpressure).
      socket_->pause();
      pausedForBody_ = true;
    }
  };
  if (bodyKind_ == BodyKind::kContentLength) {
    std::string_view data = clBody_.take(pending_.view());
    deliver(0, data.size());
    pending_ = pending_.slice(static_cast<std::int64_t>(data.size()));
    if (clBody_.done()) bodyComplete();
    return bodyDone_;
  }
  // Chunked.
  std::string_view in = pending_.view();
  std::size_t offset = 0;
  while (offset < in.size()) {
    auto r = chunked_->decoder.decode(in.substr(offset));
    if (chunked_->decoder.failed()) {
      Error err(std::string(parseErrorName(chunked_->decoder.error)),
                "Parse Error: " + std::string(parseErrorReason(chunked_->decoder.error)));
      clientError(err, parseErrorStatus(chunked_->decoder.error));
      return false;
    }
    if (!r.data.empty())
      deliver(static_cast<std::size_t>(r.data.data() - in.data()), r.data.size());
    offset += r.consumed;
    if (chunked_->decoder.done() || r.consumed == 0) break;
  }
  if (chunked_->decoder.done() && req_) {
    for (const Header& h : chunked_->decoder.trailers()) req_->trailers.add(h.name, h.value);
  }
  pending_ = pending_.slice(static_cast<std::int64_t>(offset));
  if (chunked_->decoder.done()) bodyComplete();
  return bodyDone_;
}

void Connection::bodyComplete() {
  bodyDone_ = true;
  if (req_) req_->onRead = nullptr;
  phase_ = Phase::kHead;
  headStart_ = now();
  if (req_ && !req_->complete) {
    req_->complete = true;
    req_->push(nullptr);
  }
  if (pausedForBody_) {
    pausedForBody_ = false;
    socket_->resume();
  }
  if (responseQueued_) {
    req_.reset();
    res_.reset();
  }
}

void Connection::onResponseQueued(ServerResponse* res) {
  if (res != res_.get()) return;
  responseQueued_ = true;
  // keepAliveTimeout counts from the end of the response, not from the request's last bytes:
  // a slow handler must not shorten the client's idle window.
  lastActivity_ = now();
  // closeAfterResponse: the server was closed while this response was in flight.
  if (ResponseInternal::closesConnection(*res) || closeAfterResponse) {
    // Everything of the response is queued; the FIN follows it. Nothing more is read.
    phase_ = Phase::kClosed;
    flushOutput();
    socket_->destroySoon();
    return;
  }
  if (!bodyDone_) {
    // Answered before the body was read: Node dumps the rest unless the handler is reading it.
    if (req_ && req_->listenerCount(Readable::Events::data) == 0 &&
        !req_->readableFlowing().value_or(false)) {
      phase_ = Phase::kDiscard;
      if (pausedForBody_) {
        pausedForBody_ = false;
        socket_->resume();
      }
    }
  } else {
    req_.reset();
    res_.reset();
  }
  if (pausedForBody_ && phase_ == Phase::kHead) {
    pausedForBody_ = false;
    socket_->resume();
  }
  process();
}

void Connection::clientError(const Error& err, int status) {
  phase_ = Phase::kClosed;
  pending_ = Buffer();
  auto keep = shared_from_this();
  flushOutput();  // answers to the good requests before the bad one
  if (server_->listenerCount(Server::Events::clientError) > 0) {
    server_->emit(Server::Events::clientError, err, socket_);
    return;
  }
  // Never write into the middle of a response already on its way.
  if (socket_->writable() && (!res_ || !res_->headersSent())) {
    std::string line = "HTTP/1.1 " + std::to_string(status) + " " +
                       std::string(STATUS_CODES(status)) + "\r\nConnection: close\r\n\r\n";
    socket_->write(Buffer::from(line));
  }
  socket_->destroySoon();
}

void Connection::closeIfIdle() {
  if (phase_ != Phase::kClosed && idle()) socket_->destroy();
}

void Connection::checkTimeouts(std::uint64_t t) {
  if (phase_ == Phase::kClosed) return;
  const ServerOptions& o = server_->opts_;
  bool inFlight = res_ && !responseQueued_;
  if (!inFlight && phase_ == Phase::kHead) {
    if (!pending_.empty() || requests_ == 0) {
      // Receiving a head (or waiting for the first one): headersTimeout (slowloris).
      if (o.headersTimeout && t - headStart_ >= o.headersTimeout) {
        clientError(Error("ERR_HTTP_REQUEST_TIMEOUT", "Request timeout"), 408);
      }
    } else if (o.keepAliveTimeout && t - lastActivity_ >= o.keepAliveTimeout) {
      socket_->destroy();  // idle keep-alive connection
    }
    return;
  }
  if (inFlight && !bodyDone_ && o.requestTimeout && t - requestStart_ >= o.requestTimeout) {
    clientError(Error("ERR_HTTP_REQUEST_TIMEOUT", "Request timeout"), 408);
  }
}

}  // namespace evnode::http
