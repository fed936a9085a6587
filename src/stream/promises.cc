// stream::consumers, stream::iterator and stream::promises: streams with co_await.
#include "evnode/stream_promises.h"

#include <coroutine>
#include <utility>

namespace evnode::stream {

namespace {
Error prematureClose() { return Error("ERR_STREAM_PREMATURE_CLOSE", "Premature close"); }
}  // namespace

// ---- consumers ----

namespace consumers {

template <class T>
void ConsumeOperation<T>::start() {
  Readable& r = *r_;
  if (const Error& e = r.errored()) return this->reject(e);
  if (r.readableEnded()) return finish();
  if (r.destroyed()) return this->reject(prematureClose());
  dataId_ = r.on(Readable::Events::data, [this](const Buffer& b) {
    total_ += b.size();
    chunks_.push_back(b);
  });
  endId_ = r.on(Readable::Events::end, [this] { finish(); });
  errorId_ = r.on(Readable::Events::error, [this](const Error& e) { this->reject(e); });
  closeId_ = r.on(Readable::Events::close, [this] {
    if (!r_->readableEnded()) this->reject(prematureClose());
  });
  listening_ = true;
  r.resume();
}

template <class T>
void ConsumeOperation<T>::stop() {
  if (!listening_) return;
  listening_ = false;
  r_->removeListeners({dataId_, endId_, errorId_, closeId_});  // one copy of the list, not four
}

template <class T>
void ConsumeOperation<T>::finish() {
  Buffer all = chunks_.size() == 1 ? chunks_[0] : Buffer::concat(chunks_, total_);
  chunks_.clear();
  if constexpr (std::is_same_v<T, Buffer>) {
    this->resolve(std::move(all));
  } else {
    this->resolve(all.toString("utf8"));
  }
}

template class ConsumeOperation<Buffer>;
template class ConsumeOperation<std::string>;

ConsumeOperation<Buffer> buffer(Readable& readable) { return {readable, nullptr}; }
ConsumeOperation<Buffer> buffer(std::shared_ptr<Readable> readable) {
  if (!readable) throwInvalidArg("readable", "must be a stream, not null");
  Readable& r = *readable;
  return {r, std::move(readable)};
}
ConsumeOperation<std::string> text(Readable& readable) { return {readable, nullptr}; }
ConsumeOperation<std::string> text(std::shared_ptr<Readable> readable) {
  if (!readable) throwInvalidArg("readable", "must be a stream, not null");
  Readable& r = *readable;
  return {r, std::move(readable)};
}

}  // namespace consumers

// ---- iterator ----

namespace {

// What the iterating generator listens to, for as long as it lives: each event records what
// happened and resumes the generator if it is waiting (as a microtask).
class IterationWatch {
 public:
  IterationWatch(Readable& r, std::shared_ptr<AbortSignal> signal)
      : r_(r), signal_(std::move(signal)) {
    readableId_ = r.on(Readable::Events::readable, [this] { wake(); });
    endId_ = r.on(Readable::Events::end, [this] {
      ended_ = true;
      wake();
    });
    errorId_ = r.on(Readable::Events::error, [this](const Error& e) {
      if (!error_) error_ = e;
      wake();
    });
    closeId_ = r.on(Readable::Events::close, [this] {
      closed_ = true;
      wake();
    });
    if (signal_) {
      abortId_ = signal_->on(AbortSignal::Events::abort, [this] { wake(); });
    }
  }
  ~IterationWatch() {
    r_.off(Readable::Events::readable, readableId_);
    r_.off(Readable::Events::end, endId_);
    r_.off(Readable::Events::error, errorId_);
    r_.off(Readable::Events::close, closeId_);
    if (signal_) signal_->off(AbortSignal::Events::abort, abortId_);
  }
  IterationWatch(const IterationWatch&) = delete;
  IterationWatch& operator=(const IterationWatch&) = delete;

  bool ended() const { return ended_ || r_.readableEnded(); }
  bool closed() const { return closed_; }
  const Error& error() const { return error_ ? error_ : r_.errored(); }
  bool aborted() const { return signal_ && signal_->aborted(); }
  const std::shared_ptr<AbortSignal>& signal() const { return signal_; }

  // co_await watch.next(): suspends until one of the events.
  auto next() { return wakeup_.wait(); }

 private:
  void wake() { wakeup_.wake(); }

