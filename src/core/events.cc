// EventEmitter's out-of-line parts: the copy-on-write listener list and the uncaught-error rule.
#include "evnode/events.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "core/block_cache.h"

namespace evnode {

namespace {
// One handler per process, as Node's process.on('uncaughtException'); any thread's loop may
// report through it, so it is read (copied) and replaced under a lock. Only the error path
// takes it.
std::mutex handlerMutex;
std::shared_ptr<const std::function<void(const Error&)>> uncaughtHandler;
}  // namespace

void setUncaughtErrorHandler(std::function<void(const Error&)> handler) {
  auto h = handler ? std::make_shared<const std::function<void(const Error&)>>(std::move(handler))
                   : nullptr;
  std::lock_guard<std::mutex> lock(handlerMutex);
  uncaughtHandler.swap(h);
}

void detail::uncaughtError(const Error& err) {
  std::shared_ptr<const std::function<void(const Error&)>> h;
  {
    std::lock_guard<std::mutex> lock(handlerMutex);
    h = uncaughtHandler;
  }
  if (h) {
    (*h)(err);
    return;
  }
  std::fflush(stdout);
  std::fprintf(stderr, "evnode: unhandled 'error' event: %s%s%s\n", err.code.c_str(),
               err.message.empty() ? "" : ": ", err.message.c_str());
  std::fflush(stderr);
  _exit(1);
}

namespace {
using detail::ListenerBase;
using detail::ListenerList;
using Slot = ListenerList::Slot;

// A list of `size` slots with a reference held by the caller; the slots are left for the caller
// to fill (nothing that can throw comes between allocating and filling them).
ListenerList* allocList(std::uint32_t size) {
  void* p = detail::getSmall(sizeof(ListenerList) + size * sizeof(Slot));
  auto* l = static_cast<ListenerList*>(p);
  l->refs = detail::RefCount<std::uint32_t>(1);
  l->size = size;
  return l;
}

void freeList(ListenerList* l) {
  detail::putSmall(l, sizeof(ListenerList) + l->size * sizeof(Slot));
}

// Ids come from one counter per thread: unique within an emitter (checked: the counter may
// wrap), with no counter stored in every emitter.
thread_local ListenerId lastId = 0;

bool hasId(ListenerList* l, ListenerId id) {
  if (!l) return false;
  for (Slot* s = l->begin(); s != l->end(); ++s) {
    if (s->fn->id == id) return true;
  }
  return false;
}
}  // namespace

void* detail::ListenerBase::operator new(std::size_t n) { return getSmall(n); }
void detail::ListenerBase::operator delete(void* p, std::size_t n) noexcept { putSmall(p, n); }

void detail::ListenerList::destroy(ListenerList* list) {
  // Nobody else can reach this list any more (the emitter holds another one, or none).
  for (Slot* s = list->begin(); s != list->end(); ++s) s->fn->unref();
  freeList(list);
}

EventEmitter::~EventEmitter() {
  if (list_) ListenerList::release(list_);
}

ListenerId EventEmitter::insertSlot(const void* key, ListenerBase* fn, bool prepend) {
  ListenerList* old = list_;
  std::uint32_t n = old ? old->size : 0;
  ListenerList* l;
  try {
    l = allocList(n + 1);
  } catch (...) {
    delete fn;
    throw;
  }
  do {
    ++lastId;
  } while (lastId == 0 || hasId(old, lastId));
  fn->id = lastId;
  Slot* out = l->begin();
  if (prepend) *out++ = Slot{key, fn};
  if (old) {
    for (Slot* s = old->begin(); s != old->end(); ++s) *out++ = *s;
  }
  if (!prepend) *out = Slot{key, fn};
  list_ = l;
  if (old) {
    if (old->refs.unique()) {
      freeList(old);  // the references moved to the new list
    } else {
      // An emit still iterates the old list: both hold the listeners now.
      for (Slot* s = old->begin(); s != old->end(); ++s) s->fn->ref();
      ListenerList::release(old);
    }
  }
  return fn->id;
}

bool EventEmitter::removeSlot(const void* key, ListenerId id) {
  return removeWhere(key, [key, id](const Slot& s) { return s.key == key && s.fn->id == id; });
}

void EventEmitter::removeKey(const void* key) {
  removeWhere(key, [key](const Slot& s) { return s.key == key; });
}

template <class Match>
std::uint32_t EventEmitter::removeWhere(const void* key, Match match) {
  ListenerList* l = list_;
  if (!l) return 0;
  std::uint32_t n = 0;
  for (Slot* s = l->begin(); s != l->end(); ++s) n += match(*s);
  if (n == 0) return 0;
  // A fresh list without them (an emit may be iterating this one): it holds its own references.
  ListenerList* c = nullptr;
  if (n < l->size) {
    c = allocList(l->size - n);
    Slot* out = c->begin();
    for (Slot* s = l->begin(); s != l->end(); ++s) {
      if (match(*s)) continue;
      *out = *s;
      out->fn->ref();
      ++out;
    }
  }
  list_ = c;
  if (key) {
    listenerRemoved(key);
  } else {
    // Each event as off() one after the other would tell it (from the old list: ours until
    // released).
    for (Slot* s = l->begin(); s != l->end(); ++s) {
      if (match(*s)) listenerRemoved(s->key);
    }
  }
  ListenerList::release(l);  // last: a listener it frees may own this emitter
  return n;
}

std::size_t EventEmitter::removeListeners(std::initializer_list<ListenerId> ids) {
  return removeWhere(nullptr, [ids](const Slot& s) {
    return std::find(ids.begin(), ids.end(), s.fn->id) != ids.end();
  });
}

void EventEmitter::removeAllListeners() {
  ListenerList* l = list_;
  if (!l) return;
  list_ = nullptr;
  listenerRemoved(nullptr);
  ListenerList::release(l);
}

std::size_t EventEmitter::countKey(const void* key) const {
  if (!list_) return 0;
  std::size_t n = 0;
  for (Slot* s = list_->begin(); s != list_->end(); ++s) n += s->key == key;
  return n;
}

}  // namespace evnode
