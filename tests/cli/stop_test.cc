// The stop rule of every server subcommand (../shared/CLI.md): a first SIGINT/SIGTERM stops
// accepting and lets idle clients go at once, so a server with only idle clients exits 0 within
// a second; work still in flight after 100 ms is named on stderr; a second signal exits 1.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/testing.h"

namespace {

namespace et = evnode::testing;
using Clock = std::chrono::steady_clock;

struct Server {
  et::Process proc;
  int port = -1;
  explicit Server(std::vector<std::string> args)
      : proc([&] {
          args.insert(args.begin(), et::evnodeBinary());
          return args;
        }()) {
    port = et::parsePortFromListeningLine(proc.waitForLine("listening on ", 30));
  }
  // Signals, then the exit status and how long it took (ms); -1 if it did not exit in 10 s.
  std::pair<int, long> stop(int sig) {
    const auto start = Clock::now();
    proc.kill(sig);
    int status = proc.wait(10);
    return {
        status,
        static_cast<long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count())};
  }
};

TEST(CliStop, EchoWithAnIdleClientExitsAtOnce) {
  EVNODE_WATCHDOG(60);
  for (int sig : {SIGTERM, SIGINT}) {
    Server s({"echo", "--port", "0"});
    ASSERT_GT(s.port, 0);
    int fd = et::rawConnect(s.port);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, "hi", 2, 0), 2);
    char buf[2];
    ASSERT_EQ(::recv(fd, buf, 2, MSG_WAITALL), 2);
    auto [status, ms] = s.stop(sig);
    EXPECT_EQ(status, 0) << s.proc.stderrSoFar();
    EXPECT_LT(ms, 1000);
    EXPECT_EQ(::recv(fd, buf, 2, 0), 0);  // the client saw the server go
    ::close(fd);
  }
}

TEST(CliStop, ChatWithIdleClientsExitsAtOnce) {
  EVNODE_WATCHDOG(60);
  Server s({"chat", "--port", "0"});
  ASSERT_GT(s.port, 0);
  int a = et::rawConnect(s.port), b = et::rawConnect(s.port);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto [status, ms] = s.stop(SIGTERM);
  EXPECT_EQ(status, 0) << s.proc.stderrSoFar();
  EXPECT_LT(ms, 1000);
  ::close(a);
  ::close(b);
}

TEST(CliStop, UdpListenExitsAtOnce) {
  EVNODE_WATCHDOG(60);
  Server s({"udp", "listen", "--port", "0", "--echo"});
  ASSERT_GT(s.port, 0);
  et::ProcResult r = et::runProcess({et::evnodeBinary(), "udp", "send", "127.0.0.1",
                                     std::to_string(s.port), "ping", "--wait-reply", "2000"});
  EXPECT_EQ(r.out, "ping\n");
  auto [status, ms] = s.stop(SIGTERM);
  EXPECT_EQ(status, 0) << s.proc.stderrSoFar();
  EXPECT_LT(ms, 1000);
}

// A download in progress: the first signal lets it go on and says so; the second ends the
// process with status 1.
TEST(CliStop, ServeNamesTheTransferInFlightAndASecondSignalQuits) {
  EVNODE_WATCHDOG(60);
  et::TempDir tmp;
  et::writeFile(tmp.file("big.bin"), std::string(64 << 20, 'b'));
  Server s({"serve", tmp.path(), "--port", "0", "-q"});
  ASSERT_GT(s.port, 0);
  int idle = et::rawConnect(s.port);  // a keep-alive client between requests
  int fd = et::rawConnect(s.port, 16384);
  ASSERT_GE(fd, 0);
  const std::string req = "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  char buf[4096];
  ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);  // the download started; then nobody reads
  s.proc.kill(SIGTERM);
  std::string err;
  for (int i = 0; i < 40 && err.find("stopping") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    err = s.proc.stderrSoFar();
  }
  EXPECT_EQ(err, "evnode: stopping: 1 transfer in flight (signal again to quit now)\n");
  EXPECT_EQ(::recv(idle, buf, sizeof buf, 0), 0);  // the idle client was let go at once
  EXPECT_TRUE(s.proc.running());
  auto [status, ms] = s.stop(SIGTERM);
  EXPECT_EQ(status, 1);
  EXPECT_LT(ms, 1000);
  ::close(fd);
  ::close(idle);
}

// The same download read to its end: the first signal is enough, and the client gets every byte.
TEST(CliStop, ServeFinishesTheTransferThenExits0) {
  EVNODE_WATCHDOG(60);
  et::TempDir tmp;
  const std::size_t size = 16 << 20;
  et::writeFile(tmp.file("big.bin"), std::string(size, 'b'));
  Server s({"serve", tmp.path(), "--port", "0", "-q"});
  ASSERT_GT(s.port, 0);
  int fd = et::rawConnect(s.port);
  ASSERT_GE(fd, 0);
  const std::string req = "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  char buf[65536];
  std::size_t got = static_cast<std::size_t>(::recv(fd, buf, sizeof buf, 0));
  s.proc.kill(SIGTERM);
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  EXPECT_GT(got, size);  // the head and every byte of the file
  EXPECT_EQ(s.proc.wait(10), 0) << s.proc.stderrSoFar();
}

}  // namespace
