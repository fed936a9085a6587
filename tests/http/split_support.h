// Split delivery: the same request bytes sent to an in-process server whole, byte by byte, cut
// once at every offset, and cut at random places (a fixed seed), each split on a connection of
// its own. A server must answer every split with the same bytes, and close (or not) the same
// way: what it does may depend on the bytes it was sent, never on how the kernel happened to
// deliver them.
//
// Each piece goes out in a loop turn of its own (TCP_NODELAY, a 1 ms timer between pieces): on
// loopback a write is in the server's receive queue when the call returns, and the server reads
// it in the next poll phase, before the next piece is written, so the server really sees one
// read per piece.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "evnode/http.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "http/e2e_support.h"

namespace evnode::http::e2e {

// Where a byte string is cut: each offset in `cuts` (ascending, within (0, size)) starts a new
// piece. No cuts: one write.
struct Split {
  std::string name;  // "whole", "byte by byte", "cut at 17", "random #3"
  std::vector<std::size_t> cuts;
};

struct SplitOptions {
  std::size_t randomSplits = 48;
  std::size_t maxPieces = 8;         // a random split has 2..maxPieces pieces
  std::uint64_t seed = 0x5eed5eed;   // for the random splits; printed on a failure
  std::size_t byteByByteUpTo = 400;  // one byte per write only for inputs this small
  std::size_t everyCutUpTo = 256;    // every two-piece split for inputs this small
  std::size_t parallel = 48;         // connections in flight at a time
};

// splitmix64: the same sequence for the same seed on every platform.
struct SplitRng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n ? static_cast<std::size_t>(next() % n) : 0; }
};

// The splits of a `size`-byte input: whole first (the reference), then byte by byte, every
// single cut, and the random ones.
inline std::vector<Split> splitsOf(std::size_t size, const SplitOptions& o = {}) {
  std::vector<Split> out;
  out.push_back({"whole", {}});
  if (size < 2) return out;
  if (size <= o.byteByByteUpTo) {
    Split s{"byte by byte", {}};
    for (std::size_t i = 1; i < size; ++i) s.cuts.push_back(i);
    out.push_back(std::move(s));
  }
  if (size <= o.everyCutUpTo) {
    for (std::size_t i = 1; i < size; ++i) out.push_back({"cut at " + std::to_string(i), {i}});
  }
  SplitRng rng{o.seed};
  for (std::size_t k = 0; k < o.randomSplits; ++k) {
    const std::size_t pieces = 2 + rng.below(std::min(o.maxPieces, size) - 1);
    std::vector<std::size_t> cuts;
    while (cuts.size() < pieces - 1) {
      std::size_t at = 1 + rng.below(size - 1);
      if (std::find(cuts.begin(), cuts.end(), at) == cuts.end()) cuts.push_back(at);
    }
    std::sort(cuts.begin(), cuts.end());
    out.push_back({"random #" + std::to_string(k), std::move(cuts)});
  }
  return out;
}

// What one connection got back.
struct Reply {
  std::string bytes;          // everything the server sent (Date values normalised)
  bool serverClosed = false;  // the server closed before the client ended its side
  bool operator==(const Reply& o) const {
    return bytes == o.bytes && serverClosed == o.serverClosed;
  }
};

// Printable bytes for a failure message: CR, LF, backslash and anything not printable escaped.
inline std::string escapeBytes(std::string_view s, std::size_t max = 2000) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

inline std::string describeReply(const Reply& r) {
  return std::string(r.serverClosed ? "[server closed] " : "[kept open] ") + "\"" +
         escapeBytes(r.bytes) + "\"";
}

// "Date: <anything>\r\n" -> "Date: <date>\r\n", for servers that send one.
inline std::string normaliseDate(std::string s) {
  for (std::size_t at = s.find("\r\nDate: "); at != std::string::npos;
       at = s.find("\r\nDate: ", at + 2)) {
    std::size_t end = s.find("\r\n", at + 2);
    if (end == std::string::npos) break;
    s.replace(at + 8, end - (at + 8), "<date>");
  }
  return s;
}

// One connection that sends `bytes` cut at `cuts`, a piece per loop turn. Once everything is
// written it lets the server react for a few more loop turns; if the server has not closed by
// then, the client ends its side (FIN), and waits for the close.
class PieceSender : public std::enable_shared_from_this<PieceSender> {
 public:
  static std::shared_ptr<PieceSender> start(int port, std::string bytes,
                                            std::vector<std::size_t> cuts,
                                            std::function<void(const Reply&)> done) {
    auto p = std::shared_ptr<PieceSender>(new PieceSender());
    p->bytes_ = std::move(bytes);
    p->cuts_ = std::move(cuts);
    p->cuts_.push_back(p->bytes_.size());
    p->done_ = std::move(done);
    PieceSender* raw = p.get();
    p->socket_ = net::connect(port, "127.0.0.1", [raw] {
      raw->socket_->setNoDelay(true);
      raw->sendNext();
    });
    p->socket_->on(net::Socket::Events::data,
                   [raw](const Buffer& b) { raw->reply_.bytes.append(b.view()); });
    p->socket_->on(net::Socket::Events::end, [raw] { raw->peerEnded_ = true; });
    p->socket_->on(net::Socket::Events::error, [](const Error&) {});  // a reset shows as close
    // The close listener holds the sender until the connection is gone.
    p->socket_->on(net::Socket::Events::close, [p](bool) { p->onClose(); });
    return p;
  }

