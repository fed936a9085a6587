// evnode/ws.h — WebSocket (RFC 6455) with permessage-deflate (RFC 7692), shaped like npm `ws`.
//
//   auto wss = ws::WebSocketServer::create({.port = 8080});
//   wss->on(ws::WebSocketServer::Events::connection,
//           [](const ws::WebSocketPtr& sock, const http::RequestPtr&) {
//             sock->on(ws::WebSocket::Events::message, [raw = sock.get()](const Buffer& data,
//                                                                          bool isBinary) {
//               raw->send(data, {.binary = isBinary});
//             });
//           });
//
//   auto c = ws::WebSocket::connect("ws://127.0.0.1:8080/");
//   c->on(ws::WebSocket::Events::open, [raw = c.get()] { raw->send("hello"); });
//
// Both ends validate what the peer sends as RFC 6455 says (masking, opcodes, reserved bits,
// control-frame size, close codes, UTF-8 of text across fragments) and fail the connection with
// the RFC's close code (1002, 1007, 1009). A peer can never end the process: `error` is emitted
// only when someone listens for it (npm `ws` would throw an unhandled error instead). Messages
// are delivered whole (fragments are joined), bounded by maxPayload, also after inflation.
#pragma once

#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evnode/async_generator.h"
#include "evnode/buffer.h"
#include "evnode/events.h"
#include "evnode/http.h"
#include "evnode/https.h"

/// WebSocket client and server: npm `ws`'s WebSocket and WebSocketServer.
namespace evnode::ws {

/// permessage-deflate (RFC 7692) settings, as `ws`'s perMessageDeflate option.
struct PerMessageDeflateOptions {
  /// Offer (client) or accept (server) the extension at all.
  bool enabled = true;
  /// Ask for (client) or insist on (server) a server that resets its compressor per message.
  bool serverNoContextTakeover = false;
  /// Ask for (server: insist on; client: offer) a client that resets its compressor per message.
  bool clientNoContextTakeover = false;
  /// The server's LZ77 window, 9..15 (0: not constrained).
  int serverMaxWindowBits = 0;
  /// The client's LZ77 window, 9..15 (0: not constrained).
  int clientMaxWindowBits = 0;
  /// Messages smaller than this many bytes are sent uncompressed (`ws`'s default, 1024).
  std::size_t threshold = 1024;
  /// zlib's compression level for outgoing messages (1..9).
  int level = 1;
};

/// The largest message accepted by default: 100 MiB, as `ws`.
constexpr std::size_t kDefaultMaxPayload = 100 * 1024 * 1024;

/// Options of send().
struct SendOptions {
  /// A binary message (opcode 2); false: text (opcode 1), which must be valid UTF-8.
  bool binary = false;
  /// Compress with permessage-deflate when negotiated (and the message reaches the threshold).
  bool compress = true;
  /// Whether this is the last fragment of the message: false leaves the message open, and
  /// the next send() continues it.
  bool fin = true;
};

class WebSocket;
using WebSocketPtr = std::shared_ptr<WebSocket>;  ///< a WebSocket

/// Options of a client connection (`new WebSocket(url, protocols, options)`).
struct ClientOptions {
  /// Subprotocols offered (Sec-WebSocket-Protocol), in order of preference.
  std::vector<std::string> protocols{};
  /// Extra request headers (Origin, Authorization, ...).
  http::HeaderList headers{};
  /// The opening handshake must complete within this many ms (0: no limit).
  std::uint64_t handshakeTimeout = 0;
  /// The largest message accepted (bytes); more fails the connection with 1009.
  std::size_t maxPayload = kDefaultMaxPayload;
  /// permessage-deflate; `enabled = false` offers nothing.
  PerMessageDeflateOptions perMessageDeflate{};
  /// The `Origin` header (`ws`'s `origin` option); empty: none.
  std::string origin{};
  /// Pong every ping automatically (as `ws`); the `ping` event is emitted either way.
  bool autoPong = true;
  /// How long close() waits for the peer's close before destroying the socket (ms).
  std::uint64_t closeTimeout = 30000;
  /// wss://: TLS options as https.request's (`ca`, `rejectUnauthorized`, `servername`, ...);
  /// the server's certificate is verified against the system's CAs unless told otherwise.
  https::TlsOptions tls{};
};

/// npm `ws`'s WebSocket: one end of a connection, client or server side.
class WebSocket : public EventEmitter, public std::enable_shared_from_this<WebSocket> {
 public:
  /// readyState's values, as the WebSocket API's constants.
  enum ReadyState : int { CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3 };

