// `evnode bench URL`: an HTTP load generator in the spirit of wrk/autocannon, on evnode's own
// sockets and http::ResponseParser (the client's own). Exactly -c keep-alive connections, each
// keeping -p requests in flight (pipelining); every response's latency is recorded (microseconds),
// and the summary gives requests/s, bytes/s, latency percentiles, non-2xx and error counts.
#include <strings.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "evnode/cluster.h"
#include "evnode/http.h"
#include "evnode/http_parser.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "evnode/process.h"
#include "tools/evnode/commands.h"
#include "tools/evnode/load.h"

namespace evnode::cli {

namespace {

const char kUsage[] =
    "usage: evnode bench URL [-c 64] [-d 10] [-p 1] [-m METHOD] [-H 'Name: value']...\n"
    "                        [--threads N] [--json]\n"
    "Opens exactly -c keep-alive connections and keeps -p requests in flight on each for -d\n"
    "(seconds, or with a unit: 500ms, 10s, 2m), then prints requests/s, bytes/s, latency\n"
    "p50/p90/p99/max, non-2xx responses and errors by code. --json prints one JSON object\n"
    "instead. Progress is shown on a terminal. SIGINT ends the run early, with the summary.\n"
    "--threads N (-t N) spreads the connections over N client threads, each with its own\n"
    "event loop, as wrk -t does (default 1; 0 = one per core).\n"
    "Exits 1 (after the summary) when a full run got not a single response.\n";

struct Stats {
  std::uint64_t requests = 0;  // complete responses
  std::uint64_t bytes = 0;     // bytes received
  std::uint64_t non2xx = 0;    // complete responses with a status outside 2xx
  std::uint64_t errors = 0;    // connect errors, resets, parse errors
  std::map<std::string, std::uint64_t> errorsByCode;  // "ECONNREFUSED" -> 3
  std::string firstError;  // what the first error was, for the failure line
  std::vector<std::uint32_t> latencyUs;

  void error(const std::string& code, const std::string& what) {
    ++errors;
    ++errorsByCode[code];
    if (firstError.empty()) firstError = what;
  }
};

struct Config {
  net::ConnectOptions connect;
  Buffer requests;  // `pipelining` copies of the request, back to back
  std::size_t requestSize = 0;
  int pipelining = 1;
  bool head = false;
  bool running = true;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Config& cfg, Stats& stats)
      : cfg_(cfg), stats_(stats), sent_(static_cast<std::size_t>(cfg.pipelining)) {}

  void start() {
    reader_ = http::ResponseParser();
    reader_.expect(cfg_.head, false);
    pending_ = Buffer();
    inFlight_ = 0;
    head_ = 0;
    socket_ = net::Socket::create();
    auto self = shared_from_this();
    socket_->on(net::Socket::Events::connect,
                [self] { self->send(static_cast<std::size_t>(self->cfg_.pipelining)); });
    socket_->on(net::Socket::Events::data, [self](const Buffer& b) { self->onData(b); });
    socket_->on(net::Socket::Events::error, [self](const Error& err) {
      self->failed_ = true;
      if (self->cfg_.running) {
        self->stats_.error(err.code, err.message.find(err.code) != std::string::npos
                                         ? err.message
                                         : err.code + ": " + err.message);
      }
    });
    socket_->on(net::Socket::Events::close, [self](bool) { self->onClose(); });
    socket_->connect(cfg_.connect);
  }

  void stop() {
    if (socket_) socket_->destroy();
  }

 private:
  void send(std::size_t n) {
    if (!cfg_.running || n == 0) return;
    std::uint64_t now = uv_hrtime();
    for (std::size_t i = 0; i < n; ++i) sent_[(head_ + inFlight_ + i) % sent_.size()] = now;
    inFlight_ += n;
    socket_->write(cfg_.requests.slice(0, static_cast<std::int64_t>(n * cfg_.requestSize)));
  }

