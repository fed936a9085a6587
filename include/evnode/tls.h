// evnode/tls.h — TLS over any stream: Node's tls.TLSSocket, tls.Server, tls.connect and
// tls.createSecureContext (OpenSSL 3).
//
//   tls::ServerOptions options;  // key and cert are SecureContextOptions' members, which a
//                                // designated initializer of ServerOptions cannot name
//   options.key = fs::readFileSync("key.pem").toString();
//   options.cert = fs::readFileSync("cert.pem").toString();
//   auto server = tls::createServer(
//       options, [](const std::shared_ptr<tls::TLSSocket>& s) { s->pipe(s); });
//   server->listen(8443);
//
//   tls::ConnectionOptions to;
//   to.host = "example.com";
//   to.port = 443;
//   auto c = tls::connect(to);
//   // A listener of c's own event holds c raw: its listeners never outlive it.
//   c->once(tls::TLSSocket::Events::secureConnect, [raw = c.get()] { raw->write("hi"); });
//
// A TLSSocket is a net::Socket whose bytes are encrypted onto another Duplex (its transport:
// a TCP socket, a Unix socket, any stream), so code written for net::Socket (http::Server)
// runs unchanged on it. Writes made in one loop turn become one transport write; encrypted
// output goes to the transport as Buffers with the transport's backpressure; decrypted data is
// read into the shared pool of read slabs, and OpenSSL's buffers are released while a
// connection is idle.
//
// Secure by default: clients verify the server's certificate against the system CA store and
// its name (checkServerIdentity), and send no application data before that passes; TLS 1.2 is
// the minimum version, with forward-secret AEAD suites only (DEFAULT_CIPHERS) chosen in the
// server's order. Verification failures carry Node's codes (DEPTH_ZERO_SELF_SIGNED_CERT,
// CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, ...).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "evnode/net.h"

struct ssl_ctx_st;

/// TLS over any stream: Node's tls module (OpenSSL 3).
namespace evnode::tls {

/// What a SecureContext holds (Node's tls.createSecureContext options). PEM text throughout.
struct SecureContextOptions {
  std::string key{};         ///< private key (PEM), decrypted with passphrase if encrypted
  std::string cert{};        ///< certificate (PEM), followed by its chain of intermediates if any
  std::string passphrase{};  ///< for an encrypted key
  /// Trusted CAs (PEM, each may hold several certificates); empty: the system CA store.
  std::vector<std::string> ca{};
  /// TLS 1.2 cipher list in OpenSSL syntax; empty: DEFAULT_CIPHERS (forward-secret AEAD suites
  /// only; OpenSSL's list when minVersion is below TLSv1.2, which has no AEAD suite). TLS 1.3
  /// suites are OpenSSL's defaults either way.
  std::string ciphers{};
  /// Server: choose the cipher by our order, not the client's. On by default (Node's default is
  /// off): clients that list CBC or ChaCha20 first still get our first choice.
  bool honorCipherOrder = true;
  std::string ecdhCurve{};             ///< e.g. "X25519:P-256"; empty: OpenSSL's defaults
  std::string minVersion = "TLSv1.2";  ///< "TLSv1", "TLSv1.1", "TLSv1.2" or "TLSv1.3"
  std::string maxVersion = "TLSv1.3";  ///< as minVersion
  std::uint64_t sessionTimeout = 300;  ///< seconds a server-side session may be resumed
  std::optional<Buffer> ticketKeys{};  ///< 48 bytes; empty: random keys
  std::string sessionIdContext{};      ///< server session cache partition; empty: a default
};

/// An OpenSSL SSL_CTX: certificates, trust, versions, ciphers. Shared by every connection made
/// with it. Invalid options throw Exception (ERR_OSSL_..., ERR_TLS_INVALID_PROTOCOL_VERSION).
class SecureContext {
 public:
  /// A context with these options (Node's tls.createSecureContext()).
  static std::shared_ptr<SecureContext> create(const SecureContextOptions& opts = {});
  ~SecureContext();
  SecureContext(const SecureContext&) = delete;
  SecureContext& operator=(const SecureContext&) = delete;

