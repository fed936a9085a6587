// The HTTP/1.1 parser: see parser.h for the contract and the strictness rules.
//
// The head parser is one forward pass over the bytes with pointer arithmetic; character classes
// come from a 256-entry table, methods and field names are checked as they are scanned, long
// runs (targets, field values) are skipped 16 bytes at a time with SSE2 (8 with SWAR where
// there is no SSE2), and the common cases (GET, HTTP/1.1 CRLF, the few field names that matter)
// are recognised by comparing whole words. Every decision depends only on bytes up to the one
// that decides, so parsing a prefix either says "incomplete" or gives the same answer as
// parsing the whole.
#include "http/parser.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

// SSE2 is part of x86-64's base instruction set: no run-time check is needed.
// EVNODE_HTTP_NO_SSE2 forces the SWAR scans, so that the tests cover them on x86-64 too.
#if defined(__SSE2__) && !defined(EVNODE_HTTP_NO_SSE2)
#include <emmintrin.h>
#define EVNODE_HTTP_SSE2 1
#else
#define EVNODE_HTTP_SSE2 0
#endif

namespace evnode::http {

namespace {

using E = ParseError;

// ---- character classes ----

constexpr std::uint8_t kTokenBit = 1;   // tchar
constexpr std::uint8_t kValueBit = 2;   // field-vchar, SP, HT, obs-text
constexpr std::uint8_t kTargetBit = 4;  // request-target byte: VCHAR (ASCII only, as llhttp)
constexpr std::uint8_t kQdtextBit = 8;  // quoted-string: qdtext

constexpr std::array<std::uint8_t, 256> makeClassTable() {
  std::array<std::uint8_t, 256> t{};
  constexpr std::string_view kTokenPunct = "!#$%&'*+-.^_`|~";
  for (int c = 0; c < 256; ++c) {
    std::uint8_t v = 0;
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || (c < 128 && kTokenPunct.find(static_cast<char>(c)) != std::string_view::npos)) {
      v |= kTokenBit;
    }
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) v |= kValueBit;
    if (c > 0x20 && c < 0x7f) v |= kTargetBit;
    if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
        (c >= 0x5d && c <= 0x7e) || c >= 0x80) {
      v |= kQdtextBit;
    }
    t[c] = v;
  }
  return t;
}

alignas(64) constexpr std::array<std::uint8_t, 256> kClass = makeClassTable();

constexpr std::array<std::int8_t, 256> makeHexTable() {
  std::array<std::int8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = (c >= '0' && c <= '9')   ? static_cast<std::int8_t>(c - '0')
           : (c >= 'a' && c <= 'f') ? static_cast<std::int8_t>(c - 'a' + 10)
           : (c >= 'A' && c <= 'F') ? static_cast<std::int8_t>(c - 'A' + 10)
                                    : static_cast<std::int8_t>(-1);
  }
  return t;
}

alignas(64) constexpr std::array<std::int8_t, 256> kHex = makeHexTable();

inline std::uint8_t cls(char c) { return kClass[static_cast<unsigned char>(c)]; }
inline bool isToken(char c) { return cls(c) & kTokenBit; }
inline bool isOws(char c) { return c == ' ' || c == '\t'; }
inline bool isDigit(char c) { return c >= '0' && c <= '9'; }

// ---- scanning ----
//
// Short runs (methods, field names: a few bytes) go byte by byte through the class table, with
// one bound check per four bytes. Long runs (targets, field values) are skipped 16 bytes at a
// time with SSE2 on x86-64, or 8 bytes at a time with SWAR tests on a 64-bit word elsewhere; the
// last few bytes before the end of the buffer go through the table.

constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighs = 0x8080808080808080ull;

inline std::uint64_t load64(const char* p) {
  std::uint64_t x;
  std::memcpy(&x, p, sizeof x);
  return x;
}
inline std::uint16_t load16(const char* p) {
  std::uint16_t x;
  std::memcpy(&x, p, sizeof x);
  return x;
}
inline std::uint32_t load32(const char* p) {
  std::uint32_t x;
  std::memcpy(&x, p, sizeof x);
  return x;
}
// Masks with the high bit set in bytes that match. A mask may also flag bytes after the first
// match (borrows propagate upwards), never before it: on a little-endian machine its lowest set
// bit is exactly the first matching byte in memory order.
// Bytes < n (n <= 128).
inline std::uint64_t lessMask(std::uint64_t x, std::uint8_t n) {
  return (x - kOnes * n) & ~x & kHighs;
}
// Bytes == b.
[[maybe_unused]] inline std::uint64_t byteMask(std::uint64_t x, std::uint8_t b) {
  std::uint64_t y = x ^ (kOnes * b);
  return (y - kOnes) & ~y & kHighs;
}
inline bool hasLess(std::uint64_t x, std::uint8_t n) { return lessMask(x, n) != 0; }

[[maybe_unused]] constexpr bool kLittleEndian = std::endian::native == std::endian::little;

// High bit set in the bytes of x that are < 0x20 or == 0x7f, exactly (no borrow between bytes).
// HT is among them, so a hit needs a closer look.
inline std::uint64_t ctlOrDel(std::uint64_t x) {
  constexpr std::uint64_t kLows = ~kHighs;
  // Per byte, on its low 7 bits: +1 wraps DEL to 0 and maps CTLs to 1..0x20; the sum of at most
  // 0x80 stays in the byte, its bit 7 is masked off. Then z < 0x21 iff z + 0x5f has bit 7 clear.
  // Bytes of 0x80 and above (their own bit 7, ~x) are never flagged.
  std::uint64_t z = ((x & kLows) + kOnes) & kLows;
  return ~(z + kOnes * 0x5f) & ~x & kHighs;
}

#if EVNODE_HTTP_SSE2
// Bit i set where byte i of the 16 at p may not be in a field value: a CTL other than HT, DEL.
inline unsigned sseValueStops(const char* p) {
  __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);  // x <= 0x1f
  __m128i ht = _mm_cmpeq_epi8(x, _mm_set1_epi8('\t'));
  __m128i del = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_andnot_si128(ht, ctl), del)));
}
// Bit i set where byte i of the 16 at p is not VCHAR (SP, a CTL, DEL or 0x80-0xFF): the end of
// a target, or a byte it may not hold. The movemask reads bit 7 of each byte, which x itself has
// set exactly for 0x80-0xFF.
inline unsigned sseTargetStops(const char* p) {
  __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x20)), x);  // x <= 0x20
  __m128i del = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(low, del), x)));
}
#endif