  /// A WebSocket's events: EventEmitter's, and these.
  struct Events : EventEmitter::Events {
    static constexpr Event<> open{"open"};  ///< the handshake completed (client side)
    /// A whole message: its bytes and whether it was binary (text is valid UTF-8).
    static constexpr Event<const Buffer&, bool> message{"message"};
    static constexpr Event<const Buffer&> ping{"ping"};  ///< a ping and its payload
    static constexpr Event<const Buffer&> pong{"pong"};  ///< a pong and its payload
    /// The connection closed: the peer's close code (1005: none given; 1006: no close frame)
    /// and reason.
    static constexpr Event<int, const Buffer&> close{"close"};
    /// send() may go on after it returned false.
    static constexpr Event<> drain{"drain"};
    /// Client: the server answered the handshake with something other than 101; without a
    /// listener this is an `error` ("Unexpected server response: 404").
    static constexpr Event<const http::ClientRequestPtr&, const http::IncomingMessagePtr&>
        unexpectedResponse{"unexpected-response"};
    /// Client: the server's 101 response, before `open`.
    static constexpr Event<const http::IncomingMessagePtr&> upgrade{"upgrade"};
  };

  /// Node's `new WebSocket(url, options)`: connects to a ws:// or wss:// URL. An invalid URL
  /// or scheme throws (ERR_INVALID_URL, ERR_INVALID_PROTOCOL); connection errors go to `error`
  /// followed by `close` (1006).
  static WebSocketPtr connect(std::string_view url, ClientOptions options = {});
  ~WebSocket() override;

  /// Sends a message (or, with fin false, a fragment). Returns false once the bytes waiting to
  /// be written reach the high-water mark: wait for `drain` (a Writable's rule). `cb` runs when
  /// the frame was written (or with the error). Throws ERR_WS_NOT_OPEN unless OPEN.
  bool send(const Buffer& data, SendOptions options = {},
            std::function<void(const Error&)> cb = {});
  /// send() of a text message.
  bool send(std::string_view text, SendOptions options = {},
            std::function<void(const Error&)> cb = {}) {
    return send(Buffer::from(text), options, std::move(cb));
  }
  /// Sends a ping (payload at most 125 bytes, else ERR_WS_CONTROL_TOO_LONG).
  void ping(const Buffer& data = {}, std::function<void(const Error&)> cb = {});
  /// Sends a pong (payload at most 125 bytes).
  void pong(const Buffer& data = {}, std::function<void(const Error&)> cb = {});
  /// Starts the closing handshake: a close frame with `code` (1000, 3000-4999 or another code
  /// RFC 6455 lets an endpoint send; 0 sends none) and `reason` (at most 123 bytes). The socket
  /// is destroyed if the peer does not answer within the close timeout (30 s).
  void close(int code = 1000, std::string_view reason = {});
  /// Destroys the connection at once (`close` follows with 1006).
  void terminate();
  /// Stops reading from the peer (frames stay in the kernel's buffer).
  void pause();
  /// Undoes pause().
  void resume();
  /// Whether pause() is in effect.
  bool isPaused() const { return userPaused_; }

  /// CONNECTING, OPEN, CLOSING or CLOSED.
  int readyState() const { return state_; }
  /// Bytes given to send() (framed, compressed) that the socket has not written yet.
  std::size_t bufferedAmount() const;
  /// The subprotocol both ends agreed on ("" if none).
  const std::string& protocol() const;
  /// The extensions agreed on, as the Sec-WebSocket-Extensions header value ("" if none).
  const std::string& extensions() const;
  /// The URL connected to (client), or the request target (server).
  const std::string& url() const;
  /// The underlying connection (nullptr until open on the client; after close).
  const http::SocketPtr& socket() const { return socket_; }
  /// Whether this is the client end.
  bool isClient() const { return isClient_; }

  struct Impl;  ///< the frame reader, deflate state and timers (src/ws)

