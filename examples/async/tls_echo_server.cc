// tls_echo_server: tcp_echo_server, encrypted: each client a coroutine echoing every chunk as
// "You said: ...". Node.js:
//
//   const server = tls.createServer({ cert, key }, async socket => {
//     console.log(`Secure client connected (${socket.getProtocol()})`);
//     for await (const data of socket) socket.write(`You said: ${data}`);
//     console.log('Client disconnected');
//   });
//   server.on('tlsClientError', err => console.log(`TLS handshake failed: ${err.code}`));
//   server.listen(8000);
//
//   tls_echo_server CERT.pem KEY.pem [PORT]     (default 8000; 0 picks a free port)
//   openssl s_client -connect 127.0.0.1:8000 -CAfile CERT.pem
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace evnode;

Task<void> serve(std::shared_ptr<tls::TLSSocket> socket) {
  std::printf("Secure client connected (%s, %s)\n", socket->getProtocol().c_str(),
              socket->getCipher().name.c_str());
  try {
    auto chunks = stream::iterator(socket);
    while (auto data = co_await chunks.next()) {
      std::printf("Received: %s\n", data->toString().c_str());
      co_await stream::promises::write(*socket, "You said: " + data->toString());
    }
    std::puts("Client disconnected");
  } catch (const SystemError& e) {
    std::printf("Socket error: %s\n", e.what());
  }
}

Task<int> amain(std::string certFile, std::string keyFile, int port) {
  tls::ServerOptions options;
  try {
    options.cert = (co_await fs::promises::readFile(certFile)).toString();
    options.key = (co_await fs::promises::readFile(keyFile)).toString();
  } catch (const SystemError& e) {
    std::fprintf(stderr, "tls_echo_server: %s\n", e.what());
    co_return 1;
  }
  auto server = tls::createServer(
      options, [](const std::shared_ptr<tls::TLSSocket>& socket) { spawn(serve(socket)); });
  server->on(tls::Server::Events::tlsClientError, [](const Error& err, const auto&) {
    std::printf("TLS handshake failed: %s\n", err.code.c_str());
  });
  tls::Server* srv = server.get();
  server->listen(port,
                 [srv] { std::printf("TLS server running on port %d\n", srv->address().port); });
  co_await events::once(server, net::Server::Events::close);  // runs until closed
  co_return 0;
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line at a time, even into a pipe
  if (argc < 3) {
    std::fprintf(stderr, "usage: tls_echo_server CERT.pem KEY.pem [PORT]\n");
    return 2;
  }
  return run(amain(argv[1], argv[2], argc > 3 ? std::atoi(argv[3]) : 8000));
}
