// AbortSignal: abort(), timeout(), any().
#include "evnode/abort.h"

namespace evnode {

AbortSignal::~AbortSignal() {
  clearTimeout(timer_);
  dropSources();
}

void AbortSignal::throwIfAborted() const {
  if (aborted_) throw AbortError(reason_);
}

void AbortSignal::doAbort(Error reason) {
  if (aborted_) return;
  aborted_ = true;
  reason_ = reason ? std::move(reason) : Error("ABORT_ERR", "This operation was aborted");
  clearTimeout(timer_);
  timer_ = nullptr;
  dropSources();
  emit(Events::abort);
}

void AbortSignal::dropSources() {
  for (Source& s : sources_) {
    if (auto sig = s.signal.lock()) sig->off(Events::abort, s.id);
  }
  sources_.clear();
}

std::shared_ptr<AbortSignal> AbortSignal::abort(Error reason) {
  auto s = std::make_shared<AbortSignal>();
  s->doAbort(std::move(reason));
  return s;
}

std::shared_ptr<AbortSignal> AbortSignal::timeout(std::uint64_t ms) {
  auto s = std::make_shared<AbortSignal>();
  std::weak_ptr<AbortSignal> weak = s;
  s->timer_ = setTimeout(
      [weak] {
        if (auto sig = weak.lock()) {
          sig->doAbort(Error("TIMEOUT_ERR", "The operation was aborted due to timeout"));
        }
      },
      ms);
  s->timer_->unref();
  return s;
}

std::shared_ptr<AbortSignal> AbortSignal::any(
    const std::vector<std::shared_ptr<AbortSignal>>& signals) {
  auto s = std::make_shared<AbortSignal>();
  for (const auto& src : signals) {
    if (src && src->aborted()) {
      s->doAbort(src->reason());
      return s;
    }
  }
  std::weak_ptr<AbortSignal> weak = s;
  for (const auto& src : signals) {
    if (!src) continue;
    AbortSignal* raw = src.get();
    ListenerId id = src->on(Events::abort, [weak, raw] {
      if (auto sig = weak.lock()) sig->doAbort(raw->reason());
    });
    s->sources_.push_back({src, id});
  }
  return s;
}

}  // namespace evnode
