// evnode/stream.h — Node's streams: Readable, Writable, Duplex, Transform, PassThrough, with
// pipe(), pipeline() and finished().
//
// The algorithms are Node's (lib/internal/streams/*.js), so the events come in the same order:
// `data`/`readable`/`end` on the readable side, `drain`/`finish` on the writable side, then
// `error` (if any) and `close`. Backpressure is real: write() returns false once
// writableLength reaches writableHighWaterMark and `drain` follows; push() returns false once
// the read buffer reaches readableHighWaterMark and _read() is not called again until a
// consumer reads.
//
// Create streams with std::make_shared: a stream keeps itself alive with shared_from_this()
// while callbacks it scheduled are pending.
//
// Implementing a stream: override _read / _write / _writev / _final / _destroy, or pass the
// same functions in the options (Node's "simplified construction"). _write and _writev report
// completion through the WriteCallback they are given (exactly once, possibly synchronously).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "evnode/buffer.h"
#include "evnode/events.h"

namespace evnode {

class Stream;
class Readable;
class Writable;

namespace detail {
// A FIFO on a vector that does not allocate until used (std::deque always does), so idle
// streams stay small.
template <class T>
class Fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  T& back() { return items_.back(); }
  T& operator[](std::size_t i) { return items_[head_ + i]; }
  void push_back(T v) { items_.push_back(std::move(v)); }
  void push_front(T v) {
    if (head_ > 0) {
      items_[--head_] = std::move(v);
    } else {
      items_.insert(items_.begin(), std::move(v));
    }
  }
  void pop_front() {
    items_[head_++] = T();
    if (head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    } else if (head_ >= 32 && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    items_.clear();
    head_ = 0;
  }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;
};
class StringDecoder;
// finished() for the chosen sides of a stream (Node's eos options `readable`/`writable`);
// pipeline() watches a Duplex only on the side it uses.
std::function<void()> eos(const std::shared_ptr<Stream>& stream, bool readable, bool writable,
                          std::function<void(const Error&)> cb);
}  // namespace detail

/// The state both sides share: destruction, `error` and `close`.
class Stream : public EventEmitter, public std::enable_shared_from_this<Stream> {
 public:
  /// A stream's events: EventEmitter's, and these.
  struct Events : EventEmitter::Events {
    /// The stream and its resources are closed. The argument is whether it was destroyed with
    /// an error (Node's `hadError` of a socket's close); a listener may take no argument, as
    /// most of Node's `close` listeners do.
    static constexpr Event<bool> close{"close"};
  };

  /// Destroys the stream: no more data, pending writes are dropped, `error` (if err) then
  /// `close` are emitted on the next tick. Safe to call repeatedly and from any callback.
  void destroy(const Error& err = {});
  bool destroyed() const { return destroyed_; }  ///< destroy() was called
  bool closed() const { return closed_; }        ///< `close` was emitted
  /// The error the stream was destroyed with (empty if none).
  const Error& errored() const { return errored_ ? erroredSlow() : kNoError; }

 protected:
  Stream() = default;
  ~Stream() override {
    if (errored_) forgetError();
  }
  /// \cond INTERNAL
  static const Error kNoError;
  /// \endcond
  /// Release resources, then call `cb` (possibly later) with the error to report.
  virtual void _destroy(const Error& err, std::function<void(const Error&)> cb) { cb(err); }
  /// Destroys with `err` if autoDestroy, otherwise just emits it (Node's errorOrDestroy).
  void errorOrDestroy(const Error& err);
  /// Hooks the sides use to learn that the other side is done (Duplex auto-destroy rules).
  virtual bool readableDone() const { return true; }
  virtual bool writableDone() const { return true; }     ///< the writable side finished
  virtual bool autoDestroy() const { return true; }      ///< the autoDestroy option
  virtual bool emitCloseOption() const { return true; }  ///< the emitClose option
  /// Runs at the start of the first destroy() (Writable fails its pending writes).
  virtual void beforeDestroy() {}
  /// This stream's shared_ptr (kept by callbacks it schedules).
  std::shared_ptr<Stream> self() { return shared_from_this(); }
  /// Emits `close`; a subclass whose close event carries arguments (net::Socket) emits its own
  /// as well.
  virtual void emitCloseEvent() { emit(Events::close, static_cast<bool>(errored())); }

