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
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "evnode/http_methods.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "evnode/stream.h"
#include "evnode/url.h"

namespace evnode::http {

// Node's http.STATUS_CODES: the reason phrase of a status ("" if unknown).
std::string_view STATUS_CODES(int status);

// A header list as given to writeHead/setHeader: names keep their case.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Received headers (or trailers): Node's `message.headers` by lookup, `rawHeaders` as sent.
class IncomingHeaders {
 public:
  // Node's joined value of a header: the first value for headers whose duplicates Node
  // discards (content-type, host, ...), values joined with ", " otherwise ("; " for cookie).
  std::optional<std::string> get(std::string_view name) const;
  std::string value(std::string_view name, std::string_view fallback = "") const {
    return get(name).value_or(std::string(fallback));
  }
  bool has(std::string_view name) const;
  // Every value of a header (set-cookie is kept as a list, as Node).
  std::vector<std::string> getAll(std::string_view name) const;
  // Node's `headers` object: lower-case names in first-seen order, values joined as get().
  std::vector<std::pair<std::string, std::string>> entries() const;
  // Names and values exactly as received, in order (Node's rawHeaders, pairwise).
  const std::vector<std::pair<std::string, std::string>>& raw() const { return raw_; }
  std::size_t size() const { return raw_.size(); }

  void add(std::string_view name, std::string_view value) { raw_.emplace_back(name, value); }
  void reserve(std::size_t n) { raw_.reserve(n); }
  void clear() { raw_.clear(); }
  void joinDuplicates(bool on) { joinDuplicates_ = on; }

 private:
  friend struct HeaderStorage;  // reuses lists of messages that are gone (src/http)
  std::vector<std::pair<std::string, std::string>> raw_;
  bool joinDuplicates_ = false;
};

// A received request (server side) or response (client side). The body is the Readable side.
class IncomingMessage : public Readable {
 public:
  struct Events : Readable::Events {
    static constexpr Event<> aborted{"aborted"};
    // A server request whose body is still coming, when its socket times out (setTimeout).
    static constexpr Event<> timeout{"timeout"};
  };
  IncomingMessage();
  // Node's message.setTimeout: socket->setTimeout(ms, cb). On a server, a socket timeout that
  // neither this request, its response nor the server listens for destroys the socket.
  IncomingMessage& setTimeout(std::uint64_t ms, std::function<void()> cb = nullptr);
  ~IncomingMessage() override;

  std::string method;  // requests
  std::string url;     // requests: the target as sent
  int statusCode = 0;  // responses
  std::string statusMessage;
  std::string httpVersion = "1.1";
  int httpVersionMajor = 1;
  int httpVersionMinor = 1;
  IncomingHeaders headers;
  IncomingHeaders trailers;
  // True once the whole body (and trailers) arrived.
  bool complete = false;
  bool aborted = false;
  std::shared_ptr<net::Socket> socket;

  // Called by the connection when the consumer wants more body bytes.
  std::function<void()> onRead;

 protected:
  void _read(std::size_t size) override;
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;

 private:
  friend class Connection;
  // A request without a body: its end is pushed when it is first read (most handlers never
  // read it, and an end pushed at once costs a tick per request).
  bool endOnRead_ = false;
};

class ServerResponse;
class ByteBuffer;  // internal (src/http/output.h)

struct ServerOptions {
  // Node's timeouts, in milliseconds (0: none). requestTimeout bounds receiving a whole
  // request, body included, whether or not it was answered already.
  std::uint64_t keepAliveTimeout = 5000;
  std::uint64_t headersTimeout = 60000;
  std::uint64_t requestTimeout = 300000;
  // evnode's own (Node has none; 0: off, as Node). bodyTimeout: a request body (read by the
  // handler or discarded after the answer) that delivers no byte for this long ends the
  // connection, with 408 if no response was sent yet; with bodyMinRate (bytes per second),
  // one that averages less than that once it has run for bodyTimeout ends it too (a client
  // trickling a byte now and then). sendTimeout: a client that takes no byte of the response
  // for this long while some wait (nginx's send_timeout) is disconnected.
  std::uint64_t bodyTimeout = 0;
  std::uint64_t bodyMinRate = 0;
  std::uint64_t sendTimeout = 0;
  // Node's server.timeout: socket inactivity before `timeout` (0: none). See setTimeout().
  std::uint64_t timeout = 0;
  std::size_t maxHeaderSize = 16384;
  std::size_t maxHeadersCount = 2000;
  std::size_t maxRequestsPerSocket = 0;  // 0: no limit
  bool noDelay = true;
  std::size_t highWaterMark = 16 * 1024;
  bool joinDuplicateHeaders = false;
  // How often timeouts are checked (Node: connectionsCheckingInterval).
  std::uint64_t connectionsCheckingInterval = 1000;
};

using RequestPtr = std::shared_ptr<IncomingMessage>;
using ResponsePtr = std::shared_ptr<ServerResponse>;
using SocketPtr = std::shared_ptr<net::Socket>;

class Connection;

class Server : public net::Server {
 public:
  struct Events : net::Server::Events {
    static constexpr Event<const RequestPtr&, const ResponsePtr&> request{"request"};
    // `Expect: 100-continue`; without a listener the server answers 100 and emits request.
    static constexpr Event<const RequestPtr&, const ResponsePtr&> checkContinue{"checkContinue"};
    // Any other Expect; without a listener the server answers 417.
    static constexpr Event<const RequestPtr&, const ResponsePtr&> checkExpectation{
        "checkExpectation"};
    // CONNECT and Upgrade hand the socket over with the bytes read past the head.
    static constexpr Event<const RequestPtr&, const SocketPtr&, const Buffer&> connect{"connect"};
    static constexpr Event<const RequestPtr&, const SocketPtr&, const Buffer&> upgrade{"upgrade"};
    // A malformed request or a timeout; without a listener: 400/408/413/414/431/501/505, close.
    static constexpr Event<const Error&, const SocketPtr&> clientError{"clientError"};
    static constexpr Event<const SocketPtr&> timeout{"timeout"};
  };

