// worker_threads: MessagePort/MessageChannel over LoopHandle::post, and Worker (a thread with
// its own Loop whose parentPort is one end of a channel).
#include "evnode/worker_threads.h"

#include <pthread.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "core/callback_scope.h"
#include "core/post.h"

namespace evnode::worker_threads {

namespace detail {

// One end's shared state: what was sent to it and the loop that owns it. Each end has one;
// postMessage() on a port writes into its peer's core.
struct PortCore : std::enable_shared_from_this<PortCore> {
  std::mutex mutex;
  LoopHandle home;                  // guarded by mutex: the loop that emits this port's events
  std::vector<Value> inbox;         // guarded by mutex: sent here, not yet emitted
  bool scheduled = false;           // guarded by mutex: a delivery is posted to `home`
  bool closed = false;              // guarded by mutex: the channel was closed
  std::weak_ptr<MessagePort> port;  // set before the port is shared, then only read
  std::weak_ptr<PortCore> peer;     // likewise

  // With the mutex held: one delivery per batch of messages.
  void scheduleLocked() {
    if (scheduled || inbox.empty()) return;
    scheduled = true;
    if (!home.post([self = shared_from_this()] { self->deliver(); })) scheduled = false;
  }

  // On the loop the delivery was posted to.
  void deliver() {
    std::vector<Value> batch;
    std::shared_ptr<MessagePort> p;
    {
      std::lock_guard<std::mutex> lock(mutex);
      scheduled = false;
      if (!(home == Loop::current().handle())) {
        scheduleLocked();  // the port moved to another thread meanwhile
        return;
      }
      p = port.lock();
      // Without a `message` listener, messages wait (Node's port is not started yet). Messages
      // sent before a close are still delivered, ahead of the `close` event.
      if (!p || p->listenerCount(MessagePort::Events::message) == 0) return;
      batch.swap(inbox);
    }
    for (auto& v : batch) {
      if (auto* moved = std::get_if<std::shared_ptr<MessagePort>>(&v)) adopt(*moved);
      evnode::detail::CallbackScope scope;  // ticks run after each message, as in Node
      p->emit(MessagePort::Events::message, v);
    }
  }

  // A port received in a message now belongs to this thread's loop.
  static void adopt(const std::shared_ptr<MessagePort>& moved) {
    if (!moved) return;
    PortCore& c = *moved->core_;
    std::lock_guard<std::mutex> lock(c.mutex);
    c.home = Loop::current().handle();
    c.scheduleLocked();
  }

