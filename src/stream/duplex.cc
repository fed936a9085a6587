// Duplex (both sides, half-open rules) and Transform.
#include "core/tick.h"
#include "evnode/loop.h"
#include "evnode/stream.h"

namespace evnode {

Duplex::Duplex(DuplexOptions o)
    : Readable(std::move(o.readable)),
      Writable(std::move(o.writable)),
      allowHalfOpen_(o.allowHalfOpen) {}

void Duplex::_destroy(const Error& err, std::function<void(const Error&)> cb) {
  Readable::_destroy(err, std::move(cb));
}

void Duplex::afterEndEmitted() {
  if (writable() && !allowHalfOpen_) {
    // Without half-open, the readable side's end ends the writable side too.
    evnode::detail::queueTick([this, keep = self()] {
      if (writable() && !writableEnded() && !destroyed()) end();
    });
  } else {
    Readable::afterEndEmitted();
  }
}

namespace {
DuplexOptions optionsFor(std::size_t highWaterMark) {
  DuplexOptions d;
  d.readable.highWaterMark = highWaterMark;
  d.writable.highWaterMark = highWaterMark;
  return d;
}
}  // namespace

Transform::Transform(TransformOptions o)
    : Duplex(optionsFor(o.highWaterMark)),
      transformFn_(std::move(o.transform)),
      flushFn_(std::move(o.flush)) {}

void Transform::_transform(const Buffer& chunk, TransformCallback cb) {
  if (transformFn_) {
    transformFn_(*this, chunk, std::move(cb));
  } else {
    cb(Error("ERR_METHOD_NOT_IMPLEMENTED", "The _transform() method is not implemented"), {});
  }
}

void Transform::_flush(TransformCallback cb) {
  if (flushFn_) {
    flushFn_(*this, std::move(cb));
  } else {
    cb({}, std::nullopt);
  }
}

void Transform::_write(const Buffer& chunk, WriteCallback cb) {
  const std::size_t before = readableLength();
  _transform(chunk, [this, weak = weak_from_this(), cb, before](const Error& err,
                                                                std::optional<Buffer> data) {
    // Like WriteCallback: may come from async code that holds no reference.
    auto keep = weak.lock();
    if (!keep) return;
    if (err) {
      cb(err);
      return;
    }
    if (data) push(std::move(*data));
    // Hold the write until the consumer reads if the output is backed up.
    if (writableEnded() || before == readableLength() ||
        readableLength() < readableHighWaterMark()) {
      cb();
    } else {
      pendingWrite_ = cb;
    }
  });
}

void Transform::_read(std::size_t) {
  if (pendingWrite_) {
    WriteCallback cb = *pendingWrite_;
    pendingWrite_.reset();
    cb();
  }
}

void Transform::_final(std::function<void(const Error&)> cb) {
  if (destroyed()) {
    cb({});
    return;
  }
  _flush([this, cb](const Error& err, std::optional<Buffer> data) {
    if (err) {
      cb(err);
      return;
    }
    if (data) push(std::move(*data));
    push(nullptr);
    cb({});
  });
}

}  // namespace evnode
