// Socket system calls for net::Socket and net::Server (see fd.h).
#include "net/fd.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace evnode::net::fd {

namespace {
thread_local int reserveFd = -1;
}  // namespace

int openStream(int domain) {
  int fd = ::socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd < 0 ? -errno : fd;
}

int unixAddress(const std::string& path, sockaddr_un* out, socklen_t* len) {
  std::memset(out, 0, sizeof *out);
  out->sun_family = AF_UNIX;
  if (path.size() >= sizeof out->sun_path) return UV_ENAMETOOLONG;
  std::memcpy(out->sun_path, path.data(), path.size());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return 0;
}

int startConnect(int fd, const sockaddr* addr, socklen_t len) {
  int r;
  do {
    r = ::connect(fd, addr, len);
  } while (r < 0 && errno == EINTR);
  if (r == 0 || errno == EINPROGRESS) return 0;
  return -errno;
}

int connectResult(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -errno;
  return -err;
}

long readSome(int fd, void* buf, std::size_t len) {
  ssize_t n;
  do {
    n = ::read(fd, buf, len);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return static_cast<long>(n);
  return errno == EWOULDBLOCK ? UV_EAGAIN : -errno;
}

long writeSome(int fd, const iovec* iov, std::size_t n, int flags) {
  if (n == 1) {
    // One buffer (the usual HTTP answer): send(2) skips sendmsg's header and vector copies.
    ssize_t w;
    do {
      w = ::send(fd, iov->iov_base, iov->iov_len, MSG_NOSIGNAL | flags);
    } while (w < 0 && errno == EINTR);
    if (w >= 0) return static_cast<long>(w);
    return errno == EWOULDBLOCK ? UV_EAGAIN : -errno;
  }
  long total = 0;
  std::size_t i = 0;
  while (i < n) {
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov + i);
    msg.msg_iovlen = std::min<std::size_t>(n - i, IOV_MAX);
    std::size_t want = 0;
    for (std::size_t k = 0; k < msg.msg_iovlen; ++k) want += iov[i + k].iov_len;
    ssize_t w;
    do {
      w = ::sendmsg(fd, &msg, MSG_NOSIGNAL | flags);
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
      // What was written counts; an error shows again on the next attempt.
      if (total > 0) return total;
      return errno == EWOULDBLOCK ? UV_EAGAIN : -errno;
    }
    total += w;
    if (static_cast<std::size_t>(w) < want) return total;  // the kernel is full
    i += msg.msg_iovlen;
  }
  return total;
}

void reserveDescriptor() {
  if (reserveFd < 0) reserveFd = ::open("/", O_RDONLY | O_CLOEXEC);
}

int acceptOne(int listenFd) {
  for (;;) {
    int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) return fd;
    int err = errno;
    if (err == EINTR) continue;
    if (err == EWOULDBLOCK) return UV_EAGAIN;
    if ((err != EMFILE && err != ENFILE) || reserveFd < 0) return -err;
    // Free the reserve, accept and close what is pending, take the reserve back.
    ::close(reserveFd);
    reserveFd = -1;
    int c;
    while ((c = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0 || errno == EINTR) {
      if (c >= 0) ::close(c);
    }
    reserveDescriptor();
    return -err;
  }
}

void close(int fd) {
  if (fd >= 0) ::close(fd);
}

}  // namespace evnode::net::fd
