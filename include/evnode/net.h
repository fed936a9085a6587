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

/// TCP and Unix-domain sockets: Node's net module.
namespace evnode::net {

/// Node's socket.address() / server.address(): family is "IPv4" or "IPv6" ("" for a Unix
/// socket, whose path is in `address` and port is -1).
struct AddressInfo {
  std::string address;  ///< "127.0.0.1", "::1", or a Unix socket's path
  std::string family;   ///< "IPv4", "IPv6" or ""
  int port = -1;        ///< -1 for a Unix socket
};

/// Node's `new net.Socket(options)`.
struct SocketOptions {
  bool allowHalfOpen = false;  ///< keep the writable side open after the peer's end
  std::size_t readableHighWaterMark = 64 * 1024;  ///< Readable's highWaterMark
  std::size_t writableHighWaterMark = 64 * 1024;  ///< Writable's highWaterMark
};

/// Node's net.connect(options).
struct ConnectOptions {
  int port = -1;                            ///< the port to connect to
  std::string host = "localhost";           ///< a host name or an IP address
  std::string path;                         ///< a Unix socket instead of host/port
  std::string localAddress;                 ///< the address to connect from ("": any)
  int localPort = 0;                        ///< the port to connect from (0: any)
  int family = 0;                           ///< 0 (any), 4 or 6
  std::uint64_t timeout = 0;                ///< as setTimeout() right away, 0 = none
  bool noDelay = false;                     ///< setNoDelay() once connected
  bool keepAlive = false;                   ///< setKeepAlive() once connected ...
  std::uint64_t keepAliveInitialDelay = 0;  ///< ... with this initial delay in ms
  bool allowHalfOpen = false;               ///< keep the writable side open after the peer's end
  /// Node's autoSelectFamily (happy eyeballs, RFC 8305): when `host` is a name, family is 0 and
  /// there is no localAddress, every address looked up is tried in turn, families alternating
  /// from the first one, each given autoSelectFamilyAttemptTimeout ms to connect before it is
  /// given up for the next. Unset: getDefaultAutoSelectFamily() (true). When every attempt
  /// fails, the error's `errors` holds each one's (see evnode/error.h).
  std::optional<bool> autoSelectFamily{};
  /// 0: getDefaultAutoSelectFamilyAttemptTimeout() (250); below 10 counts as 10.
  std::uint64_t autoSelectFamilyAttemptTimeout = 0;
  /// Node's `lookup`: resolves `host` instead of dns::lookup. options.family is the connect's;
  /// options.all says whether every address is wanted (autoSelectFamily) or only the first.
  /// `cb` may be called at once or later, once.
  std::function<void(const std::string& hostname, const dns::LookupOptions& options,
                     dns::LookupAllCallback cb)>
      lookup{};
};

class Server;

/// \cond INTERNAL
namespace internal {
// The socket that owns a descriptor (src/net/socket.cc): a Socket and its watcher (poller.h)
// in one allocation. A layered socket (tls::TLSSocket) is a plain Socket without one.
struct FdSocket;
class SocketConsumer;  // the one consumer that may take the reads directly (src/net/direct.h)
}  // namespace internal
/// \endcond

/// Node's net.Socket: a TCP or Unix-domain connection, as a Duplex stream.
class Socket : public Duplex {
 public:
  /// A socket's events: Duplex's, and these.
  struct Events : Duplex::Events {
    static constexpr Event<> connect{"connect"};  ///< the connection is established
    static constexpr Event<> ready{"ready"};      ///< right after `connect`
    /// (err, address, family, host), before connecting to a resolved host name.
    static constexpr Event<const Error&, const std::string&, int, const std::string&> lookup{
        "lookup"};
    static constexpr Event<> timeout{"timeout"};  ///< setTimeout()'s inactivity; still open
    /// Node's, for a connect that tries several addresses (autoSelectFamily): (ip, port, family)
    /// as an attempt starts, fails (with its error) or is given up for the next address.
    static constexpr Event<const std::string&, int, int> connectionAttempt{"connectionAttempt"};
    /// (ip, port, family, error): an attempt failed.
    static constexpr Event<const std::string&, int, int, const Error&> connectionAttemptFailed{
        "connectionAttemptFailed"};
    /// (ip, port, family): an attempt took autoSelectFamilyAttemptTimeout and was given up.
    static constexpr Event<const std::string&, int, int> connectionAttemptTimeout{
        "connectionAttemptTimeout"};
  };

  /// Node's `new net.Socket(options)`: not connected until connect().
  static std::shared_ptr<Socket> create(SocketOptions opts = {});
  ~Socket() override;

