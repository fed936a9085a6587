// Writable: highWaterMark and `drain`, write callback order, cork/uncork into one _writev,
// end/finish/close order, _final, write after end, destroy with pending writes.
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

class WritableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setUncaughtErrorHandler(
        [](const Error& e) { ADD_FAILURE() << "uncaught error: " << e.code << " " << e.message; });
  }
  void TearDown() override { setUncaughtErrorHandler(nullptr); }
};

// A sink that records what it got and completes each write on a later loop turn.
struct Sink {
  std::string data;
  int writes = 0;
  std::vector<std::size_t> writevSizes;
  bool async = true;
};

std::shared_ptr<Writable> sinkWritable(std::shared_ptr<Sink> sink, std::size_t hwm = 16 * 1024,
                                       bool withWritev = false) {
  WritableOptions o;
  o.highWaterMark = hwm;
  o.write = [sink](Writable&, const Buffer& chunk, WriteCallback cb) {
    sink->data += chunk.toString("latin1");
    ++sink->writes;
    if (sink->async) {
      setImmediate([cb] { cb(); });
    } else {
      cb();
    }
  };
  if (withWritev) {
    o.writev = [sink](Writable&, std::vector<Buffer>& chunks, WriteCallback cb) {
      sink->writevSizes.push_back(chunks.size());
      for (auto& c : chunks) sink->data += c.toString("latin1");
      if (sink->async) {
        setImmediate([cb] { cb(); });
      } else {
        cb();
      }
    };
  }
  return std::make_shared<Writable>(std::move(o));
}

TEST_F(WritableTest, WriteReturnsFalseAtHighWaterMarkThenDrain) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink, 10);
  int drains = 0;
  w->on(Writable::Events::drain, [&] {
    ++drains;
    EXPECT_EQ(w->writableLength(), 0u);
    EXPECT_FALSE(w->writableNeedDrain());
  });
  EXPECT_TRUE(w->write(Buffer::alloc(5, 'a')));
  EXPECT_EQ(w->writableLength(), 5u);
  EXPECT_FALSE(w->writableNeedDrain());
  EXPECT_FALSE(w->write(Buffer::alloc(5, 'b')));  // 10 is not below the mark
  EXPECT_TRUE(w->writableNeedDrain());
  EXPECT_FALSE(w->write(Buffer::alloc(1, 'c')));  // still above: false again
  EXPECT_EQ(w->writableLength(), 11u);
  EXPECT_EQ(w->writableHighWaterMark(), 10u);
  run();
  EXPECT_EQ(drains, 1);
  EXPECT_EQ(sink->data, "aaaaabbbbbc");
  EXPECT_EQ(w->writableLength(), 0u);
  EXPECT_TRUE(w->write("more"));  // after drain, below the mark again
  run();
  EXPECT_EQ(drains, 1);  // no drain without a false write
  w->end();
  run();
}

TEST_F(WritableTest, NoDrainWhenWritesStayBelowTheMark) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink, 100);
  int drains = 0;
  w->on(Writable::Events::drain, [&] { ++drains; });
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(w->write("0123456789"));
  run();
  EXPECT_EQ(drains, 0);
  w->end();
  run();
}

TEST_F(WritableTest, WriteCallbacksRunInOrderAndNeverSynchronously) {
  EVNODE_WATCHDOG(10);
  for (bool async : {true, false}) {
    auto sink = std::make_shared<Sink>();
    sink->async = async;
    auto w = sinkWritable(sink);
    Log log;
    for (int i = 1; i <= 4; ++i) {
      w->write("c" + std::to_string(i), [&log, i](const Error& err) {
        EXPECT_FALSE(err);
        log.push_back("cb" + std::to_string(i));
      });
    }
    EXPECT_TRUE(log.empty()) << "async=" << async;
    w->end([&](const Error& err) {
      EXPECT_FALSE(err);
      log.push_back("end-cb");
    });
    w->on(Writable::Events::finish, [&] { log.push_back("finish"); });
    run();
    EXPECT_EQ(log, (Log{"cb1", "cb2", "cb3", "cb4", "end-cb", "finish"})) << "async=" << async;
    EXPECT_EQ(sink->data, "c1c2c3c4");
  }
}

