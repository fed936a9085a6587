// `evnode echo` as a user runs it: ready lines, byte-exact echo of 256 MiB through socat and
// Node.js (SHA-256 compared), half-close, IPv6, Unix sockets, EADDRINUSE, signals, and running
// out of file descriptors (EMFILE) without spinning.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/testing.h"

namespace {

namespace et = evnode::testing;

// Plain blocking sockets: the CLI is tested with nothing of evnode on the client side.
int connectTo(const std::string& host, int port) {
  sockaddr_storage ss{};
  socklen_t len;
  int family = host.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &a->sin_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, host.c_str(), &a->sin6_addr);
    len = sizeof *a;
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int connectUnix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool sendAll(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads until `n` bytes came, EOF, an error, or timeoutMs without data.
std::string recvUpTo(int fd, std::size_t n, int timeoutMs = 5000) {
  std::string out;
  char buf[65536];
  while (out.size() < n) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) <= 0) break;
    ssize_t r = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
    if (r <= 0) break;
    out.append(buf, static_cast<std::size_t>(r));
  }
  return out;
}

// True when the peer's FIN arrives within timeoutMs (no more data first).
bool recvEof(int fd, int timeoutMs = 5000) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeoutMs) <= 0) return false;
  char c;
  return ::recv(fd, &c, 1, 0) == 0;
}

std::string sha256File(const std::string& path) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

long fileSize(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  return in ? static_cast<long>(in.tellg()) : -1;
}

// A running `evnode echo` and the port from its ready line.
struct EchoServer {
  et::Process proc;
  std::string line;
  int port = -1;
  explicit EchoServer(std::vector<std::string> extra = {})
      : proc([&] {
          std::vector<std::string> argv{et::evnodeBinary(), "echo"};
          argv.insert(argv.end(), extra.begin(), extra.end());
          return argv;
        }()) {
    line = proc.waitForLine("listening on ", 15);
    port = et::parsePortFromListeningLine(line);
  }
};

TEST(CliEcho, ReadyLineAndEcho) {
  EVNODE_WATCHDOG(30);
  EchoServer s({"--port", "0"});
  EXPECT_EQ(s.line, "listening on 127.0.0.1:" + std::to_string(s.port));
  ASSERT_GT(s.port, 0);
  int fd = connectTo("127.0.0.1", s.port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(sendAll(fd, "hello\n"));
  EXPECT_EQ(recvUpTo(fd, 6), "hello\n");
  ASSERT_TRUE(sendAll(fd, std::string("\0\xff\r\n", 4)));
  EXPECT_EQ(recvUpTo(fd, 4), std::string("\0\xff\r\n", 4));
  ::close(fd);
  s.proc.kill(SIGTERM);
  EXPECT_EQ(s.proc.wait(10), 0);
  EXPECT_EQ(s.proc.stdoutSoFar(), s.line + "\n");  // exactly one line on stdout
}

TEST(CliEcho, HalfCloseGetsEverythingBackThenEof) {
  EVNODE_WATCHDOG(30);
  EchoServer s({"--port", "0"});
  int fd = connectTo("127.0.0.1", s.port);
  ASSERT_GE(fd, 0);
  const std::string data = et::randomBytes(3 << 20, 7);
  // Send from a thread while reading here, then half-close: the echo must finish and end.
  std::thread writer([&] {
    sendAll(fd, data);
    ::shutdown(fd, SHUT_WR);
  });
  std::string got = recvUpTo(fd, data.size(), 10000);
  writer.join();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
  EXPECT_TRUE(recvEof(fd));
  ::close(fd);
  s.proc.kill(SIGINT);
  EXPECT_EQ(s.proc.wait(10), 0);
}

void echo256MiB(const std::vector<std::string>& clientShell) {
  EchoServer s({"--port", "0"});
  ASSERT_GT(s.port, 0);
  et::TempDir dir;
  const std::string in = dir.file("in.bin"), out = dir.file("out.bin");
  {
    std::ofstream f(in, std::ios::binary);
    for (int i = 0; i < 256; ++i) {
      std::string mib = et::randomBytes(1 << 20, 1000 + i);
      f.write(mib.data(), static_cast<std::streamsize>(mib.size()));
    }
  }
  std::string cmd;
  for (const auto& part : clientShell) cmd += part + " ";
  cmd += "< " + in + " > " + out;
  for (std::size_t pos; (pos = cmd.find("PORT")) != std::string::npos;) {
    cmd.replace(pos, 4, std::to_string(s.port));
  }
  et::ProcResult r = et::runProcess({"sh", "-c", cmd}, "", 240);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(fileSize(out), 256L << 20);
  EXPECT_EQ(sha256File(out), sha256File(in));
  s.proc.kill(SIGINT);
  EXPECT_EQ(s.proc.wait(10), 0);
}

TEST(CliEcho, Echo256MiBThroughSocatByteExact) {
  EVNODE_WATCHDOG(280);
  if (!et::haveCommand("socat")) GTEST_SKIP() << "socat is not installed";
  // -t: after stdin's EOF, wait up to 200 s for the echo to finish (socat exits as soon as the
  // server's FIN arrives).
  echo256MiB({"socat", "-b", "131072", "-t", "200", "-", "TCP:127.0.0.1:PORT"});
}

TEST(CliEcho, Echo256MiBThroughNodeByteExact) {
  EVNODE_WATCHDOG(280);
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  echo256MiB({"node", "-e",
              "\"const s = require('net').connect(PORT, '127.0.0.1');"
              " process.stdin.pipe(s); s.pipe(process.stdout);\""});
}

TEST(CliEcho, BusyPortIsOneLineAndNonZeroExit) {
  EVNODE_WATCHDOG(30);
  EchoServer first({"--port", "0"});
  ASSERT_GT(first.port, 0);
  et::ProcResult r =
      et::runProcess({et::evnodeBinary(), "echo", "--port", std::to_string(first.port)}, "", 15);
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "evnode: listen EADDRINUSE 127.0.0.1:" + std::to_string(first.port) + "\n");
  first.proc.kill(SIGINT);
  EXPECT_EQ(first.proc.wait(10), 0);
}

