// Internal: a per-thread object that may be asked for while the thread exits.
#pragma once

namespace evnode::detail {

// The calling thread's T, made on first use; null once the thread's thread_local objects are
// being destroyed (streams and messages may still be freed while the loop is torn down, and
// must then find nothing rather than a destroyed object).
template <class T>
T* threadInstance() {
  thread_local T* current = nullptr;  // trivially destructible: readable at any time
  thread_local bool gone = false;
  if (current || gone) return current;
  struct Owner {
    T value;
    Owner() { current = &value; }
    ~Owner() {
      current = nullptr;
      gone = true;
    }
  };
  thread_local Owner owner;
  return current;
}

}  // namespace evnode::detail
