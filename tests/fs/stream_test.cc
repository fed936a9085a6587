// fs::ReadStream and fs::WriteStream: byte-exact round trips, ranges, chunk sizes, errors,
// backpressure, destroy at every stage.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "evnode/fs.h"
#include "evnode/loop.h"
#include "support/testing.h"

using namespace evnode;
using evnode::testing::TempDir;

namespace {

std::string sha256(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

bool fdIsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

// Collects a ReadStream's data and events.
struct Collected {
  std::string data;
  std::vector<std::size_t> chunkSizes;
  std::vector<std::string> events;
  Error error;
};

std::shared_ptr<Collected> collect(const std::shared_ptr<fs::ReadStream>& rs) {
  auto c = std::make_shared<Collected>();
  using E = fs::ReadStream::Events;
  rs->on(E::open, [c](int fd) {
    EXPECT_GE(fd, 0);
    c->events.push_back("open");
  });
  rs->on(E::ready, [c] { c->events.push_back("ready"); });
  rs->on(E::data, [c](const Buffer& b) {
    if (c->events.empty() || c->events.back() != "data") c->events.push_back("data");
    c->data += b.view();
    c->chunkSizes.push_back(b.size());
  });
  rs->on(E::end, [c] { c->events.push_back("end"); });
  rs->on(E::error, [c](const Error& e) {
    c->error = e;
    c->events.push_back("error");
  });
  rs->on(E::close, [c] { c->events.push_back("close"); });
  return c;
}

using Events = std::vector<std::string>;

}  // namespace

TEST(FsReadStream, PipeToWriteStreamRoundTripsFourMiB) {
  EVNODE_WATCHDOG(60);
  TempDir dir;
  const std::string data = evnode::testing::randomBytes(4 * 1024 * 1024 + 123, 1);
  evnode::testing::writeFile(dir.file("a"), data);

  auto rs = fs::createReadStream(dir.file("a"));
  auto ws = fs::createWriteStream(dir.file("b"));
  auto rc = collect(rs);
  Events wsEvents;
  ws->on(fs::WriteStream::Events::open, [&](int) { wsEvents.push_back("open"); });
  ws->on(fs::WriteStream::Events::ready, [&] { wsEvents.push_back("ready"); });
  ws->on(fs::WriteStream::Events::finish, [&] { wsEvents.push_back("finish"); });
  ws->on(fs::WriteStream::Events::close, [&] { wsEvents.push_back("close"); });
  EXPECT_TRUE(rs->pending());
  EXPECT_TRUE(ws->pending());
  EXPECT_EQ(rs->path(), dir.file("a"));
  rs->pipe(ws);
  run();

  EXPECT_EQ(rc->events, (Events{"open", "ready", "data", "end", "close"}));
  EXPECT_EQ(wsEvents, (Events{"open", "ready", "finish", "close"}));
  EXPECT_EQ(rs->bytesRead(), data.size());
  EXPECT_EQ(ws->bytesWritten(), data.size());
  EXPECT_FALSE(rs->pending());
  EXPECT_EQ(rs->fd(), -1);  // closed
  EXPECT_EQ(sha256(evnode::testing::readFile(dir.file("b"))), sha256(data));
}

TEST(FsReadStream, ChunksAreHighWaterMarkSized) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  const std::string data = evnode::testing::randomBytes(10500, 2);
  evnode::testing::writeFile(dir.file("a"), data);
  fs::ReadStreamOptions o;
  o.highWaterMark = 1000;
  auto rs = fs::createReadStream(dir.file("a"), o);
  auto c = collect(rs);
  run();
  ASSERT_EQ(c->chunkSizes.size(), 11u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(c->chunkSizes[i], 1000u);
  EXPECT_EQ(c->chunkSizes[10], 500u);
  EXPECT_EQ(c->data, data);
}

TEST(FsReadStream, DefaultChunkIs64KiB) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  const std::string data = evnode::testing::randomBytes(3 * 65536 + 1, 3);
  evnode::testing::writeFile(dir.file("a"), data);
  auto rs = fs::createReadStream(dir.file("a"));
  auto c = collect(rs);
  run();
  EXPECT_EQ(c->chunkSizes, (std::vector<std::size_t>{65536, 65536, 65536, 1}));
  EXPECT_EQ(c->data, data);
}

