// http_echo_body: the request body streams back as the response body through an awaited
// pipeline, with backpressure both ways. Node.js:
//
//   http.createServer(async (req, res) => {
//     const type = req.headers['content-type'];
//     if (type) res.setHeader('Content-Type', type);
//     await pipeline(req, res);
//   }).listen(3000, '127.0.0.1');
//
//   http_echo_body [PORT]   (default 3000; 0 picks a free port)
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>

using namespace evnode;

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  auto server = http::createServer([](http::RequestPtr req, http::ResponsePtr res) -> Task<void> {
    if (auto type = req->headers.get("content-type")) res->setHeader("Content-Type", *type);
    co_await stream::promises::pipeline(req, res).result();  // a failure destroys both
  });
  http::Server* srv = server.get();
  server->listen(port, "127.0.0.1", [srv] {
    std::printf("listening on http://127.0.0.1:%d\n", srv->address().port);
    std::fflush(stdout);
  });
  run();
}
