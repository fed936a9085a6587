// `evnode serve` against clients that hold connections open for nothing: a PUT whose body
// stalls (408, the connection closed, no file left behind), a body a read-only server discards
// that stalls, a download nobody reads (disconnected after --send-timeout, and while it waits
// the transfer costs the socket and the file, no third descriptor). Plain blocking sockets.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/testing.h"

namespace {

namespace et = evnode::testing;
using Clock = std::chrono::steady_clock;

struct Serve {
  et::Process proc;
  int port = -1;
  explicit Serve(const std::string& dir, std::vector<std::string> extra)
      : proc([&] {
          std::vector<std::string> argv = {et::evnodeBinary(), "serve", dir, "--port", "0"};
          argv.insert(argv.end(), extra.begin(), extra.end());
          return argv;
        }()) {
    port = et::parsePortFromListeningLine(proc.waitForLine("listening on ", 30));
  }
  int openDescriptors() const {
    int n = 0;
    std::string dir = "/proc/" + std::to_string(proc.pid()) + "/fd";
    if (DIR* d = ::opendir(dir.c_str())) {
      while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
      ::closedir(d);
    }
    return n;
  }
};

void sendAll(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

// Reads until EOF or reset, at most timeoutMs; returns what came and sets `closed`.
std::string readToClose(int fd, int timeoutMs, bool& closed) {
  std::string got;
  closed = false;
  timeval tv{0, 50000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const auto end = Clock::now() + std::chrono::milliseconds(timeoutMs);
  while (Clock::now() < end) {
    char buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      got.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      closed = true;
      break;
    }
  }
  return got;
}

bool anyFileBesides(const std::string& dir, const std::string& name) {
  bool found = false;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != ".." && n != name) found = true;
    }
    ::closedir(d);
  }
  return found;
}

