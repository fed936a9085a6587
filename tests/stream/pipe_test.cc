// pipe() with backpressure and end propagation, unpipe, pipeline() and finished().
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

class PipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setUncaughtErrorHandler(
        [](const Error& e) { ADD_FAILURE() << "uncaught error: " << e.code << " " << e.message; });
  }
  void TearDown() override { setUncaughtErrorHandler(nullptr); }
};

// A writable that stores what it gets and completes each write on a later loop turn. `onWrite`
// runs at every write (for sampling buffer sizes).
struct Collector {
  std::string data;
  int writes = 0;
  std::function<void()> onWrite;
};

std::shared_ptr<Writable> collector(std::shared_ptr<Collector> c, std::size_t hwm = 16 * 1024,
                                    bool async = true) {
  WritableOptions o;
  o.highWaterMark = hwm;
  o.write = [c, async](Writable&, const Buffer& chunk, WriteCallback cb) {
    c->data += chunk.toString("latin1");
    ++c->writes;
    if (c->onWrite) c->onWrite();
    if (async) {
      setImmediate([cb] { cb(); });
    } else {
      cb();
    }
  };
  return std::make_shared<Writable>(std::move(o));
}

std::shared_ptr<Readable> manualReadable(std::size_t hwm = 16 * 1024) {
  ReadableOptions o;
  o.highWaterMark = hwm;
  o.read = [](Readable&, std::size_t) {};
  return std::make_shared<Readable>(std::move(o));
}

std::vector<Buffer> numberedChunks(int n, std::size_t size) {
  std::vector<Buffer> out;
  for (int i = 0; i < n; ++i)
    out.push_back(Buffer::alloc(size, static_cast<std::uint8_t>('a' + i % 26)));
  return out;
}

std::string concat(const std::vector<Buffer>& chunks) {
  std::string s;
  for (auto& c : chunks) s += c.toString("latin1");
  return s;
}

std::shared_ptr<Transform> uppercase() {
  TransformOptions o;
  o.transform = [](Transform&, const Buffer& chunk, TransformCallback cb) {
    std::string s = chunk.toString();
    for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    cb({}, Buffer::from(s));
  };
  return std::make_shared<Transform>(std::move(o));
}

// --- pipe ------------------------------------------------------------------------------------

TEST_F(PipeTest, PipeCopiesEverythingAndEndsTheDestination) {
  EVNODE_WATCHDOG(10);
  auto chunks = numberedChunks(10, 100);
  auto src = readableFrom(chunks);
  auto c = std::make_shared<Collector>();
  auto dst = collector(c);
  Log log;
  dst->on(Writable::Events::pipe, [&](Readable& r) {
    EXPECT_EQ(&r, src.get());
    log.push_back("pipe");
  });
  dst->on(Writable::Events::finish, [&] { log.push_back("finish"); });
  src->on(Readable::Events::end, [&] { log.push_back("end"); });
  auto ret = src->pipe(dst);
  EXPECT_EQ(ret, dst);
  EXPECT_EQ(log, (Log{"pipe"}));  // emitted synchronously
  run();
  EXPECT_EQ(c->data, concat(chunks));
  EXPECT_EQ(log, (Log{"pipe", "end", "finish"}));
  EXPECT_TRUE(src->destroyed());
  EXPECT_TRUE(dst->destroyed());
}

// A destination that adds to write() and end() (as a socket's batching and a response's framing
// do) is called through its own overrides by pipe(), as by a direct call.
TEST_F(PipeTest, PipeCallsTheDestinationsOwnWriteAndEnd) {
  EVNODE_WATCHDOG(10);
  struct Counting : Writable {
    std::vector<std::string> calls;
    std::string data;
    void _write(const Buffer& chunk, WriteCallback cb) override {
      data.append(chunk.view());
      cb({});
    }
    bool write(Buffer chunk, Callback cb) override {
      calls.push_back("write " + std::string(chunk.view()));
      return Writable::write(std::move(chunk), std::move(cb));
    }
    Writable& end(Callback cb) override {
      calls.push_back("end");
      return Writable::end(std::move(cb));
    }
  };
  auto src = readableFrom({Buffer::from("ab"), Buffer::from("cd")});
  auto dst = std::make_shared<Counting>();
  src->pipe(dst);
  run();
  EXPECT_EQ(dst->calls, (std::vector<std::string>{"write ab", "write cd", "end"}));
  EXPECT_EQ(dst->data, "abcd");
  EXPECT_TRUE(dst->writableFinished());
}

