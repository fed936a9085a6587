// evnode/cluster.h — one process, N event loops: Node's `cluster`, with threads instead of
// processes.
//
// Node scales a server over the cores with `cluster.fork()`: N processes sharing a port. Here
// the same shape uses N threads, each running its own Loop with its own servers, sockets and
// timers; nothing is shared unless the program shares it (and then guards it itself). Each
// thread listens on its own socket for the same port with `reusePort` (SO_REUSEPORT), so the
// kernel spreads the connections (or, for UDP, the datagrams) over the threads, and a
// connection is served wholly by the thread that accepted it.
//
//   evnode::cluster::run({.threads = 0}, [](unsigned) {   // 0: one thread per core
//     auto server = evnode::http::createServer(handler);
//     server->listen({.port = 8080, .host = "0.0.0.0", .reusePort = true});
//     evnode::cluster::onStop([server] { server->close(); });
//   });
//
// The first SIGINT or SIGTERM calls every thread's onStop() functions on its own loop (stop
// accepting, let in-flight work finish); run() returns once every thread's loop has ended. A
// second signal ends the process at once with status 1.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "evnode/loop.h"

/// Several event loops in one process, one per thread (Node's cluster, with threads).
namespace evnode::cluster {

class Cluster;

/// How run() starts its threads.
struct Options {
  /// How many threads; 0: one per core (std::thread::hardware_concurrency()).
  unsigned threads = 0;
  /// The first SIGINT/SIGTERM calls Cluster::stop(); a second ends the process with status 1
  /// (process::exit(1)). Off: the program decides (from `primary`, say).
  bool handleSignals = true;
  /// Runs on the calling thread once every thread's loop exists, before that thread's own
  /// loop runs: where a program installs its own signal handling or watches the threads.
  std::function<void(Cluster&)> primary;
  /// Runs on the calling thread after thread `index`'s loop has ended (its setup threw, or
  /// its run() returned).
  std::function<void(unsigned index)> threadExit;
};

/// The threads started by run(), as seen from any thread.
class Cluster {
 public:
  /// How many threads run() started.
  unsigned size() const { return static_cast<unsigned>(loops_.size()); }
  /// Thread-safe: runs every thread's onStop() functions, each on its own loop, once (later
  /// calls do nothing).
  void stop();
  /// Whether stop() was called.
  bool stopping() const;
  /// Thread-safe: runs `fn` on thread `index`'s loop (LoopHandle::post); false when that loop
  /// is gone. Throws Exception(ERR_OUT_OF_RANGE) for an index past size().
  bool post(unsigned index, std::function<void()> fn) const;
  /// Thread `index`'s loop, to post to from anywhere.
  const LoopHandle& loop(unsigned index) const;

  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  ~Cluster();

 private:
  friend void run(const Options&, std::function<void(unsigned)>);
  Cluster();
  struct State;
  std::vector<LoopHandle> loops_;
  std::unique_ptr<State> state_;
};

/// Starts the threads; each runs `setup(index)` (0 .. threads-1) on its own new Loop, then that
/// loop until nothing referenced remains. Meanwhile the calling thread runs its own loop
/// (signal handling, Options::primary). Returns once every thread has ended and been joined.
/// An exception thrown by a setup stops the other threads and is rethrown here. Throws
/// Exception(ERR_INVALID_ARG_TYPE) for an empty `setup`.
void run(const Options& options, std::function<void(unsigned index)> setup);

/// On a thread started by run() (its setup, or any callback on its loop): registers what this
/// thread does at Cluster::stop() — close its servers, let idle connections go. Functions run
/// on this thread, in the order registered. Throws Exception(ERR_INVALID_STATE) on a thread
/// run() did not start.
void onStop(std::function<void()> fn);

/// On a thread started by run(): `fn` runs on this thread once its loop has ended (or its setup
/// threw), while the thread's Loop still exists — where per-thread state that holds this loop's
/// objects is released, rather than by a thread-local destructor that may run after the Loop is
/// gone. Throws Exception(ERR_INVALID_STATE) on a thread run() did not start.
void atExit(std::function<void()> fn);

/// The calling thread's index in run() (0 .. threads-1), or -1 on any other thread.
int threadIndex();

}  // namespace evnode::cluster
