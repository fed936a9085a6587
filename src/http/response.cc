// ServerResponse: headers, the status line, framing (Content-Length, chunked, close-delimited)
// and the bytes it queues on the socket.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include "core/block_cache.h"
#include "core/thread_instance.h"
#include "evnode/http.h"
#include "http/connection.h"
#include "http/header_rules.h"
#include "http/header_storage.h"
#include "http/parser.h"
#include "http/response_internal.h"

namespace evnode::http {

namespace {
// The constructor is user-provided so that allocate_shared's value-initialization does not
// zero the whole object first (every member has its initializer).
struct MakeResponse : ServerResponse {
  MakeResponse() {}
};

// Bodies up to this size are copied next to the head; larger ones go out zero-copy.
constexpr std::size_t kInlineBody = 2048;

// Writes a head into space already made for it.
struct HeadWriter {
  char* p;
  void put(std::string_view s) {
    // Most pieces are a few bytes ("200 OK", ": ", a name): copied inline, not by a call.
    // (An empty view, no Date line say, may have no data to copy from: copyShort copies none.)
    copyShort(p, s.data(), s.size());
    p += s.size();
  }
  // The same for a piece readable up to the next multiple of 16 bytes past its end (the pieces
  // this file keeps: padded so): 16 bytes at a time, with no size dispatch and no call. What it
  // writes past the piece is overwritten by the next one, or lies past the committed end (the
  // room asked for has kSlack bytes to spare).
  static constexpr std::size_t kSlack = 16;
  void putPadded(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); i += 16) std::memcpy(p + i, s.data() + i, 16);
    p += s.size();
  }
  void number(std::uint64_t v) {
    if (v < 100) {  // a short body's length: its digits straight in, no loop and no copy
      if (v >= 10) *p++ = static_cast<char>('0' + v / 10);
      *p++ = static_cast<char>('0' + v % 10);
      return;
    }
    char buf[20];
    char* end = buf + sizeof buf;
    char* q = end;
    do {
      *--q = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
    put(std::string_view(q, static_cast<std::size_t>(end - q)));
  }
};

// What framing needs to know of the headers set: bits, gathered one field at a time.
enum FieldFacts : std::uint8_t {
  kHasLength = 1,
  kHasDate = 2,
  kHasConnection = 4,
  kConnectionClose = 8,
  kHasKeepAlive = 16,
  kHasTransferEncoding = 32,
  kChunked = 64,  // the last Transfer-Encoding field names chunked
};
// Adds what the field `n: v` says to `facts`. Only names of these lengths can matter: most
// headers cost one comparison.
[[gnu::always_inline]] inline void noteField(std::uint8_t& facts, std::string_view n,
                                             std::string_view v) {
  switch (n.size()) {
    case 14:
      if (equalsIgnoreCase(n, "content-length")) facts |= kHasLength;
      break;
    case 17:
      if (equalsIgnoreCase(n, "transfer-encoding")) {
        facts = static_cast<std::uint8_t>((facts & ~kChunked) | kHasTransferEncoding |
                                          (containsToken(v, "chunked") ? kChunked : 0));
      }
      break;
    case 4:
      if (equalsIgnoreCase(n, "date")) facts |= kHasDate;
      break;
    case 10:
      if (equalsIgnoreCase(n, "connection")) {
        facts |= kHasConnection | (containsToken(v, "close") ? kConnectionClose : 0);
      } else if (equalsIgnoreCase(n, "keep-alive")) {
        facts |= kHasKeepAlive;
      }
      break;
    default:
      break;
  }
}

// A chunk's size line.
void appendChunkSize(ByteBuffer& out, std::size_t n) {
  char hex[2 * sizeof(std::size_t) + 2];
  char* end = hex + sizeof hex;
  char* p = end - 2;
  std::memcpy(p, "\r\n", 2);
  do {
    *--p = "0123456789abcdef"[n & 15];
    n >>= 4;
  } while (n);
  out.append(std::string_view(p, static_cast<std::size_t>(end - p)));
}

// Fixed pieces of a head, padded for HeadWriter::putPadded.
constexpr char kStatusOk[32] = "HTTP/1.1 200 OK\r\n";
constexpr char kContentLength[32] = "Content-Length: ";
constexpr char kChunkedLine[32] = "Transfer-Encoding: chunked\r\n";

// The Connection lines a head gets (renderHead picks them): none (the handler set Connection),
// "Connection: close", or keep-alive with, past kKeepAlive, the Keep-Alive timeout in seconds
// (kKeepAlive itself: no Keep-Alive line).
enum : std::uint64_t { kNoConnectionLines = 0, kCloseLine = 1, kKeepAlive = 2 };

// "Date: Sun, 06 Dec 2026 10:33:17 GMT\r\n", formatted at most once a second: the clock is read
// only when the loop's time (updated once per loop turn) passes the next second, so there is no
// system call per response (Node refreshes its cached date on a timer the same way). English
// whatever the process's locale (strftime's %a and %b follow it).
struct DateLine {
  char buf[48];
  std::size_t len = 0;
  // In the loop's milliseconds; 0: none made yet. Each new line has a later one, so it also
  // tells the pieces made from an older line.
  std::uint64_t validUntil = 0;
};
[[gnu::noinline]] void remakeDateLine(DateLine& d, std::uint64_t now) {
  std::timespec ts;
  std::timespec_get(&ts, TIME_UTC);
  std::tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  static constexpr char kDays[] = "SunMonTueWedThuFriSat";
  static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  int n = std::snprintf(d.buf, sizeof d.buf, "Date: %.3s, %02d %.3s %04d %02d:%02d:%02d GMT\r\n",
                        kDays + 3 * tm.tm_wday, tm.tm_mday, kMonths + 3 * tm.tm_mon,
                        tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  d.len = static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof d.buf) - 1));
  d.validUntil = now + static_cast<std::uint64_t>(1000 - ts.tv_nsec / 1000000);
}