TEST_F(PipeTest, PipeChainsThroughATransform) {
  EVNODE_WATCHDOG(10);
  auto src = readableFrom({Buffer::from("hello "), Buffer::from("pipe "), Buffer::from("world")});
  auto c = std::make_shared<Collector>();
  bool finished = false;
  src->pipe(uppercase())->pipe(collector(c))->on(Writable::Events::finish, [&] {
    finished = true;
  });
  run();
  EXPECT_EQ(c->data, "HELLO PIPE WORLD");
  EXPECT_TRUE(finished);
}

TEST_F(PipeTest, PipeRespectsBackpressure) {
  EVNODE_WATCHDOG(20);
  auto chunks = numberedChunks(200, 1024);
  ReadableOptions o;
  o.highWaterMark = 4096;
  auto next = std::make_shared<std::size_t>(0);
  int reads = 0;
  o.read = [&chunks, next, &reads](Readable& r, std::size_t) {
    ++reads;
    if (*next < chunks.size()) {
      r.push(chunks[(*next)++]);
    } else {
      r.push(nullptr);
    }
  };
  auto src = std::make_shared<Readable>(std::move(o));
  auto c = std::make_shared<Collector>();
  auto dst = collector(c, 4096);
  std::size_t maxBuffered = 0;
  c->onWrite = [&] {
    maxBuffered = std::max(maxBuffered, src->readableLength() + dst->writableLength());
  };
  int pauses = 0, drains = 0;
  src->on(Readable::Events::pause, [&] { ++pauses; });
  dst->on(Writable::Events::drain, [&] { ++drains; });
  src->pipe(dst);
  run();
  EXPECT_EQ(c->data, concat(chunks));
  EXPECT_GT(pauses, 10);  // write() returned false and the source stopped, many times
  EXPECT_GT(drains, 10);
  EXPECT_LE(maxBuffered, 2u * 4096 + 1024);
  EXPECT_LE(reads, 202);  // no more _read calls than chunks (plus EOF and one spare)
}

TEST_F(PipeTest, PipeEndFalseLeavesTheDestinationOpen) {
  EVNODE_WATCHDOG(10);
  auto src = readableFrom({Buffer::from("first part;")});
  auto c = std::make_shared<Collector>();
  auto dst = collector(c);
  bool srcEnded = false, finished = false;
  src->on(Readable::Events::end, [&] { srcEnded = true; });
  dst->on(Writable::Events::finish, [&] { finished = true; });
  src->pipe(dst, {.end = false});
  run();
  EXPECT_TRUE(srcEnded);
  EXPECT_FALSE(finished);
  EXPECT_FALSE(dst->writableEnded());
  EXPECT_TRUE(dst->writable());
  // A second source can follow into the same destination.
  auto src2 = readableFrom({Buffer::from("second part")});
  src2->pipe(dst);
  run();
  EXPECT_EQ(c->data, "first part;second part");
  EXPECT_TRUE(finished);
}

