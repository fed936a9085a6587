// Internal: a static file as a ServerResponse's body, zero-copy (sendfile(2)) when the
// connection is a plain TCP or Unix socket. `evnode serve` uses it; over TLS it reads the file
// and writes it instead (canSendFile() says which).
#pragma once

#include <cstdint>
#include <functional>

#include "evnode/http.h"

namespace evnode::http::detail {

// Whether sendFile() can answer `res`: the head is not sent yet, nothing was written, and the
// response's socket has a kernel socket of its own (not TLS) and is still writable.
bool canSendFile(const ServerResponse& res);

// Sends the head with `Content-Length: length` (replacing any), then bytes [offset, offset +
// length) of the regular file `fd` straight from the kernel to the socket, then ends the response
// as end() would (keep-alive and pipelining go on as usual). `cb(err, sent)` runs once, before
// the response finishes, when the file is no longer needed: the caller closes `fd` there. `sent`
// counts the file bytes that went out. On an error (the client left, the file shrank) the
// response is destroyed, which closes the connection. A HEAD, 204 or 304 response gets its head
// only. Write nothing else to the response meanwhile. Throws ERR_INVALID_STATE when
// canSendFile() is false.
void sendFile(const ResponsePtr& res, int fd, std::uint64_t offset, std::uint64_t length,
              std::function<void(const Error&, std::uint64_t)> cb);

}  // namespace evnode::http::detail
