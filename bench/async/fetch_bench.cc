// bench_fetch: HTTP client requests/s through the global keep-alive Agent, `fetch` in 64
// concurrent coroutines against the callback client (http::get with 64 requests in flight),
// on one URL for a number of seconds. Prints "requests_per_sec N cpu_s C".
//
//   bench_fetch fetch|callback URL [CONCURRENCY] [SECONDS]
#include <evnode/evnode.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

using namespace evnode;
using Clock = std::chrono::steady_clock;

namespace {

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::uint64_t done = 0, failed = 0;
Clock::time_point deadline;

Task<void> fetchLoop(std::string url) {
  while (Clock::now() < deadline) {
    try {
      http::FetchResponse r = co_await http::fetch(url);
      co_await r.buffer();
      ++done;
    } catch (const std::exception&) {
      ++failed;
    }
  }
}

void callbackLoop(const std::string& url) {
  if (Clock::now() >= deadline) return;
  auto req = http::get(url, [url](const http::IncomingMessagePtr& res) {
    res->on(http::IncomingMessage::Events::data, [](const Buffer&) {});
    res->on(http::IncomingMessage::Events::end, [url] {
      ++done;
      callbackLoop(url);
    });
  });
  req->on(http::ClientRequest::Events::error, [url](const Error&) {
    ++failed;
    callbackLoop(url);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || (std::strcmp(argv[1], "fetch") != 0 && std::strcmp(argv[1], "callback") != 0)) {
    std::fprintf(stderr, "usage: bench_fetch fetch|callback URL [CONCURRENCY] [SECONDS]\n");
    return 2;
  }
  bool coroutines = std::strcmp(argv[1], "fetch") == 0;
  std::string url = argv[2];
  int conc = argc > 3 ? std::atoi(argv[3]) : 64;
  double secs = argc > 4 ? std::atof(argv[4]) : 5;
  auto t0 = Clock::now();
  deadline = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(secs));
  double c0 = cpuSeconds();
  for (int i = 0; i < conc; ++i) {
    if (coroutines) {
      spawn(fetchLoop(url));
    } else {
      callbackLoop(url);
    }
  }
  run();
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("requests_per_sec %.0f cpu_s %.3f failed %llu\n", done / wall, cpuSeconds() - c0,
              static_cast<unsigned long long>(failed));
  return failed ? 1 : 0;
}
