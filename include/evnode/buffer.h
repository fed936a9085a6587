// evnode/buffer.h — Buffer: a reference-counted byte range, like Node's Buffer.
//
// Copying a Buffer or slicing it never copies bytes: every slice shares the same storage, which
// lives as long as any slice of it. Strings convert explicitly through an encoding
// ("utf8", "hex", "base64", "base64url", "latin1"/"binary", "ascii"); an unknown encoding throws
// Exception with code ERR_UNKNOWN_ENCODING.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace evnode {

/// A reference-counted byte range (Node's Buffer): copies and slices share the bytes.
class Buffer {
 public:
  Buffer() = default;  ///< empty

  /// Zero-filled bytes (Node's Buffer.alloc) and uninitialised bytes (Buffer.allocUnsafe).
  static Buffer alloc(std::size_t size, std::uint8_t fill = 0);
  /// Node's Buffer.allocUnsafe: `size` uninitialised bytes.
  static Buffer allocUnsafe(std::size_t size);
  /// Copies of the given bytes or of a string decoded with `encoding`.
  static Buffer from(std::string_view str, std::string_view encoding = "utf8");
  /// A copy of `size` bytes at `data`.
  static Buffer from(const void* data, std::size_t size);
  /// A copy of the listed bytes.
  static Buffer from(std::initializer_list<std::uint8_t> bytes);
  /// A copy of the vector's bytes.
  static Buffer from(const std::vector<std::uint8_t>& bytes) {
    return from(bytes.data(), bytes.size());
  }
  /// One new Buffer holding all of `list` in order (totalLength truncates, as Node).
  static Buffer concat(std::span<const Buffer> list);
  /// The first `totalLength` bytes of `list` joined (zero-filled past its end, as Node).
  static Buffer concat(std::span<const Buffer> list, std::size_t totalLength);
  /// concat() of a braced list of Buffers.
  static Buffer concat(std::initializer_list<Buffer> list) {
    return concat(std::span(list.begin(), list.size()));
  }
  /// Whether `encoding` is one that toString() and from() accept.
  static bool isEncoding(std::string_view encoding);
  /// The number of bytes `str` takes in `encoding` (Node's Buffer.byteLength).
  static std::size_t byteLength(std::string_view str, std::string_view encoding = "utf8");

  std::size_t length() const { return len_; }  ///< the number of bytes
  std::size_t size() const { return len_; }    ///< the same as length()
  bool empty() const { return len_ == 0; }     ///< whether length() is 0
  /// The first byte (nullptr for an empty Buffer).
  const std::uint8_t* data() const { return base_ ? base_.get() + off_ : nullptr; }
  /// The first byte, writable: the change shows in every Buffer that shares it.
  std::uint8_t* data() { return base_ ? base_.get() + off_ : nullptr; }
  std::uint8_t operator[](std::size_t i) const { return data()[i]; }  ///< byte `i`, unchecked
  std::uint8_t& operator[](std::size_t i) { return data()[i]; }       ///< byte `i`, unchecked
  const std::uint8_t* begin() const { return data(); }                ///< for range-for
  const std::uint8_t* end() const { return data() + len_; }           ///< for range-for
  /// The bytes as a string_view, valid while this Buffer (or any slice of its storage) lives.
  std::string_view view() const { return {reinterpret_cast<const char*>(data()), len_}; }

  /// Zero-copy views. Negative indices count from the end and ranges are clamped, as in Node.
  Buffer subarray(std::int64_t start = 0) const {
    return subarray(start, static_cast<std::int64_t>(len_));
  }
  /// The bytes from `start` up to (not including) `end`, shared with this Buffer.
  Buffer subarray(std::int64_t start, std::int64_t end) const;
  /// The same as subarray() (Node's deprecated slice, which shares the bytes too).
  Buffer slice(std::int64_t start = 0) const { return subarray(start); }
  /// The same as subarray(start, end).
  Buffer slice(std::int64_t start, std::int64_t end) const { return subarray(start, end); }

