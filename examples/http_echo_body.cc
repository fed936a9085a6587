// http_echo_body: the request body streams back as the response body, with backpressure both
// ways (a client slow to read the answer slows the reading of its upload). Node.js:
//
//   http.createServer((req, res) => {
//     const type = req.headers['content-type'];
//     if (type) res.setHeader('Content-Type', type);
//     req.pipe(res);
//   }).listen(3000, '127.0.0.1');
//
//   http_echo_body [PORT]   (default 3000; 0 picks a free port)
#include <evnode/evnode.h>
#include <evnode/http.h>

#include <cstdio>
#include <cstdlib>

using namespace evnode;

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  auto server = http::createServer([](const http::RequestPtr& req, const http::ResponsePtr& res) {
    if (auto type = req->headers.get("content-type")) res->setHeader("Content-Type", *type);
    req->pipe(res);
  });
  http::Server* srv = server.get();
  server->listen(port, "127.0.0.1", [srv] {
    std::printf("listening on http://127.0.0.1:%d\n", srv->address().port);
    std::fflush(stdout);
  });
  run();
}
