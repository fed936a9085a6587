// Readable: paused and flowing modes, read(n), `readable`/`data`/`end`/`close` order,
// setEncoding, unshift, push after EOF, highWaterMark backpressure, readableFrom, destroy.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/stream.h"
#include "support/testing.h"

namespace evnode {
namespace {

using Log = std::vector<std::string>;

// An `error` nobody listens for must fail the test, not end the process.
class ReadableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setUncaughtErrorHandler(
        [](const Error& e) { ADD_FAILURE() << "uncaught error: " << e.code << " " << e.message; });
  }
  void TearDown() override { setUncaughtErrorHandler(nullptr); }
};

// A Readable whose _read does nothing: the test pushes by hand.
std::shared_ptr<Readable> manualReadable(std::size_t hwm = 16 * 1024) {
  ReadableOptions o;
  o.highWaterMark = hwm;
  o.read = [](Readable&, std::size_t) {};
  return std::make_shared<Readable>(std::move(o));
}

std::string str(const std::optional<Buffer>& b) { return b ? b->toString("latin1") : "<null>"; }

bool isValidUtf8(const std::string& s) { return Buffer::from(s).toString() == s; }

TEST_F(ReadableTest, PushThenReadInPausedMode) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  EXPECT_FALSE(r->readableFlowing().has_value());
  EXPECT_TRUE(r->push("abc"));
  EXPECT_TRUE(r->push(Buffer::from("def")));
  EXPECT_EQ(r->readableLength(), 6u);
  EXPECT_EQ(str(r->read()), "abcdef");  // paused read() returns everything buffered
  EXPECT_EQ(r->readableLength(), 0u);
  EXPECT_EQ(str(r->read()), "<null>");
  run();
}

TEST_F(ReadableTest, ReadNSemantics) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  bool ended = false;
  r->on(Readable::Events::end, [&] { ended = true; });
  r->push("abc");
  r->push("def");
  EXPECT_EQ(str(r->read(2)), "ab");
  EXPECT_EQ(str(r->read(3)), "cde");  // spans two chunks
  EXPECT_EQ(r->readableLength(), 1u);
  EXPECT_EQ(str(r->read(5)), "<null>");  // not enough yet, and not ended
  EXPECT_EQ(r->readableLength(), 1u);
  EXPECT_EQ(str(r->read(0)), "<null>");  // read(0) never returns data
  r->push("ghi");
  r->push(nullptr);
  EXPECT_EQ(str(r->read(10)), "fghi");  // after EOF: whatever is left
  EXPECT_EQ(str(r->read(1)), "<null>");
  EXPECT_FALSE(ended);  // `end` comes on a later tick
  run();
  EXPECT_TRUE(ended);
  EXPECT_TRUE(r->readableEnded());
}

TEST_F(ReadableTest, ReadMoreThanHighWaterMarkRaisesIt) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable(16);
  EXPECT_EQ(str(r->read(100)), "<null>");
  EXPECT_EQ(r->readableHighWaterMark(), 128u);  // next power of two
  r->destroy();
  run();
}

TEST_F(ReadableTest, FlowingViaDataListener) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({Buffer::from("a"), Buffer::from("b"), Buffer::from("c")});
  Log log;
  r->on(Readable::Events::data, [&](const Buffer& b) { log.push_back("data:" + b.toString()); });
  EXPECT_EQ(r->readableFlowing(), std::optional<bool>(true));
  r->on(Readable::Events::end, [&] { log.push_back("end"); });
  r->on(Readable::Events::close, [&] { log.push_back("close"); });
  EXPECT_TRUE(log.empty());  // nothing happens synchronously
  run();
  EXPECT_EQ(log, (Log{"data:a", "data:b", "data:c", "end", "close"}));
  EXPECT_TRUE(r->destroyed());  // autoDestroy after end
}

TEST_F(ReadableTest, PauseAndResumeEventsInOrder) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({Buffer::from("a"), Buffer::from("b"), Buffer::from("c")});
  Log log;
  r->on(Readable::Events::pause, [&] { log.push_back("pause"); });
  r->on(Readable::Events::resume, [&] { log.push_back("resume"); });
  r->on(Readable::Events::data, [&](const Buffer& b) {
    log.push_back("data:" + b.toString());
    if (b.toString() == "a") {
      r->pause();
      EXPECT_TRUE(r->isPaused());
      EXPECT_EQ(r->readableFlowing(), std::optional<bool>(false));
      setTimeout([&] { r->resume(); }, 5);
    }
  });
  r->on(Readable::Events::end, [&] { log.push_back("end"); });
  run();
  EXPECT_EQ(log, (Log{"resume", "data:a", "pause", "resume", "data:b", "data:c", "end"}));
}

