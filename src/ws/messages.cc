// ws::messages(): a WebSocket's messages as an AsyncGenerator, with backpressure.
#include <coroutine>
#include <deque>
#include <memory>
#include <utility>

#include "evnode/loop.h"
#include "evnode/ws.h"

namespace evnode::ws {

namespace {
// What the listeners fill and the generator drains.
struct Inbox {
  std::deque<Message> queue;
  bool closed = false;
  bool pausedByUs = false;
  std::coroutine_handle<> waiter;   // the generator, suspended until something arrives
  std::coroutine_handle<> pending;  // ... and about to be resumed by a microtask
  void wake(const std::shared_ptr<Inbox>& self) {
    if (!waiter) return;
    pending = std::exchange(waiter, nullptr);
    // Resumed as a microtask, as an awaited operation is, never inside the emit.
    queueMicrotask([self] {
      if (auto h = std::exchange(self->pending, nullptr)) h.resume();
    });
  }
};

struct WaitInbox {
  Inbox* in;
  bool await_ready() const noexcept { return !in->queue.empty() || in->closed; }
  void await_suspend(std::coroutine_handle<> h) noexcept { in->waiter = h; }
  void await_resume() const noexcept {}
};

constexpr std::size_t kPauseAt = 16;

// Lives in the generator's frame: removes the listeners and cancels a pending resume when the
// generator ends or is destroyed.
struct Subscription {
  WebSocketPtr ws;
  std::shared_ptr<Inbox> in;
  ListenerId onMessage = 0, onClose = 0;
  ~Subscription() {
    in->waiter = in->pending = nullptr;
    if (ws->readyState() != WebSocket::CLOSED) {
      ws->off(WebSocket::Events::message, onMessage);
      ws->off(WebSocket::Events::close, onClose);
      if (in->pausedByUs) ws->resume();
    }
  }
};
}  // namespace

AsyncGenerator<Message> messages(WebSocketPtr ws) {
  auto in = std::make_shared<Inbox>();
  Subscription sub{ws, in};
  WebSocket* raw = ws.get();
  sub.onMessage = ws->on(WebSocket::Events::message, [in, raw](const Buffer& data, bool binary) {
    in->queue.push_back({data, binary});
    if (in->queue.size() >= kPauseAt && !raw->isPaused()) {
      raw->pause();
      in->pausedByUs = true;
    }
    in->wake(in);
  });
  sub.onClose = ws->on(WebSocket::Events::close, [in](int, const Buffer&) {
    in->closed = true;
    in->wake(in);
  });
  if (ws->readyState() == WebSocket::CLOSED) in->closed = true;
  while (true) {
    co_await WaitInbox{in.get()};
    while (!in->queue.empty()) {
      Message m = std::move(in->queue.front());
      in->queue.pop_front();
      if (in->pausedByUs && in->queue.size() < kPauseAt / 2) {
        in->pausedByUs = false;
        ws->resume();
      }
      co_yield std::move(m);
    }
    if (in->closed) co_return;
  }
}

}  // namespace evnode::ws
