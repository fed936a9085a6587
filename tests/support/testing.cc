// Test support for evnode's GoogleTest suites; see testing.h.
#include "support/testing.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

extern char** environ;

namespace evnode::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::system_error sysError(int err, const std::string& what) {
  return std::system_error(err, std::generic_category(), what);
}

// Process groups of the children started here, so a firing watchdog can kill them. Leaked on
// purpose: a watchdog thread may still look at them while static destructors run.
std::timed_mutex& liveMutex() {
  static auto* m = new std::timed_mutex;
  return *m;
}
std::set<pid_t>& liveGroups() {
  static auto* s = new std::set<pid_t>;
  return *s;
}
void registerGroup(pid_t pgid) {
  std::lock_guard lk(liveMutex());
  liveGroups().insert(pgid);
}
void unregisterGroup(pid_t pgid) {
  std::lock_guard lk(liveMutex());
  liveGroups().erase(pgid);
}

std::string currentTestName() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return "the test program";
  return std::string(info->test_suite_name()) + "." + info->name();
}

void writeAllTo(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

[[noreturn]] void watchdogFire(const std::string& label, int seconds) {
  // Plain write(2): stdio's lock may be held by the thread that hung.
  writeAllTo(2, "\n[evnode watchdog] " + label + " did not finish within " +
                    std::to_string(seconds) + " s; killing it and its child processes\n");
  std::unique_lock lk(liveMutex(), std::defer_lock);
  if (lk.try_lock_for(std::chrono::seconds(1))) {
    for (pid_t pgid : liveGroups()) ::kill(-pgid, SIGKILL);
  }
  ::_exit(3);
}

// Writes to a pipe without letting SIGPIPE kill the test process when the reader is gone: the
// signal is blocked for this thread, and a SIGPIPE this write raised is consumed before unblocking.
ssize_t writeNoSigpipe(int fd, const char* data, size_t len) {
  sigset_t pipeSet, old, pending;
  sigemptyset(&pipeSet);
  sigaddset(&pipeSet, SIGPIPE);
  sigpending(&pending);
  bool wasPending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipeSet, &old);
  ssize_t n;
  do {
    n = ::write(fd, data, len);
  } while (n < 0 && errno == EINTR);
  int err = errno;
  if (n < 0 && err == EPIPE && !wasPending) {
    const timespec zero{0, 0};
    while (sigtimedwait(&pipeSet, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return n;
}

void setNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

struct Child {
  pid_t pid = -1;
  int in = -1, out = -1, err = -1;  // our ends of the child's stdin, stdout, stderr
};

// Starts argv in a new process group with fresh signal state and only fds 0-2 open.
Child spawnChild(const std::vector<std::string>& argv) {
  if (argv.empty()) throw sysError(EINVAL, "cannot start a process with an empty argv");
  std::string path = findCommand(argv[0]);
  if (path.empty()) throw sysError(ENOENT, "cannot find " + argv[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  int fds[6] = {-1, -1, -1, -1, -1, -1};  // stdin r/w, stdout r/w, stderr r/w
  for (int i = 0; i < 6; i += 2) {
    if (pipe2(fds + i, O_CLOEXEC) != 0) {
      int e = errno;
      for (int& fd : fds) closeFd(fd);
      throw sysError(e, "pipe2");
    }
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
  posix_spawn_file_actions_adddup2(&actions, fds[3], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[5], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Listening sockets and other descriptors of the test must not live on in its children.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  // The test process (or evnode in it) may ignore SIGPIPE; ignored signals survive exec.
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2,
                  SIGTSTP, SIGTTIN, SIGTTOU, SIGXFSZ}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigdefault(&attr, &defaults);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, path.c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  closeFd(fds[0]);
  closeFd(fds[3]);
  closeFd(fds[5]);
  if (rc != 0) {
    for (int& fd : fds) closeFd(fd);
    throw sysError(rc, "cannot start " + argv[0]);
  }
  registerGroup(pid);
  return Child{pid, fds[1], fds[2], fds[4]};
}

int statusFromInfo(const siginfo_t& info) {
  return info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
}

// Has pid exited? Leaves it a zombie (WNOWAIT), so its pid, which is also its process group's
// id, cannot be reused before we kill the group and reap it.
bool exitedNoReap(pid_t pid, int* status) {
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
    if (errno != EINTR) return true;  // not our child any more; nothing to wait for
  }
  if (info.si_pid == 0) return false;
  *status = statusFromInfo(info);
  return true;
}

// SIGKILLs whatever is left of the child's group and reaps the child.
void killGroupAndReap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  unregisterGroup(pid);
}

void sleepABit(int& ms) {
  std::this_thread::sleep_for(milliseconds(ms));
  ms = std::min(ms * 2, 20);
}

bool isExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

void removeTree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    ::unlink(path.c_str());
    return;
  }
  ::chmod(path.c_str(), 0700);  // a test may have made it unreadable on purpose
  if (DIR* dir = ::opendir(path.c_str())) {
    std::vector<std::string> names;
    while (dirent* e = ::readdir(dir)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        names.emplace_back(e->d_name);
      }
    }
    ::closedir(dir);
    for (const auto& n : names) removeTree(path + "/" + n);
  }
  ::rmdir(path.c_str());
}

// Arms a watchdog for every test; see the Watchdog comment in testing.h.
class AutoWatchdog : public ::testing::EmptyTestEventListener {
 public:
  void OnTestStart(const ::testing::TestInfo& info) override {
    int seconds = 240;
    if (const char* e = std::getenv("EVNODE_TEST_WATCHDOG"); e != nullptr && *e != '\0') {
      seconds = std::atoi(e);
    }
    if (seconds > 0) {
      dog_ = std::make_unique<Watchdog>(seconds,
                                        std::string(info.test_suite_name()) + "." + info.name());
    }
  }
  void OnTestEnd(const ::testing::TestInfo&) override { dog_.reset(); }

 private:
  std::unique_ptr<Watchdog> dog_;
};

[[maybe_unused]] const bool autoWatchdogInstalled = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new AutoWatchdog);
  return true;
}();

}  // namespace