 private:
  // Only Impl, which derives from WebSocket, is ever made (by WebSocketServer::handleUpgrade
  // and connect()): the WebSocket and its state are one allocation (an idle connection's cost).
  WebSocket();
  Impl* impl();
  friend struct Impl;
  friend class WebSocketServer;
  friend class Clients;
  http::SocketPtr socket_;
  // The url and the options that do not change after the handshake, shared: a server's
  // connections to one path share one (an idle connection's memory).
  struct Settings;
  std::shared_ptr<const Settings> settings_;
  int state_ = CONNECTING;
  bool isClient_ = false;
  bool userPaused_ = false;
};

/// WebSocketServer::clients(): the open connections, in the order they opened (as the
/// JavaScript Set of npm `ws`). Iterating gives each one's WebSocketPtr. A connection leaves
/// when it closes; the one being visited may leave during its visit (as in a Set), but an
/// iterator on a connection that left is not advanced past another that left since.
class Clients {
 public:
  /// Visits the connections in order.
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;  ///< a forward iterator
    using value_type = WebSocketPtr;                      ///< what it visits
    using difference_type = std::ptrdiff_t;               ///< (the standard's requirement)
    using pointer = void;                                 ///< (no -> on a shared_ptr by value)
    using reference = WebSocketPtr;                       ///< given by value
    iterator() = default;                                 ///< end()
    WebSocketPtr operator*() const;                       ///< the connection
    iterator& operator++();                               ///< the next one
    iterator operator++(int);                             ///< the next one
    bool operator==(const iterator& o) const = default;   ///< same position

   private:
    friend class Clients;
    explicit iterator(WebSocket* at) : at_(at) {}
    WebSocket* at_ = nullptr;
  };
  using const_iterator = iterator;  ///< the same (nothing is changed through it)

  std::size_t size() const { return size_; }          ///< how many are open
  bool empty() const { return size_ == 0; }           ///< none is open
  iterator begin() const { return iterator(head_); }  ///< the first one
  iterator end() const { return iterator(); }         ///< past the last one
  bool contains(const WebSocketPtr& ws) const;        ///< whether `ws` is one of them
  std::size_t count(const WebSocketPtr& ws) const { return contains(ws) ? 1 : 0; }  ///< 0 or 1

  /// \cond INTERNAL
  Clients() = default;
  Clients(const Clients&) = delete;
  Clients& operator=(const Clients&) = delete;
  /// \endcond

 private:
  friend class WebSocketServer;
  friend struct WebSocket::Impl;
  // An intrusive list through the connections (WebSocket::Impl's links): no node of its own per
  // connection (a std::set's cost 64 bytes each, an idle connection's memory).
  WebSocket* head_ = nullptr;
  WebSocket* tail_ = nullptr;
  std::size_t size_ = 0;
};

/// What verifyClient is given.
struct VerifyInfo {
  std::string origin;    ///< the Origin header ("" if none)
  bool secure = false;   ///< the connection is TLS
  http::RequestPtr req;  ///< the upgrade request
};

/// `ws`'s WebSocketServer options. Exactly one of port, server and noServer.
struct ServerOptions {
  /// Listen on this port (0: any free one) with an HTTP server of our own.
  std::optional<int> port{};
  /// With `port`: the host to bind ("": every interface).
  std::string host{};
  /// Attach to this HTTP (or HTTPS) server's `upgrade` event.
  std::shared_ptr<http::Server> server{};
  /// Make no server: call handleUpgrade() yourself.
  bool noServer = false;
  /// Accept only upgrades whose path (without query) is this ("": any).
  std::string path{};
  /// The largest message accepted (bytes); more fails the connection with 1009.
  std::size_t maxPayload = kDefaultMaxPayload;
  /// Keep the open connections in clients().
  bool clientTracking = true;
  /// Accept or refuse a handshake: return false to refuse with 401 (`ws`'s synchronous form).
  std::function<bool(const VerifyInfo&)> verifyClient{};
  /// Picks the subprotocol from those the client offered (in order); "" accepts none.
  /// Without it, the first offered protocol is chosen (as `ws`).
  std::function<std::string(const std::vector<std::string>&, const http::RequestPtr&)>
      handleProtocols{};
  /// permessage-deflate; `enabled = false` declines every offer. Off by default, as `ws`.
  PerMessageDeflateOptions perMessageDeflate{.enabled = false};
  /// Pong every ping automatically (as `ws`); the `ping` event is emitted either way.
  bool autoPong = true;
  /// How long close() waits for the peer's close before destroying the socket (ms).
  std::uint64_t closeTimeout = 30000;
};