// Field values: the first byte that is a CTL other than HT, or DEL.
inline const char* scanValue(const char* p, const char* end) {
#if EVNODE_HTTP_SSE2
  while (end - p >= 16) {
    unsigned m = sseValueStops(p);
    if (m != 0) return p + std::countr_zero(m);
    p += 16;
  }
#else
  if constexpr (kLittleEndian) {
    while (end - p >= 8) {
      std::uint64_t m = ctlOrDel(load64(p));
      if (m == 0) {
        p += 8;
        continue;
      }
      p += std::countr_zero(m) >> 3;
      if (*p != '\t') return p;
      ++p;
    }
  }
#endif
  while (p < end && (cls(*p) & kValueBit)) ++p;
  return p;
}

// The first byte that is not VCHAR (SP, a CTL, DEL, 0x80-0xFF): the end of a target.
inline const char* scanVisible(const char* p, const char* end) {
#if EVNODE_HTTP_SSE2
  while (end - p >= 16) {
    unsigned m = sseTargetStops(p);
    if (m != 0) return p + std::countr_zero(m);
    p += 16;
  }
#else
  if constexpr (kLittleEndian) {
    while (end - p >= 8) {
      std::uint64_t x = load64(p);
      // A byte >= 0x80 is flagged by its own high bit; it borrows nothing from the byte above,
      // so the lowest flag is still the first stop.
      std::uint64_t m = lessMask(x, 0x21) | byteMask(x, 0x7f) | (x & kHighs);
      if (m != 0) return p + (std::countr_zero(m) >> 3);
      p += 8;
    }
  }
#endif
  while (p < end && (cls(*p) & kTargetBit)) ++p;
  return p;
}

// The first byte of [p, end) that is not a tchar (or end): the end of a method or field name.
// One pass, so the caller only has to look at the byte it stops at.
inline const char* skipTokens(const char* p, const char* end) {
  while (end - p >= 4) {
    if (!isToken(p[0])) return p;
    if (!isToken(p[1])) return p + 1;
    if (!isToken(p[2])) return p + 2;
    if (!isToken(p[3])) return p + 3;
    p += 4;
  }
  while (p < end && isToken(*p)) ++p;
  return p;
}

// s[0..n) equals `lower` (n = lower.size()) ignoring ASCII case. Only for token bytes (s) and
// lowercase letters, digits and '-' (lower): OR-ing 0x20 folds case there and cannot map
// another tchar onto them. A word at a time (the last word overlapping the one before): `lower`
// is a literal, so after inlining its words are constants.
inline bool tokenIs(const char* s, std::string_view lower) {
  const char* l = lower.data();
  std::size_t n = lower.size();
  constexpr std::uint64_t kFold64 = kOnes * 0x20;
  constexpr std::uint32_t kFold32 = 0x20202020u;
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      if ((load64(s + i) | kFold64) != load64(l + i)) return false;
    }
    return (load64(s + n - 8) | kFold64) == load64(l + n - 8);
  }
  if (n >= 4) {
    return (((load32(s) | kFold32) ^ load32(l)) |
            ((load32(s + n - 4) | kFold32) ^ load32(l + n - 4))) == 0;
  }
  bool eq = true;
  for (std::size_t i = 0; i < n; ++i) eq &= (s[i] | 0x20) == l[i];
  return eq;
}
inline bool tokenEq(std::string_view s, std::string_view lower) {
  return s.size() == lower.size() && tokenIs(s.data(), lower);
}

// ---- field lines (shared by heads and trailers) ----

enum class Step : std::uint8_t { kDone, kMore, kFail };

struct Failure {
  ParseError error = E::HPE_OK;
  const char* at = nullptr;
};

inline Step fail(Failure& f, ParseError e, const char* at) {
  f.error = e;
  f.at = at;
  return Step::kFail;
}

// Parses field lines at p up to and including the empty line that ends them. On kDone, p is
// just past it. `store` (may be null) receives up to storeCap fields; more than maxCount fields
// is HPE_HEADER_OVERFLOW. onField(name, value) returns HPE_OK or an error for that field.
template <class OnField>
inline Step parseFields(const char*& pos, const char* end, Header* store, std::size_t storeCap,
                        std::size_t maxCount, std::size_t& count, Failure& f, OnField&& onField) {
  const char* p = pos;
  for (;;) {
    // The name: tchars up to the colon. Whatever else stops the scan (SP before the colon, a
    // CTL, any other non-tchar) is the offending byte. CR, LF, SP and HT are not tchars: a line
    // starting with one of them (the empty line that ends the block, a bare LF, obs-fold) is
    // told apart only when the name comes out empty, off the path of every field line.
    const char* name = p;
    p = skipTokens(p, end);
    if (p >= end) return Step::kMore;
    if (p == name) {
      char c = *p;
      if (c == '\r') {
        if (p + 1 >= end) return Step::kMore;
        if (p[1] != '\n') return fail(f, E::HPE_LF_EXPECTED, p + 1);
        pos = p + 2;
        return Step::kDone;
      }
      if (c == '\n') return fail(f, E::HPE_CR_EXPECTED, p);
      if (isOws(c)) return fail(f, E::HPE_UNEXPECTED_SPACE, p);
      return fail(f, E::HPE_INVALID_HEADER_TOKEN, p);
    }
    if (*p != ':') return fail(f, E::HPE_INVALID_HEADER_TOKEN, p);
    std::size_t nameLen = static_cast<std::size_t>(p - name);
    ++p;
    while (p < end && isOws(*p)) ++p;
    const char* value = p;
    p = scanValue(p, end);
    if (p >= end) return Step::kMore;
    if (*p == '\r') {
      if (p + 1 >= end) return Step::kMore;
      if (p[1] != '\n') return fail(f, E::HPE_LF_EXPECTED, p + 1);
    } else if (*p == '\n') {
      return fail(f, E::HPE_CR_EXPECTED, p);
    } else {
      return fail(f, E::HPE_INVALID_HEADER_TOKEN, p);
    }
    const char* valueEnd = p;
    while (valueEnd > value && isOws(valueEnd[-1])) --valueEnd;
    p += 2;

    if (count >= maxCount) return fail(f, E::HPE_HEADER_OVERFLOW, name);
    std::string_view n(name, nameLen);
    std::string_view v(value, static_cast<std::size_t>(valueEnd - value));
    if (store != nullptr) {
      if (count >= storeCap) return fail(f, E::HPE_HEADER_OVERFLOW, name);
      store[count] = Header{n, v};
    }
    ++count;
    ParseError e = onField(n, v);
    if (e != E::HPE_OK) return fail(f, e, value);
  }
}

