// chat_client: the client of chat_server. Prints what the server sends, and pipes the keyboard
// (stdin) into the socket. Node.js:
//
//   const client = net.connect({ port: 9000, host: '127.0.0.1' });
//   client.on('connect', () => console.log('Connected to the server!'));
//   client.on('data', data => process.stdout.write(data));
//   process.stdin.pipe(client);
//   client.on('end', () => { console.log('Disconnected from the server.'); process.exit(0); });
//   client.on('error', err => {
//     console.error(`Connection error: ${err.message}`);
//     process.exit(1);
//   });
//
//   chat_client [PORT] [HOST]     (default 9000 on 127.0.0.1)
#include <evnode/evnode.h>
#include <evnode/net.h>
#include <evnode/process.h>

#include <cstdio>
#include <cstdlib>

using namespace evnode;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  net::ConnectOptions options;
  options.port = argc > 1 ? std::atoi(argv[1]) : 9000;
  options.host = argc > 2 ? argv[2] : "127.0.0.1";
  auto client = net::connect(options);

  client->on(net::Socket::Events::connect, [] {
    std::puts("Connected to the server!");
    std::puts("You can now type messages and press Enter to send.");
  });
  client->on(net::Socket::Events::data, [](const Buffer& data) {
    std::fwrite(data.data(), 1, data.size(), stdout);
    std::fflush(stdout);
  });
  // Keyboard input goes straight to the server; end of input ends our side of the connection.
  process::stdin()->pipe(client);
  client->on(net::Socket::Events::end, [] {
    std::puts("Disconnected from the server.");
    process::exit(0);
  });
  client->on(net::Socket::Events::error, [](const Error& err) {
    std::fprintf(stderr, "Connection error: %s\n", err.message.c_str());
    process::exit(1);
  });
  run();
}
