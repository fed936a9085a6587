// bench_await_allocs: what co_await costs in memory. Counts heap allocations (a replaced global
// operator new) per await of the common operations, the size of a Task's coroutine frame, and
// the extra allocations per request of a coroutine request handler over a callback one (same
// client, same server code otherwise).
//
//   bench_await_allocs
#include <evnode/evnode.h>

// GCC sees free() paired with the replaced operator new below as a mismatch; it is the pair.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

using namespace evnode;

namespace {
std::atomic<std::uint64_t> allocs{0};
std::size_t lastSize = 0;
}  // namespace

void* operator new(std::size_t n) {
  allocs.fetch_add(1, std::memory_order_relaxed);
  lastSize = n;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

namespace tp = timers::promises;
constexpr int kN = 10000;

Task<int> leaf(int x) { co_return x + 1; }

struct Ping : EventEmitter {
  struct Events : EventEmitter::Events {
    static constexpr Event<int> ping{"ping"};
  };
};

template <class F>
double perAwait(const char* what, F body) {
  auto t = [&]() -> Task<void> {
    co_await body();  // warm-up: pools, first-use allocations
    std::uint64_t a0 = allocs.load();
    for (int i = 0; i < kN; ++i) co_await body();
    double per = static_cast<double>(allocs.load() - a0) / kN;
    std::printf("%-52s %6.2f allocations per await\n", what, per);
  };
  run(t());
  return 0;
}

// Requests per allocation count: `n` sequential GETs on one keep-alive connection.
double allocsPerRequest(const std::shared_ptr<http::Server>& server, int n) {
  server->listen(0, "127.0.0.1");
  std::string url = "http://127.0.0.1:" + std::to_string(server->address().port) + "/";
  std::uint64_t a0 = 0;
  auto client = [&]() -> Task<void> {
    for (int i = 0; i < n + 100; ++i) {
      if (i == 100) a0 = allocs.load();  // after the warm-up
      http::FetchResponse r = co_await http::fetch(url);
      co_await r.buffer();
    }
    server->close();
    server->closeIdleConnections();
  };
  run(client());
  return static_cast<double>(allocs.load() - a0) / n;
}

}  // namespace

int main() {
  std::uint64_t a0 = allocs.load();
  {
    Task<int> t = leaf(1);
    // The first frame of a size class is fresh from the heap, rounded up to its 32-byte class
    // (the thread's cache of that class may be made with it).
    std::printf("%-52s %6zu bytes (its size class; %llu heap allocations the first time)\n",
                "Task<int> frame of a one-line coroutine", lastSize,
                static_cast<unsigned long long>(allocs.load() - a0));
  }
  perAwait("co_await a Task that finishes at once", []() -> Task<void> { co_await leaf(1); });
  perAwait("co_await timers::promises::setImmediate()",
           []() -> Task<void> { co_await tp::setImmediate(); });
  Ping ping;
  perAwait("co_await events::once(ee, ev) (emitted from a tick)", [&]() -> Task<void> {
    nextTick([&] { ping.emit(Ping::Events::ping, 1); });
    co_await events::once(ping, Ping::Events::ping);
  });
  WritableOptions wo;
  wo.write = [](Writable&, const Buffer&, WriteCallback cb) { cb(); };
  auto sink = std::make_shared<Writable>(wo);
  Buffer chunk = Buffer::from("x");
  perAwait("co_await stream::promises::write(w, b) (no drain)",
           [&]() -> Task<void> { co_await stream::promises::write(*sink, chunk); });
  // The Task frame of each loop body is in the numbers above: it comes from the thread's frame
  // lists, so it adds none.

  auto cb = http::createServer(
      [](const http::RequestPtr&, const http::ResponsePtr& res) { res->end("Hello HTTP"); });
  double perCb = allocsPerRequest(cb, 2000);
  auto co =
      http::createServer([](const http::RequestPtr&, const http::ResponsePtr& res) -> Task<void> {
        res->end("Hello HTTP");
        co_return;
      });
  double perCo = allocsPerRequest(co, 2000);
  std::printf("%-52s %6.2f allocations (callback handler: %.2f, both sides and fetch)\n",
              "per request, coroutine handler", perCo, perCb);
  std::printf("%-52s %6.2f\n", "extra allocations per request of a coroutine handler",
              perCo - perCb);
}