  // Closes this end: nothing more is accepted; what was sent before is delivered (its delivery
  // is already posted, ahead of this), then `close` is emitted on its loop and what still
  // waits for a listener is dropped.
  void closeEnd() {
    std::lock_guard<std::mutex> lock(mutex);
    if (closed) return;
    closed = true;
    home.post([self = shared_from_this()] {
      {
        std::lock_guard<std::mutex> lock(self->mutex);
        self->inbox.clear();
      }
      if (auto p = self->port.lock()) {
        p->updateRef();
        p->emit(MessagePort::Events::close);
        p->removeAllListeners();
      }
    });
  }
};

}  // namespace detail

std::pair<std::shared_ptr<MessagePort>, std::shared_ptr<MessagePort>> makePorts() {
  std::shared_ptr<MessagePort> a(new MessagePort), b(new MessagePort);
  a->core_ = std::make_shared<detail::PortCore>();
  b->core_ = std::make_shared<detail::PortCore>();
  LoopHandle here = Loop::current().handle();
  a->core_->home = here;
  b->core_->home = here;
  a->core_->port = a;
  b->core_->port = b;
  a->core_->peer = b->core_;
  b->core_->peer = a->core_;
  return {a, b};
}

MessageChannel::MessageChannel() { std::tie(port1, port2) = makePorts(); }

MessagePort::~MessagePort() {
  // A port dropped while it listened: its loop need not wait for it any more.
  if (keeping_) evnode::detail::keepLoopAlive(-1);
}

void MessagePort::postMessage(Value value) {
  auto peer = core_->peer.lock();
  if (!peer) return;
  std::lock_guard<std::mutex> lock(peer->mutex);
  if (peer->closed) return;
  peer->inbox.push_back(std::move(value));
  peer->scheduleLocked();
}

void MessagePort::close() {
  core_->closeEnd();
  if (auto peer = core_->peer.lock()) peer->closeEnd();
}

void MessagePort::unref() {
  refed_ = false;
  updateRef();
}

void MessagePort::ref() {
  refed_ = true;
  updateRef();
}

void MessagePort::updateRef() {
  bool closed;
  {
    std::lock_guard<std::mutex> lock(core_->mutex);
    closed = core_->closed;
  }
  bool want = refed_ && !closed && listenerCount(Events::message) > 0;
  if (want == keeping_) return;
  keeping_ = want;
  evnode::detail::keepLoopAlive(want ? 1 : -1);
}

void MessagePort::newListener(const void* key) {
  if (key != &Events::message) return;
  updateRef();
  std::lock_guard<std::mutex> lock(core_->mutex);
  core_->scheduleLocked();  // messages that waited for a listener
}

void MessagePort::listenerRemoved(const void* key) {
  if (key == nullptr || key == &Events::message) updateRef();
}

// ---- Worker ----

namespace {
std::atomic<int> lastThreadId{0};
thread_local MessagePort* currentParentPort = nullptr;  // the worker thread's, while it runs
thread_local std::shared_ptr<MessagePort>* currentParentPortOwner = nullptr;
thread_local const Value* currentWorkerData = nullptr;
thread_local int currentThreadId = 0;
const Value kNoData;
}  // namespace

struct Worker::Thread {
  std::thread thread;
  std::mutex mutex;
  LoopHandle loop;          // guarded by mutex: the worker's, once it exists
  bool terminated = false;  // guarded by mutex
};

std::shared_ptr<Worker> Worker::create(std::function<void()> fn, WorkerOptions options) {
  if (!fn) throw Exception("ERR_INVALID_ARG_TYPE", "Worker: fn must be a function");
  std::shared_ptr<Worker> w(new Worker);
  auto [mine, theirs] = makePorts();
  w->port_ = mine;
  w->threadId_ = ++lastThreadId;
  w->thread_ = std::make_shared<Thread>();
  w->self_ = w;
  // The worker keeps this loop running until its exit is delivered (unref() lets it go): its
  // port alone would not, since a worker that closes its parentPort still has an exit to send.
  evnode::detail::keepLoopAlive(1);
  w->keeping_ = true;
  Worker* raw = w.get();  // alive until its exit is delivered (self_)
  // The worker's messages become this Worker's `message` events; this listener is what keeps
  // the creating loop running while the worker runs (ref()/unref()).
  mine->on(MessagePort::Events::message, [raw](const Value& v) { raw->emit(Events::message, v); });

  LoopHandle parent = Loop::current().handle();
  auto th = w->thread_;
  int id = w->threadId_;
  th->thread = std::thread([th, parent, raw, id, fn = std::move(fn), port = theirs,
                            data = std::move(options.workerData), name = options.name]() mutable {
    if (!name.empty()) ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
    currentThreadId = id;
    currentWorkerData = &data;
    currentParentPort = port.get();
    currentParentPortOwner = &port;
    detail::PortCore::adopt(port);  // the parentPort's events run on this thread's loop
    bool terminated;
    {
      std::lock_guard<std::mutex> lock(th->mutex);
      th->loop = Loop::current().handle();
      terminated = th->terminated;
    }
    int code = 0;
    std::string error;
    if (!terminated) {
      parent.post([raw] { raw->emit(Events::online); });
      try {
        fn();
        Loop::current().run();
      } catch (const std::exception& e) {
        code = 1;
        error = e.what();
      } catch (...) {
        code = 1;
        error = "unknown exception";
      }
    }
    {
      std::lock_guard<std::mutex> lock(th->mutex);
      if (th->terminated) code = 1;
    }
    // The port goes while this thread's Loop still exists; the Loop itself goes at thread
    // exit and closes whatever fn left open.
    currentParentPort = nullptr;
    currentParentPortOwner = nullptr;
    port.reset();
    currentWorkerData = nullptr;
    fn = nullptr;
    parent.post([raw, code, error] {
      if (!error.empty()) raw->emit(Events::error, Error("ERR_WORKER_UNCAUGHT", error));
      raw->thread_->thread.join();  // the thread is at its end (or tearing its loop down)
      raw->exited_ = true;
      raw->port_->close();  // no more messages either way
      if (std::exchange(raw->keeping_, false)) evnode::detail::keepLoopAlive(-1);
      raw->emit(Events::exit, code);
      raw->removeAllListeners();
      auto last = std::move(raw->self_);  // may free the Worker: nothing after this
    });
  });
  return w;
}

Worker::~Worker() {
  // Only reached after the exit was delivered (self_ holds it before), or at process exit.
  if (thread_ && thread_->thread.joinable()) thread_->thread.detach();
}

void Worker::postMessage(Value value) {
  if (!exited_) port_->postMessage(std::move(value));
}

void Worker::terminate(std::function<void(int)> cb) {
  if (exited_) {
    if (cb) nextTick([cb] { cb(1); });
    return;
  }
  if (cb) once(Events::exit, std::move(cb));
  std::lock_guard<std::mutex> lock(thread_->mutex);
  thread_->terminated = true;
  thread_->loop.post([] { Loop::current().stop(); });
}

void Worker::ref() {
  refed_ = true;
  port_->ref();
  if (!keeping_ && !exited_) {
    keeping_ = true;
    evnode::detail::keepLoopAlive(1);
  }
}

void Worker::unref() {
  refed_ = false;
  port_->unref();
  if (std::exchange(keeping_, false)) evnode::detail::keepLoopAlive(-1);
}

std::shared_ptr<MessagePort> parentPort() {
  return currentParentPortOwner ? *currentParentPortOwner : nullptr;
}

const Value& workerData() { return currentWorkerData ? *currentWorkerData : kNoData; }

bool isMainThread() { return currentThreadId == 0; }

int threadId() { return currentThreadId; }

}  // namespace evnode::worker_threads
