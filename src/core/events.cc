// EventEmitter's out-of-line parts: the copy-on-write listener list and the uncaught-error rule.
#include "evnode/events.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

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

// Listener and list blocks. Every connection's listeners come and go with it, and an idle one
// keeps a few (a WebSocket's `message` and `close`, their list): in malloc chunks those cost 8
// bytes of header each and round up to 16 (a 24-byte listener took 32 bytes, a 40-byte list
// 48; issue 20). They are carved from slabs instead, one run of 4 KiB slabs per size (a
// multiple of 8 up to detail::kSmallMax), so a block takes its size exactly and is aligned as
// its type needs (a size that is a multiple of 16 gives 16-aligned blocks). A freed block
// waits in its size's free list for the next one; blocks never go back to malloc (the memory
// stays what the most listeners alive at once took). A thread's free blocks go to a shared
// pool when its loop is torn down, and a thread that needs a new slab takes the pool's first,
// so threads that come and go do not grow it.
// The sanitizer tree runs the same slabs, checked (block_cache.h's rules): a block is followed
// by a poisoned redzone, so ASan reports an overflow out of it; a free block waits poisoned, so
// it reports a use after free; a block handed out is scribbled over, so stale state shows.
// (What it cannot do here is report a lost block: its slab stays reachable.)
class SlabPool {
 public:
  static constexpr std::size_t kClasses = detail::kSmallMax / 8 + 1;

  void* take(std::size_t size, bool mayAdopt) {
    const std::size_t c = size / 8;
    if (FreeBlock* b = free_[c]) {
      free_[c] = nextOf(b);
      detail::countRecycled(true);
      return detail::unpoisonRecycled(b, size);
    }
    Run& r = runs_[c];
    const std::size_t step = size + kRedzone;
    if (r.left < step) {
      if (mayAdopt && adoptOrphans() && free_[c]) return take(size, false);
      if (slabs_.size() == slabs_.capacity()) {  // (a throw here leaves nothing half made)
        slabs_.reserve(std::max<std::size_t>(16, 2 * slabs_.size()));
      }
      r.next = static_cast<char*>(::operator new(kSlab));
      slabs_.push_back(r.next);
      r.left = kSlab - kSlab % step;
      detail::poisonRecycled(r.next, r.left);  // uncut: nothing may touch it
    }
    void* p = r.next;
    r.next += step;
    r.left -= step;
    detail::countRecycled(false);
    return detail::unpoisonRecycled(p, size);  // (its redzone stays poisoned)
  }
  void give(void* p, std::size_t size) {
    const std::size_t c = size / 8;
    free_[c] = new (p) FreeBlock{free_[c]};
    detail::poisonRecycled(p, size);
  }
  // Moves every free block of `from` here, and its slabs (the rest of their runs is dropped).
  void adopt(SlabPool& from) {
    slabs_.insert(slabs_.end(), from.slabs_.begin(), from.slabs_.end());
    from.slabs_.clear();
    for (std::size_t c = 0; c < kClasses; ++c) {
      while (FreeBlock* b = from.free_[c]) {
        from.free_[c] = nextOf(b);
        setNext(b, free_[c]);
        free_[c] = b;
      }
    }
  }
  // Takes the shared pool's free blocks; whether there were any.
  static bool adoptOrphans();

 private:
  static constexpr std::size_t kSlab = 4096;
#ifdef EVNODE_ASAN
  static constexpr std::size_t kRedzone = 16;  // (keeps a 16-byte size's blocks 16-aligned)
#else
  static constexpr std::size_t kRedzone = 0;
#endif
  struct FreeBlock {
    FreeBlock* next;
  };
  // A free block's link, read and written through its poison (sanitizer builds).
  static FreeBlock* nextOf(FreeBlock* b) {
    detail::unpoisonObject(b, sizeof(FreeBlock));
    FreeBlock* next = b->next;
    detail::poisonRecycled(b, sizeof(FreeBlock));
    return next;
  }
  static void setNext(FreeBlock* b, FreeBlock* next) {
    detail::unpoisonObject(b, sizeof(FreeBlock));
    b->next = next;
    detail::poisonRecycled(b, sizeof(FreeBlock));
  }
  struct Run {
    char* next = nullptr;
    std::size_t left = 0;
  };
  FreeBlock* free_[kClasses] = {};
  Run runs_[kClasses] = {};
  // Every slab cut, by its start: they are never freed, and LeakSanitizer sees them reachable
  // (a slab whose blocks are all free is otherwise pointed to only from within).
  std::vector<void*> slabs_;
};

// The blocks of threads whose loops were torn down, and blocks freed after that.
std::mutex orphansMutex;
// Made on first use (a thread may go while static initializers still run: a program that
// exits from one) and never destroyed: blocks may be freed into it during exit, and it keeps
// every slab of threads that are gone reachable until the very end (LeakSanitizer checks after
// static destructors).
SlabPool& orphans() {
  static SlabPool* pool = new SlabPool;
  return *pool;
}
bool haveOrphans = false;  // (under the mutex)

// The calling thread's pool (threadInstance: it goes with the thread's loop).
struct ThreadSlabPool : SlabPool {
  ~ThreadSlabPool() {
    std::lock_guard<std::mutex> lock(orphansMutex);
    orphans().adopt(*this);
    haveOrphans = true;
  }
};

bool SlabPool::adoptOrphans() {
  SlabPool* mine = detail::threadInstance<ThreadSlabPool>();
  std::lock_guard<std::mutex> lock(orphansMutex);
  if (!haveOrphans || !mine) return false;
  mine->adopt(orphans());
  haveOrphans = false;
  return true;
}

void* getBlock(std::size_t n) {
  if (n > detail::kSmallMax) return ::operator new(n);
  const std::size_t size = std::max<std::size_t>((n + 7) & ~std::size_t{7}, sizeof(void*));
  if (SlabPool* p = detail::threadInstance<ThreadSlabPool>()) return p->take(size, true);
  std::lock_guard<std::mutex> lock(orphansMutex);
  return orphans().take(size, false);
}

void putBlock(void* b, std::size_t n) noexcept {
  if (n > detail::kSmallMax) return ::operator delete(b);
  const std::size_t size = std::max<std::size_t>((n + 7) & ~std::size_t{7}, sizeof(void*));
  if (SlabPool* p = detail::threadInstance<ThreadSlabPool>()) return p->give(b, size);
  std::lock_guard<std::mutex> lock(orphansMutex);
  orphans().give(b, size);
  haveOrphans = true;
}

// A list of `size` slots with a reference held by the caller; the slots are left for the caller
// to fill (nothing that can throw comes between allocating and filling them).
ListenerList* allocList(std::uint32_t size) {
  void* p = getBlock(sizeof(ListenerList) + size * sizeof(Slot));
  auto* l = static_cast<ListenerList*>(p);
  l->refs = detail::RefCount<std::uint32_t>(1);
  l->size = size;
  return l;
}

void freeList(ListenerList* l) { putBlock(l, sizeof(ListenerList) + l->size * sizeof(Slot)); }

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

void* detail::ListenerBase::operator new(std::size_t n) { return getBlock(n); }
void detail::ListenerBase::operator delete(void* p, std::size_t n) noexcept { putBlock(p, n); }

void detail::ListenerList::destroy(ListenerList* list) {
  // Nobody else can reach this list any more (the emitter holds another one, or none).
  for (Slot* s = list->begin(); s != list->end(); ++s) s->fn->unref();
  freeList(list);
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
