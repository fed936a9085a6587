// Internal: where a server connection's response bytes gather before they go to its socket.
//
// While a connection handles what one read brought (Connection::process), the responses its
// handlers complete append their bytes to one per-thread batch, and the batch is written to the
// socket with one write when the read is handled: pipelined responses leave in one syscall, and
// a small response costs no socket write, no Buffer and no tick of its own.
#pragma once

#include <cstring>
#include <memory>
#include <string_view>

#include "core/thread_instance.h"
#include "evnode/buffer.h"

namespace evnode::http {

class Connection;

// A growable byte string that hands out room to write into without clearing it first (response
// heads are written in place: see ServerResponse::renderHead).
class ByteBuffer {
 public:
  // At least n writable bytes at the end; write, then commit() up to where the writing stopped.
  char* room(std::size_t n) {
    if (cap_ - size_ < n) grow(n);
    return data_.get() + size_;
  }
  void commit(const char* end) { size_ = static_cast<std::size_t>(end - data_.get()); }
  void append(std::string_view s) {
    char* p = room(s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    size_ += s.size();
  }
  ByteBuffer& operator+=(std::string_view s) {
    append(s);
    return *this;
  }
  std::string_view view() const { return {data_.get(), size_}; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }
  void truncate(std::size_t n) { size_ = n < size_ ? n : size_; }

 private:
  void grow(std::size_t n);
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t cap_ = 0;
};

// The thread's batch holds the bytes of one connection at a time (`owner`); a connection that
// wants to append while another's bytes wait writes those out first (Connection::output).
struct OutputBatch {
  ByteBuffer bytes;
  Connection* owner = nullptr;
  // The thread's batch; null once the thread's per-thread objects are gone (thread_instance.h).
  static OutputBatch* get() { return evnode::detail::threadInstance<OutputBatch>(); }
};

// `bytes` copied into a Buffer cut from a per-thread slab: no allocation per write once warm
// (a slab is reused from its start as soon as no write holds a view of it any more).
Buffer outputBuffer(std::string_view bytes);

}  // namespace evnode::http
