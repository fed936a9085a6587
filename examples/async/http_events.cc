// http_events: an HTTP server with a coroutine for each of its events:
//   request        "Hello World"
//   checkContinue  `Expect: 100-continue`: a body up to 1 MiB is accepted (100 Continue, then
//                  awaited whole and counted); a bigger one is refused with 400 before it is sent
//   connect        CONNECT host:port: a tunnelling proxy (await the connection, 200, then two
//                  awaited pipelines, one each way)
//   upgrade        `Upgrade: echo`: 101 Switching Protocols, then `await pipeline(socket, socket)`
//   clientError    a malformed request: logged, answered 400 (408 on a timeout), closed
// Each event is logged to stdout, one line. Node.js:
//
//   const server = http.createServer(async (req, res) => res.end('Hello World'));
//   server.on('checkContinue', async (req, res) => {
//     res.writeContinue();
//     const body = await buffer(req);
//     res.end(`accepted ${body.length} bytes\n`);
//   });
//   server.on('connect', async (req, client, head) => {
//     const [host, port] = req.url.split(':');
//     const target = net.connect(port, host);
//     await once(target, 'connect');
//     client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
//     target.write(head);
//     await Promise.all([pipeline(client, target), pipeline(target, client)]);
//   });
//   server.on('upgrade', async (req, socket, head) => {
//     socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n' +
//                  'Connection: Upgrade\r\n\r\n');
//     await pipeline(socket, socket);
//   });
//   server.on('clientError', (err, socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
//   server.listen(3000, '127.0.0.1');
//
//   http_events [PORT]   (default 3000; 0 picks a free port)
#include <evnode/evnode.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

using namespace evnode;

namespace {
constexpr std::uint64_t kMaxBody = 1 << 20;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

Task<void> onCheckContinue(http::RequestPtr req, http::ResponsePtr res) {
  std::printf("checkContinue %s %s\n", req->method.c_str(), req->url.c_str());
  std::uint64_t length =
      std::strtoull(req->headers.value("content-length", "0").c_str(), nullptr, 10);
  if (length > kMaxBody) {
    res->writeHead(400, {{"Content-Type", "text/plain"}});
    res->end("refused: " + std::to_string(length) + " bytes is more than " +
             std::to_string(kMaxBody) + "\n");
    co_return;
  }
  res->writeContinue();
  Buffer body = co_await stream::consumers::buffer(req);
  res->writeHead(200, {{"Content-Type", "text/plain"}});
  res->end("accepted " + std::to_string(body.length()) + " bytes\n");
}

// One direction of a tunnel; a failure destroys both sockets, which ends the other direction.
Task<void> pipe(std::shared_ptr<net::Socket> from, std::shared_ptr<net::Socket> to) {
  auto r = co_await stream::promises::pipeline(from, to).result();
  if (!r) {
    from->destroy();
    to->destroy();
  }
}

// CONNECT host:port — the tunnel a proxy opens for HTTPS.
Task<void> onConnect(http::RequestPtr req, http::SocketPtr client, Buffer head) {
  std::printf("connect %s\n", req->url.c_str());
  auto colon = req->url.rfind(':');
  int port = colon == std::string::npos ? 0 : std::atoi(req->url.c_str() + colon + 1);
  std::string host = colon == std::string::npos ? "" : req->url.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty() || port <= 0 || port > 65535) {
    client->end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    co_return;
  }
  auto target = co_await net::promises::connect(port, host).result();
  if (!target) {
    std::printf("connect to %s:%d failed: %s\n", host.c_str(), port, target.error().code.c_str());
    client->end("HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n");
    co_return;
  }
  std::shared_ptr<net::Socket> t = *target;
  client->write("HTTP/1.1 200 Connection Established\r\n\r\n");
  if (!head.empty()) t->write(head);
  // Bytes both ways at once (Promise.all), with backpressure.
  co_await whenAll(pipe(client, t), pipe(t, client));
}

// Upgrade: echo — after the 101 the connection carries raw bytes, sent straight back.
Task<void> onUpgrade(http::RequestPtr req, http::SocketPtr socket, Buffer head) {
  std::string protocol = req->headers.value("upgrade");
  std::printf("upgrade %s\n", protocol.c_str());
  if (!equalsIgnoreCase(protocol, "echo")) {
    socket->end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    co_return;
  }
  socket->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
  if (!head.empty()) socket->write(head);
  co_await stream::promises::pipeline(socket, socket).result();
}

void onClientError(const Error& err, const http::SocketPtr& socket) {
  std::printf("clientError %s\n", err.code.c_str());
  // As Node's documentation: a reset socket or one already closing gets nothing.
  if (err.code == "ECONNRESET" || !socket->writable()) return;
  socket->end(err.code == "ERR_HTTP_REQUEST_TIMEOUT"
                  ? "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n"
                  : "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
}
}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line at a time, even into a pipe
  int port = argc > 1 ? std::atoi(argv[1]) : 3000;
  auto server = http::createServer([](http::RequestPtr req, http::ResponsePtr res) -> Task<void> {
    std::printf("request %s %s\n", req->method.c_str(), req->url.c_str());
    res->writeHead(200, {{"Content-Type", "text/plain"}});
    res->end("Hello World");
    co_return;
  });
  server->on(http::Server::Events::checkContinue,
             [](const http::RequestPtr& req, const http::ResponsePtr& res) {
               spawn(onCheckContinue(req, res));
             });
  server->on(http::Server::Events::connect,
             [](const http::RequestPtr& req, const http::SocketPtr& client, const Buffer& head) {
               spawn(onConnect(req, client, head));
             });
  server->on(http::Server::Events::upgrade,
             [](const http::RequestPtr& req, const http::SocketPtr& socket, const Buffer& head) {
               spawn(onUpgrade(req, socket, head));
             });
  server->on(http::Server::Events::clientError, onClientError);
  http::Server* srv = server.get();
  server->listen(port, "127.0.0.1",
                 [srv] { std::printf("listening on http://127.0.0.1:%d\n", srv->address().port); });
  run();
}
