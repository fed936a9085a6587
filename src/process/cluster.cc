// cluster::run: N threads, each with its own Loop, stopped together on a signal.
#include "evnode/cluster.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <exception>
#include <latch>
#include <mutex>
#include <thread>

#include "core/post.h"
#include "evnode/error.h"
#include "evnode/process.h"

namespace evnode::cluster {

namespace {
// What a thread started by run() keeps while its loop runs (on its thread's stack).
struct ThreadContext {
  unsigned index = 0;
  std::vector<std::function<void()>> stops;
  std::vector<std::function<void()>> exits;  // atExit()
  bool stopped = false;  // stop() reached this thread: later onStop() functions run at once
};
thread_local ThreadContext* current = nullptr;  // trivially destructible
thread_local int currentIndex = -1;
}  // namespace

struct Cluster::State {
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::exception_ptr firstError;  // guarded by mutex
};

Cluster::Cluster() : state_(std::make_unique<State>()) {}
Cluster::~Cluster() = default;

void Cluster::stop() {
  if (state_->stopping.exchange(true)) return;
  for (const auto& loop : loops_) {
    loop.post([] {
      ThreadContext* ctx = current;
      if (!ctx || ctx->stopped) return;
      ctx->stopped = true;
      // A stop function may register another: take them as a batch.
      auto fns = std::move(ctx->stops);
      ctx->stops.clear();
      for (auto& fn : fns) fn();
    });
  }
}

bool Cluster::stopping() const { return state_->stopping.load(); }

const LoopHandle& Cluster::loop(unsigned index) const {
  if (index >= loops_.size()) {
    throw Exception("ERR_OUT_OF_RANGE", "cluster: no thread " + std::to_string(index) + " (of " +
                                            std::to_string(loops_.size()) + ")");
  }
  return loops_[index];
}

bool Cluster::post(unsigned index, std::function<void()> fn) const {
  return loop(index).post(std::move(fn));
}

void onStop(std::function<void()> fn) {
  ThreadContext* ctx = current;
  if (!ctx) {
    throw Exception("ERR_INVALID_STATE",
                    "cluster::onStop: not on a thread started by cluster::run");
  }
  if (ctx->stopped) {
    fn();  // registered after the stop reached this thread (a server made by a late callback)
    return;
  }
  ctx->stops.push_back(std::move(fn));
}

void atExit(std::function<void()> fn) {
  ThreadContext* ctx = current;
  if (!ctx) {
    throw Exception("ERR_INVALID_STATE",
                    "cluster::atExit: not on a thread started by cluster::run");
  }
  ctx->exits.push_back(std::move(fn));
}

int threadIndex() { return currentIndex; }

void run(const Options& options, std::function<void(unsigned)> setup) {
  if (!setup) throw Exception("ERR_INVALID_ARG_TYPE", "cluster::run: setup must be a function");
  unsigned n = options.threads;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());

  Cluster cluster;
  cluster.loops_.resize(n);
  LoopHandle primary = Loop::current().handle();
  unsigned alive = n;
  process::SignalListenerPtr sigint, sigterm;
  // The primary's loop runs until every thread has ended, whatever else it has.
  detail::keepLoopAlive(1);
  auto ended = [&](unsigned index) {
    if (options.threadExit) options.threadExit(index);
    if (--alive > 0) return;
    if (sigint) sigint->close();
    if (sigterm) sigterm->close();
    detail::keepLoopAlive(-1);
  };

  // Listening before any thread starts: a signal that comes while they set up stops them too.
  bool signalled = false;
  if (options.handleSignals) {
    auto onSignal = [&cluster, &signalled] {
      if (signalled) process::exit(1);  // a second signal: give up on a graceful stop
      signalled = true;
      cluster.stop();
    };
    sigint = process::onSignal(SIGINT, onSignal);
    sigterm = process::onSignal(SIGTERM, onSignal);
  }
  std::latch loopsMade(n);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ThreadContext ctx;
      ctx.index = i;
      cluster.loops_[i] = Loop::current().handle();
      loopsMade.count_down();
      loopsMade.wait();  // every handle is published before any setup can stop() the rest
      current = &ctx;
      currentIndex = static_cast<int>(i);
      try {
        setup(i);
        Loop::current().run();
      } catch (...) {
        {
          std::lock_guard<std::mutex> lock(cluster.state_->mutex);
          if (!cluster.state_->firstError) cluster.state_->firstError = std::current_exception();
        }
        cluster.stop();
      }
      // What the stop and exit functions hold goes now, while this thread's Loop still exists.
      ctx.stops.clear();
      for (auto& fn : ctx.exits) fn();
      ctx.exits.clear();
      current = nullptr;
      primary.post([&ended, i] { ended(i); });
      // Returning destroys this thread's Loop (thread exit), which closes what is still open.
    });
  }
  loopsMade.wait();

  std::exception_ptr primaryError;
  try {
    if (options.primary) options.primary(cluster);
  } catch (...) {
    primaryError = std::current_exception();
    cluster.stop();
  }
  // Round again if something called stop() on this loop while threads still run.
  while (alive > 0) Loop::current().run();
  for (auto& t : threads) t.join();
  if (primaryError) std::rethrow_exception(primaryError);
  if (cluster.state_->firstError) std::rethrow_exception(cluster.state_->firstError);
}

}  // namespace evnode::cluster
