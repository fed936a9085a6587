/* ws_client: the C load client of the WebSocket benchmarks (masked frames, as a browser sends).
 *
 *   ws_client echo PORT CONNS SECONDS SIZE   each connection keeps one SIZE-byte text message
 *                                            in flight; prints "messages N per_sec R"
 *   ws_client idle PORT CONNS SECONDS        opens CONNS connections, completes each handshake,
 *                                            prints "ready N", then holds them SECONDS
 *   ws_client tcpidle PORT CONNS SECONDS     the same with plain TCP connections (no handshake):
 *                                            the baseline a socket costs the server
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char kReq[] =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

struct conn {
  int fd, open;
  size_t have, want;
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int dial(int port, int ws) {
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
    perror("connect");
    exit(1);
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!ws) return fd;
  if (write(fd, kReq, sizeof kReq - 1) != (ssize_t)(sizeof kReq - 1)) exit(1);
  /* Read the 101 head (blocking). */
  char buf[1024];
  size_t n = 0;
  while (n < sizeof buf - 1) {
    ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
    if (r <= 0) {
      fprintf(stderr, "handshake failed\n");
      exit(1);
    }
    n += (size_t)r;
    buf[n] = 0;
    if (strstr(buf, "\r\n\r\n")) break;
  }
  if (strncmp(buf, "HTTP/1.1 101", 12)) {
    fprintf(stderr, "not 101: %.40s\n", buf);
    exit(1);
  }
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: ws_client echo|idle PORT CONNS SECONDS [SIZE]\n");
    return 2;
  }
  int port = atoi(argv[2]), conns = atoi(argv[3]);
  double seconds = atof(argv[4]);
  if (!strcmp(argv[1], "idle") || !strcmp(argv[1], "tcpidle")) {
    int ws = !strcmp(argv[1], "idle");
    for (int i = 0; i < conns; i++) dial(port, ws);
    printf("ready %d\n", conns);
    fflush(stdout);
    usleep((useconds_t)(seconds * 1e6));
    return 0;
  }
  size_t size = argc > 5 ? (size_t)atoi(argv[5]) : 16;
  unsigned char frame[256];
  size_t fl = 0;
  frame[fl++] = 0x81;
  frame[fl++] = 0x80 | (unsigned char)size;
  unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  memcpy(frame + fl, mask, 4);
  fl += 4;
  for (size_t i = 0; i < size; i++) frame[fl++] = ('a' + i % 26) ^ mask[i & 3];
  size_t reply = 2 + size;
  int ep = epoll_create1(0);
  struct conn *cs = calloc(conns, sizeof *cs);
  for (int i = 0; i < conns; i++) {
    cs[i].fd = dial(port, 1);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    if (write(cs[i].fd, frame, fl) != (ssize_t)fl) return 1;
  }
  unsigned long long messages = 0;
  double start = now(), end = start + seconds;
  unsigned char buf[65536];
  struct epoll_event evs[256];
  while (now() < end) {
    int n = epoll_wait(ep, evs, 256, 100);
    for (int e = 0; e < n; e++) {
      struct conn *c = evs[e].data.ptr;
      ssize_t r = read(c->fd, buf, sizeof buf);
      if (r <= 0) {
        fprintf(stderr, "connection closed\n");
        return 1;
      }
      c->have += (size_t)r;
      while (c->have >= reply) {
        c->have -= reply;
        messages++;
        if (write(c->fd, frame, fl) != (ssize_t)fl) return 1;
      }
    }
  }
  double el = now() - start;
  printf("messages %llu per_sec %.0f\n", messages, messages / el);
  return 0;
}
