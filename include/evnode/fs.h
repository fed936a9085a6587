// evnode/fs.h — files: Node's fs.createReadStream / fs.createWriteStream and the callback-style
// helpers a server needs (stat, realpath, readdir, readFile, writeFile, open/close, ...).
//
// Every operation runs as a libuv fs request on libuv's thread pool, so the loop never blocks
// on a disk; callbacks run on the loop thread, always asynchronously. Errors have Node's shape:
// code "ENOENT", syscall "open", message "ENOENT: no such file or directory, open 'a.txt'".
//
//   auto rs = fs::createReadStream("in.bin");
//   auto ws = fs::createWriteStream("out.bin");
//   rs->pipe(ws);
//   ws->on(fs::WriteStream::Events::finish, [] { ... });
//
// Flags are Node's strings: "r", "r+", "rs+", "w", "wx", "w+", "wx+", "a", "ax", "a+", "ax+",
// "as", "as+"; anything else throws Exception(ERR_INVALID_ARG_VALUE) at the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evnode/buffer.h"
#include "evnode/error.h"
#include "evnode/events.h"
#include "evnode/stream.h"

/// Files: Node's fs streams and the callback-style helpers a server needs.
namespace evnode::fs {

/// What stat/lstat/fstat report (Node's fs.Stats, with the *Ms times as doubles).
struct Stats {
  /// @{
  /// stat(2)'s device, inode, mode (type and permission bits), link count, owner, group and
  /// device id (for a device file).
  std::uint64_t dev = 0, ino = 0, mode = 0, nlink = 0, uid = 0, gid = 0, rdev = 0;
  /// @}
  /// @{
  /// The size in bytes, the preferred I/O block size, and the 512-byte blocks allocated.
  std::uint64_t size = 0, blksize = 0, blocks = 0;
  /// @}
  /// @{
  /// Last access, last modification, last status change and creation, in milliseconds since
  /// the epoch.
  double atimeMs = 0, mtimeMs = 0, ctimeMs = 0, birthtimeMs = 0;
  /// @}

  bool isFile() const;             ///< a regular file
  bool isDirectory() const;        ///< a directory
  bool isSymbolicLink() const;     ///< only ever true from lstat
  bool isFIFO() const;             ///< a named pipe
  bool isSocket() const;           ///< a Unix socket
  bool isCharacterDevice() const;  ///< a character device
  bool isBlockDevice() const;      ///< a block device
};

/// One directory entry from readdir (Node's fs.Dirent, as with `withFileTypes: true`).
struct Dirent {
  /// The entry's file type (Unknown where the file system does not say).
  enum class Type : std::uint8_t { Unknown, File, Directory, Link, Fifo, Socket, Char, Block };
  std::string name;           ///< the entry's name, without its directory
  Type type = Type::Unknown;  ///< the entry's file type

