// Internal: the system calls a stream socket makes on its descriptor. net's poller watches a
// socket's and a listener's descriptor (poller.h); reading, writing, connecting
// and accepting happen here. Errors are negative errno values, which are libuv's
// error codes on Unix (Error::fromUv takes them).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <cstddef>
#include <string>

namespace evnode::net::fd {

// A non-blocking, close-on-exec stream socket of `domain` (AF_INET, AF_INET6, AF_UNIX).
int openStream(int domain);
// A Unix-socket address for `path`; UV_ENAMETOOLONG if it does not fit.
int unixAddress(const std::string& path, sockaddr_un* out, socklen_t* len);
// Starts a connect; 0 when it is under way (or done): wait until the descriptor is writable,
// then ask connectResult().
int startConnect(int fd, const sockaddr* addr, socklen_t len);
int connectResult(int fd);
// Reads into buf: bytes read, 0 at end of stream, or a negative error (UV_EAGAIN: nothing yet).
long readSome(int fd, void* buf, std::size_t len);
// Writes as much of iov[0..n) as the kernel takes now (any number of buffers); returns the
// bytes written, or a negative error if nothing was (UV_EAGAIN: the kernel is full). Never
// raises SIGPIPE. `flags`: more send(2) flags (MSG_MORE).
long writeSome(int fd, const iovec* iov, std::size_t n, int flags = 0);
// Accepts one pending connection: its descriptor (non-blocking), or a negative error;
// UV_EAGAIN when none is pending. Out of descriptors (EMFILE, ENFILE), it closes the pending
// connections with a reserve descriptor, as libuv does, so that the listener does not report
// them again and again while nothing can be accepted.
int acceptOne(int listenFd);
// Opens the thread's reserve descriptor for acceptOne (once; before the first listen).
void reserveDescriptor();
void close(int fd);

}  // namespace evnode::net::fd