// The Date line (when `date`) and the Connection lines of `connection`, in the order Node sends
// them, as one piece readable up to the next multiple of 16 bytes past its end
// (HeadWriter::putPadded): most responses send both, and one cached piece is one copy. One
// piece is kept for `Connection: close` and one for the other kinds, so that a server answering
// close and keep-alive in turn does not remake them; a piece is made again when the date line or
// its kind changes.
struct HeadLines {
  struct Piece {
    char buf[160];  // at most 37 + 24 + 42 bytes used: the rest pads
    std::size_t len = 0;
    std::uint64_t key = ~std::uint64_t{0};
    std::uint64_t dateValidUntil = 0;  // of the date line it holds (0: none)
  };
  DateLine date;
  Piece pieces[2];
};
[[gnu::noinline]] void remakePiece(HeadLines::Piece& p, const DateLine* d, std::uint64_t key,
                                   std::uint64_t connection) {
  std::string lines;
  if (d) lines.append(d->buf, d->len);
  if (connection == kCloseLine) {
    lines += "Connection: close\r\n";
  } else if (connection >= kKeepAlive) {
    lines += "Connection: keep-alive\r\n";
    if (connection > kKeepAlive) {
      lines += "Keep-Alive: timeout=" + std::to_string(connection - kKeepAlive) + "\r\n";
    }
  }
  p.len = std::min(lines.size(), sizeof p.buf - 16);
  std::memcpy(p.buf, lines.data(), p.len);
  p.key = key;
  p.dateValidUntil = d ? d->validUntil : 0;
}
// The thread's piece for a head (see HeadLines), made again only when it is out of date.
std::string_view dateAndConnectionLines(bool date, std::uint64_t connection) {
  thread_local HeadLines h;  // trivially destroyed: safe in any order at thread exit
  const DateLine* d = nullptr;
  if (date) {
    const std::uint64_t now = Loop::current().now();
    if (now >= h.date.validUntil) [[unlikely]] {  // (0 before the first)
      remakeDateLine(h.date, now);
    }
    d = &h.date;
  }
  HeadLines::Piece& p = h.pieces[connection == kCloseLine ? 0 : 1];
  const std::uint64_t key = connection << 1 | (date ? 1 : 0);
  if (key != p.key || (d ? d->validUntil : 0) != p.dateValidUntil) [[unlikely]] {
    remakePiece(p, d, key, connection);
  }
  return {p.buf, p.len};
}
}  // namespace

ServerResponse::ServerResponse() = default;

ServerResponse::~ServerResponse() {
  HeaderStorage::recycle(headers_);
  HeaderStorage::recycle(trailers_);
}

