// Internal: a socket's output on its way to the kernel, the one place where it waits.
//
// What a socket writes reaches the kernel by one of two doors, and both end here:
// - Socket::_writev (the Writable's write, batched by cork/uncork and the auto-cork tick) tries
//   the kernel at once when nothing waits here, and queues what it does not take;
// - net::internal::writeNow (the HTTP connection's output, gathered per read in its cork buffer)
//   does the same when the Writable is idle.
// An entry is a chunk of bytes or a file range (net::internal::sendFile): a range travels
// through the Writable as an empty "marker" Buffer, which keeps it in order with the writes
// around it, and is sent here with sendfile(2). Whatever the kernel does not take waits for the
// socket's writability; the Writable has one write in flight at a time, so the queue holds at
// most what one writeNow left and the one batch after it, whose callback runs when the queue
// empties.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "evnode/stream.h"

namespace evnode::net {

// One file range waiting in (or being sent from) a socket's queue.
struct FileRange {
  int fd = -1;
  std::uint64_t offset = 0;  // of the next byte to send
  std::uint64_t left = 0;
  std::uint64_t sent = 0;
};

class OutQueue {
 public:
  // The marker to write through the socket's Writable for `range` (it keeps the range alive).
  Buffer addFile(const std::shared_ptr<FileRange>& range);
  // The marker's write completed or failed: forget the range.
  void removeFile(const FileRange* range);
  // Whether `chunks` holds a file marker (which only the queue can send).
  bool hasFile(const std::vector<Buffer>& chunks) const;

  bool empty() const { return index_ == items_.size(); }
  // Queues `chunks` (taken) after what waits, of which the first `skip` bytes were already
  // written; `done` runs when the queue is empty again.
  void push(std::vector<Buffer>& chunks, std::size_t skip, std::optional<WriteCallback> done);
  // Queues one chunk that has no callback of its own (what writeNow's kernel did not take).
  void push(Buffer chunk);

  // What send() did: `sent` bytes went to the kernel (files included); `result` is 0 when the
  // queue is empty, UV_EAGAIN when it waits for writability (the kernel is full, or the turn's
  // budget is spent), else the error that stopped it (the queue is then cleared).
  struct Sent {
    int result = 0;
    std::size_t sent = 0;
    const char* syscall = "write";
  };
  // Sends what the kernel takes on `fd`, in order. `tcp`: bytes before a file go with MSG_MORE.
  Sent send(int fd, bool tcp);

  // The callback of the batch in the queue, taken (the queue is empty, or failed).
  std::optional<WriteCallback> takeDone() { return std::exchange(done_, std::nullopt); }
  // Drops everything queued (the socket is closing); returns the batch's callback.
  std::optional<WriteCallback> clear() {
    if (items_.empty() && ranges_.empty() && !done_) return std::nullopt;  // the usual close
    return clearAll();
  }

 private:
  FileRange* rangeOf(const Buffer& chunk) const;
  std::optional<WriteCallback> clearAll();
  // Steps over `n` bytes written from the front of the queue (byte chunks only).
  void skipBytes(std::size_t n);

  std::vector<Buffer> items_;
  std::size_t index_ = 0;  // the next item to send
  std::size_t skip_ = 0;   // bytes of items_[index_] already sent
  std::optional<WriteCallback> done_;
  std::vector<std::shared_ptr<FileRange>> ranges_;  // markers written and not completed yet
};

}  // namespace evnode::net
