// ws::messages(): a server written with co_await echoes through the async generator, a burst
// of messages waits in order (reading paused meanwhile), and the generator ends at the close.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/task.h"
#include "evnode/timers_promises.h"
#include "evnode/ws.h"
#include "support/testing.h"

namespace evnode::ws::test {
namespace {

Task<void> echoWithAwait(WebSocketPtr sock, std::vector<std::string>* seen, bool* ended) {
  auto gen = messages(sock);
  while (auto m = co_await gen.next()) {
    seen->push_back(std::string(m->data.view()));
    // A slow consumer: each message waits for an immediate, so the rest pile up meanwhile.
    co_await timers::promises::setImmediate();
    sock->send(m->data, {.binary = m->binary});
  }
  *ended = true;
}

TEST(WsAwait, MessagesAsAnAsyncGenerator) {
  EVNODE_WATCHDOG(20);
  auto wss = WebSocketServer::create({.port = 0, .host = "127.0.0.1"});
  std::vector<std::string> seen;
  bool ended = false;
  wss->on(WebSocketServer::Events::connection,
          [&](const WebSocketPtr& sock, const http::RequestPtr&) {
            spawn(echoWithAwait(sock, &seen, &ended));
          });
  std::vector<std::string> back;
  wss->on(WebSocketServer::Events::listening, [&] {
    auto c = WebSocket::connect("ws://127.0.0.1:" + std::to_string(wss->address().port) + "/");
    WebSocket* w = c.get();
    c->on(WebSocket::Events::open, [w] {
      for (int i = 0; i < 100; ++i) w->send("m" + std::to_string(i));
    });
    c->on(WebSocket::Events::message, [&, w](const Buffer& b, bool) {
      back.push_back(std::string(b.view()));
      if (back.size() == 100) w->close(4000);
    });
    c->on(WebSocket::Events::close, [&](int, const Buffer&) { wss->close(); });
  });
  run();
  ASSERT_EQ(back.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(back[i], "m" + std::to_string(i));
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_TRUE(ended);
}

}  // namespace
}  // namespace evnode::ws::test
