// Internal: reads HTTP responses off a connection's bytes, one step at a time, for the client
// (ClientRequest) and, as the public http::ResponseParser (evnode/http_parser.h), for programs
// that own their connections (`evnode bench`, which pipelines).
//
//   reader.expect(isHead, isConnect);   // before each response
//   for (;;) switch (reader.next(pending)) { // `pending` loses what was consumed
//     case kNeedMore: read more, append to pending;  case kHead: reader.head() ...
//     case kBody: reader.body() ...;  case kEnd: reader.trailers() ...;  case kError: ...
//   }
//
// Views in head() and trailers() point into bytes the reader holds until the next call (the
// caller's `pending` may no longer hold them once they were consumed): copy what you keep. 1xx
// heads other than 101 are reported as kHead and then the final head follows; more than
// kMaxInformational of them before one final head is an error. After 101, or a 2xx to CONNECT, the
// connection is no longer HTTP: next() returns kNeedMore and leaves every byte to the caller.
#pragma once

#include <vector>

#include "evnode/buffer.h"
#include "http/parser.h"

namespace evnode::http {

class ResponseReader {
 public:
  enum class Step { kNeedMore, kHead, kBody, kEnd, kError };

  // Interim (1xx) responses read before a final one; the next is HPE_TOO_MANY_INFORMATIONAL.
  // Each is bounded by maxHeaderSize, but their number is not, and a server (or anything in
  // the path) that answers 100 Continue forever would keep the client reading and emitting
  // `information` with no end. A real exchange has one 100 Continue, perhaps a 103 Early Hints
  // or two, and the odd 102 Processing (deprecated by RFC 4918): 32 leaves a wide margin over
  // that (Go's net/http allowed 5 for years), while capping the work a hostile server can cause
  // at 32 heads, 512 KiB with the default limits.
  static constexpr int kMaxInformational = 32;

  explicit ResponseReader(Limits limits = {});

  // How the request this response answers was made (HEAD and CONNECT change the framing).
  void expect(bool head, bool connect) {
    head_ = head;
    connect_ = connect;
  }
  Step next(Buffer& in);
  // The connection ended: kEnd for a close-delimited body, kNeedMore between responses, else
  // kError (HPE_INVALID_EOF_STATE: the response was cut short).
  Step finish();

  const ResponseHead& head() const { return resHead_; }
  bool informational() const { return resHead_.status < 200 && resHead_.status != 101; }
  // The connection was taken over (101, CONNECT 2xx).
  bool switched() const { return state_ == State::kSwitched; }
  const Buffer& body() const { return body_; }
  std::span<Header> trailers() const { return chunked_.trailers(); }
  ParseError error() const { return error_; }
  BodyKind bodyKind() const { return kind_; }
  // Some bytes of a response have been read and it is not complete yet.
  bool midResponse() const {
    return state_ == State::kBody || state_ == State::kEndPending || lastLen_ > 0;
  }
  // The connection can carry another request after this response.
  bool reusable() const { return resHead_.keepAlive && kind_ != BodyKind::kUntilClose; }

 private:
  enum class State { kHead, kBody, kEndPending, kSwitched, kError };
  Step fail(ParseError e) {
    error_ = e;
    state_ = State::kError;
    return Step::kError;
  }

  Limits limits_;
  State state_ = State::kHead;
  std::vector<Header> headers_;
  std::vector<Header> trailerStore_;
  ResponseHead resHead_;
  std::size_t lastLen_ = 0;
  int informational_ = 0;  // 1xx heads since the last final head
  BodyKind kind_ = BodyKind::kNone;
  ContentLengthBody clBody_;
  ChunkedDecoder chunked_;
  Buffer body_;
  Buffer headBytes_;  // what head()'s views point into
  ParseError error_ = ParseError::HPE_OK;
  bool head_ = false;
  bool connect_ = false;
};

}  // namespace evnode::http
