// process::stdin/stdout/stderr: one stream class per direction, with a backend chosen by what
// the descriptor is (terminal, pipe or socket, file, nothing), as Node's getStdin/getStdout do.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <list>
#include <mutex>
#include <optional>

#include "core/callback_scope.h"
#include "evnode/fs.h"
#include "evnode/loop.h"
#include "evnode/process.h"
#include "fs/request.h"
#include "process/stdio.h"

namespace evnode::process {

namespace {

enum class Kind { None, Tty, Pipe, Tcp, File };

// Storage for whichever stream handle the descriptor needs; closed with deleteOnClose.
union AnyStream {
  uv_handle_t handle;
  uv_stream_t stream;
  uv_tty_t tty;
  uv_pipe_t pipe;
  uv_tcp_t tcp;
};

void deleteOnClose(uv_handle_t* h) { delete reinterpret_cast<AnyStream*>(h); }

constexpr std::size_t kReadSize = 64 * 1024;

// --- Descriptor modes: saved before libuv makes a descriptor non-blocking, restored at exit, so
// a shell sharing the terminal or pipe does not inherit O_NONBLOCK (Node's ResetStdio).
std::mutex savedMutex;
int savedFlags[3] = {-1, -1, -1};

void saveFdFlags(int fd) {
  std::lock_guard<std::mutex> lock(savedMutex);
  static bool registered = false;
  if (!registered) {
    registered = true;
    std::atexit(detail::restoreStdio);
  }
  if (fd >= 0 && fd <= 2 && savedFlags[fd] == -1) savedFlags[fd] = fcntl(fd, F_GETFL);
}

// Node's PlatformInit: a descriptor 0-2 that is closed at start-up becomes /dev/null. Otherwise
// the loop's own epoll descriptor (or a socket) takes its number, libuv aborts closing it, and
// "stdout" writes would go into that socket. Runs before main() in any program that uses the
// stdio streams; the loop must not exist yet for it to help.
bool reopenClosedStdio() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    int n = ::open("/dev/null", O_RDWR);
    if (n >= 0 && n != fd) {
      ::dup2(n, fd);
      ::close(n);
    }
  }
  return true;
}
[[maybe_unused]] const bool stdioReopened = reopenClosedStdio();

// Opens the handle for `fd`; returns the backend to use.
Kind openStdio(int fd, bool forReading, AnyStream*& h) {
  uv_loop_t* loop = Loop::current().uv();
  h = nullptr;
  switch (uv_guess_handle(fd)) {
    case UV_TTY: {
      saveFdFlags(fd);
      h = new AnyStream;
      if (uv_tty_init(loop, &h->tty, fd, forReading ? 1 : 0) < 0) {
        delete h;  // uv_tty_init registers nothing when it fails
        h = nullptr;
        return Kind::File;
      }
      // Terminal writes block, as Node's tty.WriteStream does: output is never interleaved or
      // lost when the process exits.
      if (!forReading) uv_stream_set_blocking(&h->stream, 1);
      return Kind::Tty;
    }
    case UV_NAMED_PIPE:
    case UV_TCP: {
      saveFdFlags(fd);
      h = new AnyStream;
      const bool tcp = uv_guess_handle(fd) == UV_TCP;
      int rc = tcp ? uv_tcp_init(loop, &h->tcp) : uv_pipe_init(loop, &h->pipe, 0);
      if (rc == 0) rc = tcp ? uv_tcp_open(&h->tcp, fd) : uv_pipe_open(&h->pipe, fd);
      if (rc < 0) {
        // The descriptor is unusable as a stream here (already watched by this loop): fall
        // back to blocking file I/O, which works on any descriptor.
        uv_close(&h->handle, deleteOnClose);
        h = nullptr;
        return Kind::File;
      }
      return tcp ? Kind::Tcp : Kind::Pipe;
    }
    case UV_FILE:
      return Kind::File;
    default:
      return Kind::None;  // closed descriptor, UDP socket: nothing to read, writes discarded
  }
}

void closeStream(AnyStream*& h) {
  if (!h) return;
  h->handle.data = nullptr;
  if (!uv_is_closing(&h->handle)) uv_close(&h->handle, deleteOnClose);
  h = nullptr;
}

// --- stdin ------------------------------------------------------------------------------------

class StdinImpl final : public StdinStream, public evnode::detail::HandleWrap {
 public:
  StdinImpl() : StdinStream(ReadableOptions{}) {}
  ~StdinImpl() override { closeStream(h_); }

