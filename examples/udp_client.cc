// udp_client: sends one datagram, "Hello Node.js", to udp_server and reports how many bytes
// left. Node.js:
//
//   const client = dgram.createSocket('udp4');
//   const message = Buffer.from('Hello Node.js');
//   client.send(message, 0, message.length, 41234, 'localhost', (err, bytes) => {
//     console.log(`client sent ${bytes} bytes`);
//     client.close();
//   });
//
//   udp_client [PORT] [HOST]   (defaults 41234, localhost)
#include <cstdio>
#include <cstdlib>
#include <string>

#include <evnode/dgram.h>
#include <evnode/evnode.h>

using namespace evnode;

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 41234;
  std::string host = argc > 2 ? argv[2] : "localhost";
  int status = 0;

  Buffer message = Buffer::alloc(13);
  message.write("Hello Node.js");
  auto client = dgram::createSocket("udp4");
  dgram::Socket* raw = client.get();
  client->send(message, 0, message.length(), port, host,
               [raw, &status](const Error& err, std::size_t bytes) {
                 if (err) {
                   std::fprintf(stderr, "send failed: %s\n", err.message.c_str());
                   status = 1;
                 } else {
                   std::printf("client sent %zu bytes\n", bytes);
                 }
                 raw->close();
               });
  evnode::run();
  return status;
}
