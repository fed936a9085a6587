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
#include <initializer_list>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "evnode/error.h"
#include "evnode/ref_count.h"

namespace evnode {

/// An event a class emits, with the types of its arguments: declared once, as a constant in the
/// class's nested `Events` struct; listeners and emit() name it by that constant.
template <class... Args>
struct Event {
  const char* name;  ///< Node's event name ("data", "close", ...)
  /// An event called `n`.
  constexpr explicit Event(const char* n) : name(n) {}
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

/// What on() returns and off() takes: a listener's number, unique on its emitter.
using ListenerId = std::uint32_t;

namespace detail {
// One registered listener, in one allocation with its callable. Shared by the emitter's list
// and by the lists that emits in progress still iterate; an emitter belongs to one thread, so
// the count is a plain integer (no atomic shared_ptr control block).
struct ListenerBase {
  explicit ListenerBase(bool isOnce) : once(isOnce) {}
  virtual ~ListenerBase() = default;
  // Listeners come and go with every connection: recycled per thread, not malloc'd each time.
  static void* operator new(std::size_t n);
  static void operator delete(void* p, std::size_t n) noexcept;
  void ref() { refs.add(); }
  void unref() {
    if (refs.drop()) delete this;
  }
  ListenerId id = 0;
  RefCount<std::uint16_t> refs;  // one per list holding it: the live list plus one per nested emit
  bool once;
  bool fired = false;  // a once listener ran (seen by every list that holds it)
};
template <class... A>
struct ListenerOf : ListenerBase {
  using ListenerBase::ListenerBase;
  virtual void call(A... a) = 0;
};
template <class F, class... A>
struct ListenerImpl final : ListenerOf<A...> {
  [[no_unique_address]] F f;
  ListenerImpl(F fn, bool isOnce) : ListenerOf<A...>(isOnce), f(std::move(fn)) {}
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
// An emitter's listeners in order, in one allocation sized exactly (a socket's few listeners
// cost 16 bytes each here, nothing more). Copy-on-write: an emit holds a reference while it
// iterates, and a change made meanwhile goes to a fresh copy, so the emit sees the listeners
// as they were when it started (Node's rule).
struct ListenerList {
  struct Slot {
    const void* key;
    ListenerBase* fn;
  };
  RefCount<std::uint32_t> refs;  // the emitter's own, plus one per emit iterating this list
  std::uint32_t size;
  Slot* begin() { return reinterpret_cast<Slot*>(this + 1); }
  Slot* end() { return begin() + size; }
  // Frees the list and drops its references to the listeners.
  static void release(ListenerList* list) {
    if (list->refs.drop()) destroy(list);
  }
  static void destroy(ListenerList* list);
};
static_assert(sizeof(ListenerList) == 8 && alignof(ListenerList::Slot) <= 8);
void uncaughtError(const Error& err);  // may return if a handler is set
}  // namespace detail

/// Called for an `error` emitted with no listener. The default prints the error to stderr and
/// exits with status 1 (Node's behaviour for an unhandled 'error' event). A handler that returns
/// lets the process continue. The handler is the process's (as Node's
/// process.on('uncaughtException')): it is called on whichever thread's loop had the error, so
/// with several loops (evnode/cluster.h, evnode/worker_threads.h) it may run on several threads
/// at once. Setting it is thread-safe.
void setUncaughtErrorHandler(std::function<void(const Error&)> handler);

/// Node's EventEmitter, with typed events (see Event): the base of every class that emits.
class EventEmitter {
 public:
  /// The events every emitter has; a subclass's `Events` derives from its base's.
  struct Events {
    /// An error; with no listener it reports the error and ends the process (see
    /// setUncaughtErrorHandler()).
    static constexpr Event<const Error&> error{"error"};
  };

  EventEmitter() = default;
  EventEmitter(const EventEmitter&) = delete;
  EventEmitter& operator=(const EventEmitter&) = delete;
  virtual ~EventEmitter() {
    if (list_) detail::ListenerList::release(list_);
  }

  /// Adds `f` at the end of `ev`'s listeners; `f` takes the event's arguments, or none.
  /// Returns the id off() takes.
  template <class... A, class F>
  ListenerId on(const Event<A...>& ev, F&& f) {
    return add<A...>(&ev, std::forward<F>(f), false, false);
  }
  /// The same as on().
  template <class... A, class F>
  ListenerId addListener(const Event<A...>& ev, F&& f) {
    return add<A...>(&ev, std::forward<F>(f), false, false);
  }
  /// As on(), for the next emit only: the listener is removed before it runs.
  template <class... A, class F>
  ListenerId once(const Event<A...>& ev, F&& f) {
    return add<A...>(&ev, std::forward<F>(f), true, false);
  }
  /// As on(), but the listener runs before those already added.
  template <class... A, class F>
  ListenerId prependListener(const Event<A...>& ev, F&& f) {
    return add<A...>(&ev, std::forward<F>(f), false, true);
  }
  /// As once(), but the listener runs before those already added.
  template <class... A, class F>
  ListenerId prependOnceListener(const Event<A...>& ev, F&& f) {
    return add<A...>(&ev, std::forward<F>(f), true, true);
  }

