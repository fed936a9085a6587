// Readable: Node's readable-stream state machine (lib/internal/streams/readable.js), event for
// event, plus pipe()/unpipe().
#include <algorithm>

#include "core/block_cache.h"
#include "core/tick.h"
#include "evnode/loop.h"
#include "evnode/stream.h"
#include "stream/string_decoder.h"

namespace evnode {

namespace {
constexpr std::size_t kMaxHighWaterMark = 0x40000000;  // 1 GiB, as Node

std::uint32_t clampHighWaterMark(std::size_t n) {
  return static_cast<std::uint32_t>(std::min<std::size_t>(n, UINT32_MAX));
}

std::size_t computeNewHighWaterMark(std::size_t n) {
  if (n > kMaxHighWaterMark) throwOutOfRange("size", "<= 1GiB", static_cast<long long>(n));
  std::size_t hwm = 1;
  while (hwm < n) hwm <<= 1;
  return hwm;
}
}  // namespace

struct Readable::PipeState {
  std::shared_ptr<Writable> dest;
  ListenerId onData = 0, onEnd = 0, onDrain = 0, onUnpipe = 0, onClose = 0, onFinish = 0,
             onError = 0;
  bool awaitingDrain = false;
  bool cleanedUp = false;
};

struct Readable::State {
  // Per request on an HTTP server (ServerResponse, IncomingMessage): recycled, not malloc'd.
  static void* operator new(std::size_t n) { return detail::BlockCache<State>::get(n); }
  static void operator delete(void* p, std::size_t n) { detail::BlockCache<State>::put(p, n); }
  detail::Fifo<Buffer> buffer;
  std::size_t length = 0;
  std::size_t awaitDrain = 0;
  std::unique_ptr<detail::StringDecoder> decoder;
  std::vector<std::shared_ptr<PipeState>> pipes;
  // Node's simplified-construction functions.
  std::function<void(Readable&, std::size_t)> read;
  std::function<void(Readable&, const Error&, std::function<void(const Error&)>)> destroy;
};

Readable::Readable(ReadableOptions o)
    : hwm_(clampHighWaterMark(o.highWaterMark)),
      autoDestroy_(o.autoDestroy),
      emitClose_(o.emitClose) {
  if (o.read || o.destroy) {
    state().read = std::move(o.read);
    state().destroy = std::move(o.destroy);
  }
  if (!o.encoding.empty()) setEncoding(o.encoding);
}

void Readable::DeleteState::operator()(State* s) const { delete s; }

Readable::State& Readable::state() {
  if (!st_) st_.reset(new State());
  return *st_;
}

std::size_t Readable::length() const { return st_ ? st_->length : 0; }
std::size_t Readable::readableLength() const { return length(); }

void Readable::_read(std::size_t size) {
  if (st_ && st_->read) {
    st_->read(*this, size);
  } else {
    errorOrDestroy(Error("ERR_METHOD_NOT_IMPLEMENTED", "The _read() method is not implemented"));
  }
}

void Readable::_destroy(const Error& err, std::function<void(const Error&)> cb) {
  if (st_ && st_->destroy) {
    st_->destroy(*this, err, std::move(cb));
  } else {
    cb(err);
  }
}

// push() and unshift() are usually called from the producer's own async code, which holds no
// reference; a listener they trigger may drop the last one, so they keep the stream alive.
bool Readable::push(Buffer chunk) {
  auto keep = weak_from_this().lock();
  return addChunk(std::move(chunk), false);
}

bool Readable::push(std::nullptr_t) {
  auto keep = weak_from_this().lock();
  if (destroyed_ || errored_) return false;
  reading_ = false;
  onEofChunk();
  return false;
}

void Readable::unshift(Buffer chunk) {
  auto keep = weak_from_this().lock();
  addChunk(std::move(chunk), true);
}

bool Readable::addChunk(Buffer chunk, bool addToFront) {
  if (chunk.empty()) {
    // Node: an empty chunk only asks for more data; it is never an error, even after EOF.
    if (!addToFront) {
      reading_ = false;
      maybeReadMore();
    }
  } else if (addToFront) {
    if (endEmitted_) {
      errorOrDestroy(
          Error("ERR_STREAM_UNSHIFT_AFTER_END_EVENT", "stream.unshift() after end event"));
      return false;
    }
    if (destroyed_ || errored_) return false;
    deliver(std::move(chunk), true);
  } else {
    if (ended_) {
      errorOrDestroy(Error("ERR_STREAM_PUSH_AFTER_EOF", "stream.push() after EOF"));
      return false;
    }
    if (destroyed_ || errored_) return false;
    reading_ = false;
    if (st_ && st_->decoder) chunk = st_->decoder->write(chunk);
    if (chunk.empty()) {
      maybeReadMore();
    } else {
      deliver(std::move(chunk), false);
    }
  }
  std::size_t len = length();
  return !ended_ && (len < hwm_ || len == 0);
}

// Node's addChunk: hand the chunk straight to a flowing consumer, or buffer it.
void Readable::deliver(Buffer chunk, bool addToFront) {
  if (flowing_ == 1 && length() == 0 && !sync_ && listenerCount(Events::data) > 0) {
    if (st_ && st_->awaitDrain) {
      for (auto& p : st_->pipes) p->awaitingDrain = false;
      st_->awaitDrain = 0;
    }
    emit(Events::data, chunk);
  } else {
    State& st = state();
    st.length += chunk.length();
    if (addToFront) {
      st.buffer.push_front(std::move(chunk));
    } else {
      st.buffer.push_back(std::move(chunk));
    }
    if (needReadable_) emitReadable();
  }
  maybeReadMore();
}

void Readable::onEofChunk() {
  if (ended_) return;
  if (st_ && st_->decoder) {
    Buffer rest = st_->decoder->end();
    if (!rest.empty()) {
      st_->length += rest.length();
      st_->buffer.push_back(std::move(rest));
    }
  }
  ended_ = true;
  if (sync_) {
    emitReadable();
  } else {
    needReadable_ = false;
    emittedReadable_ = true;
    emitReadableNow();
  }
}

void Readable::emitReadable() {
  needReadable_ = false;
  if (emittedReadable_) return;
  emittedReadable_ = true;
  evnode::detail::queueTick([this, keep = self()] { emitReadableNow(); });
}

void Readable::emitReadableNow() {
  if (!destroyed_ && !errored_ && (length() > 0 || ended_)) {
    emit(Events::readable);
    emittedReadable_ = false;
  }
  needReadable_ = flowing_ != 1 && !ended_ && length() <= hwm_;
  flow();
}

void Readable::maybeReadMore() {
  if (readingMore_) return;
  readingMore_ = true;
  evnode::detail::queueTick([this, keep = self()] {
    while (!reading_ && !ended_ && (length() < hwm_ || (flowing_ == 1 && length() == 0))) {
      std::size_t len = length();
      read(0);
      if (len == length()) break;  // _read() pushed nothing synchronously
    }
    readingMore_ = false;
  });
}

void Readable::flow() {
  while (flowing_ == 1 && readImpl(0, true).has_value()) {
  }
}

std::size_t Readable::howMuchToRead(std::size_t n, bool all) const {
  const std::size_t len = length();
  if ((!all && n == 0) || (len == 0 && ended_)) return 0;
  // Something buffered means the state exists.
  if (all) return (flowing_ == 1 && len > 0) ? st_->buffer.front().length() : len;
  if (n <= len) return n;
  return ended_ ? len : 0;
}

std::optional<Buffer> Readable::read() { return readImpl(0, true); }
std::optional<Buffer> Readable::read(std::size_t n) { return readImpl(n, false); }

std::optional<Buffer> Readable::readImpl(std::size_t n, bool all) {
  const std::size_t nOrig = n;
  if (!all && n > hwm_) hwm_ = static_cast<std::uint32_t>(computeNewHighWaterMark(n));
  if (all || n != 0) emittedReadable_ = false;

  // read(0) only asks for a `readable` event or more data.
  if (!all && n == 0 && needReadable_ &&
      ((hwm_ != 0 ? length() >= hwm_ : length() > 0) || ended_)) {
    if (length() == 0 && ended_) {
      endReadable();
    } else {
      emitReadable();
    }
    return std::nullopt;
  }

  n = howMuchToRead(n, all);
  if (n == 0 && ended_) {
    if (length() == 0) endReadable();
    return std::nullopt;
  }

  bool doRead = needReadable_;
  if (length() == 0 || length() - n < hwm_) doRead = true;
  if (ended_ || reading_ || destroyed_ || errored_) {
    doRead = false;
  } else if (doRead) {
    reading_ = true;
    sync_ = true;
    if (length() == 0) needReadable_ = true;
    _read(hwm_);
    sync_ = false;
    if (!reading_) n = howMuchToRead(nOrig, all);
  }

  std::optional<Buffer> ret;
  if (n > 0) ret = fromList(n, all);
  if (!ret) {
    needReadable_ = length() <= hwm_;
    n = 0;
  } else {
    st_->length -= n;
    if (st_->awaitDrain) {
      for (auto& p : st_->pipes) p->awaitingDrain = false;
      st_->awaitDrain = 0;
    }
  }

  if (length() == 0) {
    if (!ended_) needReadable_ = true;
    if ((all || nOrig != n) && ended_) endReadable();
  }

  if (ret && !errorEmitted_ && !closeEmitted_) emit(Events::data, *ret);
  return ret;
}

Buffer Readable::fromList(std::size_t n, bool all) {
  (void)all;
  if (length() == 0 || st_->buffer.empty()) return Buffer();
  auto& buffer = st_->buffer;
  Buffer& first = buffer.front();
  if (n < first.length()) {
    Buffer ret = first.slice(0, static_cast<std::int64_t>(n));
    first = first.slice(static_cast<std::int64_t>(n));
    return ret;
  }
  if (n == first.length() || buffer.size() == 1) {
    Buffer ret = std::move(first);
    buffer.pop_front();
    return ret;
  }
  // Spans several chunks: gather them into one.
  Buffer ret = Buffer::allocUnsafe(n);
  std::size_t pos = 0;
  while (pos < n) {
    Buffer& b = buffer.front();
    std::size_t take = std::min(b.length(), n - pos);
    std::copy_n(b.data(), take, ret.data() + pos);
    pos += take;
    if (take == b.length()) {
      buffer.pop_front();
    } else {
      b = b.slice(static_cast<std::int64_t>(take));
    }
  }
  return ret;
}

void Readable::endReadable() {
  if (endEmitted_) return;
  ended_ = true;
  evnode::detail::queueTick([this, keep = self()] {
    // Node checks `errored`, not `errorEmitted`: a stream destroyed with an error between
    // scheduling and this tick must not emit `end`.
    if (!errored_ && !closeEmitted_ && !endEmitted_ && length() == 0) {
      endEmitted_ = true;
      emit(Events::end);
      afterEndEmitted();
    }
  });
}

void Readable::afterEndEmitted() {
  if (autoDestroy() && writableDone()) destroy();
}

Readable& Readable::pause() {
  if (flowing_ != 0) {
    flowing_ = 0;
    emit(Events::pause);
  }
  explicitPause_ = true;
  return *this;
}

Readable& Readable::resume() {
  if (flowing_ != 1) {
    // With a `readable` listener, data is pulled with read(), not pushed as `data`.
    flowing_ = readableListening_ ? 0 : 1;
    scheduleResume();
  }
  explicitPause_ = false;
  return *this;
}

void Readable::scheduleResume() {
  if (resumeScheduled_) return;
  resumeScheduled_ = true;
  evnode::detail::queueTick([this, keep = self()] {
    if (!reading_) read(0);
    resumeScheduled_ = false;
    emit(Events::resume);
    flow();
    if (flowing_ == 1 && !reading_) read(0);
  });
}

bool Readable::isPaused() const { return explicitPause_ || flowing_ == 0; }

const std::string& Readable::readableEncoding() const {
  static const std::string none;
  return st_ && st_->decoder ? st_->decoder->encodingName() : none;
}

Readable& Readable::setEncoding(std::string_view encoding) {
  State& st = state();
  st.decoder = std::make_unique<detail::StringDecoder>(encoding);
  // Re-decode what is already buffered, as Node does.
  if (st.length > 0) {
    std::vector<Buffer> old;
    while (!st.buffer.empty()) {
      old.push_back(std::move(st.buffer.front()));
      st.buffer.pop_front();
    }
    Buffer all = Buffer::concat(old);
    Buffer text = st.decoder->write(all);
    st.length = text.length();
    if (!text.empty()) st.buffer.push_back(std::move(text));
  }
  return *this;
}

void Readable::newListener(const void* key) {
  if (key == &Events::data) {
    readableListening_ = listenerCount(Events::readable) > 0;
    if (flowing_ != 0) resume();
  } else if (key == &Events::readable) {
    if (!endEmitted_ && !readableListening_) {
      readableListening_ = needReadable_ = true;
      flowing_ = 0;
      emittedReadable_ = false;
      if (length() > 0) {
        emitReadable();
      } else if (!reading_) {
        evnode::detail::queueTick([this, keep = self()] { read(0); });
      }
    }
  }
}

void Readable::listenerRemoved(const void* key) {
  if (key != &Events::readable && key != nullptr) return;
  if (destroyed_ || closeEmitted_) return;  // nobody is left to hand the data to
  // Node re-evaluates on the next tick, once the caller is done rearranging listeners.
  if (auto keep = weak_from_this().lock()) {
    evnode::detail::queueTick([this, keep = std::move(keep)] { updateReadableListening(); });
  }
}

// Node's updateReadableListening: without `readable` listeners, `data` listeners (or a pending
// resume()) take over; with neither, the stream goes back to "no consumer yet".
void Readable::updateReadableListening() {
  readableListening_ = listenerCount(Events::readable) > 0;
  if (resumeScheduled_ && !explicitPause_) {
    flowing_ = 1;
  } else if (listenerCount(Events::data) > 0) {
    resume();
  } else if (!readableListening_) {
    flowing_ = -1;
  }
}

// pipe(): Node's algorithm. Listeners on the source capture raw pointers (the source owns
// them); listeners on the destination keep the source alive until the pipe is cleaned up.
void Readable::pipeTo(std::shared_ptr<Writable> dest, PipeOptions opts) {
  auto p = std::make_shared<PipeState>();
  p->dest = dest;
  auto src = std::static_pointer_cast<Readable>(std::dynamic_pointer_cast<Readable>(self()));
  Writable* d = dest.get();

  auto unpipeSelf = [src, d] {
    for (auto& q : src->state().pipes) {
      if (q->dest.get() == d) {
        src->unpipe(q->dest);
        return;
      }
    }
  };
  auto cleanup = [src, p] {
    if (p->cleanedUp) return;
    p->cleanedUp = true;
    Writable* w = p->dest.get();
    w->off(Writable::Events::close, p->onClose);
    w->off(Writable::Events::finish, p->onFinish);
    if (p->onDrain) w->off(Writable::Events::drain, p->onDrain);
    w->off(Writable::Events::error, p->onError);
    w->off(Writable::Events::unpipe, p->onUnpipe);
    src->off(Events::end, p->onEnd);
    src->off(Events::data, p->onData);
    // A drain that will never come must not leave the source paused forever.
    if (p->awaitingDrain) {
      p->awaitingDrain = false;
      if (src->state().awaitDrain) --src->state().awaitDrain;
      if (src->state().awaitDrain == 0 && src->listenerCount(Events::data) > 0) src->resume();
    }
  };
  auto pauseForDrain = [src, p] {
    if (!p->cleanedUp) {
      if (!p->awaitingDrain) {
        p->awaitingDrain = true;
        ++src->state().awaitDrain;
      }
      src->pause();
    }
    if (!p->onDrain) {
      p->onDrain = p->dest->on(Writable::Events::drain, [src, p] {
        if (p->awaitingDrain) {
          p->awaitingDrain = false;
          if (src->state().awaitDrain) --src->state().awaitDrain;
        }
        if (src->state().awaitDrain == 0 && src->listenerCount(Events::data) > 0) src->resume();
      });
    }
  };

  p->onData = on(Events::data, [p, pauseForDrain](const Buffer& chunk) {
    if (!p->dest->write(chunk)) pauseForDrain();
  });
  std::function<void()> endFn;
  if (opts.end && !d->keepOpenAfterPipes_) {
    endFn = [p] { p->dest->end(); };
  } else {
    endFn = unpipeSelf;
  }
  if (endEmitted_) {
    evnode::detail::queueTick(
        std::move(endFn));  // Node: a source that already ended ends the pipe next tick
  } else {
    p->onEnd = once(Events::end, std::move(endFn));
  }
  p->onUnpipe = d->on(Writable::Events::unpipe, [this, cleanup](Readable& r) {
    if (&r == this) cleanup();
  });
  p->onError = d->prependListener(Writable::Events::error, [d, p, unpipeSelf](const Error& er) {
    unpipeSelf();
    d->off(Writable::Events::error, p->onError);
    // Node: the pipe's own listener does not count as handling the error.
    if (d->listenerCount(Writable::Events::error) == 0) detail::uncaughtError(er);
  });
  p->onClose = d->once(Writable::Events::close, [d, p, unpipeSelf] {
    d->off(Writable::Events::finish, p->onFinish);
    unpipeSelf();
  });
  p->onFinish = d->once(Writable::Events::finish, [d, p, unpipeSelf] {
    d->off(Writable::Events::close, p->onClose);
    unpipeSelf();
  });

  state().pipes.push_back(p);

  d->emit(Writable::Events::pipe, *this);
  if (d->writableNeedDrain()) {
    pauseForDrain();
  } else if (flowing_ != 1) {
    resume();
  }
}

Readable& Readable::unpipe(const std::shared_ptr<Writable>& dest) {
  if (!st_ || st_->pipes.empty()) return *this;
  auto& pipes = st_->pipes;
  if (!dest) {
    auto all = std::move(pipes);
    pipes.clear();
    pause();
    for (auto& p : all) p->dest->emit(Writable::Events::unpipe, *this);
    return *this;
  }
  auto it =
      std::find_if(pipes.begin(), pipes.end(), [&](const auto& p) { return p->dest == dest; });
  if (it == pipes.end()) return *this;
  auto p = *it;
  pipes.erase(it);
  if (pipes.empty()) pause();
  dest->emit(Writable::Events::unpipe, *this);
  return *this;
}

}  // namespace evnode
