// raw_http_get: an HTTP/1.1 request written by hand over a plain TCP socket, awaiting the
// connection and then each chunk of the raw response. Node.js:
//
//   const socket = net.connect(port, host);
//   await once(socket, 'connect');
//   console.log(`Local port ${socket.localPort}`);
//   socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
//   for await (const data of socket) process.stdout.write(data);
//
//   raw_http_get HOST [PORT] [PATH]     (default port 80, path /)
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace evnode;

Task<int> amain(std::string host, int port, std::string path) {
  try {
    auto socket = co_await net::promises::connect(port, host);
    std::printf("Connected to %s:%d\n", host.c_str(), port);
    std::printf("Local port %d\n\n", socket->localPort());
    // Lines end with CRLF, and a blank line ends the header. "Connection: close" asks the
    // server to close after the response, so the end of the stream is the end of it.
    socket->write("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
    auto chunks = stream::iterator(socket);
    while (auto data = co_await chunks.next()) std::fwrite(data->data(), 1, data->size(), stdout);
    std::fflush(stdout);
    co_return 0;
  } catch (const SystemError& e) {
    std::fprintf(stderr, "raw_http_get: %s\n", e.what());
    co_return 1;
  }
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 2) {
    std::fprintf(stderr, "usage: raw_http_get HOST [PORT] [PATH]\n");
    return 2;
  }
  return run(amain(argv[1], argc > 2 ? std::atoi(argv[2]) : 80, argc > 3 ? argv[3] : "/"));
}
