// evnode/fs_promises.h — Node's fs/promises: the file operations to co_await.
//
//   Buffer data = co_await fs::promises::readFile("in.txt");
//   co_await fs::promises::writeFile("out.txt", "hello");
//   auto fh = co_await fs::promises::open("log.txt", "a");
//   co_await fh->write(Buffer::from("line\n"));
//   co_await fh->close();
//
// Each operation runs on libuv's thread pool, as fs.h's callback forms (which they are built
// on); errors are thrown as SystemError with Node's message ("ENOENT: no such file or directory,
// open 'in.txt'"), and `.result()` gives them as values (operation.h). An AbortSignal given in
// the options makes the await throw AbortError at once; the request already on the thread pool
// runs to its end and its outcome is dropped (Node checks the signal between steps, too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evnode/abort.h"
#include "evnode/buffer.h"
#include "evnode/fs.h"
#include "evnode/operation.h"
#include "evnode/task.h"

/// Node's `fs/promises`.
namespace evnode::fs::promises {

/// Options of readFile(), writeFile() and appendFile() (Node's `{flag, mode, signal}`).
struct FileOptions {
  std::string flag;                     ///< open()'s flags; "" = "r" to read, "w" to write
  int mode = 0666;                      ///< for a file created (masked by the umask)
  std::shared_ptr<AbortSignal> signal;  ///< aborts the await (AbortError)
};

// Each call with options has a twin without, rather than a defaulted `opts = {}`: a defaulted
// options struct would be an aggregate temporary inside the co_await operand (task.h, GCC 12).

/// Node's `await fsPromises.readFile(path)`: the whole file.
CallbackOperation<Buffer> readFile(const std::string& path);
/// Node's `await fsPromises.readFile(path, {signal})` (flag must be "r" or "").
CallbackOperation<Buffer> readFile(const std::string& path, const FileOptions& opts);
/// Node's `await fsPromises.writeFile(path, data)`: creates or truncates the file (flag "w").
CallbackOperation<void> writeFile(const std::string& path, Buffer data);
/// The same with options (flag, mode, signal).
CallbackOperation<void> writeFile(const std::string& path, Buffer data, const FileOptions& opts);
/// The same with text (its UTF-8 bytes).
CallbackOperation<void> writeFile(const std::string& path, std::string_view data);
/// The same with text and options.
CallbackOperation<void> writeFile(const std::string& path, std::string_view data,
                                  const FileOptions& opts);
/// The same with a C string (keeps a string literal from choosing the Buffer form).
inline CallbackOperation<void> writeFile(const std::string& path, const char* data) {
  return writeFile(path, std::string_view(data));
}
/// Node's `await fsPromises.appendFile(path, data)` (flag "a").
CallbackOperation<void> appendFile(const std::string& path, Buffer data);
/// The same with options.
CallbackOperation<void> appendFile(const std::string& path, Buffer data, const FileOptions& opts);
/// The same with text.
CallbackOperation<void> appendFile(const std::string& path, std::string_view data);
/// The same with text and options.
CallbackOperation<void> appendFile(const std::string& path, std::string_view data,
                                   const FileOptions& opts);
/// The same with a C string.
inline CallbackOperation<void> appendFile(const std::string& path, const char* data) {
  return appendFile(path, std::string_view(data));
}

/// Node's `await fsPromises.stat(path)`.
CallbackOperation<Stats> stat(const std::string& path);
/// Node's `await fsPromises.lstat(path)` (a symbolic link itself).
CallbackOperation<Stats> lstat(const std::string& path);
/// Node's `await fsPromises.readdir(path)`: the names, in the directory's order.
CallbackOperation<std::vector<std::string>> readdir(const std::string& path);
/// Node's `await fsPromises.readdir(path, {withFileTypes: true})`.
CallbackOperation<std::vector<Dirent>> readdirWithFileTypes(const std::string& path);
/// Node's `await fsPromises.realpath(path)`.
CallbackOperation<std::string> realpath(const std::string& path);
/// Node's `await fsPromises.rename(oldPath, newPath)`.
CallbackOperation<void> rename(const std::string& oldPath, const std::string& newPath);
/// Node's `await fsPromises.unlink(path)`.
CallbackOperation<void> unlink(const std::string& path);
/// Node's `await fsPromises.rmdir(path)` (an empty directory).
CallbackOperation<void> rmdir(const std::string& path);

/// Node's `await fsPromises.access(path, mode)`: throws (EACCES, ENOENT) unless allowed. `mode`
/// is <unistd.h>'s F_OK (0, exists), or R_OK | W_OK | X_OK (the values of Node's fs.constants).
CallbackOperation<void> access(const std::string& path, int mode = 0);
/// Node's COPYFILE_EXCL for copyFile(): fail if the destination exists.
inline constexpr int COPYFILE_EXCL = 1;
/// Node's `await fsPromises.copyFile(src, dest, mode)`.
CallbackOperation<void> copyFile(const std::string& src, const std::string& dest, int mode = 0);
/// Node's `await fsPromises.mkdtemp(prefix)`: makes `prefix` + six random characters, a new
/// directory, and gives its path.
CallbackOperation<std::string> mkdtemp(const std::string& prefix);

/// Node's fsPromises.mkdir options.
struct MkdirOptions {
  bool recursive = false;  ///< make the missing parents too; an existing directory is fine
  int mode = 0777;         ///< for the directories made (masked by the umask)
};
/// Node's `await fsPromises.mkdir(path, {recursive, mode})`: with recursive, gives the first
/// directory made (std::nullopt when all existed, Node's undefined).
Task<std::optional<std::string>> mkdir(std::string path, MkdirOptions opts = {});

/// Node's fsPromises.rm options.
struct RmOptions {
  bool recursive = false;  ///< remove a directory and everything in it
  bool force = false;      ///< a path that does not exist is not an error
};
/// Node's `await fsPromises.rm(path, {recursive, force})`: a file, or with recursive a directory
/// tree (symbolic links are removed, never followed). Without recursive a directory throws
/// ERR_FS_EISDIR.
Task<void> rm(std::string path, RmOptions opts = {});

/// What FileHandle::read() gives (Node's `{bytesRead, buffer}`).
struct ReadResult {
  std::size_t bytesRead = 0;  ///< 0 at the end of the file
  Buffer buffer;              ///< the buffer read into
};

/// Node's FileHandle: an open file, from open(). close() it when done; one still open when the
/// handle is destroyed is closed then (asynchronously, errors ignored; Node warns about it).
class FileHandle {
 public:
  /// A handle owning `fd` (open() makes them).
  explicit FileHandle(int fd) : fd_(fd) {}
  ~FileHandle();
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;

