// Internal: per-thread objects (caches, scratch buffers) that live as long as the thread's Loop.
//
// Plain `thread_local` objects die at thread exit in reverse order of construction, so a cache
// made after the thread's Loop would be destroyed before it, and the Loop's teardown (closing
// the sockets, servers and timers still open) would then free into a destroyed cache. Every
// per-thread object of the library is made with threadInstance() instead: the Loop destroys
// them at the end of its own teardown, in reverse order of construction; on a thread that never
// made a Loop, they go at thread exit.
#pragma once

namespace evnode::detail {

struct ThreadInstanceNode {
  ThreadInstanceNode* next = nullptr;
  void (*destroy)(ThreadInstanceNode*) = nullptr;
};
// Records `n` for destruction (thread_instance.cc).
void registerThreadInstance(ThreadInstanceNode* n);
// Called first thing by the Loop's constructor: what destroys the instances left at thread exit
// must be made before the Loop (thread_local objects die in reverse order of construction).
void threadInstancesOutliveTheLoop();
// Destroys the calling thread's instances, newest first (also those made meanwhile). Called by
// the Loop at the end of its teardown, and at thread exit.
void destroyThreadInstances();

// The calling thread's T, made on first use; null once it was destroyed (objects freed after
// the teardown, by a user's thread_local say, then find nothing rather than a dead object).
template <class T>
T* threadInstance() {
  thread_local T* current = nullptr;  // trivially destructible: readable at any time
  thread_local bool gone = false;
  if (current || gone) [[likely]] {
    return current;
  }
  struct Node : ThreadInstanceNode {
    T value;
  };
  auto* n = new Node();
  n->destroy = [](ThreadInstanceNode* base) {
    current = nullptr;
    gone = true;
    delete static_cast<Node*>(base);
  };
  current = &n->value;
  registerThreadInstance(n);
  return current;
}

}  // namespace evnode::detail
