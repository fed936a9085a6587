// Duplex (half-open rules), Transform and PassThrough.
#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/stream.h"
#include "support/testing.h"

namespace evnode {
namespace {

using Log = std::vector<std::string>;

class DuplexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setUncaughtErrorHandler(
        [](const Error& e) { ADD_FAILURE() << "uncaught error: " << e.code << " " << e.message; });
  }
  void TearDown() override { setUncaughtErrorHandler(nullptr); }
};

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::shared_ptr<Transform> uppercase(std::size_t hwm = 16 * 1024) {
  TransformOptions o;
  o.highWaterMark = hwm;
  o.transform = [](Transform&, const Buffer& chunk, TransformCallback cb) {
    cb({}, Buffer::from(upper(chunk.toString())));
  };
  return std::make_shared<Transform>(std::move(o));
}

// A Duplex whose readable side yields `input` and whose writable side records into `written`.
std::shared_ptr<Duplex> recordingDuplex(bool allowHalfOpen, std::vector<std::string> input,
                                        std::shared_ptr<std::string> written) {
  DuplexOptions o;
  o.allowHalfOpen = allowHalfOpen;
  auto next = std::make_shared<std::size_t>(0);
  o.readable.read = [input, next](Readable& r, std::size_t) {
    if (*next < input.size()) {
      r.push(input[(*next)++]);
    } else {
      r.push(nullptr);
    }
  };
  o.writable.write = [written](Writable&, const Buffer& chunk, WriteCallback cb) {
    *written += chunk.toString();
    cb();
  };
  return std::make_shared<Duplex>(std::move(o));
}

TEST_F(DuplexTest, AllowHalfOpenFalseEndsTheWritableSideAfterReadableEnd) {
  EVNODE_WATCHDOG(10);
  auto written = std::make_shared<std::string>();
  auto d = recordingDuplex(false, {"in1", "in2"}, written);
  EXPECT_FALSE(d->allowHalfOpen());
  Log log;
  d->on(Duplex::Events::data, [&](const Buffer& b) { log.push_back("data:" + b.toString()); });
  d->on(Duplex::Events::end, [&] {
    log.push_back("end");
    EXPECT_FALSE(d->writableEnded());  // ended on a later tick
    d->write("last words");            // still writable inside `end`
  });
  d->on(Duplex::Events::finish, [&] { log.push_back("finish"); });
  d->on(Duplex::Events::close, [&] { log.push_back("close"); });
  run();
  EXPECT_EQ(log, (Log{"data:in1", "data:in2", "end", "finish", "close"}));
  EXPECT_EQ(*written, "last words");
  EXPECT_TRUE(d->writableEnded());
  EXPECT_TRUE(d->destroyed());
}

TEST_F(DuplexTest, AllowHalfOpenTrueKeepsTheWritableSideOpen) {
  EVNODE_WATCHDOG(10);
  auto written = std::make_shared<std::string>();
  auto d = recordingDuplex(true, {"in"}, written);
  EXPECT_TRUE(d->allowHalfOpen());
  Log log;
  d->on(Duplex::Events::data, [&](const Buffer& b) { log.push_back("data:" + b.toString()); });
  d->on(Duplex::Events::end, [&] { log.push_back("end"); });
  d->on(Duplex::Events::finish, [&] { log.push_back("finish"); });
  d->on(Duplex::Events::close, [&] { log.push_back("close"); });
  run();
  EXPECT_EQ(log, (Log{"data:in", "end"}));
  EXPECT_TRUE(d->writable());
  EXPECT_FALSE(d->destroyed());  // one side is still open
  d->write("reply");
  d->end();
  run();
  EXPECT_EQ(log, (Log{"data:in", "end", "finish", "close"}));
  EXPECT_EQ(*written, "reply");
}

TEST_F(DuplexTest, WritableSideFinishingFirstWaitsForReadableEnd) {
  EVNODE_WATCHDOG(10);
  auto written = std::make_shared<std::string>();
  DuplexOptions o;
  o.readable.read = [](Readable&, std::size_t) {};  // pushed by hand below
  o.writable.write = [written](Writable&, const Buffer& chunk, WriteCallback cb) {
    *written += chunk.toString();
    cb();
  };
  auto d = std::make_shared<Duplex>(std::move(o));
  Log log;
  d->on(Duplex::Events::data, [&](const Buffer& b) { log.push_back("data:" + b.toString()); });
  d->on(Duplex::Events::end, [&] { log.push_back("end"); });
  d->on(Duplex::Events::finish, [&] { log.push_back("finish"); });
  d->on(Duplex::Events::close, [&] { log.push_back("close"); });
  d->end("bye");
  run();
  EXPECT_EQ(log, (Log{"finish"}));
  EXPECT_FALSE(d->destroyed());
  d->push("tail");
  d->push(nullptr);
  run();
  EXPECT_EQ(log, (Log{"finish", "data:tail", "end", "close"}));
}

