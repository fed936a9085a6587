// ResponseReader: response heads and bodies (Content-Length, chunked, close-delimited) from a
// byte stream, without copying body bytes.
#include "http/response_reader.h"

namespace evnode::http {

ResponseReader::ResponseReader(Limits limits)
    : limits_(limits),
      headers_(128),
      trailerStore_(64),
      chunked_(limits, std::span<Header>(trailerStore_)) {}

ResponseReader::Step ResponseReader::next(Buffer& in) {
  switch (state_) {
    case State::kError:
      return Step::kError;
    case State::kSwitched:
      return Step::kNeedMore;
    case State::kEndPending:
      state_ = State::kHead;
      return Step::kEnd;
    case State::kHead: {
      if (in.empty()) return Step::kNeedMore;
      std::ptrdiff_t n =
          parseResponse(in.view(), resHead_, std::span<Header>(headers_), limits_, lastLen_);
      if (n == kIncomplete) {
        lastLen_ = in.length();
        return Step::kNeedMore;
      }
      lastLen_ = 0;
      if (n < 0) return fail(resHead_.error);
      // head()'s views point into these bytes; `in` may have been the only owner of them (a
      // head completed by a read that ends where the head does).
      headBytes_ = in;
      in = in.slice(n);
      const int status = resHead_.status;
      if (status == 101 || (connect_ && status >= 200 && status < 300)) {
        state_ = State::kSwitched;
        kind_ = BodyKind::kNone;
        return Step::kHead;
      }
      if (status < 200) {
        if (++informational_ > kMaxInformational) {
          return fail(ParseError::HPE_TOO_MANY_INFORMATIONAL);
        }
        kind_ = BodyKind::kNone;  // interim: the final head follows
        return Step::kHead;
      }
      informational_ = 0;
      kind_ = responseBodyKind(resHead_, head_, connect_);
      if (kind_ == BodyKind::kNone ||
          (kind_ == BodyKind::kContentLength && resHead_.contentLength == 0)) {
        state_ = State::kEndPending;
      } else {
        state_ = State::kBody;
        clBody_.remaining = resHead_.contentLength;
        chunked_.reset();
      }
      return Step::kHead;
    }
    case State::kBody:
      break;
  }
  if (in.empty()) return Step::kNeedMore;
  if (kind_ == BodyKind::kUntilClose) {
    body_ = in;
    in = Buffer();
    return Step::kBody;
  }
  if (kind_ == BodyKind::kContentLength) {
    std::size_t n = clBody_.take(in.view()).size();
    body_ = in.slice(0, static_cast<std::int64_t>(n));
    in = in.slice(static_cast<std::int64_t>(n));
    if (clBody_.done()) state_ = State::kEndPending;
    return Step::kBody;
  }
  // Chunked: framing is consumed until a piece of data, the end, or the need for more bytes.
  while (!in.empty()) {
    auto r = chunked_.decode(in.view());
    if (chunked_.failed()) return fail(chunked_.error);
    std::size_t offset = static_cast<std::size_t>(r.data.data() - in.view().data());
    Buffer data = r.data.empty() ? Buffer() : in.slice(offset, offset + r.data.size());
    if (chunked_.done()) {
      // Trailers are views into `in`: keep those bytes until the caller has read them.
      body_ = in.slice(0, r.consumed);
      in = in.slice(r.consumed);
      state_ = State::kHead;
      if (!data.empty()) {
        body_ = data;
        state_ = State::kEndPending;
        return Step::kBody;
      }
      return Step::kEnd;
    }
    in = in.slice(r.consumed);
    if (!data.empty()) {
      body_ = data;
      return Step::kBody;
    }
    if (r.consumed == 0) break;
  }
  return Step::kNeedMore;
}

ResponseReader::Step ResponseReader::finish() {
  if (state_ == State::kBody && kind_ == BodyKind::kUntilClose) {
    state_ = State::kHead;
    return Step::kEnd;
  }
  if (state_ == State::kEndPending) {
    state_ = State::kHead;
    return Step::kEnd;
  }
  if (state_ == State::kError) return Step::kError;
  if (state_ == State::kSwitched || (state_ == State::kHead && lastLen_ == 0))
    return Step::kNeedMore;
  return fail(ParseError::HPE_INVALID_EOF_STATE);
}

}  // namespace evnode::http
