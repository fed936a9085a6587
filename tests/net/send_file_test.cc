// net::internal::sendFile over real sockets: file ranges between ordinary writes arrive in order
// and byte-exact (TCP and Unix, fast and slow readers, so the EAGAIN wait runs), bytesWritten
// and the timeout follow the file bytes, a reset peer is an error (no SIGPIPE), destroy() in the
// middle cancels cleanly, a file shorter than the range is EOF, and sockets that cannot
// sendfile (not connected) are refused.
#include <fcntl.h>
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
#include "net/direct.h"
#include "net/send_file.h"
#include "support/testing.h"

namespace {

using namespace evnode;
namespace et = evnode::testing;
using net::Server;
using net::Socket;

using et::DataFile;

struct Sent {
  int calls = 0;
  Error err;
  std::uint64_t bytes = 0;
  std::function<void(const Error&, std::uint64_t)> cb() {
    return [this](const Error& e, std::uint64_t n) {
      ++calls;
      err = e;
      bytes = n;
    };
  }
};

// Connects to the server (TCP port or Unix path), collects everything until the server closes;
// with `slow`, pauses 10 ms after each 256 KiB, so the sender fills the socket and waits.
std::shared_ptr<Socket> collect(int port, const std::string& path, bool slow, std::string& got) {
  auto c = path.empty() ? net::connect(port, "127.0.0.1") : net::connect(path);
  Socket* raw = c.get();
  auto since = std::make_shared<std::size_t>(0);
  c->on(Socket::Events::data, [raw, slow, since, &got](const Buffer& b) {
    got.append(b.view());
    *since += b.length();
    if (slow && *since >= 256 * 1024) {
      *since = 0;
      raw->pause();
      setTimeout([raw] { raw->resume(); }, 10);
    }
  });
  c->on(Socket::Events::error, [](const Error&) {});
  return c;
}

// The server writes "head", a whole file, "mid", a range of it, and ends with "tail"; the
// client must receive exactly that, whatever the pace of its reads.
void headFileTail(const std::string& unixPath, bool slow) {
  DataFile file(24 << 20, 1);  // far larger than the socket buffers
  Sent whole, part;
  std::uint64_t written = 0;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    EXPECT_TRUE(net::internal::canSendFile(*s));
    s->write("head\n");
    net::internal::sendFile(s, file.fd, 0, file.data.size(), whole.cb());
    s->write("mid\n");
    net::internal::sendFile(s, file.fd, 1000, 300000, part.cb());
    s->end("tail");
    s->on(Socket::Events::close, [&, raw = s.get()](bool) {
      written = raw->bytesWritten();
      server->close();
    });
  });
  int port = -1;
  if (unixPath.empty()) {
    server->listen(0, "127.0.0.1");
    port = server->address().port;
  } else {
    server->listen(unixPath);
  }
  std::string got;
  auto client = collect(port, unixPath, slow, got);
  run();
  const std::string want = "head\n" + file.data + "mid\n" + file.data.substr(1000, 300000) + "tail";
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << "the bytes differ";
  EXPECT_EQ(whole.calls, 1);
  EXPECT_FALSE(whole.err) << whole.err.message;
  EXPECT_EQ(whole.bytes, file.data.size());
  EXPECT_EQ(part.calls, 1);
  EXPECT_FALSE(part.err) << part.err.message;
  EXPECT_EQ(part.bytes, 300000u);
  EXPECT_EQ(written, want.size());
}

TEST(NetSendFile, TcpFileBetweenWritesArrivesInOrder) {
  EVNODE_WATCHDOG(60);
  headFileTail("", false);
}

TEST(NetSendFile, TcpSlowReaderMakesTheSenderWait) {
  EVNODE_WATCHDOG(90);
  headFileTail("", true);
}

TEST(NetSendFile, UnixSocketSlowReader) {
  EVNODE_WATCHDOG(90);
  et::TempDir dir;
  headFileTail(dir.file("s.sock"), true);
}