TEST_F(DuplexTest, DestroyClosesBothSidesOnce) {
  EVNODE_WATCHDOG(10);
  auto written = std::make_shared<std::string>();
  auto d = recordingDuplex(true, {"a", "b", "c"}, written);
  Log log;
  d->on(Duplex::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  d->on(Duplex::Events::close, [&] { log.push_back("close"); });
  d->on(Duplex::Events::end, [&] { log.push_back("end"); });
  d->on(Duplex::Events::finish, [&] { log.push_back("finish"); });
  d->destroy(Error("ECONNRESET", "reset"));
  EXPECT_FALSE(d->readable());
  EXPECT_FALSE(d->writable());
  d->write("x", [&](const Error& e) { log.push_back("write:" + e.code); });
  run();
  EXPECT_EQ(log, (Log{"error:ECONNRESET", "close", "write:ERR_STREAM_DESTROYED"}));
}

// A Duplex written as a subclass: everything written comes back out of the readable side.
class Echo : public Duplex {
 public:
  int reads = 0;

 protected:
  void _write(const Buffer& chunk, WriteCallback cb) override {
    push(chunk);
    cb();
  }
  void _read(std::size_t) override { ++reads; }
  void _final(std::function<void(const Error&)> cb) override {
    push(nullptr);
    cb({});
  }
  bool hasFinal() const override { return true; }
};

TEST_F(DuplexTest, SubclassOverridesTheVirtuals) {
  EVNODE_WATCHDOG(10);
  auto e = std::make_shared<Echo>();
  std::string got;
  Log log;
  e->on(Duplex::Events::data, [&](const Buffer& b) { got += b.toString(); });
  e->on(Duplex::Events::end, [&] { log.push_back("end"); });
  e->on(Duplex::Events::finish, [&] { log.push_back("finish"); });
  e->on(Duplex::Events::close, [&] { log.push_back("close"); });
  run();
  EXPECT_EQ(e->reads, 1);  // flowing with an empty buffer: asks for data once
  e->write("ping ");
  e->write("pong");
  e->end();
  run();
  EXPECT_EQ(got, "ping pong");
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log.back(), "close");
}

TEST_F(DuplexTest, TransformUppercase) {
  EVNODE_WATCHDOG(10);
  auto t = uppercase();
  Log log;
  std::string got;
  t->on(Transform::Events::data, [&](const Buffer& b) { got += b.toString(); });
  t->on(Transform::Events::end, [&] { log.push_back("end"); });
  t->on(Transform::Events::finish, [&] { log.push_back("finish"); });
  t->on(Transform::Events::close, [&] { log.push_back("close"); });
  t->write("hello ");
  t->write(Buffer::from("there, "));
  t->end("world");
  run();
  EXPECT_EQ(got, "HELLO THERE, WORLD");
  ASSERT_EQ(log.size(), 3u);  // `finish` and `end` in either order, `close` last
  EXPECT_EQ(log.back(), "close");
  EXPECT_TRUE(t->destroyed());
}

TEST_F(DuplexTest, TransformReadWithReadableEvent) {
  EVNODE_WATCHDOG(10);
  auto t = uppercase();
  std::string got;
  bool ended = false;
  t->on(Transform::Events::readable, [&] {
    while (auto b = t->read()) got += b->toString();
  });
  t->on(Transform::Events::end, [&] { ended = true; });
  t->write("abc");
  t->end("def");
  run();
  EXPECT_EQ(got, "ABCDEF");
  EXPECT_TRUE(ended);
}

TEST_F(DuplexTest, TransformFlushAddsATrailer) {
  EVNODE_WATCHDOG(10);
  TransformOptions o;
  int bytes = 0;
  o.transform = [&bytes](Transform&, const Buffer& chunk, TransformCallback cb) {
    bytes += static_cast<int>(chunk.length());
    cb({}, chunk);
  };
  o.flush = [&bytes](Transform&, TransformCallback cb) {
    setImmediate([&bytes, cb] { cb({}, Buffer::from("\n(" + std::to_string(bytes) + " bytes)")); });
  };
  auto t = std::make_shared<Transform>(std::move(o));
  std::string got;
  Log log;
  t->on(Transform::Events::data, [&](const Buffer& b) { got += b.toString(); });
  t->on(Transform::Events::end, [&] { log.push_back("end"); });
  t->on(Transform::Events::finish, [&] { log.push_back("finish"); });
  t->write("12345");
  t->end("678");
  run();
  EXPECT_EQ(got, "12345678\n(8 bytes)");
  ASSERT_EQ(log.size(), 2u);
}

