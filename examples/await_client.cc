// await_client: tcp_client written with async/await. Connects, sends "Hello server", prints
// the first answer, and ends; a refused connection is an exception with Node's message.
// Node.js:
//
//   const socket = await connect(3000);  // a promise around net.createConnection
//   socket.write('Hello server');
//   const [data] = await once(socket, 'data', { signal: AbortSignal.timeout(5000) });
//   console.log('Server:', data.toString());
//   socket.end();
//
//   await_client [PORT] [HOST]      (default 3000 on localhost)
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace evnode;

Task<int> amain(int port, std::string host) {
  std::shared_ptr<net::Socket> socket;
  try {
    socket = co_await net::promises::connect(port, host);
    socket->write("Hello server");
    events::OnceOptions within5s{.signal = AbortSignal::timeout(5000)};
    auto [data] = co_await events::once(socket, net::Socket::Events::data, within5s);
    std::printf("Server: %s\n", data.toString().c_str());
    socket->end();
    co_return 0;
  } catch (const SystemError& e) {
    std::fprintf(stderr, "Connection error: %s\n", e.what());  // connect ECONNREFUSED ...
  } catch (const AbortError&) {
    std::fprintf(stderr, "No answer within 5 s\n");
    socket->destroy();
  }
  co_return 1;
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return run(amain(argc > 1 ? std::atoi(argv[1]) : 3000, argc > 2 ? argv[2] : "localhost"));
}
