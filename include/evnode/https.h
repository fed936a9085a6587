// evnode/https.h — HTTP over TLS: Node's https.createServer, https.request / https.get,
// https.Agent and https.globalAgent.
//
//   https::ServerOptions o;
//   o.key = readFile("key.pem");
//   o.cert = readFile("cert.pem");
//   auto server = https::createServer(o, [](auto req, auto res) { res->end("Hello HTTPS"); });
//   server->listen(8443);
//
//   https::RequestOptions r;
//   r.ca = {readFile("ca.pem")};
//   https::get("https://localhost:8443/", r, [](const http::IncomingMessagePtr& res) { ... });
//
// The server is an http::Server whose connections are TLSSockets: every http::Server option,
// event and method works the same. The client is http's ClientRequest on a TLS connection from
// an https::Agent, which pools connections per origin *and* TLS options, and resumes TLS
// sessions when it opens a new connection to an origin it has talked to. Secure by default:
// the server's certificate is verified (system CA store unless `ca` is given) and a failure
// reaches the request's `error` event with Node's code (DEPTH_ZERO_SELF_SIGNED_CERT,
// ERR_TLS_CERT_ALTNAME_INVALID, ...) before any request byte is sent.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evnode/http.h"
#include "evnode/tls.h"

/// HTTP over TLS: Node's https module.
namespace evnode::https {

// ---------------------------------------------------------------------------------------------
// Server

/// http.createServer's options plus tls.createServer's. ALPN offers http/1.1 (as Node's https).
struct ServerOptions : http::ServerOptions, tls::SecureContextOptions {
  std::shared_ptr<tls::SecureContext> secureContext{};  ///< instead of key/cert/...
  bool requestCert = false;                             ///< ask clients for a certificate
  bool rejectUnauthorized = true;  ///< with requestCert: refuse clients that fail verification
  std::vector<std::string> ALPNProtocols{"http/1.1"};  ///< protocols accepted
  tls::SNICallback SNICallback{};                      ///< as tls::ServerOptions
  /// A connection whose handshake has not finished in this many ms is dropped (tlsClientError).
  std::uint64_t handshakeTimeout = 120000;
};

/// Node's https.Server: an http::Server whose connections are tls::TLSSockets.
class Server : public http::Server {
 public:
  /// An HTTPS server's events: http::Server's, and these.
  struct Events : http::Server::Events {
    /// The handshake finished; HTTP starts on the socket right after this event.
    static constexpr Event<const std::shared_ptr<tls::TLSSocket>&> secureConnection{
        "secureConnection"};
    /// The handshake failed or timed out; the socket is destroyed, the server keeps serving.
    static constexpr Event<const Error&, const std::shared_ptr<tls::TLSSocket>&> tlsClientError{
        "tlsClientError"};
    /// A connection's NSS key-log line (see tls::TLSSocket::Events::keylog).
    static constexpr Event<const Buffer&, const std::shared_ptr<tls::TLSSocket>&> keylog{"keylog"};
  };

  /// Throws for invalid TLS options (a key that does not match the certificate, ...).
  static std::shared_ptr<Server> create(ServerOptions opts);
  ~Server() override;

  /// As http::Server::close, and connections still in their TLS handshake are destroyed at
  /// once: they have no request to finish, and one that never sends its ClientHello would hold
  /// the close until handshakeTimeout.
  Server& close(std::function<void(const Error&)> cb = nullptr) override;

  /// As tls::Server.
  void addContext(const std::string& hostname, const tls::SecureContextOptions& opts);
  /// As tls::Server::addContext().
  void addContext(const std::string& hostname, std::shared_ptr<tls::SecureContext> ctx);
  /// As tls::Server::setSecureContext().
  void setSecureContext(const tls::SecureContextOptions& opts);
  /// As tls::Server::getTicketKeys().
  Buffer getTicketKeys() const;
  /// As tls::Server::setTicketKeys().
  void setTicketKeys(const Buffer& keys);

 protected:
  /// For subclasses; use create().
  explicit Server(ServerOptions opts);

