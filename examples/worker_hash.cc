// worker_hash: a TCP server whose CPU-heavy work runs off its loop, twice: on a Worker (Node's
// worker_threads) and on the thread pool (queueWork, as Node's async crypto does). Node.js:
//
//   const worker = new Worker(`
//     const { parentPort } = require('worker_threads');
//     parentPort.on('message', (buf) => parentPort.postMessage(checksum(buf)));`, { eval: true });
//   net.createServer((socket) => {
//     socket.on('data', (buf) => {
//       worker.once('message', (sum) => socket.write(`worker: ${sum}\n`));
//       worker.postMessage(buf);
//     });
//   }).listen(4000, '127.0.0.1');
//
//   worker_hash [PORT]   (default 4000); try: echo hello | nc -q1 127.0.0.1 4000
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <evnode/evnode.h>
#include <evnode/net.h>
#include <evnode/worker_threads.h>

using namespace evnode;
namespace wt = evnode::worker_threads;

// A deliberately slow checksum: what must not run on the loop's thread.
std::uint64_t checksum(const Buffer& b) {
  std::uint64_t h = 1469598103934665603ull;
  for (int round = 0; round < 2000; ++round) {
    for (std::size_t i = 0; i < b.length(); ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
  return h;
}

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 4000;
  auto worker = wt::Worker::create([] {
    auto parent = wt::parentPort();
    parent->on(wt::MessagePort::Events::message, [raw = parent.get()](const wt::Value& v) {
      raw->postMessage(std::to_string(checksum(std::get<Buffer>(v))));
    });
  });
  worker->unref();  // the server decides when the program ends
  auto server = net::createServer([worker](const std::shared_ptr<net::Socket>& socket) {
    socket->on(net::Socket::Events::data, [worker, raw = socket.get()](const Buffer& chunk) {
      // On the worker: the answers come back in order, one per chunk.
      worker->once(wt::Worker::Events::message, [raw](const wt::Value& sum) {
        raw->write("worker: " + std::get<std::string>(sum) + "\n");
      });
      worker->postMessage(chunk);
      // On the thread pool: `done` runs back on this loop.
      auto sum = std::make_shared<std::uint64_t>();
      queueWork(
          [chunk, sum] { *sum = checksum(chunk); },
          [raw, sum](std::exception_ptr) { raw->write("pool: " + std::to_string(*sum) + "\n"); });
    });
    socket->on(net::Socket::Events::error, [](const Error&) {});
  });
  server->listen(port, "127.0.0.1", [server] {
    std::printf("listening on 127.0.0.1:%d\n", server->address().port);
    std::fflush(stdout);
  });
  evnode::run();
}
