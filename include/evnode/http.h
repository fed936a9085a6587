// evnode/http.h — HTTP/1.1: Node's http.Server, IncomingMessage and ServerResponse.
//
//   auto server = http::createServer([](auto req, auto res) {
//     res->writeHead(200, {{"Content-Type", "text/plain"}});
//     res->end("Hello HTTP");
//   });
//   server->listen(3000);
//   evnode::run();
//
// The request body is a Readable with backpressure: a handler that does not read makes the
// server stop reading that socket. Responses leave in request order; pipelined requests are
// answered with one write when their handlers respond at once.
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "evnode/http_methods.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "evnode/ref_count.h"
#include "evnode/stream.h"
#include "evnode/task.h"
#include "evnode/url.h"

namespace evnode::https {
struct TlsOptions;  // evnode/https.h
}  // namespace evnode::https
namespace evnode::detail {
class ByteBuffer;  // internal (src/core/byte_buffer.h)
}  // namespace evnode::detail

/// HTTP/1.1: Node's http module (Server, IncomingMessage, ServerResponse, ClientRequest, Agent).
namespace evnode::http {

/// Node's http.STATUS_CODES: the reason phrase of a status ("" if unknown).
std::string_view STATUS_CODES(int status);

/// Node's http.validateHeaderName: throws ERR_INVALID_HTTP_TOKEN unless `name` is an HTTP token
/// (what setHeader() checks).
void validateHeaderName(std::string_view name);
/// Node's http.validateHeaderValue: throws ERR_INVALID_CHAR if `value` holds CR, LF or another
/// control character (HT is allowed), which could split a message.
void validateHeaderValue(std::string_view name, std::string_view value);

/// A header list as given to writeHead/setHeader: names keep their case.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// Received headers (or trailers): Node's `message.headers` by lookup, `rawHeaders` as sent.
class IncomingHeaders {
 public:
  /// Node's joined value of a header: the first value for headers whose duplicates Node
  /// discards (content-type, host, ...), values joined with ", " otherwise ("; " for cookie).
  std::optional<std::string> get(std::string_view name) const;
  /// get(), or `fallback` when the header is absent.
  std::string value(std::string_view name, std::string_view fallback = "") const {
    return get(name).value_or(std::string(fallback));
  }
  /// Whether the header was received (names compare case-insensitively).
  bool has(std::string_view name) const;
  /// Every value of a header (set-cookie is kept as a list, as Node).
  std::vector<std::string> getAll(std::string_view name) const;
  /// Node's `headers` object: lower-case names in first-seen order, values joined as get().
  std::vector<std::pair<std::string, std::string>> entries() const;
  /// Names and values exactly as received, in order (Node's rawHeaders, pairwise).
  const std::vector<std::pair<std::string, std::string>>& raw() const { return raw_; }
  std::size_t size() const { return raw_.size(); }  ///< the number of header lines received

  /// Appends a header line as received (what the parser does).
  void add(std::string_view name, std::string_view value) { raw_.emplace_back(name, value); }
  void reserve(std::size_t n) { raw_.reserve(n); }  ///< room for `n` header lines
  void clear() { raw_.clear(); }                    ///< removes every header line
  /// Node's joinDuplicateHeaders: get() joins the duplicates of every header, those whose
  /// duplicates Node otherwise discards included.
  void joinDuplicates(bool on) { joinDuplicates_ = on; }

 private:
  friend struct HeaderStorage;  // reuses lists of messages that are gone (src/http)
  std::vector<std::pair<std::string, std::string>> raw_;
  bool joinDuplicates_ = false;
};

/// A received request (server side) or response (client side). The body is the Readable side.
class IncomingMessage : public Readable {
 public:
  /// A message's events: Readable's, and these.
  struct Events : Readable::Events {
    static constexpr Event<> aborted{"aborted"};  ///< the connection closed before the end
    /// A server request whose body is still coming, when its socket times out (setTimeout).
    static constexpr Event<> timeout{"timeout"};
  };
  IncomingMessage();
  /// Node's message.setTimeout: socket->setTimeout(ms, cb). On a server, a socket timeout that
  /// neither this request, its response nor the server listens for destroys the socket.
  IncomingMessage& setTimeout(std::uint64_t ms, std::function<void()> cb = nullptr);
  ~IncomingMessage() override;

  std::string method;               ///< requests
  std::string url;                  ///< requests: the target as sent
  int statusCode = 0;               ///< responses
  std::string statusMessage;        ///< responses: the reason phrase as sent
  std::string httpVersion = "1.1";  ///< "1.1" or "1.0"
  int httpVersionMajor = 1;         ///< 1
  int httpVersionMinor = 1;         ///< 1 or 0
  IncomingHeaders headers;          ///< the head's headers
  IncomingHeaders trailers;         ///< a chunked body's trailers, once `end` was emitted
  /// True once the whole body (and trailers) arrived.
  bool complete = false;
  bool aborted = false;                 ///< the connection closed before the message was complete
  std::shared_ptr<net::Socket> socket;  ///< the connection it arrived on

 protected:
  void _read(std::size_t size) override;
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;

