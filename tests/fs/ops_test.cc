// The callback-style fs helpers and the synchronous ones.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "evnode/fs.h"
#include "evnode/loop.h"
#include "support/testing.h"

using namespace evnode;
using evnode::testing::TempDir;

namespace {
std::string str(const Buffer& b) { return std::string(b.view()); }

double nowMs() {
  using namespace std::chrono;
  return static_cast<double>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}
}  // namespace

TEST(FsOps, StatFileDirectoryAndSymlink) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  evnode::testing::writeFile(dir.file("f"), "12345");
  ASSERT_EQ(::symlink("f", dir.file("link").c_str()), 0);
  std::optional<fs::Stats> file, directory, linkStat, linkLstat;
  Error missing;
  fs::stat(dir.file("f"), [&](const Error& e, const fs::Stats& s) {
    EXPECT_FALSE(e);
    file = s;
  });
  fs::stat(dir.path(), [&](const Error& e, const fs::Stats& s) {
    EXPECT_FALSE(e);
    directory = s;
  });
  fs::stat(dir.file("link"), [&](const Error&, const fs::Stats& s) { linkStat = s; });
  fs::lstat(dir.file("link"), [&](const Error&, const fs::Stats& s) { linkLstat = s; });
  fs::stat(dir.file("nope"), [&](const Error& e, const fs::Stats&) { missing = e; });
  run();
  ASSERT_TRUE(file && directory && linkStat && linkLstat);
  EXPECT_TRUE(file->isFile());
  EXPECT_FALSE(file->isDirectory());
  EXPECT_EQ(file->size, 5u);
  EXPECT_NEAR(file->mtimeMs, nowMs(), 60000);
  EXPECT_GT(file->ino, 0u);
  EXPECT_TRUE(directory->isDirectory());
  EXPECT_TRUE(linkStat->isFile());
  EXPECT_EQ(linkStat->ino, file->ino);
  EXPECT_EQ(linkStat->dev, file->dev);
  EXPECT_TRUE(linkLstat->isSymbolicLink());
  EXPECT_EQ(missing.code, "ENOENT");
  EXPECT_EQ(missing.message, "ENOENT: no such file or directory, stat '" + dir.file("nope") + "'");
}

TEST(FsOps, CallbacksAreAlwaysAsynchronous) {
  EVNODE_WATCHDOG(20);
  bool returned = false;
  int calls = 0;
  fs::stat("/", [&](const Error&, const fs::Stats&) {
    EXPECT_TRUE(returned);
    ++calls;
  });
  // An argument libuv rejects before queuing still reports through the callback, later.
  fs::read(-1, Buffer::alloc(4), 0, 4, std::nullopt,
           [&](const Error& e, std::size_t, const Buffer&) {
             EXPECT_TRUE(returned);
             EXPECT_EQ(e.code, "EBADF");
             ++calls;
           });
  returned = true;
  run();
  EXPECT_EQ(calls, 2);
}

TEST(FsOps, FstatOfOpenFile) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  evnode::testing::writeFile(dir.file("f"), std::string(1000, 'a'));
  std::uint64_t size = 0;
  fs::open(dir.file("f"), [&](const Error& e, int fd) {
    ASSERT_FALSE(e);
    fs::fstat(fd, [&, fd](const Error& e2, const fs::Stats& s) {
      EXPECT_FALSE(e2);
      size = s.size;
      fs::close(fd, [](const Error& e3) { EXPECT_FALSE(e3); });
    });
  });
  run();
  EXPECT_EQ(size, 1000u);
}

TEST(FsOps, RealpathResolvesLinksAndDots) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  std::string canonical;
  {
    char buf[PATH_MAX];
    ASSERT_NE(::realpath(dir.path().c_str(), buf), nullptr);
    canonical = buf;
  }
  ASSERT_EQ(::mkdir(dir.file("sub").c_str(), 0755), 0);
  evnode::testing::writeFile(dir.file("sub/f"), "x");
  ASSERT_EQ(::symlink("sub", dir.file("ln").c_str()), 0);
  std::string got;
  Error missing;
  fs::realpath(dir.file("ln/../sub/./f"), [&](const Error& e, const std::string& p) {
    EXPECT_FALSE(e);
    got = p;
  });
  fs::realpath(dir.file("nope"), [&](const Error& e, const std::string&) { missing = e; });
  run();
  EXPECT_EQ(got, canonical + "/sub/f");
  EXPECT_EQ(missing.code, "ENOENT");
  EXPECT_EQ(missing.syscall, "realpath");
}

