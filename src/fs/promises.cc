// fs::promises: fs.h's callback operations as awaitables, and what Node's fs/promises adds
// (access, copyFile, mkdtemp, recursive mkdir and rm, FileHandle).
#include "evnode/fs_promises.h"

#include <uv.h>

#include <utility>

#include "fs/request.h"

namespace evnode::fs::promises {

using fs::detail::makeError;
using fs::detail::submit;

namespace {

// Settles with the request's error, or with nothing.
template <class Settle>
auto settleVoid(Settle settle, const char* syscall, std::string path, std::string dest = {}) {
  return [settle = std::move(settle), syscall, path = std::move(path),
          dest = std::move(dest)](uv_fs_t& r) {
    if (r.result < 0) {
      settle(makeError(static_cast<int>(r.result), syscall, path, dest));
    } else {
      settle(Result<void>());
    }
  };
}

WriteFileOptions writeOptions(const FileOptions& o, const char* defaultFlag) {
  WriteFileOptions w;
  w.flags = o.flag.empty() ? defaultFlag : o.flag;
  w.mode = o.mode;
  return w;
}

CallbackOperation<void> writeWith(const std::string& path, Buffer data, const FileOptions& opts,
                                  const char* defaultFlag) {
  WriteFileOptions w = writeOptions(opts, defaultFlag);
  fs::detail::parseFlags(w.flags);  // a bad flag throws at the call, not at the await
  return CallbackOperation<void>(
      [path, data = std::move(data), w = std::move(w)](CallbackOperation<void>::Settle settle) {
        fs::writeFile(path, data, w,
                      [settle](const Error& e) { settle(e ? Result<void>(e) : Result<void>()); });
      },
      opts.signal);
}

}  // namespace

CallbackOperation<Buffer> readFile(const std::string& path) {
  return readFile(path, FileOptions{});
}

CallbackOperation<void> writeFile(const std::string& path, Buffer data) {
  return writeWith(path, std::move(data), FileOptions{}, "w");
}

CallbackOperation<void> writeFile(const std::string& path, std::string_view data) {
  return writeWith(path, Buffer::from(data), FileOptions{}, "w");
}

CallbackOperation<void> appendFile(const std::string& path, Buffer data) {
  return writeWith(path, std::move(data), FileOptions{}, "a");
}

CallbackOperation<void> appendFile(const std::string& path, std::string_view data) {
  return writeWith(path, Buffer::from(data), FileOptions{}, "a");
}

CallbackOperation<Buffer> readFile(const std::string& path, const FileOptions& opts) {
  if (!opts.flag.empty() && opts.flag != "r") {
    throwInvalidArg("options.flag", "readFile reads with flag \"r\"");
  }
  return CallbackOperation<Buffer>(
      [path](CallbackOperation<Buffer>::Settle settle) {
        fs::readFile(path, [settle](const Error& e, const Buffer& b) {
          settle(e ? Result<Buffer>(e) : Result<Buffer>(b));
        });
      },
      opts.signal);
}

CallbackOperation<void> writeFile(const std::string& path, Buffer data, const FileOptions& opts) {
  return writeWith(path, std::move(data), opts, "w");
}

CallbackOperation<void> writeFile(const std::string& path, std::string_view data,
                                  const FileOptions& opts) {
  return writeWith(path, Buffer::from(data), opts, "w");
}

CallbackOperation<void> appendFile(const std::string& path, Buffer data, const FileOptions& opts) {
  return writeWith(path, std::move(data), opts, "a");
}

CallbackOperation<void> appendFile(const std::string& path, std::string_view data,
                                   const FileOptions& opts) {
  return writeWith(path, Buffer::from(data), opts, "a");
}

namespace {
CallbackOperation<Stats> statWith(const std::string& path,
                                  void (*fn)(const std::string&, StatsCallback)) {
  return CallbackOperation<Stats>([path, fn](CallbackOperation<Stats>::Settle settle) {
    fn(path, [settle](const Error& e, const Stats& s) {
      settle(e ? Result<Stats>(e) : Result<Stats>(s));
    });
  });
}
}  // namespace

CallbackOperation<Stats> stat(const std::string& path) { return statWith(path, &fs::stat); }
CallbackOperation<Stats> lstat(const std::string& path) { return statWith(path, &fs::lstat); }

CallbackOperation<std::vector<Dirent>> readdirWithFileTypes(const std::string& path) {
  using Op = CallbackOperation<std::vector<Dirent>>;
  return Op([path](Op::Settle settle) {
    fs::readdir(path, [settle](const Error& e, const std::vector<Dirent>& d) {
      settle(e ? Result<std::vector<Dirent>>(e) : Result<std::vector<Dirent>>(d));
    });
  });
}

CallbackOperation<std::vector<std::string>> readdir(const std::string& path) {
  using Op = CallbackOperation<std::vector<std::string>>;
  return Op([path](Op::Settle settle) {
    submit([&](uv_loop_t* l, uv_fs_t* r,
               uv_fs_cb c) { return uv_fs_scandir(l, r, path.c_str(), 0, c); },
           [settle, path](uv_fs_t& r) {
             if (r.result < 0)
               return settle(makeError(static_cast<int>(r.result), "scandir", path));
             std::vector<std::string> names;
             uv_dirent_t ent;
             while (uv_fs_scandir_next(&r, &ent) != UV_EOF) names.emplace_back(ent.name);
             settle(std::move(names));
           });
  });
}

CallbackOperation<std::string> realpath(const std::string& path) {
  using Op = CallbackOperation<std::string>;
  return Op([path](Op::Settle settle) {
    fs::realpath(path, [settle](const Error& e, const std::string& p) {
      settle(e ? Result<std::string>(e) : Result<std::string>(p));
    });
  });
}

CallbackOperation<void> rename(const std::string& oldPath, const std::string& newPath) {
  return CallbackOperation<void>([oldPath, newPath](CallbackOperation<void>::Settle settle) {
    fs::rename(oldPath, newPath,
               [settle](const Error& e) { settle(e ? Result<void>(e) : Result<void>()); });
  });
}

CallbackOperation<void> unlink(const std::string& path) {
  return CallbackOperation<void>([path](CallbackOperation<void>::Settle settle) {
    fs::unlink(path, [settle](const Error& e) { settle(e ? Result<void>(e) : Result<void>()); });
  });
}

CallbackOperation<void> rmdir(const std::string& path) {
  return CallbackOperation<void>([path](CallbackOperation<void>::Settle settle) {
    fs::rmdir(path, [settle](const Error& e) { settle(e ? Result<void>(e) : Result<void>()); });
  });
}

CallbackOperation<void> access(const std::string& path, int mode) {
  if (mode < 0 || mode > 7) throwOutOfRange("mode", ">= 0 && <= 7", mode);
  return CallbackOperation<void>([path, mode](CallbackOperation<void>::Settle settle) {
    submit([&](uv_loop_t* l, uv_fs_t* r,
               uv_fs_cb c) { return uv_fs_access(l, r, path.c_str(), mode, c); },
           settleVoid(settle, "access", path));
  });
}

CallbackOperation<void> copyFile(const std::string& src, const std::string& dest, int mode) {
  if (mode < 0 || mode > 1) throwOutOfRange("mode", ">= 0 && <= 1", mode);
  return CallbackOperation<void>([src, dest, mode](CallbackOperation<void>::Settle settle) {
    int flags = (mode & COPYFILE_EXCL) ? UV_FS_COPYFILE_EXCL : 0;
    submit([&](uv_loop_t* l, uv_fs_t* r,
               uv_fs_cb c) { return uv_fs_copyfile(l, r, src.c_str(), dest.c_str(), flags, c); },
           settleVoid(settle, "copyfile", src, dest));
  });
}

CallbackOperation<std::string> mkdtemp(const std::string& prefix) {
  using Op = CallbackOperation<std::string>;
  return Op([prefix](Op::Settle settle) {
    std::string tpl = prefix + "XXXXXX";
    submit(
        [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb c) { return uv_fs_mkdtemp(l, r, tpl.c_str(), c); },
        [settle, tpl](uv_fs_t& r) {
          if (r.result < 0) return settle(makeError(static_cast<int>(r.result), "mkdtemp", tpl));
          settle(std::string(r.path));
        });
  });
}

namespace {
CallbackOperation<void> mkdirOne(const std::string& path, int mode) {
  return CallbackOperation<void>([path, mode](CallbackOperation<void>::Settle settle) {
    fs::mkdir(path, mode,
              [settle](const Error& e) { settle(e ? Result<void>(e) : Result<void>()); });
  });
}

std::string parentOf(const std::string& path) {
  auto end = path.find_last_not_of('/');
  if (end == std::string::npos) return {};
  auto slash = path.rfind('/', end);
  if (slash == std::string::npos) return {};
  auto keep = path.find_last_not_of('/', slash);
  return keep == std::string::npos ? "/" : path.substr(0, keep + 1);
}
}  // namespace

Task<std::optional<std::string>> mkdir(std::string path, MkdirOptions opts) {
  if (!opts.recursive) {
    co_await mkdirOne(path, opts.mode);
    co_return std::nullopt;
  }
  // Walk up to the first ancestor that exists, then make the rest downwards (Node's order and
  // result: the first directory made).
  std::vector<std::string> missing;
  std::string at = path;
  while (!at.empty()) {
    auto st = co_await lstat(at).result();
    if (st) {
      if (!st->isDirectory()) {
        // The path itself is a file: EEXIST; an ancestor is: ENOTDIR.
        throw SystemError(makeError(missing.empty() ? UV_EEXIST : UV_ENOTDIR, "mkdir", path));
      }
      break;
    }
    if (st.error().code != "ENOENT") throw SystemError(st.error());
    missing.push_back(at);
    at = parentOf(at);
  }
  std::optional<std::string> first;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    auto made = co_await mkdirOne(*it, opts.mode).result();
    if (!made && made.error().code != "EEXIST") throw SystemError(made.error());
    if (made && !first) first = *it;
  }
  co_return first;
}