  /// \cond INTERNAL
  bool destroyed_ : 1 = false;
  bool closed_ : 1 = false;
  bool errorEmitted_ : 1 = false;
  bool closeEmitted_ : 1 = false;
  // Set once, when the stream gets its error. The Error itself (168 bytes) is kept in a per-thread
  // table (setErrored/errored()): nearly every stream never has one, and a pointer here would
  // cost each of them 8 bytes.
  bool errored_ : 1 = false;
  bool destroyCalledBack_ : 1 = false;  // _destroy's callback ran (later calls are ignored)
  // Writable's count of callbacks still to come (writes, _final, the finish tick). It lives here,
  // in the padding after the flags, so that Writable's own part stays 24 bytes and a stream
  // that is only ever ended (an HTTP response) needs none of Writable's lazily made state.
  std::uint32_t pendingcb_ = 0;
  void setErrored(const Error& err);  // err is non-empty; the stream had no error yet
                                      /// \endcond

 private:
  // Needs to know whether the stream will emit `close` (autoDestroy and emitClose).
  friend std::function<void()> detail::eos(const std::shared_ptr<Stream>& stream, bool readable,
                                           bool writable, std::function<void(const Error&)> cb);
  const Error& erroredSlow() const;
  void forgetError();  // drops the per-thread record of this stream's error
  // _destroy's callback; `held`: destroy() kept the stream alive in the per-thread list.
  void destroyCalledBack(const Error& err, bool held);
  void afterDestroy(const Error& err);
  void emitErrorAndClose(const Error* err);  // afterDestroy's tick
};

/// Node's default high-water mark for byte streams.
inline constexpr std::size_t kDefaultHighWaterMark = 64 * 1024;

/// Node's `new stream.Readable(options)`.
struct ReadableOptions {
  std::size_t highWaterMark = kDefaultHighWaterMark;  ///< bytes buffered before push() says stop
  std::string encoding;                               ///< as setEncoding() at construction
  bool autoDestroy = true;                            ///< destroy() after `end`
  bool emitClose = true;                              ///< emit `close` once destroyed
  /// Instead of overriding _read (Node's simplified construction).
  std::function<void(Readable&, std::size_t)> read;
  /// Instead of overriding _destroy.
  std::function<void(Readable&, const Error&, std::function<void(const Error&)>)> destroy;
};

/// Readable::PipeOptions. Declared outside the class: a nested struct's default member
/// initializers are not usable in a default argument of its enclosing class (`PipeOptions opts =
/// {}` in pipe()), which clang rejects ("default member initializer needed within definition of
/// enclosing class").
struct ReadablePipeOptions {
  bool end = true;  ///< end() the destination when the source ends
};

/// Node's stream.Readable: a source of bytes, with backpressure. Consume it through `data`
/// (flowing), `readable` and read() (paused), or pipe(); implement it by overriding _read().
class Readable : public virtual Stream {
 public:
  /// A readable stream's events: Stream's, and these.
  struct Events : Stream::Events {
    static constexpr Event<const Buffer&> data{"data"};  ///< a chunk, in flowing mode
    static constexpr Event<> end{"end"};                 ///< no more data; all of it was read
    static constexpr Event<> readable{"readable"};       ///< data (or the end) can be read()
    static constexpr Event<> pause{"pause"};             ///< pause() stopped the flow
    static constexpr Event<> resume{"resume"};           ///< resume() restarted it
  };

  /// The defaults, without building (and destroying) an options struct: HTTP makes one per
  /// request.
  Readable() : hwm_(kDefaultHighWaterMark), autoDestroy_(true), emitClose_(true) {}
  /// A stream with these options (functions given there replace the overrides).
  explicit Readable(ReadableOptions opts);
  ~Readable() override = default;

  /// Producer side. push(chunk) adds data; push(nullptr) signals the end. Returns false when
  /// the producer should stop until the next _read().
  bool push(Buffer chunk);
  bool push(std::string_view str) { return push(Buffer::from(str)); }  ///< the UTF-8 bytes
  bool push(std::nullptr_t);  ///< the end of the data (Node's push(null))
  /// Puts data back at the front of the read buffer.
  void unshift(Buffer chunk);

