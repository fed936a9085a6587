// The epoll instance behind net's sockets (see poller.h).
#include "net/poller.h"

#include <sys/epoll.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "evnode/loop.h"

namespace evnode::net {

class Poller final : public evnode::detail::HandleWrap {
 public:
  // The calling thread's, made on first use; null (and `*err` set) if that failed.
  static Poller* get(int* err);
  // The calling thread's if there is one (it goes when the loop is torn down).
  static Poller* current() { return current_; }

  void add(Watcher* w);
  void remove(Watcher* w);
  // epoll_ctl(op) for `w` asking for `events`; 0 or a negative errno.
  int control(int op, const Watcher& w, int events);
  // Watchers that keep the loop alive went up or down by `delta`.
  void keepAlive(int delta);

  // Loop teardown: closes the owners of what is still watched, then this.
  void forceClose() override;

 private:
  explicit Poller(int epfd) : epfd_(epfd) {}
  static void onReady(uv_poll_t* h, int status, int events);

  // A watcher and its slot's generation in one word (8 bytes of every open socket, not 16): a
  // user-space pointer fits in the low 48 bits. The generation is bumped when the slot is freed,
  // so older events no longer match; an event that waits for 65536 reuses of its slot, all
  // while its descriptor stays open, is not something that happens.
  struct Slot {
    std::uint64_t bits = 0;
    static constexpr std::uint64_t kPointer = (std::uint64_t{1} << 48) - 1;
    Watcher* w() const { return reinterpret_cast<Watcher*>(bits & kPointer); }
    std::uint32_t gen() const { return static_cast<std::uint32_t>(bits >> 48); }
    void set(Watcher* p) {
      const auto v = reinterpret_cast<std::uintptr_t>(p);
      if (v & ~kPointer) std::abort();  // not a user-space pointer of a 48-bit address space
      bits = (bits & ~kPointer) | v;
    }
    void release() { bits = (static_cast<std::uint64_t>(gen() + 1) & 0xFFFF) << 48; }
  };
  static_assert(sizeof(void*) == 8 && sizeof(Slot) == 8);
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  uv_poll_t handle_;
  int epfd_;
  int alive_ = 0;
  static thread_local Poller* current_;
};

thread_local Poller* Poller::current_ = nullptr;

namespace {
// Watcher callbacks by index (Watcher::kind_), filled as each is first used, by any thread.
std::atomic<Watcher::Callback> kinds[Watcher::kMaxKinds];
}  // namespace

std::uint32_t Watcher::kindOf(Callback cb) {
  for (std::uint32_t i = 0; i < kMaxKinds; ++i) {
    Callback seen = kinds[i].load(std::memory_order_acquire);
    if (!seen && kinds[i].compare_exchange_strong(seen, cb, std::memory_order_acq_rel)) return i;
    if (seen == cb) return i;
  }
  std::abort();  // more kinds of watcher than kMaxKinds: raise it
}

namespace {
thread_local int injectedFailure = 0;  // internal::failNextEpollCtl
}  // namespace

Poller* Poller::get(int* err) {
  if (current_) return current_;
  int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    *err = -errno;
    return nullptr;
  }
  auto* p = new Poller(epfd);
  int r = uv_poll_init(Loop::current().uv(), &p->handle_, epfd);
  if (r == 0) r = uv_poll_start(&p->handle_, UV_READABLE, &Poller::onReady);
  if (r < 0) {
    ::close(epfd);
    delete p;
    *err = r;
    return nullptr;
  }
  p->handle_.data = static_cast<evnode::detail::HandleWrap*>(p);
  uv_unref(reinterpret_cast<uv_handle_t*>(&p->handle_));  // until a watcher keeps the loop alive
  current_ = p;
  return p;
}

void Poller::add(Watcher* w) {
  std::uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    i = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  if (i >= Watcher::kNoSlot) std::abort();  // 134 million descriptors watched at once
  slots_[i].set(w);
  w->slot_ = i;
}

void Poller::remove(Watcher* w) {
  slots_[w->slot_].release();
  free_.push_back(w->slot_);
}