 private:
  friend class Connection;
  friend class ClientRequest;
  // The server connection or the client, resuming its socket when the consumer wants more of
  // the body.
  std::function<void()> onRead_;
  // A request without a body: its end is pushed when it is first read (most handlers never
  // read it, and an end pushed at once costs a tick per request).
  bool endOnRead_ = false;
  // A client's response: destroyed before all of it arrived, it destroys its socket (the rest
  // of the body would otherwise hold the connection forever), as Node's does.
  bool destroysIncompleteSocket_ = false;
};

class ServerResponse;

/// Node's OutgoingMessage: what a server's response and a client's request share, the headers
/// of the head to come. Names are checked as they are set (ERR_INVALID_HTTP_TOKEN,
/// ERR_INVALID_CHAR); once the head went out, changing them throws ERR_HTTP_HEADERS_SENT.
class OutgoingMessage : public Writable {
 public:
  /// Sets a header for the head to come (replacing one of the same name, in any case).
  OutgoingMessage& setHeader(std::string_view name, std::string_view value);
  /// Sets a header sent once per value (Set-Cookie).
  OutgoingMessage& setHeader(std::string_view name, const std::vector<std::string>& values);
  /// The value set for `name` (values joined with ", "), nullopt if none.
  std::optional<std::string> getHeader(std::string_view name) const;
  HeaderList getHeaders() const;                    ///< names lower-cased, as Node
  std::vector<std::string> getHeaderNames() const;  ///< lower-case
  bool hasHeader(std::string_view name) const;      ///< whether a header of that name is set
  void removeHeader(std::string_view name);         ///< unsets the header
  bool headersSent() const { return headerSent_; }  ///< whether the head went out
  /// Trailers sent after a chunked body (ignored, as Node does, when the body is not chunked);
  /// checked as headers are.
  void addTrailers(const HeaderList& trailers);
  /// Sends the head now, before any body.
  virtual void flushHeaders() = 0;

 protected:
  OutgoingMessage() = default;
  /// With the Writable's options.
  explicit OutgoingMessage(WritableOptions opts) : Writable(std::move(opts)) {}
  /// Throws ERR_HTTP_HEADERS_SENT once the head went out ("Cannot <what> headers ...").
  void checkNotSent(const char* what) const;
  /// A subclass that keeps headers in another form until they are asked for (ServerResponse:
  /// writeHead's braced list, as rendered lines) moves them into headers_ here. Every header
  /// accessor calls it first.
  virtual void unpackHeaders() const {}

  mutable HeaderList headers_;  ///< what setHeader() set, names as given (see unpackHeaders)
  HeaderList trailers_;         ///< what addTrailers() added
  bool headerSent_ = false;     ///< the head went out
};

/// Node's http.createServer(options), and evnode's own limits.
struct ServerOptions {
  /// Node's timeouts, in milliseconds (0: none). requestTimeout bounds receiving a whole
  /// request, body included, whether or not it was answered already.
  std::uint64_t keepAliveTimeout = 5000;
  std::uint64_t headersTimeout = 60000;   ///< receiving a request's head (see keepAliveTimeout)
  std::uint64_t requestTimeout = 300000;  ///< receiving a whole request (see keepAliveTimeout)
  /// evnode's own (Node has none; 0: off, as Node). bodyTimeout: a request body (read by the
  /// handler or discarded after the answer) that delivers no byte for this long ends the
  /// connection, with 408 if no response was sent yet (the response's statusCode then says
  /// 408); with bodyMinRate (bytes per second), one that averages less than that once it has
  /// run for bodyMinRateGrace (0: bodyTimeout) ends it too (a client trickling a byte now and
  /// then). sendTimeout: a client that takes no byte of the response for this long while some
  /// wait (nginx's send_timeout) is disconnected.
  std::uint64_t bodyTimeout = 0;
  std::uint64_t bodyMinRate = 0;       ///< bytes per second (see bodyTimeout)
  std::uint64_t bodyMinRateGrace = 0;  ///< milliseconds (see bodyTimeout)
  std::uint64_t sendTimeout = 0;       ///< milliseconds (see bodyTimeout)
  /// Node's server.timeout: socket inactivity before `timeout` (0: none). See setTimeout().
  std::uint64_t timeout = 0;
  std::size_t maxHeaderSize = 16384;     ///< bytes in a request's head; more: 431
  std::size_t maxHeadersCount = 2000;    ///< header lines in a request's head; more: 431
  std::size_t maxRequestsPerSocket = 0;  ///< 0: no limit
  bool noDelay = true;                   ///< setNoDelay() on each connection
  /// Node's option, accepted but not applied: the connections have net's 64 KiB high-water
  /// marks.
  std::size_t highWaterMark = 16 * 1024;
  bool joinDuplicateHeaders = false;  ///< see IncomingHeaders::joinDuplicates()
  /// How often timeouts are checked (Node: connectionsCheckingInterval).
  std::uint64_t connectionsCheckingInterval = 1000;
};

using RequestPtr = std::shared_ptr<IncomingMessage>;  ///< a server's request
using ResponsePtr = std::shared_ptr<ServerResponse>;  ///< a server's response
using SocketPtr = std::shared_ptr<net::Socket>;       ///< a connection

class Connection;

/// Node's http.Server: a net::Server that speaks HTTP/1.1 on its connections.
class Server : public net::Server {
 public:
  /// An HTTP server's events: net::Server's, and these.
  struct Events : net::Server::Events {
    /// A request's head arrived: the request (its body is the Readable side) and its response.
    static constexpr Event<const RequestPtr&, const ResponsePtr&> request{"request"};
    /// `Expect: 100-continue`; without a listener the server answers 100 and emits request.
    static constexpr Event<const RequestPtr&, const ResponsePtr&> checkContinue{"checkContinue"};
    /// Any other Expect; without a listener the server answers 417.
    static constexpr Event<const RequestPtr&, const ResponsePtr&> checkExpectation{
        "checkExpectation"};
    /// CONNECT and Upgrade hand the socket over with the bytes read past the head.
    static constexpr Event<const RequestPtr&, const SocketPtr&, const Buffer&> connect{"connect"};
    /// A request with `Upgrade:` (see `connect`); without a listener it is answered normally.
    static constexpr Event<const RequestPtr&, const SocketPtr&, const Buffer&> upgrade{"upgrade"};
    /// A malformed request or a timeout; without a listener: 400/408/413/414/431/501/505, close.
    static constexpr Event<const Error&, const SocketPtr&> clientError{"clientError"};
    /// A connection was inactive for the server's timeout (see setTimeout()).
    static constexpr Event<const SocketPtr&> timeout{"timeout"};
  };

