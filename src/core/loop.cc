// The per-thread loop, the nextTick queue, timers and immediates.
#include "evnode/loop.h"

#include <uv.h>

#include <csignal>
#include <deque>
#include <vector>

#include "core/callback_scope.h"
#include "core/post.h"
#include "core/thread_instance.h"
#include "core/tick.h"

namespace evnode {

namespace {

class ImmediateImpl;

// What one thread's loop needs besides libuv's own state.
struct ThreadState {
  // The nextTick queue: a vector reused from drain to drain (a deque allocates and frees a
  // block every few ticks); ticks[tickHead] is the next to run.
  std::vector<detail::Tick> ticks;
  std::size_t tickHead = 0;
  // The microtask queue (promise jobs: coroutines resumed by a completion), drained after the
  // nextTick queue, in the same reused-vector way.
  std::vector<detail::Tick> microtasks;
  std::size_t microtaskHead = 0;
  bool draining = false;
  int scopeDepth = 0;
  bool stopRequested = false;  // Loop::stop() was called during run()
  std::vector<std::shared_ptr<ImmediateImpl>> immediates;
  std::size_t immediateRefs = 0;       // pending immediates that keep the loop alive
  uv_check_t check;                    // runs immediates after the poll phase
  uv_idle_t idle;                      // active while immediates wait, so poll does not block
  detail::PostQueue* posts = nullptr;  // the Loop's, for keepLoopAlive()
};

thread_local ThreadState* tls = nullptr;

ThreadState& state() {
  if (!tls) Loop::current();
  return *tls;
}

class ImmediateImpl final : public Immediate {
 public:
  explicit ImmediateImpl(std::function<void()> cb) : cb_(std::move(cb)) {}
  void ref() override {
    if (refed_ || done_) return;
    refed_ = true;
    ++state().immediateRefs;
    updateIdle();
  }
  void unref() override {
    if (!refed_ || done_) return;
    refed_ = false;
    --state().immediateRefs;
    updateIdle();
  }
  bool hasRef() const override { return refed_; }

  // Marks it as no longer pending; returns the callback to run (empty if cleared).
  std::function<void()> take() {
    if (done_) return nullptr;
    done_ = true;
    if (refed_) --state().immediateRefs;
    return std::move(cb_);
  }
  static void updateIdle() {
    ThreadState& st = state();
    if (st.immediates.empty()) {
      uv_idle_stop(&st.idle);
      return;
    }
    uv_idle_start(&st.idle, [](uv_idle_t*) {});
    if (st.immediateRefs > 0) {
      uv_ref(reinterpret_cast<uv_handle_t*>(&st.idle));
    } else {
      uv_unref(reinterpret_cast<uv_handle_t*>(&st.idle));
    }
  }

