// http_events: an HTTP server with a handler for each of its events:
//   request        "Hello World"
//   checkContinue  `Expect: 100-continue`: a body up to 1 MiB is accepted (100 Continue, then
//                  collected and counted); a bigger one is refused with 400 before it is sent
//   connect        CONNECT host:port: a tunnelling proxy (200, then bytes both ways)
//   upgrade        `Upgrade: echo`: 101 Switching Protocols, then every byte comes back
//   clientError    a malformed request: logged, answered 400 (408 on a timeout), closed
// Each event is logged to stdout, one line. Node.js:
//
//   const server = http.createServer((req, res) => res.end('Hello World'));
//   server.on('checkContinue', (req, res) => { res.writeContinue(); /* read req, answer */ });
//   server.on('connect', (req, client, head) => {
//     const [host, port] = req.url.split(':');
//     const target = net.connect(port, host, () => {
//       client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
//       target.write(head);
//       client.pipe(target).pipe(client);
//     });
//   });
//   server.on('upgrade', (req, socket, head) => {
//     socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n' +
//                  'Connection: Upgrade\r\n\r\n');
//     socket.pipe(socket);
//   });
//   server.on('clientError', (err, socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
//   server.listen(3000, '127.0.0.1');
//
//   http_events [PORT]   (default 3000; 0 picks a free port)
#include <evnode/evnode.h>
#include <evnode/http.h>
#include <evnode/net.h>

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

void onCheckContinue(const http::RequestPtr& req, const http::ResponsePtr& res) {
  std::printf("checkContinue %s %s\n", req->method.c_str(), req->url.c_str());
  std::uint64_t length =
      std::strtoull(req->headers.value("content-length", "0").c_str(), nullptr, 10);
  if (length > kMaxBody) {
    res->writeHead(400, {{"Content-Type", "text/plain"}});
    res->end("refused: " + std::to_string(length) + " bytes is more than " +
             std::to_string(kMaxBody) + "\n");
    return;
  }
  res->writeContinue();
  auto received = std::make_shared<std::uint64_t>(0);
  req->on(Readable::Events::data, [received](const Buffer& chunk) { *received += chunk.length(); });
  req->on(Readable::Events::end, [received, res] {
    res->writeHead(200, {{"Content-Type", "text/plain"}});
    res->end("accepted " + std::to_string(*received) + " bytes\n");
  });
}

// CONNECT host:port — the tunnel a proxy opens for HTTPS.
void onConnect(const http::RequestPtr& req, const http::SocketPtr& client, const Buffer& head) {
  std::printf("connect %s\n", req->url.c_str());
  auto colon = req->url.rfind(':');
  int port = colon == std::string::npos ? 0 : std::atoi(req->url.c_str() + colon + 1);
  std::string host = colon == std::string::npos ? "" : req->url.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty() || port <= 0 || port > 65535) {
    client->end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    return;
  }
  auto target = net::connect(port, host);
  std::weak_ptr<net::Socket> weakTarget = target;  // a socket's listener must not own it
  auto connected = std::make_shared<bool>(false);
  target->on(net::Socket::Events::connect, [weakTarget, client, head, connected] {
    auto t = weakTarget.lock();
    if (!t) return;
    *connected = true;
    client->write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (!head.empty()) t->write(head);
    // Bytes both ways, with backpressure; either side ending ends the other.
    client->pipe(t);
    t->pipe(client);
  });
  target->on(net::Socket::Events::error, [client, connected, host, port](const Error& err) {
    std::printf("connect to %s:%d failed: %s\n", host.c_str(), port, err.code.c_str());
    if (!*connected) {
      client->end("HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n");
    } else {
      client->destroy();
    }
  });
  client->on(net::Socket::Events::error, [weakTarget](const Error&) {
    if (auto t = weakTarget.lock()) t->destroy();
  });
}

// Upgrade: echo — after the 101 the connection carries raw bytes, sent straight back.
void onUpgrade(const http::RequestPtr& req, const http::SocketPtr& socket, const Buffer& head) {
  std::string protocol = req->headers.value("upgrade");
  std::printf("upgrade %s\n", protocol.c_str());
  if (!equalsIgnoreCase(protocol, "echo")) {
    socket->end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    return;
  }
  socket->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
  if (!head.empty()) socket->write(head);
  net::Socket* s = socket.get();
  socket->on(net::Socket::Events::data, [s](const Buffer& chunk) { s->write(chunk); });
  socket->on(net::Socket::Events::error, [](const Error&) {});
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
  auto server = http::createServer([](const http::RequestPtr& req, const http::ResponsePtr& res) {
    std::printf("request %s %s\n", req->method.c_str(), req->url.c_str());
    res->writeHead(200, {{"Content-Type", "text/plain"}});
    res->end("Hello World");
  });
  server->on(http::Server::Events::checkContinue, onCheckContinue);
  server->on(http::Server::Events::connect, onConnect);
  server->on(http::Server::Events::upgrade, onUpgrade);
  server->on(http::Server::Events::clientError, onClientError);
  http::Server* srv = server.get();
  server->listen(port, "127.0.0.1",
                 [srv] { std::printf("listening on http://127.0.0.1:%d\n", srv->address().port); });
  run();
}