  /// Consumer side. read() returns the buffered data (all of it, or the next chunk when
  /// flowing); read(n) exactly n bytes, or nullopt until n are available (less at the end).
  std::optional<Buffer> read();
  std::optional<Buffer> read(std::size_t n);  ///< see read()
  /// Stops flowing mode: no `data` until resume(); the source is read up to the high-water mark.
  Readable& pause();
  /// Starts (or restarts) flowing mode: buffered and new data are emitted as `data`.
  Readable& resume();
  /// Whether pause() was called, or the stream is otherwise not flowing.
  bool isPaused() const;
  /// With an encoding, `data` chunks hold text in that encoding ("utf8", "hex", "base64",
  /// "latin1"), never split inside a character; chunk.toString() gives the string. (Node emits
  /// strings; a typed event keeps one type, so the decoded text travels in a Buffer.)
  Readable& setEncoding(std::string_view encoding);

  using PipeOptions = ReadablePipeOptions;  ///< pipe()'s options
  /// Pipes into `dest` with backpressure; returns dest so pipes chain.
  template <class W>
  std::shared_ptr<W> pipe(const std::shared_ptr<W>& dest, PipeOptions opts = {}) {
    pipeTo(std::static_pointer_cast<Writable>(dest), opts);
    return dest;
  }
  /// Removes one destination (or all, with nullptr).
  Readable& unpipe(const std::shared_ptr<Writable>& dest = nullptr);

  /// Whether the stream can still be read: not destroyed, errored or ended.
  bool readable() const { return !destroyed_ && !errorEmitted_ && !endEmitted_; }
  /// Bytes buffered, waiting to be read.
  std::size_t readableLength() const;
  /// The highWaterMark option.
  std::size_t readableHighWaterMark() const { return hwm_; }
  /// Node's readableFlowing: nullopt (null) before any consumer, then true (flowing) or false.
  std::optional<bool> readableFlowing() const {
    return flowing_ < 0 ? std::nullopt : std::optional<bool>(flowing_ > 0);
  }
  /// Whether `end` was emitted.
  bool readableEnded() const { return endEmitted_; }
  /// Node's `readable.readableFlowing = null`: back to "no consumer yet", so the next `data`
  /// listener starts the flow (used when a socket is handed over to new code).
  void resetFlowing() {
    flowing_ = -1;
    explicitPause_ = false;
  }
  /// The encoding setEncoding() set ("" for none).
  const std::string& readableEncoding() const;

 protected:
  /// Called when the consumer wants up to `size` more bytes; push() them (now or later).
  virtual void _read(std::size_t size);
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;
  bool readableDone() const override { return endEmitted_; }
  bool autoDestroy() const override { return autoDestroy_; }
  bool emitCloseOption() const override { return emitClose_; }
  void newListener(const void* key) override;
  void listenerRemoved(const void* key) override;
  /// What Duplex does after `end` (allowHalfOpen=false ends the writable side).
  virtual void afterEndEmitted();
  /// Whether push(nullptr) was called (Node's state.ended); `end` may still be to come.
  bool readableEndedFlag() const { return ended_; }

 private:
  friend class Writable;
  struct PipeState;
  struct State;
  // Out of line (State is internal), so the destructor is inline: most streams have no State.
  struct DeleteState {
    void operator()(State* s) const;
  };
  State& state();
  std::size_t length() const;
  bool addChunk(Buffer chunk, bool addToFront);
  void deliver(Buffer chunk, bool addToFront);
  void onEofChunk();
  void emitReadable();
  void emitReadableNow();
  void maybeReadMore();
  void flow();
  void endReadable();
  std::size_t howMuchToRead(std::size_t n, bool all) const;
  std::optional<Buffer> readImpl(std::size_t n, bool all);
  Buffer fromList(std::size_t n, bool all);
  void pipeTo(std::shared_ptr<Writable> dest, PipeOptions opts);
  void scheduleResume();
  void updateReadableListening();