 private:
  std::function<void()> cb_;
  bool refed_ = true;
  bool done_ = false;
};

void runImmediates(uv_check_t*) {
  ThreadState& st = state();
  if (st.immediates.empty()) return;
  // Immediates queued while these run wait for the next turn, as in Node.
  std::vector<std::shared_ptr<ImmediateImpl>> batch;
  batch.swap(st.immediates);
  for (auto& imm : batch) {
    auto cb = imm->take();
    if (!cb) continue;
    detail::CallbackScope scope;
    cb();
  }
  ImmediateImpl::updateIdle();
}

class TimerImpl final : public Timeout,
                        public detail::HandleWrap,
                        public std::enable_shared_from_this<TimerImpl> {
 public:
  TimerImpl(std::function<void()> cb, std::uint64_t ms, bool repeat)
      : cb_(std::move(cb)), ms_(ms), repeat_(repeat) {}
  ~TimerImpl() override { closeHandle(); }

  void start() {
    if (!h_) {
      h_ = new uv_timer_t;
      uv_timer_init(Loop::current().uv(), h_);
      h_->data = static_cast<detail::HandleWrap*>(this);
      if (!refed_) uv_unref(reinterpret_cast<uv_handle_t*>(h_));
    }
    // The delay counts from now, not from the start of the loop turn (libuv's cached time can
    // be far behind after a long callback or before run()); Node refreshes it the same way.
    uv_update_time(h_->loop);
    uv_timer_start(h_, &TimerImpl::onTimer, ms_, repeat_ ? ms_ : 0);
    self_ = shared_from_this();  // an armed timer lives until it fires or is cleared
  }
  void ref() override {
    refed_ = true;
    if (h_) uv_ref(reinterpret_cast<uv_handle_t*>(h_));
  }
  void unref() override {
    refed_ = false;
    if (h_) uv_unref(reinterpret_cast<uv_handle_t*>(h_));
  }
  bool hasRef() const override { return refed_; }
  void refresh() override {
    if (!closed_) start();
  }
  void close() override {
    if (h_) uv_timer_stop(h_);
    closed_ = true;
    cb_ = nullptr;
    auto keep = std::move(self_);
  }
  void forceClose() override {
    closeHandle();
    auto keep = std::move(self_);
  }

 private:
  void closeHandle() {
    if (!h_) return;
    h_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(h_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    h_ = nullptr;
  }
  static void onTimer(uv_timer_t* h) {
    auto* t = static_cast<TimerImpl*>(static_cast<detail::HandleWrap*>(h->data));
    detail::CallbackScope scope;
    std::shared_ptr<TimerImpl> keep = t->self_;
    if (!t->repeat_) t->self_.reset();
    // The callback may clear or refresh its own timer, so it runs from a local.
    auto cb = std::move(t->cb_);
    cb();
    if (!t->closed_) t->cb_ = std::move(cb);  // kept for the next interval or refresh()
  }

  uv_timer_t* h_ = nullptr;
  std::function<void()> cb_;
  std::uint64_t ms_;
  bool repeat_;
  bool refed_ = true;
  bool closed_ = false;
  std::shared_ptr<TimerImpl> self_;
};

std::uint64_t clampDelay(std::uint64_t ms) {
  // Node: delays outside [1, 2^31-1] become 1.
  return (ms < 1 || ms > 0x7FFFFFFF) ? 1 : ms;
}

}  // namespace

namespace detail {

CallbackScope::CallbackScope() { ++state().scopeDepth; }

CallbackScope::~CallbackScope() {
  ThreadState& st = *tls;
  if (--st.scopeDepth == 0) drainTicks();
}

// Runs queue[head...] until it is empty, including what the calls append to it. Inlined: as a
// call it cost 60 instructions per keep-alive request (several drains per request).
[[gnu::always_inline]] inline void runQueue(ThreadState& st, std::vector<Tick>& queue,
                                            std::size_t& head) {
  while (head < queue.size()) {
    // Moved out first: the call may queue more, which can reallocate the vector.
    Tick fn = std::move(queue[head++]);
    ++st.scopeDepth;  // callbacks a tick triggers synchronously must not drain recursively
    fn();
    --st.scopeDepth;
    if (head >= 1024 && head * 2 >= queue.size()) {
      // A long chain of calls queuing calls: drop the ones already run.
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(head));
      head = 0;
    }
  }
  queue.clear();
  head = 0;
  // Keep the capacity for the next drain, unless a burst made it large.
  if (queue.capacity() > 4096) queue.shrink_to_fit();
}

void drainTicks() {
  ThreadState& st = state();
  // Most callback scopes end with nothing queued: that case costs two loads.
  if (st.draining || (st.ticks.empty() && st.microtasks.empty())) return;
  st.draining = true;
  // Node's processTicksAndRejections: every tick, then every microtask (those they queue
  // included), and again while the microtasks queued ticks.
  do {
    runQueue(st, st.ticks, st.tickHead);
    if (!st.microtasks.empty()) runQueue(st, st.microtasks, st.microtaskHead);
  } while (!st.ticks.empty());
  st.draining = false;
}

}  // namespace detail

namespace {
// The thread's Loop once made: a plain pointer, so the common call (the server reads the loop's
// time per request) skips the guard of the function-local thread_local below.
thread_local Loop* currentLoop = nullptr;
}  // namespace

Loop& Loop::current() {
  if (currentLoop) [[likely]]
    return *currentLoop;
  static thread_local Loop loop;
  currentLoop = &loop;
  return loop;
}

Loop::Loop() : loop_(new uv_loop_t), posts_(std::make_shared<detail::PostQueue>()) {
  detail::threadInstancesOutliveTheLoop();
  // A write to a reset socket must give EPIPE, never kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  uv_loop_init(loop_);
  tls = new ThreadState;
  uv_check_init(loop_, &tls->check);
  tls->check.data = nullptr;  // internal handles: closed as-is at teardown
  uv_check_start(&tls->check, runImmediates);
  uv_unref(reinterpret_cast<uv_handle_t*>(&tls->check));
  uv_idle_init(loop_, &tls->idle);
  tls->idle.data = nullptr;
  posts_->start(loop_);
  tls->posts = posts_.get();
}

Loop::~Loop() {
  // Other threads may hold a LoopHandle: from now on their posts are refused.
  posts_->close();
  // Close whatever is still open (unref'd servers, timers) so nothing leaks at thread exit.
  uv_walk(
      loop_,
      [](uv_handle_t* h, void*) {
        if (uv_is_closing(h)) return;
        if (h->data) {
          static_cast<detail::HandleWrap*>(h->data)->forceClose();
        } else {
          uv_close(h, nullptr);
        }
      },
      nullptr);
  // Closing handles may queue more work; requests still on the thread pool (fs, getaddrinfo)
  // must complete before the loop's memory goes.
  for (int i = 0; i < 64 && uv_loop_close(loop_) == UV_EBUSY; ++i) {
    uv_run(loop_, i < 8 ? UV_RUN_NOWAIT : UV_RUN_ONCE);
    detail::drainTicks();
  }
  // The per-thread caches the teardown freed into go last (thread_instance.h).
  detail::destroyThreadInstances();
  tls->immediates.clear();
  delete tls;
  tls = nullptr;
  delete loop_;
  currentLoop = nullptr;
}

void Loop::run() {
  ThreadState& st = state();
  st.stopRequested = false;
  // uv_run returns when nothing is alive or on stop(); ticks queued outside any callback scope
  // may start new work, so go round again unless stop() asked us to return.
  for (;;) {
    detail::drainTicks();
    uv_run(loop_, UV_RUN_DEFAULT);
    if (st.stopRequested) break;
    detail::drainTicks();
    if (uv_loop_alive(loop_) == 0) break;
  }
  st.stopRequested = false;
  detail::drainTicks();
}

bool Loop::runOnce() {
  detail::drainTicks();
  bool alive = uv_run(loop_, UV_RUN_ONCE) != 0;
  detail::drainTicks();
  return alive;
}

void Loop::stop() {
  state().stopRequested = true;
  uv_stop(loop_);
}

std::uint64_t Loop::now() const { return uv_now(loop_); }

LoopHandle Loop::handle() const { return LoopHandle(posts_); }

bool Loop::post(std::function<void()> fn) const { return handle().post(std::move(fn)); }

void detail::keepLoopAlive(int delta) {
  PostQueue* q = state().posts;
  int before = q->keepAlive;
  q->keepAlive += delta;
  if (q->closed) return;  // being torn down: the handle is closing
  auto* h = reinterpret_cast<uv_handle_t*>(&q->async);
  if (before <= 0 && q->keepAlive > 0) uv_ref(h);
  if (before > 0 && q->keepAlive <= 0) uv_unref(h);
}

void run() { Loop::current().run(); }

void nextTick(std::function<void()> fn) { detail::pushTick(detail::Tick(std::move(fn))); }

void detail::pushTick(Tick&& t) { state().ticks.push_back(std::move(t)); }

void queueMicrotask(std::function<void()> fn) {
  detail::pushMicrotask(detail::Tick(std::move(fn)));
}

void detail::pushMicrotask(Tick&& t) { state().microtasks.push_back(std::move(t)); }

TimeoutPtr setTimeout(std::function<void()> cb, std::uint64_t ms) {
  auto t = std::make_shared<TimerImpl>(std::move(cb), clampDelay(ms), false);
  t->start();
  return t;
}

TimeoutPtr setInterval(std::function<void()> cb, std::uint64_t ms) {
  auto t = std::make_shared<TimerImpl>(std::move(cb), clampDelay(ms), true);
  t->start();
  return t;
}

void clearTimeout(const TimeoutPtr& t) {
  if (t) t->close();
}

void clearInterval(const TimeoutPtr& t) { clearTimeout(t); }

ImmediatePtr setImmediate(std::function<void()> cb) {
  ThreadState& st = state();
  auto imm = std::make_shared<ImmediateImpl>(std::move(cb));
  st.immediates.push_back(imm);
  ++st.immediateRefs;
  ImmediateImpl::updateIdle();
  return imm;
}

void clearImmediate(const ImmediatePtr& i) {
  if (!i) return;
  static_cast<ImmediateImpl*>(i.get())->take();
  ImmediateImpl::updateIdle();
}

}  // namespace evnode
