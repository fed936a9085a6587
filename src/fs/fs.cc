// The callback-style fs operations (stat, readdir, readFile, open, ...) and the synchronous
// helpers, each a thin layer over one or a few libuv fs requests.
#include <sys/stat.h>

#include <algorithm>
#include <memory>

#include "evnode/fs.h"
#include "evnode/loop.h"
#include "fs/request.h"

namespace evnode::fs {

using detail::makeError;
using detail::submit;

namespace {

constexpr std::uint64_t kMaxFileSize = std::uint64_t{2} << 30;  // Node's kIoMaxLength, 2 GiB
constexpr std::size_t kUnsizedChunk = 64 * 1024;

double toMs(const uv_timespec_t& t) {
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

Stats toStats(const uv_stat_t& s) {
  Stats st;
  st.dev = s.st_dev;
  st.ino = s.st_ino;
  st.mode = s.st_mode;
  st.nlink = s.st_nlink;
  st.uid = s.st_uid;
  st.gid = s.st_gid;
  st.rdev = s.st_rdev;
  st.size = s.st_size;
  st.blksize = s.st_blksize;
  st.blocks = s.st_blocks;
  st.atimeMs = toMs(s.st_atim);
  st.mtimeMs = toMs(s.st_mtim);
  st.ctimeMs = toMs(s.st_ctim);
  st.birthtimeMs = toMs(s.st_birthtim);
  return st;
}

Dirent::Type typeFromMode(std::uint64_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return Dirent::Type::File;
    case S_IFDIR:
      return Dirent::Type::Directory;
    case S_IFLNK:
      return Dirent::Type::Link;
    case S_IFIFO:
      return Dirent::Type::Fifo;
    case S_IFSOCK:
      return Dirent::Type::Socket;
    case S_IFCHR:
      return Dirent::Type::Char;
    case S_IFBLK:
      return Dirent::Type::Block;
    default:
      return Dirent::Type::Unknown;
  }
}

Dirent::Type typeFromUv(uv_dirent_type_t t) {
  switch (t) {
    case UV_DIRENT_FILE:
      return Dirent::Type::File;
    case UV_DIRENT_DIR:
      return Dirent::Type::Directory;
    case UV_DIRENT_LINK:
      return Dirent::Type::Link;
    case UV_DIRENT_FIFO:
      return Dirent::Type::Fifo;
    case UV_DIRENT_SOCKET:
      return Dirent::Type::Socket;
    case UV_DIRENT_CHAR:
      return Dirent::Type::Char;
    case UV_DIRENT_BLOCK:
      return Dirent::Type::Block;
    default:
      return Dirent::Type::Unknown;
  }
}

Error tooLarge(std::uint64_t size) {
  return Error("ERR_FS_FILE_TOO_LARGE",
               "File size (" + std::to_string(size) + ") is greater than 2 GiB");
}

void statLike(const std::string& path, const char* syscall, StatsCallback cb,
              int (*fn)(uv_loop_t*, uv_fs_t*, const char*, uv_fs_cb)) {
  submit([&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) { return fn(l, r, path.c_str(), c); },
         [cb = std::move(cb), path, syscall](uv_fs_t& r) {
           if (r.result < 0) {
             cb(makeError(static_cast<int>(r.result), syscall, path), Stats{});
           } else {
             cb({}, toStats(r.statbuf));
           }
         });
}

// Completion of the operations that report only an error.
std::function<void(uv_fs_t&)> errorOnly(Callback cb, const char* syscall, std::string path,
                                        std::string dest = {}) {
  return [cb = std::move(cb), syscall, path = std::move(path), dest = std::move(dest)](uv_fs_t& r) {
    if (cb) cb(r.result < 0 ? makeError(static_cast<int>(r.result), syscall, path, dest) : Error());
  };
}

// readFile: open, fstat, then read into one Buffer of the file's size (or in chunks until end
// of file when the size is unknown, as for /proc files), then close.
class ReadFileOp : public std::enable_shared_from_this<ReadFileOp> {
 public:
  ReadFileOp(std::string path, std::function<void(const Error&, const Buffer&)> cb)
      : path_(std::move(path)), cb_(std::move(cb)) {}

