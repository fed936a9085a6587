// http_unix_socket: an HTTP server and client talking over a Unix-domain socket: the server
// answers with the request's method and path, the client prints the answer, then both stop.
// Node.js:
//
//   const server = http.createServer((req, res) =>
//     res.end(`you asked for ${req.method} ${req.url}\n`));
//   server.listen(path, () => {
//     http.get({ socketPath: path, path: '/over/unix', agent: false }, res => {
//       res.pipe(process.stdout);
//       res.on('end', () => server.close());
//     });
//   });
//
//   http_unix_socket [PATH]   (default ./http.sock)
#include <cstdio>
#include <string>

#include <evnode/evnode.h>
#include <evnode/fs.h>
#include <evnode/http.h>

using namespace evnode;

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : "./http.sock";
  std::remove(path.c_str());  // a stale socket file from an earlier run would make listen fail
  auto server = http::createServer([](const http::RequestPtr& req, const http::ResponsePtr& res) {
    res->setHeader("Content-Type", "text/plain");
    res->end("you asked for " + req->method + " " + req->url + "\n");
  });
  server->listen(path, [server, path] {
    http::RequestOptions options;
    options.socketPath = path;
    options.path = "/over/unix";
    options.noAgent = true;
    http::get(options, [server](const http::IncomingMessagePtr& res) {
      std::printf("STATUS: %d\n", res->statusCode);
      res->on(http::IncomingMessage::Events::data,
              [](const Buffer& chunk) { std::fwrite(chunk.data(), 1, chunk.length(), stdout); });
      res->on(http::IncomingMessage::Events::end, [server] {
        std::fflush(stdout);
        server->close();
      });
    });
  });
  evnode::run();
}
