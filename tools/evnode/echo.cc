// `evnode echo`: every byte a client sends comes back unchanged; a client's half-close ends our
// side after the last byte.
#include <memory>
#include <unordered_set>

#include "evnode/tls.h"
#include "tools/evnode/commands.h"

namespace evnode::cli {

namespace {
const char kUsage[] =
    "usage: evnode echo [--port 3000] [--host 127.0.0.1] [--unix PATH] [--tls-cert F --tls-key F]\n"
    "TCP (or Unix-socket) echo server. Prints 'listening on HOST:PORT' when ready.\n"
    "With --tls-cert/--tls-key (PEM files) it speaks TLS: 'listening on tls://HOST:PORT'.\n";

// Echoes a connection's bytes back with backpressure. Works for any net::Socket (TLS too).
void echo(const std::shared_ptr<net::Socket>& s,
          const std::shared_ptr<std::unordered_set<net::Socket*>>& open) {
  net::Socket* raw = s.get();  // the socket outlives its own listeners
  open->insert(raw);
  s->on(net::Socket::Events::data, [raw](const Buffer& chunk) {
    if (!raw->write(chunk)) {
      // Backpressure: stop reading until drained. A once-listener, so an idle connection
      // carries no drain listener.
      raw->pause();
      if (raw->listenerCount(net::Socket::Events::drain) == 0) {
        raw->once(net::Socket::Events::drain, [raw] { raw->resume(); });
      }
    }
  });
  s->on(net::Socket::Events::error, [](const Error&) {});  // a reset peer just goes away
  s->on(net::Socket::Events::close, [open, raw] { open->erase(raw); });
}
}  // namespace

int cmdEcho(Args& args) {
  if (args.help()) {
    println(kUsage);
    return 0;
  }
  int port = static_cast<int>(args.number("--port", 3000, 0, 65535));
  std::string host = args.value("--host").value_or("127.0.0.1");
  std::string unixPath = args.value("--unix").value_or("");
  auto cert = args.value("--tls-cert");
  auto key = args.value("--tls-key");
  if (!args.finish().empty()) fail("echo takes no positional arguments", 2);
  if (cert.has_value() != key.has_value()) fail("--tls-cert and --tls-key go together", 2);

  // allowHalfOpen stays false: after the client's FIN the socket ends our side by itself, once
  // the last echoed byte is flushed. One listener fewer per connection (idle memory).
  auto open = std::make_shared<std::unordered_set<net::Socket*>>();
  std::shared_ptr<net::Server> server;
  if (cert) {
    tls::ServerOptions o;
    o.cert = readOptionFile(*cert, "--tls-cert");
    o.key = readOptionFile(*key, "--tls-key");
    auto ts =
        tls::createServer(o, [open](const std::shared_ptr<tls::TLSSocket>& s) { echo(s, open); });
    // A failed handshake (a port scanner, a plain-TCP client) just closes that connection.
    ts->on(tls::Server::Events::tlsClientError,
           [](const Error&, const std::shared_ptr<tls::TLSSocket>&) {});
    server = ts;
  } else {
    server = net::Server::create();
    server->on(net::Server::Events::connection,
               [open](const std::shared_ptr<net::Socket>& s) { echo(s, open); });
  }
  listenAnnounced(server, host, port, unixPath, cert ? "tls://" : "");
  onShutdownSignal([server, open] {
    server->close();
    for (auto* s : *open) s->end();  // clients see EOF once their pending echo is flushed
  });
  evnode::run();
  return 0;
}

}  // namespace evnode::cli
