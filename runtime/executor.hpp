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
// Policy::kBusyPoll reproduces the book's policy (every pending task is re-queued at once
// and the thread never parks), so benchmarks can show what the waker saves.
//
// Why spin before parking: a thread that parks must be woken, by the kernel, when the next
// event comes, and on the 2-core VM the benchmarks run on that has cost from 1 to 40 µs
// (the VM's day decides), against about a microsecond for a look at the reactor. Under load the
// next event is usually that close. The spins are bounded, so a thread with nothing to do still
// parks within about 100 µs and an idle server uses no CPU (docs/RUNTIME.md, docs/BENCHMARKS.md).
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
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
    auto* task = new detail::SpawnedTask<F>(std::move(future), queue_);
    link(task);
    task->schedule();
    return JoinHandle<OutputOf<F>>(task);
  }

  // The synchronous entry point: runs this executor on the calling thread until `future`
  // completes, and returns its output (or rethrows what it threw).
  template <Future F>
  OutputOf<F> block_on(F future) {
    auto handle = spawn(std::move(future));
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

  Reactor& reactor() { return reactor_; }
  std::size_t tasks_alive() const { return alive_.load(std::memory_order_relaxed); }
  // Counters for tests and benchmarks, kept by the executor's own thread without atomics:
  // read them only while the executor is not running.
  std::uint64_t polls() const { return polls_; }  // tasks polled so far
  std::uint64_t parks() const { return parks_; }  // times the thread blocked in the reactor
  Parker& parker() { return queue_->parker(); }

 private:
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