  /// The descriptor; -1 once closed.
  int fd() const { return fd_; }
  /// Node's `await filehandle.read(buffer, offset, length, position)`: reads into `buffer`
  /// from the current position (nullopt) or `position`.
  CallbackOperation<ReadResult> read(Buffer buffer, std::size_t offset, std::size_t length,
                                     std::optional<std::uint64_t> position = std::nullopt);
  /// Node's `await filehandle.read()`: up to 16 KiB into a new buffer (bytesRead 0 at the end).
  CallbackOperation<ReadResult> read();
  /// Node's `await filehandle.write(buffer, 0, length, position)`: bytes written.
  CallbackOperation<std::size_t> write(Buffer data,
                                       std::optional<std::uint64_t> position = std::nullopt);
  /// The same with text.
  CallbackOperation<std::size_t> write(std::string_view text,
                                       std::optional<std::uint64_t> position = std::nullopt) {
    return write(Buffer::from(text), position);
  }
  /// Node's `await filehandle.stat()`.
  CallbackOperation<Stats> stat();
  /// Node's `await filehandle.readFile()`: from the current position to the end.
  Task<Buffer> readFile();
  /// Node's `await filehandle.close()`. Closing twice is a no-op.
  CallbackOperation<void> close();
  /// Node's `filehandle.createReadStream(options)`: a ReadStream over this descriptor; the
  /// stream closes it when done (autoClose), and the handle then no longer owns it.
  std::shared_ptr<ReadStream> createReadStream(ReadStreamOptions opts);
  /// The same with the default options (no defaulted argument: see task.h on GCC 12).
  std::shared_ptr<ReadStream> createReadStream() { return createReadStream(ReadStreamOptions()); }
  /// Node's `filehandle.createWriteStream(options)` (see createReadStream()).
  std::shared_ptr<WriteStream> createWriteStream(WriteStreamOptions opts);
  /// The same with the default options.
  std::shared_ptr<WriteStream> createWriteStream() {
    return createWriteStream(WriteStreamOptions());
  }

 private:
  void checkOpen(const char* what) const;
  int fd_;
};

/// Node's `await fsPromises.open(path, flags, mode)`: an open FileHandle.
CallbackOperation<std::shared_ptr<FileHandle>> open(const std::string& path,
                                                    std::string_view flags = "r", int mode = 0666);

}  // namespace evnode::fs::promises