 private:
  std::shared_ptr<tls::ServerSide> side_;
};

/// Node's https.createServer(options, requestListener): the listener listens for `request`.
std::shared_ptr<Server> createServer(
    ServerOptions opts,
    std::function<void(const http::RequestPtr&, const http::ResponsePtr&)> requestListener =
        nullptr);
/// Node's `https.createServer(options, async (req, res) => {...})`: a coroutine handler, as
/// http::createServer(F) (an exception answers 500 or destroys the socket, and is reported).
template <http::TaskRequestHandler F>
std::shared_ptr<Server> createServer(ServerOptions opts, F handler) {
  auto s = createServer(std::move(opts), nullptr);
  s->on(Server::Events::request, http::detail::taskListener(std::move(handler)));
  return s;
}

// ---------------------------------------------------------------------------------------------
// Client

/// The tls.connect options that https passes through, for a request or an agent. Empty fields
/// (and an unset rejectUnauthorized) mean "not given": tls.connect's defaults apply.
struct TlsOptions {
  std::vector<std::string> ca{};  ///< trusted CAs (PEM); empty: the system CA store
  std::string cert{};             ///< client certificate (PEM) ...
  std::string key{};              ///< ... and its key
  std::string passphrase{};       ///< for an encrypted key
  std::string ciphers{};          ///< as tls::SecureContextOptions
  std::string ecdhCurve{};        ///< as tls::SecureContextOptions
  std::string minVersion{};       ///< "" = TLSv1.2
  std::string maxVersion{};       ///< "" = TLSv1.3
  std::string servername{};       ///< SNI and the name checked; "" = the host unless it is an IP
  std::optional<bool> rejectUnauthorized{};  ///< unset = true
  std::vector<std::string> ALPNProtocols{};  ///< protocols offered in the handshake
  /// Replaces the host name check (see tls::TLSSocketOptions::checkServerIdentity).
  std::function<Error(const std::string&, const tls::Certificate&)> checkServerIdentity{};
  std::shared_ptr<tls::SecureContext> secureContext{};  ///< instead of ca/cert/key/ciphers/...
  std::optional<Buffer> session{};  ///< resume this session (else the agent's cached one)
};

/// http.request's options plus the TLS ones; protocol "https:", default port 443.
struct RequestOptions : http::RequestOptions, TlsOptions {
  RequestOptions() { protocol = "https:"; }
};

/// Node's https.request / https.get. An http: URL throws ERR_INVALID_PROTOCOL (and http::request
/// throws it for https:). The request's `error` event gets connection, handshake and
/// certificate-verification errors.
http::ClientRequestPtr request(
    RequestOptions options,
    std::function<void(const http::IncomingMessagePtr&)> onResponse = nullptr);
/// A request to an https: URL string.
http::ClientRequestPtr request(
    std::string_view url,
    std::function<void(const http::IncomingMessagePtr&)> onResponse = nullptr);
/// The URL's parts override those of `options`.
http::ClientRequestPtr request(
    std::string_view url, RequestOptions options,
    std::function<void(const http::IncomingMessagePtr&)> onResponse = nullptr);
/// As request(), and end()s it.
http::ClientRequestPtr get(
    RequestOptions options,
    std::function<void(const http::IncomingMessagePtr&)> onResponse = nullptr);
/// As request(url), and end()s it.
http::ClientRequestPtr get(
    std::string_view url,
    std::function<void(const http::IncomingMessagePtr&)> onResponse = nullptr);
/// As request(url, options), and end()s it.
http::ClientRequestPtr get(
    std::string_view url, RequestOptions options,
    std::function<void(const http::IncomingMessagePtr&)> onResponse = nullptr);
/// A URL object, as Node's https.request(new URL(...)).
http::ClientRequestPtr request(
    const URL& url, std::function<void(const http::IncomingMessagePtr&)> onResponse = nullptr);
/// A URL object whose parts override those of `options`.
http::ClientRequestPtr request(
    const URL& url, RequestOptions options,
    std::function<void(const http::IncomingMessagePtr&)> onResponse = nullptr);
/// As request(url), and end()s it.
http::ClientRequestPtr get(
    const URL& url, std::function<void(const http::IncomingMessagePtr&)> onResponse = nullptr);
/// As request(url, options), and end()s it.
http::ClientRequestPtr get(
    const URL& url, RequestOptions options,
    std::function<void(const http::IncomingMessagePtr&)> onResponse = nullptr);

/// http.Agent's options, TLS options for every connection (as Node, a field set here wins over
/// the request's), and the TLS session cache size.
struct AgentOptions : http::AgentOptions, TlsOptions {
  std::size_t maxCachedSessions = 100;  ///< 0 disables session reuse
};

/// An http::Agent whose connections are TLS. Pools are keyed by origin and the TLS options that
/// change what the connection trusts or presents (ca, cert, key, ciphers, servername,
/// rejectUnauthorized, versions, ALPN), so a request never gets a socket verified differently.
/// The last session each pool's server gave is kept and offered on its next new connection.
class Agent : public http::Agent {
 public:
  /// Node's `new https.Agent(options)`.
  static std::shared_ptr<Agent> create(AgentOptions opts = {});
  ~Agent() override;

  /// http::Agent's name + ":" + the TLS options above (Node's key layout).
  std::string getName(const http::RequestOptions& opts) const override;
  /// tls::connect over a new TCP (or Unix) connection, with the cached session for its name.
  http::SocketPtr createConnection(const http::RequestOptions& opts) override;

  const TlsOptions& tlsOptions() const { return tls_; }  ///< the agent's own TLS options
  /// The TLS options a request is connected with: its own, overridden by the agent's.
  TlsOptions effectiveTlsOptions(const http::RequestOptions& opts) const;
  /// Cached sessions, by name (Node's agent._sessionCache).
  std::size_t cachedSessions() const;

  struct Cache;  // sessions and SecureContexts (src/https/agent.cc)

 protected:
  /// For subclasses; use create().
  explicit Agent(AgentOptions opts);

 private:
  TlsOptions tls_;
  std::size_t maxCachedSessions_;
  std::unique_ptr<Cache> cache_;
};

/// Node's https.globalAgent (per thread): keepAlive, timeout 5000 ms. Assignable.
std::shared_ptr<Agent>& globalAgent();

}  // namespace evnode::https
