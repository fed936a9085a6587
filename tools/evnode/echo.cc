// `evnode echo`: every byte a client sends comes back unchanged; a client's half-close ends our
// side after the last byte.
#include <memory>
#include <unordered_set>

#include "tools/evnode/commands.h"

namespace evnode::cli {

namespace {
const char kUsage[] =
    "usage: evnode echo [--port 3000] [--host 127.0.0.1] [--unix PATH] [--tls-cert F --tls-key F]\n"
    "TCP (or Unix-socket) echo server. Prints 'listening on HOST:PORT' when ready.\n";
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
  if (cert || key) fail("--tls-cert/--tls-key: TLS is not available in this build yet", 2);

  // allowHalfOpen stays false: after the client's FIN the socket ends our side by itself, once
  // the last echoed byte is flushed. One listener fewer per connection (idle memory).
  auto server = net::Server::create();
  auto open = std::make_shared<std::unordered_set<net::Socket*>>();
  server->on(net::Server::Events::connection, [open](const std::shared_ptr<net::Socket>& s) {
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
  });
  listenAnnounced(server, host, port, unixPath, "");
  onShutdownSignal([server, open] {
    server->close();
    for (auto* s : *open) s->end();  // clients see EOF once their pending echo is flushed
  });
  evnode::run();
  return 0;
}

}  // namespace evnode::cli