ResponsePtr ResponseInternal::make(const RequestPtr& req, const SocketPtr& socket,
                                   Connection* conn) {
  auto res = std::allocate_shared<MakeResponse>(evnode::detail::CacheAllocator<MakeResponse>());
  res->req_ = req;
  res->socket_ = socket;
  res->conn_ = conn;
  return res;
}

void ResponseInternal::setup(ServerResponse& res, const IncomingMessage& req,
                             const RequestHead& head, const ServerOptions& o, bool forceClose) {
  res.headRequest_ = std::string_view(req.method) == "HEAD";
  res.clientHttp10_ = head.versionMinor == 0;
  res.closeAfter_ = forceClose || !head.keepAlive;
  res.expectContinue_ = head.expectContinue;
  res.keepAliveTimeoutSec_ = o.keepAliveTimeout / 1000;
}

ServerResponse& ServerResponse::setTimeout(std::uint64_t ms, std::function<void()> cb) {
  if (cb) on(Events::timeout, std::move(cb));
  if (socket_) {
    socket_->setTimeout(ms);
    Connection::watchSocketTimeout(*socket_);
  }
  return *this;
}

ServerResponse& ServerResponse::writeHead(int status, const HeaderList& headers) {
  return writeHead(status, "", headers);
}

ServerResponse& ServerResponse::writeHead(int status, HeaderList&& headers) {
  return writeHead(status, "", std::move(headers));
}

ServerResponse& ServerResponse::writeHead(int status, std::string_view message,
                                          const HeaderList& headers) {
  if (applyHead(status, message, headers)) copyHeaders(headers);
  return *this;
}

ServerResponse& ServerResponse::writeHead(int status, std::string_view message,
                                          HeaderList&& headers) {
  if (applyHead(status, message, headers)) {
    HeaderStorage::recycle(headers_);
    headers_ = std::move(headers);  // the caller's list is taken as it is
  }
  return *this;
}

ServerResponse& ServerResponse::writeHead(int status, HeaderViews headers) {
  return writeHead(status, "", headers);
}

ServerResponse& ServerResponse::writeHead(int status, std::string_view message,
                                          HeaderViews headers) {
  if (linesLen_ == 0 && headers_.empty() && renderLines(status, message, headers)) return *this;
  if (applyHead(status, message, headers)) copyHeaders(headers);
  return *this;
}

bool ServerResponse::renderLines(int status, std::string_view message, HeaderViews headers) {
  std::size_t bytes = 0;
  for (const auto& [n, v] : headers) bytes += n.size() + v.size() + 4;
  if (bytes > kLinesCap) return false;
  checkStatus(status, message);
  // A field that fails its check throws before linesLen_ is set: the lines written so far are
  // not the response's.
  HeadWriter w{lines_};
  std::uint8_t facts = 0;
  for (const auto& [n, v] : headers) {
    checkHeaderName(n);
    checkHeaderValue(n, v);
    w.put(n);
    w.put(": ");
    w.put(v);
    w.put("\r\n");
    noteField(facts, n, v);
  }
  statusCode = status;
  if (!message.empty()) statusMessage = message;
  linesLen_ = static_cast<std::uint16_t>(bytes);
  linesFacts_ = facts;
  return true;
}

void ServerResponse::unpackHeaders() const {
  if (linesLen_ == 0) return;
  // Lines this response rendered from checked fields: a name (no ':'), ": ", a value (no CR or
  // LF), CRLF.
  std::string_view rest(lines_, linesLen_);
  linesLen_ = 0;
  HeaderStorage::reuse(headers_);  // (empty: rendered lines exist only while no list does)
  while (!rest.empty()) {
    std::size_t colon = rest.find(':');
    std::size_t eol = rest.find("\r\n", colon);
    headers_.emplace_back(rest.substr(0, colon), rest.substr(colon + 2, eol - colon - 2));
    rest.remove_prefix(eol + 2);
  }
}

void ServerResponse::checkStatus(int status, std::string_view message) const {
  checkNotSent("write");
  if (status < 100 || status > 999) {
    throw Exception("ERR_HTTP_INVALID_STATUS_CODE",
                    "Invalid status code: " + std::to_string(status));
  }
  if (!message.empty()) checkHeaderValue("statusMessage", message);
}