// ---------------------------------------------------------------------------------------------
// Watchdog

struct Watchdog::State {
  std::mutex m;
  std::condition_variable cv;
  bool disarmed = false;
  std::thread thread;

  void stop() {
    if (!thread.joinable()) return;
    {
      std::lock_guard lk(m);
      disarmed = true;
    }
    cv.notify_all();
    thread.join();
  }
  ~State() { stop(); }
};

Watchdog::Watchdog(int seconds, std::string label) : state_(std::make_unique<State>()) {
  if (seconds <= 0) return;
  if (label.empty()) label = currentTestName();
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  State* s = state_.get();
  s->thread = std::thread([s, deadline, seconds, label = std::move(label)] {
    std::unique_lock lk(s->m);
    if (!s->cv.wait_until(lk, deadline, [s] { return s->disarmed; })) watchdogFire(label, seconds);
  });
}

Watchdog::~Watchdog() = default;
Watchdog::Watchdog(Watchdog&&) noexcept = default;
Watchdog& Watchdog::operator=(Watchdog&&) noexcept = default;

void Watchdog::disarm() {
  if (state_) state_->stop();
}

// ---------------------------------------------------------------------------------------------
// TempDir

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + prefix + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw sysError(errno, "mkdtemp " + tmpl);
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (!path_.empty()) removeTree(path_);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) removeTree(path_);
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

// ---------------------------------------------------------------------------------------------
// runProcess

