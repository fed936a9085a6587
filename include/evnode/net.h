// evnode/net.h — TCP and Unix-domain sockets: Node's net.Server and net.Socket.
//
//   auto server = net::createServer([](std::shared_ptr<net::Socket> socket) {
//     socket->on(net::Socket::Events::data, [socket](const Buffer& b) { socket->write(b); });
//   });
//   server->listen(3000, "127.0.0.1", [] { std::puts("listening"); });
//   evnode::run();
//
// A Socket is a Duplex: write() returns false past writableHighWaterMark and `drain` follows;
// a slow reader makes the socket stop reading from the kernel. Small writes made in one loop
// turn leave in one writev. Reads share a per-thread pool of 64 KiB slabs, so an idle
// connection holds no read buffer and a reader that consumes data as it arrives causes no
// allocation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "evnode/dns.h"
#include "evnode/stream.h"

namespace evnode::net {

// Node's socket.address() / server.address(): family is "IPv4" or "IPv6" ("" for a Unix
// socket, whose path is in `address` and port is -1).
struct AddressInfo {
  std::string address;
  std::string family;
  int port = -1;
};

struct SocketOptions {
  bool allowHalfOpen = false;
  std::size_t readableHighWaterMark = 64 * 1024;
  std::size_t writableHighWaterMark = 64 * 1024;
};

struct ConnectOptions {
  int port = -1;
  std::string host = "localhost";
  std::string path;  // a Unix socket instead of host/port
  std::string localAddress;
  int localPort = 0;
  int family = 0;             // 0 (any), 4 or 6
  std::uint64_t timeout = 0;  // as setTimeout() right away, 0 = none
  bool noDelay = false;
  bool keepAlive = false;
  std::uint64_t keepAliveInitialDelay = 0;
  bool allowHalfOpen = false;
  // Node's autoSelectFamily (happy eyeballs, RFC 8305): when `host` is a name, family is 0 and
  // there is no localAddress, every address looked up is tried in turn, families alternating
  // from the first one, each given autoSelectFamilyAttemptTimeout ms to connect before it is
  // given up for the next. Unset: getDefaultAutoSelectFamily() (true). When every attempt
  // fails, the error's `errors` holds each one's (see evnode/error.h).
  std::optional<bool> autoSelectFamily{};
  // 0: getDefaultAutoSelectFamilyAttemptTimeout() (250); below 10 counts as 10.
  std::uint64_t autoSelectFamilyAttemptTimeout = 0;
  // Node's `lookup`: resolves `host` instead of dns::lookup. options.family is the connect's;
  // options.all says whether every address is wanted (autoSelectFamily) or only the first.
  // `cb` may be called at once or later, once.
  std::function<void(const std::string& hostname, const dns::LookupOptions& options,
                     dns::LookupAllCallback cb)>
      lookup{};
};

class Server;

class Socket : public Duplex {
 public:
  struct Events : Duplex::Events {
    static constexpr Event<> connect{"connect"};
    static constexpr Event<> ready{"ready"};
    // (err, address, family, host), before connecting to a resolved host name.
    static constexpr Event<const Error&, const std::string&, int, const std::string&> lookup{
        "lookup"};
    static constexpr Event<> timeout{"timeout"};
    static constexpr Event<bool> close{"close"};  // hadError
    // Node's, for a connect that tries several addresses (autoSelectFamily): (ip, port, family)
    // as an attempt starts, fails (with its error) or is given up for the next address.
    static constexpr Event<const std::string&, int, int> connectionAttempt{"connectionAttempt"};
    static constexpr Event<const std::string&, int, int, const Error&> connectionAttemptFailed{
        "connectionAttemptFailed"};
    static constexpr Event<const std::string&, int, int> connectionAttemptTimeout{
        "connectionAttemptTimeout"};
  };

  // Node's `new net.Socket(options)`: not connected until connect().
  static std::shared_ptr<Socket> create(SocketOptions opts = {});
  ~Socket() override;

  // `cb` is added as a once-listener for `connect`. Errors go to the `error` event.
  Socket& connect(const ConnectOptions& opts, std::function<void()> cb = nullptr);
  Socket& connect(int port, const std::string& host = "localhost",
                  std::function<void()> cb = nullptr);
  Socket& connect(int port, std::function<void()> cb) {
    return connect(port, "localhost", std::move(cb));
  }
  Socket& connect(const std::string& path, std::function<void()> cb = nullptr);