// Node: the drain event comes before the callbacks of the writes that emptied the buffer.
TEST_F(WritableTest, DrainComesBeforeTheLastWriteCallback) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink, 4);
  Log log;
  w->on(Writable::Events::drain, [&] { log.push_back("drain"); });
  w->write("abcd", [&](const Error&) { log.push_back("cb"); });
  run();
  EXPECT_EQ(log, (Log{"drain", "cb"}));
  w->end();
  run();
}

TEST_F(WritableTest, CorkUncorkBatchesIntoOneWritev) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink, 16 * 1024, true);
  Log log;
  w->cork();
  EXPECT_EQ(w->writableCorked(), 1u);
  for (int i = 1; i <= 5; ++i) {
    w->write("c" + std::to_string(i), [&log, i](const Error& err) {
      EXPECT_FALSE(err);
      log.push_back("cb" + std::to_string(i));
    });
  }
  EXPECT_EQ(sink->writes, 0);
  EXPECT_TRUE(sink->writevSizes.empty());
  EXPECT_EQ(w->writableLength(), 10u);
  w->uncork();
  EXPECT_EQ(w->writableCorked(), 0u);
  ASSERT_EQ(sink->writevSizes, (std::vector<std::size_t>{5}));  // one call, all chunks
  EXPECT_EQ(sink->writes, 0);
  EXPECT_EQ(sink->data, "c1c2c3c4c5");
  run();
  EXPECT_EQ(log, (Log{"cb1", "cb2", "cb3", "cb4", "cb5"}));
  EXPECT_EQ(w->writableLength(), 0u);
  w->end();
  run();
  EXPECT_TRUE(w->writableFinished());
}

TEST_F(WritableTest, NestedCorkNeedsAsManyUncorks) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink, 16 * 1024, true);
  w->cork();
  w->cork();
  w->write("a");
  w->write("b");
  w->uncork();
  EXPECT_TRUE(sink->writevSizes.empty());
  EXPECT_EQ(w->writableCorked(), 1u);
  w->uncork();
  EXPECT_EQ(sink->writevSizes, (std::vector<std::size_t>{2}));
  w->uncork();  // extra uncork is harmless
  run();
  w->end();
  run();
  EXPECT_EQ(sink->data, "ab");
}

TEST_F(WritableTest, EndUncorksFully) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink, 16 * 1024, true);
  bool finished = false;
  w->on(Writable::Events::finish, [&] { finished = true; });
  w->cork();
  w->cork();
  w->write("x");
  w->write("y");
  w->end("z");
  EXPECT_EQ(w->writableCorked(), 0u);
  EXPECT_EQ(sink->writevSizes, (std::vector<std::size_t>{3}));
  run();
  EXPECT_TRUE(finished);
  EXPECT_EQ(sink->data, "xyz");
}

// Without cork, writes made while one is in flight queue up and go out in one _writev.
TEST_F(WritableTest, WritesQueuedBehindAnInFlightWriteGoOutAsOneWritev) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink, 16 * 1024, true);
  w->write("first");
  w->write("a");
  w->write("b");
  w->write("c");
  EXPECT_EQ(sink->writes, 1);
  run();
  EXPECT_EQ(sink->writevSizes, (std::vector<std::size_t>{3}));
  EXPECT_EQ(sink->data, "firstabc");
  w->end();
  run();
}

TEST_F(WritableTest, WithoutWritevQueuedWritesGoOneByOne) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink);
  w->cork();
  w->write("a");
  w->write("b");
  w->write("c");
  w->uncork();
  run();
  EXPECT_EQ(sink->writes, 3);
  EXPECT_EQ(sink->data, "abc");
  w->end();
  run();
}

TEST_F(WritableTest, WritevOnlyStreamHandlesSingleWrites) {
  EVNODE_WATCHDOG(10);
  std::vector<std::size_t> sizes;
  std::string data;
  WritableOptions o;
  o.writev = [&](Writable&, std::vector<Buffer>& chunks, WriteCallback cb) {
    sizes.push_back(chunks.size());
    for (auto& c : chunks) data += c.toString();
    cb();
  };
  auto w = std::make_shared<Writable>(std::move(o));
  w->write("one");
  w->cork();
  w->write("two");
  w->write("three");
  w->uncork();
  w->end();
  run();
  EXPECT_EQ(data, "onetwothree");
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 2}));
  EXPECT_TRUE(w->writableFinished());
}

