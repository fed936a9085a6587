// evnode/zlib.h — Node's zlib: gzip, deflate (zlib and raw) and brotli, as Transform streams
// with backpressure, as one-shot calls on libuv's thread pool (callback and awaitable), and as
// *Sync calls.
//
//   // Node: pipeline(fs.createReadStream('a.txt'), zlib.createGzip(), fs.createWriteStream(...))
//   pipeline({fs::createReadStream("a.txt"), zlib::createGzip(), fs::createWriteStream("a.gz")},
//            [](const Error& err) { ... });
//   zlib::gunzip(buf, [](const Error& err, Buffer out) { ... });
//   Buffer small = zlib::brotliCompressSync(Buffer::from("text"));
//
// Errors have Node's codes: a corrupt stream Z_DATA_ERROR ("incorrect header check"), a
// truncated one Z_BUF_ERROR ("unexpected end of file"), a corrupt brotli stream
// "ERR__ERROR_FORMAT_..." ("Decompression failed"), output above maxOutputLength
// ERR_BUFFER_TOO_LARGE. A stream reports them on `error`; invalid options throw
// Exception(ERR_OUT_OF_RANGE, ERR_BROTLI_INVALID_PARAM, ...) at the call.
//
// A stream compresses on the loop thread, a chunk at a time, and stops in the middle of a chunk
// while its readable side is full (readableHighWaterMark), so a slow reader bounds the memory
// of even a decompression bomb.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "evnode/buffer.h"
#include "evnode/error.h"
#include "evnode/operation.h"
#include "evnode/stream.h"

