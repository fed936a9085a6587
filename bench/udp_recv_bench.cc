// Receive throughput of one dgram::Socket, with and without recvmmsg batching: a sender thread
// (pinned to CPU 0) floods 127.0.0.1 with SIZE-byte datagrams through sendmmsg for SECONDS, the
// socket (its loop pinned to CPU 1) counts what arrives. Each mode runs RUNS times, alternating.
//   udp_recv_bench [SECONDS=3] [SIZE=64] [RUNS=3]
// Prints one line per run: mode, datagrams received per second, and what the kernel dropped
// (sent - received), then the median ratio batched / one-at-a-time.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include <evnode/dgram.h>
#include <evnode/loop.h>

using namespace evnode;

namespace {

void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);  // best effort
}

struct Result {
  double pps;
  long received, sent;
};

Result runOnce(bool batched, int seconds, std::size_t size) {
  dgram::SocketOptions o;
  o.recvmmsg = batched;
  o.recvBufferSize = 4 << 20;
  auto sock = dgram::createSocket(o);
  long received = 0;
  sock->on(dgram::Socket::Events::message,
           [&](const Buffer&, const dgram::RemoteInfo&) { ++received; });
  bool listening = false;
  sock->bind(0, "127.0.0.1", [&] { listening = true; });
  while (!listening) {
    auto t = setTimeout([] {}, 5);
    Loop::current().runOnce();
    clearTimeout(t);
  }
  int port = sock->address().port;

  std::atomic<bool> stop{false};
  std::atomic<long> sent{0};
  std::thread sender([&] {
    pin(0);
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
    std::vector<char> payload(size, 'x');
    std::vector<iovec> iov(64);
    std::vector<mmsghdr> msgs(64);
    for (int i = 0; i < 64; ++i) {
      iov[i] = {payload.data(), size};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    while (!stop.load(std::memory_order_relaxed)) {
      int n = sendmmsg(fd, msgs.data(), 64, 0);
      if (n > 0) sent += n;
    }
    ::close(fd);
  });
  auto t0 = std::chrono::steady_clock::now();
  long atStart = received;
  auto done = setTimeout([&] { sock->close(); }, static_cast<std::uint64_t>(seconds) * 1000);
  evnode::run();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stop = true;
  sender.join();
  long got = received - atStart;
  return {got / secs, got, sent.load()};
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 3;
  std::size_t size = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;
  int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  pin(1);
  std::vector<double> on, off;
  for (int i = 0; i < runs; ++i) {
    for (bool batched : {true, false}) {
      Result r = runOnce(batched, seconds, size);
      std::printf("%-10s run %d: %.0f datagrams/s received (%ld of %ld sent; %ld dropped)\n",
                  batched ? "recvmmsg" : "recvmsg", i + 1, r.pps, r.received, r.sent,
                  r.sent - r.received);
      std::fflush(stdout);
      (batched ? on : off).push_back(r.pps);
    }
  }
  std::sort(on.begin(), on.end());
  std::sort(off.begin(), off.end());
  double a = on[on.size() / 2], b = off[off.size() / 2];
  std::printf("median: recvmmsg %.0f/s, recvmsg %.0f/s, ratio %.2fx\n", a, b, a / b);
}