  /// Node's `new http.Server(options)`; see createServer().
  static std::shared_ptr<Server> create(ServerOptions opts = {});

  /// Node's server.setTimeout: sockets accepted from now on time out after `ms` of inactivity
  /// (options().timeout; 0 = never, the default). `cb` listens for `timeout`; with a listener,
  /// a timed-out socket is the listener's to end, without one it is destroyed.
  Server& setTimeout(std::uint64_t ms, std::function<void(const SocketPtr&)> cb = nullptr);

  /// Closes connections that have no request in flight (idle keep-alive sockets).
  void closeIdleConnections();
  /// Destroys every connection now.
  void closeAllConnections();
  /// net::Server::close also closes idle connections, and the rest after their response (Node
  /// 19+). On a shared port (ListenOptions::reusePort), a connection accepted less than a
  /// second ago that has not sent a request yet gets 250 ms to send one (its client is likely
  /// sending it now, while a new server takes the port over) and is answered, then closed; if
  /// none comes it is closed then.
  Server& close(std::function<void(const Error&)> cb = nullptr) override;
  /// Serves HTTP on a connected socket that this server did not accept itself (Node's
  /// server.emit('connection', socket)): https::Server hands over each TLSSocket once its
  /// handshake is done; any net::Socket (a TLSSocket over any stream) works.
  void serveConnection(const SocketPtr& socket);

  /// The options the server was made with.
  const ServerOptions& options() const { return opts_; }
  /// The options, to change: new connections and requests see the change (Node's server.*
  /// properties such as keepAliveTimeout).
  ServerOptions& options() { return opts_; }

  struct State;  // connection bookkeeping (src/http/connection.h)
  ~Server() override;

 protected:
  /// For subclasses; use create().
  explicit Server(ServerOptions opts);
  /// For servers whose accepted sockets are wrapped before HTTP sees them (https): the listening
  /// side's own options.
  Server(ServerOptions opts, const net::ServerOptions& listenOpts);

 private:
  friend class Connection;
  ServerOptions opts_;
  std::unique_ptr<State> state_;
};

/// Node's http.createServer(requestListener): the listener listens for `request`.
std::shared_ptr<Server> createServer(
    std::function<void(const RequestPtr&, const ResponsePtr&)> requestListener = nullptr);
/// Node's http.createServer(options, requestListener).
std::shared_ptr<Server> createServer(
    ServerOptions opts,
    std::function<void(const RequestPtr&, const ResponsePtr&)> requestListener = nullptr);

/// A request handler written as a coroutine: `co_await` inside it, as in Node's `async (req, res)
/// => {...}`. See createServer(F).
using TaskHandler = std::function<Task<void>(const RequestPtr&, const ResponsePtr&)>;

/// Whether F is a coroutine request handler (returns Task<void>), rather than a callback.
template <class F>
concept TaskRequestHandler = std::is_invocable_v<F&, const RequestPtr&, const ResponsePtr&> &&
    std::same_as<std::invoke_result_t<F&, const RequestPtr&, const ResponsePtr&>, Task<void>>;

namespace detail {
// The `request` listener that runs a coroutine handler per request (defined after
// ServerResponse, below; src/http/task_handler.cc): a callable the event keeps as it is (no
// std::function between the event and the handler).
template <class F>
auto taskListener(F handler);
}  // namespace detail

/// Node's `http.createServer(async (req, res) => {...})`: `handler` returns Task<void>, and is
/// started for each request (running until its first suspension inside the `request` event,
/// as an async function does). The task holds its own copies of req and res, so the handler may
/// take them by reference. An exception escaping it answers 500 (no body, `Connection: close`)
/// if no part of the response was sent yet, or else destroys the socket, and is then reported
/// as an unhandled rejection (spawn()'s path: by default printed, exit status 1). The handler
/// object is kept until the server and every request still running are gone. Callback
/// handlers are not affected: they take the overload above, which this adds nothing to.
template <TaskRequestHandler F>
std::shared_ptr<Server> createServer(F handler) {
  auto s = createServer(nullptr);
  s->on(Server::Events::request, detail::taskListener(std::move(handler)));
  return s;
}
/// Node's `http.createServer(options, async (req, res) => {...})` (see createServer(F)).
template <TaskRequestHandler F>
std::shared_ptr<Server> createServer(ServerOptions opts, F handler) {
  auto s = createServer(std::move(opts), nullptr);
  s->on(Server::Events::request, detail::taskListener(std::move(handler)));
  return s;
}

/// The response to one request. A Writable: write() returns false when the socket is backed
/// up, and `drain` follows. Header helpers throw ERR_HTTP_HEADERS_SENT once the head is out,
/// ERR_INVALID_HTTP_TOKEN / ERR_INVALID_CHAR for a bad name or a value with CR, LF or NUL.
class ServerResponse : public OutgoingMessage {
 public:
  /// A response's events: Writable's, and this.
  struct Events : Writable::Events {
    /// The socket timed out while this response was in progress (see setTimeout).
    static constexpr Event<> timeout{"timeout"};
  };
  /// Node's response.setTimeout: `cb` listens for this response's `timeout`, and the socket
  /// times out after `ms` of inactivity. A timeout nobody listens for (request, response or
  /// server) destroys the socket.
  ServerResponse& setTimeout(std::uint64_t ms, std::function<void()> cb = nullptr);