ProcResult runProcess(std::vector<std::string> argv, std::string stdinData, int timeoutSec) {
  ProcResult result;
  Child c;
  try {
    c = spawnChild(argv);
  } catch (const std::system_error& e) {
    result.status = 127;
    result.err = std::string("evnode::testing: ") + e.what() + "\n";
    return result;
  }
  setNonBlocking(c.in);
  setNonBlocking(c.out);
  setNonBlocking(c.err);
  if (stdinData.empty()) closeFd(c.in);

  const auto deadline = Clock::now() + std::chrono::seconds(timeoutSec);
  // After the child exits, output its leftovers (grandchildren) still write is read for a short
  // grace period; after a timeout kill, only what is already in the pipes.
  const auto kGrace = milliseconds(500);
  size_t written = 0;
  bool exited = false;
  int status = -1;
  Clock::time_point stopReadingAt = Clock::time_point::max();
  const auto hardStop = deadline + milliseconds(200);  // even if a grandchild keeps writing
  char buf[65536];

  while (c.out >= 0 || c.err >= 0) {
    auto now = Clock::now();
    if (!exited && exitedNoReap(c.pid, &status)) {
      exited = true;
      stopReadingAt = now + kGrace;
    }
    if (!exited && !result.timedOut && now >= deadline) {
      result.timedOut = true;
      ::kill(-c.pid, SIGKILL);
      stopReadingAt = now + milliseconds(200);
    }
    if (now >= stopReadingAt || now >= hardStop) break;

    pollfd fds[3];
    int n = 0, inIdx = -1, outIdx = -1, errIdx = -1;
    if (c.in >= 0) {
      inIdx = n;
      fds[n++] = {c.in, POLLOUT, 0};
    }
    if (c.out >= 0) {
      outIdx = n;
      fds[n++] = {c.out, POLLIN, 0};
    }
    if (c.err >= 0) {
      errIdx = n;
      fds[n++] = {c.err, POLLIN, 0};
    }
    // Wake up now and then to notice the child's exit even while a grandchild holds the pipes.
    auto limit = std::min({stopReadingAt, hardStop, now + milliseconds(50)});
    auto waitMs = std::chrono::duration_cast<milliseconds>(limit - now).count();
    int rc = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::max<int64_t>(waitMs, 1)));
    if (rc < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (inIdx >= 0 && fds[inIdx].revents != 0) {
      ssize_t k = writeNoSigpipe(c.in, stdinData.data() + written, stdinData.size() - written);
      if (k > 0) written += static_cast<size_t>(k);
      if ((k < 0 && errno != EAGAIN) || written == stdinData.size()) closeFd(c.in);
    }
    auto drain = [&](int idx, int& fd, std::string& into) {
      if (idx < 0 || fds[idx].revents == 0) return;
      ssize_t k = ::read(fd, buf, sizeof buf);
      if (k > 0) {
        into.append(buf, static_cast<size_t>(k));
        if (exited && !result.timedOut) stopReadingAt = Clock::now() + kGrace;
      } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
        closeFd(fd);
      }
    };
    drain(outIdx, c.out, result.out);
    drain(errIdx, c.err, result.err);
  }
  closeFd(c.in);
  closeFd(c.out);
  closeFd(c.err);

  // Both pipes are closed, but the child itself may still be running.
  int delay = 1;
  while (!exited && !exitedNoReap(c.pid, &status)) {
    if (Clock::now() >= deadline) {
      result.timedOut = true;
      ::kill(-c.pid, SIGKILL);
    }
    sleepABit(delay);
  }
  killGroupAndReap(c.pid);
  result.status = status;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Process

struct Process::Impl {
  std::string name;  // argv[0], for messages
  Child child;
  int wakeRead = -1, wakeWrite = -1;  // tells the reader thread to stop
  std::thread reader;

  mutable std::mutex m;
  std::condition_variable cv;
  std::string out, err;
  bool outEof = false, errEof = false;
  size_t lineStart = 0;  // where waitForLine goes on from
  bool exited = false;
  int status = -1;

  ~Impl() {
    closeFd(child.in);
    if (child.pid > 0) killGroupAndReap(child.pid);
    if (reader.joinable()) {
      char byte = 0;
      while (::write(wakeWrite, &byte, 1) < 0 && errno == EINTR) {
      }
      reader.join();
    }
    closeFd(wakeRead);
    closeFd(wakeWrite);
    closeFd(child.out);
    closeFd(child.err);
  }

