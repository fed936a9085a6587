// net::internal::writeNow and net::internal::setConsumer over real sockets: a direct write that the
// kernel cannot take whole queues the rest behind it in order (with backpressure and `drain`),
// a failed direct write is the socket's error as an ordinary write's failure is; a consumer gets
// every read and `close`, and another `data` listener, pause() and detaching give Node's stream
// behaviour back.
#include "net/direct.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/net.h"
#include "net/step_client.h"
#include "support/testing.h"

namespace {

using namespace evnode;
namespace et = evnode::testing;
using net::Server;
using net::Socket;

// A run of `n` bytes that tells where it came from.
std::string piece(std::size_t i, std::size_t n) {
  std::string s = et::randomBytes(n, i + 1);
  s[0] = static_cast<char>('A' + i % 26);
  return s;
}

TEST(NetDirect, WriteNowThatTheKernelCannotTakeQueuesTheRestInOrder) {
  EVNODE_WATCHDOG(60);
  std::string want;
  std::size_t direct = 0, queuedAt = 0;
  bool sawFalse = false;
  int drains = 0;
  std::uint64_t written = 0;
  std::shared_ptr<Server> server;
  std::shared_ptr<Socket> client;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->on(Socket::Events::drain, [&] { ++drains; });
    s->on(Socket::Events::close, [&, raw = s.get()](bool) {
      written = raw->bytesWritten();
      server->close();
    });
    // The client reads nothing yet: write until the kernel is full and a write is queued.
    std::size_t i = 0;
    while (s->writableLength() == 0 && want.size() < (256u << 20)) {
      std::string p = piece(i++, 16 * 1024);
      want += p;
      EXPECT_TRUE(net::internal::writeNow(*s, p));
      if (s->writableLength() == 0) ++direct;
    }
    queuedAt = i;
    // From now on every write queues behind the first, direct or not, until `drain`.
    for (int k = 0; k < 8; ++k) {
      std::string p = piece(i++, 16 * 1024);
      want += p;
      bool ok = k % 2 ? s->write(p) : net::internal::writeNow(*s, p);
      if (!ok) sawFalse = true;
    }
    // (Node emits no `drain` once the stream is ending: end only after it.)
    want += "the end";
    s->once(Socket::Events::drain, [raw = s.get()] {
      EXPECT_EQ(raw->writableLength(), 0u);
      Buffer tail = Buffer::from("the end");
      EXPECT_TRUE(net::internal::writeNow(*raw, tail));
      raw->end();
    });
    client->resume();
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  client = net::connect(server->address().port, "127.0.0.1");
  client->pause();
  client->on(Socket::Events::data, [&](const Buffer& b) { got.append(b.view()); });
  run();
  EXPECT_GT(direct, 0u);
  EXPECT_GT(queuedAt, 0u);
  EXPECT_TRUE(sawFalse);  // 8 * 16 KiB reach the high-water mark
  EXPECT_GE(drains, 1);
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << "the bytes differ";
  EXPECT_EQ(written, want.size());
}

TEST(NetDirect, WriteNowOfTwoPartsAndAfterOrdinaryWritesKeepsOrder) {
  EVNODE_WATCHDOG(30);
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->write("a");  // auto-corked: writeNow must queue behind it, not overtake it
    Buffer body = Buffer::from("c");
    net::internal::writeNow(*s, "b", &body);
    s->on(Socket::Events::data, [raw = s.get()](const Buffer&) {
      Buffer more = Buffer::from("e");
      net::internal::writeNow(*raw, "d", &more);  // nothing queued now: straight to the kernel
      EXPECT_EQ(raw->writableLength(), 0u);
      EXPECT_EQ(raw->bytesWritten(), 5u);
      raw->end();
    });
    s->on(Socket::Events::close, [&](bool) { server->close(); });
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  auto client = net::connect(server->address().port, "127.0.0.1");
  client->on(Socket::Events::data, [&](const Buffer& b) {
    got.append(b.view());
    if (got == "abc") client->write("go");
  });
  run();
  EXPECT_EQ(got, "abcde");
}

// A reset peer: the direct write fails as an ordinary write does, through `error` then
// close(hadError), and nothing counts as written.
TEST(NetDirect, WriteNowToAResetPeerIsTheSocketsWriteError) {
  EVNODE_WATCHDOG(30);
  net::ServerOptions o;
  o.pauseOnConnect = true;  // the read side must not see the reset first
  std::shared_ptr<Server> server;
  Error direct, ordinary;
  std::vector<bool> hadError;
  std::uint64_t written = 99;
  int fd = -1;
  bool second = false;
  server = net::createServer(o, [&](const std::shared_ptr<Socket>& s) {
    const bool useDirect = !second;
    second = true;
    Error& err = useDirect ? direct : ordinary;
    s->on(Socket::Events::error, [&err](const Error& e) { err = e; });
    s->on(Socket::Events::close, [&, raw = s.get(), useDirect](bool h) {
      hadError.push_back(h);
      if (useDirect) written = raw->bytesWritten();
      if (hadError.size() == 2) {
        server->close();
      } else {
        // The same again with an ordinary write, for comparison.
        fd = et::rawConnect(server->address().port);
      }
    });
    et::resetClose(fd);
    // The reset may take a moment to arrive: write until the write fails.
    auto tryWrite = std::make_shared<std::function<void()>>();
    *tryWrite = [s, tryWrite, useDirect] {
      if (s->destroyed()) {
        *tryWrite = nullptr;  // breaks the cycle
        return;
      }
      if (useDirect) {
        net::internal::writeNow(*s, "x");
      } else {
        s->write("x");
      }
      setTimeout([tryWrite] { (*tryWrite)(); }, 5);
    };
    (*tryWrite)();
  });
  server->listen(0, "127.0.0.1");
  fd = et::rawConnect(server->address().port);
  ASSERT_GE(fd, 0);
  run();
  ASSERT_EQ(hadError.size(), 2u);
  EXPECT_TRUE(hadError[0]);
  EXPECT_TRUE(hadError[1]);
  EXPECT_TRUE(direct.code == "ECONNRESET" || direct.code == "EPIPE") << direct.code;
  EXPECT_EQ(direct.syscall, ordinary.syscall);
  EXPECT_EQ(direct.syscall, "write");
  EXPECT_TRUE(ordinary.code == "ECONNRESET" || ordinary.code == "EPIPE") << ordinary.code;
  EXPECT_EQ(written, 0u);
}

struct Recorder : net::internal::SocketConsumer {
  std::string got;
  std::vector<std::string>* log = nullptr;
  int closes = 0;
  std::function<void(const Buffer&)> also;
  void onData(const Buffer& chunk) override {
    got.append(chunk.view());
    if (log) log->push_back("consumer:" + std::string(chunk.view()));
    if (also) also(chunk);
  }
  void onClose() override {
    ++closes;
    if (log) log->push_back("consumer:close");
  }
};

using net::test::stepClient;

TEST(NetDirect, AConsumerGetsEveryReadThenCloseBeforeTheCloseListeners) {
  EVNODE_WATCHDOG(30);
  Recorder rec;
  std::vector<std::string> log;
  rec.log = &log;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    net::internal::setConsumer(*s, &rec);
    rec.also = [raw = s.get()](const Buffer&) { raw->write("next"); };
    s->on(Socket::Events::close, [&](bool) {
      log.push_back("close");
      server->close();
    });
  });
  server->listen(0, "127.0.0.1");
  auto client = stepClient(server->address().port, {"one", "two", "three"});
  run();
  EXPECT_EQ(rec.got, "onetwothree");
  EXPECT_EQ(rec.closes, 1);
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back(), "close");
  EXPECT_EQ(log[log.size() - 2], "consumer:close");
}