  int statusCode = 200;       ///< the status sent when the head goes out without writeHead()
  std::string statusMessage;  ///< empty: the standard reason phrase
  bool sendDate = true;       ///< add a Date header unless one is set

  /// OutgoingMessage::setHeader(), returning the response for chaining.
  ServerResponse& setHeader(std::string_view name, std::string_view value) {
    OutgoingMessage::setHeader(name, value);
    return *this;
  }
  /// OutgoingMessage::setHeader() of several values, returning the response for chaining.
  ServerResponse& setHeader(std::string_view name, const std::vector<std::string>& values) {
    OutgoingMessage::setHeader(name, values);
    return *this;
  }
  /// Node's writeHead: the status, and `headers` merged into those setHeader() set (a name in
  /// `headers` replaces theirs); the head goes out with the first write(), end() or flushHeaders().
  ServerResponse& writeHead(int status, const HeaderList& headers = {});
  /// The same, with a reason phrase of its own.
  ServerResponse& writeHead(int status, std::string_view message, const HeaderList& headers = {});
  /// The list is taken over when no header was set before (no copy).
  ServerResponse& writeHead(int status, HeaderList&& headers);
  /// The same, with a reason phrase of its own.
  ServerResponse& writeHead(int status, std::string_view message, HeaderList&& headers);
  /// What `writeHead(200, {{"Content-Type", "text/plain"}})` calls: when no header was set
  /// before, the fields are checked and rendered once into the response's own storage (no
  /// allocation per response); the header API still reads and changes them.
  using HeaderViews = std::initializer_list<std::pair<std::string_view, std::string_view>>;
  /// writeHead() of a braced list of headers (see HeaderViews).
  ServerResponse& writeHead(int status, HeaderViews headers);
  /// The same, with a reason phrase of its own.
  ServerResponse& writeHead(int status, std::string_view message, HeaderViews headers);
  /// Sends the head now (with no body written yet).
  void flushHeaders() override;
  /// Interim responses.
  void writeContinue();
  void writeEarlyHints(const HeaderList& hints);  ///< 103 Early Hints with these headers
  void writeProcessing();                         ///< 102 Processing
  /// A file as the whole body (evnode's own; Node's http2 has respondWithFD): sets
  /// Content-Length to `length`, sends the head, then bytes [offset, offset + length) of the
  /// regular file `fd`, then ends the response as end() does (keep-alive and pipelining go on).
  /// On a plain TCP or Unix connection the kernel copies the file into the socket (sendfile(2),
  /// zero-copy); over TLS it is read and written through with backpressure. `cb(err, sent)` runs
  /// once, before the response finishes, when `fd` is no longer needed: close it there. `sent`
  /// counts the file bytes that went out. If the client leaves first or the file is shorter than
  /// announced, `err` says so (ECANCELED, EPIPE, ECONNRESET, EOF) and the response is destroyed,
  /// which closes the connection (the only way to tell the client the body is short). A HEAD,
  /// 204 or 304 response gets its head only. Write nothing else to the response meanwhile.
  /// Throws ERR_INVALID_STATE once the head was sent or anything was written, and when a
  /// Transfer-Encoding header is set; ERR_OUT_OF_RANGE for a range past 2^63.
  void sendFile(int fd, std::uint64_t offset, std::uint64_t length,
                std::function<void(const Error& err, std::uint64_t sent)> cb);

  /// The connection (Node's response.socket).
  const std::shared_ptr<net::Socket>& socket() const { return socket_; }
  /// The request this answers.
  const RequestPtr& req() const { return req_; }

  /// end() here knows when end(data) is the only write, so the body gets a Content-Length.
  ServerResponse& end(Callback cb = nullptr) override;
  ServerResponse& end(Buffer chunk, Callback cb = nullptr) override;  ///< writes `chunk`, then ends
  ServerResponse& end(std::string_view str, Callback cb = nullptr);   ///< writes `str`, then ends

 protected:
  ServerResponse();
  ~ServerResponse() override;
  void _write(const Buffer& chunk, WriteCallback cb) override;
  void _writev(std::vector<Buffer>& chunks, WriteCallback cb) override;
  bool hasWritev() const override { return true; }
  void _final(std::function<void(const Error&)> cb) override;
  /// A response ended at once (endAtOnce) was sent whole before Writable::end ran.
  bool hasFinal() const override { return !endedAtOnce_; }
  /// False once finished when nothing can see the response any more (see response.cc).
  bool autoDestroy() const override;
  /// A finished response nobody holds or listens to is freed without `finish` (see Writable).
  bool unseenFinishMayBeSkipped() const override { return true; }
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;