  void init() {
    kind_ = openStdio(0, true, h_);
    if (h_) h_->handle.data = static_cast<evnode::detail::HandleWrap*>(this);
    // Node: a paused stdin stops reading so that it does not keep the process alive. The
    // handle is unref'd at once (a pause() followed by resume() in the same tick costs
    // nothing), and reading stops a tick later unless the stream is flowing again. While
    // paused, _read does not restart the handle unless someone pulls with `readable`.
    on(Events::pause, [this] {
      userPaused_ = true;
      updateRef();
      nextTick([this, keep = self()] {
        if (userPaused_ && readableFlowing() != true && listenerCount(Events::readable) == 0) {
          stopReading();
        }
      });
    });
    on(Events::resume, [this] {
      userPaused_ = false;
      updateRef();
      if (readRequested_ && !handleReading_ && !destroyed()) startReading();
    });
  }

  int fd() const override { return 0; }
  bool isTTY() const override { return kind_ == Kind::Tty; }
  bool isRaw() const override { return raw_; }
  StdinStream& setRawMode(bool raw) override {
    if (kind_ != Kind::Tty || !h_) {
      throw Exception("ERR_TTY_INIT_FAILED", "setRawMode: stdin is not a terminal");
    }
    int rc = uv_tty_set_mode(&h_->tty, raw ? UV_TTY_MODE_RAW : UV_TTY_MODE_NORMAL);
    if (rc < 0) throw Exception(errorName(rc), "setRawMode: " + std::string(uv_strerror(rc)));
    raw_ = raw;
    return *this;
  }

  void forceClose() override { closeStream(h_); }

 protected:
  void _read(std::size_t size) override {
    readRequested_ = true;
    switch (kind_) {
      case Kind::None:
        push(nullptr);
        break;
      case Kind::File:
        if (!fileReadInFlight_) readFile(size);
        break;
      default:
        if (!userPaused_ || listenerCount(Events::readable) > 0) startReading();
    }
  }

  void _destroy(const Error& err, std::function<void(const Error&)> cb) override {
    if (h_) {
      if (raw_) uv_tty_set_mode(&h_->tty, UV_TTY_MODE_NORMAL);
      // libuv never closes descriptors 0-2; a terminal's handle holds a reopened descriptor,
      // which it does close.
      closeStream(h_);
      handleReading_ = false;
    }
    if (fileReadInFlight_) {
      afterRead_ = [err, cb = std::move(cb)] { cb(err); };
    } else {
      cb(err);
    }
  }

 private:
  void startReading() {
    if (!h_ || handleReading_) return;
    int rc = uv_read_start(&h_->stream, onAlloc, onRead);
    if (rc < 0) {
      destroy(Error::fromUv(rc, "read"));
      return;
    }
    handleReading_ = true;
  }

  void updateRef() {
    if (!h_) return;
    if (userPaused_) {
      uv_unref(&h_->handle);
    } else {
      uv_ref(&h_->handle);
    }
  }

  void stopReading() {
    if (h_ && handleReading_) uv_read_stop(&h_->stream);
    handleReading_ = false;
  }

  static StdinImpl* from(uv_handle_t* h) {
    return static_cast<StdinImpl*>(static_cast<evnode::detail::HandleWrap*>(h->data));
  }

  static void onAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
    StdinImpl* self = from(h);
    self->slab_ = Buffer::allocUnsafe(kReadSize);
    *buf = uv_buf_init(reinterpret_cast<char*>(self->slab_.data()), kReadSize);
  }

  static void onRead(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
    evnode::detail::CallbackScope scope;
    StdinImpl* self = from(reinterpret_cast<uv_handle_t*>(s));
    auto keep = self->self();
    Buffer slab = std::move(self->slab_);
    if (nread > 0) {
      self->deliver(slab, static_cast<std::size_t>(nread));
    } else if (nread == UV_EOF) {
      self->stopReading();
      self->readRequested_ = false;
      self->push(nullptr);
    } else if (nread < 0) {
      self->stopReading();
      self->destroy(Error::fromUv(static_cast<int>(nread), "read"));
    }
  }

  void deliver(const Buffer& slab, std::size_t n) {
    readRequested_ = false;
    // Zero-copy unless the read filled less than half the block, which would pin it.
    Buffer chunk = n * 2 >= slab.size() ? slab.slice(0, static_cast<std::int64_t>(n))
                                        : Buffer::from(slab.data(), n);
    const bool more = push(std::move(chunk));
    // The buffer is full: stop until the consumer asks again (unless it already did).
    if (!more && !readRequested_) stopReading();
  }

  void readFile(std::size_t size) {
    Buffer buf = Buffer::allocUnsafe(size > 0 ? size : kReadSize);
    fileReadInFlight_ = true;
    fs::detail::submit(
        [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) {
          uv_buf_t b =
              uv_buf_init(reinterpret_cast<char*>(buf.data()), static_cast<unsigned>(buf.size()));
          return uv_fs_read(l, r, 0, &b, 1, -1, c);
        },
        [this, keep = self(), buf](uv_fs_t& r) {
          fileReadInFlight_ = false;
          if (afterRead_) {
            auto fn = std::move(afterRead_);
            afterRead_ = nullptr;
            fn();
            return;
          }
          if (destroyed()) return;
          if (r.result < 0) {
            destroy(fs::detail::makeError(static_cast<int>(r.result), "read"));
          } else if (r.result == 0) {
            readRequested_ = false;
            push(nullptr);
          } else {
            deliver(buf, static_cast<std::size_t>(r.result));
          }
        });
  }

  Kind kind_ = Kind::None;
  AnyStream* h_ = nullptr;
  Buffer slab_;
  bool handleReading_ = false;
  bool readRequested_ = false;  // _read was called and nothing was pushed since
  bool userPaused_ = false;     // pause() (by the user or a pipe's backpressure) until resume()
  bool fileReadInFlight_ = false;
  bool raw_ = false;
  std::function<void()> afterRead_;  // a destroy waiting for the file read in flight
};

