// Certificates as Node shows them, verification results with Node's codes, OpenSSL's error
// queue as evnode Errors, and Node's checkServerIdentity decided by OpenSSL on the X509.
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "evnode/net.h"
#include "tls/internal.h"

namespace evnode::tls {

namespace internal {

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

// Node's display of one altName value: as is when it is printable ASCII without a comma or a
// quote, else a JSON-style string in which even commas are escaped (\u002c), so the joined list
// can be read back without ambiguity (Node's answer to CVE-2021-44532).
void appendDisplayValue(std::string& out, const std::string& v) {
  auto plain = [](unsigned char c) {
    return c >= ' ' && c <= '~' && c != ',' && c != '"' && c != '\\' && c != '\'';
  };
  if (std::all_of(v.begin(), v.end(), plain)) {
    out += v;
    return;
  }
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (unsigned char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= ' ' && c <= '~' && c != ',') {
      out += static_cast<char>(c);
    } else {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  out += '"';
}

std::string displayAltNames(const std::vector<AltName>& names) {
  std::string out;
  for (const AltName& n : names) {
    if (!out.empty()) out += ", ";
    switch (n.type) {
      case AltName::Type::DNS:
        out += "DNS:";
        break;
      case AltName::Type::IP:
        out += "IP Address:";
        break;
      case AltName::Type::URI:
        out += "URI:";
        break;
      case AltName::Type::Email:
        out += "email:";
        break;
    }
    appendDisplayValue(out, n.value);
  }
  return out;
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

}  // namespace

std::vector<AltName> altNameList(X509* cert) {
  std::vector<AltName> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    if (g->type == GEN_DNS || g->type == GEN_EMAIL || g->type == GEN_URI) {
      const ASN1_IA5STRING* s = g->d.ia5;
      out.push_back({g->type == GEN_DNS     ? AltName::Type::DNS
                     : g->type == GEN_EMAIL ? AltName::Type::Email
                                            : AltName::Type::URI,
                     std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                 static_cast<std::size_t>(ASN1_STRING_length(s)))});
    } else if (g->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = g->d.ip;
      char buf[INET6_ADDRSTRLEN] = {};
      int len = ASN1_STRING_length(ip);
      if ((len == 4 || len == 16) &&
          inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), buf, sizeof buf)) {
        out.push_back({AltName::Type::IP, buf});
      }
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

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
  c.altNames = altNameList(cert);
  c.subjectaltname = displayAltNames(c.altNames);
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

}  // namespace internal

namespace {

Error altnameError(const std::string& reason) {
  return Error("ERR_TLS_CERT_ALTNAME_INVALID",
               "Hostname/IP does not match certificate's altnames: " + reason);
}

// The subject's (first) CN, as Node's subject.CN shows it.
std::string commonName(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
  if (i < 0) return "";
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
  std::string cn = len > 0 ? std::string(reinterpret_cast<char*>(utf8), len) : "";
  OPENSSL_free(utf8);
  return cn;
}

// A certificate made of `c`'s CN and altNames alone (unsigned, never sent anywhere), so that a
// Certificate built by hand is judged by the same OpenSSL code as a peer's.
internal::X509Ptr certificateOf(const Certificate& c) {
  internal::X509Ptr x(X509_new());
  if (!x) return x;
  auto cn = c.subject.find("CN");
  if (cn != c.subject.end() && !cn->second.empty()) {
    X509_NAME* name = X509_NAME_new();
    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn->second.data()),
                               static_cast<int>(cn->second.size()), -1, 0);
    X509_set_subject_name(x.get(), name);  // copies
    X509_NAME_free(name);
  }
  GENERAL_NAMES* gens = sk_GENERAL_NAME_new_null();
  for (const AltName& n : c.altNames) {
    GENERAL_NAME* g = GENERAL_NAME_new();
    if (n.type == AltName::Type::IP) {
      ASN1_OCTET_STRING* ip = a2i_IPADDRESS(n.value.c_str());
      if (!ip) {
        GENERAL_NAME_free(g);
        continue;  // not an address: it can match nothing
      }
      GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
    } else {
      ASN1_IA5STRING* v = ASN1_IA5STRING_new();
      ASN1_STRING_set(v, n.value.data(), static_cast<int>(n.value.size()));
      int type = n.type == AltName::Type::DNS   ? GEN_DNS
                 : n.type == AltName::Type::URI ? GEN_URI
                                                : GEN_EMAIL;
      GENERAL_NAME_set0_value(g, type, v);
    }
    sk_GENERAL_NAME_push(gens, g);
  }
  if (sk_GENERAL_NAME_num(gens) > 0)
    X509_add1_ext_i2d(x.get(), NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT);
  GENERAL_NAMES_free(gens);
  ERR_clear_error();
  return x;
}

}  // namespace

namespace internal {

Error checkIdentity(X509* cert, const std::string& hostnameIn) {
  if (!cert) return altnameError("Cert is empty");
  // Node's unfqdn: "example.com." is example.com.
  std::string host = hostnameIn;
  if (!host.empty() && host.back() == '.') host.pop_back();
  std::vector<AltName> names = altNameList(cert);
  if (net::isIP(host)) {
    // IP SANs only: never a DNS SAN that spells the address, never the CN.
    if (X509_check_ip_asc(cert, host.c_str(), 0) == 1) return {};
    std::string list;
    for (const AltName& n : names) {
      if (n.type == AltName::Type::IP) list += (list.empty() ? "" : ", ") + n.value;
    }
    return altnameError("IP: " + host + " is not in the cert's list: " + list);
  }
  bool haveDns = std::any_of(names.begin(), names.end(),
                             [](const AltName& n) { return n.type == AltName::Type::DNS; });
  std::string cn = commonName(cert);
  if (!haveDns && cn.empty()) return altnameError("Cert does not contain a DNS name");
  // OpenSSL's default subject rule is Node's: the CN counts only when there is no DNS SAN
  // (neither ALWAYS_ nor NEVER_CHECK_SUBJECT). Wildcards: the whole left-most label only, one
  // label deep, and not in names of fewer than three labels. What we ask about must be a host
  // name: one starting with a dot would ask OpenSSL for any subdomain of the rest, and one with
  // a '*' would match a pattern literally.
  const unsigned flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
  if (!host.empty() && host.front() != '.' && host.find('*') == std::string::npos &&
      X509_check_host(cert, host.data(), host.size(), flags, nullptr) == 1) {
    return {};
  }
  ERR_clear_error();
  if (haveDns) {
    return altnameError("Host: " + host +
                        ". is not in the cert's altnames: " + displayAltNames(names));
  }
  return altnameError("Host: " + host + ". is not cert's CN: " + cn);
}

}  // namespace internal

Error checkServerIdentity(const std::string& hostname, const Certificate& cert) {
  internal::X509Ptr x;
  if (!cert.raw.empty()) {
    const unsigned char* p = cert.raw.data();
    x.reset(d2i_X509(nullptr, &p, static_cast<long>(cert.raw.length())));
    ERR_clear_error();
    if (!x) return altnameError("the certificate cannot be parsed");
  } else {
    x = certificateOf(cert);
  }
  return internal::checkIdentity(x.get(), hostname);
}

}  // namespace evnode::tls
