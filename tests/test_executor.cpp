// Executor, JoinHandle and the task waker (executor.hpp, join_handle.hpp,
// detail/task_header.hpp). The tasks wait on hand-made futures (test::Signal and the ones
// below) that the test opens itself, so every poll the executor makes can be counted.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "runtime/yield_now.hpp"
#include "tests/test_harness.hpp"
#include "tests/test_tasks.hpp"
#include "tests/watchdog.hpp"

using runtime::Context;
using runtime::Executor;
using runtime::JoinHandle;
using runtime::Pending;
using runtime::Poll;
using runtime::Task;
using runtime::TaskCancelled;
using test::Signal;
using test::wait_then_return;
using test::yield_then_return;

namespace {

// Pending for ever (with a stored waker, as the contract asks); its destructor says so.
struct DropFlag {
  using Output = void;
  explicit DropFlag(std::atomic<bool>* dropped) : dropped(dropped) {}
  DropFlag(DropFlag&& other) noexcept
      : dropped(std::exchange(other.dropped, nullptr)), waker(std::move(other.waker)) {}
  ~DropFlag() {
    if (dropped) dropped->store(true);
  }
  Poll<void> poll(Context& cx) {
    waker = cx.waker();
    return Pending{};
  }
  std::atomic<bool>* dropped;
  runtime::Waker waker;
};

Task<int> never_finishes(std::atomic<bool>* dropped) {
  co_await DropFlag(dropped);
  co_return 0;
}

TEST_CASE("executor: block_on returns the output, or rethrows what the task threw") {
  Executor executor;
  CHECK(executor.block_on(yield_then_return(3, 7)) == 7);
  auto throws = []() -> Task<int> {
    co_await runtime::yield_now();
    throw std::runtime_error("boom");
  };
  CHECK_THROWS_WITH_AS(executor.block_on(throws()), "boom", std::runtime_error);
  executor.block_on(runtime::yield_now());  // void output
  CHECK(executor.tasks_alive() == 0);
}

TEST_CASE("executor: JoinHandle::get() waits for a task running on another thread") {
  Executor executor;
  Signal signal;
  JoinHandle<int> handle = executor.spawn(wait_then_return(signal, 42));
  test::JoinedThread worker("the executor", [&] { executor.run(); });
  test::JoinedThread opener("the opener", [&] { signal.notify(); });
  // Blocks in a ThreadParker until the task finishes.
  CHECK(test::bounded("get() to return", [&] { return handle.get(); }) == 42);
  opener.join();
  worker.join();
  CHECK(handle.is_finished());
}

Task<int> sum_of_children(int children) {
  std::vector<JoinHandle<int>> handles;
  for (int i = 1; i <= children; ++i)
    handles.push_back(runtime::spawn(yield_then_return(i, i)));
  runtime::spawn(yield_then_return(5, 0));  // detached: the handle is dropped at once
  int sum = 0;
  for (JoinHandle<int>& handle : handles)
    sum += co_await handle;  // a JoinHandle is a future: await it from another task
  co_return sum;
}

TEST_CASE("executor: a task spawns more tasks on its own executor and awaits them") {
  Executor executor;
  CHECK(executor.block_on(sum_of_children(10)) == 55);
  executor.run();  // the detached child may still be yielding: run() waits for every task
  CHECK(executor.tasks_alive() == 0);
}

// Registers as the handle's joiner first, then lets the task on the other executor finish:
// so that task cannot complete before someone waits, and the wake must cross threads.
// Not an aggregate on purpose: GCC 12 destroys a braced aggregate temporary twice when it
// is the operand of co_await (`co_await Agg{std::move(handle)}`), which would release the
// JoinHandle twice. A constructor sidesteps that compiler bug.
struct JoinThenOpen {
  using Output = int;
  JoinThenOpen(JoinHandle<int> handle, Signal gate)
      : handle(std::move(handle)), gate(std::move(gate)) {}
  Poll<int> poll(Context& cx) {
    auto result = handle.poll(cx);
    if (!opened) {
      opened = true;
      gate.notify();
    }
    return result;
  }
  JoinHandle<int> handle;
  Signal gate;
  bool opened = false;
};

Task<int> await_other_executor(JoinHandle<int> handle, Signal gate) {
  co_return co_await JoinThenOpen(std::move(handle), gate) + 1;
}

TEST_CASE("executor: a JoinHandle is awaited from a task on another executor and thread") {
  Executor a;
  Signal gate;
  JoinHandle<int> handle = a.spawn(wait_then_return(gate, 41));
  test::JoinedThread thread_a("executor a", [&](std::stop_token leave) {
    std::stop_callback open_gate(leave, [&] { gate.notify(); });  // if the test leaves early
    a.run();
  });
  Executor b;
  CHECK(test::bounded("the wake from the other executor's thread", [&] {
          return b.block_on(await_other_executor(std::move(handle), gate));
        }) == 42);
  thread_a.join();
}

TEST_CASE("executor: only woken tasks are polled") {
  Executor executor;
  std::vector<Signal> signals(100);
  std::vector<JoinHandle<void>> handles;
  for (const Signal& signal : signals)
    handles.push_back(executor.spawn(signal.wait()));
  // block_on(yield_now()) runs one round: the 100 tasks once, and its own task twice.
  executor.block_on(runtime::yield_now());
  CHECK(executor.polls() == 102);
  for (const Signal& signal : signals)
    CHECK(signal.polls() == 1);

  for (const int woken : {7, 50, 99}) {
    const std::uint64_t before = executor.polls();
    signals[woken].notify();
    executor.block_on(runtime::yield_now());
    CHECK(executor.polls() - before == 1 + 2);  // the woken task, and block_on's own task
    CHECK(signals[woken].polls() == 2);
    CHECK(handles[woken].is_finished());
  }
  int total = 0;
  for (const Signal& signal : signals)
    total += signal.polls();
  CHECK(total == 100 + 3);
  CHECK(executor.tasks_alive() == 97);
}

TEST_CASE("executor: a pending task costs no polls while the thread is parked") {
  // No spins: it parks at once, however slow the machine (spinning for longer than the
  // sleep would leave it nothing to park for).
  Executor executor(Executor::Policy::kWakeDriven, 0);
  Signal signal;
  JoinHandle<void> waiting = executor.spawn(signal.wait());
  // A timer is the only way forward, so the thread must park in its reactor.
  executor.block_on(runtime::Sleep(std::chrono::milliseconds(20)));
  CHECK(executor.parks() >= 1);
  CHECK(signal.polls() == 1);  // polled once when spawned, never while parked
  CHECK(executor.polls() == 1 + 2);
  signal.notify();
  executor.block_on(std::move(waiting));
  CHECK(signal.polls() == 2);
}

// A thread that notifies `signal` once `executor`'s thread has announced its park (bounded:
// it notifies anyway at the watchdog's limit, or when the test leaves early, and the test's
// checks then fail).
test::JoinedThread notify_once_parked(Executor& executor, const Signal& signal) {
  return test::JoinedThread("the notifier", [&executor, signal](std::stop_token leave) {
    test::spin_until([&] {
      return leave.stop_requested() || executor.parker().state() == runtime::Parker::State::kParked;
    });
    signal.notify();
  });
}

// block_on of a task that only another thread can wake.
template <class F>
void block_on_woken_by_another_thread(Executor& executor, F future) {
  test::bounded("a wake from another thread", [&] { executor.block_on(std::move(future)); });
}

TEST_CASE("executor: spinning before a park polls no task, and an idle thread still parks") {
  for (const unsigned spins : {0u, 1000u}) {
    CAPTURE(spins);
    Executor executor(Executor::Policy::kWakeDriven, spins);
    Signal signal;
    JoinHandle<void> waiting = executor.spawn(signal.wait());
    // Only another thread moves things on, and only once this one has announced its park:
    // however long the looks last, the thread must end up parked, and looking at the
    // reactor must not poll the task nobody woke. (A timer here would race the looks on a
    // loaded machine.)
    Signal unpark;
    test::JoinedThread waker = notify_once_parked(executor, unpark);
    block_on_woken_by_another_thread(executor, unpark.wait());
    waker.join();
    CHECK(executor.parks() >= 1);
    CHECK(signal.polls() == 1);
    signal.notify();
    executor.block_on(std::move(waiting));
    CHECK(signal.polls() == 2);
  }
}

Task<> spin_until(const bool* stop, int* spins) {
  for (int i = 0; i < 100000 && !*stop; ++i) {
    ++*spins;
    co_await runtime::yield_now();
  }
}
Task<> yield_times_then_stop(int yields, bool* stop) {
  for (int i = 0; i < yields; ++i)
    co_await runtime::yield_now();
  *stop = true;
}

TEST_CASE("executor: a task that yields for ever cannot starve another") {
  Executor executor;
  bool stop = false;
  int spins = 0;
  JoinHandle<void> spinner = executor.spawn(spin_until(&stop, &spins));
  executor.block_on(yield_times_then_stop(10, &stop));
  // Each batch polls each task once: the spinner got about as many turns as the other.
  CHECK(spins >= 10);
  CHECK(spins <= 12);
  executor.run();
  CHECK(spinner.is_finished());
}

// Pending `left` times WITHOUT arranging a wake: breaks the contract on purpose, which
// only the book's busy-polling policy survives.
struct PendingWithoutWake {
  using Output = int;
  Poll<int> poll(Context&) {
    ++*polls;
    if (left-- > 0) return Pending{};
    return *polls;
  }
  int left;
  int* polls;
};

TEST_CASE("executor: Policy::kBusyPoll re-polls pending tasks but still completes the work") {
  Executor executor(Executor::Policy::kBusyPoll);
  Signal signal;
  JoinHandle<void> waiting = executor.spawn(signal.wait());
  int polls = 0;
  // Spawned: block_on's own task is polled when woken, under either policy (below).
  JoinHandle<int> no_wake = executor.spawn(PendingWithoutWake{5, &polls});
  CHECK(executor.block_on(std::move(no_wake)) == 6);
  CHECK(signal.polls() >= 5);  // re-polled with no wake at all
  CHECK(executor.parks() == 0);
  signal.notify();
  executor.run();
  CHECK(waiting.is_finished());
  CHECK(executor.tasks_alive() == 0);
}

// The book's worker parks when its executor holds no task; block_on's task stands for the
// book's loop around the executor, so with only that task waiting, the thread parks.
TEST_CASE("executor: Policy::kBusyPoll parks when no spawned task is left to poll") {
  Executor executor(Executor::Policy::kBusyPoll, /*spins=*/0);
  Signal signal;
  test::JoinedThread notifier = notify_once_parked(executor, signal);
  block_on_woken_by_another_thread(executor, signal.wait());
  notifier.join();
  CHECK(executor.parks() >= 1);
  CHECK(signal.polls() == 2);  // the first look, then once when woken: no busy re-polls
}

TEST_CASE("executor: on_park runs on the executor's thread just before each park") {
  Executor executor(Executor::Policy::kWakeDriven, /*spins=*/0);
  Signal signal;
  std::atomic<int> hooked{0};
  std::thread::id hook_thread;
  executor.on_park([&] {
    hook_thread = std::this_thread::get_id();
    hooked.fetch_add(1);
  });
  test::JoinedThread notifier("the notifier", [&](std::stop_token leave) {
    test::spin_until([&] { return leave.stop_requested() || hooked.load() > 0; });
    signal.notify();
  });
  block_on_woken_by_another_thread(executor, signal.wait());
  notifier.join();
  CHECK(hooked.load() == 1);
  CHECK(executor.parks() == 1);
  CHECK(hook_thread == std::this_thread::get_id());
}

TEST_CASE("executor: destroying an executor cancels its live tasks") {
  std::atomic<bool> dropped{false};
  auto executor = std::make_unique<Executor>();
  JoinHandle<int> handle = executor->spawn(never_finishes(&dropped));
  std::atomic<bool> unpolled_dropped{false};
  JoinHandle<int> unpolled = executor->spawn(never_finishes(&unpolled_dropped));
  executor->block_on(runtime::yield_now());  // both tasks now wait in their DropFlag
  CHECK(executor->tasks_alive() == 2);
  CHECK_FALSE(dropped);

  std::atomic<bool> cancelled{false};
  test::JoinedThread waiter("the thread in get()", [&](std::stop_token leave) {
    // If the test leaves early, it still destroys the executor this thread waits for.
    std::stop_callback destroy(leave, [&] { executor.reset(); });
    try {
      (void)handle.get();
    } catch (const TaskCancelled&) {
      cancelled = true;
    }
  });
  executor.reset();
  waiter.join();
  CHECK(dropped);  // the frame was destroyed, and the future in it
  CHECK(unpolled_dropped);
  CHECK(cancelled);
  CHECK_THROWS_AS((void)unpolled.get(), TaskCancelled);
}

TEST_CASE("executor: a task never polled is cancelled with its executor") {
  auto executor = std::make_unique<Executor>();
  std::atomic<bool> dropped{false};
  JoinHandle<int> handle = executor->spawn(never_finishes(&dropped));
  executor.reset();
  CHECK_THROWS_AS((void)handle.get(), TaskCancelled);
  CHECK_FALSE(dropped);  // the body never ran, so the DropFlag was never made
}

// Keeps a clone of its task's waker, then finishes.
struct KeepWaker {
  using Output = void;
  Poll<void> poll(Context& cx) {
    *kept = cx.waker();
    return runtime::Ready{};
  }
  runtime::Waker* kept;
};

TEST_CASE("executor: waking a finished task, or one whose executor is gone, is harmless") {
  runtime::Waker finished_task;
  Signal cancelled_task;
  {
    Executor executor;
    executor.block_on(KeepWaker{&finished_task});
    finished_task.wake_by_ref();  // finished: nothing is queued
    executor.run();
    CHECK(executor.polls() == 1);
    JoinHandle<void> pending = executor.spawn(cancelled_task.wait());
    executor.block_on(runtime::yield_now());
    CHECK(cancelled_task.has_waiter());
  }  // the executor and its run queue's owner are gone; the wakers are not
  finished_task.wake_by_ref();
  runtime::Waker clone = finished_task;
  std::move(clone).wake();
  cancelled_task.notify();  // a cancelled task: ASan would catch a use after free here
  finished_task = runtime::Waker();
}

TEST_CASE("executor: a detached task's exception is reported, not a crash") {
  // stderr goes to a pipe for the duration, so the report can be checked (and stays quiet).
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  std::fflush(stderr);
  const int saved_stderr = dup(STDERR_FILENO);
  dup2(pipe_fds[1], STDERR_FILENO);
  {
    Executor executor;
    auto fails = []() -> Task<> {
      co_await runtime::yield_now();
      throw std::runtime_error("detached failure");
    };
    (void)executor.spawn(fails());  // the handle is dropped: detached
    executor.run();
  }
  std::fflush(stderr);
  dup2(saved_stderr, STDERR_FILENO);
  close(saved_stderr);
  close(pipe_fds[1]);
  char buffer[512] = {};
  const ssize_t got = read(pipe_fds[0], buffer, sizeof buffer - 1);
  close(pipe_fds[0]);
  REQUIRE(got > 0);
  CHECK(std::string(buffer).find("detached failure") != std::string::npos);
}

// Ready once `expected` threads have reported done; stores the latest waker under a lock,
// where the reporting threads take it.
struct WokenFromThreads {
  struct Shared {
    std::mutex mutex;
    runtime::Waker waker;  // guarded by mutex
    std::atomic<int> done{0};
    int polls = 0;  // executor thread only
  };
  using Output = void;
  Poll<void> poll(Context& cx) {
    ++shared->polls;
    std::lock_guard lock(shared->mutex);
    shared->waker = cx.waker();
    if (shared->done.load() == expected) return runtime::Ready{};
    return Pending{};
  }
  Shared* shared;
  int expected;
};

TEST_CASE("executor: wakes from many threads at once") {
  constexpr int kThreads = 4;
  constexpr int kWakesPerThread = 1000;
  WokenFromThreads::Shared shared;
  Executor executor;
  std::vector<test::JoinedThread> wakers;
  wakers.reserve(kThreads);
  auto wake_once = [&] {
    runtime::Waker waker;
    {
      std::lock_guard lock(shared.mutex);
      waker = shared.waker;
    }
    waker.wake_by_ref();  // empty before the first poll: that poll will see `done`
  };
  for (int t = 0; t < kThreads; ++t) {
    wakers.emplace_back("a waking thread", [&] {
      for (int i = 0; i < kWakesPerThread; ++i)
        wake_once();
      shared.done.fetch_add(1);
      wake_once();  // after `done`: the poll this causes sees it
    });
  }
  block_on_woken_by_another_thread(executor, WokenFromThreads{&shared, kThreads});
  for (test::JoinedThread& thread : wakers)
    thread.join();
  CHECK(shared.polls >= 1);
  CHECK(shared.polls <= kThreads * (kWakesPerThread + 1) + 1);
  shared.waker = runtime::Waker();
}

// Ready once `ready` is set; stores the waker for the test to wake.
struct Parked {
  using Output = void;
  Poll<void> poll(Context& cx) {
    ++*polls;
    if (*ready) return runtime::Ready{};
    *waker = cx.waker();
    return Pending{};
  }
  const bool* ready;
  runtime::Waker* waker;
  int* polls;
};

TEST_CASE("executor: a task woken 1000 times before it runs is polled once") {
  Executor executor;
  bool ready = false;
  runtime::Waker waker;
  int polls = 0;
  JoinHandle<void> handle = executor.spawn(Parked{&ready, &waker, &polls});
  executor.block_on(runtime::yield_now());
  REQUIRE(polls == 1);
  ready = true;
  for (int i = 0; i < 1000; ++i)
    waker.wake_by_ref();
  waker = runtime::Waker();
  executor.block_on(std::move(handle));
  CHECK(polls == 2);
}

TEST_CASE("executor: wakes racing the executor's destruction are harmless") {
  // Another thread wakes a pending task just as the main thread destroys its executor: the
  // wake lands before the queue closes (and close hands it back) or after (and is refused),
  // or after the cancel (and is ignored). TSan and ASan watch the header, queue and fd.
  bool ready = false;
  runtime::Waker stored;
  int polls = 0;
  auto executor = std::make_unique<Executor>();
  JoinHandle<void> handle = executor->spawn(Parked{&ready, &stored, &polls});
  executor->block_on(runtime::yield_now());
  REQUIRE(polls == 1);
  std::atomic<bool> go{false};
  test::JoinedThread waker_thread("the waking thread", [&go, waker = stored] {
    test::spin_until([&] { return go.load(); });  // a start line: both run into the race
    for (int i = 0; i < 100; ++i)
      waker.wake_by_ref();
  });
  stored = runtime::Waker();
  go = true;
  executor.reset();
  waker_thread.join();
  CHECK(polls == 1);  // nobody polled it again: the executor was gone
  CHECK_THROWS_AS(handle.get(), TaskCancelled);
}

TEST_CASE("executor: JoinHandle::get() rethrows what the task threw") {
  Executor executor;
  auto throws = []() -> Task<int> {
    co_await runtime::yield_now();
    throw std::invalid_argument("bad input");
  };
  JoinHandle<int> handle = executor.spawn(throws());
  test::JoinedThread worker("the executor", [&] { executor.run(); });
  CHECK_THROWS_WITH_AS(test::bounded("get() to return", [&] { (void)handle.get(); }), "bad input",
                       std::invalid_argument);
  worker.join();
}

}  // namespace
