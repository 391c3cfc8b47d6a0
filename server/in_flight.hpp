// InFlight: counts the connections a worker is serving, so that shutdown can wait for
// them (the second half of mini-redis's Shutdown: knowing when every task has finished).
//
// The worker takes a Guard for each handler it spawns; the guard lives in the handler's
// coroutine frame and leaves when the frame is destroyed, whether the handler finished or
// was cancelled. all_done() is a future that is ready once the count is zero. Everything
// here runs on the worker's own thread, so a plain counter and one waker suffice.
#pragma once

#include <cstddef>
#include <utility>

#include "runtime/future.hpp"
#include "runtime/waker.hpp"

namespace server {

class InFlight {
 public:
  class Guard {
   public:
    Guard(Guard&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Guard& operator=(Guard&&) = delete;
    ~Guard() {
      if (owner_) owner_->leave();
    }

   private:
    friend class InFlight;
    explicit Guard(InFlight& owner) : owner_(&owner) {}
    InFlight* owner_;
  };

  class AllDone {
   public:
    using Output = void;
    explicit AllDone(InFlight& owner) : owner_(&owner) {}
    runtime::Poll<void> poll(runtime::Context& cx) {
      if (owner_->count_ == 0) return runtime::Ready{};
      owner_->waiter_ = cx.waker();  // leave() wakes it when the last guard goes
      return runtime::Pending{};
    }

   private:
    InFlight* owner_;
  };

  Guard enter() {
    ++count_;
    return Guard(*this);
  }
  AllDone all_done() { return AllDone(*this); }
  std::size_t count() const { return count_; }

 private:
  void leave() {
    if (--count_ == 0) std::exchange(waiter_, {}).wake_by_ref();
  }

  std::size_t count_ = 0;
  runtime::Waker waiter_;  // the worker's task, while it waits in all_done()
};

}  // namespace server