// One output queue: bytes that a direct write (writeNow) left while the kernel was full, a file
// range, and ordinary writes after it leave in the order they were made.
TEST(NetSendFile, AFileQueuesBehindWhatADirectWriteLeft) {
  EVNODE_WATCHDOG(60);
  DataFile file(3 << 20, 11);
  std::string want;
  Sent sent;
  std::shared_ptr<Server> server;
  std::shared_ptr<Socket> client;
  std::uint64_t written = 0;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    // The client reads nothing yet: direct writes until one leaves bytes queued.
    std::size_t i = 0;
    while (!net::internal::outputWaiting(*s) && i < 100000) {
      std::string p = et::randomBytes(16 * 1024, ++i);
      want += p;
      net::internal::writeNow(*s, p);
    }
    EXPECT_EQ(s->writableLength(), 0u);  // the leftover waits in the socket's own queue
    net::internal::sendFile(s, file.fd, 5, file.data.size() - 5, sent.cb());
    want += file.data.substr(5);
    s->write("after the file");
    want += "after the file";
    s->end();
    s->on(Socket::Events::close, [&, raw = s.get()](bool) {
      written = raw->bytesWritten();
      server->close();
    });
    client->resume();
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  client = collect(server->address().port, "", false, got);
  client->pause();
  run();
  EXPECT_EQ(sent.calls, 1);
  EXPECT_FALSE(sent.err) << sent.err.message;
  EXPECT_EQ(sent.bytes, file.data.size() - 5);
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << "the bytes differ";
  EXPECT_EQ(written, want.size());
}

TEST(NetSendFile, ManyFilesInOneBatchAndEmptyRanges) {
  EVNODE_WATCHDOG(30);
  DataFile file(100000, 2);
  std::vector<Sent> sent(20);
  std::string want;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    // All in one tick: one batch, many markers between small writes.
    for (std::size_t i = 0; i < sent.size(); ++i) {
      s->write(std::to_string(i) + ":");
      net::internal::sendFile(s, file.fd, i * 17, i % 5 == 0 ? 0 : 3000 + i, sent[i].cb());
    }
    s->end();
    s->on(Socket::Events::close, [&](bool) { server->close(); });
  });
  for (std::size_t i = 0; i < sent.size(); ++i) {
    want += std::to_string(i) + ":" + file.data.substr(i * 17, i % 5 == 0 ? 0 : 3000 + i);
  }
  server->listen(0, "127.0.0.1");
  std::string got;
  auto client = collect(server->address().port, "", false, got);
  run();
  EXPECT_TRUE(got == want) << got.size() << " bytes, want " << want.size();
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i].calls, 1) << i;
    EXPECT_FALSE(sent[i].err) << i << " " << sent[i].err.message;
    EXPECT_EQ(sent[i].bytes, i % 5 == 0 ? 0u : 3000 + i) << i;
  }
}

TEST(NetSendFile, PeerResetMidFileIsAnErrorNotASignal) {
  EVNODE_WATCHDOG(30);
  DataFile file(64 << 20, 3);
  Sent sent;
  Error socketErr;
  bool hadError = false;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    net::internal::sendFile(s, file.fd, 0, file.data.size(), sent.cb());
    s->on(Socket::Events::error, [&](const Error& e) { socketErr = e; });
    s->on(Socket::Events::close, [&](bool h) {
      hadError = h;
      server->close();
    });
  });
  server->listen(0, "127.0.0.1");
  int fd = et::rawConnect(server->address().port);
  ASSERT_GE(fd, 0);
  // Read a little once the server is blocked on a full socket, then reset.
  setTimeout(
      [fd] {
        char buf[65536];
        EXPECT_GT(::recv(fd, buf, sizeof buf, 0), 0);
        et::resetClose(fd);
      },
      100);
  run();
  EXPECT_EQ(sent.calls, 1);
  EXPECT_TRUE(sent.err.code == "ECONNRESET" || sent.err.code == "EPIPE")
      << sent.err.code << " " << sent.err.message;
  EXPECT_GT(sent.bytes, 0u);
  EXPECT_LT(sent.bytes, file.data.size());
  EXPECT_EQ(socketErr.code, sent.err.code);
  EXPECT_TRUE(hadError);
}

TEST(NetSendFile, DestroyMidFileCancelsItAndTheQueuedOnes) {
  EVNODE_WATCHDOG(30);
  DataFile file(64 << 20, 4);
  Sent first, second, third;
  bool closed = false;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    // The first two leave in one batch; the third waits behind it in the Writable's queue.
    net::internal::sendFile(s, file.fd, 0, file.data.size(), first.cb());
    net::internal::sendFile(s, file.fd, 0, 10, second.cb());
    setTimeout([&, s] { net::internal::sendFile(s, file.fd, 0, 10, third.cb()); }, 50);
    Socket* raw = s.get();
    // The client never reads: the batch waits on a full socket when this runs.
    setTimeout([raw] { raw->destroy(); }, 150);
    s->on(Socket::Events::close, [&](bool) {
      closed = true;
      server->close();
    });
  });
  server->listen(0, "127.0.0.1");
  int fd = et::rawConnect(server->address().port);
  ASSERT_GE(fd, 0);
  run();  // returns only if nothing (such as the write poll) is left open
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_EQ(first.calls, 1);
  EXPECT_EQ(first.err.code, "ECANCELED");
  EXPECT_GT(first.bytes, 0u);
  EXPECT_LT(first.bytes, file.data.size());
  EXPECT_EQ(second.calls, 1);
  EXPECT_EQ(second.err.code, "ECANCELED");
  EXPECT_EQ(second.bytes, 0u);
  EXPECT_EQ(third.calls, 1);
  EXPECT_EQ(third.err.code, "ECANCELED");  // the Writable fails its queue with the write's error
  EXPECT_EQ(third.bytes, 0u);
}