template <class List>
bool ServerResponse::applyHead(int status, std::string_view message, const List& headers) {
  // Every check first: a throw changes nothing.
  checkStatus(status, message);
  for (const auto& [n, v] : headers) {
    checkHeaderName(n);
    checkHeaderValue(n, v);
  }
  statusCode = status;
  if (!message.empty()) statusMessage = message;
  if (linesLen_ != 0) unpackHeaders();  // a second writeHead merges into the first one's
  if (headers_.empty()) return true;
  // Names given here replace earlier setHeader values; repeated names in the list all stay.
  // (No structured binding here: clang before 16 cannot capture one in a lambda.)
  for (const auto& field : headers) {
    std::erase_if(headers_, [&](const auto& h) { return equalsIgnoreCase(h.first, field.first); });
  }
  for (const auto& [n, v] : headers) headers_.emplace_back(n, v);
  return false;
}

template <class List>
void ServerResponse::copyHeaders(const List& headers) {
  HeaderStorage::assignInto(
      headers_, headers, [](const auto& h) { return std::string_view(h.first); },
      [](const auto& h) { return std::string_view(h.second); });
}

void ServerResponse::renderHead(ByteBuffer& out, std::size_t bodyBytes, bool knownLength) {
  if (statusCode < 100 || statusCode > 999) {
    throw Exception("ERR_HTTP_INVALID_STATUS_CODE",
                    "Invalid status code: " + std::to_string(statusCode));
  }
  noBody_ = headRequest_ || statusCode == 204 || statusCode == 304 ||
            (statusCode >= 100 && statusCode < 200);
  // Answered before the client was told to send its body (Expect: 100-continue without a 100):
  // the client may or may not send it now, so the connection's framing is unknown after this
  // response. Node closes it too (shouldKeepAlive = false).
  if (expectContinue_ && !sentContinue_) closeAfter_ = true;
  // The server is closing: the response in flight is the connection's last; say so.
  if (conn_ && conn_->closeAfterResponse) closeAfter_ = true;
  // The headers are either writeHead's rendered lines or a list (unpackHeaders empties one
  // into the other).
  const std::string_view lines(lines_, linesLen_);
  std::uint8_t facts = linesFacts_ & (linesLen_ != 0 ? 0xff : 0);
  std::size_t headerBytes = lines.size();
  for (const auto& [n, v] : headers_) {
    headerBytes += n.size() + v.size() + 4;
    noteField(facts, n, v);
  }
  if (facts & kHasTransferEncoding) {
    userTransferEncoding_ = true;
    chunked_ = (facts & kChunked) != 0;
  }
  if (facts & kConnectionClose) closeAfter_ = true;
  const bool hasLength = facts & kHasLength, hasDate = facts & kHasDate,
             hasConnection = facts & kHasConnection, hasKeepAlive = facts & kHasKeepAlive;

  // Framing. 204/304/1xx carry none; HEAD announces what GET would send when it is known.
  bool putLength = false, putChunked = false;
  if (!(statusCode == 204 || statusCode == 304 || statusCode < 200) && !hasLength &&
      !userTransferEncoding_) {
    if (knownLength) {
      putLength = true;
    } else if (!headRequest_) {
      if (clientHttp10_) {
        closeAfter_ = true;  // HTTP/1.0 has no chunked coding: the body ends with the connection
      } else {
        chunked_ = true;
        putChunked = true;
      }
    }
  }
  std::uint64_t connection = kNoConnectionLines;
  if (!hasConnection) {
    connection = closeAfter_ ? kCloseLine : kKeepAlive + (hasKeepAlive ? 0 : keepAliveTimeoutSec_);
  }
  const bool putDate = sendDate && !hasDate;
  const std::string_view dateAndConnection = putDate || connection != kNoConnectionLines
                                                 ? dateAndConnectionLines(putDate, connection)
                                                 : std::string_view();
  const bool plainOk = statusCode == 200 && statusMessage.empty();
  const std::string_view reason = plainOk                 ? std::string_view("OK")
                                  : statusMessage.empty() ? STATUS_CODES(statusCode)
                                                          : std::string_view(statusMessage);

  // The head's size is bounded up front, so it is written with plain copies into room made
  // once (a dozen string appends, each checking capacity, cost more than the bytes): status
  // line, fields, framing (at most 38), Date and Connection, the blank line.
  const std::size_t bound = 15 + reason.size() + headerBytes + dateAndConnection.size() + 40 + 2;
  HeadWriter w{out.room(bound + HeadWriter::kSlack)};
  if (plainOk) {
    w.putPadded(kStatusOk);
  } else {
    w.put("HTTP/1.1 ");
    w.number(static_cast<std::uint64_t>(statusCode));
    w.put(" ");
    w.put(reason);
    w.put("\r\n");
  }
  w.putPadded(lines);
  for (const auto& [n, v] : headers_) {
    w.put(n);
    w.put(": ");
    w.put(v);
    w.put("\r\n");
  }
  if (putLength) {
    w.putPadded(kContentLength);
    w.number(bodyBytes);
    w.put("\r\n");
  } else if (putChunked) {
    w.putPadded(kChunkedLine);
  }
  w.putPadded(dateAndConnection);
  w.put("\r\n");
  out.commit(w.p);
}