  void start() {
    submit([&](uv_loop_t* l, uv_fs_t* r,
               uv_fs_cb c) { return uv_fs_open(l, r, path_.c_str(), UV_FS_O_RDONLY, 0, c); },
           [self = shared_from_this()](uv_fs_t& r) {
             if (r.result < 0)
               return self->finish(makeError(static_cast<int>(r.result), "open", self->path_));
             self->fd_ = static_cast<int>(r.result);
             self->fstat();
           });
  }

 private:
  void fstat() {
    submit([&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) { return uv_fs_fstat(l, r, fd_, c); },
           [self = shared_from_this()](uv_fs_t& r) {
             if (r.result < 0) return self->finish(makeError(static_cast<int>(r.result), "fstat"));
             const uv_stat_t& st = r.statbuf;
             if ((st.st_mode & S_IFMT) == S_IFREG && st.st_size > 0) {
               if (st.st_size > kMaxFileSize) return self->finish(tooLarge(st.st_size));
               self->sized_ = true;
               self->buf_ = Buffer::allocUnsafe(st.st_size);
             }
             self->readMore();
           });
  }

  void readMore() {
    Buffer target = sized_ ? buf_.subarray(static_cast<std::int64_t>(got_))
                           : Buffer::allocUnsafe(kUnsizedChunk);
    submit(
        [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) {
          uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(target.data()),
                                   static_cast<unsigned>(target.size()));
          return uv_fs_read(l, r, fd_, &b, 1, -1, c);
        },
        [self = shared_from_this(), target](uv_fs_t& r) {
          if (r.result < 0) return self->finish(makeError(static_cast<int>(r.result), "read"));
          auto n = static_cast<std::size_t>(r.result);
          if (n > 0) {
            self->got_ += n;
            if (!self->sized_) {
              if (self->got_ > kMaxFileSize) return self->finish(tooLarge(self->got_));
              self->chunks_.push_back(target.slice(0, static_cast<std::int64_t>(n)));
            }
            if (!self->sized_ || self->got_ < self->buf_.size()) return self->readMore();
          }
          Buffer out = self->sized_ ? self->buf_.slice(0, static_cast<std::int64_t>(self->got_))
                                    : Buffer::concat(self->chunks_);
          self->finish({}, std::move(out));
        });
  }

  void finish(Error err, Buffer out = {}) {
    if (fd_ < 0) {
      cb_(err, out);
      return;
    }
    int fd = fd_;
    fd_ = -1;
    submit([fd](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) { return uv_fs_close(l, r, fd, c); },
           [self = shared_from_this(), err, out](uv_fs_t& r) {
             Error e = err;
             if (!e && r.result < 0) e = makeError(static_cast<int>(r.result), "close");
             self->cb_(e, e ? Buffer() : out);
           });
  }

  std::string path_;
  std::function<void(const Error&, const Buffer&)> cb_;
  int fd_ = -1;
  bool sized_ = false;
  Buffer buf_;
  std::size_t got_ = 0;
  std::vector<Buffer> chunks_;
};

// writeFile: open, write until everything is written, close.
class WriteFileOp : public std::enable_shared_from_this<WriteFileOp> {
 public:
  WriteFileOp(std::string path, Buffer data, int flags, int mode, Callback cb)
      : path_(std::move(path)),
        data_(std::move(data)),
        flags_(flags),
        mode_(mode),
        cb_(std::move(cb)) {}

  void start() {
    submit([&](uv_loop_t* l, uv_fs_t* r,
               uv_fs_cb c) { return uv_fs_open(l, r, path_.c_str(), flags_, mode_, c); },
           [self = shared_from_this()](uv_fs_t& r) {
             if (r.result < 0)
               return self->finish(makeError(static_cast<int>(r.result), "open", self->path_));
             self->fd_ = static_cast<int>(r.result);
             self->writeMore();
           });
  }