TEST_F(ReadableTest, PauseTwiceEmitsOnce) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  int pauses = 0, resumes = 0;
  r->on(Readable::Events::pause, [&] { ++pauses; });
  r->on(Readable::Events::resume, [&] { ++resumes; });
  r->pause();
  r->pause();
  EXPECT_EQ(pauses, 1);
  r->resume();
  r->resume();  // one resume is already scheduled
  run();
  EXPECT_EQ(resumes, 1);
  r->destroy();
  run();
}

TEST_F(ReadableTest, ReadableEventAndReadLoop) {
  EVNODE_WATCHDOG(10);
  std::vector<Buffer> chunks;
  for (int i = 0; i < 20; ++i) chunks.push_back(Buffer::from("chunk" + std::to_string(i) + ";"));
  std::string expected;
  for (auto& c : chunks) expected += c.toString();
  auto r = readableFrom(chunks);
  std::string got;
  int readables = 0, ends = 0;
  r->on(Readable::Events::readable, [&] {
    ++readables;
    while (auto c = r->read()) got += c->toString();
  });
  r->on(Readable::Events::end, [&] { ++ends; });
  EXPECT_EQ(r->readableFlowing(), std::optional<bool>(false));
  run();
  EXPECT_EQ(got, expected);
  EXPECT_EQ(ends, 1);
  EXPECT_GE(readables, 1);
}

TEST_F(ReadableTest, ReadableEventWithFixedSizeReads) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({Buffer::from("abcd"), Buffer::from("efgh"), Buffer::from("ij")});
  Log got;
  bool ended = false;
  r->on(Readable::Events::readable, [&] {
    while (auto c = r->read(3)) got.push_back(c->toString());
  });
  r->on(Readable::Events::end, [&] { ended = true; });
  run();
  // The last read(3) at EOF returns the 1-byte tail.
  EXPECT_EQ(got, (Log{"abc", "def", "ghi", "j"}));
  EXPECT_TRUE(ended);
}

TEST_F(ReadableTest, EndIsEmittedOnceAndOnlyAfterAllDataIsConsumed) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  int ends = 0;
  r->on(Readable::Events::end, [&] { ++ends; });
  r->push("data");
  r->push(nullptr);
  run();
  EXPECT_EQ(ends, 0);  // nobody read the data yet
  EXPECT_FALSE(r->readableEnded());
  EXPECT_EQ(str(r->read()), "data");
  run();
  EXPECT_EQ(ends, 1);
  EXPECT_TRUE(r->readableEnded());
  EXPECT_EQ(str(r->read()), "<null>");
  run();
  EXPECT_EQ(ends, 1);
}

TEST_F(ReadableTest, EndWithoutDataInFlowingMode) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({});
  Log log;
  r->on(Readable::Events::data, [&](const Buffer&) { log.push_back("data"); });
  r->on(Readable::Events::end, [&] { log.push_back("end"); });
  r->on(Readable::Events::close, [&] { log.push_back("close"); });
  run();
  EXPECT_EQ(log, (Log{"end", "close"}));
}

TEST_F(ReadableTest, EmitCloseFalseSuppressesClose) {
  EVNODE_WATCHDOG(10);
  ReadableOptions o;
  o.emitClose = false;
  o.read = [](Readable& r, std::size_t) { r.push(nullptr); };
  auto r = std::make_shared<Readable>(std::move(o));
  Log log;
  r->on(Readable::Events::data, [&](const Buffer&) {});
  r->on(Readable::Events::end, [&] { log.push_back("end"); });
  r->on(Readable::Events::close, [&] { log.push_back("close"); });
  run();
  EXPECT_EQ(log, (Log{"end"}));
  EXPECT_TRUE(r->destroyed());
}

