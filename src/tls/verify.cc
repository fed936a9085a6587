// Certificates as Node shows them, verification results with Node's codes, OpenSSL's error
// queue as evnode Errors, and Node's checkServerIdentity.
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

#include "evnode/net.h"
#include "tls/internal.h"

namespace evnode::tls {

namespace detail {

namespace {

std::string upperUnderscored(const char* s) {
  std::string out;
  for (const char* p = s; *p; ++p) {
    char c = *p;
    out += (c == ' ' || c == '-' || c == '.')
               ? '_'
               : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string libPrefix(unsigned long e) {
  switch (ERR_GET_LIB(e)) {
    case ERR_LIB_SSL:
      return "ERR_SSL_";
    case ERR_LIB_PEM:
      return "ERR_OSSL_PEM_";
    case ERR_LIB_EVP:
      return "ERR_OSSL_EVP_";
    case ERR_LIB_X509:
      return "ERR_OSSL_X509_";
    case ERR_LIB_ASN1:
      return "ERR_OSSL_ASN1_";
    case ERR_LIB_RSA:
      return "ERR_OSSL_RSA_";
    default:
      return "ERR_OSSL_";
  }
}

std::string hexColons(const unsigned char* md, unsigned n) {
  static const char* digits = "0123456789ABCDEF";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    if (i) s += ':';
    s += digits[md[i] >> 4];
    s += digits[md[i] & 15];
  }
  return s;
}

std::map<std::string, std::string> nameFields(X509_NAME* name) {
  std::map<std::string, std::string> out;
  if (!name) return out;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    const char* sn = nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (len >= 0 && sn)
      out[sn] = std::string(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
  }
  return out;
}

std::string timeString(const ASN1_TIME* t) {
  BIO* b = BIO_new(BIO_s_mem());
  std::string s;
  if (ASN1_TIME_print(b, t) == 1) {
    char* p = nullptr;
    long n = BIO_get_mem_data(b, &p);
    s.assign(p, static_cast<std::size_t>(n));
  }
  BIO_free(b);
  return s;
}

std::string altNames(X509* cert) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return "";
  std::string out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    std::string item;
    if (g->type == GEN_DNS || g->type == GEN_EMAIL || g->type == GEN_URI) {
      const ASN1_IA5STRING* s = g->d.ia5;
      std::string v(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                    static_cast<std::size_t>(ASN1_STRING_length(s)));
      item = (g->type == GEN_DNS ? "DNS:" : g->type == GEN_EMAIL ? "email:" : "URI:") + v;
    } else if (g->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = g->d.ip;
      char buf[INET6_ADDRSTRLEN] = {};
      int len = ASN1_STRING_length(ip);
      if (len == 4 || len == 16) {
        inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), buf, sizeof buf);
        item = std::string("IP Address:") + buf;
      }
    }
    if (item.empty()) continue;
    if (!out.empty()) out += ", ";
    out += item;
  }
  GENERAL_NAMES_free(names);
  return out;
}

}  // namespace

Error opensslError(std::string_view fallbackCode, std::string_view fallbackMessage) {
  unsigned long e = ERR_peek_error();
  if (e == 0) return Error(std::string(fallbackCode), std::string(fallbackMessage));
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  const char* reason = ERR_reason_error_string(e);
  ERR_clear_error();
  std::string code = reason ? libPrefix(e) + upperUnderscored(reason) : std::string(fallbackCode);
  return Error(code, buf);
}

void throwOpensslError(std::string_view fallbackCode, std::string_view fallbackMessage) {
  Error e = opensslError(fallbackCode, fallbackMessage);
  throw Exception(e.code, e.message);
}

