// Internal: the engine behind net::internal::sendFile (send_file.h, which says how it works):
// the file ranges a socket has queued, and the write batch that holds them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "evnode/net.h"

namespace evnode::net {

// One file range waiting in (or being sent from) a socket's write queue.
struct FileRange {
  int fd = -1;
  std::uint64_t offset = 0;  // of the next byte to send
  std::uint64_t left = 0;
  std::uint64_t sent = 0;
};

// The per-socket engine behind internal::sendFile, made by the socket on first use.
class FileSender {
 public:
  // `progress(n)`: n more bytes went to the kernel (the socket counts them and refreshes its
  // timeout). `tcp`: headers before a file may be sent with MSG_MORE. `rewatch`: waiting()
  // changed; the socket's own watcher then watches for writability while it is true, and the
  // socket calls onWritable() when it fires (one registration per descriptor: no dup, no
  // second poll).
  FileSender(int fd, bool tcp, std::function<void(std::size_t)> progress,
             std::function<void()> rewatch);
  ~FileSender();
  FileSender(const FileSender&) = delete;
  FileSender& operator=(const FileSender&) = delete;

  // The marker to write through the socket for `range` (it keeps the range alive).
  Buffer add(const std::shared_ptr<FileRange>& range);
  // The marker's write completed or failed: forget the range.
  void remove(const FileRange* range);
  // Whether `chunks` holds a marker, so that write() must handle the batch.
  bool claims(const std::vector<Buffer>& chunks) const;
  // Sends the batch (bytes and file ranges in order); `cb` completes it.
  void write(std::vector<Buffer>& chunks, WriteCallback cb);
  // The socket is being destroyed (by `why`, if an error destroyed it): stop, and fail the
  // batch in flight with that error, or ECANCELED (on the next tick).
  void cancel(const Error& why);
  // The batch in flight waits for room in the socket's send buffer.
  bool waiting() const { return waiting_; }
  // The socket is writable (or has an error, which the next send(2) reports): go on.
  void onWritable() { run(); }

  // internal::canSendFile and internal::sendFile; defined in socket.cc, next to the socket's
  // internals they use.
  static bool usable(const Socket& socket);
  static void send(const std::shared_ptr<Socket>& socket, int fd, std::uint64_t offset,
                   std::uint64_t length, std::function<void(const Error&, std::uint64_t)> cb);

 private:
  FileRange* rangeOf(const Buffer& chunk) const;
  void run();
  void wait();
  void stopWaiting();
  void finish(const Error& err);

  int fd_;
  bool tcp_;
  bool waiting_ = false;
  std::function<void(std::size_t)> progress_;
  std::function<void()> rewatch_;
  std::vector<std::shared_ptr<FileRange>> ranges_;  // markers written and not completed yet
  // The batch in flight.
  std::vector<Buffer> batch_;
  std::size_t index_ = 0;  // next chunk of batch_
  std::size_t skip_ = 0;   // bytes of batch_[index_] already sent
  std::optional<WriteCallback> cb_;
};

}  // namespace evnode::net
