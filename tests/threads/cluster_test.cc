// cluster::run: N loops on N threads sharing a port with reusePort (TCP and UDP), served by
// every thread, stopped together (by stop() or a signal) without losing in-flight responses.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <future>
#include <map>
#include <memory>
#include <string>

#include "evnode/cluster.h"
#include "evnode/dgram.h"
#include "evnode/error.h"
#include "evnode/http.h"
#include "evnode/net.h"
#include "support/testing.h"

namespace evnode {
namespace {

// The port the first thread bound (port 0), for the other threads to share.
struct SharedPort {
  std::promise<int> chosen;
  std::shared_future<int> port = chosen.get_future().share();
};

TEST(ThreadsCluster, TcpEchoOnThreeThreadsSharingAPortEveryThreadServes) {
  EVNODE_WATCHDOG(60);
  constexpr unsigned kThreads = 3;
  constexpr int kClients = 60;
  SharedPort shared;
  std::array<std::atomic<int>, kThreads> served{};
  std::atomic<unsigned> listening{0};
  LoopHandle primary = Loop::current().handle();
  int ok = 0, finished = 0;

  auto startClients = [&](cluster::Cluster& group, int port) {
    for (int c = 0; c < kClients; ++c) {
      auto payload = std::make_shared<std::string>(testing::randomBytes(20000 + c * 997, c));
      auto got = std::make_shared<std::string>();
      auto s = net::connect(port, "127.0.0.1");
      s->on(net::Socket::Events::data, [got](const Buffer& b) { got->append(b.view()); });
      s->on(net::Socket::Events::end, [&, payload, got] {
        if (*got == *payload) ++ok;
        if (++finished == kClients) group.stop();
      });
      s->on(net::Socket::Events::error, [](const Error& e) { ADD_FAILURE() << e.message; });
      s->end(Buffer::from(*payload));
    }
  };
  cluster::Cluster* groupPtr = nullptr;
  cluster::Options o;
  o.threads = kThreads;
  o.primary = [&](cluster::Cluster& g) {
    groupPtr = &g;
    EXPECT_EQ(g.size(), kThreads);
    EXPECT_EQ(cluster::threadIndex(), -1);
  };
  cluster::run(o, [&](unsigned i) {
    EXPECT_EQ(cluster::threadIndex(), static_cast<int>(i));
    auto server = net::createServer([&, i](const std::shared_ptr<net::Socket>& s) {
      served[i].fetch_add(1);
      s->pipe(s);  // echo; the end follows the last byte
    });
    net::ListenOptions lo;
    lo.host = "127.0.0.1";
    lo.reusePort = true;
    lo.port = i == 0 ? 0 : shared.port.get();  // the others bind the first one's port
    server->listen(lo, [&, i, raw = server.get()] {
      if (i == 0) shared.chosen.set_value(raw->address().port);
      if (listening.fetch_add(1) + 1 == kThreads) {
        int port = shared.port.get();
        primary.post([&, port] { startClients(*groupPtr, port); });
      }
    });
    cluster::onStop([server] { server->close(); });
  });
  EXPECT_EQ(ok, kClients);
  int total = 0;
  for (unsigned i = 0; i < kThreads; ++i) {
    EXPECT_GT(served[i].load(), 0) << "thread " << i << " served nothing";
    total += served[i].load();
  }
  EXPECT_EQ(total, kClients);
}

TEST(ThreadsCluster, UdpSocketsWithReusePortOnEveryThreadShareTheDatagrams) {
  EVNODE_WATCHDOG(60);
  constexpr unsigned kThreads = 3;
  constexpr int kClients = 60;
  SharedPort shared;
  std::array<std::atomic<int>, kThreads> received{};
  std::atomic<unsigned> bound{0};
  LoopHandle primary = Loop::current().handle();
  cluster::Cluster* groupPtr = nullptr;
  int replies = 0;
  std::vector<std::shared_ptr<dgram::Socket>> clients;

  auto startClients = [&](int port) {
    for (int c = 0; c < kClients; ++c) {
      // A socket each: a source port each, which the kernel hashes to one of the threads.
      auto s = dgram::createSocket("udp4");
      std::string text = "datagram " + std::to_string(c);
      s->on(dgram::Socket::Events::message,
            [&, text, raw = s.get()](const Buffer& b, const dgram::RemoteInfo&) {
              EXPECT_EQ(b.toString(), text);
              raw->close();
              if (++replies == kClients) groupPtr->stop();
            });
      s->send(text, port, "127.0.0.1");
      clients.push_back(s);
    }
  };
  cluster::Options o;
  o.threads = kThreads;
  o.primary = [&](cluster::Cluster& g) { groupPtr = &g; };
  cluster::run(o, [&](unsigned i) {
    dgram::SocketOptions so;
    so.reusePort = true;
    auto sock = dgram::createSocket(so);
    sock->on(dgram::Socket::Events::message,
             [&, i, raw = sock.get()](const Buffer& b, const dgram::RemoteInfo& r) {
               received[i].fetch_add(1);
               raw->send(b, r.port, r.address);  // echo
             });
    sock->bind(i == 0 ? 0 : shared.port.get(), "127.0.0.1", [&, i, raw = sock.get()] {
      if (i == 0) shared.chosen.set_value(raw->address().port);
      if (bound.fetch_add(1) + 1 == kThreads) {
        int port = shared.port.get();
        primary.post([&, port] { startClients(port); });
      }
    });
    cluster::onStop([sock] { sock->close(); });
  });
  EXPECT_EQ(replies, kClients);
  for (unsigned i = 0; i < kThreads; ++i) {
    EXPECT_GT(received[i].load(), 0) << "thread " << i << " received nothing";
  }
}

// Slow responses in flight on both threads when the stop comes: every one completes, byte for
// byte, and the listening sockets are closed at once (a new connection is refused).
TEST(ThreadsCluster, StopDuringLoadLosesNoInFlightResponse) {
  EVNODE_WATCHDOG(60);
  constexpr unsigned kThreads = 2;
  constexpr int kRequests = 40;
  SharedPort shared;
  std::atomic<unsigned> listening{0};
  std::atomic<int> arrived{0};
  std::array<std::atomic<int>, kThreads> served{};
  LoopHandle primary = Loop::current().handle();
  cluster::Cluster* groupPtr = nullptr;
  int complete = 0;
  bool refusedAfterStop = false;
  const std::string body = testing::randomBytes(300000, 7);
  int port = 0;

  auto afterStop = [&] {
    // The stop has reached both threads (they closed their listeners before answering).
    auto probe = net::connect(port, "127.0.0.1");
    probe->on(net::Socket::Events::error,
              [&](const Error& e) { refusedAfterStop = e.code == "ECONNREFUSED"; });
  };
  auto startClients = [&] {
    auto agent = http::Agent::create();
    for (int c = 0; c < kRequests; ++c) {
      http::RequestOptions ro;
      ro.host = "127.0.0.1";
      ro.port = port;
      ro.path = "/" + std::to_string(c);
      ro.agent = agent;
      auto req = http::get(ro, [&](const http::IncomingMessagePtr& res) {
        auto got = std::make_shared<std::string>();
        res->on(http::IncomingMessage::Events::data,
                [got](const Buffer& b) { got->append(b.view()); });
        res->on(http::IncomingMessage::Events::end, [&, got] {
          EXPECT_EQ(*got, body);
          ++complete;
        });
      });
      req->on(http::ClientRequest::Events::error, [](const Error& e) { ADD_FAILURE() << e.code; });
    }
  };
  cluster::Options o;
  o.threads = kThreads;
  o.primary = [&](cluster::Cluster& g) { groupPtr = &g; };
  cluster::run(o, [&](unsigned i) {
    auto server = http::createServer([&, i](const http::RequestPtr&, const http::ResponsePtr& res) {
      served[i].fetch_add(1);
      // Answered 300 ms later: the stop comes while every request waits.
      setTimeout([res, &body] { res->end(body); }, 300);
      if (arrived.fetch_add(1) + 1 == kRequests) {
        primary.post([&] {
          groupPtr->stop();
          setTimeout(afterStop, 50);
        });
      }
    });
    net::ListenOptions lo;
    lo.host = "127.0.0.1";
    lo.reusePort = true;
    lo.port = i == 0 ? 0 : shared.port.get();
    server->listen(lo, [&, i, raw = server.get()] {
      if (i == 0) shared.chosen.set_value(raw->address().port);
      if (listening.fetch_add(1) + 1 == kThreads) {
        primary.post([&] {
          port = shared.port.get();
          startClients();
        });
      }
    });
    cluster::onStop([server] { server->close(); });
  });
  run();  // the probe's error, if it came after the threads ended
  EXPECT_EQ(complete, kRequests);
  EXPECT_TRUE(refusedAfterStop);
  EXPECT_GT(served[0].load(), 0);
  EXPECT_GT(served[1].load(), 0);
}

TEST(ThreadsCluster, ASignalStopsEveryThread) {
#if defined(__SANITIZE_THREAD__)
  // Under ThreadSanitizer the process-directed signal is sometimes never handled (about one run
  // in six hangs, with the primary loop waiting and no stop): the sanitizer's deferred signal
  // delivery. The release and ASan trees run it.
  GTEST_SKIP() << "ThreadSanitizer may hold the signal in a waiting thread";
#endif
  EVNODE_WATCHDOG(30);
  std::atomic<int> stopped{0};
  std::atomic<unsigned> ready{0};
  cluster::Options o;
  o.threads = 2;
  cluster::run(o, [&](unsigned) {
    // Each thread would run forever (a ref'd interval) but for the stop.
    auto forever = setInterval([] {}, 1000);
    cluster::onStop([&, forever] {
      clearInterval(forever);
      stopped.fetch_add(1);
    });
    if (ready.fetch_add(1) + 1 == 2) ::kill(::getpid(), SIGTERM);
  });
  EXPECT_EQ(stopped.load(), 2);
}

TEST(ThreadsCluster, ASetupThatThrowsStopsTheOthersAndIsRethrown) {
  EVNODE_WATCHDOG(30);
  std::atomic<int> stopped{0};
  cluster::Options o;
  o.threads = 3;
  o.handleSignals = false;
  std::atomic<int> exits{0};
  o.threadExit = [&](unsigned) { exits.fetch_add(1); };
  EXPECT_THROW(cluster::run(o,
                            [&](unsigned i) {
                              if (i == 1) throw Exception("ERR_TEST", "setup failed");
                              auto forever = setInterval([] {}, 1000);
                              cluster::onStop([&, forever] {
                                clearInterval(forever);
                                stopped.fetch_add(1);
                              });
                            }),
               Exception);
  EXPECT_EQ(stopped.load(), 2);
  EXPECT_EQ(exits.load(), 3);
  EXPECT_THROW(cluster::onStop([] {}), Exception);
  EXPECT_THROW(cluster::run(o, nullptr), Exception);
}

}  // namespace
}  // namespace evnode
