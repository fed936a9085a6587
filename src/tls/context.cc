// SecureContext: an SSL_CTX built from Node's createSecureContext options.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cstring>

#include "tls/internal.h"

namespace evnode::tls {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

int passwordCb(char* buf, int size, int, void* u) {
  const auto* pass = static_cast<const std::string*>(u);
  if (!pass || pass->empty()) return -1;  // an encrypted key without passphrase fails cleanly
  int n = std::min<int>(size, static_cast<int>(pass->size()));
  std::memcpy(buf, pass->data(), static_cast<std::size_t>(n));
  return n;
}

void useCertChain(SSL_CTX* ctx, const std::string& pem) {
  ERR_clear_error();
  BioPtr bio = memBio(pem);
  X509* leaf = PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr);
  if (!leaf)
    internal::throwOpensslError("ERR_OSSL_PEM_NO_START_LINE", "cert: no certificate found");
  int ok = SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  if (ok != 1) internal::throwOpensslError("ERR_OSSL_X509", "cert: cannot use the certificate");
  SSL_CTX_clear_chain_certs(ctx);
  while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      internal::throwOpensslError("ERR_OSSL_X509", "cert: cannot add a chain certificate");
    }
  }
  ERR_clear_error();  // the loop ends on "no start line"
}

void addCA(SSL_CTX* ctx, const std::string& pem) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  BioPtr bio = memBio(pem);
  int added = 0;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, c);
    SSL_CTX_add_client_CA(ctx, c);  // the CAs a server names when asking for a client cert
    X509_free(c);
    ++added;
  }
  ERR_clear_error();
  if (added == 0) throw Exception("ERR_OSSL_PEM_NO_START_LINE", "ca: no certificate found");
}

}  // namespace

std::shared_ptr<SecureContext> SecureContext::create(const SecureContextOptions& o) {
  int minV = internal::protocolVersion(o.minVersion),
      maxV = internal::protocolVersion(o.maxVersion);
  if (!minV) {
    throw Exception("ERR_TLS_INVALID_PROTOCOL_VERSION",
                    o.minVersion + " is not a valid minimum TLS protocol version");
  }
  if (!maxV) {
    throw Exception("ERR_TLS_INVALID_PROTOCOL_VERSION",
                    o.maxVersion + " is not a valid maximum TLS protocol version");
  }
  if (minV > maxV) {
    throw Exception(
        "ERR_TLS_PROTOCOL_VERSION_CONFLICT",
        "TLS protocol version " + o.minVersion + " conflicts with maxVersion " + o.maxVersion);
  }
  SSL_CTX* raw = SSL_CTX_new(TLS_method());
  if (!raw) internal::throwOpensslError("ERR_OSSL_SSL", "cannot create an SSL context");
  std::shared_ptr<SecureContext> sc(new SecureContext(raw));
  SSL_CTX* ctx = raw;
  SSL_CTX_set_min_proto_version(ctx, minV);
  SSL_CTX_set_max_proto_version(ctx, maxV);
  if (minV < TLS1_2_VERSION) {
    // OpenSSL 3's default security level refuses TLS 1.0/1.1 outright; a user who asks for
    // them explicitly gets them (Node does the same).
    SSL_CTX_set_security_level(ctx, 0);
  }
  // Idle connections give their read/write buffers back (tens of KiB each).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // The server picks from its own list, strongest first, rather than the client's first
  // choice (which may be a CBC suite the user re-enabled for old clients).
  if (o.honorCipherOrder) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // OpenSSL's own default list still offers static RSA key exchange (no forward secrecy) and
  // CBC suites in TLS 1.2; ours does not. TLS 1.0 and 1.1 have no AEAD suite at all, so a
  // context that asks for them keeps OpenSSL's list. TLS 1.3 suites are set apart (OpenSSL's).
  std::string ciphers = o.ciphers;
  if (ciphers.empty()) ciphers = minV < TLS1_2_VERSION ? "DEFAULT" : DEFAULT_CIPHERS;
  if (SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) {
    internal::throwOpensslError("ERR_SSL_NO_CIPHER_MATCH", "no cipher match");
  }
  if (!o.ecdhCurve.empty() && SSL_CTX_set1_groups_list(ctx, o.ecdhCurve.c_str()) != 1) {
    internal::throwOpensslError("ERR_OSSL_SSL", "invalid ecdhCurve");
  }
  if (!o.cert.empty()) useCertChain(ctx, o.cert);
  if (!o.key.empty()) {
    ERR_clear_error();
    BioPtr bio = memBio(o.key);
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, passwordCb,
                                            const_cast<std::string*>(&o.passphrase));
    if (!key)
      internal::throwOpensslError("ERR_OSSL_PEM_NO_START_LINE", "key: no private key found");
    int ok = SSL_CTX_use_PrivateKey(ctx, key);
    EVP_PKEY_free(key);
    if (ok != 1)
      internal::throwOpensslError("ERR_OSSL_X509_KEY_VALUES_MISMATCH", "key values mismatch");
  }
  for (const auto& pem : o.ca) addCA(ctx, pem);
  sc->trustLoaded_ = !o.ca.empty();

  std::string idctx = o.sessionIdContext.empty() ? "evnode" : o.sessionIdContext;
  SSL_CTX_set_session_id_context(
      ctx, reinterpret_cast<const unsigned char*>(idctx.data()),
      static_cast<unsigned>(std::min<std::size_t>(idctx.size(), SSL_MAX_SID_CTX_LENGTH)));
  SSL_CTX_set_timeout(ctx, static_cast<long>(o.sessionTimeout));
  if (o.ticketKeys) sc->setTicketKeys(*o.ticketKeys);
  internal::installContextCallbacks(ctx);
  return sc;
}

SecureContext::~SecureContext() { SSL_CTX_free(ctx_); }

void SecureContext::ensureTrust() {
  if (trustLoaded_) return;
  trustLoaded_ = true;
  SSL_CTX_set_default_verify_paths(ctx_);
  ERR_clear_error();
}

Buffer SecureContext::getTicketKeys() const {
  Buffer keys = Buffer::alloc(48);
  SSL_CTX_get_tlsext_ticket_keys(ctx_, keys.data(), 48);
  return keys;
}

void SecureContext::setTicketKeys(const Buffer& keys) {
  if (keys.length() != 48) throwInvalidArg("ticketKeys", "must be exactly 48 bytes");
  SSL_CTX_set_tlsext_ticket_keys(ctx_, const_cast<std::uint8_t*>(keys.data()), 48);
}

}  // namespace evnode::tls