  static std::shared_ptr<Server> create(ServerOptions opts = {});

  // Node's server.setTimeout: sockets accepted from now on time out after `ms` of inactivity
  // (options().timeout; 0 = never, the default). `cb` listens for `timeout`; with a listener,
  // a timed-out socket is the listener's to end, without one it is destroyed.
  Server& setTimeout(std::uint64_t ms, std::function<void(const SocketPtr&)> cb = nullptr);

  // Closes connections that have no request in flight (idle keep-alive sockets).
  void closeIdleConnections();
  // Destroys every connection now.
  void closeAllConnections();
  // net::Server::close also closes idle connections, and the rest after their response (Node 19+).
  Server& close(std::function<void(const Error&)> cb = nullptr) override;
  // Serves HTTP on a connected socket that this server did not accept itself (Node's
  // server.emit('connection', socket)): https::Server hands over each TLSSocket once its
  // handshake is done; any net::Socket (a TLSSocket over any stream) works.
  void serveConnection(const SocketPtr& socket);

  const ServerOptions& options() const { return opts_; }
  ServerOptions& options() { return opts_; }

  struct State;  // connection bookkeeping (src/http/server.cc)
  ~Server() override;

 protected:
  explicit Server(ServerOptions opts);
  // For servers whose accepted sockets are wrapped before HTTP sees them (https): the listening
  // side's own options.
  Server(ServerOptions opts, const net::ServerOptions& listenOpts);

 private:
  friend class Connection;
  ServerOptions opts_;
  std::unique_ptr<State> state_;
};

std::shared_ptr<Server> createServer(
    std::function<void(const RequestPtr&, const ResponsePtr&)> requestListener = nullptr);
std::shared_ptr<Server> createServer(
    ServerOptions opts,
    std::function<void(const RequestPtr&, const ResponsePtr&)> requestListener = nullptr);

// The response to one request. A Writable: write() returns false when the socket is backed
// up, and `drain` follows. Header helpers throw ERR_HTTP_HEADERS_SENT once the head is out,
// ERR_INVALID_HTTP_TOKEN / ERR_INVALID_CHAR for a bad name or a value with CR, LF or NUL.
class ServerResponse : public Writable {
 public:
  struct Events : Writable::Events {
    // The socket timed out while this response was in progress (see setTimeout).
    static constexpr Event<> timeout{"timeout"};
  };
  // Node's response.setTimeout: `cb` listens for this response's `timeout`, and the socket
  // times out after `ms` of inactivity. A timeout nobody listens for (request, response or
  // server) destroys the socket.
  ServerResponse& setTimeout(std::uint64_t ms, std::function<void()> cb = nullptr);

  int statusCode = 200;
  std::string statusMessage;  // empty: the standard reason phrase
  bool sendDate = true;

  ServerResponse& setHeader(std::string_view name, std::string_view value);
  ServerResponse& setHeader(std::string_view name, const std::vector<std::string>& values);
  std::optional<std::string> getHeader(std::string_view name) const;
  HeaderList getHeaders() const;                    // names lower-cased, as Node
  std::vector<std::string> getHeaderNames() const;  // lower-case
  bool hasHeader(std::string_view name) const;
  void removeHeader(std::string_view name);