TEST(FsOps, ReaddirListsSortedEntriesWithTypes) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  evnode::testing::writeFile(dir.file("b.txt"), "");
  evnode::testing::writeFile(dir.file("a.txt"), "");
  ASSERT_EQ(::mkdir(dir.file("sub").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("a.txt", dir.file("ln").c_str()), 0);
  std::vector<fs::Dirent> entries;
  Error missing;
  fs::readdir(dir.path(), [&](const Error& e, const std::vector<fs::Dirent>& d) {
    EXPECT_FALSE(e);
    entries = d;
  });
  fs::readdir(dir.file("nope"), [&](const Error& e, const std::vector<fs::Dirent>& d) {
    missing = e;
    EXPECT_TRUE(d.empty());
  });
  run();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].name, "a.txt");
  EXPECT_TRUE(entries[0].isFile());
  EXPECT_EQ(entries[1].name, "b.txt");
  EXPECT_EQ(entries[2].name, "ln");
  EXPECT_TRUE(entries[2].isSymbolicLink());
  EXPECT_EQ(entries[3].name, "sub");
  EXPECT_TRUE(entries[3].isDirectory());
  EXPECT_EQ(missing.code, "ENOENT");
  EXPECT_EQ(missing.message,
            "ENOENT: no such file or directory, scandir '" + dir.file("nope") + "'");
}

TEST(FsOps, ReadFileAndWriteFileRoundTrip) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  const std::string data = evnode::testing::randomBytes(3 * 1024 * 1024 + 7, 11);
  std::string got;
  Error missing, isDir;
  std::string proc;
  fs::writeFile(dir.file("f"), Buffer::from(data.data(), data.size()), [&](const Error& e) {
    ASSERT_FALSE(e);
    fs::readFile(dir.file("f"), [&](const Error& e2, const Buffer& b) {
      EXPECT_FALSE(e2);
      got = str(b);
    });
  });
  fs::readFile(dir.file("nope"), [&](const Error& e, const Buffer& b) {
    missing = e;
    EXPECT_TRUE(b.empty());
  });
  fs::readFile(dir.path(), [&](const Error& e, const Buffer&) { isDir = e; });
  // procfs reports size 0: read until end of file.
  fs::readFile("/proc/self/status", [&](const Error& e, const Buffer& b) {
    EXPECT_FALSE(e);
    proc = str(b);
  });
  run();
  EXPECT_TRUE(got == data);
  EXPECT_EQ(missing.message, "ENOENT: no such file or directory, open '" + dir.file("nope") + "'");
  EXPECT_EQ(isDir.code, "EISDIR");
  EXPECT_NE(proc.find("Pid:"), std::string::npos);
}

TEST(FsOps, EmptyFileAndEmptyWrite) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  bool read = false;
  fs::writeFile(dir.file("e"), std::string_view(), [&](const Error& e) {
    ASSERT_FALSE(e);
    fs::readFile(dir.file("e"), [&](const Error& e2, const Buffer& b) {
      EXPECT_FALSE(e2);
      EXPECT_TRUE(b.empty());
      read = true;
    });
  });
  run();
  EXPECT_TRUE(read);
}

