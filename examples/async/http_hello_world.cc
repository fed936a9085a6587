// http_hello_world: an HTTP server answering "Hello World" to every request, its handler a
// coroutine. Node.js:
//
//   http.createServer(async (req, res) => {
//     res.writeHead(200, { 'Content-Type': 'text/plain' });
//     res.end('Hello World\n');
//   }).listen(3000, '127.0.0.1');
//
//   http_hello_world [PORT]   (default 3000; 0 picks a free port)
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>

using namespace evnode;

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  auto server = http::createServer([](http::RequestPtr, http::ResponsePtr res) -> Task<void> {
    res->writeHead(200, {{"Content-Type", "text/plain"}});
    res->end("Hello World\n");
    co_return;
  });
  http::Server* srv = server.get();
  server->listen(port, "127.0.0.1", [srv] {
    std::printf("Server running at http://127.0.0.1:%d/\n", srv->address().port);
    std::fflush(stdout);
  });
  run();
}