  bool isFile() const { return type == Type::File; }             ///< a regular file
  bool isDirectory() const { return type == Type::Directory; }   ///< a directory
  bool isSymbolicLink() const { return type == Type::Link; }     ///< a symbolic link
  bool isFIFO() const { return type == Type::Fifo; }             ///< a named pipe
  bool isSocket() const { return type == Type::Socket; }         ///< a Unix socket
  bool isCharacterDevice() const { return type == Type::Char; }  ///< a character device
  bool isBlockDevice() const { return type == Type::Block; }     ///< a block device
};

/// A callback that gets only the error (empty on success).
using Callback = std::function<void(const Error&)>;
/// stat()'s callback: (err, the file's Stats).
using StatsCallback = std::function<void(const Error&, const Stats&)>;

// --- Callback-style operations (Node's fs.* with a callback) -------------------------------

/// The file's Stats, following symbolic links (Node's fs.stat).
void stat(const std::string& path, StatsCallback cb);
/// The Stats of the link itself when `path` is a symbolic link (Node's fs.lstat).
void lstat(const std::string& path, StatsCallback cb);
/// The Stats of an open descriptor (Node's fs.fstat).
void fstat(int fd, StatsCallback cb);
/// The canonical absolute path: symlinks, "." and ".." resolved.
void realpath(const std::string& path, std::function<void(const Error&, const std::string&)> cb);
/// The entries of a directory, sorted by name, without "." and "..".
void readdir(const std::string& path,
             std::function<void(const Error&, const std::vector<Dirent>&)> cb);
/// The whole file in one Buffer.
void readFile(const std::string& path, std::function<void(const Error&, const Buffer&)> cb);

/// Node's fs.writeFile options.
struct WriteFileOptions {
  std::string flags = "w";  ///< "a" appends (appendFile), "wx" fails if the file exists
  int mode = 0666;          ///< for a file created (masked by the umask)
};
/// Replaces (or with flags "a", appends to) the file's contents.
void writeFile(const std::string& path, Buffer data, Callback cb);
/// The same, with the options.
void writeFile(const std::string& path, Buffer data, WriteFileOptions opts, Callback cb);
/// The same, for a string's bytes.
void writeFile(const std::string& path, std::string_view data, Callback cb);
/// Appends `data` to the file, creating it if needed (writeFile with flags "a").
void appendFile(const std::string& path, Buffer data, Callback cb);

/// Removes a file (or a symbolic link, not what it points to).
void unlink(const std::string& path, Callback cb);
/// Renames (moves) `oldPath` to `newPath`, replacing a file there.
void rename(const std::string& oldPath, const std::string& newPath, Callback cb);
/// Not recursive; mode is masked by the umask.
void mkdir(const std::string& path, Callback cb);
/// The same, with `mode` (the other uses 0777).
void mkdir(const std::string& path, int mode, Callback cb);
/// Removes an empty directory.
void rmdir(const std::string& path, Callback cb);

/// Opens `path` with Node's string flags ("r" by default) and mode (0666 by default); cb gets
/// the file descriptor. The descriptor is close-on-exec.
void open(const std::string& path, std::function<void(const Error&, int fd)> cb);
/// The same, with `flags`.
void open(const std::string& path, std::string_view flags,
          std::function<void(const Error&, int fd)> cb);
/// The same, with `flags` and `mode`.
void open(const std::string& path, std::string_view flags, int mode,
          std::function<void(const Error&, int fd)> cb);
/// Closes a descriptor.
void close(int fd, Callback cb);

/// Reads up to `length` bytes into buffer[offset...] at `position` (nullopt: the file's current
/// position, advancing it). cb gets the bytes read (0 at end of file) and the buffer.
void read(int fd, Buffer buffer, std::size_t offset, std::size_t length,
          std::optional<std::uint64_t> position,
          std::function<void(const Error&, std::size_t bytesRead, const Buffer&)> cb);
/// Writes `data` at `position` (nullopt: the current position; appends with "a"). cb gets the
/// count written: all of it for a regular file, possibly less for a pipe.
void write(int fd, Buffer data, std::optional<std::uint64_t> position,
           std::function<void(const Error&, std::size_t bytesWritten)> cb);

// --- Synchronous helpers (they block the loop: for CLI start-up and tests) ------------------

/// Whether `path` exists (follows symlinks); never throws.
bool existsSync(const std::string& path);
/// The whole file; throws Exception whose code is the system error ("ENOENT") and whose message
/// has Node's shape.
Buffer readFileSync(const std::string& path);
/// writeFile(), blocking; throws Exception as readFileSync().
void writeFileSync(const std::string& path, const Buffer& data, WriteFileOptions opts = {});
/// stat(), blocking; throws Exception as readFileSync().
Stats statSync(const std::string& path);

// --- Streams --------------------------------------------------------------------------------

/// Node's fs.createReadStream options.
struct ReadStreamOptions {
  std::string flags = "r";  ///< open()'s flags
  int mode = 0666;          ///< open()'s mode, for a file created
  /// Read from this already open descriptor instead of opening `path` (no `open` event then).
  std::optional<int> fd;
  /// Close the descriptor after `end` or an error (the stream auto-destroys); false leaves it
  /// open, and the stream is not destroyed at the end (Node: autoClose sets autoDestroy).
  bool autoClose = true;
  bool emitClose = true;  ///< emit `close` once the stream is destroyed
  /// Byte range, both ends inclusive as in Node. Without start, reads from the descriptor's
  /// current position.
  std::optional<std::uint64_t> start;
  std::optional<std::uint64_t> end;       ///< the last byte to read (inclusive); unset: to the end
  std::size_t highWaterMark = 64 * 1024;  ///< also the size of each read
  std::string encoding;                   ///< as setEncoding()
};

/// A file as a Readable (Node's fs.ReadStream). One read is in flight at a time, each into a
/// fresh Buffer that becomes the `data` chunk without a copy.
class ReadStream : public Readable {
  struct Key {};

 public:
  /// A file read stream's events: Readable's, and these.
  struct Events : Readable::Events {
    static constexpr Event<int> open{"open"};  ///< the descriptor, once opened
    static constexpr Event<> ready{"ready"};   ///< right after `open`
  };

  /// Use createReadStream (the stream starts opening the file as soon as it exists).
  ReadStream(Key, std::string path, ReadStreamOptions opts);
  ~ReadStream() override;

