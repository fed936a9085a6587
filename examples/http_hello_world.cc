// http_hello_world: every request gets "Hello World" as text/plain. Node.js:
//
//   http.createServer((req, res) => {
//     res.writeHead(200, { 'Content-Type': 'text/plain' });
//     res.end('Hello World');
//   }).listen(1337, '127.0.0.1');
//
//   http_hello_world [PORT]   (default 1337; 0 picks a free port)
#include <evnode/evnode.h>
#include <evnode/http.h>

#include <cstdio>
#include <cstdlib>

using namespace evnode;

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 1337;
  auto server = http::createServer([](const http::RequestPtr&, const http::ResponsePtr& res) {
    res->writeHead(200, {{"Content-Type", "text/plain"}});
    res->end("Hello World");
  });
  http::Server* srv = server.get();
  server->listen(port, "127.0.0.1", [srv] {
    std::printf("listening on http://127.0.0.1:%d\n", srv->address().port);
    std::fflush(stdout);
  });
  run();
}