TEST_F(ReadableTest, AutoDestroyFalseKeepsTheStreamAfterEnd) {
  EVNODE_WATCHDOG(10);
  ReadableOptions o;
  o.autoDestroy = false;
  o.read = [](Readable& r, std::size_t) { r.push(nullptr); };
  auto r = std::make_shared<Readable>(std::move(o));
  Log log;
  r->on(Readable::Events::data, [&](const Buffer&) {});
  r->on(Readable::Events::end, [&] { log.push_back("end"); });
  r->on(Readable::Events::close, [&] { log.push_back("close"); });
  run();
  EXPECT_EQ(log, (Log{"end"}));
  EXPECT_FALSE(r->destroyed());
  r->destroy();
  run();
  EXPECT_EQ(log, (Log{"end", "close"}));
}

// setEncoding("utf8") must never split a character: a 4-byte emoji pushed one byte at a time
// comes out as one whole character.
TEST_F(ReadableTest, SetEncodingUtf8NeverSplitsACharacter) {
  EVNODE_WATCHDOG(10);
  const std::string emoji = "\xF0\x9F\x98\x80";
  auto r = manualReadable();
  r->setEncoding("utf8");
  EXPECT_EQ(r->readableEncoding(), "utf8");
  Log chunks;
  bool ended = false;
  r->on(Readable::Events::data, [&](const Buffer& b) { chunks.push_back(b.toString()); });
  r->on(Readable::Events::end, [&] { ended = true; });
  run();  // flowing now, buffer empty
  for (char c : emoji) {
    r->push(Buffer::from(&c, 1));
    run();
  }
  r->push(nullptr);
  run();
  EXPECT_EQ(chunks, (Log{emoji}));
  EXPECT_TRUE(ended);
}

TEST_F(ReadableTest, SetEncodingUtf8AcrossChunkBoundaries) {
  EVNODE_WATCHDOG(10);
  // "a😀b€" split at every awkward place.
  auto r = readableFrom({Buffer::from("a\xF0\x9F"), Buffer::from("\x98"),
                         Buffer::from("\x80"
                                      "b\xE2"),
                         Buffer::from("\x82\xAC")});
  r->setEncoding("utf8");
  Log chunks;
  std::string all;
  r->on(Readable::Events::data, [&](const Buffer& b) {
    chunks.push_back(b.toString());
    all += b.toString();
  });
  run();
  EXPECT_EQ(all,
            "a\xF0\x9F\x98\x80"
            "b\xE2\x82\xAC");
  for (auto& c : chunks) {
    EXPECT_FALSE(c.empty());
    EXPECT_TRUE(isValidUtf8(c)) << Buffer::from(c).toString("hex");
  }
}

TEST_F(ReadableTest, SetEncodingUtf8IncompleteTailBecomesReplacementAtEnd) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({Buffer::from("ok\xE2\x82")});
  r->setEncoding("utf8");
  std::string all;
  r->on(Readable::Events::data, [&](const Buffer& b) { all += b.toString(); });
  run();
  EXPECT_EQ(all, "ok\xEF\xBF\xBD");
}

TEST_F(ReadableTest, SetEncodingHex) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({Buffer::from({0xDE, 0xAD}), Buffer::from({0xBE, 0xEF})});
  r->setEncoding("hex");
  EXPECT_EQ(r->readableEncoding(), "hex");
  Log chunks;
  r->on(Readable::Events::data, [&](const Buffer& b) { chunks.push_back(b.toString()); });
  run();
  EXPECT_EQ(chunks, (Log{"dead", "beef"}));
}

TEST_F(ReadableTest, SetEncodingBase64KeepsGroupsOfThree) {
  EVNODE_WATCHDOG(10);
  auto r =
      readableFrom({Buffer::from("f"), Buffer::from("o"), Buffer::from("o"), Buffer::from("b")});
  r->setEncoding("base64");
  std::string all;
  Log chunks;
  r->on(Readable::Events::data, [&](const Buffer& b) {
    chunks.push_back(b.toString());
    all += b.toString();
  });
  run();
  EXPECT_EQ(all, "Zm9vYg==");  // what Buffer::from("foob").toString("base64") gives
  EXPECT_EQ(chunks, (Log{"Zm9v", "Yg=="}));
}

