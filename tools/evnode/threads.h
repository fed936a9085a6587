// `--threads N` for the server subcommands (../shared/CLI.md): N event loops on N threads, each
// listening on its own socket for the same port (SO_REUSEPORT), one ready line once every
// thread listens, and the stop rule of onShutdownSignal() over all of them.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "evnode/net.h"
#include "tools/evnode/cli.h"

namespace evnode::cli {

// Called once a thread's server listens: the bound address and port.
using Listening = std::function<void(const std::string& address, int port)>;

// One thread's server, made on that thread by the subcommand's setup function.
struct ServerThread {
  // Listens on `port` (SO_REUSEPORT when `reusePort`) and calls `listening(address, port)`
  // with the bound address once it does; a failure ends the process with the one-line error
  // (die()).
  std::function<void(int port, bool reusePort, Listening listening)> listen;
  // The first SIGINT/SIGTERM: stop accepting, let idle connections go (see onShutdownSignal).
  std::function<void()> stop;
  // What is still in progress on this thread after the stop (null: nothing to report).
  std::function<std::size_t()> inFlight;
  // Runs on this thread once its loop has ended, while the loop still exists: flushes and
  // frees what the thread kept (a log batch, a table of connections).
  std::function<void()> finish;
};

struct ThreadsPlan {
  // --threads: -1 when not given (one loop on the main thread, no SO_REUSEPORT, exactly as
  // before); 0 for one per core; else the count. Given at all, every listening socket sets
  // SO_REUSEPORT, so a second server started with --threads on the same port shares it (a
  // restart without downtime) instead of failing with EADDRINUSE.
  long threads = -1;
  int port = 0;  // the first thread's; the others bind the port it got (--port 0 included)
  std::function<std::string(const std::string& address, int port)> readyLine;
  // The stop report: "3 transfers in flight" is countOf(n, one, many) + doing.
  const char* one = "connection";
  const char* many = "connections";
  const char* doing = " in flight";
};

// Reads `--threads N` (0..1024; -1 when absent).
long threadsOption(Args& args);
// How many loops runServerThreads runs for that value: 1 when absent, the cores for 0.
unsigned threadCount(long threads);

// Runs the server on plan.threads loops: `setup` runs on each thread and returns its server;
// the runner listens with it, prints plan.readyLine(address, port) once every thread listens, and
// stops every thread on SIGINT/SIGTERM (second signal: exit 1). Returns 0 once every thread's loop
// has drained. Any server subcommand can use it (serve, echo, udp listen, ws echo).
int runServerThreads(const ThreadsPlan& plan, const std::function<ServerThread()>& setup);

// ServerThread::listen for a net::Server (TCP on host:port, or the Unix socket `unixPath`,
// which only one thread can own: runServerThreads refuses --threads above 1 with it).
std::function<void(int, bool, Listening)> listenServer(const std::shared_ptr<net::Server>& server,
                                                       const std::string& host,
                                                       const std::string& unixPath = "");

}  // namespace evnode::cli
