// backpressure_writer: to each client, writes a large amount of data in a loop that awaits
// `drain` whenever write() says the buffer is full. Memory stays at about the high-water mark
// however slowly the client reads. Node.js:
//
//   net.createServer(async socket => {
//     const chunk = Buffer.alloc(64 * 1024, 'x');
//     for (let left = 64 * 1024 * 1024; left > 0; left -= chunk.length)
//       if (!socket.write(chunk)) await once(socket, 'drain');
//     socket.end();
//   }).listen(3000, '127.0.0.1');
//
//   backpressure_writer [PORT] [MEGABYTES]     (default 3000 and 64 MiB per client)
//   then e.g.: socat -u TCP:127.0.0.1:3000 - | pv > /dev/null
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>

using namespace evnode;

Task<void> pump(std::shared_ptr<net::Socket> socket, std::size_t total) {
  std::printf("Client connected: sending %zu bytes\n", total);
  socket->on(net::Socket::Events::data, [](const Buffer&) {});  // ignore what it sends
  Buffer chunk = Buffer::alloc(64 * 1024, 'x');
  std::size_t sent = 0;
  try {
    while (sent < total) {
      co_await stream::promises::write(*socket, chunk);  // waits only when the buffer is full
      sent += chunk.size();
    }
    socket->end();
    co_await stream::promises::finished(socket);
    std::printf("Client done: sent %zu bytes\n", sent);
  } catch (const SystemError& e) {
    std::printf("Client error after %zu bytes: %s\n", sent, e.what());
  }
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  std::size_t megabytes = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;
  auto server = net::createServer([megabytes](const std::shared_ptr<net::Socket>& socket) {
    spawn(pump(socket, megabytes << 20));
  });
  net::Server* srv = server.get();
  server->listen(port, "127.0.0.1", [srv] {
    std::printf("Backpressure writer listening on port %d\n", srv->address().port);
  });
  run();
}