TEST_F(ReadableTest, SetEncodingReDecodesWhatIsBuffered) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  r->push(Buffer::from({0x01, 0xAB}));
  r->setEncoding("hex");
  EXPECT_EQ(str(r->read()), "01ab");
  EXPECT_EQ(r->readableLength(), 0u);
  r->destroy();
  run();
}

TEST_F(ReadableTest, Unshift) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  r->push("abcdef");
  EXPECT_EQ(str(r->read(3)), "abc");
  r->unshift(Buffer::from("c"));
  EXPECT_EQ(r->readableLength(), 4u);
  EXPECT_EQ(str(r->read()), "cdef");
  r->push("world");
  r->unshift(Buffer::from("hello "));
  EXPECT_EQ(str(r->read()), "hello world");
  r->destroy();
  run();
}

TEST_F(ReadableTest, UnshiftAfterEofBeforeEndIsAllowed) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  r->push("tail");
  r->push(nullptr);
  r->unshift(Buffer::from("head "));
  EXPECT_EQ(str(r->read()), "head tail");
  bool ended = false;
  r->on(Readable::Events::end, [&] { ended = true; });
  run();
  EXPECT_TRUE(ended);
}

TEST_F(ReadableTest, UnshiftAfterEndEventIsAnError) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({});
  r->on(Readable::Events::data, [](const Buffer&) {});
  Log log;
  r->on(Readable::Events::end, [&] {
    log.push_back("end");
    r->unshift(Buffer::from("late"));
  });
  r->on(Readable::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  r->on(Readable::Events::close, [&] { log.push_back("close"); });
  run();
  EXPECT_EQ(log, (Log{"end", "error:ERR_STREAM_UNSHIFT_AFTER_END_EVENT", "close"}));
}

TEST_F(ReadableTest, PushAfterEofIsAnError) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  Log log;
  r->on(Readable::Events::error, [&](const Error& e) {
    log.push_back("error:" + e.code);
    EXPECT_EQ(e.message, "stream.push() after EOF");
  });
  r->on(Readable::Events::close, [&] { log.push_back("close"); });
  EXPECT_FALSE(r->push(nullptr));
  EXPECT_FALSE(r->push("late"));
  EXPECT_TRUE(log.empty());  // errors are emitted asynchronously
  run();
  EXPECT_EQ(log, (Log{"error:ERR_STREAM_PUSH_AFTER_EOF", "close"}));
  EXPECT_TRUE(r->destroyed());
  EXPECT_EQ(r->errored().code, "ERR_STREAM_PUSH_AFTER_EOF");
}

// Node: pushing an empty chunk only asks for more; after EOF it is not an error.
TEST_F(ReadableTest, PushEmptyChunkAfterEofIsIgnored) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  r->push(nullptr);
  EXPECT_FALSE(r->push(Buffer()));
  r->on(Readable::Events::data, [](const Buffer&) {});
  bool ended = false;
  r->on(Readable::Events::end, [&] { ended = true; });
  run();
  EXPECT_TRUE(ended);
  EXPECT_FALSE(r->errored());
}

TEST_F(ReadableTest, HighWaterMarkBackpressure) {
  EVNODE_WATCHDOG(10);
  ReadableOptions o;
  o.highWaterMark = 16;
  int reads = 0;
  std::vector<bool> results;
  o.read = [&](Readable& r, std::size_t size) {
    EXPECT_EQ(size, 16u);
    ++reads;
    bool more;
    do {
      more = r.push(Buffer::alloc(4, 'x'));
      results.push_back(more);
    } while (more);
  };
  auto r = std::make_shared<Readable>(std::move(o));
  EXPECT_EQ(str(r->read(0)), "<null>");  // starts the producer
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(results, (std::vector<bool>{true, true, true, false}));  // false at 16 bytes
  EXPECT_EQ(r->readableLength(), 16u);
  run();
  run();
  EXPECT_EQ(reads, 1);  // full: _read is not called again until someone reads
  EXPECT_EQ(r->readableLength(), 16u);
  EXPECT_EQ(r->read(4)->length(), 4u);
  EXPECT_EQ(reads, 2);  // a read below the mark asks for more
  run();
  EXPECT_EQ(reads, 2);
  EXPECT_EQ(r->readableLength(), 16u);
  r->destroy();
  run();
}

