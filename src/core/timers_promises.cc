// timers/promises: setTimeout, setImmediate, setInterval.
#include "evnode/timers_promises.h"

namespace evnode::timers::promises {

void TimeoutOperation::start() {
  timer_ = evnode::setTimeout([this] { resolve(); }, ms_);
  if (!ref_) timer_->unref();
}

void TimeoutOperation::stop() {
  clearTimeout(timer_);
  timer_ = nullptr;
}

void ImmediateOperation::start() {
  imm_ = evnode::setImmediate([this] { resolve(); });
  if (!ref_) imm_->unref();
}

void ImmediateOperation::stop() {
  clearImmediate(imm_);
  imm_ = nullptr;
}

namespace {

class IntervalWait;

// What the interval timer and the generator share: fires not yet yielded, and who waits.
struct IntervalState {
  std::uint64_t pending = 0;
  IntervalWait* waiter = nullptr;
  void fire();
};

// Waits for the next fire (or takes one already pending).
class IntervalWait : public Operation<void, IntervalWait> {
 public:
  IntervalWait(IntervalState& st, std::shared_ptr<AbortSignal> signal)
      : Operation(std::move(signal)), st_(st) {}
  ~IntervalWait() { stop(); }
  void start() {
    if (st_.pending > 0) {
      --st_.pending;
      resolve();
    } else {
      st_.waiter = this;
    }
  }
  void stop() {
    if (st_.waiter == this) st_.waiter = nullptr;
  }
  void fired() { resolve(); }

 private:
  IntervalState& st_;
};

void IntervalState::fire() {
  if (waiter) {
    waiter->fired();  // clears `waiter` through stop()
  } else {
    ++pending;
  }
}

}  // namespace

AsyncGenerator<std::uint64_t> setInterval(std::uint64_t ms, TimerOptions opts) {
  IntervalState st;
  TimeoutPtr timer = evnode::setInterval([&st] { st.fire(); }, ms);
  if (!opts.ref) timer->unref();
  struct Clear {
    TimeoutPtr& t;
    ~Clear() { clearInterval(t); }
  } clear{timer};
  for (std::uint64_t n = 1;; ++n) {
    co_await IntervalWait(st, opts.signal);
    co_yield n;
  }
}

}  // namespace evnode::timers::promises
