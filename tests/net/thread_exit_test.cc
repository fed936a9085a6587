// A thread that runs its own Loop and exits with everything still open: a listening server,
// connections in both directions with writes backed up, an HTTP keep-alive connection in the
// global agent's pool, a response half sent. The Loop's teardown closes them and frees into the
// per-thread caches, which must still be there (thread_instance.h): under ASan any use of a
// cache destroyed first is a report. Also: bytes written in the turn a socket is destroyed are
// sent, as Node's are.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "evnode/http.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "support/testing.h"

namespace evnode::net {
namespace {

TEST(NetThreadExit, EverythingLeftOpenIsTornDownWithTheThreadsLoop) {
  EVNODE_WATCHDOG(60);
  std::atomic<int> reached{0};
  for (int round = 0; round < 3; ++round) {
    std::thread t([&] {
      // A raw server whose connections hold a backed-up write, and a client that never reads.
      auto server = createServer([](const std::shared_ptr<Socket>& s) {
        s->on(Socket::Events::error, [](const Error&) {});
        s->write(Buffer::alloc(8 << 20, 'x'));
      });
      server->listen(0, "127.0.0.1");
      auto client = connect(server->address().port, "127.0.0.1");
      client->on(Socket::Events::error, [](const Error&) {});
      client->pause();
      // An HTTP server answering with a large body slowly read, and a keep-alive request done
      // through the global agent (its socket waits in the pool).
      auto web = http::createServer([](const http::RequestPtr& req, const http::ResponsePtr& res) {
        if (req->url == "/big") {
          res->write(std::string(4 << 20, 'y'));  // never ended
        } else {
          res->end("ok");
        }
      });
      web->listen(0, "127.0.0.1");
      const int port = web->address().port;
      http::get("http://127.0.0.1:" + std::to_string(port) + "/small",
                [&, port](const http::IncomingMessagePtr& res) {
                  res->resume();
                  res->on(http::IncomingMessage::Events::end, [&, port] {
                    auto big = http::get("http://127.0.0.1:" + std::to_string(port) + "/big",
                                         [&](const http::IncomingMessagePtr& r) {
                                           r->pause();  // half sent, backed up
                                           reached.fetch_add(1);
                                           setTimeout([] { Loop::current().stop(); }, 50);
                                         });
                    big->on(http::ClientRequest::Events::error, [](const Error&) {});
                  });
                });
      Loop::current().run();
      // Returning ends the thread with all of the above open.
    });
    t.join();
  }
  EXPECT_EQ(reached.load(), 3);
}

TEST(NetThreadExit, BytesWrittenInTheTurnOfADestroyAreSent) {
  EVNODE_WATCHDOG(30);
  std::string got;
  auto server = createServer([](const std::shared_ptr<Socket>& s) {
    s->write("last words");
    s->destroy();
  });
  server->listen(0, "127.0.0.1");
  auto client = connect(server->address().port, "127.0.0.1");
  client->on(Socket::Events::data, [&](const Buffer& b) { got.append(b.view()); });
  client->on(Socket::Events::error, [](const Error&) {});
  client->on(Socket::Events::close, [&](bool) { server->close(); });
  run();
  EXPECT_EQ(got, "last words");
}

}  // namespace
}  // namespace evnode::net
