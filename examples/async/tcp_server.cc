// tcp_server: logs each client and what it says, and answers "Hello from server", one coroutine
// per client. Pair it with tcp_client. Node.js:
//
//   net.createServer(async socket => {
//     console.log('Client connected');
//     for await (const data of socket) {
//       console.log(`Received: ${data}`);
//       socket.write('Hello from server');
//     }
//     console.log('Client disconnected');
//   }).listen(3000);
//
//   tcp_server [PORT]             (default 3000; 0 picks a free port)
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>

using namespace evnode;

Task<void> serve(std::shared_ptr<net::Socket> socket) {
  std::puts("Client connected");
  try {
    auto chunks = stream::iterator(socket);
    while (auto data = co_await chunks.next()) {
      std::printf("Received: %s\n", data->toString().c_str());
      socket->write("Hello from server");
    }
    std::puts("Client disconnected");
  } catch (const SystemError& e) {
    std::printf("Socket error: %s\n", e.what());
  }
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  auto server =
      net::createServer([](const std::shared_ptr<net::Socket>& socket) { spawn(serve(socket)); });
  net::Server* srv = server.get();
  server->listen(port,
                 [srv] { std::printf("TCP server listening on port %d\n", srv->address().port); });
  run();
}