  // What only a stream that buffers, decodes, pipes or was built from functions needs (read
  // buffer, decoder, pipes, the options' functions): allocated on first use and kept, so an idle
  // socket holds none of it and a busy one allocates it once.
  std::unique_ptr<State, DeleteState> st_;
  std::uint32_t hwm_;         // at most 4 GiB (larger options are clamped)
  std::int8_t flowing_ = -1;  // -1 null (no consumer yet), 0 paused, 1 flowing
  bool ended_ : 1 = false;
  bool endEmitted_ : 1 = false;
  bool reading_ : 1 = false;
  bool sync_ : 1 = true;
  bool needReadable_ : 1 = false;
  bool emittedReadable_ : 1 = false;
  bool readableListening_ : 1 = false;
  bool resumeScheduled_ : 1 = false;
  bool readingMore_ : 1 = false;
  bool explicitPause_ : 1 = false;
  bool autoDestroy_ : 1;
  bool emitClose_ : 1;
};

/// Completion of one _write/_writev call; call it exactly once. It holds the stream weakly: the
/// stream stays alive while the completion runs, and a completion arriving after the stream was
/// freed does nothing.
class WriteCallback {
 public:
  /// Completes the write; with an error, the write fails and the stream errors (errorOrDestroy).
  void operator()(const Error& err = {}) const;

 private:
  friend class Writable;
  explicit WriteCallback(Writable* w);
  Writable* w_;
  std::weak_ptr<Stream> ref_;
  bool owned_ = false;  // the stream is owned by a shared_ptr (ref_ was set)
};

/// Node's `new stream.Writable(options)`.
struct WritableOptions {
  std::size_t highWaterMark = kDefaultHighWaterMark;  ///< bytes buffered before write() says wait
  bool autoDestroy = true;                            ///< destroy() after `finish`
  bool emitClose = true;                              ///< emit `close` once destroyed
  /// Instead of overriding _write (Node's simplified construction).
  std::function<void(Writable&, const Buffer&, WriteCallback)> write;
  /// Instead of overriding _writev.
  std::function<void(Writable&, std::vector<Buffer>&, WriteCallback)> writev;
  /// Instead of overriding _final.
  std::function<void(Writable&, std::function<void(const Error&)>)> final;
  /// Instead of overriding _destroy.
  std::function<void(Writable&, const Error&, std::function<void(const Error&)>)> destroy;
};

/// Node's stream.Writable: a destination for bytes, with backpressure. Implement it by
/// overriding _write() (and _writev(), _final()).
class Writable : public virtual Stream {
 public:
  /// A writable stream's events: Stream's, and these.
  struct Events : Stream::Events {
    static constexpr Event<> drain{"drain"};          ///< writing may go on after write() said wait
    static constexpr Event<> finish{"finish"};        ///< end() was called and all data is flushed
    static constexpr Event<> prefinish{"prefinish"};  ///< just before `finish`, after _final
    static constexpr Event<Readable&> pipe{"pipe"};   ///< a source pipes into this stream
    static constexpr Event<Readable&> unpipe{"unpipe"};  ///< a source stopped piping into it
  };

  /// Completion of a write() or end(): an empty Error, or the one the write failed with.
  using Callback = std::function<void(const Error&)>;

  /// The defaults (see Readable()).
  Writable() : hwm_(kDefaultHighWaterMark), autoDestroy_(true), emitClose_(true) {}
  /// A stream with these options (functions given there replace the overrides).
  explicit Writable(WritableOptions opts);
  ~Writable() override = default;

  /// Queues `chunk`; returns false once the buffered bytes reach the high-water mark (wait for
  /// `drain`). After end(), the write fails with ERR_STREAM_WRITE_AFTER_END. Virtual, with both
  /// end()s, so that a stream that adds to them (a socket's batching, a response's framing)
  /// behaves the same whether it is called directly, through a Writable& or by pipe().
  virtual bool write(Buffer chunk, Callback cb = nullptr);
  /// write() of the string's UTF-8 bytes.
  bool write(std::string_view str, Callback cb = nullptr) {
    return write(Buffer::from(str), std::move(cb));
  }
  /// write() of the string decoded with `encoding` (as Buffer::from).
  bool write(std::string_view str, std::string_view encoding, Callback cb = nullptr) {
    return write(Buffer::from(str, encoding), std::move(cb));
  }
  /// Signals that no more data will be written; `finish` follows once everything is flushed.
  virtual Writable& end(Callback cb = nullptr);
  /// write(chunk), then end().
  virtual Writable& end(Buffer chunk, Callback cb = nullptr);
  /// write(str), then end().
  Writable& end(std::string_view str, Callback cb = nullptr) {
    return end(Buffer::from(str), std::move(cb));
  }
  /// Buffers writes until uncork() (as many times as cork() was called), then flushes them in
  /// one _writev.
  void cork();
  void uncork();  ///< see cork()

