// OutQueue: a socket's bytes and file ranges sent in order with sendmsg(2) and sendfile(2).
#include "net/out_queue.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>

#include "net/fd.h"

#if defined(__linux__)
#include <sys/sendfile.h>
#endif

namespace evnode::net {

namespace {
// Bytes sent per loop turn before the queue yields, so that one fast download cannot starve
// the other connections of the loop (nginx's sendfile_max_chunk plays the same role). Big
// enough that the extra turn costs nothing measurable.
constexpr std::size_t kTurnBudget = 8 << 20;
constexpr int kMaxIov = 64;
}  // namespace

Buffer OutQueue::addFile(const std::shared_ptr<FileRange>& range) {
  ranges_.push_back(range);
  // An empty view whose storage pointer is the range itself: only a marker made here can carry
  // that pointer, and the Buffer keeps the range alive wherever the Writable holds it.
  std::shared_ptr<std::uint8_t[]> tag(range, reinterpret_cast<std::uint8_t*>(range.get()));
  return Buffer(std::move(tag), 0, 0);
}

void OutQueue::removeFile(const FileRange* range) {
  std::erase_if(ranges_, [range](const auto& r) { return r.get() == range; });
}

FileRange* OutQueue::rangeOf(const Buffer& chunk) const {
  if (ranges_.empty() || !chunk.empty() || !chunk.storage()) return nullptr;
  const std::uint8_t* tag = chunk.storage().get();
  for (const auto& r : ranges_) {
    if (reinterpret_cast<const std::uint8_t*>(r.get()) == tag) return r.get();
  }
  return nullptr;
}

bool OutQueue::hasFile(const std::vector<Buffer>& chunks) const {
  if (ranges_.empty()) return false;
  return std::any_of(chunks.begin(), chunks.end(),
                     [this](const Buffer& c) { return rangeOf(c) != nullptr; });
}

void OutQueue::push(std::vector<Buffer>& chunks, std::size_t skip,
                    std::optional<WriteCallback> done) {
  if (empty()) {
    items_.clear();
    index_ = skip_ = 0;
  }
  for (auto& c : chunks) items_.push_back(std::move(c));
  chunks.clear();
  skipBytes(skip);  // what the caller's own attempt wrote (only ever made with nothing queued)
  if (done) done_ = std::move(done);
}

void OutQueue::skipBytes(std::size_t n) {
  while (n > 0) {
    const std::size_t avail = items_[index_].length() - skip_;
    if (n < avail) {
      skip_ += n;
      return;
    }
    n -= avail;
    ++index_;
    skip_ = 0;
  }
}

void OutQueue::push(Buffer chunk) {
  if (empty()) {
    items_.clear();
    index_ = skip_ = 0;
  }
  items_.push_back(std::move(chunk));
}

std::optional<WriteCallback> OutQueue::clearAll() {
  items_.clear();
  index_ = skip_ = 0;
  ranges_.clear();  // markers still in the Writable fail with it, as any queued write
  return takeDone();
}

// As much as the kernel takes, up to one turn's budget: runs of bytes in one sendmsg each, file
// ranges with sendfile.
OutQueue::Sent OutQueue::send(int fd, bool tcp) {
  Sent out;
  std::size_t budget = kTurnBudget;
  while (index_ < items_.size()) {
    if (budget == 0) {
      out.result = UV_EAGAIN;  // still writable: the poll fires again on the next turn
      return out;
    }
    long n;
    std::size_t want = 0;  // bytes offered
    if (FileRange* r = rangeOf(items_[index_])) {
      if (r->left == 0) {
        ++index_;
        continue;
      }
      // The page cache goes straight into the socket. A file not in the cache makes this block
      // on the disk, as nginx's sendfile does; the per-turn budget bounds how long.
      out.syscall = "sendfile";
#if defined(__linux__)
      off_t off = static_cast<off_t>(r->offset);
      want = std::min<std::uint64_t>(r->left, budget);
      ssize_t w;
      do {
        w = ::sendfile(fd, r->fd, &off, want);
      } while (w < 0 && errno == EINTR);
      n = w >= 0 ? static_cast<long>(w) : (errno == EAGAIN ? UV_EAGAIN : -errno);
#else
      n = UV_ENOSYS;  // other systems' sendfile differs; canSendFile() is false there
#endif
      if (n == 0) {
        out.result = UV_EOF;  // the file got shorter than announced
        break;
      }
      if (n > 0) {
        auto k = static_cast<std::size_t>(n);
        r->offset += k;
        r->left -= k;
        r->sent += k;
        if (r->left == 0) ++index_;
      }
    } else {
      // The bytes up to the next marker. MSG_MORE holds back a head that a file follows, so
      // head and data share packets even with TCP_NODELAY (TCP only).
      out.syscall = "write";
      iovec iov[kMaxIov];
      int count = 0;
      bool fileNext = false;
      for (std::size_t i = index_; i < items_.size() && count < kMaxIov; ++i) {
        if (rangeOf(items_[i])) {
          fileNext = true;
          break;
        }
        const Buffer& b = items_[i];
        const std::size_t from = i == index_ ? skip_ : 0;
        if (b.length() == from) continue;
        iov[count].iov_base = const_cast<std::uint8_t*>(b.data()) + from;
        iov[count].iov_len = b.length() - from;
        want += iov[count].iov_len;
        ++count;
      }
      if (count == 0) {
        // Only empty chunks before the next marker (or the end).
        while (index_ < items_.size() && !rangeOf(items_[index_])) ++index_;
        skip_ = 0;
        continue;
      }
      n = fd::writeSome(fd, iov, static_cast<std::size_t>(count), fileNext && tcp ? MSG_MORE : 0);
      if (n > 0) skipBytes(static_cast<std::size_t>(n));
    }
    if (n < 0) {
      out.result = static_cast<int>(n);
      if (n == UV_EAGAIN) return out;
      break;
    }
    const auto k = static_cast<std::size_t>(n);
    out.sent += k;
    budget -= std::min(budget, k);
    // A short count means the socket buffer is full: wait for room rather than learn it from
    // one more call's EAGAIN (were there room, the level-triggered poll fires at once). A stream
    // socket never takes nothing; never spin if one does.
    if (k < want) {
      out.result = UV_EAGAIN;
      return out;
    }
  }
  // Done, or failed: nothing of it stays queued.
  items_.clear();
  index_ = skip_ = 0;
  return out;
}

}  // namespace evnode::net