  /// `cb` is added as a once-listener for `connect`. Errors go to the `error` event.
  Socket& connect(const ConnectOptions& opts, std::function<void()> cb = nullptr);
  /// TCP to host:port.
  Socket& connect(int port, const std::string& host = "localhost",
                  std::function<void()> cb = nullptr);
  /// TCP to localhost:port.
  Socket& connect(int port, std::function<void()> cb) {
    return connect(port, "localhost", std::move(cb));
  }
  /// To the Unix socket at `path`.
  Socket& connect(const std::string& path, std::function<void()> cb = nullptr);

  using Writable::write;  // the string forms, which call this one
  /// Writable::write(), batched: writes made in the same loop turn leave in one writev.
  bool write(Buffer chunk, Callback cb = nullptr) override;

  /// Ends the writable side once pending writes are flushed, then destroys.
  void destroySoon();
  /// Virtual (with the accessors below) so that a socket layered on another stream, such as
  /// tls::TLSSocket, answers for its transport.
  virtual Socket& setNoDelay(bool noDelay = true);
  /// TCP keep-alive probes, the first after `initialDelayMs` of idleness (Node's setKeepAlive).
  virtual Socket& setKeepAlive(bool enable = false, std::uint64_t initialDelayMs = 0);
  /// Emits `timeout` after `ms` of inactivity (0 disables); the socket stays open.
  Socket& setTimeout(std::uint64_t ms, std::function<void()> cb = nullptr);
  /// The setTimeout() delay in ms (0: none).
  std::uint64_t timeout() const;
  /// Makes the socket keep the loop running (the default).
  virtual Socket& ref();
  /// Lets the loop end while the socket is open.
  virtual Socket& unref();

  virtual std::string remoteAddress() const;   ///< the peer's IP address ("" if unknown)
  virtual int remotePort() const;              ///< the peer's port (-1 if unknown)
  virtual std::string remoteFamily() const;    ///< "IPv4" or "IPv6" ("" if unknown)
  std::string localAddress() const;            ///< this end's IP address
  int localPort() const;                       ///< this end's port
  virtual AddressInfo address() const;         ///< this end's address, port and family
  virtual std::uint64_t bytesRead() const;     ///< bytes received so far
  virtual std::uint64_t bytesWritten() const;  ///< bytes written to the connection so far
  /// "opening", "open", "readOnly", "writeOnly" or "closed".
  std::string readyState() const;
  /// Whether the socket is not connected yet (connect() not called, or in progress).
  virtual bool pending() const { return !handleOpen_ || connecting_; }
  /// Whether a connect() is in progress.
  bool connecting() const { return connecting_; }
  /// Node's autoSelectFamilyAttemptedAddresses: "ip:port" of each address a connect that tried
  /// several addresses attempted, in order (the last is the one connected); empty otherwise.
  std::vector<std::string> autoSelectFamilyAttemptedAddresses() const;

 protected:
  /// Also what a socket without a descriptor of its own (tls::TLSSocket) is built with: it
  /// overrides the stream hooks and the virtual accessors.
  explicit Socket(SocketOptions opts);
  /// Restarts the setTimeout() countdown (activity seen by a subclass).
  void touchTimeout();
  void _read(std::size_t size) override;
  void _write(const Buffer& chunk, WriteCallback cb) override;
  void _writev(std::vector<Buffer>& chunks, WriteCallback cb) override;
  bool hasWritev() const override { return true; }
  void _final(std::function<void(const Error&)> cb) override;
  bool hasFinal() const override { return true; }
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;
  void emitCloseEvent() override;
  /// Writes batched for this turn go to the kernel before the socket is destroyed, as Node's
  /// would have at the write() call: write() then destroy() in one turn sends the bytes.
  void beforeDestroy() override;