 private:
  void writeMore() {
    if (data_.empty()) return finish({});
    submit(
        [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) {
          uv_buf_t b =
              uv_buf_init(reinterpret_cast<char*>(data_.data()),
                          static_cast<unsigned>(std::min<std::size_t>(data_.size(), 1u << 30)));
          return uv_fs_write(l, r, fd_, &b, 1, -1, c);
        },
        [self = shared_from_this()](uv_fs_t& r) {
          if (r.result < 0) return self->finish(makeError(static_cast<int>(r.result), "write"));
          self->data_ = self->data_.subarray(r.result);
          self->writeMore();
        });
  }

  void finish(Error err) {
    if (fd_ < 0) {
      if (cb_) cb_(err);
      return;
    }
    int fd = fd_;
    fd_ = -1;
    submit([fd](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) { return uv_fs_close(l, r, fd, c); },
           [self = shared_from_this(), err](uv_fs_t& r) {
             Error e = err;
             if (!e && r.result < 0) e = makeError(static_cast<int>(r.result), "close");
             if (self->cb_) self->cb_(e);
           });
  }

  std::string path_;
  Buffer data_;
  int flags_, mode_;
  Callback cb_;
  int fd_ = -1;
};

// The synchronous variants: libuv's fs calls without a callback, on this thread.
// libuv runs them without touching the loop, but its API still asks for one.
uv_loop_t* syncLoop() { return Loop::current().uv(); }

struct SyncReq {
  uv_fs_t req{};
  ~SyncReq() { uv_fs_req_cleanup(&req); }
};

[[noreturn]] void throwError(const Error& e) { throw Exception(e.code, e.message); }

}  // namespace

bool Stats::isFile() const { return (mode & S_IFMT) == S_IFREG; }
bool Stats::isDirectory() const { return (mode & S_IFMT) == S_IFDIR; }
bool Stats::isSymbolicLink() const { return (mode & S_IFMT) == S_IFLNK; }
bool Stats::isFIFO() const { return (mode & S_IFMT) == S_IFIFO; }
bool Stats::isSocket() const { return (mode & S_IFMT) == S_IFSOCK; }
bool Stats::isCharacterDevice() const { return (mode & S_IFMT) == S_IFCHR; }
bool Stats::isBlockDevice() const { return (mode & S_IFMT) == S_IFBLK; }

void stat(const std::string& path, StatsCallback cb) {
  statLike(path, "stat", std::move(cb), uv_fs_stat);
}

void lstat(const std::string& path, StatsCallback cb) {
  statLike(path, "lstat", std::move(cb), uv_fs_lstat);
}

void fstat(int fd, StatsCallback cb) {
  submit([fd](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) { return uv_fs_fstat(l, r, fd, c); },
         [cb = std::move(cb)](uv_fs_t& r) {
           if (r.result < 0) {
             cb(makeError(static_cast<int>(r.result), "fstat"), Stats{});
           } else {
             cb({}, toStats(r.statbuf));
           }
         });
}

void realpath(const std::string& path, std::function<void(const Error&, const std::string&)> cb) {
  submit(
      [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) { return uv_fs_realpath(l, r, path.c_str(), c); },
      [cb = std::move(cb), path](uv_fs_t& r) {
        if (r.result < 0) {
          cb(makeError(static_cast<int>(r.result), "realpath", path), std::string());
        } else {
          cb({}, std::string(static_cast<const char*>(r.ptr)));
        }
      });
}

void readdir(const std::string& path,
             std::function<void(const Error&, const std::vector<Dirent>&)> cb) {
  submit(
      [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) { return uv_fs_scandir(l, r, path.c_str(), 0, c); },
      [cb = std::move(cb), path](uv_fs_t& r) {
        if (r.result < 0) {
          cb(makeError(static_cast<int>(r.result), "scandir", path), {});
          return;
        }
        struct State {
          std::vector<Dirent> entries;
          std::size_t unknown = 0;
          std::function<void(const Error&, const std::vector<Dirent>&)> cb;
        };
        auto st = std::make_shared<State>();
        st->cb = cb;
        uv_dirent_t ent;
        while (uv_fs_scandir_next(&r, &ent) != UV_EOF) {
          st->entries.push_back(Dirent{ent.name, typeFromUv(ent.type)});
          if (st->entries.back().type == Dirent::Type::Unknown) ++st->unknown;
        }
        if (st->unknown == 0) {
          st->cb({}, st->entries);
          return;
        }
        // Some file systems do not report entry types; lstat those (Node does the same).
        for (std::size_t i = 0; i < st->entries.size(); ++i) {
          if (st->entries[i].type != Dirent::Type::Unknown) continue;
          lstat(path + "/" + st->entries[i].name, [st, i](const Error& err, const Stats& s) {
            if (!err) st->entries[i].type = typeFromMode(s.mode);
            if (--st->unknown == 0) st->cb({}, st->entries);
          });
        }
      });
}