TEST(CliEcho, IPv6Loopback) {
  EVNODE_WATCHDOG(30);
  int probe = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool v6 = probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (probe >= 0) ::close(probe);
  if (!v6) GTEST_SKIP() << "no IPv6 loopback";
  EchoServer s({"--host", "::1", "--port", "0"});
  EXPECT_EQ(s.line, "listening on [::1]:" + std::to_string(s.port));
  ASSERT_GT(s.port, 0);
  int fd = connectTo("::1", s.port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(sendAll(fd, "over six"));
  EXPECT_EQ(recvUpTo(fd, 8), "over six");
  ::close(fd);
  s.proc.kill(SIGINT);
  EXPECT_EQ(s.proc.wait(10), 0);
}

TEST(CliEcho, UnixSocket) {
  EVNODE_WATCHDOG(30);
  et::TempDir dir;
  const std::string path = dir.file("echo.sock");
  EchoServer s({"--unix", path});
  EXPECT_EQ(s.line, "listening on unix:" + path);
  int fd = connectUnix(path);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(sendAll(fd, "local"));
  ::shutdown(fd, SHUT_WR);
  EXPECT_EQ(recvUpTo(fd, 100), "local");  // then EOF
  ::close(fd);
  s.proc.kill(SIGINT);
  EXPECT_EQ(s.proc.wait(10), 0);
}

TEST(CliEcho, SigintWithAClientConnectedEndsItAndExitsZero) {
  EVNODE_WATCHDOG(30);
  EchoServer s({"--port", "0"});
  int fd = connectTo("127.0.0.1", s.port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(sendAll(fd, "ping"));
  EXPECT_EQ(recvUpTo(fd, 4), "ping");
  s.proc.kill(SIGINT);
  EXPECT_TRUE(recvEof(fd));  // the server ends our connection...
  ::close(fd);               // ...and exits once we have closed ours
  EXPECT_EQ(s.proc.wait(10), 0);
  EXPECT_EQ(s.proc.stderrSoFar(), "");
}

TEST(CliEcho, SigtermExitsZero) {
  EVNODE_WATCHDOG(30);
  EchoServer s({"--port", "0"});
  s.proc.kill(SIGTERM);
  EXPECT_EQ(s.proc.wait(10), 0);
}

TEST(CliEcho, BadOptionsAreOneLineErrors) {
  EVNODE_WATCHDOG(30);
  et::ProcResult r = et::runProcess({et::evnodeBinary(), "echo", "--port", "99999"}, "", 15);
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("evnode: ", 0), 0u) << r.err;
  et::ProcResult h = et::runProcess({et::evnodeBinary(), "echo", "--help"}, "", 15);
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("usage: evnode echo"), std::string::npos);
}

