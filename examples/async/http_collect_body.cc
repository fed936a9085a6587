// http_collect_body: reads a request body chunk by chunk with `for await`, concatenates the
// chunks, then replies with what arrived. Node.js:
//
//   http.createServer(async (req, res) => {
//     const chunks = [];
//     for await (const chunk of req) chunks.push(chunk);
//     const body = Buffer.concat(chunks);
//     res.writeHead(200, { 'Content-Type': 'text/plain' });
//     res.end(`${req.method} ${req.url}: ${body.length} bytes in ${chunks.length} chunks: ` +
//             body);
//   }).listen(3000, '127.0.0.1');
//
//   http_collect_body [PORT]   (default 3000; 0 picks a free port)
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace evnode;

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  auto server = http::createServer([](http::RequestPtr req, http::ResponsePtr res) -> Task<void> {
    std::vector<Buffer> buffers;
    auto chunks = stream::iterator(req);
    while (auto chunk = co_await chunks.next()) buffers.push_back(*chunk);
    Buffer body = Buffer::concat(buffers);
    res->writeHead(200, {{"Content-Type", "text/plain"}});
    res->end(req->method + " " + req->url + ": " + std::to_string(body.length()) + " bytes in " +
             std::to_string(buffers.size()) + " chunks: " + body.toString());
  });
  http::Server* srv = server.get();
  server->listen(port, "127.0.0.1", [srv] {
    std::printf("listening on http://127.0.0.1:%d\n", srv->address().port);
    std::fflush(stdout);
  });
  run();
}