  /// The 48 bytes that protect session tickets.
  Buffer getTicketKeys() const;
  void setTicketKeys(const Buffer& keys);  ///< see getTicketKeys(); throws unless 48 bytes
  /// The OpenSSL SSL_CTX itself, for settings evnode does not offer.
  ssl_ctx_st* native() const { return ctx_; }

 private:
  friend class TLSSocket;
  explicit SecureContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
  // The system CA store is loaded on first use by a connection that verifies a peer, so that
  // a server that does not ask for client certificates never pays for it.
  void ensureTrust();
  ssl_ctx_st* ctx_;
  bool trustLoaded_ = false;
};

/// Node's tls.createSecureContext(options): SecureContext::create().
inline std::shared_ptr<SecureContext> createSecureContext(const SecureContextOptions& opts = {}) {
  return SecureContext::create(opts);
}

/// One subjectAltName entry as the certificate holds it: never joined with others, never
/// escaped, so a value that contains ", DNS:" is still one value.
struct AltName {
  /// The entry's kind: dNSName, iPAddress, uniformResourceIdentifier or rfc822Name.
  enum class Type { DNS, IP, URI, Email };
  Type type = Type::DNS;  ///< the entry's kind
  std::string value;      ///< IP: the address as text ("127.0.0.1", "::1")
  bool operator==(const AltName&) const = default;  ///< same kind and value
};

/// Node's certificate object (getPeerCertificate()).
struct Certificate {
  std::map<std::string, std::string> subject{};  ///< "CN", "O", "OU", "C", ...
  std::map<std::string, std::string> issuer{};   ///< the issuer's name, as `subject`
  /// For display, as Node prints it: "DNS:localhost, IP Address:127.0.0.1"; a value with a
  /// comma, quote or control character is a JSON string in which even commas are escaped
  /// ('URI:"http://a/\u002c DNS:b"'). Decisions use altNames.
  std::string subjectaltname{};
  std::vector<AltName> altNames{};            ///< the DNS, IP, URI and email entries, in order
  std::string valid_from{};                   ///< "Nov 23 15:47:09 2026 GMT"
  std::string valid_to{};                     ///< as valid_from
  std::string fingerprint{};                  ///< SHA-1, "AB:CD:..."
  std::string fingerprint256{};               ///< SHA-256
  std::string serialNumber{};                 ///< upper-case hex
  bool ca = false;                            ///< a CA certificate (basicConstraints CA:TRUE)
  Buffer raw{};                               ///< DER
  bool empty() const { return raw.empty(); }  ///< no certificate (the peer sent none)
};

/// getCipher(): "TLS_AES_256_GCM_SHA384", the IETF name, and the protocol that introduced it.
struct CipherInfo {
  std::string name{};          ///< OpenSSL's name ("ECDHE-RSA-AES128-GCM-SHA256")
  std::string standardName{};  ///< the IETF name ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
  std::string version{};       ///< the protocol that introduced it ("TLSv1.2")
};

/// The check tls::connect applies after the chain verified: an empty Error means the name
/// matches, else ERR_TLS_CERT_ALTNAME_INVALID. OpenSSL's X509_check_host / X509_check_ip_asc
/// decide, with Node's rules: a host name against the DNS altnames only (case-insensitive, a
/// trailing dot ignored; a wildcard only as the whole left-most label of a name of three labels
/// or more: "*.a.b" matches "x.a.b", not "a.b", "y.x.a.b" or via "f*.a.b"), the subject CN only
/// when there is no DNS altname; an IP address (v4 or v6) against the IP altnames only. The
/// certificate is `raw` (the DER the peer sent) when present, else altNames and subject["CN"].
Error checkServerIdentity(const std::string& hostname, const Certificate& cert);

/// Picks the context for a client's SNI name: call `cb`, now or later, with an error (the
/// handshake fails) or with the context (nullptr: the server's default).
using SNICallback =
    std::function<void(const std::string& servername,
                       std::function<void(const Error&, std::shared_ptr<SecureContext>)> cb)>;

/// Options of one TLSSocket (Node's `new tls.TLSSocket(socket, options)`).
struct TLSSocketOptions {
  std::shared_ptr<SecureContext> secureContext{};  ///< required
  bool isServer = false;           ///< the server side of the handshake (default: client)
  bool requestCert = false;        ///< server: ask for a client certificate
  bool rejectUnauthorized = true;  ///< client: fail unverified servers; server: with requestCert
  std::vector<std::string> ALPNProtocols{};  ///< protocols offered (client) or accepted (server)
  std::string servername{};                  ///< client: SNI
  std::optional<Buffer> session{};  ///< client: resume this session (getSession()/`session`)
  tls::SNICallback SNICallback{};   ///< server
  /// client: Node's checkServerIdentity, applied to `servername` or, without one, to `host`.
  /// Empty: the default above, run on the peer's X509 itself. A user's function gets the
  /// certificate with its structured altNames, and may call tls::checkServerIdentity too.
  std::function<Error(const std::string&, const Certificate&)> checkServerIdentity{};
  std::string host{};  ///< client: the name checkServerIdentity checks when servername is empty
  bool allowHalfOpen = false;  ///< keep the writable side open after the peer's close_notify
};

class Server;
class TLSSocket;
struct ServerSide;
namespace internal {
struct Config;
std::shared_ptr<TLSSocket> makeTLSSocket(std::shared_ptr<Duplex> transport,
                                         std::shared_ptr<const Config> config,
                                         std::shared_ptr<ServerSide> server);
void startHandshakeTimer(TLSSocket* s, std::uint64_t ms);
}  // namespace internal

/// Node's tls.TLSSocket: a net::Socket whose bytes are encrypted onto another Duplex (its
/// transport).
class TLSSocket : public net::Socket {
 public:
  /// A TLS socket's events: net::Socket's, and these.
  struct Events : net::Socket::Events {
    /// Client: the handshake finished and the server's certificate was verified.
    static constexpr Event<> secureConnect{"secureConnect"};
    /// Client: a session (ticket) to resume with later (`session` option).
    static constexpr Event<const Buffer&> session{"session"};
    /// An NSS key-log line (SSLKEYLOGFILE format, with a trailing newline).
    static constexpr Event<const Buffer&> keylog{"keylog"};
  };

