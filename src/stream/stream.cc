// Stream: destroy()/error/close shared by both sides; finished(), pipeline(), readableFrom().
#include <algorithm>
#include <unordered_map>
#include <vector>

#include "core/thread_instance.h"
#include "core/tick.h"
#include "evnode/loop.h"
#include "evnode/stream.h"

namespace evnode {

const Error Stream::kNoError;

namespace {
// The errors of errored streams (see Stream::errored_). Streams are used on one thread, so the
// table is per thread; it may be gone while the thread's loop is torn down (streams still
// freed then find nothing).
using ErrorTable = std::unordered_map<const Stream*, Error>;
ErrorTable* errorTable() { return detail::threadInstance<ErrorTable>(); }

// Streams destroyed whose _destroy has not called back yet (a few at a time), or null while
// the thread exits.
using HeldList = std::vector<std::shared_ptr<Stream>>;
HeldList* heldForDestroy() { return detail::threadInstance<HeldList>(); }
}  // namespace

void Stream::forgetError() {
  if (ErrorTable* t = errorTable()) t->erase(this);
}

void Stream::setErrored(const Error& err) {
  ErrorTable* t = errorTable();
  if (!t) return;
  (*t)[this] = err;
  errored_ = true;
}

const Error& Stream::erroredSlow() const {
  ErrorTable* t = errorTable();
  if (!t) return kNoError;
  auto it = t->find(this);
  return it == t->end() ? kNoError : it->second;
}

void Stream::destroy(const Error& err) {
  if (destroyed_) {
    if (err && !errored_) setErrored(err);
    return;
  }
  beforeDestroy();
  if (err) setErrored(err);
  destroyed_ = true;
  // Kept alive until _destroy calls back, in a per-thread list rather than by a shared_ptr in
  // the callback: that would not fit std::function's inline buffer (an allocation per
  // destroyed stream, two per connection).
  if (auto* held = heldForDestroy()) {
    held->push_back(self());
    _destroy(err, [this](const Error& e) { destroyCalledBack(e, true); });
  } else {
    _destroy(err, [this, keep = self()](const Error& e) { destroyCalledBack(e, false); });
  }
}

void Stream::destroyCalledBack(const Error& err, bool held) {
  if (destroyCalledBack_) return;
  destroyCalledBack_ = true;
  afterDestroy(err);  // its close tick holds its own reference
  if (!held) return;
  auto* list = heldForDestroy();
  if (!list) return;
  for (auto it = list->rbegin(); it != list->rend(); ++it) {
    if (it->get() == this) {
      std::shared_ptr<Stream> last = std::move(*it);
      *it = std::move(list->back());
      list->pop_back();
      return;  // `last` may free this stream: nothing after it
    }
  }
}

void Stream::afterDestroy(const Error& err) {
  if (err && !errored_) setErrored(err);
  closed_ = true;
  // Most streams close without an error: their tick carries no copy of one.
  if (err) {
    evnode::detail::queueTick([this, keep = self(), err] { emitErrorAndClose(&err); });
  } else {
    evnode::detail::queueTick([this, keep = self()] { emitErrorAndClose(nullptr); });
  }
}

void Stream::emitErrorAndClose(const Error* err) {
  if (err && !errorEmitted_) {
    errorEmitted_ = true;
    emit(Events::error, *err);
  }
  if (!closeEmitted_) {
    closeEmitted_ = true;
    if (emitCloseOption()) emitCloseEvent();
    // Nothing is emitted after close; dropping the listeners frees closures that captured
    // this stream (docs/architecture.md, "Ownership and lifetime").
    removeAllListeners();
  }
}

void Stream::errorOrDestroy(const Error& err) {
  if (destroyed_) return;  // Node: a destroyed stream reports nothing more
  if (autoDestroy()) {
    destroy(err);
  } else if (err && !errorEmitted_) {
    if (!errored_) setErrored(err);
    errorEmitted_ = true;
    evnode::detail::queueTick([this, keep = self(), err] { emit(Events::error, err); });
  }
}

std::function<void()> detail::eos(const std::shared_ptr<Stream>& stream, bool readable,
                                  bool writable, std::function<void(const Error&)> cb) {
  auto* r = readable ? dynamic_cast<Readable*>(stream.get()) : nullptr;
  auto* w = writable ? dynamic_cast<Writable*>(stream.get()) : nullptr;
  const bool isReadable = dynamic_cast<Readable*>(stream.get()) != nullptr;
  const bool isWritable = dynamic_cast<Writable*>(stream.get()) != nullptr;
  struct State {
    bool readableDone, writableDone;
    bool willEmitClose;  // Node: then `close`, not `end`/`finish`, completes the stream
    bool called = false;
    std::function<void(const Error&)> cb;
  };
  auto st = std::make_shared<State>(State{!r || r->readableEnded(), !w || w->writableFinished(),
                                          stream->autoDestroy() && stream->emitCloseOption() &&
                                              !stream->closed() && isReadable == readable &&
                                              isWritable == writable,
                                          false, std::move(cb)});
  auto call = [st](const Error& err) {
    if (st->called) return;
    st->called = true;
    auto fn = std::move(st->cb);
    st->cb = nullptr;  // drop what it captured as soon as it ran
    fn(err);
  };
  if (stream->closed() || (st->readableDone && st->writableDone && !st->willEmitClose)) {
    Error err = stream->errored();  // Node's onclose: the stream's error first
    if (!err && !(st->readableDone && st->writableDone)) {
      err = Error("ERR_STREAM_PREMATURE_CLOSE", "Premature close");
    }
    evnode::detail::queueTick([call, err] { call(err); });
    return [] {};
  }
  Stream* s = stream.get();
  // One side done: report now unless `close` is on its way (a destroyed stream cannot be
  // trusted to emit it, as Node notes).
  auto sideDone = [st, call, s] {
    if (s->destroyed()) st->willEmitClose = false;
    if (!st->willEmitClose && st->readableDone && st->writableDone) call({});
  };
  ListenerId onEnd = 0, onFinish = 0;
  if (r) {
    onEnd = s->on(Readable::Events::end, [st, sideDone] {
      st->readableDone = true;
      sideDone();
    });
  }
  if (w) {
    onFinish = s->on(Writable::Events::finish, [st, sideDone] {
      st->writableDone = true;
      sideDone();
    });
  }
  ListenerId onError = s->on(Stream::Events::error, [call](const Error& e) { call(e); });
  ListenerId onClose = s->on(Stream::Events::close, [st, call, s] {
    if (const Error& e = s->errored()) {
      call(e);
    } else if (!st->readableDone || !st->writableDone) {
      call(Error("ERR_STREAM_PREMATURE_CLOSE", "Premature close"));
    } else {
      call({});
    }
  });
  std::weak_ptr<Stream> weak = stream;
  return [weak, st, onEnd, onFinish, onError, onClose] {
    st->called = true;  // Node's cleanup: the callback is never called afterwards
    st->cb = nullptr;
    auto s = weak.lock();
    if (!s) return;
    if (onEnd) s->off(Readable::Events::end, onEnd);
    if (onFinish) s->off(Writable::Events::finish, onFinish);
    s->off(Stream::Events::error, onError);
    s->off(Stream::Events::close, onClose);
  };
}

std::function<void()> finished(const std::shared_ptr<Stream>& stream,
                               std::function<void(const Error&)> cb) {
  return detail::eos(stream, dynamic_cast<Readable*>(stream.get()) != nullptr,
                     dynamic_cast<Writable*>(stream.get()) != nullptr, std::move(cb));
}

namespace {
// The writable side of a pipeline destination that pipes leave open (process::stdout() and
// stderr(), keepOpenAfterPipes()): no `finish` ever comes, since nothing ends it, so the side is
// done once its source has ended and everything written before that is out, which an empty
// write queued behind those bytes reports. Node's pipeline ends stdout instead (and, when it is a
// pipe, shuts it down); evnode keeps it open for the writers that follow, as its pipe() does. An
// `error` or `close` of the destination before that fails the side. `cb` runs once, after the
// listeners are gone.
void watchKeptOpen(const std::shared_ptr<Stream>& src, const std::shared_ptr<Stream>& dst,
                   std::function<void(const Error&)> cb) {
  struct State {
    std::function<void(const Error&)> cb;
    std::weak_ptr<Stream> src, dst;
    ListenerId onEnd = 0, onError = 0, onClose = 0;
  };
  auto st = std::make_shared<State>();
  st->cb = std::move(cb);
  st->src = src;
  st->dst = dst;
  auto done = [st](const Error& err) {
    if (!st->cb) return;
    auto fn = std::move(st->cb);
    st->cb = nullptr;
    if (auto s = st->src.lock(); s && st->onEnd) s->off(Readable::Events::end, st->onEnd);
    if (auto d = st->dst.lock()) {
      d->off(Stream::Events::error, st->onError);
      d->off(Stream::Events::close, st->onClose);
    }
    fn(err);
  };
  auto flush = [st, done] {
    auto d = st->dst.lock();
    auto* w = dynamic_cast<Writable*>(d.get());
    if (!w) return done(Error("ERR_STREAM_PREMATURE_CLOSE", "Premature close"));
    w->write(Buffer(), [done](const Error& err) { done(err); });
  };
  st->onError = dst->on(Stream::Events::error, [done](const Error& e) { done(e); });
  st->onClose = dst->on(Stream::Events::close, [done, raw = dst.get()] {
    const Error& e = raw->errored();
    done(e ? e : Error("ERR_STREAM_PREMATURE_CLOSE", "Premature close"));
  });
  auto* r = dynamic_cast<Readable*>(src.get());
  if (r->readableEnded()) {
    evnode::detail::queueTick(flush);
  } else {
    st->onEnd = src->on(Readable::Events::end, flush);
  }
}
}  // namespace

// Node's pipeline: each pipe counts its source's readable side and its destination's
// writable side; the first error (a real one beats a premature close) destroys every stream
// that has not completed, and the callback runs on the tick after everything reported.
void pipeline(std::vector<std::shared_ptr<Stream>> streams, std::function<void(const Error&)> cb) {
  if (streams.size() < 2) throwInvalidArg("streams", "must contain at least two streams");
  for (std::size_t i = 0; i + 1 < streams.size(); ++i) {
    if (!dynamic_cast<Readable*>(streams[i].get())) {
      throw Exception("ERR_INVALID_ARG_TYPE",
                      "pipeline: stream " + std::to_string(i) + " is not readable");
    }
    if (!dynamic_cast<Writable*>(streams[i + 1].get())) {
      throw Exception("ERR_INVALID_ARG_TYPE",
                      "pipeline: stream " + std::to_string(i + 1) + " is not writable");
    }
  }
  const std::size_t last = streams.size() - 1;
  struct State {
    std::vector<std::shared_ptr<Stream>> streams;
    std::vector<int> sidesLeft;  // per stream: watched sides that have not completed well
    std::function<void(const Error&)> cb;
    Error error;
    std::size_t pending = 0;
    bool destroyedAll = false;
  };
  auto st = std::make_shared<State>();
  st->streams = streams;
  st->sidesLeft.assign(streams.size(), 2);
  st->sidesLeft.front() = st->sidesLeft.back() = 1;
  st->cb = std::move(cb);
  st->pending = 2 * last;
  auto onSide = [st](std::size_t i, const Error& err) {
    if (!err) --st->sidesLeft[i];
    if (err && (!st->error || st->error.code == "ERR_STREAM_PREMATURE_CLOSE")) st->error = err;
    if (st->error && !st->destroyedAll) {
      st->destroyedAll = true;
      for (std::size_t j = 0; j < st->streams.size(); ++j) {
        if (st->sidesLeft[j] > 0) st->streams[j]->destroy(st->error);
      }
    }
    if (--st->pending == 0) {
      evnode::detail::queueTick([st] {
        auto cb = std::move(st->cb);
        st->cb = nullptr;
        st->streams.clear();
        if (cb) cb(st->error);
      });
    }
  };
  for (std::size_t i = 0; i < last; ++i) {
    detail::eos(streams[i], true, false, [onSide, i](const Error& err) { onSide(i, err); });
    auto dstSide = [onSide, i](const Error& err) { onSide(i + 1, err); };
    if (dynamic_cast<Writable&>(*streams[i + 1]).keepsOpenAfterPipes()) {
      watchKeptOpen(streams[i], streams[i + 1], dstSide);
    } else {
      detail::eos(streams[i + 1], false, true, dstSide);
    }
  }
  for (std::size_t i = 0; i < last; ++i) {
    auto src = std::dynamic_pointer_cast<Readable>(streams[i]);
    auto dst = std::dynamic_pointer_cast<Writable>(streams[i + 1]);
    src->pipe(dst);
  }
}

std::shared_ptr<Readable> readableFrom(std::vector<Buffer> chunks) {
  auto list = std::make_shared<std::vector<Buffer>>(std::move(chunks));
  ReadableOptions o;
  o.read = [list, i = std::size_t{0}](Readable& r, std::size_t) mutable {
    if (i < list->size()) {
      r.push((*list)[i++]);
    } else {
      r.push(nullptr);
    }
  };
  return std::make_shared<Readable>(std::move(o));
}

}  // namespace evnode
