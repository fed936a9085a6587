// Writable: Node's writable-stream state machine (lib/internal/streams/writable.js): buffering
// behind an in-flight write, _writev batches, cork/uncork, drain, end/finish.
#include <algorithm>

#include "core/block_cache.h"
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

struct Writable::State {
  // Per request on an HTTP server (ServerResponse, IncomingMessage): recycled, not malloc'd.
  static void* operator new(std::size_t n) { return detail::BlockCache<State>::get(n); }
  static void operator delete(void* p, std::size_t n) { detail::BlockCache<State>::put(p, n); }
  struct Pending {
    Buffer chunk;
    Callback cb;
  };
  detail::Fifo<Pending> buffered;
  std::vector<Buffer> batch;          // the chunks handed to _writev, reused
  std::vector<Callback> inFlightCbs;  // callbacks of a _writev batch
  Callback writecb;
  std::vector<Callback> onFinished;
  std::size_t length = 0;
  std::size_t writelen = 0;
  std::size_t afterWriteCount = 0;  // sync completions batched into one tick
  Callback afterWriteCb;
  unsigned corked = 0;
  // Node's simplified-construction functions, allocated only when given.
  struct Fns {
    std::function<void(Writable&, const Buffer&, WriteCallback)> write;
    std::function<void(Writable&, std::vector<Buffer>&, WriteCallback)> writev;
    std::function<void(Writable&, std::function<void(const Error&)>)> final;
    std::function<void(Writable&, const Error&, std::function<void(const Error&)>)> destroy;
  };
  std::unique_ptr<Fns> fns;
};

Writable::Writable(WritableOptions o)
    : hwm_(static_cast<std::uint32_t>(std::min<std::size_t>(o.highWaterMark, UINT32_MAX))),
      autoDestroy_(o.autoDestroy),
      emitClose_(o.emitClose) {
  if (o.write || o.writev || o.final || o.destroy) {
    state().fns = std::make_unique<State::Fns>(State::Fns{
        std::move(o.write), std::move(o.writev), std::move(o.final), std::move(o.destroy)});
  }
}

void Writable::DeleteState::operator()(State* s) const { delete s; }

Writable::State& Writable::state() {
  if (!st_) st_.reset(new State());
  return *st_;
}

std::size_t Writable::writableLength() const { return st_ ? st_->length : 0; }
unsigned Writable::writableCorked() const { return st_ ? st_->corked : 0; }
void Writable::cork() { ++state().corked; }
bool Writable::hasWritev() const { return st_ && st_->fns && st_->fns->writev; }
bool Writable::hasFinal() const { return st_ && st_->fns && st_->fns->final; }

void Writable::_write(const Buffer& chunk, WriteCallback cb) {
  if (st_ && st_->fns && st_->fns->write) {
    st_->fns->write(*this, chunk, cb);
  } else if (st_ && st_->fns && st_->fns->writev) {
    st_->batch.clear();
    st_->batch.push_back(chunk);
    st_->fns->writev(*this, st_->batch, cb);
  } else {
    cb(Error("ERR_METHOD_NOT_IMPLEMENTED", "The _write() method is not implemented"));
  }
}

void Writable::_writev(std::vector<Buffer>& chunks, WriteCallback cb) {
  if (st_ && st_->fns && st_->fns->writev) st_->fns->writev(*this, chunks, cb);
}

void Writable::_final(std::function<void(const Error&)> cb) {
  if (st_ && st_->fns && st_->fns->final) {
    st_->fns->final(*this, std::move(cb));
  } else {
    cb({});
  }
}

void Writable::_destroy(const Error& err, std::function<void(const Error&)> cb) {
  if (st_ && st_->fns && st_->fns->destroy) {
    st_->fns->destroy(*this, err, std::move(cb));
  } else {
    cb(err);
  }
}

void Writable::beforeDestroy() {
  if (!destroyed_ && st_ && (!st_->buffered.empty() || !st_->onFinished.empty())) {
    evnode::detail::queueTick([this, keep = self()] { errorBuffer(); });
  }
}

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
  State& st = state();
  ++pendingcb_;
  st.length += chunk.length();
  bool ret = st.length < hwm_;
  if (!ret) needDrain_ = true;
  if (writing_ || st.corked || errored_) {
    st.buffered.push_back(State::Pending{std::move(chunk), std::move(cb)});
  } else {
    doWrite(std::move(chunk), std::move(cb));
  }
  return ret && !errored_ && !destroyed_;
}

void Writable::doWrite(Buffer chunk, Callback cb) {
  st_->writelen = chunk.length();
  st_->writecb = std::move(cb);
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
  State& st = *st_;  // a write is in flight, so the state exists
  Callback cb = std::move(st.writecb);
  st.writecb = nullptr;
  if (batchWrite_) {
    batchWrite_ = false;
    if (!st.inFlightCbs.empty()) {
      cb = [cbs = std::move(st.inFlightCbs)](const Error& e) {
        for (auto& c : cbs) {
          if (c) c(e);
        }
      };
      st.inFlightCbs.clear();
    }
  }
  writing_ = false;
  st.length -= st.writelen;
  st.writelen = 0;

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

  if (!st.buffered.empty()) clearBuffer();
  if (sync) {
    // Completions that happen inside _write are reported on the next tick, batched when they
    // carry no callback (many small writes to a fast sink).
    if (!cb && st.afterWriteCount > 0 && !st.afterWriteCb) {
      ++st.afterWriteCount;
    } else if (st.afterWriteCount == 0) {
      st.afterWriteCount = 1;
      st.afterWriteCb = std::move(cb);
      evnode::detail::queueTick([this, keep = self()] { afterWriteTick(); });
    } else {
      evnode::detail::queueTick([this, keep = self(), cb = std::move(cb)] { afterWrite(1, cb); });
    }
  } else {
    afterWrite(1, cb);
  }
}