/// `ws`'s WebSocketServer: accepts WebSocket handshakes and emits `connection`.
class WebSocketServer : public EventEmitter, public std::enable_shared_from_this<WebSocketServer> {
 public:
  /// The server's events: EventEmitter's, and these.
  struct Events : EventEmitter::Events {
    /// A handshake completed: the new WebSocket and the upgrade request.
    static constexpr Event<const WebSocketPtr&, const http::RequestPtr&> connection{"connection"};
    static constexpr Event<> listening{"listening"};  ///< the server of `port` listens
    /// The response headers about to be written (lines without CRLF); a listener may add lines.
    static constexpr Event<std::vector<std::string>&, const http::RequestPtr&> headers{"headers"};
    /// A handshake was refused (the reason as an Error; the client got a 4xx).
    static constexpr Event<const Error&, const http::SocketPtr&, const http::RequestPtr&>
        wsClientError{"wsClientError"};
    static constexpr Event<> close{"close"};  ///< close() finished
  };

  /// `new WebSocketServer(options)`: throws ERR_INVALID_ARG_VALUE unless exactly one of port,
  /// server and noServer is given.
  static std::shared_ptr<WebSocketServer> create(ServerOptions options);
  ~WebSocketServer() override;

  /// Completes a handshake for a request taken from an `upgrade` event (noServer mode, or to
  /// route by path yourself): `cb` gets the open WebSocket. A bad handshake is answered with
  /// 400 (or 401 from verifyClient) and the socket is destroyed; `cb` is not called.
  void handleUpgrade(const http::RequestPtr& req, const http::SocketPtr& socket, const Buffer& head,
                     std::function<void(const WebSocketPtr&, const http::RequestPtr&)> cb);
  /// Whether a request is one this server accepts (its path matches `path`).
  bool shouldHandle(const http::RequestPtr& req) const;
  /// Stops accepting; closes the server made for `port`; terminates open clients. `close`
  /// (and cb) follow.
  void close(std::function<void(const Error&)> cb = nullptr);
  /// The address of the server made for `port` (or of `server`).
  net::AddressInfo address() const;
  /// The open connections (clientTracking).
  const Clients& clients() const { return clients_; }
  /// The HTTP server in use (made for `port`, or the one given), nullptr with noServer.
  const std::shared_ptr<http::Server>& httpServer() const { return server_; }
  /// The options it was made with.
  const ServerOptions& options() const { return opts_; }

  /// \cond INTERNAL
  explicit WebSocketServer(ServerOptions options);
  /// \endcond

 private:
  friend struct WebSocket::Impl;
  void attach();
  void track(WebSocket::Impl& ws);
  void forget(WebSocket::Impl& ws);
  ServerOptions opts_;
  std::shared_ptr<http::Server> server_;
  Clients clients_;
  // The last connection's url and settings (shared, see WebSocket::settings_).
  std::shared_ptr<const WebSocket::Settings> lastSettings_;
  ListenerId upgradeListener_ = 0;
  bool ownServer_ = false;
  bool closed_ = false;
};

/// One message of messages(): its bytes and whether it was binary.
struct Message {
  Buffer data;          ///< the message's bytes (valid UTF-8 for text)
  bool binary = false;  ///< opcode 2 (else text)
};

/// The messages of `ws` as an async generator (Node's `for await (const [data, isBinary] of
/// events.on(ws, 'message'))`), ending when the connection closes:
///
///   auto gen = ws::messages(sock);
///   while (auto m = co_await gen.next()) sock->send(m->data, {.binary = m->binary});
///
/// Messages that arrive while the consumer is busy wait in order; when 16 wait, reading pauses
/// until the consumer catches up. A protocol error ends the generator like a close. Destroying
/// the generator removes its listeners.
AsyncGenerator<Message> messages(WebSocketPtr ws);

/// The Sec-WebSocket-Accept value for a Sec-WebSocket-Key (RFC 6455 §4.2.2).
std::string acceptKey(std::string_view key);

}  // namespace evnode::ws