 private:
  friend class Connection;
  friend struct ResponseInternal;
  void sendBody(std::span<Buffer> chunks, bool last, WriteCallback* cb);
  // end(data) as the only write, or end() with nothing written: the body is `text`, or `body`
  // when given.
  bool canEndAtOnce() const;
  void endAtOnce(std::string_view text, const Buffer* body, Callback&& cb);
  // Bytes that go out as they are (interim responses), in order with the responses before.
  void sendRaw(std::string_view bytes);
  // Appends the status line and headers to `out`.
  void renderHead(evnode::detail::ByteBuffer& out, std::size_t bodyBytesIfKnown, bool knownLength);
  // writeHead's checks of the status line (a throw changes nothing).
  void checkStatus(int status, std::string_view message) const;
  // writeHead's checks (a throw changes nothing), then the status; merges `headers` into
  // headers set before, or returns true when there were none (the caller sets the list).
  template <class List>
  bool applyHead(int status, std::string_view message, const List& headers);
  template <class List>
  void copyHeaders(const List& headers);  // into a reused list (HeaderStorage)
  // writeHead with a braced list when no header was set before: each field checked as its line
  // is rendered, as it goes out, instead of a list; then the status (false: the lines do not
  // fit, nothing was checked or changed).
  bool renderLines(int status, std::string_view message, HeaderViews headers);
  void unpackHeaders() const override;

  std::shared_ptr<net::Socket> socket_;
  RequestPtr req_;
  Connection* conn_ = nullptr;                  // cleared when the connection goes away
  std::optional<std::uint64_t> contentLength_;  // set by the user through Content-Length
  bool chunked_ = false;
  bool noBody_ = false;        // HEAD, 1xx, 204, 304
  bool closeAfter_ = false;    // Connection: close / close-delimited
  bool hasBodyWrite_ = false;  // write() was called before end()
  bool clientHttp10_ = false;
  bool headRequest_ = false;
  bool expectContinue_ = false;
  bool sentContinue_ = false;
  bool userTransferEncoding_ = false;
  bool inEnd_ = false;
  bool endedAtOnce_ = false;  // sent whole by endAtOnce
  std::uint64_t keepAliveTimeoutSec_ = 5;
  // The lines of writeHead's braced list ("Name: value\r\n"), checked and rendered once (a
  // hello response's head is then one copy of them), with what framing needs to know of them
  // (bits, response.cc). Moved into headers_ when the header API is used (unpackHeaders).
  static constexpr std::size_t kLinesCap = 192;
  mutable std::uint16_t linesLen_ = 0;
  std::uint8_t linesFacts_ = 0;
  char lines_[kLinesCap + 16];  // padded for the head's 16-byte copies (response.cc)
};

namespace detail {

// Coroutine request handlers, per request: the handler's task is started inside the `request`
// event and runs until it finishes or first suspends; its end hook (evnode::detail::TaskEnd)
// answers a failure and frees the frame at the task's own final suspension, whether that comes
// at once (the usual hello: no driver coroutine, nothing left to wait for) or later. The
// handler is the listener's own F, called directly (no std::function between the event and the
// coroutine's ramp).
class TaskListenerBase {
 public:
  TaskListenerBase() = default;
  TaskListenerBase(const TaskListenerBase&) = delete;
  TaskListenerBase& operator=(const TaskListenerBase&) = delete;
  virtual ~TaskListenerBase();
  evnode::detail::RefCount<unsigned>& refCount() { return count_; }

 protected:
  // What a request's task may point to: the handler takes req and res by reference, so its
  // frame points here; kept until the task ends, with a reference to the listener (whose
  // handler object the frame may point into). The request is the response's own
  // (ServerResponse::req(), a member for the response's whole life), so one shared_ptr copy
  // serves both.
  struct Slot : evnode::detail::TaskEnd {
    Slot(TaskListenerBase* l, const ResponsePtr& r, decltype(TaskEnd::ended) end)
        : TaskEnd{end}, res(r), listener(l) {}
    ResponsePtr res;
    TaskListenerBase* listener;
  };
  // A `request` emitted by hand with a pair that does not match: a copy of the request too.
  struct SlotWithRequest : Slot {
    SlotWithRequest(TaskListenerBase* l, const ResponsePtr& r, const RequestPtr& q)
        : Slot(l, r, &TaskListenerBase::endedWithRequest), req(q) {}
    RequestPtr req;
  };
  // A Slot for the response's own request, in the memory the last finished one left (the
  // listener belongs to the server's loop thread, as the server does).
  Slot* takeSlot(const ResponsePtr& res) {
    void* mem = spare_;
    if (mem) [[likely]] {
      spare_ = nullptr;
    } else {
      mem = evnode::detail::allocFrame(sizeof(Slot));  // (the thread's frame lists)
    }
    count_.addLive();  // one per live Slot
    return new (mem) Slot(this, res, &TaskListenerBase::ended);
  }
  // The same for a pair emitted by hand that does not match (the Slot keeps the request too).
  [[gnu::cold]] SlotWithRequest* takeSlotWithRequest(const RequestPtr& req, const ResponsePtr& res);
  // Runs the task until it finishes or first suspends; its end gives the Slot back. From plain
  // code (no trampoline running: the `request` event of a socket's read) the task is resumed
  // directly: a Task it awaits starts a trampoline of its own (detail::transfer).
  static void start(Slot* slot, Task<void>::Handle h) {
    if (!h) [[unlikely]] {
      noTask(slot);
      return;
    }
    h.promise().end = slot;
    if (!evnode::detail::trampoline.running) [[likely]] {
      h.resume();
    } else {
      evnode::detail::resumeNested(h);
    }
  }
  // The handler could not even make its task (a plain function that threw): answers and
  // reports the exception being handled.
  [[gnu::cold]] static void failedToStart(Slot* slot) noexcept;

