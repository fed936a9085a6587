// unix_echo: an echo server on a Unix-domain socket, each client a coroutine echoing what it
// reads. Node.js:
//
//   net.createServer(async socket => {
//     for await (const data of socket) socket.write(data);
//     console.log('Socket end');
//   }).listen('/tmp/evnode-echo.sock');
//
//   unix_echo [PATH]              (default /tmp/evnode-echo.sock)
//   then e.g.: socat - UNIX-CONNECT:/tmp/evnode-echo.sock
#include <evnode/evnode.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace evnode;

Task<void> echo(std::shared_ptr<net::Socket> socket) {
  std::puts("Client connected");
  try {
    auto chunks = stream::iterator(socket);
    while (auto data = co_await chunks.next()) co_await stream::promises::write(*socket, *data);
    std::puts("Socket end");
  } catch (const SystemError&) {
  }
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string path = argc > 1 ? argv[1] : "/tmp/evnode-echo.sock";
  // A socket file left by an earlier run would make listen() fail with EADDRINUSE.
  struct stat st;
  if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path.c_str());
  auto server =
      net::createServer([](const std::shared_ptr<net::Socket>& socket) { spawn(echo(socket)); });
  server->on(net::Server::Events::error, [](const Error& err) {
    std::fprintf(stderr, "unix_echo: %s\n", err.message.c_str());
    std::exit(1);
  });
  server->listen(path, [path] { std::printf("Unix echo server listening on %s\n", path.c_str()); });
  run();
}
