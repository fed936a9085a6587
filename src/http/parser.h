// Internal: the HTTP/1.1 message parser (RFC 9112), requests and responses.
//
// A pure function over bytes: no I/O, no allocation. Header names and values are views into the
// caller's read buffer, so they stay valid only as long as those bytes do.
//
// Head parsing (picohttpparser-style):
//
//   http::Header headers[64];
//   http::RequestHead req;
//   std::ptrdiff_t n = http::parseRequest(buf, req, headers, limits, lastLen);
//   if (n > 0)       -> the head is complete and took n bytes; the body (if any) starts at buf + n
//   else if (n == 0) -> need more bytes: read more, append, call again with lastLen = old size
//   else             -> error: req.error (name, reason and the HTTP status to answer below)
//
// `buf` must always start at the first byte of the head; pass the previous buffer size as
// `lastLen` when calling again after more bytes arrived, so that an incomplete head is not parsed
// again from its start (only the new bytes are scanned, until the end of the head shows up).
// Pipelined requests: after n > 0 (and after the body), call again on buf + n (+ body length).
// With lastLen, an incomplete head is parsed again only once its end, a bare CR or LF, or more
// than maxHeaderSize bytes have arrived, so a syntax error in its first bytes may only be
// reported then (a head sent in one piece is checked as it is read).
//
// Bodies: RequestHead::body says how the request body is framed. Content-Length bodies are a
// simple countdown (ContentLengthBody); chunked bodies go through ChunkedDecoder. For responses,
// the framing also depends on the request; see responseBodyKind().
//
// Strictness (RFC 9112/9110, like Node's llhttp without lenient flags), in short:
//  - lines end in CRLF; a bare CR or bare LF is an error; leading empty lines before a request
//    line (or status line) are skipped;
//  - the method is any token (case-sensitive); the target is one of the four forms (authority
//    form only for CONNECT, `*` only for OPTIONS); absolute form means `scheme://...`;
//    targets are visible ASCII (VCHAR): a CTL, SP, DEL or a byte 0x80-0xFF is
//    HPE_INVALID_URL (400), as Node (llhttp) answers; a client must percent-encode them;
//  - HTTP/1.0 and HTTP/1.1 only: another well-formed `HTTP/d.d` is 505, a malformed one 400;
//  - no obs-fold, no whitespace between a field name and its colon, names are tokens, values are
//    HT/SP/VCHAR/0x80-0xFF; leading and trailing SP/HT of a value are not part of it;
//  - an HTTP/1.1 request needs exactly one Host (an HTTP/1.0 one at most one);
//  - Content-Length is plain digits (no sign, no list), at most once, never with
//    Transfer-Encoding;
//  - Transfer-Encoding (all its header lines taken as one list) must end in `chunked`, which must
//    appear once, with no empty list element after it (`chunked,` does not end in chunked, as
//    llhttp reads it); the known codings are chunked, gzip, x-gzip, deflate, compress and
//    x-compress. In a request, any other coding (`identity` included: RFC 7230 removed it) is
//    501; a list of known codings not ending in chunked is 400; an empty value is 400;
//    Transfer-Encoding in an HTTP/1.0 message is 400. In a response, a list not ending in
//    chunked means the body runs until the connection closes (RFC 9112 section 6.3), and unknown
//    codings are allowed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "evnode/http_methods.h"
#include "evnode/http_parser.h"