void ServerResponse::flushHeaders() {
  if (headerSent_) return;
  sendBody({}, false, nullptr);
}

void ServerResponse::sendRaw(std::string_view bytes) {
  if (conn_) {
    conn_->output() += bytes;
    if (!conn_->batching()) conn_->flushOutput();
  } else if (socket_ && !socket_->destroyed()) {
    socket_->write(Buffer::from(bytes));
  }
}

void ServerResponse::writeContinue() {
  if (!socket_ || sentContinue_) return;
  sentContinue_ = true;
  sendRaw("HTTP/1.1 100 Continue\r\n\r\n");
}

void ServerResponse::writeProcessing() { sendRaw("HTTP/1.1 102 Processing\r\n\r\n"); }

void ServerResponse::writeEarlyHints(const HeaderList& hints) {
  std::string out = "HTTP/1.1 103 Early Hints\r\n";
  for (const auto& [n, v] : hints) {
    checkHeaderName(n);
    checkHeaderValue(n, v);
    out += n + ": " + v + "\r\n";
  }
  out += "\r\n";
  sendRaw(out);
}

bool ServerResponse::canEndAtOnce() const {
  if (headerSent_ || hasBodyWrite_) return false;
  return untouched() || (writable() && writableLength() == 0 && writableCorked() == 0);
}

ServerResponse& ServerResponse::end(Callback cb) {
  if (canEndAtOnce()) {
    endAtOnce({}, nullptr, std::move(cb));
    return *this;
  }
  inEnd_ = true;
  Writable::end(std::move(cb));
  inEnd_ = false;
  return *this;
}

ServerResponse& ServerResponse::end(std::string_view str, Callback cb) {
  if (str.size() <= kInlineBody && canEndAtOnce()) {
    endAtOnce(str, nullptr, std::move(cb));
    return *this;
  }
  return end(Buffer::from(str), std::move(cb));
}

ServerResponse& ServerResponse::end(Buffer chunk, Callback cb) {
  if (canEndAtOnce()) {
    endAtOnce(chunk.view(), &chunk, std::move(cb));
    return *this;
  }
  inEnd_ = true;
  Writable::end(std::move(chunk), std::move(cb));
  inEnd_ = false;
  return *this;
}

void ServerResponse::endAtOnce(std::string_view text, const Buffer* body, Callback&& cb) {
  // The whole response is known: the head with its Content-Length, and a small body next to it,
  // go straight into the thread's cork buffer (one write with the other responses of this
  // read), without the Writable queue, _final or a socket write of their own. A larger body
  // follows the head zero-copy.
  ByteBuffer orphan;  // the connection is gone: rendered (for the checks), dropped
  ByteBuffer& out = conn_ ? conn_->output() : orphan;
  const std::size_t mark = out.size();
  try {
    renderHead(out, text.size(), true);
  } catch (...) {
    out.truncate(mark);  // an invalid status code: nothing was sent
    throw;
  }
  headerSent_ = true;
  endedAtOnce_ = true;
  const bool big = text.size() > kInlineBody;
  // The handler set Transfer-Encoding: chunked itself: the body is one chunk and the last one.
  const bool framed = chunked_ && !noBody_;
  if (framed && !text.empty()) appendChunkSize(out, text.size());
  if (!noBody_ && !big) out += text;
  if (!conn_) {
    orphan.clear();
  } else if (!noBody_ && big) {
    conn_->flushOutput(body);
  }
  if (framed) {
    ByteBuffer& tail = conn_ ? conn_->output() : orphan;  // (a flush gave the buffer up)
    if (!text.empty()) tail += "\r\n";
    appendLastChunk(tail, trailers_);
    if (!conn_) orphan.clear();
  }
  if (conn_ && !conn_->batching()) conn_->flushOutput();
  endSent(std::move(cb));
  if (conn_) conn_->onResponseQueued(this);
}