  // Writes made in the same loop turn are flushed together (one writev).
  using Writable::write;
  bool write(Buffer chunk, Callback cb = nullptr);
  // Writable's string forms call Writable::write(Buffer) directly; these route through the
  // batching write above.
  bool write(std::string_view str, Callback cb = nullptr) {
    return write(Buffer::from(str), std::move(cb));
  }
  bool write(std::string_view str, std::string_view encoding, Callback cb = nullptr) {
    return write(Buffer::from(str, encoding), std::move(cb));
  }

  // Ends the writable side once pending writes are flushed, then destroys.
  void destroySoon();
  // Virtual (with the accessors below) so that a socket layered on another stream, such as
  // tls::TLSSocket, answers for its transport.
  virtual Socket& setNoDelay(bool noDelay = true);
  virtual Socket& setKeepAlive(bool enable = false, std::uint64_t initialDelayMs = 0);
  // Emits `timeout` after `ms` of inactivity (0 disables); the socket stays open.
  Socket& setTimeout(std::uint64_t ms, std::function<void()> cb = nullptr);
  std::uint64_t timeout() const;
  virtual Socket& ref();
  virtual Socket& unref();

  virtual std::string remoteAddress() const;
  virtual int remotePort() const;
  virtual std::string remoteFamily() const;
  std::string localAddress() const;
  int localPort() const;
  virtual AddressInfo address() const;
  virtual std::uint64_t bytesRead() const;
  virtual std::uint64_t bytesWritten() const;
  // "opening", "open", "readOnly", "writeOnly" or "closed".
  std::string readyState() const;
  virtual bool pending() const { return !handleOpen_ || connecting_; }
  bool connecting() const { return connecting_; }
  // Node's autoSelectFamilyAttemptedAddresses: "ip:port" of each address a connect that tried
  // several addresses attempted, in order (the last is the one connected); empty otherwise.
  std::vector<std::string> autoSelectFamilyAttemptedAddresses() const;

  // The socket that owns a descriptor (src/net/socket.cc): this class and its watcher (poller.h)
  // in one allocation. A layered socket (tls::TLSSocket) is a plain Socket without one.
  struct Impl;
  // Internal: the one consumer that may take the reads directly (src/net/direct.h).
  class Consumer;

 protected:
  // Also what a socket without a handle of its own (tls::TLSSocket) is built with: it overrides
  // the stream hooks and the virtual accessors, and the uv handle is never opened.
  explicit Socket(SocketOptions opts);
  // Restarts the setTimeout() countdown (activity seen by a subclass).
  void touchTimeout();
  void _read(std::size_t size) override;
  void _write(const Buffer& chunk, WriteCallback cb) override;
  void _writev(std::vector<Buffer>& chunks, WriteCallback cb) override;
  bool hasWritev() const override { return true; }
  void _final(std::function<void(const Error&)> cb) override;
  bool hasFinal() const override { return true; }
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;
  void emitCloseEvent() override;

 private:
  friend class Server;
  friend struct Impl;
  // Wraps an accepted descriptor; nullptr (and the descriptor closed) if that failed.
  static std::shared_ptr<Socket> accept(int fd, bool isPipe, const SocketOptions& opts);
  // A `data` listener removed may be the consumer's (src/net/direct.h).
  void listenerRemoved(const void* key) override;
  // Links an accepted socket to its server and starts it (reading unless paused).
  void attachTo(Server* server, bool pauseOnConnect);
  // What a socket needs only once it is used (byte counts, a timer, a connect or a write in
  // progress): allocated on first use and kept, so an idle connection has none of it.
  struct State;
  State& state();
  Impl* impl() const;  // nullptr for a layered socket
  AddressInfo remote() const;
  std::unique_ptr<State> st_;
  std::shared_ptr<Socket> self_;  // held while the handle is open
  // net::detail::setConsumer (src/net/direct.h): the consumer and its two listeners.
  Consumer* consumer_ = nullptr;
  ListenerId consumerData_ = 0, consumerError_ = 0;
  bool handleOpen_ : 1 = false;
  bool autoCorked_ : 1 = false;
  bool hasHandle_ : 1 = false;  // this is an Impl
  bool refed_ : 1 = true;
  // Impl's state, kept here where it fills what would be padding (an idle connection's memory).
  bool isPipe_ : 1 = false;
  bool wantRead_ : 1 = false;        // Readable asked for data
  bool readOnConnect_ : 1 = false;   // ... before the connection was up
  bool connectWait_ : 1 = false;     // a connect is under way: wait for writable
  bool closing_ : 1 = false;         // uv_close was called
  bool consumerDirect_ : 1 = false;  // reads may go straight to consumer_ (no other listener)

 protected:
  bool connecting_ : 1 = false;  // a layered socket sets it while its transport connects

