// tls_echo_server: tcp_echo_server, encrypted. Every chunk a client sends comes back as
// "You said: ...". Node.js:
//
//   const server = tls.createServer({ cert, key }, socket => {
//     console.log(`Secure client connected (${socket.getProtocol()})`);
//     socket.on('data', data => socket.write(`You said: ${data}`));
//   });
//   server.on('tlsClientError', err => console.log(`TLS handshake failed: ${err.code}`));
//   server.listen(8000);
//
//   tls_echo_server CERT.pem KEY.pem [PORT]     (default 8000; 0 picks a free port)
//   openssl s_client -connect 127.0.0.1:8000 -CAfile CERT.pem
#include <evnode/evnode.h>
#include <evnode/tls.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace evnode;

static std::string slurp(const char* path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line at a time, even into a pipe
  if (argc < 3) {
    std::fprintf(stderr, "usage: tls_echo_server CERT.pem KEY.pem [PORT]\n");
    return 2;
  }
  tls::ServerOptions options;
  options.cert = slurp(argv[1]);
  options.key = slurp(argv[2]);
  int port = argc > 3 ? std::atoi(argv[3]) : 8000;

  auto server = tls::createServer(options, [](const std::shared_ptr<tls::TLSSocket>& socket) {
    std::printf("Secure client connected (%s, %s)\n", socket->getProtocol().c_str(),
                socket->getCipher().name.c_str());
    tls::TLSSocket* s = socket.get();  // a listener must not own its own socket
    socket->on(tls::TLSSocket::Events::data, [s](const Buffer& data) {
      std::printf("Received: %s\n", data.toString().c_str());
      s->write("You said: " + data.toString());
    });
    socket->on(tls::TLSSocket::Events::end, [] { std::puts("Client disconnected"); });
    socket->on(tls::TLSSocket::Events::error,
               [](const Error& err) { std::printf("Socket error: %s\n", err.message.c_str()); });
  });
  server->on(tls::Server::Events::tlsClientError, [](const Error& err, const auto&) {
    std::printf("TLS handshake failed: %s\n", err.code.c_str());
  });
  tls::Server* srv = server.get();
  server->listen(port,
                 [srv] { std::printf("TLS server running on port %d\n", srv->address().port); });
  run();
}