int Poller::control(int op, const Watcher& w, int events) {
  if (int injected = std::exchange(injectedFailure, 0)) return injected;
  epoll_event ev{};
  ev.events = ((events & UV_READABLE) ? EPOLLIN : 0u) | ((events & UV_WRITABLE) ? EPOLLOUT : 0u);
  ev.data.u64 = (static_cast<std::uint64_t>(slots_[w.slot_].gen()) << 32) | w.slot_;
  return ::epoll_ctl(epfd_, op, w.fd_, &ev) < 0 ? -errno : 0;
}

void Poller::keepAlive(int delta) {
  if (delta == 0) return;
  const bool was = alive_ > 0;
  alive_ += delta;
  if (was != (alive_ > 0)) {
    auto* h = reinterpret_cast<uv_handle_t*>(&handle_);
    if (alive_ > 0) {
      uv_ref(h);
    } else {
      uv_unref(h);
    }
  }
}

void Poller::onReady(uv_poll_t* h, int status, int) {
  auto* p = static_cast<Poller*>(static_cast<evnode::detail::HandleWrap*>(h->data));
  if (status < 0) {
    // An error on the epoll descriptor itself (not expected): libuv stopped watching it.
    uv_poll_start(&p->handle_, UV_READABLE, &Poller::onReady);
    return;
  }
  // What is ready now; more than a batch stays ready, and libuv calls again on its next turn.
  epoll_event evs[128];
  int n;
  do {
    n = ::epoll_wait(p->epfd_, evs, 128, 0);
  } while (n < 0 && errno == EINTR);
  for (int i = 0; i < n; ++i) {
    // Each watcher's callback opens its own callback scope (ticks run after each, as after
    // any libuv callback), and may close watchers whose events come later in this batch.
    const auto slot = static_cast<std::uint32_t>(evs[i].data.u64);
    const auto gen = static_cast<std::uint32_t>(evs[i].data.u64 >> 32);
    if (slot >= p->slots_.size()) continue;
    const Slot s = p->slots_[slot];
    Watcher* w = s.w();
    if (s.gen() != gen || !w) continue;
    const int want = static_cast<int>(w->events_);
    int ready = 0;
    if (evs[i].events & EPOLLIN) ready |= UV_READABLE;
    if (evs[i].events & EPOLLOUT) ready |= UV_WRITABLE;
    if (evs[i].events & (EPOLLERR | EPOLLHUP)) ready |= want;
    ready &= want;
    if (ready) kinds[w->kind_].load(std::memory_order_relaxed)(w, ready);
  }
}

void Poller::forceClose() {
  std::vector<evnode::detail::HandleWrap*> owners;
  for (const Slot& s : slots_) {
    if (Watcher* w = s.w()) owners.push_back(w->owner_);
  }
  for (auto* o : owners) o->forceClose();  // each closes its watcher (remove())
  current_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), [](uv_handle_t* h) {
    auto* p = static_cast<Poller*>(static_cast<evnode::detail::HandleWrap*>(h->data));
    ::close(p->epfd_);
    delete p;
  });
}

int Watcher::open(int fd, evnode::detail::HandleWrap* owner, Callback cb) {
  int err = 0;
  Poller* p = Poller::get(&err);
  if (!p) return err;
  fd_ = fd;
  owner_ = owner;
  kind_ = kindOf(cb);
  events_ = 0;
  p->add(this);
  return 0;
}

int Watcher::change(int events) {
  Poller* p = Poller::current();
  if (!p) return 0;
  const int op = events_ == 0 ? EPOLL_CTL_ADD : events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
  if (int err = p->control(op, *this, events); err < 0) return err;
  const bool was = keepsAlive();
  events_ = static_cast<std::uint32_t>(events);
  p->keepAlive(static_cast<int>(keepsAlive()) - static_cast<int>(was));
  return 0;
}

void internal::failNextEpollCtl(int negativeErrno) { injectedFailure = negativeErrno; }

void Watcher::close() {
  if (!isOpen()) return;
  if (Poller* p = Poller::current()) {
    p->keepAlive(-static_cast<int>(keepsAlive()));
    p->remove(this);
  }
  events_ = 0;
  slot_ = kNoSlot;
}

void Watcher::setRef(bool refed) {
  if (refed == refed_) return;
  const bool was = keepsAlive();
  refed_ = refed;
  if (Poller* p = Poller::current(); p && isOpen()) {
    p->keepAlive(static_cast<int>(keepsAlive()) - static_cast<int>(was));
  }
}

}  // namespace evnode::net
