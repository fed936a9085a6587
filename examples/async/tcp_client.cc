// tcp_client: the client of tcp_server, with co_await. Sends "Hello server", prints the first
// answer, and ends. Node.js:
//
//   const client = net.createConnection({ port: 3000 });
//   await once(client, 'connect');
//   client.write('Hello server');
//   const [data] = await once(client, 'data');
//   console.log('Server:', data.toString());
//   client.end();
//
//   tcp_client [PORT] [HOST]      (default 3000 on localhost)
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace evnode;

Task<int> amain(int port, std::string host) {
  try {
    auto client = co_await net::promises::connect(port, host);
    client->write("Hello server");
    auto [data] = co_await events::once(client, net::Socket::Events::data);
    std::printf("Server: %s\n", data.toString().c_str());
    client->end();
    co_return 0;
  } catch (const SystemError& e) {
    std::fprintf(stderr, "Connection error: %s\n", e.what());
    co_return 1;
  }
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return run(amain(argc > 1 ? std::atoi(argv[1]) : 3000, argc > 2 ? argv[2] : "localhost"));
}