  void readLoop() {
    char buf[65536];
    for (;;) {
      pollfd fds[3];
      int n = 0, outIdx = -1, errIdx = -1;
      fds[n++] = {wakeRead, POLLIN, 0};
      if (!outEof) {
        outIdx = n;
        fds[n++] = {child.out, POLLIN, 0};
      }
      if (!errEof) {
        errIdx = n;
        fds[n++] = {child.err, POLLIN, 0};
      }
      if (outIdx < 0 && errIdx < 0) return;
      if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[0].revents != 0) return;
      auto drain = [&](int idx, int fd, std::string& into, bool& eof) {
        if (idx < 0 || fds[idx].revents == 0) return;
        ssize_t k = ::read(fd, buf, sizeof buf);
        if (k < 0 && (errno == EAGAIN || errno == EINTR)) return;
        std::lock_guard lk(m);
        if (k > 0) {
          into.append(buf, static_cast<size_t>(k));
        } else {
          eof = true;
        }
        cv.notify_all();
      };
      drain(outIdx, child.out, out, outEof);
      drain(errIdx, child.err, err, errEof);
    }
  }

  bool checkExited() {
    std::lock_guard lk(m);
    if (!exited && exitedNoReap(child.pid, &status)) exited = true;
    return exited;
  }

  std::string waitForLine(const std::function<bool(const std::string&)>& matches,
                          const std::string& what, int timeoutSec) {
    const auto deadline = Clock::now() + std::chrono::seconds(timeoutSec);
    std::unique_lock lk(m);
    for (;;) {
      size_t nl;
      while ((nl = out.find('\n', lineStart)) != std::string::npos) {
        std::string line = out.substr(lineStart, nl - lineStart);
        lineStart = nl + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (matches(line)) return line;
      }
      if (outEof && lineStart < out.size()) {  // a last line without its newline
        std::string line = out.substr(lineStart);
        lineStart = out.size();
        if (matches(line)) return line;
      }
      if (outEof || Clock::now() >= deadline) break;
      cv.wait_until(lk, deadline);
    }
    auto tail = [](const std::string& s) {
      return s.size() <= 4096 ? s : "..." + s.substr(s.size() - 4096);
    };
    ADD_FAILURE() << "waitForLine: no stdout line " << what << " from `" << name << "` "
                  << (outEof ? "before its stdout closed"
                             : "within " + std::to_string(timeoutSec) + " s")
                  << "\n--- stdout so far ---\n"
                  << tail(out) << "\n--- stderr so far ---\n"
                  << tail(err);
    return "";
  }
};

Process::Process(std::vector<std::string> argv) : impl_(std::make_unique<Impl>()) {
  impl_->name = argv.empty() ? "" : argv[0];
  int wake[2];
  if (pipe2(wake, O_CLOEXEC) != 0) throw sysError(errno, "pipe2");
  impl_->wakeRead = wake[0];
  impl_->wakeWrite = wake[1];
  impl_->child = spawnChild(argv);
  setNonBlocking(impl_->child.out);
  setNonBlocking(impl_->child.err);
  Impl* impl = impl_.get();
  impl_->reader = std::thread([impl] { impl->readLoop(); });
}

Process::~Process() = default;
Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&&) noexcept = default;

pid_t Process::pid() const { return impl_->child.pid; }

std::string Process::waitForLine(const std::string& substring, int timeoutSec) {
  return impl_->waitForLine(
      [&](const std::string& line) { return line.find(substring) != std::string::npos; },
      "containing \"" + substring + "\"", timeoutSec);
}

std::string Process::waitForLine(const std::regex& pattern, int timeoutSec) {
  return impl_->waitForLine(
      [&](const std::string& line) { return std::regex_search(line, pattern); },
      "matching the pattern", timeoutSec);
}

std::string Process::stdoutSoFar() const {
  std::lock_guard lk(impl_->m);
  return impl_->out;
}

std::string Process::stderrSoFar() const {
  std::lock_guard lk(impl_->m);
  return impl_->err;
}

