// Semaphore: an async counting semaphore. acquire() waits (without blocking the thread)
// until a permit is free; the Permit gives it back when destroyed. Waiters are served in
// arrival order: a released permit goes straight to the first waiter, so a stream of new
// arrivals cannot starve an old one. Thread-safe: a permit may be released on any thread.
//
// The server uses one for --max-connections: the accept loop takes a permit before it
// accepts, and the connection's handler, on a worker thread, releases it when done.
#pragma once

#include <cstddef>
#include <mutex>
#include <utility>

#include "runtime/detail/wait_list.hpp"
#include "runtime/future.hpp"

namespace runtime {

class Semaphore {
 public:
  class Acquire;
  class Permit;

  explicit Semaphore(std::size_t permits) : permits_(permits) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  Acquire acquire();
  void release();
  std::size_t available();

 private:
  friend class Acquire;
  // Under mutex_: hands one permit to the first waiter (returning its waker to wake once the
  // lock is released), or back to the pool if nobody waits.
  Waker release_locked();

  std::mutex mutex_;
  std::size_t permits_;
  detail::WaitList waiters_;
};

class Semaphore::Permit {
 public:
  Permit() = default;
  explicit Permit(Semaphore& semaphore) : semaphore_(&semaphore) {}
  Permit(Permit&& other) noexcept : semaphore_(std::exchange(other.semaphore_, nullptr)) {}
  Permit& operator=(Permit&& other) noexcept {
    if (this != &other) {
      reset();
      semaphore_ = std::exchange(other.semaphore_, nullptr);
    }
    return *this;
  }
  ~Permit() { reset(); }
  void reset() {
    if (semaphore_) std::exchange(semaphore_, nullptr)->release();
  }

 private:
  Semaphore* semaphore_ = nullptr;
};

class Semaphore::Acquire {
 public:
  using Output = Permit;

  explicit Acquire(Semaphore& semaphore) : semaphore_(&semaphore) {}
  Acquire(Acquire&& other) noexcept : semaphore_(other.semaphore_) {}  // only before a poll
  ~Acquire();
  Poll<Permit> poll(Context& cx);

 private:
  Semaphore* semaphore_;
  detail::WaitNode node_;  // node_.notified: a releaser handed us a permit
  bool done_ = false;      // the permit went out in a Permit
};

}  // namespace runtime
