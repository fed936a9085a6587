// Internal: the nextTick queue's element, and queueTick() for hot paths inside the library.
//
// nextTick(std::function) allocates whenever the closure is bigger than std::function's 16-byte
// buffer or not trivially copyable, which is every closure holding a shared_ptr to keep its
// stream alive: several allocations per HTTP request. A Tick keeps closures of up to 48 bytes
// inline, and the queue is a reused vector, so queueTick() does not allocate in steady state.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace evnode::detail {

class Tick {
 public:
  static constexpr std::size_t kInline = 48;

  template <class F, class Fn = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<Fn, Tick>>>
  explicit Tick(F&& f) {
    if constexpr (sizeof(Fn) <= kInline && alignof(Fn) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<Fn>) {
      ::new (static_cast<void*>(buf_)) Fn(std::forward<F>(f));
      ops_ = &kInlineOps<Fn>;
    } else {
      *reinterpret_cast<Fn**>(buf_) = new Fn(std::forward<F>(f));
      ops_ = &kHeapOps<Fn>;
    }
  }
  Tick(Tick&& o) noexcept : ops_(o.ops_) {
    if (ops_) ops_->move(buf_, o.buf_);
    o.ops_ = nullptr;
  }
  Tick& operator=(Tick&& o) noexcept {
    if (this != &o) {
      reset();
      ops_ = o.ops_;
      if (ops_) ops_->move(buf_, o.buf_);
      o.ops_ = nullptr;
    }
    return *this;
  }
  Tick(const Tick&) = delete;
  Tick& operator=(const Tick&) = delete;
  ~Tick() { reset(); }

  void operator()() { ops_->call(buf_); }

 private:
  struct Ops {
    void (*call)(void*);
    void (*move)(void* dst, void* src);  // move-constructs dst, destroys src
    void (*destroy)(void*);
  };
  template <class Fn>
  static constexpr Ops kInlineOps{[](void* p) { (*static_cast<Fn*>(p))(); },
                                  [](void* d, void* s) {
                                    ::new (d) Fn(std::move(*static_cast<Fn*>(s)));
                                    static_cast<Fn*>(s)->~Fn();
                                  },
                                  [](void* p) { static_cast<Fn*>(p)->~Fn(); }};
  template <class Fn>
  static constexpr Ops kHeapOps{
      [](void* p) { (**static_cast<Fn**>(p))(); },
      [](void* d, void* s) { *static_cast<Fn**>(d) = *static_cast<Fn**>(s); },
      [](void* p) { delete *static_cast<Fn**>(p); }};

  void reset() {
    if (ops_) ops_->destroy(buf_);
    ops_ = nullptr;
  }

  alignas(std::max_align_t) unsigned char buf_[kInline];
  const Ops* ops_ = nullptr;
};

// Queues a tick (what nextTick does); the public nextTick(std::function) goes here too.
void pushTick(Tick&& t);

// nextTick for the library's own closures: no std::function, no allocation for closures of up
// to Tick::kInline bytes.
template <class F>
void queueTick(F&& f) {
  pushTick(Tick(std::forward<F>(f)));
}

// Queues a microtask (a promise job): it runs after the nextTick queue has drained.
void pushMicrotask(Tick&& t);

// queueMicrotask for the library's own closures (a coroutine's resumption).
template <class F>
void queueMicrotask(F&& f) {
  pushMicrotask(Tick(std::forward<F>(f)));
}

}  // namespace evnode::detail
