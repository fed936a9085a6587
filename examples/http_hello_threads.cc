// http_hello_threads: http_hello on N threads sharing one port (bench/threads measures it).
// Node.js: (cluster, with processes instead of threads)
//
//   if (cluster.isPrimary) {
//     for (let i = 0; i < threads; i++) cluster.fork();
//   } else {
//     http.createServer((req, res) => {
//       res.writeHead(200, { 'Content-Type': 'text/plain' });
//       res.end('Hello HTTP');
//     }).listen(3000, '127.0.0.1');
//   }
//
//   http_hello_threads [PORT] [THREADS]   (default 3000, one thread per core)
// Each thread runs its own loop and server on its own socket (reusePort); SIGINT/SIGTERM stops
// them all.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>

#include <evnode/cluster.h>
#include <evnode/evnode.h>
#include <evnode/http.h>

using namespace evnode;

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  unsigned threads = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 0;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  // The first thread binds the port (0: a free one); the others bind the port it got.
  std::promise<int> bound;
  std::shared_future<int> firstPort = bound.get_future().share();
  std::atomic<unsigned> listening{0};
  cluster::Options options;
  options.threads = threads;
  cluster::run(options, [&](unsigned index) {
    auto server = http::createServer([](const http::RequestPtr&, const http::ResponsePtr& res) {
      res->writeHead(200, {{"Content-Type", "text/plain"}});
      res->end("Hello HTTP");
    });
    net::ListenOptions lo;
    lo.host = "127.0.0.1";
    lo.port = index == 0 ? port : firstPort.get();
    lo.reusePort = true;
    server->listen(lo, [&, index, server] {
      if (index == 0) bound.set_value(server->address().port);
      if (++listening == threads) {
        std::printf("listening on http://127.0.0.1:%d\n", server->address().port);
        std::fflush(stdout);
      }
    });
    cluster::onStop([server] { server->close(); });
  });
}