Task<void> rm(std::string path, RmOptions opts) {
  auto st = co_await lstat(path).result();
  if (!st) {
    if (opts.force && st.error().code == "ENOENT") co_return;
    Error e = st.error();
    e.syscall = "rm";
    e.message = e.code + ": " + uv_strerror(e.errnum) + ", rm '" + path + "'";
    throw SystemError(e);
  }
  if (!st->isDirectory()) {
    co_await unlink(path);
    co_return;
  }
  if (!opts.recursive) {
    Error e("ERR_FS_EISDIR", "Path is a directory: rm returned EISDIR (is a directory) " + path);
    e.syscall = "rm";
    e.errnum = UV_EISDIR;
    throw SystemError(e);
  }
  for (const std::string& name : co_await readdir(path)) {
    co_await rm(path + "/" + name, RmOptions{.recursive = true, .force = opts.force});
  }
  co_await rmdir(path);
}

// ---- FileHandle ----

FileHandle::~FileHandle() {
  if (fd_ >= 0) fs::close(fd_, nullptr);
}

void FileHandle::checkOpen(const char* what) const {
  if (fd_ < 0) {
    throw Exception("EBADF", std::string("EBADF: bad file descriptor, ") + what);
  }
}

CallbackOperation<ReadResult> FileHandle::read(Buffer buffer, std::size_t offset,
                                               std::size_t length,
                                               std::optional<std::uint64_t> position) {
  checkOpen("read");
  if (offset > buffer.size()) {
    throwOutOfRange("offset", ">= 0 && <= " + std::to_string(buffer.size()),
                    static_cast<long long>(offset));
  }
  if (length > buffer.size() - offset) {
    throwOutOfRange("length", ">= 0 && <= " + std::to_string(buffer.size() - offset),
                    static_cast<long long>(length));
  }
  using Op = CallbackOperation<ReadResult>;
  return Op([fd = fd_, buffer = std::move(buffer), offset, length, position](Op::Settle settle) {
    fs::read(fd, buffer, offset, length, position,
             [settle](const Error& e, std::size_t n, const Buffer& b) {
               settle(e ? Result<ReadResult>(e) : Result<ReadResult>(ReadResult{n, b}));
             });
  });
}

