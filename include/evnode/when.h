// evnode/when.h — Promise.all and Promise.race for Tasks: whenAll() and whenAny().
//
//   auto [a, b] = co_await whenAll(fetchA(), fetchB());       // both, started together
//   auto first = co_await whenAny(std::move(tasks));          // the first to finish
//
// A task given to either runs until its first suspension when the combinator is awaited, in
// argument order, so they run concurrently. A Task<void>'s value is std::monostate.
//
// whenAll waits for every task, even after one has failed, and then throws the first failure
// (in completion order): unlike Promise.all, which settles at the first rejection, it never
// leaves a task running that may still use what the awaiting coroutine owns.
//
// whenAny settles with the first task to finish (its value or its exception); the others keep
// running detached, as Promise.race leaves them, and their values and exceptions are dropped.
// So a task given to whenAny must own what it uses (take arguments by value), and a loser that
// should stop needs an AbortSignal.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "evnode/task.h"

namespace evnode {

namespace detail {

// A task's value in a tuple or variant: std::monostate for void.
template <class T>
using ValueOf = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// What whenAll's awaiting coroutine and its drivers share (in the awaiting coroutine's frame).
struct JoinState {
  std::size_t remaining = 0;
  std::coroutine_handle<> parent;
  std::exception_ptr error;
};

// A driver's last step: frees the driver; the last one to arrive resumes the awaiting coroutine.
struct JoinArrive {
  JoinState* st;
  bool await_ready() noexcept { return false; }
  void await_suspend(std::coroutine_handle<> self) noexcept {
    JoinState* s = st;  // `this` is in the frame destroyed below
    self.destroy();
    if (--s->remaining == 0) transfer(s->parent);
  }
  void await_resume() noexcept {}
};

template <class T, class Store>
Detached joinOne(Task<T> t, JoinState* st, Store store) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
      store();
    } else {
      store(co_await std::move(t));
    }
  } catch (...) {
    if (!st->error) st->error = std::current_exception();
  }
  co_await JoinArrive{st};
}

// Starts the drivers (through `start`) and suspends until every one has arrived; does not
// suspend if they all finished synchronously. One count stays with the starter meanwhile.
template <class F>
struct JoinStart {
  JoinState* st;
  std::size_t n;
  F start;
  bool await_ready() noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    st->parent = h;
    st->remaining = n + 1;
    start();
    return --st->remaining != 0;
  }
  void await_resume() noexcept {}
};
template <class F>
JoinStart(JoinState*, std::size_t, F) -> JoinStart<F>;

template <class Slots, std::size_t... I, class... T>
void joinEach(JoinState* st, Slots& slots, std::index_sequence<I...>, Task<T>&... tasks) {
  (joinOne(std::move(tasks), st,
           [&slots](auto&&... v) { std::get<I>(slots).emplace(std::forward<decltype(v)>(v)...); })
       .start(),
   ...);
}

// What whenAny's awaiting coroutine and its (possibly outliving) drivers share.
template <class R>
struct RaceState {
  bool settled = false;
  bool starting = true;
  std::coroutine_handle<> parent;
  std::optional<R> value;
  std::exception_ptr error;
};

// Frees the driver and resumes the awaiting coroutine.
struct RaceWon {
  std::coroutine_handle<> parent;
  bool await_ready() noexcept { return false; }
  void await_suspend(std::coroutine_handle<> self) noexcept {
    auto p = parent;
    self.destroy();
    transfer(p);
  }
  void await_resume() noexcept {}
};

template <class T, class R, class Store>
Detached raceOne(Task<T> t, std::shared_ptr<RaceState<R>> st, Store store) {
  bool won = false;
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
      if (!st->settled) store(*st);
    } else {
      auto v = co_await std::move(t);
      if (!st->settled) store(*st, std::move(v));
    }
  } catch (...) {
    if (!st->settled) st->error = std::current_exception();
  }
  if (!st->settled) {
    st->settled = true;
    won = true;
  }
  if (won && !st->starting) co_await RaceWon{st->parent};
}

template <class R>
struct RaceStart {
  std::shared_ptr<RaceState<R>> st;
  bool await_ready() noexcept { return false; }
  template <class F>
  bool suspendWith(std::coroutine_handle<> h, F&& start) {
    st->parent = h;
    start();
    st->starting = false;
    return !st->settled;
  }
};

}  // namespace detail

