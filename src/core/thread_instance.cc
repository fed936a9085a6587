// The registry of per-thread objects (see thread_instance.h).
#include "core/thread_instance.h"

namespace evnode::detail {

namespace {
thread_local ThreadInstanceNode* newest = nullptr;  // trivially destructible

// Destroys what is left at thread exit. Made before the thread's Loop is (see
// threadInstancesOutliveTheLoop), so it dies after the Loop, whose teardown has emptied the
// list already unless instances were made after it.
struct AtThreadExit {
  ~AtThreadExit() { destroyThreadInstances(); }
};
void atThreadExit() { thread_local AtThreadExit atExit; }
}  // namespace

void threadInstancesOutliveTheLoop() { atThreadExit(); }

void registerThreadInstance(ThreadInstanceNode* n) {
  atThreadExit();
  n->next = newest;
  newest = n;
}

void destroyThreadInstances() {
  // One at a time from the head: a destructor may make (or look up) another instance.
  while (ThreadInstanceNode* n = newest) {
    newest = n->next;
    n->destroy(n);
  }
}

}  // namespace evnode::detail
