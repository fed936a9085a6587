// fs::ReadStream: a file as a Readable, reading on libuv's thread pool.
#include <algorithm>

#include "evnode/fs.h"
#include "evnode/loop.h"
#include "fs/request.h"

namespace evnode::fs {

using detail::makeError;
using detail::submit;

namespace {

ReadableOptions readableOptions(const ReadStreamOptions& o) {
  ReadableOptions r;
  r.highWaterMark = o.highWaterMark;
  r.encoding = o.encoding;
  r.autoDestroy = o.autoClose;  // as Node: autoClose sets autoDestroy
  r.emitClose = o.emitClose;
  return r;
}

void closeFdSync(int fd) {
  uv_fs_t req;
  uv_fs_close(Loop::current().uv(), &req, fd, nullptr);
  uv_fs_req_cleanup(&req);
}

}  // namespace

ReadStream::ReadStream(Key, std::string path, ReadStreamOptions opts)
    : Readable(readableOptions(opts)), path_(std::move(path)), opts_(std::move(opts)) {
  detail::parseFlags(opts_.flags);  // throws for bad flags here, at the call
  if (opts_.start && opts_.end && *opts_.start > *opts_.end) {
    throwOutOfRange("start", "<= \"end\" (here: " + std::to_string(*opts_.end) + ")",
                    static_cast<long long>(*opts_.start));
  }
  if (opts_.fd) {
    if (*opts_.fd < 0) throwOutOfRange("fd", ">= 0", *opts_.fd);
    fd_ = *opts_.fd;
  }
  pos_ = opts_.start;
}

ReadStream::~ReadStream() {
  // Only reachable with the descriptor still open if nobody ever read or destroyed the stream.
  if (fd_ >= 0 && opts_.autoClose) closeFdSync(fd_);
}

std::shared_ptr<ReadStream> createReadStream(std::string path, ReadStreamOptions opts) {
  auto rs = std::make_shared<ReadStream>(ReadStream::Key{}, std::move(path), std::move(opts));
  rs->start();
  return rs;
}

void ReadStream::close(Callback cb) {
  if (cb) {
    if (closed()) {
      nextTick([cb = std::move(cb)] { cb({}); });
    } else {
      once(Events::close, [cb = std::move(cb)] { cb({}); });
    }
  }
  destroy();
}

void ReadStream::start() {
  if (fd_ >= 0) return;
  opening_ = true;
  const int flags = detail::parseFlags(opts_.flags);
  submit([&](uv_loop_t* l, uv_fs_t* r,
             uv_fs_cb c) { return uv_fs_open(l, r, path_.c_str(), flags, opts_.mode, c); },
         [this, keep = self()](uv_fs_t& r) {
           opening_ = false;
           Error err;
           if (r.result < 0) {
             err = makeError(static_cast<int>(r.result), "open", path_);
           } else {
             fd_ = static_cast<int>(r.result);
           }
           if (afterIo_) return afterIo();  // destroyed while opening: close and finish that
           if (err) {
             errorOrDestroy(err);
             return;
           }
           emit(Events::open, fd_);
           if (destroyed()) return;
           emit(Events::ready);
           if (deferredRead_ && !destroyed() && fd_ >= 0) {
             std::size_t n = *deferredRead_;
             deferredRead_.reset();
             readNow(n);
           }
         });
}

void ReadStream::_read(std::size_t size) {
  if (opening_) {
    deferredRead_ = size;
    return;
  }
  if (destroyed() || fd_ < 0) return;
  readNow(size);
}

void ReadStream::readNow(std::size_t size) {
  std::size_t want = size > 0 ? size : 16 * 1024;
  if (opts_.end) {
    // Node: with start the bound is the position, without it the bytes read so far.
    const std::uint64_t at = pos_ ? *pos_ : bytesRead_;
    if (at > *opts_.end) {
      push(nullptr);
      return;
    }
    const std::uint64_t left = *opts_.end - at + 1;  // 0 only if end is UINT64_MAX and at == 0
    if (left != 0) want = static_cast<std::size_t>(std::min<std::uint64_t>(want, left));
  }
  Buffer buf = Buffer::allocUnsafe(want);
  const std::int64_t position = pos_ ? static_cast<std::int64_t>(*pos_) : -1;
  ioInFlight_ = true;
  submit(
      [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) {
        uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(buf.data()), static_cast<unsigned>(want));
        return uv_fs_read(l, r, fd_, &b, 1, position, c);
      },
      [this, keep = self(), buf](uv_fs_t& r) {
        ioInFlight_ = false;
        if (afterIo_) return afterIo();  // destroyed meanwhile: the data goes nowhere
        if (r.result < 0) {
          errorOrDestroy(makeError(static_cast<int>(r.result), "read"));
          return;
        }
        const auto n = static_cast<std::size_t>(r.result);
        if (n == 0) {
          push(nullptr);
          return;
        }
        bytesRead_ += n;
        if (pos_) *pos_ += n;
        if (n == buf.size()) {
          push(buf);
        } else if (n * 2 >= buf.size()) {
          push(buf.slice(0, static_cast<std::int64_t>(n)));
        } else {
          // A short read (end of file): copy, so the chunk does not pin a mostly empty block.
          push(Buffer::from(buf.data(), n));
        }
      });
}

void ReadStream::afterIo() {
  auto fn = std::move(afterIo_);
  afterIo_ = nullptr;
  fn();
}

void ReadStream::_destroy(const Error& err, std::function<void(const Error&)> cb) {
  // The descriptor must not be closed while the thread pool still reads from it (it could be
  // reused by another open meanwhile), so a destroy during I/O waits for it.
  auto closeNow = [this, err, cb = std::move(cb)] {
    if (fd_ < 0 || !opts_.autoClose) {
      cb(err);
      return;
    }
    const int fd = fd_;
    fd_ = -1;
    closedFd_ = true;
    submit([fd](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) { return uv_fs_close(l, r, fd, c); },
           [err, cb, keep = self()](uv_fs_t& r) {
             cb(r.result < 0 ? makeError(static_cast<int>(r.result), "close") : err);
           });
  };
  if (opening_ || ioInFlight_) {
    afterIo_ = std::move(closeNow);
  } else {
    closeNow();
  }
}

}  // namespace evnode::fs