void readFile(const std::string& path, std::function<void(const Error&, const Buffer&)> cb) {
  std::make_shared<ReadFileOp>(path, std::move(cb))->start();
}

void writeFile(const std::string& path, Buffer data, WriteFileOptions opts, Callback cb) {
  int flags = detail::parseFlags(opts.flags);
  std::make_shared<WriteFileOp>(path, std::move(data), flags, opts.mode, std::move(cb))->start();
}

void writeFile(const std::string& path, Buffer data, Callback cb) {
  writeFile(path, std::move(data), WriteFileOptions{}, std::move(cb));
}

void writeFile(const std::string& path, std::string_view data, Callback cb) {
  writeFile(path, Buffer::from(data), WriteFileOptions{}, std::move(cb));
}

void appendFile(const std::string& path, Buffer data, Callback cb) {
  writeFile(path, std::move(data), WriteFileOptions{"a", 0666}, std::move(cb));
}

void unlink(const std::string& path, Callback cb) {
  submit([&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) { return uv_fs_unlink(l, r, path.c_str(), c); },
         errorOnly(std::move(cb), "unlink", path));
}

void rename(const std::string& oldPath, const std::string& newPath, Callback cb) {
  submit([&](uv_loop_t* l, uv_fs_t* r,
             uv_fs_cb c) { return uv_fs_rename(l, r, oldPath.c_str(), newPath.c_str(), c); },
         errorOnly(std::move(cb), "rename", oldPath, newPath));
}

void mkdir(const std::string& path, Callback cb) { mkdir(path, 0777, std::move(cb)); }

void mkdir(const std::string& path, int mode, Callback cb) {
  submit([&](uv_loop_t* l, uv_fs_t* r,
             uv_fs_cb c) { return uv_fs_mkdir(l, r, path.c_str(), mode, c); },
         errorOnly(std::move(cb), "mkdir", path));
}

void rmdir(const std::string& path, Callback cb) {
  submit([&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) { return uv_fs_rmdir(l, r, path.c_str(), c); },
         errorOnly(std::move(cb), "rmdir", path));
}

void open(const std::string& path, std::function<void(const Error&, int fd)> cb) {
  open(path, "r", 0666, std::move(cb));
}

void open(const std::string& path, std::string_view flags,
          std::function<void(const Error&, int fd)> cb) {
  open(path, flags, 0666, std::move(cb));
}

void open(const std::string& path, std::string_view flags, int mode,
          std::function<void(const Error&, int fd)> cb) {
  int f = detail::parseFlags(flags);
  submit([&](uv_loop_t* l, uv_fs_t* r,
             uv_fs_cb c) { return uv_fs_open(l, r, path.c_str(), f, mode, c); },
         [cb = std::move(cb), path](uv_fs_t& r) {
           if (r.result < 0) {
             cb(makeError(static_cast<int>(r.result), "open", path), -1);
           } else {
             cb({}, static_cast<int>(r.result));
           }
         });
}

void close(int fd, Callback cb) {
  submit([fd](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) { return uv_fs_close(l, r, fd, c); },
         errorOnly(std::move(cb), "close", {}));
}

