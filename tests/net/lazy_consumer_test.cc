// A lazy consumer (net::internal::setConsumer's `lazy`, what a WebSocket attaches): no listener
// on the socket while every read can go to it directly, and the same behaviour as an eager
// consumer's listeners once something needs the stream's path: another `data` listener (which
// runs after the consumer), pause() and resume() (buffered reads, in order), and an error,
// which reaches the consumer and never counts as unhandled.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/net.h"
#include "net/direct.h"
#include "net/step_client.h"
#include "support/testing.h"

namespace {

using namespace evnode;
using net::Server;
using net::Socket;

struct Recorder : net::internal::SocketConsumer {
  std::vector<std::string> log;
  std::function<void(const Buffer&)> also;
  void onData(const Buffer& chunk) override {
    log.push_back("consumer:" + std::string(chunk.view()));
    if (also) also(chunk);
  }
  void onError(const Error& err) override { log.push_back("consumer error:" + err.code); }
  void onClose() override { log.push_back("consumer:close"); }
};

using net::test::stepClient;

TEST(NetLazyConsumer, ReadsGoToItWithNoListenerThenAfterItToAListenerAddedLater) {
  EVNODE_WATCHDOG(30);
  Recorder rec;
  std::vector<std::size_t> listenersAtFirstRead;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    net::internal::setConsumer(*s, &rec, /*lazy=*/true);
    EXPECT_EQ(s->readableFlowing(), std::optional<bool>(true));  // as a `data` listener makes it
    Socket* raw = s.get();
    rec.also = [&, raw](const Buffer& b) {
      if (b.view() == "one") {
        listenersAtFirstRead = {raw->listenerCount(Socket::Events::data),
                                raw->listenerCount(Socket::Events::error)};
        // A listener of the user's: the consumer's own is registered ahead of it.
        raw->on(Socket::Events::data,
                [&rec](const Buffer& c) { rec.log.push_back("other:" + std::string(c.view())); });
        EXPECT_EQ(raw->listenerCount(Socket::Events::data), 2u);
      }
      raw->write("next");
    };
    s->on(Socket::Events::close, [&](bool) {
      rec.log.push_back("close");
      server->close();
    });
  });
  server->listen(0, "127.0.0.1");
  auto client = stepClient(server->address().port, {"one", "two", "three"});
  run();
  EXPECT_EQ(listenersAtFirstRead, (std::vector<std::size_t>{0, 0}));
  const std::vector<std::string> want{"consumer:one",   "consumer:two", "other:two",
                                      "consumer:three", "other:three",  "consumer:close",
                                      "close"};
  EXPECT_EQ(rec.log, want);
}

TEST(NetLazyConsumer, PauseBuffersItsReadsAndResumeHandsThemOverInOrder) {
  EVNODE_WATCHDOG(30);
  Recorder rec;
  std::size_t bufferedWhilePaused = 0;
  std::shared_ptr<Server> server;
  std::shared_ptr<Socket> client;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    net::internal::setConsumer(*s, &rec, /*lazy=*/true);
    rec.also = [&, raw = s.get()](const Buffer& b) {
      if (b.view() == "first") {
        raw->pause();
        client->write("second");
        net::test::whenBuffered(raw, 6, [&, raw] {
          bufferedWhilePaused = raw->readableLength();
          rec.log.push_back("resume");
          raw->resume();
        });
      } else {
        client->end();
      }
    };
    s->on(Socket::Events::close, [&](bool) { server->close(); });
  });
  server->listen(0, "127.0.0.1");
  client = net::connect(server->address().port, "127.0.0.1", [&] { client->write("first"); });
  run();
  EXPECT_EQ(bufferedWhilePaused, 6u);  // "second", held by the stream, not handed over
  const std::vector<std::string> want{"consumer:first", "resume", "consumer:second",
                                      "consumer:close"};
  EXPECT_EQ(rec.log, want);
}

// destroy(err) with nobody else listening for `error`: the consumer gets it, the process goes on
// (an unhandled `error` would end it), and the user's listener added since runs after it.
TEST(NetLazyConsumer, AnErrorReachesItAndIsNotUnhandled) {
  EVNODE_WATCHDOG(30);
  Recorder rec;
  std::shared_ptr<Server> server;
  std::shared_ptr<Socket> client;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    net::internal::setConsumer(*s, &rec, /*lazy=*/true);
    rec.also = [raw = s.get()](const Buffer&) { raw->destroy(Error("EFAKE", "made up")); };
    s->on(Socket::Events::close, [&](bool hadError) {
      rec.log.push_back(hadError ? "close with error" : "close");
      server->close();
    });
  });
  server->listen(0, "127.0.0.1");
  client = net::connect(server->address().port, "127.0.0.1", [&] { client->write("x"); });
  client->on(Socket::Events::error, [](const Error&) {});
  run();
  const std::vector<std::string> want{"consumer:x", "consumer error:EFAKE", "consumer:close",
                                      "close with error"};
  EXPECT_EQ(rec.log, want);
}

}  // namespace
