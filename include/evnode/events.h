// evnode/events.h — EventEmitter with typed events.
//
// An event is a constant of type Event<Args...> declared by the class that emits it:
//
//   struct Door : evnode::EventEmitter {
//     struct Events : EventEmitter::Events {
//       static constexpr evnode::Event<int> opened{"opened"};
//     };
//   };
//   door->on(Door::Events::opened, [](int who) { ... });   // checked at compile time
//   door->emit(Door::Events::opened, 42);
//
// Events live in a nested `Events` struct that derives from the base class's, so
// `net::Socket::Events::data` and `Socket::Events::end` never collide with methods such as
// `end()` or `connect()`.
//
// Node's rules hold: listeners run in registration order; a listener removed while an event is
// being emitted still runs in that emit, one added does not. `on` returns a ListenerId that
// `off` takes (C++ lambdas have no identity to compare). Emitting `error` with no listener
// reports the error and terminates the process, as Node does with an uncaught 'error'; install
// setUncaughtErrorHandler() to change what "reports" means.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "evnode/error.h"

namespace evnode {

template <class... Args>
struct Event {
  const char* name;
  constexpr explicit Event(const char* n) : name(n) {}
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

using ListenerId = std::uint32_t;

namespace detail {
struct ListenerBase {
  virtual ~ListenerBase() = default;
  bool fired = false;  // a once listener ran (shared by every snapshot of the list)
};
template <class... A>
struct ListenerOf : ListenerBase {
  virtual void call(A... a) = 0;
};
template <class F, class... A>
struct ListenerImpl final : ListenerOf<A...> {
  F f;
  explicit ListenerImpl(F fn) : f(std::move(fn)) {}
  void call(A... a) override {
    // As in JavaScript, a listener may ignore the event's arguments.
    if constexpr (std::is_invocable_v<F&, A...>) {
      f(a...);
    } else {
      ((void)a, ...);
      f();
    }
  }
};
void uncaughtError(const Error& err);  // may return if a handler is set
}  // namespace detail

// Called for an `error` emitted with no listener. The default prints the error to stderr and
// exits with status 1 (Node's behaviour for an unhandled 'error' event). A handler that returns
// lets the process continue.
void setUncaughtErrorHandler(std::function<void(const Error&)> handler);

class EventEmitter {
 public:
  struct Events {
    static constexpr Event<const Error&> error{"error"};
  };

  EventEmitter() = default;
  EventEmitter(const EventEmitter&) = delete;
  EventEmitter& operator=(const EventEmitter&) = delete;
  virtual ~EventEmitter() = default;

  template <class... A, class F>
  ListenerId on(const Event<A...>& ev, F&& f) {
    return add<A...>(&ev, std::forward<F>(f), false, false);
  }
  template <class... A, class F>
  ListenerId addListener(const Event<A...>& ev, F&& f) {
    return add<A...>(&ev, std::forward<F>(f), false, false);
  }
  template <class... A, class F>
  ListenerId once(const Event<A...>& ev, F&& f) {
    return add<A...>(&ev, std::forward<F>(f), true, false);
  }
  template <class... A, class F>
  ListenerId prependListener(const Event<A...>& ev, F&& f) {
    return add<A...>(&ev, std::forward<F>(f), false, true);
  }
  template <class... A, class F>
  ListenerId prependOnceListener(const Event<A...>& ev, F&& f) {
    return add<A...>(&ev, std::forward<F>(f), true, true);
  }

  // Removes one listener; returns whether it was registered for that event.
  template <class... A>
  bool off(const Event<A...>& ev, ListenerId id) {
    return removeSlot(&ev, id);
  }
  template <class... A>
  bool removeListener(const Event<A...>& ev, ListenerId id) {
    return removeSlot(&ev, id);
  }
  template <class... A>
  void removeAllListeners(const Event<A...>& ev) {
    removeKey(&ev);
  }
  void removeAllListeners() {
    if (!slots_) return;
    slots_.reset();
    listenerRemoved(nullptr);
  }

  template <class... A>
  std::size_t listenerCount(const Event<A...>& ev) const {
    return countKey(&ev);
  }

  // Calls every listener of `ev` in order; returns whether there was any.
  template <class... A, class... Args>
  bool emit(const Event<A...>& ev, Args&&... args) {
    bool any = false;
    if (slots_) {
      // The snapshot keeps this emit's list intact if a listener adds or removes listeners.
      std::shared_ptr<std::vector<Slot>> snap = slots_;
      for (const Slot& s : *snap) {
        if (s.key != &ev) continue;
        any = true;
        if (s.once) {
          // A nested emit may already have run it (Node's once wrapper checks `fired`).
          if (s.fn->fired) continue;
          s.fn->fired = true;
          removeSlot(s.key, s.id);
        }
        static_cast<detail::ListenerOf<A...>*>(s.fn.get())->call(args...);
      }
    }
    if constexpr (sizeof...(A) == 1 && std::is_same_v<Event<A...>, Event<const Error&>>) {
      if (!any && &ev == &Events::error) detail::uncaughtError(args...);
    }
    return any;
  }

 protected:
  // Called after a listener for `key` was added (Readable starts flowing on a `data` listener).
  virtual void newListener(const void* key) { (void)key; }
  // Called after listeners for `key` were removed (nullptr: all of them, every event); a once
  // listener that fired counts as removed. Readable gives up `readable` mode this way.
  virtual void listenerRemoved(const void* key) { (void)key; }

 private:
  struct Slot {
    const void* key;
    ListenerId id;
    bool once;
    std::shared_ptr<detail::ListenerBase> fn;
  };

  template <class... A, class F>
  ListenerId add(const void* key, F&& f, bool once, bool prepend) {
    static_assert(
        std::is_invocable_v<std::decay_t<F>&, A...> || std::is_invocable_v<std::decay_t<F>&>,
        "listener's parameters do not match the event's arguments");
    using Impl = detail::ListenerImpl<std::decay_t<F>, A...>;
    Slot s{key, ++lastId_, once, std::make_shared<Impl>(std::forward<F>(f))};
    auto& v = mutableSlots();
    // Grow by half rather than double, from 4: a socket with its usual handful of listeners
    // holds 4 or 6 slots, not 8 (idle connections stay small), after two allocations, not four.
    if (v.size() == v.capacity()) v.reserve(v.size() < 4 ? 4 : v.size() + v.size() / 2);
    if (prepend) {
      v.insert(v.begin(), std::move(s));
    } else {
      v.push_back(std::move(s));
    }
    ListenerId id = lastId_;
    newListener(key);
    return id;
  }
  std::vector<Slot>& mutableSlots();
  bool removeSlot(const void* key, ListenerId id);
  void removeKey(const void* key);
  std::size_t countKey(const void* key) const;

  std::shared_ptr<std::vector<Slot>> slots_;  // copy-on-write while an emit is running
  ListenerId lastId_ = 0;
};

}  // namespace evnode