void read(int fd, Buffer buffer, std::size_t offset, std::size_t length,
          std::optional<std::uint64_t> position,
          std::function<void(const Error&, std::size_t bytesRead, const Buffer&)> cb) {
  if (offset > buffer.size()) {
    throwOutOfRange("offset", ">= 0 && <= " + std::to_string(buffer.size()),
                    static_cast<long long>(offset));
  }
  if (length > buffer.size() - offset) {
    throwOutOfRange("length", ">= 0 && <= " + std::to_string(buffer.size() - offset),
                    static_cast<long long>(length));
  }
  submit(
      [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) {
        uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(buffer.data() + offset),
                                 static_cast<unsigned>(length));
        return uv_fs_read(l, r, fd, &b, 1, position ? static_cast<std::int64_t>(*position) : -1, c);
      },
      [cb = std::move(cb), buffer](uv_fs_t& r) {
        if (r.result < 0) {
          cb(makeError(static_cast<int>(r.result), "read"), 0, buffer);
        } else {
          cb({}, static_cast<std::size_t>(r.result), buffer);
        }
      });
}

void write(int fd, Buffer data, std::optional<std::uint64_t> position,
           std::function<void(const Error&, std::size_t bytesWritten)> cb) {
  submit(
      [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) {
        uv_buf_t b =
            uv_buf_init(reinterpret_cast<char*>(data.data()), static_cast<unsigned>(data.size()));
        return uv_fs_write(l, r, fd, &b, 1, position ? static_cast<std::int64_t>(*position) : -1,
                           c);
      },
      [cb = std::move(cb), data](uv_fs_t& r) {
        if (r.result < 0) {
          cb(makeError(static_cast<int>(r.result), "write"), 0);
        } else {
          cb({}, static_cast<std::size_t>(r.result));
        }
      });
}

bool existsSync(const std::string& path) {
  SyncReq r;
  return uv_fs_stat(syncLoop(), &r.req, path.c_str(), nullptr) == 0;
}

Stats statSync(const std::string& path) {
  SyncReq r;
  int rc = uv_fs_stat(syncLoop(), &r.req, path.c_str(), nullptr);
  if (rc < 0) throwError(makeError(rc, "stat", path));
  return toStats(r.req.statbuf);
}

Buffer readFileSync(const std::string& path) {
  int fd;
  {
    SyncReq r;
    fd = uv_fs_open(syncLoop(), &r.req, path.c_str(), UV_FS_O_RDONLY, 0, nullptr);
    if (fd < 0) throwError(makeError(fd, "open", path));
  }
  Error err;
  std::vector<Buffer> chunks;
  std::size_t total = 0;
  for (;;) {
    Buffer chunk = Buffer::allocUnsafe(kUnsizedChunk);
    uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(chunk.data()), kUnsizedChunk);
    SyncReq r;
    int n = uv_fs_read(syncLoop(), &r.req, fd, &b, 1, -1, nullptr);
    if (n < 0) {
      err = makeError(n, "read");
      break;
    }
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
    if (total > kMaxFileSize) {
      err = tooLarge(total);
      break;
    }
    chunks.push_back(chunk.slice(0, n));
  }
  SyncReq c;
  uv_fs_close(syncLoop(), &c.req, fd, nullptr);
  if (err) throwError(err);
  if (chunks.size() == 1) return chunks[0];
  return Buffer::concat(chunks);
}

void writeFileSync(const std::string& path, const Buffer& data, WriteFileOptions opts) {
  int flags = detail::parseFlags(opts.flags);
  int fd;
  {
    SyncReq r;
    fd = uv_fs_open(syncLoop(), &r.req, path.c_str(), flags, opts.mode, nullptr);
    if (fd < 0) throwError(makeError(fd, "open", path));
  }
  Error err;
  std::size_t off = 0;
  while (off < data.size()) {
    std::size_t len = std::min<std::size_t>(data.size() - off, 1u << 30);
    uv_buf_t b = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(data.data() + off)),
                             static_cast<unsigned>(len));
    SyncReq r;
    int n = uv_fs_write(syncLoop(), &r.req, fd, &b, 1, -1, nullptr);
    if (n < 0) {
      err = makeError(n, "write");
      break;
    }
    off += static_cast<std::size_t>(n);
  }
  SyncReq c;
  int rc = uv_fs_close(syncLoop(), &c.req, fd, nullptr);
  if (!err && rc < 0) err = makeError(rc, "close");
  if (err) throwError(err);
}

}  // namespace evnode::fs