TEST(NetSendFile, FileShorterThanTheRangeIsEOF) {
  EVNODE_WATCHDOG(30);
  DataFile file(1000, 5);
  Sent sent;
  Error socketErr;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    net::internal::sendFile(s, file.fd, 0, 5000, sent.cb());
    s->on(Socket::Events::error, [&](const Error& e) { socketErr = e; });
    s->on(Socket::Events::close, [&](bool) { server->close(); });
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  auto client = collect(server->address().port, "", false, got);
  run();
  EXPECT_EQ(sent.calls, 1);
  EXPECT_EQ(sent.err.code, "EOF");
  EXPECT_EQ(sent.err.syscall, "sendfile");
  EXPECT_EQ(sent.bytes, 1000u);
  EXPECT_EQ(socketErr.code, "EOF");
  EXPECT_TRUE(got == file.data);
}

TEST(NetSendFile, BadFileDescriptorIsAnError) {
  EVNODE_WATCHDOG(30);
  Sent sent;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    s->write("x");
    net::internal::sendFile(s, -1, 0, 10, sent.cb());
    s->on(Socket::Events::error, [](const Error&) {});
    s->on(Socket::Events::close, [&](bool) { server->close(); });
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  auto client = collect(server->address().port, "", false, got);
  run();
  EXPECT_EQ(sent.calls, 1);
  EXPECT_EQ(sent.err.code, "EBADF");
  EXPECT_EQ(got, "x");
}

TEST(NetSendFile, ActivityKeepsTheTimeoutAway) {
  EVNODE_WATCHDOG(60);
  DataFile file(32 << 20, 6);
  int timeouts = 0;
  Sent sent;
  std::uint64_t doneAt = 0, timeoutAt = 0;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    Socket* raw = s.get();
    // The slow reader takes seconds; only the file bytes going out are activity.
    raw->setTimeout(1000, [&, raw] {
      ++timeouts;
      timeoutAt = Loop::current().now();
      raw->end();
    });
    net::internal::sendFile(s, file.fd, 0, file.data.size(), [&](const Error& e, std::uint64_t n) {
      sent.cb()(e, n);
      doneAt = Loop::current().now();
    });
    s->on(Socket::Events::close, [&](bool) { server->close(); });
  });
  server->listen(0, "127.0.0.1");
  std::string got;
  auto client = collect(server->address().port, "", true, got);
  run();
  EXPECT_FALSE(sent.err) << sent.err.message;
  EXPECT_TRUE(got == file.data);
  EXPECT_EQ(timeouts, 1);  // once idle, after the file
  EXPECT_GE(timeoutAt, doneAt + 900);
}

TEST(NetSendFile, RefusedWithoutAConnectedKernelSocket) {
  EVNODE_WATCHDOG(10);
  auto s = Socket::create();
  EXPECT_FALSE(net::internal::canSendFile(*s));
  Sent after;  // a sendFile on a destroyed socket
  try {
    net::internal::sendFile(s, 0, 0, 1, [](const Error&, std::uint64_t) {});
    ADD_FAILURE() << "no exception";
  } catch (const Exception& e) {
    EXPECT_EQ(e.code(), "ERR_INVALID_STATE");
  }
  std::shared_ptr<Server> server = net::createServer([&](const std::shared_ptr<Socket>& c) {
    EXPECT_TRUE(net::internal::canSendFile(*c));
    try {
      net::internal::sendFile(c, 0, 1, ~0ull - 2, [](const Error&, std::uint64_t) {});
      ADD_FAILURE() << "no exception";
    } catch (const Exception& e) {
      EXPECT_EQ(e.code(), "ERR_OUT_OF_RANGE");
    }
    c->destroy();
    EXPECT_FALSE(net::internal::canSendFile(*c));
    net::internal::sendFile(c, 0, 0, 1, after.cb());
    server->close();
  });
  server->listen(0, "127.0.0.1");
  auto client = net::connect(server->address().port, "127.0.0.1");
  client->on(Socket::Events::error, [](const Error&) {});
  run();
  EXPECT_EQ(after.calls, 1);
  EXPECT_EQ(after.err.code, "ERR_STREAM_DESTROYED");
}

}  // namespace