TEST_F(PipeTest, UnpipeStopsTheData) {
  EVNODE_WATCHDOG(10);
  auto src = manualReadable();
  auto c = std::make_shared<Collector>();
  auto dst = collector(c);
  Log log;
  dst->on(Writable::Events::unpipe, [&](Readable& r) {
    EXPECT_EQ(&r, src.get());
    log.push_back("unpipe");
  });
  src->pipe(dst);
  run();
  src->push("a");
  run();
  EXPECT_EQ(c->data, "a");
  src->unpipe(dst);
  EXPECT_EQ(log, (Log{"unpipe"}));
  EXPECT_EQ(src->readableFlowing(), std::optional<bool>(false));
  src->push("b");
  run();
  EXPECT_EQ(c->data, "a");
  EXPECT_EQ(src->readableLength(), 1u);  // "b" waits in the source
  EXPECT_FALSE(dst->writableEnded());
  src->unpipe(dst);  // again: nothing happens
  EXPECT_EQ(log.size(), 1u);
  src->destroy();
  dst->end();
  run();
}

TEST_F(PipeTest, UnpipeAllDestinations) {
  EVNODE_WATCHDOG(10);
  auto src = manualReadable();
  auto c1 = std::make_shared<Collector>(), c2 = std::make_shared<Collector>();
  auto d1 = collector(c1), d2 = collector(c2);
  int unpipes = 0;
  d1->on(Writable::Events::unpipe, [&](Readable&) { ++unpipes; });
  d2->on(Writable::Events::unpipe, [&](Readable&) { ++unpipes; });
  src->pipe(d1);
  src->pipe(d2);
  src->push("x");
  run();
  EXPECT_EQ(c1->data, "x");
  EXPECT_EQ(c2->data, "x");
  src->unpipe();
  EXPECT_EQ(unpipes, 2);
  src->push("y");
  run();
  EXPECT_EQ(c1->data, "x");
  EXPECT_EQ(c2->data, "x");
  src->destroy();
  d1->end();
  d2->end();
  run();
}

TEST_F(PipeTest, PipeToTwoDestinationsWaitsForTheSlowerOne) {
  EVNODE_WATCHDOG(20);
  auto chunks = numberedChunks(50, 1000);
  auto src = readableFrom(chunks);
  auto fast = std::make_shared<Collector>(), slow = std::make_shared<Collector>();
  auto dFast = collector(fast, 2000, false);
  WritableOptions o;
  o.highWaterMark = 2000;
  o.write = [slow](Writable&, const Buffer& chunk, WriteCallback cb) {
    slow->data += chunk.toString("latin1");
    setTimeout([cb] { cb(); }, 1);
  };
  auto dSlow = std::make_shared<Writable>(std::move(o));
  std::size_t maxAhead = 0;
  fast->onWrite = [&] {
    maxAhead =
        std::max(maxAhead, fast->data.size() - std::min(fast->data.size(), slow->data.size()));
  };
  src->pipe(dFast);
  src->pipe(dSlow);
  run();
  EXPECT_EQ(fast->data, concat(chunks));
  EXPECT_EQ(slow->data, concat(chunks));
  EXPECT_LE(maxAhead, 6000u);  // the fast one cannot run far ahead
  EXPECT_TRUE(dFast->writableFinished());
  EXPECT_TRUE(dSlow->writableFinished());
}

TEST_F(PipeTest, PipeIntoADestinationThatNeedsDrainWaits) {
  EVNODE_WATCHDOG(10);
  auto c = std::make_shared<Collector>();
  auto dst = collector(c, 4);
  EXPECT_FALSE(dst->write("full!"));
  EXPECT_TRUE(dst->writableNeedDrain());
  auto src = readableFrom({Buffer::from("-more")});
  src->pipe(dst);
  EXPECT_NE(src->readableFlowing(), std::optional<bool>(true));
  run();
  EXPECT_EQ(c->data, "full!-more");
  EXPECT_TRUE(dst->writableFinished());
}

TEST_F(PipeTest, PipeFromASourceThatAlreadyEnded) {
  EVNODE_WATCHDOG(10);
  ReadableOptions o;
  o.autoDestroy = false;
  o.read = [](Readable& r, std::size_t) { r.push(nullptr); };
  auto src = std::make_shared<Readable>(std::move(o));
  bool ended = false;
  src->on(Readable::Events::end, [&] { ended = true; });
  src->resume();
  run();
  ASSERT_TRUE(ended);
  auto c = std::make_shared<Collector>();
  auto dst = collector(c);
  src->pipe(dst);
  run();
  EXPECT_TRUE(dst->writableFinished());  // Node ends the destination on the next tick
}