  /// Removes one listener; returns whether it was registered for that event.
  template <class... A>
  bool off(const Event<A...>& ev, ListenerId id) {
    return removeSlot(&ev, id);
  }
  /// The same as off().
  template <class... A>
  bool removeListener(const Event<A...>& ev, ListenerId id) {
    return removeSlot(&ev, id);
  }
  /// Removes several listeners at once, each named by the id on() gave (ids are unique on an
  /// emitter, whatever the event), as off() one after the other would, but with one copy of the
  /// listener list instead of one per listener. Returns how many were registered.
  std::size_t removeListeners(std::initializer_list<ListenerId> ids);
  /// Removes every listener of `ev`.
  template <class... A>
  void removeAllListeners(const Event<A...>& ev) {
    removeKey(&ev);
  }
  /// Removes every listener of every event.
  void removeAllListeners();

  /// The number of listeners of `ev`.
  template <class... A>
  std::size_t listenerCount(const Event<A...>& ev) const {
    return countKey(&ev);
  }

  /// Calls every listener of `ev` in order; returns whether there was any.
  template <class... A, class... Args>
  bool emit(const Event<A...>& ev, Args&&... args) {
    bool any = false;
    if (list_) {
      // This emit's own reference keeps its list intact if a listener adds or removes listeners
      // (or drops the emitter: nothing below touches `this` once the list is released).
      Snapshot snap(list_);
      for (detail::ListenerList::Slot* s = snap.list->begin(); s != snap.list->end(); ++s) {
        if (s->key != &ev) continue;
        any = true;
        detail::ListenerBase* fn = s->fn;
        if (fn->once) {
          // A nested emit may already have run it (Node's once wrapper checks `fired`).
          if (fn->fired) continue;
          fn->fired = true;
          removeSlot(s->key, fn->id);
        }
        static_cast<detail::ListenerOf<A...>*>(fn)->call(args...);
      }
    }
    if constexpr (sizeof...(A) == 1 && std::is_same_v<Event<A...>, Event<const Error&>>) {
      if (!any && &ev == &Events::error) detail::uncaughtError(args...);
    }
    return any;
  }

 protected:
  /// Called after a listener for `key` was added (Readable starts flowing on a `data` listener).
  virtual void newListener(const void* key) { (void)key; }
  /// Called after listeners for `key` were removed (nullptr: all of them, every event); a once
  /// listener that fired counts as removed. Readable gives up `readable` mode this way.
  virtual void listenerRemoved(const void* key) { (void)key; }

 private:
  struct Snapshot {
    explicit Snapshot(detail::ListenerList* l) : list(l) { list->refs.add(); }
    ~Snapshot() { detail::ListenerList::release(list); }
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;
    detail::ListenerList* list;
  };

  template <class... A, class F>
  ListenerId add(const void* key, F&& f, bool once, bool prepend) {
    static_assert(
        std::is_invocable_v<std::decay_t<F>&, A...> || std::is_invocable_v<std::decay_t<F>&>,
        "listener's parameters do not match the event's arguments");
    using Impl = detail::ListenerImpl<std::decay_t<F>, A...>;
    ListenerId id = insertSlot(key, new Impl(std::forward<F>(f), once), prepend);
    newListener(key);
    return id;
  }
  // Takes ownership of `fn` (also when it throws) and gives it an id unique on this emitter.
  ListenerId insertSlot(const void* key, detail::ListenerBase* fn, bool prepend);
  bool removeSlot(const void* key, ListenerId id);
  void removeKey(const void* key);
  template <class Match>
  // Removes the listeners `match` picks; listenerRemoved(key) follows, or with a null key
  // listenerRemoved(its event) for each one removed. Returns how many went.
  std::uint32_t removeWhere(const void* key, Match match);
  std::size_t countKey(const void* key) const;

  detail::ListenerList* list_ = nullptr;  // nullptr: no listener

 protected:
  /// Whether any event has a listener.
  bool hasListeners() const { return list_ != nullptr; }
};

}  // namespace evnode
