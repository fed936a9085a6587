// ClientRequest: the request head and body going out (Content-Length or chunked), and the
// response coming back on the same socket (1xx, upgrade/CONNECT, body with backpressure), with
// Node's errors: "socket hang up" when the server closes before answering, "aborted" when it
// closes mid-body. A request on a reused keep-alive socket that dies before any response byte
// is sent again, once, on a new connection when its method is idempotent.
#include <algorithm>

#include "evnode/http.h"
#include "http/client_internal.h"
#include "http/header_rules.h"
#include "http/response_reader.h"

namespace evnode::http {

namespace {
// Runs `f` when the scope is left by an exception (disarmed on the normal path).
template <class F>
struct OnThrow {
  F f;
  bool armed = true;
  ~OnThrow() {
    if (armed) f();
  }
};
// Clang before 17 deduces no template arguments for an aggregate without a guide.
template <class F>
OnThrow(F) -> OnThrow<F>;

struct MakeRequest : ClientRequest {
  explicit MakeRequest(RequestOptions o) : ClientRequest(std::move(o)) {}
};

// Replay copies of a reused socket's request are kept up to this size.
constexpr std::size_t kMaxReplay = 1 << 20;

bool idempotent(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "PUT" || m == "DELETE" || m == "TRACE";
}

// Methods that send no body unless one is written (Node's useChunkedEncodingByDefault = false).
bool bodylessByDefault(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "DELETE" || m == "OPTIONS" || m == "TRACE" ||
         m == "CONNECT";
}

Error parseFailure(ParseError e) {
  return Error(std::string(parseErrorName(e)), "Parse Error: " + std::string(parseErrorReason(e)));
}
}  // namespace

struct ClientRequest::Impl {
  explicit Impl(ClientRequest* r, const RequestOptions& o) : req(r), reader(limitsOf(o)) {}
  static Limits limitsOf(const RequestOptions& o) {
    Limits l;
    l.maxHeaderSize = o.maxHeaderSize;
    return l;
  }

  ClientRequest* req;
  AgentPtr agent;
  ResponseReader reader;
  Buffer pending;                           // response bytes not processed yet
  std::vector<Buffer> queued;               // request bytes written before the socket came
  std::vector<WriteCallback> queuedCbs;     // their write callbacks, completed once sent
  std::vector<WriteCallback> drainWaiters;  // writes waiting for the socket's drain
  std::vector<Buffer> replay;               // what went out on a reused socket, for a retry
  ListenerId onData = 0, onEnd = 0, onClose = 0, onError = 0, onDrain = 0, onTimeout = 0;
  std::uint64_t timeoutMs = 0;
  std::optional<bool> noDelay;
  std::optional<std::pair<bool, std::uint64_t>> keepAlive;
  bool replayable = true;
  bool retried = false;
  bool finished = false;       // _final ran: every request byte is queued
  bool responseEnded = false;  // the response's `end` was emitted (or it had no body to read)
  bool gotResponse = false;    // a byte of the response arrived
  bool released = false;       // the socket went back to the agent or was handed over
  bool socketEmitted = false;

