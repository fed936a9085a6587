// http_hello: answers every request with "Hello HTTP" (bench/http measures it). Node.js:
//
//   http.createServer((req, res) => {
//     res.writeHead(200, { 'Content-Type': 'text/plain' });
//     res.end('Hello HTTP');
//   }).listen(3000, '127.0.0.1');
//
//   http_hello [PORT]   (default 3000)
#include <cstdio>
#include <cstdlib>

#include <evnode/evnode.h>
#include <evnode/http.h>

using namespace evnode;

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  auto server = http::createServer([](const http::RequestPtr&, const http::ResponsePtr& res) {
    res->writeHead(200, {{"Content-Type", "text/plain"}});
    res->end("Hello HTTP");
  });
  server->listen(port, "127.0.0.1", [server] {
    std::printf("listening on http://127.0.0.1:%d\n", server->address().port);
    std::fflush(stdout);
  });
  evnode::run();
}
