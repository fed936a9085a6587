// tcp_client: the client of tcp_server. Sends "Hello server", prints the first answer, and ends.
// Node.js:
//
//   const client = net.createConnection({ port: 3000 }, () => client.write('Hello server'));
//   client.on('data', data => {
//     console.log('Server:', data.toString());
//     client.end();
//   });
//
//   tcp_client [PORT] [HOST]      (default 3000 on localhost)
#include <evnode/evnode.h>
#include <evnode/net.h>

#include <cstdio>
#include <cstdlib>

using namespace evnode;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  net::ConnectOptions options;
  options.port = argc > 1 ? std::atoi(argv[1]) : 3000;
  options.host = argc > 2 ? argv[2] : "localhost";

  std::shared_ptr<net::Socket> client;
  client = net::createConnection(options, [&client] { client->write("Hello server"); });
  client->on(net::Socket::Events::data, [&client](const Buffer& data) {
    std::printf("Server: %s\n", data.toString().c_str());
    client->end();
  });
  int status = 0;
  client->on(net::Socket::Events::error, [&status](const Error& err) {
    std::fprintf(stderr, "Connection error: %s\n", err.message.c_str());
    status = 1;
  });
  run();
  return status;
}
