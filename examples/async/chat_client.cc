// chat_client: the client of chat_server. Two tasks at once: one copies the keyboard (stdin)
// into the socket, the other prints what the server sends until it hangs up. Node.js:
//
//   const client = net.connect({ port: 9000, host: '127.0.0.1' });
//   await once(client, 'connect');
//   console.log('Connected to the server!');
//   process.stdin.pipe(client);
//   for await (const data of client) process.stdout.write(data);
//   console.log('Disconnected from the server.');
//   process.exit(0);
//
//   chat_client [PORT] [HOST]     (default 9000 on 127.0.0.1)
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace evnode;

Task<void> keyboard(std::shared_ptr<net::Socket> client) {
  auto lines = stream::iterator(process::stdin());
  while (auto line = co_await lines.next()) co_await stream::promises::write(*client, *line);
  client->end();
}

Task<int> amain(int port, std::string host) {
  try {
    auto client = co_await net::promises::connect(port, host);
    std::puts("Connected to the server!");
    spawn(keyboard(client));
    auto chunks = stream::iterator(client);
    while (auto data = co_await chunks.next()) std::fwrite(data->data(), 1, data->size(), stdout);
    std::puts("Disconnected from the server.");
    process::exit(0);  // stdin may still be waiting for the keyboard
  } catch (const SystemError& e) {
    std::fprintf(stderr, "Connection error: %s\n", e.what());
    co_return 1;
  }
  co_return 0;
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return run(amain(argc > 1 ? std::atoi(argv[1]) : 9000, argc > 2 ? argv[2] : "127.0.0.1"));
}