void Writable::afterWriteTick() {
  State& st = *st_;
  std::size_t count = st.afterWriteCount;
  Callback cb = std::move(st.afterWriteCb);
  st.afterWriteCount = 0;
  st.afterWriteCb = nullptr;
  afterWrite(count, cb);
}

void Writable::afterWrite(std::size_t count, const Callback& cb) {
  bool needDrain = !ending_ && !destroyed_ && st_->length == 0 && needDrain_;
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
  State& st = *st_;  // something is buffered
  if (st.corked || bufferProcessing_ || destroyed_) return;
  bufferProcessing_ = true;
  const std::size_t n = st.buffered.size();
  if (n > 1 && hasWritev()) {
    pendingcb_ -= n - 1;  // the batch completes as one write
    st.batch.clear();
    st.inFlightCbs.clear();
    bool allNoop = true;
    std::size_t total = 0;
    while (!st.buffered.empty()) {
      State::Pending& p = st.buffered.front();
      total += p.chunk.length();
      if (p.cb) allNoop = false;
      st.inFlightCbs.push_back(std::move(p.cb));
      st.batch.push_back(std::move(p.chunk));
      st.buffered.pop_front();
    }
    if (allNoop) st.inFlightCbs.clear();
    st.writelen = total;
    st.writecb = nullptr;
    writing_ = true;
    writeSync_ = true;
    batchWrite_ = true;
    _writev(st.batch, WriteCallback(this));
    writeSync_ = false;
  } else {
    do {
      State::Pending p = std::move(st.buffered.front());
      st.buffered.pop_front();
      doWrite(std::move(p.chunk), std::move(p.cb));
    } while (!st.buffered.empty() && !writing_);
  }
  bufferProcessing_ = false;
}

void Writable::uncork() {
  if (!st_ || st_->corked == 0) return;
  --st_->corked;
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
  if (st_ && st_->corked) {
    st_->corked = 1;
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
      state().onFinished.push_back(std::move(cb));
    }
  }
  return *this;
}

void Writable::endSent(Callback&& cb) {
  // What endImpl → finishMaybe(true) → prefinish() do for such a stream, in one step.
  ending_ = true;
  ended_ = true;
  prefinished_ = true;
  emit(Events::prefinish);
  if (cb) state().onFinished.push_back(std::move(cb));
  finishOnNextTick();
}

void Writable::finishOnNextTick() {
  ++pendingcb_;
  evnode::detail::queueTick([this, keep = self()] {
    if (keep.use_count() == 1 && !hasListeners() && (!st_ || st_->onFinished.empty()) &&
        unseenFinishMayBeSkipped()) {
      --pendingcb_;  // freed when this returns: nothing could tell `finish` from no `finish`
      return;
    }
    if (needFinish()) {
      finishNow();
    } else {
      --pendingcb_;
    }
  });
}

bool Writable::needFinish() const {
  return ending_ && !destroyed_ && (!st_ || (st_->length == 0 && st_->buffered.empty())) &&
         !errored_ && !finished_ && !writing_ && !errorEmitted_ && !closeEmitted_;
}

void Writable::finishMaybe(bool sync) {
  if (!needFinish()) return;
  prefinish();
  if (pendingcb_ != 0) return;
  if (sync) {
    finishOnNextTick();
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
      for (auto& c : takeOnFinished()) c(err);
      errorOrDestroy(err);
    } else if (needFinish()) {
      prefinished_ = true;
      emit(Events::prefinish);
      ++pendingcb_;
      evnode::detail::queueTick([this, keep] { finishNow(); });
    }
  });
}

std::vector<Writable::Callback> Writable::takeOnFinished() {
  std::vector<Callback> cbs;
  if (st_) cbs.swap(st_->onFinished);
  return cbs;
}

void Writable::finishNow() {
  --pendingcb_;
  finished_ = true;
  for (auto& c : takeOnFinished()) c({});
  emit(Events::finish);
  if (autoDestroy() && readableDone()) destroy();
}

void Writable::errorBuffer() {
  if (writing_ || !st_) return;
  while (!st_->buffered.empty()) {
    State::Pending p = std::move(st_->buffered.front());
    st_->buffered.pop_front();
    st_->length -= p.chunk.length();
    if (p.cb) p.cb(errored_ ? errored() : destroyedError("write"));
  }
  auto cbs = std::move(st_->onFinished);
  st_->onFinished.clear();
  for (auto& c : cbs) c(errored_ ? errored() : destroyedError("end"));
}

}  // namespace evnode