TEST_F(PipeTest, DestinationErrorUnpipesTheSource) {
  EVNODE_WATCHDOG(10);
  auto src = manualReadable();
  WritableOptions o;
  o.write = [](Writable&, const Buffer&, WriteCallback cb) {
    setImmediate([cb] { cb(Error("EPIPE", "broken pipe")); });
  };
  auto dst = std::make_shared<Writable>(std::move(o));
  Log log;
  dst->on(Writable::Events::unpipe, [&](Readable&) { log.push_back("unpipe"); });
  dst->on(Writable::Events::error, [&](const Error& e) { log.push_back("error:" + e.code); });
  dst->on(Writable::Events::close, [&] { log.push_back("close"); });
  src->pipe(dst);
  src->push("x");
  run();
  EXPECT_EQ(log, (Log{"unpipe", "error:EPIPE", "close"}));
  EXPECT_FALSE(src->destroyed());  // pipe() does not destroy the source
  EXPECT_EQ(src->readableFlowing(), std::optional<bool>(false));
  src->destroy();
  run();
}

TEST_F(PipeTest, DestinationErrorWithoutOtherListenerIsUncaught) {
  EVNODE_WATCHDOG(10);
  std::vector<std::string> uncaught;
  setUncaughtErrorHandler([&](const Error& e) { uncaught.push_back(e.code); });
  auto src = manualReadable();
  auto c = std::make_shared<Collector>();
  auto dst = collector(c);
  src->pipe(dst);
  dst->destroy(Error("EBOOM", "boom"));
  run();
  EXPECT_EQ(uncaught, (std::vector<std::string>{"EBOOM"}));
  src->destroy();
  run();
}

TEST_F(PipeTest, DestinationClosingEarlyUnpipes) {
  EVNODE_WATCHDOG(10);
  auto src = manualReadable();
  auto c = std::make_shared<Collector>();
  auto dst = collector(c);
  int unpipes = 0;
  dst->on(Writable::Events::unpipe, [&](Readable&) { ++unpipes; });
  src->pipe(dst);
  run();
  dst->destroy();
  run();
  EXPECT_EQ(unpipes, 1);
  src->push("after");
  run();
  EXPECT_EQ(c->data, "");
  src->destroy();
  run();
}

TEST_F(PipeTest, PipedStreamsAreFreedAfterwards) {
  EVNODE_WATCHDOG(10);
  std::weak_ptr<Readable> wsrc;
  std::weak_ptr<Writable> wdst;
  {
    auto src = readableFrom(numberedChunks(5, 10));
    auto c = std::make_shared<Collector>();
    auto dst = collector(c);
    wsrc = src;
    wdst = dst;
    src->on(Readable::Events::end, [src] {});
    dst->on(Writable::Events::finish, [dst] {});
    src->pipe(dst);
  }
  run();
  EXPECT_TRUE(wsrc.expired());
  EXPECT_TRUE(wdst.expired());
}

// --- pipeline --------------------------------------------------------------------------------

TEST_F(PipeTest, PipelineSuccess) {
  EVNODE_WATCHDOG(10);
  auto src = readableFrom({Buffer::from("a"), Buffer::from("b"), Buffer::from("c")});
  auto t = uppercase();
  auto c = std::make_shared<Collector>();
  auto dst = collector(c);
  int calls = 0;
  Error got(std::string("unset"), "");
  pipeline({src, t, dst}, [&](const Error& err) {
    ++calls;
    got = err;
    EXPECT_TRUE(dst->writableFinished());
    EXPECT_EQ(c->data, "ABC");
  });
  run();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(got);
}

