// https_server: http_hello over TLS with a coroutine handler: every request gets "Hello HTTP"
// as text/plain, encrypted. Node.js:
//
//   const options = { key: await fsPromises.readFile(keyFile),
//                     cert: await fsPromises.readFile(certFile) };
//   https.createServer(options, async (req, res) => {
//     res.writeHead(200, { 'Content-Type': 'text/plain' });
//     res.end('Hello HTTP');
//   }).listen(8443, '127.0.0.1');
//
//   https_server --cert CERT.pem --key KEY.pem [PORT]    (default 8443; 0 picks a free port)
//   curl --cacert CERT.pem https://localhost:8443/
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace evnode;

Task<int> amain(std::string cert, std::string key, int port) {
  https::ServerOptions options;
  try {
    options.key = (co_await fs::promises::readFile(key)).toString();
    options.cert = (co_await fs::promises::readFile(cert)).toString();
  } catch (const SystemError& e) {
    std::fprintf(stderr, "https_server: %s\n", e.what());
    co_return 1;
  }
  auto server =
      https::createServer(options, [](http::RequestPtr, http::ResponsePtr res) -> Task<void> {
        res->writeHead(200, {{"Content-Type", "text/plain"}});
        res->end("Hello HTTP");
        co_return;
      });
  https::Server* srv = server.get();
  server->listen(port, "127.0.0.1", [srv] {
    std::printf("listening on https://127.0.0.1:%d\n", srv->address().port);
    std::fflush(stdout);
  });
  co_await events::once(server, net::Server::Events::close);  // runs until closed
  co_return 0;
}

int main(int argc, char** argv) {
  std::string cert, key;
  int port = 8443;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--cert" || a == "--key") && i + 1 < argc) {
      (a == "--cert" ? cert : key) = argv[++i];
    } else if (a.rfind("--cert=", 0) == 0) {
      cert = a.substr(7);
    } else if (a.rfind("--key=", 0) == 0) {
      key = a.substr(6);
    } else {
      port = std::atoi(a.c_str());
    }
  }
  if (cert.empty() || key.empty()) {
    std::fprintf(stderr, "usage: https_server --cert CERT.pem --key KEY.pem [PORT]\n");
    return 2;
  }
  return run(amain(cert, key, port));
}