TEST(NetDirect, AnotherDataListenerSeesTheSameBytesAfterTheConsumer) {
  EVNODE_WATCHDOG(30);
  Recorder rec;
  std::vector<std::string> log;
  rec.log = &log;
  std::string other;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    net::internal::setConsumer(*s, &rec);
    s->on(Socket::Events::data, [&, raw = s.get()](const Buffer& b) {
      other.append(b.view());
      log.push_back("other:" + std::string(b.view()));
      raw->write("next");
    });
    s->on(Socket::Events::close, [&](bool) { server->close(); });
  });
  server->listen(0, "127.0.0.1");
  auto client = stepClient(server->address().port, {"one", "two"});
  run();
  EXPECT_EQ(rec.got, "onetwo");
  EXPECT_EQ(other, "onetwo");
  std::vector<std::string> want{"consumer:one", "other:one", "consumer:two", "other:two",
                                "consumer:close"};
  EXPECT_EQ(log, want);
}

// pause() stops the consumer's reads (the stream buffers, then stops reading); resume() hands
// it what was buffered, in order.
TEST(NetDirect, PauseHoldsTheConsumersReadsUntilResume) {
  EVNODE_WATCHDOG(30);
  Recorder rec;
  std::size_t gotWhilePaused = 0, bufferedWhilePaused = 0;
  std::shared_ptr<Server> server;
  std::shared_ptr<Socket> client;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    net::internal::setConsumer(*s, &rec);
    rec.also = [&, raw = s.get()](const Buffer&) {
      if (rec.got == "first") {
        raw->pause();
        client->write("second");
        // Resume once the stream holds "second": the consumer must not have seen it.
        net::test::whenBuffered(raw, 6, [&, raw] {
          gotWhilePaused = rec.got.size();
          bufferedWhilePaused = raw->readableLength();
          raw->resume();
        });
      } else if (rec.got == "firstsecond") {
        client->end();
      }
    };
    s->on(Socket::Events::close, [&](bool) { server->close(); });
  });
  server->listen(0, "127.0.0.1");
  client = net::connect(server->address().port, "127.0.0.1", [&] { client->write("first"); });
  run();
  EXPECT_EQ(gotWhilePaused, 5u);
  EXPECT_EQ(bufferedWhilePaused, 6u);  // "second", held by the stream
  EXPECT_EQ(rec.got, "firstsecond");
  EXPECT_EQ(rec.closes, 1);
}