TEST(FsReadStream, StartAndEndAreInclusive) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  const std::string data = evnode::testing::randomBytes(200000, 4);
  evnode::testing::writeFile(dir.file("a"), data);

  struct Case {
    std::optional<std::uint64_t> start, end;
    std::string want;
  };
  std::vector<Case> cases = {
      {100, 1099, data.substr(100, 1000)},
      {5, 5, data.substr(5, 1)},
      {std::nullopt, 9, data.substr(0, 10)},
      {199990, std::nullopt, data.substr(199990)},
      {70000, 140000, data.substr(70000, 70001)},  // spans several reads
      {300000, std::nullopt, ""},                  // past the end: just `end`
      {0, 10000000, data},
  };
  std::vector<std::shared_ptr<Collected>> results;
  for (const Case& c : cases) {
    fs::ReadStreamOptions o;
    o.start = c.start;
    o.end = c.end;
    o.highWaterMark = 16384;
    results.push_back(collect(fs::createReadStream(dir.file("a"), o)));
  }
  run();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(results[i]->data.size(), cases[i].want.size());
    EXPECT_TRUE(results[i]->data == cases[i].want);
    EXPECT_EQ(results[i]->events.back(), "close");
    EXPECT_FALSE(results[i]->error);
  }
}

TEST(FsReadStream, StartAfterEndThrows) {
  fs::ReadStreamOptions o;
  o.start = 10;
  o.end = 5;
  try {
    fs::createReadStream("whatever", o);
    FAIL() << "no exception";
  } catch (const Exception& e) {
    EXPECT_EQ(e.code(), "ERR_OUT_OF_RANGE");
  }
}

TEST(FsReadStream, InvalidFlagsThrow) {
  fs::ReadStreamOptions o;
  o.flags = "q";
  EXPECT_THROW(fs::createReadStream("x", o), Exception);
  fs::WriteStreamOptions w;
  w.flags = "rw";
  EXPECT_THROW(fs::createWriteStream("x", w), Exception);
}

TEST(FsReadStream, MissingFileEmitsEnoentThenClose) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  const std::string path = dir.file("missing.txt");
  auto rs = fs::createReadStream(path);
  auto c = collect(rs);
  run();
  EXPECT_EQ(c->events, (Events{"error", "close"}));
  EXPECT_EQ(c->error.code, "ENOENT");
  EXPECT_EQ(c->error.syscall, "open");
  EXPECT_EQ(c->error.errnum, -ENOENT);
  EXPECT_EQ(c->error.message, "ENOENT: no such file or directory, open '" + path + "'");
  EXPECT_TRUE(rs->destroyed());
}

TEST(FsReadStream, DirectoryGivesEisdirOnRead) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  auto rs = fs::createReadStream(dir.path());
  auto c = collect(rs);
  run();
  EXPECT_EQ(c->events, (Events{"open", "ready", "error", "close"}));
  EXPECT_EQ(c->error.code, "EISDIR");
  EXPECT_EQ(c->error.syscall, "read");
  EXPECT_EQ(c->error.message, "EISDIR: illegal operation on a directory, read");
}

TEST(FsReadStream, ReadsFromGivenFdAndClosesItOnlyWithAutoClose) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  evnode::testing::writeFile(dir.file("a"), "0123456789");
  int fd1 = ::open(dir.file("a").c_str(), O_RDONLY | O_CLOEXEC);
  int fd2 = ::open(dir.file("a").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd1, 0);
  ASSERT_GE(fd2, 0);
  ASSERT_EQ(::lseek(fd2, 4, SEEK_SET), 4);  // without start, reads from the current position

  fs::ReadStreamOptions o1;
  o1.fd = fd1;
  auto r1 = fs::createReadStream("", o1);
  EXPECT_FALSE(r1->pending());
  auto c1 = collect(r1);
  fs::ReadStreamOptions o2;
  o2.fd = fd2;
  o2.autoClose = false;
  auto r2 = fs::createReadStream("", o2);
  auto c2 = collect(r2);
  run();
  EXPECT_EQ(c1->data, "0123456789");
  EXPECT_EQ(c1->events, (Events{"data", "end", "close"}));  // no open/ready for a given fd
  EXPECT_EQ(c2->data, "456789");
  EXPECT_EQ(c2->events, (Events{"data", "end"}));  // autoClose=false: not destroyed at the end
  EXPECT_FALSE(fdIsOpen(fd1));
  EXPECT_TRUE(fdIsOpen(fd2));
  ::close(fd2);
}

