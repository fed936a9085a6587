// tcp_server: logs each client and what it says, and answers "Hello from server". Pair it with
// tcp_client. Node.js:
//
//   net.createServer(socket => {
//     console.log('Client connected');
//     socket.on('data', data => {
//       console.log(`Received: ${data}`);
//       socket.write('Hello from server');
//     });
//     socket.on('end', () => console.log('Client disconnected'));
//   }).listen(3000);
//
//   tcp_server [PORT]             (default 3000; 0 picks a free port)
#include <evnode/evnode.h>
#include <evnode/net.h>

#include <cstdio>
#include <cstdlib>

using namespace evnode;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;

  auto server = net::createServer([](const std::shared_ptr<net::Socket>& socket) {
    std::puts("Client connected");
    net::Socket* s = socket.get();
    socket->on(net::Socket::Events::data, [s](const Buffer& data) {
      std::printf("Received: %s\n", data.toString().c_str());
      s->write("Hello from server");
    });
    socket->on(net::Socket::Events::end, [] { std::puts("Client disconnected"); });
    socket->on(net::Socket::Events::error,
               [](const Error& err) { std::printf("Socket error: %s\n", err.message.c_str()); });
  });
  net::Server* srv = server.get();
  server->listen(port,
                 [srv] { std::printf("TCP server listening on port %d\n", srv->address().port); });
  run();
}
