// Internal: DNS replies (raw bytes as they came off the wire) turned into Node's record shapes,
// and c-ares status codes turned into Node's error codes. Pure functions of their input: a
// truncated or malformed reply gives a status (EBADRESP, ENODATA), never a crash, so they can be
// fuzzed on their own.
#pragma once

#include <string>
#include <vector>

#include "evnode/dns.h"

namespace evnode::dns::detail {

// The query type numbers (RFC 1035 and successors) of the records evnode parses.
enum RrType : int {
  kA = 1,
  kNs = 2,
  kCname = 5,
  kSoa = 6,
  kPtr = 12,
  kMx = 15,
  kTxt = 16,
  kAaaa = 28,
  kSrv = 33,
  kNaptr = 35,
  kAny = 255,
  kCaa = 257,
};

// Each parser returns an ares status: ARES_SUCCESS with at least one record, ARES_ENODATA when
// the reply holds none of that type, ARES_EBADRESP when it is malformed.
int parseA(const unsigned char* buf, int len, std::vector<RecordWithTtl>& out);
int parseAaaa(const unsigned char* buf, int len, std::vector<RecordWithTtl>& out);
int parseCname(const unsigned char* buf, int len, std::vector<std::string>& out);
int parseNs(const unsigned char* buf, int len, std::vector<std::string>& out);
int parsePtr(const unsigned char* buf, int len, std::vector<std::string>& out);
int parseMx(const unsigned char* buf, int len, std::vector<MxRecord>& out);
int parseTxt(const unsigned char* buf, int len, std::vector<TxtRecord>& out);
int parseSrv(const unsigned char* buf, int len, std::vector<SrvRecord>& out);
int parseSoa(const unsigned char* buf, int len, std::vector<SoaRecord>& out);
int parseNaptr(const unsigned char* buf, int len, std::vector<NaptrRecord>& out);
int parseCaa(const unsigned char* buf, int len, std::vector<CaaRecord>& out);
// Every record of the types above that the reply holds (Node's resolveAny).
int parseAny(const unsigned char* buf, int len, std::vector<AnyRecord>& out);

// Node's code for an ares status: "ENOTFOUND", "ETIMEOUT", "ECANCELLED", ...
const char* aresCode(int status);

// The query type for an rrtype name ("MX" -> kMx); 0 if unknown.
int rrTypeFromName(const std::string& name);

}  // namespace evnode::dns::detail
