// http_unix_socket: an HTTP server and client talking over a Unix-domain socket: the server
// answers with the request's method and path, the client awaits and prints the answer, then
// both stop. Node.js:
//
//   const server = http.createServer((req, res) =>
//     res.end(`you asked for ${req.method} ${req.url}\n`));
//   server.listen(path);
//   await once(server, 'listening');
//   const req = http.get({ socketPath: path, path: '/over/unix', agent: false });
//   const [res] = await once(req, 'response');
//   process.stdout.write(await text(res));
//   server.close();
//
//   http_unix_socket [PATH]   (default ./http.sock)
#include <evnode/evnode.h>

#include <cstdio>
#include <string>

using namespace evnode;

Task<int> amain(std::string path) {
  std::remove(path.c_str());  // a stale socket file from an earlier run would make listen fail
  auto server = http::createServer([](const http::RequestPtr& req, const http::ResponsePtr& res) {
    res->setHeader("Content-Type", "text/plain");
    res->end("you asked for " + req->method + " " + req->url + "\n");
  });
  server->listen(path);
  co_await events::once(server, net::Server::Events::listening);
  http::RequestOptions o;
  o.socketPath = path;
  o.path = "/over/unix";
  o.noAgent = true;
  try {
    auto res = co_await http::promises::request(o);
    std::string body = co_await stream::consumers::text(res);
    std::fwrite(body.data(), 1, body.size(), stdout);
    server->close();
    co_return 0;
  } catch (const SystemError& e) {
    std::fprintf(stderr, "http_unix_socket: %s\n", e.what());
    server->close();
    co_return 1;
  }
}

int main(int argc, char** argv) { return run(amain(argc > 1 ? argv[1] : "./http.sock")); }