  ServerResponse& writeHead(int status, const HeaderList& headers = {});
  ServerResponse& writeHead(int status, std::string_view message, const HeaderList& headers = {});
  // The list is taken over when no header was set before (no copy).
  ServerResponse& writeHead(int status, HeaderList&& headers);
  ServerResponse& writeHead(int status, std::string_view message, HeaderList&& headers);
  // What `writeHead(200, {{"Content-Type", "text/plain"}})` calls: the names and values are
  // copied into storage kept from earlier responses (no allocation per response).
  using HeaderViews = std::initializer_list<std::pair<std::string_view, std::string_view>>;
  ServerResponse& writeHead(int status, HeaderViews headers);
  ServerResponse& writeHead(int status, std::string_view message, HeaderViews headers);
  // Sends the head now (with no body written yet).
  void flushHeaders();
  // Interim responses.
  void writeContinue();
  void writeEarlyHints(const HeaderList& hints);
  void writeProcessing();
  // Trailers after a chunked body.
  void addTrailers(const HeaderList& trailers);

  bool headersSent() const { return headerSent_; }
  const std::shared_ptr<net::Socket>& socket() const { return socket_; }
  // The request this answers.
  const RequestPtr& req() const { return req_; }

  // end() here knows when end(data) is the only write, so the body gets a Content-Length.
  ServerResponse& end(Callback cb = nullptr);
  ServerResponse& end(Buffer chunk, Callback cb = nullptr);
  ServerResponse& end(std::string_view str, Callback cb = nullptr);

 protected:
  ServerResponse();
  ~ServerResponse() override;
  void _write(const Buffer& chunk, WriteCallback cb) override;
  void _writev(std::vector<Buffer>& chunks, WriteCallback cb) override;
  bool hasWritev() const override { return true; }
  void _final(std::function<void(const Error&)> cb) override;
  // A response ended at once (endAtOnce) was sent whole before Writable::end ran.
  bool hasFinal() const override { return !endedAtOnce_; }
  // False once finished when nothing can see the response any more (see response.cc).
  bool autoDestroy() const override;
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;

 private:
  friend class Connection;
  friend struct ResponseInternal;
  void sendBody(std::span<Buffer> chunks, bool last, WriteCallback* cb);
  // end(data) as the only write, or end() with nothing written: the body is `text`, or `body`
  // when given.
  bool canEndAtOnce() const;
  void endAtOnce(std::string_view text, const Buffer* body, Callback cb);
  // Bytes that go out as they are (interim responses), in order with the responses before.
  void sendRaw(std::string_view bytes);
  // Appends the status line and headers to `out`.
  void renderHead(ByteBuffer& out, std::size_t bodyBytesIfKnown, bool knownLength);
  void checkNotSent(const char* what) const;
  // writeHead's checks (a throw changes nothing), then the status; merges `headers` into
  // headers set before, or returns true when there were none (the caller sets the list).
  template <class List>
  bool applyHead(int status, std::string_view message, const List& headers);
  template <class List>
  void copyHeaders(const List& headers);  // into a reused list (HeaderStorage)

  HeaderList headers_;
  HeaderList trailers_;
  std::shared_ptr<net::Socket> socket_;
  RequestPtr req_;
  Connection* conn_ = nullptr;                  // cleared when the connection goes away
  std::optional<std::uint64_t> contentLength_;  // set by the user through Content-Length
  bool headerSent_ = false;
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
};

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

using IncomingMessagePtr = std::shared_ptr<IncomingMessage>;
class Agent;
class ClientRequest;
using AgentPtr = std::shared_ptr<Agent>;
using ClientRequestPtr = std::shared_ptr<ClientRequest>;

// Node's http.request options.
struct RequestOptions {
  std::string protocol = "http:";
  std::string host = "localhost";  // used when hostname is empty
  std::string hostname{};
  int port = 0;    // 0: the protocol's default (80)
  int family = 0;  // 0, 4 or 6
  std::string localAddress{};
  std::string socketPath{};  // HTTP over a Unix socket
  std::string method = "GET";
  std::string path = "/";
  HeaderList headers{};
  std::string auth{};         // "user:password" → Authorization: Basic
  AgentPtr agent{};           // nullptr: http::globalAgent() (https: https::globalAgent())
  bool noAgent = false;       // Node's `agent: false`: a fresh connection, `Connection: close`
  std::uint64_t timeout = 0;  // socket idle timeout in ms (emits `timeout`), 0 = none
  bool setHost = true;
  std::size_t maxHeaderSize = 16384;
  bool joinDuplicateHeaders = false;
  // Node's `lookup`: resolves hostname instead of dns.lookup. It gives one address, so a
  // connection made through it tries that address only.
  std::function<void(const std::string& hostname, int family,
                     std::function<void(const Error&, const std::string& address, int family)>)>
      lookup{};
  // As net::ConnectOptions' (happy eyeballs over the addresses of a host name).
  std::optional<bool> autoSelectFamily{};
  std::uint64_t autoSelectFamilyAttemptTimeout = 0;
  // TLS options for https: an https::TlsOptions (see evnode/https.h), opaque here so that
  // http.h does not depend on tls.h. https::request fills it in.
  std::shared_ptr<const void> tls{};

