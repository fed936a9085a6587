// `evnode ws echo|connect|bench`: a WebSocket echo server, a wscat-like client and an echo load
// generator, on evnode's ws module.
#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "evnode/cluster.h"
#include "evnode/https.h"
#include "evnode/loop.h"
#include "evnode/process.h"
#include "evnode/ws.h"
#include "tools/evnode/commands.h"
#include "tools/evnode/load.h"
#include "tools/evnode/threads.h"

namespace evnode::cli {

namespace {
const char kUsage[] =
    "usage: evnode ws echo [--port 8080] [--host 127.0.0.1] [--tls-cert F --tls-key F] "
    "[--threads N]\n"
    "       evnode ws connect URL [-H 'Name: value']... [--protocol P]... [--cacert F] [-k] "
    "[--binary]\n"
    "       evnode ws bench URL [-c 64] [-d 10] [--size 16] [--binary] [--threads N] [--json]\n"
    "echo: WebSocket echo server on every path; prints 'listening on ws://HOST:PORT' (wss:// "
    "with\n"
    "  TLS); messages come back with their type; permessage-deflate is accepted; connections\n"
    "  and closes are logged to stderr.\n"
    "connect: each stdin line goes out as one message, each message received is printed on a\n"
    "  line; at the end of stdin it closes (1000) and exits once the server answers.\n"
    "bench: each connection keeps one message in flight; reports messages/s and latency.\n"
    "--threads N (0: one per core): echo runs N loops sharing the port (SO_REUSEPORT); bench\n"
    "  spreads its connections over N client threads.\n";

std::string peerName(const http::RequestPtr& req) {
  const auto& s = req->socket;
  return s ? hostPort(s->remoteAddress(), s->remotePort()) : std::string("?");
}

// A peer's name kept for its close line, in 8 bytes: the `close` listener of every idle
// connection then fits the smallest listener block (a std::string capture made it 32 bytes
// bigger, issue 20). An IPv4 address and port are packed into the word; any other name (IPv6)
// is kept on the heap, since it does not fit.
class PeerName {
 public:
  explicit PeerName(const http::RequestPtr& req) {
    const auto& s = req->socket;
    in_addr a{};
    if (s && ::inet_pton(AF_INET, s->remoteAddress().c_str(), &a) == 1) {
      bits_ = kPacked | std::uint64_t{ntohl(a.s_addr)} << 16 |
              static_cast<std::uint16_t>(s->remotePort());
    } else {
      std::string name = peerName(req);
      char* p = new char[name.size() + 1];
      std::memcpy(p, name.c_str(), name.size() + 1);
      bits_ = reinterpret_cast<std::uintptr_t>(p);
    }
  }
  PeerName(PeerName&& o) noexcept : bits_(std::exchange(o.bits_, kPacked)) {}
  PeerName& operator=(PeerName&&) = delete;
  ~PeerName() {
    if (!(bits_ & kPacked)) delete[] reinterpret_cast<char*>(bits_);
  }
  std::string str() const {
    if (!(bits_ & kPacked)) return reinterpret_cast<const char*>(bits_);
    char ip[INET_ADDRSTRLEN];
    in_addr a{htonl(static_cast<std::uint32_t>(bits_ >> 16))};
    ::inet_ntop(AF_INET, &a, ip, sizeof ip);
    return hostPort(ip, static_cast<int>(bits_ & 0xFFFF));
  }