  void attach(const SocketPtr& s);
  void detach();
  void flushQueued();
  void send(std::vector<Buffer>& out, WriteCallback* cb);
  void onBytes(const Buffer& chunk);
  void process();
  void handleHead();
  void switchProtocols();
  void onSocketEnd();
  void onSocketGone(const Error& err);
  bool tryRetry();
  void maybeDone();
  void fail(const Error& err);
};

namespace {
// Not destroyed at `finish`: the request lives on until its response is done.
WritableOptions requestStreamOptions() {
  WritableOptions w;
  w.autoDestroy = false;
  return w;
}
}  // namespace

ClientRequest::ClientRequest(RequestOptions opts)
    : OutgoingMessage(requestStreamOptions()),
      opts_(std::move(opts)),
      impl_(std::make_unique<Impl>(this, opts_)) {}

ClientRequest::~ClientRequest() = default;

ClientRequest& ClientRequest::setTimeout(std::uint64_t ms, std::function<void()> cb) {
  if (cb) once(Events::timeout, std::move(cb));
  impl_->timeoutMs = ms;
  if (socket_ && !impl_->released) socket_->setTimeout(ms);
  return *this;
}

ClientRequest& ClientRequest::setNoDelay(bool noDelay) {
  impl_->noDelay = noDelay;
  if (socket_) socket_->setNoDelay(noDelay);
  return *this;
}

ClientRequest& ClientRequest::setSocketKeepAlive(bool enable, std::uint64_t initialDelayMs) {
  impl_->keepAlive = std::make_pair(enable, initialDelayMs);
  if (socket_) socket_->setKeepAlive(enable, initialDelayMs);
  return *this;
}

std::string ClientRequest::renderHead(std::size_t bodyBytes, bool knownLength) {
  bool hasLength = false, hasTe = false, hasConnection = false;
  for (const auto& [n, v] : headers_) {
    if (equalsIgnoreCase(n, "content-length")) {
      hasLength = true;
    } else if (equalsIgnoreCase(n, "transfer-encoding")) {
      hasTe = true;
      chunked_ = containsToken(v, "chunked");
    } else if (equalsIgnoreCase(n, "connection")) {
      hasConnection = true;
      if (containsToken(v, "close")) shouldKeepAlive_ = false;
    }
  }
  std::string out;
  out.reserve(64 + opts_.path.size() + headers_.size() * 48);
  out += opts_.method;
  out += ' ';
  out += opts_.path;
  out += " HTTP/1.1\r\n";
  for (const auto& [n, v] : headers_) {
    out += n;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  if (!hasConnection)
    out += shouldKeepAlive_ ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  if (!hasLength && !hasTe) {
    if (knownLength) {
      if (bodyBytes > 0 || !bodylessByDefault(opts_.method)) {
        out += "Content-Length: ";
        out += std::to_string(bodyBytes);
        out += "\r\n";
      }
    } else {
      chunked_ = true;
      out += "Transfer-Encoding: chunked\r\n";
    }
  }
  out += "\r\n";
  return out;
}

void ClientRequest::flushHeaders() {
  if (headerSent_) return;
  std::vector<Buffer> none;
  sendBody(none, false, nullptr);
}

ClientRequest& ClientRequest::end(Callback cb) {
  inEnd_ = true;
  Writable::end(std::move(cb));
  inEnd_ = false;
  return *this;
}

ClientRequest& ClientRequest::end(Buffer chunk, Callback cb) {
  inEnd_ = true;
  Writable::end(std::move(chunk), std::move(cb));
  inEnd_ = false;
  return *this;
}

void ClientRequest::_write(const Buffer& chunk, WriteCallback cb) {
  std::vector<Buffer> one{chunk};
  sendBody(one, false, &cb);
}

void ClientRequest::_writev(std::vector<Buffer>& chunks, WriteCallback cb) {
  sendBody(chunks, false, &cb);
}

void ClientRequest::_final(std::function<void(const Error&)> cb) {
  std::vector<Buffer> none;
  sendBody(none, true, nullptr);
  impl_->finished = true;
  cb({});
  impl_->maybeDone();
}

void ClientRequest::_destroy(const Error& err, std::function<void(const Error&)> cb) {
  Impl& im = *impl_;
  auto keep = self_;
  if (socket_ && !im.released) {
    // Destroyed by the user (or by a failure) while the socket is ours: the connection is in an
    // unknown state and cannot go back to the pool.
    SocketPtr s = socket_;
    im.detach();
    im.released = true;
    s->destroy();
  }
  if (im.agent && !socket_) im.agent->forget(this);
  // The request's error (a response that failed to parse, say) is queued before the response's
  // `aborted` error below, so whoever listens to both hears the cause first, as in Node: there
  // the request emits the parse error at once and the response is aborted when the socket has
  // closed.
  cb(err);
  if (res_ && !res_->complete && !res_->destroyed()) {
    res_->aborted = true;
    res_->emit(IncomingMessage::Events::aborted);
    res_->destroy(Error("ECONNRESET", "aborted"));
  }
  self_.reset();
}

// Queues the head (if not sent yet), the body chunks with their framing, and with `last` the end
// of the body. Completes `cb` once the bytes are on a socket that is not backed up.
void ClientRequest::sendBody(std::vector<Buffer>& chunks, bool last, WriteCallback* cb) {
  std::size_t total = 0;
  for (const auto& c : chunks) total += c.length();
  std::vector<Buffer> out;
  out.reserve(chunks.size() + 3);
  if (!headerSent_) {
    bool known = (inEnd_ && !hasBodyWrite_) || (last && !hasBodyWrite_);
    head_ = Buffer::from(renderHead(total, known));
    out.push_back(head_);
    headerSent_ = true;
  }
  if (!last && !inEnd_) hasBodyWrite_ = true;
  if (total > 0) {
    if (chunked_) {
      appendChunk(out, chunks, total);
    } else {
      for (auto& c : chunks) {
        if (!c.empty()) out.push_back(std::move(c));
      }
    }
  }
  if (last && chunked_) {
    std::string tail;
    appendLastChunk(tail, trailers_);
    out.push_back(Buffer::from(tail));
  }
  impl_->send(out, cb);
}

void ClientRequest::Impl::send(std::vector<Buffer>& out, WriteCallback* cb) {
  SocketPtr s = req->socket_;
  if (!s || released) {
    // No connection yet (or it is being replaced by a retry): hold the bytes, and the write
    // callback with them, so the request's own buffer applies backpressure meanwhile.
    for (auto& b : out) queued.push_back(std::move(b));
    if (cb) queuedCbs.push_back(*cb);
    return;
  }
  bool ok = true;
  if (!s->destroyed()) {
    for (auto& b : out) {
      if (req->reusedSocket && replayable) {
        replay.push_back(b);
        std::size_t n = 0;
        for (const auto& r : replay) n += r.length();
        if (n > kMaxReplay) {
          replayable = false;
          replay.clear();
        }
      }
      ok = s->write(std::move(b));
    }
  }
  if (!cb) return;
  if (ok) {
    (*cb)();
  } else {
    drainWaiters.push_back(*cb);
  }
}

void ClientRequest::Impl::flushQueued() {
  auto out = std::move(queued);
  queued.clear();
  auto cbs = std::move(queuedCbs);
  queuedCbs.clear();
  SocketPtr s = req->socket_;
  bool ok = true;
  for (auto& b : out) {
    if (req->reusedSocket && replayable) replay.push_back(b);
    ok = s->write(std::move(b));
  }
  for (auto& cb : cbs) {
    if (ok) {
      cb();
    } else {
      drainWaiters.push_back(cb);
    }
  }
}

void ClientRequest::onSocket(const SocketPtr& socket, bool reused) {
  Impl& im = *impl_;
  socket_ = socket;
  reusedSocket = reused;
  im.released = false;
  im.attach(socket);
  if (im.noDelay) socket->setNoDelay(*im.noDelay);
  if (im.keepAlive) socket->setKeepAlive(im.keepAlive->first, im.keepAlive->second);
  if (im.timeoutMs) socket->setTimeout(im.timeoutMs);
  im.flushQueued();
  if (!im.socketEmitted) {
    im.socketEmitted = true;
    nextTick([self = self_, socket] {
      if (self && !self->destroyed()) self->emit(Events::socket, socket);
    });
  }
}

void ClientRequest::Impl::attach(const SocketPtr& s) {
  reader.expect(req->opts_.method == "HEAD", req->opts_.method == "CONNECT");
  // The listeners hold the request: it lives while its socket does, until released.
  auto self = req->self_;
  onData = s->on(net::Socket::Events::data, [self](const Buffer& b) { self->impl_->onBytes(b); });
  onEnd = s->on(net::Socket::Events::end, [self] { self->impl_->onSocketEnd(); });
  onError =
      s->on(net::Socket::Events::error, [self](const Error& e) { self->impl_->onSocketGone(e); });
  onClose = s->on(net::Socket::Events::close, [self](bool) { self->impl_->onSocketGone({}); });
  onDrain = s->on(net::Socket::Events::drain, [self] {
    auto waiters = std::move(self->impl_->drainWaiters);
    self->impl_->drainWaiters.clear();
    for (auto& cb : waiters) cb();
  });
  onTimeout = s->on(net::Socket::Events::timeout, [self] { self->emit(Events::timeout); });
  s->resume();
}

void ClientRequest::Impl::detach() {
  SocketPtr s = req->socket_;
  if (!s) return;
  s->off(net::Socket::Events::data, onData);
  s->off(net::Socket::Events::end, onEnd);
  s->off(net::Socket::Events::error, onError);
  s->off(net::Socket::Events::close, onClose);
  s->off(net::Socket::Events::drain, onDrain);
  s->off(net::Socket::Events::timeout, onTimeout);
  // The write callbacks waiting for this socket's drain will not get it: complete them.
  auto waiters = std::move(drainWaiters);
  drainWaiters.clear();
  for (auto& cb : waiters) cb();
}

void ClientRequest::Impl::onBytes(const Buffer& chunk) {
  if (released) return;
  gotResponse = true;
  replay.clear();
  replayable = false;
  if (pending.empty()) {
    pending = chunk;
  } else {
    pending = Buffer::concat({pending, chunk});
  }
  process();
}

void ClientRequest::Impl::process() {
  auto keep = req->self_;
  while (!released) {
    switch (reader.next(pending)) {
      case ResponseReader::Step::kNeedMore:
        return;
      case ResponseReader::Step::kError:
        fail(parseFailure(reader.error()));
        return;
      case ResponseReader::Step::kHead:
        handleHead();
        break;
      case ResponseReader::Step::kBody: {
        const IncomingMessagePtr& res = req->res_;
        if (res && !res->destroyed() && !res->push(reader.body())) {
          req->socket_->pause();  // resumed by the response's _read (backpressure)
        }
        break;
      }
      case ResponseReader::Step::kEnd: {
        IncomingMessagePtr res = req->res_;
        if (!res) break;
        for (const Header& h : reader.trailers()) res->trailers.add(h.name, h.value);
        res->complete = true;
        if (!res->destroyed()) res->push(nullptr);
        pending = Buffer();  // a server must not send more on this connection unasked
        return;
      }
    }
  }
}

void ClientRequest::Impl::handleHead() {
  const ResponseHead& h = reader.head();
  if (reader.informational()) {
    InformationInfo info;
    info.statusCode = h.status;
    info.statusMessage.assign(h.reason);
    info.httpVersion = h.versionMinor == 0 ? "1.0" : "1.1";
    for (const Header& f : h.headers) info.headers.add(f.name, f.value);
    if (h.status == 100) req->emit(Events::continue_);
    req->emit(Events::information, info);
    return;
  }
  auto res = std::make_shared<IncomingMessage>();
  res->statusCode = h.status;
  res->statusMessage.assign(h.reason);
  res->httpVersionMajor = h.versionMajor;
  res->httpVersionMinor = h.versionMinor;
  res->httpVersion = h.versionMinor == 0 ? "1.0" : "1.1";
  res->headers.joinDuplicates(req->opts_.joinDuplicateHeaders);
  for (const Header& f : h.headers) res->headers.add(f.name, f.value);
  res->socket = req->socket_;
  res->destroysIncompleteSocket_ = true;
  req->res_ = res;
  if (reader.switched()) {
    switchProtocols();
    return;
  }
  std::weak_ptr<ClientRequest> weak = req->self_;
  res->onRead_ = [weak] {
    auto self = weak.lock();
    if (self && self->socket_ && !self->impl_->released) self->socket_->resume();
  };
  res->once(Readable::Events::end, [weak] {
    if (auto self = weak.lock()) {
      self->impl_->responseEnded = true;
      self->impl_->maybeDone();
    }
  });
  if (req->listenerCount(Events::response) > 0) {
    req->emit(Events::response, res);
  } else {
    res->resume();  // nobody wants the body: read and drop it, so the socket can be reused
  }
}

void ClientRequest::Impl::switchProtocols() {
  SocketPtr s = req->socket_;
  IncomingMessagePtr res = req->res_;
  Buffer rest = pending;
  pending = Buffer();
  detach();
  released = true;
  if (agent) agent->handOver(s, req->agentName_);
  s->resetFlowing();
  const bool connect = req->opts_.method == "CONNECT";
  const auto& ev = connect ? Events::connect : Events::upgrade;
  auto keep = req->self_;
  res->complete = true;
  res->push(nullptr);
  if (req->listenerCount(ev) > 0) {
    req->emit(ev, res, s, rest);
  } else {
    s->destroy();
  }
  req->destroy();
}

// The server half-closed: a close-delimited body ends here; anything else was cut short.
void ClientRequest::Impl::onSocketEnd() {
  if (released) return;
  auto keep = req->self_;
  if (reader.bodyKind() == BodyKind::kUntilClose && req->res_) {
    if (reader.finish() == ResponseReader::Step::kEnd) {
      IncomingMessagePtr res = req->res_;
      res->complete = true;
      if (!res->destroyed()) res->push(nullptr);
    }
  }
  // The socket's close follows (allowHalfOpen is off); it decides what the end meant.
}

// The socket errored or closed while this request owned it.
void ClientRequest::Impl::onSocketGone(const Error& err) {
  if (released) return;
  auto keep = req->self_;
  IncomingMessagePtr res = req->res_;
  if (res && res->complete) {
    // Everything arrived; the connection just ended (Connection: close). Not reusable.
    detach();
    released = true;
    maybeDone();
    return;
  }
  if (!gotResponse && tryRetry()) return;
  if (res) {
    // Mid-body: the response is incomplete, never silently truncated.
    detach();
    released = true;
    req->destroy();
    return;
  }
  fail(err ? err : Error("ECONNRESET", "socket hang up"));
}

// A reused keep-alive socket can die just as we send on it (the server timed it out): an
// idempotent request whose bytes we still have is sent again on a new connection, once.
bool ClientRequest::Impl::tryRetry() {
  if (!req->reusedSocket || retried || !replayable || !finished || !agent ||
      !idempotent(req->opts_.method)) {
    return false;
  }
  retried = true;
  SocketPtr old = req->socket_;
  detach();
  released = true;
  queued = std::move(replay);
  replay.clear();
  req->socket_ = nullptr;
  reader = ResponseReader(limitsOf(req->opts_));
  pending = Buffer();
  old->destroy();
  agent->addRequest(req->self_, /*fresh=*/true);
  return true;
}

// Both directions are done: the socket goes back to the agent (or is closed), then `close`.
void ClientRequest::Impl::maybeDone() {
  if (!finished || !responseEnded) return;
  auto keep = req->self_;
  if (!released) {
    SocketPtr s = req->socket_;
    bool reusable =
        req->shouldKeepAlive_ && reader.reusable() && !s->destroyed() && pending.empty();
    detach();
    released = true;
    if (agent) {
      if (timeoutMs) s->setTimeout(0);
      agent->release(s, req->agentName_, reusable);
    } else {
      s->destroySoon();
    }
  }
  if (!req->destroyed()) req->destroy();
}

void ClientRequest::Impl::fail(const Error& err) {
  auto keep = req->self_;
  if (req->destroyed()) return;
  req->destroy(err);
}

// ---------------------------------------------------------------------------------------------

std::string RequestOptions::connectHost() const {
  std::string h = hostname.empty() ? host : hostname;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  return h;
}

ClientRequestPtr internal::request(RequestOptions o, const AgentPtr& defaultAgent,
                                   std::function<void(const IncomingMessagePtr&)> onResponse) {
  // As Node: the protocol must be the agent's (http.request cannot fetch https: URLs).
  const std::string& expected = o.agent && !o.noAgent ? o.agent->protocol : defaultAgent->protocol;
  if (o.protocol != expected) {
    throw Exception("ERR_INVALID_PROTOCOL",
                    "Protocol \"" + o.protocol + "\" not supported. Expected \"" + expected + "\"");
  }
  if (o.method.empty() || !std::all_of(o.method.begin(), o.method.end(), [](char c) {
        return isTokenChar(static_cast<unsigned char>(c));
      })) {
    throw Exception("ERR_INVALID_HTTP_TOKEN",
                    "Method must be a valid HTTP token [\"" + o.method + "\"]");
  }
  for (char c : o.method) {
    if (c >= 'a' && c <= 'z') {
      o.method = std::string(o.method);  // Node upper-cases the method
      for (auto& ch : o.method) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
      break;
    }
  }
  if (o.path.empty()) o.path = "/";
  for (char c : o.path) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f)
      throw Exception("ERR_UNESCAPED_CHARACTERS", "Request path contains unescaped characters");
  }
  if (o.port < 0 || o.port > 65535) {
    throw Exception("ERR_SOCKET_BAD_PORT",
                    "Port should be >= 0 and < 65536. Received " + std::to_string(o.port) + ".");
  }
  auto req = std::make_shared<MakeRequest>(std::move(o));
  req->self_ = req;
  // A throw below (an invalid header, https options that are not PEM) must not leave the
  // request owning itself: it never existed for the caller.
  OnThrow disown{[&req] { req->self_.reset(); }};
  const RequestOptions& opts = req->opts_;
  req->maxHeadersCount = 2000;
  for (const auto& [n, v] : opts.headers) {
    checkHeaderName(n);
    checkHeaderValue(n, v);
    req->headers_.emplace_back(n, v);
  }
  std::string host = opts.connectHost();
  req->host_ = host;
  if (opts.setHost && !req->hasHeader("host") && opts.socketPath.empty()) {
    std::string value = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    int port = opts.effectivePort();
    if (port != (opts.protocol == "https:" ? 443 : 80)) value += ":" + std::to_string(port);
    req->headers_.emplace_back("Host", value);
  } else if (opts.setHost && !req->hasHeader("host")) {
    req->headers_.emplace_back("Host", "localhost");
  }
  if (!opts.auth.empty() && !req->hasHeader("authorization")) {
    req->headers_.emplace_back("Authorization",
                               "Basic " + Buffer::from(opts.auth).toString("base64"));
  }
  if (onResponse) req->once(ClientRequest::Events::response, std::move(onResponse));
  req->impl_->timeoutMs = opts.timeout;  // applied to whichever socket the request gets

