// DNS replies to Node's record shapes (c-ares's parsers, plus a small walker for CNAME), and
// c-ares statuses to Node's error codes.
#include "dns/records.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <strings.h>
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>

namespace evnode::dns::detail {

namespace {

// c-ares hands out lists and hostents that must go back to c-ares.
struct AresDataFree {
  void operator()(void* p) const {
    if (p) ares_free_data(p);
  }
};
struct HostentFree {
  void operator()(hostent* h) const {
    if (h) ares_free_hostent(h);
  }
};
using HostentPtr = std::unique_ptr<hostent, HostentFree>;

int answerCount(const unsigned char* buf, int len) {
  if (len < 12) return 0;
  return (buf[6] << 8) | buf[7];
}

std::string str(const unsigned char* s, std::size_t n) {
  return s ? std::string(reinterpret_cast<const char*>(s), n) : std::string();
}

void aliasesTo(const hostent* h, std::vector<std::string>& out) {
  if (!h || !h->h_aliases) return;
  for (char** a = h->h_aliases; *a; ++a) out.emplace_back(*a);
}

bool expandName(const unsigned char* buf, int len, const unsigned char* at, std::string& name,
                long& used) {
  if (at < buf || at >= buf + len) return false;
  char* s = nullptr;
  if (ares_expand_name(at, buf, len, &s, &used) != ARES_SUCCESS) return false;
  name = s;
  ares_free_string(s);
  return true;
}

// Walks the answer section, calling fn(owner, type, ttl, rdata, rdlen) for each class-IN
// record, with the queried name in `qname`. Names inside rdata are expanded against the whole
// reply (they may be compressed pointers into it). False when the reply is malformed.
template <class Fn>
int walkAnswers(const unsigned char* buf, int len, std::string& qname, Fn&& fn) {
  if (!buf || len < 12) return ARES_EBADRESP;
  const unsigned char* end = buf + len;
  const unsigned char* p = buf + 12;
  int qdcount = (buf[4] << 8) | buf[5];
  int ancount = answerCount(buf, len);
  std::string name;
  long used = 0;
  for (int i = 0; i < qdcount; ++i) {
    if (!expandName(buf, len, p, name, used)) return ARES_EBADRESP;
    if (i == 0) qname = name;
    p += used;
    if (end - p < 4) return ARES_EBADRESP;
    p += 4;
  }
  for (int i = 0; i < ancount; ++i) {
    if (!expandName(buf, len, p, name, used)) return ARES_EBADRESP;
    p += used;
    if (end - p < 10) return ARES_EBADRESP;
    int type = (p[0] << 8) | p[1];
    int cls = (p[2] << 8) | p[3];
    std::uint32_t ttl = (std::uint32_t(p[4]) << 24) | (p[5] << 16) | (p[6] << 8) | p[7];
    int rdlen = (p[8] << 8) | p[9];
    p += 10;
    if (end - p < rdlen) return ARES_EBADRESP;
    if (cls == 1 && !fn(name, type, ttl, p, rdlen)) return ARES_EBADRESP;
    p += rdlen;
  }
  return ARES_SUCCESS;
}

}  // namespace

int parseA(const unsigned char* buf, int len, std::vector<RecordWithTtl>& out) {
  int n = std::max(answerCount(buf, len), 1);
  std::vector<ares_addrttl> ttls(n);
  int status = ares_parse_a_reply(buf, len, nullptr, ttls.data(), &n);
  if (status != ARES_SUCCESS) return status;
  char ip[INET6_ADDRSTRLEN];
  for (int i = 0; i < n; ++i) {
    inet_ntop(AF_INET, &ttls[i].ipaddr, ip, sizeof ip);
    out.push_back({ip, ttls[i].ttl});
  }
  return out.empty() ? ARES_ENODATA : ARES_SUCCESS;
}

int parseAaaa(const unsigned char* buf, int len, std::vector<RecordWithTtl>& out) {
  int n = std::max(answerCount(buf, len), 1);
  std::vector<ares_addr6ttl> ttls(n);
  int status = ares_parse_aaaa_reply(buf, len, nullptr, ttls.data(), &n);
  if (status != ARES_SUCCESS) return status;
  char ip[INET6_ADDRSTRLEN];
  for (int i = 0; i < n; ++i) {
    inet_ntop(AF_INET6, &ttls[i].ip6addr, ip, sizeof ip);
    out.push_back({ip, ttls[i].ttl});
  }
  return out.empty() ? ARES_ENODATA : ARES_SUCCESS;
}

// c-ares 1.18 has no CNAME parser: the targets of the CNAME records owned by the queried name.
int parseCname(const unsigned char* buf, int len, std::vector<std::string>& out) {
  std::string qname;
  int status = walkAnswers(
      buf, len, qname,
      [&](const std::string& owner, int type, std::uint32_t, const unsigned char* rdata, int) {
        if (type != kCname || strcasecmp(owner.c_str(), qname.c_str()) != 0) {
          return true;
        }
        std::string target;
        long used = 0;
        if (!expandName(buf, len, rdata, target, used)) return false;
        out.push_back(std::move(target));
        return true;
      });
  if (status != ARES_SUCCESS) return status;
  return out.empty() ? ARES_ENODATA : ARES_SUCCESS;
}

// Ours rather than c-ares's, which calls a reply without an SOA record malformed (resolveAny
// needs "absent" to be ENODATA).
int parseSoa(const unsigned char* buf, int len, std::vector<SoaRecord>& out) {
  std::string qname;
  int status = walkAnswers(
      buf, len, qname,
      [&](const std::string&, int type, std::uint32_t, const unsigned char* rdata, int rdlen) {
        if (type != kSoa) return true;
        SoaRecord soa;
        long used1 = 0, used2 = 0;
        if (!expandName(buf, len, rdata, soa.nsname, used1)) return false;
        if (used1 > rdlen || !expandName(buf, len, rdata + used1, soa.hostmaster, used2)) {
          return false;
        }
        const unsigned char* p = rdata + used1 + used2;
        if (used1 + used2 + 20 > rdlen) return false;
        auto u32 = [&](int i) {
          const unsigned char* q = p + 4 * i;
          return (std::uint32_t(q[0]) << 24) | (q[1] << 16) | (q[2] << 8) | q[3];
        };
        soa.serial = u32(0);
        soa.refresh = u32(1);
        soa.retry = u32(2);
        soa.expire = u32(3);
        soa.minttl = u32(4);
        out.push_back(std::move(soa));
        return true;
      });
  if (status != ARES_SUCCESS) return status;
  return out.empty() ? ARES_ENODATA : ARES_SUCCESS;
}

int parseNs(const unsigned char* buf, int len, std::vector<std::string>& out) {
  hostent* h = nullptr;
  int status = ares_parse_ns_reply(buf, len, &h);
  HostentPtr hp(h);
  if (status != ARES_SUCCESS) return status;
  aliasesTo(h, out);
  return out.empty() ? ARES_ENODATA : ARES_SUCCESS;
}

int parsePtr(const unsigned char* buf, int len, std::vector<std::string>& out) {
  hostent* h = nullptr;
  // The address only fills h_addr_list, which nobody reads here.
  unsigned char dummy[4] = {0, 0, 0, 0};
  int status = ares_parse_ptr_reply(buf, len, dummy, sizeof dummy, AF_INET, &h);
  HostentPtr hp(h);
  if (status != ARES_SUCCESS) return status;
  aliasesTo(h, out);
  if (out.empty() && h && h->h_name) out.emplace_back(h->h_name);
  return out.empty() ? ARES_ENODATA : ARES_SUCCESS;
}

int parseMx(const unsigned char* buf, int len, std::vector<MxRecord>& out) {
  ares_mx_reply* list = nullptr;
  int status = ares_parse_mx_reply(buf, len, &list);
  std::unique_ptr<ares_mx_reply, AresDataFree> keep(list);
  if (status != ARES_SUCCESS) return status;
  for (auto* r = list; r; r = r->next) out.push_back({r->priority, r->host ? r->host : ""});
  return out.empty() ? ARES_ENODATA : ARES_SUCCESS;
}

int parseTxt(const unsigned char* buf, int len, std::vector<TxtRecord>& out) {
  ares_txt_ext* list = nullptr;
  int status = ares_parse_txt_reply_ext(buf, len, &list);
  std::unique_ptr<ares_txt_ext, AresDataFree> keep(list);
  if (status != ARES_SUCCESS) return status;
  // c-ares gives one entry per character-string; record_start marks where a record begins.
  for (auto* r = list; r; r = r->next) {
    if (r->record_start || out.empty()) out.emplace_back();
    out.back().push_back(str(r->txt, r->length));
  }
  return out.empty() ? ARES_ENODATA : ARES_SUCCESS;
}

int parseSrv(const unsigned char* buf, int len, std::vector<SrvRecord>& out) {
  ares_srv_reply* list = nullptr;
  int status = ares_parse_srv_reply(buf, len, &list);
  std::unique_ptr<ares_srv_reply, AresDataFree> keep(list);
  if (status != ARES_SUCCESS) return status;
  for (auto* r = list; r; r = r->next) {
    out.push_back({r->priority, r->weight, r->port, r->host ? r->host : ""});
  }
  return out.empty() ? ARES_ENODATA : ARES_SUCCESS;
}

int parseNaptr(const unsigned char* buf, int len, std::vector<NaptrRecord>& out) {
  ares_naptr_reply* list = nullptr;
  int status = ares_parse_naptr_reply(buf, len, &list);
  std::unique_ptr<ares_naptr_reply, AresDataFree> keep(list);
  if (status != ARES_SUCCESS) return status;
  auto cstr = [](const unsigned char* s) {
    return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
  };
  for (auto* r = list; r; r = r->next) {
    out.push_back({cstr(r->flags), cstr(r->service), cstr(r->regexp),
                   r->replacement ? r->replacement : "", r->order, r->preference});
  }
  return out.empty() ? ARES_ENODATA : ARES_SUCCESS;
}

int parseCaa(const unsigned char* buf, int len, std::vector<CaaRecord>& out) {
  ares_caa_reply* list = nullptr;
  int status = ares_parse_caa_reply(buf, len, &list);
  std::unique_ptr<ares_caa_reply, AresDataFree> keep(list);
  if (status != ARES_SUCCESS) return status;
  for (auto* r = list; r; r = r->next) {
    out.push_back({r->critical, str(r->property, r->plength), str(r->value, r->length)});
  }
  return out.empty() ? ARES_ENODATA : ARES_SUCCESS;
}

int parseAny(const unsigned char* buf, int len, std::vector<AnyRecord>& out) {
  // As Node: every type's parser over the same reply; a type that is absent is not an error.
  auto collect = [&](const char* type, auto parser, auto& records) {
    int status = parser(buf, len, records);
    if (status == ARES_SUCCESS) {
      for (auto& r : records) out.push_back(AnyRecord{type, std::move(r)});
    }
    return status == ARES_ENODATA ? ARES_SUCCESS : status;
  };
  std::vector<RecordWithTtl> a, aaaa;
  std::vector<std::string> cname, ns, ptr;
  std::vector<MxRecord> mx;
  std::vector<TxtRecord> txt;
  std::vector<SrvRecord> srv;
  std::vector<SoaRecord> soa;
  std::vector<NaptrRecord> naptr;
  std::vector<CaaRecord> caa;
  int statuses[] = {
      collect("A", parseA, a),
      collect("AAAA", parseAaaa, aaaa),
      collect("CNAME", parseCname, cname),
      collect("MX", parseMx, mx),
      collect("NS", parseNs, ns),
      collect("TXT", parseTxt, txt),
      collect("SRV", parseSrv, srv),
      collect("PTR", parsePtr, ptr),
      collect("NAPTR", parseNaptr, naptr),
      collect("SOA", parseSoa, soa),
      collect("CAA", parseCaa, caa),
  };
  for (int s : statuses) {
    if (s != ARES_SUCCESS) return s;
  }
  return out.empty() ? ARES_ENODATA : ARES_SUCCESS;
}

const char* aresCode(int status) {
  switch (status) {
    case ARES_ENODATA:
      return "ENODATA";
    case ARES_EFORMERR:
      return "EFORMERR";
    case ARES_ESERVFAIL:
      return "ESERVFAIL";
    case ARES_ENOTFOUND:
      return "ENOTFOUND";
    case ARES_ENOTIMP:
      return "ENOTIMP";
    case ARES_EREFUSED:
      return "EREFUSED";
    case ARES_EBADQUERY:
      return "EBADQUERY";
    case ARES_EBADNAME:
      return "EBADNAME";
    case ARES_EBADFAMILY:
      return "EBADFAMILY";
    case ARES_EBADRESP:
      return "EBADRESP";
    case ARES_ECONNREFUSED:
      return "ECONNREFUSED";
    case ARES_ETIMEOUT:
      return "ETIMEOUT";
    case ARES_EOF:
      return "EOF";
    case ARES_EFILE:
      return "EFILE";
    case ARES_ENOMEM:
      return "ENOMEM";
    case ARES_EDESTRUCTION:
      return "EDESTRUCTION";
    case ARES_EBADSTR:
      return "EBADSTR";
    case ARES_EBADFLAGS:
      return "EBADFLAGS";
    case ARES_ENONAME:
      return "ENONAME";
    case ARES_EBADHINTS:
      return "EBADHINTS";
    case ARES_ENOTINITIALIZED:
      return "ENOTINITIALIZED";
    case ARES_ECANCELLED:
      return "ECANCELLED";
    default:
      return "EUNKNOWN";
  }
}

int rrTypeFromName(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::toupper(c); });
  static const struct {
    const char* name;
    int type;
  } kTypes[] = {{"A", kA},         {"AAAA", kAaaa}, {"ANY", kAny},     {"CAA", kCaa},
                {"CNAME", kCname}, {"MX", kMx},     {"NAPTR", kNaptr}, {"NS", kNs},
                {"PTR", kPtr},     {"SOA", kSoa},   {"SRV", kSrv},     {"TXT", kTxt}};
  for (const auto& t : kTypes) {
    if (n == t.name) return t.type;
  }
  return 0;
}

}  // namespace evnode::dns::detail