// Node (>= 15): end(cb)'s callback runs just before `finish`; `close` follows.
TEST_F(WritableTest, EndWithDataAndCallbackThenFinishThenClose) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink);
  Log log;
  w->on(Writable::Events::prefinish, [&] { log.push_back("prefinish"); });
  w->on(Writable::Events::finish, [&] {
    log.push_back("finish");
    EXPECT_TRUE(w->writableFinished());
  });
  w->on(Writable::Events::close, [&] { log.push_back("close"); });
  w->write("hello ");
  w->end("world", [&](const Error& err) {
    EXPECT_FALSE(err);
    log.push_back("end-cb");
  });
  EXPECT_TRUE(w->writableEnded());
  EXPECT_FALSE(w->writableFinished());
  EXPECT_FALSE(w->writable());
  run();
  EXPECT_EQ(sink->data, "hello world");
  EXPECT_EQ(log, (Log{"prefinish", "end-cb", "finish", "close"}));
  EXPECT_TRUE(w->destroyed());  // autoDestroy
}

TEST_F(WritableTest, EndTwiceAndEndAfterFinish) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink);
  Log log;
  w->on(Writable::Events::finish, [&] { log.push_back("finish"); });
  w->end([&](const Error& e) { log.push_back("end1:" + e.code); });
  w->end([&](const Error& e) { log.push_back("end2:" + e.code); });  // same finish
  run();
  EXPECT_EQ(log, (Log{"end1:", "end2:", "finish"}));
  w->end([&](const Error& e) { log.push_back("end3:" + e.code); });
  run();
  // Destroyed by now (autoDestroy), but finished first: Node reports ALREADY_FINISHED.
  EXPECT_EQ(log.back(), "end3:ERR_STREAM_ALREADY_FINISHED");
}

TEST_F(WritableTest, WriteAfterEndIsAnError) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink);
  Log log;
  w->on(Writable::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  w->on(Writable::Events::close, [&] { log.push_back("close"); });
  w->on(Writable::Events::finish, [&] { log.push_back("finish"); });
  w->end();
  bool cbCalled = false;
  EXPECT_FALSE(w->write("late", [&](const Error& e) {
    cbCalled = true;
    log.push_back("cb:" + e.code);
    EXPECT_EQ(e.message, "write after end");
  }));
  EXPECT_FALSE(cbCalled);  // the callback gets the error asynchronously
  run();
  EXPECT_EQ(log,
            (Log{"cb:ERR_STREAM_WRITE_AFTER_END", "error:ERR_STREAM_WRITE_AFTER_END", "close"}));
  EXPECT_EQ(sink->data, "");
}

TEST_F(WritableTest, EndWithDataAfterEndIsAnError) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink);
  std::string errorCode, cbCode = "<not called>";
  w->on(Writable::Events::error, [&](const Error& e) { errorCode = e.code; });
  w->end("a");
  w->end("b", [&](const Error& e) { cbCode = e.code; });
  run();
  EXPECT_EQ(errorCode, "ERR_STREAM_WRITE_AFTER_END");
  EXPECT_EQ(cbCode, "ERR_STREAM_WRITE_AFTER_END");
  EXPECT_EQ(sink->data, "a");
}

// Nothing in flight (corked): the queued writes and end() fail before `error` and `close`.
TEST_F(WritableTest, DestroyWithErrorFailsQueuedWritesThenErrorThenClose) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink);
  Log log;
  w->on(Writable::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  w->on(Writable::Events::close, [&] { log.push_back("close"); });
  w->on(Writable::Events::finish, [&] { log.push_back("finish"); });
  w->cork();
  w->write("queued1", [&](const Error& e) { log.push_back("q1:" + e.code); });
  w->write("queued2", [&](const Error& e) { log.push_back("q2:" + e.code); });
  w->destroy(Error("EBOOM", "boom"));
  EXPECT_TRUE(w->destroyed());
  EXPECT_TRUE(log.empty());
  run();
  EXPECT_EQ(log, (Log{"q1:EBOOM", "q2:EBOOM", "error:EBOOM", "close"}));
  EXPECT_EQ(sink->data, "");
  EXPECT_FALSE(w->writableFinished());
  EXPECT_EQ(w->writableLength(), 0u);
}

