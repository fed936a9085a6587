// backpressure_writer: to each client, writes a large amount of data by hand, the way Node's
// documentation says to: write while write() returns true, wait for `drain` when it returns
// false. Memory stays at about the high-water mark however slowly the client reads. Reports how
// often it had to wait. Node.js:
//
//   net.createServer(socket => {
//     let left = 64 * 1024 * 1024;
//     const chunk = Buffer.alloc(64 * 1024, 'x');
//     const pump = () => {
//       while (left > 0) {
//         left -= chunk.length;
//         if (!socket.write(chunk)) return;  // 'drain' calls pump() again
//       }
//       socket.end();
//     };
//     socket.on('drain', pump);
//     pump();
//   }).listen(3000, '127.0.0.1');
//
//   backpressure_writer [PORT] [MEGABYTES]     (default 3000 and 64 MiB per client)
//   then e.g.: socat -u TCP:127.0.0.1:3000 - | pv > /dev/null
#include <evnode/evnode.h>
#include <evnode/net.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

using namespace evnode;

namespace {

struct Writer {
  net::Socket* socket;
  std::size_t total, sent = 0, falses = 0, drains = 0, maxBuffered = 0;
  Buffer chunk = Buffer::alloc(64 * 1024, 'x');

  // Writes until write() says stop (or everything is out).
  void pump() {
    while (sent < total) {
      Buffer piece =
          chunk.slice(0, static_cast<std::int64_t>(std::min(chunk.size(), total - sent)));
      sent += piece.size();
      bool more = socket->write(piece);
      if (socket->writableLength() > maxBuffered) maxBuffered = socket->writableLength();
      if (!more) {
        ++falses;
        return;  // `drain` calls pump() again
      }
    }
    socket->end();
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  std::size_t megabytes = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;

  auto server = net::createServer([megabytes](const std::shared_ptr<net::Socket>& socket) {
    auto w = std::make_shared<Writer>(Writer{socket.get(), megabytes << 20});
    std::printf("Client connected: sending %zu bytes\n", w->total);
    socket->on(net::Socket::Events::drain, [w] {
      ++w->drains;
      w->pump();
    });
    socket->on(net::Socket::Events::data, [](const Buffer&) {});  // ignore what it sends
    socket->on(net::Socket::Events::error,
               [](const Error& err) { std::printf("Client error: %s\n", err.message.c_str()); });
    socket->on(net::Socket::Events::close, [w](bool hadError) {
      std::printf(
          "Client done: sent %zu bytes, write() returned false %zu times, %zu drain events, at "
          "most %zu bytes buffered (highWaterMark %zu)%s\n",
          w->sent, w->falses, w->drains, w->maxBuffered, w->socket->writableHighWaterMark(),
          hadError ? " (with an error)" : "");
    });
    w->pump();
  });
  net::Server* srv = server.get();
  server->listen(port, "127.0.0.1", [srv] {
    std::printf("Backpressure writer listening on port %d\n", srv->address().port);
  });
  run();
}
