// http_stream_file: streams one file as the body of every response. The file is read 64 KiB at
// a time and only as fast as the client takes it, so memory stays flat whatever the file size.
// A file that cannot be opened gets a 404 (or 500) instead. Node.js:
//
//   http.createServer((req, res) => {
//     const stream = fs.createReadStream(file);
//     stream.on('error', err => {
//       res.writeHead(err.code === 'ENOENT' ? 404 : 500, { 'Content-Type': 'text/plain' });
//       res.end(`${err.code}\n`);
//     });
//     res.setHeader('Content-Type', 'application/octet-stream');
//     stream.pipe(res);
//   }).listen(3000, '127.0.0.1');
//
//   http_stream_file FILE [PORT]   (default 3000; 0 picks a free port)
#include <evnode/evnode.h>
#include <evnode/fs.h>
#include <evnode/http.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace evnode;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: http_stream_file FILE [PORT]\n");
    return 2;
  }
  std::string file = argv[1];
  int port = argc > 2 ? std::atoi(argv[2]) : 3000;
  auto server = http::createServer([file](const http::RequestPtr&, const http::ResponsePtr& res) {
    auto stream = fs::createReadStream(file);
    http::ServerResponse* r = res.get();  // the stream's listener must not own the response
    stream->on(Stream::Events::error, [r](const Error& err) {
      if (r->headersSent()) {
        r->destroy();  // mid-body: the client sees a truncated response, never a wrong one
        return;
      }
      r->writeHead(err.code == "ENOENT" ? 404 : 500, {{"Content-Type", "text/plain"}});
      r->end(err.code + "\n");
    });
    res->setHeader("Content-Type", "application/octet-stream");
    stream->pipe(res);
  });
  http::Server* srv = server.get();
  server->listen(port, "127.0.0.1", [srv] {
    std::printf("listening on http://127.0.0.1:%d\n", srv->address().port);
    std::fflush(stdout);
  });
  run();
}
