// Internal: zero-copy file sending on a net::Socket with sendfile(2), for the HTTP server's
// static files. Only a socket with a kernel socket of its own (TCP or Unix) can do it; a layered
// socket (tls::TLSSocket) cannot, and its caller reads the file and writes it instead.
//
// Order. sendFile() writes an empty "marker" Buffer through the socket's ordinary write path, so
// the Writable queues it behind every earlier write (the HTTP head) and holds every later one
// until the file is sent. The socket's output queue (out_queue.h) sends a batch holding a marker
// itself, bytes with sendmsg and file ranges with sendfile on the socket's descriptor, in order,
// and completes the batch's write callback after the last byte, as for any write.
//
// Waiting. When the kernel says EAGAIN, the socket's own watcher (poller.h) watches for
// writability, as for any write the kernel did not take: no second registration and no extra
// descriptor per transfer, so a slow reader costs its socket and the file, nothing more.
//
// Accounting. bytesWritten() counts the file bytes as they go, each step refreshes the socket's
// setTimeout() countdown, and writableLength() does not count them (they are not in memory), so
// later writes see the socket's usual backpressure.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "evnode/net.h"

namespace evnode::net {

namespace internal {

// Whether `socket` has a kernel socket of its own to sendfile() into: connected TCP or Unix,
// not destroyed, still writable. False for a tls::TLSSocket.
bool canSendFile(const Socket& socket);

// Sends bytes [offset, offset + length) of the regular file `fd` on `socket` after everything
// written to it before, and before anything written after. `cb(err, sent)` runs once, when the
// last byte is with the kernel or on failure (EPIPE/ECONNRESET when the peer left, EOF if the
// file is shorter than announced, ECANCELED when the socket is destroyed first, or
// ERR_STREAM_DESTROYED when it already was); `sent` is how many file bytes went out. `fd` must stay
// open until then, and is the caller's to close. Throws ERR_INVALID_STATE on a socket without a
// kernel socket of its own (check canSendFile() first) and ERR_OUT_OF_RANGE for a range past 2^63.
// SIGPIPE is ignored by the Loop, so a vanished peer is an error, never a signal.
void sendFile(const std::shared_ptr<Socket>& socket, int fd, std::uint64_t offset,
              std::uint64_t length, std::function<void(const Error&, std::uint64_t)> cb);

}  // namespace internal

}  // namespace evnode::net