// Node: while a write is in flight, the queued ones fail when it completes (errorBuffer waits
// for `writing` to clear), which is after `error` and `close`; the in-flight write itself was
// already handed to _write and completes normally.
TEST_F(WritableTest, DestroyWithErrorFailsWritesQueuedBehindAnInFlightWrite) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink);
  Log log;
  w->on(Writable::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  w->on(Writable::Events::close, [&] { log.push_back("close"); });
  w->on(Writable::Events::finish, [&] { log.push_back("finish"); });
  w->write("in-flight", [&](const Error& e) { log.push_back("in-flight:" + e.code); });
  w->write("queued1", [&](const Error& e) { log.push_back("q1:" + e.code); });
  w->write("queued2", [&](const Error& e) { log.push_back("q2:" + e.code); });
  w->end([&](const Error& e) { log.push_back("end:" + e.code); });
  w->destroy(Error("EBOOM", "boom"));
  run();
  EXPECT_EQ(log, (Log{"error:EBOOM", "close", "in-flight:", "q1:EBOOM", "q2:EBOOM", "end:EBOOM"}));
  EXPECT_EQ(sink->data, "in-flight");
  EXPECT_FALSE(w->writableFinished());
}

TEST_F(WritableTest, DestroyWithoutErrorGivesPendingWritesErrStreamDestroyed) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink);
  Log log;
  w->on(Writable::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  w->on(Writable::Events::close, [&] { log.push_back("close"); });
  w->cork();  // (end() would uncork and hand the chunk to _write)
  w->write("queued", [&](const Error& e) { log.push_back("q:" + e.code); });
  w->destroy();
  run();
  EXPECT_EQ(log, (Log{"q:ERR_STREAM_DESTROYED", "close"}));
  EXPECT_FALSE(w->errored());
}

TEST_F(WritableTest, WriteAfterDestroyFailsTheCallbackOnly) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink);
  Log log;
  w->on(Writable::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  w->on(Writable::Events::close, [&] { log.push_back("close"); });
  w->destroy();
  EXPECT_FALSE(w->write("x", [&](const Error& e) { log.push_back("cb:" + e.code); }));
  run();
  EXPECT_EQ(log, (Log{"close", "cb:ERR_STREAM_DESTROYED"}));
  EXPECT_FALSE(w->errored());
  EXPECT_EQ(sink->data, "");
}