TEST(FsReadStream, DestroyWhileOpeningClosesWithoutError) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  evnode::testing::writeFile(dir.file("a"), "hello");
  auto rs = fs::createReadStream(dir.file("a"));
  auto c = collect(rs);
  rs->resume();
  rs->destroy();
  run();
  EXPECT_EQ(c->events, (Events{"close"}));
  EXPECT_EQ(rs->fd(), -1);
}

TEST(FsReadStream, DestroyFromDataStopsReading) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  evnode::testing::writeFile(dir.file("a"), evnode::testing::randomBytes(1 << 20, 5));
  auto rs = fs::createReadStream(dir.file("a"));
  int chunks = 0;
  bool closed = false;
  rs->on(fs::ReadStream::Events::data, [&](const Buffer&) {
    ++chunks;
    rs->destroy();
  });
  rs->on(fs::ReadStream::Events::close, [&] { closed = true; });
  run();
  EXPECT_EQ(chunks, 1);
  EXPECT_TRUE(closed);
  EXPECT_LE(rs->bytesRead(), 2u * 65536);
}

TEST(FsReadStream, CloseCallbackRunsAfterClose) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  evnode::testing::writeFile(dir.file("a"), "abc");
  auto rs = fs::createReadStream(dir.file("a"));
  bool opened = false, called = false;
  rs->on(fs::ReadStream::Events::open, [&](int) {
    opened = true;
    rs->close([&](const Error& err) {
      EXPECT_FALSE(err);
      EXPECT_TRUE(rs->closed());
      called = true;
    });
  });
  run();
  EXPECT_TRUE(opened);
  EXPECT_TRUE(called);
}

TEST(FsReadStream, EncodingGivesText) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  // A multi-byte character split across the 4-byte reads must arrive whole.
  evnode::testing::writeFile(dir.file("a"), "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac!");
  fs::ReadStreamOptions o;
  o.encoding = "utf8";
  o.highWaterMark = 4;
  auto rs = fs::createReadStream(dir.file("a"), o);
  std::string text;
  rs->on(fs::ReadStream::Events::data, [&](const Buffer& b) { text += b.toString(); });
  run();
  EXPECT_EQ(text, "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac!");
}

TEST(FsReadStream, PausedModeWithRead) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  const std::string data = evnode::testing::randomBytes(300000, 6);
  evnode::testing::writeFile(dir.file("a"), data);
  auto rs = fs::createReadStream(dir.file("a"));
  std::string got;
  bool ended = false;
  rs->on(fs::ReadStream::Events::readable, [&] {
    while (auto b = rs->read(1000)) got += b->view();
  });
  rs->on(fs::ReadStream::Events::end, [&] { ended = true; });
  run();
  EXPECT_TRUE(ended);
  EXPECT_TRUE(got == data);
}