// Cheap check for an incomplete block called again with more bytes: scans [from, cap) for
// anything that lets a full parse make progress: the end of the block (CRLFCRLF, or CRLF at its
// very start), a bare LF, or a bare CR.
inline bool worthFullParse(const char* b, std::size_t from, std::size_t cap) {
  std::size_t i = from;
  while (i < cap) {
    // Skip 8 bytes at a time while no byte can be CR or LF (all >= 0x0e).
    while (cap - i >= 8 && !hasLess(load64(b + i), 0x0e)) i += 8;
    std::size_t lim = std::min(cap, i + 8);
    for (; i < lim; ++i) {
      char c = b[i];
      if (c == '\n') {
        if (i == 0 || b[i - 1] != '\r') return true;
        if (i == 1) return true;
        if (i >= 3 && b[i - 2] == '\n' && b[i - 3] == '\r') return true;
      } else if (c == '\r') {
        if (i + 1 < cap && b[i + 1] != '\n') return true;
      }
    }
  }
  return false;
}

// ---- derived facts ----

struct Facts {
  bool teChunkedLast = false;
  bool teUnknown = false;
  std::uint32_t teChunkedCount = 0;
};

ParseError parseContentLength(std::string_view v, std::uint64_t& out) {
  if (v.empty()) return E::HPE_INVALID_CONTENT_LENGTH;
  std::uint64_t n = 0;
  for (char c : v) {
    if (!isDigit(c)) return E::HPE_INVALID_CONTENT_LENGTH;
    std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
      return E::HPE_INVALID_CONTENT_LENGTH;
    }
    n = n * 10 + d;
  }
  out = n;
  return E::HPE_OK;
}

// One Transfer-Encoding field value: a list of codings, each with optional parameters. Empty
// elements before a coding are skipped (`, chunked`, as llhttp); an empty element after the last
// coding (`chunked,`) leaves chunked not final, as llhttp reads it: a request is then rejected
// and a response body runs until close. So `chunked,` means what `chunked` followed by an empty
// Transfer-Encoding line would (that empty value is rejected on its own, below).
[[gnu::noinline]] ParseError parseTransferEncoding(std::string_view v, Facts& facts) {
  const char* p = v.data();
  const char* e = p + v.size();
  bool any = false;
  for (;;) {
    bool comma = false;
    while (p < e && (isOws(*p) || *p == ',')) comma |= *p++ == ',';
    if (p == e) {
      if (comma && any) facts.teChunkedLast = false;
      break;
    }
    const char* name = p;
    while (p < e && isToken(*p)) ++p;
    if (p == name) return E::HPE_INVALID_TRANSFER_ENCODING;
    std::string_view coding(name, static_cast<std::size_t>(p - name));
    any = true;
    bool chunked = tokenEq(coding, "chunked");
    if (chunked) {
      ++facts.teChunkedCount;
    } else if (!tokenEq(coding, "gzip") && !tokenEq(coding, "x-gzip") &&
               !tokenEq(coding, "deflate") && !tokenEq(coding, "compress") &&
               !tokenEq(coding, "x-compress")) {
      facts.teUnknown = true;
    }
    facts.teChunkedLast = chunked;
    while (p < e && isOws(*p)) ++p;
    while (p < e && *p == ';') {  // transfer-parameter = token BWS "=" BWS ( token / quoted )
      if (chunked) return E::HPE_INVALID_TRANSFER_ENCODING;  // chunked has no parameters
      ++p;
      while (p < e && isOws(*p)) ++p;
      const char* pn = p;
      while (p < e && isToken(*p)) ++p;
      if (p == pn) return E::HPE_INVALID_TRANSFER_ENCODING;
      while (p < e && isOws(*p)) ++p;
      if (p == e || *p != '=') return E::HPE_INVALID_TRANSFER_ENCODING;
      ++p;
      while (p < e && isOws(*p)) ++p;
      if (p < e && *p == '"') {
        ++p;
        for (;;) {
          if (p == e) return E::HPE_INVALID_TRANSFER_ENCODING;
          if (*p == '"') break;
          if (*p == '\\') {
            ++p;
            if (p == e || !(cls(*p) & kValueBit)) return E::HPE_INVALID_TRANSFER_ENCODING;
          } else if (!(cls(*p) & kQdtextBit)) {
            return E::HPE_INVALID_TRANSFER_ENCODING;
          }
          ++p;
        }
        ++p;
      } else {
        const char* pv = p;
        while (p < e && isToken(*p)) ++p;
        if (p == pv) return E::HPE_INVALID_TRANSFER_ENCODING;
      }
      while (p < e && isOws(*p)) ++p;
    }
    if (p < e && *p != ',') return E::HPE_INVALID_TRANSFER_ENCODING;
  }
  return any ? E::HPE_OK : E::HPE_INVALID_TRANSFER_ENCODING;
}

[[gnu::noinline]] void parseConnection(std::string_view v, MessageHead& out) {
  const char* p = v.data();
  const char* e = p + v.size();
  while (p < e) {
    while (p < e && (isOws(*p) || *p == ',')) ++p;
    const char* t = p;
    while (p < e && *p != ',') ++p;
    const char* te = p;
    while (te > t && isOws(te[-1])) --te;
    std::size_t n = static_cast<std::size_t>(te - t);
    // Only token bytes may go through tokenIs(): a value byte like 0xCC would fold onto 'l'.
    bool token = std::all_of(t, te, [](char c) { return isToken(c); });
    if (!token) continue;
    if (n == 5 && tokenIs(t, "close")) {
      out.connectionClose = true;
    } else if (n == 10 && tokenIs(t, "keep-alive")) {
      out.connectionKeepAlive = true;
    } else if (n == 7 && tokenIs(t, "upgrade")) {
      out.connectionUpgrade = true;
    }
  }
}

// What Content-Length and Expect mean; out of line, as most heads have neither.
[[gnu::noinline]] ParseError applyContentLength(std::string_view v, MessageHead& out) {
  if (out.hasContentLength) return E::HPE_UNEXPECTED_CONTENT_LENGTH;
  ParseError e = parseContentLength(v, out.contentLength);
  if (e != E::HPE_OK) return e;
  out.hasContentLength = true;
  return E::HPE_OK;
}
[[gnu::noinline]] void applyExpect(std::string_view v, MessageHead& out) {
  if (equalsIgnoreCase(v, "100-continue")) {
    out.expectContinue = true;
  } else {
    out.expectOther = true;
  }
}

// Records what a field means for framing and connection handling. Only six names matter: they
// are told apart by length first, so most fields cost a jump and at most one compare of a word
// or two, inlined into the field loop; the work for the rare ones is out of line.
[[gnu::always_inline]] inline ParseError applyField(std::string_view n, std::string_view v,
                                                    MessageHead& out, Facts& facts) {
  const char* s = n.data();
  switch (n.size()) {
    case 4:
      if (tokenIs(s, "host")) ++out.hostCount;
      break;
    case 6:
      if (tokenIs(s, "expect")) applyExpect(v, out);
      break;
    case 7:
      if (tokenIs(s, "upgrade")) out.hasUpgradeHeader = true;
      break;
    case 10:
      if (tokenIs(s, "connection")) parseConnection(v, out);
      break;
    case 14:
      if (tokenIs(s, "content-length")) return applyContentLength(v, out);
      break;
    case 17:
      if (tokenIs(s, "transfer-encoding")) {
        out.hasTransferEncoding = true;
        return parseTransferEncoding(v, facts);
      }
      break;
    default:
      break;
  }
  return E::HPE_OK;
}

