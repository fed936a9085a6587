// evnode/events_once.h — Node's events.once(emitter, name, {signal}): await an event.
//
//   auto [err, address, family, host] = co_await events::once(socket, net::Socket::Events::lookup);
#pragma once

#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "evnode/abort.h"
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

}  // namespace evnode::events
