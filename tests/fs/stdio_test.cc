// process::stdin/stdout/stderr, tested from outside: examples/stdio_cat with its stdio as a pipe,
// a file, /dev/null, a closed descriptor or a terminal, and this test binary re-run as a child
// (EVNODE_FS_TEST_CHILD=<mode>) for pause(), idle stdin and process::exit's flush.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "evnode/loop.h"
#include "evnode/process.h"
#include "support/testing.h"

extern char** environ;

using namespace evnode;
using evnode::testing::TempDir;

namespace {

constexpr std::size_t kSpewBlock = 16384;
constexpr int kSpewBlocks = 64;

std::string spewExpected() {
  std::string out;
  for (int i = 0; i < kSpewBlocks; ++i) out.append(kSpewBlock, static_cast<char>('a' + i % 26));
  return out;
}

// What this binary does when re-run as a child.
int childMain(std::string_view mode) {
  if (mode == "pause") {
    // Reads one chunk, then pauses: the process must exit although stdin stays open.
    process::stdin()->once(Readable::Events::data, [](const Buffer& b) {
      process::stdout()->write("got " + std::to_string(b.size()) + "\n");
      process::stdin()->pause();
    });
    run();
    return 0;
  }
  if (mode == "idle") {
    // Touching stdin without reading it must not keep the process alive.
    process::stdin();
    process::stdout()->write("idle\n");
    run();
    return 0;
  }
  if (mode == "spew") {
    // Far more than a pipe holds, without waiting for drain, then exit at once: process::exit
    // must still deliver every byte.
    auto out = process::stdout();
    for (int i = 0; i < kSpewBlocks; ++i) {
      out->write(Buffer::alloc(kSpewBlock, static_cast<std::uint8_t>('a' + i % 26)));
    }
    process::stderr()->write("bye\n");
    process::exit(7);
  }
  if (mode == "epipe") {
    // stdout is a pipe nobody reads any more: the write fails with EPIPE as an `error`.
    int fds[2];
    if (::pipe(fds) != 0) return 98;
    ::close(fds[0]);
    ::dup2(fds[1], 1);
    ::close(fds[1]);
    auto out = process::stdout();
    out->on(Writable::Events::error, [](const Error& e) {
      std::fprintf(::stderr, "error %s %s\n", e.code.c_str(), e.syscall.c_str());
    });
    out->write("x");
    run();
    return 0;
  }
  if (mode == "pipes") {
    // Two sources piped into stdout one after the other, then a direct write: as in Node, the
    // first source's end must not end stdout (nor stderr).
    auto first = std::make_shared<Readable>();
    first->push("one\n");
    first->push(nullptr);
    first->pipe(process::stdout());
    auto toErr = std::make_shared<Readable>();
    toErr->push("err\n");
    toErr->push(nullptr);
    toErr->pipe(process::stderr());
    setTimeout(
        [] {
          auto second = std::make_shared<Readable>();
          second->push("two\n");
          second->push(nullptr);
          second->pipe(process::stdout());
          setTimeout(
              [] {
                bool ended = process::stdout()->writableEnded();
                process::stdout()->write(ended ? "ended\n" : "three\n");
                process::stderr()->write(process::stderr()->writableEnded() ? "ended\n" : "more\n");
              },
              20);
        },
        20);
    run();
    return 0;
  }
  if (mode == "tty") {
    auto in = process::stdin();
    auto out = process::stdout();
    out->write("tty " + std::to_string(in->isTTY()) + std::to_string(out->isTTY()) + " " +
               std::to_string(out->columns()) + "x" + std::to_string(out->rows()) + "\n");
    in->pipe(out);
    run();
    return 0;
  }
  return 99;
}

[[maybe_unused]] const bool childRan = [] {
  if (const char* mode = std::getenv("EVNODE_FS_TEST_CHILD")) std::exit(childMain(mode));
  return false;
}();

std::string selfExe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::vector<std::string> childArgv(const std::string& mode) {
  return {"env", "EVNODE_FS_TEST_CHILD=" + mode, selfExe()};
}

// examples/stdio_cat from the build, or from $EVNODE_STDIO_CAT.
std::string stdioCat() {
  if (const char* e = std::getenv("EVNODE_STDIO_CAT")) return e;
  return evnode::testing::binDir() + "/examples/stdio_cat";
}

#define REQUIRE_STDIO_CAT()                                                                \
  do {                                                                                     \
    if (::access(stdioCat().c_str(), X_OK) != 0)                                           \
      GTEST_SKIP() << stdioCat() << " is not built (set EVNODE_STDIO_CAT to point at it)"; \
  } while (0)

std::string shQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

TEST(Stdio, CatCopiesOneMiBThroughPipes) {
  REQUIRE_STDIO_CAT();
  const std::string data = evnode::testing::randomBytes(1 << 20, 21);
  auto r = evnode::testing::runProcess({stdioCat()}, data);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.size(), data.size());
  EXPECT_TRUE(r.out == data);
  EXPECT_EQ(r.err, "");
}

TEST(Stdio, CatThroughATransform) {
  REQUIRE_STDIO_CAT();
  auto r = evnode::testing::runProcess({stdioCat(), "--upper"}, "hello, World 42\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "HELLO, WORLD 42\n");
}

TEST(Stdio, CatWithStdinRedirectedFromAFile) {
  REQUIRE_STDIO_CAT();
  TempDir dir;
  const std::string data = evnode::testing::randomBytes((1 << 20) + 3, 22);
  evnode::testing::writeFile(dir.file("in"), data);
  auto r = evnode::testing::runProcess(
      {"sh", "-c", shQuote(stdioCat()) + " < " + shQuote(dir.file("in"))});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out == data);
}