// ---- start lines ----

// Skips empty lines before a start line.
inline Step skipEmptyLines(const char*& p, const char* end, Failure& f) {
  for (;;) {
    if (p >= end) return Step::kMore;
    if (*p == '\r') {
      if (p + 1 >= end) return Step::kMore;
      if (p[1] != '\n') return fail(f, E::HPE_LF_EXPECTED, p + 1);
      p += 2;
    } else if (*p == '\n') {
      return fail(f, E::HPE_CR_EXPECTED, p);
    } else {
      return Step::kDone;
    }
  }
}

// `HTTP/DIGIT.DIGIT`. Support for the version is checked by the caller once the line is read.
inline Step parseVersion(const char*& p, const char* end, MessageHead& out, Failure& f) {
  // Nearly every message: one 8-byte compare.
  if (end - p >= 8) {
    std::uint64_t w = load64(p);
    if (w == load64("HTTP/1.1") || w == load64("HTTP/1.0")) {
      out.versionMajor = 1;
      out.versionMinor = static_cast<std::uint8_t>(p[7] - '0');
      p += 8;
      return Step::kDone;
    }
  }
  static constexpr char kName[] = "HTTP/";
  for (int i = 0; i < 5; ++i) {
    if (p >= end) return Step::kMore;
    if (*p != kName[i]) return fail(f, E::HPE_INVALID_VERSION, p);
    ++p;
  }
  if (p >= end) return Step::kMore;
  if (!isDigit(*p)) return fail(f, E::HPE_INVALID_VERSION, p);
  out.versionMajor = static_cast<std::uint8_t>(*p++ - '0');
  if (p >= end) return Step::kMore;
  if (*p != '.') return fail(f, E::HPE_INVALID_VERSION, p);
  ++p;
  if (p >= end) return Step::kMore;
  if (!isDigit(*p)) return fail(f, E::HPE_INVALID_VERSION, p);
  out.versionMinor = static_cast<std::uint8_t>(*p++ - '0');
  return Step::kDone;
}

inline bool versionSupported(const MessageHead& h) {
  return h.versionMajor == 1 && (h.versionMinor == 0 || h.versionMinor == 1);
}

// CRLF at the end of a start line; anything else there is `otherwise`.
inline Step expectCrlf(const char*& p, const char* end, Failure& f, ParseError otherwise) {
  if (p >= end) return Step::kMore;
  if (*p == '\r') {
    if (p + 1 >= end) return Step::kMore;
    if (p[1] != '\n') return fail(f, E::HPE_LF_EXPECTED, p + 1);
    p += 2;
    return Step::kDone;
  }
  if (*p == '\n') return fail(f, E::HPE_CR_EXPECTED, p);
  return fail(f, otherwise, p);
}

// authority-form: uri-host ":" port, host a reg-name, IPv4 or [IPv6], port 1*DIGIT.
bool isAuthorityForm(std::string_view t) {
  std::size_t colon = t.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == t.size()) return false;
  for (std::size_t i = colon + 1; i < t.size(); ++i) {
    if (!isDigit(t[i])) return false;
  }
  std::string_view host = t.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    for (char c : host.substr(1, host.size() - 2)) {
      if (!(kHex[static_cast<unsigned char>(c)] >= 0 || c == ':' || c == '.')) return false;
    }
    return true;
  }
  for (char c : host) {
    // reg-name = *( unreserved / pct-encoded / sub-delims ); no '/', '?', '#', '@', ':', '[' ...
    if (c == '/' || c == '?' || c == '#' || c == '@' || c == ':' || c == '[' || c == ']') {
      return false;
    }
  }
  return true;
}

// absolute-form as used on the wire: scheme "://" ...
bool isAbsoluteForm(std::string_view t) {
  if (t.empty() || !((t[0] | 0x20) >= 'a' && (t[0] | 0x20) <= 'z')) return false;
  std::size_t i = 1;
  while (i < t.size()) {
    char c = t[i];
    bool alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    if (!(alpha || isDigit(c) || c == '+' || c == '-' || c == '.')) break;
    ++i;
  }
  return t.substr(i).starts_with("://") && t.size() > i + 3;
}

ParseError classifyTarget(RequestHead& req) {
  std::string_view t = req.target;
  bool connect = req.method == "CONNECT";
  if (connect) {
    req.targetForm = TargetForm::kAuthority;
    return isAuthorityForm(t) ? E::HPE_OK : E::HPE_INVALID_URL;
  }
  if (t[0] == '/') {
    req.targetForm = TargetForm::kOrigin;
    return E::HPE_OK;
  }
  if (t.size() == 1 && t[0] == '*') {
    req.targetForm = TargetForm::kAsterisk;
    return req.method == "OPTIONS" ? E::HPE_OK : E::HPE_INVALID_URL;
  }
  req.targetForm = TargetForm::kAbsolute;
  return isAbsoluteForm(t) ? E::HPE_OK : E::HPE_INVALID_URL;
}

Step parseRequestLine(const char*& p, const char* end, RequestHead& out, const Limits& limits,
                      Failure& f) {
  Step s = skipEmptyLines(p, end, f);
  if (s != Step::kDone) return s;

  // The method: tchars up to one SP; whatever else stops the scan is the offending byte.
  const char* method = p;
  if (end - p >= 4 && load32(p) == load32("GET ")) {
    p += 3;  // most requests: one compare
  } else {
    p = skipTokens(p, end);
  }
  if (p >= end) return Step::kMore;
  if (*p != ' ' || p == method) return fail(f, E::HPE_INVALID_METHOD, p);
  out.method = std::string_view(method, static_cast<std::size_t>(p - method));
  ++p;

  const char* target = p;
  std::size_t avail = static_cast<std::size_t>(end - p);
  const char* lim = avail > limits.maxTargetLength ? p + limits.maxTargetLength + 1 : end;
  p = scanVisible(p, lim);
  if (static_cast<std::size_t>(p - target) > limits.maxTargetLength) {
    return fail(f, E::HPE_URI_TOO_LONG, p);
  }
  if (p >= end) return Step::kMore;
  if (*p != ' ') {
    if (*p == '\r' || *p == '\n') {
      if (*p == '\r') {
        if (p + 1 >= end) return Step::kMore;
        if (p[1] != '\n') return fail(f, E::HPE_LF_EXPECTED, p + 1);
      }
      return fail(f, p == target ? E::HPE_INVALID_URL : E::HPE_INVALID_VERSION, p);
    }
    return fail(f, E::HPE_INVALID_URL, p);
  }
  if (p == target) return fail(f, E::HPE_INVALID_URL, p);
  out.target = std::string_view(target, static_cast<std::size_t>(p - target));
  ++p;

  const char* version = p;
  if (end - p >= 10 && load16(p + 8) == load16("\r\n") &&
      (load64(p) == load64("HTTP/1.1") || load64(p) == load64("HTTP/1.0"))) {
    // Nearly every request line ends so: two compares.
    out.versionMajor = 1;
    out.versionMinor = static_cast<std::uint8_t>(p[7] - '0');
    p += 10;
  } else {
    s = parseVersion(p, end, out, f);
    if (s != Step::kDone) return s;
    s = expectCrlf(p, end, f, E::HPE_INVALID_VERSION);
    if (s != Step::kDone) return s;
    if (!versionSupported(out)) return fail(f, E::HPE_VERSION_NOT_SUPPORTED, version);
  }
  ParseError e = classifyTarget(out);
  if (e != E::HPE_OK) return fail(f, e, target);
  return Step::kDone;
}

