// `evnode chat`: three clients, each line reaches every other client as "> ID: text\n" and
// never its sender; joins and leaves are logged to stderr, not stdout.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/testing.h"

namespace {

namespace et = evnode::testing;

int localPort(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// Reads whatever arrives within timeoutMs of quiet, until `lines` newlines have been seen.
std::string readLines(int fd, int lines, int timeoutMs) {
  std::string out;
  char buf[4096];
  while (std::count(out.begin(), out.end(), '\n') < lines) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

bool waitForStderr(et::Process& p, const std::string& what, int timeoutMs) {
  for (int waited = 0; waited < timeoutMs; waited += 20) {
    if (p.stderrSoFar().find(what) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(CliChat, ThreeClientsEachGetEveryOtherLineButNotTheirOwn) {
  EVNODE_WATCHDOG(30);
  et::Process chat({et::evnodeBinary(), "chat", "--port", "0"});
  std::string line = chat.waitForLine("listening on ", 15);
  int port = et::parsePortFromListeningLine(line);
  EXPECT_EQ(line, "listening on 127.0.0.1:" + std::to_string(port));
  ASSERT_GT(port, 0);

  std::vector<int> fds;
  for (int i = 0; i < 3; ++i) {
    fds.push_back(et::rawConnect(port));
    ASSERT_GE(fds.back(), 0);
  }
  // Every client must be in the room before anyone speaks.
  ASSERT_TRUE(waitForStderr(chat, "(3 online)", 5000)) << chat.stderrSoFar();

  // Client 2 sends its line in two pieces, and with CRLF: the server joins and trims it.
  ASSERT_EQ(::send(fds[0], "hello from 0\n", 13, 0), 13);
  ASSERT_EQ(::send(fds[1], "hello from 1\n", 13, 0), 13);
  ASSERT_EQ(::send(fds[2], "hello ", 6, 0), 6);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(::send(fds[2], "from 2\r\n", 8, 0), 8);

  for (int i = 0; i < 3; ++i) {
    std::string got = readLines(fds[i], 2, 5000);
    std::vector<std::string> expected;
    for (int j = 0; j < 3; ++j) {
      if (j == i) continue;
      expected.push_back("> 127.0.0.1:" + std::to_string(localPort(fds[j])) + ": hello from " +
                         std::to_string(j) + "\n");
    }
    // The order between two senders is not fixed; each line arrives whole.
    bool inOrder = got == expected[0] + expected[1];
    bool swapped = got == expected[1] + expected[0];
    EXPECT_TRUE(inOrder || swapped) << "client " << i << " got:\n" << got;
    // Nothing else, in particular not its own line.
    EXPECT_EQ(readLines(fds[i], 1, 200), "") << "client " << i;
  }

  ::close(fds[2]);
  EXPECT_TRUE(waitForStderr(chat, "(2 online)", 5000)) << chat.stderrSoFar();
  ASSERT_EQ(::send(fds[0], "bye\n", 4, 0), 4);
  EXPECT_EQ(readLines(fds[1], 1, 5000),
            "> 127.0.0.1:" + std::to_string(localPort(fds[0])) + ": bye\n");
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_TRUE(waitForStderr(chat, "(0 online)", 5000)) << chat.stderrSoFar();
  chat.kill(SIGINT);
  EXPECT_EQ(chat.wait(10), 0);
  EXPECT_EQ(chat.stdoutSoFar(), line + "\n");  // joins and leaves went to stderr
}

TEST(CliChat, SigintEndsConnectedClients) {
  EVNODE_WATCHDOG(30);
  et::Process chat({et::evnodeBinary(), "chat", "--port", "0"});
  int port = et::parsePortFromListeningLine(chat.waitForLine("listening on ", 15));
  ASSERT_GT(port, 0);
  int fd = et::rawConnect(port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(waitForStderr(chat, "(1 online)", 5000));
  chat.kill(SIGINT);
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  char c;
  EXPECT_EQ(::recv(fd, &c, 1, 0), 0);  // EOF from the server
  ::close(fd);
  EXPECT_EQ(chat.wait(10), 0);
}

}  // namespace

// With --threads the room spans every thread: nine clients (spread by the kernel over three
// loops) each get every other client's lines, each sender's in the order sent, never their own;
// the online count is the whole room's.
TEST(CliChat, WithThreadsTheRoomSpansEveryThread) {
  EVNODE_WATCHDOG(30);
  et::Process chat({et::evnodeBinary(), "chat", "--port", "0", "--threads", "3"});
  std::string line = chat.waitForLine("listening on ", 15);
  int port = et::parsePortFromListeningLine(line);
  ASSERT_GT(port, 0);
  constexpr int kClients = 9, kLines = 3;
  std::vector<int> fds;
  for (int i = 0; i < kClients; ++i) {
    fds.push_back(et::rawConnect(port));
    ASSERT_GE(fds.back(), 0);
  }
  ASSERT_TRUE(waitForStderr(chat, "(9 online)", 5000)) << chat.stderrSoFar();
  for (int k = 0; k < kLines; ++k) {
    for (int i = 0; i < kClients; ++i) {
      std::string msg = "line " + std::to_string(k) + " of " + std::to_string(i) + "\n";
      ASSERT_EQ(::send(fds[i], msg.data(), msg.size(), 0), static_cast<ssize_t>(msg.size()));
    }
  }
  for (int i = 0; i < kClients; ++i) {
    std::string got = readLines(fds[i], (kClients - 1) * kLines, 5000);
    // Each sender's lines, in the order they came (senders interleave freely).
    std::vector<std::string> bySender(kClients);
    std::size_t start = 0, nl;
    while ((nl = got.find('\n', start)) != std::string::npos) {
      std::string l = got.substr(start, nl + 1 - start);
      start = nl + 1;
      int from = -1;
      for (int j = 0; j < kClients; ++j) {
        if (l.rfind("> 127.0.0.1:" + std::to_string(localPort(fds[j])) + ": ", 0) == 0) from = j;
      }
      ASSERT_GE(from, 0) << "client " << i << " got a line from nobody: " << l;
      bySender[from] += l.substr(l.find(": ") + 2);
    }
    EXPECT_EQ(start, got.size()) << "a partial line: " << got;
    for (int j = 0; j < kClients; ++j) {
      std::string expected;
      for (int k = 0; k < kLines && j != i; ++k) {
        expected += "line " + std::to_string(k) + " of " + std::to_string(j) + "\n";
      }
      EXPECT_EQ(bySender[j], expected) << "client " << i << " from " << j;
    }
    EXPECT_EQ(readLines(fds[i], 1, 200), "") << "client " << i;
  }
  for (int fd : fds) ::close(fd);
  EXPECT_TRUE(waitForStderr(chat, "(0 online)", 5000)) << chat.stderrSoFar();
  chat.kill(SIGINT);
  EXPECT_EQ(chat.wait(10), 0);
  EXPECT_EQ(chat.stdoutSoFar(), line + "\n");
}
