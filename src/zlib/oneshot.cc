// Node's one-shot calls: zlib.gzip(buf, cb) and the others run the whole input through a codec
// on libuv's thread pool; the *Sync forms run it on the caller's thread; promises:: awaits the
// pool's. The options are checked (and the codec made) at the call, so bad ones throw there.
#include <uv.h>

#include <memory>
#include <utility>

#include "core/callback_scope.h"
#include "evnode/loop.h"
#include "zlib/engine.h"
#include "zlib/options.h"

namespace evnode::zlib {

namespace {

struct Job {
  std::unique_ptr<detail::Engine> engine;
  int flush = 0;
  std::uint64_t maxOutput = detail::kMaxLength;
  std::size_t chunkSize = constants::Z_DEFAULT_CHUNK;
};

Job makeJob(Mode mode, const Options& o) {
  Job j;
  j.engine = detail::makeEngine(detail::checkZlib(mode, o));
  j.flush = o.finishFlush;
  j.maxOutput = detail::checkMaxOutput(o.maxOutputLength, detail::kMaxLength);
  j.chunkSize = o.chunkSize;
  return j;
}

Job makeJob(Mode mode, const BrotliOptions& o) {
  Job j;
  j.engine = detail::makeEngine(detail::checkBrotli(mode, o));
  j.flush = o.finishFlush;
  j.maxOutput = detail::checkMaxOutput(o.maxOutputLength, detail::kMaxLength);
  j.chunkSize = o.chunkSize;
  return j;
}

Error runJob(Job& j, const Buffer& data, Buffer& out) {
  return detail::runAll(*j.engine, data.data(), data.size(), j.flush, j.maxOutput, j.chunkSize,
                        out);
}

Buffer runSync(Job j, const Buffer& data) {
  Buffer out;
  Error err = runJob(j, data, out);
  if (err) throwAsException(err);
  return out;
}

// One call on the thread pool: the request owns itself until its completion runs.
struct PoolWork {
  uv_work_t req;
  Job job;
  Buffer in, out;
  Error err;
  Callback cb;
};

void queue(Job job, Buffer data, Callback cb) {
  auto* w = new PoolWork{};
  w->req.data = w;
  w->job = std::move(job);
  w->in = std::move(data);
  w->cb = std::move(cb);
  int r = uv_queue_work(
      Loop::current().uv(), &w->req,
      [](uv_work_t* req) {
        auto* w = static_cast<PoolWork*>(req->data);
        w->err = runJob(w->job, w->in, w->out);
      },
      [](uv_work_t* req, int status) {
        std::unique_ptr<PoolWork> w(static_cast<PoolWork*>(req->data));
        evnode::detail::CallbackScope scope;
        w->job.engine.reset();
        w->in = Buffer();
        if (status < 0 && !w->err) w->err = Error::fromUv(status, "zlib");
        if (w->cb) w->cb(w->err, w->err ? Buffer() : std::move(w->out));
      });
  if (r < 0) {
    std::unique_ptr<PoolWork> owned(w);
    Error err = Error::fromUv(r, "uv_queue_work");
    nextTick([cb = std::move(owned->cb), err] {
      if (cb) cb(err, Buffer());
    });
  }
}

promises::CodecOperation makeOperation(Mode mode, Buffer data, const Options& opts,
                                       std::shared_ptr<AbortSignal> signal) {
  return promises::CodecOperation(mode, std::move(data), opts, {}, std::move(signal));
}
promises::CodecOperation makeOperation(Mode mode, Buffer data, const BrotliOptions& opts,
                                       std::shared_ptr<AbortSignal> signal) {
  return promises::CodecOperation(mode, std::move(data), {}, opts, std::move(signal));
}

}  // namespace

#define EVNODE_ZLIB_ONESHOT(name, mode, Opts)                                                 \
  void name(Buffer data, Callback cb) { name(std::move(data), Opts{}, std::move(cb)); }       \
  void name(Buffer data, const Opts& opts, Callback cb) {                                     \
    queue(makeJob(Mode::mode, opts), std::move(data), std::move(cb));                         \
  }                                                                                           \
  Buffer name##Sync(const Buffer& data, const Opts& opts) {                                   \
    return runSync(makeJob(Mode::mode, opts), data);                                          \
  }                                                                                           \
  promises::CodecOperation promises::name(Buffer data, std::shared_ptr<AbortSignal> signal) { \
    return makeOperation(Mode::mode, std::move(data), Opts{}, std::move(signal));             \
  }                                                                                           \
  promises::CodecOperation promises::name(Buffer data, const Opts& opts,                      \
                                          std::shared_ptr<AbortSignal> signal) {              \
    return makeOperation(Mode::mode, std::move(data), opts, std::move(signal));               \
  }

EVNODE_ZLIB_ONESHOT(gzip, Gzip, Options)
EVNODE_ZLIB_ONESHOT(gunzip, Gunzip, Options)
EVNODE_ZLIB_ONESHOT(deflate, Deflate, Options)
EVNODE_ZLIB_ONESHOT(inflate, Inflate, Options)
EVNODE_ZLIB_ONESHOT(deflateRaw, DeflateRaw, Options)
EVNODE_ZLIB_ONESHOT(inflateRaw, InflateRaw, Options)
EVNODE_ZLIB_ONESHOT(unzip, Unzip, Options)
EVNODE_ZLIB_ONESHOT(brotliCompress, BrotliCompress, BrotliOptions)
EVNODE_ZLIB_ONESHOT(brotliDecompress, BrotliDecompress, BrotliOptions)
#undef EVNODE_ZLIB_ONESHOT

namespace promises {

CodecOperation::CodecOperation(Mode mode, Buffer data, Options zopts, BrotliOptions bopts,
                               std::shared_ptr<AbortSignal> signal)
    : Operation(std::move(signal)),
      mode_(mode),
      data_(std::move(data)),
      zopts_(std::move(zopts)),
      bopts_(std::move(bopts)) {}

CodecOperation::CodecOperation(CodecOperation&& o) noexcept
    : Operation(std::move(o)),
      mode_(o.mode_),
      data_(std::move(o.data_)),
      zopts_(std::move(o.zopts_)),
      bopts_(std::move(o.bopts_)) {}

CodecOperation::~CodecOperation() {
  if (alive_) *alive_ = false;
}

void CodecOperation::start() {
  alive_ = std::make_shared<bool>(true);
  Job job;
  try {
    job = detail::isBrotli(mode_) ? makeJob(mode_, bopts_) : makeJob(mode_, zopts_);
  } catch (const Exception& e) {
    reject(Error(e.code(), e.what()));
    return;
  }
  queue(std::move(job), std::move(data_), [this, alive = alive_](const Error& err, Buffer out) {
    if (!*alive) return;
    if (err) {
      reject(err);
    } else {
      resolve(std::move(out));
    }
  });
}

void CodecOperation::stop() {
  if (alive_) *alive_ = false;
}

}  // namespace promises

}  // namespace evnode::zlib
