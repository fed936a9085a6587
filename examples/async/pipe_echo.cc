// pipe_echo: an echo server whose every connection is one awaited pipeline of the socket into
// itself, with backpressure: a client that does not read makes the server stop reading from it.
// Node.js:
//
//   net.createServer(socket => pipeline(socket, socket).catch(() => {}))
//     .listen(3000, '127.0.0.1');
//
//   pipe_echo [PORT]              (default 3000; 0 picks a free port)
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>

using namespace evnode;

Task<void> echo(std::shared_ptr<net::Socket> socket) {
  co_await stream::promises::pipeline(socket, socket).result();  // a reset client just leaves
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  auto server =
      net::createServer([](const std::shared_ptr<net::Socket>& socket) { spawn(echo(socket)); });
  net::Server* srv = server.get();
  server->listen(port, "127.0.0.1",
                 [srv] { std::printf("Echo server listening on port %d\n", srv->address().port); });
  run();
}