// --- stdout / stderr --------------------------------------------------------------------------

class StdoutImpl;

struct StdioWrite {
  uv_write_t req;
  std::vector<Buffer> chunks;  // keeps the bytes alive while libuv writes them
  std::optional<WriteCallback> cb;
  std::shared_ptr<Stream> keep;
  StdoutImpl* owner;
};

// Writes `bufs` to `fd` with blocking semantics even if the descriptor is non-blocking.
int writeBlocking(int fd, const char* data, std::size_t len) {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n >= 0) {
      data += n;
      len -= static_cast<std::size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, -1);
    } else if (errno != EINTR) {
      return uv_translate_sys_error(errno);
    }
  }
  return 0;
}

class StdoutImpl final : public StdoutStream, public evnode::detail::HandleWrap {
 public:
  // As Node's, a pipe into stdout or stderr never ends it: other writers may follow.
  explicit StdoutImpl(int fd) : StdoutStream(WritableOptions{}), fd_(fd) { keepOpenAfterPipes(); }
  ~StdoutImpl() override { closeStream(h_); }

  void init() {
    kind_ = openStdio(fd_, false, h_);
    if (h_) h_->handle.data = static_cast<evnode::detail::HandleWrap*>(this);
  }

  int fd() const override { return fd_; }
  bool isTTY() const override { return kind_ == Kind::Tty; }
  int columns() const override { return winsize().first; }
  int rows() const override { return winsize().second; }

  void forceClose() override { closeStream(h_); }

  // process::exit: write out what libuv has not written yet, then let the Writable hand over
  // what it buffered behind the write in flight; from now on every write blocks.
  void flushForExit() {
    syncMode_ = true;
    if (h_ && !inflight_.empty()) {
      std::size_t pending = uv_stream_get_write_queue_size(&h_->stream);
      uv_os_fd_t fd = -1;
      uv_fileno(&h_->handle, &fd);
      // libuv writes requests in order, so the unwritten bytes are the tail of what is queued.
      std::size_t total = 0;
      for (StdioWrite* w : inflight_) {
        for (const Buffer& c : w->chunks) total += c.size();
      }
      std::size_t skip = total - std::min(total, pending);
      for (StdioWrite* w : inflight_) {
        for (const Buffer& c : w->chunks) {
          if (skip >= c.size()) {
            skip -= c.size();
            continue;
          }
          writeBlocking(fd, reinterpret_cast<const char*>(c.data()) + skip, c.size() - skip);
          skip = 0;
        }
      }
    }
    for (StdioWrite* w : std::list<StdioWrite*>(inflight_)) {
      if (!w->cb) continue;
      WriteCallback cb = *w->cb;
      w->cb.reset();
      cb();
    }
  }

 protected:
  void _write(const Buffer& chunk, WriteCallback cb) override {
    std::vector<Buffer> one{chunk};
    writeChunks(one, cb);
  }
  void _writev(std::vector<Buffer>& chunks, WriteCallback cb) override { writeChunks(chunks, cb); }
  bool hasWritev() const override { return true; }

  // Node's stdout ignores destroy: the descriptor stays usable for the rest of the process,
  // and writes already handed to libuv still go out.
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override { cb(err); }

 private:
  std::pair<int, int> winsize() const {
    int w = 0, h = 0;
    if (kind_ == Kind::Tty && h_) uv_tty_get_winsize(&h_->tty, &w, &h);
    return {w, h};
  }