CallbackOperation<ReadResult> FileHandle::read() {
  Buffer b = Buffer::alloc(16384);
  return read(b, 0, b.size());
}

CallbackOperation<std::size_t> FileHandle::write(Buffer data,
                                                 std::optional<std::uint64_t> position) {
  checkOpen("write");
  using Op = CallbackOperation<std::size_t>;
  return Op([fd = fd_, data = std::move(data), position](Op::Settle settle) {
    fs::write(fd, data, position, [settle](const Error& e, std::size_t n) {
      settle(e ? Result<std::size_t>(e) : Result<std::size_t>(n));
    });
  });
}

CallbackOperation<Stats> FileHandle::stat() {
  checkOpen("fstat");
  return CallbackOperation<Stats>([fd = fd_](CallbackOperation<Stats>::Settle settle) {
    fs::fstat(fd, [settle](const Error& e, const Stats& s) {
      settle(e ? Result<Stats>(e) : Result<Stats>(s));
    });
  });
}

Task<Buffer> FileHandle::readFile() {
  std::vector<Buffer> parts;
  std::size_t total = 0;
  for (;;) {
    ReadResult r = co_await read();
    if (r.bytesRead == 0) break;
    total += r.bytesRead;
    parts.push_back(r.buffer.subarray(0, static_cast<std::int64_t>(r.bytesRead)));
  }
  co_return Buffer::concat(parts, total);
}

CallbackOperation<void> FileHandle::close() {
  int fd = std::exchange(fd_, -1);
  return CallbackOperation<void>([fd](CallbackOperation<void>::Settle settle) {
    if (fd < 0) return settle(Result<void>());
    fs::close(fd, [settle](const Error& e) { settle(e ? Result<void>(e) : Result<void>()); });
  });
}

std::shared_ptr<ReadStream> FileHandle::createReadStream(ReadStreamOptions opts) {
  checkOpen("createReadStream");
  opts.fd = fd_;
  if (opts.autoClose) fd_ = -1;  // the stream closes it
  return fs::createReadStream("", std::move(opts));
}

std::shared_ptr<WriteStream> FileHandle::createWriteStream(WriteStreamOptions opts) {
  checkOpen("createWriteStream");
  opts.fd = fd_;
  if (opts.autoClose) fd_ = -1;
  return fs::createWriteStream("", std::move(opts));
}

CallbackOperation<std::shared_ptr<FileHandle>> open(const std::string& path, std::string_view flags,
                                                    int mode) {
  fs::detail::parseFlags(flags);  // a bad flag throws at the call
  using Op = CallbackOperation<std::shared_ptr<FileHandle>>;
  return Op([path, flags = std::string(flags), mode](Op::Settle settle) {
    fs::open(path, flags, mode, [settle](const Error& e, int fd) {
      if (e) return settle(e);
      auto fh = std::make_shared<FileHandle>(fd);
      settle(fh);  // dropped (and fh closes the descriptor) if the await was abandoned
    });
  });
}

}  // namespace evnode::fs::promises
