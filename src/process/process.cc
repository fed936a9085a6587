// process::onSignal, kill, exit, pid, memoryUsage.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/callback_scope.h"
#include "evnode/loop.h"
#include "evnode/process.h"
#include "process/stdio.h"

namespace evnode::process {

namespace {

class SignalImpl final : public SignalListener,
                         public evnode::detail::HandleWrap,
                         public std::enable_shared_from_this<SignalImpl> {
 public:
  SignalImpl(int signum, std::function<void()> fn) : signum_(signum), fn_(std::move(fn)) {}
  ~SignalImpl() override { closeHandle(); }

  void start() {
    h_ = new uv_signal_t;
    uv_signal_init(Loop::current().uv(), h_);
    h_->data = static_cast<evnode::detail::HandleWrap*>(this);
    int rc = uv_signal_start(h_, onSignal, signum_);
    if (rc < 0) {
      closeHandle();
      throw Exception("ERR_UNKNOWN_SIGNAL", "cannot listen for signal " + std::to_string(signum_) +
                                                ": " + uv_strerror(rc));
    }
    uv_unref(reinterpret_cast<uv_handle_t*>(h_));
    self_ = shared_from_this();  // installed until close(), like Node's process.on
  }

  int signum() const override { return signum_; }
  void ref() override {
    refed_ = true;
    if (h_) uv_ref(reinterpret_cast<uv_handle_t*>(h_));
  }
  void unref() override {
    refed_ = false;
    if (h_) uv_unref(reinterpret_cast<uv_handle_t*>(h_));
  }
  bool hasRef() const override { return refed_ && h_; }
  void close() override {
    closeHandle();
    fn_ = nullptr;
    auto keep = std::move(self_);  // may destroy this, last
  }
  void forceClose() override { close(); }

 private:
  void closeHandle() {
    if (!h_) return;
    h_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(h_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
    h_ = nullptr;
  }

  static void onSignal(uv_signal_t* h, int) {
    evnode::detail::CallbackScope scope;
    auto* s = static_cast<SignalImpl*>(static_cast<evnode::detail::HandleWrap*>(h->data));
    std::shared_ptr<SignalImpl> keep = s->self_;
    // A copy, so the listener may close its own handle while it runs.
    std::function<void()> fn = s->fn_;
    if (fn) fn();
  }

  int signum_;
  std::function<void()> fn_;
  uv_signal_t* h_ = nullptr;
  bool refed_ = false;
  std::shared_ptr<SignalImpl> self_;
};

}  // namespace

SignalListenerPtr onSignal(int signum, std::function<void()> listener) {
  auto s = std::make_shared<SignalImpl>(signum, std::move(listener));
  s->start();
  return s;
}

Error kill(int pid, int signum) {
  int rc = uv_kill(pid, signum);
  return rc < 0 ? Error::fromUv(rc, "kill") : Error();
}

void exit(int code) {
  static bool exiting = false;
  if (!exiting) {
    // A write callback run by the flush may call exit again: that one exits at once.
    exiting = true;
    detail::flushStdioForExit();
    std::fflush(nullptr);
    detail::restoreStdio();
  }
  std::_Exit(code);
}

int pid() { return static_cast<int>(uv_os_getpid()); }

MemoryUsage memoryUsage() {
  MemoryUsage m;
  size_t rss = 0;
  if (uv_resident_set_memory(&rss) == 0) m.rss = rss;
  return m;
}

}  // namespace evnode::process