  // Host name to connect to (hostname, else host), without IPv6 brackets.
  std::string connectHost() const;
  int effectivePort() const { return port ? port : (protocol == "https:" ? 443 : 80); }
};

// Node's url.urlToHttpOptions: the URL's protocol, hostname (an IPv6 address without its
// brackets; also in `host`), port (0 for none or the scheme's default), path (pathname + search)
// and auth (the decoded "username:password") over `base`, whose other fields are kept.
RequestOptions urlToHttpOptions(const URL& url, RequestOptions base = {});
// Parses url as a WHATWG URL (evnode::URL, as Node's `new URL(url)`: dot segments removed, the
// host lower-cased, spaces and non-ASCII bytes percent-encoded) into the URL parts of
// RequestOptions, as urlToHttpOptions. Throws ERR_INVALID_URL. Any scheme parses; http::request
// refuses all but its agent's (ERR_INVALID_PROTOCOL).
RequestOptions parseUrl(std::string_view url, RequestOptions base = {});

namespace detail {
// http::request and https::request: `defaultAgent` is the module's global agent, whose protocol
// the request must use unless options.agent says otherwise (ERR_INVALID_PROTOCOL); with
// noAgent, its createConnection opens the connection.
ClientRequestPtr request(RequestOptions options, const AgentPtr& defaultAgent,
                         std::function<void(const IncomingMessagePtr&)> onResponse);
}  // namespace detail

// `information`: an interim 1xx response (besides 101).
struct InformationInfo {
  int statusCode = 0;
  std::string statusMessage;
  std::string httpVersion;
  IncomingHeaders headers;
};

class ClientRequest : public Writable {
 public:
  struct Events : Writable::Events {
    static constexpr Event<const SocketPtr&> socket{"socket"};
    static constexpr Event<const IncomingMessagePtr&> response{"response"};
    // Node's 'continue' (a C++ keyword): the server answered 100 Continue.
    static constexpr Event<> continue_{"continue"};
    static constexpr Event<const InformationInfo&> information{"information"};
    // CONNECT's 2xx and 101 Switching Protocols: the socket is the caller's now, with the bytes
    // read past the head. Without a listener the socket is destroyed.
    static constexpr Event<const IncomingMessagePtr&, const SocketPtr&, const Buffer&> connect{
        "connect"};
    static constexpr Event<const IncomingMessagePtr&, const SocketPtr&, const Buffer&> upgrade{
        "upgrade"};
    static constexpr Event<> timeout{"timeout"};
  };

  ~ClientRequest() override;

  ClientRequest& setHeader(std::string_view name, std::string_view value);
  ClientRequest& setHeader(std::string_view name, const std::vector<std::string>& values);
  std::optional<std::string> getHeader(std::string_view name) const;
  bool hasHeader(std::string_view name) const;
  void removeHeader(std::string_view name);
  std::vector<std::string> getHeaderNames() const;  // lower-case
  HeaderList getHeaders() const;                    // names lower-cased, as Node
  bool headersSent() const { return headerSent_; }
  // Sends the head now, before any body.
  void flushHeaders();
  ClientRequest& setTimeout(std::uint64_t ms, std::function<void()> cb = nullptr);
  ClientRequest& setNoDelay(bool noDelay = true);
  ClientRequest& setSocketKeepAlive(bool enable = false, std::uint64_t initialDelayMs = 0);

  // end(data) as the only write sends the body with a Content-Length; write() before end()
  // sends it chunked (unless the caller set Content-Length).
  ClientRequest& end(Callback cb = nullptr);
  ClientRequest& end(Buffer chunk, Callback cb = nullptr);
  ClientRequest& end(std::string_view str, Callback cb = nullptr) {
    return end(Buffer::from(str), std::move(cb));
  }

