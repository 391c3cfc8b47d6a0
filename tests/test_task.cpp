// Task<T>: poll-driven coroutines (task.hpp). Every test drives the task by hand with the
// step-by-step harness, so each poll, each wake and each resumption is visible.
#include <doctest/doctest.h>
#if defined(__linux__)
#include <malloc.h>  // malloc_usable_size (glibc and musl)
#endif

#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/detail/frame_pool.hpp"
#include "runtime/task.hpp"
#include "runtime/yield_now.hpp"
#include "tests/test_harness.hpp"
#include "tests/watchdog.hpp"

using runtime::Context;
using runtime::Pending;
using runtime::Poll;
using runtime::Task;
using test::Signal;
using test::Stepper;

namespace {

// Ready at once with a value; counts its polls.
struct ReadyNow {
  using Output = int;
  Poll<int> poll(Context&) {
    ++*polls;
    return value;
  }
  int value;
  int* polls;
};

// What a PendingTimes future reports to the test: its polls, and the waker it holds.
struct Probe {
  int polls = 0;
  runtime::Waker stored;
  // The test plays the event source: wake the task that is waiting.
  void fire() { std::move(stored).wake(); }
};

// Pending `left` times, keeping the promise each time by storing the waker; then Ready.
struct PendingTimes {
  using Output = void;
  Poll<void> poll(Context& cx) {
    ++probe->polls;
    if (left == 0) return runtime::Ready{};
    --left;
    probe->stored = cx.waker();
    return Pending{};
  }
  int left;
  Probe* probe;
};

// Pending for ever (with a stored waker, as the contract asks); its destructor says so.
struct DropFlag {
  using Output = void;
  explicit DropFlag(bool* dropped) : dropped(dropped) {}
  DropFlag(DropFlag&& other) noexcept
      : dropped(std::exchange(other.dropped, nullptr)), waker(std::move(other.waker)) {}
  ~DropFlag() {
    if (dropped) *dropped = true;
  }
  Poll<void> poll(Context& cx) {
    waker = cx.waker();
    return Pending{};
  }
  bool* dropped;
  runtime::Waker waker;
};

// Throws on its `throw_on`-th poll (1 = the first), Pending with a self-wake before that.
struct ThrowOn {
  using Output = int;
  Poll<int> poll(Context& cx) {
    if (++polls == throw_on) throw std::runtime_error("leaf failed");
    cx.waker().wake_by_ref();
    return Pending{};
  }
  int throw_on;
  int polls = 0;
};

Task<int> set_flag_and_return(bool* ran, int value) {
  *ran = true;
  co_return value;
}

TEST_CASE("task: lazy, the body does not run before the first poll") {
  bool ran = false;
  Task<int> task = set_flag_and_return(&ran, 5);
  CHECK_FALSE(ran);
  Stepper stepper(std::move(task));
  CHECK_FALSE(ran);
  auto result = stepper.poll();
  CHECK(ran);
  REQUIRE(result.is_ready());
  CHECK(result.value() == 5);
}

Task<int> sum_of_ready(int* polls) {
  const int a = co_await ReadyNow{1, polls};
  const int b = co_await ReadyNow{2, polls};
  const int c = co_await ReadyNow{3, polls};
  co_return a + b + c;
}

TEST_CASE("task: co_await a ready future does not suspend") {
  int polls = 0;
  Stepper stepper(sum_of_ready(&polls));
  auto result = stepper.poll();
  REQUIRE(result.is_ready());
  CHECK(result.value() == 6);
  CHECK(polls == 3);  // each ready future polled once, in await_ready
  CHECK(stepper.waker().woken() == 0);
  CHECK(stepper.waker().refs() == 1);  // nobody kept a waker: nothing was waited for
}

Task<int> inner_waits(Signal signal) {
  co_await signal.wait();
  co_return 40;
}
Task<int> middle(Signal signal) {
  co_return co_await inner_waits(signal) + 1;
}
Task<int> outer(Signal signal) {
  co_return co_await middle(signal) + 1;
}

TEST_CASE("task: nested tasks are polled down the chain with the same waker") {
  Signal signal;
  Stepper stepper(outer(signal));
  CHECK(stepper.poll().is_pending());
  CHECK(signal.polls() == 1);
  CHECK(signal.has_waiter());  // the leaf, three tasks down, holds the outer poll's waker
  CHECK(stepper.waker().refs() == 2);

  CHECK(stepper.poll().is_pending());  // a spurious poll goes straight to the leaf
  CHECK(signal.polls() == 2);

  signal.notify();
  CHECK(stepper.wakes_since_poll() == 1);
  auto result = stepper.poll();
  REQUIRE(result.is_ready());
  CHECK(result.value() == 42);
  CHECK(signal.polls() == 3);
}

Task<> await_pending_times(Probe* probe, int* resumes) {
  for (int round = 0; round < 3; ++round) {
    co_await PendingTimes{2, probe};
    ++*resumes;
  }
}

TEST_CASE("task: a coroutine is resumed only when what it awaits is ready") {
  Probe probe;
  int resumes = 0;
  Stepper stepper(await_pending_times(&probe, &resumes));
  // Three rounds of (Pending, Pending, Ready). The Ready poll resumes the body, which then
  // polls the next round's future in await_ready and suspends on its first Pending, so
  // every task poll but the last returns Pending. After task poll k:
  const int expected_resumes[] = {0, 0, 1, 1, 2, 2};
  const int expected_probe_polls[] = {1, 2, 4, 5, 7, 8};
  for (int k = 0; k < 6; ++k) {
    CAPTURE(k);
    CHECK(stepper.poll().is_pending());
    CHECK(resumes == expected_resumes[k]);
    CHECK(probe.polls == expected_probe_polls[k]);
    CHECK(stepper.wakes_since_poll() == 0);  // nothing woke it yet ...
    probe.fire();
    CHECK(stepper.wakes_since_poll() == 1);  // ... and each Pending arranged exactly one wake
  }
  CHECK(stepper.poll().is_ready());
  CHECK(resumes == 3);
  CHECK(probe.polls == 9);  // 3 rounds of 2 Pending and 1 Ready: no extra polls
  CHECK(stepper.waker().wakes() == 6);
}

Task<int> leaf_thrower(int throw_on) {
  co_return co_await ThrowOn{throw_on};
}
Task<int> passes_through(int throw_on) {
  co_return co_await leaf_thrower(throw_on) + 1;
}
Task<int> catches_at_co_await(int throw_on, std::string* caught) {
  try {
    co_return co_await passes_through(throw_on);
  } catch (const std::runtime_error& error) {
    *caught = error.what();
  }
  co_return -1;
}

TEST_CASE("task: an exception propagates through nested co_await to the poller") {
  // 1: thrown by the leaf's first poll (in await_ready, inside the body);
  // 3: thrown by a later poll (through the blocker, from outside the body).
  for (const int throw_on : {1, 3}) {
    CAPTURE(throw_on);
    Stepper stepper(passes_through(throw_on));
    for (int pending = 1; pending < throw_on; ++pending)
      CHECK(stepper.poll().is_pending());
    CHECK_THROWS_WITH_AS((void)stepper.poll(), "leaf failed", std::runtime_error);
  }
}

TEST_CASE("task: an exception can be caught inside the coroutine at the co_await") {
  for (const int throw_on : {1, 3}) {
    CAPTURE(throw_on);
    std::string caught;
    Stepper stepper(catches_at_co_await(throw_on, &caught));
    for (int pending = 1; pending < throw_on; ++pending)
      CHECK(stepper.poll().is_pending());
    auto result = stepper.poll();
    REQUIRE(result.is_ready());
    CHECK(result.value() == -1);
    CHECK(caught == "leaf failed");
  }
}

Task<> throws_after_resuming(Signal signal) {
  co_await signal.wait();
  throw std::logic_error("body failed");
}

TEST_CASE("task: an exception thrown by the body after a resumption reaches the poller") {
  Signal signal;
  Stepper stepper(throws_after_resuming(signal));
  CHECK(stepper.poll().is_pending());
  signal.notify();
  CHECK_THROWS_AS((void)stepper.poll(), std::logic_error);
}

Task<> awaits_drop_flag(bool* dropped, bool* local_dropped) {
  DropFlag local(local_dropped);  // a local of the frame, alive across the co_await
  co_await DropFlag(dropped);
}
Task<> awaits_awaiter(bool* dropped, bool* local_dropped) {
  co_await awaits_drop_flag(dropped, local_dropped);
}

TEST_CASE("task: destroying a task mid-await destroys the awaited future (cancellation)") {
  bool dropped = false;
  bool local_dropped = false;
  std::optional<Stepper<Task<>>> stepper;
  stepper.emplace(awaits_awaiter(&dropped, &local_dropped));
  CHECK(stepper->poll().is_pending());
  CHECK(stepper->waker().refs() == 2);  // the leaf, two tasks down, holds one
  CHECK_FALSE(dropped);
  CHECK_FALSE(local_dropped);
  stepper.reset();  // also checks that the leaf's waker went back (CountingWaker)
  CHECK(dropped);
  CHECK(local_dropped);
}

TEST_CASE("task: a task never polled can be destroyed") {
  bool dropped = false;
  bool local_dropped = false;
  { Task<> task = awaits_awaiter(&dropped, &local_dropped); }
  CHECK_FALSE(local_dropped);  // the body never ran
}

Task<> void_task(int* steps) {
  ++*steps;
  co_await runtime::yield_now();
  ++*steps;
}

TEST_CASE("task: void output, and yield_now wakes its own task once") {
  int steps = 0;
  Stepper stepper(void_task(&steps));
  CHECK(stepper.poll().is_pending());
  CHECK(steps == 1);
  CHECK(stepper.wakes_since_poll() == 0);  // it woke itself during the poll, before Pending
  CHECK(stepper.waker().wakes_by_ref() == 1);
  CHECK(stepper.poll().is_ready());
  CHECK(steps == 2);
}

Task<std::unique_ptr<int>> make_unique_after(Signal signal, int value) {
  co_await signal.wait();
  co_return std::make_unique<int>(value);
}
Task<std::unique_ptr<int>> add_one(Signal signal) {
  std::unique_ptr<int> inner = co_await make_unique_after(signal, 41);
  ++*inner;
  co_return inner;
}

TEST_CASE("task: move-only outputs travel through co_await and co_return") {
  Signal signal;
  Stepper stepper(add_one(signal));
  CHECK(stepper.poll().is_pending());
  signal.notify();
  auto result = stepper.poll();
  REQUIRE(result.is_ready());
  std::unique_ptr<int> value = std::move(result).value();
  REQUIRE(value);
  CHECK(*value == 42);
}

Task<int> awaits_lvalue(Probe* probe) {
  PendingTimes borrowed{1, probe};
  co_await borrowed;  // borrows: the future stays the body's, and so does its state
  const int left = borrowed.left;
  co_await borrowed;  // finished futures are not polled again by convention; left is 0 now
  co_return left;
}

TEST_CASE("task: co_await on an lvalue future borrows it") {
  Probe probe;
  Stepper stepper(awaits_lvalue(&probe));
  CHECK(stepper.poll().is_pending());
  probe.fire();
  auto result = stepper.poll();
  REQUIRE(result.is_ready());
  CHECK(result.value() == 0);
  CHECK(probe.polls == 3);
}

TEST_CASE("task: a task can be moved after its first poll: the frame stays put") {
  Signal signal;
  Task<int> task = outer(signal);
  std::optional<Task<int>> moved;
  {
    test::CountingWaker counting;
    const runtime::Waker waker = counting.waker();
    Context cx(waker);
    CHECK(task.poll(cx).is_pending());
    moved.emplace(std::move(task));
    signal.notify();  // the leaf had the waker: give it back before the waker goes
    CHECK(counting.wakes() == 1);
  }
  const runtime::Waker noop = runtime::Waker::noop();
  Context cx(noop);
  auto result = moved->poll(cx);
  REQUIRE(result.is_ready());
  CHECK(result.value() == 42);
}

}  // namespace

