// The recycling caches are live in the tree that checks them: in the sanitizer build (where
// recycled blocks wait poisoned and are scribbled or checked when handed out again) a keep-alive
// connection's requests are served mostly from recycled blocks and objects, never by a path that
// bypasses the caches. Release builds do not count (the counters would cost every request).
#include <gtest/gtest.h>

#include <string>

#include "core/block_cache.h"
#include "evnode/http.h"
#include "evnode/loop.h"
#include "http/e2e_support.h"

namespace evnode::http::e2e {
namespace {

TEST(HttpRecycling, KeepAliveRequestsAreServedFromRecycledBlocks) {
  if constexpr (!evnode::detail::kCheckRecycled) {
    GTEST_SKIP() << "recycling is counted in the sanitizer build only";
  }
  EVNODE_WATCHDOG(30);
  auto server = createServer([](const RequestPtr&, const ResponsePtr& res) {
    res->writeHead(200, {{"Content-Type", "text/plain"}});
    res->end("recycled");
  });
  server->listen(0, "127.0.0.1");
  // 200 requests, one per write, on one connection: warm after the first few.
  constexpr int kRequests = 200;
  auto before = evnode::detail::recycleCounters();
  auto c = net::connect(server->address().port, "127.0.0.1");
  int sent = 0, answered = 0;
  std::string got;
  auto sendOne = [&] {
    c->write("GET / HTTP/1.1\r\nHost: x\r\n" +
             std::string(++sent == kRequests ? "Connection: close\r\n" : "") + "\r\n");
  };
  c->on(net::Socket::Events::connect, sendOne);
  c->on(net::Socket::Events::data, [&](const Buffer& b) {
    got.append(b.view());
    for (std::size_t at; (at = got.find("recycled")) != std::string::npos;) {
      got.erase(0, at + 8);
      if (++answered < kRequests) sendOne();
    }
  });
  c->on(net::Socket::Events::close, [&] { server->close(); });
  run();
  auto after = evnode::detail::recycleCounters();
  ASSERT_EQ(answered, kRequests);
  const auto reused = after.reused - before.reused, fresh = after.fresh - before.fresh;
  // Each request takes several blocks (request, response, their stream states, a Work block,
  // listeners): nearly all come back from the caches.
  EXPECT_GE(reused, 3u * kRequests) << "fresh " << fresh;
  EXPECT_LT(fresh, reused / 10) << "reused " << reused;
}

}  // namespace
}  // namespace evnode::http::e2e