TEST(Stdio, CatWithStdoutRedirectedToAFile) {
  REQUIRE_STDIO_CAT();
  TempDir dir;
  const std::string data = evnode::testing::randomBytes((1 << 20) + 5, 23);
  evnode::testing::writeFile(dir.file("in"), data);
  auto r = evnode::testing::runProcess(
      {"sh", "-c",
       shQuote(stdioCat()) + " < " + shQuote(dir.file("in")) + " > " + shQuote(dir.file("out"))});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(evnode::testing::readFile(dir.file("out")) == data);
  // Appending (O_APPEND descriptor) adds rather than overwrites.
  r = evnode::testing::runProcess(
      {"sh", "-c", "echo more | " + shQuote(stdioCat()) + " >> " + shQuote(dir.file("out"))});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(evnode::testing::readFile(dir.file("out")) == data + "more\n");
}

TEST(Stdio, CatWithNullClosedAndDevNullDescriptors) {
  REQUIRE_STDIO_CAT();
  const std::string cat = shQuote(stdioCat());
  auto r = evnode::testing::runProcess({"sh", "-c", cat + " < /dev/null"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = evnode::testing::runProcess({"sh", "-c", cat + " <&-"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = evnode::testing::runProcess({"sh", "-c", "echo hi | " + cat + " >&-"});
  EXPECT_EQ(r.status, 0) << r.err;
  r = evnode::testing::runProcess({"sh", "-c", "echo hi | " + cat + " > /dev/null"});
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST(Stdio, PausedStdinLetsTheProcessExit) {
  evnode::testing::Process p(childArgv("pause"));
  ASSERT_TRUE(p.writeStdin("hello\n"));
  EXPECT_EQ(p.waitForLine("got "), "got 6");
  EXPECT_EQ(p.wait(20), 0) << p.stderrSoFar();  // stdin is still open
}

TEST(Stdio, UnreadStdinDoesNotKeepTheProcessAlive) {
  evnode::testing::Process p(childArgv("idle"));
  EXPECT_EQ(p.waitForLine("idle"), "idle");
  EXPECT_EQ(p.wait(20), 0) << p.stderrSoFar();
}

TEST(Stdio, ExitFlushesPendingStdout) {
  auto r = evnode::testing::runProcess(childArgv("spew"));
  EXPECT_EQ(r.status, 7) << r.err;
  EXPECT_EQ(r.out.size(), spewExpected().size());
  EXPECT_TRUE(r.out == spewExpected());
  EXPECT_EQ(r.err, "bye\n");
}

TEST(Stdio, PipingIntoStdoutNeverEndsIt) {
  auto r = evnode::testing::runProcess(childArgv("pipes"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "one\ntwo\nthree\n");
  EXPECT_EQ(r.err, "err\nmore\n");
}

TEST(Stdio, BrokenPipeIsAnError) {
  auto r = evnode::testing::runProcess(childArgv("epipe"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "error EPIPE write\n");
}

// stdin and stdout on a pseudo-terminal: uv_tty_t for both, sizes from the terminal.
TEST(Stdio, TerminalInputAndOutput) {
  EVNODE_WATCHDOG(30);
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) GTEST_SKIP() << "no pseudo-terminals here";
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  const std::string slavePath = ::ptsname(master);
  int slave = ::open(slavePath.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(slave, 0);
  termios t{};
  ASSERT_EQ(::tcgetattr(slave, &t), 0);
  t.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL);  // line mode (ICANON) stays: ^D is EOF
  t.c_oflag &= ~static_cast<tcflag_t>(OPOST);          // "\n" stays "\n"
  ASSERT_EQ(::tcsetattr(slave, TCSANOW, &t), 0);
  winsize ws{};
  ws.ws_col = 100;
  ws.ws_row = 40;
  ASSERT_EQ(::ioctl(master, TIOCSWINSZ, &ws), 0);

  std::vector<std::string> envStrings;
  for (char** e = environ; *e; ++e) envStrings.emplace_back(*e);
  envStrings.push_back("EVNODE_FS_TEST_CHILD=tty");
  std::vector<char*> envp;
  for (auto& s : envStrings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string exe = selfExe();
  char* argv[] = {exe.data(), nullptr};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, slave, 0);
  posix_spawn_file_actions_adddup2(&fa, slave, 1);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(slave);
  ASSERT_EQ(rc, 0);

  auto readUntil = [&](const std::string& want, std::string& got) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (got.find(want) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got.find(want) != std::string::npos;
  };
  std::string got;
  EXPECT_TRUE(readUntil("tty 11 100x40\n", got)) << got;
  ASSERT_EQ(::write(master, "hello tty\n", 10), 10);
  EXPECT_TRUE(readUntil("hello tty\n", got)) << got;
  ASSERT_EQ(::write(master, "\x04", 1), 1);  // end of input

  int status = -1;
  for (int i = 0; i < 150; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = -1;
  }
  if (status == -1) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    ADD_FAILURE() << "child did not exit at end of terminal input; output: " << got;
  } else {
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  EXPECT_EQ(got, "tty 11 100x40\nhello tty\n");
  ::close(master);
}
