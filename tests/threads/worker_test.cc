// worker_threads: Worker with messages both ways (Buffers moved, not copied), parentPort,
// workerData, terminate(), errors, MessageChannel between two workers, a worker serving TCP.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "evnode/net.h"
#include "evnode/worker_threads.h"
#include "support/testing.h"

namespace evnode::worker_threads {
namespace {

TEST(ThreadsWorker, MessagesBothWaysBuffersMovedNotCopiedThenExitZero) {
  EVNODE_WATCHDOG(30);
  constexpr int kMessages = 2000;
  std::vector<const std::uint8_t*> sentData;
  WorkerOptions wo;
  wo.workerData = std::string("config");
  wo.name = "echo-worker";
  auto worker = Worker::create(
      [] {
        EXPECT_FALSE(isMainThread());
        EXPECT_GT(threadId(), 0);
        EXPECT_EQ(std::get<std::string>(workerData()), "config");
        auto port = parentPort();
        ASSERT_TRUE(port);
        // Echo each message back; "bye" closes the port, which ends the worker's loop.
        port->on(MessagePort::Events::message, [raw = port.get()](const Value& v) {
          if (auto* s = std::get_if<std::string>(&v); s && *s == "bye") {
            raw->close();
            return;
          }
          raw->postMessage(v);
        });
      },
      wo);
  EXPECT_TRUE(isMainThread());
  EXPECT_FALSE(parentPort());
  int received = 0;
  bool sameBytes = true, movedNotCopied = true, online = false;
  int exitCode = -1;
  worker->on(Worker::Events::online, [&] { online = true; });
  worker->on(Worker::Events::message, [&](const Value& v) {
    const Buffer& b = std::get<Buffer>(v);
    if (b.toString() != "message " + std::to_string(received)) sameBytes = false;
    if (b.data() != sentData[static_cast<std::size_t>(received)]) movedNotCopied = false;
    if (++received == kMessages) worker->postMessage(std::string("bye"));
  });
  worker->on(Worker::Events::exit, [&](int code) { exitCode = code; });
  for (int i = 0; i < kMessages; ++i) {
    Buffer b = Buffer::from("message " + std::to_string(i));
    sentData.push_back(b.data());
    worker->postMessage(std::move(b));
  }
  run();  // the worker keeps this loop running until its exit
  EXPECT_TRUE(online);
  EXPECT_EQ(received, kMessages);
  EXPECT_TRUE(sameBytes);
  EXPECT_TRUE(movedNotCopied);
  EXPECT_EQ(exitCode, 0);
}

TEST(ThreadsWorker, TerminateStopsALoopThatWouldRunForeverExitCodeOne) {
  EVNODE_WATCHDOG(30);
  std::atomic<bool> started{false};
  auto worker = Worker::create([&] {
    setInterval([] {}, 1000);  // never cleared
    auto server = net::createServer();
    server->listen(0, "127.0.0.1");  // left open: the worker's Loop closes it
    started = true;
    parentPort()->postMessage(true);
  });
  int code = -1, cbCode = -1;
  worker->on(Worker::Events::message,
             [&](const Value&) { worker->terminate([&](int c) { cbCode = c; }); });
  worker->on(Worker::Events::exit, [&](int c) { code = c; });
  run();
  EXPECT_TRUE(started.load());
  EXPECT_EQ(code, 1);
  EXPECT_EQ(cbCode, 1);
}

TEST(ThreadsWorker, AThrowingFunctionEmitsErrorAndExitsOne) {
  EVNODE_WATCHDOG(30);
  auto worker = Worker::create([] { throw std::runtime_error("boom"); });
  std::string error;
  int code = -1;
  worker->on(Worker::Events::error, [&](const Error& e) { error = e.message; });
  worker->on(Worker::Events::exit, [&](int c) { code = c; });
  run();
  EXPECT_EQ(error, "boom");
  EXPECT_EQ(code, 1);
  EXPECT_THROW(Worker::create(nullptr), Exception);
}

// Two workers talk over a MessageChannel whose ends were sent to them: the pong comes from the
// second worker's thread straight to the first, which reports to the main thread.
TEST(ThreadsWorker, AMessageChannelBetweenTwoWorkers) {
  EVNODE_WATCHDOG(30);
  MessageChannel channel;
  auto a = Worker::create([] {
    auto parent = parentPort();
    parent->on(MessagePort::Events::message, [parent](const Value& v) {
      auto port = std::get<std::shared_ptr<MessagePort>>(v);
      port->on(MessagePort::Events::message, [parent, port](const Value& reply) {
        parent->postMessage(std::get<std::string>(reply) + " via A " + std::to_string(threadId()));
        port->close();
        parent->close();
      });
      port->postMessage(std::string("ping"));
    });
  });
  auto b = Worker::create([] {
    auto parent = parentPort();
    parent->on(MessagePort::Events::message, [parent](const Value& v) {
      auto port = std::get<std::shared_ptr<MessagePort>>(v);
      port->on(MessagePort::Events::message, [port](const Value& m) {
        port->postMessage(std::get<std::string>(m) + " pong from B " + std::to_string(threadId()));
      });
      port->on(MessagePort::Events::close, [parent] { parent->close(); });
    });
  });
  std::string got;
  int exits = 0;
  a->on(Worker::Events::message, [&](const Value& v) { got = std::get<std::string>(v); });
  for (auto* w : {a.get(), b.get()})
    w->on(Worker::Events::exit, [&](int c) {
      EXPECT_EQ(c, 0);
      ++exits;
    });
  a->postMessage(channel.port1);
  b->postMessage(channel.port2);
  channel.port1.reset();
  channel.port2.reset();
  run();
  EXPECT_EQ(got, "ping pong from B " + std::to_string(b->threadId()) + " via A " +
                     std::to_string(a->threadId()));
  EXPECT_EQ(exits, 2);
}

// A worker runs a TCP server on its own loop; the main thread's client talks to it.
TEST(ThreadsWorker, AWorkerServesTcpOnItsOwnLoop) {
  EVNODE_WATCHDOG(30);
  auto worker = Worker::create([] {
    auto server = net::createServer([](const std::shared_ptr<net::Socket>& s) {
      s->on(net::Socket::Events::data, [raw = s.get()](const Buffer& b) {
        raw->end(Buffer::from("worker says: " + b.toString()));
      });
    });
    server->listen(0, "127.0.0.1", [server] {
      parentPort()->postMessage(static_cast<double>(server->address().port));
    });
    parentPort()->on(MessagePort::Events::message, [server](const Value&) {
      server->close();
      parentPort()->close();
    });
  });
  std::string reply;
  worker->on(Worker::Events::message, [&](const Value& v) {
    auto c = net::connect(static_cast<int>(std::get<double>(v)), "127.0.0.1");
    c->on(net::Socket::Events::data, [&](const Buffer& b) { reply += b.toString(); });
    c->on(net::Socket::Events::end, [&] { worker->postMessage(std::monostate{}); });
    c->write("hello");
  });
  int code = -1;
  worker->on(Worker::Events::exit, [&](int c) { code = c; });
  run();
  EXPECT_EQ(reply, "worker says: hello");
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace evnode::worker_threads
