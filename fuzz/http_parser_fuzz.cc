// libFuzzer target for src/http/parser.h: the request and response head parsers (whole and
// incremental, which must agree), then the chunked decoder on what follows the head, fed whole
// and split at several points (which must agree too).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "http/parser.h"

namespace http = evnode::http;

namespace {

using evnode::fuzz::check;
using evnode::fuzz::within;

void checkHead(std::string_view buf, std::ptrdiff_t n, const http::MessageHead& h,
               const http::Limits& limits) {
  check(n >= http::kParseError);
  check(n <= static_cast<std::ptrdiff_t>(buf.size()));
  check(n <= static_cast<std::ptrdiff_t>(limits.maxHeaderSize));
  if (n == http::kParseError) {
    check(h.error != http::ParseError::HPE_OK);
    check(!http::parseErrorName(h.error).empty());
    int st = http::parseErrorStatus(h.error);
    check(st >= 400 && st < 600);
    check(h.errorOffset <= buf.size());
    return;
  }
  check(h.error == http::ParseError::HPE_OK);
  if (n == 0) return;
  for (const http::Header& f : h.headers) {
    check(!f.name.empty() && within(f.name, buf.substr(0, n)) && within(f.value, buf.substr(0, n)));
    for (char c : f.name) check(http::isTokenChar(static_cast<unsigned char>(c)));
    if (!f.value.empty()) {
      check(f.value.front() != ' ' && f.value.front() != '\t');
      check(f.value.back() != ' ' && f.value.back() != '\t');
    }
    for (char c : f.value) check(c == '\t' || static_cast<unsigned char>(c) >= 0x20);
  }
  check(!(h.hasContentLength && h.hasTransferEncoding));
}

template <class Head>
bool sameHead(const Head& a, const Head& b) {
  if (a.error != b.error || a.headers.size() != b.headers.size()) return false;
  for (std::size_t i = 0; i < a.headers.size(); ++i) {
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) {
      return false;
    }
  }
  return a.contentLength == b.contentLength && a.keepAlive == b.keepAlive &&
         a.chunked == b.chunked && a.body == b.body && a.upgrade == b.upgrade;
}

// Parses the head whole, then as it would arrive in pieces (ending at each split), and checks
// that both give the same answer.
template <class Head, class Parse>
std::ptrdiff_t headEverywhere(std::string_view buf, const http::Limits& limits,
                              const std::vector<std::size_t>& splits, Parse parse, Head& whole,
                              http::Header* wholeHdrs) {
  http::Header hdrs[64];
  std::ptrdiff_t n = parse(buf, whole, std::span<http::Header>(wholeHdrs, 64), limits, 0);
  checkHead(buf, n, whole, limits);

  Head inc;
  std::size_t last = 0;
  std::ptrdiff_t m = http::kIncomplete;
  for (std::size_t cut : splits) {
    if (cut <= last || cut > buf.size()) continue;
    m = parse(buf.substr(0, cut), inc, hdrs, limits, last);
    if (m != http::kIncomplete) break;
    last = cut;
  }
  if (m == http::kIncomplete) m = parse(buf, inc, hdrs, limits, last);
  // With lastLen, an incomplete head is only parsed again once its end, a bare CR/LF or the
  // size limit shows up: a syntax error before that may still read as incomplete.
  if (m == http::kIncomplete && n == http::kParseError) return n;
  check(m == n);
  if (n != http::kIncomplete) check(sameHead(inc, whole));
  return n;
}

struct BodyRun {
  std::string data;
  std::size_t consumed = 0;
  bool done = false;
  bool inTrailers = false;  // stopped waiting for the end of the trailer section
  http::ParseError error = http::ParseError::HPE_OK;
  std::vector<std::string> trailers;
};