TEST_F(WritableTest, WriteErrorFromImplementation) {
  EVNODE_WATCHDOG(10);
  for (bool async : {false, true}) {
    WritableOptions o;
    o.write = [async](Writable&, const Buffer& chunk, WriteCallback cb) {
      Error err = chunk.toString() == "bad" ? Error("EIO", "i/o error") : Error();
      if (async) {
        setImmediate([cb, err] { cb(err); });
      } else {
        cb(err);
      }
    };
    auto w = std::make_shared<Writable>(std::move(o));
    Log log;
    w->on(Writable::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
    w->on(Writable::Events::close, [&] { log.push_back("close"); });
    w->write("good", [&](const Error& e) { log.push_back("good:" + e.code); });
    w->write("bad", [&](const Error& e) { log.push_back("bad:" + e.code); });
    w->write("after", [&](const Error& e) { log.push_back("after:" + e.code); });
    EXPECT_TRUE(log.empty());
    run();
    EXPECT_EQ(log, (Log{"good:", "bad:EIO", "after:EIO", "error:EIO", "close"})) << async;
    EXPECT_EQ(w->errored().code, "EIO");
    EXPECT_TRUE(w->destroyed());
  }
}

TEST_F(WritableTest, FinalRunsBeforeFinish) {
  EVNODE_WATCHDOG(10);
  Log log;
  WritableOptions o;
  o.write = [&](Writable&, const Buffer& chunk, WriteCallback cb) {
    log.push_back("write:" + chunk.toString());
    cb();
  };
  o.final = [&](Writable&, std::function<void(const Error&)> cb) {
    log.push_back("final");
    setTimeout(
        [&log, cb] {
          log.push_back("final-done");
          cb({});
        },
        2);
  };
  auto w = std::make_shared<Writable>(std::move(o));
  w->on(Writable::Events::prefinish, [&] { log.push_back("prefinish"); });
  w->on(Writable::Events::finish, [&] { log.push_back("finish"); });
  w->on(Writable::Events::close, [&] { log.push_back("close"); });
  w->write("a");
  w->end("b");
  run();
  EXPECT_EQ(log,
            (Log{"write:a", "write:b", "final", "final-done", "prefinish", "finish", "close"}));
}

TEST_F(WritableTest, FinalErrorPreventsFinish) {
  EVNODE_WATCHDOG(10);
  Log log;
  WritableOptions o;
  o.write = [](Writable&, const Buffer&, WriteCallback cb) { cb(); };
  o.final = [](Writable&, std::function<void(const Error&)> cb) {
    setImmediate([cb] { cb(Error("EFINAL", "flush failed")); });
  };
  auto w = std::make_shared<Writable>(std::move(o));
  w->on(Writable::Events::finish, [&] { log.push_back("finish"); });
  w->on(Writable::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  w->on(Writable::Events::close, [&] { log.push_back("close"); });
  w->end("x", [&](const Error& e) { log.push_back("end-cb:" + e.code); });
  run();
  EXPECT_EQ(log, (Log{"end-cb:EFINAL", "error:EFINAL", "close"}));
}

TEST_F(WritableTest, NoWriteImplementationIsAnError) {
  EVNODE_WATCHDOG(10);
  auto w = std::make_shared<Writable>();
  Log log;
  w->on(Writable::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  w->write("x", [&](const Error& e) { log.push_back("cb:" + e.code); });
  run();
  EXPECT_EQ(log, (Log{"cb:ERR_METHOD_NOT_IMPLEMENTED", "error:ERR_METHOD_NOT_IMPLEMENTED"}));
}

TEST_F(WritableTest, ManySynchronousWrites) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  sink->async = false;
  auto w = sinkWritable(sink, 64);
  int cbs = 0, drains = 0;
  w->on(Writable::Events::drain, [&] { ++drains; });
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    std::string s = std::to_string(i) + ",";
    expected += s;
    w->write(s, [&](const Error& e) {
      EXPECT_FALSE(e);
      ++cbs;
    });
  }
  bool finished = false;
  w->end([&](const Error&) { finished = true; });
  run();
  EXPECT_EQ(cbs, 1000);
  EXPECT_EQ(sink->data, expected);
  EXPECT_TRUE(finished);
  EXPECT_EQ(drains, 0);  // synchronous writes never build up a buffer
}

TEST_F(WritableTest, AutoDestroyFalseKeepsTheStreamAfterFinish) {
  EVNODE_WATCHDOG(10);
  WritableOptions o;
  o.autoDestroy = false;
  o.write = [](Writable&, const Buffer&, WriteCallback cb) { cb(); };
  auto w = std::make_shared<Writable>(std::move(o));
  Log log;
  w->on(Writable::Events::finish, [&] { log.push_back("finish"); });
  w->on(Writable::Events::close, [&] { log.push_back("close"); });
  w->end("x");
  run();
  EXPECT_EQ(log, (Log{"finish"}));
  EXPECT_FALSE(w->destroyed());
  w->destroy();
  run();
  EXPECT_EQ(log, (Log{"finish", "close"}));
}

TEST_F(WritableTest, DestroyFromInsideWriteCallbackAndListeners) {
  EVNODE_WATCHDOG(10);
  auto sink = std::make_shared<Sink>();
  auto w = sinkWritable(sink);
  Log log;
  w->on(Writable::Events::close, [&] { log.push_back("close"); });
  w->write("a", [&](const Error&) {
    log.push_back("cb-a");
    w->destroy();
    w->destroy();
  });
  w->write("b", [&](const Error& e) { log.push_back("cb-b:" + e.code); });
  run();
  // "b" was handed to _write when "a" completed, before the destroy: it completes normally.
  EXPECT_EQ(log, (Log{"cb-a", "close", "cb-b:"}));
}

TEST_F(WritableTest, ListenerCapturingItsStreamIsFreedAfterClose) {
  EVNODE_WATCHDOG(10);
  std::weak_ptr<Writable> weak;
  {
    auto sink = std::make_shared<Sink>();
    auto w = sinkWritable(sink, 4);
    weak = w;
    w->on(Writable::Events::drain, [w] { w->end(); });
    w->on(Writable::Events::finish, [w] { EXPECT_TRUE(w->writableFinished()); });
    w->on(Writable::Events::close, [w] {});
    EXPECT_FALSE(w->write("12345"));
  }
  EXPECT_FALSE(weak.expired());
  run();
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace evnode
