// A program that uses evnode as an installed library: an HTTP server on a free port, and a
// request to it with http::get. Prints the body and exits 0 when it is "hello from evnode".
#include <evnode/evnode.h>

#include <cstdio>
#include <string>

using namespace evnode;

int main() {
  auto server = http::createServer([](const http::RequestPtr&, const http::ResponsePtr& res) {
    res->writeHead(200, {{"Content-Type", "text/plain"}});
    res->end("hello from evnode");
  });
  std::string body;
  http::Server* srv = server.get();
  server->listen(0, "127.0.0.1", [srv, &body] {
    std::string url = "http://127.0.0.1:" + std::to_string(srv->address().port) + "/";
    http::get(url, [srv, &body](const http::IncomingMessagePtr& res) {
      res->on(http::IncomingMessage::Events::data,
              [&body](const Buffer& chunk) { body += chunk.toString(); });
      res->on(http::IncomingMessage::Events::end, [srv] { srv->close(); });
    });
  });
  run();
  std::printf("%s (evnode %s)\n", body.c_str(), EVNODE_VERSION_STRING);
  return body == "hello from evnode" ? 0 : 1;
}