TEST_F(DuplexTest, TransformPushingSeveralChunksPerWrite) {
  EVNODE_WATCHDOG(10);
  TransformOptions o;
  o.transform = [](Transform& t, const Buffer& chunk, TransformCallback cb) {
    for (std::size_t i = 0; i < chunk.length(); ++i)
      t.push(chunk.slice(static_cast<std::int64_t>(i), static_cast<std::int64_t>(i + 1)));
    cb({}, std::nullopt);
  };
  auto t = std::make_shared<Transform>(std::move(o));
  Log chunks;
  t->on(Transform::Events::data, [&](const Buffer& b) { chunks.push_back(b.toString()); });
  t->end("abc");
  run();
  EXPECT_EQ(chunks, (Log{"a", "b", "c"}));
}

TEST_F(DuplexTest, TransformErrorDestroysTheStream) {
  EVNODE_WATCHDOG(10);
  TransformOptions o;
  o.transform = [](Transform&, const Buffer& chunk, TransformCallback cb) {
    if (chunk.toString() == "bad") {
      cb(Error("EBADCHUNK", "cannot transform"), std::nullopt);
    } else {
      cb({}, chunk);
    }
  };
  auto t = std::make_shared<Transform>(std::move(o));
  Log log;
  t->on(Transform::Events::data, [&](const Buffer& b) { log.push_back("data:" + b.toString()); });
  t->on(Transform::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  t->on(Transform::Events::end, [&] { log.push_back("end"); });
  t->on(Transform::Events::finish, [&] { log.push_back("finish"); });
  t->on(Transform::Events::close, [&] { log.push_back("close"); });
  t->write("good");
  t->write("bad", [&](const Error& e) { log.push_back("cb:" + e.code); });
  t->write("never");
  run();
  EXPECT_EQ(log, (Log{"data:good", "cb:EBADCHUNK", "error:EBADCHUNK", "close"}));
  EXPECT_TRUE(t->destroyed());
}

// The writable side stops accepting data while the readable side is full and nobody reads.
TEST_F(DuplexTest, TransformBackpressureWithoutAConsumer) {
  EVNODE_WATCHDOG(10);
  auto t = uppercase(8);
  int callbacks = 0;
  std::vector<bool> rets;
  for (int i = 0; i < 6; ++i) {
    rets.push_back(t->write("abcd", [&](const Error& e) {
      EXPECT_FALSE(e);
      ++callbacks;
    }));
  }
  run();
  // The readable side holds at most about one high-water mark; the rest waits unwritten.
  EXPECT_LE(t->readableLength(), 8u);
  EXPECT_GE(t->writableLength(), 12u);
  EXPECT_LT(callbacks, 6);
  EXPECT_FALSE(rets.back());
  std::string got;
  bool ended = false;
  t->on(Transform::Events::data, [&](const Buffer& b) { got += b.toString(); });
  t->on(Transform::Events::end, [&] { ended = true; });
  t->end();
  run();
  EXPECT_EQ(got, "ABCDABCDABCDABCDABCDABCD");
  EXPECT_EQ(callbacks, 6);
  EXPECT_TRUE(ended);
}

TEST_F(DuplexTest, PassThrough) {
  EVNODE_WATCHDOG(10);
  auto p = std::make_shared<PassThrough>();
  Log log;
  p->on(PassThrough::Events::data, [&](const Buffer& b) { log.push_back(b.toString()); });
  p->on(PassThrough::Events::end, [&] { log.push_back("end"); });
  p->write("a");
  p->write("b");
  p->end("c");
  run();
  EXPECT_EQ(log, (Log{"a", "b", "c", "end"}));
}

TEST_F(DuplexTest, PassThroughKeepsSlicesZeroCopy) {
  EVNODE_WATCHDOG(10);
  auto p = std::make_shared<PassThrough>();
  Buffer original = Buffer::from("shared bytes");
  const std::uint8_t* seen = nullptr;
  p->on(PassThrough::Events::data, [&](const Buffer& b) { seen = b.data(); });
  p->end(original);
  run();
  EXPECT_EQ(seen, original.data());
}

TEST_F(DuplexTest, ListenerCapturingTheDuplexIsFreedAfterClose) {
  EVNODE_WATCHDOG(10);
  std::weak_ptr<Transform> weak;
  {
    auto t = uppercase();
    weak = t;
    t->on(Transform::Events::data, [t](const Buffer&) {});
    t->on(Transform::Events::finish, [t] {});
    t->on(Transform::Events::end, [t] {});
    t->end("bye");
  }
  run();
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace evnode