  AgentPtr agent;
  if (!opts.noAgent) agent = opts.agent ? opts.agent : defaultAgent;
  // As Node: keep-alive only where the agent may really reuse the connection.
  req->shouldKeepAlive_ =
      agent && (agent->options().keepAlive || agent->options().maxSockets != SIZE_MAX);
  if (agent) {
    req->impl_->agent = agent;
    req->agentName_ = agent->getName(opts);
    agent->addRequest(req);
  } else {
    req->onSocket(defaultAgent->createConnection(opts), false);
  }
  disown.armed = false;
  return req;
}

ClientRequestPtr request(RequestOptions options,
                         std::function<void(const IncomingMessagePtr&)> onResponse) {
  return internal::request(std::move(options), globalAgent(), std::move(onResponse));
}

ClientRequestPtr request(std::string_view url,
                         std::function<void(const IncomingMessagePtr&)> onResponse) {
  return request(parseUrl(url), std::move(onResponse));
}

ClientRequestPtr request(std::string_view url, RequestOptions options,
                         std::function<void(const IncomingMessagePtr&)> onResponse) {
  return request(parseUrl(url, std::move(options)), std::move(onResponse));
}

ClientRequestPtr get(RequestOptions options,
                     std::function<void(const IncomingMessagePtr&)> onResponse) {
  auto req = request(std::move(options), std::move(onResponse));
  req->end();
  return req;
}

ClientRequestPtr get(std::string_view url,
                     std::function<void(const IncomingMessagePtr&)> onResponse) {
  return get(parseUrl(url), std::move(onResponse));
}

ClientRequestPtr get(std::string_view url, RequestOptions options,
                     std::function<void(const IncomingMessagePtr&)> onResponse) {
  return get(parseUrl(url, std::move(options)), std::move(onResponse));
}

ClientRequestPtr request(const URL& url,
                         std::function<void(const IncomingMessagePtr&)> onResponse) {
  return request(urlToHttpOptions(url), std::move(onResponse));
}

ClientRequestPtr get(const URL& url, std::function<void(const IncomingMessagePtr&)> onResponse) {
  return get(urlToHttpOptions(url), std::move(onResponse));
}

ClientRequestPtr request(const URL& url, RequestOptions options,
                         std::function<void(const IncomingMessagePtr&)> onResponse) {
  return request(urlToHttpOptions(url, std::move(options)), std::move(onResponse));
}

ClientRequestPtr get(const URL& url, RequestOptions options,
                     std::function<void(const IncomingMessagePtr&)> onResponse) {
  return get(urlToHttpOptions(url, std::move(options)), std::move(onResponse));
}

}  // namespace evnode::http
