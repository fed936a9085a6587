// raw_http_get: an HTTP/1.1 request written by hand over a plain TCP socket (HTTP is just text on
// a TCP connection). Prints the local port, then the raw response as it arrives. Node.js:
//
//   const socket = net.connect(port, host, () => {
//     console.log(`Local port ${socket.localPort}`);
//     socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
//   });
//   socket.on('data', data => process.stdout.write(data));
//
//   raw_http_get HOST [PORT] [PATH]     (default port 80, path /)
#include <evnode/evnode.h>
#include <evnode/net.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace evnode;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 2) {
    std::fprintf(stderr, "usage: raw_http_get HOST [PORT] [PATH]\n");
    return 2;
  }
  const std::string host = argv[1];
  const int port = argc > 2 ? std::atoi(argv[2]) : 80;
  const std::string path = argc > 3 ? argv[3] : "/";

  // Lines end with CRLF, and a blank line ends the header. "Connection: close" asks the server
  // to close after the response, so we know when it is complete.
  const std::string rawHttpRequest =
      "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";

  auto socket = net::Socket::create();
  socket->connect(port, host);
  socket->on(net::Socket::Events::connect, [&] {
    std::printf("Connected to %s:%d\n", host.c_str(), port);
    std::printf("Local port %d\n\n", socket->localPort());
    socket->write(rawHttpRequest);
  });
  socket->on(net::Socket::Events::data, [](const Buffer& data) {
    // The response as received: a status line, headers, a blank line, the body.
    std::fwrite(data.data(), 1, data.size(), stdout);
  });
  socket->on(net::Socket::Events::end, [] { std::fflush(stdout); });
  int status = 0;
  socket->on(net::Socket::Events::error, [&status](const Error& err) {
    std::fprintf(stderr, "raw_http_get: %s\n", err.message.c_str());
    status = 1;
  });
  run();
  return status;
}