// A consumer slower than the disk: the read stream must wait for it, so what has been read but
// not yet consumed stays within a few high-water marks instead of growing with the file.
TEST(FsReadStream, SlowConsumerBoundsMemory) {
  EVNODE_WATCHDOG(60);
  TempDir dir;
  const std::size_t size = 8 * 1024 * 1024;
  const std::string data = evnode::testing::randomBytes(size, 7);
  evnode::testing::writeFile(dir.file("a"), data);

  fs::ReadStreamOptions o;
  o.highWaterMark = 64 * 1024;
  auto rs = fs::createReadStream(dir.file("a"), o);
  std::string got;
  std::size_t maxAhead = 0;
  int writes = 0;
  WritableOptions wo;
  wo.highWaterMark = 64 * 1024;
  wo.write = [&](Writable&, const Buffer& chunk, WriteCallback cb) {
    got += chunk.view();
    maxAhead = std::max<std::size_t>(maxAhead, rs->bytesRead() - got.size());
    // Every 16th chunk takes a real timer's worth of time; the rest a loop turn.
    if (++writes % 16 == 0) {
      setTimeout([cb] { cb(); }, 2);
    } else {
      setImmediate([cb] { cb(); });
    }
  };
  auto slow = std::make_shared<Writable>(wo);
  bool finished = false;
  slow->on(Writable::Events::finish, [&] { finished = true; });
  rs->pipe(slow);
  run();
  EXPECT_TRUE(finished);
  EXPECT_EQ(got.size(), size);
  EXPECT_EQ(sha256(got), sha256(data));
  // read buffer (hwm) + writable buffer (hwm) + one read in flight, and some slack
  EXPECT_LE(maxAhead, 4u * 64 * 1024);
}

TEST(FsReadStream, PausedStreamStopsReading) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  evnode::testing::writeFile(dir.file("a"), evnode::testing::randomBytes(4 << 20, 8));
  auto rs = fs::createReadStream(dir.file("a"));
  std::size_t seen = 0;
  std::uint64_t readAtPause = 0, readLater = 0;
  TimeoutPtr t1, t2;
  rs->on(fs::ReadStream::Events::data, [&](const Buffer& b) {
    seen += b.size();
    if (seen < 256 * 1024 || rs->isPaused()) return;
    rs->pause();
    // Give the read in flight time to land, then check that nothing more is read.
    t1 = setTimeout([&] { readAtPause = rs->bytesRead(); }, 50);
    t2 = setTimeout(
        [&] {
          readLater = rs->bytesRead();
          rs->destroy();
        },
        150);
  });
  run();
  EXPECT_GT(readAtPause, 0u);
  EXPECT_EQ(readAtPause, readLater);  // nothing read while paused
  EXPECT_LE(readLater, seen + 2 * 65536);
}

TEST(FsWriteStream, WritesAndEventsInOrder) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  auto ws = fs::createWriteStream(dir.file("out"));
  Events ev;
  using E = fs::WriteStream::Events;
  ws->on(E::open, [&](int) { ev.push_back("open"); });
  ws->on(E::ready, [&] { ev.push_back("ready"); });
  ws->on(E::finish, [&] { ev.push_back("finish"); });
  ws->on(E::close, [&] { ev.push_back("close"); });
  int cbs = 0;
  ws->write("hello ", [&](const Error& e) {
    EXPECT_FALSE(e);
    ++cbs;
  });
  ws->write(Buffer::from("world"));
  ws->end("!\n", [&](const Error& e) {
    EXPECT_FALSE(e);
    ++cbs;
  });
  run();
  EXPECT_EQ(ev, (Events{"open", "ready", "finish", "close"}));
  EXPECT_EQ(cbs, 2);
  EXPECT_EQ(ws->bytesWritten(), 13u);
  EXPECT_EQ(evnode::testing::readFile(dir.file("out")), "hello world!\n");
}

TEST(FsWriteStream, EndWithoutWritesCreatesEmptyFile) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  evnode::testing::writeFile(dir.file("out"), "old contents");
  auto ws = fs::createWriteStream(dir.file("out"));
  Events ev;
  ws->on(fs::WriteStream::Events::open, [&](int) { ev.push_back("open"); });
  ws->on(fs::WriteStream::Events::finish, [&] { ev.push_back("finish"); });
  ws->on(fs::WriteStream::Events::close, [&] { ev.push_back("close"); });
  ws->end();
  run();
  EXPECT_EQ(ev, (Events{"open", "finish", "close"}));
  EXPECT_EQ(evnode::testing::readFile(dir.file("out")), "");
}