  const SocketPtr& socket() const { return socket_; }
  const IncomingMessagePtr& res() const { return res_; }
  const std::string& path() const { return opts_.path; }
  const std::string& method() const { return opts_.method; }
  const std::string& host() const { return host_; }
  const std::string& protocol() const { return opts_.protocol; }
  const RequestOptions& options() const { return opts_; }
  // The head as sent (Node's `request._header`); empty until headersSent().
  const Buffer& header() const { return head_; }
  // The socket had served an earlier request (came from the agent's free list).
  bool reusedSocket = false;
  std::size_t maxHeadersCount = 2000;

  struct Impl;  // response parsing and socket plumbing (src/http/client_request.cc)

 protected:
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
  friend ClientRequestPtr detail::request(RequestOptions, const AgentPtr&,
                                          std::function<void(const IncomingMessagePtr&)>);
  void checkNotSent(const char* what) const;
  void sendBody(std::vector<Buffer>& chunks, bool last, WriteCallback* cb);
  std::string renderHead(std::size_t bodyBytes, bool knownLength);
  // The agent (or the request itself) gives it a connection.
  void onSocket(const SocketPtr& socket, bool reused);

  RequestOptions opts_;
  std::string host_;
  std::string agentName_;  // the agent's key for this request's origin
  HeaderList headers_;
  Buffer head_;
  SocketPtr socket_;
  IncomingMessagePtr res_;
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<ClientRequest> self_;  // held until `close`
  bool headerSent_ = false;
  bool chunked_ = false;
  bool hasBodyWrite_ = false;
  bool inEnd_ = false;
  bool shouldKeepAlive_ = false;
};

ClientRequestPtr request(RequestOptions options,
                         std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
ClientRequestPtr request(std::string_view url,
                         std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
// The URL's parts override those of `options`.
ClientRequestPtr request(std::string_view url, RequestOptions options,
                         std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
// As request(), and end()s it.
ClientRequestPtr get(RequestOptions options,
                     std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
ClientRequestPtr get(std::string_view url,
                     std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
ClientRequestPtr get(std::string_view url, RequestOptions options,
                     std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
// A URL object, as Node's http.request(new URL(...)): its parts override those of `options`.
ClientRequestPtr request(const URL& url,
                         std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
ClientRequestPtr request(const URL& url, RequestOptions options,
                         std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
ClientRequestPtr get(const URL& url,
                     std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);
ClientRequestPtr get(const URL& url, RequestOptions options,
                     std::function<void(const IncomingMessagePtr&)> onResponse = nullptr);

struct AgentOptions {
  bool keepAlive = false;
  std::uint64_t keepAliveMsecs = 1000;
  std::size_t maxSockets = SIZE_MAX;  // per origin (Node: Infinity)
  std::size_t maxTotalSockets = SIZE_MAX;
  std::size_t maxFreeSockets = 256;
  std::uint64_t timeout = 0;        // idle timeout of its sockets, 0 = none
  std::string scheduling = "lifo";  // or "fifo": which free socket is reused first
};

// Connection pool: per origin (getName), at most maxSockets connections; requests beyond wait
// in order. With keepAlive, finished connections wait in the free list (unref'd: they don't keep
// the process alive) until reused, closed by the server, or timed out.
class Agent : public EventEmitter, public std::enable_shared_from_this<Agent> {
 public:
  struct Events : EventEmitter::Events {
    static constexpr Event<const SocketPtr&> free{"free"};
  };

  static AgentPtr create(AgentOptions opts = {});
  ~Agent() override;

  // "host:port:localAddress[:family]" (Node's key); a Unix socket's path.
  virtual std::string getName(const RequestOptions& opts) const;
  // Opens a new connection for a request (https::Agent opens a TLS one).
  virtual SocketPtr createConnection(const RequestOptions& opts);
  // Closes every socket, busy or free.
  void destroy();

  const AgentOptions& options() const { return opts_; }
  // Node's agent.sockets / freeSockets / requests, as counts per name.
  std::vector<std::pair<std::string, std::size_t>> sockets() const;
  std::vector<std::pair<std::string, std::size_t>> freeSockets() const;
  std::vector<std::pair<std::string, std::size_t>> requests() const;
  std::size_t totalSockets() const { return total_; }
  int defaultPort = 80;
  std::string protocol = "http:";

  struct Origin;

 protected:
  explicit Agent(AgentOptions opts);

 private:
  friend class ClientRequest;
  friend struct ClientRequest::Impl;
  friend ClientRequestPtr detail::request(RequestOptions, const AgentPtr&,
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

// Node's http.globalAgent (per thread): keepAlive, timeout 5000 ms, lifo. Assignable.
AgentPtr& globalAgent();

}  // namespace evnode::http
