// http_hello: answers every request with "Hello HTTP" from a coroutine handler (bench/async
// measures it against the callback http_hello). Node.js:
//
//   http.createServer(async (req, res) => {
//     res.writeHead(200, { 'Content-Type': 'text/plain' });
//     res.end('Hello HTTP');
//   }).listen(3000, '127.0.0.1');
//
//   http_hello [PORT]   (default 3000)
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>

using namespace evnode;

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  auto server =
      http::createServer([](const http::RequestPtr&, const http::ResponsePtr& res) -> Task<void> {
        res->writeHead(200, {{"Content-Type", "text/plain"}});
        res->end("Hello HTTP");
        co_return;
      });
  server->listen(port, "127.0.0.1", [server] {
    std::printf("listening on http://127.0.0.1:%d\n", server->address().port);
    std::fflush(stdout);
  });
  evnode::run();
}
