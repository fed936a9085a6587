// TLSSocket: OpenSSL driven over a transport Duplex. Ciphertext from the transport feeds the
// SSL through the transport BIO; decrypted bytes are pushed in read slabs; plaintext writes
// (a loop turn's worth, batched by net::Socket::write) are encrypted into the output arena and
// leave as one transport write.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <cstring>

#include "core/callback_scope.h"
#include "core/thread_instance.h"
#include "evnode/loop.h"
#include "net/read_slab.h"
#include "net/write_one.h"
#include "tls/internal.h"
#include "tls/server_side.h"

namespace evnode::tls {

namespace internal {
std::string alpnWire(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const auto& p : protocols) {
    if (p.empty() || p.size() > 255)
      throwInvalidArg("ALPNProtocols", "each protocol must be 1 to 255 bytes");
    wire += static_cast<char>(p.size());
    wire += p;
  }
  return wire;
}
}  // namespace internal

namespace {
const char kDisconnected[] =
    "Client network socket disconnected before secure TLS connection was established";
constexpr std::size_t kRecordPlain = 16384;
constexpr std::size_t kRecordOverhead = 64;  // header, tag, padding: generous
void onKeylog(const SSL* ssl, const char* line);
}  // namespace

struct TLSSocket::Impl {
  explicit Impl(TLSSocket* o) : owner(o) {}
  ~Impl() {
    untrack();
    if (ssl) SSL_free(ssl);
  }

  bool isServer() const { return config->opts.isServer; }
  // A shared_ptr to the socket (aliasing its Stream's: the base is virtual, no cast).
  std::shared_ptr<TLSSocket> selfPtr() {
    return std::shared_ptr<TLSSocket>(owner->shared_from_this(), owner);
  }

  void start() {
    SSL_CTX* ctx = config->opts.secureContext->native();
    ssl = SSL_new(ctx);
    if (!ssl) internal::throwOpensslError("ERR_OSSL_SSL", "cannot create an SSL connection");
    SSL_set_ex_data(ssl, internal::sslIndex(), this);
    BIO* bio = internal::newTransportBio(&in);
    SSL_set_bio(ssl, bio, bio);
    const TLSSocketOptions& o = config->opts;
    auto acceptAll = [](int, X509_STORE_CTX*) { return 1; };  // verified after the handshake
    if (o.isServer) {
      SSL_set_accept_state(ssl);
      if (o.requestCert) {
        config->opts.secureContext->ensureTrust();
        SSL_set_verify(
            ssl, SSL_VERIFY_PEER | (o.rejectUnauthorized ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
            acceptAll);
      }
    } else {
      SSL_set_connect_state(ssl);
      config->opts.secureContext->ensureTrust();
      SSL_set_verify(ssl, SSL_VERIFY_PEER, acceptAll);
      if (!o.servername.empty()) SSL_set_tlsext_host_name(ssl, o.servername.c_str());
      if (!config->alpnWire.empty()) {
        SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(config->alpnWire.data()),
                            static_cast<unsigned>(config->alpnWire.size()));
      }
      if (o.session && !o.session->empty()) {
        const unsigned char* p = o.session->data();
        if (SSL_SESSION* s = d2i_SSL_SESSION(nullptr, &p, static_cast<long>(o.session->length()))) {
          SSL_set_session(ssl, s);
          SSL_SESSION_free(s);
        }
        ERR_clear_error();
      }
    }
    Duplex* t = owner->transport_.get();
    ids[0] = t->on(Duplex::Events::data, [this](const Buffer& b) { onTransportData(b); });
    ids[1] = t->on(Duplex::Events::end, [this] { onTransportEnd(); });
    ids[2] = t->on(Duplex::Events::error, [this](const Error& e) { onTransportError(e); });
    ids[3] = t->on(Stream::Events::close, [this] { onTransportClose(); });
    ids[4] = t->on(Duplex::Events::drain, [this] {
      if (!drainCb) return;
      WriteCallback cb = *drainCb;
      drainCb.reset();
      cb();
    });
    if (owner->tcp_ && owner->tcp_->pending()) {
      owner->connecting_ = true;
      ids[5] = owner->tcp_->once(net::Socket::Events::connect, [this] {
        owner->connecting_ = false;
        owner->emit(net::Socket::Events::connect);
      });
    }
    if (!o.isServer) cycle();  // the ClientHello (queued by the transport until it connects)
  }

