// udp_server: prints every datagram it receives and where it came from, iterating over the
// socket's messages. Node.js:
//
//   const server = dgram.createSocket('udp4');
//   server.bind(41234);
//   await once(server, 'listening');
//   const a = server.address();
//   console.log(`server listening ${a.address}:${a.port}`);
//   for await (const [msg, rinfo] of on(server, 'message'))
//     console.log(`server got: ${msg} from ${rinfo.address}:${rinfo.port}`);
//
//   udp_server [PORT]   (default 41234, every interface, as Node's server.bind(41234))
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>

using namespace evnode;

Task<int> amain(int port) {
  auto server = dgram::createSocket("udp4");
  try {
    server->bind(port);
    co_await events::once(server, dgram::Socket::Events::listening);
    auto address = server->address();
    std::printf("server listening %s:%d\n", address.address.c_str(), address.port);
    auto inbox = dgram::promises::messages(server);
    while (auto m = co_await inbox.next()) {
      auto& [msg, rinfo] = *m;
      std::printf("server got: %s from %s:%d\n", msg.toString().c_str(), rinfo.address.c_str(),
                  rinfo.port);
    }
  } catch (const SystemError& e) {
    std::fprintf(stderr, "server error: %s\n", e.what());
    server->close();
  }
  co_return 1;
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return run(amain(argc > 1 ? std::atoi(argv[1]) : 41234));
}