 private:
  // Bit 63 marks a packed name (address in bits 16-47, port in 0-15): a user-space pointer
  // never has it set.
  static constexpr std::uint64_t kPacked = std::uint64_t{1} << 63;
  std::uint64_t bits_;
};

// --- ws echo --------------------------------------------------------------------------------

struct WsEchoOptions {
  std::optional<std::string> cert, key;  // PEM contents: wss://
};

// Sets up a WebSocket echo server on this thread's loop, not yet listening: the HTTP(S) server
// to listen on and the WebSocketServer on it. A multi-thread runner calls this once per thread
// and listens each with reusePort.
struct WsEcho {
  std::shared_ptr<http::Server> http;
  std::shared_ptr<ws::WebSocketServer> wss;
};
WsEcho setupWsEcho(const WsEchoOptions& o) {
  WsEcho e;
  if (o.cert) {
    https::ServerOptions so;
    so.cert = *o.cert;
    so.key = *o.key;
    auto s = https::createServer(so);
    // A failed handshake (a scanner, a plain client) just closes that connection.
    s->on(https::Server::Events::tlsClientError,
          [](const Error&, const std::shared_ptr<tls::TLSSocket>&) {});
    e.http = s;
  } else {
    e.http = http::Server::create();
  }
  ws::ServerOptions wo;
  wo.server = e.http;
  wo.perMessageDeflate.enabled = true;
  wo.closeTimeout = 2000;
  e.wss = ws::WebSocketServer::create(wo);
  e.wss->on(ws::WebSocketServer::Events::connection, [](const ws::WebSocketPtr& socket,
                                                        const http::RequestPtr& req) {
    PeerName who(req);
    std::fprintf(::stderr, "ws: connection from %s %s\n", who.str().c_str(), req->url.c_str());
    ws::WebSocket* raw = socket.get();
    socket->on(ws::WebSocket::Events::message, [raw](const Buffer& data, bool binary) {
      if (!raw->send(data, {.binary = binary})) {
        // The peer is not reading our echoes: stop reading it until they drain.
        raw->pause();
        raw->once(ws::WebSocket::Events::drain, [raw] { raw->resume(); });
      }
    });
    // No `error` listener: a protocol error shows as the close it causes (1002,
    // 1007, 1009; 1006 for a reset), and an idle connection keeps one listener less.
    socket->on(ws::WebSocket::Events::close,
               [who = std::move(who)](int code, const Buffer& reason) {
                 std::fprintf(::stderr, "ws: %s closed %d %s\n", who.str().c_str(), code,
                              std::string(reason.view()).c_str());
               });
  });
  return e;
}

int wsEcho(Args& args) {
  int port = static_cast<int>(args.number("--port", 8080, 0, 65535));
  std::string host = args.value("--host").value_or("127.0.0.1");
  auto cert = args.value("--tls-cert");
  auto key = args.value("--tls-key");
  long threads = threadsOption(args);
  auto pos = args.finish();
  if (pos.size() != 1) fail("ws echo takes no positional arguments", 2);
  if (cert.has_value() != key.has_value()) fail("--tls-cert and --tls-key go together", 2);
  WsEchoOptions o;
  if (cert) {
    o.cert = readOptionFile(*cert, "--tls-cert");
    o.key = readOptionFile(*key, "--tls-key");
  }
  ThreadsPlan plan;
  plan.threads = threads;
  plan.port = port;
  plan.readyLine = [scheme = std::string(cert ? "wss://" : "ws://")](const std::string& address,
                                                                     int real) {
    return "listening on " + scheme + hostPort(address, real);
  };
  plan.one = "connection";
  plan.many = "connections";
  plan.doing = " closing";
  // Each thread has its own HTTP server and WebSocketServer (and so its own clients).
  return runServerThreads(plan, [&]() -> ServerThread {
    WsEcho e = setupWsEcho(o);
    ServerThread t;
    t.listen = listenServer(e.http, host);
    t.stop = [e] {
      e.http->close();
      // Every client is told the server is going away; the close handshake ends each.
      std::vector<ws::WebSocketPtr> all(e.wss->clients().begin(), e.wss->clients().end());
      for (const auto& c : all) c->close(1001, "server shutting down");
    };
    t.inFlight = [raw = e.wss.get()] { return raw->clients().size(); };
    return t;
  });
}

// --- ws connect -----------------------------------------------------------------------------

int wsConnect(Args& args) {
  auto headers = args.values("-H|--header");
  auto protocols = args.values("--protocol");
  auto cacert = args.value("--cacert");
  bool insecure = args.flag("-k|--insecure");
  bool binary = args.flag("--binary");
  auto pos = args.finish();
  if (pos.size() != 2) fail("ws connect needs exactly one URL (see 'evnode ws --help')", 2);
  ws::ClientOptions o;
  for (const auto& h : headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0) fail("invalid header '" + h + "'", 2);
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    o.headers.emplace_back(h.substr(0, colon), value);
  }
  o.protocols = protocols;
  if (cacert) o.tls.ca = {readOptionFile(*cacert, "--cacert")};
  if (insecure) o.tls.rejectUnauthorized = false;
  o.handshakeTimeout = 30000;
  ws::WebSocketPtr sock;
  try {
    sock = ws::WebSocket::connect(pos[1], o);
  } catch (const Exception& e) {
    fail(std::string("ws: ") + e.what(), e.code() == "ERR_INVALID_URL" ? 3 : 1);
  }
  ws::WebSocket* raw = sock.get();
  auto out = process::stdout();
  auto in = process::stdin();
  struct State {
    std::string line;
    bool closing = false;  // we sent the close (end of stdin)
    bool failed = false;
  };
  auto st = std::make_shared<State>();
  auto sendLine = [raw, binary, in](std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!raw->send(Buffer::from(line), {.binary = binary})) {
      in->pause();
      raw->once(ws::WebSocket::Events::drain, [in] { in->resume(); });
    }
  };
  sock->on(ws::WebSocket::Events::unexpectedResponse,
           [raw, st](const http::ClientRequestPtr&, const http::IncomingMessagePtr& res) {
             std::fprintf(::stderr, "evnode: ws: unexpected response %d\n", res->statusCode);
             st->failed = true;
             raw->terminate();
           });
  sock->on(ws::WebSocket::Events::error, [st](const Error& err) {
    if (!st->failed) {
      bool named = err.code.empty() || err.message.find(err.code) != std::string::npos;
      std::fprintf(::stderr, "evnode: ws: %s%s\n", err.message.c_str(),
                   named ? "" : (" (" + err.code + ")").c_str());
    }
    st->failed = true;
  });
  sock->on(ws::WebSocket::Events::open, [raw, in, st, sendLine] {
    in->on(Readable::Events::data, [st, sendLine](const Buffer& b) {
      st->line.append(b.view());
      std::size_t nl;
      while ((nl = st->line.find('\n')) != std::string::npos) {
        std::string one = st->line.substr(0, nl);
        st->line.erase(0, nl + 1);
        sendLine(std::move(one));
      }
    });
    in->on(Readable::Events::end, [raw, st, sendLine] {
      if (!st->line.empty()) sendLine(std::exchange(st->line, {}));
      if (raw->readyState() != ws::WebSocket::OPEN) return;
      st->closing = true;
      raw->close(1000);
      // The server has 5 s to answer the close.
      setTimeout([] { process::exit(0); }, 5000)->unref();
    });
  });
  sock->on(ws::WebSocket::Events::message, [out](const Buffer& data, bool) {
    out->write(data);
    out->write("\n");
  });
  sock->on(ws::WebSocket::Events::close, [st, in](int code, const Buffer& reason) {
    in->pause();
    if (st->failed) process::exit(1);
    if (st->closing) process::exit(0);
    std::fprintf(::stderr, "evnode: ws: closed %d %s\n", code, std::string(reason.view()).c_str());
    process::exit(code == 1000 || code == 1001 ? 0 : 1);
  });
  evnode::run();
  return 0;
}