namespace evnode::http {

// Every way a message can be rejected. The names are Node's (llhttp's) where one exists.
enum class ParseError : std::uint8_t {
  HPE_OK = 0,
  HPE_INVALID_METHOD,             // 400: the method is not a token or not followed by one SP
  HPE_INVALID_URL,                // 400: bad target characters or a form the method can't use
  HPE_URI_TOO_LONG,               // 414: target longer than Limits::maxTargetLength
  HPE_INVALID_VERSION,            // 400: not `HTTP/DIGIT.DIGIT`
  HPE_VERSION_NOT_SUPPORTED,      // 505: a well-formed version other than 1.0 or 1.1
  HPE_INVALID_STATUS,             // 400: the status code is not 3 digits (100-999)
  HPE_INVALID_HEADER_TOKEN,       // 400: bad char in a field name or value, name without colon
  HPE_UNEXPECTED_SPACE,           // 400: a field line starting with SP/HT (obs-fold)
  HPE_CR_EXPECTED,                // 400: bare LF (a line must end in CRLF), junk after chunk
  HPE_LF_EXPECTED,                // 400: bare CR
  HPE_HEADER_OVERFLOW,            // 431: head bigger than maxHeaderSize or too many fields
  HPE_MISSING_HOST,               // 400: HTTP/1.1 request without Host
  HPE_DUPLICATE_HOST,             // 400: more than one Host
  HPE_INVALID_CONTENT_LENGTH,     // 400: Content-Length not plain digits or over 2^64-1
  HPE_UNEXPECTED_CONTENT_LENGTH,  // 400: Content-Length repeated or with Transfer-Encoding
  HPE_INVALID_TRANSFER_ENCODING,  // 400: malformed, not ending in chunked, or in HTTP/1.0
  HPE_NOT_IMPLEMENTED,            // 501: a transfer coding this parser does not know
  HPE_INVALID_CHUNK_SIZE,         // 400: chunk size not hex, too big, or not ended by CRLF
  HPE_INVALID_CHUNK_EXTENSIONS,   // 400: malformed chunk extension (`;` without name, quote)
  HPE_CHUNK_EXTENSIONS_OVERFLOW,  // 413: one chunk's size line over maxChunkExtensionSize
  HPE_INVALID_EOF_STATE,          // 400: the connection ended in the middle of a body
  // Responses only, evnode's own (llhttp has no such limit): more interim (1xx) responses before
  // the final one than a client reads, see ResponseReader::kMaxInformational.
  HPE_TOO_MANY_INFORMATIONAL,
};

// "HPE_HEADER_OVERFLOW".
std::string_view parseErrorName(ParseError e);
// "Header overflow": a short human reason, usable as a message.
std::string_view parseErrorReason(ParseError e);
// The status a server answers with: 400, 413, 414, 431, 501 or 505 (0 for HPE_OK).
int parseErrorStatus(ParseError e);

struct Limits {
  // Whole head: leading empty lines, request/status line, field lines and the final CRLF, as
  // Node's --max-http-header-size. Over it: HPE_HEADER_OVERFLOW (431). Also bounds trailers.
  std::size_t maxHeaderSize = 16384;
  // Field lines per head (and per trailer section). Over it: HPE_HEADER_OVERFLOW (431). The
  // caller's header array also bounds it: the smaller of the two applies.
  std::size_t maxHeadersCount = 2000;
  // Request target bytes. Over it: HPE_URI_TOO_LONG (414). 8 KiB, the size most servers and
  // proxies accept (RFC 9112 recommends at least 8000 octets); it is checked while the target is
  // read, so an over-long target is rejected before the head ends.
  std::size_t maxTargetLength = 8192;
  // Bytes of one chunk's size line after the first digit (leading zeros, extensions, BWS), per
  // chunk. Over it: HPE_CHUNK_EXTENSIONS_OVERFLOW (413), as Node's 16 KiB limit.
  std::size_t maxChunkExtensionSize = 16384;
};
inline constexpr Limits kDefaultLimits{};

// A field line: name as sent (compare case-insensitively, see equalsIgnoreCase), value with its
// leading and trailing SP/HT removed. Public, as ResponseParser hands them out.
using Header = HeaderField;

enum class TargetForm : std::uint8_t {
  kOrigin,     // /path?query
  kAbsolute,   // http://host/path (as sent to proxies)
  kAuthority,  // host:port, only with CONNECT
  kAsterisk,   // *, only with OPTIONS
};

// How a message body is delimited.
enum class BodyKind : std::uint8_t {
  kNone,           // no body
  kContentLength,  // exactly MessageHead::contentLength bytes (which may be 0)
  kChunked,        // chunked transfer coding: use ChunkedDecoder
  kUntilClose,     // responses only: the body runs until the connection closes
};

// What request and response heads share. Filled on every call; the facts are only meaningful
// once the call returned > 0.
struct MessageHead {
  std::span<Header> headers;  // the parsed fields, a prefix of the caller's array
  std::uint8_t versionMajor = 1;
  std::uint8_t versionMinor = 1;