  void onData(const Buffer& chunk) {
    stats_.bytes += chunk.length();
    pending_ = pending_.empty() ? chunk : Buffer::concat({pending_, chunk});
    std::size_t completed = 0;
    for (;;) {
      auto step = reader_.execute(pending_);
      if (step == http::ResponseParser::Step::kNeedMore) break;
      if (step == http::ResponseParser::Step::kError) {
        if (cfg_.running) {
          std::string code(reader_.errorCode());
          stats_.error(code, "invalid HTTP response (" + code + ")");
        }
        failed_ = true;  // counted already
        socket_->destroy();
        return;
      }
      if (step == http::ResponseParser::Step::kHead) {
        if (reader_.informational()) continue;
        status_ = reader_.statusCode();
        // Kept until the end of this response, which may come in a later chunk.
        reusable_ = reader_.keepAlive();
      } else if (step == http::ResponseParser::Step::kEnd) {
        if (!cfg_.running) return;
        complete();
        ++completed;
        if (!reusable_) {
          // The server closes after this response: open a new connection.
          reconnect_ = true;
          socket_->destroy();
          return;
        }
      }
    }
    send(completed);
  }

  // The response at the head of the ring is complete.
  void complete() {
    std::uint64_t t = sent_[head_];
    head_ = (head_ + 1) % sent_.size();
    --inFlight_;
    ++stats_.requests;
    // Counted with the completed response, so non2xx never exceeds requests.
    if (status_ < 200 || status_ >= 300) ++stats_.non2xx;
    stats_.latencyUs.push_back(
        static_cast<std::uint32_t>(std::min<std::uint64_t>((uv_hrtime() - t) / 1000, UINT32_MAX)));
    reader_.expect(cfg_.head, false);
  }

  void onClose() {
    if (!cfg_.running) return;
    // A body without Content-Length or chunking (HTTP/1.0 servers) ends with the connection.
    if (!failed_ && !reconnect_ && inFlight_ > 0 && reader_.midResponse() &&
        reader_.finish() == http::ResponseParser::Step::kEnd) {
      complete();
      reconnect_ = true;
    }
    if (!failed_ && !reconnect_ && inFlight_ > 0) {
      stats_.error("ECONNRESET", "socket hang up (ECONNRESET)");
    }
    bool immediately = reconnect_;
    failed_ = reconnect_ = false;
    // After an error, wait a little: a server that refuses must not turn this into a busy loop.
    auto self = shared_from_this();
    socket_.reset();
    if (immediately) {
      start();
    } else {
      setTimeout(
          [self] {
            if (self->cfg_.running) self->start();
          },
          10);
    }
  }

  Config& cfg_;
  Stats& stats_;
  std::shared_ptr<net::Socket> socket_;
  http::ResponseParser reader_;
  Buffer pending_;
  std::vector<std::uint64_t> sent_;  // send times of the requests in flight (a ring)
  std::size_t head_ = 0;
  std::size_t inFlight_ = 0;
  int status_ = 0;        // of the response being read
  bool reusable_ = true;  // the response being read leaves the connection open
  bool failed_ = false;
  bool reconnect_ = false;
};

// "0.5", "10", "120".
std::string formatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

std::string rate(double bytesPerSec) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int u = 0;
  while (bytesPerSec >= 1024 && u < 3) {
    bytesPerSec /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %s/s", bytesPerSec, units[u]);
  return buf;
}

// One thread's share of the load (--threads spreads the connections as wrk -t does): its own
// connections, counters and end timer, on its own loop. Never moved (connections refer to it).
struct Run {
  Config cfg;
  Stats stats;
  std::vector<std::shared_ptr<Connection>> conns;
  TimeoutPtr end;
  TimeoutPtr publisher;
  std::uint64_t started = 0;
  double elapsed = 0;
  // stats.requests as of the last second, for the live progress of another thread.
  std::atomic<std::uint64_t> published{0};

  void start(long connections, double duration) {
    started = uv_hrtime();
    stats.latencyUs.reserve(1 << 18);
    for (long i = 0; i < connections; ++i) {
      conns.push_back(std::make_shared<Connection>(cfg, stats));
      conns.back()->start();
    }
    end = setTimeout([this] { stop(); }, static_cast<std::uint64_t>(std::ceil(duration * 1000)));
  }
  void publishEverySecond() {
    publisher = setInterval([this] { published.store(stats.requests); }, 1000);
    publisher->unref();
  }
  void stop() {
    if (!cfg.running) return;
    elapsed = static_cast<double>(uv_hrtime() - started) / 1e9;
    cfg.running = false;
    clearTimeout(end);
    if (publisher) clearInterval(publisher);
    for (auto& c : conns) c->stop();
  }
  // Adds another thread's results to these (after that thread has ended).
  void merge(Run& other) {
    stats.requests += other.stats.requests;
    stats.bytes += other.stats.bytes;
    stats.non2xx += other.stats.non2xx;
    stats.errors += other.stats.errors;
    for (const auto& [code, n] : other.stats.errorsByCode) stats.errorsByCode[code] += n;
    if (stats.firstError.empty()) stats.firstError = other.stats.firstError;
    stats.latencyUs.insert(stats.latencyUs.end(), other.stats.latencyUs.begin(),
                           other.stats.latencyUs.end());
    elapsed = std::max(elapsed, other.elapsed);
  }
};

}  // namespace

