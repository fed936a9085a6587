// The `--threads` runner (threads.h), on evnode::cluster.
#include "tools/evnode/threads.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <future>
#include <thread>
#include <vector>

#include "evnode/cluster.h"
#include "evnode/loop.h"
#include "evnode/process.h"

namespace evnode::cli {

long threadsOption(Args& args) { return args.number("--threads", -1, 0, 1024); }

unsigned threadCount(long threads) {
  if (threads < 0) return 1;
  return threads == 0 ? std::max(1u, std::thread::hardware_concurrency())
                      : static_cast<unsigned>(threads);
}

std::function<void(int, bool, Listening)> listenServer(const std::shared_ptr<net::Server>& server,
                                                       const std::string& host,
                                                       const std::string& unixPath) {
  net::Server* raw = server.get();  // the thread's ServerThread holds the server
  return [raw, host, unixPath](int port, bool reusePort, Listening listening) {
    raw->on(net::Server::Events::error, [](const Error& err) { die(err.message); });
    net::ListenOptions o;
    if (unixPath.empty()) {
      o.port = port;
      o.host = host;
      o.reusePort = reusePort;
    } else {
      o.path = unixPath;
    }
    raw->listen(o, [raw, listening = std::move(listening)] {
      net::AddressInfo a = raw->address();
      listening(a.address, a.port);
    });
  };
}

namespace {

// A subcommand's setup, with its failures turned into the one-line error (a thread cannot
// unwind into guard()).
ServerThread setUp(const std::function<ServerThread()>& setup) {
  try {
    return setup();
  } catch (const Failure& f) {
    die(f.message, f.status);
  } catch (const Exception& e) {
    die(e.what(), 2);
  }
}

// The stop report of the primary thread: asks each running thread what it still has in flight
// and prints the sum once every one answered (or ended).
struct Report {
  std::vector<bool> waiting;
  std::size_t left = 0, total = 0;
  const ThreadsPlan* plan = nullptr;
  bool printed = false;

  void answered(unsigned i, std::size_t n) {
    if (printed || i >= waiting.size() || !waiting[i]) return;
    waiting[i] = false;
    total += n;
    if (--left > 0) return;
    printed = true;
    if (total == 0) return;
    std::string what = countOf(total, plan->one, plan->many) + plan->doing;
    std::fprintf(stderr, "evnode: stopping: %s (signal again to quit now)\n", what.c_str());
    std::fflush(stderr);
  }
};

}  // namespace

int runServerThreads(const ThreadsPlan& plan, const std::function<ServerThread()>& setup) {
  if (plan.threads < 0) {
    // One loop, on this thread, as before --threads existed.
    ServerThread t = setup();
    t.listen(plan.port, false, [&plan](const std::string& address, int port) {
      println(plan.readyLine(address, port));
    });
    auto inFlight = t.inFlight;
    onShutdownSignal(t.stop, [inFlight, &plan]() -> std::string {
      std::size_t n = inFlight ? inFlight() : 0;
      return n ? countOf(n, plan.one, plan.many) + plan.doing : std::string();
    });
    evnode::run();
    if (t.finish) t.finish();
    return 0;
  }

  const unsigned n = threadCount(plan.threads);
  std::promise<int> firstPort;
  std::shared_future<int> sharedPort = firstPort.get_future().share();
  std::atomic<unsigned> listening{0};
  // Thread i's server; touched only on thread i (setup, the posted stop and count, atExit).
  std::vector<ServerThread> servers(n);
  LoopHandle primary = Loop::current().handle();

  Report report;
  report.plan = &plan;
  report.waiting.assign(n, true);
  report.left = n;
  std::vector<bool> ended(n, false);
  process::SignalListenerPtr sigint, sigterm;
  TimeoutPtr reportTimer;

  cluster::Options o;
  o.threads = n;
  o.handleSignals = false;  // ours below: the stop report needs every thread's count
  o.threadExit = [&](unsigned i) {
    ended[i] = true;
    report.answered(i, 0);
  };
  // The signal listeners go in before any thread starts (a signal during the setups would
  // otherwise kill the process); one that comes before the cluster exists is applied at once.
  cluster::Cluster* group = nullptr;
  bool signalled = false;
  auto stopAll = [&] {
    group->stop();
    reportTimer = setTimeout(
        [&] {
          for (unsigned i = 0; i < n; ++i) {
            if (ended[i]) continue;
            group->post(i, [&, i] {
              std::size_t count = servers[i].inFlight ? servers[i].inFlight() : 0;
              primary.post([&, i, count] { report.answered(i, count); });
            });
          }
        },
        100);
    reportTimer->unref();
  };
  auto onSignal = [&] {
    if (signalled) process::exit(1);  // a second signal: give up on a graceful stop
    signalled = true;
    if (group) stopAll();
  };
  sigint = process::onSignal(SIGINT, onSignal);
  sigterm = process::onSignal(SIGTERM, onSignal);
  o.primary = [&](cluster::Cluster& g) {
    group = &g;
    if (signalled) stopAll();
  };
  cluster::run(o, [&](unsigned i) {
    servers[i] = setUp(setup);
    cluster::onStop([&, i] {
      if (servers[i].stop) servers[i].stop();
    });
    cluster::atExit([&, i] {
      if (servers[i].finish) servers[i].finish();
      servers[i] = ServerThread();  // its server goes with this thread's loop
    });
    int port = i == 0 ? plan.port : sharedPort.get();  // the others wait for the first's port
    servers[i].listen(port, true, [&, i, n](const std::string& address, int real) {
      if (i == 0) firstPort.set_value(real);
      if (listening.fetch_add(1) + 1 == n) println(plan.readyLine(address, real));
    });
  });
  if (sigint) sigint->close();
  if (sigterm) sigterm->close();
  if (reportTimer) clearTimeout(reportTimer);
  return 0;
}

}  // namespace evnode::cli
