/* floor_ws: the floor for WebSocket echo benchmarks. A plain epoll server that does the opening
 * handshake and then echoes each frame back unmasked, with the least work a server must do:
 * read the length, unmask, write. No validation (UTF-8, opcodes, close codes), no fragments
 * joined, no control frames answered: what evnode is measured against.
 *
 *   floor_ws PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 65536

struct conn {
  int fd;
  int open; /* handshake done */
  size_t len;
  unsigned char in[BUF];
};

static void b64(const unsigned char *in, int n, char *out) {
  EVP_EncodeBlock((unsigned char *)out, in, n);
}

static int handshake(struct conn *c) {
  c->in[c->len] = 0;
  char *end = strstr((char *)c->in, "\r\n\r\n");
  if (!end) return 0;
  char *k = strcasestr((char *)c->in, "Sec-WebSocket-Key:");
  if (!k) return -1;
  k += 18;
  while (*k == ' ') k++;
  char key[128];
  int n = 0;
  while (k[n] && k[n] != '\r' && n < 60) n++;
  memcpy(key, k, n);
  memcpy(key + n, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
  unsigned char md[20];
  unsigned int mdlen;
  EVP_Digest(key, n + 36, md, &mdlen, EVP_sha1(), NULL);
  char acc[64];
  b64(md, 20, acc);
  char resp[256];
  int rl = snprintf(resp, sizeof resp,
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
                    "Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                    acc);
  if (write(c->fd, resp, rl) != rl) return -1;
  size_t used = (size_t)(end + 4 - (char *)c->in);
  memmove(c->in, c->in + used, c->len - used);
  c->len -= used;
  c->open = 1;
  return 1;
}

/* Echoes every complete frame in c->in; returns -1 to close. */
static int echo(struct conn *c) {
  static unsigned char out[BUF + 64];
  size_t o = 0, i = 0;
  while (c->len - i >= 2) {
    unsigned char *p = c->in + i;
    uint64_t len = p[1] & 0x7f;
    size_t h = 2;
    if (len == 126) {
      if (c->len - i < 4) break;
      len = (p[2] << 8) | p[3];
      h = 4;
    } else if (len == 127) {
      return -1; /* not in this benchmark */
    }
    int masked = p[1] & 0x80;
    if (masked) h += 4;
    if (c->len - i < h + len) break;
    if ((p[0] & 0x0f) == 8) return -1;
    if (o + len + 4 > sizeof out) break;
    out[o++] = p[0];
    if (len < 126) {
      out[o++] = (unsigned char)len;
    } else {
      out[o++] = 126;
      out[o++] = (unsigned char)(len >> 8);
      out[o++] = (unsigned char)len;
    }
    const unsigned char *m = p + h - 4, *d = p + h;
    for (uint64_t k = 0; k < len; k++) out[o++] = masked ? d[k] ^ m[k & 3] : d[k];
    i += h + len;
  }
  memmove(c->in, c->in + i, c->len - i);
  c->len -= i;
  if (o && write(c->fd, out, o) != (ssize_t)o) return -1;
  return 0;
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 18300;
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096)) {
    perror("listen");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  printf("listening on ws://127.0.0.1:%d\n", port);
  fflush(stdout);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int e = 0; e < n; e++) {
      struct conn *c = evs[e].data.ptr;
      if (!c) {
        int fd;
        while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          c = calloc(1, sizeof *c);
          c->fd = fd;
          struct epoll_event ce = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ce);
        }
        continue;
      }
      ssize_t r = read(c->fd, c->in + c->len, BUF - 1 - c->len);
      int rc = -1;
      if (r > 0) {
        c->len += (size_t)r;
        rc = c->open ? 0 : handshake(c);
        if (rc >= 0 && c->open) rc = echo(c);
      } else if (r < 0 && errno == EAGAIN) {
        continue;
      }
      if (rc < 0) {
        close(c->fd);
        free(c);
      }
    }
  }
}
