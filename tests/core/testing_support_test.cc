// Tests of the test-support library itself (tests/support/testing.h): if these helpers are
// wrong, every suite that uses them is.
#include "support/testing.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

namespace {

namespace et = evnode::testing;
using Clock = std::chrono::steady_clock;

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// True once pid is gone or a zombie (killed, waiting for whoever adopted it to reap it).
bool deadOrZombie(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return ::kill(pid, 0) != 0;
  std::string line;
  std::getline(stat, line);
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() &&
         (line[paren + 2] == 'Z' || line[paren + 2] == 'X');
}

TEST(TestingSupport, RunProcessCollectsStdout) {
  EVNODE_WATCHDOG(30);
  et::ProcResult r = et::runProcess({"/bin/echo", "hi"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(r.err, "");
  EXPECT_FALSE(r.timedOut);
}

TEST(TestingSupport, RunProcessStdinRoundTrip) {
  EVNODE_WATCHDOG(30);
  // Larger than any pipe buffer, so feeding stdin and draining stdout must interleave.
  std::string data = et::randomBytes(3 << 20, 42);
  et::ProcResult r = et::runProcess({"cat"}, data);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.size(), data.size());
  EXPECT_TRUE(r.out == data);
}

TEST(TestingSupport, RunProcessExitCodeAndStderr) {
  EVNODE_WATCHDOG(30);
  et::ProcResult r = et::runProcess({"sh", "-c", "echo out; echo oops >&2; exit 3"});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "oops\n");
}

TEST(TestingSupport, RunProcessReportsSignals) {
  EVNODE_WATCHDOG(30);
  et::ProcResult r = et::runProcess({"sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(r.status, 128 + SIGTERM);
}

TEST(TestingSupport, RunProcessTimeoutKillsTheGroup) {
  EVNODE_WATCHDOG(30);
  auto start = Clock::now();
  et::ProcResult r = et::runProcess({"sh", "-c", "echo started; sleep 100; echo never"}, "", 1);
  auto took = Clock::now() - start;
  EXPECT_TRUE(r.timedOut);
  EXPECT_EQ(r.status, 128 + SIGKILL);
  EXPECT_EQ(r.out, "started\n");
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(TestingSupport, RunProcessDoesNotWaitForBackgroundedGrandchildren) {
  EVNODE_WATCHDOG(30);
  auto start = Clock::now();
  et::ProcResult r = et::runProcess({"sh", "-c", "sleep 100 & echo $!"}, "", 20);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_FALSE(r.timedOut);
  EXPECT_EQ(r.status, 0);
  pid_t grandchild = std::stoi(r.out);
  auto until = Clock::now() + std::chrono::seconds(5);
  while (!deadOrZombie(grandchild) && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(deadOrZombie(grandchild));
}

TEST(TestingSupport, RunProcessMissingProgram) {
  et::ProcResult r = et::runProcess({"evnode-no-such-program-here"});
  EXPECT_EQ(r.status, 127);
  EXPECT_NE(r.err.find("evnode-no-such-program-here"), std::string::npos) << r.err;
}

TEST(TestingSupport, ProcessWaitForLine) {
  EVNODE_WATCHDOG(30);
  et::Process p({"sh", "-c", "echo starting; echo listening on 127.0.0.1:5; sleep 5"});
  std::string line = p.waitForLine("listening on", 10);
  EXPECT_EQ(line, "listening on 127.0.0.1:5");
  EXPECT_EQ(et::parsePortFromListeningLine(line), 5);
  EXPECT_TRUE(p.running());
  p.kill(SIGTERM);
  EXPECT_EQ(p.wait(10), 128 + SIGTERM);
  EXPECT_FALSE(p.running());
  EXPECT_EQ(p.stdoutSoFar(), "starting\nlistening on 127.0.0.1:5\n");
}

TEST(TestingSupport, ProcessWaitForLineGoesOnFromTheLastMatch) {
  EVNODE_WATCHDOG(30);
  et::Process p({"sh", "-c", "printf 'a 1\\r\\nb 2\\nc 3\\nlast'"});
  EXPECT_EQ(p.waitForLine(std::regex("^[a-z] [0-9]$")), "a 1");
  EXPECT_EQ(p.waitForLine(std::regex("[0-9]")), "b 2");
  EXPECT_EQ(p.waitForLine("la"), "last");
  EXPECT_EQ(p.wait(10), 0);
}

TEST(TestingSupport, ProcessWaitForLineFailsWithTheOutput) {
  EVNODE_WATCHDOG(30);
  et::Process p({"sh", "-c", "echo hello; echo problem >&2"});
  EXPECT_NONFATAL_FAILURE(EXPECT_EQ(p.waitForLine("never", 5), ""), "problem");
  et::Process q({"sleep", "10"});
  EXPECT_NONFATAL_FAILURE(q.waitForLine("never", 1), "within 1 s");
}

TEST(TestingSupport, ProcessStdin) {
  EVNODE_WATCHDOG(30);
  et::Process p({"cat"});
  EXPECT_TRUE(p.writeStdin("one\ntwo\n"));
  EXPECT_EQ(p.waitForLine("two"), "two");
  p.closeStdin();
  EXPECT_EQ(p.wait(10), 0);
  EXPECT_EQ(p.stdoutSoFar(), "one\ntwo\n");
  EXPECT_FALSE(p.writeStdin("late"));
}

TEST(TestingSupport, ProcessWriteToExitedChildFailsWithoutSigpipe) {
  EVNODE_WATCHDOG(30);
  et::Process p({"true"});
  EXPECT_EQ(p.wait(10), 0);
  EXPECT_FALSE(p.writeStdin(std::string(1 << 20, 'x')));
}

TEST(TestingSupport, ProcessChattyStderrDoesNotBlockIt) {
  EVNODE_WATCHDOG(30);
  et::Process p({"sh", "-c", "head -c 2000000 /dev/zero >&2; echo done"});
  EXPECT_EQ(p.waitForLine("done", 20), "done");
  EXPECT_EQ(p.wait(10), 0);
  EXPECT_EQ(p.stderrSoFar().size(), 2000000u);
}

TEST(TestingSupport, ProcessDestructorKillsGrandchildren) {
  EVNODE_WATCHDOG(30);
  pid_t grandchild;
  {
    et::Process p({"sh", "-c", "sleep 100 & echo $!; wait"});
    std::string line = p.waitForLine("", 10);
    ASSERT_FALSE(line.empty());
    grandchild = std::stoi(line);
  }
  auto until = Clock::now() + std::chrono::seconds(5);
  while (!deadOrZombie(grandchild) && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(deadOrZombie(grandchild));
}

TEST(TestingSupport, ProcessThatCannotStartThrows) {
  EXPECT_THROW(et::Process({"evnode-no-such-program-here"}), std::system_error);
}

TEST(TestingSupport, TempDirIsCreatedAndRemoved) {
  std::string path;
  {
    et::TempDir dir;
    path = dir.path();
    ASSERT_TRUE(exists(path));
    EXPECT_EQ(dir.file("a.txt"), path + "/a.txt");
    et::writeFile(dir.file("a.txt"), "alpha");
    ASSERT_EQ(::mkdir(dir.file("sub").c_str(), 0755), 0);
    et::writeFile(dir.file("sub/b.bin"), std::string("\0\1\2", 3));
    ASSERT_EQ(::chmod(dir.file("sub").c_str(), 0), 0);  // removal copes with this too
    et::TempDir moved = std::move(dir);
    EXPECT_EQ(moved.path(), path);
  }
  EXPECT_FALSE(exists(path));
}

TEST(TestingSupport, ReadWriteFileRoundTrip) {
  et::TempDir dir;
  std::string data = et::randomBytes(100001, 7);
  data[5] = '\0';
  et::writeFile(dir.file("data"), data);
  EXPECT_TRUE(et::readFile(dir.file("data")) == data);
  EXPECT_THROW(et::readFile(dir.file("missing")), std::system_error);
}

TEST(TestingSupport, FreePort) {
  int tcp = et::freePort();
  int udp = et::freePort(true);
  EXPECT_GT(tcp, 0);
  EXPECT_LT(tcp, 65536);
  EXPECT_GT(udp, 0);
  EXPECT_LT(udp, 65536);
}

TEST(TestingSupport, WaitForTcpPort) {
  EVNODE_WATCHDOG(30);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  EXPECT_TRUE(et::waitForTcpPort(ntohs(addr.sin_port), 5));
  ::close(fd);
  EXPECT_FALSE(et::waitForTcpPort(et::freePort(), 1));
}

TEST(TestingSupport, ParsePortFromListeningLine) {
  EXPECT_EQ(et::parsePortFromListeningLine("listening on 127.0.0.1:1234"), 1234);
  EXPECT_EQ(et::parsePortFromListeningLine("listening on [::1]:1234\n"), 1234);
  EXPECT_EQ(et::parsePortFromListeningLine("listening on http://127.0.0.1:8080"), 8080);
  EXPECT_EQ(et::parsePortFromListeningLine("listening on https://[::1]:443/"), 443);
  EXPECT_EQ(et::parsePortFromListeningLine("listening on udp://127.0.0.1:41234"), 41234);
  EXPECT_EQ(et::parsePortFromListeningLine("listening on tls://localhost:9"), 9);
  EXPECT_EQ(et::parsePortFromListeningLine("listening on unix:/tmp/evnode.sock"), -1);
  EXPECT_EQ(et::parsePortFromListeningLine("listening on ::1"), -1);
  EXPECT_EQ(et::parsePortFromListeningLine("listening on 127.0.0.1:99999"), -1);
  EXPECT_EQ(et::parsePortFromListeningLine("nothing here"), -1);
}

TEST(TestingSupport, Commands) {
  EXPECT_TRUE(et::haveCommand("sh"));
  EXPECT_TRUE(et::haveCommand("/bin/sh"));
  EXPECT_FALSE(et::haveCommand("evnode-no-such-program-here"));
  EXPECT_EQ(et::findCommand("/bin/sh"), "/bin/sh");
  std::string sh = et::findCommand("sh");
  EXPECT_TRUE(sh.size() > 3 && sh.substr(sh.size() - 3) == "/sh") << sh;
}

TEST(TestingSupport, RandomBytesAreDeterministic) {
  EXPECT_EQ(et::randomBytes(0, 1), "");
  EXPECT_EQ(et::randomBytes(13, 1).size(), 13u);
  EXPECT_EQ(et::randomBytes(1000, 1), et::randomBytes(1000, 1));
  EXPECT_NE(et::randomBytes(1000, 1), et::randomBytes(1000, 2));
  EXPECT_EQ(et::randomBytes(1000, 9).substr(0, 13), et::randomBytes(13, 9));
}

TEST(TestingSupport, BuildDirectories) {
  EXPECT_FALSE(et::binDir().empty());
  EXPECT_TRUE(exists(et::sourceDir() + "/CMakeLists.txt")) << et::sourceDir();
  EXPECT_EQ(et::evnodeBinary(), et::binDir() + "/evnode");
}

TEST(TestingSupport, WatchdogDisarmedInTime) {
  et::Watchdog dog(1, "quick");
  dog.disarm();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  et::Watchdog moved = et::Watchdog(1);
}

TEST(TestingSupportDeathTest, WatchdogFailsAHungTest) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        et::Watchdog dog(1, "HungSuite.HungTest");
        std::this_thread::sleep_for(std::chrono::seconds(30));
      },
      ::testing::ExitedWithCode(3), "HungSuite.HungTest did not finish within 1 s");
}

}  // namespace