 private:
  friend class Server;
  friend struct internal::FdSocket;
  // Wraps an accepted descriptor; nullptr (and the descriptor closed) if that failed.
  static std::shared_ptr<Socket> accept(int fd, bool isPipe, const SocketOptions& opts);
  // A `data` listener removed may be the consumer's (src/net/direct.h).
  void listenerRemoved(const void* key) override;
  // A `data` or `readable` listener added makes a lazy consumer register its own first.
  void newListener(const void* key) override;
  // Links an accepted socket to its server and starts it (reading unless paused).
  void attachTo(Server* server, bool pauseOnConnect);
  // What only some sockets need (a timer, a connect, output the kernel did not take at once,
  // options set before the descriptor opened): allocated on first use and kept, so a connection
  // whose writes the kernel takes at once (an idle one, most busy ones) has none of it. The byte
  // counts are the FdSocket's own.
  struct State;
  State& state();
  internal::FdSocket* impl() const;  // nullptr for a layered socket
  AddressInfo remote() const;
  std::unique_ptr<State> st_;
  std::shared_ptr<Socket> self_;  // held while the handle is open
  // net::internal::setConsumer (src/net/direct.h): the consumer and its two listeners (0 while
  // a lazy consumer has not registered them yet).
  internal::SocketConsumer* consumer_ = nullptr;
  ListenerId consumerData_ = 0, consumerError_ = 0;
  // A lazy consumer is attached, still wanted, and its listeners are not registered yet.
  bool consumerLazy() const { return consumer_ && consumerDirect_ && consumerData_ == 0; }
  bool handleOpen_ : 1 = false;
  bool autoCorked_ : 1 = false;
  bool hasHandle_ : 1 = false;  // this is an internal::FdSocket
  bool refed_ : 1 = true;
  // FdSocket's state, kept here where it fills what would be padding (an idle connection's
  // memory).
  bool isPipe_ : 1 = false;
  bool wantRead_ : 1 = false;        // Readable asked for data
  bool readOnConnect_ : 1 = false;   // ... before the connection was up
  bool connectWait_ : 1 = false;     // a connect is under way: wait for writable
  bool closing_ : 1 = false;         // the descriptor is being closed
  bool consumerDirect_ : 1 = false;  // reads may go straight to consumer_ (no other listener)

 protected:
  bool connecting_ : 1 = false;  ///< a layered socket sets it while its transport connects

 private:
  int fd_ = -1;  // FdSocket's descriptor
};

/// Node's net.createServer(options).
struct ServerOptions {
  bool allowHalfOpen = false;   ///< accepted sockets keep their writable side after the peer's end
  bool pauseOnConnect = false;  ///< accepted sockets do not start reading until resume()
  bool noDelay = false;         ///< setNoDelay() on each accepted socket
  bool keepAlive = false;       ///< setKeepAlive() on each accepted socket ...
  std::uint64_t keepAliveInitialDelay = 0;  ///< ... with this initial delay in ms
  std::size_t highWaterMark = 64 * 1024;    ///< accepted sockets' high-water marks
};

/// Node's server.listen(options).
struct ListenOptions {
  int port = 0;           ///< 0: an ephemeral port (see address())
  std::string host;       ///< empty: "::" (dual-stack) or "0.0.0.0"
  std::string path;       ///< a Unix socket instead of host/port
  int backlog = 511;      ///< the kernel's queue of pending connections
  bool ipv6Only = false;  ///< with host "::": IPv6 only, not dual-stack
  /// SO_REUSEPORT: several servers (threads of evnode/cluster.h, other processes of the same
  /// user) listen on the port, the kernel spreading connections over them. close() then takes
  /// the connections still in this socket's accept queue before closing it (the kernel would
  /// reset them), so a server handing the port over loses none.
  bool reusePort = false;
  bool exclusive = false;  ///< accepted for Node compatibility (no process-sharing cluster)
};

/// What `drop` reports about a connection refused by maxConnections.
struct DropInfo {
  /// @{
  /// As the refused Socket's localAddress(), remoteAddress(), remoteFamily(), localPort() and
  /// remotePort() would be.
  std::string localAddress, remoteAddress, remoteFamily;
  int localPort = -1, remotePort = -1;
  /// @}
};

/// Node's net.Server: listens on a TCP port or a Unix socket and emits a Socket per connection.
class Server : public EventEmitter, public std::enable_shared_from_this<Server> {
 public:
  /// A server's events: EventEmitter's, and these.
  struct Events : EventEmitter::Events {
    static constexpr Event<> listening{"listening"};  ///< listen() is bound and accepting
    /// A connection was accepted: the new socket.
    static constexpr Event<const std::shared_ptr<Socket>&> connection{"connection"};
    static constexpr Event<> close{"close"};  ///< closed, and every connection has ended
    static constexpr Event<const DropInfo&> drop{"drop"};  ///< a connection over maxConnections
  };

  /// Node's `new net.Server(options)`; see createServer().
  static std::shared_ptr<Server> create(ServerOptions opts = {});
  ~Server() override;

  /// Listens on host:port ("": every interface, dual-stack where possible; port 0: any free
  /// port). `cb` is added as a once-listener for `listening`; errors go to `error`.
  Server& listen(int port, const std::string& host = "", int backlog = 511,
                 std::function<void()> cb = nullptr);
  /// The same, with the default backlog.
  Server& listen(int port, const std::string& host, std::function<void()> cb) {
    return listen(port, host, 511, std::move(cb));
  }
  /// The same, on every interface.
  Server& listen(int port, std::function<void()> cb) {
    return listen(port, "", 511, std::move(cb));
  }
  /// Listens on the Unix socket at `path`.
  Server& listen(const std::string& path, std::function<void()> cb = nullptr);
  /// Listens as the options say.
  Server& listen(const ListenOptions& opts, std::function<void()> cb = nullptr);