/// Node's zlib module: gzip, deflate and brotli streams and one-shot calls.
namespace evnode::zlib {

/// Node's zlib.constants. The Z_* names are also macros of <zlib.h>, with the same values: a
/// file that includes <zlib.h> uses those (the macros replace these names there).
namespace constants {
// <zlib.h> may already be included: its macros would turn these declarations into nonsense.
#pragma push_macro("Z_NO_FLUSH")
#pragma push_macro("Z_PARTIAL_FLUSH")
#pragma push_macro("Z_SYNC_FLUSH")
#pragma push_macro("Z_FULL_FLUSH")
#pragma push_macro("Z_FINISH")
#pragma push_macro("Z_BLOCK")
#pragma push_macro("Z_NO_COMPRESSION")
#pragma push_macro("Z_BEST_SPEED")
#pragma push_macro("Z_BEST_COMPRESSION")
#pragma push_macro("Z_DEFAULT_COMPRESSION")
#pragma push_macro("Z_FILTERED")
#pragma push_macro("Z_HUFFMAN_ONLY")
#pragma push_macro("Z_RLE")
#pragma push_macro("Z_FIXED")
#pragma push_macro("Z_DEFAULT_STRATEGY")
#undef Z_NO_FLUSH
#undef Z_PARTIAL_FLUSH
#undef Z_SYNC_FLUSH
#undef Z_FULL_FLUSH
#undef Z_FINISH
#undef Z_BLOCK
#undef Z_NO_COMPRESSION
#undef Z_BEST_SPEED
#undef Z_BEST_COMPRESSION
#undef Z_DEFAULT_COMPRESSION
#undef Z_FILTERED
#undef Z_HUFFMAN_ONLY
#undef Z_RLE
#undef Z_FIXED
#undef Z_DEFAULT_STRATEGY
/// @{
/// zlib's flush values (the `flush`/`finishFlush` options and flush()).
inline constexpr int Z_NO_FLUSH = 0, Z_PARTIAL_FLUSH = 1, Z_SYNC_FLUSH = 2, Z_FULL_FLUSH = 3,
                     Z_FINISH = 4, Z_BLOCK = 5;
/// @}
/// @{
/// Compression levels (-1 is zlib's default, 6).
inline constexpr int Z_NO_COMPRESSION = 0, Z_BEST_SPEED = 1, Z_BEST_COMPRESSION = 9,
                     Z_DEFAULT_COMPRESSION = -1;
/// @}
/// @{
/// Compression strategies.
inline constexpr int Z_FILTERED = 1, Z_HUFFMAN_ONLY = 2, Z_RLE = 3, Z_FIXED = 4,
                     Z_DEFAULT_STRATEGY = 0;
/// @}
#pragma pop_macro("Z_NO_FLUSH")
#pragma pop_macro("Z_PARTIAL_FLUSH")
#pragma pop_macro("Z_SYNC_FLUSH")
#pragma pop_macro("Z_FULL_FLUSH")
#pragma pop_macro("Z_FINISH")
#pragma pop_macro("Z_BLOCK")
#pragma pop_macro("Z_NO_COMPRESSION")
#pragma pop_macro("Z_BEST_SPEED")
#pragma pop_macro("Z_BEST_COMPRESSION")
#pragma pop_macro("Z_DEFAULT_COMPRESSION")
#pragma pop_macro("Z_FILTERED")
#pragma pop_macro("Z_HUFFMAN_ONLY")
#pragma pop_macro("Z_RLE")
#pragma pop_macro("Z_FIXED")
#pragma pop_macro("Z_DEFAULT_STRATEGY")
/// @{
/// Node's bounds and defaults for the options.
inline constexpr int Z_MIN_WINDOWBITS = 8, Z_MAX_WINDOWBITS = 15, Z_DEFAULT_WINDOWBITS = 15;
inline constexpr int Z_MIN_MEMLEVEL = 1, Z_MAX_MEMLEVEL = 9, Z_DEFAULT_MEMLEVEL = 8;
inline constexpr int Z_MIN_LEVEL = -1, Z_MAX_LEVEL = 9;
inline constexpr std::size_t Z_MIN_CHUNK = 64, Z_DEFAULT_CHUNK = 16 * 1024;
/// @}
/// @{
/// Brotli's operations (its `flush`/`finishFlush` options and flush()).
inline constexpr int BROTLI_OPERATION_PROCESS = 0, BROTLI_OPERATION_FLUSH = 1,
                     BROTLI_OPERATION_FINISH = 2, BROTLI_OPERATION_EMIT_METADATA = 3;
/// @}
/// @{
/// Brotli encoder parameters (keys of BrotliOptions::params).
inline constexpr int BROTLI_PARAM_MODE = 0, BROTLI_PARAM_QUALITY = 1, BROTLI_PARAM_LGWIN = 2,
                     BROTLI_PARAM_LGBLOCK = 3, BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING = 4,
                     BROTLI_PARAM_SIZE_HINT = 5, BROTLI_PARAM_LARGE_WINDOW = 6,
                     BROTLI_PARAM_NPOSTFIX = 7, BROTLI_PARAM_NDIRECT = 8;
/// @}
/// @{
/// Brotli decoder parameters.
inline constexpr int BROTLI_DECODER_PARAM_DISABLE_RING_BUFFER_REALLOCATION = 0,
                     BROTLI_DECODER_PARAM_LARGE_WINDOW = 1;
/// @}
/// @{
/// Values of BROTLI_PARAM_MODE.
inline constexpr int BROTLI_MODE_GENERIC = 0, BROTLI_MODE_TEXT = 1, BROTLI_MODE_FONT = 2;
/// @}
}  // namespace constants

/// Node's zlib options (all but brotli's).
struct Options {
  int flush = 0;        ///< the flush of each write (Z_NO_FLUSH)
  int finishFlush = 4;  ///< the flush at the end (Z_FINISH)
  /// Output is produced in pieces of this size (>= 64).
  std::size_t chunkSize = constants::Z_DEFAULT_CHUNK;
  /// 8..15 (gzip 9..15); unset: 15 when compressing, the stream's own when decompressing.
  std::optional<int> windowBits;
  int level = -1;    ///< -1 (default, 6), 0 (store) .. 9 (best)
  int memLevel = 8;  ///< 1..9: memory for the compressor's state
  int strategy = 0;  ///< Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED
  /// A preset dictionary (deflate/inflate and their raw forms).
  Buffer dictionary;
  /// The most bytes the output may hold (ERR_BUFFER_TOO_LARGE past it). One-shot calls
  /// default to 4 GiB; a stream, which hands its output on in pieces, to no limit.
  std::optional<std::uint64_t> maxOutputLength;
};

/// Node's brotli options.
struct BrotliOptions {
  int flush = 0;        ///< the operation of each write (BROTLI_OPERATION_PROCESS)
  int finishFlush = 2;  ///< the operation at the end (BROTLI_OPERATION_FINISH)
  /// Output is produced in pieces of this size (>= 64).
  std::size_t chunkSize = constants::Z_DEFAULT_CHUNK;
  /// Encoder (or decoder) parameters: BROTLI_PARAM_QUALITY, BROTLI_PARAM_MODE,
  /// BROTLI_PARAM_SIZE_HINT, ... An unknown key or a value the library refuses throws
  /// ERR_BROTLI_INVALID_PARAM.
  std::map<int, std::uint32_t> params;
  /// As Options::maxOutputLength.
  std::optional<std::uint64_t> maxOutputLength;
};

/// What a codec does (Node's zlib modes).
enum class Mode : std::uint8_t {
  Deflate,           ///< zlib format
  Inflate,           ///< zlib format
  Gzip,              ///< gzip format
  Gunzip,            ///< gzip format, several members in a row allowed
  DeflateRaw,        ///< bare deflate
  InflateRaw,        ///< bare deflate
  Unzip,             ///< gzip or zlib format, told apart by the header
  BrotliCompress,    ///< brotli
  BrotliDecompress,  ///< brotli
};

namespace detail {
class Engine;
}  // namespace detail

/// The base of every zlib and brotli stream (Node's ZlibBase): a Transform whose output is the
/// input compressed or decompressed.
class ZlibBase : public Transform {
 public:
  ~ZlibBase() override;
  /// What this stream does.
  Mode mode() const { return mode_; }
  /// Input bytes consumed so far (Node's bytesWritten).
  std::uint64_t bytesWritten() const { return bytesWritten_; }
  /// Flushes with `kind` (Z_FULL_FLUSH by default; brotli: BROTLI_OPERATION_FLUSH) after what
  /// was written before; `cb` runs once that output is pushed.
  void flush(int kind, std::function<void()> cb = nullptr);
  /// flush() with the default kind.
  void flush(std::function<void()> cb = nullptr);
  /// Closes the stream (destroy()); `cb` runs on `close`.
  void close(std::function<void()> cb = nullptr);
  /// Forgets the state: the next byte starts a new stream (Node's reset()).
  void reset();