Step parseStatusLine(const char*& p, const char* end, ResponseHead& out, Failure& f) {
  Step s = skipEmptyLines(p, end, f);
  if (s != Step::kDone) return s;
  const char* version = p;
  s = parseVersion(p, end, out, f);
  if (s != Step::kDone) return s;
  if (p >= end) return Step::kMore;
  if (*p != ' ') return fail(f, E::HPE_INVALID_VERSION, p);
  ++p;
  int status = 0;
  for (int i = 0; i < 3; ++i) {
    if (p >= end) return Step::kMore;
    if (!isDigit(*p) || (i == 0 && *p == '0')) return fail(f, E::HPE_INVALID_STATUS, p);
    status = status * 10 + (*p++ - '0');
  }
  out.status = status;
  if (p >= end) return Step::kMore;
  const char* reason = p;
  if (*p == ' ') {
    reason = ++p;
    p = scanValue(p, end);
    if (p >= end) return Step::kMore;
  } else if (*p != '\r' && *p != '\n') {
    return fail(f, E::HPE_INVALID_STATUS, p);
  }
  const char* reasonEnd = p;
  s = expectCrlf(p, end, f, E::HPE_INVALID_STATUS);
  if (s != Step::kDone) return s;
  out.reason = std::string_view(reason, static_cast<std::size_t>(reasonEnd - reason));
  if (!versionSupported(out)) return fail(f, E::HPE_VERSION_NOT_SUPPORTED, version);
  return Step::kDone;
}

// ---- whole heads ----

// Checks done once all fields are known.
ParseError finishRequest(RequestHead& out, const Facts& facts) {
  bool http10 = out.versionMinor == 0;
  // An HTTP/1.0 client knows no interim responses: it is sending its body anyway, and a 100
  // would read to it as the final answer. RFC 9110 section 10.1.1: the expectation is ignored.
  if (http10) out.expectContinue = false;
  if (out.hostCount > 1) return E::HPE_DUPLICATE_HOST;
  if (out.hostCount == 0 && !http10) return E::HPE_MISSING_HOST;
  if (out.hasTransferEncoding) {
    if (http10) return E::HPE_INVALID_TRANSFER_ENCODING;
    if (out.hasContentLength) return E::HPE_UNEXPECTED_CONTENT_LENGTH;
    if (facts.teUnknown) return E::HPE_NOT_IMPLEMENTED;
    if (!facts.teChunkedLast || facts.teChunkedCount != 1) {
      return E::HPE_INVALID_TRANSFER_ENCODING;
    }
    out.chunked = true;
    out.body = BodyKind::kChunked;
  } else if (out.hasContentLength) {
    out.body = BodyKind::kContentLength;
  }
  return E::HPE_OK;
}

ParseError finishResponse(ResponseHead& out, const Facts& facts) {
  bool http10 = out.versionMinor == 0;
  if (out.hasTransferEncoding) {
    if (http10) return E::HPE_INVALID_TRANSFER_ENCODING;
    if (out.hasContentLength) return E::HPE_UNEXPECTED_CONTENT_LENGTH;
    if (facts.teChunkedCount > 1) return E::HPE_INVALID_TRANSFER_ENCODING;
    out.chunked = facts.teChunkedLast;
  }
  int st = out.status;
  if ((st >= 100 && st < 200) || st == 204 || st == 304) {
    out.body = BodyKind::kNone;
  } else if (out.hasTransferEncoding) {
    out.body = out.chunked ? BodyKind::kChunked : BodyKind::kUntilClose;
  } else if (out.hasContentLength) {
    out.body = BodyKind::kContentLength;
  } else {
    out.body = BodyKind::kUntilClose;
  }
  return E::HPE_OK;
}

// Clears a head field by field: `out = Head{}` builds a temporary with `rep stos` and copies it,
// which costs a fifth of the time of a small request.
inline void resetCommon(MessageHead& h) {
  h.headers = {};
  h.versionMajor = 1;
  h.versionMinor = 1;
  h.body = BodyKind::kNone;
  h.hasContentLength = false;
  h.hasTransferEncoding = false;
  h.chunked = false;
  h.contentLength = 0;
  h.keepAlive = false;
  h.connectionClose = false;
  h.connectionKeepAlive = false;
  h.connectionUpgrade = false;
  h.hasUpgradeHeader = false;
  h.upgrade = false;
  h.expectContinue = false;
  h.expectOther = false;
  h.hostCount = 0;
  h.error = E::HPE_OK;
  h.errorOffset = 0;
}
inline void resetHead(RequestHead& h) {
  resetCommon(h);
  h.method = {};
  h.target = {};
  h.targetForm = TargetForm::kOrigin;
}
inline void resetHead(ResponseHead& h) {
  resetCommon(h);
  h.status = 0;
  h.reason = {};
}