TEST_CASE("frame pool: a freed frame is reused by the next frame of its size class only") {
  using runtime::detail::FramePool;
  FramePool pool;
  void* small = pool.allocate(100);  // class 64..128 bytes
  pool.free(small, 100);
  CHECK(pool.kept_bytes() == 128);
  CHECK(pool.allocate(120) == small);  // same class: the kept block
  CHECK(pool.kept_bytes() == 0);
  pool.free(small, 120);
  void* other = pool.allocate(300);  // another class: not the kept one, though it is free
  CHECK(other != small);
  CHECK(pool.kept_bytes() == 128);
  pool.free(other, 300);
  CHECK(pool.kept_bytes() == 128 + 320);
  void* large = pool.allocate(5000);  // past the classes: straight from and to the heap
  pool.free(large, 5000);
  CHECK(pool.kept_bytes() == 128 + 320);
}  // the pool's destructor hands its blocks back (LeakSanitizer checks it under ASan)

TEST_CASE("frame pool: each class keeps a bounded number of blocks, and the rest go back") {
  using runtime::detail::FramePool;
  FramePool pool;
  std::vector<void*> blocks;
  for (int i = 0; i < 3000; ++i)
    blocks.push_back(pool.allocate(64));
  for (void* block : blocks)
    pool.free(block, 64);
  CHECK(pool.kept_bytes() == FramePool::kMaxKeptBytes);  // 1,024 blocks of 64 bytes
}