 private:
  int fd_ = -1;  // Impl's descriptor
};

struct ServerOptions {
  bool allowHalfOpen = false;
  bool pauseOnConnect = false;
  bool noDelay = false;
  bool keepAlive = false;
  std::uint64_t keepAliveInitialDelay = 0;
  std::size_t highWaterMark = 64 * 1024;
};

struct ListenOptions {
  int port = 0;
  std::string host;  // empty: "::" (dual-stack) or "0.0.0.0"
  std::string path;  // a Unix socket instead of host/port
  int backlog = 511;
  bool ipv6Only = false;
  bool reusePort = false;
  bool exclusive = false;
};

// What `drop` reports about a connection refused by maxConnections.
struct DropInfo {
  std::string localAddress, remoteAddress, remoteFamily;
  int localPort = -1, remotePort = -1;
};

class Server : public EventEmitter, public std::enable_shared_from_this<Server> {
 public:
  struct Events : EventEmitter::Events {
    static constexpr Event<> listening{"listening"};
    static constexpr Event<const std::shared_ptr<Socket>&> connection{"connection"};
    static constexpr Event<> close{"close"};
    static constexpr Event<const DropInfo&> drop{"drop"};
  };

  static std::shared_ptr<Server> create(ServerOptions opts = {});
  ~Server() override;

  Server& listen(int port, const std::string& host = "", int backlog = 511,
                 std::function<void()> cb = nullptr);
  Server& listen(int port, const std::string& host, std::function<void()> cb) {
    return listen(port, host, 511, std::move(cb));
  }
  Server& listen(int port, std::function<void()> cb) {
    return listen(port, "", 511, std::move(cb));
  }
  Server& listen(const std::string& path, std::function<void()> cb = nullptr);
  Server& listen(const ListenOptions& opts, std::function<void()> cb = nullptr);

  // Stops accepting; `close` (and cb) follow once every connection has ended. cb gets
  // ERR_SERVER_NOT_RUNNING if the server was not listening. Virtual: servers that wrap their
  // connections (http, tls, https) also end what only they know about.
  virtual Server& close(std::function<void(const Error&)> cb = nullptr);
  AddressInfo address() const;
  bool listening() const { return listening_; }
  void getConnections(std::function<void(const Error&, std::size_t)> cb) const;
  std::size_t connections() const { return connections_; }
  // Connections beyond this are closed at once and reported by `drop` (-1: no limit).
  int maxConnections = -1;
  Server& ref();
  Server& unref();

  struct Impl;

 protected:
  explicit Server(ServerOptions opts);

 private:
  friend class Socket;
  friend struct Impl;
  void onConnection(int fd, bool isPipe);  // a connection was accepted
  void onConnectionClosed();
  void maybeEmitClose();
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<Server> self_;  // held while listening and while connections are open
  ServerOptions opts_;
  std::size_t connections_ = 0;
  bool listening_ = false;
  bool closing_ = false;
  bool refed_ = true;
  std::vector<std::function<void(const Error&)>> closeCbs_;
};

std::shared_ptr<Server> createServer(
    std::function<void(const std::shared_ptr<Socket>&)> connectionListener = nullptr);
std::shared_ptr<Server> createServer(
    ServerOptions opts,
    std::function<void(const std::shared_ptr<Socket>&)> connectionListener = nullptr);

std::shared_ptr<Socket> connect(const ConnectOptions& opts, std::function<void()> cb = nullptr);
std::shared_ptr<Socket> connect(int port, const std::string& host = "localhost",
                                std::function<void()> cb = nullptr);
std::shared_ptr<Socket> connect(const std::string& path, std::function<void()> cb = nullptr);
inline std::shared_ptr<Socket> createConnection(const ConnectOptions& opts,
                                                std::function<void()> cb = nullptr) {
  return connect(opts, std::move(cb));
}

// The defaults of ConnectOptions' autoSelectFamily (true) and autoSelectFamilyAttemptTimeout
// (250 ms), per thread. A timeout below 10 becomes 10; 0 or one past 2^31-1 throws
// ERR_OUT_OF_RANGE.
bool getDefaultAutoSelectFamily();
void setDefaultAutoSelectFamily(bool value);
std::uint64_t getDefaultAutoSelectFamilyAttemptTimeout();
void setDefaultAutoSelectFamilyAttemptTimeout(std::uint64_t ms);

// 4 for an IPv4 literal, 6 for IPv6, 0 otherwise.
int isIP(const std::string& input);
inline bool isIPv4(const std::string& input) { return isIP(input) == 4; }
inline bool isIPv6(const std::string& input) { return isIP(input) == 6; }

}  // namespace evnode::net