  /// Stops accepting; `close` (and cb) follow once every connection has ended. cb gets
  /// ERR_SERVER_NOT_RUNNING if the server was not listening. Virtual: servers that wrap their
  /// connections (http, tls, https) also end what only they know about.
  virtual Server& close(std::function<void(const Error&)> cb = nullptr);
  /// The bound address, port and family (the port chosen for port 0).
  AddressInfo address() const;
  /// Whether the server is listening.
  bool listening() const { return listening_; }
  /// Calls `cb` with the number of open connections (asynchronously, as Node).
  void getConnections(std::function<void(const Error&, std::size_t)> cb) const;
  /// The number of open connections, now.
  std::size_t connections() const { return connections_; }
  /// Connections beyond this are closed at once and reported by `drop` (-1: no limit).
  int maxConnections = -1;
  /// Makes the server keep the loop running (the default).
  Server& ref();
  /// Lets the loop end while the server listens.
  Server& unref();

  struct Impl;

 protected:
  /// For subclasses (http, tls); use create().
  explicit Server(ServerOptions opts);

 private:
  friend class Socket;
  friend struct internal::FdSocket;
  friend struct Impl;
  void onConnection(int fd, bool isPipe);  // a connection was accepted
  void onConnectionClosed();               // a connection was destroyed (Node's count goes down)
  void onConnectionReleased();  // ... and has emitted its `close` (it no longer uses the server)
  void maybeEmitClose();
  std::unique_ptr<Impl> impl_;
  // Held while listening, until `close` was emitted, and while a connection may still call in
  // (until its own `close`, which Node emits after the server's).
  std::shared_ptr<Server> self_;
  ServerOptions opts_;
  std::size_t connections_ = 0;
  std::size_t attached_ = 0;  // connections whose `close` is still to come
  bool listening_ = false;
  bool closing_ = false;
  bool refed_ = true;
  std::vector<std::function<void(const Error&)>> closeCbs_;

 protected:
  /// The last listen() shared its port (reusePort): another server may be taking over from
  /// this one, which http::Server::close() allows for.
  bool sharesPort_ = false;
};

/// Node's net.createServer(connectionListener): `connectionListener` listens for `connection`.
std::shared_ptr<Server> createServer(
    std::function<void(const std::shared_ptr<Socket>&)> connectionListener = nullptr);
/// Node's net.createServer(options, connectionListener).
std::shared_ptr<Server> createServer(
    ServerOptions opts,
    std::function<void(const std::shared_ptr<Socket>&)> connectionListener = nullptr);

/// Node's net.connect(options, cb): a new Socket, connecting; `cb` listens once for `connect`.
std::shared_ptr<Socket> connect(const ConnectOptions& opts, std::function<void()> cb = nullptr);
/// Node's net.connect(port, host, cb).
std::shared_ptr<Socket> connect(int port, const std::string& host = "localhost",
                                std::function<void()> cb = nullptr);
/// Node's net.connect(path, cb): to a Unix socket.
std::shared_ptr<Socket> connect(const std::string& path, std::function<void()> cb = nullptr);
/// The same as connect(opts, cb).
inline std::shared_ptr<Socket> createConnection(const ConnectOptions& opts,
                                                std::function<void()> cb = nullptr) {
  return connect(opts, std::move(cb));
}

/// The defaults of ConnectOptions' autoSelectFamily (true) and autoSelectFamilyAttemptTimeout
/// (250 ms), per thread. A timeout below 10 becomes 10; 0 or one past 2^31-1 throws
/// ERR_OUT_OF_RANGE.
bool getDefaultAutoSelectFamily();
void setDefaultAutoSelectFamily(bool value);  ///< see getDefaultAutoSelectFamily()
/// Node's net.getDefaultAutoSelectFamilyAttemptTimeout(): 250 ms unless set.
std::uint64_t getDefaultAutoSelectFamilyAttemptTimeout();
/// Node's net.setDefaultAutoSelectFamilyAttemptTimeout() (see getDefaultAutoSelectFamily()).
void setDefaultAutoSelectFamilyAttemptTimeout(std::uint64_t ms);

/// 4 for an IPv4 literal, 6 for IPv6, 0 otherwise.
int isIP(const std::string& input);
inline bool isIPv4(const std::string& input) { return isIP(input) == 4; }  ///< isIP() == 4
inline bool isIPv6(const std::string& input) { return isIP(input) == 6; }  ///< isIP() == 6

}  // namespace evnode::net
