// `evnode udp listen|send`: a UDP listener that prints (and optionally echoes) every datagram, and
// a one-datagram sender that can wait for the reply.
#include <uv.h>

#include <charconv>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evnode/dgram.h"
#include "evnode/dns.h"
#include "evnode/loop.h"
#include "tools/evnode/commands.h"
#include "tools/evnode/threads.h"

namespace evnode::cli {

namespace {

const char kUsage[] =
    "usage: evnode udp listen [--port 41234] [--host 127.0.0.1] [--echo] [--threads N]\n"
    "       evnode udp send HOST PORT MESSAGE [--wait-reply MS]\n"
    "listen prints 'listening on udp://HOST:PORT' when ready, then one line per datagram:\n"
    "'server got: MESSAGE from ADDRESS:PORT'; --echo sends each datagram back.\n"
    "--threads N: N sockets on N threads sharing the port (SO_REUSEPORT; 0 = one per core).\n"
    "send sends MESSAGE as one datagram; --wait-reply prints the reply, or exits 1 if none\n"
    "arrives within MS milliseconds.\n";

// Lines about datagrams are written as they arrive and flushed once per loop turn, before the
// loop waits again: no line is ever held back while the process is idle, and a burst of
// datagrams costs one write instead of one per line.
class TurnFlushedOutput {
 public:
  TurnFlushedOutput() {
    static std::once_flag buffered;  // once per process, before any thread writes
    std::call_once(buffered, [] { std::setvbuf(stdout, nullptr, _IOFBF, 1 << 16); });
    uv_check_init(Loop::current().uv(), &check_);
    check_.data = nullptr;  // not a HandleWrap: the loop's teardown just closes it
    uv_check_start(&check_, [](uv_check_t*) { std::fflush(stdout); });
    uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
  }
  ~TurnFlushedOutput() { std::fflush(stdout); }
  // "server got: MESSAGE from ADDRESS:PORT", built in a reused buffer (one per datagram).
  void got(std::string_view message, const dgram::RemoteInfo& from) {
    line_.assign("server got: ");
    line_.append(message);
    line_.append(" from ");
    bool v6 = from.family == "IPv6";
    if (v6) line_.push_back('[');
    line_.append(from.address);
    if (v6) line_.push_back(']');
    line_.push_back(':');
    char digits[8];
    auto end = std::to_chars(digits, digits + sizeof digits, from.port).ptr;
    line_.append(digits, end);
    line_.push_back('\n');
    std::fwrite(line_.data(), 1, line_.size(), stdout);
  }

 private:
  std::string line_;