 protected:
  /// \cond INTERNAL
  ZlibBase(Mode mode, std::unique_ptr<detail::Engine> engine, int flush, int finishFlush,
           std::size_t chunkSize, std::optional<std::uint64_t> maxOutput);
  void _transform(const Buffer& chunk, TransformCallback cb) override;
  void _flush(TransformCallback cb) override;
  bool hasFlush() const override { return true; }
  void _read(std::size_t size) override;
  void _destroy(const Error& err, std::function<void(const Error&)> cb) override;
  void process();  // runs the engine on the current job until done, suspended or failed
  detail::Engine& engine() { return *engine_; }
  int defaultFullFlush() const;
  /// \endcond

 private:
  std::unique_ptr<detail::Engine> engine_;
  Buffer in_;                               // the job's input
  std::size_t inPos_ = 0;                   // consumed so far
  int jobFlush_ = 0;                        // the job's flush value
  std::optional<TransformCallback> jobCb_;  // the job in progress
  Buffer out_;                              // the output buffer being filled
  std::size_t outPos_ = 0;
  std::uint64_t bytesWritten_ = 0, bytesOut_ = 0;
  std::optional<std::uint64_t> maxOutput_;
  // flush() requests, in order: the storage of the empty write each made, and its kind.
  std::vector<std::pair<std::shared_ptr<std::uint8_t[]>, int>> flushKinds_;
  std::size_t chunkSize_;
  int flush_, finishFlush_;
  Mode mode_;
  bool suspended_ = false, processing_ = false;
};

/// The gzip/deflate streams (Node's Gzip, Gunzip, Deflate, Inflate, DeflateRaw, InflateRaw,
/// Unzip): one class, its Mode says which.
class Zlib : public ZlibBase {
 public:
  /// A stream for `mode` (a zlib one) with `opts`; invalid options throw.
  Zlib(Mode mode, const Options& opts);
  /// Changes the compression level and strategy (compressing streams): what was written
  /// before is flushed (Z_SYNC_FLUSH) with the old ones, then `cb` runs.
  void params(int level, int strategy, std::function<void()> cb = nullptr);

