// The HTTP client's connections to host names: `localhost` reaches a server on 127.0.0.1 whatever
// order the resolver gives (net's autoSelectFamily), and RequestOptions::lookup answers for the
// socket's own lookup.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "evnode/http.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "support/testing.h"

namespace {

using namespace evnode;
using http::IncomingMessage;
using http::IncomingMessagePtr;

// Takes ::1 at `port` without listening, so that a connect there is refused (not answered by
// some other server); -1 where there is no IPv6 loopback or the port is taken.
int refuseOnIPv6(int port) {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  a.sin6_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::shared_ptr<http::Server> helloServer() {
  auto server = http::createServer([](const http::RequestPtr& req, const http::ResponsePtr& res) {
    res->end("hello " + req->headers.value("host"));
  });
  server->listen(0, "127.0.0.1");
  return server;
}

TEST(HttpClientLookup, LocalhostReachesAServerOnIPv4Only) {
  EVNODE_WATCHDOG(20);
  auto server = helloServer();
  const int port = server->address().port;
  const int refuser = refuseOnIPv6(port);
  int status = 0;
  std::string body;
  auto req = http::get(
      "http://localhost:" + std::to_string(port) + "/", [&](const IncomingMessagePtr& res) {
        status = res->statusCode;
        res->on(IncomingMessage::Events::data, [&](const Buffer& b) { body += b.toString(); });
        res->on(IncomingMessage::Events::end, [&] { server->close(); });
      });
  req->on(http::ClientRequest::Events::error, [&](const Error& e) {
    ADD_FAILURE() << e.message;
    server->close();
  });
  run();
  if (refuser >= 0) ::close(refuser);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "hello localhost:" + std::to_string(port));
}

// The request's lookup is the socket's: `lookup` is emitted with its answer, and its error is
// the request's.
TEST(HttpClientLookup, RequestLookupAnswersForTheSocket) {
  EVNODE_WATCHDOG(20);
  auto server = helloServer();
  const int port = server->address().port;
  http::RequestOptions o;
  o.hostname = "anything.test";
  o.port = port;
  std::string asked;
  o.lookup = [&](const std::string& host, int family,
                 std::function<void(const Error&, const std::string&, int)> cb) {
    asked = host + " " + std::to_string(family);
    setImmediate([cb] { cb(Error(), "127.0.0.1", 4); });
  };
  std::string looked, body;
  auto req = http::get(o, [&](const IncomingMessagePtr& res) {
    res->on(IncomingMessage::Events::data, [&](const Buffer& b) { body += b.toString(); });
    res->on(IncomingMessage::Events::end, [&] { server->close(); });
  });
  req->on(http::ClientRequest::Events::socket, [&](const http::SocketPtr& s) {
    s->on(net::Socket::Events::lookup,
          [&](const Error&, const std::string& ip, int family, const std::string& host) {
            looked = host + " " + ip + " " + std::to_string(family);
          });
  });
  run();
  EXPECT_EQ(asked, "anything.test 0");
  EXPECT_EQ(looked, "anything.test 127.0.0.1 4");
  EXPECT_EQ(body, "hello anything.test:" + std::to_string(port));

  o.lookup = [](const std::string&, int,
                std::function<void(const Error&, const std::string&, int)> cb) {
    Error e("ENOTFOUND", "getaddrinfo ENOTFOUND anything.test");
    nextTick([cb, e] { cb(e, "", 0); });
  };
  Error got;
  auto failing = http::get(o, [](const IncomingMessagePtr&) { ADD_FAILURE() << "a response"; });
  failing->on(http::ClientRequest::Events::error, [&](const Error& e) { got = e; });
  run();
  EXPECT_EQ(got.code, "ENOTFOUND");
}

}  // namespace