  /// Wraps `transport` and starts the handshake (a client sends its ClientHello now, or once
  /// the transport connects).
  static std::shared_ptr<TLSSocket> create(std::shared_ptr<Duplex> transport,
                                           TLSSocketOptions opts);
  ~TLSSocket() override;

  bool encrypted() const { return true; }  ///< always true (Node's tlsSocket.encrypted)
  /// The peer's certificate verified (client: chain and name; server: only with requestCert).
  bool authorized() const { return authorized_; }
  /// Why not: a code such as "DEPTH_ZERO_SELF_SIGNED_CERT" ("" if authorized or not checked).
  const std::string& authorizationError() const { return authorizationError_; }
  Certificate getPeerCertificate() const;  ///< empty() if the peer sent none
  Certificate getCertificate() const;      ///< our own
  std::string getProtocol() const;         ///< "TLSv1.3"; "" before the handshake
  CipherInfo getCipher() const;            ///< the cipher negotiated
  std::string alpnProtocol() const { return alpnProtocol_; }  ///< "" (Node's false) if none
  std::string servername() const;  ///< the SNI name (server: as sent by the client)
  Buffer getSession() const;       ///< DER; empty before the handshake
  bool isSessionReused() const;    ///< whether the handshake resumed an earlier session
  /// The stream the encrypted bytes go over.
  const std::shared_ptr<Duplex>& transport() const { return transport_; }