  // Static storage, one per thread (--threads): the loop may close the handle at thread exit,
  // after this object is gone.
  static inline thread_local uv_check_t check_;
};

// Both modes' options are read before the mode word, which is the first positional argument.
struct Options {
  std::optional<long> port;
  std::optional<std::string> host;
  bool echo = false;
  long waitMs = -1;
  long threads = -1;             // --threads (listen)
  std::vector<std::string> pos;  // after the mode word
};

int listen(const Options& o) {
  if (o.waitMs >= 0) fail("unknown option '--wait-reply' for udp listen", 2);
  if (!o.pos.empty()) fail("udp listen takes no positional arguments", 2);
  int port = static_cast<int>(o.port.value_or(41234));
  std::string host = o.host.value_or("127.0.0.1");
  bool echo = o.echo;

  ThreadsPlan plan;
  plan.threads = o.threads;
  plan.port = port;
  plan.readyLine = [](const std::string& address, int real) {
    return "listening on udp://" + hostPort(address, real);
  };
  return runServerThreads(plan, [&]() -> ServerThread {
    dgram::SocketOptions so;
    so.type = dns::isIP(host) == 6 ? "udp6" : "udp4";
    so.reusePort = o.threads >= 0;  // --threads: every thread's socket shares the port
    auto sock = dgram::createSocket(so);
    auto out = std::make_shared<TurnFlushedOutput>();
    dgram::Socket* raw = sock.get();  // listeners must not own the socket that holds them
    sock->on(dgram::Socket::Events::message,
             [raw, out, echo](const Buffer& msg, const dgram::RemoteInfo& from) {
               out->got(msg.view(), from);
               if (echo) raw->send(msg, from.port, from.address);
             });
    // A failure (the bind's, say) is the one-line error.
    sock->on(dgram::Socket::Events::error, [](const Error& err) { die(err.message); });
    ServerThread t;
    t.listen = [sock, raw, host](int p, bool, Listening listening) {
      raw->bind(p, host, [raw, listening = std::move(listening)] {
        auto a = raw->address();
        listening(a.address, a.port);
      });
    };
    t.stop = [raw] { raw->close(); };
    t.finish = [out]() mutable { out.reset(); };
    return t;
  });
}

int send(const Options& o) {
  if (o.port) fail("unknown option '--port' for udp send (the port is an argument)", 2);
  if (o.host) fail("unknown option '--host' for udp send (the host is an argument)", 2);
  if (o.echo) fail("unknown option '--echo' for udp send", 2);
  if (o.threads >= 0) fail("unknown option '--threads' for udp send", 2);
  long waitMs = o.waitMs;
  const auto& pos = o.pos;
  if (pos.size() != 3) fail("udp send needs HOST PORT MESSAGE (see 'evnode udp --help')", 2);
  const std::string& host = pos[0];
  char* end = nullptr;
  long port = std::strtol(pos[1].c_str(), &end, 10);
  if (pos[1].empty() || *end != '\0' || port < 1 || port > 65535) {
    fail("invalid port '" + pos[1] + "' (expected 1..65535)", 2);
  }
  std::string message = pos[2];

  struct State {
    Error failure;
    bool replied = false;
    std::shared_ptr<dgram::Socket> sock;
    TimeoutPtr timer;
  };
  auto st = std::make_shared<State>();
  auto finish = [](State& s) {
    if (s.timer) clearTimeout(s.timer);
    s.timer = nullptr;
    if (s.sock) {
      auto sock = std::move(s.sock);
      sock->close();
    }
  };
  // The host's family decides the socket's: a name is resolved first.
  dns::lookup(host, [st, finish, message, port, waitMs](const Error& err, const std::string& ip,
                                                        int family) {
    if (err) {
      st->failure = err;
      return;
    }
    st->sock = dgram::createSocket(family == 6 ? "udp6" : "udp4");
    dgram::Socket* raw = st->sock.get();
    raw->on(dgram::Socket::Events::error, [st, finish](const Error& e) {
      if (!st->failure) st->failure = e;
      finish(*st);
    });
    if (waitMs > 0) {
      raw->on(dgram::Socket::Events::message,
              [st, finish](const Buffer& reply, const dgram::RemoteInfo&) {
                if (st->replied) return;
                st->replied = true;
                println(std::string(reply.view()));
                finish(*st);
              });
      st->timer = setTimeout(
          [st, finish, waitMs] {
            st->timer = nullptr;
            if (!st->replied && !st->failure) {
              st->failure = Error("ETIMEDOUT", "no reply within " + std::to_string(waitMs) + " ms");
            }
            finish(*st);
          },
          static_cast<std::uint64_t>(waitMs));
    }
    raw->send(message, static_cast<int>(port), ip,
              [st, finish, waitMs](const Error& e, std::size_t) {
                if (e) {
                  if (!st->failure) st->failure = e;
                  finish(*st);
                } else if (waitMs <= 0) {
                  finish(*st);
                }
              });
  });
  evnode::run();
  if (st->failure) fail(st->failure.message);
  return 0;
}

}  // namespace

int cmdUdp(Args& args) {
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  Options o;
  long port = args.number("--port", -1, 0, 65535);  // -1: not given
  if (port >= 0) o.port = port;
  o.host = args.value("--host");
  o.echo = args.flag("--echo");
  o.waitMs = args.number("--wait-reply", -1, 1, 24L * 3600 * 1000);
  o.threads = threadsOption(args);
  o.pos = args.finish();
  if (o.pos.empty()) fail("udp needs a mode: listen or send (see 'evnode udp --help')", 2);
  std::string mode = o.pos.front();
  o.pos.erase(o.pos.begin());
  if (mode == "listen") return listen(o);
  if (mode == "send") return send(o);
  fail("unknown udp mode '" + mode + "' (expected listen or send)", 2);
}

}  // namespace evnode::cli