void ServerResponse::_write(const Buffer& chunk, WriteCallback cb) {
  Buffer one = chunk;
  sendBody(std::span<Buffer>(&one, 1), false, &cb);
}

void ServerResponse::_writev(std::vector<Buffer>& chunks, WriteCallback cb) {
  sendBody(chunks, false, &cb);
}

void ServerResponse::_final(std::function<void(const Error&)> cb) {
  sendBody({}, true, nullptr);
  if (conn_) conn_->onResponseQueued(this);
  cb({});
}

bool ServerResponse::autoDestroy() const {
  // After `finish`, destroying a response only sets its destroyed/closed state and emits
  // `close`. When no one holds it any more (the finishing tick's own reference is the only one)
  // and no one listens for `close`, nobody can see either: it is simply freed, without the
  // destroy call, its callback and the `close` tick (a third of a small response's cost).
  if (writableFinished() && !destroyed() && !errored() &&
      listenerCount(Stream::Events::close) == 0 && listenerCount(Stream::Events::error) == 0 &&
      weak_from_this().use_count() == 1) {
    return false;
  }
  return Writable::autoDestroy();
}

void ServerResponse::_destroy(const Error& err, std::function<void(const Error&)> cb) {
  // A response destroyed before it finished leaves the connection in an unknown state. (Its
  // connection may have let go of it already, once all of it was queued.)
  if (socket_ && !writableFinished() && !socket_->destroyed()) socket_->destroy();
  conn_ = nullptr;
  cb(err);
}

// Queues head (if not sent yet), body chunks with their framing, and with `last` the end of
// the body, on the socket. Completes `cb` at once unless the socket is backed up. The head, the
// framing and a small body are rendered into one buffer: one socket write, one iovec.
void ServerResponse::sendBody(std::span<Buffer> chunks, bool last, WriteCallback* cb) {
  std::size_t total = 0;
  for (const auto& c : chunks) total += c.length();
  // The batched responses before this one go first.
  if (conn_) conn_->flushOutput();
  // Reused: no allocation per response once warm.
  struct Text {
    ByteBuffer bytes;
  };
  Text* reused = evnode::detail::threadInstance<Text>();
  ByteBuffer exiting;  // the thread's buffer is gone
  ByteBuffer& text = reused ? reused->bytes : exiting;
  text.clear();
  if (!headerSent_) {
    // end(data) as the only write, or end() with nothing written: the length is known.
    bool known = (inEnd_ && !hasBodyWrite_) || (last && !hasBodyWrite_);
    renderHead(text, total, known);
    headerSent_ = true;
  }
  if (!last && !inEnd_) hasBodyWrite_ = true;

  // A socket that is already gone takes nothing. As in Node (_writeRaw), the bytes are dropped
  // without an error: the response's close follows the socket's, and an `error` here would end
  // the process of a handler that answers a client who just left.
  const bool live = socket_ && !socket_->destroyed();
  bool ok = true;
  auto put = [&](Buffer b) {
    if (live) ok = socket_->write(std::move(b));
  };
  auto flushText = [&] {
    if (!text.empty()) put(Buffer::from(text.view().data(), text.size()));
    text.clear();
  };
  auto putBody = [&] {
    if (total <= kInlineBody) {
      for (const auto& c : chunks) text.append(c.view());
    } else {
      flushText();
      for (auto& c : chunks) {
        if (!c.empty()) put(std::move(c));
      }
    }
  };
  if (!noBody_ && total > 0) {
    if (chunked_) {
      appendChunkSize(text, total);
      putBody();
      text += "\r\n";
    } else {
      putBody();
    }
  }
  if (last && chunked_ && !noBody_) appendLastChunk(text, trailers_);
  flushText();
  if (!cb) return;
  if (ok || !conn_) {
    (*cb)();
  } else {
    conn_->waitForDrain(*cb);  // backpressure: the response's own buffer fills meanwhile
  }
}

}  // namespace evnode::http
