// evnode/dgram.h — UDP sockets: Node's dgram module.
//
//   using dgram::Socket;
//   auto server = dgram::createSocket("udp4");
//   server->on(Socket::Events::message, [server](const Buffer& msg, const dgram::RemoteInfo& r) {
//     server->send(msg, r.port, r.address);  // echo
//   });
//   server->bind(41234, [server] { auto a = server->address(); ... });
//   evnode::run();
//
// A Socket is an EventEmitter, not a stream: each datagram is one `message`. It follows Node's
// rules: send() on a socket that is not bound binds it to an ephemeral port first; host names
// (in bind, connect and send) resolve through dns::lookup with the socket's family; send
// callbacks run later, never inside send(). Misuse throws evnode::Exception at the call
// (ERR_SOCKET_BAD_PORT, ERR_SOCKET_DGRAM_NOT_RUNNING, ERR_SOCKET_ALREADY_BOUND,
// ERR_SOCKET_DGRAM_IS_CONNECTED, ...). A failed send goes to its callback ("send EMSGSIZE
// 127.0.0.1:41234"; as in Node, it is dropped when there is none, except a failed host-name
// lookup, which is emitted as `error`); bind, connect and receive failures are `error` events
// ("bind EADDRINUSE 0.0.0.0:41234"). Listeners are dropped after `close`, so capturing the socket
// in its own listeners does not leak it.
//
// Receiving uses recvmmsg where the OS has it: one system call reads a batch of up to 16
// datagrams, each still delivered as its own `message` with its own Buffer. Sends made while a
// batch is being delivered leave together in one sendmmsg at the end of the batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "evnode/buffer.h"
#include "evnode/events.h"

/// UDP sockets: Node's dgram module.
namespace evnode::dgram {

/// Where a datagram came from (Node's rinfo). family is "IPv4" or "IPv6".
struct RemoteInfo {
  std::string address;   ///< the sender's IP address
  std::string family;    ///< "IPv4" or "IPv6"
  int port = 0;          ///< the sender's port
  std::size_t size = 0;  ///< the datagram's size in bytes
};

/// socket.address() / socket.remoteAddress().
struct AddressInfo {
  std::string address;  ///< an IP address
  std::string family;   ///< "IPv4" or "IPv6"
  int port = 0;         ///< the port
};

/// Node's dgram.createSocket(options).
struct SocketOptions {
  std::string type = "udp4";  ///< "udp4" or "udp6"
  bool reuseAddr = false;     ///< SO_REUSEADDR: bind even if another socket has the address
  /// SO_REUSEPORT (Linux, FreeBSD; other systems fail the bind): sockets on several threads
  /// (evnode/cluster.h) or processes share the port, datagrams spread by their source address.
  bool reusePort = false;
  bool ipv6Only = false;   ///< udp6 bound to "::": IPv6 only, not dual-stack
  int recvBufferSize = 0;  ///< SO_RCVBUF applied at bind; 0 = the system's default
  int sendBufferSize = 0;  ///< SO_SNDBUF applied at bind
  /// evnode's own: read datagrams in recvmmsg batches where the OS can (false: one recvmsg per
  /// datagram, as Node does). bench/udp_recv_bench compares the two.
  bool recvmmsg = true;
};

/// Node's socket.bind(options).
struct BindOptions {
  int port = 0;              ///< 0 = an ephemeral port
  std::string address = {};  ///< "" = every interface ("0.0.0.0" or "::")
  bool exclusive = false;    ///< accepted for Node compatibility (no cluster here)
};

/// Node's dgram.Socket: a UDP socket (an EventEmitter; each datagram is one `message`).
class Socket : public EventEmitter, public std::enable_shared_from_this<Socket> {
 public:
  /// A UDP socket's events: EventEmitter's, and these.
  struct Events : EventEmitter::Events {
    /// A datagram arrived: its bytes and where it came from.
    static constexpr Event<const Buffer&, const RemoteInfo&> message{"message"};
    static constexpr Event<> listening{"listening"};  ///< bound; datagrams are being received
    static constexpr Event<> connect{"connect"};      ///< connect() succeeded
    static constexpr Event<> close{"close"};          ///< close() is done
  };

  /// A `message` listener (createSocket()'s second argument).
  using MessageListener = std::function<void(const Buffer&, const RemoteInfo&)>;
  /// (err, bytes sent): err is empty on success.
  using SendCallback = std::function<void(const Error& err, std::size_t bytes)>;

  ~Socket() override;

  /// Binds and starts receiving; `listening` (and cb, added as a once-listener) follows, or
  /// `error`. A second bind throws ERR_SOCKET_ALREADY_BOUND.
  Socket& bind(int port = 0, const std::string& address = "", std::function<void()> cb = nullptr);
  /// To `port` on every interface.
  Socket& bind(int port, std::function<void()> cb) { return bind(port, "", std::move(cb)); }
  /// To an ephemeral port on every interface.
  Socket& bind(std::function<void()> cb) { return bind(0, "", std::move(cb)); }
  /// As the options say.
  Socket& bind(const BindOptions& options, std::function<void()> cb = nullptr);