TEST(FsWriteStream, CorkedWritesGoOutInOneVectoredWrite) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  auto ws = fs::createWriteStream(dir.file("out"));
  std::string want;
  ws->cork();
  for (int i = 0; i < 3000; ++i) {  // more than IOV_MAX chunks
    std::string s = std::to_string(i) + ",";
    want += s;
    ws->write(s);
  }
  ws->write(Buffer());  // an empty chunk in the batch
  ws->uncork();
  ws->end();
  run();
  EXPECT_EQ(ws->bytesWritten(), want.size());
  EXPECT_EQ(evnode::testing::readFile(dir.file("out")), want);
}

TEST(FsWriteStream, DirectoryGivesEisdir) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  auto ws = fs::createWriteStream(dir.path());
  Events ev;
  Error err, writeErr;
  ws->on(fs::WriteStream::Events::error, [&](const Error& e) {
    err = e;
    ev.push_back("error");
  });
  ws->on(fs::WriteStream::Events::close, [&] { ev.push_back("close"); });
  ws->write("data", [&](const Error& e) { writeErr = e; });
  run();
  EXPECT_EQ(ev, (Events{"error", "close"}));
  EXPECT_EQ(err.code, "EISDIR");
  EXPECT_EQ(err.syscall, "open");
  EXPECT_EQ(err.message, "EISDIR: illegal operation on a directory, open '" + dir.path() + "'");
  EXPECT_TRUE(writeErr);
}

TEST(FsWriteStream, ReadOnlyFileGivesEacces) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  std::string path = dir.file("ro");
  evnode::testing::writeFile(path, "x");
  ::chmod(path.c_str(), 0444);
  if (::geteuid() == 0) {
    // Root writes anything; a read-only sysfs attribute still refuses it.
    path = "/sys/kernel/notes";
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) ::close(fd);
    if (fd >= 0 || errno != EACCES) GTEST_SKIP() << "no file root cannot write here";
  }
  auto ws = fs::createWriteStream(path);
  Error err;
  ws->on(fs::WriteStream::Events::error, [&](const Error& e) { err = e; });
  ws->end("y");
  run();
  EXPECT_EQ(err.code, "EACCES");
  EXPECT_EQ(err.message, "EACCES: permission denied, open '" + path + "'");
}

TEST(FsWriteStream, MissingDirectoryGivesEnoent) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  auto ws = fs::createWriteStream(dir.file("no/such/file"));
  Error err;
  bool closed = false;
  ws->on(fs::WriteStream::Events::error, [&](const Error& e) { err = e; });
  ws->on(fs::WriteStream::Events::close, [&] { closed = true; });
  ws->end("y");
  run();
  EXPECT_EQ(err.code, "ENOENT");
  EXPECT_TRUE(closed);
}

TEST(FsWriteStream, WriteAfterEndFails) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  auto ws = fs::createWriteStream(dir.file("out"));
  Error cbErr, evErr;
  ws->on(fs::WriteStream::Events::error, [&](const Error& e) { evErr = e; });
  ws->end("first");
  EXPECT_FALSE(ws->write("second", [&](const Error& e) { cbErr = e; }));
  run();
  EXPECT_EQ(cbErr.code, "ERR_STREAM_WRITE_AFTER_END");
  EXPECT_EQ(evErr.code, "ERR_STREAM_WRITE_AFTER_END");
  // As in Node, the error destroys the stream before "first" reached the file.
  EXPECT_TRUE(ws->destroyed());
  EXPECT_EQ(evnode::testing::readFile(dir.file("out")), "");
}

TEST(FsWriteStream, WriteAfterFinishFails) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  auto ws = fs::createWriteStream(dir.file("out"));
  Error cbErr;
  ws->on(fs::WriteStream::Events::error, [](const Error&) {});
  ws->on(fs::WriteStream::Events::finish,
         [&] { ws->write("second", [&](const Error& e) { cbErr = e; }); });
  ws->end("first");
  run();
  EXPECT_EQ(cbErr.code, "ERR_STREAM_WRITE_AFTER_END");
  EXPECT_EQ(evnode::testing::readFile(dir.file("out")), "first");
}