// --- ws bench -------------------------------------------------------------------------------

std::uint64_t nowUs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

// One thread's share of the load (--threads spreads the connections as wrk -t does): its
// connections, each keeping one message in flight, and what they measured.
struct WsRun {
  std::string url;
  Buffer payload;
  bool binary = false;
  std::uint64_t messages = 0, errors = 0;
  std::map<std::string, std::uint64_t> errorsByCode;
  std::vector<std::uint32_t> latencyUs;
  std::vector<ws::WebSocketPtr> conns;
  bool running = true;
  std::uint64_t started = 0;
  double elapsed = 0;
  TimeoutPtr end;

  // Opens `count` connections on this thread's loop; the run stops after `duration` seconds.
  void start(long count, double duration) {
    latencyUs.reserve(1 << 20);
    conns.resize(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < conns.size(); ++i) open(i);
    started = nowUs();
    end = setTimeout([this] { stop(); }, static_cast<std::uint64_t>(std::ceil(duration * 1000)));
  }
  // Connection `slot`: one message in flight, sent again as each echo arrives. One that fails
  // or is closed by the server is an error, counted by its code (the error's; for a close with
  // no error, its socket's error, ECONNRESET say, or else WS_CLOSE_<close code>), and is
  // replaced by a new one, so the load stays at -c connections (as `evnode bench` reopens).
  void open(std::size_t slot) {
    ws::ClientOptions o;
    o.perMessageDeflate.enabled = false;
    o.tls.rejectUnauthorized = false;  // a load generator measures; it does not authenticate
    ws::WebSocketPtr c;
    try {
      c = ws::WebSocket::connect(url, o);
    } catch (const Exception& e) {
      fail(std::string("ws: ") + e.what(), 1);
    }
    ws::WebSocket* raw = c.get();
    auto sentAt = std::make_shared<std::uint64_t>(0);
    auto failed = std::make_shared<bool>(false);         // its error was counted
    auto socketError = std::make_shared<std::string>();  // what ended its socket (ECONNRESET)
    auto sendOne = [raw, p = payload, b = binary, sentAt] {
      *sentAt = nowUs();
      raw->send(p, {.binary = b});
    };
    c->on(ws::WebSocket::Events::open, [raw, socketError, sendOne] {
      if (const auto& s = raw->socket()) {
        s->on(net::Socket::Events::error, [socketError](const Error& e) { *socketError = e.code; });
      }
      sendOne();
    });
    c->on(ws::WebSocket::Events::message, [this, sentAt, sendOne](const Buffer&, bool) {
      if (!running) return;
      ++messages;
      latencyUs.push_back(static_cast<std::uint32_t>(nowUs() - *sentAt));
      sendOne();
    });
    c->on(ws::WebSocket::Events::error, [this, failed](const Error& e) {
      if (!running || *failed) return;
      *failed = true;
      ++errors;
      ++errorsByCode[e.code];
    });
    c->on(ws::WebSocket::Events::close, [this, slot, failed, socketError](int code, const Buffer&) {
      if (!running) return;
      if (!*failed) {
        ++errors;
        ++errorsByCode[code == 1006 && !socketError->empty() ? *socketError
                                                             : "WS_CLOSE_" + std::to_string(code)];
      }
      // A little later (not from inside the old connection's own event, which releases it):
      // a server that refuses or closes at once must not turn this into a busy loop.
      setTimeout(
          [this, slot] {
            if (running) open(slot);
          },
          10);
    });
    conns[slot] = c;
  }
  void stop() {
    if (!running) return;
    elapsed = static_cast<double>(nowUs() - started) / 1e6;
    running = false;
    clearTimeout(end);
    for (auto& c : conns) c->terminate();
  }
  // Adds another thread's results to these (after that thread has ended).
  void merge(WsRun& o) {
    messages += o.messages;
    errors += o.errors;
    for (const auto& [code, n] : o.errorsByCode) errorsByCode[code] += n;
    latencyUs.insert(latencyUs.end(), o.latencyUs.begin(), o.latencyUs.end());
    elapsed = std::max(elapsed, o.elapsed);
  }
};

