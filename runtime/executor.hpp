// Executor: runs tasks on one thread, polling only the ones that were woken.
//
// The book's executor pops a task, polls it, and if it is still pending pushes it straight
// back: every pending task is polled again and again, and the CPU never rests. This one
// polls a task only after its waker was woken, and when nothing is woken it parks the
// thread in its reactor until a socket is ready, a timer is due, or another thread hands
// it work. One iteration of the loop (drive_until()):
//
//   1. take everything now in the run queue, as one batch (a task that wakes itself
//      lands in the next batch, so it cannot starve the others);
//   2. poll each task in the batch once;
//   3. stop here if what the caller waits for is done (block_on's task, or every task);
//   4. if nothing was woken meanwhile: look at the reactor without blocking up to `spins`
//      times, yielding the CPU between looks, and go on at once if that finds work; else
//      announce parked, re-check the queue other threads push to, then block in the
//      reactor until I/O, the next timer, or an unpark. (If something was woken, just
//      look at the reactor without blocking.)
//   5. the reactor wakes the tasks whose fds are ready and whose timers are due: they
//      form the next batch.
//
// Policy::kBusyPoll reproduces the book's policy, so benchmarks can show what the waker
// saves: every pending spawned task is re-queued at once, whatever its waker says, and the
// thread parks only when no spawned task is left to poll, as the book's worker parks when
// its executor holds no task. block_on's own task stands for the book's loop around the
// executor, which is not a task there: it is polled when woken, like any task here.
//
// Why spin before parking: a thread that parks must be woken, by the kernel, when the next
// event comes, which costs far more than one look at the reactor, and under load the next
// event is usually that close. The spins are bounded, so a thread with nothing to do still
// parks soon and an idle server uses no CPU. Departs from the book: docs/BOOK.md, "The park
// flag cannot lose a wake-up".
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "runtime/detail/run_queue.hpp"
#include "runtime/detail/spawned_task.hpp"
#include "runtime/future.hpp"
#include "runtime/join_handle.hpp"
#include "runtime/reactor.hpp"

namespace runtime {

class Executor {
 public:
  enum class Policy { kWakeDriven, kBusyPoll };

  // Looks at the reactor before parking, by default (see above).
  static constexpr unsigned kDefaultSpins = 50;

  explicit Executor(Policy policy = Policy::kWakeDriven, unsigned spins = kDefaultSpins);
  // Cancels every task still alive: their frames are destroyed here, on this thread, which
  // closes their sockets and removes their timers.
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs `future` as a task of this executor. Callable from any thread, and from a task.
  template <Future F>
  JoinHandle<OutputOf<F>> spawn(F future) {
    return JoinHandle<OutputOf<F>>(start(std::move(future)));
  }

  // The synchronous entry point: runs this executor on the calling thread until `future`
  // completes, and returns its output (or rethrows what it threw).
  template <Future F>
  OutputOf<F> block_on(F future) {
    auto* task = start(std::move(future));
    JoinHandle<OutputOf<F>> handle(task);
    RootScope root(*this, task);  // forgotten however drive_until ends: the task may be freed
    drive_until([&] { return handle.is_finished(); });
    const Waker finished = Waker::noop();  // the task is done: nothing will need waking
    Context cx(finished);
    if constexpr (std::is_void_v<OutputOf<F>>) {
      (void)handle.poll(cx);
    } else {
      return std::move(handle.poll(cx)).value();
    }
  }

  // Runs until no task is left alive.
  void run();

  // The executor running on this thread (inside block_on or run), or null.
  static Executor* current();

  // Called on this executor's thread each time it is about to block in the reactor (Tokio's
  // on_thread_park): the server's workers log the book's "One is sleeping" there. The hook
  // must not wake a task of this executor: the queue was checked already, and the thread
  // would block with that task queued.
  void on_park(std::function<void()> hook) { on_park_ = std::move(hook); }

  Reactor& reactor() { return reactor_; }
  std::size_t tasks_alive() const { return alive_.load(std::memory_order_relaxed); }
  // Counters for tests and benchmarks, kept by the executor's own thread without atomics:
  // read them only while the executor is not running.
  std::uint64_t polls() const { return polls_; }  // tasks polled so far
  std::uint64_t parks() const { return parks_; }  // times the thread blocked in the reactor
  Parker& parker() { return queue_->parker(); }

 private:
  // block_on's task, for kBusyPoll to leave alone, for as long as block_on runs.
  class RootScope {
   public:
    RootScope(Executor& executor, detail::TaskHeader* task) : executor_(executor) {
      executor_.root_ = task;
    }
    ~RootScope() { executor_.root_ = nullptr; }

   private:
    Executor& executor_;
  };

  // Makes this executor, its run queue and its reactor the current ones of this thread.
  class Scope {
   public:
    explicit Scope(Executor& executor);
    ~Scope();

   private:
    Executor* previous_;
    detail::RunQueue::OwnerScope queue_scope_;
    Reactor::Scope reactor_scope_;
  };

  // The loop behind block_on and run. Not re-entrant: a task that waits for something
  // co_awaits it; driving the executor from inside one of its tasks would poll the batch
  // being polled.
  template <class Done>
  void drive_until(Done done) {
    assert(!current() && "block_on/run inside a task: co_await the future instead");
    Scope scope(*this);
    for (;;) {
      poll_ready();        // 1. and 2.
      if (done()) return;  // 3.
      wait_for_work();     // 4. and 5.
    }
  }
  template <Future F>
  detail::SpawnedTask<F>* start(F future) {
    auto* task = new detail::SpawnedTask<F>(std::move(future), queue_);
    link(task);
    task->schedule();
    return task;
  }
  void poll_ready();
  void wait_for_work();
  void poll_task(detail::TaskHeader* task);
  bool spin();
  void park();
  void link(detail::TaskHeader* task);
  void unlink(detail::TaskHeader* task);
  void cancel_all();

  Policy policy_;
  unsigned spins_;
  std::shared_ptr<detail::RunQueue> queue_;
  Reactor reactor_;

  // Every task not yet finished, so the destructor can cancel them. Spawn may run on any
  // thread, so the list has a lock; it is touched only at spawn and at finish.
  std::mutex live_mutex_;
  detail::TaskHeader* live_head_ = nullptr;
  std::atomic<std::size_t> alive_{0};

  std::vector<detail::TaskHeader*> batch_;
  detail::TaskHeader* root_ = nullptr;  // block_on's task, which kBusyPoll does not re-queue
  std::function<void()> on_park_;
  std::uint64_t polls_ = 0;
  std::uint64_t parks_ = 0;
};

// Spawns onto the executor running this thread: how a task starts another task.
template <Future F>
JoinHandle<OutputOf<F>> spawn(F future) {
  Executor* executor = Executor::current();
  assert(executor && "runtime::spawn outside an executor: use Executor::spawn");
  return executor->spawn(std::move(future));
}

}  // namespace runtime