  /// Whether write() is still allowed: not destroyed, errored or ended.
  bool writable() const { return !destroyed_ && !errored_ && !ending_; }
  /// Bytes written but not flushed yet.
  std::size_t writableLength() const;
  /// The highWaterMark option.
  std::size_t writableHighWaterMark() const { return hwm_; }
  /// Whether write() returned false and `drain` has not come yet.
  bool writableNeedDrain() const { return needDrain_; }
  /// Whether end() was called.
  bool writableEnded() const { return ending_; }
  /// Whether `finish` was emitted.
  bool writableFinished() const { return finished_; }
  /// How many cork() calls are still to be uncorked.
  unsigned writableCorked() const;
  /// Whether pipes leave this stream open when their source ends (process::stdout() and
  /// stderr()); pipeline() then completes once the source's bytes are written out.
  bool keepsOpenAfterPipes() const { return keepOpenAfterPipes_; }

 protected:
  /// Nothing was written, corked or ended, nothing destroyed it, and none of the state of a
  /// stream in use was made yet: a quick "writable, with nothing queued" for a fresh stream.
  bool untouched() const { return !st_ && !destroyed_ && !errored_ && !ending_; }
  /// Writes one chunk to the destination; call `cb` once it is written (or failed).
  virtual void _write(const Buffer& chunk, WriteCallback cb);
  /// Writes several chunks at once; the default writes them one by one through _write.
  virtual void _writev(std::vector<Buffer>& chunks, WriteCallback cb);
  /// Whether _writev is implemented (buffered chunks then go to it in one call).
  virtual bool hasWritev() const;
  /// Runs after end(), once every write completed and before `finish`; call `cb` when done.
  virtual void _final(std::function<void(const Error&)> cb);
  /// Whether _final is implemented.
  virtual bool hasFinal() const;
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;
  bool writableDone() const override { return finished_; }
  bool autoDestroy() const override { return autoDestroy_; }
  bool emitCloseOption() const override { return emitClose_; }
  void beforeDestroy() override;
  /// end() for a stream whose bytes its subclass has already sent itself, with nothing written,
  /// buffered or corked through the stream and no _final to run (the caller checks): `finish`
  /// follows on the next tick, exactly as after end(), without the generic bookkeeping.
  void endSent(Callback&& cb);
  /// Whether a finish nobody can see may be skipped: when the next tick finds the stream held
  /// by that tick alone, with no listener and no end() callback, `finish` is not emitted and
  /// autoDestroy does not run; the stream is simply freed. False unless a subclass's destroy
  /// does nothing its destructor does not (ServerResponse).
  virtual bool unseenFinishMayBeSkipped() const { return false; }
  /// A destination a pipe never ends when its source does (Node's process.stdout and stderr).
  void keepOpenAfterPipes() { keepOpenAfterPipes_ = true; }

 private:
  friend class WriteCallback;
  friend class Readable;
  struct State;
  struct DeleteState {  // as Readable's
    void operator()(State* s) const;
  };
  State& state();
  void onwrite(const Error& err);
  void doWrite(Buffer chunk, Callback cb);
  void clearBuffer();
  void afterWrite(std::size_t count, const Callback& cb);
  Writable& endImpl(Buffer* chunk, Callback cb);
  void afterWriteTick();
  bool needFinish() const;
  void finishMaybe(bool sync);
  void finishOnNextTick();
  void prefinish();
  void finishNow();
  void errorBuffer();
  std::vector<Callback> takeOnFinished();  // the end() callbacks, now and only once
  void failWrite(const Error& err, Callback cb);

