// libFuzzer target for http::ChunkedDecoder: a chunked body (and whatever follows it) delivered
// whole, in two pieces split at a point taken from the data, in pieces whose sizes come from the
// data, and byte by byte. Checks:
//  - each decode() consumes at most its input, and its data is a view into what it consumed;
//  - every delivery decodes the same bytes, ends with the same error (or none), and, once done,
//    has consumed the same bytes and read the same trailers;
//  - the one documented lag: an incomplete trailer section is parsed again only once its end (or
//    a bare CR/LF, or the size limit) shows up, so a delivery in pieces may still be waiting in
//    the trailers where the whole input failed there. Then the framing up to the trailers must
//    agree, and the trailer section parsed whole must fail with the whole input's error;
//  - decodeAll() agrees with the loop, and reset() gives a decoder that decodes the same again;
//  - finish() says HPE_INVALID_EOF_STATE exactly when the body is incomplete.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "http/parser.h"

namespace http = evnode::http;
using State = http::ChunkedDecoder::State;

namespace {

using evnode::fuzz::check;
using evnode::fuzz::within;

struct Run {
  std::string data;
  std::size_t consumed = 0;  // input bytes the decoder has taken for good
  State state = State::kSize;
  http::ParseError error = http::ParseError::HPE_OK;
  std::vector<std::string> trailers;
};

// Feeds `body` to `dec` in pieces ending at `cuts` (increasing; the end is added), keeping what
// the decoder did not consume in front of the next piece, as a connection's reader does.
Run decode(http::ChunkedDecoder& dec, std::string_view body, std::vector<std::size_t> cuts) {
  Run run;
  std::string pending;  // a copy per delivery: views must never reach past what was delivered
  std::size_t from = 0;
  cuts.push_back(body.size());
  for (std::size_t cut : cuts) {
    if (cut < from || cut > body.size()) continue;
    pending.append(body.substr(from, cut - from));
    from = cut;
    std::string_view in = pending;
    while (!in.empty() && !dec.done() && !dec.failed()) {
      http::ChunkedDecoder::Result r = dec.decode(in);
      check(r.consumed <= in.size());
      check(within(r.data, in.substr(0, r.consumed)));
      check(r.data.size() <= r.consumed);
      run.data.append(r.data);
      run.consumed += r.consumed;
      in.remove_prefix(r.consumed);
      if (dec.done()) {
        for (const http::Header& h : dec.trailers()) {
          check(within(h.name, pending) && within(h.value, pending));
          run.trailers.push_back(std::string(h.name) + ":" + std::string(h.value));
        }
      }
      if (r.consumed == 0) break;
    }
    pending.erase(0, pending.size() - in.size());
    if (dec.failed() || dec.done()) break;
  }
  // Nothing moves a finished decoder.
  if (dec.done() || dec.failed()) check(dec.decode(body).consumed == 0);
  run.state = dec.state;
  run.error = dec.failed() ? dec.error : http::ParseError::HPE_OK;
  if (dec.failed()) check(dec.error != http::ParseError::HPE_OK);
  return run;
}

http::ChunkedDecoder makeDecoder(const http::Limits& limits, std::vector<http::Header>& storage) {
  return http::ChunkedDecoder(limits, std::span<http::Header>(storage));
}

// `piece` agrees with `whole`, allowing for the trailer lag described at the top.
void agree(const Run& whole, const Run& piece, std::string_view body, const http::Limits& limits,
           std::vector<http::Header>& storage) {
  check(piece.data == whole.data);
  if (piece.state == State::kTrailers && whole.state == State::kError) {
    // Waiting in the trailers: whole must have failed there, not in the framing before.
    std::string framing(body.substr(0, piece.consumed));
    http::ChunkedDecoder a = makeDecoder(limits, storage);
    Run upTo = decode(a, framing, {});
    check(upTo.state == State::kTrailers && upTo.data == whole.data);
    http::ChunkedDecoder t = makeDecoder(limits, storage);
    t.state = State::kTrailers;
    std::string section(body.substr(piece.consumed));
    Run trailers = decode(t, section, {});
    check(trailers.state == State::kError && trailers.error == whole.error);
    return;
  }
  check(piece.state == whole.state);
  check(piece.error == whole.error);
  if (whole.state == State::kDone) {
    check(piece.consumed == whole.consumed);
    check(piece.trailers == whole.trailers);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // Knob bytes: the limits and the trailer storage, then where to split.
  std::uint8_t knob = data[0];
  std::uint8_t splitKnob = data[1];
  std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  http::Limits limits;
  if (knob & 1) {  // small limits, so that inputs of fuzzer size reach them
    limits.maxChunkExtensionSize = 1 + (knob >> 3);
    limits.maxHeaderSize = 8 + (knob >> 1);
    limits.maxHeadersCount = 1 + (knob >> 6);
  }
  // No storage: trailers are checked and dropped. Else a few slots, which also bound them.
  std::vector<http::Header> storage((knob & 2) ? 1 + (knob >> 5) : 0);

  http::ChunkedDecoder dec = makeDecoder(limits, storage);
  Run whole = decode(dec, body, {});
  check(whole.consumed <= body.size());
  check(whole.data.size() <= whole.consumed);

  // finish(): an error exactly when the body is not complete.
  {
    http::ParseError e = dec.finish();
    if (whole.state == State::kDone) {
      check(e == http::ParseError::HPE_OK && dec.done());
    } else if (whole.state == State::kError) {
      check(e == whole.error);
    } else {
      check(e == http::ParseError::HPE_INVALID_EOF_STATE && dec.failed());
    }
  }

  // reset() and decode again: the same result.
  dec.reset();
  Run again = decode(dec, body, {});
  check(again.data == whole.data && again.state == whole.state && again.error == whole.error &&
        again.consumed == whole.consumed && again.trailers == whole.trailers);

  // decodeAll() on the whole input, with a fresh decoder.
  {
    http::ChunkedDecoder d = makeDecoder(limits, storage);
    std::string copy(body);
    std::string got;
    std::size_t n = d.decodeAll(copy, [&](std::string_view piece) { got.append(piece); });
    check(got == whole.data);
    check(d.state == whole.state);
    if (whole.state != State::kError) check(n == whole.consumed);
  }

  // Two pieces, split at a point from the data.
  std::size_t cut = body.empty() ? 0 : (splitKnob * 257u + body.size() / 2) % (body.size() + 1);
  {
    http::ChunkedDecoder d = makeDecoder(limits, storage);
    agree(whole, decode(d, body, {cut}), body, limits, storage);
  }

  // Pieces of 1..16 bytes, their sizes read from the data itself.
  {
    std::vector<std::size_t> cuts;
    std::size_t at = 0;
    for (std::size_t i = 0; at < body.size(); ++i) {
      at += 1 + (static_cast<unsigned char>(body[(i + splitKnob) % body.size()]) & 15);
      if (at < body.size()) cuts.push_back(at);
    }
    http::ChunkedDecoder d = makeDecoder(limits, storage);
    agree(whole, decode(d, body, cuts), body, limits, storage);
  }

  // Byte by byte (short inputs: the trailer rescans make it quadratic).
  if (body.size() <= 1024) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < body.size(); ++i) cuts.push_back(i);
    http::ChunkedDecoder d = makeDecoder(limits, storage);
    agree(whole, decode(d, body, cuts), body, limits, storage);
  }
  return 0;
}