  void writeChunks(std::vector<Buffer>& chunks, WriteCallback cb) {
    if (kind_ == Kind::None) return cb();
    if (kind_ == Kind::File || syncMode_ || !h_) {
      int fd = fd_;
      if (h_) uv_fileno(&h_->handle, &fd);
      for (const Buffer& c : chunks) {
        int rc = writeBlocking(fd, reinterpret_cast<const char*>(c.data()), c.size());
        if (rc < 0) return cb(fs::detail::makeError(rc, "write"));
      }
      return cb();
    }
    // Write at once what the descriptor takes (the common case: all of it, with the result
    // known now, errors such as EPIPE included); queue only the rest with libuv. With writes
    // already queued, uv_try_write declines, which keeps the order.
    std::size_t written = 0;
    std::vector<uv_buf_t> bufs = toBufs(chunks);
    if (inflight_.empty()) {
      int n = uv_try_write(&h_->stream, bufs.data(), static_cast<unsigned>(bufs.size()));
      if (n < 0 && n != UV_EAGAIN) return cb(Error::fromUv(n, "write"));
      if (n > 0) written = static_cast<std::size_t>(n);
    }
    auto* w = new StdioWrite{};
    for (const Buffer& c : chunks) {
      if (written >= c.size()) {
        written -= c.size();
        continue;
      }
      w->chunks.push_back(c.slice(static_cast<std::int64_t>(written)));
      written = 0;
    }
    if (w->chunks.empty()) {
      delete w;
      return cb();
    }
    w->cb = cb;
    w->keep = self();
    w->owner = this;
    w->req.data = w;
    bufs = toBufs(w->chunks);
    int rc =
        uv_write(&w->req, &h_->stream, bufs.data(), static_cast<unsigned>(bufs.size()), onWritten);
    if (rc < 0) {
      delete w;
      return cb(Error::fromUv(rc, "write"));
    }
    inflight_.push_back(w);
  }

  static std::vector<uv_buf_t> toBufs(const std::vector<Buffer>& chunks) {
    std::vector<uv_buf_t> bufs;
    bufs.reserve(chunks.size());
    for (const Buffer& c : chunks) {
      bufs.push_back(uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(c.data())),
                                 static_cast<unsigned>(c.size())));
    }
    return bufs;
  }

  static void onWritten(uv_write_t* req, int status) {
    evnode::detail::CallbackScope scope;
    std::unique_ptr<StdioWrite> w(static_cast<StdioWrite*>(req->data));
    StdoutImpl* self = w->owner;
    self->inflight_.remove(w.get());
    if (w->cb) {
      WriteCallback cb = *w->cb;
      w->cb.reset();
      cb(status < 0 ? Error::fromUv(status, "write") : Error());
    }
  }

  int fd_;
  Kind kind_ = Kind::None;
  AnyStream* h_ = nullptr;
  std::list<StdioWrite*> inflight_;  // in submission order
  bool syncMode_ = false;
};

// This thread's streams. The loop is created first so that it is destroyed after them
// (thread_local objects die in reverse order of construction).
thread_local StdoutImpl* liveStdout = nullptr;
thread_local StdoutImpl* liveStderr = nullptr;

std::shared_ptr<StdoutImpl> makeStdout(int fd, StdoutImpl*& live) {
  auto s = std::make_shared<StdoutImpl>(fd);
  s->init();
  live = s.get();
  return s;
}

}  // namespace

std::shared_ptr<StdinStream> stdin() {
  Loop::current();
  static thread_local std::shared_ptr<StdinImpl> s;
  if (!s) {
    s = std::make_shared<StdinImpl>();
    s->init();
  }
  return s;
}

std::shared_ptr<StdoutStream> stdout() {
  Loop::current();
  struct Holder {
    std::shared_ptr<StdoutImpl> s;
    ~Holder() { liveStdout = nullptr; }
  };
  static thread_local Holder h;
  if (!h.s) h.s = makeStdout(1, liveStdout);
  return h.s;
}

std::shared_ptr<StdoutStream> stderr() {
  Loop::current();
  struct Holder {
    std::shared_ptr<StdoutImpl> s;
    ~Holder() { liveStderr = nullptr; }
  };
  static thread_local Holder h;
  if (!h.s) h.s = makeStdout(2, liveStderr);
  return h.s;
}

namespace detail {

void flushStdioForExit() {
  if (liveStdout) liveStdout->flushForExit();
  if (liveStderr) liveStderr->flushForExit();
}

void restoreStdio() {
  uv_tty_reset_mode();
  std::lock_guard<std::mutex> lock(savedMutex);
  for (int fd = 0; fd <= 2; ++fd) {
    if (savedFlags[fd] != -1) fcntl(fd, F_SETFL, savedFlags[fd]);
  }
}

}  // namespace detail

}  // namespace evnode::process
