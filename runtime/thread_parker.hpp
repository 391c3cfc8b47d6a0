// ThreadParker: blocks a plain thread (one not running an executor) until a waker wakes
// it. JoinHandle::get() uses it to wait for a task from synchronous code, the way the
// book's main thread waits on a channel's recv().
#pragma once

#include "runtime/waker.hpp"

namespace runtime {

class ThreadParker {
 public:
  ThreadParker();
  ~ThreadParker();
  ThreadParker(const ThreadParker&) = delete;
  ThreadParker& operator=(const ThreadParker&) = delete;

  // Wakes this parker; may be cloned, stored, woken from any thread, and outlive it.
  Waker waker() const;
  // Returns once the waker has been woken since the last park (at once if it already was).
  void park();

  struct State;  // defined in the .cpp, where the waker's vtable needs it

 private:
  State* state_;  // reference-counted: wakers may outlive the parker
};

}  // namespace runtime
