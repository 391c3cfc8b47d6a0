#include "runtime/executor.hpp"

#include <thread>

namespace runtime {
namespace {
thread_local Executor* t_current = nullptr;
}  // namespace

Executor::Scope::Scope(Executor& executor)
    : previous_(t_current), queue_scope_(*executor.queue_), reactor_scope_(executor.reactor_) {
  t_current = &executor;
}
Executor::Scope::~Scope() {
  t_current = previous_;
}

Executor* Executor::current() {
  return t_current;
}

Executor::Executor(Policy policy, unsigned spins)
    : policy_(policy),
      spins_(spins),
      queue_(std::make_shared<detail::RunQueue>()),
      reactor_(queue_->parker()) {}

Executor::~Executor() {
  Scope scope(*this);
  cancel_all();
}

void Executor::run() {
  drive_until([this] { return tasks_alive() == 0; });
}

void Executor::poll_ready() {
  queue_->take_all(batch_);
  for (detail::TaskHeader* task : batch_)
    poll_task(task);
  batch_.clear();
}

void Executor::wait_for_work() {
  if (queue_->has_local()) {
    reactor_.turn(Reactor::Wait::kNo);  // more work is ready: just collect I/O and timers
  } else if (!spin()) {
    park();
  }
}

// Up to spins_ looks at the reactor, giving the CPU to any other runnable thread between
// them: true as soon as one finds work (woken here, or pushed by another thread), which
// then costs no park and no wake-up.
bool Executor::spin() {
  for (unsigned look = 0; look < spins_; ++look) {
    reactor_.turn(Reactor::Wait::kNo);
    if (queue_->has_local() || queue_->has_remote()) return true;
    std::this_thread::yield();
  }
  return false;
}

void Executor::poll_task(detail::TaskHeader* task) {
  if (!task->finished()) {
    ++polls_;
    if (task->run()) {
      unlink(task);
    } else if (policy_ == Policy::kBusyPoll && task != root_) {
      task->schedule();  // the book: pending means "poll me again", whatever the waker says
    }
  }
  task->unref();  // the run queue's reference
}

void Executor::park() {
  Parker& parker = queue_->parker();
  parker.announce_park();
  if (queue_->has_remote()) {
    // A push raced the announcement: do not block, the batch is waiting.
    parker.finish_park();
    reactor_.turn(Reactor::Wait::kNo);
    return;
  }
  ++parks_;
  if (on_park_) on_park_();
  reactor_.turn(Reactor::Wait::kUntilNextTimer);
  parker.finish_park();
}

void Executor::link(detail::TaskHeader* task) {
  std::lock_guard lock(live_mutex_);
  task->next_live = live_head_;
  if (live_head_) live_head_->prev_live = task;
  live_head_ = task;
  alive_.fetch_add(1, std::memory_order_relaxed);
}

void Executor::unlink(detail::TaskHeader* task) {
  {
    std::lock_guard lock(live_mutex_);
    if (task->prev_live) task->prev_live->next_live = task->next_live;
    if (task->next_live) task->next_live->prev_live = task->prev_live;
    if (live_head_ == task) live_head_ = task->next_live;
    task->prev_live = task->next_live = nullptr;
  }
  alive_.fetch_sub(1, std::memory_order_relaxed);
  task->unref();  // the executor's reference
}

void Executor::cancel_all() {
  // Closed first, so that wakes from the frames being destroyed queue nothing new.
  std::vector<detail::TaskHeader*> queued;
  queue_->close(queued);
  for (detail::TaskHeader* task : queued)
    task->unref();
  for (;;) {
    detail::TaskHeader* task;
    {
      std::lock_guard lock(live_mutex_);
      task = live_head_;
    }
    if (!task) break;
    task->cancel();  // may finish or wake other tasks: re-read the head each time
    unlink(task);
  }
}

}  // namespace runtime
