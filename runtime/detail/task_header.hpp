// TaskHeader: the part of a spawned task that the executor, its wakers and its JoinHandle
// share, whatever future the task runs (spawned_task.hpp adds the future and its output).
//
// A task's waker is a RawWaker whose data pointer is the header and whose vtable adjusts
// the reference count (clone, drop) or schedules the task (wake, wake_by_ref). Scheduling
// sets `scheduled_` and pushes the task onto its executor's run queue only if the flag was
// not already set, so a task woken a thousand times before it runs is polled once.
//
// References are counted, one each for: the executor (until the task finishes), the
// JoinHandle (until dropped), the run queue (while queued), and every Waker clone. The
// header outlives the future, so a waker woken after the task finished finds the
// `finished_` flag and does nothing; the run queue it points at is kept alive by the
// shared_ptr, so waking after the executor is gone is harmless too.
//
// Abort (JoinHandle::abort, from any thread) only raises `abort_requested_` and schedules
// the task: the next poll, on the executor's own thread, destroys the future instead of
// polling it. So the frame is destroyed at a suspension point, on the thread whose reactor
// holds its timers and sockets, never while another thread is inside it.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>

#include "runtime/detail/run_queue.hpp"
#include "runtime/detail/spin_lock.hpp"
#include "runtime/waker.hpp"

namespace runtime::detail {

class TaskHeader;

struct TaskVTable {
  bool (*poll)(TaskHeader* task);     // polls the future once; true when the task finished
  void (*cancel)(TaskHeader* task);   // destroys the future before it finished
  void (*destroy)(TaskHeader* task);  // frees the allocation: the last reference is gone
};

class TaskHeader {
 public:
  TaskHeader(const TaskVTable* vtable, std::shared_ptr<RunQueue> queue)
      : vtable_(vtable), queue_(std::move(queue)) {}
  TaskHeader(const TaskHeader&) = delete;
  TaskHeader& operator=(const TaskHeader&) = delete;

  void ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) vtable_->destroy(this);
  }

  // The waker's wake_by_ref: queue the task unless it is queued already or finished.
  void schedule();
  // Any thread: the next poll destroys the future rather than polling it. A task that
  // finishes first keeps its output, and one already finished is left as it ended (so a
  // task its executor cancelled stays cancelled). Idempotent.
  void request_abort() {
    if (finished()) return;
    abort_requested_.store(true, std::memory_order_release);
    schedule();
  }
  bool abort_requested() const { return abort_requested_.load(std::memory_order_acquire); }
  // A raw waker borrowing no reference (for WakerRef); waker() counts one.
  RawWaker raw_waker() { return RawWaker{this, &kWakerVTable}; }

  // Executor thread: clear `scheduled_` (so wakes during the poll queue it again), then poll.
  bool run() {
    scheduled_.exchange(false, std::memory_order_acq_rel);
    return vtable_->poll(this);
  }
  void cancel() { vtable_->cancel(this); }
  bool finished() const { return finished_.load(std::memory_order_acquire); }

  // JoinHandle side. `joiner` is woken when the task finishes.
  bool try_join(const Waker& joiner);
  void release_handle();  // the handle is dropped: the output has nobody to go to

  // The executor's list of live tasks (executor.cpp), for cancelling them at shutdown.
  TaskHeader* prev_live = nullptr;
  TaskHeader* next_live = nullptr;

 protected:
  ~TaskHeader() = default;  // destroyed only through vtable_->destroy

  // Called by the typed task when its future is gone: wakes the joiner, if any. A task
  // whose exception nobody can receive reports it on stderr rather than lose it.
  void finish(std::exception_ptr error);

 private:
  static const RawWakerVTable kWakerVTable;

  const TaskVTable* vtable_;
  std::shared_ptr<RunQueue> queue_;
  Waker joiner_;                        // guarded by join_lock_
  std::atomic<std::uint32_t> refs_{2};  // the executor's and the JoinHandle's
  std::atomic<bool> scheduled_{false};
  std::atomic<bool> finished_{false};
  std::atomic<bool> abort_requested_{false};
  bool handle_alive_ = true;  // guarded by join_lock_

 protected:
  // Declared last so that the lock packs beside the flags above, in no word of its own.
  SpinLock join_lock_;        // guards the output (in the typed part), joiner_, handle_alive_
  std::exception_ptr error_;  // what the future threw, for the JoinHandle to rethrow
};

}  // namespace runtime::detail
