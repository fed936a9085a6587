// evnode/stream_promises.h — streams with co_await: Node's stream/consumers, stream/promises
// (pipeline, finished), a Readable's async iterator, and a write that waits for `drain`.
//
//   std::string body = co_await stream::consumers::text(req);       // the whole body
//   auto it = stream::iterator(readable);                           // for await (const c of r)
//   while (auto chunk = co_await it.next()) {
//     co_await stream::promises::write(out, *chunk);                // waits for drain if needed
//   }
//   co_await stream::promises::pipeline({src, gzip, dest});
#pragma once

#include <concepts>
#include <memory>
#include <string>
#include <vector>

#include "evnode/abort.h"
#include "evnode/async_generator.h"
#include "evnode/buffer.h"
#include "evnode/operation.h"
#include "evnode/stream.h"

/// Node's stream module's promise API (evnode's stream classes themselves are evnode::Readable,
/// evnode::Writable, ...).
namespace evnode::stream {

/// Node's `stream/consumers`: read a whole Readable.
namespace consumers {

/// What buffer() and text() return: an Operation (operation.h) reading `readable` to its end
/// (it switches the stream to flowing mode) and giving every byte (T = Buffer) or their UTF-8
/// text (T = std::string). An `error` throws it; a `close` before `end` throws
/// ERR_STREAM_PREMATURE_CLOSE; a stream already ended gives nothing.
template <class T>
class ConsumeOperation : public Operation<T, ConsumeOperation<T>> {
  using Base = Operation<T, ConsumeOperation<T>>;

 public:
  /// Reads `r`; `keep` (may be null) holds it meanwhile.
  ConsumeOperation(Readable& r, std::shared_ptr<Readable> keep) : r_(&r), keep_(std::move(keep)) {}
  /// Moves one not yet awaited.
  ConsumeOperation(ConsumeOperation&& o) noexcept
      : Base(std::move(o)), r_(o.r_), keep_(std::move(o.keep_)) {}
  ~ConsumeOperation() { stop(); }
  /// Operation's: listens and starts the flow.
  void start();
  /// Operation's: removes the listeners.
  void stop();

 private:
  void finish();
  Readable* r_;
  std::shared_ptr<Readable> keep_;
  std::vector<Buffer> chunks_;
  std::size_t total_ = 0;
  ListenerId dataId_ = 0, endId_ = 0, errorId_ = 0, closeId_ = 0;
  bool listening_ = false;
};

/// Node's `await consumers.buffer(readable)`: the whole stream's bytes. `readable` must outlive
/// the await (or pass the shared_ptr).
ConsumeOperation<Buffer> buffer(Readable& readable);
/// The same, holding the stream until the await ends.
ConsumeOperation<Buffer> buffer(std::shared_ptr<Readable> readable);
/// Node's `await consumers.text(readable)`: the whole stream as UTF-8 text (bytes that are not
/// UTF-8 become U+FFFD).
ConsumeOperation<std::string> text(Readable& readable);
/// The same, holding the stream until the await ends.
ConsumeOperation<std::string> text(std::shared_ptr<Readable> readable);

}  // namespace consumers

/// iterator()'s options (Node's `readable.iterator({destroyOnReturn})`, plus a signal).
struct IteratorOptions {
  /// Leaving the iteration before the end (destroying the generator) destroys the stream.
  bool destroyOnReturn = true;
  /// Aborting makes the pending next() throw AbortError and destroys the stream.
  std::shared_ptr<AbortSignal> signal{};
};

/// Node's `for await (const chunk of readable)`: an async generator of the stream's chunks,
/// read one at a time with backpressure (paused mode: each next() takes what is buffered, and
/// the stream reads from its source only up to its high-water mark while the consumer is busy).
///
///   auto it = stream::iterator(socket);
///   while (auto chunk = co_await it.next()) { ... }   // std::nullopt at `end`
///
/// An `error` is thrown from next(); a `close` before `end` throws ERR_STREAM_PREMATURE_CLOSE.
/// Destroying the generator before the end destroys the stream (unless destroyOnReturn is
/// false), as Node's `break` does. The shared_ptr form holds the stream.
AsyncGenerator<Buffer> iterator(std::shared_ptr<Readable> readable, IteratorOptions opts = {});
/// The same over a stream that outlives the generator.
AsyncGenerator<Buffer> iterator(Readable& readable, IteratorOptions opts = {});

/// Node's `stream/promises`, and awaitable forms of a Writable's calls.
namespace promises {

/// Options of the awaitable stream calls.
struct StreamOptions {
  std::shared_ptr<AbortSignal> signal{};  ///< aborts the await (AbortError)
};

/// What write() returns: writes at once when awaited, and waits for `drain` only if the write
/// went over the high-water mark.
class WriteOperation : public Operation<void, WriteOperation> {
 public:
  /// A write of `chunk` to `w` (done when awaited).
  WriteOperation(Writable& w, Buffer chunk, StreamOptions opts)
      : Operation(std::move(opts.signal)), w_(&w), chunk_(std::move(chunk)) {}
  /// Moves one not yet awaited.
  WriteOperation(WriteOperation&& o) noexcept
      : Operation(std::move(o)), w_(o.w_), chunk_(std::move(o.chunk_)) {}
  ~WriteOperation() { stop(); }
  /// Operation's: writes; listens for drain if needed.
  void start();
  /// Operation's: removes the listeners.
  void stop();

