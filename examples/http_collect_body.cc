// http_collect_body: collects a request body's `data` chunks, concatenates them on `end`, then
// replies with what arrived. Node.js:
//
//   http.createServer((req, res) => {
//     const chunks = [];
//     req.on('data', chunk => chunks.push(chunk));
//     req.on('end', () => {
//       const body = Buffer.concat(chunks);
//       res.writeHead(200, { 'Content-Type': 'text/plain' });
//       res.end(`${req.method} ${req.url}: ${body.length} bytes in ${chunks.length} chunks: ` +
//               body);
//     });
//   }).listen(3000, '127.0.0.1');
//
//   http_collect_body [PORT]   (default 3000; 0 picks a free port)
#include <evnode/evnode.h>
#include <evnode/http.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using namespace evnode;

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  auto server = http::createServer([](const http::RequestPtr& req, const http::ResponsePtr& res) {
    auto buffers = std::make_shared<std::vector<Buffer>>();
    req->on(Readable::Events::data, [buffers](const Buffer& chunk) { buffers->push_back(chunk); });
    req->on(Readable::Events::end, [buffers, req, res] {
      Buffer body = Buffer::concat(*buffers);
      res->writeHead(200, {{"Content-Type", "text/plain"}});
      res->end(req->method + " " + req->url + ": " + std::to_string(body.length()) + " bytes in " +
               std::to_string(buffers->size()) + " chunks: " + body.toString());
    });
  });
  http::Server* srv = server.get();
  server->listen(port, "127.0.0.1", [srv] {
    std::printf("listening on http://127.0.0.1:%d\n", srv->address().port);
    std::fflush(stdout);
  });
  run();
}