TEST_F(ReadableTest, MaybeReadMoreFillsUpToTheMarkWithoutAConsumer) {
  EVNODE_WATCHDOG(10);
  ReadableOptions o;
  o.highWaterMark = 10;
  int reads = 0;
  o.read = [&](Readable& r, std::size_t) {
    ++reads;
    r.push(Buffer::alloc(3, 'x'));  // one small chunk per call
  };
  auto r = std::make_shared<Readable>(std::move(o));
  r->read(0);
  run();
  EXPECT_EQ(r->readableLength(), 12u);  // 3, 6, 9, 12: stops once at or above the mark
  EXPECT_EQ(reads, 4);
  r->destroy();
  run();
}

TEST_F(ReadableTest, AsyncProducerInFlowingMode) {
  EVNODE_WATCHDOG(10);
  ReadableOptions o;
  o.highWaterMark = 8;
  int n = 0;
  o.read = [&](Readable& r, std::size_t) {
    setImmediate([&r, &n] {
      if (n < 50) {
        r.push(Buffer::from("x" + std::to_string(n++)));
      } else {
        r.push(nullptr);
      }
    });
  };
  auto r = std::make_shared<Readable>(std::move(o));
  Log got;
  bool ended = false;
  r->on(Readable::Events::data, [&](const Buffer& b) { got.push_back(b.toString()); });
  r->on(Readable::Events::end, [&] { ended = true; });
  run();
  ASSERT_EQ(got.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], "x" + std::to_string(i));
  EXPECT_TRUE(ended);
}

TEST_F(ReadableTest, ReadableFromYieldsChunksInOrderThenEnds) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({Buffer::from("one"), Buffer::from("two"), Buffer::from("three")});
  Log log;
  r->on(Readable::Events::data, [&](const Buffer& b) { log.push_back(b.toString()); });
  r->on(Readable::Events::end, [&] { log.push_back("end"); });
  run();
  EXPECT_EQ(log, (Log{"one", "two", "three", "end"}));
  EXPECT_FALSE(r->readable());
}

TEST_F(ReadableTest, NoReadImplementationIsAnError) {
  EVNODE_WATCHDOG(10);
  auto r = std::make_shared<Readable>();
  std::string code;
  r->on(Readable::Events::error, [&](const Error& e) { code = e.code; });
  r->read(0);
  run();
  EXPECT_EQ(code, "ERR_METHOD_NOT_IMPLEMENTED");
}

TEST_F(ReadableTest, DestroyWithErrorEmitsErrorThenCloseAndNoEnd) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  Log log;
  r->on(Readable::Events::data, [&](const Buffer& b) { log.push_back("data:" + b.toString()); });
  r->on(Readable::Events::end, [&] { log.push_back("end"); });
  r->on(Readable::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  r->on(Readable::Events::close, [&] { log.push_back("close"); });
  run();
  r->push("a");
  r->destroy(Error("EBOOM", "boom"));
  EXPECT_TRUE(r->destroyed());
  EXPECT_FALSE(r->readable());
  EXPECT_FALSE(r->push("b"));  // ignored after destroy
  r->push(nullptr);
  run();
  EXPECT_EQ(log, (Log{"data:a", "error:EBOOM", "close"}));
  EXPECT_EQ(r->errored().code, "EBOOM");
  r->destroy(Error("ELATE", "again"));  // harmless
  run();
  EXPECT_EQ(log.size(), 3u);
}

TEST_F(ReadableTest, DestroyBetweenEofAndEndSuppressesEndWhenErrored) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  Log log;
  r->on(Readable::Events::end, [&] { log.push_back("end"); });
  r->on(Readable::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  r->on(Readable::Events::close, [&] { log.push_back("close"); });
  r->push(nullptr);
  r->read();  // schedules `end` for the next tick
  r->destroy(Error("EBOOM", "boom"));
  run();
  EXPECT_EQ(log, (Log{"error:EBOOM", "close"}));
}

