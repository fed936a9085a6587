// libFuzzer target for the response head parser (http::parseResponse) and the framing it gives
// (responseBodyKind, Content-Length and chunked bodies after the head).
//
// Input: one knob byte (limits and where to split), then the bytes a client would read. Checks:
//  - the answer is a size within the input and the header limit, kIncomplete, or an error with
//    a name, a reason and an offset inside the input;
//  - every view (reason, names, values) points into the head, names are tokens, values are
//    trimmed and hold no CTL;
//  - parsing any prefix gives kIncomplete or the whole input's answer (decisions never depend on
//    bytes after the one that decides);
//  - the same bytes fed in two pieces (a split point taken from the data), with lastLen, give
//    the same answer as fed whole, and so does byte-by-byte feeding of short inputs;
//  - the framing is consistent with the head.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "http/parser.h"

namespace http = evnode::http;

namespace {

using evnode::fuzz::check;
using evnode::fuzz::within;

struct Parsed {
  std::ptrdiff_t n = 0;
  http::ResponseHead head;
  http::Header fields[32];
};

std::ptrdiff_t parse(std::string_view buf, Parsed& p, const http::Limits& limits,
                     std::size_t lastLen = 0) {
  p.n = http::parseResponse(buf, p.head, p.fields, limits, lastLen);
  return p.n;
}

// The facts of two answers agree (views are compared by content: they may point into different
// copies of the bytes).
bool same(const Parsed& a, const Parsed& b) {
  if (a.n != b.n || a.head.error != b.head.error) return false;
  if (a.n == http::kParseError) return a.head.errorOffset == b.head.errorOffset;
  if (a.n == http::kIncomplete) return true;
  const http::ResponseHead& x = a.head;
  const http::ResponseHead& y = b.head;
  if (x.headers.size() != y.headers.size()) return false;
  for (std::size_t i = 0; i < x.headers.size(); ++i) {
    if (x.headers[i].name != y.headers[i].name || x.headers[i].value != y.headers[i].value) {
      return false;
    }
  }
  return x.status == y.status && x.reason == y.reason && x.versionMinor == y.versionMinor &&
         x.body == y.body && x.chunked == y.chunked && x.contentLength == y.contentLength &&
         x.hasContentLength == y.hasContentLength &&
         x.hasTransferEncoding == y.hasTransferEncoding && x.keepAlive == y.keepAlive &&
         x.upgrade == y.upgrade;
}

void checkAnswer(std::string_view buf, const Parsed& p, const http::Limits& limits) {
  const http::ResponseHead& h = p.head;
  check(p.n >= http::kParseError);
  check(p.n <= static_cast<std::ptrdiff_t>(buf.size()));
  check(p.n <= static_cast<std::ptrdiff_t>(limits.maxHeaderSize));
  if (p.n == http::kParseError) {
    check(h.error != http::ParseError::HPE_OK);
    check(http::parseErrorName(h.error).starts_with("HPE_"));
    check(http::parseErrorReason(h.error) != "Unknown error");
    check(h.errorOffset <= buf.size());
    return;
  }
  check(h.error == http::ParseError::HPE_OK);
  if (p.n == http::kIncomplete) return;
  std::string_view head = buf.substr(0, static_cast<std::size_t>(p.n));
  check(head.ends_with("\r\n\r\n"));  // the status line's CRLF (or a field's), then the empty line
  check(h.status >= 100 && h.status <= 999);
  check(h.versionMajor == 1 && (h.versionMinor == 0 || h.versionMinor == 1));
  check(within(h.reason, head));
  check(http::allFieldValueChars(h.reason));
  check(h.headers.size() <= limits.maxHeadersCount);
  for (const http::Header& f : h.headers) {
    check(!f.name.empty() && within(f.name, head) && within(f.value, head));
    check(http::allTokenChars(f.name));
    check(http::allFieldValueChars(f.value));
    if (!f.value.empty()) {
      check(f.value.front() != ' ' && f.value.front() != '\t');
      check(f.value.back() != ' ' && f.value.back() != '\t');
    }
  }
  check(!(h.hasContentLength && h.hasTransferEncoding));
  if (h.chunked) check(h.hasTransferEncoding);
  if (h.upgrade) check(h.connectionUpgrade && h.hasUpgradeHeader);
  if (h.connectionClose) check(!h.keepAlive);
}

void checkFraming(std::string_view rest, const http::ResponseHead& h, std::uint8_t knob) {
  for (int how = 0; how < 4; ++how) {
    bool wasHead = how & 1, wasConnect = how & 2;
    http::BodyKind k = http::responseBodyKind(h, wasHead, wasConnect);
    bool bodyless = (h.status >= 100 && h.status < 200) || h.status == 204 || h.status == 304;
    if (wasHead || bodyless) check(k == http::BodyKind::kNone);
    if (wasConnect && h.status >= 200 && h.status < 300) check(k == http::BodyKind::kNone);
    if (k == http::BodyKind::kChunked) check(h.chunked);
    if (k == http::BodyKind::kContentLength) check(h.hasContentLength);
    if (!wasHead && !wasConnect) check(k == h.body);
  }
  if (h.body == http::BodyKind::kContentLength) {
    http::ContentLengthBody whole{h.contentLength};
    std::string_view all = whole.take(rest);
    check(all.data() == rest.data() && all.size() <= rest.size());
    check(all.size() == rest.size() || whole.done());
    // The same countdown in two pieces.
    http::ContentLengthBody split{h.contentLength};
    std::size_t cut = rest.empty() ? 0 : knob % (rest.size() + 1);
    std::size_t got = split.take(rest.substr(0, cut)).size();
    if (got == cut) got += split.take(rest.substr(cut)).size();
    check(got == all.size() && split.remaining == whole.remaining);
    check(whole.done() == (whole.finish() == http::ParseError::HPE_OK));
  } else if (h.body == http::BodyKind::kChunked) {
    http::ChunkedDecoder dec;
    std::size_t total = 0, data = 0;
    std::string_view in = rest;
    while (!in.empty() && !dec.done() && !dec.failed()) {
      http::ChunkedDecoder::Result r = dec.decode(in);
      check(r.consumed <= in.size());
      check(within(r.data, in.substr(0, r.consumed)));
      total += r.consumed;
      data += r.data.size();
      in.remove_prefix(r.consumed);
      if (r.consumed == 0) break;
    }
    check(total <= rest.size() && data <= total);
    if (dec.failed()) check(dec.error != http::ParseError::HPE_OK);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::uint8_t knob = data[0];
  std::string_view buf(reinterpret_cast<const char*>(data + 1), size - 1);
  http::Limits limits;
  if (knob & 1) {  // small limits, so that inputs of fuzzer size reach them
    limits.maxHeaderSize = 32 + (knob >> 1);
    limits.maxHeadersCount = 1 + (knob >> 5);
  }

  Parsed whole;
  parse(buf, whole, limits);
  checkAnswer(buf, whole, limits);

  // Any prefix: incomplete, or the whole input's answer. The split point comes from the data
  // (its last byte), so the fuzzer can steer it.
  std::size_t cut = buf.empty() ? 0 : static_cast<unsigned char>(buf.back()) % (buf.size() + 1);
  cut = (cut + (knob >> 3)) % (buf.size() + 1);
  {
    std::string prefix(buf.substr(0, cut));  // its own copy: no reading past its end
    Parsed p;
    parse(prefix, p, limits);
    checkAnswer(prefix, p, limits);
    if (p.n != http::kIncomplete) check(same(p, whole));
  }

  // Two pieces, the second call told how much it saw before (lastLen).
  {
    Parsed first, second;
    std::string prefix(buf.substr(0, cut));
    if (parse(prefix, first, limits) == http::kIncomplete && cut > 0) {
      parse(buf, second, limits, cut);
      checkAnswer(buf, second, limits);
      // With lastLen, an incomplete head is parsed again only once its end, a bare CR/LF or the
      // size limit shows up (parser.h): an error before that may still read as incomplete.
      if (!(second.n == http::kIncomplete && whole.n == http::kParseError)) {
        check(same(second, whole));
      }
    }
  }

  // Byte by byte, as a slow server sends it (short inputs: quadratic).
  if (buf.size() <= 256) {
    std::string grow;
    Parsed p;
    std::size_t last = 0;
    p.n = http::kIncomplete;
    for (char c : buf) {
      grow.push_back(c);
      parse(grow, p, limits, last);
      if (p.n != http::kIncomplete) break;
      last = grow.size();
    }
    if (!(p.n == http::kIncomplete && whole.n == http::kParseError)) check(same(p, whole));
  }

  if (whole.n > 0) checkFraming(buf.substr(static_cast<std::size_t>(whole.n)), whole.head, knob);
  return 0;
}