namespace {
// Made on a thread before its frame pool, so destroyed after it: at the thread's exit it
// makes a frame from the heap, as a coroutine finishing that late would.
struct FrameAtExit {
  void** frame;
  ~FrameAtExit() { *frame = runtime::detail::allocate_frame(100); }
};
}  // namespace

// A frame made after its thread's pool was gone, and freed on a thread whose pool keeps
// it, must be as large as the pool's blocks of its class: the next frame of that class
// (up to 128 bytes here) may be given it.
TEST_CASE("frame pool: a frame made after the thread's pool is gone has its class's size") {
  void* frame = nullptr;
  test::JoinedThread exiting("the exiting thread", [&frame] {
    thread_local FrameAtExit at_exit{&frame};
    runtime::detail::free_frame(runtime::detail::allocate_frame(64), 64);  // the pool, after
  });
  exiting.join();
  REQUIRE(frame != nullptr);
#if defined(__linux__)
  if constexpr (!runtime::detail::kFramesBypassPool) {
    REQUIRE(malloc_usable_size(frame) >= runtime::detail::FramePool::block_size(100));
  }
#endif
  runtime::detail::free_frame(frame, 100);  // kept by this thread's pool
  void* next = runtime::detail::allocate_frame(128);
  std::memset(next, 0xab, 128);  // the whole frame is ours to write (ASan checks it)
  runtime::detail::free_frame(next, 128);
}

TEST_CASE("frame pool: a task made on one thread can end on another") {
  // Its frame joins the pool of the thread that frees it; both threads' pools are torn
  // down at their exit.
  std::optional<Task<int>> task;
  test::JoinedThread maker("the maker",
                           [&] { task.emplace([]() -> Task<int> { co_return 7; }()); });
  maker.join();
  test::JoinedThread runner("the runner", [&] {
    Stepper stepper(std::move(*task));  // the frame dies with the stepper, on this thread
    task.reset();
    auto result = stepper.poll();
    CHECK(result.is_ready());
    if (result.is_ready()) CHECK(result.value() == 7);
  });
  runner.join();
}
