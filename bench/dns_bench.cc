// DNS client throughput: resolve4 of one name through one server, keeping N queries in flight,
// on evnode's c-ares resolver. Prints one line:
//   queries=Q seconds=S qps=X errors=E cpu_s=C qps_per_cpu_s=Y
// Usage: dns_bench SERVER[:PORT] [NAME=bench.test] [QUERIES=200000] [INFLIGHT=100]
// bench/dns_bench.sh runs it next to the same load on Node.js's dns.Resolver.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <evnode/dns.h>
#include <evnode/loop.h>

using namespace evnode;

namespace {
double cpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: dns_bench SERVER[:PORT] [NAME] [QUERIES] [INFLIGHT]\n");
    return 2;
  }
  std::string name = argc > 2 ? argv[2] : "bench.test";
  long total = argc > 3 ? std::atol(argv[3]) : 200000;
  long inflight = argc > 4 ? std::atol(argv[4]) : 100;

  dns::Resolver resolver({.timeout = 2000, .tries = 1});
  resolver.setServers({argv[1]});
  long issued = 0, done = 0, errors = 0;
  std::function<void()> next = [&] {
    ++issued;
    resolver.resolve4(name, [&](const Error& err, const std::vector<std::string>& addresses) {
      ++done;
      if (err || addresses.empty()) ++errors;
      if (issued < total) next();
    });
  };
  double cpu0 = cpuSeconds();
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < inflight && issued < total; ++i) next();
  evnode::run();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = cpuSeconds() - cpu0;
  std::printf("queries=%ld seconds=%.3f qps=%.1f errors=%ld cpu_s=%.3f qps_per_cpu_s=%.1f\n", done,
              secs, done / secs, errors, cpu, cpu > 0 ? done / cpu : 0.0);
  return errors == 0 ? 0 : 1;
}