TEST(FsWriteStream, FlagsAppendAndExclusive) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  evnode::testing::writeFile(dir.file("f"), "abc");
  fs::WriteStreamOptions a;
  a.flags = "a";
  fs::createWriteStream(dir.file("f"), a)->end("def");
  fs::WriteStreamOptions x;
  x.flags = "wx";
  auto excl = fs::createWriteStream(dir.file("f"), x);
  Error err;
  excl->on(fs::WriteStream::Events::error, [&](const Error& e) { err = e; });
  excl->end("zzz");
  run();
  EXPECT_EQ(evnode::testing::readFile(dir.file("f")), "abcdef");
  EXPECT_EQ(err.code, "EEXIST");
}

TEST(FsWriteStream, StartWritesInPlace) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  evnode::testing::writeFile(dir.file("f"), "0123456789");
  fs::WriteStreamOptions o;
  o.flags = "r+";
  o.start = 3;
  auto ws = fs::createWriteStream(dir.file("f"), o);
  ws->write("ab");
  ws->end("c");
  run();
  EXPECT_EQ(evnode::testing::readFile(dir.file("f")), "012abc6789");
}

TEST(FsWriteStream, GivenFdStaysOpenWithoutAutoClose) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  int fd = ::open(dir.file("f").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  fs::WriteStreamOptions o;
  o.fd = fd;
  o.autoClose = false;
  auto ws = fs::createWriteStream("", o);
  bool finished = false, closed = false;
  ws->on(fs::WriteStream::Events::finish, [&] { finished = true; });
  ws->on(fs::WriteStream::Events::close, [&] { closed = true; });
  ws->end("via fd");
  run();
  EXPECT_TRUE(finished);
  EXPECT_FALSE(closed);
  EXPECT_TRUE(fdIsOpen(fd));
  ::close(fd);
  EXPECT_EQ(evnode::testing::readFile(dir.file("f")), "via fd");
}

TEST(FsWriteStream, FlushOptionAndCloseCallback) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  fs::WriteStreamOptions o;
  o.flush = true;
  auto ws = fs::createWriteStream(dir.file("f"), o);
  ws->write("durable");
  bool called = false;
  ws->close([&](const Error& e) {
    EXPECT_FALSE(e);
    EXPECT_TRUE(ws->closed());
    called = true;
  });
  run();
  EXPECT_TRUE(called);
  EXPECT_EQ(evnode::testing::readFile(dir.file("f")), "durable");
}

TEST(FsWriteStream, DestroyWhileWritingClosesAndFailsTheWrite) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  auto ws = fs::createWriteStream(dir.file("f"));
  Error err1, err2;
  bool closed = false, errored = false;
  ws->on(fs::WriteStream::Events::error, [&](const Error&) { errored = true; });
  ws->on(fs::WriteStream::Events::close, [&] { closed = true; });
  ws->on(fs::WriteStream::Events::open, [&](int) {
    ws->write(Buffer::alloc(4 << 20, 'x'), [&](const Error& e) { err1 = e; });
    ws->write("queued", [&](const Error& e) { err2 = e; });
    ws->destroy();
  });
  run();
  EXPECT_TRUE(closed);
  EXPECT_FALSE(errored);  // destroy() without an error emits none
  EXPECT_EQ(err1.code, "ERR_STREAM_DESTROYED");
  EXPECT_EQ(err2.code, "ERR_STREAM_DESTROYED");
  EXPECT_EQ(ws->fd(), -1);
}

TEST(FsWriteStream, DestroyBeforeOpenStillClosesTheFile) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  auto ws = fs::createWriteStream(dir.file("f"));
  Error werr;
  bool closed = false;
  ws->on(fs::WriteStream::Events::close, [&] { closed = true; });
  ws->write("never", [&](const Error& e) { werr = e; });
  ws->destroy();
  run();
  EXPECT_TRUE(closed);
  EXPECT_TRUE(werr);
  EXPECT_EQ(ws->fd(), -1);
  EXPECT_TRUE(fs::existsSync(dir.file("f")));  // the open had already been issued
}