bool Process::writeStdin(const std::string& data) {
  int fd = impl_->child.in;
  if (fd < 0) return false;
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = writeNoSigpipe(fd, data.data() + off, data.size() - off);
    if (n < 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

void Process::closeStdin() { closeFd(impl_->child.in); }

void Process::kill(int sig) { ::kill(-impl_->child.pid, sig); }

int Process::wait(int timeoutSec) {
  const auto deadline = Clock::now() + std::chrono::seconds(timeoutSec);
  int delay = 1;
  while (!impl_->checkExited()) {
    if (Clock::now() >= deadline) return -1;
    sleepABit(delay);
  }
  // Let the reader catch up with what the child wrote just before exiting. A grandchild that
  // still holds the pipes only costs this bounded wait.
  std::unique_lock lk(impl_->m);
  impl_->cv.wait_until(lk, std::max(deadline, Clock::now() + milliseconds(500)),
                       [this] { return impl_->outEof && impl_->errEof; });
  return impl_->status;
}

bool Process::running() { return !impl_->checkExited(); }

// ---------------------------------------------------------------------------------------------
// Ports

int freePort(bool udp) {
  int fd = ::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

DataFile::DataFile(size_t size, uint64_t seed) : data(randomBytes(size, seed)) {
  writeFile(dir.file("data.bin"), data);
  fd = ::open(dir.file("data.bin").c_str(), O_RDONLY | O_CLOEXEC);
}

DataFile::~DataFile() {
  if (fd >= 0) ::close(fd);
}

int rawConnect(int port, int receiveBuffer) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (receiveBuffer > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void resetClose(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

bool waitForTcpPort(int port, int timeoutSec, const std::string& host) {
  const auto deadline = Clock::now() + std::chrono::seconds(timeoutSec);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) return false;
  bool ok = false;
  while (!ok) {
    for (addrinfo* ai = res; ai != nullptr && !ok; ai = ai->ai_next) {
      int fd =
          ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
      if (fd < 0) continue;
      if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        ok = true;
      } else if (errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, 500) == 1) {
          int soErr = 0;
          socklen_t len = sizeof soErr;
          ok = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soErr, &len) == 0 && soErr == 0;
        }
      }
      ::close(fd);
    }
    if (ok || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  ::freeaddrinfo(res);
  return ok;
}

int parsePortFromListeningLine(const std::string& line) {
  static const std::string kPrefix = "listening on ";
  std::string s = line;
  if (size_t p = s.find(kPrefix); p != std::string::npos) s = s.substr(p + kPrefix.size());
  const char* kSpace = " \t\r\n";
  size_t first = s.find_first_not_of(kSpace);
  if (first == std::string::npos) return -1;
  s = s.substr(first, s.find_last_not_of(kSpace) - first + 1);
  if (s.rfind("unix:", 0) == 0) return -1;
  if (size_t p = s.find("://"); p != std::string::npos) s = s.substr(p + 3);
  s = s.substr(0, s.find('/'));  // http://host:port/ or a path after it
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return -1;
  std::string host = s.substr(0, colon), digits = s.substr(colon + 1);
  // An IPv6 host must be bracketed, or its last group would read as the port.
  if (host.find(':') != std::string::npos && (host.front() != '[' || host.back() != ']')) {
    return -1;
  }
  if (digits.empty() || digits.size() > 5 ||
      !std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return -1;
  }
  int port = std::stoi(digits);
  return port >= 1 && port <= 65535 ? port : -1;
}

// ---------------------------------------------------------------------------------------------
// Files, commands, data

std::string findCommand(const std::string& name) {
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return isExecutableFile(name) ? name : "";
  const char* env = std::getenv("PATH");
  std::string dirs = std::string(env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin") +
                     ":/usr/local/sbin:/usr/sbin:/sbin";
  size_t start = 0;
  for (;;) {
    size_t end = dirs.find(':', start);
    std::string dir = dirs.substr(start, end == std::string::npos ? end : end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (isExecutableFile(candidate)) return candidate;
    if (end == std::string::npos) return "";
    start = end + 1;
  }
}

bool haveCommand(const std::string& name) { return !findCommand(name).empty(); }

std::string readFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw sysError(errno, "open " + path);
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      throw sysError(e, "read " + path);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

void writeFile(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw sysError(errno, "open " + path);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      throw sysError(e, "write " + path);
    }
    off += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) throw sysError(errno, "close " + path);
}

std::string randomBytes(size_t n, uint64_t seed) {
  uint64_t state = seed;
  auto next = [&state] {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  std::string out(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = next();
    for (size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(v >> (8 * j));
  }
  return out;
}

}  // namespace evnode::testing