  /// Forwarded to the transport when it is a net::Socket.
  net::Socket& setNoDelay(bool noDelay = true) override;
  net::Socket& setKeepAlive(bool enable = false, std::uint64_t initialDelayMs = 0) override;
  net::Socket& ref() override;
  net::Socket& unref() override;
  std::string remoteAddress() const override;
  int remotePort() const override;
  std::string remoteFamily() const override;
  net::AddressInfo address() const override;
  /// Encrypted bytes on the transport when it is a net::Socket, plaintext otherwise.
  std::uint64_t bytesRead() const override;
  std::uint64_t bytesWritten() const override;
  bool pending() const override { return connecting_; }

  struct Impl;  // OpenSSL state (src/tls/socket.cc)

 protected:
  /// For create() and the library; use create() or tls::connect().
  TLSSocket(std::shared_ptr<Duplex> transport, net::SocketOptions so);
  void _read(std::size_t size) override;
  void _write(const Buffer& chunk, WriteCallback cb) override;
  void _writev(std::vector<Buffer>& chunks, WriteCallback cb) override;
  void _final(std::function<void(const Error&)> cb) override;
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;
  void emitCloseEvent() override;

 private:
  friend struct Impl;
  friend void internal::startHandshakeTimer(TLSSocket*, std::uint64_t);
  friend std::shared_ptr<TLSSocket> internal::makeTLSSocket(std::shared_ptr<Duplex>,
                                                            std::shared_ptr<const internal::Config>,
                                                            std::shared_ptr<ServerSide>);
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<Duplex> transport_;
  net::Socket* tcp_ = nullptr;       // transport_ when it is a net::Socket
  std::shared_ptr<TLSSocket> self_;  // held until `close`
  std::string authorizationError_;
  std::string alpnProtocol_;
  bool authorized_ = false;
};

/// tls.createServer options: the SecureContext's (unless secureContext is given) plus these.
struct ServerOptions : SecureContextOptions {
  std::shared_ptr<SecureContext> secureContext{};  ///< instead of key/cert/...
  bool requestCert = false;                        ///< ask clients for a certificate
  bool rejectUnauthorized = true;  ///< with requestCert: refuse clients that fail verification
  std::vector<std::string> ALPNProtocols{};  ///< no common protocol: the handshake fails
  /// Picks the context for the client's SNI name; without it, addContext() names are used.
  tls::SNICallback SNICallback{};
  /// A connection whose handshake has not finished after this many ms is destroyed
  /// (`tlsClientError` with ERR_TLS_HANDSHAKE_TIMEOUT); 0 disables.
  std::uint64_t handshakeTimeout = 120000;
  /// As net::ServerOptions.
  bool allowHalfOpen = false;
  bool pauseOnConnect = false;              ///< as net::ServerOptions
  bool noDelay = false;                     ///< as net::ServerOptions
  bool keepAlive = false;                   ///< as net::ServerOptions
  std::uint64_t keepAliveInitialDelay = 0;  ///< as net::ServerOptions
};

/// Node's tls.Server: a net::Server whose connections are TLSSockets, handed over once their
/// handshake is done.
class Server : public net::Server {
 public:
  /// A TLS server's events: net::Server's, and these.
  struct Events : net::Server::Events {
    /// The handshake finished: the socket, ready for application data.
    static constexpr Event<const std::shared_ptr<TLSSocket>&> secureConnection{"secureConnection"};
    /// The handshake failed or timed out; the socket is destroyed.
    static constexpr Event<const Error&, const std::shared_ptr<TLSSocket>&> tlsClientError{
        "tlsClientError"};
    /// A connection's NSS key-log line (see TLSSocket::Events::keylog).
    static constexpr Event<const Buffer&, const std::shared_ptr<TLSSocket>&> keylog{"keylog"};
  };

  /// Node's `new tls.Server(options)`; see createServer(). Invalid options throw.
  static std::shared_ptr<Server> create(ServerOptions opts);
  ~Server() override;

