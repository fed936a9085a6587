// dgram::Socket::send: argument forms, address resolution, and the way out. A datagram leaves
// at once when the kernel takes it (uv_udp_try_send); if the socket would block it waits in
// libuv's send queue; sends made while a received batch is being delivered are gathered and
// leave in one sendmmsg when the batch ends. Callbacks always run later, on a tick.
#include <sys/socket.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "dgram/socket_impl.h"
#include "evnode/dns.h"
#include "evnode/loop.h"

namespace evnode::dgram {

namespace {

constexpr std::size_t kMaxParts = 64;  // parts of one gathered datagram sent without a copy

struct SendReq {
  uv_udp_send_t req;
  Outgoing out;
};

void later(const Socket::SendCallback& cb, const Error& err, std::size_t bytes) {
  nextTick([cb, err, bytes] { cb(err, bytes); });
}

// The parts of `out` as libuv buffers; false if there are too many for `bufs`.
std::size_t toBufs(const Outgoing& out, uv_buf_t* bufs) {
  auto put = [](const Buffer& b) {
    return uv_buf_init(reinterpret_cast<char*>(const_cast<std::uint8_t*>(b.data())),
                       static_cast<unsigned>(b.size()));
  };
  std::size_t n = 0;
  bufs[n++] = put(out.first);
  for (const auto& b : out.rest) bufs[n++] = put(b);
  return n;
}

Outgoing single(const Buffer& msg, Socket::SendCallback cb) {
  Outgoing o;
  o.first = msg;
  o.cb = std::move(cb);
  return o;
}

Outgoing gathered(const std::vector<Buffer>& msg, Socket::SendCallback cb) {
  Outgoing o;
  if (!msg.empty()) {
    o.first = msg.front();
    o.rest.assign(msg.begin() + 1, msg.end());
  }
  o.cb = std::move(cb);
  return o;
}

Buffer range(const Buffer& msg, std::size_t offset, std::size_t length) {
  if (offset > msg.size()) {
    throw Exception("ERR_OUT_OF_RANGE",
                    "The value of \"offset\" is out of range. It must be >= 0 "
                    "&& <= " +
                        std::to_string(msg.size()) + ". Received " + std::to_string(offset));
  }
  if (length > msg.size() - offset) {
    throw Exception("ERR_BUFFER_OUT_OF_BOUNDS", "\"length\" is outside of buffer bounds");
  }
  return msg.subarray(static_cast<std::int64_t>(offset),
                      static_cast<std::int64_t>(offset + length));
}

}  // namespace

Error sendError(int status, const sockaddr_storage* to, const uv_udp_t* h) {
  std::string address;
  int port = -1;
  sockaddr_storage peer{};
  if (!to && h) {
    int len = sizeof peer;
    if (uv_udp_getpeername(h, reinterpret_cast<sockaddr*>(&peer), &len) == 0) to = &peer;
  }
  if (to) nameOf(reinterpret_cast<const sockaddr*>(to), address, port);
  return Error::fromUv(status, "send", address, port);
}

// ---- the argument forms ----

void Socket::send(const Buffer& msg, int port, const std::string& address, SendCallback cb) {
  impl_->send(single(msg, std::move(cb)), port, address, false);
}
void Socket::send(const Buffer& msg, std::size_t offset, std::size_t length, int port,
                  const std::string& address, SendCallback cb) {
  impl_->send(single(range(msg, offset, length), std::move(cb)), port, address, false);
}
void Socket::send(std::string_view msg, int port, const std::string& address, SendCallback cb) {
  impl_->send(single(Buffer::from(msg), std::move(cb)), port, address, false);
}
void Socket::send(std::string_view msg, std::size_t offset, std::size_t length, int port,
                  const std::string& address, SendCallback cb) {
  impl_->send(single(range(Buffer::from(msg), offset, length), std::move(cb)), port, address,
              false);
}
void Socket::send(const std::vector<Buffer>& msg, int port, const std::string& address,
                  SendCallback cb) {
  impl_->send(gathered(msg, std::move(cb)), port, address, false);
}
void Socket::send(const Buffer& msg, SendCallback cb) {
  impl_->send(single(msg, std::move(cb)), 0, "", true);
}
void Socket::send(std::string_view msg, SendCallback cb) {
  impl_->send(single(Buffer::from(msg), std::move(cb)), 0, "", true);
}
void Socket::send(const std::vector<Buffer>& msg, SendCallback cb) {
  impl_->send(gathered(msg, std::move(cb)), 0, "", true);
}

// ---- the way out ----

void Socket::Impl::send(Outgoing out, int port, const std::string& address, bool toPeer) {
  healthCheck();
  if (toPeer) {
    if (connectState == ConnectState::kDisconnected) {
      throw Exception("ERR_SOCKET_DGRAM_NOT_CONNECTED", "Not connected");
    }
  } else {
    if (connectState != ConnectState::kDisconnected) {
      throw Exception("ERR_SOCKET_DGRAM_IS_CONNECTED", "Already connected");
    }
    if (port < 1 || port > 65535) {
      throw Exception("ERR_SOCKET_BAD_PORT",
                      "Port should be > 0 and < 65536. Received " + std::to_string(port) + ".");
    }
  }
  if (1 + out.rest.size() > IOV_MAX) {
    // One datagram cannot have more parts than the kernel takes: join them.
    std::vector<Buffer> parts{out.first};
    parts.insert(parts.end(), out.rest.begin(), out.rest.end());
    out.first = Buffer::concat(parts);
    out.rest.clear();
  }
  // Node binds an unbound socket to an ephemeral port on its first send.
  if (bindState == BindState::kUnbound) startBind(0, "");
  auto go = [this](Outgoing& o, int p, const std::string& a, bool peer) {
    if (peer) {
      o.hasTo = false;
      transmit(o);
      return;
    }
    const std::string& host = a.empty() ? std::string(localhost()) : a;
    if (toSockaddr(host, p, o.to)) {
      o.hasTo = true;
      transmit(o);
      return;
    }
    resolveAndSend(std::move(o), p, host);
  };
  if (bindState != BindState::kBound || connectState == ConnectState::kConnecting ||
      !queue.empty()) {
    queue.push_back([go, out = std::move(out), port, address, toPeer]() mutable {
      go(out, port, address, toPeer);
    });
    return;
  }
  go(out, port, address, toPeer);
}

void Socket::Impl::resolveAndSend(Outgoing out, int port, const std::string& address) {
  dns::lookup(address, family == AF_INET6 ? 6 : 4,
              [this, keep = self, out = std::move(out), port](const Error& err,
                                                              const std::string& ip, int) mutable {
                if (closed) return;
                if (err) {
                  if (out.cb) {
                    out.cb(err, 0);
                  } else {
                    owner->emit(Events::error, err);
                  }
                  return;
                }
                toSockaddr(ip, port, out.to);
                out.hasTo = true;
                transmit(out);
              });
}

void Socket::Impl::transmit(Outgoing& out) {
  if (!h) return;
  if (inBatch) {
    batch.push_back(std::move(out));
    return;
  }
  // Only when nothing waits in libuv's queue, or this datagram would overtake it.
  if (out.rest.size() < kMaxParts && uv_udp_get_send_queue_count(h) == 0) {
    uv_buf_t bufs[kMaxParts];
    std::size_t n = toBufs(out, bufs);
    int rc = uv_udp_try_send(h, bufs, static_cast<unsigned>(n),
                             out.hasTo ? reinterpret_cast<const sockaddr*>(&out.to) : nullptr);
    if (rc >= 0) {
      if (out.cb) later(out.cb, Error(), static_cast<std::size_t>(rc));
      return;
    }
    if (rc != UV_EAGAIN) {
      // Node reports send failures to the callback only; without one they are dropped.
      if (out.cb) later(out.cb, sendError(rc, out.hasTo ? &out.to : nullptr, h), 0);
      return;
    }
  }
  queueSend(out);
}

void Socket::Impl::queueSend(Outgoing& out) {
  auto* r = new SendReq{{}, std::move(out)};
  r->req.data = r;
  std::vector<uv_buf_t> bufs(1 + r->out.rest.size());
  toBufs(r->out, bufs.data());
  int rc = uv_udp_send(
      &r->req, h, bufs.data(), static_cast<unsigned>(bufs.size()),
      r->out.hasTo ? reinterpret_cast<const sockaddr*>(&r->out.to) : nullptr,
      [](uv_udp_send_t* req, int status) {
        evnode::detail::CallbackScope scope;
        std::unique_ptr<SendReq> done(static_cast<SendReq*>(req->data));
        if (!done->out.cb) return;
        if (status < 0) {
          done->out.cb(sendError(status, done->out.hasTo ? &done->out.to : nullptr, req->handle),
                       0);
        } else {
          done->out.cb(Error(), done->out.bytes());
        }
      });
  if (rc != 0) {
    std::unique_ptr<SendReq> failed(r);
    if (failed->out.cb) {
      later(failed->out.cb, sendError(rc, failed->out.hasTo ? &failed->out.to : nullptr, h), 0);
    }
  }
}

void Socket::Impl::flushBatch() {
  inBatch = false;
  if (batch.empty()) return;
  std::vector<Outgoing> items;
  items.swap(batch);
  std::size_t i = 0;
#if defined(__linux__)
  uv_os_fd_t fd = -1;
  if (h && uv_udp_get_send_queue_count(h) == 0 &&
      uv_fileno(reinterpret_cast<uv_handle_t*>(h), &fd) == 0) {
    std::size_t parts = 0;
    for (const auto& o : items) parts += 1 + o.rest.size();
    std::vector<iovec> iov(parts);
    std::vector<mmsghdr> msgs(items.size());
    std::size_t p = 0;
    for (std::size_t k = 0; k < items.size(); ++k) {
      Outgoing& o = items[k];
      msghdr& m = msgs[k].msg_hdr;
      m = msghdr{};
      m.msg_iov = &iov[p];
      auto put = [&](const Buffer& b) {
        iov[p].iov_base = const_cast<std::uint8_t*>(b.data());
        iov[p].iov_len = b.size();
        ++p;
      };
      put(o.first);
      for (const auto& b : o.rest) put(b);
      m.msg_iovlen = 1 + o.rest.size();
      if (o.hasTo) {
        m.msg_name = &o.to;
        m.msg_namelen = o.to.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
      }
    }
    while (i < items.size()) {
      unsigned count = static_cast<unsigned>(std::min<std::size_t>(items.size() - i, 1024));
      int r = sendmmsg(fd, &msgs[i], count, 0);
      if (r > 0) {
        for (std::size_t k = i; k < i + static_cast<std::size_t>(r); ++k) {
          if (items[k].cb) later(items[k].cb, Error(), msgs[k].msg_len);
        }
        i += static_cast<std::size_t>(r);
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;  // the rest waits below
      // sendmmsg stops at the first datagram the kernel refuses: that one fails alone.
      int status = r < 0 ? uv_translate_sys_error(errno) : UV_EIO;
      if (items[i].cb)
        later(items[i].cb, sendError(status, items[i].hasTo ? &items[i].to : nullptr, h), 0);
      ++i;
    }
  }
#endif
  for (; i < items.size(); ++i) transmit(items[i]);
}

}  // namespace evnode::dgram
