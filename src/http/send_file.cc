// A file as a response body with sendfile(2): the head goes out through the response as usual,
// the file through net::detail::sendFile, ordered behind the head on the socket; the response
// ends when the file is sent, so the connection moves to its next request only then.
#include "http/send_file.h"

#include <string>

#include "core/tick.h"
#include "http/response_internal.h"
#include "net/send_file.h"

namespace evnode::http::detail {

bool canSendFile(const ServerResponse& res) {
  // A Transfer-Encoding of the caller's would frame the body; sendFile sends it bare.
  return !res.headersSent() && res.writable() && res.writableLength() == 0 && res.socket() &&
         !res.hasHeader("transfer-encoding") && net::detail::canSendFile(*res.socket());
}

void sendFile(const ResponsePtr& res, int fd, std::uint64_t offset, std::uint64_t length,
              std::function<void(const Error&, std::uint64_t)> cb) {
  if (!canSendFile(*res)) {
    throw Exception("ERR_INVALID_STATE",
                    "sendFile needs a fresh response on a plain TCP or Unix connection");
  }
  res->setHeader("Content-Length", std::to_string(length));
  // The head is queued on the socket now; the file's marker joins it in the same batch.
  res->flushHeaders();
  if (!ResponseInternal::rawBody(*res) || length == 0) {
    evnode::detail::queueTick([cb = std::move(cb)] { cb({}, 0); });
    res->end();
    return;
  }
  net::detail::sendFile(res->socket(), fd, offset, length,
                        [res, cb = std::move(cb)](const Error& err, std::uint64_t sent) {
                          // First the caller (its fd, its byte count), then the response's end,
                          // whose `finish` or `close` may be what the caller logs on.
                          cb(err, sent);
                          if (res->destroyed()) return;
                          if (err) {
                            // Fewer bytes than the head announced: only closing the
                            // connection tells the client.
                            res->destroy();
                          } else {
                            res->end();
                          }
                        });
}

}  // namespace evnode::http::detail
