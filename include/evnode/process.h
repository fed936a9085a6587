// evnode/process.h — the process: stdin/stdout/stderr as streams, signal listeners, exit, pid,
// memory usage (Node's `process` object, the parts a networked program uses).
//
//   process::stdin()->pipe(socket);                 // a chat client
//   socket->pipe(process::stdout());
//   process::onSignal(SIGINT, [] { server->close(); });
//
// The stdio streams work whatever the descriptor is: a terminal (uv_tty_t; writes block, as
// in Node), a pipe or socket (uv_pipe_t / uv_tcp_t; asynchronous with backpressure), a regular
// file or device (reads on the thread pool; writes synchronous, as Node's SyncWriteStream), or
// a closed descriptor (stdin ends at once, writes are discarded). Each is created on first
// use, one per thread, on that thread's loop: with several loops (evnode/cluster.h,
// evnode/worker_threads.h) each thread writes through its own stream to the same descriptor, so
// whole writes do not interleave but their order between threads is the order they reach the
// descriptor. Read stdin from one thread only. Signal listeners, exit() and kill() are the
// process's; the uncaught-error handler (events.h) is one per process too.
//
// Note: glibc defines `stdin`, `stdout` and `stderr` as macros that expand to themselves, so
// `process::stdin()` compiles; C libraries that define them differently (musl) do not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "evnode/error.h"
#include "evnode/stream.h"

/// The process: Node's `process` object, the parts a networked program uses.
namespace evnode::process {

/// process.stdin. It does not keep the loop alive until it is read from (a `data` listener,
/// resume(), pipe(), read()), and pause() stops reading so the process can exit, as in Node.
/// End of input emits `end`. Destroying it never closes descriptor 0.
class StdinStream : public Readable {
 public:
  virtual int fd() const = 0;      ///< 0
  virtual bool isTTY() const = 0;  ///< whether stdin is a terminal (Node's process.stdin.isTTY)
  /// Raw mode (no line editing or echo; Ctrl-C arrives as a byte). Throws
  /// Exception(ERR_TTY_INIT_FAILED) if stdin is not a terminal. Reset at exit.
  virtual StdinStream& setRawMode(bool raw) = 0;
  virtual bool isRaw() const = 0;  ///< whether raw mode is on

 protected:
  /// For the implementation (src/process); use stdin().
  StdinStream(ReadableOptions opts) : Readable(std::move(opts)) {}
};

/// process.stdout / process.stderr. end() and destroy() never close the descriptor.
class StdoutStream : public Writable {
 public:
  virtual int fd() const = 0;      ///< 1 or 2
  virtual bool isTTY() const = 0;  ///< whether the descriptor is a terminal
  /// The terminal's size (0 when not a terminal).
  virtual int columns() const = 0;
  virtual int rows() const = 0;  ///< as columns()

 protected:
  /// For the implementation (src/process); use stdout() and stderr().
  StdoutStream(WritableOptions opts) : Writable(std::move(opts)) {}
};

std::shared_ptr<StdinStream> stdin();    ///< this thread's process.stdin (descriptor 0)
std::shared_ptr<StdoutStream> stdout();  ///< this thread's process.stdout (descriptor 1)
std::shared_ptr<StdoutStream> stderr();  ///< this thread's process.stderr (descriptor 2)

/// A signal listener (Node's process.on('SIGINT', fn)). Like Node's, it does NOT keep the loop
/// alive by default — the process still exits when nothing else is pending; ref() makes it keep
/// the loop running (a daemon that waits only for signals). It stays installed until close(),
/// even if the shared_ptr is dropped. While any listener for a signal exists, the signal's
/// default action (terminating the process) does not happen.
class SignalListener {
 public:
  virtual ~SignalListener() = default;
  virtual int signum() const = 0;   ///< the signal listened for
  virtual void ref() = 0;           ///< keep the loop running while installed
  virtual void unref() = 0;         ///< let the loop end (the default)
  virtual bool hasRef() const = 0;  ///< whether ref() is in effect
  /// Removes the listener (safe from inside it, and repeatedly).
  virtual void close() = 0;
};
using SignalListenerPtr = std::shared_ptr<SignalListener>;  ///< what onSignal() returns

/// Calls `listener` on the loop thread each time `signum` arrives. A signal is process-wide
/// but a listener belongs to the loop that installed it: with several loops (one per thread),
/// every loop with a listener for `signum` gets the signal, whichever thread the kernel
/// interrupted, and a thread without one does not hear it (evnode/cluster.h listens on the
/// primary thread and posts the stop to each thread instead). Throws
/// Exception(ERR_UNKNOWN_SIGNAL) for a signal that cannot be caught (SIGKILL, SIGSTOP, bad
/// number).
SignalListenerPtr onSignal(int signum, std::function<void()> listener);

/// Sends `signum` to process `pid` (Node's process.kill); returns the error (ESRCH, EPERM).
Error kill(int pid, int signum);

/// Writes out what this thread's stdout and stderr streams still hold (blocking) and C stdio's
/// buffers, restores the terminal and descriptor modes, then ends the process with `code` at
/// once: no 'exit' of pending I/O, no static destructors (Node's process.exit). From any
/// thread it ends the whole process, every thread's loop with it.
[[noreturn]] void exit(int code = 0);

int pid();  ///< this process's id (Node's process.pid)

/// What memoryUsage() reports (Node's process.memoryUsage(), its `rss` only).
struct MemoryUsage {
  std::size_t rss = 0;  ///< resident set size in bytes
};
MemoryUsage memoryUsage();  ///< this process's memory use now

}  // namespace evnode::process
