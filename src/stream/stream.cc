// Stream: destroy()/error/close shared by both sides; finished(), pipeline(), readableFrom().
#include <algorithm>

#include "evnode/loop.h"
#include "evnode/stream.h"

namespace evnode {

void Stream::destroy(const Error& err) {
  if (destroyed_) {
    if (err && !errored_) errored_ = err;
    return;
  }
  beforeDestroy();
  if (err) errored_ = err;
  destroyed_ = true;
  _destroy(err, [this, keep = self(), called = false](const Error& e) mutable {
    if (called) return;
    called = true;
    afterDestroy(e);
  });
}

void Stream::afterDestroy(const Error& err) {
  if (err && !errored_) errored_ = err;
  closed_ = true;
  nextTick([this, keep = self(), err] {
    if (err && !errorEmitted_) {
      errorEmitted_ = true;
      emit(Events::error, err);
    }
    if (!closeEmitted_) {
      closeEmitted_ = true;
      if (emitCloseOption()) emitCloseEvent();
      // Nothing is emitted after close; dropping the listeners frees closures that captured
      // this stream (the lifetime rule in DESIGN.md).
      removeAllListeners();
    }
  });
}

void Stream::errorOrDestroy(const Error& err) {
  if (destroyed_) return;  // Node: a destroyed stream reports nothing more
  if (autoDestroy()) {
    destroy(err);
  } else if (err && !errorEmitted_) {
    if (!errored_) errored_ = err;
    errorEmitted_ = true;
    nextTick([this, keep = self(), err] { emit(Events::error, err); });
  }
}

std::function<void()> finished(const std::shared_ptr<Stream>& stream,
                               std::function<void(const Error&)> cb) {
  auto* r = dynamic_cast<Readable*>(stream.get());
  auto* w = dynamic_cast<Writable*>(stream.get());
  struct State {
    bool readableDone, writableDone, called = false;
    std::function<void(const Error&)> cb;
  };
  auto st = std::make_shared<State>(State{!r || r->readableEnded(), !w || w->writableFinished(),
                                          false, std::move(cb)});
  auto call = [st](const Error& err) {
    if (st->called) return;
    st->called = true;
    st->cb(err);
  };
  if (stream->closed() || (st->readableDone && st->writableDone)) {
    Error err = stream->errored();
    if (!err && !(st->readableDone && st->writableDone)) {
      err = Error("ERR_STREAM_PREMATURE_CLOSE", "Premature close");
    }
    nextTick([call, err] { call(err); });
    return [] {};
  }
  Stream* s = stream.get();
  ListenerId onEnd = 0, onFinish = 0;
  if (r) {
    onEnd = s->on(Readable::Events::end, [st, call] {
      st->readableDone = true;
      if (st->writableDone) call({});
    });
  }
  if (w) {
    onFinish = s->on(Writable::Events::finish, [st, call] {
      st->writableDone = true;
      if (st->readableDone) call({});
    });
  }
  ListenerId onError = s->on(Stream::Events::error, [call](const Error& e) { call(e); });
  ListenerId onClose = s->on(Stream::Events::close, [st, call, s] {
    if (!st->readableDone || !st->writableDone) {
      Error e = s->errored();
      call(e ? e : Error("ERR_STREAM_PREMATURE_CLOSE", "Premature close"));
    } else {
      call({});
    }
  });
  std::weak_ptr<Stream> weak = stream;
  return [weak, onEnd, onFinish, onError, onClose] {
    auto s = weak.lock();
    if (!s) return;
    if (onEnd) s->off(Readable::Events::end, onEnd);
    if (onFinish) s->off(Writable::Events::finish, onFinish);
    s->off(Stream::Events::error, onError);
    s->off(Stream::Events::close, onClose);
  };
}

void pipeline(std::vector<std::shared_ptr<Stream>> streams, std::function<void(const Error&)> cb) {
  if (streams.size() < 2) throwInvalidArg("streams", "must contain at least two streams");
  for (std::size_t i = 0; i + 1 < streams.size(); ++i) {
    if (!dynamic_cast<Readable*>(streams[i].get())) {
      throw Exception("ERR_INVALID_ARG_TYPE", "pipeline: stream " + std::to_string(i) + " is not readable");
    }
    if (!dynamic_cast<Writable*>(streams[i + 1].get())) {
      throw Exception("ERR_INVALID_ARG_TYPE",
                      "pipeline: stream " + std::to_string(i + 1) + " is not writable");
    }
  }
  struct State {
    std::vector<std::shared_ptr<Stream>> streams;
    std::function<void(const Error&)> cb;
    bool done = false;
  };
  auto st = std::make_shared<State>(State{streams, std::move(cb)});
  auto finish = [st](const Error& err) {
    if (st->done) return;
    st->done = true;
    if (err) {
      for (auto& s : st->streams) s->destroy(err);
    }
    auto cb = std::move(st->cb);
    st->streams.clear();
    if (cb) cb(err);
  };
  const std::size_t last = streams.size() - 1;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    finished(streams[i], [finish, i, last](const Error& err) {
      if (err) {
        finish(err);
      } else if (i == last) {
        finish({});
      }
    });
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
