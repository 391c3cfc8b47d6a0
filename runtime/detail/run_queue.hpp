// RunQueue: the tasks of one executor that were woken and wait to be polled.
//
// Wakes come from two places. Most come from the executor's own thread (the reactor firing,
// one task waking another); they go to `local_` with no lock and no unpark, because that
// thread is awake by definition. The rest come from other threads (the dispatcher handing
// over a connection, a JoinHandle completing); they go to `remote_` under a mutex and
// unpark the owner (parker.hpp). The owner takes both as one batch per loop iteration.
#pragma once

#include <mutex>
#include <vector>

#include "runtime/parker.hpp"

namespace runtime::detail {

class TaskHeader;

class RunQueue {
 public:
  // Any thread. False once the queue is closed (its executor is being destroyed): the caller
  // keeps the reference it meant to hand over.
  bool push(TaskHeader* task);

  // Owner thread: appends everything queued now to `batch`, local wakes first.
  void take_all(std::vector<TaskHeader*>& batch);
  bool has_local() const { return !local_.empty(); }
  bool has_remote();

  // Owner thread: refuse every later push, and hand back what was still queued.
  void close(std::vector<TaskHeader*>& leftovers);

  Parker& parker() { return parker_; }

  // Marks the calling thread as the owner for as long as the scope lives (Executor::Scope).
  class OwnerScope {
   public:
    explicit OwnerScope(RunQueue& queue);
    ~OwnerScope();
    OwnerScope(const OwnerScope&) = delete;
    OwnerScope& operator=(const OwnerScope&) = delete;

   private:
    RunQueue* previous_;
  };

 private:
  bool on_owner_thread() const;

  std::vector<TaskHeader*> local_;  // owner thread only
  bool local_closed_ = false;       // owner thread only
  std::mutex mutex_;
  std::vector<TaskHeader*> remote_;  // guarded by mutex_
  bool closed_ = false;              // guarded by mutex_
  Parker parker_;
};

}  // namespace runtime::detail