  // Server side: listed in the server's `handshaking` until the handshake is over, so that
  // closing the server can end it.
  void track() {
    handshakeSlot = server->handshaking.size();
    server->handshaking.push_back(this);
  }
  void untrack() {
    if (!server || handshakeSlot == kUntracked) return;
    auto& list = server->handshaking;
    list[handshakeSlot] = list.back();
    list[handshakeSlot]->handshakeSlot = handshakeSlot;
    list.pop_back();
    handshakeSlot = kUntracked;
  }

  void detach() {
    Duplex* t = owner->transport_.get();
    t->off(Duplex::Events::data, ids[0]);
    t->off(Duplex::Events::end, ids[1]);
    t->off(Duplex::Events::error, ids[2]);
    t->off(Stream::Events::close, ids[3]);
    t->off(Duplex::Events::drain, ids[4]);
    if (ids[5]) t->off(net::Socket::Events::connect, ids[5]);
  }

  // Transport events ------------------------------------------------------------------------

  void onTransportData(const Buffer& b) {
    if (owner->destroyed() || b.empty()) return;
    in.chunks.push_back(b);
    in.length += b.length();
    cycle();
    // The reader is full: leave the rest in the kernel until it reads.
    if (readPaused && !transportPaused && !owner->destroyed()) {
      transportPaused = true;
      owner->transport_->pause();
    }
  }
  void onTransportEnd() {
    transportEnded = true;
    if (owner->destroyed()) return;
    cycle();
  }
  void onTransportError(const Error& e) {
    if (owner->destroyed()) return;
    fail(e);
  }
  void onTransportClose() {
    transportClosed = true;
    if (!owner->destroyed()) {
      if (!handshakeDone) {
        fail(Error("ECONNRESET", kDisconnected));
      } else {
        owner->destroy();
      }
    }
    if (destroyCb) {
      auto cb = std::move(destroyCb);
      destroyCb = nullptr;
      cb();
    }
  }

  // The OpenSSL state machine ---------------------------------------------------------------

  bool wantsKeylog() const {
    return owner->listenerCount(TLSSocket::Events::keylog) > 0 ||
           (server && server->wantsKeylog && server->wantsKeylog());
  }
  // With a keylog callback on its context, OpenSSL formats every secret as hex with a sprintf
  // per byte, a few percent of a full handshake; so the callback goes on the context in use
  // only once someone listens for `keylog` (checked before each handshake step and after an
  // SNI switch of context). Shared contexts keep it: onKeylog asks again per connection.
  void enableKeylogIfWanted() {
    if (wantsKeylog()) SSL_CTX_set_keylog_callback(SSL_get_SSL_CTX(ssl), onKeylog);
  }

  void cycle() {
    if (cycling) {
      again = true;
      return;
    }
    cycling = true;
    auto keep = owner->shared_from_this();
    do {
      again = false;
      step();
    } while (again && !owner->destroyed());
    cycling = false;
  }