TEST(CliServeTimeouts, StalledUploadGets408AndLeavesNoFile) {
  EVNODE_WATCHDOG(60);
  et::TempDir tmp;
  et::writeFile(tmp.file("keep.txt"), "keep");
  Serve s(tmp.path(), {"--writable", "--body-timeout", "1"});
  ASSERT_GT(s.port, 0);
  int fd = et::rawConnect(s.port);
  ASSERT_GE(fd, 0);
  const auto start = Clock::now();
  sendAll(fd, "PUT /up.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial");
  bool closed = false;
  std::string got = readToClose(fd, 10000, closed);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_EQ(got.rfind("HTTP/1.1 408 Request Timeout\r\n", 0), 0u) << got;
  EXPECT_GE(ms, 900);
  EXPECT_LT(ms, 5000);
  // The temporary file goes with the aborted upload (removed asynchronously: give it a moment).
  for (int i = 0; i < 50 && anyFileBesides(tmp.path(), "keep.txt"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(anyFileBesides(tmp.path(), "keep.txt"));
  s.proc.kill(SIGTERM);
  EXPECT_EQ(s.proc.wait(20), 0) << s.proc.stderrSoFar();
  // The access log gives the status the client got (not 499, "the client left").
  EXPECT_NE(s.proc.stderrSoFar().find("PUT /up.bin 408 0 "), std::string::npos)
      << s.proc.stderrSoFar();
}

// --body-timeout bounds idleness: a body that trickles in slower than the timeout between
// bytes, but is never idle for it, goes through (the minimum rate waits a minute).
TEST(CliServeTimeouts, TricklingUploadThatIsNeverIdleForTheTimeoutCompletes) {
  EVNODE_WATCHDOG(60);
  et::TempDir tmp;
  Serve s(tmp.path(), {"--writable", "--body-timeout", "1"});
  ASSERT_GT(s.port, 0);
  int fd = et::rawConnect(s.port);
  ASSERT_GE(fd, 0);
  const std::string body = "slow but steady";  // 15 bytes, one per 200 ms: 3 s in all
  sendAll(fd, "PUT /slow.txt HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n");
  for (char c : body) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    sendAll(fd, std::string(1, c));
  }
  bool closed = false;
  std::string got = readToClose(fd, 10000, closed);
  ::close(fd);
  EXPECT_EQ(got.rfind("HTTP/1.1 201 Created\r\n", 0), 0u) << got;
  EXPECT_EQ(et::readFile(tmp.file("slow.txt")), body);
  s.proc.kill(SIGTERM);
  EXPECT_EQ(s.proc.wait(20), 0) << s.proc.stderrSoFar();
}

TEST(CliServeTimeouts, StalledBodyOnAReadOnlyServerIsCutOff) {
  EVNODE_WATCHDOG(60);
  et::TempDir tmp;
  Serve s(tmp.path(), {"--body-timeout", "1"});
  ASSERT_GT(s.port, 0);
  int fd = et::rawConnect(s.port);
  ASSERT_GE(fd, 0);
  sendAll(fd, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc");
  bool closed = false;
  std::string got = readToClose(fd, 10000, closed);
  ::close(fd);
  EXPECT_EQ(got.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u) << got;
  EXPECT_TRUE(closed);
  s.proc.kill(SIGTERM);
  EXPECT_EQ(s.proc.wait(20), 0) << s.proc.stderrSoFar();
}

TEST(CliServeTimeouts, DownloadNobodyReadsIsDisconnectedAfterSendTimeout) {
  EVNODE_WATCHDOG(60);
  et::TempDir tmp;
  std::string big(64 << 20, 'z');
  et::writeFile(tmp.file("big.bin"), big);
  et::writeFile(tmp.file("small.txt"), "small");
  Serve s(tmp.path(), {"--send-timeout", "1", "-q"});
  ASSERT_GT(s.port, 0);
  // A first request makes what the server keeps for good (its poller's epoll instance).
  et::ProcResult warm = et::runProcess(
      {"curl", "-s", "http://127.0.0.1:" + std::to_string(s.port) + "/small.txt"}, "", 20);
  ASSERT_EQ(warm.out, "small");
  // ... once curl's connection is gone on the server's side too.
  int before = s.openDescriptors();
  for (int i = 0, same = 0; i < 100 && same < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    int now = s.openDescriptors();
    same = now == before ? same + 1 : 0;
    before = now;
  }
  int fd = et::rawConnect(s.port, 16384);
  ASSERT_GE(fd, 0);
  sendAll(fd, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
  // The transfer waits for room: the server holds the connection and the file, nothing more.
  int during = 0;
  for (int i = 0; i < 100 && during != before + 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    during = s.openDescriptors();
  }
  EXPECT_EQ(during, before + 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(s.openDescriptors(), before + 2);
  // Then it gives up on the client; the file is closed with the connection.
  int after = -1;
  for (int i = 0; i < 100; ++i) {
    after = s.openDescriptors();
    if (after == before) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(after, before);
  bool closed = false;
  std::string got = readToClose(fd, 5000, closed);
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(got.size(), big.size());
  s.proc.kill(SIGTERM);
  EXPECT_EQ(s.proc.wait(20), 0) << s.proc.stderrSoFar();
}

TEST(CliServeTimeouts, QuietServesWithoutAnAccessLog) {
  EVNODE_WATCHDOG(60);
  et::TempDir tmp;
  et::writeFile(tmp.file("a.txt"), "hello");
  for (bool quiet : {false, true}) {
    std::vector<std::string> extra;
    if (quiet) extra.push_back("--quiet");
    Serve s(tmp.path(), extra);
    ASSERT_GT(s.port, 0);
    et::ProcResult r = et::runProcess(
        {"curl", "-s", "http://127.0.0.1:" + std::to_string(s.port) + "/a.txt"}, "", 20);
    EXPECT_EQ(r.out, "hello");
    s.proc.kill(SIGTERM);
    EXPECT_EQ(s.proc.wait(20), 0);
    EXPECT_EQ(s.proc.stderrSoFar().find("GET /a.txt 200"), quiet ? std::string::npos : 0u)
        << s.proc.stderrSoFar();
  }
}

}  // namespace
