// Writable: Node's writable-stream state machine (lib/internal/streams/writable.js): buffering
// behind an in-flight write, _writev batches, cork/uncork, drain, end/finish.
#include "core/tick.h"
#include "evnode/loop.h"
#include "evnode/stream.h"

namespace evnode {

namespace {
Error destroyedError(const char* op) {
  return Error("ERR_STREAM_DESTROYED",
               std::string("Cannot call ") + op + " after a stream was destroyed");
}
}  // namespace

WriteCallback::WriteCallback(Writable* w) : w_(w), ref_(w->weak_from_this()) {
  owned_ = !ref_.expired();
}

void WriteCallback::operator()(const Error& err) const {
  // The completion usually comes from the implementation's own async code, which holds no
  // reference: keep the stream alive while onwrite runs (listeners may drop the last one).
  std::shared_ptr<Stream> keep = ref_.lock();
  if (owned_ && !keep) return;  // the stream is gone; nobody is left to tell
  w_->onwrite(err);
}

Writable::Writable(WritableOptions o)
    : hwm_(o.highWaterMark), autoDestroy_(o.autoDestroy), emitClose_(o.emitClose) {
  if (o.write || o.writev || o.final || o.destroy) {
    fns_ = std::make_unique<Fns>(
        Fns{std::move(o.write), std::move(o.writev), std::move(o.final), std::move(o.destroy)});
  }
}

Writable::~Writable() = default;

void Writable::_write(const Buffer& chunk, WriteCallback cb) {
  if (fns_ && fns_->write) {
    fns_->write(*this, chunk, cb);
  } else if (fns_ && fns_->writev) {
    batch_.clear();
    batch_.push_back(chunk);
    fns_->writev(*this, batch_, cb);
  } else {
    cb(Error("ERR_METHOD_NOT_IMPLEMENTED", "The _write() method is not implemented"));
  }
}

void Writable::_writev(std::vector<Buffer>& chunks, WriteCallback cb) {
  if (fns_ && fns_->writev) fns_->writev(*this, chunks, cb);
}

void Writable::_final(std::function<void(const Error&)> cb) {
  if (fns_ && fns_->final) {
    fns_->final(*this, std::move(cb));
  } else {
    cb({});
  }
}

void Writable::_destroy(const Error& err, std::function<void(const Error&)> cb) {
  if (fns_ && fns_->destroy) {
    fns_->destroy(*this, err, std::move(cb));
  } else {
    cb(err);
  }
}

void Writable::beforeDestroy() {
  if (!destroyed_ && (!buffered_.empty() || !onFinished_.empty())) {
    evnode::detail::queueTick([this, keep = self()] { errorBuffer(); });
  }
}

bool Writable::writable() const { return !destroyed_ && !errored_ && !ending_; }

void Writable::failWrite(const Error& err, Callback cb) {
  if (cb) evnode::detail::queueTick([cb = std::move(cb), err] { cb(err); });
  errorOrDestroy(err);
}

bool Writable::write(Buffer chunk, Callback cb) {
  Error err;
  if (ending_) {
    err = Error("ERR_STREAM_WRITE_AFTER_END", "write after end");
  } else if (destroyed_) {
    err = destroyedError("write");
  }
  if (err) {
    failWrite(err, std::move(cb));
    return false;
  }
  ++pendingcb_;
  length_ += chunk.length();
  bool ret = length_ < hwm_;
  if (!ret) needDrain_ = true;
  if (writing_ || corked_ || errored_) {
    buffered_.push_back(Pending{std::move(chunk), std::move(cb)});
  } else {
    doWrite(std::move(chunk), std::move(cb));
  }
  return ret && !errored_ && !destroyed_;
}

void Writable::doWrite(Buffer chunk, Callback cb) {
  writelen_ = chunk.length();
  writecb_ = std::move(cb);
  writing_ = true;
  writeSync_ = true;
  if (destroyed_) {
    onwrite(destroyedError("write"));
  } else {
    _write(chunk, WriteCallback(this));
  }
  writeSync_ = false;
}

void Writable::onwrite(const Error& er) {
  const bool sync = writeSync_;
  Callback cb = std::move(writecb_);
  writecb_ = nullptr;
  if (batchWrite_) {
    batchWrite_ = false;
    if (!inFlightCbs_.empty()) {
      cb = [cbs = std::move(inFlightCbs_)](const Error& e) {
        for (auto& c : cbs) {
          if (c) c(e);
        }
      };
      inFlightCbs_.clear();
    }
  }
  writing_ = false;
  length_ -= writelen_;
  writelen_ = 0;

  if (er) {
    if (!errored_) setErrored(er);
    auto fail = [this, cb, er] {
      --pendingcb_;
      if (cb) cb(er);
      errorBuffer();
      errorOrDestroy(er);
    };
    if (sync) {
      evnode::detail::queueTick([keep = self(), fail] { fail(); });
    } else {
      fail();
    }
    return;
  }

  if (!buffered_.empty()) clearBuffer();
  if (sync) {
    // Completions that happen inside _write are reported on the next tick, batched when they
    // carry no callback (many small writes to a fast sink).
    if (!cb && afterWriteCount_ > 0 && !afterWriteCb_) {
      ++afterWriteCount_;
    } else if (afterWriteCount_ == 0) {
      afterWriteCount_ = 1;
      afterWriteCb_ = std::move(cb);
      evnode::detail::queueTick([this, keep = self()] { afterWriteTick(); });
    } else {
      evnode::detail::queueTick([this, keep = self(), cb = std::move(cb)] { afterWrite(1, cb); });
    }
  } else {
    afterWrite(1, cb);
  }
}

void Writable::afterWriteTick() {
  std::size_t count = afterWriteCount_;
  Callback cb = std::move(afterWriteCb_);
  afterWriteCount_ = 0;
  afterWriteCb_ = nullptr;
  afterWrite(count, cb);
}

void Writable::afterWrite(std::size_t count, const Callback& cb) {
  bool needDrain = !ending_ && !destroyed_ && length_ == 0 && needDrain_;
  if (needDrain) {
    needDrain_ = false;
    emit(Events::drain);
  }
  while (count-- > 0) {
    --pendingcb_;
    if (cb) cb({});
  }
  if (destroyed_) errorBuffer();
  finishMaybe(false);
}

void Writable::clearBuffer() {
  if (corked_ || bufferProcessing_ || destroyed_) return;
  bufferProcessing_ = true;
  const std::size_t n = buffered_.size();
  if (n > 1 && hasWritev()) {
    pendingcb_ -= n - 1;  // the batch completes as one write
    batch_.clear();
    inFlightCbs_.clear();
    bool allNoop = true;
    std::size_t total = 0;
    while (!buffered_.empty()) {
      Pending& p = buffered_.front();
      total += p.chunk.length();
      if (p.cb) allNoop = false;
      inFlightCbs_.push_back(std::move(p.cb));
      batch_.push_back(std::move(p.chunk));
      buffered_.pop_front();
    }
    if (allNoop) inFlightCbs_.clear();
    writelen_ = total;
    writecb_ = nullptr;
    writing_ = true;
    writeSync_ = true;
    batchWrite_ = true;
    _writev(batch_, WriteCallback(this));
    writeSync_ = false;
  } else {
    do {
      Pending p = std::move(buffered_.front());
      buffered_.pop_front();
      doWrite(std::move(p.chunk), std::move(p.cb));
    } while (!buffered_.empty() && !writing_);
  }
  bufferProcessing_ = false;
}

void Writable::uncork() {
  if (corked_ == 0) return;
  --corked_;
  if (!writing_) clearBuffer();
}

Writable& Writable::end(Callback cb) { return endImpl(nullptr, std::move(cb)); }

Writable& Writable::end(Buffer chunk, Callback cb) { return endImpl(&chunk, std::move(cb)); }

Writable& Writable::endImpl(Buffer* chunk, Callback cb) {
  Error err;
  if (chunk) {
    if (ending_) {
      err = Error("ERR_STREAM_WRITE_AFTER_END", "write after end");
      failWrite(err, nullptr);
    } else if (destroyed_) {
      err = destroyedError("write");
      failWrite(err, nullptr);
    } else {
      write(std::move(*chunk));
    }
  }
  if (corked_) {
    corked_ = 1;
    uncork();
  }
  if (!err) {
    if (!errored_ && !ending_) {
      ending_ = true;
      finishMaybe(true);
      ended_ = true;
    } else if (finished_) {
      err = Error("ERR_STREAM_ALREADY_FINISHED", "Cannot call end after a stream was finished");
    } else if (destroyed_) {
      err = destroyedError("end");
    }
  }
  if (cb) {
    if (err || finished_) {
      evnode::detail::queueTick([cb = std::move(cb), err] { cb(err); });
    } else {
      onFinished_.push_back(std::move(cb));
    }
  }
  return *this;
}

bool Writable::needFinish() const {
  return ending_ && !destroyed_ && length_ == 0 && !errored_ && buffered_.empty() && !finished_ &&
         !writing_ && !errorEmitted_ && !closeEmitted_;
}

void Writable::finishMaybe(bool sync) {
  if (!needFinish()) return;
  prefinish();
  if (pendingcb_ != 0) return;
  if (sync) {
    ++pendingcb_;
    evnode::detail::queueTick([this, keep = self()] {
      if (needFinish()) {
        finishNow();
      } else {
        --pendingcb_;
      }
    });
  } else if (needFinish()) {
    ++pendingcb_;
    finishNow();
  }
}

void Writable::prefinish() {
  if (prefinished_ || finalCalled_) return;
  if (!hasFinal() || destroyed_) {
    prefinished_ = true;
    emit(Events::prefinish);
    return;
  }
  finalCalled_ = true;
  ++pendingcb_;
  // _final runs once per stream (finalCalled_), so a member guards its callback: no shared flag
  // to allocate per stream.
  _final([this, keep = self()](const Error& err) {
    if (finalCbDone_) return;
    finalCbDone_ = true;
    --pendingcb_;
    if (err) {
      auto cbs = std::move(onFinished_);
      onFinished_.clear();
      for (auto& c : cbs) c(err);
      errorOrDestroy(err);
    } else if (needFinish()) {
      prefinished_ = true;
      emit(Events::prefinish);
      ++pendingcb_;
      evnode::detail::queueTick([this, keep] { finishNow(); });
    }
  });
}

void Writable::finishNow() {
  --pendingcb_;
  finished_ = true;
  auto cbs = std::move(onFinished_);
  onFinished_.clear();
  for (auto& c : cbs) c({});
  emit(Events::finish);
  if (autoDestroy() && readableDone()) destroy();
}

void Writable::errorBuffer() {
  if (writing_) return;
  while (!buffered_.empty()) {
    Pending p = std::move(buffered_.front());
    buffered_.pop_front();
    length_ -= p.chunk.length();
    if (p.cb) p.cb(errored_ ? *errored_ : destroyedError("write"));
  }
  auto cbs = std::move(onFinished_);
  onFinished_.clear();
  for (auto& c : cbs) c(errored_ ? *errored_ : destroyedError("end"));
}

}  // namespace evnode