 private:
  // An empty Task (a plain function returned Task{}): nothing runs; the Slot goes back.
  [[gnu::cold]] static void noTask(Slot* slot) noexcept;
  // The task's end: answers and reports its exception, if any, and gives its Slot back.
  static bool ended(evnode::detail::TaskEnd& end, evnode::detail::TaskPromiseBase& p) noexcept;
  static bool endedWithRequest(evnode::detail::TaskEnd& end,
                               evnode::detail::TaskPromiseBase& p) noexcept;
  // Ends `slot` and keeps its memory as the spare (or frees a SlotWithRequest), then drops the
  // listener's reference.
  static void release(Slot* slot) noexcept;
  static void releaseWithRequest(Slot* slot) noexcept;

  evnode::detail::RefCount<unsigned> count_{0};
  void* spare_ = nullptr;  // room for a Slot, no Slot in it
};

template <class F>
class TaskListener final : public TaskListenerBase {
 public:
  explicit TaskListener(F f) : handler_(std::move(f)) {}
  void run(const RequestPtr& req, const ResponsePtr& res) {
    // The handler is given the request its Slot keeps (no address of a local escapes: the
    // common path keeps both in registers).
    Slot* slot;
    const RequestPtr* handlerReq;
    if (res->req() == req) [[likely]] {
      slot = takeSlot(res);
      handlerReq = &res->req();
    } else {
      SlotWithRequest* s = takeSlotWithRequest(req, res);
      slot = s;
      handlerReq = &s->req;
    }
    Task<void>::Handle h;
    try {
      h = handler_(*handlerReq, slot->res).release();
    } catch (...) {
      failedToStart(slot);
      return;
    }
    start(slot, h);
  }