 private:
  PieceSender() = default;

  void sendNext() {
    // A server that has closed its side gets nothing more: written into a closed socket, the
    // bytes would draw a reset, and a write that fails on it could destroy the socket before
    // its answer, already received, was read.
    if (closed_ || peerEnded_ || socket_->destroyed()) return;
    const std::size_t from = next_ == 0 ? 0 : cuts_[next_ - 1];
    const std::size_t to = cuts_[next_];
    ++next_;
    if (to > from) socket_->write(std::string_view(bytes_).substr(from, to - from));
    if (next_ == cuts_.size()) return settle(5);
    // The next piece after 1 ms, and in the check phase of a later turn than the timer's: the
    // poll phase between has read the server's answer to this piece (and its FIN) first.
    auto self = shared_from_this();
    timer_ = setTimeout(
        [self] { setImmediate([self] { setImmediate([self] { self->sendNext(); }); }); }, 1);
  }

  // Several timer turns (each at least one poll phase) after the last write; a descheduled
  // process still gives the server its turns before the client ends.
  void settle(int turns) {
    if (closed_) return;
    auto self = shared_from_this();
    timer_ = setTimeout(
        [self, turns] {
          if (turns > 1) return self->settle(turns - 1);
          if (self->closed_) return;
          self->ended_ = true;
          self->socket_->end();
          // A server that ignores the FIN: give up after a while (the test then fails).
          self->timer_ = setTimeout([self] { self->socket_->destroy(); }, 3000);
        },
        2);
  }

  void onClose() {
    if (closed_) return;
    closed_ = true;
    if (timer_) timer_->close();
    timer_ = nullptr;
    reply_.serverClosed = !ended_;
    reply_.bytes = normaliseDate(std::move(reply_.bytes));
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(reply_);
  }

  std::shared_ptr<net::Socket> socket_;
  std::string bytes_;
  std::vector<std::size_t> cuts_;  // piece ends, the last one bytes_.size()
  std::size_t next_ = 0;
  TimeoutPtr timer_;
  Reply reply_;
  bool ended_ = false;      // the client sent its FIN
  bool peerEnded_ = false;  // the server sent its FIN
  bool closed_ = false;
  std::function<void(const Reply&)> done_;
};

// Sends `request` once per split to `server` (listening), at most o.parallel connections at a
// time, runs the loop until all are answered, then closes the server. `after`, if given, runs
// once all splits are done, before the close (e.g. a check that the server still serves).
inline std::vector<Reply> deliverSplits(const std::shared_ptr<Server>& server,
                                        const std::string& request,
                                        const std::vector<Split>& splits,
                                        const SplitOptions& o = {},
                                        std::function<void(std::function<void()>)> after = {}) {
  std::vector<Reply> replies(splits.size());
  const int port = server->address().port;
  std::size_t started = 0, finished = 0;
  std::function<void()> startMore = [&] {
    while (started < splits.size() && started - finished < o.parallel) {
      const std::size_t i = started++;
      PieceSender::start(port, request, splits[i].cuts, [&, i](const Reply& r) {
        replies[i] = r;
        ++finished;
        if (finished < splits.size()) return startMore();
        if (after) {
          after([&] { server->close(); });
        } else {
          server->close();
        }
      });
    }
  };
  startMore();
  run();
  return replies;
}

// Every split got the reply of the single write, and that is `expected` when given. A failure
// names the split and its cuts (and the seed of the random ones).
inline void expectSameReplies(const std::string& label, const std::string& request,
                              const std::vector<Split>& splits, const std::vector<Reply>& replies,
                              const std::optional<Reply>& expected = std::nullopt,
                              const SplitOptions& o = {}) {
  ASSERT_EQ(replies.size(), splits.size());
  if (expected) {
    EXPECT_TRUE(replies[0] == *expected)
        << label << ": the single write of \"" << escapeBytes(request) << "\"\n got      "
        << describeReply(replies[0]) << "\n expected " << describeReply(*expected);
  }
  std::size_t failures = 0;
  for (std::size_t i = 1; i < splits.size(); ++i) {
    if (replies[i] == replies[0]) continue;
    if (++failures > 5) continue;  // the first few say enough
    std::string cuts;
    for (std::size_t c : splits[i].cuts) cuts += (cuts.empty() ? "" : ",") + std::to_string(c);
    ADD_FAILURE() << label << ": split \"" << splits[i].name << "\" (cuts " << cuts
                  << "; random splits use seed 0x" << std::hex << o.seed << std::dec << ") of \""
                  << escapeBytes(request) << "\"\n got        " << describeReply(replies[i])
                  << "\n single write " << describeReply(replies[0]);
  }
  EXPECT_EQ(failures, 0u) << label << ": splits answered differently from the single write";
}

}  // namespace evnode::http::e2e