  /// Associates the socket with one peer: later sends go there without an address, and only its
  /// datagrams arrive. `connect` (and cb) follows, or `error`.
  void connect(int port, const std::string& address = "", std::function<void()> cb = nullptr);
  /// To `port` on localhost.
  void connect(int port, std::function<void()> cb) { connect(port, "", std::move(cb)); }
  /// Throws ERR_SOCKET_DGRAM_NOT_CONNECTED if not connected.
  void disconnect();

  /// One datagram to port/address (address "" = localhost of the socket's family). A list of
  /// Buffers is gathered into one datagram.
  void send(const Buffer& msg, int port, const std::string& address = "",
            SendCallback cb = nullptr);
  /// To localhost.
  void send(const Buffer& msg, int port, SendCallback cb) { send(msg, port, "", std::move(cb)); }
  /// The `length` bytes of msg at `offset`.
  void send(const Buffer& msg, std::size_t offset, std::size_t length, int port,
            const std::string& address = "", SendCallback cb = nullptr);
  /// The string's bytes.
  void send(std::string_view msg, int port, const std::string& address = "",
            SendCallback cb = nullptr);
  /// The string's bytes, to localhost.
  void send(std::string_view msg, int port, SendCallback cb) { send(msg, port, "", std::move(cb)); }
  /// The `length` bytes of the string at `offset`.
  void send(std::string_view msg, std::size_t offset, std::size_t length, int port,
            const std::string& address = "", SendCallback cb = nullptr);
  /// The Buffers gathered into one datagram.
  void send(const std::vector<Buffer>& msg, int port, const std::string& address = "",
            SendCallback cb = nullptr);
  /// On a connected socket: to its peer.
  void send(const Buffer& msg, SendCallback cb = nullptr);
  void send(std::string_view msg, SendCallback cb = nullptr);            ///< to the peer
  void send(const std::vector<Buffer>& msg, SendCallback cb = nullptr);  ///< to the peer

  /// Stops receiving and closes; `close` follows (cb is added as a once-listener). Closing twice
  /// throws ERR_SOCKET_DGRAM_NOT_RUNNING.
  Socket& close(std::function<void()> cb = nullptr);

  /// The bound address; throws (EBADF) when the socket is not bound.
  AddressInfo address() const;
  /// The connected peer; throws ERR_SOCKET_DGRAM_NOT_CONNECTED when not connected.
  AddressInfo remoteAddress() const;

  /// \name Socket options
  /// Failures throw Exception with the system code ("setTTL EINVAL").
  /// @{
  void setBroadcast(bool flag);  ///< SO_BROADCAST: allow sending to broadcast addresses
  int setTTL(int ttl);           ///< the unicast hop limit (IP_TTL); returns ttl
  int setMulticastTTL(int ttl);  ///< the multicast hop limit; returns ttl
  /// Whether multicast datagrams sent come back to this host; returns flag.
  bool setMulticastLoopback(bool flag);
  /// The interface multicast datagrams leave from, by its address.
  void setMulticastInterface(const std::string& interfaceAddress);
  /// Joins a multicast group (on the interface given, else one the system picks).
  void addMembership(const std::string& multicastAddress, const std::string& interfaceAddress = "");
  /// Leaves a multicast group.
  void dropMembership(const std::string& multicastAddress,
                      const std::string& interfaceAddress = "");
  /// Joins a source-specific multicast group: datagrams to `groupAddress` from `sourceAddress`.
  void addSourceSpecificMembership(const std::string& sourceAddress,
                                   const std::string& groupAddress,
                                   const std::string& interfaceAddress = "");
  /// Leaves a source-specific multicast group.
  void dropSourceSpecificMembership(const std::string& sourceAddress,
                                    const std::string& groupAddress,
                                    const std::string& interfaceAddress = "");
  /// @}
  /// Kernel buffer sizes; need a bound socket (else ERR_SOCKET_BUFFER_SIZE). Linux reports
  /// twice the size set (its bookkeeping overhead), as Node shows it.
  void setRecvBufferSize(int size);
  void setSendBufferSize(int size);  ///< SO_SNDBUF (see setRecvBufferSize())
  int getRecvBufferSize() const;     ///< SO_RCVBUF (see setRecvBufferSize())
  int getSendBufferSize() const;     ///< SO_SNDBUF (see setRecvBufferSize())
  /// Bytes and datagrams waiting in the send queue.
  std::size_t getSendQueueSize() const;
  std::size_t getSendQueueCount() const;  ///< see getSendQueueSize()

  /// An unref'd socket does not keep the loop running.
  Socket& ref();
  Socket& unref();  ///< see ref()

  /// Whether the OS delivers datagrams to this socket in batches (recvmmsg).
  bool usingRecvmmsg() const;

  struct Impl;

 private:
  friend std::shared_ptr<Socket> createSocket(const SocketOptions&, MessageListener);
  explicit Socket(const SocketOptions& options);

  std::unique_ptr<Impl> impl_;
};

/// Node's dgram.createSocket(type | options, messageListener). An unknown type throws
/// ERR_SOCKET_BAD_TYPE.
std::shared_ptr<Socket> createSocket(const std::string& type,
                                     Socket::MessageListener onMessage = nullptr);
/// The same, with the options.
std::shared_ptr<Socket> createSocket(const SocketOptions& options,
                                     Socket::MessageListener onMessage = nullptr);

}  // namespace evnode::dgram