  const std::string& path() const { return path_; }       ///< the path given
  std::uint64_t bytesRead() const { return bytesRead_; }  ///< bytes read so far
  /// True until the file is open.
  bool pending() const { return fd_ < 0 && !closedFd_; }
  /// The descriptor, or -1 before it is open and after it is closed.
  int fd() const { return fd_; }
  /// destroy(), with `cb` after `close` (Node's readStream.close(cb)).
  void close(Callback cb = nullptr);

 protected:
  void _read(std::size_t size) override;
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;

 private:
  friend std::shared_ptr<ReadStream> createReadStream(std::string path, ReadStreamOptions opts);
  void start();
  void readNow(std::size_t size);
  void afterIo();

  std::string path_;
  ReadStreamOptions opts_;
  int fd_ = -1;
  bool closedFd_ = false;
  bool opening_ = false;
  bool ioInFlight_ = false;
  std::optional<std::size_t> deferredRead_;  // a _read that arrived while opening
  std::uint64_t bytesRead_ = 0;
  std::optional<std::uint64_t> pos_;
  std::function<void()> afterIo_;  // a destroy waiting for the open or read in flight
};

/// Node's fs.createReadStream(path, options): the file at `path` as a Readable.
std::shared_ptr<ReadStream> createReadStream(std::string path, ReadStreamOptions opts = {});

/// Node's fs.createWriteStream options.
struct WriteStreamOptions {
  std::string flags = "w";  ///< open()'s flags ("a" appends)
  int mode = 0666;          ///< open()'s mode, for a file created
  std::optional<int> fd;    ///< write to this open descriptor instead (no `open` event then)
  /// Close the descriptor after `finish` or an error; false leaves it open.
  bool autoClose = true;
  bool emitClose = true;  ///< emit `close` once the stream is destroyed
  /// Write from this offset on (with flags "r+" to modify a file in place); without it, writes
  /// go to the descriptor's current position.
  std::optional<std::uint64_t> start;
  std::size_t highWaterMark = 64 * 1024;  ///< Writable's highWaterMark
  bool flush = false;                     ///< fsync before closing
};

/// A file as a Writable (Node's fs.WriteStream). Buffered chunks go out in one vectored write.
class WriteStream : public Writable {
  struct Key {};

 public:
  /// A file write stream's events: Writable's, and these.
  struct Events : Writable::Events {
    static constexpr Event<int> open{"open"};  ///< the descriptor, once opened
    static constexpr Event<> ready{"ready"};   ///< right after `open`
  };

  /// Use createWriteStream (the stream starts opening the file as soon as it exists).
  WriteStream(Key, std::string path, WriteStreamOptions opts);
  ~WriteStream() override;

  const std::string& path() const { return path_; }             ///< the path given
  std::uint64_t bytesWritten() const { return bytesWritten_; }  ///< bytes written so far
  bool pending() const { return fd_ < 0 && !closedFd_; }        ///< true until the file is open
  /// The descriptor, or -1 before it is open and after it is closed.
  int fd() const { return fd_; }
  /// end(), with `cb` after `close` (Node's writeStream.close(cb)).
  void close(Callback cb = nullptr);

 protected:
  void _write(const Buffer& chunk, WriteCallback cb) override;
  void _writev(std::vector<Buffer>& chunks, WriteCallback cb) override;
  bool hasWritev() const override { return true; }
  void _final(std::function<void(const Error&)> cb) override;
  bool hasFinal() const override { return true; }
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;

 private:
  friend std::shared_ptr<WriteStream> createWriteStream(std::string path, WriteStreamOptions opts);
  void start();
  void whenOpen(std::function<void()> fn);
  struct WriteOp;
  void writeAll(std::vector<Buffer> chunks, WriteCallback cb);
  void writeStep(const std::shared_ptr<WriteOp>& op);
  void afterIo();

  std::string path_;
  WriteStreamOptions opts_;
  int fd_ = -1;
  bool closedFd_ = false;
  bool opening_ = false;
  bool ioInFlight_ = false;
  std::uint64_t bytesWritten_ = 0;
  std::optional<std::uint64_t> pos_;
  Error openError_;
  std::vector<std::function<void()>> afterOpen_;  // a write or final waiting for the open
  std::function<void()> afterIo_;                 // a destroy waiting for the I/O in flight
};

/// Node's fs.createWriteStream(path, options): the file at `path` as a Writable.
std::shared_ptr<WriteStream> createWriteStream(std::string path, WriteStreamOptions opts = {});

}  // namespace evnode::fs
