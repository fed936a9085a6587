// bench_fetch: HTTP client requests/s through the global keep-alive Agent, `fetch` in 64
// concurrent coroutines against the callback client (http::get with 64 requests in flight),
// on one URL for a number of seconds (or until REQUESTS have been made: for callgrind, which
// counts instructions per request whatever else runs on the machine). Prints
// "requests_per_sec N cpu_s C requests R".
//
//   bench_fetch fetch|callback URL [CONCURRENCY] [SECONDS] [REQUESTS]
#include <evnode/evnode.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace evnode;
using Clock = std::chrono::steady_clock;

namespace {

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::uint64_t done = 0, failed = 0, started = 0, limit = UINT64_MAX;
Clock::time_point deadline;

// Whether another request may start.
bool more() { return Clock::now() < deadline && started++ < limit; }

Task<void> fetchLoop(std::string url) {
  while (more()) {
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
  if (!more()) return;
  // The same work as the fetch loop: the body is collected whole.
  auto req = http::get(url, [url](const http::IncomingMessagePtr& res) {
    auto chunks = std::make_shared<std::vector<Buffer>>();
    res->on(http::IncomingMessage::Events::data,
            [chunks](const Buffer& b) { chunks->push_back(b); });
    res->on(http::IncomingMessage::Events::end, [url, chunks] {
      Buffer all = Buffer::concat(*chunks);
      if (!all.empty()) ++done;
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
  if (argc > 5) limit = std::strtoull(argv[5], nullptr, 10);
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
  std::printf("requests_per_sec %.0f cpu_s %.3f requests %llu failed %llu\n", done / wall,
              cpuSeconds() - c0, static_cast<unsigned long long>(done),
              static_cast<unsigned long long>(failed));
  return failed ? 1 : 0;
}
