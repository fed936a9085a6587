// FileSender: a write batch holding file ranges, sent with sendmsg(2) and sendfile(2) from the
// loop thread; see send_file.h for how it keeps order and waits.
#include "net/file_sender.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/callback_scope.h"
#include "core/tick.h"
#include "evnode/loop.h"

#if defined(__linux__)
#include <sys/sendfile.h>
#endif

namespace evnode::net {

namespace {
// Bytes sent per loop turn before the sender yields, so one fast download cannot starve the
// other connections of the loop (nginx's sendfile_max_chunk plays the same role). Big enough
// that the extra turn costs nothing measurable.
constexpr std::size_t kTurnBudget = 8 << 20;
constexpr int kMaxIov = 64;
}  // namespace

FileSender::FileSender(int fd, bool tcp, std::function<void(std::size_t)> progress,
                       std::function<void()> rewatch)
    : fd_(fd), tcp_(tcp), progress_(std::move(progress)), rewatch_(std::move(rewatch)) {}

FileSender::~FileSender() = default;

Buffer FileSender::add(const std::shared_ptr<FileRange>& range) {
  ranges_.push_back(range);
  // An empty view whose storage pointer is the range itself: only a marker made here can carry
  // that pointer, and the Buffer keeps the range alive wherever the Writable holds it.
  std::shared_ptr<std::uint8_t[]> tag(range, reinterpret_cast<std::uint8_t*>(range.get()));
  return Buffer(std::move(tag), 0, 0);
}

void FileSender::remove(const FileRange* range) {
  std::erase_if(ranges_, [range](const auto& r) { return r.get() == range; });
}

FileRange* FileSender::rangeOf(const Buffer& chunk) const {
  if (!chunk.empty() || !chunk.storage()) return nullptr;
  const std::uint8_t* tag = chunk.storage().get();
  for (const auto& r : ranges_) {
    if (reinterpret_cast<const std::uint8_t*>(r.get()) == tag) return r.get();
  }
  return nullptr;
}

bool FileSender::claims(const std::vector<Buffer>& chunks) const {
  if (ranges_.empty()) return false;
  return std::any_of(chunks.begin(), chunks.end(),
                     [this](const Buffer& c) { return rangeOf(c) != nullptr; });
}

void FileSender::write(std::vector<Buffer>& chunks, WriteCallback cb) {
  batch_.swap(chunks);
  chunks.clear();
  index_ = 0;
  skip_ = 0;
  cb_ = cb;
  run();
}

// Sends as much of the batch as the kernel takes, up to one turn's budget; then completes it,
// or waits for writability and comes back.
void FileSender::run() {
  std::size_t budget = kTurnBudget;
  while (index_ < batch_.size()) {
    if (budget == 0) return wait();  // still writable: the poll fires on the next turn
    ssize_t n;
    std::size_t want = 0;  // bytes offered
    const char* syscall = "write";
    if (FileRange* r = rangeOf(batch_[index_])) {
      if (r->left == 0) {
        ++index_;
        continue;
      }
      // The page cache goes straight into the socket. A file not in the cache makes this
      // block on the disk, as nginx's sendfile does; the per-turn budget bounds how long.
      off_t off = static_cast<off_t>(r->offset);
      syscall = "sendfile";
#if defined(__linux__)
      want = std::min<std::uint64_t>(r->left, budget);
      n = ::sendfile(fd_, r->fd, &off, want);
#else
      (void)off;  // other systems' sendfile differs; canSendFile() is false there
      n = -1;
      errno = ENOSYS;
#endif
      if (n == 0) return finish(Error::fromUv(UV_EOF, "sendfile"));  // the file got shorter
      if (n > 0) {
        auto k = static_cast<std::size_t>(n);
        r->offset += k;
        r->left -= k;
        r->sent += k;
        if (r->left == 0) ++index_;
        if (k < want) {
          // A short count means the socket buffer is full: wait for room rather than learn it
          // from one more call's EAGAIN (were there room, the level-triggered poll fires at once).
          progress_(k);
          return wait();
        }
      }
    } else {
      // The bytes up to the next marker, in one sendmsg. MSG_MORE holds back a head that a file
      // follows, so head and data share packets even with TCP_NODELAY (TCP only).
      iovec iov[kMaxIov];
      int count = 0;
      bool fileNext = false;
      for (std::size_t i = index_; i < batch_.size() && count < kMaxIov; ++i) {
        if (rangeOf(batch_[i])) {
          fileNext = true;
          break;
        }
        const Buffer& b = batch_[i];
        std::size_t from = i == index_ ? skip_ : 0;
        if (b.length() == from) continue;
        iov[count].iov_base = const_cast<std::uint8_t*>(b.data()) + from;
        iov[count].iov_len = b.length() - from;
        want += iov[count].iov_len;
        ++count;
      }
      if (count == 0) {
        // Only empty chunks before the next marker (or the end).
        while (index_ < batch_.size() && !rangeOf(batch_[index_])) ++index_;
        skip_ = 0;
        continue;
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<std::size_t>(count);
      n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | (fileNext && tcp_ ? MSG_MORE : 0));
      if (n > 0) {
        // Step over what went out.
        auto left = static_cast<std::size_t>(n);
        while (left > 0) {
          std::size_t avail = batch_[index_].length() - skip_;
          if (left >= avail) {
            left -= avail;
            ++index_;
            skip_ = 0;
          } else {
            skip_ += left;
            left = 0;
          }
        }
      } else if (n == 0 && want > 0) {
        return wait();  // a stream socket never takes nothing; never spin if one does
      }
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return wait();
      return finish(Error::fromErrno(errno, syscall));
    }
    auto k = static_cast<std::size_t>(n);
    budget -= std::min(budget, k);
    progress_(k);
  }
  finish({});
}

void FileSender::wait() {
  // Level-triggered: once registered, the socket's watcher fires while there is room, so a
  // batch that stopped at its turn's budget goes on in the next turn.
  if (waiting_) return;
  waiting_ = true;
  rewatch_();
}

void FileSender::stopWaiting() {
  if (!waiting_) return;
  waiting_ = false;
  rewatch_();
}

void FileSender::finish(const Error& err) {
  stopWaiting();
  batch_.clear();  // drop the chunks (and the markers' ranges) before anything else runs
  index_ = skip_ = 0;
  WriteCallback cb = *cb_;
  cb_.reset();
  cb(err);  // last: it may destroy the socket, which cancels nothing now
}

void FileSender::cancel(const Error& why) {
  waiting_ = false;  // the socket is closing its watcher
  ranges_.clear();   // markers still queued fail through the Writable, as any queued write
  batch_.clear();
  index_ = skip_ = 0;
  if (!cb_) return;
  WriteCallback cb = *cb_;
  cb_.reset();
  // After destroy() returns. A peer that left (ECONNRESET met by a read) is why the transfer
  // stopped, whichever of the read and the file's write saw it first; otherwise, as libuv does
  // for a uv_write cut short by uv_close, ECANCELED.
  Error err = why ? why : Error::fromUv(UV_ECANCELED, "write");
  evnode::detail::queueTick([cb, err] { cb(err); });
}

}  // namespace evnode::net
