// fs::WriteStream: a file as a Writable, writing on libuv's thread pool.
#include <algorithm>

#include "evnode/fs.h"
#include "evnode/loop.h"
#include "fs/request.h"

namespace evnode::fs {

using detail::makeError;
using detail::submit;

namespace {

constexpr std::size_t kMaxBufsPerWrite = 1024;  // IOV_MAX on Linux

WritableOptions writableOptions(const WriteStreamOptions& o) {
  WritableOptions w;
  w.highWaterMark = o.highWaterMark;
  w.autoDestroy = o.autoClose;
  w.emitClose = o.emitClose;
  return w;
}

Error destroyedError() {
  return Error("ERR_STREAM_DESTROYED", "Cannot call write after a stream was destroyed");
}

}  // namespace

WriteStream::WriteStream(Key, std::string path, WriteStreamOptions opts)
    : Writable(writableOptions(opts)), path_(std::move(path)), opts_(std::move(opts)) {
  detail::parseFlags(opts_.flags);
  if (opts_.fd) {
    if (*opts_.fd < 0) throwOutOfRange("fd", ">= 0", *opts_.fd);
    fd_ = *opts_.fd;
  }
  pos_ = opts_.start;
}

WriteStream::~WriteStream() {
  if (fd_ >= 0 && opts_.autoClose) {
    uv_fs_t req;
    uv_fs_close(Loop::current().uv(), &req, fd_, nullptr);
    uv_fs_req_cleanup(&req);
  }
}

std::shared_ptr<WriteStream> createWriteStream(std::string path, WriteStreamOptions opts) {
  auto ws = std::make_shared<WriteStream>(WriteStream::Key{}, std::move(path), std::move(opts));
  ws->start();
  return ws;
}

void WriteStream::close(Callback cb) {
  if (cb) {
    if (closed()) {
      nextTick([cb = std::move(cb)] { cb({}); });
      return;
    }
    once(Events::close, [cb = std::move(cb)] { cb({}); });
  }
  if (!opts_.autoClose) once(Events::finish, [this] { destroy(); });
  if (!writableEnded()) end();
}

void WriteStream::start() {
  if (fd_ >= 0) return;
  opening_ = true;
  const int flags = detail::parseFlags(opts_.flags);
  submit([&](uv_loop_t* l, uv_fs_t* r,
             uv_fs_cb c) { return uv_fs_open(l, r, path_.c_str(), flags, opts_.mode, c); },
         [this, keep = self()](uv_fs_t& r) {
           opening_ = false;
           if (r.result < 0) {
             openError_ = makeError(static_cast<int>(r.result), "open", path_);
           } else {
             fd_ = static_cast<int>(r.result);
           }
           if (afterIo_) {
             afterIo();  // destroyed while opening
           } else if (openError_) {
             errorOrDestroy(openError_);
           } else {
             emit(Events::open, fd_);
             if (!destroyed()) emit(Events::ready);
           }
           // The write or final that waited for the open now runs (or fails).
           auto pending = std::move(afterOpen_);
           afterOpen_.clear();
           for (auto& fn : pending) fn();
         });
}

void WriteStream::whenOpen(std::function<void()> fn) {
  if (opening_) {
    afterOpen_.push_back(std::move(fn));
  } else {
    fn();
  }
}

void WriteStream::_write(const Buffer& chunk, WriteCallback cb) {
  writeAll(std::vector<Buffer>{chunk}, cb);
}

void WriteStream::_writev(std::vector<Buffer>& chunks, WriteCallback cb) {
  writeAll(std::vector<Buffer>(chunks.begin(), chunks.end()), cb);
}

// The chunks of one _write/_writev, how far the (possibly partial) writes got, and the
// completion to call once all of it is written.
struct WriteStream::WriteOp {
  std::vector<Buffer> chunks;
  std::size_t index = 0;   // first chunk not completely written
  std::size_t offset = 0;  // bytes of chunks[index] already written
  WriteCallback cb;

  bool done() const { return index == chunks.size(); }
  void advance(std::size_t n) {
    while (n > 0 && index < chunks.size()) {
      const std::size_t left = chunks[index].size() - offset;
      if (n < left) {
        offset += n;
        return;
      }
      n -= left;
      ++index;
      offset = 0;
    }
    while (index < chunks.size() && chunks[index].empty()) ++index;
  }
};

void WriteStream::writeAll(std::vector<Buffer> chunks, WriteCallback cb) {
  auto op = std::make_shared<WriteOp>(WriteOp{std::move(chunks), 0, 0, cb});
  op->advance(0);  // skips empty chunks
  whenOpen([this, op] { writeStep(op); });
}

// One uv_fs_write per step; a short write continues where it stopped.
void WriteStream::writeStep(const std::shared_ptr<WriteOp>& op) {
  if (openError_) return op->cb(openError_);
  if (destroyed() || fd_ < 0) return op->cb(destroyedError());
  if (op->done()) return op->cb();
  std::vector<uv_buf_t> bufs;
  for (std::size_t i = op->index; i < op->chunks.size() && bufs.size() < kMaxBufsPerWrite; ++i) {
    const Buffer& c = op->chunks[i];
    const std::size_t skip = i == op->index ? op->offset : 0;
    if (c.size() == skip) continue;
    bufs.push_back(uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(c.data() + skip)),
                               static_cast<unsigned>(c.size() - skip)));
  }
  const std::int64_t position = pos_ ? static_cast<std::int64_t>(*pos_) : -1;
  ioInFlight_ = true;
  submit(
      [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) {
        return uv_fs_write(l, r, fd_, bufs.data(), static_cast<unsigned>(bufs.size()), position, c);
      },
      [this, keep = self(), op](uv_fs_t& r) {
        ioInFlight_ = false;
        if (r.result >= 0) {
          const auto n = static_cast<std::size_t>(r.result);
          bytesWritten_ += n;
          if (pos_) *pos_ += n;
          op->advance(n);
        }
        if (afterIo_) {
          // Destroyed while writing: report the write, then let the destroy close the file.
          op->cb(r.result < 0 ? makeError(static_cast<int>(r.result), "write") : destroyedError());
          afterIo();
          return;
        }
        if (r.result < 0) return op->cb(makeError(static_cast<int>(r.result), "write"));
        writeStep(op);
      });
}

void WriteStream::_final(std::function<void(const Error&)> cb) {
  whenOpen([this, cb = std::move(cb)] {
    if (openError_) return cb(openError_);
    if (!opts_.flush || fd_ < 0 || destroyed()) return cb({});
    ioInFlight_ = true;
    submit([fd = fd_](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) { return uv_fs_fsync(l, r, fd, c); },
           [this, keep = self(), cb](uv_fs_t& r) {
             ioInFlight_ = false;
             cb(r.result < 0 ? makeError(static_cast<int>(r.result), "fsync") : Error());
             if (afterIo_) afterIo();
           });
  });
}

void WriteStream::afterIo() {
  auto fn = std::move(afterIo_);
  afterIo_ = nullptr;
  fn();
}

void WriteStream::_destroy(const Error& err, std::function<void(const Error&)> cb) {
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
