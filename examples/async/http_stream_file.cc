// http_stream_file: streams one file as the body of every response with an awaited pipeline:
// 64 KiB at a time, only as fast as the client takes it. A file that cannot be opened gets a
// 404 (or 500) instead. Node.js:
//
//   http.createServer(async (req, res) => {
//     let fh;
//     try { fh = await fsPromises.open(file); } catch (err) {
//       res.writeHead(err.code === 'ENOENT' ? 404 : 500, { 'Content-Type': 'text/plain' });
//       return res.end(`${err.code}\n`);
//     }
//     res.setHeader('Content-Type', 'application/octet-stream');
//     await pipeline(fh.createReadStream(), res);
//   }).listen(3000, '127.0.0.1');
//
//   http_stream_file FILE [PORT]   (default 3000; 0 picks a free port)
#include <evnode/evnode.h>

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
  auto server = http::createServer([file](http::RequestPtr, http::ResponsePtr res) -> Task<void> {
    auto fh = co_await fs::promises::open(file).result();
    if (!fh) {
      const std::string& code = fh.error().code;
      res->writeHead(code == "ENOENT" ? 404 : 500, {{"Content-Type", "text/plain"}});
      res->end(code + "\n");
      co_return;
    }
    res->setHeader("Content-Type", "application/octet-stream");
    // A failure mid-body destroys the response: the client sees it cut, never a wrong one.
    co_await stream::promises::pipeline((*fh)->createReadStream(), res).result();
  });
  http::Server* srv = server.get();
  server->listen(port, "127.0.0.1", [srv] {
    std::printf("listening on http://127.0.0.1:%d\n", srv->address().port);
    std::fflush(stdout);
  });
  run();
}
