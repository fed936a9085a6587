// stream::consumers, stream::iterator and stream::promises (write, finished, pipeline), over
// in-memory streams and real sockets.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "evnode/evnode.h"
#include "support/testing.h"

namespace evnode {
namespace {

namespace tp = timers::promises;
namespace sp = stream::promises;

// A Readable producing `n` chunks of `size` bytes ('a' + i), one per _read, and counting reads.
struct Counter : Readable {
  int n, produced = 0;
  std::size_t size;
  static ReadableOptions options(std::size_t size) {
    ReadableOptions o;
    o.highWaterMark = 4 * size;
    return o;
  }
  Counter(int n, std::size_t size) : Readable(options(size)), n(n), size(size) {}
  void _read(std::size_t) override {
    if (produced == n) {
      push(nullptr);
      return;
    }
    push(std::string(size, static_cast<char>('a' + produced % 26)));
    ++produced;
  }
};

TEST(StreamPromisesTest, ConsumersReadTheWholeStream) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<void> {
    std::vector<Buffer> parts{Buffer::from("ab"), Buffer::from("cd"), Buffer::from("\xc3\xa9")};
    auto r = readableFrom(parts);
    EXPECT_EQ(co_await stream::consumers::text(r), "abcd\xc3\xa9");
    auto c = std::make_shared<Counter>(3, 5);
    Buffer b = co_await stream::consumers::buffer(*c);  // the Readable& form
    EXPECT_EQ(b.toString(), "aaaaabbbbbccccc");
    // Already ended: nothing more.
    EXPECT_EQ((co_await stream::consumers::buffer(*c)).size(), 0u);
    // An error is thrown.
    auto failing = std::make_shared<PassThrough>();
    failing->write(Buffer::from("x"));
    setTimeout([failing] { failing->destroy(Error("EBOOM", "boom")); }, 5);
    try {
      co_await stream::consumers::text(failing);
      ADD_FAILURE() << "no exception";
    } catch (const SystemError& e) {
      EXPECT_EQ(e.error().code, "EBOOM");
    }
    // A close before the end is a premature close.
    auto cut = std::make_shared<PassThrough>();
    setTimeout([cut] { cut->destroy(); }, 5);
    auto r2 = co_await stream::consumers::text(cut).result();
    EXPECT_EQ(r2.error().code, "ERR_STREAM_PREMATURE_CLOSE");
    EXPECT_EQ(cut->listenerCount(Readable::Events::data), 0u);
  };
  run(amain());
}

TEST(StreamPromisesTest, IteratorReadsChunkByChunkWithBackpressure) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<void> {
    auto c = std::make_shared<Counter>(50, 1000);
    std::string got;
    int maxAhead = 0, consumed = 0;
    auto it = stream::iterator(c);
    while (auto chunk = co_await it.next()) {
      got += chunk->toString();
      ++consumed;
      maxAhead = std::max(maxAhead, c->produced - static_cast<int>(got.size() / 1000));
      co_await tp::setImmediate();  // a slow consumer
    }
    EXPECT_EQ(got.size(), 50000u);
    EXPECT_EQ(got.substr(0, 3), "aaa");
    EXPECT_EQ(got.substr(49997), "xxx");
    // The producer never ran far ahead of the consumer: the high-water mark held (4 chunks,
    // plus the one being read).
    EXPECT_LE(maxAhead, 6);
    EXPECT_FALSE(c->destroyed() && !c->readableEnded());
  };
  run(amain());
}

TEST(StreamPromisesTest, BreakingOutDestroysTheStream) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<void> {
    auto c = std::make_shared<Counter>(100, 10);
    {
      auto it = stream::iterator(c);
      auto first = co_await it.next();
      EXPECT_TRUE(first.has_value());
    }  // the generator is gone: Node's `break`
    EXPECT_TRUE(c->destroyed());
    EXPECT_EQ(c->listenerCount(Readable::Events::readable), 0u);
    auto keep = std::make_shared<Counter>(100, 10);
    {
      stream::IteratorOptions o{.destroyOnReturn = false};
      auto it = stream::iterator(keep, o);
      co_await it.next();
    }
    EXPECT_FALSE(keep->destroyed());
  };
  run(amain());
}

TEST(StreamPromisesTest, IteratorAbortAndErrors) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<void> {
    auto idle = std::make_shared<PassThrough>();
    AbortController ac;
    stream::IteratorOptions o{.signal = ac.signal()};
    auto it = stream::iterator(idle, o);
    setTimeout([&] { ac.abort(); }, 10);
    try {
      co_await it.next();
      ADD_FAILURE() << "no exception";
    } catch (const AbortError& e) {
      EXPECT_EQ(e.code(), "ABORT_ERR");
    }
    EXPECT_TRUE(idle->destroyed());
    auto bad = std::make_shared<PassThrough>();
    auto it2 = stream::iterator(bad);
    setTimeout([bad] { bad->destroy(Error("EBAD", "bad")); }, 10);
    try {
      co_await it2.next();
      ADD_FAILURE() << "no exception";
    } catch (const SystemError& e) {
      EXPECT_EQ(e.error().code, "EBAD");
    }
    auto cut = std::make_shared<PassThrough>();
    auto it3 = stream::iterator(cut);
    setTimeout([cut] { cut->destroy(); }, 10);
    try {
      co_await it3.next();
      ADD_FAILURE() << "no exception";
    } catch (const SystemError& e) {
      EXPECT_EQ(e.error().code, "ERR_STREAM_PREMATURE_CLOSE");
    }
    EXPECT_EQ(ac.signal()->listenerCount(AbortSignal::Events::abort), 0u);
  };
  run(amain());
}

