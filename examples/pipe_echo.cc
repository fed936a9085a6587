// pipe_echo: an echo server in one line. A socket is a Duplex, so it can be piped into itself;
// pipe() applies backpressure: a client that does not read makes the server stop reading from
// it, instead of buffering without bound. Node.js:
//
//   net.createServer(socket => socket.pipe(socket)).listen(3000, '127.0.0.1');
//
//   pipe_echo [PORT]              (default 3000; 0 picks a free port)
#include <evnode/evnode.h>
#include <evnode/net.h>

#include <cstdio>
#include <cstdlib>

using namespace evnode;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  auto server = net::createServer([](const std::shared_ptr<net::Socket>& socket) {
    socket->pipe(socket);
    socket->on(net::Socket::Events::error, [](const Error&) {});  // a reset client just leaves
  });
  net::Server* srv = server.get();
  server->listen(port, "127.0.0.1",
                 [srv] { std::printf("Echo server listening on port %d\n", srv->address().port); });
  run();
}
