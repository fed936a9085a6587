// The zlib and brotli streams: a Transform that runs its Engine over each written chunk on the
// loop thread, pushing output as each piece of chunkSize fills. While the readable side is at
// its high-water mark the work stops in the middle of the chunk and resumes at the next _read,
// so memory stays bounded even when a few bytes in expand to gigabytes out.
#include <utility>

#include "evnode/loop.h"
#include "zlib/engine.h"
#include "zlib/options.h"

namespace evnode::zlib {

using constants::BROTLI_OPERATION_FLUSH;
using constants::Z_FULL_FLUSH;
using constants::Z_SYNC_FLUSH;

ZlibBase::ZlibBase(Mode mode, std::unique_ptr<detail::Engine> engine, int flush, int finishFlush,
                   std::size_t chunkSize, std::optional<std::uint64_t> maxOutput)
    : Transform(TransformOptions{}),
      engine_(std::move(engine)),
      maxOutput_(maxOutput),
      chunkSize_(chunkSize),
      flush_(flush),
      finishFlush_(finishFlush),
      mode_(mode) {}

ZlibBase::~ZlibBase() = default;

int ZlibBase::defaultFullFlush() const {
  return detail::isBrotli(mode_) ? BROTLI_OPERATION_FLUSH : Z_FULL_FLUSH;
}

void ZlibBase::_transform(const Buffer& chunk, TransformCallback cb) {
  jobFlush_ = flush_;
  if (chunk.empty() && !flushKinds_.empty() && chunk.storage() == flushKinds_.front().first) {
    // The empty write flush() made (known by its storage: a user's own empty write is not it).
    jobFlush_ = flushKinds_.front().second;
    flushKinds_.erase(flushKinds_.begin());
  }
  in_ = chunk;
  inPos_ = 0;
  jobCb_ = std::move(cb);
  process();
}

void ZlibBase::_flush(TransformCallback cb) {
  in_ = Buffer();
  inPos_ = 0;
  jobFlush_ = finishFlush_;
  jobCb_ = std::move(cb);
  process();
}

void ZlibBase::_read(std::size_t size) {
  if (suspended_) {
    suspended_ = false;
    process();
  } else {
    Transform::_read(size);
  }
}

void ZlibBase::_destroy(const Error& err, std::function<void(const Error&)> cb) {
  jobCb_.reset();
  suspended_ = false;
  // The codec's state (a deflate window is ~256 KiB) goes now, unless a step is on the stack.
  if (!processing_) engine_.reset();
  Transform::_destroy(err, std::move(cb));
}

void ZlibBase::process() {
  if (processing_ || !jobCb_) return;
  auto keep = shared_from_this();
  processing_ = true;
  for (;;) {
    if (destroyed() || !engine_) {
      jobCb_.reset();
      break;
    }
    if (outPos_ == out_.size()) {
      out_ = Buffer::allocUnsafe(chunkSize_);
      outPos_ = 0;
    }
    const std::size_t inBefore = in_.size() - inPos_;
    const std::size_t outBefore = out_.size() - outPos_;
    const std::uint8_t* in = in_.data() ? in_.data() + inPos_ : nullptr;
    std::size_t inLen = inBefore;
    std::uint8_t* o = out_.data() + outPos_;
    std::size_t oLen = outBefore;
    Error err = engine_->run(in, inLen, o, oLen, jobFlush_);
    inPos_ += inBefore - inLen;
    bytesWritten_ += inBefore - inLen;
    const std::size_t produced = outBefore - oLen;
    if (produced > 0) {
      bytesOut_ += produced;
      if (maxOutput_ && bytesOut_ > *maxOutput_) {
        err = detail::tooLarge(*maxOutput_);
      } else {
        Buffer piece = out_.subarray(static_cast<std::int64_t>(outPos_),
                                     static_cast<std::int64_t>(outPos_ + produced));
        outPos_ += produced;
        push(std::move(piece));
      }
    }
    if (err || oLen > 0) {
      // Failed, or the codec did all it could with this job.
      TransformCallback cb = std::move(*jobCb_);
      jobCb_.reset();
      in_ = Buffer();
      processing_ = false;
      if (destroyed()) return;
      cb(err, std::nullopt);
      return;
    }
    if (readableLength() >= readableHighWaterMark()) {
      suspended_ = true;  // _read() resumes
      break;
    }
  }
  processing_ = false;
  if (destroyed()) engine_.reset();
}

void ZlibBase::flush(int kind, std::function<void()> cb) {
  if (writableEnded()) {
    if (cb) nextTick(std::move(cb));
    return;
  }
  Buffer marker(std::shared_ptr<std::uint8_t[]>(new std::uint8_t[1]), 0, 0);
  flushKinds_.emplace_back(marker.storage(), kind);
  write(marker, [cb = std::move(cb)](const Error&) {
    if (cb) cb();
  });
}

void ZlibBase::flush(std::function<void()> cb) { flush(defaultFullFlush(), std::move(cb)); }

void ZlibBase::close(std::function<void()> cb) {
  if (cb) {
    if (closed()) {
      nextTick(std::move(cb));
    } else {
      once(Events::close, [cb = std::move(cb)] { cb(); });
    }
  }
  destroy();
}

void ZlibBase::reset() {
  if (engine_) engine_->reset();
}

Zlib::Zlib(Mode mode, const Options& opts)
    : ZlibBase(mode, detail::makeEngine(detail::checkZlib(mode, opts)), opts.flush,
               opts.finishFlush, opts.chunkSize, opts.maxOutputLength),
      level_(opts.level),
      strategy_(opts.strategy) {
  if (detail::isBrotli(mode)) throwInvalidArg("mode", "is a brotli mode: use Brotli");
}

void Zlib::params(int level, int strategy, std::function<void()> cb) {
  detail::checkRange("level", level, -1, 9);
  detail::checkRange("strategy", strategy, 0, 4);
  if (level == level_ && strategy == strategy_) {
    if (cb) nextTick(std::move(cb));
    return;
  }
  flush(Z_SYNC_FLUSH, [this, keep = shared_from_this(), level, strategy, cb = std::move(cb)] {
    if (!destroyed()) {
      Error err = engine().params(level, strategy);
      if (err) {
        destroy(err);
        return;
      }
      level_ = level;
      strategy_ = strategy;
    }
    if (cb) cb();
  });
}

Brotli::Brotli(Mode mode, const BrotliOptions& opts)
    : ZlibBase(mode, detail::makeEngine(detail::checkBrotli(mode, opts)), opts.flush,
               opts.finishFlush, opts.chunkSize, opts.maxOutputLength) {
  if (!detail::isBrotli(mode)) throwInvalidArg("mode", "is not a brotli mode: use Zlib");
}

std::shared_ptr<Zlib> createGzip(const Options& o) { return std::make_shared<Zlib>(Mode::Gzip, o); }
std::shared_ptr<Zlib> createGunzip(const Options& o) {
  return std::make_shared<Zlib>(Mode::Gunzip, o);
}
std::shared_ptr<Zlib> createDeflate(const Options& o) {
  return std::make_shared<Zlib>(Mode::Deflate, o);
}
std::shared_ptr<Zlib> createInflate(const Options& o) {
  return std::make_shared<Zlib>(Mode::Inflate, o);
}
std::shared_ptr<Zlib> createDeflateRaw(const Options& o) {
  return std::make_shared<Zlib>(Mode::DeflateRaw, o);
}
std::shared_ptr<Zlib> createInflateRaw(const Options& o) {
  return std::make_shared<Zlib>(Mode::InflateRaw, o);
}
std::shared_ptr<Zlib> createUnzip(const Options& o) {
  return std::make_shared<Zlib>(Mode::Unzip, o);
}
std::shared_ptr<Brotli> createBrotliCompress(const BrotliOptions& o) {
  return std::make_shared<Brotli>(Mode::BrotliCompress, o);
}
std::shared_ptr<Brotli> createBrotliDecompress(const BrotliOptions& o) {
  return std::make_shared<Brotli>(Mode::BrotliDecompress, o);
}

}  // namespace evnode::zlib