// Runs a chunked decoder over `body` arriving in the given pieces, keeping unconsumed bytes.
BodyRun decodeChunked(std::string_view body, const std::vector<std::size_t>& cuts,
                      const http::Limits& limits) {
  http::Header storage[8];
  http::ChunkedDecoder dec(limits, storage);
  BodyRun run;
  std::string buf;
  std::size_t from = 0;
  std::vector<std::size_t> all = cuts;
  all.push_back(body.size());
  for (std::size_t cut : all) {
    if (cut < from || cut > body.size()) continue;
    buf.append(body.substr(from, cut - from));
    from = cut;
    std::string_view in = buf;
    while (!in.empty() && !dec.done() && !dec.failed()) {
      http::ChunkedDecoder::Result r = dec.decode(in);
      check(r.consumed <= in.size());
      check(within(r.data, in.substr(0, r.consumed)));
      run.data.append(r.data);
      in.remove_prefix(r.consumed);
      run.consumed += r.consumed;
      if (r.consumed == 0) break;
    }
    if (dec.done() && run.trailers.empty()) {
      for (const http::Header& h : dec.trailers()) {
        run.trailers.push_back(std::string(h.name) + ":" + std::string(h.value));
      }
    }
    buf.erase(0, buf.size() - in.size());
    if (dec.failed() || dec.done()) break;
  }
  run.done = dec.done();
  run.inTrailers = dec.state == http::ChunkedDecoder::State::kTrailers;
  run.error = dec.failed() ? dec.error : http::ParseError::HPE_OK;
  if (!run.done && !dec.failed()) check(dec.finish() == http::ParseError::HPE_INVALID_EOF_STATE);
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // The first byte picks the limits and split points; the rest is the message.
  std::uint8_t knob = data[0];
  std::string_view buf(reinterpret_cast<const char*>(data + 1), size - 1);
  http::Limits limits;
  if (knob & 1) {
    limits.maxHeaderSize = 64 + (knob >> 1);
    limits.maxHeadersCount = 1 + (knob >> 5);
    limits.maxTargetLength = 8 + (knob >> 2);
    limits.maxChunkExtensionSize = 4 + (knob >> 3);
  }
  std::vector<std::size_t> splits;
  for (std::size_t i = 1 + (knob % 7); i < buf.size(); i += 1 + (knob % 13) + i / 3) {
    splits.push_back(i);
  }

  auto parseReq = [](std::string_view b, http::RequestHead& h, std::span<http::Header> hs,
                     const http::Limits& l,
                     std::size_t last) { return http::parseRequest(b, h, hs, l, last); };
  auto parseRes = [](std::string_view b, http::ResponseHead& h, std::span<http::Header> hs,
                     const http::Limits& l,
                     std::size_t last) { return http::parseResponse(b, h, hs, l, last); };

  http::Header reqHdrs[64];
  http::RequestHead req;
  std::ptrdiff_t n = headEverywhere(buf, limits, splits, parseReq, req, reqHdrs);
  if (n > 0) {
    check(within(req.method, buf) && within(req.target, buf) && !req.method.empty());
    std::string_view body = buf.substr(static_cast<std::size_t>(n));
    // Decode what follows as chunked whatever the head said: more coverage of the decoder.
    BodyRun whole = decodeChunked(body, {}, limits);
    std::vector<std::size_t> bodyCuts;
    for (std::size_t i = 1 + (knob % 5); i < body.size(); i += 1 + (knob % 11)) {
      bodyCuts.push_back(i);
    }
    for (const std::vector<std::size_t>& cuts :
         {bodyCuts, std::vector<std::size_t>{body.size() / 2},
          std::vector<std::size_t>{1, body.size() / 3, body.size() - 1}}) {
      BodyRun split = decodeChunked(body, cuts, limits);
      check(split.data == whole.data);
      // As for heads: a bad trailer may read as incomplete until the section's end shows up.
      if (split.inTrailers && whole.error != http::ParseError::HPE_OK) continue;
      check(split.done == whole.done && split.error == whole.error);
      check(split.trailers == whole.trailers);
      if (whole.done) check(split.consumed == whole.consumed);
    }
    if (req.body == http::BodyKind::kContentLength) {
      http::ContentLengthBody cl{req.contentLength};
      std::string_view got = cl.take(body);
      check(got.size() <= body.size());
      check(cl.done() == (cl.finish() == http::ParseError::HPE_OK));
    }
  }

  http::Header resHdrs[64];
  http::ResponseHead res;
  std::ptrdiff_t m = headEverywhere(buf, limits, splits, parseRes, res, resHdrs);
  if (m > 0) {
    check(res.status >= 100 && res.status <= 999);
    http::BodyKind k = http::responseBodyKind(res, knob & 2, knob & 4);
    if (k == http::BodyKind::kChunked) check(res.chunked);
  }
  return 0;
}