  BodyKind body = BodyKind::kNone;  // requests: the framing; responses: see responseBodyKind()
  bool hasContentLength = false;
  bool hasTransferEncoding = false;
  bool chunked = false;  // Transfer-Encoding ends in chunked
  std::uint64_t contentLength = 0;

  bool keepAlive = false;            // 1.1 without `close`, 1.0 with `keep-alive` and no `close`
  bool connectionClose = false;      // Connection lists `close`
  bool connectionKeepAlive = false;  // Connection lists `keep-alive`
  bool connectionUpgrade = false;    // Connection lists `upgrade`
  bool hasUpgradeHeader = false;     // an Upgrade field is present
  bool upgrade = false;              // connectionUpgrade && hasUpgradeHeader
  bool expectContinue = false;       // Expect: 100-continue (case-insensitive), HTTP/1.1 only
  bool expectOther = false;          // an Expect with any other value (Node answers 417)
  std::uint32_t hostCount = 0;       // Host fields seen

  ParseError error = ParseError::HPE_OK;
  std::size_t errorOffset = 0;  // offset in the buffer of the byte that caused the error
};

struct RequestHead : MessageHead {
  std::string_view method;  // any token, case-sensitive ("GET", "M-SEARCH", "BREW")
  std::string_view target;  // the request-target as sent
  TargetForm targetForm = TargetForm::kOrigin;
};

struct ResponseHead : MessageHead {
  int status = 0;           // 100..999
  std::string_view reason;  // may be empty
};

// Returned by the head parsers besides a byte count.
inline constexpr std::ptrdiff_t kIncomplete = 0;
inline constexpr std::ptrdiff_t kParseError = -1;

// Parses a request head from buf (which starts at its first byte). Returns the head's size in
// bytes (> 0), kIncomplete (0) or kParseError (-1, out.error tells which). `headers` receives the
// fields; `lastLen` is the size buf had at the previous call that returned kIncomplete (0 on the
// first call).
std::ptrdiff_t parseRequest(std::string_view buf, RequestHead& out, std::span<Header> headers,
                            const Limits& limits = kDefaultLimits, std::size_t lastLen = 0);

// Same for a response head (status line `HTTP/1.1 200 OK`; the reason may be empty or absent).
std::ptrdiff_t parseResponse(std::string_view buf, ResponseHead& out, std::span<Header> headers,
                             const Limits& limits = kDefaultLimits, std::size_t lastLen = 0);

// The framing of a response body (RFC 9112 section 6.3): none for a response to HEAD, for 1xx,
// 204 and 304, and for a 2xx to CONNECT (the connection becomes a tunnel); otherwise chunked,
// Content-Length, or until the connection closes (also when Transfer-Encoding does not end in
// chunked). A kUntilClose response never leaves the connection reusable.
BodyKind responseBodyKind(const ResponseHead& res, bool requestWasHead,
                          bool requestWasConnect = false);

// A Content-Length body: hand each read to take() and get the part that belongs to the body;
// what is left after it (once done()) is the next message.
struct ContentLengthBody {
  std::uint64_t remaining = 0;

