// Internal: what the tls sources share — OpenSSL errors as evnode Errors, certificates as
// Node's objects, the transport BIO and the thread's output arena, and the SSL ex-data slot
// that leads from an SSL* back to its socket.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>
#include <string_view>
#include <vector>

#include "evnode/tls.h"

namespace evnode::tls::internal {

// The first error on OpenSSL's queue (which is then cleared) with Node's code:
// ERR_SSL_<REASON> for the SSL library, ERR_OSSL_<LIB>_<REASON> otherwise. `fallback` is the
// code when the queue is empty.
Error opensslError(std::string_view fallbackCode, std::string_view fallbackMessage);
[[noreturn]] void throwOpensslError(std::string_view fallbackCode,
                                    std::string_view fallbackMessage);

// A certificate-verification result (X509_V_ERR_*) as Node reports it: the code without the
// X509_V_ERR_ prefix, OpenSSL's text as the message.
Error verifyError(long result);

Certificate toCertificate(X509* cert);
// The DNS, IP, URI and email entries of the certificate's subjectAltName, in order.
std::vector<AltName> altNameList(X509* cert);
// Node's checkServerIdentity on the X509 itself (see tls::checkServerIdentity): an empty Error
// when `hostname` matches, else ERR_TLS_CERT_ALTNAME_INVALID with Node's message.
Error checkIdentity(X509* cert, const std::string& hostname);

// The slot of an SSL* that holds its TLSSocket::Impl*.
int sslIndex();

// Ciphertext received from the transport and not yet consumed by OpenSSL: views of the
// transport's read buffers, no copy.
struct CipherIn {
  evnode::detail::Fifo<Buffer> chunks;
  std::size_t length = 0;
};

// A BIO that reads from `in` and writes into the thread's output arena. Owned by the SSL it is
// given to; `in` must outlive it.
BIO* newTransportBio(CipherIn* in);

// Encrypted output accumulates in one per-thread arena while an SSL call runs, then leaves as
// slices of it (no copy). Calls never interleave across sockets: each socket takes its output
// right after the OpenSSL call that produced it.
void arenaReserve(std::size_t bytes);
// Moves what was written since the last take into `out` (usually one Buffer).
void arenaTake(std::vector<Buffer>& out);
bool arenaHasOutput();

// Callbacks every context carries (ALPN selection, SNI, key logging, client sessions); each
// finds its socket through the SSL's ex-data, so one context may serve any number of sockets
// and both roles. Defined with the socket (src/tls/socket.cc).
void installContextCallbacks(SSL_CTX* ctx);

// Node's protocol names ("TLSv1.2") to OpenSSL's constants; 0 if unknown.
int protocolVersion(const std::string& name);

}  // namespace evnode::tls::internal