// CPU seconds (user + system) the process has used so far, from /proc/PID/stat.
double cpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::size_t close = s.rfind(')');
  std::istringstream rest(s.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// With a small RLIMIT_NOFILE, connections beyond it cannot be accepted. The server must not
// spin on the pending connections, must keep echoing on the ones it has, and must accept again
// once descriptors are free.
TEST(CliEcho, OutOfDescriptorsDoesNotSpinAndRecovers) {
  EVNODE_WATCHDOG(60);
  et::Process proc({"sh", "-c", "ulimit -n 48 && exec \"$0\" echo --port 0", et::evnodeBinary()});
  std::string line = proc.waitForLine("listening on ", 15);
  int port = et::parsePortFromListeningLine(line);
  ASSERT_GT(port, 0);

  // One full connection first. Under UBSan, the first check of each dynamic type needs a pipe
  // (the runtime probes the vtable's memory with one) and reports a bogus "invalid vptr" when
  // the process is out of descriptors; a connection's whole life before exhaustion warms its
  // type cache. Harmless in the release build.
  {
    int fd = connectTo("127.0.0.1", port);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(sendAll(fd, "warm"));
    ASSERT_EQ(recvUpTo(fd, 4, 3000), "warm");
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }

  // Open connections until one is not served.
  std::vector<int> served;
  int refused = 0;
  for (int i = 0; i < 80 && refused < 3; ++i) {
    int fd = connectTo("127.0.0.1", port);
    if (fd < 0) {
      ++refused;
      continue;
    }
    std::string msg = "conn " + std::to_string(i);
    if (sendAll(fd, msg) && recvUpTo(fd, msg.size(), 1500) == msg) {
      served.push_back(fd);
    } else {
      ++refused;
      ::close(fd);
    }
  }
  ASSERT_GE(refused, 1) << "the descriptor limit was never reached";
  ASSERT_GT(served.size(), 20u);
  ASSERT_LT(served.size(), 48u);

  // More attempts pile up while descriptors are exhausted; the server must stay idle.
  std::vector<int> waiting;
  for (int i = 0; i < 5; ++i) {
    int fd = connectTo("127.0.0.1", port);
    if (fd >= 0) waiting.push_back(fd);
  }
  double before = cpuSeconds(proc.pid());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  double used = cpuSeconds(proc.pid()) - before;
  EXPECT_LT(used, 0.2) << "the server spun while out of descriptors";
  for (int fd : waiting) ::close(fd);

  // Existing connections still work.
  for (std::size_t i = 0; i < served.size(); i += 5) {
    ASSERT_TRUE(sendAll(served[i], "still here"));
    EXPECT_EQ(recvUpTo(served[i], 10, 3000), "still here") << "connection " << i;
  }

  // Free some descriptors: new connections are accepted again.
  for (int i = 0; i < 10; ++i) {
    ::close(served.back());
    served.pop_back();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int ok = 0;
  for (int attempt = 0; attempt < 20 && ok == 0; ++attempt) {
    int fd = connectTo("127.0.0.1", port);
    if (fd < 0) continue;
    if (sendAll(fd, "again") && recvUpTo(fd, 5, 1500) == "again") ++ok;
    ::close(fd);
  }
  EXPECT_EQ(ok, 1) << "no connection was accepted after descriptors were freed";
  for (int fd : served) ::close(fd);
  proc.kill(SIGINT);
  EXPECT_EQ(proc.wait(10), 0);
}

}  // namespace
