// Internal: a growable byte string that hands out room to write into without clearing it first
// (HTTP response heads are written in place: see ServerResponse::renderHead).
#pragma once

#include <cstring>
#include <memory>
#include <string_view>

namespace evnode::detail {

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

}  // namespace evnode::detail