/// Promise.all over a vector: every task's value in order; throws the first failure once all
/// have finished (see the header's comment).
template <class T>
Task<std::vector<T>> whenAll(std::vector<Task<T>> tasks) {
  detail::JoinState st;
  std::vector<std::optional<T>> slots(tasks.size());
  co_await detail::JoinStart{&st, tasks.size(), [&] {
                               for (std::size_t i = 0; i < tasks.size(); ++i) {
                                 detail::joinOne(std::move(tasks[i]), &st, [&slots, i](T v) {
                                   slots[i].emplace(std::move(v));
                                 }).start();
                               }
                             }};
  if (st.error) std::rethrow_exception(st.error);
  std::vector<T> out;
  out.reserve(slots.size());
  for (auto& s : slots) out.push_back(std::move(*s));
  co_return out;
}

/// Promise.all over Task<void>s: finishes when all have; throws the first failure.
inline Task<void> whenAll(std::vector<Task<void>> tasks) {
  detail::JoinState st;
  co_await detail::JoinStart{&st, tasks.size(), [&] {
                               for (auto& t : tasks)
                                 detail::joinOne(std::move(t), &st, [] {}).start();
                             }};
  if (st.error) std::rethrow_exception(st.error);
}

/// Promise.all over tasks of any types: their values as a tuple (std::monostate for void).
template <class... T>
Task<std::tuple<detail::ValueOf<T>...>> whenAll(Task<T>... tasks) {
  detail::JoinState st;
  std::tuple<std::optional<detail::ValueOf<T>>...> slots;
  co_await detail::JoinStart{
      &st, sizeof...(T),
      [&] { detail::joinEach(&st, slots, std::index_sequence_for<T...>{}, tasks...); }};
  if (st.error) std::rethrow_exception(st.error);
  co_return std::apply(
      [](auto&... s) { return std::tuple<detail::ValueOf<T>...>(std::move(*s)...); }, slots);
}

namespace detail {
template <class R, class F>
struct RaceAwait : RaceStart<R> {
  F start;
  bool await_suspend(std::coroutine_handle<> h) { return this->suspendWith(h, start); }
  void await_resume() noexcept {}
};
template <class R, class F>
RaceAwait<R, F> raceAwait(std::shared_ptr<RaceState<R>> st, F f) {
  return RaceAwait<R, F>{{std::move(st)}, std::move(f)};
}
}  // namespace detail

/// Promise.race over a vector: the value (or exception) of the first task to finish; the
/// others run on, detached. Throws Exception ERR_INVALID_ARG_VALUE for an empty vector (where
/// Promise.race([]) would never settle).
template <class T>
Task<T> whenAny(std::vector<Task<T>> tasks) {
  if (tasks.empty()) throwInvalidArg("tasks", "must not be empty");
  using R = detail::ValueOf<T>;
  auto st = std::make_shared<detail::RaceState<R>>();
  co_await detail::raceAwait(st, [&] {
    for (auto& t : tasks) {
      if constexpr (std::is_void_v<T>) {
        detail::raceOne(std::move(t), st, [](detail::RaceState<R>& s) {
          s.value.emplace();
        }).start();
      } else {
        detail::raceOne(std::move(t), st, [](detail::RaceState<R>& s, T v) {
          s.value.emplace(std::move(v));
        }).start();
      }
    }
  });
  if (st->error) std::rethrow_exception(st->error);
  if constexpr (!std::is_void_v<T>) co_return std::move(*st->value);
}

/// Promise.race over tasks of any types: a variant whose index says which task finished first,
/// holding its value (std::monostate for void); throws if that task threw.
template <class... T>
Task<std::variant<detail::ValueOf<T>...>> whenAny(Task<T>... tasks) {
  using R = std::variant<detail::ValueOf<T>...>;
  auto st = std::make_shared<detail::RaceState<R>>();
  co_await detail::raceAwait(st, [&] {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (detail::raceOne(std::move(tasks), st,
                       [](detail::RaceState<R>& s, auto&&... v) {
                         s.value.emplace(std::in_place_index<I>, std::forward<decltype(v)>(v)...);
                       })
           .start(),
       ...);
    }
    (std::index_sequence_for<T...>{});
  });
  if (st->error) std::rethrow_exception(st->error);
  co_return std::move(*st->value);
}

}  // namespace evnode