template <bool kRequest, class Head>
std::ptrdiff_t parseHead(std::string_view buf, Head& out, std::span<Header> headers,
                         const Limits& limits, std::size_t lastLen) {
  const char* begin = buf.data();
  std::size_t len = buf.size();
  std::size_t cap = std::min(len, limits.maxHeaderSize);
  resetHead(out);

  // Called again for an incomplete head: parse again only if the new bytes can change the
  // answer (the head ended, or a bare CR/LF showed up, or the size limit was passed).
  if (lastLen != 0 && lastLen <= len && len <= limits.maxHeaderSize) {
    std::size_t from = lastLen >= 3 ? lastLen - 3 : 0;
    if (!worthFullParse(begin, from, cap)) return kIncomplete;
  }

  const char* p = begin;
  const char* end = begin + cap;
  Failure f;
  Step s;
  if constexpr (kRequest) {
    s = parseRequestLine(p, end, out, limits, f);
  } else {
    s = parseStatusLine(p, end, out, f);
  }
  Facts facts;
  std::size_t count = 0;
  if (s == Step::kDone) {
    std::size_t maxCount = std::min(limits.maxHeadersCount, headers.size());
    s = parseFields(
        p, end, headers.data(), maxCount, maxCount, count, f,
        [&](std::string_view n, std::string_view v) { return applyField(n, v, out, facts); });
  }
  if (s == Step::kMore) {
    if (len > limits.maxHeaderSize) {
      out.error = E::HPE_HEADER_OVERFLOW;
      out.errorOffset = cap;
      return kParseError;
    }
    return kIncomplete;
  }
  if (s == Step::kDone) {
    out.headers = headers.first(count);
    ParseError e;
    if constexpr (kRequest) {
      e = finishRequest(out, facts);
    } else {
      e = finishResponse(out, facts);
    }
    if (e == E::HPE_OK) {
      out.keepAlive = out.versionMinor == 1 ? !out.connectionClose
                                            : out.connectionKeepAlive && !out.connectionClose;
      out.upgrade = out.connectionUpgrade && out.hasUpgradeHeader;
      return p - begin;
    }
    fail(f, e, p - 1);
  }
  out.error = f.error;
  out.errorOffset = static_cast<std::size_t>(f.at - begin);
  return kParseError;
}

}  // namespace

// ---- public ----

std::string_view parseErrorName(ParseError e) {
  switch (e) {
#define EVNODE_HPE_NAME(x) \
  case E::x:               \
    return #x;
    EVNODE_HPE_NAME(HPE_OK)
    EVNODE_HPE_NAME(HPE_INVALID_METHOD)
    EVNODE_HPE_NAME(HPE_INVALID_URL)
    EVNODE_HPE_NAME(HPE_URI_TOO_LONG)
    EVNODE_HPE_NAME(HPE_INVALID_VERSION)
    EVNODE_HPE_NAME(HPE_VERSION_NOT_SUPPORTED)
    EVNODE_HPE_NAME(HPE_INVALID_STATUS)
    EVNODE_HPE_NAME(HPE_INVALID_HEADER_TOKEN)
    EVNODE_HPE_NAME(HPE_UNEXPECTED_SPACE)
    EVNODE_HPE_NAME(HPE_CR_EXPECTED)
    EVNODE_HPE_NAME(HPE_LF_EXPECTED)
    EVNODE_HPE_NAME(HPE_HEADER_OVERFLOW)
    EVNODE_HPE_NAME(HPE_MISSING_HOST)
    EVNODE_HPE_NAME(HPE_DUPLICATE_HOST)
    EVNODE_HPE_NAME(HPE_INVALID_CONTENT_LENGTH)
    EVNODE_HPE_NAME(HPE_UNEXPECTED_CONTENT_LENGTH)
    EVNODE_HPE_NAME(HPE_INVALID_TRANSFER_ENCODING)
    EVNODE_HPE_NAME(HPE_NOT_IMPLEMENTED)
    EVNODE_HPE_NAME(HPE_INVALID_CHUNK_SIZE)
    EVNODE_HPE_NAME(HPE_INVALID_CHUNK_EXTENSIONS)
    EVNODE_HPE_NAME(HPE_CHUNK_EXTENSIONS_OVERFLOW)
    EVNODE_HPE_NAME(HPE_INVALID_EOF_STATE)
    EVNODE_HPE_NAME(HPE_TOO_MANY_INFORMATIONAL)
#undef EVNODE_HPE_NAME
  }
  return "HPE_UNKNOWN";
}

std::string_view parseErrorReason(ParseError e) {
  switch (e) {
    case E::HPE_OK:
      return "Success";
    case E::HPE_INVALID_METHOD:
      return "Invalid method";
    case E::HPE_INVALID_URL:
      return "Invalid request target";
    case E::HPE_URI_TOO_LONG:
      return "Request target too long";
    case E::HPE_INVALID_VERSION:
      return "Invalid HTTP version";
    case E::HPE_VERSION_NOT_SUPPORTED:
      return "HTTP version not supported";
    case E::HPE_INVALID_STATUS:
      return "Invalid status code";
    case E::HPE_INVALID_HEADER_TOKEN:
      return "Invalid header field char";
    case E::HPE_UNEXPECTED_SPACE:
      return "Unexpected whitespace at start of field line";
    case E::HPE_CR_EXPECTED:
      return "Missing expected CR";
    case E::HPE_LF_EXPECTED:
      return "Missing expected LF after CR";
    case E::HPE_HEADER_OVERFLOW:
      return "Header overflow";
    case E::HPE_MISSING_HOST:
      return "Missing Host header";
    case E::HPE_DUPLICATE_HOST:
      return "Duplicate Host header";
    case E::HPE_INVALID_CONTENT_LENGTH:
      return "Invalid Content-Length";
    case E::HPE_UNEXPECTED_CONTENT_LENGTH:
      return "Duplicate Content-Length or Content-Length with Transfer-Encoding";
    case E::HPE_INVALID_TRANSFER_ENCODING:
      return "Invalid Transfer-Encoding";
    case E::HPE_NOT_IMPLEMENTED:
      return "Unsupported transfer coding";
    case E::HPE_INVALID_CHUNK_SIZE:
      return "Invalid chunk size";
    case E::HPE_INVALID_CHUNK_EXTENSIONS:
      return "Invalid chunk extensions";
    case E::HPE_CHUNK_EXTENSIONS_OVERFLOW:
      return "Chunk extensions overflow";
    case E::HPE_INVALID_EOF_STATE:
      return "Connection ended before the message was complete";
    case E::HPE_TOO_MANY_INFORMATIONAL:
      return "Too many informational (1xx) responses";
  }
  return "Unknown error";
}