int wsBench(Args& args) {
  long connections = args.number("-c|--connections", 64, 1, 100000);
  auto durationText = args.value("-d|--duration");
  long size = args.number("--size", 16, 0, 64L << 20);
  bool binary = args.flag("--binary");
  long threads = args.number("-t|--threads", 1, 0, 1024);
  bool json = args.flag("--json");
  auto pos = args.finish();
  if (pos.size() != 2) fail("ws bench needs exactly one URL (see 'evnode ws --help')", 2);
  double duration = durationText ? parseDuration(*durationText) : 10;
  const std::string url = pos[1];

  unsigned nThreads = threads == 0 ? std::max(1u, std::thread::hardware_concurrency())
                                   : static_cast<unsigned>(threads);
  nThreads = static_cast<unsigned>(std::min<long>(nThreads, connections));  // as wrk: c >= t
  std::vector<std::unique_ptr<WsRun>> runs;
  for (unsigned t = 0; t < nThreads; ++t) {
    auto r = std::make_unique<WsRun>();
    r->url = url;
    r->payload = Buffer::alloc(static_cast<std::size_t>(size), 'x');
    r->binary = binary;
    runs.push_back(std::move(r));
  }
  // Thread t's connections: an even share, the first ones one more.
  auto share = [&](unsigned t) {
    return connections / nThreads + (t < connections % nThreads ? 1 : 0);
  };
  process::SignalListenerPtr sigint, sigterm;
  WsRun& first = *runs[0];
  if (nThreads == 1) {
    first.start(connections, duration);
    sigint = process::onSignal(SIGINT, [&] { first.stop(); });
    sigterm = process::onSignal(SIGTERM, [&] { first.stop(); });
    evnode::run();
  } else {
    cluster::Options o;
    o.threads = nThreads;
    o.handleSignals = false;  // ours: a signal ends the run early, never the process
    cluster::Cluster* group = nullptr;
    bool interrupted = false;
    auto interrupt = [&] {
      interrupted = true;
      if (group) group->stop();
    };
    sigint = process::onSignal(SIGINT, interrupt);
    sigterm = process::onSignal(SIGTERM, interrupt);
    o.primary = [&](cluster::Cluster& g) {
      group = &g;
      if (interrupted) g.stop();
    };
    cluster::run(o, [&](unsigned t) {
      WsRun& r = *runs[t];
      r.start(share(t), duration);
      cluster::onStop([&r] { r.stop(); });
      cluster::atExit([&r] { r.conns.clear(); });  // its sockets go with its loop
    });
    for (unsigned t = 1; t < nThreads; ++t) first.merge(*runs[t]);
  }
  sigint->close();
  sigterm->close();
  const double elapsed = first.elapsed;
  WsRun* stats = &first;
  double mps = elapsed > 0 ? static_cast<double>(stats->messages) / elapsed : 0;
  auto& lat = stats->latencyUs;
  double p50 = percentile(lat, 50), p90 = percentile(lat, 90), p99 = percentile(lat, 99);
  double maxMs = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end()) / 1000.0;
  if (json) {
    std::printf(
        "{\"url\":%s,\"connections\":%ld,\"size\":%ld,\"duration_s\":%.3f,"
        "\"messages\":%" PRIu64
        ",\"messages_per_sec\":%.2f,\"latency_ms\":{\"p50\":%.3f,"
        "\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},\"errors\":%" PRIu64 ",\"errors_by_code\":%s}\n",
        jsonString(url).c_str(), connections, size, elapsed, stats->messages, mps, p50, p90, p99,
        maxMs, stats->errors, jsonCounts(stats->errorsByCode).c_str());
  } else {
    std::printf("%s: %ld connections, %ld-byte %s messages, %.2f s\n", url.c_str(), connections,
                size, binary ? "binary" : "text", elapsed);
    std::printf("  messages/s  %.2f  (%" PRIu64 " messages)\n", mps, stats->messages);
    std::printf("  latency     p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n", p50, p90, p99,
                maxMs);
    std::printf("  errors      %" PRIu64 "%s\n", stats->errors,
                countsText(stats->errorsByCode).c_str());
  }
  std::fflush(::stdout);
  if (stats->messages == 0) fail("no message echoed", 1);
  return 0;
}
}  // namespace

int cmdWs(Args& args) {
  if (args.help()) {
    std::fputs(kUsage, ::stdout);
    return 0;
  }
  // The mode is the first positional argument; each mode claims its own options.
  auto first = args.firstPositional();
  if (!first) fail("ws needs a mode: echo, connect or bench (see 'evnode ws --help')", 2);
  const std::string mode = *first;
  if (mode == "echo") return wsEcho(args);
  if (mode == "connect") return wsConnect(args);
  if (mode == "bench") return wsBench(args);
  fail("unknown ws mode '" + mode + "' (expected echo, connect or bench)", 2);
}

}  // namespace evnode::cli