TEST(NetDirect, ADetachedConsumerGetsNothingAndTheSocketIsPlainAgain) {
  EVNODE_WATCHDOG(30);
  Recorder rec;
  std::string plain;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    net::internal::setConsumer(*s, &rec);
    rec.also = [&, raw = s.get()](const Buffer&) {
      net::internal::setConsumer(*raw, nullptr);
      EXPECT_EQ(raw->listenerCount(Socket::Events::data), 0u);
      raw->on(Socket::Events::data, [&, raw](const Buffer& b) {
        plain.append(b.view());
        raw->write("next");
      });
      raw->write("next");
    };
    s->on(Socket::Events::close, [&](bool) { server->close(); });
  });
  server->listen(0, "127.0.0.1");
  auto client = stepClient(server->address().port, {"one", "two", "three"});
  run();
  EXPECT_EQ(rec.got, "one");
  EXPECT_EQ(plain, "twothree");
  EXPECT_EQ(rec.closes, 0);
}

// The thread's cork buffer holds one socket's bytes at a time: a second socket that takes it
// writes the first one's bytes out first; a socket destroyed with bytes corked loses them (and
// the buffer is free for the next); what is uncorked goes with `then` in one write.
TEST(NetDirect, TheCorkBufferHoldsOneSocketsBytesAtATime) {
  EVNODE_WATCHDOG(30);
  std::vector<std::shared_ptr<Socket>> accepted;
  std::shared_ptr<Server> server;
  std::string gotA, gotB, gotC;
  int closed = 0;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    accepted.push_back(s);
    if (accepted.size() < 3) return;
    Socket& a = *accepted[0];
    Socket& b = *accepted[1];
    Socket& c = *accepted[2];
    net::internal::corkedOutput(a) += "a1 ";
    net::internal::corkedOutput(a) += "a2 ";
    net::internal::corkedOutput(b) += "b1 ";  // writes a's bytes out first
    EXPECT_EQ(a.bytesWritten(), 6u);
    net::internal::corkedOutput(a) += "a3";  // and b's
    EXPECT_EQ(b.bytesWritten(), 3u);
    Buffer tail = Buffer::from(" tail");
    net::internal::uncorkOutput(a, &tail);
    net::internal::uncorkOutput(b);  // nothing of b's is corked any more
    net::internal::corkedOutput(c) += "lost";
    c.destroy();
    net::internal::uncorkOutput(c);  // destroyed: dropped
    net::internal::corkedOutput(b) += "b2";
    net::internal::uncorkOutput(b);
    EXPECT_EQ(c.bytesWritten(), 0u);
    a.end();
    b.end();
  });
  server->listen(0, "127.0.0.1");
  auto connect = [&](std::string& got) {
    auto c = net::connect(server->address().port, "127.0.0.1");
    c->on(Socket::Events::data, [&got](const Buffer& b) { got.append(b.view()); });
    c->on(Socket::Events::error, [](const Error&) {});
    c->on(Socket::Events::close, [&](bool) {
      if (++closed == 3) server->close();
    });
    return c;
  };
  // One at a time, so that accepted[] is in connection order.
  auto ca = connect(gotA);
  ca->on(Socket::Events::connect, [&] {
    auto cb = connect(gotB);
    cb->on(Socket::Events::connect, [&] { connect(gotC); });
  });
  run();
  EXPECT_EQ(gotA, "a1 a2 a3 tail");
  EXPECT_EQ(gotB, "b1 b2");
  EXPECT_EQ(gotC, "");
}

}  // namespace
