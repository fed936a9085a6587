// tcp_echo_server: every chunk a client sends comes back as "You said: ...", each client served
// by a coroutine reading its socket chunk by chunk. Node.js:
//
//   net.createServer(async socket => {
//     console.log('Client connected');
//     for await (const data of socket) {
//       console.log(`Received: ${data}`);
//       socket.write(`You said: ${data}`);
//     }
//     console.log('Client disconnected');
//   }).listen(3000);
//
//   tcp_echo_server [PORT]        (default 3000; 0 picks a free port)
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
      co_await stream::promises::write(*socket, "You said: " + data->toString());
    }
    std::puts("Client disconnected");
  } catch (const SystemError& e) {
    std::printf("Socket error: %s\n", e.what());
  }
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line at a time, even into a pipe
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  auto server =
      net::createServer([](const std::shared_ptr<net::Socket>& socket) { spawn(serve(socket)); });
  net::Server* srv = server.get();
  server->listen(port,
                 [srv] { std::printf("TCP server running on port %d\n", srv->address().port); });
  run();
}