Error verifyError(long result) {
  const char* code = "UNSPECIFIED";
  switch (result) {
#define EVNODE_X509_CODE(name) \
  case X509_V_ERR_##name:      \
    code = #name;              \
    break;
    EVNODE_X509_CODE(UNABLE_TO_GET_ISSUER_CERT)
    EVNODE_X509_CODE(UNABLE_TO_GET_CRL)
    EVNODE_X509_CODE(UNABLE_TO_DECRYPT_CERT_SIGNATURE)
    EVNODE_X509_CODE(UNABLE_TO_DECRYPT_CRL_SIGNATURE)
    EVNODE_X509_CODE(UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY)
    EVNODE_X509_CODE(CERT_SIGNATURE_FAILURE)
    EVNODE_X509_CODE(CRL_SIGNATURE_FAILURE)
    EVNODE_X509_CODE(CERT_NOT_YET_VALID)
    EVNODE_X509_CODE(CERT_HAS_EXPIRED)
    EVNODE_X509_CODE(CRL_NOT_YET_VALID)
    EVNODE_X509_CODE(CRL_HAS_EXPIRED)
    EVNODE_X509_CODE(ERROR_IN_CERT_NOT_BEFORE_FIELD)
    EVNODE_X509_CODE(ERROR_IN_CERT_NOT_AFTER_FIELD)
    EVNODE_X509_CODE(ERROR_IN_CRL_LAST_UPDATE_FIELD)
    EVNODE_X509_CODE(ERROR_IN_CRL_NEXT_UPDATE_FIELD)
    EVNODE_X509_CODE(OUT_OF_MEM)
    EVNODE_X509_CODE(DEPTH_ZERO_SELF_SIGNED_CERT)
    EVNODE_X509_CODE(SELF_SIGNED_CERT_IN_CHAIN)
    EVNODE_X509_CODE(UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
    EVNODE_X509_CODE(UNABLE_TO_VERIFY_LEAF_SIGNATURE)
    EVNODE_X509_CODE(CERT_CHAIN_TOO_LONG)
    EVNODE_X509_CODE(CERT_REVOKED)
    EVNODE_X509_CODE(INVALID_CA)
    EVNODE_X509_CODE(PATH_LENGTH_EXCEEDED)
    EVNODE_X509_CODE(INVALID_PURPOSE)
    EVNODE_X509_CODE(CERT_UNTRUSTED)
    EVNODE_X509_CODE(CERT_REJECTED)
    EVNODE_X509_CODE(HOSTNAME_MISMATCH)
#undef EVNODE_X509_CODE
    default:
      break;
  }
  return Error(code, X509_verify_cert_error_string(result));
}

Certificate toCertificate(X509* cert) {
  Certificate c;
  if (!cert) return c;
  c.subject = nameFields(X509_get_subject_name(cert));
  c.issuer = nameFields(X509_get_issuer_name(cert));
  c.subjectaltname = altNames(cert);
  c.valid_from = timeString(X509_get0_notBefore(cert));
  c.valid_to = timeString(X509_get0_notAfter(cert));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (X509_digest(cert, EVP_sha1(), md, &n)) c.fingerprint = hexColons(md, n);
  if (X509_digest(cert, EVP_sha256(), md, &n)) c.fingerprint256 = hexColons(md, n);
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      c.serialNumber = hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  c.ca = X509_check_ca(cert) != 0;
  int len = i2d_X509(cert, nullptr);
  if (len > 0) {
    c.raw = Buffer::allocUnsafe(static_cast<std::size_t>(len));
    unsigned char* p = c.raw.data();
    i2d_X509(cert, &p);
  }
  return c;
}

int sslIndex() {
  static int idx = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return idx;
}

int protocolVersion(const std::string& name) {
  if (name == "TLSv1") return TLS1_VERSION;
  if (name == "TLSv1.1") return TLS1_1_VERSION;
  if (name == "TLSv1.2") return TLS1_2_VERSION;
  if (name == "TLSv1.3") return TLS1_3_VERSION;
  return 0;
}

}  // namespace detail

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!s.empty() && s.back() == '.') s.pop_back();  // "example.com." is example.com
  return s;
}

// Node's wildcard rule: "*.example.com" matches exactly one non-empty leftmost label, and only
// when the pattern has at least three labels.
bool hostMatches(const std::string& host, const std::string& patternIn) {
  std::string pattern = lower(patternIn);
  if (pattern == host) return true;
  if (pattern.rfind("*.", 0) != 0) return false;
  std::string rest = pattern.substr(1);  // ".example.com"
  if (std::count(rest.begin(), rest.end(), '.') < 2) return false;
  if (host.size() <= rest.size() || host.compare(host.size() - rest.size(), rest.size(), rest) != 0)
    return false;
  return host.find('.') == host.size() - rest.size();
}

bool sameIp(const std::string& a, const std::string& b) {
  unsigned char x[16], y[16];
  int fa = net::isIP(a), fb = net::isIP(b);
  if (fa != fb || fa == 0) return false;
  int af = fa == 4 ? AF_INET : AF_INET6;
  if (inet_pton(af, a.c_str(), x) != 1 || inet_pton(af, b.c_str(), y) != 1) return false;
  return std::memcmp(x, y, fa == 4 ? 4 : 16) == 0;
}

}  // namespace

Error checkServerIdentity(const std::string& hostnameIn, const Certificate& cert) {
  std::string hostname = lower(hostnameIn);
  std::vector<std::string> dns, ips;
  const std::string& alt = cert.subjectaltname;
  std::size_t pos = 0;
  while (pos < alt.size()) {
    std::size_t end = alt.find(", ", pos);
    if (end == std::string::npos) end = alt.size();
    std::string item = alt.substr(pos, end - pos);
    if (item.rfind("DNS:", 0) == 0) dns.push_back(item.substr(4));
    if (item.rfind("IP Address:", 0) == 0) ips.push_back(item.substr(11));
    pos = end + 2;
  }
  std::string reason;
  bool valid = false;
  if (net::isIP(hostname)) {
    valid = std::any_of(ips.begin(), ips.end(),
                        [&](const std::string& ip) { return sameIp(ip, hostname); });
    if (!valid) {
      std::string list;
      for (const auto& ip : ips) list += (list.empty() ? "" : ", ") + ip;
      reason = "IP: " + hostnameIn + " is not in the cert's list: " + list;
    }
  } else if (!dns.empty() || cert.subject.empty()) {
    valid = std::any_of(dns.begin(), dns.end(),
                        [&](const std::string& d) { return hostMatches(hostname, d); });
    if (!valid) reason = "Host: " + hostnameIn + ". is not in the cert's altnames: " + alt;
  } else {
    auto cn = cert.subject.find("CN");
    valid = cn != cert.subject.end() && hostMatches(hostname, cn->second);
    if (!valid)
      reason = "Host: " + hostnameIn +
               ". is not cert's CN: " + (cn == cert.subject.end() ? "" : cn->second);
  }
  if (valid) return {};
  return Error("ERR_TLS_CERT_ALTNAME_INVALID",
               "Hostname/IP does not match certificate's altnames: " + reason);
}

}  // namespace evnode::tls
