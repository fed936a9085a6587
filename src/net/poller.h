// Internal: readiness of the descriptors of net's sockets, from one epoll instance per loop
// thread that libuv watches as a single descriptor.
//
// Why not a uv_poll_t per socket: libuv spends five system calls per connection on top of the
// one registration a connection needs (uv_poll_init probes the descriptor with an epoll ADD and
// DEL and sets O_NONBLOCK again, uv_poll_start deletes before it adds, closing deletes again),
// and the handle is 160 bytes of every idle connection. Here a connection costs one epoll_ctl
// when it starts to be watched and none when its descriptor closes (the kernel forgets a closed
// descriptor), and a Watcher is 32 bytes. Libuv's loop still runs everything: this instance's
// descriptor is one more uv_poll_t in it, and each ready socket is called from there.
//
// Events are level-triggered, like uv_poll_t's. An error or a hang-up is reported as the events
// the watcher asked for, so that its read or write meets the error. Registrations carry a slot
// number and a generation, so an event of a watcher closed meanwhile (later in the same batch,
// or one of a descriptor closed and reused) finds nothing and is dropped.
#pragma once

#include <cstdint>

#include "core/callback_scope.h"

namespace evnode::net {

class Poller;

class Watcher {
 public:
  // `ready` is UV_READABLE and/or UV_WRITABLE.
  using Callback = void (*)(Watcher* w, int ready);
  static constexpr int kMaxKinds = 4;  // different callbacks in use (a socket's, a listener's)

  // Watches `fd` on the calling thread's loop; no system call yet (but the first watcher of a
  // thread makes its epoll instance). `owner` is closed (its forceClose) if the loop is torn
  // down while this is open. 0 or a negative error.
  int open(int fd, evnode::detail::HandleWrap* owner, Callback cb);
  // Watches for `events` (0 stops watching). 0, or the negative errno of a failed epoll_ctl
  // (out of kernel memory, the user's watch limit), which leaves the registration as it was.
  int start(int events) {
    // Inline: sockets sync their interest after every read and write, and it rarely changes.
    if (static_cast<std::uint32_t>(events) == events_ || !isOpen()) return 0;
    return change(events);
  }
  // Forgets the descriptor, which its owner closes next (closing it ends the registration:
  // nothing in evnode duplicates a watched descriptor).
  void close();
  // Whether this keeps the loop alive while it watches (uv_ref / uv_unref).
  void setRef(bool refed);

  bool isOpen() const { return slot_ != kNoSlot; }
  int events() const { return events_; }
  evnode::detail::HandleWrap* owner() const { return owner_; }

 private:
  friend class Poller;
  static constexpr std::uint32_t kSlotBits = 27;  // 134 million watchers at once
  static constexpr std::uint32_t kNoSlot = (1u << kSlotBits) - 1;
  bool keepsAlive() const { return events_ != 0 && refed_; }
  int change(int events);  // start() when the events differ
  // The index of `cb` in the process's table of callbacks, added on first use.
  static std::uint32_t kindOf(Callback cb);

  evnode::detail::HandleWrap* owner_ = nullptr;
  int fd_ = -1;
  // In one word with the slot (a Watcher is 16 bytes of every socket): the callback is named by
  // its index in a table, since there are only a few of them.
  // (What each event reads, events_ and kind_, are at the ends of the word: one mask or shift.)
  std::uint32_t events_ : 2 = 0;  // registered with the kernel
  std::uint32_t refed_ : 1 = 1;
  std::uint32_t slot_ : kSlotBits = kNoSlot;
  std::uint32_t kind_ : 2 = 0;  // the callback's index (kindOf)
};

namespace internal {
// Tests: the calling thread's next epoll_ctl fails with `negativeErrno` instead of running.
void failNextEpollCtl(int negativeErrno);
}  // namespace internal

}  // namespace evnode::net