  /// The bytes decoded as `encoding` (Node's buf.toString()).
  std::string toString(std::string_view encoding = "utf8") const;
  /// Bytes `start` up to `end` decoded as `encoding` (`end` is clamped to the length).
  std::string toString(std::string_view encoding, std::size_t start, std::size_t end) const;

  /// Whether both hold the same bytes.
  bool equals(const Buffer& other) const;
  int compare(const Buffer& other) const;  ///< -1, 0, 1 (byte order, then length)
  /// Position of the first match at or after byteOffset (negative counts from the end), or -1.
  std::int64_t indexOf(std::string_view needle, std::int64_t byteOffset = 0) const;
  /// indexOf() for a byte sequence.
  std::int64_t indexOf(const Buffer& needle, std::int64_t byteOffset = 0) const;
  /// indexOf() for one byte.
  std::int64_t indexOf(std::uint8_t byte, std::int64_t byteOffset = 0) const;
  /// Whether indexOf() finds `needle`.
  bool includes(std::string_view needle, std::int64_t byteOffset = 0) const {
    return indexOf(needle, byteOffset) >= 0;
  }

  /// Copies bytes into `target` at targetStart; returns the number copied.
  std::size_t copy(Buffer& target, std::size_t targetStart = 0, std::size_t sourceStart = 0) const;
  /// The same, for the bytes from sourceStart up to sourceEnd.
  std::size_t copy(Buffer& target, std::size_t targetStart, std::size_t sourceStart,
                   std::size_t sourceEnd) const;
  /// Writes `str` (encoded) at offset; returns the bytes written (truncates at the end).
  std::size_t write(std::string_view str, std::size_t offset = 0,
                    std::string_view encoding = "utf8");
  /// Sets every byte to `value`; returns this Buffer.
  Buffer& fill(std::uint8_t value);

  /// Fixed-width integer access for binary protocols. Out-of-range offsets throw
  /// Exception(ERR_OUT_OF_RANGE).
  std::uint8_t readUInt8(std::size_t offset = 0) const;
  std::uint16_t readUInt16BE(std::size_t offset = 0) const;  ///< big-endian
  std::uint16_t readUInt16LE(std::size_t offset = 0) const;  ///< little-endian
  std::uint32_t readUInt32BE(std::size_t offset = 0) const;  ///< big-endian
  std::uint32_t readUInt32LE(std::size_t offset = 0) const;  ///< little-endian
  /// The writes return the offset past the bytes written, as Node's.
  std::size_t writeUInt8(std::uint8_t value, std::size_t offset = 0);
  std::size_t writeUInt16BE(std::uint16_t value, std::size_t offset = 0);  ///< big-endian
  std::size_t writeUInt16LE(std::uint16_t value, std::size_t offset = 0);  ///< little-endian
  std::size_t writeUInt32BE(std::uint32_t value, std::size_t offset = 0);  ///< big-endian
  std::size_t writeUInt32LE(std::uint32_t value, std::size_t offset = 0);  ///< little-endian

  /// How many Buffers share this storage (1 means this is the only reference).
  long useCount() const { return base_.use_count(); }
  /// Internal: a view of existing shared storage.
  Buffer(std::shared_ptr<std::uint8_t[]> base, std::size_t off, std::size_t len)
      : base_(std::move(base)), off_(off), len_(len) {}
  /// Internal: the shared storage this Buffer views.
  const std::shared_ptr<std::uint8_t[]>& storage() const { return base_; }
  /// Internal: where this Buffer starts in storage().
  std::size_t storageOffset() const { return off_; }
  /// Internal: drops the first `n` bytes (at most length()) in place, keeping the storage: no
  /// reference is taken or let go, as a slice would.
  void consume(std::size_t n) {
    off_ += n;
    len_ -= n;
  }

  /// equals().
  friend bool operator==(const Buffer& a, const Buffer& b) { return a.equals(b); }

 private:
  void checkOffset(std::size_t offset, std::size_t width) const;

  std::shared_ptr<std::uint8_t[]> base_;
  std::size_t off_ = 0;
  std::size_t len_ = 0;
};

}  // namespace evnode
