/// @file
/// Internal: the one reference count of evnode's hand-counted objects (listeners, listener
/// lists, HTTP connections). Not atomic: each of those objects belongs to one thread's loop, so
/// a count costs an increment, not a locked instruction, and no shared_ptr control block.
#pragma once

#include <cstdlib>
#include <limits>

namespace evnode::detail {

/// A non-atomic intrusive reference count of `Count` width, starting at `start` references.
template <class Count>
class RefCount {
 public:
  /// A count of `start` references.
  constexpr explicit RefCount(Count start = 1) : n_(start) {}
  /// One more reference. Overflowing is a bug that nothing could recover from: abort.
  void add() {
    if (n_ == std::numeric_limits<Count>::max()) std::abort();
    ++n_;
  }
  /// One more reference, unchecked: for counts of the holder's own live objects (each at least
  /// a pointer's size), which cannot reach 2^32 before memory runs out.
  void addLive() { ++n_; }
  /// One reference fewer; true when that was the last (the owner frees the object).
  [[nodiscard]] bool drop() { return --n_ == 0; }
  /// Whether exactly one reference is held (its holder may change the object in place).
  bool unique() const { return n_ == 1; }

 private:
  Count n_;
};

/// A counted reference to a `T` that frees it with `delete` when the last one goes; `T` gives
/// its count as `T::refCount()`.
template <class T>
class CountedRef {
 public:
  /// Adds a reference to `p`.
  explicit CountedRef(T* p) : p_(p) { p_->refCount().add(); }
  /// Another reference to the same object.
  CountedRef(const CountedRef& o) : p_(o.p_) { p_->refCount().add(); }
  /// A reference made of one already counted for `p` (no count is added).
  static CountedRef adopt(T* p) { return CountedRef(p, 0); }
  /// Takes `o`'s reference.
  CountedRef(CountedRef&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  CountedRef& operator=(const CountedRef&) = delete;
  /// Drops the reference; the last one deletes the object.
  ~CountedRef() {
    if (p_ && p_->refCount().drop()) delete p_;
  }
  /// The object.
  T* operator->() const { return p_; }

 private:
  CountedRef(T* p, int) : p_(p) {}
  T* p_;
};

}  // namespace evnode::detail