 private:
  Writable* w_;
  Buffer chunk_;
  ListenerId drainId_ = 0, errorId_ = 0, closeId_ = 0;
  bool listening_ = false;
};

/// `co_await write(w, chunk)`: Node's `if (!w.write(chunk)) await once(w, 'drain')` in one
/// call. Never suspends while the stream is under its high-water mark (no allocation, no
/// microtask); Writable::write itself is unchanged. A write after end() or to a destroyed
/// stream throws its error (ERR_STREAM_WRITE_AFTER_END, ERR_STREAM_DESTROYED); an `error` or
/// `close` while waiting for drain throws (ERR_STREAM_PREMATURE_CLOSE for a close).
WriteOperation write(Writable& w, Buffer chunk);
/// The same, aborted by `opts.signal` while it waits for drain. (No defaulted options
/// argument: it would be an aggregate temporary in the co_await operand; see task.h.)
WriteOperation write(Writable& w, Buffer chunk, StreamOptions opts);
/// The same with text (its UTF-8 bytes).
WriteOperation write(Writable& w, std::string_view text);
/// The same with text and options.
WriteOperation write(Writable& w, std::string_view text, StreamOptions opts);

/// What finished() returns: stream::finished(), awaited.
class FinishedOperation : public Operation<void, FinishedOperation> {
 public:
  /// Waits for `stream` (held meanwhile).
  FinishedOperation(std::shared_ptr<Stream> stream, StreamOptions opts)
      : Operation(std::move(opts.signal)), stream_(std::move(stream)) {}
  /// Moves one not yet awaited.
  FinishedOperation(FinishedOperation&& o) noexcept
      : Operation(std::move(o)), stream_(std::move(o.stream_)) {}
  ~FinishedOperation() { stop(); }
  /// Operation's: calls evnode::finished().
  void start();
  /// Operation's: removes its listeners.
  void stop();

 private:
  std::shared_ptr<Stream> stream_;
  std::function<void()> cleanup_;
};

/// Node's `await finished(stream, {signal})`: resumes once the stream ended, finished, or
/// closed; throws its error (ERR_STREAM_PREMATURE_CLOSE for an early close). An abort stops
/// waiting; the stream is left as it is (as in Node).
FinishedOperation finished(std::shared_ptr<Stream> stream);
/// The same with a signal.
FinishedOperation finished(std::shared_ptr<Stream> stream, StreamOptions opts);

/// What pipeline() returns: evnode::pipeline(), awaited.
class PipelineOperation : public Operation<void, PipelineOperation> {
 public:
  /// A pipeline of `streams` (started when awaited).
  PipelineOperation(std::vector<std::shared_ptr<Stream>> streams, StreamOptions opts)
      : Operation(std::move(opts.signal)), streams_(std::move(streams)) {}
  /// Moves one not yet awaited.
  PipelineOperation(PipelineOperation&& o) noexcept
      : Operation(std::move(o)), streams_(std::move(o.streams_)), link_(std::move(o.link_)) {}
  ~PipelineOperation() { stop(); }
  /// Operation's: pipes them.
  void start();
  /// Operation's: if the pipeline is still running (an abort, or the awaiting coroutine
  /// destroyed), destroys every stream, as Node's pipeline does on abort.
  void stop();

 private:
  struct Link {
    PipelineOperation* op;
  };
  std::vector<std::shared_ptr<Stream>> streams_;
  std::shared_ptr<Link> link_;
};

/// Node's `await pipeline(source, ...transforms, destination, {signal})`: pipes the streams in
/// order and resumes when the last has finished; the first error destroys them all and is
/// thrown. At least two streams.
PipelineOperation pipeline(std::vector<std::shared_ptr<Stream>> streams);
/// The same with a signal: an abort destroys every stream and throws AbortError.
PipelineOperation pipeline(std::vector<std::shared_ptr<Stream>> streams, StreamOptions opts);
/// What pipeline(a, b, ...) takes: a shared_ptr to any stream.
template <class S>
concept StreamPointer = std::convertible_to<S, std::shared_ptr<Stream>>;
/// Node's spelling, `await pipeline(source, transform, destination)`. (GCC 12 rejects a braced
/// list inside a co_await operand, "array used as initializer": this form needs none.)
template <StreamPointer A, StreamPointer B, StreamPointer... Rest>
PipelineOperation pipeline(A first, B second, Rest... rest) {
  return pipeline(std::vector<std::shared_ptr<Stream>>{
      std::shared_ptr<Stream>(std::move(first)), std::shared_ptr<Stream>(std::move(second)),
      std::shared_ptr<Stream>(std::move(rest))...});
}

}  // namespace promises

}  // namespace evnode::stream