  void step() {
    if (owner->destroyed() || !ssl) return;
    if (!handshakeDone) {
      ERR_clear_error();
      enableKeylogIfWanted();
      int r = SSL_do_handshake(ssl);
      int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);
      flush();
      emitDeferred();
      if (owner->destroyed()) return;
      if (r == 1) {
        handshakeDone = true;
        onHandshakeDone();
        if (owner->destroyed()) return;
      } else if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (transportEnded && in.length == 0) fail(Error("ECONNRESET", kDisconnected));
        return;
      } else if (e == SSL_ERROR_WANT_CLIENT_HELLO_CB) {
        return;  // an asynchronous SNICallback is choosing the context
      } else {
        fail(internal::opensslError("ERR_SSL_HANDSHAKE_FAILURE", "TLS handshake failed"));
        return;
      }
    }
    readClear();
    flush();
    emitDeferred();
  }

  // Decrypts what has arrived into read slabs (several records per push).
  void readClear() {
    while (!readPaused && !owner->destroyed() && !eofPushed) {
      if (in.length == 0 && SSL_pending(ssl) == 0) {
        if (transportEnded) pushEof();
        return;
      }
      net::ReadSlab slab = net::readSlab();
      if (slab.size == 0) return;  // the thread is exiting
      std::size_t got = 0;
      int err = SSL_ERROR_NONE;
      ERR_clear_error();
      while (got < slab.size) {
        int n = SSL_read(ssl, slab.data + got, static_cast<int>(slab.size - got));
        if (n <= 0) {
          err = SSL_get_error(ssl, n);
          break;
        }
        got += static_cast<std::size_t>(n);
      }
      Buffer data = net::takeReadSlab(slab, got);
      if (got > 0) {
        plainRead += got;
        owner->touchTimeout();
        if (!owner->push(std::move(data))) readPaused = true;
        if (owner->destroyed()) return;
      }
      if (err == SSL_ERROR_NONE) continue;  // the slab filled up: there may be more
      if (err == SSL_ERROR_WANT_READ) {
        if (transportEnded && in.length == 0) pushEof();
        return;
      }
      if (err == SSL_ERROR_ZERO_RETURN) {  // close_notify
        pushEof();
        return;
      }
      owner->destroy(internal::opensslError("ERR_SSL_DECRYPTION_FAILED", "TLS read failed"));
      return;
    }
  }

  void pushEof() {
    if (eofPushed) return;
    eofPushed = true;
    owner->push(nullptr);
    owner->read(0);  // as net::Socket: `end` follows even if nobody consumes
  }

  // Sends what OpenSSL wrote to the arena; false if the transport is over its high-water mark.
  bool flush() {
    if (!internal::arenaHasOutput()) return true;
    struct Out {
      std::vector<Buffer> chunks;
    };
    std::vector<Buffer>& out = evnode::detail::threadInstance<Out>()->chunks;  // from a callback
    internal::arenaTake(out);
    Duplex* t = owner->transport_.get();
    if (t->destroyed() || t->writableEnded()) {
      out.clear();
      return true;
    }
    // The records of this flush are the batch: they go to the transport now, without a
    // socket's own batching (which would hold them until the end of the turn).
    bool ok = true;
    if (out.size() == 1) {
      Buffer b = std::move(out[0]);
      out.clear();
      ok = t->Writable::write(std::move(b));
    } else {
      std::vector<Buffer> many;
      many.swap(out);
      t->cork();
      for (auto& b : many) ok = t->Writable::write(std::move(b));
      t->uncork();
    }
    return ok;
  }

  void emitDeferred() {
    if (!keylog.empty()) {
      auto lines = std::move(keylog);
      keylog.clear();
      auto self = selfPtr();
      for (auto& l : lines) {
        owner->emit(Events::keylog, l);
        if (server && server->onKeylog) server->onKeylog(l, self);
      }
    }
    if (secure && !sessions.empty()) {
      auto list = std::move(sessions);
      sessions.clear();
      for (auto& s : list) owner->emit(Events::session, s);
    }
  }

  void onHandshakeDone() {
    untrack();
    if (handshakeTimer) {
      handshakeTimer->close();
      handshakeTimer.reset();
    }
    const unsigned char* alpn = nullptr;
    unsigned alpnLen = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpnLen);
    if (alpnLen) owner->alpnProtocol_.assign(reinterpret_cast<const char*>(alpn), alpnLen);
    const TLSSocketOptions& o = config->opts;
    auto self = selfPtr();
    if (o.isServer) {
      if (o.requestCert) {
        Error verr = peerVerifyError();
        if (verr) {
          owner->authorizationError_ = verr.code;
          if (o.rejectUnauthorized) {
            owner->destroy();
            return;
          }
        } else {
          owner->authorized_ = true;
        }
      }
      becomeSecure();
      if (owner->destroyed()) return;
      if (server && server->onSecure) server->onSecure(self);
      return;
    }
    Error verr = peerVerifyError();
    if (!verr && !SSL_session_reused(ssl)) {
      std::string host =
          o.servername.empty() ? (o.host.empty() ? "localhost" : o.host) : o.servername;
      X509* peer = SSL_get0_peer_certificate(ssl);
      // The default check runs on the X509 itself; a user's gets Node's object.
      verr = o.checkServerIdentity ? o.checkServerIdentity(host, internal::toCertificate(peer))
                                   : internal::checkIdentity(peer, host);
    }
    if (verr) {
      owner->authorizationError_ = verr.code.empty() ? verr.message : verr.code;
      if (o.rejectUnauthorized) {
        owner->destroy(verr);  // nothing of the application was sent
        return;
      }
    } else {
      owner->authorized_ = true;
    }
    becomeSecure();
    if (owner->destroyed()) return;
    owner->emit(Events::secureConnect);
  }

  Error peerVerifyError() {
    X509* peer = SSL_get0_peer_certificate(ssl);
    if (!peer) return internal::verifyError(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT);
    long r = SSL_get_verify_result(ssl);
    return r == X509_V_OK ? Error() : internal::verifyError(r);
  }

  // Application data may flow: send what was written during the handshake.
  void becomeSecure() {
    secure = true;
    if (waitingCb) {
      std::vector<Buffer> chunks = std::move(waiting);
      waiting.clear();
      WriteCallback cb = *waitingCb;
      waitingCb.reset();
      encrypt(chunks, cb);
      if (owner->destroyed()) return;
    }
    if (finalCb) {
      auto cb = std::move(finalCb);
      finalCb = nullptr;
      shutdown(std::move(cb));
    }
  }

  void encrypt(std::vector<Buffer>& chunks, WriteCallback cb) {
    std::size_t total = 0;
    for (const auto& c : chunks) total += c.length();
    internal::arenaReserve(total + (total / kRecordPlain + 1) * kRecordOverhead);
    ERR_clear_error();
    bool ok = true;
    if (chunks.size() > 1 && total <= kRecordPlain) {
      // Small writes of one turn go out as one record, not one record each.
      thread_local std::uint8_t scratch[kRecordPlain];
      std::size_t at = 0;
      for (const auto& c : chunks) {
        if (c.empty()) continue;
        std::memcpy(scratch + at, c.data(), c.length());
        at += c.length();
      }
      ok = SSL_write(ssl, scratch, static_cast<int>(at)) > 0;
    } else {
      for (const auto& c : chunks) {
        if (c.empty()) continue;
        if (SSL_write(ssl, c.data(), static_cast<int>(c.length())) <= 0) {
          ok = false;
          break;
        }
      }
    }
    if (!ok) {
      Error err = internal::opensslError("ERR_SSL_WRITE_FAILED", "TLS write failed");
      flush();
      cb(err);
      return;
    }
    plainWritten += total;
    owner->touchTimeout();
    if (flush() || owner->transport_->destroyed()) {
      cb();
    } else {
      drainCb = cb;  // completes on the transport's drain: backpressure reaches the writer
    }
  }

  void shutdown(std::function<void(const Error&)> cb) {
    Duplex* t = owner->transport_.get();
    if (ssl && !t->destroyed() && !t->writableEnded()) {
      ERR_clear_error();
      SSL_shutdown(ssl);  // close_notify
      ERR_clear_error();
      flush();
      t->end();
    }
    cb({});
  }

  void fail(const Error& err) {
    if (owner->destroyed()) return;
    flush();  // an alert OpenSSL wrote goes out before the connection is torn down
    if (!handshakeDone && server) {
      auto self = selfPtr();
      owner->destroy();
      if (server->onError) server->onError(err, self);
      return;
    }
    owner->destroy(err);
  }

  TLSSocket* owner;
  SSL* ssl = nullptr;
  internal::CipherIn in;
  std::shared_ptr<const internal::Config> config;
  std::shared_ptr<ServerSide> server;         // server side: where secureConnection goes
  std::shared_ptr<SecureContext> sniContext;  // the context SNI switched to
  std::vector<Buffer> waiting;                // written before the handshake finished
  std::optional<WriteCallback> waitingCb;
  std::optional<WriteCallback> drainCb;       // a write waiting for the transport's drain
  std::function<void(const Error&)> finalCb;  // end() before the handshake finished
  std::function<void()> destroyCb;            // _destroy waiting for the transport's close
  TimeoutPtr handshakeTimer;
  static constexpr std::size_t kUntracked = SIZE_MAX;
  std::size_t handshakeSlot = kUntracked;  // index in server->handshaking
  std::vector<Buffer> keylog, sessions;    // emitted once the OpenSSL call returned
  std::uint64_t plainRead = 0, plainWritten = 0;
  ListenerId ids[6] = {};
  bool handshakeDone = false;
  bool secure = false;  // verified: application data may flow
  bool readPaused = false;
  bool transportPaused = false;
  bool transportEnded = false;
  bool transportClosed = false;
  bool eofPushed = false;
  bool cycling = false;
  bool again = false;
  bool sniDone = false;
};

