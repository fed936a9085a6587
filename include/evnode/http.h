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
  void clear() { raw_.clear(); }
  void joinDuplicates(bool on) { joinDuplicates_ = on; }

 private:
  std::vector<std::pair<std::string, std::string>> raw_;
  bool joinDuplicates_ = false;
};

// A received request (server side) or response (client side). The body is the Readable side.
class IncomingMessage : public Readable {
 public:
  struct Events : Readable::Events {
    static constexpr Event<> aborted{"aborted"};
  };
  IncomingMessage();

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
};

class ServerResponse;

struct ServerOptions {
  std::uint64_t keepAliveTimeout = 5000;
  std::uint64_t headersTimeout = 60000;
  std::uint64_t requestTimeout = 300000;
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
    static constexpr Event<const RequestPtr&, const ResponsePtr&> checkExpectation{"checkExpectation"};
    // CONNECT and Upgrade hand the socket over with the bytes read past the head.
    static constexpr Event<const RequestPtr&, const SocketPtr&, const Buffer&> connect{"connect"};
    static constexpr Event<const RequestPtr&, const SocketPtr&, const Buffer&> upgrade{"upgrade"};
    // A malformed request or a timeout; without a listener: 400/408/413/414/431/501/505, close.
    static constexpr Event<const Error&, const SocketPtr&> clientError{"clientError"};
    static constexpr Event<const SocketPtr&> timeout{"timeout"};
  };

  static std::shared_ptr<Server> create(ServerOptions opts = {});

  // Closes connections that have no request in flight (idle keep-alive sockets).
  void closeIdleConnections();
  // Destroys every connection now.
  void closeAllConnections();
  // net::Server::close also closes idle connections, and the rest after their response (Node 19+).
  Server& close(std::function<void(const Error&)> cb = nullptr);

  const ServerOptions& options() const { return opts_; }
  ServerOptions& options() { return opts_; }

  struct State;  // connection bookkeeping (src/http/server.cc)
  ~Server() override;

 protected:
  explicit Server(ServerOptions opts);

 private:
  friend class Connection;
  ServerOptions opts_;
  std::unique_ptr<State> state_;
};

std::shared_ptr<Server> createServer(
    std::function<void(const RequestPtr&, const ResponsePtr&)> requestListener = nullptr);
std::shared_ptr<Server> createServer(
    ServerOptions opts, std::function<void(const RequestPtr&, const ResponsePtr&)> requestListener = nullptr);

// The response to one request. A Writable: write() returns false when the socket is backed
// up, and `drain` follows. Header helpers throw ERR_HTTP_HEADERS_SENT once the head is out,
// ERR_INVALID_HTTP_TOKEN / ERR_INVALID_CHAR for a bad name or a value with CR, LF or NUL.
class ServerResponse : public Writable {
 public:
  struct Events : Writable::Events {};

  int statusCode = 200;
  std::string statusMessage;  // empty: the standard reason phrase
  bool sendDate = true;

  ServerResponse& setHeader(std::string_view name, std::string_view value);
  ServerResponse& setHeader(std::string_view name, const std::vector<std::string>& values);
  std::optional<std::string> getHeader(std::string_view name) const;
  HeaderList getHeaders() const { return headers_; }
  std::vector<std::string> getHeaderNames() const;  // lower-case
  bool hasHeader(std::string_view name) const;
  void removeHeader(std::string_view name);

  ServerResponse& writeHead(int status, const HeaderList& headers = {});
  ServerResponse& writeHead(int status, std::string_view message, const HeaderList& headers = {});
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
  ServerResponse& end(std::string_view str, Callback cb = nullptr) { return end(Buffer::from(str), std::move(cb)); }

 protected:
  ServerResponse();
  void _write(const Buffer& chunk, WriteCallback cb) override;
  void _writev(std::vector<Buffer>& chunks, WriteCallback cb) override;
  bool hasWritev() const override { return true; }
  void _final(std::function<void(const Error&)> cb) override;
  bool hasFinal() const override { return true; }
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;

 private:
  friend class Connection;
  friend struct ResponseInternal;
  void sendBody(std::vector<Buffer>& chunks, bool last, WriteCallback* cb);
  std::string renderHead(std::size_t bodyBytesIfKnown, bool knownLength);
  void checkNotSent(const char* what) const;

  HeaderList headers_;
  HeaderList trailers_;
  std::shared_ptr<net::Socket> socket_;
  RequestPtr req_;
  Connection* conn_ = nullptr;  // cleared when the connection goes away
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
  std::uint64_t keepAliveTimeoutSec_ = 5;
};

}  // namespace evnode::http