int cmdBench(Args& args) {
  if (args.help()) {
    std::fputs(kUsage, ::stdout);
    return 0;
  }
  long connections = args.number("-c|--connections", 64, 1, 100000);
  auto durationText = args.value("-d|--duration");
  long pipelining = args.number("-p|--pipelining", 1, 1, 1024);
  std::string method = args.value("-m|--method").value_or("GET");
  auto headerArgs = args.values("-H|--header");
  bool json = args.flag("--json");
  long threads = args.number("-t|--threads", 1, 0, 1024);
  auto pos = args.finish();
  if (pos.size() != 1) fail("bench needs exactly one URL (see 'evnode bench --help')", 2);
  double duration = durationText ? parseDuration(*durationText) : 10;
  http::RequestOptions url;
  try {
    url = http::parseUrl(pos[0]);
  } catch (const Exception& e) {
    fail(std::string(e.what()) + " (ERR_INVALID_URL)", 1);
  }
  if (url.protocol != "http:") fail("bench supports http: URLs only", 1);
  try {
    http::validateHeaderName(method);  // a method is a token, as a header name is
  } catch (const Exception&) {
    fail("invalid method '" + method + "'", 2);
  }

  // The request, rendered once.
  std::string host = url.connectHost();
  std::string hostHeader = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (url.port) hostHeader += ":" + std::to_string(url.port);
  std::string headers;
  bool hasHost = false;
  for (const auto& h : headerArgs) {
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0)
      fail("invalid header '" + h + "' (expected 'Name: value')", 2);
    std::string name = h.substr(0, colon);
    std::string value = h.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    try {
      http::validateHeaderName(name);
      http::validateHeaderValue(name, value);
    } catch (const Exception& e) {
      fail("invalid header '" + h + "': " + e.what(), 2);
    }
    if (name.size() == 4 && strncasecmp(name.c_str(), "host", 4) == 0) hasHost = true;
    headers += name + ": " + value + "\r\n";
  }
  std::string request = method + " " + url.path + " HTTP/1.1\r\n";
  if (!hasHost) request += "Host: " + hostHeader + "\r\n";
  request += headers + "\r\n";

  Config cfg;
  cfg.connect.host = host;
  cfg.connect.port = url.effectivePort();
  cfg.connect.noDelay = true;
  cfg.pipelining = static_cast<int>(pipelining);
  cfg.head = method == "HEAD";
  cfg.requestSize = request.size();
  std::string all;
  for (long i = 0; i < pipelining; ++i) all += request;
  cfg.requests = Buffer::from(all);

  unsigned nThreads = threads == 0 ? std::max(1u, std::thread::hardware_concurrency())
                                   : static_cast<unsigned>(threads);
  nThreads = static_cast<unsigned>(std::min<long>(nThreads, connections));  // as wrk: c >= t
  std::vector<std::unique_ptr<Run>> runs;
  for (unsigned t = 0; t < nThreads; ++t) {
    runs.push_back(std::make_unique<Run>());
    runs.back()->cfg = cfg;
  }
  // Thread t's connections: an even share, the first ones one more.
  auto share = [&](unsigned t) {
    return connections / nThreads + (t < connections % nThreads ? 1 : 0);
  };

  const bool live = !json && ::isatty(2);
  std::uint64_t lastCount = 0;
  int seconds = 0;
  TimeoutPtr ticker;
  auto startTicker = [&](const std::function<std::uint64_t()>& requests,
                         const std::function<std::uint64_t()>& errors) {
    if (!live) return;
    ticker = setInterval(
        [&, requests, errors] {
          ++seconds;
          std::uint64_t now = requests();
          std::fprintf(::stderr, "\r%3ds  %10" PRIu64 " req/s  %" PRIu64 " errors   ", seconds,
                       now - lastCount, errors());
          std::fflush(::stderr);
          lastCount = now;
        },
        1000);
    ticker->unref();
  };
  process::SignalListenerPtr sigint, sigterm;
  // The end of the run: at -d, or early on SIGINT/SIGTERM (the summary still says what was
  // measured until then).
  bool interrupted = false;
  Run& first = *runs[0];
  if (nThreads == 1) {
    first.start(connections, duration);
    startTicker([&] { return first.stats.requests; }, [&] { return first.stats.errors; });
    auto interrupt = [&] {
      interrupted = true;
      first.stop();
    };
    sigint = process::onSignal(SIGINT, interrupt);
    sigterm = process::onSignal(SIGTERM, interrupt);
    evnode::run();
  } else {
    cluster::Options o;
    o.threads = nThreads;
    o.handleSignals = false;  // ours: a signal ends the run early, never the process
    cluster::Cluster* group = nullptr;
    auto interrupt = [&] {
      interrupted = true;
      if (group) group->stop();
    };
    sigint = process::onSignal(SIGINT, interrupt);
    sigterm = process::onSignal(SIGTERM, interrupt);
    o.primary = [&](cluster::Cluster& g) {
      group = &g;
      if (interrupted) g.stop();
      startTicker(
          [&] {
            std::uint64_t n = 0;
            for (auto& r : runs) n += r->published.load();
            return n;
          },
          [] { return std::uint64_t{0}; });
    };
    cluster::run(o, [&](unsigned t) {
      Run& r = *runs[t];
      r.start(share(t), duration);
      if (live) r.publishEverySecond();
      cluster::onStop([&r] { r.stop(); });
      cluster::atExit([&r] { r.conns.clear(); });  // its sockets go with its loop
    });
    for (unsigned t = 1; t < nThreads; ++t) first.merge(*runs[t]);
  }
  if (ticker) clearInterval(ticker);
  sigint->close();
  sigterm->close();
  if (live) std::fputc('\n', ::stderr);
  Stats& stats = first.stats;
  double elapsed = first.elapsed;

  double rps = elapsed > 0 ? static_cast<double>(stats.requests) / elapsed : 0;
  double bps = elapsed > 0 ? static_cast<double>(stats.bytes) / elapsed : 0;
  double p50 = percentile(stats.latencyUs, 50), p90 = percentile(stats.latencyUs, 90),
         p99 = percentile(stats.latencyUs, 99);
  double maxMs = stats.latencyUs.empty()
                     ? 0
                     : *std::max_element(stats.latencyUs.begin(), stats.latencyUs.end()) / 1000.0;
  if (json) {
    std::printf(
        "{\"url\":%s,\"connections\":%ld,\"pipelining\":%ld,\"duration_s\":%.3f,\"requests\":"
        "%" PRIu64 ",\"requests_per_sec\":%.2f,\"bytes\":%" PRIu64
        ",\"bytes_per_sec\":%.2f,\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%."
        "3f},"
        "\"non2xx\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"errors_by_code\":%s}\n",
        jsonString(pos[0]).c_str(), connections, pipelining, elapsed, stats.requests, rps,
        stats.bytes, bps, p50, p90, p99, maxMs, stats.non2xx, stats.errors,
        jsonCounts(stats.errorsByCode).c_str());
  } else {
    std::printf("%s: %ld connections, pipelining %ld, %.2f s\n", pos[0].c_str(), connections,
                pipelining, elapsed);
    std::printf("  requests/s  %.2f  (%" PRIu64 " requests)\n", rps, stats.requests);
    std::printf("  bytes/s     %s\n", rate(bps).c_str());
    std::printf("  latency     p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n", p50, p90, p99,
                maxMs);
    std::printf("  non-2xx     %" PRIu64 "\n  errors      %" PRIu64, stats.non2xx, stats.errors);
    std::printf("%s\n", countsText(stats.errorsByCode).c_str());
  }
  std::fflush(::stdout);
  // Not one response in the whole run: the numbers above measure nothing, so a script must see
  // a failure (CLI.md's one-line error, non-zero status).
  if (stats.requests == 0 && !interrupted) {
    fail(stats.firstError.empty()
             ? "no response within " + formatSeconds(duration) + " s (ETIMEDOUT)"
             : "no response: " + stats.firstError,
         1);
  }
  return 0;
}

}  // namespace evnode::cli
