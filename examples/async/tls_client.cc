// tls_client: a TLS client that verifies the server, says hello, prints the first answer, and
// ends, awaiting the handshake. Pair it with tls_echo_server. Node.js:
//
//   const client = tls.connect({ port: 8000, host: 'localhost', ca });
//   await once(client, 'secureConnect');
//   console.log(`Connected securely (${client.getProtocol()}), ` +
//               `authorized: ${client.authorized}`);
//   client.write('Hello secure server');
//   const [data] = await once(client, 'data');
//   console.log('Server:', data.toString());
//   client.end();
//
//   tls_client [PORT] [HOST] [CA.pem]     (default 8000 on localhost; CA: the system store)
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace evnode;

Task<int> amain(tls::ConnectionOptions options, std::string caFile) {
  try {
    if (!caFile.empty()) {
      Buffer ca = co_await fs::promises::readFile(caFile);
      options.ca.push_back(ca.toString());
    }
    auto client = co_await tls::promises::connect(options);
    std::printf("Connected securely (%s), server certificate for %s, authorized: %s\n",
                client->getProtocol().c_str(), client->getPeerCertificate().subject["CN"].c_str(),
                client->authorized() ? "yes" : "no");
    client->write("Hello secure server");
    auto [data] = co_await events::once(client, tls::TLSSocket::Events::data);
    std::printf("Server: %s\n", data.toString().c_str());
    client->end();
    co_return 0;
  } catch (const SystemError& e) {
    std::fprintf(stderr, "Connection error: %s (%s)\n", e.what(), e.error().code.c_str());
    co_return 1;
  }
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  tls::ConnectionOptions options;
  options.port = argc > 1 ? std::atoi(argv[1]) : 8000;
  options.host = argc > 2 ? argv[2] : "localhost";
  return run(amain(std::move(options), argc > 3 ? argv[3] : ""));
}
