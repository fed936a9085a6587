// `evnode echo`: every byte a client sends comes back unchanged; a client's half-close ends our
// side after the last byte.
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "evnode/tls.h"
#include "tools/evnode/commands.h"
#include "tools/evnode/threads.h"

namespace evnode::cli {

namespace {
const char kUsage[] =
    "usage: evnode echo [--port 3000] [--host 127.0.0.1] [--unix PATH] [--tls-cert F --tls-key F]\n"
    "                   [--threads N]\n"
    "TCP (or Unix-socket) echo server. Prints 'listening on HOST:PORT' when ready.\n"
    "--threads N: N event loops sharing the port (SO_REUSEPORT); 0 = one per core.\n"
    "With --tls-cert/--tls-key (PEM files) it speaks TLS: 'listening on tls://HOST:PORT'.\n";

// The open connections, so that SIGINT can end them: a slot each, reused once freed.
class Connections {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  std::uint32_t add(net::Socket* s) {
    if (free_.empty()) {
      slots_.push_back(s);
      return static_cast<std::uint32_t>(slots_.size() - 1);
    }
    std::uint32_t i = free_.back();
    free_.pop_back();
    slots_[i] = s;
    return i;
  }
  void remove(std::uint32_t i) {
    slots_[i] = nullptr;
    free_.push_back(i);
  }
  net::Socket* at(std::uint32_t i) const { return slots_[i]; }
  std::vector<net::Socket*> all() const {
    std::vector<net::Socket*> v;
    for (auto* s : slots_) {
      if (s) v.push_back(s);
    }
    return v;
  }

 private:
  std::vector<net::Socket*> slots_;
  std::vector<std::uint32_t> free_;
};

// Each thread's table (--threads): set by the thread's setup, freed when its loop has ended.
thread_local Connections* currentConnections = nullptr;
Connections& connections() { return *currentConnections; }

// A connection's `data` listener: echoes the bytes back with backpressure. It also holds the
// connection's slot and frees it when the socket releases it, which a stream does once it has
// closed (it drops every listener after `close`): tracking the connection costs no listener of
// its own, and the listener holds 4 bytes (idle connections stay small).
class Echoer {
 public:
  explicit Echoer(net::Socket* s) : slot_(connections().add(s)) {}
  Echoer(Echoer&& o) noexcept : slot_(std::exchange(o.slot_, Connections::kNone)) {}
  Echoer(const Echoer&) = delete;
  Echoer& operator=(const Echoer&) = delete;
  Echoer& operator=(Echoer&&) = delete;
  ~Echoer() {
    if (slot_ != Connections::kNone && currentConnections) connections().remove(slot_);
  }

  void operator()(const Buffer& chunk) const {
    net::Socket* raw = connections().at(slot_);  // the socket outlives its own listeners
    if (!raw->write(chunk)) {
      // Backpressure: stop reading until drained. A once-listener, so an idle connection
      // carries no drain listener.
      raw->pause();
      if (raw->listenerCount(net::Socket::Events::drain) == 0) {
        raw->once(net::Socket::Events::drain, [raw] { raw->resume(); });
      }
    }
  }

 private:
  std::uint32_t slot_;
};

// Works for any net::Socket (TLS too).
void echo(const std::shared_ptr<net::Socket>& s) {
  s->on(net::Socket::Events::data, Echoer(s.get()));
  s->on(net::Socket::Events::error, [](const Error&) {});  // a reset peer just goes away
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
  long threads = threadsOption(args);
  if (!args.finish().empty()) fail("echo takes no positional arguments", 2);
  if (cert.has_value() != key.has_value()) fail("--tls-cert and --tls-key go together", 2);

  if (!unixPath.empty() && threads != -1 && threads != 1)
    fail("--threads above 1 needs a TCP port, not --unix", 2);
  std::string tlsCert, tlsKey;
  if (cert) {
    tlsCert = readOptionFile(*cert, "--tls-cert");
    tlsKey = readOptionFile(*key, "--tls-key");
  }

  ThreadsPlan plan;
  plan.threads = threads;
  plan.port = port;
  plan.readyLine = [unixPath, scheme = std::string(cert ? "tls://" : "")](
                       const std::string& address, int real) {
    if (!unixPath.empty()) return "listening on unix:" + unixPath;
    return "listening on " + scheme + hostPort(address, real);
  };
  plan.one = "connection";
  plan.many = "connections";
  plan.doing = " flushing";
  return runServerThreads(plan, [&]() -> ServerThread {
    // allowHalfOpen stays false: after the client's FIN the socket ends our side by itself,
    // once the last echoed byte is flushed. One listener fewer per connection (idle memory).
    std::shared_ptr<net::Server> server;
    if (cert) {
      tls::ServerOptions o;
      o.cert = tlsCert;
      o.key = tlsKey;
      auto ts = tls::createServer(o, [](const std::shared_ptr<tls::TLSSocket>& s) { echo(s); });
      // A failed handshake (a port scanner, a plain-TCP client) just closes that connection.
      ts->on(tls::Server::Events::tlsClientError,
             [](const Error&, const std::shared_ptr<tls::TLSSocket>&) {});
      server = ts;
    } else {
      server = net::Server::create();
      server->on(net::Server::Events::connection,
                 [](const std::shared_ptr<net::Socket>& s) { echo(s); });
    }
    auto table = std::make_shared<Connections>();
    currentConnections = table.get();
    ServerThread t;
    t.listen = listenServer(server, host, unixPath);
    t.stop = [server] {
      server->close();
      // An idle client is let go at once; one with echo bytes still queued gets them, then EOF.
      for (auto* s : connections().all()) letGo(*s);
    };
    t.inFlight = [] { return connections().all().size(); };
    t.finish = [table]() mutable {
      currentConnections = nullptr;
      table.reset();
    };
    return t;
  });
}

}  // namespace evnode::cli
