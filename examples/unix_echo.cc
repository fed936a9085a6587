// unix_echo: an echo server on a Unix-domain socket: the same net.Server, listening on a path
// instead of a port. Node.js:
//
//   net.createServer(socket => socket.on('data', data => socket.write(data)))
//     .listen('/tmp/evnode-echo.sock');
//
//   unix_echo [PATH]              (default /tmp/evnode-echo.sock)
//   then e.g.: socat - UNIX-CONNECT:/tmp/evnode-echo.sock
#include <evnode/evnode.h>
#include <evnode/net.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>

using namespace evnode;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string path = argc > 1 ? argv[1] : "/tmp/evnode-echo.sock";
  // A socket file left by an earlier run would make listen() fail with EADDRINUSE.
  struct stat st;
  if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path.c_str());

  auto server = net::createServer([](const std::shared_ptr<net::Socket>& socket) {
    std::puts("Client connected");
    net::Socket* s = socket.get();
    socket->on(net::Socket::Events::data, [s](const Buffer& data) { s->write(data); });
    socket->on(net::Socket::Events::end, [] { std::puts("Socket end"); });
    socket->on(net::Socket::Events::error, [](const Error&) {});
  });
  server->on(net::Server::Events::error, [](const Error& err) {
    std::fprintf(stderr, "unix_echo: %s\n", err.message.c_str());
    std::exit(1);
  });
  server->listen(path, [path] { std::printf("Unix echo server listening on %s\n", path.c_str()); });
  run();
}
