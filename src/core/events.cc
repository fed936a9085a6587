// EventEmitter's out-of-line parts: copy-on-write listener list and the uncaught-error rule.
#include "evnode/events.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace evnode {

namespace {
std::function<void(const Error&)>& uncaughtHandler() {
  static std::function<void(const Error&)> h;
  return h;
}
}  // namespace

void setUncaughtErrorHandler(std::function<void(const Error&)> handler) {
  uncaughtHandler() = std::move(handler);
}

void detail::uncaughtError(const Error& err) {
  if (uncaughtHandler()) {
    uncaughtHandler()(err);
    return;
  }
  std::fflush(stdout);
  std::fprintf(stderr, "evnode: unhandled 'error' event: %s%s%s\n", err.code.c_str(),
               err.message.empty() ? "" : ": ", err.message.c_str());
  std::fflush(stderr);
  _exit(1);
}

std::vector<EventEmitter::Slot>& EventEmitter::mutableSlots() {
  if (!slots_) {
    slots_ = std::make_shared<std::vector<Slot>>();
  } else if (slots_.use_count() > 1) {
    slots_ = std::make_shared<std::vector<Slot>>(*slots_);  // an emit is iterating the old list
  }
  return *slots_;
}

bool EventEmitter::removeSlot(const void* key, ListenerId id) {
  if (!slots_) return false;
  auto it = std::find_if(slots_->begin(), slots_->end(),
                         [&](const Slot& s) { return s.key == key && s.id == id; });
  if (it == slots_->end()) return false;
  auto idx = it - slots_->begin();
  auto& v = mutableSlots();
  v.erase(v.begin() + idx);
  listenerRemoved(key);
  return true;
}

void EventEmitter::removeKey(const void* key) {
  if (!slots_ || countKey(key) == 0) return;
  auto& v = mutableSlots();
  std::erase_if(v, [&](const Slot& s) { return s.key == key; });
  listenerRemoved(key);
}

std::size_t EventEmitter::countKey(const void* key) const {
  if (!slots_) return 0;
  return static_cast<std::size_t>(
      std::count_if(slots_->begin(), slots_->end(), [&](const Slot& s) { return s.key == key; }));
}

}  // namespace evnode