  /// As net::Server::close, and connections still in their handshake are destroyed at once
  /// (no secureConnection has handed them to anyone; without this a client that never sends
  /// its ClientHello holds the close until handshakeTimeout).
  Server& close(std::function<void(const Error&)> cb = nullptr) override;

  /// Serves `hostname` (may start with "*.") with its own certificate (SNI).
  void addContext(const std::string& hostname, const SecureContextOptions& opts);
  /// The same, with a context already made.
  void addContext(const std::string& hostname, std::shared_ptr<SecureContext> ctx);
  /// Replaces the default context for new connections.
  void setSecureContext(const SecureContextOptions& opts);
  /// The default context's session ticket keys (see SecureContext::getTicketKeys()).
  Buffer getTicketKeys() const;
  /// Sets the default context's session ticket keys (48 bytes).
  void setTicketKeys(const Buffer& keys);

 protected:
  /// For subclasses (https::Server); use create().
  explicit Server(ServerOptions opts);

 private:
  std::shared_ptr<ServerSide> side_;
};

/// Node's tls.createServer(options, secureConnectionListener): the listener listens for
/// `secureConnection`.
std::shared_ptr<Server> createServer(
    ServerOptions opts,
    std::function<void(const std::shared_ptr<TLSSocket>&)> secureConnectionListener = nullptr);

/// tls.connect options: the SecureContext's (unless secureContext is given) plus these.
struct ConnectionOptions : SecureContextOptions {
  std::string host = "localhost";  ///< the server's host name or IP address
  int port = -1;                   ///< the server's port
  std::string path{};              ///< a Unix socket instead of host/port
  /// An existing stream to run TLS over instead of connecting (host is still used for
  /// servername and the identity check).
  std::shared_ptr<Duplex> socket{};
  std::string servername{};        ///< SNI; defaults to host unless host is an IP address
  bool rejectUnauthorized = true;  ///< fail when the server's certificate does not verify
  /// Replaces the host name check (see TLSSocketOptions::checkServerIdentity).
  std::function<Error(const std::string&, const Certificate&)> checkServerIdentity{};
  std::vector<std::string> ALPNProtocols{};  ///< protocols offered, in order of preference
  std::optional<Buffer> session{};           ///< resume this session (TLSSocket::getSession())
  std::shared_ptr<SecureContext> secureContext{};  ///< instead of ca/cert/key/...
  int family = 0;                                  ///< as net::ConnectOptions
  std::string localAddress{};                      ///< as net::ConnectOptions
  std::uint64_t timeout = 0;                       ///< as net::ConnectOptions
  bool allowHalfOpen = false;  ///< keep the writable side open after the server's close_notify
  /// As net::ConnectOptions' (happy eyeballs over the addresses of a host name).
  std::optional<bool> autoSelectFamily{};
  std::uint64_t autoSelectFamilyAttemptTimeout = 0;  ///< as net::ConnectOptions'
};

/// `cb` is a once-listener for `secureConnect`. Errors (connect, handshake, verification) go
/// to the socket's `error` event.
std::shared_ptr<TLSSocket> connect(const ConnectionOptions& opts,
                                   std::function<void()> cb = nullptr);
/// The same, to host:port (overriding those of `opts`).
std::shared_ptr<TLSSocket> connect(int port, const std::string& host, ConnectionOptions opts = {},
                                   std::function<void()> cb = nullptr);

constexpr const char* DEFAULT_MIN_VERSION = "TLSv1.2";  ///< minVersion's default
constexpr const char* DEFAULT_MAX_VERSION = "TLSv1.3";  ///< maxVersion's default
/// TLS 1.2 suites when `ciphers` is empty: ECDHE key exchange (forward secrecy) with AES-GCM or
/// ChaCha20-Poly1305, no static RSA, no CBC; AES-128-GCM first, as the common "intermediate"
/// server profile.
constexpr const char* DEFAULT_CIPHERS =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace evnode::tls
