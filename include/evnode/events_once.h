// evnode/events_once.h — Node's events.once(emitter, name, {signal}): await an event; and
// events.on(emitter, name, {signal}): iterate over its emissions.
//
//   auto [err, address, family, host] = co_await events::once(socket, net::Socket::Events::lookup);
//   auto messages = events::on(udp, dgram::Socket::Events::message);
//   while (auto m = co_await messages.next()) { auto& [msg, rinfo] = *m; ... }
#pragma once

#include <deque>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "evnode/abort.h"
#include "evnode/async_generator.h"
#include "evnode/events.h"
#include "evnode/operation.h"

/// Node's events module; EventEmitter itself is evnode::EventEmitter (events.h).
namespace evnode::events {

/// Node's events.once options.
struct OnceOptions {
  std::shared_ptr<AbortSignal> signal;  ///< aborts the wait (AbortError) and removes listeners
};

/// What once() returns: an Operation (operation.h) giving the event's arguments as a tuple.
template <class... A>
class OnceOperation : public Operation<std::tuple<std::decay_t<A>...>, OnceOperation<A...>> {
  using Base = Operation<std::tuple<std::decay_t<A>...>, OnceOperation<A...>>;

 public:
  /// A wait for `ev` on `em` (listeners added when awaited); `keep` (may be null) holds `em`.
  OnceOperation(EventEmitter& em, std::shared_ptr<EventEmitter> keep, const Event<A...>& ev,
                OnceOptions opts)
      : Base(std::move(opts.signal)), em_(&em), keep_(std::move(keep)), ev_(&ev) {}
  /// Moves a wait not yet awaited.
  OnceOperation(OnceOperation&& o) noexcept
      : Base(std::move(o)), em_(o.em_), keep_(std::move(o.keep_)), ev_(o.ev_) {}
  ~OnceOperation() { stop(); }

  /// Operation's: adds a once listener for the event and, unless it is `error`, one for
  /// `error` (which rejects).
  void start() {
    id_ = em_->once(*ev_, [this](A... a) { this->resolve(a...); });
    if (static_cast<const void*>(ev_) != static_cast<const void*>(&EventEmitter::Events::error)) {
      errorId_ =
          em_->once(EventEmitter::Events::error, [this](const Error& e) { this->reject(e); });
      errorListening_ = true;
    }
    listening_ = true;
  }
  /// Operation's: removes both listeners.
  void stop() {
    if (listening_) em_->off(*ev_, id_);
    if (errorListening_) em_->off(EventEmitter::Events::error, errorId_);
    listening_ = errorListening_ = false;
  }

 private:
  EventEmitter* em_;
  std::shared_ptr<EventEmitter> keep_;
  const Event<A...>* ev_;
  ListenerId id_ = 0, errorId_ = 0;
  bool listening_ = false, errorListening_ = false;
};

/// Node's `await events.once(emitter, name, {signal})`: the next `ev`'s arguments as a tuple
/// (std::tuple<> for an event without any). An `error` emitted first throws SystemError; both
/// listeners are removed either way. `em` must outlive the wait (or use the shared_ptr form).
template <class... A>
OnceOperation<A...> once(EventEmitter& em, const Event<A...>& ev, OnceOptions opts = {}) {
  return OnceOperation<A...>(em, nullptr, ev, std::move(opts));
}

/// As once(EventEmitter&, ...), holding the emitter until the wait ends.
template <class E, class... A>
OnceOperation<A...> once(const std::shared_ptr<E>& em, const Event<A...>& ev,
                         OnceOptions opts = {}) {
  return OnceOperation<A...>(*em, em, ev, std::move(opts));
}

/// Node's events.on options.
struct OnOptions {
  std::shared_ptr<AbortSignal> signal{};  ///< aborts the iteration: next() throws AbortError
};

namespace detail {
template <class... A>
AsyncGenerator<std::tuple<std::decay_t<A>...>> onImpl(EventEmitter& em,
                                                      std::shared_ptr<EventEmitter> keep,
                                                      const Event<A...>& ev, OnOptions opts) {
  using Args = std::tuple<std::decay_t<A>...>;
  // Listeners live as long as the generator: emissions are queued while the consumer is busy
  // (unbounded, as in Node), and the guard removes every listener when the frame goes.
  struct State {
    State(EventEmitter& e, const Event<A...>& v, std::shared_ptr<AbortSignal> s)
        : em(e), ev(v), signal(std::move(s)) {}
    EventEmitter& em;
    const Event<A...>& ev;
    std::shared_ptr<AbortSignal> signal;
    std::deque<Args> queue;
    Error error;
    ListenerId id = 0, errorId = 0, abortId = 0;
    bool watchError = false;
    evnode::detail::Wakeup wakeup;
    ~State() {
      em.off(ev, id);
      if (watchError) em.off(EventEmitter::Events::error, errorId);
      if (signal) signal->off(AbortSignal::Events::abort, abortId);
    }
  };
  (void)keep;  // holds the emitter for the generator's life
  if (opts.signal && opts.signal->aborted()) throw AbortError(opts.signal->reason());
  State st(em, ev, opts.signal);
  st.id = em.on(ev, [&st](A... a) {
    st.queue.emplace_back(a...);
    st.wakeup.wake();
  });
  if (static_cast<const void*>(&ev) != static_cast<const void*>(&EventEmitter::Events::error)) {
    st.watchError = true;
    st.errorId = em.on(EventEmitter::Events::error, [&st](const Error& e) {
      if (!st.error) st.error = e;
      st.wakeup.wake();
    });
  }
  if (st.signal) {
    st.abortId = st.signal->on(AbortSignal::Events::abort, [&st] { st.wakeup.wake(); });
  }
  for (;;) {
    if (!st.queue.empty()) {
      Args next = std::move(st.queue.front());
      st.queue.pop_front();
      co_yield std::move(next);
      continue;
    }
    if (st.error) throw SystemError(st.error);
    if (st.signal && st.signal->aborted()) throw AbortError(st.signal->reason());
    co_await st.wakeup.wait();
  }
}
}  // namespace detail

/// Node's `for await (const args of events.on(emitter, name, {signal}))`: an async generator
/// of each `ev`'s arguments as a tuple, from the first next() on, in order. Emissions that come
/// while the consumer is busy are queued. An `error` event makes next() throw SystemError (once
/// the queue before it is drained); an abort makes it throw AbortError. It never ends by
/// itself: stop by destroying the generator (Node's `break`), which removes every listener.
/// `em` must outlive the generator (or use the shared_ptr form).
template <class... A>
AsyncGenerator<std::tuple<std::decay_t<A>...>> on(EventEmitter& em, const Event<A...>& ev,
                                                  OnOptions opts = {}) {
  return detail::onImpl(em, nullptr, ev, std::move(opts));
}

/// As on(EventEmitter&, ...), holding the emitter for the generator's life.
template <class E, class... A>
AsyncGenerator<std::tuple<std::decay_t<A>...>> on(const std::shared_ptr<E>& em,
                                                  const Event<A...>& ev, OnOptions opts = {}) {
  return detail::onImpl(*em, em, ev, std::move(opts));
}

}  // namespace evnode::events
