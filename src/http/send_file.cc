// ServerResponse::sendFile: a file as a response body. On a plain TCP or Unix connection the head
// goes out through the response as usual and the file through net::internal::sendFile, ordered
// behind the head on the socket (sendfile(2): the bytes never enter this process). A layered
// socket (TLS) has no kernel socket to sendfile() into, so the file is read and written through.
// Either way the response ends when the file is sent, so the connection moves to its next
// request only then.
#include <memory>
#include <string>

#include <uv.h>

#include "core/tick.h"
#include "evnode/fs.h"
#include "http/response_internal.h"
#include "net/send_file.h"

namespace evnode::http {

namespace {

using SentCallback = std::function<void(const Error&, std::uint64_t)>;

// Fewer bytes than the head announced (or none of the rest): only closing the connection tells
// the client.
void endOrDestroy(ServerResponse& res, const Error& err) {
  if (res.destroyed()) return;
  if (err) {
    res.destroy();
  } else {
    res.end();
  }
}

// The file read in 256 KiB pieces and piped into the response (pipe() pauses the file while the
// response is over its high-water mark); the response is ended here, not by pipe(), since a file
// shorter than announced must end the connection instead. `cb` runs once: at the file's end, on a
// read error, or when the response goes away first (ECANCELED).
void streamFile(const ResponsePtr& res, int fd, std::uint64_t offset, std::uint64_t length,
                SentCallback cb) {
  fs::ReadStreamOptions o;
  o.fd = fd;
  o.autoClose = false;  // the caller's descriptor: it closes it in `cb`
  o.start = offset;
  o.end = offset + length - 1;
  // Each read is this big: fewer trips to the thread pool and fewer, larger TLS records, while a
  // transfer still holds only a few chunks in memory.
  o.highWaterMark = 256 * 1024;
  auto rs = fs::createReadStream("", o);
  struct Transfer {
    SentCallback cb;
    std::uint64_t sent = 0;
    void done(const Error& err) {
      if (!cb) return;
      auto f = std::move(cb);
      cb = nullptr;
      f(err, sent);
    }
  };
  auto t = std::make_shared<Transfer>();
  t->cb = std::move(cb);
  rs->on(Readable::Events::data, [t](const Buffer& chunk) { t->sent += chunk.length(); });
  rs->on(Readable::Events::end, [res, t, length] {
    // The file got shorter than the head announced: as net's sendFile says it.
    Error err = t->sent < length ? Error::fromUv(UV_EOF, "read") : Error();
    t->done(err);
    endOrDestroy(*res, err);
  });
  rs->on(Readable::Events::error, [res, t](const Error& err) {
    t->done(err);
    endOrDestroy(*res, err);
  });
  // The client left (or the response was destroyed) before the file was read.
  std::weak_ptr<fs::ReadStream> weak = rs;
  res->on(Writable::Events::close, [t, weak] {
    if (auto r = weak.lock()) r->destroy();
    t->done(Error::fromUv(UV_ECANCELED, "write"));
  });
  rs->pipe(res, {.end = false});
}

}  // namespace

void ServerResponse::sendFile(int fd, std::uint64_t offset, std::uint64_t length,
                              std::function<void(const Error&, std::uint64_t)> cb) {
  // A Transfer-Encoding of the caller's would frame the body; the file goes out bare.
  if (headersSent() || !writable() || writableLength() != 0 || !socket() ||
      hasHeader("transfer-encoding")) {
    throw Exception("ERR_INVALID_STATE",
                    "sendFile needs a response with nothing sent or written yet");
  }
  if (length > (std::uint64_t{1} << 63) || offset > (std::uint64_t{1} << 63) - length) {
    throw Exception("ERR_OUT_OF_RANGE", "sendFile: the file range is past 2^63");
  }
  ResponsePtr res(self(), this);  // Stream is a virtual base: no static cast down from it
  const bool zeroCopy = net::internal::canSendFile(*socket());
  setHeader("Content-Length", std::to_string(length));
  // The head is queued on the socket now; the file's marker joins it in the same batch.
  flushHeaders();
  if (!ResponseInternal::rawBody(*this) || length == 0) {
    evnode::detail::queueTick([cb = std::move(cb)] { cb({}, 0); });
    end();
    return;
  }
  if (!zeroCopy) return streamFile(res, fd, offset, length, std::move(cb));
  net::internal::sendFile(socket(), fd, offset, length,
                          [res, cb = std::move(cb)](const Error& err, std::uint64_t sent) {
                            // First the caller (its fd, its byte count), then the response's end,
                            // whose `finish` or `close` may be what the caller logs on.
                            cb(err, sent);
                            endOrDestroy(*res, err);
                          });
}

}  // namespace evnode::http
