// tls_client: a TLS client that verifies the server, says hello, prints the first answer, and
// ends. Pair it with tls_echo_server. Node.js:
//
//   const client = tls.connect({ port: 8000, host: 'localhost', ca }, () => {
//     console.log(`Connected securely (${client.getProtocol()}), ` +
//                 `authorized: ${client.authorized}`);
//     client.write('Hello secure server');
//   });
//   client.on('data', data => {
//     console.log('Server:', data.toString());
//     client.end();
//   });
//
//   tls_client [PORT] [HOST] [CA.pem]     (default 8000 on localhost; CA: the system store)
#include <evnode/evnode.h>
#include <evnode/tls.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace evnode;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  tls::ConnectionOptions options;
  options.port = argc > 1 ? std::atoi(argv[1]) : 8000;
  options.host = argc > 2 ? argv[2] : "localhost";
  if (argc > 3) {
    std::ifstream f(argv[3], std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    options.ca = {ss.str()};
  }

  std::shared_ptr<tls::TLSSocket> client;
  client = tls::connect(options, [&client] {
    std::printf("Connected securely (%s), server certificate for %s, authorized: %s\n",
                client->getProtocol().c_str(), client->getPeerCertificate().subject["CN"].c_str(),
                client->authorized() ? "yes" : "no");
    client->write("Hello secure server");
  });
  client->on(tls::TLSSocket::Events::data, [&client](const Buffer& data) {
    std::printf("Server: %s\n", data.toString().c_str());
    client->end();
  });
  int status = 0;
  client->on(tls::TLSSocket::Events::error, [&status](const Error& err) {
    std::fprintf(stderr, "Connection error: %s (%s)\n", err.message.c_str(), err.code.c_str());
    status = 1;
  });
  run();
  return status;
}
