#include "runtime/semaphore.hpp"

namespace runtime {

Semaphore::Acquire Semaphore::acquire() {
  return Acquire(*this);
}

std::size_t Semaphore::available() {
  std::lock_guard lock(mutex_);
  return permits_;
}

Waker Semaphore::release_locked() {
  if (waiters_.empty()) {
    ++permits_;
    return Waker();
  }
  return waiters_.notify_one();  // the permit now belongs to that waiter
}

void Semaphore::release() {
  Waker to_wake;
  {
    std::lock_guard lock(mutex_);
    to_wake = release_locked();
  }
  std::move(to_wake).wake();
}

Poll<Semaphore::Permit> Semaphore::Acquire::poll(Context& cx) {
  std::lock_guard lock(semaphore_->mutex_);
  // Free permits exist only while nobody waits (release hands them to waiters first), so
  // taking one here never jumps the queue.
  if (node_.notified || (!node_.linked && semaphore_->permits_ > 0)) {
    if (!node_.notified) --semaphore_->permits_;
    done_ = true;
    return Permit(*semaphore_);
  }
  node_.waker = cx.waker();
  if (!node_.linked) semaphore_->waiters_.push_back(node_);
  return Pending{};
}

Semaphore::Acquire::~Acquire() {
  if (!node_.ever_linked) return;  // never queued: nothing to undo (WaitNode::ever_linked)
  Waker to_wake;
  {
    std::lock_guard lock(semaphore_->mutex_);
    semaphore_->waiters_.remove(node_);
    // Handed a permit but cancelled before taking it: pass it on, or it is lost.
    if (node_.notified && !done_) to_wake = semaphore_->release_locked();
  }
  std::move(to_wake).wake();
}

}  // namespace runtime
