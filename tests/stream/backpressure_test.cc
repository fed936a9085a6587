// Backpressure end to end: a fast producer piped into a deliberately slow consumer must keep the
// buffered bytes near highWaterMark for the whole transfer, and deliver every byte in order.
//
// The main test moves 1 GiB; no copy is made on the way (zero-copy Buffers), so it takes a few
// seconds even under ASan and the full size runs in every build.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "evnode/loop.h"
#include "evnode/stream.h"
#include "support/testing.h"

namespace evnode {
namespace {

constexpr std::uint64_t kBigTotal = 1ull << 30;
constexpr std::size_t kChunk = 64 * 1024;

class BackpressureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setUncaughtErrorHandler(
        [](const Error& e) { ADD_FAILURE() << "uncaught error: " << e.code << " " << e.message; });
  }
  void TearDown() override { setUncaughtErrorHandler(nullptr); }
};

// Produces `total` bytes in kChunk chunks, as fast as push() allows: each chunk starts with its
// sequence number so the consumer can check order.
std::shared_ptr<Readable> generator(std::uint64_t total, std::size_t hwm, std::uint64_t* reads) {
  ReadableOptions o;
  o.highWaterMark = hwm;
  auto produced = std::make_shared<std::uint64_t>(0);
  o.read = [total, produced, reads](Readable& r, std::size_t) {
    ++*reads;
    while (*produced < total) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, total - *produced));
      Buffer b = Buffer::allocUnsafe(n);
      std::uint64_t seq = *produced / kChunk;
      std::memcpy(b.data(), &seq, sizeof seq);
      *produced += n;
      if (!r.push(std::move(b))) return;  // full: wait for the next _read
    }
    r.push(nullptr);
  };
  return std::make_shared<Readable>(std::move(o));
}

struct SlowSink {
  std::uint64_t bytes = 0;
  std::uint64_t writes = 0;
  std::uint64_t nextSeq = 0;
  bool orderOk = true;
  std::size_t maxBuffered = 0;
  std::function<std::size_t()> buffered;  // sampled at every write
};

// Completes every write later: on the next loop turn (setImmediate), or after a 0 ms timer.
std::shared_ptr<Writable> slowSink(std::shared_ptr<SlowSink> s, std::size_t hwm, bool useTimer) {
  WritableOptions o;
  o.highWaterMark = hwm;
  o.write = [s, useTimer](Writable&, const Buffer& chunk, WriteCallback cb) {
    std::uint64_t seq;
    std::memcpy(&seq, chunk.data(), sizeof seq);
    if (seq != s->nextSeq++) s->orderOk = false;
    s->bytes += chunk.length();
    ++s->writes;
    if (s->buffered) s->maxBuffered = std::max(s->maxBuffered, s->buffered());
    if (useTimer) {
      setTimeout([cb] { cb(); }, 0);
    } else {
      setImmediate([cb] { cb(); });
    }
  };
  return std::make_shared<Writable>(std::move(o));
}

TEST_F(BackpressureTest, FastReadablePipedIntoSlowWritableStaysBounded) {
  EVNODE_WATCHDOG(120);
  const std::size_t hwm = 64 * 1024;
  std::uint64_t reads = 0;
  auto src = generator(kBigTotal, hwm, &reads);
  auto sink = std::make_shared<SlowSink>();
  auto dst = slowSink(sink, hwm, false);
  sink->buffered = [&] { return src->readableLength() + dst->writableLength(); };
  bool finished = false;
  int pauses = 0;
  dst->on(Writable::Events::finish, [&] { finished = true; });
  src->on(Readable::Events::pause, [&] { ++pauses; });
  src->pipe(dst);
  run();
  EXPECT_TRUE(finished);
  EXPECT_EQ(sink->bytes, kBigTotal);
  EXPECT_EQ(sink->writes, kBigTotal / kChunk);
  EXPECT_TRUE(sink->orderOk);
  EXPECT_LE(sink->maxBuffered, 4 * hwm) << "buffered bytes grew past a small multiple of hwm";
  RecordProperty("maxBuffered", static_cast<int>(sink->maxBuffered));
  EXPECT_GT(pauses, 1000);  // the source really was held back
  EXPECT_LE(reads, kBigTotal / kChunk + 2);
  EXPECT_TRUE(src->destroyed());
  EXPECT_TRUE(dst->destroyed());
}

// The same with writes completed by 0 ms timers (each write waits ~1 ms), on less data.
TEST_F(BackpressureTest, SlowWritableCompletingOnTimers) {
  EVNODE_WATCHDOG(60);
  const std::size_t hwm = 16 * 1024;
  const std::uint64_t total = 16ull << 20;  // 256 writes of 64 KiB
  std::uint64_t reads = 0;
  auto src = generator(total, hwm, &reads);
  auto sink = std::make_shared<SlowSink>();
  auto dst = slowSink(sink, hwm, true);
  sink->buffered = [&] { return src->readableLength() + dst->writableLength(); };
  src->pipe(dst);
  run();
  EXPECT_EQ(sink->bytes, total);
  EXPECT_TRUE(sink->orderOk);
  // A single 64 KiB chunk is above both marks: at most one chunk waits on each side.
  EXPECT_LE(sink->maxBuffered, 2 * kChunk + 2 * hwm);
  EXPECT_TRUE(dst->writableFinished());
}

// Through a Transform in a pipeline: every stage stays bounded, and the callback reports
// success once the sink finished.
TEST_F(BackpressureTest, PipelineThroughATransformStaysBounded) {
  EVNODE_WATCHDOG(120);
  const std::size_t hwm = 64 * 1024;
  const std::uint64_t total = kBigTotal / 4;
  std::uint64_t reads = 0;
  auto src = generator(total, hwm, &reads);
  TransformOptions to;
  to.highWaterMark = hwm;
  to.transform = [](Transform&, const Buffer& chunk, TransformCallback cb) { cb({}, chunk); };
  auto mid = std::make_shared<Transform>(std::move(to));
  auto sink = std::make_shared<SlowSink>();
  auto dst = slowSink(sink, hwm, false);
  sink->buffered = [&] {
    return src->readableLength() + mid->writableLength() + mid->readableLength() +
           dst->writableLength();
  };
  int calls = 0;
  Error result(std::string("unset"), "");
  pipeline({src, mid, dst}, [&](const Error& err) {
    ++calls;
    result = err;
  });
  run();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(result) << result.code;
  EXPECT_EQ(sink->bytes, total);
  EXPECT_TRUE(sink->orderOk);
  EXPECT_LE(sink->maxBuffered, 8 * hwm);
}

}  // namespace
}  // namespace evnode
