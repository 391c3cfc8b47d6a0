// Shutdown: one worker's side of a graceful stop, in one small type (the shape of
// mini-redis's Shutdown: a stop signal, plus a way to know when every task has finished).
//
//   stopping    set once the worker takes no more connections: a stream handler waiting
//               for its next request wakes and closes at that request boundary
//   in flight   how many handlers are alive; each holds a Guard, which leaves when the
//               handler's frame is destroyed, whether it finished or was cancelled
//   grace       how long drained() waits for them
//   cut short   the second signal: drained() stops waiting at once
//
// The count and its waiter belong to the worker's thread (no lock). The two flags are
// runtime Events, so cut_short() may come from the dispatcher's thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <utility>

#include "runtime/event.hpp"
#include "runtime/future.hpp"
#include "runtime/task.hpp"
#include "runtime/waker.hpp"

namespace server {

class Shutdown {
 public:
  // Held by one handler for its whole life.
  class Guard {
   public:
    Guard(Guard&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Guard& operator=(Guard&&) = delete;
    ~Guard() {
      if (owner_) owner_->leave();
    }

   private:
    friend class Shutdown;
    explicit Guard(Shutdown& owner) : owner_(&owner) {}
    Shutdown* owner_;
  };

  explicit Shutdown(std::chrono::milliseconds grace) : grace_(grace) {}

  Guard enter() {
    ++in_flight_;
    return Guard(*this);
  }
  std::size_t in_flight() const { return in_flight_; }

  void begin() { stopping_.set(); }
  bool is_stopping() const { return stopping_.is_set(); }
  runtime::Event::Wait stopping() { return stopping_.wait(); }

  void cut_short() { cut_.set(); }  // any thread

  // Ready once every handler has finished, the grace period is over, or it was cut short.
  runtime::Task<void> drained();

 private:
  class AllDone;

  void leave() {
    if (--in_flight_ == 0) std::exchange(all_done_waiter_, {}).wake_by_ref();
  }

  std::chrono::milliseconds grace_;
  runtime::Event stopping_;
  runtime::Event cut_;
  std::size_t in_flight_ = 0;
  runtime::Waker all_done_waiter_;  // the worker's task, while drained() waits for the count
};

}  // namespace server