  std::string_view take(std::string_view in) {
    std::size_t n = in.size() < remaining ? in.size() : static_cast<std::size_t>(remaining);
    remaining -= n;
    return in.substr(0, n);
  }
  bool done() const { return remaining == 0; }
  // The connection ended: HPE_INVALID_EOF_STATE if body bytes are still missing.
  ParseError finish() const {
    return remaining == 0 ? ParseError::HPE_OK : ParseError::HPE_INVALID_EOF_STATE;
  }
};

// Decodes a chunked body fed in arbitrary pieces. Each decode() call handles the framing at the
// front of `in` and returns at most one piece of chunk data (a view into `in`) along with the
// number of input bytes it consumed (framing + data). Call it again on the rest until the input
// is used up, done() or an error:
//
//   while (!in.empty()) {
//     auto r = dec.decode(in);
//     if (dec.failed()) return fail(dec.error);
//     if (!r.data.empty()) onData(r.data);
//     in.remove_prefix(r.consumed);
//     if (dec.done() || r.consumed == 0) break;  // in: the next message / bytes to keep
//   }
//
// Everything up to the trailer section is consumed as it comes. The trailer section (field lines
// after the last chunk) is parsed like a head, with the trailers as views into the input: until
// it is complete, decode() consumes nothing of it (consumed == 0, no data), and the caller must
// present those same bytes again, at the front of the next call's input, with more appended.
// Only the newly appended bytes are scanned then.
struct ChunkedDecoder {
  enum class State : std::uint8_t {
    kSize,           // expecting the first hex digit of a chunk size
    kSizeDigits,     // in the chunk size
    kExtBws,         // BWS after the size or an extension value: then `;`
    kExtNameStart,   // after `;`
    kExtName,        // in an extension name
    kExtAfterName,   // BWS after a name: then `=` or `;`
    kExtValueStart,  // after `=`
    kExtValue,       // in a token value
    kExtQuoted,      // in a quoted-string value
    kExtQuotedPair,  // after a backslash in a quoted-string
    kExtAfterQuote,  // after a quoted-string value: `;`, BWS or CR
    kSizeLf,         // CR of the size line seen
    kData,           // in chunk data
    kDataCr,         // expecting CR after chunk data
    kDataLf,         // expecting LF after chunk data
    kTrailers,       // after the last chunk: trailer section
    kDone,
    kError,
  };

  struct Result {
    std::size_t consumed = 0;  // input bytes used (framing and data)
    std::string_view data;     // chunk data, a view into the input; may be empty
  };

  ChunkedDecoder() = default;
  explicit ChunkedDecoder(const Limits& l, std::span<Header> storage = {})
      : limits(l), trailerStorage(storage) {}

  Result decode(std::string_view in);

  // Convenience: runs decode() over all of `in`, calling onData(std::string_view) for each piece.
  // Returns the bytes consumed; stops early at done(), an error, or an incomplete trailer section.
  template <class F>
  std::size_t decodeAll(std::string_view in, F&& onData) {
    std::size_t total = 0;
    while (!in.empty()) {
      Result r = decode(in);
      if (state == State::kError) break;
      if (!r.data.empty()) onData(r.data);
      total += r.consumed;
      in.remove_prefix(r.consumed);
      if (state == State::kDone || r.consumed == 0) break;
    }
    return total;
  }

  bool done() const { return state == State::kDone; }
  bool failed() const { return state == State::kError; }
  // The trailer fields, once done(): views into the input given to the last decode() call.
  std::span<Header> trailers() const { return trailerStorage.first(numTrailers); }
  // The connection ended: HPE_INVALID_EOF_STATE unless the body was complete (also recorded in
  // `error` then).
  ParseError finish();
  // Ready for another body (keeps limits and trailer storage).
  void reset() {
    state = State::kSize;
    error = ParseError::HPE_OK;
    remaining = 0;
    lineBytes = 0;
    trailerScanned = 0;
    numTrailers = 0;
  }

  Limits limits;
  // Where trailers go. Empty: trailers are checked, then dropped. Otherwise more trailer fields
  // than it holds is HPE_HEADER_OVERFLOW, as for heads.
  std::span<Header> trailerStorage;
  State state = State::kSize;
  ParseError error = ParseError::HPE_OK;
  std::uint64_t remaining = 0;     // data bytes left in the current chunk (its size in kSize*)
  std::size_t lineBytes = 0;       // bytes of the current size line after its first digit
  std::size_t trailerScanned = 0;  // trailer bytes already scanned without finding their end
  std::size_t numTrailers = 0;
};

// ASCII case-insensitive comparison (for header names and tokens).
bool equalsIgnoreCase(std::string_view a, std::string_view b);

// RFC 9110 tchar: the bytes allowed in methods, field names and other tokens.
bool isTokenChar(unsigned char c);
// Every byte of `s` is a tchar (true for an empty `s`).
bool allTokenChars(std::string_view s);
// Every byte of `s` may be in a field value: HT, SP, VCHAR, obs-text (no CR, LF, NUL or DEL).
bool allFieldValueChars(std::string_view s);

// http::METHODS (Node's list) lives in the public evnode/http_methods.h.

}  // namespace evnode::http
