// udp_server: prints every datagram it receives and where it came from. Node.js:
//
//   const server = dgram.createSocket('udp4');
//   server.on('message', (msg, rinfo) =>
//     console.log(`server got: ${msg} from ${rinfo.address}:${rinfo.port}`));
//   server.on('listening', () => {
//     const a = server.address();
//     console.log(`server listening ${a.address}:${a.port}`);
//   });
//   server.on('error', err => { console.error(`server error: ${err.message}`); server.close(); });
//   server.bind(41234);
//
//   udp_server [PORT]   (default 41234, every interface, as Node's server.bind(41234))
#include <cstdio>
#include <cstdlib>
#include <string>

#include <evnode/dgram.h>
#include <evnode/evnode.h>

using namespace evnode;

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 41234;
  auto server = dgram::createSocket("udp4");
  dgram::Socket* raw = server.get();  // a listener holding `server` itself would be a cycle

  server->on(dgram::Socket::Events::message, [](const Buffer& msg, const dgram::RemoteInfo& rinfo) {
    std::printf("server got: %s from %s:%d\n", msg.toString().c_str(), rinfo.address.c_str(),
                rinfo.port);
    std::fflush(stdout);
  });
  server->on(dgram::Socket::Events::listening, [raw] {
    auto address = raw->address();
    std::printf("server listening %s:%d\n", address.address.c_str(), address.port);
    std::fflush(stdout);
  });
  server->on(dgram::Socket::Events::error, [raw](const Error& err) {
    std::fprintf(stderr, "server error: %s\n", err.message.c_str());
    raw->close();
  });
  server->bind(port);
  evnode::run();
}