int parseErrorStatus(ParseError e) {
  switch (e) {
    case E::HPE_OK:
      return 0;
    case E::HPE_URI_TOO_LONG:
      return 414;
    case E::HPE_VERSION_NOT_SUPPORTED:
      return 505;
    case E::HPE_HEADER_OVERFLOW:
      return 431;
    case E::HPE_NOT_IMPLEMENTED:
      return 501;
    case E::HPE_CHUNK_EXTENSIONS_OVERFLOW:
      return 413;
    default:
      return 400;
  }
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

bool isTokenChar(unsigned char c) { return kClass[c] & kTokenBit; }

namespace {

// The header names responses carry most. writeHead and setHeader check every name they are
// given, and nearly every name is one of these: a name whose bytes equal one of them, in any
// letter case, is a token without a look at each byte. Each is compared as two words (the
// first and the last 8 bytes, or 4 for a shorter name, overlapping), with case folded only on
// the letters: OR-ing 0x20 into another byte could turn a CTL into '-' (0x0d | 0x20) or a digit.
constexpr std::string_view kCommonNames[] = {"date",
                                             "etag",
                                             "vary",
                                             "allow",
                                             "server",
                                             "expires",
                                             "trailer",
                                             "location",
                                             "connection",
                                             "set-cookie",
                                             "keep-alive",
                                             "content-type",
                                             "cache-control",
                                             "last-modified",
                                             "accept-ranges",
                                             "content-length",
                                             "content-encoding"};
constexpr std::size_t kMaxCommonPerLength = 3;

struct CommonName {
  std::uint64_t first, firstFold, last, lastFold;
};
struct CommonNamesOfLength {
  CommonName names[kMaxCommonPerLength]{};
  std::size_t count = 0;
};

// A word as load64/load32 reads `w` (4 or 8 bytes), and the mask that folds its letters.
constexpr std::uint64_t packWord(std::string_view w, bool foldMask) {
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    std::uint64_t b = static_cast<unsigned char>(w[i]);
    if (foldMask) b = (w[i] >= 'a' && w[i] <= 'z') ? 0x20 : 0;
    x |= b << (8 * (kLittleEndian ? i : w.size() - 1 - i));
  }
  return x;
}

constexpr std::array<CommonNamesOfLength, 17> makeCommonNames() {
  std::array<CommonNamesOfLength, 17> t{};
  for (std::string_view n : kCommonNames) {
    std::size_t w = n.size() >= 8 ? 8 : 4;
    std::string_view first = n.substr(0, w), last = n.substr(n.size() - w);
    auto& slot = t[n.size()];
    slot.names[slot.count++] = {packWord(first, false), packWord(first, true),
                                packWord(last, false), packWord(last, true)};
  }
  return t;
}

constexpr auto kCommonByLength = makeCommonNames();

inline bool isCommonName(const char* p, std::size_t n) {
  if (n < 4 || n >= kCommonByLength.size()) return false;
  const CommonNamesOfLength& c = kCommonByLength[n];
  std::uint64_t first = n >= 8 ? load64(p) : load32(p);
  std::uint64_t last = n >= 8 ? load64(p + n - 8) : load32(p + n - 4);
  for (std::size_t i = 0; i < c.count; ++i) {
    const CommonName& k = c.names[i];
    if (((first | k.firstFold) == k.first) & ((last | k.lastFold) == k.last)) return true;
  }
  return false;
}

}  // namespace

// Unlike the parser's scans, these may not read past the end of `s` (a std::string's bytes).
// They check whole blocks, the last one overlapping the one before (checking a byte twice is
// harmless), so a short name or value costs a block or two and no loop per byte.

bool allTokenChars(std::string_view s) {
  const char* p = s.data();
  std::size_t n = s.size();
  if (isCommonName(p, n)) return true;
  auto block8 = [](const char* q) {
    return cls(q[0]) & cls(q[1]) & cls(q[2]) & cls(q[3]) & cls(q[4]) & cls(q[5]) & cls(q[6]) &
           cls(q[7]);
  };
  std::uint8_t acc = kTokenBit;
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8) acc &= block8(p + i);
    acc &= block8(p + n - 8);
  } else if (n >= 4) {
    acc &= cls(p[0]) & cls(p[1]) & cls(p[2]) & cls(p[n - 4]) & cls(p[n - 3]) & cls(p[n - 2]) &
           cls(p[n - 1]);
  } else {
    for (std::size_t i = 0; i < n; ++i) acc &= cls(p[i]);
  }
  return acc != 0;
}

bool allFieldValueChars(std::string_view s) {
  const char* p = s.data();
  std::size_t n = s.size();
  // Any CTL or DEL, from 8 bytes (SWAR) or 16 (SSE2) at a time; HT is flagged as well by the
  // SWAR test, so a hit there (rare: HT or an invalid value) is decided by the table.
  bool suspect;
  if (n >= 8 && n <= 16) {  // most values: two words
    suspect = (ctlOrDel(load64(p)) | ctlOrDel(load64(p + n - 8))) != 0;
  } else if (n > 16) {
#if EVNODE_HTTP_SSE2
    unsigned m = 0;
    for (std::size_t i = 0; i + 16 < n; i += 16) m |= sseValueStops(p + i);
    m |= sseValueStops(p + n - 16);
    return m == 0;  // exact: SSE2 tells HT apart
#else
    std::uint64_t m = 0;
    for (std::size_t i = 0; i + 8 < n; i += 8) m |= ctlOrDel(load64(p + i));
    suspect = (m | ctlOrDel(load64(p + n - 8))) != 0;
#endif
  } else if (n >= 4) {
    suspect = ctlOrDel(load32(p) | std::uint64_t{load32(p + n - 4)} << 32) != 0;
  } else {
    suspect = true;
  }
  if (!suspect) return true;
  std::uint8_t acc = kValueBit;
  for (std::size_t i = 0; i < n; ++i) acc &= cls(p[i]);
  return acc != 0;
}

std::ptrdiff_t parseRequest(std::string_view buf, RequestHead& out, std::span<Header> headers,
                            const Limits& limits, std::size_t lastLen) {
  return parseHead<true>(buf, out, headers, limits, lastLen);
}

std::ptrdiff_t parseResponse(std::string_view buf, ResponseHead& out, std::span<Header> headers,
                             const Limits& limits, std::size_t lastLen) {
  return parseHead<false>(buf, out, headers, limits, lastLen);
}

BodyKind responseBodyKind(const ResponseHead& res, bool requestWasHead, bool requestWasConnect) {
  int st = res.status;
  if (requestWasHead) return BodyKind::kNone;
  if ((st >= 100 && st < 200) || st == 204 || st == 304) return BodyKind::kNone;
  if (requestWasConnect && st >= 200 && st < 300) return BodyKind::kNone;
  if (res.hasTransferEncoding) return res.chunked ? BodyKind::kChunked : BodyKind::kUntilClose;
  if (res.hasContentLength) return BodyKind::kContentLength;
  return BodyKind::kUntilClose;
}

// ---- chunked bodies ----