TEST_F(PipeTest, PipelineMiddleStreamErrorDestroysAll) {
  EVNODE_WATCHDOG(10);
  auto src = readableFrom(numberedChunks(100, 10));
  TransformOptions o;
  int n = 0;
  o.transform = [&n](Transform&, const Buffer& chunk, TransformCallback cb) {
    if (++n == 3) {
      cb(Error("EBADCHUNK", "third chunk is bad"), std::nullopt);
    } else {
      cb({}, chunk);
    }
  };
  auto t = std::make_shared<Transform>(std::move(o));
  auto c = std::make_shared<Collector>();
  auto dst = collector(c);
  int calls = 0;
  Error got;
  pipeline({src, t, dst}, [&](const Error& err) {
    ++calls;
    got = err;
  });
  run();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(got.code, "EBADCHUNK");
  EXPECT_TRUE(src->destroyed());
  EXPECT_TRUE(t->destroyed());
  EXPECT_TRUE(dst->destroyed());
  EXPECT_TRUE(src->closed());
  EXPECT_TRUE(dst->closed());
  EXPECT_FALSE(dst->writableFinished());
  EXPECT_LE(c->data.size(), 20u);
}

TEST_F(PipeTest, PipelineSourceErrorReachesTheCallback) {
  EVNODE_WATCHDOG(10);
  auto src = manualReadable();
  auto c = std::make_shared<Collector>();
  auto dst = collector(c);
  Error got;
  int calls = 0;
  pipeline({src, dst}, [&](const Error& err) {
    ++calls;
    got = err;
  });
  src->push("partial");
  run();
  src->destroy(Error("ECONNRESET", "peer reset"));
  run();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(got.code, "ECONNRESET");
  EXPECT_TRUE(dst->destroyed());
  EXPECT_EQ(c->data, "partial");
}

TEST_F(PipeTest, PipelineLastStreamErrorDestroysTheSource) {
  EVNODE_WATCHDOG(10);
  auto src = manualReadable();
  WritableOptions o;
  o.write = [](Writable&, const Buffer&, WriteCallback cb) { cb(Error("ENOSPC", "disk full")); };
  auto dst = std::make_shared<Writable>(std::move(o));
  Error got;
  pipeline({src, dst}, [&](const Error& err) { got = err; });
  src->push("data");
  run();
  EXPECT_EQ(got.code, "ENOSPC");
  EXPECT_TRUE(src->destroyed());
}

// Node: the callback comes after every stream reported, so all of them are closed by then.
TEST_F(PipeTest, PipelineCallbackComesAfterEveryStreamClosed) {
  EVNODE_WATCHDOG(10);
  auto src = readableFrom({Buffer::from("x")});
  auto t = uppercase();
  auto c = std::make_shared<Collector>();
  auto dst = collector(c);
  bool called = false;
  pipeline({src, t, dst}, [&](const Error& err) {
    EXPECT_FALSE(err);
    EXPECT_TRUE(src->closed());
    EXPECT_TRUE(t->closed());
    EXPECT_TRUE(dst->closed());
    called = true;
  });
  run();
  EXPECT_TRUE(called);
}

