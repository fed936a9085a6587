// Internal: short cuts for the one consumer that owns a socket (the HTTP server's connection),
// for what it does once per read: take the bytes read and write the answer.
//
// A socket's reads normally travel Readable::push -> buffer or emit(`data`) -> a listener, and
// its writes Writable::write -> queue/cork -> _writev -> the kernel -> a completion tick. For a
// connection that reads one request and writes one response per read, that is most of the
// user-space cost of a request. These keep Node's stream semantics for everybody else:
//
// - setConsumer(): the consumer is a `data` listener like any other (registered now, so the
//   stream flows and a paused or backed-up stream still buffers and stops reading), but while it
//   is the only one and the stream flows with nothing buffered, the socket hands it each read
//   directly. Another `data` or `readable` listener, a pipe, pause() or an encoding put the
//   stream path back for as long as they last (as Node's HTTP server unconsumes its socket).
// - corkedOutput() / uncorkOutput(): the thread's cork buffer. The bytes a consumer renders
//   while it handles one read (pipelined responses) gather in it and leave in one writeNow. It
//   holds one socket's bytes at a time: another socket that wants it writes those out first.
// - writeNow(): with nothing queued, written or corked on the socket, the bytes go to the
//   kernel at once; whatever it does not take waits in the socket's output queue
//   (out_queue.h), ahead of the next write. When the state is not that simple, every byte goes
//   through the socket's ordinary write, which keeps order, backpressure and `drain`. A failed
//   write is the socket's error, as a failed ordinary write is.
#pragma once

#include <string_view>

#include "core/byte_buffer.h"
#include "evnode/net.h"

namespace evnode::net {

namespace internal {

// The one consumer that may take a socket's reads directly (the HTTP server's connection).
class SocketConsumer {
 public:
  // A chunk read from the socket (a view of a read slab: copy what must outlive the call).
  virtual void onData(const Buffer& chunk) = 0;
  // The socket's `error` (its `close` follows).
  virtual void onError(const Error& err) { (void)err; }
  // The socket's `close`, before its `close` listeners; the consumer is already detached.
  virtual void onClose() = 0;

 protected:
  ~SocketConsumer() = default;
};

// Attaches `consumer` in place of the current one (nullptr: just detaches it, which removes its
// listeners as off() would). The socket detaches it by itself when it closes, just before
// onClose(). The socket holds no reference: the consumer must outlive its attachment.
//
// `lazy` (a socket with a descriptor of its own; a WebSocket): the consumer's `data` and `error`
// listeners are registered only once something needs them (112 bytes an idle connection does
// not carry): the first read that takes the stream's path (the socket paused, another `data` or
// `readable` listener, an encoding), a `data` or `readable` listener added, or a destroy() with
// an error. They are then prepended, so they run where listeners registered at attach time
// would (before those added since), and from then on the socket behaves as an eager one.
// Until then listenerCount() does not count them, and removeAllListeners() leaves the consumer
// without its reads, as it would remove its listeners.
void setConsumer(Socket& socket, SocketConsumer* consumer, bool lazy = false);

// The consumer attached to `socket`, or null.
SocketConsumer* consumerOf(const Socket& socket);

// Writes `bytes` and then `*then` (if given) as Socket::write would, without the auto-cork
// tick. `keep(rest)` makes the Buffer that holds bytes the kernel did not take (default
// Buffer::from). Returns false if the caller should wait for `drain`.
bool writeNow(Socket& socket, std::string_view bytes, const Buffer* then = nullptr,
              Buffer (*keep)(std::string_view) = nullptr);
inline bool writeNow(Socket& socket, const Buffer& chunk) {
  return writeNow(socket, std::string_view(), &chunk);
}

// The thread's cork buffer, for bytes of `socket` (the bytes of another socket in it are
// written out first). Append to it; uncorkOutput() writes them.
evnode::detail::ByteBuffer& corkedOutput(Socket& socket);
// Writes what `socket` has in the cork buffer and then `*then` (if given) with one writeNow,
// unless the socket was destroyed or ended meanwhile (the bytes are dropped then). Returns false
// if the caller should wait for `drain` (writeNow's answer), true when nothing was written.
bool uncorkOutput(Socket& socket, const Buffer* then = nullptr);
// The socket whose bytes the thread's cork buffer holds (a plain pointer: readable at any time,
// also while the thread exits).
extern thread_local Socket* corkOwner;
void dropCorkedBytes();
// `socket` is going: bytes of it still in the cork buffer are dropped.
inline void dropCorkedOutput(const Socket& socket) {
  if (corkOwner == &socket) dropCorkedBytes();
}

// Whether bytes written to `socket` wait for the kernel to take them (a write the kernel did
// not take at once, a file transfer waiting for room, or queued writes): while this holds and
// bytesWritten() does not move, the peer is not reading (the HTTP server's sendTimeout).
bool outputWaiting(const Socket& socket);

}  // namespace internal
}  // namespace evnode::net