ChunkedDecoder::Result ChunkedDecoder::decode(std::string_view in) {
  using S = State;
  const char* begin = in.data();
  const char* p = begin;
  const char* end = p + in.size();
  auto failWith = [&](ParseError e) {
    state = S::kError;
    error = e;
    return Result{static_cast<std::size_t>(p - begin), {}};
  };
  auto countLine = [&]() { return ++lineBytes > limits.maxChunkExtensionSize; };

  while (p < end) {
    char c = *p;
    switch (state) {
      case S::kSize: {
        int d = kHex[static_cast<unsigned char>(c)];
        if (d < 0) return failWith(c == '\n' ? E::HPE_CR_EXPECTED : E::HPE_INVALID_CHUNK_SIZE);
        remaining = static_cast<std::uint64_t>(d);
        lineBytes = 0;
        state = S::kSizeDigits;
        ++p;
        break;
      }
      case S::kSizeDigits: {
        int d = kHex[static_cast<unsigned char>(c)];
        if (d >= 0) {
          if (remaining >> 60) return failWith(E::HPE_INVALID_CHUNK_SIZE);
          if (countLine()) return failWith(E::HPE_CHUNK_EXTENSIONS_OVERFLOW);
          remaining = (remaining << 4) | static_cast<std::uint64_t>(d);
          ++p;
          break;
        }
        if (c == '\r') {
          state = S::kSizeLf;
        } else if (c == ';') {
          state = S::kExtNameStart;
        } else if (isOws(c)) {
          state = S::kExtBws;
        } else {
          return failWith(c == '\n' ? E::HPE_CR_EXPECTED : E::HPE_INVALID_CHUNK_SIZE);
        }
        if (c != '\r' && countLine()) return failWith(E::HPE_CHUNK_EXTENSIONS_OVERFLOW);
        ++p;
        break;
      }
      case S::kExtBws:
      case S::kExtNameStart:
      case S::kExtName:
      case S::kExtAfterName:
      case S::kExtValueStart:
      case S::kExtValue:
      case S::kExtQuoted:
      case S::kExtQuotedPair:
      case S::kExtAfterQuote: {
        bool ows = isOws(c);
        bool tok = isToken(c);
        S next = state;
        bool ok = true;
        switch (state) {
          case S::kExtBws:  // BWS, only allowed before ';'
            if (c == ';')
              next = S::kExtNameStart;
            else
              ok = ows;
            break;
          case S::kExtNameStart:  // BWS, then a name
            if (tok)
              next = S::kExtName;
            else
              ok = ows;
            break;
          case S::kExtName:
            if (c == '=')
              next = S::kExtValueStart;
            else if (c == ';')
              next = S::kExtNameStart;
            else if (c == '\r')
              next = S::kSizeLf;
            else if (ows)
              next = S::kExtAfterName;
            else
              ok = tok;
            break;
          case S::kExtAfterName:  // BWS, then '=' (or ';' for the next extension)
            if (c == '=')
              next = S::kExtValueStart;
            else if (c == ';')
              next = S::kExtNameStart;
            else
              ok = ows;
            break;
          case S::kExtValueStart:
            if (c == '"')
              next = S::kExtQuoted;
            else if (tok)
              next = S::kExtValue;
            else
              ok = ows;
            break;
          case S::kExtValue:
            if (c == ';')
              next = S::kExtNameStart;
            else if (c == '\r')
              next = S::kSizeLf;
            else if (ows)
              next = S::kExtBws;
            else
              ok = tok;
            break;
          case S::kExtQuoted:
            if (c == '"')
              next = S::kExtAfterQuote;
            else if (c == '\\')
              next = S::kExtQuotedPair;
            else
              ok = cls(c) & kQdtextBit;
            break;
          case S::kExtQuotedPair:
            next = S::kExtQuoted;
            ok = cls(c) & kValueBit;
            break;
          case S::kExtAfterQuote:
            if (c == ';')
              next = S::kExtNameStart;
            else if (c == '\r')
              next = S::kSizeLf;
            else if (ows)
              next = S::kExtBws;
            else
              ok = false;
            break;
          default:
            break;
        }
        if (!ok) {
          return failWith(c == '\n' && state != S::kExtQuoted && state != S::kExtQuotedPair
                              ? E::HPE_CR_EXPECTED
                              : E::HPE_INVALID_CHUNK_EXTENSIONS);
        }
        if (next != S::kSizeLf && countLine()) return failWith(E::HPE_CHUNK_EXTENSIONS_OVERFLOW);
        state = next;
        ++p;
        break;
      }
      case S::kSizeLf:
        if (c != '\n') return failWith(E::HPE_LF_EXPECTED);
        ++p;
        state = remaining == 0 ? S::kTrailers : S::kData;
        break;
      case S::kData: {
        std::size_t avail = static_cast<std::size_t>(end - p);
        std::size_t n = avail < remaining ? avail : static_cast<std::size_t>(remaining);
        std::string_view data(p, n);
        p += n;
        remaining -= n;
        if (remaining == 0) state = S::kDataCr;
        return Result{static_cast<std::size_t>(p - begin), data};
      }
      case S::kDataCr:
        if (c != '\r') return failWith(E::HPE_CR_EXPECTED);
        ++p;
        state = S::kDataLf;
        break;
      case S::kDataLf:
        if (c != '\n') return failWith(E::HPE_LF_EXPECTED);
        ++p;
        state = S::kSize;
        break;
      case S::kTrailers: {
        std::size_t avail = static_cast<std::size_t>(end - p);
        std::size_t cap = std::min(avail, limits.maxHeaderSize);
        if (trailerScanned != 0 && trailerScanned <= avail && avail <= limits.maxHeaderSize) {
          std::size_t from = trailerScanned >= 3 ? trailerScanned - 3 : 0;
          if (!worthFullParse(p, from, cap)) {
            trailerScanned = avail;
            return Result{static_cast<std::size_t>(p - begin), {}};
          }
        }
        const char* q = p;
        Failure f;
        std::size_t count = 0;
        std::size_t maxCount = limits.maxHeadersCount;
        if (!trailerStorage.empty()) maxCount = std::min(maxCount, trailerStorage.size());
        Header* store = trailerStorage.empty() ? nullptr : trailerStorage.data();
        Step s = parseFields(q, p + cap, store, trailerStorage.size(), maxCount, count, f,
                             [](std::string_view, std::string_view) { return E::HPE_OK; });
        if (s == Step::kMore) {
          if (avail > limits.maxHeaderSize) return failWith(E::HPE_HEADER_OVERFLOW);
          trailerScanned = avail;
          return Result{static_cast<std::size_t>(p - begin), {}};
        }
        if (s == Step::kFail) return failWith(f.error);
        numTrailers = trailerStorage.empty() ? 0 : count;
        p = q;
        state = S::kDone;
        return Result{static_cast<std::size_t>(p - begin), {}};
      }
      case S::kDone:
      case S::kError:
        return Result{static_cast<std::size_t>(p - begin), {}};
    }
  }
  return Result{static_cast<std::size_t>(p - begin), {}};
}

ParseError ChunkedDecoder::finish() {
  if (state == State::kDone) return E::HPE_OK;
  if (state != State::kError) {
    state = State::kError;
    error = E::HPE_INVALID_EOF_STATE;
  }
  return error;
}

}  // namespace evnode::http