 private:
  F handler_;
};

template <class F>
auto taskListener(F handler) {
  using Ref = evnode::detail::CountedRef<TaskListener<F>>;
  return [ref = Ref(new TaskListener<F>(std::move(handler)))](
             const RequestPtr& req, const ResponsePtr& res) { ref->run(req, res); };
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// The client: Node's http.request / http.get, ClientRequest and Agent.
//
//   http::get("http://127.0.0.1:3000/", [](const http::IncomingMessagePtr& res) {
//     std::printf("STATUS: %d\n", res->statusCode);
//     res->on(http::IncomingMessage::Events::data, [](const Buffer& b) { ... });
//   });
//
// The response body is the IncomingMessage's Readable side, with backpressure: a response that
// is not read makes the client stop reading its socket. Sockets come from an Agent (the global
// one unless told otherwise), which keeps idle keep-alive connections per origin.

using IncomingMessagePtr = std::shared_ptr<IncomingMessage>;  ///< a client's response
class Agent;
class ClientRequest;
using AgentPtr = std::shared_ptr<Agent>;                  ///< an Agent
using ClientRequestPtr = std::shared_ptr<ClientRequest>;  ///< a client's request

/// Node's http.request options.
struct RequestOptions {
  std::string protocol = "http:";  ///< "http:" or "https:"
  std::string host = "localhost";  ///< used when hostname is empty
  std::string hostname{};          ///< the server's host name or IP address
  int port = 0;                    ///< 0: the protocol's default (80)
  int family = 0;                  ///< 0, 4 or 6
  std::string localAddress{};      ///< the address to connect from ("": any)
  std::string socketPath{};        ///< HTTP over a Unix socket
  std::string method = "GET";      ///< the request method
  std::string path = "/";          ///< the request target: path and query
  HeaderList headers{};            ///< the request's headers
  std::string auth{};              ///< "user:password" → Authorization: Basic
  AgentPtr agent{};                ///< nullptr: http::globalAgent() (https: https::globalAgent())
  bool noAgent = false;       ///< Node's `agent: false`: a fresh connection, `Connection: close`
  std::uint64_t timeout = 0;  ///< socket idle timeout in ms (emits `timeout`), 0 = none
  bool setHost = true;        ///< add a Host header unless one is given
  std::size_t maxHeaderSize = 16384;  ///< bytes in the response's head; more is an error
  bool joinDuplicateHeaders = false;  ///< see IncomingHeaders::joinDuplicates()
  /// Node's `lookup`: resolves hostname instead of dns.lookup. It gives one address, so a
  /// connection made through it tries that address only.
  std::function<void(const std::string& hostname, int family,
                     std::function<void(const Error&, const std::string& address, int family)>)>
      lookup{};
  /// As net::ConnectOptions' (happy eyeballs over the addresses of a host name).
  std::optional<bool> autoSelectFamily{};
  std::uint64_t autoSelectFamilyAttemptTimeout = 0;  ///< as net::ConnectOptions'
  /// TLS options for https (evnode/https.h; declared only here, so that http.h does not depend
  /// on tls.h). https::request fills it in.
  std::shared_ptr<const https::TlsOptions> tls{};

  /// Host name to connect to (hostname, else host), without IPv6 brackets.
  std::string connectHost() const;
  /// The port to connect to: `port`, else the protocol's default (80, 443 for https:).
  int effectivePort() const { return port ? port : (protocol == "https:" ? 443 : 80); }
};

/// Node's url.urlToHttpOptions: the URL's protocol, hostname (an IPv6 address without its
/// brackets; also in `host`), port (0 for none or the scheme's default), path (pathname + search)
/// and auth (the decoded "username:password") over `base`, whose other fields are kept.
RequestOptions urlToHttpOptions(const URL& url, RequestOptions base = {});
/// Parses url as a WHATWG URL (evnode::URL, as Node's `new URL(url)`: dot segments removed, the
/// host lower-cased, spaces and non-ASCII bytes percent-encoded) into the URL parts of
/// RequestOptions, as urlToHttpOptions. Throws ERR_INVALID_URL. Any scheme parses; http::request
/// refuses all but its agent's (ERR_INVALID_PROTOCOL).
RequestOptions parseUrl(std::string_view url, RequestOptions base = {});

/// \cond INTERNAL
namespace internal {
// Not part of the API: what http::request and https::request share. `defaultAgent` is the
// module's global agent, whose protocol the request must use unless options.agent says
// otherwise (ERR_INVALID_PROTOCOL); with noAgent, its createConnection opens the connection.
ClientRequestPtr request(RequestOptions options, const AgentPtr& defaultAgent,
                         std::function<void(const IncomingMessagePtr&)> onResponse);
}  // namespace internal
/// \endcond

/// `information`: an interim 1xx response (besides 101).
struct InformationInfo {
  int statusCode = 0;         ///< 100 to 199, not 101
  std::string statusMessage;  ///< the reason phrase as sent
  std::string httpVersion;    ///< "1.1" or "1.0"
  IncomingHeaders headers;    ///< its headers
};

/// Node's http.ClientRequest: an outgoing request, its body the Writable side; `response`
/// brings the IncomingMessage.
class ClientRequest : public OutgoingMessage {
 public:
  /// A request's events: Writable's, and these.
  struct Events : Writable::Events {
    static constexpr Event<const SocketPtr&> socket{"socket"};  ///< a connection was assigned
    /// The response's head arrived: the response (its body is the Readable side).
    static constexpr Event<const IncomingMessagePtr&> response{"response"};
    /// Node's 'continue' (a C++ keyword): the server answered 100 Continue.
    static constexpr Event<> continue_{"continue"};
    /// An interim 1xx response other than 101 (100 Continue too, after `continue`).
    static constexpr Event<const InformationInfo&> information{"information"};
    /// CONNECT's 2xx and 101 Switching Protocols: the socket is the caller's now, with the bytes
    /// read past the head. Without a listener the socket is destroyed.
    static constexpr Event<const IncomingMessagePtr&, const SocketPtr&, const Buffer&> connect{
        "connect"};
    /// 101 Switching Protocols (see `connect`).
    static constexpr Event<const IncomingMessagePtr&, const SocketPtr&, const Buffer&> upgrade{
        "upgrade"};
    static constexpr Event<> timeout{"timeout"};  ///< the socket was idle for setTimeout()'s ms
  };

  ~ClientRequest() override;

  /// OutgoingMessage::setHeader(), returning the request for chaining.
  ClientRequest& setHeader(std::string_view name, std::string_view value) {
    OutgoingMessage::setHeader(name, value);
    return *this;
  }
  /// OutgoingMessage::setHeader() of several values, returning the request for chaining.
  ClientRequest& setHeader(std::string_view name, const std::vector<std::string>& values) {
    OutgoingMessage::setHeader(name, values);
    return *this;
  }
  /// Sends the head now, before any body.
  void flushHeaders() override;
  /// The socket's idle timeout for this request (0: none); `cb` listens once for `timeout`.
  ClientRequest& setTimeout(std::uint64_t ms, std::function<void()> cb = nullptr);
  /// net::Socket::setNoDelay() on the request's socket, now or once it has one.
  ClientRequest& setNoDelay(bool noDelay = true);
  /// net::Socket::setKeepAlive() on the request's socket, now or once it has one.
  ClientRequest& setSocketKeepAlive(bool enable = false, std::uint64_t initialDelayMs = 0);

  /// end(data) as the only write sends the body with a Content-Length; write() before end()
  /// sends it chunked (unless the caller set Content-Length).
  ClientRequest& end(Callback cb = nullptr) override;
  ClientRequest& end(Buffer chunk, Callback cb = nullptr) override;  ///< writes `chunk`, then ends
  /// Writes `str`, then ends.
  ClientRequest& end(std::string_view str, Callback cb = nullptr) {
    return end(Buffer::from(str), std::move(cb));
  }

  /// The connection (nullptr until `socket`).
  const SocketPtr& socket() const { return socket_; }
  /// The response (nullptr until `response`).
  const IncomingMessagePtr& res() const { return res_; }
  const std::string& path() const { return opts_.path; }          ///< the request target
  const std::string& method() const { return opts_.method; }      ///< the request method
  const std::string& host() const { return host_; }               ///< the host connected to
  const std::string& protocol() const { return opts_.protocol; }  ///< "http:" or "https:"
  const RequestOptions& options() const { return opts_; }         ///< the options it was made with
  /// The head as sent (Node's `request._header`); empty until headersSent().
  const Buffer& header() const { return head_; }
  /// The socket had served an earlier request (came from the agent's free list).
  bool reusedSocket = false;
  /// Node's request.maxHeadersCount, not applied: a response may have 2000 header lines.
  std::size_t maxHeadersCount = 2000;

  struct Impl;  // response parsing and socket plumbing (src/http/client_request.cc)

 protected:
  /// For the library (http::request()); use request() or get().
  explicit ClientRequest(RequestOptions opts);
  void _write(const Buffer& chunk, WriteCallback cb) override;
  void _writev(std::vector<Buffer>& chunks, WriteCallback cb) override;
  bool hasWritev() const override { return true; }
  void _final(std::function<void(const Error&)> cb) override;
  bool hasFinal() const override { return true; }
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;

 private:
  friend class Agent;
  friend struct Impl;
  friend ClientRequestPtr internal::request(RequestOptions, const AgentPtr&,
                                            std::function<void(const IncomingMessagePtr&)>);
  void sendBody(std::vector<Buffer>& chunks, bool last, WriteCallback* cb);
  std::string renderHead(std::size_t bodyBytes, bool knownLength);
  // The agent (or the request itself) gives it a connection.
  void onSocket(const SocketPtr& socket, bool reused);

  RequestOptions opts_;
  std::string host_;
  std::string agentName_;  // the agent's key for this request's origin
  Buffer head_;
  SocketPtr socket_;
  IncomingMessagePtr res_;
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<ClientRequest> self_;  // held until `close`
  bool chunked_ = false;
  bool hasBodyWrite_ = false;
  bool inEnd_ = false;
  bool shouldKeepAlive_ = false;
};

/// Node's http.request(options, cb): a request to send (write the body, then end() it);
/// `onResponse` listens once for `response`.
ClientRequestPtr request(RequestOptions options,
                         std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
/// Node's http.request(url, cb): the URL string parsed as parseUrl() does.
ClientRequestPtr request(std::string_view url,
                         std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
/// The URL's parts override those of `options`.
ClientRequestPtr request(std::string_view url, RequestOptions options,
                         std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
/// As request(), and end()s it.
ClientRequestPtr get(RequestOptions options,
                     std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
/// As request(url), and end()s it.
ClientRequestPtr get(std::string_view url,
                     std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
/// As request(url, options), and end()s it.
ClientRequestPtr get(std::string_view url, RequestOptions options,
                     std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
/// A URL object, as Node's http.request(new URL(...)): its parts override those of `options`.
ClientRequestPtr request(const URL& url,
                         std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
/// The same, over `options`.
ClientRequestPtr request(const URL& url, RequestOptions options,
                         std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
/// As request(url), and end()s it.
ClientRequestPtr get(const URL& url,
                     std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
/// As request(url, options), and end()s it.
ClientRequestPtr get(const URL& url, RequestOptions options,
                     std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);

/// Node's `new http.Agent(options)`.
struct AgentOptions {
  bool keepAlive = false;                  ///< keep finished connections for later requests
  std::uint64_t keepAliveMsecs = 1000;     ///< TCP keep-alive initial delay of kept connections
  std::size_t maxSockets = SIZE_MAX;       ///< per origin (Node: Infinity)
  std::size_t maxTotalSockets = SIZE_MAX;  ///< over every origin
  std::size_t maxFreeSockets = 256;        ///< idle connections kept per origin
  std::uint64_t timeout = 0;               ///< idle timeout of its sockets, 0 = none
  std::string scheduling = "lifo";         ///< or "fifo": which free socket is reused first
};

/// Connection pool: per origin (getName), at most maxSockets connections; requests beyond wait
/// in order. With keepAlive, finished connections wait in the free list (unref'd: they don't keep
/// the process alive) until reused, closed by the server, or timed out.
class Agent : public EventEmitter, public std::enable_shared_from_this<Agent> {
 public:
  /// An agent's events: EventEmitter's, and this.
  struct Events : EventEmitter::Events {
    /// A connection finished its request and was kept for reuse (keepAlive).
    static constexpr Event<const SocketPtr&> free{"free"};
  };

  /// Node's `new http.Agent(options)`.
  static AgentPtr create(AgentOptions opts = {});
  ~Agent() override;

  /// "host:port:localAddress[:family]" (Node's key); a Unix socket's path.
  virtual std::string getName(const RequestOptions& opts) const;
  /// Opens a new connection for a request (https::Agent opens a TLS one).
  virtual SocketPtr createConnection(const RequestOptions& opts);
  /// Closes every socket, busy or free.
  void destroy();

  const AgentOptions& options() const { return opts_; }  ///< the options it was made with
  /// Node's agent.sockets / freeSockets / requests, as counts per name.
  std::vector<std::pair<std::string, std::size_t>> sockets() const;
  std::vector<std::pair<std::string, std::size_t>> freeSockets() const;  ///< see sockets()
  std::vector<std::pair<std::string, std::size_t>> requests() const;     ///< see sockets()
  std::size_t totalSockets() const { return total_; }  ///< connections open, busy or free
  int defaultPort = 80;                                ///< the port of requests that give none
  std::string protocol = "http:";                      ///< the protocol its requests must use

  struct Origin;

 protected:
  /// For subclasses (https::Agent); use create().
  explicit Agent(AgentOptions opts);

 private:
  friend class ClientRequest;
  friend struct ClientRequest::Impl;
  friend ClientRequestPtr internal::request(RequestOptions, const AgentPtr&,
                                            std::function<void(const IncomingMessagePtr&)>);
  // Gives `req` a socket now, or queues it. `fresh`: never a free socket (a retry).
  void addRequest(const ClientRequestPtr& req, bool fresh = false);
  // The request is done with the socket: reuse it, keep it, or close it.
  void release(const SocketPtr& socket, const std::string& name, bool reusable);
  void removeSocket(net::Socket* socket, const std::string& name);
  void startNext(const std::string& name);
  void connectFor(const ClientRequestPtr& req, Origin& origin);
  // A queued request was destroyed before it got a socket.
  void forget(ClientRequest* req);
  // 101 / CONNECT: the socket leaves the pool for good.
  void handOver(const SocketPtr& socket, const std::string& name);

  AgentOptions opts_;
  std::vector<std::unique_ptr<Origin>> origins_;
  Origin& origin(const std::string& name);
  std::size_t total_ = 0;
};

/// Node's http.globalAgent (per thread): keepAlive, timeout 5000 ms, lifo. Assignable.
AgentPtr& globalAgent();

}  // namespace evnode::http