  // Everything past the flags, allocated on the first write (or end()) and kept: an idle
  // socket holds none of it, a busy one allocates it once.
  std::unique_ptr<State, DeleteState> st_;
  std::uint32_t hwm_;  // at most 4 GiB (larger options are clamped)
  bool writing_ : 1 = false;
  bool writeSync_ : 1 = true;
  bool bufferProcessing_ : 1 = false;
  bool needDrain_ : 1 = false;
  bool ending_ : 1 = false;
  bool ended_ : 1 = false;
  bool finished_ : 1 = false;
  bool finalCalled_ : 1 = false;
  bool prefinished_ : 1 = false;
  bool finalCbDone_ : 1 = false;  // _final's callback ran (later calls are ignored)
  bool autoDestroy_ : 1;
  bool emitClose_ : 1;
  bool batchWrite_ : 1 = false;  // the in-flight write is a _writev batch
  bool keepOpenAfterPipes_ : 1 = false;
};

/// Node's `new stream.Duplex(options)`, with each side's options apart.
struct DuplexOptions {
  ReadableOptions readable;   ///< the readable side's
  WritableOptions writable;   ///< the writable side's
  bool allowHalfOpen = true;  ///< false: end the writable side after the readable side's `end`
};

/// Both sides in one object (a socket). With allowHalfOpen=false the writable side ends by
/// itself after the readable side's `end`.
class Duplex : public Readable, public Writable {
 public:
  /// Both sides' events.
  struct Events : Readable::Events, Writable::Events {};

  /// A stream with these options (functions given there replace the overrides).
  explicit Duplex(DuplexOptions opts = {});
  /// The allowHalfOpen option.
  bool allowHalfOpen() const { return allowHalfOpen_; }

 protected:
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;
  bool readableDone() const override { return Readable::readableDone(); }
  bool writableDone() const override { return Writable::writableDone(); }
  bool autoDestroy() const override { return Readable::autoDestroy(); }
  bool emitCloseOption() const override { return Readable::emitCloseOption(); }
  void afterEndEmitted() override;
  /// \cond INTERNAL
  bool allowHalfOpen_;  // placed in Writable's tail padding
  /// \endcond
};

/// Completion of one _transform call: pass the error, or data to push (optional).
using TransformCallback = std::function<void(const Error&, std::optional<Buffer>)>;

/// Node's `new stream.Transform(options)`.
struct TransformOptions {
  std::size_t highWaterMark = kDefaultHighWaterMark;  ///< for each side
  /// Instead of overriding _transform (Node's simplified construction).
  std::function<void(class Transform&, const Buffer&, TransformCallback)> transform;
  /// Instead of overriding _flush.
  std::function<void(class Transform&, TransformCallback)> flush;
};

/// Node's stream.Transform: a Duplex whose output is computed from its input by _transform().
class Transform : public Duplex {
 public:
  /// A stream with these options (functions given there replace the overrides).
  explicit Transform(TransformOptions opts = {});

 protected:
  /// Turns one written chunk into output: call `cb` with an error, or with data to push.
  virtual void _transform(const Buffer& chunk, TransformCallback cb);
  /// Runs after the last chunk was transformed, before `finish`: `cb` may push final data.
  virtual void _flush(TransformCallback cb);
  /// Whether _flush is implemented.
  virtual bool hasFlush() const { return static_cast<bool>(flushFn_); }
  void _write(const Buffer& chunk, WriteCallback cb) override;
  void _read(std::size_t size) override;
  void _final(std::function<void(const Error&)> cb) override;
  bool hasFinal() const override { return true; }

 private:
  std::optional<WriteCallback> pendingWrite_;
  std::function<void(Transform&, const Buffer&, TransformCallback)> transformFn_;
  std::function<void(Transform&, TransformCallback)> flushFn_;
};

/// Node's stream.PassThrough: a Transform whose output is its input.
class PassThrough : public Transform {
 public:
  PassThrough() : Transform(TransformOptions{}) {}  ///< a pass-through stream

 protected:
  void _transform(const Buffer& chunk, TransformCallback cb) override { cb({}, chunk); }
};

/// A Readable that yields the given chunks, then ends.
std::shared_ptr<Readable> readableFrom(std::vector<Buffer> chunks);

/// Calls cb once the stream is done: ended (readable), finished (writable), errored, or closed
/// early (ERR_STREAM_PREMATURE_CLOSE). As in Node, a stream that will emit `close` (autoDestroy
/// and emitClose, the defaults) is done at `close`, after `end`/`finish`. Always asynchronous.
/// Returns a function that removes the listeners.
std::function<void()> finished(const std::shared_ptr<Stream>& stream,
                               std::function<void(const Error&)> cb);

/// Pipes streams[0] → streams[1] → … → streams[n-1]; on the first error destroys them all.
/// cb gets that error, or an empty one once the last stream finished.
void pipeline(std::vector<std::shared_ptr<Stream>> streams, std::function<void(const Error&)> cb);

}  // namespace evnode