TEST(StreamPromisesTest, IteratorOverASocket) {
  EVNODE_WATCHDOG(10);
  auto server = net::createServer([](const std::shared_ptr<net::Socket>& s) {
    std::string big(200000, 'k');
    s->end(big);
  });
  server->listen(0, "127.0.0.1");
  int port = server->address().port;
  auto amain = [&]() -> Task<void> {
    auto sock = co_await net::promises::connect(port, "127.0.0.1");
    std::size_t n = 0;
    auto it = stream::iterator(sock);
    while (auto c = co_await it.next()) n += c->size();
    EXPECT_EQ(n, 200000u);
    server->close();
  };
  run(amain());
}

TEST(StreamPromisesTest, WriteWaitsForDrainOnlyWhenNeeded) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<void> {
    int writes = 0;
    std::vector<WriteCallback> held;
    WritableOptions wo;
    wo.highWaterMark = 10;
    wo.write = [&](Writable&, const Buffer&, WriteCallback cb) {
      ++writes;
      setTimeout([cb] { cb(); }, 2);
    };
    auto w = std::make_shared<Writable>(wo);
    co_await sp::write(*w, "12345");  // under the mark: no wait
    EXPECT_FALSE(w->writableNeedDrain());
    co_await sp::write(*w, "1234567890ab");  // over it: resumes after drain
    EXPECT_FALSE(w->writableNeedDrain());
    EXPECT_EQ(writes, 2);
    w->end();
    co_await sp::finished(w);
    EXPECT_TRUE(w->writableFinished());
    auto r = co_await sp::write(*w, "late").result();
    EXPECT_EQ(r.error().code, "ERR_STREAM_DESTROYED");
  };
  run(amain());
}

TEST(StreamPromisesTest, PipelineAndItsAbort) {
  EVNODE_WATCHDOG(10);
  auto amain = []() -> Task<void> {
    std::string out;
    WritableOptions wo;
    wo.write = [&](Writable&, const Buffer& b, WriteCallback cb) {
      out += b.toString();
      cb();
    };
    auto sink = std::make_shared<Writable>(wo);
    std::vector<Buffer> xy{Buffer::from("x"), Buffer::from("y")};
    co_await sp::pipeline(readableFrom(xy), std::make_shared<PassThrough>(), sink);
    EXPECT_EQ(out, "xy");
    auto stuck = std::make_shared<PassThrough>();
    auto dest = std::make_shared<PassThrough>();
    AbortController ac;
    sp::StreamOptions o{.signal = ac.signal()};
    setTimeout([&] { ac.abort(); }, 10);
    try {
      std::vector<std::shared_ptr<Stream>> both{stuck, dest};
      co_await sp::pipeline(both, o);
      ADD_FAILURE() << "no exception";
    } catch (const AbortError& e) {
      EXPECT_EQ(e.code(), "ABORT_ERR");
    }
    EXPECT_TRUE(stuck->destroyed());
    EXPECT_TRUE(dest->destroyed());
  };
  run(amain());
}

// The pattern tests/task/helpers/pipeline_stdout.cc writes: `bytes` of 'a' + i % 26.
std::string stdoutPattern(std::size_t bytes) {
  std::string s;
  for (std::size_t i = 0; i < bytes; ++i) s.push_back(static_cast<char>('a' + i % 26));
  return s;
}

// A pipeline into process::stdout() (which a pipe never ends) completes once the source's bytes
// are out, awaited or with the callback, and stdout stays open for what follows. The child's
// stdout is a pipe; 1 MiB + 5 is more than the pipe takes at once, so the end waits for libuv's
// queued writes, and 0 bytes is a source that ends at once.
TEST(StreamPromisesTest, PipelineIntoStdoutCompletesAndLeavesItOpen) {
  EVNODE_WATCHDOG(60);
  const std::string helper = testing::binDir() + "/test_helpers/pipeline_stdout";
  for (std::string mode : {"promise", "callback"}) {
    for (std::size_t bytes : {std::size_t{0}, std::size_t{5}, std::size_t{1048581}}) {
      testing::ProcResult r = testing::runProcess({helper, mode, std::to_string(bytes)}, "", 20);
      EXPECT_FALSE(r.timedOut) << mode << " " << bytes;
      EXPECT_EQ(r.status, 0) << mode << " " << bytes << ": " << r.err;
      EXPECT_EQ(r.out.size(), bytes + 6) << mode << " " << bytes;
      EXPECT_TRUE(r.out == stdoutPattern(bytes) + "|after") << mode << " " << bytes;
      EXPECT_EQ(r.err, "") << mode << " " << bytes;
    }
  }
  // A source that fails: the pipeline rejects with its error instead of waiting for stdout.
  testing::ProcResult failing = testing::runProcess({helper, "failing"}, "", 20);
  EXPECT_FALSE(failing.timedOut);
  EXPECT_EQ(failing.status, 0) << failing.err;
  EXPECT_EQ(failing.out, "abc");
  EXPECT_EQ(failing.err, "rejected EFAKE\n");
}

}  // namespace
}  // namespace evnode