 private:
  int level_, strategy_;
};

/// The brotli streams (Node's BrotliCompress and BrotliDecompress).
class Brotli : public ZlibBase {
 public:
  /// A stream for `mode` (BrotliCompress or BrotliDecompress) with `opts`; invalid options
  /// throw.
  Brotli(Mode mode, const BrotliOptions& opts);
};

/// @{
/// Node's zlib.create*(): a new stream with the options (which are checked here).
std::shared_ptr<Zlib> createGzip(const Options& opts = {});
std::shared_ptr<Zlib> createGunzip(const Options& opts = {});
std::shared_ptr<Zlib> createDeflate(const Options& opts = {});
std::shared_ptr<Zlib> createInflate(const Options& opts = {});
std::shared_ptr<Zlib> createDeflateRaw(const Options& opts = {});
std::shared_ptr<Zlib> createInflateRaw(const Options& opts = {});
std::shared_ptr<Zlib> createUnzip(const Options& opts = {});
std::shared_ptr<Brotli> createBrotliCompress(const BrotliOptions& opts = {});
std::shared_ptr<Brotli> createBrotliDecompress(const BrotliOptions& opts = {});
/// @}

/// A decoder for an HTTP Content-Encoding: "gzip" / "x-gzip", "deflate" (zlib format, or raw
/// deflate as some servers send it: told apart by the first bytes), "br"; nullptr for
/// "identity" or "". Anything else (and a list of codings) throws ERR_INVALID_ARG_VALUE.
std::shared_ptr<ZlibBase> createDecoder(std::string_view contentEncoding,
                                        std::optional<std::uint64_t> maxOutputLength = {});

/// A one-shot call's completion: the error, or the output.
using Callback = std::function<void(const Error&, Buffer)>;

/// @{
/// Node's one-shot calls: the work runs on libuv's thread pool, `cb` on the loop thread.
void gzip(Buffer data, Callback cb);
void gzip(Buffer data, const Options& opts, Callback cb);
void gunzip(Buffer data, Callback cb);
void gunzip(Buffer data, const Options& opts, Callback cb);
void deflate(Buffer data, Callback cb);
void deflate(Buffer data, const Options& opts, Callback cb);
void inflate(Buffer data, Callback cb);
void inflate(Buffer data, const Options& opts, Callback cb);
void deflateRaw(Buffer data, Callback cb);
void deflateRaw(Buffer data, const Options& opts, Callback cb);
void inflateRaw(Buffer data, Callback cb);
void inflateRaw(Buffer data, const Options& opts, Callback cb);
void unzip(Buffer data, Callback cb);
void unzip(Buffer data, const Options& opts, Callback cb);
void brotliCompress(Buffer data, Callback cb);
void brotliCompress(Buffer data, const BrotliOptions& opts, Callback cb);
void brotliDecompress(Buffer data, Callback cb);
void brotliDecompress(Buffer data, const BrotliOptions& opts, Callback cb);
/// @}

/// @{
/// Node's *Sync calls: the output, or the error thrown (SystemError with its code).
Buffer gzipSync(const Buffer& data, const Options& opts = {});
Buffer gunzipSync(const Buffer& data, const Options& opts = {});
Buffer deflateSync(const Buffer& data, const Options& opts = {});
Buffer inflateSync(const Buffer& data, const Options& opts = {});
Buffer deflateRawSync(const Buffer& data, const Options& opts = {});
Buffer inflateRawSync(const Buffer& data, const Options& opts = {});
Buffer unzipSync(const Buffer& data, const Options& opts = {});
Buffer brotliCompressSync(const Buffer& data, const BrotliOptions& opts = {});
Buffer brotliDecompressSync(const Buffer& data, const BrotliOptions& opts = {});
/// @}

/// Node's zlib.crc32(data, value): the CRC-32 of `data`, continuing from `value`.
std::uint32_t crc32(const Buffer& data, std::uint32_t value = 0);
/// crc32() of a string's UTF-8 bytes.
std::uint32_t crc32(std::string_view data, std::uint32_t value = 0);

/// Awaitable one-shot calls (evnode's; Node would use util.promisify(zlib.gzip)).
namespace promises {

/// What the calls return: an Operation (operation.h) giving the output Buffer. The work starts
/// when awaited; an abort settles the await at once (the pool's work finishes unseen).
class CodecOperation : public Operation<Buffer, CodecOperation> {
 public:
  /// \cond INTERNAL
  CodecOperation(Mode mode, Buffer data, Options zopts, BrotliOptions bopts,
                 std::shared_ptr<AbortSignal> signal);
  /// \endcond
  /// Moves an operation not yet awaited.
  CodecOperation(CodecOperation&& o) noexcept;
  ~CodecOperation();
  /// Operation's: queues the work.
  void start();
  /// Operation's: forgets the work (its completion is then ignored).
  void stop();

 private:
  Mode mode_;
  Buffer data_;
  Options zopts_;
  BrotliOptions bopts_;
  std::shared_ptr<bool> alive_;
};

/// @{
/// The one-shot calls, awaited: the output, or the error thrown (SystemError). The forms
/// without options take no defaulted struct: GCC 12 destroys twice an aggregate temporary made
/// in a co_await's operand (see task.h).
CodecOperation gzip(Buffer data, std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation gzip(Buffer data, const Options& opts,
                    std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation gunzip(Buffer data, std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation gunzip(Buffer data, const Options& opts,
                      std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation deflate(Buffer data, std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation deflate(Buffer data, const Options& opts,
                       std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation inflate(Buffer data, std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation inflate(Buffer data, const Options& opts,
                       std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation deflateRaw(Buffer data, std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation deflateRaw(Buffer data, const Options& opts,
                          std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation inflateRaw(Buffer data, std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation inflateRaw(Buffer data, const Options& opts,
                          std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation unzip(Buffer data, std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation unzip(Buffer data, const Options& opts,
                     std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation brotliCompress(Buffer data, std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation brotliCompress(Buffer data, const BrotliOptions& opts,
                              std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation brotliDecompress(Buffer data, std::shared_ptr<AbortSignal> signal = nullptr);
CodecOperation brotliDecompress(Buffer data, const BrotliOptions& opts,
                                std::shared_ptr<AbortSignal> signal = nullptr);
/// @}

}  // namespace promises

}  // namespace evnode::zlib
