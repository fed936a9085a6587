// udp_client: sends one datagram, "Hello Node.js", to udp_server and reports how many bytes
// left, awaiting the send. Node.js:
//
//   const client = dgram.createSocket('udp4');
//   const send = util.promisify(client.send.bind(client));
//   const bytes = await send(Buffer.from('Hello Node.js'), 41234, 'localhost');
//   console.log(`client sent ${bytes} bytes`);
//   client.close();
//
//   udp_client [PORT] [HOST]   (defaults 41234, localhost)
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace evnode;

Task<int> amain(int port, std::string host) {
  auto client = dgram::createSocket("udp4");
  Buffer message = Buffer::from("Hello Node.js");
  // Any callback API awaits through CallbackOperation (Node's util.promisify).
  using Send = CallbackOperation<std::size_t>;
  auto sent = co_await Send([&](Send::Settle settle) {
                client->send(message, 0, message.length(), port, host,
                             [settle](const Error& err, std::size_t bytes) {
                               if (err) {
                                 settle(err);
                               } else {
                                 settle(bytes);
                               }
                             });
              }).result();
  client->close();
  if (!sent) {
    std::fprintf(stderr, "send failed: %s\n", sent.error().message.c_str());
    co_return 1;
  }
  std::printf("client sent %zu bytes\n", *sent);
  co_return 0;
}

int main(int argc, char** argv) {
  return run(amain(argc > 1 ? std::atoi(argv[1]) : 41234, argc > 2 ? argv[2] : "localhost"));
}
