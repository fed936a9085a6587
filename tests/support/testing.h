// Test support for evnode's GoogleTest suites: watchdogs that turn a hang into a failure,
// temporary directories, child processes (one-shot and long-running peers such as the evnode
// CLI, nginx, dnsmasq or node), free ports, and small file and data helpers.
//
// POSIX only. Depends on libc, libstdc++ and GoogleTest, never on evnode itself, so that a bug
// in evnode cannot break the tools that test it.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <regex>
#include <string>
#include <vector>

namespace evnode::testing {

// Fails the running test instead of letting it hang: if the Watchdog is still armed `seconds`
// after construction, it prints which test hung on stderr, SIGKILLs every child process group
// started through this library, and ends the process with _exit(3). The destructor disarms it;
// seconds <= 0 arms nothing.
//
// Besides explicit watchdogs, every test gets one automatically (armed at test start, disarmed
// at test end) of EVNODE_TEST_WATCHDOG seconds from the environment, default 240, 0 = off; it
// fires before ctest's own timeout, and names the test.
class Watchdog {
 public:
  explicit Watchdog(int seconds, std::string label = {});  // label defaults to the test's name
  ~Watchdog();
  Watchdog(Watchdog&&) noexcept;
  Watchdog& operator=(Watchdog&&) noexcept;
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void disarm();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

#define EVNODE_TESTING_CAT2(a, b) a##b
#define EVNODE_TESTING_CAT(a, b) EVNODE_TESTING_CAT2(a, b)
// In a test body: EVNODE_WATCHDOG(10); fails the test if it runs longer than 10 seconds.
#define EVNODE_WATCHDOG(seconds) \
  ::evnode::testing::Watchdog EVNODE_TESTING_CAT(evnodeWatchdog_, __LINE__) { (seconds) }

// A fresh directory (mkdtemp under $TMPDIR, else /tmp), removed with everything in it when the
// object is destroyed.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "evnode-test-");
  ~TempDir();
  TempDir(TempDir&&) noexcept;
  TempDir& operator=(TempDir&&) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name; creates nothing.
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The outcome of runProcess. `status` is the exit code, or 128 + N when signal N ended the
// child; on timeout the child's process group was SIGKILLed (status 137) and timedOut is set.
// A program that cannot be started gives status 127 and the reason in `err`.
struct ProcResult {
  int status = -1;
  std::string out, err;
  bool timedOut = false;
};

// Runs argv[0] (searched like findCommand) with argv, feeds it stdinData then EOF, and collects
// stdout and stderr until it exits. The child runs in its own process group, with default signal
// dispositions and no file descriptors above 2 inherited; when it exits, whatever it left behind
// in its group is killed.
ProcResult runProcess(std::vector<std::string> argv, std::string stdinData = "",
                      int timeoutSec = 30);

// A long-running child (a server, a peer) in its own process group, its stdin a pipe and its
// stdout and stderr read continuously by a background thread, so a chatty child never blocks on
// a full pipe. The destructor SIGKILLs the group and reaps the child. Throws std::system_error
// if the program cannot be started.
class Process {
 public:
  explicit Process(std::vector<std::string> argv);
  ~Process();
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const;

  // Reads stdout line by line, starting after the line the previous call returned, until a line
  // contains `substring` (or matches `pattern`, std::regex_search). Returns the line without its
  // line ending. If stdout ends or timeoutSec passes first, records a test failure that shows
  // the output so far and returns "".
  std::string waitForLine(const std::string& substring, int timeoutSec = 10);
  std::string waitForLine(const std::regex& pattern, int timeoutSec = 10);

  // Everything the child has written so far.
  std::string stdoutSoFar() const;
  std::string stderrSoFar() const;

  // Writes all of data to the child's stdin (blocking); false if the child closed it.
  bool writeStdin(const std::string& data);
  void closeStdin();

  // Sends sig to the child's process group.
  void kill(int sig = SIGTERM);
  // Waits for the child to exit: its exit code, or 128 + N for signal N; -1 if it is still
  // running after timeoutSec. Once it has exited, waits briefly for its output to be read, so
  // stdoutSoFar() is complete afterwards.
  int wait(int timeoutSec = 10);
  bool running();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A TCP (or UDP) port on 127.0.0.1 that was free a moment ago: bind port 0, read it, close.
// For peers that need a fixed port (nginx, dnsmasq). -1 on failure.
int freePort(bool udp = false);

// Connects to host:port until a connection succeeds (true) or timeoutSec passes (false). For
// peers that print no ready line.
bool waitForTcpPort(int port, int timeoutSec = 10, const std::string& host = "127.0.0.1");

// A plain blocking socket connected to 127.0.0.1:port (the kernel completes the handshake
// without the server's loop running); -1 on failure. `receiveBuffer` > 0 fixes SO_RCVBUF before
// connecting, which also turns off the kernel's autotuning (on loopback a receive buffer may
// otherwise grow to tens of MiB): for a client that must stop taking bytes.
int rawConnect(int port, int receiveBuffer = 0);
// Closes with SO_LINGER 0: the peer gets a RST instead of a FIN.
void resetClose(int fd);

// The port in a CLI ready line: "listening on 127.0.0.1:1234", "listening on [::1]:1234",
// "listening on http://127.0.0.1:1234", "listening on udp://127.0.0.1:1234". -1 if there is none
// (e.g. "listening on unix:/tmp/s").
int parsePortFromListeningLine(const std::string& line);

// The full path of an executable: `name` itself if it contains a '/', else the first match on
// $PATH, then /usr/local/sbin, /usr/sbin, /sbin (nginx and dnsmasq live there, and a non-root
// PATH may lack them). "" if there is none.
std::string findCommand(const std::string& name);
bool haveCommand(const std::string& name);

// Whole-file I/O, binary-safe; throw std::system_error on failure.
std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& data);

// n pseudo-random bytes, the same for the same seed (splitmix64; fast, not cryptographic).
std::string randomBytes(size_t n, uint64_t seed);

// A file of `size` random bytes (randomBytes) in a temporary folder of its own, open for
// reading as `fd` (for the sendfile tests).
struct DataFile {
  TempDir dir;
  std::string data;
  int fd = -1;
  DataFile(size_t size, uint64_t seed);
  ~DataFile();
  DataFile(const DataFile&) = delete;
  DataFile& operator=(const DataFile&) = delete;
};

// The build's bin/ directory and the source tree, from the EVNODE_BIN_DIR and EVNODE_SOURCE_DIR
// compile definitions the test targets get (else from the environment variables of the same
// names, else ""). Internal linkage on purpose: the library itself is compiled without them.
namespace {
inline std::string binDir() {
#ifdef EVNODE_BIN_DIR
  return EVNODE_BIN_DIR;
#else
  const char* e = std::getenv("EVNODE_BIN_DIR");
  return e ? e : "";
#endif
}

inline std::string sourceDir() {
#ifdef EVNODE_SOURCE_DIR
  return EVNODE_SOURCE_DIR;
#else
  const char* e = std::getenv("EVNODE_SOURCE_DIR");
  return e ? e : "";
#endif
}

// The CLI under test: binDir() + "/evnode".
inline std::string evnodeBinary() { return binDir() + "/evnode"; }
}  // namespace

}  // namespace evnode::testing