TEST(FsOps, AppendRenameUnlinkMkdirRmdir) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  std::vector<std::string> steps;
  auto ok = [&](const char* step) {
    return [&steps, step](const Error& e) {
      EXPECT_FALSE(e) << step << ": " << e.message;
      steps.push_back(step);
    };
  };
  Error renameErr, rmdirErr;
  fs::writeFile(dir.file("a"), std::string_view("one,"), [&](const Error& e) {
    ok("write")(e);
    fs::appendFile(dir.file("a"), Buffer::from("two"), [&](const Error& e2) {
      ok("append")(e2);
      fs::rename(dir.file("a"), dir.file("b"), [&](const Error& e3) {
        ok("rename")(e3);
        EXPECT_EQ(evnode::testing::readFile(dir.file("b")), "one,two");
        EXPECT_FALSE(fs::existsSync(dir.file("a")));
        fs::rename(dir.file("a"), dir.file("c"), [&](const Error& e4) { renameErr = e4; });
        fs::unlink(dir.file("b"), [&](const Error& e5) {
          ok("unlink")(e5);
          EXPECT_FALSE(fs::existsSync(dir.file("b")));
        });
      });
    });
  });
  fs::mkdir(dir.file("d"), [&](const Error& e) {
    ok("mkdir")(e);
    EXPECT_TRUE(fs::statSync(dir.file("d")).isDirectory());
    fs::mkdir(dir.file("d"), [&](const Error& e2) {
      EXPECT_EQ(e2.code, "EEXIST");
      fs::rmdir(dir.file("d"), [&](const Error& e3) {
        ok("rmdir")(e3);
        fs::rmdir(dir.file("d"), [&](const Error& e4) { rmdirErr = e4; });
      });
    });
  });
  run();
  EXPECT_EQ(steps.size(), 6u);
  EXPECT_EQ(renameErr.message, "ENOENT: no such file or directory, rename '" + dir.file("a") +
                                   "' -> '" + dir.file("c") + "'");
  EXPECT_EQ(rmdirErr.code, "ENOENT");
}

TEST(FsOps, OpenReadWriteClose) {
  EVNODE_WATCHDOG(20);
  TempDir dir;
  std::string readBack;
  Error closeAgain, badOpen;
  fs::open(dir.file("f"), "w+", 0600, [&](const Error& e, int fd) {
    ASSERT_FALSE(e);
    EXPECT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    fs::write(fd, Buffer::from("hello world"), std::nullopt,
              [&, fd](const Error& e2, std::size_t n) {
                EXPECT_FALSE(e2);
                EXPECT_EQ(n, 11u);
                fs::read(fd, Buffer::alloc(20), 2, 5, 6,
                         [&, fd](const Error& e3, std::size_t n3, const Buffer& b) {
                           EXPECT_FALSE(e3);
                           readBack = std::string(b.view().substr(2, n3));
                           fs::close(fd, [&, fd](const Error& e4) {
                             EXPECT_FALSE(e4);
                             fs::close(fd, [&](const Error& e5) { closeAgain = e5; });
                           });
                         });
              });
  });
  fs::open(dir.file("missing"), "r", [&](const Error& e, int fd) {
    badOpen = e;
    EXPECT_EQ(fd, -1);
  });
  run();
  EXPECT_EQ(readBack, "world");
  EXPECT_EQ(closeAgain.code, "EBADF");
  EXPECT_EQ(closeAgain.message, "EBADF: bad file descriptor, close");
  EXPECT_EQ(badOpen.code, "ENOENT");
  struct stat st;
  ASSERT_EQ(::stat(dir.file("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(FsOps, ReadRejectsRangesOutsideTheBuffer) {
  EXPECT_THROW(fs::read(0, Buffer::alloc(4), 5, 0, std::nullopt, [](auto&&...) {}), Exception);
  EXPECT_THROW(fs::read(0, Buffer::alloc(4), 2, 3, std::nullopt, [](auto&&...) {}), Exception);
  EXPECT_THROW(fs::open("x", "bogus", [](const Error&, int) {}), Exception);
}

TEST(FsOps, SyncHelpers) {
  TempDir dir;
  const std::string data = evnode::testing::randomBytes(200000, 12);
  fs::writeFileSync(dir.file("f"), Buffer::from(data.data(), data.size()));
  EXPECT_TRUE(fs::existsSync(dir.file("f")));
  EXPECT_FALSE(fs::existsSync(dir.file("g")));
  EXPECT_EQ(fs::statSync(dir.file("f")).size, data.size());
  EXPECT_TRUE(str(fs::readFileSync(dir.file("f"))) == data);
  fs::writeFileSync(dir.file("f"), Buffer::from("+"), {"a", 0666});
  EXPECT_EQ(fs::readFileSync(dir.file("f")).size(), data.size() + 1);
  try {
    fs::readFileSync(dir.file("g"));
    FAIL() << "no exception";
  } catch (const Exception& e) {
    EXPECT_EQ(e.code(), "ENOENT");
    EXPECT_EQ(std::string(e.what()),
              "ENOENT: no such file or directory, open '" + dir.file("g") + "'");
  }
  EXPECT_THROW(fs::statSync(dir.file("g")), Exception);
  EXPECT_THROW(fs::writeFileSync(dir.file("no/dir"), Buffer::from("x")), Exception);
}
