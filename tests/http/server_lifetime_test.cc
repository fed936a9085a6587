// What an http::Server leaves behind once it is gone: nothing that can still call into it.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "evnode/http.h"
#include "evnode/loop.h"
#include "http/e2e_support.h"

namespace evnode::http::e2e {
namespace {

// The connection checker (one interval per server, unref'd) stops by itself only a round after
// the last connection went. Servers dropped within that round, as a test that makes a server
// per case does, must take it along: it holds a plain pointer to its server.
TEST(HttpServerLifetime, ADroppedServerTakesItsConnectionCheckerAlong) {
  EVNODE_WATCHDOG(30);
  ServerOptions o;
  o.connectionsCheckingInterval = 20;
  std::string got;
  for (int i = 0; i < 20; ++i) {
    auto server = createServer(o, [](const RequestPtr&, const ResponsePtr& res) {
      res->sendDate = false;
      res->end("ok");
    });
    server->listen(0, "127.0.0.1");
    rawClient(server->address().port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
              [&](RawConn& c) {
                got = c.got;
                server->close();
              });
    run();
    EXPECT_EQ(got, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  }
  // The checkers' rounds come and go; each would fire into its freed server.
  bool ran = false;
  setTimeout([&] { ran = true; }, 200);
  run();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace evnode::http::e2e