  Readable& r_;
  std::shared_ptr<AbortSignal> signal_;
  detail::Wakeup wakeup_;  // cancels a queued resumption when the generator is destroyed
  Error error_;
  bool ended_ = false, closed_ = false;
  ListenerId readableId_ = 0, endId_ = 0, errorId_ = 0, closeId_ = 0, abortId_ = 0;
};

// Destroys the stream if the iteration is left before its end.
struct ReturnGuard {
  Readable& r;
  bool destroyOnReturn;
  bool done = false;
  ~ReturnGuard() {
    if (!done && destroyOnReturn && !r.destroyed()) r.destroy();
  }
};

AsyncGenerator<Buffer> iterate(Readable& r, std::shared_ptr<Readable> keep, IteratorOptions opts) {
  (void)keep;  // held in the frame for the iteration's life
  // An abort destroys the stream without an error: the consumer hears of it from next(), and
  // an `error` nobody listens to would go to the uncaught path.
  if (opts.signal && opts.signal->aborted()) {
    if (!r.destroyed()) r.destroy();
    throw AbortError(opts.signal->reason());
  }
  ReturnGuard guard{r, opts.destroyOnReturn};
  IterationWatch watch(r, std::move(opts.signal));
  for (;;) {
    if (const Error& e = watch.error()) {
      guard.done = true;  // destroyed by its error already
      throw SystemError(e);
    }
    if (watch.aborted()) {
      guard.done = true;
      if (!r.destroyed()) r.destroy();
      throw AbortError(watch.signal()->reason());
    }
    if (std::optional<Buffer> chunk = r.read()) {
      co_yield std::move(*chunk);
      continue;
    }
    if (watch.ended()) break;
    if (r.destroyed() || watch.closed()) {
      guard.done = true;
      throw SystemError(prematureClose());
    }
    co_await watch.next();
  }
  guard.done = true;
}

}  // namespace

AsyncGenerator<Buffer> iterator(std::shared_ptr<Readable> readable, IteratorOptions opts) {
  if (!readable) throwInvalidArg("readable", "must be a stream, not null");
  Readable& r = *readable;
  return iterate(r, std::move(readable), std::move(opts));
}

AsyncGenerator<Buffer> iterator(Readable& readable, IteratorOptions opts) {
  return iterate(readable, nullptr, std::move(opts));
}

// ---- promises ----

namespace promises {

void WriteOperation::start() {
  Writable& w = *w_;
  if (w.destroyed()) {
    return reject(Error("ERR_STREAM_DESTROYED", "Cannot call write after a stream was destroyed"));
  }
  if (w.writableEnded()) return reject(Error("ERR_STREAM_WRITE_AFTER_END", "write after end"));
  if (w.write(std::move(chunk_))) return resolve();
  drainId_ = w.on(Writable::Events::drain, [this] { resolve(); });
  errorId_ = w.on(Writable::Events::error, [this](const Error& e) { reject(e); });
  closeId_ = w.on(Writable::Events::close, [this] { reject(prematureClose()); });
  listening_ = true;
}

void WriteOperation::stop() {
  if (!listening_) return;
  listening_ = false;
  w_->off(Writable::Events::drain, drainId_);
  w_->off(Writable::Events::error, errorId_);
  w_->off(Writable::Events::close, closeId_);
}

WriteOperation write(Writable& w, Buffer chunk) {
  return WriteOperation(w, std::move(chunk), StreamOptions{});
}

WriteOperation write(Writable& w, std::string_view text) {
  return WriteOperation(w, Buffer::from(text), StreamOptions{});
}

FinishedOperation finished(std::shared_ptr<Stream> stream) {
  return finished(std::move(stream), StreamOptions{});
}

PipelineOperation pipeline(std::vector<std::shared_ptr<Stream>> streams) {
  return pipeline(std::move(streams), StreamOptions{});
}

WriteOperation write(Writable& w, Buffer chunk, StreamOptions opts) {
  return WriteOperation(w, std::move(chunk), std::move(opts));
}

WriteOperation write(Writable& w, std::string_view text, StreamOptions opts) {
  return WriteOperation(w, Buffer::from(text), std::move(opts));
}

void FinishedOperation::start() {
  cleanup_ = evnode::finished(stream_, [this](const Error& e) {
    if (e) {
      reject(e);
    } else {
      resolve();
    }
  });
}

void FinishedOperation::stop() {
  if (auto c = std::exchange(cleanup_, nullptr)) c();
}

FinishedOperation finished(std::shared_ptr<Stream> stream, StreamOptions opts) {
  if (!stream) throwInvalidArg("stream", "must be a stream, not null");
  return FinishedOperation(std::move(stream), std::move(opts));
}

void PipelineOperation::start() {
  link_ = std::make_shared<Link>(Link{this});
  evnode::pipeline(streams_, [link = link_](const Error& e) {
    PipelineOperation* op = std::exchange(link->op, nullptr);
    if (!op) return;
    if (e) {
      op->reject(e);
    } else {
      op->resolve();
    }
  });
}

void PipelineOperation::stop() {
  if (!link_) return;
  bool running = link_->op != nullptr;
  link_->op = nullptr;
  link_ = nullptr;
  if (!running) return;
  // Without an error: the awaiting coroutine hears of the abort itself, and the pipeline's
  // listeners are gone with its callback.
  for (auto& s : streams_) {
    if (!s->destroyed()) s->destroy();
  }
}

PipelineOperation pipeline(std::vector<std::shared_ptr<Stream>> streams, StreamOptions opts) {
  if (streams.size() < 2) throwInvalidArg("streams", "a pipeline needs at least two streams");
  for (auto& s : streams) {
    if (!s) throwInvalidArg("streams", "must be streams, not null");
  }
  return PipelineOperation(std::move(streams), std::move(opts));
}

}  // namespace promises

}  // namespace evnode::stream
