// https_server: http_hello over TLS, the same API as http: every request gets "Hello HTTP" as
// text/plain, encrypted (bench/https measures it). Node.js:
//
//   const options = { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) };
//   https.createServer(options, (req, res) => {
//     res.writeHead(200, { 'Content-Type': 'text/plain' });
//     res.end('Hello HTTP');
//   }).listen(8443, '127.0.0.1');
//
//   https_server --cert CERT.pem --key KEY.pem [PORT]    (default 8443; 0 picks a free port)
//   curl --cacert CERT.pem https://localhost:8443/
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <evnode/evnode.h>
#include <evnode/https.h>

using namespace evnode;

static std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "https_server: cannot read %s\n", path.c_str());
    std::exit(1);
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
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

  https::ServerOptions options;
  options.key = slurp(key);
  options.cert = slurp(cert);
  auto server =
      https::createServer(options, [](const http::RequestPtr&, const http::ResponsePtr& res) {
        res->writeHead(200, {{"Content-Type", "text/plain"}});
        res->end("Hello HTTP");
      });
  https::Server* srv = server.get();
  server->listen(port, "127.0.0.1", [srv] {
    std::printf("listening on https://127.0.0.1:%d\n", srv->address().port);
    std::fflush(stdout);
  });
  evnode::run();
}