TEST_F(ReadableTest, CustomDestroyRunsAndCanDelayClose) {
  EVNODE_WATCHDOG(10);
  ReadableOptions o;
  o.read = [](Readable&, std::size_t) {};
  Log log;
  o.destroy = [&](Readable&, const Error& err, std::function<void(const Error&)> cb) {
    log.push_back("destroy:" + err.code);
    setTimeout(
        [&log, cb] {
          log.push_back("released");
          cb(Error("ECLEANUP", "cleanup failed"));
        },
        2);
  };
  auto r = std::make_shared<Readable>(std::move(o));
  r->on(Readable::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  r->on(Readable::Events::close, [&] { log.push_back("close"); });
  r->destroy();
  run();
  EXPECT_EQ(log, (Log{"destroy:", "released", "error:ECLEANUP", "close"}));
}

// Node: removing the last `readable` listener hands the stream back to `data` listeners.
TEST_F(ReadableTest, SwitchingFromReadableListenerToDataListener) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  ListenerId id = r->on(Readable::Events::readable, [] {});
  EXPECT_EQ(r->readableFlowing(), std::optional<bool>(false));
  r->off(Readable::Events::readable, id);
  Log got;
  r->on(Readable::Events::data, [&](const Buffer& b) { got.push_back(b.toString()); });
  r->push("a");
  r->push("b");
  r->push(nullptr);
  bool ended = false;
  r->on(Readable::Events::end, [&] { ended = true; });
  run();
  EXPECT_EQ(got, (Log{"a", "b"}));  // flowing mode hands out buffered chunks one by one
  EXPECT_TRUE(ended);
}

TEST_F(ReadableTest, RemovingTheReadableListenerWithoutDataListenerResetsFlowing) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  r->on(Readable::Events::readable, [] {});
  EXPECT_EQ(r->readableFlowing(), std::optional<bool>(false));
  r->removeAllListeners(Readable::Events::readable);
  run();
  EXPECT_FALSE(r->readableFlowing().has_value());  // back to "no consumer yet"
  r->destroy();
  run();
}

// Node: an explicit pause() is not undone by adding a data listener.
TEST_F(ReadableTest, DataListenerDoesNotResumeAfterExplicitPause) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({Buffer::from("x")});
  r->pause();
  Log got;
  r->on(Readable::Events::data, [&](const Buffer& b) { got.push_back(b.toString()); });
  run();
  EXPECT_TRUE(got.empty());
  r->resume();
  run();
  EXPECT_EQ(got, (Log{"x"}));
}

// With both a `readable` and a `data` listener, `readable` drives and read() emits `data`.
TEST_F(ReadableTest, ReadableListenerTakesPrecedenceOverData) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({Buffer::from("a"), Buffer::from("b")});
  Log log;
  r->on(Readable::Events::data, [&](const Buffer& b) { log.push_back("data:" + b.toString()); });
  r->on(Readable::Events::readable, [&] {
    log.push_back("readable");
    while (r->read()) {
    }
  });
  EXPECT_EQ(r->readableFlowing(), std::optional<bool>(false));
  r->resume();  // has no effect while a readable listener is attached
  run();
  std::string data;
  for (auto& l : log) {
    if (l.rfind("data:", 0) == 0) data += l.substr(5);
  }
  EXPECT_EQ(data, "ab");
  EXPECT_EQ(log.front(), "readable");
}

// Streams drop their listeners after `close`, so a listener that captures its own stream does
// not keep it alive (LeakSanitizer checks nothing else leaks).
TEST_F(ReadableTest, ListenerCapturingItsStreamIsFreedAfterClose) {
  EVNODE_WATCHDOG(10);
  std::weak_ptr<Readable> weak;
  int chunks = 0;
  {
    auto r = readableFrom({Buffer::from("a"), Buffer::from("b")});
    weak = r;
    r->on(Readable::Events::data, [r, &chunks](const Buffer&) { ++chunks; });
    r->on(Readable::Events::end, [r] { EXPECT_FALSE(r->readable()); });
    r->on(Readable::Events::close, [r] { EXPECT_TRUE(r->destroyed()); });
  }
  EXPECT_FALSE(weak.expired());
  run();
  EXPECT_EQ(chunks, 2);
  EXPECT_TRUE(weak.expired());
}

TEST_F(ReadableTest, ListenerCapturingItsStreamIsFreedAfterDestroy) {
  EVNODE_WATCHDOG(10);
  std::weak_ptr<Readable> weak;
  {
    auto r = manualReadable();
    weak = r;
    r->on(Readable::Events::readable, [r] { r->read(); });
    r->on(Readable::Events::error, [r](const Error&) {});
    r->destroy(Error("EBOOM", "boom"));
  }
  run();
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace evnode