// A Duplex at the end (a socket) is only watched on its writable side: nobody reads it, and
// the pipeline still completes once everything was written.
TEST_F(PipeTest, PipelineIntoADuplexWatchesOnlyItsWritableSide) {
  EVNODE_WATCHDOG(10);
  auto written = std::make_shared<std::string>();
  DuplexOptions o;
  o.readable.read = [](Readable&, std::size_t) {};  // never produces anything
  o.writable.write = [written](Writable&, const Buffer& chunk, WriteCallback cb) {
    *written += chunk.toString();
    cb();
  };
  auto sock = std::make_shared<Duplex>(std::move(o));
  auto src = readableFrom({Buffer::from("GET / HTTP/1.1\r\n\r\n")});
  bool called = false;
  pipeline({src, sock}, [&](const Error& err) {
    EXPECT_FALSE(err);
    called = true;
  });
  run();
  EXPECT_TRUE(called);
  EXPECT_EQ(*written, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_FALSE(sock->destroyed());  // its readable side is still open
  sock->destroy();
  run();
}

// A real error wins over the premature closes that destroying the other streams causes.
TEST_F(PipeTest, PipelineReportsTheRealErrorNotPrematureClose) {
  EVNODE_WATCHDOG(10);
  auto src = manualReadable();
  auto t = uppercase();
  auto c = std::make_shared<Collector>();
  auto dst = collector(c);
  std::vector<std::string> codes;
  pipeline({src, t, dst}, [&](const Error& err) { codes.push_back(err.code); });
  run();
  dst->destroy();                                    // premature close of the sink first...
  t->destroy(Error("EREAL", "the actual failure"));  // ...then a real error
  run();
  EXPECT_EQ(codes, (std::vector<std::string>{"EREAL"}));
  EXPECT_TRUE(src->destroyed());
}

TEST_F(PipeTest, PipelineDoesNotDestroyAStreamThatCompleted) {
  EVNODE_WATCHDOG(10);
  ReadableOptions o;
  o.autoDestroy = false;
  o.read = [](Readable& r, std::size_t) {
    r.push("all of it");
    r.push(nullptr);
  };
  auto src = std::make_shared<Readable>(std::move(o));
  WritableOptions wo;
  wo.write = [](Writable&, const Buffer&, WriteCallback cb) { cb(); };
  wo.final = [](Writable&, std::function<void(const Error&)> cb) {
    setImmediate([cb] { cb(Error("EFLUSH", "final flush failed")); });
  };
  auto dst = std::make_shared<Writable>(std::move(wo));
  std::string code;
  pipeline({src, dst}, [&](const Error& err) { code = err.code; });
  run();
  EXPECT_EQ(code, "EFLUSH");
  EXPECT_TRUE(src->readableEnded());
  EXPECT_FALSE(src->destroyed());  // it had ended well before the sink failed
  EXPECT_TRUE(dst->destroyed());
  src->destroy();
  run();
}

TEST_F(PipeTest, PipelineArgumentChecks) {
  auto r = manualReadable();
  auto c = std::make_shared<Collector>();
  auto w = collector(c);
  auto code = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const Exception& e) {
      return e.code();
    }
    return "";
  };
  EXPECT_EQ(code([&] { pipeline({r}, [](const Error&) {}); }), "ERR_INVALID_ARG_VALUE");
  EXPECT_EQ(code([&] { pipeline({w, r}, [](const Error&) {}); }), "ERR_INVALID_ARG_TYPE");
  EXPECT_EQ(code([&] { pipeline({r, r}, [](const Error&) {}); }), "ERR_INVALID_ARG_TYPE");
  r->destroy();
  w->destroy();
  run();
}

// --- finished --------------------------------------------------------------------------------

TEST_F(PipeTest, FinishedReadable) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({Buffer::from("x")});
  Log log;
  r->on(Readable::Events::end, [&] { log.push_back("end"); });
  finished(r, [&](const Error& err) { log.push_back("finished:" + err.code); });
  r->resume();
  run();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0], "end");
  EXPECT_EQ(log[1], "finished:");
}

TEST_F(PipeTest, FinishedWritable) {
  EVNODE_WATCHDOG(10);
  auto c = std::make_shared<Collector>();
  auto w = collector(c);
  Log log;
  w->on(Writable::Events::finish, [&] { log.push_back("finish"); });
  finished(w, [&](const Error& err) { log.push_back("finished:" + err.code); });
  w->end("bye");
  run();
  EXPECT_EQ(log, (Log{"finish", "finished:"}));
}