namespace {

TLSSocket::Impl* implOf(const SSL* ssl) {
  return static_cast<TLSSocket::Impl*>(SSL_get_ex_data(ssl, internal::sslIndex()));
}

// The SNI name from a ClientHello's server_name extension ("" if absent or malformed).
std::string clientHelloServername(SSL* ssl) {
  const unsigned char* p = nullptr;
  std::size_t len = 0;
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) || len < 5) return "";
  std::size_t listLen = (static_cast<std::size_t>(p[0]) << 8) | p[1];
  if (listLen + 2 != len || p[2] != TLSEXT_NAMETYPE_host_name) return "";
  std::size_t nameLen = (static_cast<std::size_t>(p[3]) << 8) | p[4];
  if (nameLen + 5 > len) return "";
  return std::string(reinterpret_cast<const char*>(p + 5), nameLen);
}

int onClientHello(SSL* ssl, int* alert, void*) {
  TLSSocket::Impl* impl = implOf(ssl);
  if (!impl || !impl->isServer() || impl->sniDone) return SSL_CLIENT_HELLO_SUCCESS;
  const tls::SNICallback& pick = impl->config->opts.SNICallback;
  bool haveContexts = impl->server && !impl->server->contexts.empty();
  if (!pick && !haveContexts) return SSL_CLIENT_HELLO_SUCCESS;
  std::string name = clientHelloServername(ssl);
  if (name.empty()) return SSL_CLIENT_HELLO_SUCCESS;
  if (!pick) {
    impl->sniDone = true;
    if (auto ctx = impl->server->contextFor(name)) {
      impl->sniContext = ctx;
      SSL_set_SSL_CTX(ssl, ctx->native());
      impl->enableKeylogIfWanted();
    }
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  // SNICallback may answer now or later; later pauses the handshake until it does.
  struct Answer {
    bool inCall = true, answered = false;
    Error failure;
  };
  auto st = std::make_shared<Answer>();
  std::weak_ptr<Stream> weak = impl->owner->shared_from_this();
  pick(name, [weak, impl, st](const Error& err, std::shared_ptr<SecureContext> ctx) {
    auto keep = weak.lock();
    if (!keep || impl->sniDone || impl->owner->destroyed()) return;
    impl->sniDone = true;
    if (st->inCall) {
      st->answered = true;
      st->failure = err;
    }
    if (!err && ctx) {
      impl->sniContext = ctx;
      SSL_set_SSL_CTX(impl->ssl, ctx->native());
      impl->enableKeylogIfWanted();
    }
    if (st->inCall) return;
    if (err) {
      impl->fail(err);
    } else {
      impl->cycle();
    }
  });
  st->inCall = false;
  if (!st->answered) return SSL_CLIENT_HELLO_RETRY;
  if (st->failure) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

int onAlpnSelect(SSL* ssl, const unsigned char** out, unsigned char* outlen,
                 const unsigned char* in, unsigned inlen, void*) {
  TLSSocket::Impl* impl = implOf(ssl);
  if (!impl || impl->config->alpnWire.empty()) return SSL_TLSEXT_ERR_NOACK;
  const std::string& wire = impl->config->alpnWire;
  unsigned char* chosen = nullptr;
  int r =
      SSL_select_next_proto(&chosen, outlen, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()), in, inlen);
  if (r != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

void onKeylog(const SSL* ssl, const char* line) {
  TLSSocket::Impl* impl = implOf(ssl);
  if (!impl || !impl->wantsKeylog()) return;
  std::string l = std::string(line) + "\n";
  impl->keylog.push_back(Buffer::from(l));
}

int onNewSession(SSL* ssl, SSL_SESSION* sess) {
  TLSSocket::Impl* impl = implOf(ssl);
  if (!impl || impl->owner->listenerCount(TLSSocket::Events::session) == 0) return 0;
  int len = i2d_SSL_SESSION(sess, nullptr);
  if (len <= 0) return 0;
  Buffer b = Buffer::allocUnsafe(static_cast<std::size_t>(len));
  unsigned char* p = b.data();
  i2d_SSL_SESSION(sess, &p);
  impl->sessions.push_back(std::move(b));
  return 0;  // we keep no reference
}

struct MakeTLSSocket : TLSSocket {
  MakeTLSSocket(std::shared_ptr<Duplex> t, net::SocketOptions so) : TLSSocket(std::move(t), so) {}
};

}  // namespace

namespace internal {
void installContextCallbacks(SSL_CTX* ctx) {
  SSL_CTX_set_client_hello_cb(ctx, onClientHello, nullptr);
  SSL_CTX_set_alpn_select_cb(ctx, onAlpnSelect, nullptr);
  SSL_CTX_sess_set_new_cb(ctx, onNewSession);
}

void startHandshakeTimer(TLSSocket* s, std::uint64_t ms) {
  TLSSocket::Impl* impl = s->impl_.get();
  impl->handshakeTimer = setTimeout(
      [impl] { impl->fail(Error("ERR_TLS_HANDSHAKE_TIMEOUT", "TLS handshake timeout")); }, ms);
  impl->handshakeTimer->unref();
}

// Internal creation, shared by TLSSocket::create and ServerSide::wrap.
std::shared_ptr<TLSSocket> makeTLSSocket(std::shared_ptr<Duplex> transport,
                                         std::shared_ptr<const Config> config,
                                         std::shared_ptr<ServerSide> server) {
  if (!transport) throwInvalidArg("socket", "must be a stream");
  if (!config->opts.secureContext) throwInvalidArg("secureContext", "is required");
  net::SocketOptions so;
  so.allowHalfOpen = config->opts.allowHalfOpen;
  auto s = std::make_shared<MakeTLSSocket>(std::move(transport), so);
  s->impl_->config = std::move(config);
  s->impl_->server = std::move(server);
  s->self_ = s;
  s->impl_->start();
  if (s->impl_->server) s->impl_->track();
  return s;
}
}  // namespace internal

void ServerSide::endHandshakes() {
  std::vector<std::shared_ptr<TLSSocket>> pending;  // destroying edits the list
  pending.reserve(handshaking.size());
  for (TLSSocket::Impl* impl : handshaking) pending.push_back(impl->selfPtr());
  for (auto& s : pending) s->destroy();
}

TLSSocket::TLSSocket(std::shared_ptr<Duplex> transport, net::SocketOptions so)
    : net::Socket(so), impl_(std::make_unique<Impl>(this)), transport_(std::move(transport)) {
  tcp_ = dynamic_cast<net::Socket*>(transport_.get());
}

TLSSocket::~TLSSocket() = default;

std::shared_ptr<TLSSocket> TLSSocket::create(std::shared_ptr<Duplex> transport,
                                             TLSSocketOptions opts) {
  auto config = std::make_shared<internal::Config>();
  config->alpnWire = internal::alpnWire(opts.ALPNProtocols);
  if (!opts.isServer) {
    // Clients keep the sessions OpenSSL hands them for `session` (nothing is cached inside).
    SSL_CTX* ctx = opts.secureContext ? opts.secureContext->native() : nullptr;
    if (ctx) {
      SSL_CTX_set_session_cache_mode(ctx, SSL_CTX_get_session_cache_mode(ctx) |
                                              SSL_SESS_CACHE_CLIENT |
                                              SSL_SESS_CACHE_NO_INTERNAL_STORE);
    }
  }
  config->opts = std::move(opts);
  return internal::makeTLSSocket(std::move(transport), std::move(config), nullptr);
}

void TLSSocket::_read(std::size_t) {
  if (!impl_->readPaused) return;
  impl_->readPaused = false;
  impl_->cycle();
  if (!impl_->readPaused && impl_->transportPaused && !destroyed()) {
    impl_->transportPaused = false;
    transport_->resume();
  }
}

void TLSSocket::_write(const Buffer& chunk, WriteCallback cb) {
  struct One {
    std::vector<Buffer> chunks;
  };
  net::writeOneChunk<One>(chunk, [&](std::vector<Buffer>& chunks) { _writev(chunks, cb); });
}

void TLSSocket::_writev(std::vector<Buffer>& chunks, WriteCallback cb) {
  if (!impl_->secure) {
    for (auto& c : chunks) impl_->waiting.push_back(std::move(c));
    impl_->waitingCb = cb;
    return;
  }
  impl_->encrypt(chunks, cb);
}

void TLSSocket::_final(std::function<void(const Error&)> cb) {
  if (!impl_->secure) {
    impl_->finalCb = std::move(cb);
    return;
  }
  impl_->shutdown(std::move(cb));
}

void TLSSocket::_destroy(const Error& err, std::function<void(const Error&)> cb) {
  connecting_ = false;
  impl_->untrack();
  if (impl_->handshakeTimer) {
    impl_->handshakeTimer->close();
    impl_->handshakeTimer.reset();
  }
  impl_->drainCb.reset();
  impl_->waitingCb.reset();
  impl_->waiting.clear();
  impl_->in.chunks.clear();
  impl_->in.length = 0;
  if (impl_->transportClosed) {
    cb(err);
    return;
  }
  // `close` follows the transport's (a server counts its connections by the transport).
  impl_->destroyCb = [cb = std::move(cb), err] { cb(err); };
  if (!transport_->destroyed()) transport_->destroy();
}

void TLSSocket::emitCloseEvent() {
  auto keep = std::move(self_);
  impl_->detach();
  net::Socket::emitCloseEvent();
}

Certificate TLSSocket::getPeerCertificate() const {
  return impl_->ssl ? internal::toCertificate(SSL_get0_peer_certificate(impl_->ssl))
                    : Certificate{};
}

Certificate TLSSocket::getCertificate() const {
  return impl_->ssl ? internal::toCertificate(SSL_get_certificate(impl_->ssl)) : Certificate{};
}

std::string TLSSocket::getProtocol() const {
  if (!impl_->ssl || !impl_->handshakeDone) return "";
  return SSL_get_version(impl_->ssl);
}

CipherInfo TLSSocket::getCipher() const {
  CipherInfo c;
  const SSL_CIPHER* cipher = impl_->ssl ? SSL_get_current_cipher(impl_->ssl) : nullptr;
  if (!cipher) return c;
  c.name = SSL_CIPHER_get_name(cipher);
  c.standardName = SSL_CIPHER_standard_name(cipher);
  c.version = SSL_CIPHER_get_version(cipher);
  return c;
}

std::string TLSSocket::servername() const {
  const char* n = impl_->ssl ? SSL_get_servername(impl_->ssl, TLSEXT_NAMETYPE_host_name) : nullptr;
  return n ? n : "";
}

Buffer TLSSocket::getSession() const {
  SSL_SESSION* s = impl_->ssl ? SSL_get_session(impl_->ssl) : nullptr;
  if (!s || !impl_->handshakeDone) return {};
  int len = i2d_SSL_SESSION(s, nullptr);
  if (len <= 0) return {};
  Buffer b = Buffer::allocUnsafe(static_cast<std::size_t>(len));
  unsigned char* p = b.data();
  i2d_SSL_SESSION(s, &p);
  return b;
}

bool TLSSocket::isSessionReused() const {
  return impl_->ssl && SSL_session_reused(impl_->ssl) == 1;
}

net::Socket& TLSSocket::setNoDelay(bool noDelay) {
  if (tcp_) tcp_->setNoDelay(noDelay);
  return *this;
}
net::Socket& TLSSocket::setKeepAlive(bool enable, std::uint64_t initialDelayMs) {
  if (tcp_) tcp_->setKeepAlive(enable, initialDelayMs);
  return *this;
}
net::Socket& TLSSocket::ref() {
  if (tcp_) tcp_->ref();
  return *this;
}
net::Socket& TLSSocket::unref() {
  if (tcp_) tcp_->unref();
  return *this;
}
std::string TLSSocket::remoteAddress() const { return tcp_ ? tcp_->remoteAddress() : ""; }
int TLSSocket::remotePort() const { return tcp_ ? tcp_->remotePort() : -1; }
std::string TLSSocket::remoteFamily() const { return tcp_ ? tcp_->remoteFamily() : ""; }
net::AddressInfo TLSSocket::address() const { return tcp_ ? tcp_->address() : net::AddressInfo{}; }
std::uint64_t TLSSocket::bytesRead() const { return tcp_ ? tcp_->bytesRead() : impl_->plainRead; }
std::uint64_t TLSSocket::bytesWritten() const {
  return tcp_ ? tcp_->bytesWritten() : impl_->plainWritten;
}

}  // namespace evnode::tls