// Node: for a stream that will emit `close` (autoDestroy + emitClose), finished() waits for it.
TEST_F(PipeTest, FinishedWaitsForCloseWhenTheStreamWillEmitIt) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({Buffer::from("x")});
  Log log;
  r->on(Readable::Events::end, [&] { log.push_back("end"); });
  r->on(Readable::Events::close, [&] { log.push_back("close"); });
  finished(r, [&](const Error& err) {
    log.push_back("finished:" + err.code);
    EXPECT_TRUE(r->destroyed());
  });
  r->resume();
  run();
  EXPECT_EQ(log, (Log{"end", "close", "finished:"}));

  auto c = std::make_shared<Collector>();
  auto w = collector(c);
  Log wlog;
  w->on(Writable::Events::finish, [&] { wlog.push_back("finish"); });
  w->on(Writable::Events::close, [&] { wlog.push_back("close"); });
  finished(w, [&](const Error& err) { wlog.push_back("finished:" + err.code); });
  w->end("x");
  run();
  EXPECT_EQ(wlog, (Log{"finish", "close", "finished:"}));
}

TEST_F(PipeTest, FinishedWithoutAutoDestroyFiresAtEnd) {
  EVNODE_WATCHDOG(10);
  ReadableOptions o;
  o.autoDestroy = false;
  o.read = [](Readable& r, std::size_t) { r.push(nullptr); };
  auto r = std::make_shared<Readable>(std::move(o));
  bool done = false;
  finished(r, [&](const Error& err) {
    EXPECT_FALSE(err);
    EXPECT_FALSE(r->destroyed());
    done = true;
  });
  r->resume();
  run();
  EXPECT_TRUE(done);
  // Already ended: a new finished() reports at once (next tick).
  bool again = false;
  finished(r, [&](const Error& err) {
    EXPECT_FALSE(err);
    again = true;
  });
  run();
  EXPECT_TRUE(again);
  r->destroy();
  run();
}

TEST_F(PipeTest, FinishedDuplexNeedsBothSides) {
  EVNODE_WATCHDOG(10);
  auto p = std::make_shared<PassThrough>();
  bool done = false;
  finished(p, [&](const Error& err) {
    EXPECT_FALSE(err);
    done = true;
  });
  p->end("data");
  run();
  EXPECT_FALSE(done);  // finished writing, but nobody read the data: not ended
  p->resume();
  run();
  EXPECT_TRUE(done);
}

TEST_F(PipeTest, FinishedReportsPrematureClose) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  std::string code = "<not called>";
  finished(r, [&](const Error& err) { code = err.code; });
  r->push("data");
  r->destroy();
  run();
  EXPECT_EQ(code, "ERR_STREAM_PREMATURE_CLOSE");

  auto c = std::make_shared<Collector>();
  auto w = collector(c);
  std::string wcode = "<not called>";
  finished(w, [&](const Error& err) { wcode = err.code; });
  w->write("unfinished");
  w->destroy();
  run();
  EXPECT_EQ(wcode, "ERR_STREAM_PREMATURE_CLOSE");
}

TEST_F(PipeTest, FinishedReportsTheError) {
  EVNODE_WATCHDOG(10);
  auto r = manualReadable();
  int calls = 0;
  std::string code;
  finished(r, [&](const Error& err) {
    ++calls;
    code = err.code;
  });
  r->destroy(Error("EBOOM", "boom"));
  run();
  EXPECT_EQ(calls, 1);  // error and close, one callback
  EXPECT_EQ(code, "EBOOM");
}

TEST_F(PipeTest, FinishedOnAStreamThatIsAlreadyDone) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({});
  r->resume();
  run();
  ASSERT_TRUE(r->closed());
  bool called = false;
  finished(r, [&](const Error& err) {
    EXPECT_FALSE(err);
    called = true;
  });
  EXPECT_FALSE(called);  // always asynchronous
  run();
  EXPECT_TRUE(called);

  auto destroyed = manualReadable();
  destroyed->destroy();
  run();
  std::string code;
  finished(destroyed, [&](const Error& err) { code = err.code; });
  run();
  EXPECT_EQ(code, "ERR_STREAM_PREMATURE_CLOSE");
}

TEST_F(PipeTest, FinishedCleanupRemovesTheListeners) {
  EVNODE_WATCHDOG(10);
  auto r = readableFrom({Buffer::from("x")});
  bool called = false;
  auto cleanup = finished(r, [&](const Error&) { called = true; });
  cleanup();
  r->resume();
  run();
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace evnode
